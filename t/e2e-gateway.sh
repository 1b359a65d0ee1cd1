# Gateway mode (sigknock-access.conf(5) GATEWAY), sourced by the
# per-backend tests with FW set.  Five namespaces: the client and another
# outside host, the gateway (sigknockd), and two internal hosts behind it:
#
#   client 10.77.1.2 fd77:1::2 --- 10.77.1.1 fd77:1::1  gateway
#   other  10.77.2.2 fd77:2::2 --- 10.77.2.1 fd77:2::1  gateway
#   int1   10.77.3.2 fd77:3::2 --- 10.77.3.1 fd77:3::1  gateway  (routes back)
#   int2   10.77.4.2 fd77:4::2 --- 10.77.4.1 fd77:4::1  gateway  (no route back)
#
# int1 serves tcp/22 (IPv4 and IPv6), int2 tcp/80; int2 has no route to
# the outside, so only a masqueraded flow can reach it.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft

INT1=10.77.3.2 INT1_6=fd77:3::2 INT2=10.77.4.2 INT2_6=fd77:4::2

gw_topology() {
	netns_setup || return 1
	NS_IN1=${_ns_tag}in1 NS_IN2=${_ns_tag}in2
	for _ns in $NS_IN1 $NS_IN2; do
		ip netns add "$_ns" || return 1
		test_cleanup "ip netns delete $_ns"
		ip -n "$_ns" link set lo up
	done
	ip link add ski1 netns "$NS_SRV" type veth peer name eth0 netns "$NS_IN1" || return 1
	ip link add ski2 netns "$NS_SRV" type veth peer name eth0 netns "$NS_IN2" || return 1
	ip -n "$NS_SRV" addr add 10.77.3.1/24 dev ski1
	ip -n "$NS_SRV" addr add fd77:3::1/64 dev ski1 nodad
	ip -n "$NS_SRV" addr add 10.77.4.1/24 dev ski2
	ip -n "$NS_SRV" addr add fd77:4::1/64 dev ski2 nodad
	ip -n "$NS_IN1" addr add $INT1/24 dev eth0
	ip -n "$NS_IN1" addr add $INT1_6/64 dev eth0 nodad
	ip -n "$NS_IN2" addr add $INT2/24 dev eth0
	ip -n "$NS_IN2" addr add $INT2_6/64 dev eth0 nodad
	for l in "$NS_SRV ski1" "$NS_SRV ski2" "$NS_IN1 eth0" "$NS_IN2 eth0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$NS_IN1" route add default via 10.77.3.1
	ip -n "$NS_IN1" -6 route add default via fd77:3::1
	for r in 10.77.3.0/24 10.77.4.0/24; do
		ip -n "$NS_CLI" route add $r via $SRV4
		ip -n "$NS_OTH" route add $r via $SRV4_OTH
	done
	ip -n "$NS_CLI" -6 route add fd77:3::/64 via $SRV6
	ip -n "$NS_OTH" -6 route add fd77:3::/64 via $SRV6_OTH
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$NS_SRV" sysctl -qw net.ipv6.conf.all.forwarding=1
	bg_start int1 "$NS_IN1" "$TOOL" listen :: 22
	bg_start int2 "$NS_IN2" "$TOOL" listen :: 80
	bg_start echo7 "$NS_IN1" "$TOOL" listen 0.0.0.0 7 echo
}

E2E_TOPOLOGY=gw_topology E2E_IFACE=any
plan 60
e2e_setup
cat > "$T/access.conf" <<EOT
[gw-alice]
Users      alice@example.com
Forward    db1     $INT1 tcp/22
Forward    db1     $INT1_6 tcp/22
Forward    db1nat  $INT1 tcp/22 via 2222
Forward    echo1   $INT1 tcp/7
Forward    db1nat  $INT1_6 tcp/22 via 2222
Timeout    3
MaxTimeout 5

[gw-dave]
Users      dave@example.com
Forward    web     $INT2 tcp/80 via 8080
Forward    web     $INT2_6 tcp/80 via 8080
Masquerade yes
Timeout    3
MaxTimeout 5

[local]
Users      erin@example.com
Open       tcp/22
Timeout    3
EOT

# All the kernel's grants of every kind, in the backend's own terms.
fwd_grants() {
	if [ "$FW" = nftables ]; then
		in_srv nft list table inet sigknock 2>/dev/null | grep -o 'expires' | wc -l
	else
		{ in_srv iptables-legacy -S SIGKNOCK-FWD
		  in_srv ip6tables-legacy -S SIGKNOCK-FWD
		  in_srv iptables-legacy -t nat -S SIGKNOCK-DNAT
		  in_srv iptables-legacy -t nat -S SIGKNOCK-SNAT
		  in_srv ip6tables-legacy -t nat -S SIGKNOCK-DNAT
		  in_srv ip6tables-legacy -t nat -S SIGKNOCK-SNAT; } 2>/dev/null |
			grep -c -- '--datestop' || true
	fi
}
no_fwd_grants() { [ "$(fwd_grants)" -eq 0 ]; }
cli_reach() { in_cli "$TOOL" connect "$1" "$2" 400; }
oth_reach() { in_oth "$TOOL" connect "$1" "$2" 400; }
cli_shut() { ! cli_reach "$@"; }
oth_shut() { ! oth_reach "$@"; }
knock_as() {	# knock_as USER [SIGKNOCK OPTIONS...]
	_u=$1; shift
	eval "_f=\$FPR_$_u"
	GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" --signer "$_f" --work 0 "$@"
}

ok "sigknockd starts with Forward lines" daemon_start
ok "before a knock the client cannot reach db1's tcp/22" cli_shut $INT1 22
ok "... nor the gateway's tcp/2222 (DNAT port, kept silent)" cli_shut $SRV4 2222
ok "... nor db1 over IPv6" cli_shut $INT1_6 22
ok "... nor can the other host" oth_shut $INT1 22

# Routed forwarding, no masquerading.
pat="accepted alice@example.com .* open tcp/22@db1 for $CLI4 .* to $INT1"
n=$(count_log "$pat")
ok "alice knocks for tcp/22@db1" knock_as alice -A tcp/22@db1 $SRV4
ok "... the gateway logs the forwarded grant" wait_log "$n" "$pat"
ok "... the client reaches db1's tcp/22 through the gateway" wait_for 3 cli_reach $INT1 22
ok "... the other host still cannot" oth_shut $INT1 22
ok "... the kernel holds one forward rule for it" test "$(fwd_grants)" -eq 1
ok "... sigknockd -G lists it with its destination" sh -c \
	"'$B/sigknockd' -c '$T/sigknockd.conf' -G | grep -q 'tcp/22@db1'"
ok "... and -G -j names the internal address" sh -c \
	"'$B/sigknockd' -c '$T/sigknockd.conf' -G -j | grep -q '\"address\": \"$INT1\"'"
ok "... the grants journal records it" grep -q "bound>db1=$INT1 tcp/22 " "$T/state/grants.journal"
ok "expiry closes it" wait_for 8 sh -c "! ip netns exec $NS_CLI '$TOOL' connect $INT1 22 300"
ok "... and the kernel holds no forwarded grant" wait_for 3 no_fwd_grants

# DNAT from a port of the gateway, no masquerading (db1 routes back).
pat="accepted alice@example.com .* open tcp/22@db1nat for $CLI4 .* to $INT1, 22 via 2222"
n=$(count_log "$pat")
ok "alice knocks for tcp/22@db1nat" knock_as alice -A tcp/22@db1nat $SRV4
ok "... accepted with its gateway port" wait_log "$n" "$pat"
ok "... the client reaches db1's tcp/22 at the gateway's tcp/2222" wait_for 3 cli_reach $SRV4 2222
ok "... the other host cannot" oth_shut $SRV4_OTH 2222
wait_for 8 no_fwd_grants

# DNAT with masquerading: int2 has no route to the outside.
ok "dave knocks for @web (its default ports)" knock_as dave -A @web $SRV4
ok "... the client reaches web's tcp/80 at the gateway's tcp/8080 (masqueraded)" \
	wait_for 3 cli_reach $SRV4 8080
ok "... the kernel holds its forward, DNAT and masquerade rules" test "$(fwd_grants)" -eq 3
ok "... the other host cannot" oth_shut $SRV4_OTH 8080
wait_for 8 no_fwd_grants

# Connect mode through the gateway's DNAT port: the hidden service's
# greeting comes back through sigknock -W.
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" --signer "$FPR_alice" --work 0 \
	-W $SRV4:2222 -A tcp/22@db1nat $SRV4 < /dev/null > "$T/w.out" 2>"$T/w.err"
ok "sigknock -W GATEWAY:2222 -A tcp/22@db1nat knocks and relays db1's service" \
	grep -q "hello from the hidden service" "$T/w.out"
wait_for 8 no_fwd_grants

# Connection tracking: a flow opened during the grant outlives it, as
# on the host itself; a new one after it is refused.  sigknock -W knocks,
# connects and relays: "two" is sent after the 3-second grant ended, and
# the echo of both comes back once its stdin ends (a half close).
(echo one; sleep 5; echo two) | GNUPGHOME=$T/users in_cli "$B/sigknock" \
	--server-key "$PUB" --signer "$FPR_alice" --work 0 \
	-W $INT1:7 -A tcp/7@echo1 $SRV4 > "$T/echo.out" 2>"$T/echo.err"
ok "a forwarded connection opened during the grant still carries data after it ended" \
	test "$(cat "$T/echo.out")" = "$(printf 'one\ntwo')"
ok "... while a new connection is refused" cli_shut $INT1 7

# Refusals.
n=$(count_log "destination web is not in Forward of \[gw-alice\]")
knock_as alice -A tcp/80@web $SRV4
ok "a destination outside alice's stanza is refused, with the reason" \
	wait_log "$n" "destination web is not in Forward of \[gw-alice\]"
n=$(count_log "tcp/23@db1 is not in Forward of \[gw-alice\]")
knock_as alice -A tcp/23@db1 $SRV4
ok "a port of db1 outside the stanza is refused" wait_log "$n" "tcp/23@db1 is not in Forward of \[gw-alice\]"
n=$(count_log "destination db1 is not in Forward of \[local\]")
knock_as erin -A tcp/22@db1 $SRV4
ok "a stanza without Forward refuses a destination" wait_log "$n" "destination db1 is not in Forward of \[local\]"
ok "... nothing was opened" no_fwd_grants

# IPv6 forwarding.
pat="accepted alice@example.com .* open tcp/22@db1 for $CLI6 .* to $INT1_6"
n=$(count_log "$pat")
ok "alice knocks over IPv6 for tcp/22@db1" knock_as alice -6 -A tcp/22@db1 $SRV6
ok "... accepted for her IPv6 address" wait_log "$n" "$pat"
ok "... the client reaches db1's IPv6 tcp/22" wait_for 3 cli_reach $INT1_6 22
wait_for 8 no_fwd_grants

# IPv6 DNAT, without and with masquerading.
ok "before a knock, the gateway's IPv6 tcp/2222 is shut" cli_shut $SRV6 2222
knock_as alice -6 -A tcp/22@db1nat $SRV6
ok "alice's IPv6 knock for tcp/22@db1nat: the gateway's [$SRV6]:2222 reaches db1" \
	wait_for 3 cli_reach $SRV6 2222
ok "... the other host cannot" oth_shut $SRV6_OTH 2222
knock_as dave -6 -A @web $SRV6
ok "dave's IPv6 knock for @web: [$SRV6]:8080 reaches web, masqueraded" \
	wait_for 3 cli_reach $SRV6 8080
wait_for 8 no_fwd_grants

# A live forwarded grant through a restart (adopted), and revocation.
alice_knock_long() { knock_as alice -A tcp/22@db1nat --timeout 5 $SRV4; }
n=$(count_log "accepted alice@example.com")
alice_knock_long
wait_log "$n" "accepted alice@example.com"
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "sigknockd restarts with a live forwarded grant" daemon_start
ok "... it adopted the grant's owner" grep -q "grant owner adopted" "$LOG"
ok "... the grant still works" cli_reach $SRV4 2222
n=$(count_log "closed the grant of alice@example.com")
ok "sigknockd -R alice closes her live forwarded grant" \
	"$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com
ok "... logged" wait_log "$n" "closed the grant of alice@example.com"
ok "... at once" wait_for 2 sh -c "! ip netns exec $NS_CLI '$TOOL' connect $SRV4 2222 300"

# The forward gate heals: someone removes it, and within a second it is
# back, with the live grant (10 s: the checks before the last take up to
# 5 s under valgrind).
knock_as alice -A tcp/22@db1nat --timeout 10 $SRV4
wait_for 3 cli_reach $SRV4 2222
n=$(count_log 'gate rebuilt')
if [ "$FW" = nftables ]; then
	ok "the gate snippet holds the gateway's part, and nft accepts it" \
		sh -c "grep -q 'chain forward' '$T/state/nftables-gate.nft' && ip netns exec $NS_SRV nft -c -f '$T/state/nftables-gate.nft'"
	in_srv nft flush ruleset
else
	ok "(the nftables snippet: nftables only)" true
	in_srv iptables-legacy -D FORWARD -j SIGKNOCK-FWD
	in_srv iptables-legacy -t nat -F SIGKNOCK-DNAT
fi
ok "after the forward gate was removed, it is rebuilt within a second" wait_log "$n" 'gate rebuilt'
ok "... the other host still cannot reach db1" oth_shut $INT1 22
ok "... and alice's live DNAT grant is back" wait_for 2 cli_reach $SRV4 2222
wait_for 8 no_fwd_grants

# Changing where a destination leads closes the grants made for it.
alice_knock_long
wait_for 3 cli_reach $SRV4 2222
n=$(count_log "closed the grant of alice@example.com for $CLI4: its gateway port changed")
sed -i "s/tcp\/22 via 2222/tcp\/22 via 2223/" "$T/access.conf"
kill -HUP "$pid_daemon"
ok "an access file whose via port changed closes the live grant, saying why" \
	wait_log "$n" "closed the grant of alice@example.com for $CLI4: its gateway port changed"
ok "... the old gateway port is shut" cli_shut $SRV4 2222
sed -i "s/tcp\/22 via 2223/tcp\/22 via 2222/" "$T/access.conf"
kill -HUP "$pid_daemon"
sleep 0.5
knock_as alice -A tcp/22@db1 --timeout 5 $SRV4
wait_for 3 cli_reach $INT1 22
n=$(count_log "closed the grant of alice@example.com for $CLI4: a port is no longer in the stanza's Forward")
sed -i "/^Forward    db1     $INT1 /d" "$T/access.conf"
kill -HUP "$pid_daemon"
ok "removing a Forward line closes the live grant made for it" \
	wait_log "$n" "closed the grant of alice@example.com for $CLI4: a port is no longer in the stanza's Forward"
ok "... db1 is shut again" cli_shut $INT1 22

# Revoking the user's key closes a live masqueraded DNAT grant.
knock_as dave -A @web --timeout 5 $SRV4
wait_for 3 cli_reach $SRV4 8080
"$B/sigknock-keys" -k "$T/keyring" revoke "$FPR_dave" >/dev/null 2>&1
ok "sigknock-keys revoke closes dave's live forwarded grant within 1 s" \
	wait_for 2 cli_shut $SRV4 8080
ok "... and the kernel holds none of its rules" wait_for 2 no_fwd_grants

# The daemon dead: the kernel closes forwarded grants at expiry.
alice_knock_long
wait_for 3 cli_reach $SRV4 2222
kill -KILL "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "with sigknockd SIGKILLed, the grant expires in the kernel" \
	wait_for 10 sh -c "! ip netns exec $NS_CLI '$TOOL' connect $SRV4 2222 300"

# A router's own forward policy of drop also decides: named at start.
if [ "$FW" = nftables ]; then
	in_srv nft -f - <<NFT
table inet router {
	chain pass { type filter hook forward priority 0; policy drop; }
}
NFT
	pat="nftables chain inet router pass (forward hook, policy drop) also decides"
else
	in_srv iptables-legacy -P FORWARD DROP
	pat="the iptables-legacy FORWARD policy is DROP: it also decides"
fi
ok "sigknockd starts on a router whose own forward policy is drop" daemon_start
ok "... and names that policy in a warning" grep -qF "$pat" "$LOG"
if [ "$FW" = nftables ]; then
	alice_knock_long
	ok "... where a grant through the gateway is dropped by that chain" \
		sh -c "sleep 1; ! ip netns exec $NS_CLI '$TOOL' connect $SRV4 2222 400"
	cmd=$(grep -o 'nft insert rule inet router pass meta mark and 0x[0-9a-f]* == 0x[0-9a-f]* accept' "$LOG" | tail -n 1)
	# shellcheck disable=SC2086 # $cmd is the command line, in words
	in_srv $cmd
	ok "... until the rule the warning gives is added ($cmd)" wait_for 3 cli_reach $SRV4 2222
	# A forward chain that drops by its last rule, not by its policy.
	in_srv nft -f - <<NFT
table inet router
delete table inet router
table inet router {
	chain pass { type filter hook forward priority 0; policy accept; drop; }
}
NFT
	kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
	n=$(count_log 'chain inet router pass (forward hook, its last rule drops) drops what a grant opens')
	ok "a router whose forward chain drops by its last rule: sigknockd starts" daemon_start
	ok "... and names that chain with the rule to add" \
		test "$(count_log 'chain inet router pass (forward hook, its last rule drops) drops what a grant opens: .*nft insert rule inet router pass meta mark')" -gt "$n"
else
	skip "nftables only: a mark for a host's forward chain"
	skip "nftables only: a mark for a host's forward chain"
	skip "nftables only: a forward chain's last rule"
	skip "nftables only: a forward chain's last rule"
fi
