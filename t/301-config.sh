#!/bin/sh
# Configuration and command-line errors: each names the file, the line,
# the keyword and the problem, and -t exits non-zero; clear one-line
# errors from sigknock and sigknock-keys.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
require_cmd gpg
B=$top_builddir
plan 91

test_tmpdir
T=$tap_tmp
gpg_home "$T/user"
fpr=$(gpg_genkey 'Alice <alice@example.com>' ed25519 sign) || bail "keygen"
gpg --export alice@example.com > "$T/alice.pgp"
certonly=$(gpg_genkey 'Carl <carl@example.com>' ed25519 cert) || bail "keygen 2"
gpg --export carl@example.com > "$T/carl.pgp"
"$B/sigknock-keys" init-server -o "$T/server.key" > "$T/server.pub" 2>/dev/null
"$B/sigknock-keys" -k "$T/keyring" add "$T/alice.pgp" > "$T/add.out" 2>&1
printf '[admins]\nUsers alice@example.com\nOpen tcp/22\n' > "$T/access.conf"

conf() {	# conf LINES...: write a config with the good paths and LINES
	{
		echo "# test"
		echo "ServerKey $T/server.key"
		echo "Keyring $T/keyring"
		echo "AccessFile $T/access.conf"
		echo "StateDir $T/state"
		printf '%s\n' "$@"
	} > "$T/c.conf"
}
t_err() {	# t_err WANT: sigknockd -t must fail with WANT on stderr
	"$B/sigknockd" -t -c "$T/c.conf" > "$T/out" 2>&1 && return 1
	grep -qF -- "$1" "$T/out" || { diag "got: $(cat "$T/out")"; return 1; }
}

# sigknockd.conf
conf
ok "a good configuration passes -t" "$B/sigknockd" -t -c "$T/c.conf"
conf "Bogus yes"
ok "unknown keyword: file, line, keyword" t_err "$T/c.conf:6: Bogus: unknown keyword"
conf "Port 70000"
ok "bad port: file, line, keyword, value" t_err "$T/c.conf:6: Port: '70000' is not a number from 1 to 65535"
conf "PidFile run/x.pid"
ok "relative path refused" t_err "$T/c.conf:6: PidFile: 'run/x.pid' is not an absolute path"
conf "Firewall pf"
ok "unknown firewall refused" t_err "$T/c.conf:6: Firewall: 'pf' is not one of auto, iptables, nftables, log"
conf "MaxPacketAge"
ok "missing value refused" t_err "$T/c.conf:6: MaxPacketAge: missing value"
conf "[admins]"
ok "a section in sigknockd.conf refused" t_err "$T/c.conf:6: sections ([admins]) belong in the access file"
conf "Interface skno0such"
ok "an interface that does not exist is an error for -t" t_err "$T/c.conf: Interface skno0such: no such network interface on this host"
mv "$T/keyring" "$T/keyring.away"
conf
ok "a keyring directory that does not exist is an error for -t" t_err "keyring $T/keyring: No such file or directory"
mv "$T/keyring.away" "$T/keyring"
conf "port 1234" "PORT 99"
"$B/sigknockd" -T -c "$T/c.conf" > "$T/T.out" 2>&1
ok "-T: keywords are case-insensitive, the first value wins" grep -qx "Port 1234" "$T/T.out"
ok "-T: defaults fill what the file leaves unset" grep -qx "Interface any" "$T/T.out"
ok "-T: and MaxPacketAge 120" grep -qx "MaxPacketAge 120" "$T/T.out"
ok "-T: and KnownPeriod 30" grep -qx "KnownPeriod 30" "$T/T.out"
ok "-T: and PassMark none" grep -qx "PassMark none" "$T/T.out"
conf "PassMark 0x20000000"
"$B/sigknockd" -T -c "$T/c.conf" > "$T/T.out" 2>&1
ok "PassMark VALUE: the mask is the value" grep -qx "PassMark 0x20000000/0x20000000" "$T/T.out"
conf "PassMark 0x10000000"
ok "PassMark on the gate's own mark bit refused" t_err "$T/c.conf:6: PassMark: '0x10000000' tests bit 0x10000000"
conf "PassMark 0x3/0x1"
ok "PassMark with a value outside its mask refused" t_err "$T/c.conf:6: PassMark: '0x3/0x1': give none, or VALUE[/MASK]"
ok "-T: and AuditLog none, AuditLogSize 64M" sh -c "grep -qx 'AuditLog none' '$T/T.out' &&
	grep -qx 'AuditLogSize 67108864' '$T/T.out'"
ok "-T: and LogFormat text, MetricsFile none, MetricsInterval 15" sh -c "
	grep -qx 'LogFormat text' '$T/T.out' && grep -qx 'MetricsFile none' '$T/T.out' &&
	grep -qx 'MetricsInterval 15' '$T/T.out'"
conf "MetricsFile $T/sigknock.txt"
ok "MetricsFile: a name node_exporter would not read refused" t_err "$T/c.conf:6: MetricsFile: '$T/sigknock.txt': node_exporter reads only files whose names end in .prom"
conf "MetricsInterval 0"
ok "MetricsInterval 0 refused" t_err "$T/c.conf:6: MetricsInterval: '0' is not a number from 1 to 3600"
conf "AuditLog audit.log"
ok "AuditLog: a relative path refused" t_err "$T/c.conf:6: AuditLog: 'audit.log' is not an absolute path"
conf "AuditLogSize 12X"
ok "AuditLogSize: not a size" t_err "$T/c.conf:6: AuditLogSize: '12X' is not a size (such as 64M; 0: never rotate)"
conf "AuditLogSize 2G" "AuditLog $T/audit.log"
"$B/sigknockd" -T -c "$T/c.conf" > "$T/T.out" 2>&1
ok "AuditLogSize with a unit" grep -qx "AuditLogSize 2147483648" "$T/T.out"
: > "$T/audit.log"; chmod 666 "$T/audit.log"
ok "an AuditLog others may write is refused" t_err "writable by group or others"
rm -f "$T/audit.log"
conf "KnownPeriod 4000"
ok "KnownPeriod above ten years refused" t_err "$T/c.conf:6: KnownPeriod: '4000' is not a number from 0 to 3650"
conf
chmod g+w "$T/c.conf"
ok "a group-writable configuration is refused" t_err "writable by group or others"
chmod g-w "$T/c.conf"
chmod 644 "$T/server.key"
ok "a server key readable by others is refused" t_err "lets others read it"
chmod 600 "$T/server.key"

# access file
acc() { printf '%s\n' "$@" > "$T/access.conf"; }
acc "Users alice@example.com"
ok "access: a keyword outside a stanza" t_err "$T/access.conf:1: Users: outside a [stanza]"
acc "[a]" "Users alice@example.com" "Open tcp/22" "Colour blue"
ok "access: unknown keyword" t_err "$T/access.conf:4: Colour: unknown keyword"
acc "[a]" "Users alice@example.com" "Open tcp/22" "Default tcp/443"
ok "access: Default outside Open" t_err "[a]: Default names a port that Open does not"
acc "[a]" "Users alice@example.com" "Open tcp/22" "Timeout 400" "MaxTimeout 300"
ok "access: Timeout over MaxTimeout" t_err "[a]: Timeout 400 is over MaxTimeout 300"
acc "[a]" "Open tcp/22"
ok "access: a stanza without Users" t_err "$T/access.conf:1: [a]: needs Users, and Open or Forward"
acc "[a]" "Users al!ce" "Open tcp/22"
ok "access: a user that is neither a name, a fingerprint, fido2:ID nor *" t_err "'al!ce' is neither a user's name (as 'sigknock-keys list' shows it), a 40-digit fingerprint, fido2:ID nor *"
acc "[a]" "Users fido2:12345" "Open tcp/22"
ok "access: fido2: takes 16 or 64 hex digits" t_err "'fido2:12345': fido2: takes the 16 or 64 hex digits"
acc "[a]" "Users *" "Open tcp/22" "AllowSourceMode maybe"
ok "access: AllowSourceMode takes yes or no" t_err "$T/access.conf:4: AllowSourceMode: 'maybe' is neither yes nor no"
acc "[a]" "Users *" "Open tcp/22" "AllowAddresses 10.0.0.0/8, home"
ok "access: AllowAddresses takes CIDR blocks" t_err "$T/access.conf:4: AllowAddresses: 'home' is not an address or CIDR block"
ports() { i=$1; while [ $i -lt $(($1 + 60)) ]; do printf 'tcp/%d,' $i; i=$((i + 1)); done; }
acc "[a]" "Users *" "Open $(ports 1000)" "[b]" "Users *" "Open $(ports 2000)" \
	"[c]" "Users *" "Open $(ports 3000)" "[d]" "Users *" "Open $(ports 4000)" \
	"[e]" "Users *" "Open $(ports 5000)"
ok "access: more Open ports than the gate holds (300) is an error naming file, line and limit" \
	t_err "$T/access.conf:15: Open: the stanzas name more than 256 different ports of this host in Open and via; the firewall gate holds at most 256"
acc "[a]" "Users *" "Open icmp/1"
ok "access: a bad PROTO/PORT" t_err "'icmp/1' is not PROTO/PORT"
acc "[a]" "Users *" "Open tcp/22" "Source 10.0.0.0/33"
ok "access: a bad CIDR block" t_err "'10.0.0.0/33' is not an address or CIDR block"
acc "[a]" "Users alice@example.com, 0x$fpr, fido2:0123456789ABCDEF, *" "Open tcp/22" "Source any" \
	"AllowSourceMode yes" "AllowAddresses 10.0.0.0/8, fd00::/8" "[b]" "Users *" "Open tcp/22" "AllowAddresses none"
conf
ok "access: names, 0x-fingerprints, fido2:ID, *, Source any, AllowSourceMode, AllowAddresses pass" "$B/sigknockd" -t -c "$T/c.conf"

# Forward (gateway mode)
acc "[a]" "Users *" "Forward db/1 10.1.0.5 tcp/22"
ok "access: Forward: a bad destination name" t_err "$T/access.conf:3: Forward: 'db/1' is not a destination name (1 to 32 of A-Z a-z 0-9 . _ -)"
acc "[a]" "Users *" "Forward db1 db.example.com tcp/22"
ok "access: Forward: a host name is not an address" t_err "Forward: 'db.example.com' is not an IPv4 or IPv6 address"
acc "[a]" "Users *" "Forward db1 127.0.0.1 tcp/22"
ok "access: Forward: never to loopback" t_err "Forward: cannot forward to 127.0.0.1: a loopback address"
acc "[a]" "Users *" "Forward db1 10.1.0.5"
ok "access: Forward: needs a port" t_err "Forward: want NAME ADDRESS PROTO/PORT [via PORT], ..."
acc "[a]" "Users *" "Forward db1 10.1.0.5 tcp/22 via"
ok "access: Forward: via needs a port" t_err "Forward: via wants a port"
acc "[a]" "Users *" "Forward db1 10.1.0.5 tcp/22 via 70000"
ok "access: Forward: via a bad port" t_err "Forward: '70000' is not a port"
acc "[a]" "Users *" "Forward db1 10.1.0.5 tcp/22" "Forward db1 10.1.0.6 tcp/23"
ok "access: Forward: one address per name and family" t_err "$T/access.conf:4: Forward: destination db1 has another address at line 3"
acc "[a]" "Users *" "Forward db1 10.1.0.5 tcp/22 via 2222" "[b]" "Users *" "Forward db2 10.1.0.6 tcp/22 via 2222"
ok "access: Forward: a gateway port leads to one place" t_err "$T/access.conf:6: Forward: tcp port 2222 leads elsewhere at line 3"
acc "[a]" "Users *" "Forward db1 10.1.0.5 tcp/22 via 2222" "[b]" "Users *" "Open tcp/2222"
ok "access: Forward: a gateway port is not also in Open" t_err "$T/access.conf:3: tcp port 2222 is in Open of [b]: a port of this host is opened or forwarded, not both"
acc "[a]" "Users *" "Forward db1 10.1.0.5 tcp/22, udp/53 via 5353" "Forward db1 fd00::5 tcp/22" "Masquerade yes" \
	"[b]" "Users *" "Open tcp/22" "Forward web 10.1.0.7 tcp/80 via 8080"
conf
ok "access: Forward with via, two families, Masquerade, beside Open, pass" "$B/sigknockd" -t -c "$T/c.conf"
acc "[a]" "Users *" "Forward db1 10.1.0.5 tcp/22" "Masquerade perhaps"
ok "access: Masquerade takes yes or no" t_err "Masquerade: 'perhaps' is neither yes nor no"

acc "[a]" "Users *" "Open tcp/22" "Delegation 8x"
ok "access: Delegation takes no or a time" t_err "Delegation: '8x' is neither no nor a time from 1 s to 7d (such as 8h)"
acc "[a]" "Users *" "Open tcp/22" "Delegation 8d"
ok "access: Delegation at most 7 days" t_err "Delegation: '8d' is neither no nor a time from 1 s to 7d"
acc "[a]" "Users *" "Open tcp/22" "Delegation 8h" "[b]" "Users *" "Open tcp/22" "Delegation no" "[c]" "Users *" "Open tcp/22" "Delegation 90"
conf
ok "access: Delegation 8h, no and 90 pass" "$B/sigknockd" -t -c "$T/c.conf"

acc "[a]" "Users alice@example.com, nobody@example.com, fido2:0123456789ABCDEF" "Open tcp/22"
conf
"$B/sigknockd" -t -c "$T/c.conf" > "$T/out" 2>&1
ok "-t passes with Users that match no key" test $? -eq 0
ok "... and warns for each, naming file and line" sh -c "grep -q \"$T/access.conf:2: \[a\]: Users nobody@example.com: no key or FIDO2 credential has that name\" '$T/out' && grep -q \"$T/access.conf:2: \[a\]: Users fido2:0123456789ABCDEF: no usable credential with that id\" '$T/out' && ! grep -q 'Users alice' '$T/out'"
printf '[admins]\nUsers alice@example.com\nOpen tcp/22\n' > "$T/access.conf"

# The keyring decides who may knock: nobody but root may change it.
chmod 0770 "$T/keyring"
ok "keyring: a group-writable keyring directory is refused, with the chmod" \
	t_err "keyring $T/keyring: writable by group or others (mode 0770): refusing it; run: chmod go-w $T/keyring"
chmod 0700 "$T/keyring"
echo "keyserver hkps://example.invalid" > "$T/keyring/gpg.conf"
chmod 0666 "$T/keyring/gpg.conf"
ok "keyring: a planted gpg.conf writable by others is refused" \
	t_err "keyring file $T/keyring/gpg.conf: writable by group or others (mode 0666)"
rm -f "$T/keyring/gpg.conf"
printf '\n' > "$T/keyring/sigknock-fido2"
chmod 0664 "$T/keyring/sigknock-fido2"
ok "keyring: a group-writable FIDO2 record file is refused" \
	t_err "keyring file $T/keyring/sigknock-fido2: writable by group or others"
rm -f "$T/keyring/sigknock-fido2"
if [ "$(id -u)" -eq 0 ]; then
	chown 1234 "$T/keyring"
	ok "keyring: a keyring directory owned by another user is refused, with the chown" \
		t_err "owned by uid 1234, not by root: refusing it; run: chown root $T/keyring"
	chown 0 "$T/keyring"
else
	skip "keyring: ownership needs root to chown"
fi
dora=$(gpg_genkey 'Dora <dora@example.com>' ed25519 sign) || bail "keygen 3"
gpg --export dora@example.com | gpg --homedir "$T/keyring" --batch --quiet --import 2>/dev/null
cp "$T/keyring/sigknock-users" "$T/ledger.before"
"$B/sigknockd" -t -c "$T/c.conf" > "$T/out" 2>&1
ok "-t checks a keyring with a key imported by plain gpg" test $? -eq 0
ok "-t writes nothing into the keyring directory (no first-seen name recorded)" \
	cmp -s "$T/ledger.before" "$T/keyring/sigknock-users"

# sigknock-keys
ok "keys: add prints fingerprint, algorithm and user" grep -q "^added $fpr ed25519 alice@example.com" "$T/add.out"
"$B/sigknock-keys" -k "$T/keyring" add "$T/carl.pgp" > "$T/o" 2>&1
ok "keys: a key that cannot sign is refused, with why" grep -q "no usable signing key" "$T/o"
ok "keys: and is not added" sh -c "! '$B/sigknock-keys' -k '$T/keyring' list | grep -q carl"
ok "keys: init-server never overwrites" sh -c "! '$B/sigknock-keys' init-server -o '$T/server.key' 2>/dev/null"

# sigknock
pub=$(cat "$T/server.pub")
ok "client: --test builds and signs without sending" "$B/sigknock" --test --server-key "$pub" -A tcp/22
"$B/sigknock" --server-key "not-a-key" example.invalid > "$T/o" 2>&1
ok "client: a malformed server key is one clear line" grep -q "is neither a 44-character base64 public key nor a file" "$T/o"
"$B/sigknock" --server-key "$pub" --signer nobody@example.com --test > "$T/o" 2>&1
ok "client: no such signer is one clear line" grep -q "no usable secret signing key matching 'nobody@example.com'" "$T/o"
"$B/sigknock" --server-key "$pub" no-such-host.invalid > "$T/o" 2>&1
ok "client: a name that does not resolve is one clear line" grep -q "cannot resolve no-such-host.invalid" "$T/o"
"$B/sigknock" --server-key "$pub" --token card --reader no-such-reader no-such-host.invalid > "$T/o" 2>&1
ok "client: the name is resolved before the token is asked for anything" \
	sh -c "grep -q 'cannot resolve no-such-host.invalid' '$T/o' && ! grep -qi reader '$T/o'"
printf '[x]\nServer example.invalid\nColour red\n' > "$T/rc"
chmod 600 "$T/rc"
"$B/sigknock" --rc "$T/rc" -n x --test > "$T/o" 2>&1
ok "client: a bad ~/.sigknockrc line names file, line and keyword" grep -q "$T/rc:3: Colour: unknown keyword" "$T/o"

# Command lines like the tools people know
for p in sigknock sigknock-token sigknock-keys sigknockd; do
	ok "$p --help prints usage and exits 0" sh -c "'$B/$p' --help | grep -q '^usage: '"
	ok "$p --version prints the version" sh -c "'$B/$p' --version | grep -qx '$p [0-9.]*'"
	"$B/$p" --no-such-option > "$T/o" 2>&1
	ok "$p: a bad option is a short usage and 'try --help', exit 2" \
		sh -c "test $? -eq 2 && test \$(wc -l < '$T/o') -le 3 && grep -q \"Try '$p --help'\" '$T/o'"
done
if grep -q '^#define SK_CRYPTO_FAST 1' "$B/config.h"; then want='libsodium and Nettle'; else want=libgcrypt; fi
ok "sigknockd --version names the library that verifies ($want)" \
	sh -c "'$B/sigknockd' --version | grep -q '^verification: $want'"
"$B/sigknock" --server-key "$pub" -p 0 x > "$T/o" 2>&1
ok "client: -p 0 names what is expected" grep -q "port '0' is not a number from 1 to 65535" "$T/o"
"$B/sigknock" --server-key "$pub" x extra > "$T/o" 2>&1
ok "client: a second SERVER makes a group, which says why --server-key cannot serve it" grep -q -- "--server-key names one server's key: a group takes each server's ServerKey from its stanza" "$T/o"
printf '[default]\nTimeout 3\n[x]\nPort abc\n' > "$T/rc2"
chmod 600 "$T/rc2"
"$B/sigknock" --rc "$T/rc2" -n x --test > "$T/o" 2>&1
ok "client: a bad value in ~/.sigknockrc names file and line" grep -q "$T/rc2:4: Port: 'abc' is not a number from 1 to 65535" "$T/o"
: > "$T/journal"
conf "Bogus yes"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal") "$B/sigknockd" -t -e -c "$T/c.conf" 2>> "$T/journal"
ok "log lines to the journal carry sd-daemon priorities" grep -q "^<3>$T/c.conf:6: Bogus: unknown keyword" "$T/journal"
conf
gpgconf --homedir "$T/keyring" --kill gpg-agent	# the test's own gpg runs
"$B/sigknock-keys" -k "$T/keyring" list > /dev/null 2>&1
"$B/sigknockd" -t -c "$T/c.conf" > /dev/null 2>&1
ok "no gpg-agent is left running for the keyring (sigknock-keys, sigknockd -t)" \
	sh -c "! pgrep -f '[g]pg-agent --homedir $T/keyring' >/dev/null && test ! -S '$T/keyring/S.gpg-agent'"
