#!/bin/sh
# End to end with the nftables backend (root, network namespaces),
# capturing on "any" (Linux cooked frames) where 501 captures on the
# interface itself (Ethernet frames).
FW=nftables
E2E_IFACE=any
. "$srcdir/t/e2e-knock.sh"
