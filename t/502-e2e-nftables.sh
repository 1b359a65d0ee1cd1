#!/bin/sh
# End to end with the nftables backend (root, network namespaces).
FW=nftables
. "$srcdir/t/e2e-knock.sh"
