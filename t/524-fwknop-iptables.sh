#!/bin/sh
# Moving from fwknop, side by side, with the libiptc backend (root,
# network namespaces, real fwknopd and fwknop).
FW=iptables
. "$srcdir/t/e2e-fwknop.sh"
