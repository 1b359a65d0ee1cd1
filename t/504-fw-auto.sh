#!/bin/sh
# Firewall auto: nftables when the host filters with nftables or
# iptables-nft, libiptc when it filters with iptables-legacy rules, and
# the log says why; an empty legacy table (left by one read-only
# iptables-legacy -L) or our own leftovers decide nothing.  Whichever it
# picks, the protected port is closed without a knock: both backends own
# their gate.  Each case in a namespace of its own.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-netns.sh"
require_netns
require_cmd nft
B=$top_builddir
TOOL="$B/t/helper/sk-test-tool"
plan 12
test_tmpdir
T=$tap_tmp
printf '[a]\nUsers *\nOpen tcp/22\n' > "$T/access.conf"
printf 'AccessFile %s\nFirewall auto\nStateDir %s\n' "$T/access.conf" "$T" > "$T/c.conf"
ns=skauto$$
test_cleanup "ip netns delete $ns"

# choice SETUP: in a fresh namespace, SETUP, then sigknockd -F (sets up the
# gate, removes grants, exits); prints auto's reason.  The namespace stays
# for closed_after to look at.
choice() {
	ip netns delete $ns 2>/dev/null
	ip netns add $ns || return 1
	ip -n $ns link set lo up
	"$@" $ns
	ip netns exec $ns "$B/sigknockd" -F -c "$T/c.conf" 2>&1 | grep -o 'auto chose [^:]*: [^;]*'
}
# The gate drops tcp/22 on every interface, loopback too: a local
# connect to a listening service fails.
closed_after() {
	ip netns exec $ns "$TOOL" listen 127.0.0.1 22 &
	lpid=$!
	sleep 0.2
	ip netns exec $ns "$TOOL" connect 127.0.0.1 22 300
	r=$?
	kill $lpid; wait $lpid 2>/dev/null
	[ $r -ne 0 ]
}
none() { :; }
legacy() { ip netns exec "$1" iptables-legacy -A INPUT -p tcp --dport 25 -j DROP; }
emptylegacy() { ip netns exec "$1" iptables-legacy -L >/dev/null; }
ourlegacy() { ip netns exec "$1" iptables-legacy -N SIGKNOCK; ip netns exec "$1" iptables-legacy -I INPUT -j SIGKNOCK; }
nftset() { ip netns exec "$1" nft 'add table inet host; add chain inet host input { type filter hook input priority 0; }'; }
ournft() { ip netns exec "$1" nft 'add table inet sigknock; add chain inet sigknock input { type filter hook input priority -10; }'; }

is "auto chose nftables: no filtering found, and nftables is Debian's default" \
	"$(choice none)" "nothing filters: nftables"
ok "... and the protected port is closed without a knock" closed_after
is "auto chose iptables (libiptc): this host filters with iptables-legacy" \
	"$(choice legacy)" "iptables-legacy rules: libiptc"
ok "... which closes the protected port itself (no deny of the admin's)" closed_after
is "auto chose nftables: no filtering found, and nftables is Debian's default" \
	"$(choice emptylegacy)" "an empty legacy table (iptables-legacy -L) decides nothing"
ok "... and the protected port is closed without a knock" closed_after
is "auto chose nftables: no filtering found, and nftables is Debian's default" \
	"$(choice ourlegacy)" "our own legacy chain, left from a run, decides nothing"
is "auto chose nftables: no filtering found, and nftables is Debian's default" \
	"$(choice ournft)" "our own nftables table, left from a run, decides nothing"
is "auto chose nftables: this host filters INPUT with nftables or iptables-nft" \
	"$(choice nftset)" "an nftables input chain: nftables"
ok "... and the protected port is closed without a knock" closed_after

# A host that mixes frameworks: the daemon names what the other one holds.
mixed() {	# mixed FIREWALL SETUP: sigknockd -F's output
	printf 'AccessFile %s\nFirewall %s\nStateDir %s\n' "$T/access.conf" "$1" "$T" > "$T/m.conf"
	ip netns delete $ns 2>/dev/null
	ip netns add $ns || return 1
	"$2" $ns
	ip netns exec $ns "$B/sigknockd" -F -c "$T/m.conf" 2>&1
}
legacy22() { ip netns exec "$1" iptables-legacy -A INPUT -p tcp --dport 22 -j DROP; }
mixed nftables legacy22 > "$T/o"
ok "nftables backend: a legacy rule dropping a protected port is named" \
	grep -q "iptables-legacy INPUT rule 1 (tcp dport 22, -j DROP) can still stop protected ports" "$T/o"
mixed iptables nftset > "$T/o"
ok "libiptc backend: an nftables input chain is named" \
	grep -q "nftables chain inet host input (input hook, policy accept) can still drop protected ports" "$T/o"
