#!/bin/sh
# Floods from fresh prefixes (PROTOCOL.md section 5): a source with an
# accepted knock is remembered in StateDir/known and its next knock goes
# through a named flood that comes from a fresh random /24 for every
# datagram, also after a restart; a stranger's knock with work is counted
# in the work lane; work that does not check is counted as none.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables
E2E_IFACE=any E2E_TIMEOUT=2
plan 15
e2e_setup
ok "sigknockd starts" daemon_start
counter() { "$B/sigknockd" -c "$T/sigknockd.conf" -S | sed -n "s/^$1 //p"; }
flood() {	# flood SECONDS: named, a fresh /24 per datagram, from "other"
	in_oth "$TOOL" flood -s fresh $SRV4_OTH 62201 named "$1" "$PUB" "$FPR_alice" > "$T/flood.out" &
	pid_flood=$!
	test_cleanup "kill $pid_flood 2>/dev/null"
}

# Alice's knock (no work) and a connection to what it opened.
knock_in() {
	knock -A tcp/22 --work 0 2>/dev/null && in_cli "$TOOL" connect $SRV4 22 3000
}

pat="accepted alice@example.com .* open tcp/22 for $CLI4"
n=$(count_log "$pat")
ok "alice knocks (no flood yet)" knock -A tcp/22 --work 0
ok "... accepted" wait_log "$n" "$pat"
own=$(echo "$FPR_alice" | cut -c1-16 | tr 'A-F' 'a-f')
ok "her address is appended to StateDir/known.journal, as hers (her primary key's first 8 bytes)" \
	wait_for 2 grep -q "^$CLI4 [0-9]* $own$" "$T/state/known.journal"
ok "... not by rewriting the whole list (StateDir/known, written at start)" \
	sh -c "! grep -q '^$CLI4 ' '$T/state/known'"
ok "... both written 0600" test "$(stat -c %a "$T/state/known")$(stat -c %a "$T/state/known.journal")" = 600600
wait_for 6 no_grants

k0=$(counter known_lane)
flood 6
sleep 1
n=$(count_log "$pat")
ok "during a named flood from a fresh /24 per datagram, her knock (no work) gets in" knock_in
ok "... the daemon accepted it" wait_log "$n" "$pat"
wait $pid_flood
ok "... through the known lane" test "$(counter known_lane)" -gt "$k0"
ok "... the flood was real ($(cut -d' ' -f2 "$T/flood.out") datagrams/s)" test "$(cut -d' ' -f1 "$T/flood.out")" -gt 10000
wait_for 6 no_grants

kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "sigknockd restarts" daemon_start
flood 5
sleep 1
n=$(count_log "$pat")
ok "after the restart, still known: her knock gets in through the flood" knock_in
wait $pid_flood
wait_for 6 no_grants

# Work from a stranger's point of view: the "other" host, never accepted.
w0=$(counter work)
GNUPGHOME=$T/users in_oth "$B/sigknock" --server-key "$PUB" -A tcp/22 --work 12 --resend none $SRV4_OTH 2>/dev/null
ok "a knock with 12 bits of work (--resend none: on its only datagram) is counted in the work lane" wait_for 3 sh -c "[ \$('$B/sigknockd' -c '$T/sigknockd.conf' -S | sed -n 's/^work //p') -gt $w0 ]"
GNUPGHOME=$T/users in_oth "$B/sigknock" --server-key "$PUB" -A tcp/22 --work 12 --test \
	--save-packet "$T/w.pkt" -s $SRV4_OTH >/dev/null 2>&1
# The nonce (bytes 8..15 of the trailer) changed: it proves nothing.
len=$(stat -c %s "$T/w.pkt")
"$TOOL" flip "$T/w.pkt" $((len - 24 + 15)) "$T/w2.pkt"
r0=$(counter work_refused)
in_oth "$TOOL" udp-send $SRV4_OTH 62201 "$T/w2.pkt"
ok "work that does not check is counted as none" wait_for 3 sh -c "[ \$('$B/sigknockd' -c '$T/sigknockd.conf' -S | sed -n 's/^work_refused //p') -gt $r0 ]"
c0=$(counter duplicate)
in_oth "$TOOL" udp-send $SRV4_OTH 62201 "$T/w.pkt"
in_oth "$TOOL" udp-send $SRV4_OTH 62201 "$T/w.pkt"
ok "a second copy of a worked datagram is a duplicate, dropped before any public-key work" \
	wait_for 3 sh -c "[ \$('$B/sigknockd' -c '$T/sigknockd.conf' -S | sed -n 's/^duplicate //p') -gt $c0 ]"
