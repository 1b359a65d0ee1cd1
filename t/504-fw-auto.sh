#!/bin/sh
# Firewall auto: nftables when the host filters with nftables or
# iptables-nft, libiptc when it filters with iptables-legacy, and the log
# says why.  Each case in a namespace of its own.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-netns.sh"
require_netns
require_cmd nft
B=$top_builddir
plan 3
test_tmpdir
T=$tap_tmp
printf '[a]\nUsers *\nOpen tcp/22\n' > "$T/access.conf"
printf 'AccessFile %s\nFirewall auto\nStateDir %s\n' "$T/access.conf" "$T" > "$T/c.conf"

choice() {	# choice SETUP...: run SETUP in a fresh namespace, then sigknockd -F
	ns=skauto$$
	ip netns add $ns || return 1
	"$@" $ns
	ip netns exec $ns "$B/sigknockd" -F -c "$T/c.conf" 2>&1 | grep -o 'auto chose [^:]*: [^;]*'
	ip netns delete $ns
}
none() { :; }
legacy() { ip netns exec "$1" iptables-legacy -A INPUT -p tcp --dport 25 -j DROP; }
nftset() { ip netns exec "$1" nft 'add table inet host; add chain inet host input { type filter hook input priority 0; }'; }
test_cleanup "ip netns delete skauto$$"

is "auto chose nftables: no filtering found, and nftables is Debian's default" \
	"$(choice none)" "nothing filters: nftables"
is "auto chose iptables (libiptc): this host filters with iptables-legacy" \
	"$(choice legacy)" "iptables-legacy rules: libiptc"
is "auto chose nftables: this host filters INPUT with nftables or iptables-nft" \
	"$(choice nftset)" "an nftables input chain: nftables"
