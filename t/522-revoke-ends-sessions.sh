#!/bin/sh
# Revocation, and sigknockd -R, end the ssh sessions made under the
# user's grants: the firewall accepts established flows of protected
# ports, so before this an ssh session opened under a grant outlived the
# revocation.  Its connection-tracking entries are deleted; the next
# packet meets the gate, which no longer has the grant.  Sessions of
# grants that already expired end on revocation too, from the sources
# the daemon recorded as the user's.  With
# KillConnections no, sessions stay.  A real sshd and ssh, in namespaces.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
require_sshd
FW=nftables
E2E_TIMEOUT=5 E2E_NO_SERVICE=1
plan 14
e2e_setup
sshd_start || bail "sshd"
ok "sigknockd starts" daemon_start
ssh_config server > "$T/ssh_config"

# session NAME: alice knocks, then an ssh session that prints a line
# every 100 ms into $T/NAME.out, in the background.
session() {
	knock -A tcp/22 --resend none 2>/dev/null || return 1
	wait_for 2 can_connect $SRV4 22 || return 1
	# ip netns exec execs ssh: $! is ssh's own PID, ended at exit (in a
	# function run in the background, $! would be the subshell's, and
	# the ssh client, whose connection the server ends silently, would
	# outlive the test).
	ip netns exec "$NS_CLI" ssh -F "$T/ssh_config" server \
		'while :; do date +%s%N; sleep 0.1; done' > "$T/$1.out" 2>>"$T/ssh.err" &
	eval "pid_$1=$!"
	test_cleanup "kill $! 2>/dev/null"
	wait_for 5 test -s "$T/$1.out"
}
# alive NAME: its output still grows; stopped NAME: it does not.
alive() { _a=$(wc -l < "$T/$1.out"); sleep 0.5; [ "$(wc -l < "$T/$1.out")" -gt "$_a" ]; }
stopped() { ! alive "$1"; }
# revoke_alice PATTERN: revoke alice; the log says PATTERN.
revoke_alice() {
	_r_n=$(count_log "$1")
	"$B/sigknock-keys" -k "$T/keyring" revoke alice@example.com > /dev/null 2>&1
	wait_log "$_r_n" "$1"
}
unrevoke_alice() {
	"$B/sigknock-keys" -k "$T/keyring" unrevoke alice@example.com > /dev/null 2>&1
	sleep 1.5
}

ok "an ssh session through alice's grant runs" session s1
ok "revoking alice closes her grant and ends the connection made under it" \
	revoke_alice "closed the grant of alice@example.com for $CLI4: the key was revoked or removed; ended [0-9]* connections* made under it"
sleep 1
ok "... and her session stops within a second" stopped s1
ok "... and stays stopped" sh -c "! ip netns exec $NS_CLI $TOOL connect $SRV4 22 400"
unrevoke_alice

ok "a new session after unrevoke runs" session s2
n=$(count_log "closed on request.*ended [0-9]* connection")
"$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com > /dev/null 2>&1
ok "sigknockd -R ends it too" wait_log "$n" "closed on request.*ended [0-9]* connection"
sleep 1
ok "... the session stops" stopped s2

# A session whose grant has expired: revocation ends it through the
# sources the daemon recorded as alice's.
ok "a session whose grant then expires" session s4
wait_for 8 no_grants
ok "... goes on after the expiry (by design)" alive s4
ok "revoking alice ends it, from the addresses she knocked from" \
	revoke_alice 'ended [0-9]* connections* from the addresses alice@example.com knocked from'
sleep 1
ok "... the session stops" stopped s4
unrevoke_alice

echo "KillConnections no" >> "$T/sigknockd.conf"
n=$(count_log 'reloaded; ')
kill -HUP "$pid_daemon"
wait_log "$n" 'reloaded; '
ok "with KillConnections no, a session" session s3
"$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com > /dev/null 2>&1
sleep 1
ok "... outlives -R" alive s3
