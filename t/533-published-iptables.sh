#!/bin/sh
# Published container ports with the iptables backend (t/e2e-published.sh).
FW=iptables
. "$srcdir/t/e2e-published.sh"
