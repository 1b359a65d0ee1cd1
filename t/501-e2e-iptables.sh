#!/bin/sh
# End to end with the libiptc backend (root, network namespaces).
FW=iptables
. "$srcdir/t/e2e-knock.sh"
