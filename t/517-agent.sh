#!/bin/sh
# The session agent (sigknock-agent(1), PROTOCOL.md 4.3): one touch of a
# FIDO2 key, then ten knocks over a minute without one; a new touch after
# the delegation ends; the agent killed leaves only its dead socket; a
# stanza without Delegation, and a delegation longer than it allows, are
# refused; a port limit does not reach Forward destinations; the agent
# signs nothing dated off its clock; a FIDO2 delegation survives a restart
# and a direct knock made since, and the monitor refuses a forged sign
# counter; revoking the user ends delegated knocks within a second; a
# card signs one delegation (its signature counter rises once, one PIN).
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
. "$srcdir/t/lib-card.sh"
. "$srcdir/t/lib-fido.sh"
require_netns
require_cmd gpg nft
FW=nftables
E2E_USERS_EXTRA="key-fido, edcard@example.com"
E2E_ACCESS_EXTRA="Delegation 90
Forward    db1 10.77.200.5 tcp/22"
E2E_TIMEOUT=2

plan 42
e2e_setup
AGENT=$B/sigknock-agent
fido_start || bail "emulator"
fido_enroll key-fido "$T/cred" || bail "enroll"
"$B/sigknock-keys" -k "$T/keyring" add "$T/cred.pub" >/dev/null 2>&1 || bail "add"
ok "sigknockd starts" daemon_start

# agent NAME [OPTIONS...]: an agent in the foreground on $T/NAME/agent.
agent() {
	_n=$1; shift
	mkdir -p -m 700 "$T/$_n"
	"$AGENT" -d -v -a "$T/$_n/agent" "$@" 2>>"$T/$_n.log" &
	eval "pid_$_n=$!"
	test_cleanup "kill $! 2>/dev/null"
	wait_for 5 test -S "$T/$_n/agent"
}
# aknock NAME [SIGKNOCK OPTIONS...]: a knock signed by agent NAME.
aknock() {
	_n=$1; shift
	in_cli env SIGKNOCK_AGENT_SOCK="$T/$_n/agent" "$B/sigknock" \
		--server-key "$PUB" --work 0 "$@" $SRV4
}
fido="--token fido2 --credential $T/cred --fido-device $FIDO_DEV"
deleg='accepted key-fido (fido2:[0-9A-F]*) by delegation'

ok "an agent starts with the FIDO2 key" agent a1 $fido -t 85
ok "... its socket is its user's only (0600)" test "$(stat -c %a "$T/a1/agent")" = 600
c0=$(touches); n=$(count_log "$deleg")
ok "the first knock through the agent" aknock a1 -A tcp/22
ok "... is accepted as a delegated knock of key-fido" wait_log "$n" "$deleg"
is "$(touches)" "$((c0 + 1))" "... for one touch (the delegation)"
ok "... and opens the port" wait_for 2 can_connect $SRV4 22
i=0 bad=0
while [ $i -lt 10 ]; do
	sleep 5
	aknock a1 -A tcp/443 || bad=$((bad + 1))
	i=$((i + 1))
done
is "$bad" 0 "ten more knocks over a minute are sent"
ok "... all ten accepted" wait_for 5 sh -c "[ \$(grep -c '$deleg' '$LOG') -ge $((n + 11)) ]"
is "$(touches)" "$((c0 + 1))" "... without another touch"
ok "... the last one opened tcp/443" wait_for 2 can_connect $SRV4 443

# -D: forgotten at once; the next knock costs a touch.
ok "sigknock-agent -D makes it forget its key" env SIGKNOCK_AGENT_SOCK="$T/a1/agent" "$AGENT" -D
c0=$(touches)
aknock a1 -A tcp/22
is "$(touches)" "$((c0 + 1))" "... the next knock asks the security key again"

# The delegation's end: a new touch.
agent a2 $fido -t 6
c0=$(touches)
aknock a2 -A tcp/22; aknock a2 -A tcp/22
is "$(touches)" "$((c0 + 1))" "a 6-second delegation: two knocks, one touch"
sleep 7
aknock a2 -A tcp/22
is "$(touches)" "$((c0 + 2))" "... after its end, the next knock makes a new one (a touch)"

# A delegation that has ended (made 120 s ago for 60 s, through a test
# hook of the agent): refused, with the reason.
if grep -q 'SK_TEST_HOOKS 1' "$B/config.h"; then
	SK_TEST_AGENT_BACKDATE=120 agent a9 $fido -t 60
	n=$(count_log 'delegation expired')
	aknock a9 -A tcp/22
	ok "a server refuses a delegation that has ended, saying when" \
		wait_log "$n" "delegation expired 6[0-9] s ago"
else
	skip "built without --enable-test-hooks (the agent dates a delegation back through one)"
fi

# Killed mid-session: nothing on disk but its socket, which is dead.
kill -KILL "$pid_a2"; wait "$pid_a2" 2>/dev/null
ok "a killed agent leaves nothing in its directory but the socket" \
	sh -c "[ \"\$(ls -A '$T/a2')\" = agent ] && [ -S '$T/a2/agent' ]"
c0=$(touches)
aknock a2 -A tcp/22 > "$T/o" 2>&1; rc=$?
ok "... a knock through it fails, saying so (exit 1)" \
	sh -c "[ $rc -eq 1 ] && grep -q 'cannot reach the agent at' '$T/o'"
is "$(touches)" "$c0" "... and does not fall back to the security key"

# The stanza decides: no Delegation, or a shorter one.
sed -i '/^Delegation/d' "$T/access.conf"
kill -HUP "$pid_daemon"
sleep 0.5
n=$(count_log 'does not accept delegated knocks')
aknock a1 -A tcp/22
ok "a stanza without Delegation refuses a delegated knock, saying why" \
	wait_log "$n" "\[admins\] does not accept delegated knocks (no Delegation)"
in_cli env SIGKNOCK_AGENT_SOCK="$T/a1/agent" "$B/sigknock" --server-key "$PUB" \
	--work 0 -W $SRV4:443 --connect-timeout 2 $SRV4 < /dev/null > "$T/o" 2>&1; rc=$?
ok "-W through the agent to such a server fails (exit 3) naming the agent and Delegation" \
	sh -c "[ $rc -eq 3 ] && grep -q \"signed by sigknock-agent's delegated key: a server accepts that only where its stanza allows Delegation\" '$T/o'"
echo "Delegation 90" >> "$T/access.conf"
kill -HUP "$pid_daemon"
sleep 0.5
agent a3 $fido -t 1h
n=$(count_log 'is longer than Delegation')
aknock a3 -A tcp/22
ok "a delegation of an hour is refused where Delegation is 90 s" \
	wait_log "$n" "a delegation of 3600 s is longer than Delegation 90 s of \[admins\]"
# Limits: the agent signs nothing outside them (and a server would
# refuse it: deleg_allows, t/015).
agent a4 $fido -t 60 --ports tcp/443
n=$(count_log 'accepted')
aknock a4 -A tcp/22 > "$T/o" 2>&1; rc=$?
ok "a delegation limited to tcp/443 does not open tcp/22: the agent refuses to sign" \
	sh -c "[ $rc -eq 1 ] && grep -q 'outside this agent.s limits' '$T/o' && [ \$(grep -c accepted '$LOG') -eq $n ]"

agent a7 $fido -t 60 --servers "$PUB"
n=$(count_log "$deleg")
aknock a7 -A tcp/22
ok "a delegation limited to this server's key is accepted here" wait_log "$n" "$deleg"
"$B/sigknock-keys" init-server -o "$T/other.key" > "$T/other.pub" 2>/dev/null
agent a8 $fido -t 60 --servers "$(cat "$T/other.pub")"
aknock a8 -A tcp/22 > "$T/o" 2>&1; rc=$?
ok "... one limited to another server's is refused" \
	sh -c "[ $rc -eq 1 ] && grep -q 'outside this agent.s limits' '$T/o'"

# A port limit is the server's own ports': no destination unless named.
agent a10 $fido -t 60 --ports tcp/22
aknock a10 -A tcp/22@db1 > "$T/o" 2>&1; rc=$?
ok "a delegation limited to tcp/22 does not sign tcp/22 on a Forward destination" \
	sh -c "[ $rc -eq 1 ] && grep -q 'outside this agent.s limits' '$T/o'"
n=$(count_log "$deleg")
aknock a10 -A tcp/22
ok "... while tcp/22 of the server itself opens" wait_log "$n" "$deleg"
# The agent's clock: a request dated ahead would outlive the agent.
aknock a10 --time-offset 30 -A tcp/22 > "$T/o" 2>&1; rc=$?
ok "the agent refuses to sign a request dated 30 s ahead" \
	sh -c "[ $rc -eq 1 ] && grep -q 'dated 30 s from this agent.s clock' '$T/o'"

# FIDO2 delegations and sign counters (sigknockd(8), FILES): a
# delegation's counter is checked once, when first seen, against what
# was recorded before it was made; it stays good across a restart and
# after direct knocks made since.
direct='accepted key-fido (fido2:[0-9A-F]*) from'
agent a11 $fido -t 80
n=$(count_log "$deleg")
aknock a11 -A tcp/22
wait_log "$n" "$deleg"
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
daemon_start || bail "sigknockd did not restart"
n=$(count_log "$deleg")
aknock a11 -A tcp/443
ok "a FIDO2 delegation is still accepted after sigknockd restarts" wait_log "$n" "$deleg"
agent a12 $fido -t 80
# Made (one touch) and first sent to another server, ...
in_cli env SIGKNOCK_AGENT_SOCK="$T/a12/agent" "$B/sigknock" \
	--server-key "$(cat "$T/other.pub")" --work 0 -A tcp/22 $SRV4 >/dev/null 2>&1
n=$(count_log "$direct")
knock $fido --work 0 -A tcp/22 >/dev/null 2>&1
ok "... a direct knock of key-fido since then is accepted (a higher counter)" \
	wait_log "$n" "$direct"
n=$(count_log "$deleg")
aknock a12 -A tcp/22
ok "... and the delegation, made before it, is accepted at its first use here" \
	wait_log "$n" "$deleg"
is "$(grep -c 'cloned security key' "$LOG")" 0 "no knock of key-fido was taken for a cloned key's"
if grep -q 'SK_TEST_HOOKS 1' "$B/config.h"; then
	# A worker under an attacker's control forges key-fido's request with
	# sign counter 0xffffffff: were it recorded, the real key would be
	# refused as cloned from then on.
	hook_datagram "grant-fido2 key-fido $CLI4 tcp/22" "$T/hook"
	n=$(count_log "monitor: refused the worker's grant request by key-fido")
	in_cli "$TOOL" udp-send "$SRV4" 62201 "$T/hook" >/dev/null
	ok "a forged FIDO2 request carrying sign counter 0xffffffff is refused by the monitor" \
		wait_log "$n" "monitor: refused the worker's grant request by key-fido .*: bad signature"
	n=$(count_log "$direct")
	knock $fido --work 0 -A tcp/22 >/dev/null 2>&1
	ok "... and key-fido's next real knock is accepted" wait_log "$n" "$direct"
else
	skip "built without --enable-test-hooks (the worker forges through one)"
	skip "built without --enable-test-hooks (the worker forges through one)"
fi

# Revocation: alice's soft key delegates (gpg token); revoked, her
# delegated knocks stop within a second.
agent a5 --token gpg --signer "$FPR_alice" -t 60
export GNUPGHOME="$T/users"
n=$(count_log 'accepted alice@example.com .* by delegation')
aknock a5 -A tcp/22
ok "an OpenPGP key delegates too (alice, through GnuPG)" \
	wait_log "$n" 'accepted alice@example.com .* by delegation'
"$B/sigknock-keys" -k "$T/keyring" revoke "$FPR_alice" >/dev/null 2>&1
sleep 1.2
n=$(count_log 'delegated by the revoked key of alice@example.com')
aknock a5 -A tcp/22
ok "after sigknock-keys revoke, her delegated knock is refused within 1 s" \
	wait_log "$n" 'delegated by the revoked key of alice@example.com'

# A card: one PIN and one card signature for several knocks.
if [ -e "$VPCD_DRIVER" ] && [ -x /usr/lib/gnupg/scdaemon ] && command -v pcscd >/dev/null; then
	card_pcscd || bail "private pcscd"
	ED="Virtual PCD 00 00"
	card_insert ed 40001 --serial CAFE0001 || bail "card"
	card_gpg_home "$T/edu" "$ED"
	FPR_ed=$(gpg_genkey "edcard <edcard@example.com>" ed25519 sign) || bail "edcard key"
	gpg --export edcard@example.com > "$T/edcard.pgp"
	card_keytocard "$FPR_ed" CAFE0001 || bail "keytocard"
	"$B/sigknock-keys" -k "$T/keyring" add "$T/edcard.pgp" >/dev/null 2>&1
	card_pinentry "123456"
	counter() { "$B/sigknock-token" status --reader "$ED" 2>/dev/null | sed -n 's/^signature counter .: //p'; }
	sleep 1.5
	c0=$(counter)
	SIGKNOCK_PINENTRY="$T/pinentry" agent a6 --token card --reader "$ED" -t 60
	n=$(count_log 'accepted edcard@example.com .* by delegation')
	aknock a6 -A tcp/22; aknock a6 -A tcp/443; aknock a6 -A tcp/22
	ok "a card's delegation: three knocks accepted" \
		wait_for 5 sh -c "[ \$(grep -c 'accepted edcard@example.com .* by delegation' '$LOG') -ge $((n + 3)) ]"
	is "$(counter)" "$((c0 + 1))" "... the card's signature counter rose once"
	is "$(grep -c 'PIN for card' "$T/pinentry.log")" 1 "... one PIN asked"
else
	for i in 1 2 3; do skip "needs pcscd, vpcd and scdaemon for the card"; done
fi

# Started as one would: in the background, printing what to eval.
mkdir -m 700 "$T/xdg"
XDG_RUNTIME_DIR=$T/xdg "$AGENT" $fido > "$T/env" 2>/dev/null
. "$T/env" > /dev/null
test_cleanup "kill $SIGKNOCK_AGENT_PID 2>/dev/null"
ok "in the background, it prints SIGKNOCK_AGENT_SOCK and SIGKNOCK_AGENT_PID to eval" \
	sh -c "[ -S '$SIGKNOCK_AGENT_SOCK' ] && kill -0 $SIGKNOCK_AGENT_PID"
ok "... in a directory of its own under XDG_RUNTIME_DIR (0700)" \
	test "$(stat -c %a "$(dirname "$SIGKNOCK_AGENT_SOCK")")" = 700
d=$(dirname "$SIGKNOCK_AGENT_SOCK")
"$AGENT" -k > /dev/null
ok "sigknock-agent -k stops it, and its directory goes" wait_for 3 sh -c "! test -e '$d'"
