#!/bin/sh
# Wire-format golden vectors: the encoder still produces the committed
# bytes, and the committed datagrams still open and decode to the
# committed fields.
. "$srcdir/t/tap.sh"

plan 14
test_tmpdir
tmp=$tap_tmp
ok "golden vectors regenerate" $sk_tool golden "$tmp"
for name in ipv4 ipv6 source set deleg close; do
	want="$srcdir/t/data/golden-v1-$name.txt"
	ok "'$name' encodes to the committed bytes" cmp -s "$want" "$tmp/golden-v1-$name.txt"
done
fields_ok() {
	for name in ipv4 ipv6 source set deleg close; do
		f="$srcdir/t/data/golden-v1-$name.txt"
		got=$($sk_tool golden-open "$f") || return 1
		[ "$got" = "$(grep '^fields: ' "$f")" ] || return 1
	done
}
ok "committed datagrams open and decode to the committed fields" fields_ok
bad="$tmp/bad.txt"
sed 's/^datagram: \(..\)/datagram: 00/' "$srcdir/t/data/golden-v1-ipv4.txt" > "$bad"
ok "a changed committed datagram is refused" sh -c "! $sk_tool golden-open '$bad' >/dev/null"
# The work trailer (PROTOCOL.md 2.1): 12 bits at the timestamp, nonce
# counted from 0; one changed nonce bit and it proves nothing.
ok "the committed datagram with work proves 12 bits" \
	sh -c "grep -q '^work: .*0000000000000008c40c000000534b5731$' '$srcdir/t/data/golden-v1-ipv4.txt'"
sed 's/^work: \(.*\)08c40c000000534b5731$/work: \108c50c000000534b5731/' "$srcdir/t/data/golden-v1-ipv4.txt" > "$bad"
ok "another nonce is refused" sh -c "! $sk_tool golden-open '$bad' >/dev/null"
# A set of servers (PROTOCOL.md 3.4): the root was checked apart, with
# Python's hashlib; the datagram binds the golden server through its proof.
ok "the set vector's root is the known one, and its datagram binds the server" \
	sh -c "grep -q '^inner: 01010000000069248103a0a1a2a3a4a5a6a7a8a9aaabacadaeafb6134eed36a533fa0b84c50c499b3e2d4d240dfb08581cef9bf9e69b038f2c15' '$srcdir/t/data/golden-v1-set.txt' &&
	$sk_tool golden-open '$srcdir/t/data/golden-v1-set.txt' | grep -q 'set=3 index=1 binds=yes'"
# A delegated request (PROTOCOL.md 4.3): the token signs the context, the
# signer and the delegation's fields.
ok "the delegation vector's token message is the context, type 3, the signer and the fields" \
	sh -c "grep -q '^delegation_message: 7369676b6e6f636b2076312064656c65676174696f6e000314101112131415161718191a1b1c1d1e1f2021222301000000006924810000000000692'  '$srcdir/t/data/golden-v1-deleg.txt' &&
	$sk_tool golden-open '$srcdir/t/data/golden-v1-deleg.txt' | grep -q 'deleg=1/1764000000/1764028800/1/-'"
# A close (PROTOCOL.md 3.5): the empty critical extension 0x83, with no
# port and no timeout.
ok "the close vector: extension 8300, no port, no timeout" \
	grep -q '^fields: v=1 signer=1 ts=1764000005 family=4 addr=0a000005 timeout=0 access= ext=8300 .* close=yes$' \
	"$srcdir/t/data/golden-v1-close.txt"
