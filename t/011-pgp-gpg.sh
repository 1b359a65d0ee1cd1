#!/bin/sh
# Differential OpenPGP tests against real gpg: keys of every supported
# kind are generated now; gpg signs random payloads; our in-process
# verifier must accept exactly what gpg calls good (except SHA-1, which gpg
# 2.2 accepts and we refuse), refuse every tampered payload and signature,
# and the keyring loader must leave out revoked, expired and disabled keys
# and revoked or non-signing subkeys.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
require_cmd gpg gpgconf od dd

ALGOS="ed25519 nistp256 nistp384 rsa2048 rsa3072 rsa4096"
PAYLOADS=${SK_PGP_PAYLOADS:-4}
plan 32

test_tmpdir
tmp=$tap_tmp
gpg_home "$tmp/gnupg"

for a in $ALGOS; do
	eval "fpr_$a=\$(gpg_genkey '$a <$a@example.com>' $a sign)"
	eval "[ -n \"\$fpr_$a\" ]" || bail "gpg could not make a $a key"
done
primary_sub=$(gpg_genkey 'Sub <sub@example.com>' ed25519 cert) || bail "subkey primary"
gpg_q --quick-add-key "$primary_sub" ed25519 sign never || bail "add subkey"
fpr_sub=$(gpg_subkey_fprs "$primary_sub" | head -n1)

fpr_expired=$(gpg_genkey 'Old <old@example.com>' ed25519 sign 1d \
	--faked-system-time 20200101T000000) || bail "expired key"
fpr_revoked=$(gpg_genkey 'Gone <gone@example.com>' ed25519 sign) || bail "revoked key"
fpr_disabled=$(gpg_genkey 'Off <off@example.com>' ed25519 sign) || bail "disabled key"
fpr_soon=$(gpg_genkey 'Soon <soon@example.com>' ed25519 sign 1d) || bail "expiring key"
primary_rsub=$(gpg_genkey 'Half <half@example.com>' ed25519 cert) || bail "rsub primary"
gpg_q --quick-add-key "$primary_rsub" ed25519 sign never || bail "add subkey 2"
fpr_rsub=$(gpg_subkey_fprs "$primary_rsub" | head -n1)

# Signatures by the soon-to-be-invalid keys, made while they were valid.
echo "payload signed before the key went bad" > "$tmp/old.txt"
gpg_q --faked-system-time 20200101T000100 -u "$fpr_expired!" \
	--detach-sign -o "$tmp/old.expired.sig" "$tmp/old.txt"
for k in revoked disabled rsub; do
	eval "f=\$fpr_$k"
	gpg_q -u "$f!" --detach-sign -o "$tmp/old.$k.sig" "$tmp/old.txt"
done

# Now make them bad: revocation certificate, disable flag, subkey revocation.
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$fpr_revoked.rev" \
	> "$tmp/revoke.asc"
gpg_q --import "$tmp/revoke.asc"
gpg_edit "$fpr_disabled" disable save quit
gpg_edit "$primary_rsub" "key 1" revkey y 0 "" y save

listed=$($sk_tool keyring-list "$GNUPGHOME" 2>"$tmp/list.err")
diag "keyring-list: $(echo "$listed" | wc -l) keys"
in_list() { echo "$listed" | grep -q "^$1 "; }
not_in_list() { ! in_list "$1"; }

# 1-7: every valid signing key is in the table, with its UID e-mail.
for a in $ALGOS; do
	eval "f=\$fpr_$a"
	ok "loader keeps the $a key" sh -c "echo '$listed' | grep -q '^$f $a $a@example.com'"
done
ok "loader keeps the signing subkey, named by its primary's UID" \
	sh -c "echo '$listed' | grep -q '^$fpr_sub ed25519 sub@example.com'"
# 8-13: what GnuPG calls unusable is left out.
ok "loader leaves out a certify-only primary key" not_in_list "$primary_sub"
ok "loader leaves out an expired key" not_in_list "$fpr_expired"
ok "loader leaves out a revoked key" not_in_list "$fpr_revoked"
ok "loader leaves out a disabled key" not_in_list "$fpr_disabled"
ok "loader leaves out a revoked subkey" not_in_list "$fpr_rsub"
is 8 "$(echo "$listed" | grep -c .)" "loader lists exactly the 8 usable signing keys"

# 14-20: differential verification, one test point per key.
differential() {
	f=$1 name=$2 i=0
	while [ $i -lt "$PAYLOADS" ]; do
		i=$((i + 1))
		size=$(( $(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 3000 + 1 ))
		head -c "$size" /dev/urandom > "$tmp/p"
		gpg_q -u "$f!" --detach-sign -o "$tmp/p.sig" "$tmp/p" || return 1
		# good: both agree
		gpg_good "$tmp/p.sig" "$tmp/p" || { diag "$name: gpg says bad"; return 1; }
		out=$($sk_tool pgp-verify "$GNUPGHOME" "$tmp/p.sig" "$tmp/p") ||
			{ diag "$name: ours says: $out"; return 1; }
		case $out in "good $f "*) ;; *) diag "$name: $out"; return 1 ;; esac
		# tampered payload: both refuse
		cp "$tmp/p" "$tmp/p2"
		flip_byte "$tmp/p2" $((size / 2))
		gpg_good "$tmp/p.sig" "$tmp/p2" && { diag "$name: gpg took a tampered payload"; return 1; }
		$sk_tool pgp-verify "$GNUPGHOME" "$tmp/p.sig" "$tmp/p2" >/dev/null &&
			{ diag "$name: ours took a tampered payload"; return 1; }
		# tampered signature (a byte in the MPIs): both refuse
		cp "$tmp/p.sig" "$tmp/p2.sig"
		slen=$(wc -c < "$tmp/p.sig")
		flip_byte "$tmp/p2.sig" $((slen - 1 - i % 8))
		gpg_good "$tmp/p2.sig" "$tmp/p" && { diag "$name: gpg took a tampered signature"; return 1; }
		$sk_tool pgp-verify "$GNUPGHOME" "$tmp/p2.sig" "$tmp/p" >/dev/null &&
			{ diag "$name: ours took a tampered signature"; return 1; }
	done
	return 0
}
for a in $ALGOS; do
	eval "f=\$fpr_$a"
	ok "$a: $PAYLOADS random payloads: same verdicts as gpg (good, tampered data, tampered signature)" \
		differential "$f" "$a"
done
ok "signing subkey: same verdicts as gpg" differential "$fpr_sub" subkey

# 21: SHA-1 is good to gpg 2.2 and refused by us.
head -c 100 /dev/urandom > "$tmp/s1"
gpg_q -u "$fpr_ed25519!" --digest-algo SHA1 --detach-sign -o "$tmp/s1.sig" "$tmp/s1"
ok "gpg 2.2 calls a SHA-1 signature good" gpg_good "$tmp/s1.sig" "$tmp/s1"
is "bad: hash algorithm refused as too weak" \
	"$($sk_tool pgp-verify "$GNUPGHOME" "$tmp/s1.sig" "$tmp/s1")" \
	"we refuse the SHA-1 signature"

# 23-26: signatures by keys that went bad are not accepted any more.
for k in expired revoked disabled rsub; do
	out=$($sk_tool pgp-verify "$GNUPGHOME" "$tmp/old.$k.sig" "$tmp/old.txt")
	is "bad: unknown signer" "$out" "signature by the $k key refused: unknown signer"
done

# 27-28: a key that expires after the keyring was loaded is refused at
# use: expiry changes no file, so the loader keeps the time and the
# verifier checks it (here at a NOW two days ahead).
gpg_q -u "$fpr_soon!" --detach-sign -o "$tmp/soon.sig" "$tmp/old.txt"
ok "a key valid now verifies" $sk_tool pgp-verify "$GNUPGHOME" "$tmp/soon.sig" "$tmp/old.txt"
is "bad: signer key expired" \
	"$($sk_tool pgp-verify "$GNUPGHOME" "$tmp/soon.sig" "$tmp/old.txt" $(( $(date +%s) + 2 * 86400 )))" \
	"the same key two days later: refused as expired, with no reload"

# 29: a signature over a different file by a good key.
gpg_q -u "$fpr_nistp256!" --detach-sign -o "$tmp/x.sig" "$tmp/old.txt"
is "bad: bad signature" "$($sk_tool pgp-verify "$GNUPGHOME" "$tmp/x.sig" "$tmp/s1")" \
	"a signature over another file refused"

# 30-32: our builders (key packet, self-certification, signature packet
# around a raw libgcrypt signature) make what gpg accepts.
gpg_home "$tmp/gnupg-built"
# A fresh home's first gpg runs create its keyring and trustdb (and, under
# load, once failed here): do that before the checks.
gpg_q --list-keys >/dev/null
gpg_q --check-trustdb
gpg-connect-agent /bye >/dev/null 2>&1 || true	# the agent up before the checks
echo "signed by a key we built ourselves" > "$tmp/built.txt"
for a in ed25519 nistp256 rsa2048; do
	built() {
		f=$($sk_tool selfmade "$1" "Built $1 <built-$1@example.com>" \
			"$tmp/built-$1.pgp" "$tmp/built.txt" "$tmp/built-$1.sig") &&
		gpg_q --import "$tmp/built-$1.pgp" &&
		gpg --status-fd 1 --verify "$tmp/built-$1.sig" "$tmp/built.txt" \
			2>"$tmp/verify-$1.err" > "$tmp/verify-$1.out" &&
		grep -q "^\[GNUPG:\] VALIDSIG $f " "$tmp/verify-$1.out" || {
			diag "$1: $(cat "$tmp/verify-$1.err" "$tmp/verify-$1.out" "$GNUPGHOME/gpg.log" 2>/dev/null | tr '\n' ' ')"
			return 1
		}
	}
	ok "gpg imports our $a key and verifies our signature packet" built "$a"
done
