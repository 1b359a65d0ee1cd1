#!/bin/sh
# Address binding behind a NAT: a client on a private network behind a
# masquerading router knocks on a server with a public address.  It
# learns the address the NAT gives it from a real STUN server (coturn)
# over TLS, its certificate checked against a test CA made here, binds it,
# and gets in; plain-UDP STUN, whose answer anyone on the path can forge,
# is refused unless the user opts in, and a lying one then only gets the
# knock refused; without STUN the client stops with a clear error before
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
require_cmd gpg nft turnserver certtool

FW=nftables
E2E_IFACE=srv0
SRV4=203.0.113.10 STUN4=192.0.2.20 NAT4=198.51.100.2 CLI4=192.168.77.2
LIAR4=192.0.2.21 LIE4=203.0.113.99

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
	ip -n "$NS_STUN" addr add $LIAR4/24 dev stun0
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

plan 23
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
# A test CA, and the STUN server's certificate for its address and name;
# another CA that signed nothing of it.
certs() {
	for ca in ca other; do
		certtool --generate-privkey --key-type=ecdsa --outfile "$T/$ca.key" &&
		printf 'cn = "sigknock test %s"\nca\ncert_signing_key\nexpiration_days = 2\n' \
			$ca > "$T/$ca.tmpl" &&
		certtool --generate-self-signed --load-privkey "$T/$ca.key" \
			--template "$T/$ca.tmpl" --outfile "$T/$ca.pem" || return 1
	done
	certtool --generate-privkey --key-type=ecdsa --outfile "$T/stun.key" &&
	printf 'cn = "stun.test"\ndns_name = "stun.test"\nip_address = "%s"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' \
		$STUN4 > "$T/stun.tmpl" &&
	certtool --generate-certificate --load-privkey "$T/stun.key" \
		--load-ca-certificate "$T/ca.pem" --load-ca-privkey "$T/ca.key" \
		--template "$T/stun.tmpl" --outfile "$T/stun.pem"
}
certs >"$T/certtool.log" 2>&1 || bail "certtool: $(tail -n 3 "$T/certtool.log")"
bg_start stun "$NS_STUN" turnserver -n --listening-ip=$STUN4 --listening-port=3478 \
	--tls-listening-port=5349 --cert="$T/stun.pem" --pkey="$T/stun.key" \
	--stun-only --no-dtls --no-cli --no-stdout-log \
	--log-file="$T/turnserver.log" --pidfile="$T/turnserver.pid" 2>>"$T/turnserver.err"
bg_start liar "$NS_STUN" "$TOOL" stun-lie $LIAR4 3478 $LIE4

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

# Plain-UDP STUN: refused unless asked for, before anything is sent.
wait_for 5 test -s "$T/turnserver.pid"
knock --stun $STUN4 -A tcp/22 > "$T/o" 2>&1
ok "plain-UDP STUN is refused by default" test $? -eq 1
ok "... saying the attack and the fix" grep -q \
	"STUN server $STUN4 is plain UDP: anyone on the path can answer in its name.* use stuns:$STUN4 (STUN over TLS), or accept that with StunInsecure yes" "$T/o"

# STUN over TLS (coturn), its certificate checked against the test CA:
# the NAT's address is bound, and it opens.
n=$(count_log 'accepted alice@example.com')
ok "with --stun stuns:HOST and --stun-ca the client knocks" \
	knock --stun stuns:$STUN4 --stun-ca "$T/ca.pem" -A tcp/22
ok "the server accepts the NAT's address the STUN server saw" \
	wait_log "$n" "accepted alice@example.com .* from $NAT4: open tcp/22 for $NAT4"
ok "the port opens for the client behind the NAT" wait_for 2 can_connect $SRV4 22
ok "the address is remembered per STUN server" \
	grep -qx "stuns:$STUN4 $NAT4" "$HOME/.sigknock/stun"
wait_for 6 closed $SRV4 22
printf '[%s]\nStun stuns:%s\nStunCA %s\n' "$SRV4" "$STUN4" "$T/ca.pem" > "$T/rc"
chmod 600 "$T/rc"
sed -i "s/^stuns:$STUN4 .*/stuns:$STUN4 198.51.100.77/" "$HOME/.sigknock/stun"
n=$(count_log 'accepted alice@example.com')
knock --rc "$T/rc" -A tcp/22 > "$T/o" 2>&1
ok "Stun and StunCA in the rc file work too" wait_log "$n" "accepted alice@example.com .* open tcp/22 for $NAT4"
ok "... and a changed answer is said" grep -q \
	"STUN server stuns:$STUN4 now sees you as $NAT4; it said 198.51.100.77 before" "$T/o"
knock --stun stuns:$STUN4 --stun-ca "$T/other.pem" -A tcp/22 > "$T/o" 2>&1
ok "a certificate the CA given did not sign is refused" test $? -eq 1
ok "... saying so" grep -q "STUN server stuns:$STUN4: its certificate is not trusted for $STUN4" "$T/o"
knock --stun stuns:$STUN4 -A tcp/22 > "$T/o" 2>&1
ok "without --stun-ca, the system's trust store does not vouch for a test CA" \
	grep -q "its certificate is not trusted\|no certificate in the system" "$T/o"
wait_for 6 closed $SRV4 22

# A lying plain-UDP STUN server, accepted with --stun-insecure: the knock
# binds the liar's address, and the server refuses it from the NAT's.
n=$(count_log "binds $LIE4, not the sender's address")
knock --stun $LIAR4 --stun-insecure -A tcp/22 2>/dev/null
ok "a lying STUN answer only gets the knock refused" \
	wait_log "$n" "binds $LIE4, not the sender's address"
ok "... and opens nothing" closed $SRV4 22

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

GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" --stun stuns:$STUN4:5350 \
	-A tcp/22 $SRV4 > "$T/o" 2>&1
ok "a STUN server that does not answer is a clear error" \
	grep -q "STUN server stuns:$STUN4:5350: nothing listens there\|STUN server stuns:$STUN4:5350: no answer" "$T/o"
