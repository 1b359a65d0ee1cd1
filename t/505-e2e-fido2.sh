#!/bin/sh
# FIDO2 end to end (root, network namespaces, nftables): the in-tree
# authenticator (t/helper/sk-fido2-emu, CTAPHID over a Unix socket) is the
# only emulated part; enrollment and signing go through the real libfido2,
# the server verifies in process.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables
E2E_USERS_EXTRA="key-es256, key-eddsa"

plan 36
e2e_setup
EMU=$B/t/helper/sk-fido2-emu
DEV=unix:$T/fido.sock

# emu [KNOBS...]: (re)start the authenticator on $T/fido.sock, state kept.
emu() {
	[ -n "${pid_emu:-}" ] && { kill "$pid_emu"; wait "$pid_emu"; } 2>/dev/null
	rm -f "$T/fido.sock"
	"$EMU" --socket "$T/fido.sock" --state "$T/fido.state" "$@" &
	pid_emu=$!
	test_cleanup "kill $pid_emu 2>/dev/null"
	wait_for 5 test -S "$T/fido.sock"
}
token() { "$B/sigknock-token" --fido-device "$DEV" "$@"; }
# fknock CRED [OPTIONS...]: a FIDO2 knock from the client namespace.
fknock() {
	_c=$1; shift
	in_cli "$B/sigknock" --server-key "$PUB" --token fido2 \
		--credential "$_c" --fido-device "$DEV" "$@" $SRV4
}

# --- enrollment ---
emu --touch-delay 300
ok "enroll an ES256 credential (packed self attestation, checked)" \
	sh -c "'$B/sigknock-token' --fido-device '$DEV' enroll --name key-es256 -o '$T/es.cred' > '$T/o' 2>&1 &&
	grep -q 'attestation: packed, self (checked)' '$T/o'"
ok "the credential file is private (0600)" test "$(stat -c %a "$T/es.cred")" = 600
emu --attest none
ok "enroll an EdDSA credential from a key that gives no attestation" \
	sh -c "'$B/sigknock-token' --fido-device '$DEV' enroll --alg eddsa --name key-eddsa -o '$T/ed.cred' > '$T/o' 2>&1 &&
	grep -q 'attestation: none' '$T/o'"
ok "enroll refuses to replace a credential file" sh -c "! '$B/sigknock-token' --fido-device '$DEV' enroll --name x -o '$T/es.cred' 2>/dev/null"
token list > "$T/o" 2>&1
ok "sigknock-token list shows the authenticator" grep -q "fido.sock: FIDO2 authenticator" "$T/o"
ok "sigknock-token test signs and verifies" sh -c "'$B/sigknock-token' --fido-device '$DEV' test --token fido2 --credential '$T/ed.cred' | grep -q 'signed and checked'"

# --- the admin adds the enrollment records ---
printf 'sigknock-fido2 enrollment v1\nname bad\nrp sigknock\nalg rsa\n' > "$T/bad.pub"
"$B/sigknock-keys" -k "$T/keyring" add "$T/bad.pub" > "$T/o" 2>&1
ok "a malformed enrollment record is refused, naming file and line" \
	grep -q "bad.pub:4: alg must be es256 or eddsa" "$T/o"
"$B/sigknock-keys" -k "$T/keyring" add "$T/es.cred" > "$T/o" 2>&1
ok "a credential file is refused with the hint to add FILE.pub" grep -q "add the enrollment record" "$T/o"
ok "sigknock-keys add takes both records" sh -c \
	"'$B/sigknock-keys' -k '$T/keyring' add '$T/es.cred.pub' '$T/ed.cred.pub' | grep -c '^added fido2:' | grep -qx 2"
ok "sigknock-keys list shows them" sh -c "'$B/sigknock-keys' -k '$T/keyring' list | grep -q 'eddsa .*valid .*key-eddsa .*(rp sigknock)'"
ok "sigknockd starts with 2 FIDO2 credentials" daemon_start
ok "(it says so)" grep -q "2 FIDO2 credentials" "$LOG"

# --- knocks ---
emu
n=$(count_log 'accepted key-es256')
ok "an ES256 knock is sent" fknock "$T/es.cred" -A tcp/22
ok "and accepted as its enrollment name" wait_log "$n" 'accepted key-es256 (fido2:'
ok "the port opens for the client" wait_for 2 can_connect $SRV4 22
wait_for 6 no_grants
n=$(count_log 'accepted key-eddsa')
ok "an EdDSA knock is sent" fknock "$T/ed.cred" -A tcp/443
ok "(accepted as key-eddsa)" wait_log "$n" 'accepted key-eddsa (fido2:'
ok "port 443 opens" wait_for 2 can_connect $SRV4 443
wait_for 6 no_grants
# libfido2 is loaded when a FIDO2 knock needs it (t/020: not before).
LD_DEBUG=files fknock "$T/ed.cred" -A tcp/22 --test --save-packet "$T/ld.pkt" > "$T/ld.log" 2>&1
ok "a FIDO2 knock loads libfido2 when it needs it" \
	sh -c "grep -q 'file=libfido2.so.* dynamically loaded by' '$T/ld.log' && grep -q '^datagram' '$T/ld.log'"
# A library that cannot be loaded: the knock fails and says what to install.
libfido2=$(ldconfig -p | awk '/libfido2\.so\.1 / { print $NF; exit }')
unshare -m sh -c "mount --bind /dev/null '$libfido2' &&
	exec ip netns exec $NS_CLI '$B/sigknock' --server-key '$PUB' --token fido2 \
	--credential '$T/ed.cred' --fido-device '$DEV' -A tcp/22 $SRV4" > "$T/nolib.log" 2>&1
rc=$?
ok "without libfido2, a FIDO2 knock fails and names the package" \
	sh -c "test $rc -ne 0 && grep -q 'cannot load libfido2 (libfido2.so.1): .*install the package libfido2-1' '$T/nolib.log'"

# --- the client's errors ---
emu --deny
n=$(count_log 'refused from')
fknock "$T/es.cred" -A tcp/22 > "$T/o" 2>&1
ok "touch refused: a clear error" grep -q "refused (touch denied)" "$T/o"
sleep 0.3
is "$(count_log 'refused from')" "$n" "and no datagram was sent"
emu --touch-delay 3000
fknock "$T/es.cred" -A tcp/22 --touch-timeout 1 > "$T/o" 2>&1
ok "no touch in time: says so" grep -q "no touch within 1 s" "$T/o"
fknock "$T/es.cred" -A tcp/22 --fido-device "unix:$T/nothing.sock" > "$T/o" 2>&1
ok "a missing device: says which" grep -q "no FIDO2 security key at unix:$T/nothing.sock" "$T/o"
mv "$T/fido.state" "$T/fido.state.keep"
emu
fknock "$T/es.cred" -A tcp/22 > "$T/o" 2>&1
ok "another key (credential unknown to it): says so" grep -q "does not hold that credential" "$T/o"
mv "$T/fido.state.keep" "$T/fido.state"

# --- the server's checks ---
emu --no-up
n=$(count_log 'user-presence flag clear')
fknock "$T/es.cred" -A tcp/22 > "$T/o" 2>&1
ok "no touch (UP flag clear): the client warns" grep -q "reports no touch" "$T/o"
ok "and the server refuses it" wait_log "$n" 'key-es256 (fido2:.*user-presence flag clear'
emu --wrong-rp
n=$(count_log 'another relying party')
fknock "$T/es.cred" -A tcp/22 >/dev/null 2>&1
ok "an assertion for another RP id is refused" wait_log "$n" 'another relying party'
emu
fknock "$T/es.cred" -A tcp/22 --test --save-packet "$T/es.pkt" >/dev/null 2>&1
"$TOOL" reseal "$T/server.key" "$T/es.pkt" "$T/tampered.pkt"
n=$(count_log 'key-es256 (fido2:.*: bad signature')
in_cli "$TOOL" udp-send $SRV4 62201 "$T/tampered.pkt"
ok "a tampered assertion is refused" wait_log "$n" 'key-es256 (fido2:.*: bad signature'
n=$(count_log 'accepted key-es256')
in_cli "$TOOL" udp-send $SRV4 62201 "$T/es.pkt"
ok "(the untampered one is accepted)" wait_log "$n" 'accepted key-es256'
wait_for 6 no_grants

# --- sign counters ---
emu --counter 2
n=$(count_log 'possibly a cloned security key')
fknock "$T/es.cred" -A tcp/22 >/dev/null 2>&1
ok "a sign counter that goes back is refused as a possibly cloned key" \
	wait_log "$n" 'possibly a cloned security key'
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
daemon_start
n=$(count_log 'possibly a cloned security key')
fknock "$T/es.cred" -A tcp/22 >/dev/null 2>&1
ok "the counters survive a restart" wait_log "$n" 'possibly a cloned security key'
emu --counter 1000
n=$(count_log 'accepted key-es256')
fknock "$T/es.cred" -A tcp/22 >/dev/null 2>&1
ok "a counter above the last one is accepted" wait_log "$n" 'accepted key-es256'
wait_for 6 no_grants

# --- revocation, without a restart ---
# A connection under a grant that then expires: the revocation ends what
# conntrack still holds of it, from the addresses the key knocked from
# (an address of its own: the known list records the first user of an
# address as its owner, and the client's was key-es256's).
ip -n "$NS_CLI" addr add 10.77.1.77/24 dev sks nodad
ip -n "$NS_CLI" route replace $SRV4/32 dev sks src 10.77.1.77
n=$(count_log 'accepted key-eddsa')
fknock "$T/ed.cred" -A tcp/22 >/dev/null 2>&1
wait_log "$n" 'accepted key-eddsa'
wait_for 2 can_connect $SRV4 22
wait_for 6 no_grants
ip -n "$NS_CLI" route del $SRV4/32
n2=$(count_log 'from the addresses key-eddsa knocked from')
"$B/sigknock-keys" -k "$T/keyring" revoke key-eddsa >/dev/null 2>&1
sleep 1
n=$(count_log 'unknown FIDO2 credential')
fknock "$T/ed.cred" -A tcp/22 >/dev/null 2>&1
ok "a revoked credential is refused within 1 s" wait_log "$n" 'fido2:.*unknown FIDO2 credential'
ok "... and what conntrack held of its expired grant's connections ended" \
	wait_log "$n2" 'ended [1-9][0-9]* connections* from the addresses key-eddsa knocked from'
ok "sigknock-keys list shows it revoked" sh -c "'$B/sigknock-keys' -k '$T/keyring' list | grep -q 'eddsa .*revoked .*key-eddsa'"
