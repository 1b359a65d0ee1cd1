#!/bin/sh
# Nobody locks a user out by forging her address: datagrams that pass
# mac1, forged from alice's own address at 200 a second and as
# fast as one core sends them, while she knocks 10 times with the real
# client and its defaults (copies at 0.3 s and 1 s, the copies with
# work).  Before the fix a per-source limit dropped all her knocks at 20
# a second.  Her copies are duplicates, not refusals, in the log.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables
E2E_IFACE=any E2E_TIMEOUT=5 E2E_MAXAGE=120
E2E_OPEN=$(i=1; while [ $i -le 20 ]; do printf 'tcp/%d, ' $((2200 + i)); i=$((i + 1)); done; echo tcp/22)
plan 14
e2e_setup
ok "sigknockd starts" daemon_start
counter() { "$B/sigknockd" -c "$T/sigknockd.conf" -S | sed -n "s/^$1 //p"; }
accepted() { count_log "accepted alice@example.com .* for $CLI4"; }
# at_least N: wait (5 s) until alice has N accepted knocks in the log.
at_least() { wait_for 5 sh -c "[ \$(grep -c 'accepted alice@example.com .* for $CLI4' '$LOG') -ge $1 ]"; }

# A quiet knock: one grant, its copies counted as duplicates, no refusal.
r0=$(count_log 'refused from')
d0=$(counter duplicate)
n=$(accepted)
ok "alice knocks (no flood)" knock -A tcp/22
ok "... accepted once" at_least $((n + 1))
sleep 1.5
ok "her two copies are duplicates ($(counter duplicate) - $d0)" \
	test "$(counter duplicate)" -eq $((d0 + 2))
ok "... not refusals in the log" test "$(count_log 'refused from')" -eq "$r0"
ok "... and nothing more was accepted" test "$(accepted)" -eq $((n + 1))

# trickle RATE|max SECONDS: sealed datagrams forged from alice's address,
# from the other namespace through a raw socket, no two alike (so that
# none is dropped as a duplicate: each costs an X25519).
trickle() {
	_r=; [ "$1" = max ] || _r="-r $1"
	# shellcheck disable=SC2086 # $_r is two words or none
	in_oth "$TOOL" flood -f $CLI4 $_r -u $SRV4_OTH 62201 named "$2" "$PUB" "$FPR_alice" > "$T/flood.out" &
	pid_flood=$!
	test_cleanup "kill $pid_flood 2>/dev/null"
}
# ten_knocks BASE: alice knocks for tcp/BASE+1 .. BASE+10, 0.5 s apart;
# prints how many were accepted (each port once).
ten_knocks() {
	i=1
	while [ $i -le 10 ]; do
		knock -A tcp/$(($1 + i)) 2>/dev/null
		sleep 0.5
		i=$((i + 1))
	done
	sleep 1.5
	i=1 got=0
	while [ $i -le 10 ]; do
		grep -q "accepted alice@example.com .* open tcp/$(($1 + i)) for $CLI4" "$LOG" && got=$((got + 1))
		i=$((i + 1))
	done
	echo $got
}

trickle 200 14
sleep 0.5
got=$(ten_knocks 2200)
wait $pid_flood
sent=$(cut -d' ' -f1 "$T/flood.out")
ok "a 200/s trickle forged from her address ran ($sent sent)" test "$sent" -gt 1500
is 10 "$got" "... and all 10 of her knocks were accepted"
ok "the forgeries were refused at decryption, not before it" \
	test "$(counter decrypt)" -gt 1500

trickle max 14
sleep 0.5
s0=$(counter received)
got=$(ten_knocks 2210)
wait $pid_flood
rate=$(cut -d' ' -f2 "$T/flood.out")
ok "a forgery from her address as fast as one core sends ran ($rate/s)" test "$rate" -gt 20000
ok "... at least 8 of her 10 knocks were accepted ($got)" test "$got" -ge 8
ok "... her copies with work went through the work lane" test "$(counter work)" -gt 0
ok "the daemon is alive and counted the flood ($(($(counter received) - s0)) datagrams)" \
	test $(($(counter received) - s0)) -gt 100000
ok "no lockout: nothing is refused for a per-source rate" test "$(count_log 'per-source')" -eq 0
