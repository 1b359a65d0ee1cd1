# Moving from fwknop, end to end, once per firewall backend ($FW; the
# 523 and 524 tests set it and source this file): real fwknopd 2.6.10 and
# sigknockd on one host, each on its own knock port, both serving tcp/22.
#
#   - a user moved to sigknock (mia: her GnuPG key was in fwknopd's home,
#     her stanza is imported by 'sigknock-keys import-fwknop') knocks
#     with sigknock and opens what fwknop's stanza allowed, nothing more;
#   - a user still on fwknop (on the other host, with the shared key of a
#     shared-key stanza) knocks with the real fwknop client and gets in
#     through sigknock's gate: fwknopd's rules sit in the mangle table and
#     mark what they admit (the admin's chain FWKNOP_MARK), and
#     sigknockd's PassMark lets marked packets through;
#   - neither opens the port for the other; both close at expiry.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg fwknopd fwknop iptables
[ "$FW" = nftables ] && require_cmd nft

plan 19
e2e_setup
# mia: a user of fwknopd's GPG stanza, with her secret key on the client.
mia=$(gpg_genkey 'Mia <mia@example.com>' ed25519 sign) || bail "key mia"
mia_id=$(echo "$mia" | cut -c25-40)
FH=$T/fwknop-gpg
mkdir -m 700 "$FH"
printf 'pinentry-mode loopback\nbatch\nno-tty\n' > "$FH/gpg.conf"
test_cleanup "GNUPGHOME='$FH' gpgconf --kill all"
gpg --export "$mia" | GNUPGHOME=$FH gpg -q --import 2>/dev/null || bail "import mia"
srv=$(GNUPGHOME=$FH gpg_genkey 'fwknopd <fwknopd@example.com>' rsa2048 default) ||
	bail "fwknopd's key"
KEY=$(head -c 32 /dev/urandom | base64 -w0)
HMAC=$(head -c 64 /dev/urandom | base64 -w0)

# fwknopd's configuration before the move: mia by GnuPG key (tcp/22 only:
# RESTRICT_PORTS takes tcp/443 away), the rest of the team with a shared
# key.
cat > "$T/fwknop-access.conf" <<EOF
SOURCE              10.77.0.0/16
OPEN_PORTS          tcp/22, tcp/443
RESTRICT_PORTS      tcp/443
GPG_REMOTE_ID       $mia_id
GPG_DECRYPT_ID      $(echo "$srv" | cut -c25-40)
GPG_DECRYPT_PW      unused-here
GPG_HOME_DIR        $FH
FW_ACCESS_TIMEOUT   3
MAX_FW_TIMEOUT      5
REQUIRE_SOURCE_ADDRESS Y

SOURCE              ANY
OPEN_PORTS          tcp/22
KEY_BASE64          $KEY
HMAC_KEY_BASE64     $HMAC
FW_ACCESS_TIMEOUT   3
REQUIRE_SOURCE_ADDRESS Y
EOF
mkdir -p "$T/fwknop-run"
cat > "$T/fwknopd.conf" <<EOF
PCAP_INTF           sko;
PCAP_FILTER         udp port 62201;
FWKNOP_RUN_DIR      $T/fwknop-run;
FWKNOP_PID_FILE     $T/fwknop-run/fwknopd.pid;
DIGEST_FILE         $T/fwknop-run/digest.cache;
IPT_INPUT_ACCESS    FWKNOP_MARK, mangle, PREROUTING, 1, FWKNOP_INPUT, 1;
EOF
chmod 600 "$T/fwknop-access.conf" "$T/fwknopd.conf"

# --- the move, as the README's guide does it ---
"$B/sigknock-keys" -k "$T/keyring" import-fwknop --gpg-home "$FH" \
	-o "$T/imported.conf" "$T/fwknop-access.conf" 2> "$T/import.err"
ok "fwknopd's access.conf imports" [ $? -eq 0 ]
ok "mia's stanza: her key by name, tcp/22 only" sh -c "
	grep -qx 'Users      mia@example.com' '$T/imported.conf' &&
	grep -qx 'Open       tcp/22' '$T/imported.conf'"
cp "$T/imported.conf" "$T/access.conf"
# sigknockd on its own port; what fwknopd's rules mark passes its gate.
sed -i 's/^Port .*/Port         62202/' "$T/sigknockd.conf"
echo "PassMark     0x20000000" >> "$T/sigknockd.conf"
ok "sigknockd -t accepts the imported file and PassMark" \
	in_srv "$B/sigknockd" -t -c "$T/sigknockd.conf"
# The admin's mark chain, then fwknopd, then sigknockd (any order).
in_srv iptables -t mangle -N FWKNOP_MARK &&
	in_srv iptables -t mangle -A FWKNOP_MARK -j MARK --set-xmark 0x20000000/0x20000000 ||
	bail "mangle chain"
bg_start fwknopd "$NS_SRV" fwknopd -c "$T/fwknopd.conf" -a "$T/fwknop-access.conf" -f
ok "fwknopd runs beside it" wait_for 5 test -s "$T/fwknop-run/fwknopd.pid"
ok "sigknockd starts (firewall $FW, PassMark)" daemon_start
ok "tcp/22 is closed to the client" closed $SRV4 22
ok "and to the other host" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"

# --- mia knocks with sigknock ---
n=$(count_log 'accepted mia@example.com')
knock -p 62202 --signer "$mia" -A tcp/22 --resend none 2>/dev/null
ok "mia's sigknock knock is accepted by her imported stanza" \
	wait_log "$n" 'accepted mia@example.com'
ok "tcp/22 opens for her" wait_for 2 can_connect $SRV4 22
ok "not for the other host" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"
n=$(count_log 'refused .* by mia@example.com')
knock -p 62202 --signer "$mia" -A tcp/443 --resend none 2>/dev/null
ok "tcp/443, which fwknop's RESTRICT_PORTS took away, is refused" \
	wait_log "$n" 'refused .* by mia@example.com'

# --- a user still on fwknop, on the other host ---
mkdir -p "$T/fwkhome"
HOME=$T/fwkhome in_oth fwknop -A tcp/22 -a $OTH4 -D $SRV4_OTH \
	--key-base64-rijndael "$KEY" --key-base64-hmac "$HMAC" --use-hmac \
	> "$T/fwknop.out" 2>&1
ok "the fwknop client knocks fwknopd" [ $? -eq 0 ]
ok "fwknopd's rule, through sigknock's gate, opens tcp/22 for the other host" \
	wait_for 3 sh -c "ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"
# Both grants last 3 s; fwknopd checks its rules every second or so.
ok "both close at expiry" wait_for 10 sh -c \
	"! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400 && ! ip netns exec $NS_CLI $TOOL connect $SRV4 22 400"
ok "fwknopd is still running (it served the whole time)" kill -0 "$pid_fwknopd"

# --- fwknop's ACCESS_EXPIRE, as Expires: the stanza ends, and so do its
# live grants ---
until=$(date -u -d '+8 seconds' '+%Y-%m-%d %H:%M:%S')
n=$(count_log 'reloaded;')
{ sed '/^Expires/d; s/^Timeout .*/Timeout    30/; s/^MaxTimeout .*/MaxTimeout 60/' \
	"$T/imported.conf"; } > "$T/access.new"
sed -i "/^\[fwknop-1\]/a Expires    $until" "$T/access.new"
mv "$T/access.new" "$T/access.conf"
wait_log "$n" 'reloaded;' || diag "no reload"
n=$(count_log 'accepted mia@example.com')
knock -p 62202 --signer "$mia" -A tcp/22 --resend none 2>/dev/null
opens() { wait_log "$n" 'accepted mia@example.com' && wait_for 2 can_connect $SRV4 22; }
ok "before its Expires the stanza opens tcp/22 for 30 s" opens
ok "at Expires its live grant is closed, 25 s early" \
	wait_for 12 sh -c "grep -q 'closed the grant of mia@example.com.*no stanza of the access file allows it' '$LOG' && ! ip netns exec $NS_CLI $TOOL connect $SRV4 22 400"
n=$(count_log 'expired on')
knock -p 62202 --signer "$mia" -A tcp/22 --resend none 2>/dev/null
ok "a knock after it is refused, naming the stanza and when it expired" \
	wait_log "$n" "\\[fwknop-1\\]: expired on ${until} UTC"

# --- PassMark is read at start: a change is said, not half applied ---
n=$(count_log 'PassMark: a change takes effect at the next start')
sed -i 's/^PassMark .*/PassMark     0x40000000/' "$T/sigknockd.conf"
ok "a changed PassMark is said to wait for the next start" \
	wait_log "$n" 'PassMark: a change takes effect at the next start'
