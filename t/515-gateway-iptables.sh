#!/bin/sh
# Gateway mode with the iptables backend (libiptc, t/e2e-gateway.sh).
FW=iptables
. "$srcdir/t/e2e-gateway.sh"
