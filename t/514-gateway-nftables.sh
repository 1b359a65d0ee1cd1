#!/bin/sh
# Gateway mode with the nftables backend (t/e2e-gateway.sh).
FW=nftables
. "$srcdir/t/e2e-gateway.sh"
