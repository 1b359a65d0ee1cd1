#!/bin/sh
# Moving from fwknop, side by side, with the nftables backend (root,
# network namespaces, real fwknopd and fwknop).
FW=nftables
. "$srcdir/t/e2e-fwknop.sh"
