#!/bin/sh
# Published container ports with the nftables backend (t/e2e-published.sh).
FW=nftables
. "$srcdir/t/e2e-published.sh"
