#!/bin/sh
# sigknock --close (PROTOCOL.md 3.5): a signed request that ends the
# sender's own grants for the address it binds, at once; another user's
# grants stay; a copy is refused as a replay; an unknown signer closes
# nothing; the client forgets what it closed; -W --close-on-exit closes
# when the relayed connection ends.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables

plan 18
E2E_TIMEOUT=60 E2E_MAXTIMEOUT=60
e2e_setup
ok "--close with -A, --timeout or -W is a usage error" sh -c "
	for o in '-A tcp/22' '--timeout 5' '-W $SRV4:22'; do
		'$B/sigknock' --close \$o --server-key '$PUB' $SRV4 2>'$T/u.err'
		[ \$? -eq 2 ] && grep -q 'no -W, -A or --timeout with it' '$T/u.err' || exit 1
	done"
ok "sigknockd starts" daemon_start
ok "alice's knock opens tcp/22" knock_opens
ok "the client remembers the grant" grep -qv '^#' "$HOME/.sigknock/knocked"
knock --close --test > "$T/test.out" 2>&1
ok "--test shows a close, for her address" \
	grep -q "^close: *every grant of yours for $CLI4\$" "$T/test.out"
knock --close --resend none --work 0 --save-packet "$T/close.pkt" 2>/dev/null
ok "--close: her grant is closed, by her" \
	wait_log 0 "closed the grant of alice@example.com for $CLI4: closed by its user (sigknock --close)"
ok "... and tcp/22 is closed at once" closed $SRV4 22
ok "the client forgot it" sh -c "! grep -qv '^#' '$HOME/.sigknock/knocked'"

# Only the sender's: dave's grant for the same address stays.
n=$(count_log 'accepted ')
knock -A tcp/443 --resend none --signer "$FPR_dave" 2>/dev/null
knock -A tcp/22 --resend none 2>/dev/null
wait_log $((n + 1)) 'accepted ' || bail "two knocks"
knock --close --resend none 2>/dev/null
ok "alice's close ends hers" wait_log 1 'closed by its user (sigknock --close)'
ok "dave's tcp/443 stays open" can_connect $SRV4 443
ok "alice's tcp/22 is closed" closed $SRV4 22
sleep 2	# past the window in which a copy is a duplicate
in_cli "$TOOL" udp-send $SRV4 62201 "$T/close.pkt" >/dev/null
ok "a copy of a close is refused as a replay" wait_log 0 "refused from $CLI4: replayed request (class replayed)"
knock --close --resend none 2>/dev/null
ok "a close with nothing left to close says so" \
	wait_log 0 "close request from $CLI4 by alice@example.com.*: no live grant of theirs for $CLI4"
knock --close --resend none --signer "$FPR_frank" 2>/dev/null
ok "an unknown signer's close is refused, closing nothing" \
	wait_log 0 'refused from .* by '"$FPR_frank"'.*unknown signer'
in_srv "$B/sigknockd" -S -c "$T/sigknockd.conf" > "$T/S.out" 2>/dev/null
ok "-S counts the closes carried out" grep -qx 'close_requests 3' "$T/S.out"

# --close-on-exit: -W knocks, relays, and when the connection ends
# closes the grant it asked for.
n=$(count_log 'closed by its user (sigknock --close)')
out=$(echo | GNUPGHOME=$T/users in_cli "$B/sigknock" -W $SRV4:22 \
	--close-on-exit --server-key "$PUB" 2>"$T/w.err"); rc=$?
ok "-W --close-on-exit relays the service and exits 0" sh -c "
	[ $rc -eq 0 ] && echo '$out' | grep -q 'hello from the hidden service'"
ok "... then the grant is closed by its user" \
	wait_log "$n" 'closed the grant of alice@example.com .*closed by its user (sigknock --close)'
ok "... and tcp/22 is closed again" closed $SRV4 22
