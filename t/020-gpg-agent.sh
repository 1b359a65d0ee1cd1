#!/bin/sh
# The gpg token's fast path: GnuPG (gpg, gpgconf, through GPGME) is asked
# once for the key; later knocks talk to gpg-agent alone over Assuan.  The
# memory in ~/.sigknock follows the keyring (new subkey, deleted key, a
# damaged file), survives a dead agent, and every signature it makes is
# one real gpg calls good, for Ed25519, P-256, P-384 and RSA keys, with a
# passphrase through loopback (--pin-fd).  Nothing is sent (--test).
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
require_cmd gpg gpg-agent gpgconf
B=$top_builddir
TOOL=$B/t/helper/sk-test-tool
[ -x "$B/sigknock-keys" ] || skip_all "sigknock-keys not built (client-only build)"
plan 31

test_tmpdir
T=$tap_tmp
HOME=$T/home
export HOME
mkdir -p "$HOME"
gpg_home "$T/gnupg"
"$B/sigknock-keys" init-server -o "$T/server.key" > "$T/server.pub" 2>/dev/null ||
	bail "init-server"
PUB=$(cat "$T/server.pub")
alice=$(gpg_genkey 'Alice <alice@example.com>' ed25519 sign) || bail "alice"

# knock NAME [OPTIONS]: sign a request, keep its datagram; the log in $T/NAME.log
knock() {
	_k=$1; shift
	"$B/sigknock" -v --test --server-key "$PUB" -A tcp/22 \
		--save-packet "$T/$_k.pkt" "$@" 127.0.0.1 > "$T/$_k.log" 2>&1
}
# good NAME: the datagram's signature is one real gpg calls good
good() {
	"$TOOL" unseal "$T/server.key" "$T/$1.pkt" "$T/$1.msg" "$T/$1.sig" &&
		gpg_good "$T/$1.sig" "$T/$1.msg"
}
cache() { ls "$HOME"/.sigknock/gpg-key-* 2>/dev/null; }

knock first
ok "first knock: the key is looked up through GnuPG" \
	grep -q "signing key $alice (Alice <alice@example.com>), looked up through GnuPG" "$T/first.log"
ok "... and gpg calls its signature good" good first
ok "... the key is remembered in one private file" \
	test "$(cache | wc -l)" -eq 1 -a "$(stat -c %a "$(cache)")" = 600
knock second
ok "second knock: the key is remembered" \
	grep -q "signing key $alice (Alice <alice@example.com>), remembered" "$T/second.log"
ok "... and gpg calls its signature good" good second
# libfido2, PC/SC-lite and GnuTLS are loaded when a knock needs them:
# neither --help nor a soft-key knock maps them (ld.so's own account,
# which names libgcrypt: the account works).
none_loaded() {
	grep -q 'file=libgcrypt' "$1" &&
		! grep -Eq 'file=lib(fido2|pcsclite|gnutls)\.so' "$1"
}
LD_DEBUG=files "$B/sigknock" --help > "$T/help.ld" 2>&1
ok "sigknock --help loads no libfido2, PC/SC-lite or GnuTLS" \
	none_loaded "$T/help.ld"
(LD_DEBUG=files; export LD_DEBUG; knock lazy)
ok "... nor does a soft-key knock" \
	sh -c "grep -q remembered '$T/lazy.log' && grep -q '^datagram' '$T/lazy.log'"
ok "... (ld.so's account of it)" none_loaded "$T/lazy.log"

# No gpg runs on the fast path: with a gpg.conf gpg refuses, the
# remembered key still signs (through gpg-agent alone).
cp "$GNUPGHOME/gpg.conf" "$T/gpg.conf.good"
echo "no-such-gpg-option" >> "$GNUPGHOME/gpg.conf"
knock nogpg
ok "gpg unusable: a remembered key still signs, gpg-agent alone" \
	sh -c "grep -q remembered '$T/nogpg.log' && grep -q '^datagram' '$T/nogpg.log'"
ok "... a good signature" good nogpg
cp "$T/gpg.conf.good" "$GNUPGHOME/gpg.conf"

# gpg-agent not running: started, as gpg would.
gpgconf --kill gpg-agent
knock noagent
ok "gpg-agent stopped: started again, and the knock signed" \
	sh -c "grep -q remembered '$T/noagent.log' && grep -q '^datagram' '$T/noagent.log'"
ok "... a good signature" good noagent

# A newer signing subkey: gpg would sign with it, and so do we.
gpg_q --quick-add-key "$alice" ed25519 sign never || bail "add subkey"
sub=$(gpg_subkey_fprs "$alice" | tail -n1)
knock newsub
ok "new signing subkey: the keyring changed, so the key is looked up again" \
	grep -q "looked up through GnuPG" "$T/newsub.log"
ok "... and the newest subkey signs" grep -q "signing key $sub " "$T/newsub.log"
ok "... a good signature" good newsub
knock newsub2
ok "... and is remembered in turn" grep -q "signing key $sub .*remembered" "$T/newsub2.log"

# --signer names one key: remembered apart from the default.
bob=$(gpg_genkey 'Bob <bob@example.com>' nistp256 sign) || bail "bob"
knock bob1 --signer bob@example.com
knock bob2 --signer bob@example.com
ok "--signer: another key, remembered on its own" \
	sh -c "grep -q 'signing key $bob .*looked up' '$T/bob1.log' && grep -q 'signing key $bob .*remembered' '$T/bob2.log'"
ok "... P-256: a good signature" good bob2

for a in nistp384 rsa2048; do
	f=$(gpg_genkey "$a <$a@example.com>" $a sign) || bail "$a key"
	knock "$a.1" --signer "$a@example.com"
	knock "$a.2" --signer "$a@example.com"
	ok "$a: the key is remembered" \
		grep -q "signing key $f .*remembered" "$T/$a.2.log"
	ok "$a: gpg calls its signature good" good "$a.2"
done

# A memory others could have written is not believed.
bobmem=$(grep -l '^signer bob@example.com$' $(cache))
chmod 666 "$bobmem"
knock shared --signer bob@example.com
knock shared2 --signer bob@example.com
ok "a memory file writable by others: ignored, looked up, and written 0600 again" \
	sh -c "grep -q 'looked up through GnuPG' '$T/shared.log' && grep -q remembered '$T/shared2.log' && test \"\$(stat -c %a '$bobmem')\" = 600"

# A damaged memory is looked up again, and rewritten.
for f in $(cache); do printf 'garbage\n' > "$f"; done
knock damaged
ok "a damaged memory file: looked up again" grep -q "looked up through GnuPG" "$T/damaged.log"
ok "... a good signature" good damaged

# The secret key deleted: a clear error, not a stale memory.
gpg_q --batch --delete-secret-keys "$bob" >/dev/null 2>&1 ||
	gpg --batch --yes --delete-secret-keys "$bob" 2>/dev/null
knock deleted --signer bob@example.com
ok "secret key deleted: refused, naming what is missing" \
	grep -q "no usable secret signing key matching 'bob@example.com'" "$T/deleted.log"

# A passphrase through loopback (--pin-fd), right and wrong.
gpg --batch --pinentry-mode loopback --passphrase sesame \
	--quick-gen-key 'Carol <carol@example.com>' ed25519 sign never 2>/dev/null ||
	bail "carol"
gpgconf --kill gpg-agent	# forget the passphrase gpg just used
echo sesame > "$T/pass"
knock carol1 --signer carol@example.com --pin-fd 3 3<"$T/pass"
knock carol2 --signer carol@example.com --pin-fd 3 3<"$T/pass"
ok "passphrase by --pin-fd: signs when looked up" good carol1
ok "... and when remembered" \
	sh -c "grep -q remembered '$T/carol2.log' && '$TOOL' unseal '$T/server.key' '$T/carol2.pkt' '$T/carol2.msg' '$T/carol2.sig'"
ok "... a good signature" gpg_good "$T/carol2.sig" "$T/carol2.msg"
gpgconf --kill gpg-agent
echo wrong > "$T/wrong"
knock carol3 --signer carol@example.com --pin-fd 3 3<"$T/wrong"
ok "wrong passphrase: refused, and says so" \
	grep -q "wrong passphrase or PIN" "$T/carol3.log"
ok "... and nothing is signed" sh -c "! grep -q '^datagram' '$T/carol3.log'"
