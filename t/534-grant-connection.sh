#!/bin/sh
# Grant connection (sigknock-access.conf(5)): a grant that admits one new
# connection from the bound address to each granted port, then closes in
# the kernel (nftables: a dynset delete in the packet path), while the
# connection it admitted goes on.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft python3
FW=nftables

plan 31
e2e_setup
bg_start echo7 "$NS_SRV" "$TOOL" listen 0.0.0.0 7 echo
cat > "$T/access.conf" <<EOT
[once]
Users      alice@example.com
Open       tcp/22, tcp/7
Grant      connection
Timeout    10
MaxTimeout 10

[admins]
Users      dave@example.com
Open       tcp/22, tcp/7
Timeout    10
MaxTimeout 10
EOT

# hold PORT SECONDS: a connection that sends "abc" after SECONDS, half
# closes, and prints what comes back (the echo service's "abc").
hold() {
	in_cli python3 -c '
import socket, sys, time
s = socket.create_connection(("'$SRV4'", int(sys.argv[1])), timeout=5)
print("connected", flush=True)
time.sleep(float(sys.argv[2]))
s.sendall(b"abc"); s.shutdown(socket.SHUT_WR)
print(s.recv(16).decode(), flush=True)' "$@"
}
once_elems() { in_srv nft list set inet sigknock once4 | grep -c expires || true; }
knock_once() {
	_n=$(count_log 'accepted alice@example.com')
	knock -A "$1" --resend none 2>/dev/null &&
		wait_log "$_n" 'accepted alice@example.com'
}

ok "sigknockd -t takes Grant connection" in_srv "$B/sigknockd" -t -c "$T/sigknockd.conf"
ok "sigknockd starts" daemon_start
ok "the port is closed without a knock" closed $SRV4 7
ok "alice's knock is accepted as one connection" knock_once tcp/7
ok "... and logged so" grep -q "accepted alice@example.com .*tcp/7.*\[once\], one connection" "$LOG"
ok "the kernel holds it in once4" test "$(once_elems)" -eq 1
ok "-G shows it as one connection" \
	eval 'in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -G | grep -q "tcp/7 once"'
ok "-G -j says \"grant\": \"connection\"" \
	eval 'in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -G -j | grep -q "\"grant\": \"connection\""'
hold 7 2 > "$T/held" 2>&1 &
hpid=$!
ok "the first connection is admitted" wait_for 3 grep -q connected "$T/held"
ok "... and the kernel took the grant out" test "$(once_elems)" -eq 0
ok "-G still lists it until its time ends" \
	eval 'in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -G | grep -q "tcp/7 once"'
ok "a second new connection from the same address is refused" closed $SRV4 7
ok "... while the first goes on (its bytes come back)" \
	eval 'wait $hpid; grep -qx abc "$T/held"'
ok "the other granted port was not asked for: closed" closed $SRV4 22

# Grants for two ports: one connection each.
ok "a knock for tcp/22 and tcp/7" knock_once tcp/22,tcp/7
ok "... one connection to tcp/22" can_connect $SRV4 22
ok "... one to tcp/7" can_connect $SRV4 7
ok "... and no second to either" eval 'closed $SRV4 22 && closed $SRV4 7'

# A time grant of the other stanza, at the same time, is untouched.
n=$(count_log 'accepted dave@example.com')
knock -A tcp/22 --resend none --signer "$FPR_dave" 2>/dev/null
ok "dave's time grant (another stanza) admits connection after connection" \
	eval 'wait_log $n "accepted dave" && can_connect $SRV4 22 && can_connect $SRV4 22'
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -R dave@example.com >/dev/null 2>&1

# -W: it connects right after its knock; a second -W finds the grant it
# remembers used up, and knocks again.
out=$(echo hello | GNUPGHOME=$T/users in_cli "$B/sigknock" -W $SRV4:7 -A tcp/7 \
	--server-key "$PUB" --timeout 5 2>"$T/w1")
is "$out" "hello" "sigknock -W through a one-connection grant relays both ways"
out=$(echo again | GNUPGHOME=$T/users in_cli "$B/sigknock" -v -W $SRV4:7 -A tcp/7 \
	--server-key "$PUB" --timeout 5 2>"$T/w2")
is "$out" "again" "a second -W within the grant's time knocks again and connects"
ok "... after finding the remembered grant used" grep -q "knocking" "$T/w2"

# The daemon's own views: a used grant is not put back.
knock_once tcp/7
can_connect $SRV4 7
n=$(count_log 'adding them again')
in_srv nft add table ip someone_else
sleep 1.5
ok "a foreign ruleset change does not add the used grant again" \
	eval '[ "$(count_log "adding them again")" -eq "$n" ] && closed $SRV4 7'
n=$(count_log 'cannot remove')
ok "sigknockd -R of a used grant: no error" \
	eval 'in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com >/dev/null 2>&1 &&
	sleep 0.5 && [ "$(count_log "cannot remove")" -eq "$n" ]'
knock_once tcp/7
n=$(count_log 'not added again')
in_srv nft flush ruleset
ok "a flushed ruleset: the unused one-connection grant is not restored (fails closed)" \
	eval 'wait_log $n "not added again" && closed $SRV4 7'

# A stanza's Grant changed: its live grants close at the reload.
knock_once tcp/7
pat='closed the grant of alice.*the stanza grants time, not one connection'
n=$(count_log "$pat")
sed -i 's/^Grant      connection/Grant      time/' "$T/access.conf"
ok "Grant changed to time: alice's live grant closes at the reload" \
	wait_log "$n" "$pat"
n=$(count_log 'accepted alice@example.com')
knock -A tcp/7 --resend none 2>/dev/null
ok "... and a knock now opens for time: connection after connection" \
	eval 'wait_log $n "accepted alice@example.com" && can_connect $SRV4 7 &&
	can_connect $SRV4 7'

# Configuration errors, each with its file and line.
cat > "$T/bad.conf" <<EOT
[x]
Users   alice@example.com
Open    tcp/22
Grant   sometimes
EOT
sed "s|^AccessFile.*|AccessFile $T/bad.conf|" "$T/sigknockd.conf" > "$T/bad-d.conf"
ok "Grant sometimes: refused with file and line" \
	eval '! in_srv "$B/sigknockd" -t -c "$T/bad-d.conf" >"$T/o" 2>&1 &&
	grep -q "bad.conf:4: .*Grant is time" "$T/o"'
cat > "$T/bad.conf" <<EOT
[x]
Users   alice@example.com
Open    tcp/22
Forward db1 10.77.3.2 tcp/22
Grant   connection
EOT
ok "Grant connection with Forward lines: refused, naming the line" \
	eval '! in_srv "$B/sigknockd" -t -c "$T/bad-d.conf" >"$T/o" 2>&1 &&
	grep -q "bad.conf:5: \[x\]: Grant connection is for this host" "$T/o"'
printf '[once]\nUsers alice@example.com\nOpen tcp/22\nGrant connection\n' > "$T/once.conf"
sed "s|^Firewall.*|Firewall iptables|; s|^AccessFile.*|AccessFile $T/once.conf|" \
	"$T/sigknockd.conf" > "$T/ipt.conf"
ok "Firewall iptables refuses Grant connection, naming the stanza" \
	eval '! in_srv "$B/sigknockd" -t -c "$T/ipt.conf" >"$T/o" 2>&1 &&
	grep -q "\[once\]: Grant connection needs the nftables backend" "$T/o"'
printf 'NftSet inet admin knocked4\n' >> "$T/once.conf"
ok "... and a stanza with NftSet too names both at once" \
	eval '! in_srv "$B/sigknockd" -t -c "$T/ipt.conf" >"$T/o" 2>&1 &&
	grep -q "\[once\]: NftSet and Grant connection need the nftables backend" "$T/o"'
