#!/bin/sh
# sigknock-keys and the user ledger: one set of acceptance rules with the
# daemon; names fixed by the admin, unique across OpenPGP keys and FIDO2
# records; revoke and list by name, e-mail, fingerprint, key id, fido2:ID.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
require_cmd gpg
B=$top_builddir
K="$B/sigknock-keys"
plan 42

test_tmpdir
T=$tap_tmp
KR=$T/keyring
gpg_home "$T/user"
alice=$(gpg_genkey 'Alice <alice@example.com>' ed25519 sign) || bail "keygen"
bob=$(gpg_genkey 'Bob <bob@example.com>' nistp256 sign) || bail "keygen"
weak=$(gpg_genkey 'Weak <weak@example.com>' rsa1024 sign) || bail "keygen"
mal=$(gpg_genkey 'Mallory <alice@example.com>' ed25519 sign) || bail "keygen"
z1=$(gpg_genkey 'Zed One <shared@example.com>' ed25519 sign) || bail "keygen"
z2=$(gpg_genkey 'Zed Two <shared@example.com>' ed25519 sign) || bail "keygen"
for k in bob weak mal z1 z2; do
	eval "gpg --export \$$k" > "$T/$k.pgp"
done
gpg --armor --export "$alice" > "$T/alice.pgp"	# as the README says
# FIDO2 enrollment records; the public keys are RFC 8032's test vectors.
fido() {	# fido FILE NAME PUBKEY CREDENTIAL
	printf 'sigknock-fido2 enrollment v1\nname %s\nrp sigknock\nalg eddsa\ncredential %s\npublic-key %s\n' \
		"$2" "$4" "$3" > "$1"
}
fido "$T/f1.pub" alice@example.com 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= Y3JlZC1vbmU=
fido "$T/f2.pub" bob-key PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw= Y3JlZC10d28=

# add: the daemon's rules, and names
"$K" -k "$KR" add "$T/alice.pgp" > "$T/o" 2>&1
ok "add names a key by its e-mail" grep -q "^added $alice ed25519 alice@example.com$" "$T/o"
"$K" -k "$KR" add "$T/weak.pgp" > "$T/o" 2>&1
ok "add refuses an RSA-1024 key, as the daemon would" test $? -eq 1
ok "... naming the reason" grep -q "key $weak (weak@example.com): rsa1024: key refused as too weak: sigknockd would not accept it" "$T/o"
ok "... and imports nothing" sh -c "! gpg --homedir '$KR' --list-keys '$weak' >/dev/null 2>&1"
"$K" -k "$KR" add "$T/mal.pgp" > "$T/o" 2>&1
ok "a second key with a held e-mail is added without a name" grep -q "^added $mal ed25519 (no name: known by fingerprint)" "$T/o"
ok "... with a warning naming the holder" grep -q "the name 'alice@example.com' belongs to $alice" "$T/o"
"$K" -k "$KR" add --name alice@example.com "$T/mal.pgp" > "$T/o" 2>&1
ok "add --name refuses a name a live key holds" grep -q "the name 'alice@example.com' belongs to $alice; revoke that user first" "$T/o"
"$K" -k "$KR" add --name robert "$T/bob.pgp" > "$T/o" 2>&1
ok "add --name NAME: the admin's choice" grep -q "^added $bob nistp256 robert$" "$T/o"
"$K" -k "$KR" add --name zed1 "$T/z1.pgp" >/dev/null 2>&1
"$K" -k "$KR" add --name zed2 "$T/z2.pgp" >/dev/null 2>&1
"$K" -k "$KR" list > "$T/list" 2>&1
ok "list shows fingerprint, algorithm, state, name and user id" \
	grep -q "^$alice ed25519 *valid *alice@example.com *alice@example.com$" "$T/list"
ok "list shows a key without a name as -" grep -q "^$mal ed25519 *valid *- *alice@example.com$" "$T/list"
ok "the ledger records who is who" grep -q "^$bob robert active .* add$" "$KR/sigknock-users"

# FIDO2 records share the name space
"$K" -k "$KR" add "$T/f1.pub" > "$T/o" 2>&1
ok "a FIDO2 record whose name an OpenPGP key holds is refused" \
	grep -q "f1.pub:1: the name 'alice@example.com' belongs to $alice; add the record with --name OTHER-NAME" "$T/o"
"$K" -k "$KR" add --name alice-key "$T/f1.pub" > "$T/o" 2>&1
ok "... and added with --name" grep -q "^added fido2:.* eddsa alice-key (rp sigknock)" "$T/o"
"$K" -k "$KR" add "$T/f2.pub" >/dev/null 2>&1
ok "a FIDO2 record with a free name is added" sh -c "'$K' -k '$KR' list | grep -q 'eddsa .*valid .*bob-key'"
fido "$T/f3.pub" robert PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw= Y3JlZC10aHJlZQ==
"$K" -k "$KR" add "$T/f3.pub" > "$T/o" 2>&1
ok "a FIDO2 record may not take an admin-given OpenPGP name either" grep -q "the name 'robert' belongs to $bob" "$T/o"

# A keyring sigknockd would refuse (group-writable, a common slip): the
# commands refuse too, with the fix, and change nothing.
chmod 775 "$KR"
"$K" -k "$KR" revoke alice@example.com > "$T/o" 2>&1
ok "revoke on a group-writable keyring fails" test $? -ne 0
ok "... with the fix and why" sh -c "grep -q 'writable by group or others (mode 0775): refusing it; run: chmod go-w $KR' '$T/o' &&
	grep -q 'nothing done: sigknockd refuses this keyring' '$T/o'"
ok "... and does not report a revocation" sh -c "! grep -q 'revoked' '$T/o'"
"$K" -k "$KR" list > "$T/o" 2>&1
ok "list refuses it too" test $? -ne 0
chmod 700 "$KR"
ok "... and nothing changed: alice is not revoked" sh -c "'$K' -k '$KR' list '$alice' | grep -q '^$alice ed25519 *valid'"

# revoke and unrevoke by every form list shows
"$K" -k "$KR" revoke alice@example.com > "$T/o" 2>&1
ok "revoke by name" grep -q "^revoked $alice (alice@example.com)" "$T/o"
ok "... says how to undo it" grep -q "'sigknock-keys unrevoke alice@example.com' undoes it" "$T/o"
ok "list shows the key revoked" sh -c "'$K' -k '$KR' list '$alice' | grep -q '^$alice ed25519 *revoked'"
ok "the revocation is in the ledger" grep -q "^$alice alice@example.com revoked .* revoke$" "$KR/sigknock-users"
"$K" -k "$KR" unrevoke "0x$alice" > "$T/o" 2>&1
ok "unrevoke by 0x-fingerprint" grep -q "^unrevoked $alice" "$T/o"
long=$(echo "$bob" | cut -c25-40)
"$K" -k "$KR" revoke "$long" > "$T/o" 2>&1
ok "revoke by long key id" grep -q "^revoked $bob (robert)" "$T/o"
"$K" -k "$KR" revoke shared@example.com > "$T/o" 2>&1
ok "an ambiguous e-mail is an error" test $? -eq 1
ok "... naming the candidates" sh -c "grep -q \"'shared@example.com' is ambiguous\" '$T/o' && grep -q '$z1 (zed1)' '$T/o' && grep -q '$z2 (zed2)' '$T/o'"
"$K" -k "$KR" revoke bob-key > "$T/o" 2>&1
ok "revoke a FIDO2 record by name" grep -q "^revoked fido2:.* (bob-key)" "$T/o"
"$K" -k "$KR" revoke nobody@example.com > "$T/o" 2>&1
ok "revoke of an unknown user says so" grep -q "no user 'nobody@example.com'" "$T/o"

# name: the admin gives a nameless key a name
"$K" -k "$KR" name "$mal" mallory > "$T/o" 2>&1
ok "name gives a key a name" sh -c "'$K' -k '$KR' list mallory | grep -q '^$mal .* mallory '"
"$K" -k "$KR" name "$mal" bob-key > "$T/o" 2>&1
ok "name refuses a name a FIDO2 record holds" grep -q "the name 'bob-key' belongs to FIDO2 record 'bob-key'" "$T/o"

# list warns about a key imported with plain gpg whose e-mail is held
w=$(gpg_genkey 'Wanda <robert@example.com>' ed25519 sign) || bail "keygen"
"$K" -k "$KR" name robert robert@example.com > /dev/null 2>&1
gpg --export "$w" | gpg --homedir "$KR" --batch --quiet --import 2>/dev/null
"$K" -k "$KR" list > "$T/o" 2>&1
ok "list warns when a key imported with gpg claims a held name" \
	grep -q "key $w: its user ID's e-mail 'robert@example.com' is held by another user" "$T/o"
ok "... and shows it without a name" grep -q "^$w ed25519 *valid *- *robert@example.com" "$T/o"

# Two new keys claiming one e-mail: neither gets it, whatever the dates
# their makers chose (one is dated 2001 here); the admin names one.
c1=$(gpg_genkey 'Carol <carol@example.com>' ed25519 sign) || bail "keygen"
c2=$(gpg_genkey 'Carol Old <carol@example.com>' ed25519 sign never \
	--faked-system-time 20010101T000000) || bail "keygen"
gpg --export "$c1" "$c2" > "$T/carols.pgp"
"$K" -k "$T/kr2" add "$T/carols.pgp" > "$T/o" 2>&1
ok "add: two new keys in one input claiming one e-mail get no name" \
	sh -c "grep -q '^added $c1 ed25519 (no name: known by fingerprint)' '$T/o' && grep -q '^added $c2 ed25519 (no name: known by fingerprint)' '$T/o'"
ok "... the older-dated one neither" sh -c "! grep -q '^$c2 carol@example.com' '$T/kr2/sigknock-users'"
ok "... and add says so, with the command that settles it" \
	grep -q "claims the e-mail 'carol@example.com' too: none of them gets it as a name; 'sigknock-keys name FPR carol@example.com'" "$T/o"
"$K" -k "$T/kr2" name "$c1" carol@example.com > /dev/null 2>&1
ok "sigknock-keys name gives it to the right one" sh -c "'$K' -k '$T/kr2' list carol@example.com | grep -q '^$c1 .* carol@example.com '"
mkdir -m 700 "$T/kr3"
gpg --homedir "$T/kr3" --batch --quiet --import "$T/carols.pgp" 2>/dev/null
"$K" -k "$T/kr3" list > "$T/o" 2>&1
ok "imported with gpg, as the daemon sees them: neither is named" \
	sh -c "grep -q '^$c1 ed25519 *valid *- ' '$T/o' && grep -q '^$c2 ed25519 *valid *- ' '$T/o'"
ok "... saying why" grep -q "other new key claims its user ID's e-mail 'carol@example.com' too: none of them gets it" "$T/o"

# the ledger is parsed strictly
printf '%s\n' "# hand edit" "$alice alice@example.com maybe 2026-11-30T12:00:00Z add" > "$T/bad"
cp "$T/bad" "$KR/sigknock-users"
"$K" -k "$KR" list > "$T/o" 2>&1
ok "a bad ledger line names file and line" grep -q "$KR/sigknock-users:2: state 'maybe' is neither active nor revoked" "$T/o"
chmod 0666 "$KR/sigknock-users"
"$K" -k "$KR" list > "$T/o" 2>&1
ok "a ledger writable by others is refused" grep -q "$KR/sigknock-users: writable by group or others" "$T/o"
