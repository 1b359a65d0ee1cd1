#!/bin/sh
# OpenPGP cards end to end (root, network namespaces, nftables): real
# pcscd (vpcd driver), scdaemon, gpg-agent and GPGME; the card chip is the
# in-tree emulator.  Ed25519 and RSA-2048 card keys knock through the gpg
# token (GPGME, gpg-agent, scdaemon) and through the direct PC/SC card
# token; gpg verifies what the card token signs; wrong PIN, no card,
# touch refused, a card held by scdaemon; sigknock-token list and status.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
. "$srcdir/t/lib-card.sh"
require_netns
require_card
require_cmd nft
FW=nftables
E2E_USERS_EXTRA="edcard@example.com, rsacard@example.com, gencard@example.com, p256card@example.com"

plan 54
e2e_setup
card_pcscd || bail "private pcscd did not start"
ED="Virtual PCD 00 00" RSA="Virtual PCD 00 01"
printf '123456\n' > "$T/pin"
printf '654321\n' > "$T/badpin"
TOKEN=$B/sigknock-token

# --- provisioning: keys made in software, moved to the cards ---
ok "an Ed25519 card is inserted" card_insert ed 40001 --serial CAFE0001
card_gpg_home "$T/edu" "$ED"
f=$(gpg_genkey "edcard <edcard@example.com>" ed25519 sign) || bail "edcard key"
FPR_ed=$f
gpg --export edcard@example.com > "$T/edcard.pgp"
ok "keytocard puts the Ed25519 key on the card (not left in software)" card_keytocard "$FPR_ed" CAFE0001
ok "an RSA-2048 card (chaining, no extended APDUs) is inserted in the second reader" \
	card_insert rsa 40002 --serial CAFE0002 --rsa --chaining-only
card_gpg_home "$T/rsau" "$RSA"
f=$(gpg_genkey "rsacard <rsacard@example.com>" rsa2048 sign) || bail "rsacard key"
FPR_rsa=$f
gpg --export rsacard@example.com > "$T/rsacard.pgp"
ok "keytocard puts the RSA-2048 key on the card" card_keytocard "$FPR_rsa" CAFE0002
ok "(its 282-byte key template came by command chaining)" grep -q "chained command DB of" "$T/card.log"
GNUPGHOME=$T/users
"$B/sigknock-keys" -k "$T/keyring" add "$T/edcard.pgp" "$T/rsacard.pgp" >/dev/null 2>&1
ok "sigknockd starts" daemon_start

# --- sigknock-token list and status ---
"$TOKEN" list > "$T/list" 2>&1
ok "list: the Ed25519 card with serial, key, algorithm, counter, touch" \
	grep -q "^$ED: OpenPGP card CAFE0001 (test card), signature key $FPR_ed (ed25519), counter 0, touch off" "$T/list"
ok "list: the RSA card" grep -q "^$RSA: OpenPGP card CAFE0002 (test card), signature key $FPR_rsa (rsa2048)" "$T/list"
"$TOKEN" status --reader "$RSA" > "$T/status" 2>&1
ok "status: one card in full" sh -c "grep -q 'serial ............: CAFE0002' '$T/status' &&
	grep -q 'signature key .....: $FPR_rsa' '$T/status' && grep -q 'algorithm .......: rsa2048' '$T/status' &&
	grep -q 'touch policy ......: off' '$T/status' && grep -q 'PIN tries left ....: 3' '$T/status'"

counter() { "$TOKEN" status --reader "$1" 2>/dev/null | sed -n 's/^signature counter .: //p'; }
tries() { "$TOKEN" status --reader "$1" 2>/dev/null | sed -n 's/^PIN tries left ....: \([0-9]*\).*/\1/p'; }

# --- knocks through GnuPG (gpg-agent, scdaemon), PIN by --pin-fd ---
for k in ed rsa; do
	eval "home=\$T/${k}u fpr=\$FPR_$k reader=\$$(echo $k | tr a-z A-Z)"
	n=$(count_log "accepted ${k}card@example.com")
	c0=$(counter "$reader")
	GNUPGHOME=$home in_cli "$B/sigknock" --server-key "$PUB" --pin-fd 3 \
		-A tcp/22 $SRV4 3<"$T/pin" >/dev/null 2>&1
	ok "gpg token, $k card key: the knock is accepted" wait_log "$n" "accepted ${k}card@example.com"
	ok "gpg token, $k card key: the card signed (counter $c0 -> $((c0 + 1)))" test "$(counter "$reader")" -eq $((c0 + 1))
	wait_for 6 no_grants
	GNUPGHOME=$home gpgconf --kill all
done

# --- knocks straight over PC/SC: no GnuPG on the client ---
for k in ed rsa; do
	eval "reader=\$$(echo $k | tr a-z A-Z)"
	n=$(count_log "accepted ${k}card@example.com")
	c0=$(counter "$reader")
	in_cli env GNUPGHOME=/nonexistent "$B/sigknock" --token card --reader "$reader" \
		--server-key "$PUB" --pin-fd 3 -A tcp/22 --save-packet "$T/$k.pkt" $SRV4 3<"$T/pin" >/dev/null 2>&1
	ok "card token, $k: the knock is accepted" wait_log "$n" "accepted ${k}card@example.com"
	ok "card token, $k: the port opens" wait_for 2 can_connect $SRV4 22
	ok "card token, $k: the card signed (counter $c0 -> $((c0 + 1)))" test "$(counter "$reader")" -eq $((c0 + 1))
	"$TOOL" unseal "$T/server.key" "$T/$k.pkt" "$T/$k.msg" "$T/$k.sig"
	ok "card token, $k: gpg verifies the same signature" \
		sh -c "gpg --homedir '$T/keyring' --verify '$T/$k.sig' '$T/$k.msg' 2>&1 | grep -q 'Good signature'"
	wait_for 6 no_grants
done

# --- the PIN from a pinentry (Assuan), as GnuPG asks it ---
card_pinentry "12%33456"
n=$(count_log 'accepted edcard@example.com')
in_cli env SIGKNOCK_PINENTRY="$T/pinentry" "$B/sigknock" --token card --reader "$ED" \
	--server-key "$PUB" -A tcp/22 $SRV4 </dev/null >/dev/null 2>&1
ok "card token, PIN from pinentry (percent-encoded): accepted" wait_log "$n" 'accepted edcard@example.com'
ok "the pinentry was told which card and how many tries are left" \
	grep -q "PIN for card CAFE0001 (3 tries left)" "$T/pinentry.log"
wait_for 6 no_grants
# As ssh's ProxyCommand: standard input and output are the relayed stream,
# the PIN comes from the pinentry.
n=$(count_log 'accepted edcard@example.com'); c0=$(counter "$ED")
out=$(in_cli env SIGKNOCK_PINENTRY="$T/pinentry" "$B/sigknock" --token card --reader "$ED" \
	--server-key "$PUB" -W $SRV4:22 </dev/null 2>"$T/o"); rc=$?
is "$out" "hello from the hidden service" "card token, -W: the service's bytes come through standard output"
is "$rc" 0 "... exit 0 when the service closed"
ok "... the knock was accepted" wait_log "$n" 'accepted edcard@example.com'
is "$(counter "$ED")" $((c0 + 1)) "... one signature by the card"
wait_for 6 no_grants

# --- errors ---
c0=$(counter "$ED")
n=$(count_log 'refused from\|accepted ')
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 \
	-A tcp/22 $SRV4 3<"$T/badpin" > "$T/o" 2>&1
ok "wrong PIN: a clear error with the tries left" grep -q "wrong PIN for card CAFE0001 (2 tries left)" "$T/o"
is "$(tries "$ED")" 2 "the card's retry counter went down"
is "$(counter "$ED")" "$c0" "nothing was signed"
sleep 0.5
is "$(count_log 'refused from\|accepted ')" "$n" "and no datagram was sent"
GNUPGHOME=$T/edu in_cli "$B/sigknock" --server-key "$PUB" --pin-fd 3 -A tcp/22 $SRV4 3<"$T/badpin" > "$T/o" 2>&1
ok "wrong PIN through gpg: a clear error" grep -q "wrong passphrase or PIN" "$T/o"
GNUPGHOME=$T/edu gpgconf --kill all
is "$(tries "$ED")" 1 "(the card's retry counter went down again)"
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 --test $SRV4 3<"$T/pin" >/dev/null 2>&1
is "$(tries "$ED")" 3 "the right PIN resets it"

# Held exclusively by an scdaemon that lacks pcsc-shared.
gpg_home "$T/excl"
printf 'disable-ccid\nreader-port %s\n' "$RSA" > "$T/excl/scdaemon.conf"
GNUPGHOME=$T/excl gpg --card-status >/dev/null 2>&1
in_cli "$B/sigknock" --token card --reader "$RSA" --server-key "$PUB" --pin-fd 3 --test $SRV4 3<"$T/pin" > "$T/o" 2>&1
ok "a card held by scdaemon: says so, and how to share it" grep -q "pcsc-shared" "$T/o"
GNUPGHOME=$T/excl gpgconf --kill all

# Touch: the signature key's touch policy on.
card_remove ed
ok "the card is gone from list" sh -c "! '$TOKEN' list 2>/dev/null | grep -q CAFE0001"
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 --test $SRV4 3<"$T/pin" > "$T/o" 2>&1
ok "no card: a clear error" grep -q "no card in the reader\|no OpenPGP card" "$T/o"
card_insert ed 40001 --serial CAFE0001 --uif on --touch-delay 300
ok "list shows the touch policy" sh -c "'$TOKEN' list | grep -q 'CAFE0001.*touch on'"
n=$(count_log 'accepted edcard@example.com')
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 \
	-A tcp/22 $SRV4 3<"$T/pin" > "$T/o" 2>&1
ok "touch on: the client asks for the touch" grep -q "Touch your security key" "$T/o"
ok "and the knock is accepted" wait_log "$n" 'accepted edcard@example.com'
wait_for 6 no_grants
n=$(count_log 'accepted edcard@example.com')
GNUPGHOME=$T/edu in_cli "$B/sigknock" --server-key "$PUB" --pin-fd 3 -A tcp/22 $SRV4 3<"$T/pin" > "$T/o" 2>&1
ok "touch on, through gpg: the client asks for the touch too" grep -q "Touch your security key" "$T/o"
ok "(and that knock is accepted)" wait_log "$n" 'accepted edcard@example.com'
GNUPGHOME=$T/edu gpgconf --kill all
wait_for 6 no_grants
card_remove ed
card_insert ed 40001 --serial CAFE0001 --touch-delay 300 --touch-deny
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 \
	-A tcp/22 $SRV4 3<"$T/pin" > "$T/o" 2>&1
ok "touch refused: a clear error" grep -q "no touch in time" "$T/o"
card_remove ed
card_insert ed 40001 --serial CAFE0001 --uif on --touch-delay 3000
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 \
	--test $SRV4 3<"$T/pin" > "$T/o" 2>&1 &
knock_pid=$!
sleep 1.5
# Pulled out, not card_remove: listing would wait for the client's
# transaction to end.
kill "$pid_card_ed"
wait "$knock_pid"
wait_for 5 card_count_is 1
sed 's/^/# client: /' "$T/o"
ok "the card pulled out while it waits for the touch: says so" \
	grep -q "no answer: no card in the reader, or it was removed" "$T/o"
card_insert ed 40001 --serial CAFE0001
ok "sigknock-token test verifies as the server's keyring would" sh -c \
	"'$TOKEN' test --reader '$RSA' --pin-fd 3 --keyring '$T/keyring' 3<'$T/pin' | grep -q 'verified as rsacard@example.com by the keyring'"

# --- on-card key generation (GENERATE ASYMMETRIC KEY PAIR), PIN change ---
card_remove ed
card_insert gen 40001 --serial CAFE0003 --pins 12345678:12345678
printf '12345678\n' > "$T/genpin"
card_gpg_home "$T/genu" "$ED"
printf 'pinentry-mode loopback\n' > "$T/genu/gpg.conf"	# generate refuses --batch
printf 'admin\ngenerate\nn\n0\ny\ngencard\ngencard@example.com\n\nO\nquit\n' |
	gpg --no-tty --pinentry-mode loopback --passphrase 12345678 --command-fd 0 \
	--status-fd 1 --card-edit > "$T/gen.out" 2>&1
ok "gpg generates keys on the card" sh -c "gpg -K --with-colons gencard@example.com 2>/dev/null |
	awk -F: '/^sec/ { print \$15; exit }' | grep -qx D276000124010304FFFFCAFE00030000"
gpg --export gencard@example.com > "$T/gencard.pgp"
GNUPGHOME=$T/genu gpgconf --kill all
"$B/sigknock-keys" -k "$T/keyring" add "$T/gencard.pgp" >/dev/null 2>&1
sleep 1
n=$(count_log 'accepted gencard@example.com')
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 \
	-A tcp/22 $SRV4 3<"$T/genpin" >/dev/null 2>&1
ok "a key generated on the card knocks" wait_log "$n" 'accepted gencard@example.com'
printf 'admin\npasswd\n1\nq\nquit\n' | GNUPGHOME=$T/genu gpg --no-tty --pinentry-mode loopback \
	--passphrase 12345678 --command-fd 0 --status-fd 1 --card-edit > "$T/pw.out" 2>&1
ok "gpg changes the PIN (CHANGE REFERENCE DATA)" grep -q "SC_OP_SUCCESS" "$T/pw.out"
GNUPGHOME=$T/genu gpgconf --kill all
printf 'admin\npasswd\n1\nq\nquit\n' | GNUPGHOME=$T/genu gpg --no-tty --pinentry-mode loopback \
	--passphrase 99999999 --command-fd 0 --status-fd 1 --card-edit > "$T/pw.out" 2>&1
is "$(tries "$ED")" 2 "a PIN change with the wrong PIN costs a try"
GNUPGHOME=$T/genu gpgconf --kill all
printf '00000000\n' > "$T/badgenpin"
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 --test $SRV4 3<"$T/badgenpin" >/dev/null 2>&1
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 --test $SRV4 3<"$T/badgenpin" > "$T/o" 2>&1
ok "the last wrong PIN blocks it, and the client says how to unblock" grep -q "now blocked; unblock it with the admin PIN" "$T/o"
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 --test $SRV4 3<"$T/genpin" > "$T/o" 2>&1
ok "a blocked PIN: even the right one is not tried" grep -q "PIN is blocked" "$T/o"

# --- ECDSA P-256: gpg changes the card's key attributes, then imports ---
card_remove gen
card_insert p256 40001 --serial CAFE0004
card_gpg_home "$T/pu" "$ED"
f=$(gpg_genkey "p256card <p256card@example.com>" nistp256 sign) || bail "p256card key"
gpg --export p256card@example.com > "$T/p256card.pgp"
ok "keytocard puts a P-256 key on the card" card_keytocard "$f" CAFE0004
GNUPGHOME=$T/pu gpgconf --kill all
"$B/sigknock-keys" -k "$T/keyring" add "$T/p256card.pgp" >/dev/null 2>&1
sleep 1
n=$(count_log 'accepted p256card@example.com')
in_cli "$B/sigknock" --token card --reader "$ED" --server-key "$PUB" --pin-fd 3 \
	-A tcp/22 $SRV4 3<"$T/pin" >/dev/null 2>&1
ok "card token, P-256: the knock is accepted" wait_log "$n" 'accepted p256card@example.com'
wait_for 6 no_grants
n=$(count_log 'accepted p256card@example.com')
GNUPGHOME=$T/pu in_cli "$B/sigknock" --server-key "$PUB" --pin-fd 3 -A tcp/22 $SRV4 3<"$T/pin" >/dev/null 2>&1
ok "gpg token, P-256 card key: the knock is accepted" wait_log "$n" 'accepted p256card@example.com'
GNUPGHOME=$T/pu gpgconf --kill all
