#!/bin/sh
# Address binding behind a NAT: a client on a private network behind a
# masquerading router knocks on a server with a public address.  It
# learns the address the NAT gives it from a real STUN server (coturn),
# binds it, and gets in; without STUN it stops with a clear error before
# any token is touched; in source mode it gets in only where the stanza
# allows it.  The "Internet" is a routing namespace joining the router,
# the server and the STUN server (documentation address ranges, all in
# namespaces made here).
#
#   client 192.168.77.2 -- 192.168.77.1 router 198.51.100.2 -- 198.51.100.1
#                                   isp 203.0.113.1 -- 203.0.113.10 server
#                                   isp 192.0.2.1   -- 192.0.2.20   stun
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft turnserver

FW=nftables
E2E_IFACE=srv0
SRV4=203.0.113.10 STUN4=192.0.2.20 NAT4=198.51.100.2 CLI4=192.168.77.2

nat_topology() {
	_t=sk$$
	NS_SRV=${_t}srv NS_CLI=${_t}cli NS_RTR=${_t}rtr NS_ISP=${_t}isp NS_STUN=${_t}stun
	for _ns in $NS_SRV $NS_CLI $NS_RTR $NS_ISP $NS_STUN; do
		ip netns add "$_ns" || return 1
		test_cleanup "ip netns delete $_ns"
		ip -n "$_ns" link set lo up
	done
	ip link add lan0 netns "$NS_CLI" type veth peer name lan1 netns "$NS_RTR" || return 1
	ip link add wan0 netns "$NS_RTR" type veth peer name isp0 netns "$NS_ISP" || return 1
	ip link add srv0 netns "$NS_SRV" type veth peer name isp1 netns "$NS_ISP" || return 1
	ip link add stun0 netns "$NS_STUN" type veth peer name isp2 netns "$NS_ISP" || return 1
	ip -n "$NS_CLI" addr add $CLI4/24 dev lan0
	ip -n "$NS_RTR" addr add 192.168.77.1/24 dev lan1
	ip -n "$NS_RTR" addr add $NAT4/24 dev wan0
	ip -n "$NS_ISP" addr add 198.51.100.1/24 dev isp0
	ip -n "$NS_ISP" addr add 203.0.113.1/24 dev isp1
	ip -n "$NS_ISP" addr add 192.0.2.1/24 dev isp2
	ip -n "$NS_SRV" addr add $SRV4/24 dev srv0
	ip -n "$NS_STUN" addr add $STUN4/24 dev stun0
	for l in "$NS_CLI lan0" "$NS_RTR lan1" "$NS_RTR wan0" "$NS_ISP isp0" \
	    "$NS_ISP isp1" "$NS_ISP isp2" "$NS_SRV srv0" "$NS_STUN stun0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$NS_CLI" route add default via 192.168.77.1
	ip -n "$NS_RTR" route add default via 198.51.100.1
	ip -n "$NS_SRV" route add default via 203.0.113.1
	ip -n "$NS_STUN" route add default via 192.0.2.1
	ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$NS_ISP" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$NS_RTR" nft -f - <<NFT || return 1
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "wan0" masquerade
	}
}
NFT
}

plan 14
E2E_TOPOLOGY=nat_topology
E2E_ACCESS_EXTRA='
[roaming]
Users           hank@example.com
Open            tcp/22
Timeout         3
MaxTimeout      5
AllowSourceMode yes'
e2e_setup
f=$(GNUPGHOME=$T/users gpg_genkey "hank <hank@example.com>" ed25519 sign) || bail "key hank"
FPR_hank=$f
GNUPGHOME=$T/users gpg --export "$f" > "$T/hank.pgp"
"$B/sigknock-keys" -k "$T/keyring" add "$T/hank.pgp" >/dev/null 2>&1 || bail "add hank"
bg_start stun "$NS_STUN" turnserver -n --listening-ip=$STUN4 --listening-port=3478 \
	--stun-only --no-tls --no-dtls --no-cli --no-stdout-log \
	--log-file="$T/turnserver.log" --pidfile="$T/turnserver.pid" 2>>"$T/turnserver.err"

ok "sigknockd starts on the public server" daemon_start
ok "before any knock the service is closed" closed $SRV4 22

# Without STUN: one line, before any token is asked for anything (the
# card token would fail for want of a reader if it were asked first).
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" --token card \
	--reader no-such-reader -A tcp/22 $SRV4 > "$T/o" 2>&1
ok "without STUN the client refuses to knock" test $? -eq 1
ok "... saying why and what to do, in one line" grep -q \
	"your address $CLI4 is private and the server's $SRV4 is public: a NAT on the way would make the server refuse the knock; set Stun in ~/.sigknockrc (or --stun HOST)" "$T/o"
ok "... before the token is asked (no card error)" sh -c "! grep -qi 'reader' '$T/o' && test \$(wc -l < '$T/o') -eq 1"

# With STUN (coturn): the NAT's address is bound, and it opens.
wait_for 5 test -s "$T/turnserver.pid"
n=$(count_log 'accepted alice@example.com')
ok "with --stun the client knocks" knock --stun $STUN4 -A tcp/22
ok "the server accepts the NAT's address the STUN server saw" \
	wait_log "$n" "accepted alice@example.com .* from $NAT4: open tcp/22 for $NAT4"
ok "the port opens for the client behind the NAT" wait_for 2 can_connect $SRV4 22
wait_for 6 closed $SRV4 22
printf '[%s]\nStun %s:3478\n' "$SRV4" "$STUN4" > "$T/rc"
chmod 600 "$T/rc"
n=$(count_log 'accepted alice@example.com')
knock --rc "$T/rc" -A tcp/22
ok "Stun in the rc file works too" wait_log "$n" "accepted alice@example.com .* open tcp/22 for $NAT4"

# Binding the private address itself: refused, the NAT changed it.
n=$(count_log "binds $CLI4, not the sender's address")
knock -a $CLI4 -A tcp/22
ok "a knock binding the private address is refused by the server" \
	wait_log "$n" "binds $CLI4, not the sender's address"

# Source mode: only where the stanza allows it.
n=$(count_log 'AllowSourceMode is no')
knock -s -A tcp/22
ok "source mode is refused where the stanza does not allow it" \
	wait_log "$n" 'AllowSourceMode is no'
n=$(count_log 'accepted hank@example.com')
knock -s --signer "$FPR_hank" -A tcp/22
ok "... and accepted where AllowSourceMode is yes" wait_log "$n" 'accepted hank@example.com'
ok "... opening the NAT's address" wait_for 2 can_connect $SRV4 22

GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" --stun $STUN4:3479 \
	-A tcp/22 $SRV4 > "$T/o" 2>&1
ok "a STUN server that does not answer is a clear error" \
	grep -q "STUN server $STUN4:3479: nothing listens there\|STUN server $STUN4:3479 did not answer" "$T/o"
