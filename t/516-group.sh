#!/bin/sh
# One touch, many knocks (PROTOCOL.md 3.4): a request signed once for a
# set of servers opens five servers, each with its own server key, its
# own sigknockd and its own keyring, with one assertion of the FIDO2
# emulator; a server outside the signed set refuses the same request.
#
#   client 10.79.0.2 (on lo: the one address all servers see)
#     gi1..gi5 --- 10.79.i.1 server i (i = 1..5, each its own namespace)
#     gi6 10.79.6.2 --- 10.79.6.1 server 6 (not in the set; the client
#                                  reaches it from another address)
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-fido.sh"
require_netns
require_cmd nft

B=$top_builddir
TOOL="$B/t/helper/sk-test-tool"
plan 20
test_tmpdir
T=$tap_tmp

tag=sk$$g
NS_CLI=${tag}c
ip netns add "$NS_CLI" || bail "netns"
test_cleanup "ip netns delete $NS_CLI"
ip -n "$NS_CLI" link set lo up
ip -n "$NS_CLI" addr add 10.79.0.2/32 dev lo
for i in 1 2 3 4 5 6; do
	ns=${tag}$i
	ip netns add "$ns" || bail "netns $i"
	test_cleanup "ip netns delete $ns"
	ip -n "$ns" link set lo up
	ip link add gi$i netns "$NS_CLI" type veth peer name eth0 netns "$ns" || bail "veth $i"
	ip -n "$ns" addr add 10.79.$i.1/24 dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$NS_CLI" link set gi$i up
	if [ $i -le 5 ]; then
		ip -n "$NS_CLI" route add 10.79.$i.1/32 dev gi$i src 10.79.0.2
		ip -n "$ns" route add 10.79.0.2/32 dev eth0
	else
		ip -n "$NS_CLI" addr add 10.79.6.2/24 dev gi6
	fi
done
in_s() { _i=$1; shift; ip netns exec "${tag}$_i" "$@"; }

# The security key, and its credential enrolled once.
fido_start || bail "emulator"
fido_enroll key-fido "$T/cred" || bail "enroll"

# Six servers: their own key, keyring, access file, state, daemon.
for i in 1 2 3 4 5 6; do
	"$B/sigknock-keys" init-server -o "$T/s$i.key" > "$T/s$i.pub" 2>/dev/null || bail "key $i"
	"$B/sigknock-keys" -k "$T/kr$i" add "$T/cred.pub" >/dev/null 2>&1 || bail "keyring $i"
	printf '[fido]\nUsers key-fido\nOpen tcp/22\nTimeout 3\n' > "$T/access$i.conf"
	cat > "$T/d$i.conf" <<EOT
Interface    eth0
Port         62201
ServerKey    $T/s$i.key
Keyring      $T/kr$i
AccessFile   $T/access$i.conf
Firewall     nftables
StateDir     $T/state$i
PidFile      $T/d$i.pid
EOT
	: > "$T/d$i.log"
	bg_start svc$i "${tag}$i" "$TOOL" listen 0.0.0.0 22
	bg_start d$i "${tag}$i" "$B/sigknockd" -c "$T/d$i.conf" -d 2>>"$T/d$i.log"
done
for i in 1 2 3 4 5 6; do
	wait_for 10 grep -q 'listening on' "$T/d$i.log" || bail "sigknockd $i"
done

{
	for i in 1 2 3 4 5 6; do
		printf '[s%d]\nServer 10.79.%d.1\nServerKey %s\n' $i $i "$(cat "$T/s$i.pub")"
	done
	cat <<EOT
[fleet]
Servers s1 s2 s3 s4 s5
[wide]
Servers s1 s6
[lost]
Servers s1 s2 nokey
[nokey]
Server 10.79.2.1
[*]
Token      fido2
Credential $T/cred
FidoDevice $FIDO_DEV
Access     tcp/22
Work       8
EOT
} > "$T/rc"
chmod 600 "$T/rc"
sk() { in_cli "$B/sigknock" --rc "$T/rc" "$@"; }
reach() { in_cli "$TOOL" connect 10.79.$1.1 22 400; }
shut() { ! reach "$1"; }
accepted() { grep -c 'accepted key-fido' "$T/d$1.log" || true; }
all_shut() { for i in 1 2 3 4 5; do shut $i || return 1; done; }

ok "before a knock, none of the five servers' tcp/22 is reachable" all_shut

c0=$(touches)
for i in 1 2 3 4 5; do eval "n$i=\$(accepted $i)"; done
ok "sigknock fleet (Servers s1 s2 s3 s4 s5) knocks" sk --work 0 --save-packet "$T/p" fleet
for i in 1 2 3 4 5; do
	eval "n=\$n$i"
	ok "server $i logs its grant" wait_for 5 sh -c "[ \$(grep -c 'accepted key-fido' '$T/d$i.log') -gt $n ]"
done
ok "the client reaches tcp/22 on all five" sh -c \
	"for i in 1 2 3 4 5; do ip netns exec $NS_CLI '$TOOL' connect 10.79.\$i.1 22 400 || exit 1; done"
is "$(touches)" "$((c0 + 1))" "... with one touch of the security key: one assertion for five servers"

# Server 6 holds none of the set: the same request sealed to it is
# refused at the server binding, with the reason.
"$TOOL" redirect "$T/s1.key" "$T/p.1" "$(cat "$T/s6.pub")" "$T/p6" || bail "redirect"
in_cli "$TOOL" udp-send 10.79.6.1 62201 "$T/p6"
ok "a server outside the signed set refuses the request, naming the set" \
	wait_for 3 grep -q 'bound to a set of 5 servers that does not hold this server' "$T/d6.log"
ok "... and opens nothing" sh -c "! ip netns exec $NS_CLI '$TOOL' connect 10.79.6.1 22 400"

# Servers on the command line, and the errors that cost no touch.
c0=$(touches); n=$(accepted 3)
ok "sigknock s2 s3 (two servers on the command line) knocks both" sk s2 s3
ok "... server 3 logs its grant" wait_for 5 sh -c "[ \$(grep -c 'accepted key-fido' '$T/d3.log') -gt $n ]"
is "$(touches)" "$((c0 + 1))" "... with one touch"
c0=$(touches)
sk wide > "$T/o" 2>&1
ok "a group whose servers see two different client addresses is refused" \
	grep -q 'one signature binds one address, and s1 sees you as 10.79.0.2, s6 as 10.79.6.2' "$T/o"
sk lost > "$T/o" 2>&1
ok "a group with a member that has no ServerKey is refused, naming it" \
	grep -q 'nokey: no server key' "$T/o"
is "$(touches)" "$c0" "... neither cost a touch"
sk --test fleet > "$T/o" 2>&1
ok "--test shows each datagram as one of a set of 5" \
	sh -c "[ \$(grep -c 'set:        5 servers, one signature' '$T/o') -eq 5 ]"
c0=$(touches)
sk -W 10.79.4.1:22 fleet < /dev/null > "$T/w.out" 2>"$T/w.err"
ok "sigknock -W 10.79.4.1:22 fleet knocks the five and relays server 4's service" \
	grep -q "hello from the hidden service" "$T/w.out"
is "$(touches)" "$((c0 + 1))" "... with one touch"
