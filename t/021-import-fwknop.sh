#!/bin/sh
# Moving from fwknop: 'sigknock-keys import-fwknop' turns fwknopd's
# access.conf (every mapped keyword, %include and %include_folder, GPG
# stanzas with keys in fwknopd's GnuPG home, shared-key stanzas) into an
# access file that 'sigknockd -t' accepts, adds the GnuPG users with
# names, reports what does not map, and never writes a secret;
# 'sigknock --import-fwknoprc' does the same for a .fwknoprc that the real
# fwknop client wrote.  The test files are checked by real fwknop 2.6.10
# (fwknopd -D, fwknop --save-rc-stanza) when it is installed.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
require_cmd gpg
B=$top_builddir
plan 56

test_tmpdir
T=$tap_tmp
KR=$T/keyring
FH=$T/fwknop-gpg		# fwknopd's GnuPG home
gpg_home "$FH"
alice=$(gpg_genkey 'Alice <alice@example.com>' ed25519 sign) || bail "keygen"
bob=$(gpg_genkey 'Bob <bob@example.com>' nistp256 sign) || bail "keygen"
weak=$(gpg_genkey 'Weak <weak@example.com>' rsa1024 sign) || bail "keygen"
srv=$(gpg_genkey 'fwknopd <server@example.com>' rsa2048 default) || bail "keygen"
alice_id=$(echo "$alice" | cut -c25-40)
weak_id=$(echo "$weak" | cut -c25-40)
srv_id=$(echo "$srv" | cut -c25-40)
SECRET_KEY=c2VjcmV0LXNoYXJlZC1ieS1ldmVyeW9uZQ==
SECRET_HMAC=aG1hYy1zaGFyZWQtYnktZXZlcnlvbmUtYXMtd2VsbA==

mkdir -p "$T/d" "$T/run"
cat > "$T/access.conf" <<EOF
# fwknopd's access.conf, one stanza per SOURCE
SOURCE              192.168.10.0/24, 10.1.0.0/255.255.0.0
OPEN_PORTS          tcp/22, tcp/443, udp/1194, tcp/8443
RESTRICT_PORTS      tcp/443
GPG_REMOTE_ID       $alice_id, $weak_id
GPG_FINGERPRINT_ID  $bob
GPG_DECRYPT_ID      $srv_id
GPG_DECRYPT_PW      s3cr3t-decrypt-pw
GPG_HOME_DIR        $FH
FW_ACCESS_TIMEOUT   60
MAX_FW_TIMEOUT      600
REQUIRE_SOURCE_ADDRESS Y
ACCESS_EXPIRE       06/30/2030
REQUIRE_USERNAME    alice
DESTINATION         192.0.2.1

SOURCE              ANY
KEY_BASE64          $SECRET_KEY
HMAC_KEY_BASE64     $SECRET_HMAC
OPEN_PORTS          tcp/22
ENABLE_CMD_EXEC     Y
CMD_CYCLE_OPEN      /usr/local/bin/open-it
CMD_CYCLE_CLOSE     /usr/local/bin/close-it
CMD_CYCLE_TIMER     30

%include $T/inc.conf
%include_folder $T/d
EOF
cat > "$T/inc.conf" <<EOF
SOURCE              10.9.0.0/16
OPEN_PORTS          tcp/8080
FORCE_NAT           192.168.1.10 80
FORCE_MASQUERADE    Y
GPG_REMOTE_ID       $alice_id
GPG_DECRYPT_ID      $srv_id
GPG_DECRYPT_PW      s3cr3t-decrypt-pw
GPG_HOME_DIR        $FH
ACCESS_EXPIRE_EPOCH 1900000000
EOF
cat > "$T/d/a.conf" <<EOF
SOURCE              10.5.5.5
OPEN_PORTS          udp/53
GPG_FINGERPRINT_ID  $bob
GPG_DECRYPT_ID      $srv_id
GPG_DECRYPT_PW      s3cr3t-decrypt-pw
GPG_HOME_DIR        $FH
REQUIRE_SOURCE_ADDRESS N
EOF
echo "SOURCE 10.6.6.6" > "$T/d/notes.txt"	# not a .conf: not read
chmod 600 "$T/access.conf" "$T/inc.conf" "$T/d/a.conf"

# --- real fwknopd reads the same file as four stanzas ---
if command -v fwknopd >/dev/null 2>&1; then
	printf 'FWKNOP_RUN_DIR %s;\nENABLE_IPT_FORWARDING Y;\n' "$T/run" > "$T/fwknopd.conf"
	chmod 600 "$T/fwknopd.conf"
	fwknopd -c "$T/fwknopd.conf" -a "$T/access.conf" -D -f > "$T/fwknopd.out" 2>&1
	ok "real fwknopd accepts the test access.conf" [ $? -eq 0 ]
	is "$(grep -c '^SOURCE (' "$T/fwknopd.out")" 4 "and reads four stanzas from it, includes followed"
else
	skip "fwknopd is not installed (Debian package fwknop-server)" 2
fi

# --- the import ---
# The options after the file, as DESIGN.md's interface writes them.
TZ=UTC "$B/sigknock-keys" -k "$KR" import-fwknop "$T/access.conf" \
	--gpg-home "$FH" -o "$T/imported.conf" > "$T/stdout" 2> "$T/stderr"
ok "import-fwknop ACCESS.CONF --gpg-home DIR -o FILE succeeds" [ $? -eq 0 ]
ok "with -o, the access file goes to the file, not standard output" [ ! -s "$T/stdout" ]
ok "it is written private (0600)" [ "$(stat -c %a "$T/imported.conf")" = 600 ]
has() { grep -qxF -- "$1" "$T/imported.conf" || { diag "no line '$1'"; return 1; }; }
said() { grep -qF -- "$1" "$T/stderr" || { diag "stderr lacks '$1'"; cat "$T/stderr" | sed 's/^/# /'; return 1; }; }
ok "GPG_REMOTE_ID and GPG_FINGERPRINT_ID: users by the names the keys were added with" \
	has "Users      alice@example.com, bob@example.com"
ok "SOURCE, a netmask turned into a prefix" has "Source     192.168.10.0/24, 10.1.0.0/16"
ok "OPEN_PORTS less RESTRICT_PORTS, in order (the first is Default)" \
	has "Open       tcp/22, udp/1194, tcp/8443"
ok "FW_ACCESS_TIMEOUT and MAX_FW_TIMEOUT" sh -c "grep -qx 'Timeout    60' '$T/imported.conf' && grep -qx 'MaxTimeout 600' '$T/imported.conf'"
ok "ACCESS_EXPIRE: midnight of that day where fwknopd ran (here UTC)" has "Expires    2030-06-30 00:00:00"
ok "a key sigknockd refuses (RSA-1024) is said, with its line" \
	said "access.conf:5: GPG_REMOTE_ID: needs a person: the key '$weak_id'"
ok "and noted above its stanza" grep -q "^# .*key $weak_id could not be added" "$T/imported.conf"
ok "the added keys are in the keyring with their names" \
	sh -c "'$B/sigknock-keys' -k '$KR' list | grep -q 'valid.*alice@example.com' && '$B/sigknock-keys' -k '$KR' list | grep -q 'valid.*bob@example.com'"
ok "a shared-key stanza is written commented out" has "#[fwknop-2]"
ok "saying it needs a person" grep -q "^# NEEDS A PERSON" "$T/imported.conf"
ok "the shared key is reported" said "needs a person: a shared key has no owner to name"
ok "%include: FORCE_NAT becomes a Forward through this host" \
	has "Forward    fwknop-3 192.168.1.10 tcp/80 via 8080"
ok "FORCE_MASQUERADE Y: Masquerade yes" has "Masquerade yes"
ok "ACCESS_EXPIRE_EPOCH" has "Expires    2030-03-17 17:46:40"
ok "%include_folder: its *.conf file" has "Source     10.5.5.5"
ok "and nothing else of the folder" sh -c "! grep -q 10.6.6.6 '$T/imported.conf'"
for k in GPG_DECRYPT_PW ENABLE_CMD_EXEC CMD_CYCLE_OPEN REQUIRE_USERNAME DESTINATION; do
	ok "$k is reported as not imported, with its file and line" \
		sh -c "grep -q '^$T/.*:[0-9]*: $k: not imported: ' '$T/stderr'"
done
ok "REQUIRE_SOURCE_ADDRESS N (fwknop's default): sigknock is stricter, and says how to allow it" \
	said "d/a.conf:7: REQUIRE_SOURCE_ADDRESS: stricter in sigknock: N"
ok "no secret of the file is written or said" \
	sh -c "! grep -rqF -e '$SECRET_KEY' -e '$SECRET_HMAC' -e s3cr3t '$T/imported.conf' '$T/stderr'"
ok "a summary: stanzas, users, ports, what needs a person" \
	said "3 stanzas imported (4 users, 5 ports), 1 written commented out"

cat > "$T/c.conf" <<EOF
ServerKey $T/server.key
Keyring $KR
AccessFile $T/imported.conf
StateDir $T/state
EOF
"$B/sigknock-keys" init-server -o "$T/server.key" >/dev/null 2>&1
ok "the imported access file passes sigknockd -t" "$B/sigknockd" -t -c "$T/c.conf"

TZ=America/New_York "$B/sigknock-keys" -k "$KR" import-fwknop --gpg-home "$FH" \
	"$T/access.conf" > "$T/ny.conf" 2>/dev/null
ok "without -o, to standard output; ACCESS_EXPIRE is local midnight (New York: 04:00 UTC)" \
	grep -qx "Expires    2030-06-30 04:00:00" "$T/ny.conf"

if [ -w /dev/full ]; then
	"$B/sigknock-keys" -k "$KR" import-fwknop --gpg-home "$FH" \
		"$T/access.conf" > /dev/full 2> "$T/full.err"
	st=$?
	ok "standard output full: exit 1, said" sh -c "[ $st -eq 1 ] && grep -q 'standard output: No space left' '$T/full.err'"
else
	skip "no /dev/full"
fi
cp "$T/imported.conf" "$T/before"
"$B/sigknock-keys" -k "$KR" import-fwknop --gpg-home "$FH" -o "$T/imported.conf" \
	"$T/access.conf" > /dev/null 2> "$T/err"
st=$?
ok "an existing file is never overwritten" sh -c "[ $st -ne 0 ] && cmp -s '$T/before' '$T/imported.conf'"
ok "and the error says so" grep -q "exists; it is never overwritten" "$T/err"

bad() {	# bad WANT LINES...: an access.conf fwknopd would refuse
	want=$1; shift
	printf '%s\n' "$@" > "$T/bad.conf"
	"$B/sigknock-keys" -k "$KR" import-fwknop --gpg-home "$FH" "$T/bad.conf" > "$T/bad.out" 2>&1 &&
		return 1
	grep -qF -- "$want" "$T/bad.out" || { diag "got: $(cat "$T/bad.out")"; return 1; }
}
ok "a bad port names file, line and keyword" bad "bad.conf:2: OPEN_PORTS: 'tcp/99999'" \
	"SOURCE ANY" "OPEN_PORTS tcp/99999" "GPG_REMOTE_ID $alice_id"
ok "a bad netmask" bad "bad.conf:1: SOURCE: '10.0.0.0/255.0.255.0' is not" \
	"SOURCE 10.0.0.0/255.0.255.0" "OPEN_PORTS tcp/22"
ok "a bad date" bad "bad.conf:3: ACCESS_EXPIRE: not a date MM/DD/YYYY" \
	"SOURCE ANY" "OPEN_PORTS tcp/22" "ACCESS_EXPIRE 2030-06-30"
ok "a keyword without a value" bad "bad.conf:2: 'OPEN_PORTS' has no value" \
	"SOURCE ANY" "OPEN_PORTS"
ok "a file with no stanza" bad "no stanza (each begins with a SOURCE line)" \
	"# nothing" "OPEN_PORTS tcp/22"
printf '%%include %s\n' "$T/loop.conf" > "$T/loop.conf"
ok "an %include loop stops at fwknopd's depth" bad "includes nest deeper than 3" \
	"%include $T/loop.conf"
ok "a missing %include names the file" bad "$T/nowhere.conf" "%include $T/nowhere.conf"
printf '%s\n' "SOURCE ANY" "OPEN_PORTS tcp/22" "GPG_REMOTE_ID $alice_id" "" \
	"SOURCE ANY" "OPEN_PORTS tcp/22" "FW_ACCESS_TIMEOUT soon" > "$T/late.conf"
"$B/sigknock-keys" -k "$T/kr3" import-fwknop --gpg-home "$FH" -o "$T/late.out" \
	"$T/late.conf" > /dev/null 2> "$T/late.err"
ok "a wrong value in a later stanza: nothing written, no key added" \
	sh -c "! [ -e '$T/late.out' ] && ! grep -q 'added' '$T/late.err' && grep -q 'late.conf:7: FW_ACCESS_TIMEOUT' '$T/late.err'"

# --- the access.conf the fwknop-server package ships, if unchanged ---
shipped=/etc/fwknop/access.conf
if [ -r "$shipped" ] && dpkg-query -W -f='${Conffiles}\n' fwknop-server 2>/dev/null |
	grep -q " $shipped $(md5sum < "$shipped" | cut -d' ' -f1)"; then
	"$B/sigknock-keys" -k "$T/kr2" import-fwknop -o "$T/shipped.conf" "$shipped" \
		> /dev/null 2> "$T/shipped.err"
	st=$?
	ok "fwknop-server's example (one shared-key stanza): written commented out" \
		grep -qx "#\[fwknop-1\]" "$T/shipped.conf"
	ok "and, since no stanza works, the import fails and says why" \
		sh -c "[ $st -ne 0 ] && grep -q 'no stanza works yet' '$T/shipped.err'"
else
	skip "no unchanged $shipped (Debian package fwknop-server)" 2
fi

# --- a user's .fwknoprc, written by the real fwknop client ---
H=$T/home
mkdir -p "$H"
if command -v fwknop >/dev/null 2>&1; then
	HOME=$H fwknop --save-rc-stanza -n prod -A tcp/22 -D 192.0.2.1 \
		--gpg-recipient "$srv" --gpg-signer "$alice_id" \
		--gpg-no-signing-pw -a 10.1.2.3 -f 60 --time-offset-plus 5min \
		--test >/dev/null 2>&1
	HOME=$H fwknop --save-rc-stanza -n lab -A tcp/22,udp/1194 -D lab.example.net \
		--key-gen -R --test >/dev/null 2>&1
	ok "real fwknop wrote ~/.fwknoprc" grep -q '^\[lab\]' "$H/.fwknoprc"
else
	skip "fwknop is not installed (Debian package fwknop-client)" 1
	cat > "$H/.fwknoprc" <<EOF
[default]

[prod]
FW_TIMEOUT                  60
ALLOW_IP                    10.1.2.3
TIME_OFFSET                 300
USE_GPG                     Y
GPG_RECIPIENT               $srv
GPG_SIGNER                  $alice_id
ACCESS                      tcp/22
SPA_SERVER                  192.0.2.1

[lab]
ACCESS                      tcp/22,udp/1194
SPA_SERVER                  lab.example.net
KEY_BASE64                  $SECRET_KEY
HMAC_KEY_BASE64             $SECRET_HMAC
RESOLVE_IP_HTTPS            Y
EOF
fi
cat >> "$H/.fwknoprc" <<EOF

[travel]
SPA_SERVER          203.0.113.7
SPA_SERVER_PORT     40001
SPA_SERVER_PROTO    tcp
ACCESS              tcp/2222
ALLOW_IP            source
TIME_OFFSET         -2h
USE_GPG             Y
GPG_SIGNER          alice@example.com
GPG_SIGNING_PW      s3cr3t-signing-pw
NAT_ACCESS          192.168.1.2,22
EOF
chmod 600 "$H/.fwknoprc"
HOME=$H "$B/sigknock" --import-fwknoprc -p 62202 > "$T/rc.out" 2> "$T/stderr"
ok "sigknock --import-fwknoprc writes ~/.sigknockrc" [ -s "$H/.sigknockrc" ]
rc() { sed -n "/^\[$1\]/,/^\[/p" "$H/.sigknockrc" | grep -qxF -- "$2" || { diag "[$1] lacks '$2'"; return 1; }; }
prod_maps() {
	rc prod 'Server     192.0.2.1' && rc prod 'Access     tcp/22' &&
		rc prod 'Timeout    60' && rc prod 'Address    10.1.2.3' &&
		rc prod "Signer     $alice_id"
}
ok "SPA_SERVER, ACCESS, FW_TIMEOUT, ALLOW_IP, GPG_SIGNER map" prod_maps
ok "TIME_OFFSET in seconds, fwknop's -2h too" sh -c "grep -qx 'TimeOffset 300' '$H/.sigknockrc' && grep -qx 'TimeOffset -7200' '$H/.sigknockrc'"
ok "ALLOW_IP source: source mode, said to need the server's AllowSourceMode" \
	said "ALLOW_IP: stricter in sigknock: source mode works only where"
ok "-p: sigknockd's port, not fwknopd's" sh -c "grep -qx 'Port       62202' '$H/.sigknockrc' && ! grep -q 40001 '$H/.sigknockrc'"
ok "a shared-key stanza needs the user's own key" \
	said "[lab] knocked with a key shared with the server"
ok "-R (resolve): use Stun" said "RESOLVE_IP_HTTPS: not imported: sigknock learns your public address from a STUN server"
ok "SPA_SERVER_PROTO tcp and NAT_ACCESS are said" sh -c "grep -q 'SPA_SERVER_PROTO: not imported' '$T/stderr' && grep -q 'NAT_ACCESS: not imported' '$T/stderr'"
ok "no secret is written or said" \
	sh -c "! grep -rqF -e s3cr3t -e '$SECRET_KEY' -e '$SECRET_HMAC' '$H/.sigknockrc' '$T/stderr'"
HOME=$H "$B/sigknock" --import-fwknoprc > /dev/null 2> "$T/err"
ok "an existing ~/.sigknockrc is never overwritten" grep -q "exists; it is never overwritten" "$T/err"
# The result is a working rc: the knock it describes, built with --test.
"$B/sigknock-keys" pubkey "$T/server.key" > "$T/pub" 2>/dev/null
GNUPGHOME=$FH HOME=$H "$B/sigknock" --test --server-key "$(cat "$T/pub")" prod > "$T/test.out" 2>&1
ok "sigknock reads the imported stanza: what it would send" \
	sh -c "grep -q 'tcp/22' '$T/test.out' && grep -q '10.1.2.3' '$T/test.out'"
