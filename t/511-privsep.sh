#!/bin/sh
# Privilege separation (sigknockd(8), PRIVILEGE SEPARATION): the worker
# that reads datagrams runs unprivileged, confined and under seccomp; an
# attacker who took it over (the test hooks of a --enable-test-hooks
# build make it try) is killed or refused, and the monitor verifies every
# grant request itself before it applies its own policy.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables
PLAN=45
plan $PLAN
E2E_TIMEOUT=4 E2E_MAXAGE=60 e2e_setup
ok "sigknockd starts" daemon_start

worker_pid() { sed -n 's/.*worker started (pid \([0-9]*\),.*/\1/p' "$LOG" | tail -1; }
status_field() { awk -v f="$2:" '$1 == f { $1 = ""; print substr($0, 2) }' "/proc/$1/status"; }
W=$(worker_pid)
ok "the monitor started a worker" test -n "$W"
ok "... its child" test "$(awk '$1 == "PPid:" { print $2 }' "/proc/$W/status")" = "$pid_daemon"

# Its credentials and confinement, as the kernel reports them, once it
# has finished confining itself (the seccomp filter comes last; "worker
# started" is logged at the fork, and under valgrind the worker takes a
# while to get there).
wait_for 20 sh -c "[ \"\$(awk '\$1 == \"Seccomp:\" { print \$2 }' /proc/$W/status)\" = 2 ]"
uids=$(status_field "$W" Uid)
set -- $uids
ok "the worker runs as an unprivileged user (Uid: $uids)" \
	sh -c "[ $1 -ne 0 ] && [ $1 = $2 ] && [ $1 = $3 ] && [ $1 = $4 ]"
set -- $(status_field "$W" Gid)
ok "... and group" sh -c "[ $1 -ne 0 ] && [ $1 = $4 ]"
is "0000000000000000" "$(status_field "$W" CapEff)" "... with no effective capabilities"
is "0000000000000000" "$(status_field "$W" CapPrm)" "... and none permitted"
is "2" "$(status_field "$W" Seccomp)" "... under a seccomp filter"
is "1" "$(status_field "$W" NoNewPrivs)" "... with no_new_privs"
is "$T/state/empty" "$(readlink "/proc/$W/root")" "... in an empty root"
is "" "$(ls -A "$T/state/empty")" "... that is empty"
ok "the monitor stays root" test "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid_daemon/status")" = 0

n=$(count_log 'accepted alice')
knock -A tcp/22 >/dev/null 2>&1
ok "a knock opens through the worker and the monitor" wait_log "$n" "accepted alice@example.com"

if ! grep -q 'SK_TEST_HOOKS 1' "$B/config.h"; then
	for i in $(seq 14 $PLAN); do
		skip "built without --enable-test-hooks (the hooks attack the sandbox)"
	done
	exit 0
fi

# test_hook CMD: send "SKTEST CMD" to the knock port, as a datagram.
test_hook() {
	hook_datagram "$1" "$T/hook"
	in_cli "$TOOL" udp-send "$SRV4" 62201 "$T/hook" >/dev/null
}
# killed_by ATTACK SIGNAL: the worker dies of SIGNAL, the monitor says so
# and starts another.
killed_by() {
	_k_dead=$(count_log "was killed by signal $2")
	_k_started=$(count_log "worker started")
	test_hook "$1"
	wait_log "$_k_dead" "was killed by signal $2" &&
		wait_log "$_k_started" "worker started"
}
knock_opens() {
	_ko_n=$(count_log 'accepted alice')
	knock -A tcp/22 >/dev/null 2>&1 && wait_log "$_ko_n" "accepted alice@example.com"
}

# A crash leaves live grants and the replay cache alone.
n=$(count_log 'accepted alice')
knock -A tcp/22 --timeout 5 --save-packet "$T/live.pkt" >/dev/null 2>&1
wait_log "$n" "accepted alice@example.com"
# (AddressSanitizer's handler catches the SIGSEGV, then makes a system
# call the filter refuses: that worker dies of SIGSYS.)
segv=11
grep -q -- '-fsanitize=address' "$B/Makefile" && segv=31
ok "a worker that crashes (SIGSEGV) is logged and restarted" killed_by segv $segv
ok "... the grant made before is still open" can_connect $SRV4 22
n=$(count_log 'replayed request')
# Sent again while the new worker may still be starting (slow under the
# sanitizers): every send is a replay, any one refused will do.
replayed() {
	in_cli "$TOOL" udp-send "$SRV4" 62201 "$T/live.pkt" >/dev/null
	wait_for 3 sh -c "[ \$(grep -c 'replayed request' '$LOG') -gt $n ]"
}
replayed3() { replayed || replayed || replayed; }
ok "... and the knock replayed to the new worker is refused" replayed3

ok "open(/etc/shadow) kills the worker (SIGSYS), the monitor starts another" \
	killed_by open 31
ok "... and logs the signal and why" grep -q "worker (pid [0-9]*) was killed by signal 31 (Bad system call): a system call outside its seccomp allow-list" "$LOG"
ok "... and a knock right after still opens" knock_opens
ok "execve kills it" killed_by exec 31
ok "... a knock after opens" knock_opens
ok "a new socket kills it" killed_by socket 31
ok "... a knock after opens" knock_opens
sum_before=$(cat "$T/keyring/"* 2>/dev/null | cksum)
ok "writing into the keyring directory kills it" killed_by "write $T/keyring/pubring.kbx" 31
is "$sum_before" "$(cat "$T/keyring/"* 2>/dev/null | cksum)" "... and the keyring is unchanged"
ok "... a knock after opens" knock_opens

# Forged grant requests: what a worker under an attacker's control could
# send.  The monitor verifies the signature of each itself and checks it
# against its own keyring, policy and state.
forge() {	# FPR ADDR PORT TIMEOUT DIGEST, then the monitor's answer
	_f_n=$(count_log "monitor: refused the worker's grant request.*$6")
	test_hook "grant $1 $2 $3 $4 $5"
	wait_log "$_f_n" "monitor: refused the worker's grant request.*$6"
}
fresh() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
# A request within alice's authority (her port, an address the attacker
# chose), with no signature of hers: today's attack on the boundary.
n=$(count_log 'accepted alice')
ok "a forged request within alice's authority, without her signature, is refused" \
	forge "$FPR_alice" "$CLI4" tcp/443 5 "$(fresh)" "signature"
ok "... logged with the signer it names and the address it asked for" \
	grep -q "monitor: refused the worker's grant request by alice@example.com ($FPR_alice) for $CLI4: .*signature" "$LOG"
ok "... nothing opens" closed $SRV4 443
is "$n" "$(count_log 'accepted alice')" "... and nothing is accepted in her name"
ok "... one for a key the keyring does not hold" \
	forge "$FPR_carol" "$CLI4" tcp/22 3 "$(fresh)" "unknown"
ok "the refusals are counted" sh -c "'$B/sigknockd' -c '$T/sigknockd.conf' -S | grep -q '^monitor_refused [1-9]'"

# relay: a worker that checks nothing and passes on whatever a real
# datagram holds.  The monitor's own checks still refuse.
relay() {	# DATAGRAM-FILE, then the monitor's answer
	_r_n=$(count_log "monitor: refused the worker's grant request.*$2")
	printf 'SKTEST relay ' > "$T/relay"
	cat "$1" >> "$T/relay"
	in_cli "$TOOL" udp-send "$SRV4" 62201 "$T/relay" >/dev/null
	wait_log "$_r_n" "monitor: refused the worker's grant request.*$2"
}
knock --test --save-packet "$T/8080.pkt" -A tcp/8080 >/dev/null 2>&1
ok "alice's signed knock for a port outside Open, relayed, is refused" \
	relay "$T/8080.pkt" "tcp/8080 is not in Open"
knock --test --save-packet "$T/own.pkt" -a "$SRV4" -A tcp/22 >/dev/null 2>&1
ok "... one bound to the server's own address" \
	relay "$T/own.pkt" "an address of this server"
# The monitor keeps the host's addresses and lists them again when the
# kernel reports a change: one added after it listed them counts too,
# and one removed no longer does.
ip -n "$NS_SRV" addr add 10.77.1.9/32 dev skc
knock --test --save-packet "$T/own9.pkt" -a 10.77.1.9 -A tcp/22 >/dev/null 2>&1
ok "... one bound to an address the server got after its start" \
	relay "$T/own9.pkt" "10.77.1.9: an address of this server"
ip -n "$NS_SRV" addr del 10.77.1.9/32 dev skc
knock --test --save-packet "$T/own9b.pkt" -a 10.77.1.9 -A tcp/22 >/dev/null 2>&1
ok "... and once it is gone again, that is no longer the reason (the policy's is)" \
	relay "$T/own9b.pkt" "for 10.77.1.9: .*AllowAddresses does not hold it"
knock --test --save-packet "$T/loop.pkt" -a 127.0.0.1 -A tcp/22 >/dev/null 2>&1
ok "... one bound to a loopback address" \
	relay "$T/loop.pkt" "loopback"
ok "... a knock already granted (the monitor derives its digest itself)" \
	relay "$T/live.pkt" "replayed request"
n=$(count_log "signing key")
"$B/sigknock-keys" -k "$T/keyring" revoke "$FPR_erin" >/dev/null 2>&1
wait_log "$n" "signing key"
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" --signer "$FPR_erin" \
	--test --save-packet "$T/erin.pkt" -A tcp/22 $SRV4 >/dev/null 2>&1
ok "... a knock by a user revoked since (the monitor names her)" \
	relay "$T/erin.pkt" "revoked key of erin@example.com"
n=$(count_log "accepted alice@example.com .* open tcp/443 for $CLI4")
knock --test --save-packet "$T/good.pkt" -A tcp/443 >/dev/null 2>&1
printf 'SKTEST relay ' > "$T/relay"
cat "$T/good.pkt" >> "$T/relay"
in_cli "$TOOL" udp-send "$SRV4" 62201 "$T/relay" >/dev/null
ok "a knock alice signed, relayed unchecked, opens: the monitor's check is the whole check" \
	wait_log "$n" "accepted alice@example.com .* open tcp/443 for $CLI4"

# What the worker says is data: marked, escaped and capped.
n=$(count_log 'worker: ')
test_hook "log 2000 x
accepted mallory (0000) from 10.0.0.66: open tcp/22"
wait_log "$n" 'worker: x'
sleep 1
ok "a forged log line reaches the log marked as the worker's, its newline escaped" \
	grep -q 'worker: x\\x0aaccepted mallory' "$LOG"
ok "... never as a line of its own" sh -c "! grep -q '^[^ ]*: accepted mallory\|^accepted mallory' '$LOG'"
test_hook "stderr accepted eve (0000) from 10.0.0.66: written to stderr"
test_hook "log 1 after the stderr write"
wait_log 0 'worker: after the stderr write'
forged=$(grep -c 'accepted mallory' "$LOG")
ok "... and capped: $forged of 2000 lines logged, with a count of the rest" \
	sh -c "[ $forged -le 100 ] && grep -q '([0-9]* similar messages suppressed)' '$LOG'"
if grep -q 'SK_SANITIZERS 1' "$B/config.h"; then
	skip "a sanitizer build keeps the worker's stderr for the sanitizers' reports"
else
	ok "what the worker writes to its stderr reaches no log" sh -c "! grep -q 'written to stderr' '$LOG'"
fi

ok "the daemon is alive through all of it" daemon_alive
