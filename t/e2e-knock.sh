# The end-to-end knock suite, run once per firewall backend ($FW):
# t/501-e2e-iptables.sh sets FW and sources this file.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg tcpdump nft

plan 138
E2E_USERS_EXTRA="jack@example.com, kim@example.com"
E2E_ACCESS_EXTRA='
[office]
Users      gina@example.com
Open       tcp/22
Timeout    3
MaxTimeout 5
Source     10.77.1.0/24

[longer]
Users          lena@example.com
Open           tcp/22
Timeout        30
MaxTimeout     60

[helpdesk]
Users          hank@example.com
Open           tcp/22
Timeout        3
MaxTimeout     5
AllowAddresses 10.77.2.0/24
AllowSourceMode yes'
e2e_setup
netns_add_eve || bail "cannot add the eve namespace"
# gina: only from the office (Source); hank: may open for the other
# network and in source mode; ivan: in no stanza.
for u in gina hank ivan; do
	f=$(GNUPGHOME=$T/users gpg_genkey "$u <$u@example.com>" ed25519 sign) || bail "key $u"
	eval "FPR_$u=$f"
	GNUPGHOME=$T/users gpg --export "$u@example.com" > "$T/$u.pgp"
	"$B/sigknock-keys" -k "$T/keyring" add "$T/$u.pgp" >/dev/null 2>&1 || bail "add $u"
done

# Stealth: capture everything the server sends to the client that would
# betray it: ICMP, UDP, or a TCP reset.
in_cli tcpdump -i sks -n -U -w "$T/stealth.pcap" \
	"src host $SRV4 and (icmp or udp or (tcp[tcpflags] & tcp-rst != 0))" \
	>/dev/null 2>&1 &
tcpdump_pid=$!
test_cleanup "kill $tcpdump_pid 2>/dev/null"

ok "sigknockd starts (firewall $FW, capture on ${E2E_IFACE:-skc})" daemon_start
ok "before any knock the service is closed to the client" closed $SRV4 22
ok "and to the other host" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"

# --- a knock opens the port for the client only, then closes ---
n=$(count_log 'accepted ')
t0=$(date +%s)
ok "the client knocks (default: binds its own address)" knock -A tcp/22 --save-packet "$T/first.pkt"
ok "the daemon logs the grant" wait_log "$n" 'accepted alice@example.com'
ok "the port opens for the client" wait_for 2 can_connect $SRV4 22
ok "the other host stays locked out" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"
ok "it closes again at the timeout (3 s)" wait_for 6 closed $SRV4 22
ok "and its rule is gone" wait_for 3 no_grants

# --- replay, also across a restart, and then too old ---
n=$(count_log 'replayed request')
in_cli "$TOOL" udp-send $SRV4 62201 "$T/first.pkt"
ok "a replayed datagram is refused" wait_log "$n" 'replayed request'
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "sigknockd restarts" daemon_start
n=$(count_log 'replayed request')
in_cli "$TOOL" udp-send $SRV4 62201 "$T/first.pkt"
ok "the replay is refused after a restart too (cache persisted)" wait_log "$n" 'replayed request'
ok "and opens nothing" closed $SRV4 22
while [ "$(date +%s)" -le $((t0 + 11)) ]; do sleep 0.2; done
n=$(count_log 'behind the server clock')
in_cli "$TOOL" udp-send $SRV4 62201 "$T/first.pkt"
ok "a datagram older than MaxPacketAge is refused" wait_log "$n" 'behind the server clock'
# Raising MaxPacketAge must not let the old datagram in again.
sed -i 's/^MaxPacketAge .*/MaxPacketAge 60/' "$T/sigknockd.conf"
n=$(count_log 'live grant')
kill -HUP "$pid_daemon"
wait_log "$n" 'live grant'
n=$(count_log 'replayed request')
in_cli "$TOOL" udp-send $SRV4 62201 "$T/first.pkt"
ok "after a reload raises MaxPacketAge, the old datagram is still a replay" \
	wait_log "$n" 'replayed request'
sed -i 's/^MaxPacketAge .*/MaxPacketAge 10/' "$T/sigknockd.conf"
n=$(count_log 'live grant')
kill -HUP "$pid_daemon"
wait_log "$n" 'live grant'

# --- policy ---
n=$(count_log 'capped to MaxTimeout')
knock -A tcp/443 --timeout 9999
ok "a timeout above MaxTimeout is capped" wait_log "$n" 'capped to MaxTimeout 5'
ok "tcp/443 opened as asked" wait_for 2 can_connect $SRV4 443
n=$(count_log 'is not in Open')
knock -A tcp/23
ok "a port outside Open is refused" wait_log "$n" 'tcp/23 is not in Open'
# --- address binding: only the address the request signed ---
n=$(count_log "binds $OTH4, not the sender's address")
knock -a $OTH4 -A tcp/22
ok "-a for another address is refused by default" \
	wait_log "$n" "binds $OTH4, not the sender's address"
ok "... and the other host stays locked out" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"
n=$(count_log 'AllowSourceMode is no')
knock -s -A tcp/22
ok "source mode (-s) is refused by default" wait_log "$n" 'AllowSourceMode is no'
n=$(count_log 'accepted hank@example.com')
knock --signer "$FPR_hank" -a $OTH4 -A tcp/22
ok "a stanza's AllowAddresses lets -a open another address" wait_log "$n" 'accepted hank@example.com'
ok "-a opens for the address named (the other host)" wait_for 2 other_can_connect $SRV4_OTH 22
ok "... and not for the client" closed $SRV4 22
n=$(count_log 'accepted hank@example.com')
knock --signer "$FPR_hank" -s -A tcp/22
ok "AllowSourceMode yes admits source mode" wait_log "$n" 'accepted hank@example.com'
ok "... which opens the sender's address" wait_for 2 can_connect $SRV4 22
wait_for 6 no_grants

# Interception: eve, on the client's segment, sends alice's datagram
# first, from her own address (the bytes a sniffer there sees).
knock -A tcp/22 --test --save-packet "$T/alice.pkt" >/dev/null
n=$(count_log "binds $CLI4, not the sender's address")
in_eve "$TOOL" udp-send $SRV4 62201 "$T/alice.pkt"
ok "a datagram intercepted and sent first from another host is refused" \
	wait_log "$n" "binds $CLI4, not the sender's address"
ok "... and opens nothing for that host" sh -c "! ip netns exec $NS_EVE $TOOL connect $SRV4 22 400"
n=$(count_log 'accepted alice')
in_cli "$TOOL" udp-send $SRV4 62201 "$T/alice.pkt"
ok "alice's own copy still gets in" wait_log "$n" 'accepted alice'
ok "... for alice" wait_for 2 can_connect $SRV4 22

# Source names the opened address too: gina may knock from the office
# only; she signs her home address (the other host's) and sends the
# datagram from a forged office source through a raw socket.
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" --signer "$FPR_gina" \
	-a $OTH4 -A tcp/22 --test --save-packet "$T/gina.pkt" $SRV4 >/dev/null
n=$(count_log "$OTH4, is outside Source")
in_cli "$TOOL" udp-spoof 10.77.1.9 $SRV4 62201 "$T/gina.pkt"
ok "a forged office source does not open a home address outside Source" \
	wait_log "$n" "$OTH4, is outside Source"
ok "... which stays locked out" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"
n=$(count_log 'accepted gina@example.com')
knock --signer "$FPR_gina" -A tcp/22
ok "gina from the office gets in" wait_log "$n" 'accepted gina@example.com'
wait_for 6 no_grants

n=$(count_log 'from fd77:1::2')
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" -6 -A tcp/22 $SRV6
ok "an IPv6 knock is accepted" wait_log "$n" 'from fd77:1::2'
ok "and opens an IPv6 rule" wait_for 2 can_connect $SRV6 22
wait_for 6 no_grants
# Extension headers before UDP: the capture filter must not lose them.
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" -6 -A tcp/22 \
	--test --save-packet "$T/ext6.pkt" $SRV6 >/dev/null 2>&1
n=$(count_log 'from fd77:1::2')
in_cli "$TOOL" udp-send -x 2 $SRV6 62201 "$T/ext6.pkt"
ok "an IPv6 knock behind hop-by-hop and destination options is accepted" \
	wait_log "$n" 'from fd77:1::2'
ok "... and opens" wait_for 2 can_connect $SRV6 22

# --- refusals that open nothing ---
"$B/sigknock-keys" init-server -o "$T/other.key" > "$T/other.pub" 2>/dev/null
n=$(count_log 'accepted ')
n3=$(count_log "not sealed to this server's key: .* the last from $CLI4")
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$(cat "$T/other.pub")" -A tcp/443 $SRV4
ok "a datagram sealed to another server's key is said at info level, with its source" \
	wait_log "$n3" "not sealed to this server's key: .* the last from $CLI4 (a client with another server's ServerKey"
n2=$(count_log 'unknown signer')
knock --signer "$FPR_carol" -A tcp/443
ok "an unknown signer is refused" wait_log "$n2" "by $FPR_carol: unknown signer"
is "$n" "$(count_log 'accepted ')" "a datagram sealed to another server's key opens nothing"
# The datagram proper (no work trailer: it is not signed, and changing it
# only changes the work, PROTOCOL.md 2.1; t/513 covers that).
knock --test --work 0 --save-packet "$T/fresh.pkt" -A tcp/443 >/dev/null
len=$(wc -c < "$T/fresh.pkt")
flips() {
	i=0
	while [ $i -lt "$len" ]; do
		in_cli "$TOOL" flip "$T/fresh.pkt" $i "$T/flip.pkt" &&
		in_cli "$TOOL" udp-send $SRV4 62201 "$T/flip.pkt" || return 1
		i=$((i + 1))
	done
}
n=$(count_log 'accepted ')
ok "every one of the $len bytes flipped in turn: sent" flips
sleep 0.5
is "$n" "$(count_log 'accepted ')" "no tampered datagram is accepted"
ok "the daemon is still running" daemon_alive
n=$(count_log 'accepted alice')
ok "the daemon still accepts a valid knock afterwards" knock -A tcp/443
ok "... and logs it" wait_log "$n" 'accepted alice'

# --- revocation and addition, no restart; live grants close ---
# grant_by SIGNER PORT: SIGNER knocks for PORT (5 s) and it opens.
grant_by() {
	_n=$(count_log "open tcp/$2 for $CLI4")
	knock --signer "$1" -A "tcp/$2" --timeout 5 &&
	wait_log "$_n" "open tcp/$2 for $CLI4" && wait_for 2 can_connect $SRV4 "$2"
}
wait_for 6 no_grants
grant_by "$FPR_hank" 22 || bail "hank's grant"
ok "a live grant of dave (tcp/443)" grant_by "$FPR_dave" 443
"$B/sigknockd" -c "$T/sigknockd.conf" -G > "$T/grants.txt" 2>&1
ok "sigknockd -G lists each grant with its owner, address, ports, time left and stanza" \
	grep -q "^dave@example.com *$CLI4 *tcp/443 *[1-5]s *admins$" "$T/grants.txt"
"$B/sigknockd" -c "$T/sigknockd.conf" -G -j > "$T/grants.json" 2>&1
ok "... and as JSON" grep -q '"user": "dave@example.com", "signer": "openpgp", "id": "'"$FPR_dave"'", "address": "'"$CLI4"'", "source": "'"$CLI4"'", "bound": true, "ports": \["tcp/443"\], "destination": null, "grant": "time", "expires": [0-9]*, "remaining": [1-5], "stanza": "admins"' "$T/grants.json"
sed 's/^:-----BEGIN/-----BEGIN/' "$T/users/openpgp-revocs.d/$FPR_dave.rev" > "$T/dave.rev"
n=$(count_log "closed the grant of dave@example.com for $CLI4: the key was revoked or removed")
gpg --homedir "$T/keyring" --batch --quiet --import "$T/dave.rev" 2>/dev/null
sleep 1.2
ok "a revocation certificate closes that user's live grant within 1 s" closed $SRV4 443
ok "... saying why" wait_log "$n" "closed the grant of dave@example.com for $CLI4: the key was revoked or removed"
ok "... and leaves another user's grant open" can_connect $SRV4 22
n=$(count_log "by $FPR_dave: revoked key of dave@example.com")
knock --signer "$FPR_dave" -A tcp/22
ok "after gpg --import of a revocation certificate, that user is refused within 1 s, named" \
	wait_log "$n" "by $FPR_dave: revoked key of dave@example.com"
grant_by "$FPR_erin" 443 || bail "erin's grant"
"$B/sigknock-keys" -k "$T/keyring" revoke "$FPR_erin" >/dev/null 2>&1
sleep 1.2
ok "sigknock-keys revoke closes that user's live grant within 1 s" closed $SRV4 443
n=$(count_log "by $FPR_erin: revoked key of erin@example.com")
knock --signer "$FPR_erin" -A tcp/22
ok "after sigknock-keys revoke FPR, that user is refused within 1 s, named as revoked" \
	wait_log "$n" "by $FPR_erin: revoked key of erin@example.com"
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -t > "$T/t.out" 2>&1
ok "sigknockd -t says the revoked user in Users is revoked, not unknown" \
	grep -q "Users erin@example.com: revoked ('sigknock-keys unrevoke erin@example.com' restores it)" "$T/t.out"
# A revocation sticks: a re-import of the key, and a copy of the keyring
# without GnuPG's trustdb, bring nothing back; unrevoke does.
gpg --homedir "$T/keyring" --batch --quiet --import "$T/erin.pgp" 2>/dev/null
sleep 1
n=$(count_log "by $FPR_erin: revoked key of erin@example.com")
knock --signer "$FPR_erin" -A tcp/22
ok "a revoked key re-imported with gpg stays refused" \
	wait_log "$n" "by $FPR_erin: revoked key of erin@example.com"
cp -a "$T/keyring" "$T/keyring2"
rm -f "$T/keyring2/trustdb.gpg"
sed -i "s|^Keyring .*|Keyring $T/keyring2|" "$T/sigknockd.conf"
n=$(count_log "keyring $T/keyring2:")
kill -HUP "$pid_daemon"
wait_log "$n" "keyring $T/keyring2:"
n=$(count_log "by $FPR_erin: revoked key of erin@example.com")
knock --signer "$FPR_erin" -A tcp/22
ok "... and in a copy of the keyring without its trustdb" \
	wait_log "$n" "by $FPR_erin: revoked key of erin@example.com"
sed -i "s|^Keyring .*|Keyring $T/keyring|" "$T/sigknockd.conf"
n=$(count_log "keyring $T/keyring:")
kill -HUP "$pid_daemon"
wait_log "$n" "keyring $T/keyring:"
"$B/sigknock-keys" -k "$T/keyring" unrevoke "$FPR_erin" >/dev/null 2>&1
sleep 1
n=$(count_log 'accepted erin@example.com')
knock --signer "$FPR_erin" -A tcp/22
ok "sigknock-keys unrevoke lets the user in again within 1 s" \
	wait_log "$n" 'accepted erin@example.com'

"$B/sigknock-keys" -k "$T/keyring" add "$T/frank.pgp" >/dev/null 2>&1
sleep 1
n=$(count_log 'accepted frank')
knock --signer "$FPR_frank" -A tcp/22
ok "a newly added user can knock within 1 s" wait_log "$n" 'accepted frank@example.com'
# jack: imported with plain gpg, named by the daemon at first sight.
f=$(GNUPGHOME=$T/users gpg_genkey "jack <jack@example.com>" ed25519 sign) || bail "key jack"
GNUPGHOME=$T/users gpg --export "$f" | gpg --homedir "$T/keyring" --batch --quiet --import 2>/dev/null
sleep 1
n=$(count_log 'accepted jack')
knock --signer "$f" -A tcp/22
ok "a key imported with plain gpg --import can knock under its e-mail" \
	wait_log "$n" 'accepted jack@example.com'
ok "... which the ledger records as first seen" \
	grep -q "^$f jack@example.com active .* first-seen$" "$T/keyring/sigknock-users"

# Identities the key holder cannot choose: ivan (in no stanza) gives his
# key gina's e-mail as its only user ID; the admin imports his "updated
# key" with gpg.  His name stays ivan@example.com.
GNUPGHOME=$T/users gpg --batch --quiet --quick-add-uid "$FPR_ivan" "Ivan <gina@example.com>" 2>/dev/null
GNUPGHOME=$T/users gpg --batch --quiet --quick-revoke-uid "$FPR_ivan" "ivan <ivan@example.com>" 2>/dev/null
GNUPGHOME=$T/users gpg --export "$FPR_ivan" > "$T/ivan2.pgp"
gpg --homedir "$T/keyring" --batch --quiet --import "$T/ivan2.pgp" 2>/dev/null
sleep 1
n=$(count_log "refused from $CLI4 by ivan@example.com")
knock --signer "$FPR_ivan" -A tcp/22
ok "a key whose user ID now claims another user's e-mail keeps its own name" \
	wait_log "$n" "refused from $CLI4 by ivan@example.com ($FPR_ivan): no stanza names this user"
# mallory: a new key imported with plain gpg whose e-mail alice holds.
f=$(GNUPGHOME=$T/users gpg_genkey "Mallory <alice@example.com>" ed25519 sign) || bail "key mallory"
GNUPGHOME=$T/users gpg --export "$f" > "$T/mallory.pgp"
n=$(count_log "is held by another user")
gpg --homedir "$T/keyring" --batch --quiet --import "$T/mallory.pgp" 2>/dev/null
ok "the daemon warns when a new key claims a name someone holds" \
	wait_log "$n" "key $f: its user ID's e-mail 'alice@example.com' is held by another user"
# A user ID with a control character cannot forge a log line.
f2=$(GNUPGHOME=$T/users gpg_genkey "$(printf 'Evil\rsigknockd: accepted root')" ed25519 sign) || bail "key evil"
GNUPGHOME=$T/users gpg --export "$f2" | gpg --homedir "$T/keyring" --batch --quiet --import 2>/dev/null
n2=$(count_log 'Evil\\x0dsigknockd: accepted root')
ok "a user ID with a control character is logged escaped" \
	wait_log "$n2" 'Evil\\x0dsigknockd: accepted root'
ok "... and no raw carriage return reaches the log" sh -c "! grep -q \"\$(printf '\\r')\" '$LOG'"
n=$(count_log "by $f (no name): no stanza names this user")
knock --signer "$f" -A tcp/22
ok "... and that key gets no name, so alice's stanza does not apply" \
	wait_log "$n" "by $f (no name): no stanza names this user"

# --- garbage, then the stealth verdict ---
in_cli "$TOOL" udp-send $SRV4 62201 random:300x200
in_cli "$TOOL" udp-send $SRV4 62201 random:10x20
in_cli "$TOOL" connect $SRV4 22 200
in_cli "$TOOL" udp-send $SRV4 9 random:50
control_seen() {
	tcpdump -r "$T/stealth.pcap" -n 2>/dev/null | grep -q 'udp port 9 unreachable'
}
wait_for 5 control_seen
sleep 0.3
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null
tcpdump -r "$T/stealth.pcap" -n 2>/dev/null > "$T/stealth.txt"
is 1 "$(grep -c 'udp port 9 unreachable' "$T/stealth.txt")" \
	"control: a closed port outside sigknock answers, and the capture sees it"
is 0 "$(grep -vc 'udp port 9 unreachable' "$T/stealth.txt")" \
	"stealth: otherwise the server sent the client no ICMP, no UDP and no TCP reset"

# --- a second knock extends a live grant (delete + add, one commit) ---
n=$(count_log 'accepted ')
knock -A tcp/22 --timeout 2
wait_log "$n" 'accepted '
n=$(count_log 'accepted ')
knock -A tcp/22 --timeout 5
wait_log "$n" 'accepted '
sleep 3
ok "a second knock extends the live grant past its first expiry" can_connect $SRV4 22
ok "with a single grant in the kernel, not two" test "$(grant_rules)" -eq 1
wait_for 5 no_grants

# --- a flood that costs verifications, from 200 spoofed /24s ---
# Each datagram names alice and carries a well-formed signature packet, so
# the per-source limit does not hold it back; the fair queue must.
in_cli "$TOOL" flood -s 200 $SRV4 62201 named 6 "$PUB" "$FPR_alice" > "$T/flood.out" &
fpid=$!
sleep 1
n=$(count_log 'accepted ')
knock -A tcp/22 --timeout 5
ok "during a named flood from 200 spoofed /24s the user still gets in" wait_log "$n" 'accepted '
wait "$fpid"
n=$(count_log 'queue: ')
kill -USR1 "$pid_daemon"
wait_log "$n" 'queue: '
stats=$(grep 'stats: received' "$LOG" | tail -n 1)
"$B/sigknockd" -c "$T/sigknockd.conf" -S > "$T/counters" 2>&1
ok "sigknockd -S prints the running daemon's counters" \
	sh -c "grep -q '^bad_signature [1-9]' '$T/counters' && grep -q '^bad_mac1 [1-9]' '$T/counters' && grep -q '^granted [1-9]' '$T/counters'"
ok "the flood cost verifications (bad signatures counted)" \
	test "$(echo "$stats" | sed 's/.*bad signature \([0-9]*\).*/\1/')" -gt 0
ok "and the rest was shed from the queue, not verified" \
	test "$(echo "$stats" | sed 's/.*shed \([0-9]*\).*/\1/')" -gt 0
wait_for 6 no_grants

# --- what can never be a knock stays in the kernel ---
counter() { "$B/sigknockd" -c "$T/sigknockd.conf" -S 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
r0=$(counter received) m0=$(counter bad_mac1)
in_cli "$TOOL" udp-send $SRV4 62201 random:151x40
in_cli "$TOOL" udp-send $SRV6 62201 random:151x40
in_cli "$TOOL" udp-send $SRV4 62201 random:152x30
in_cli "$TOOL" udp-send -x 1 $SRV6 9 random:300x10
mac1_seen() { [ "$(counter bad_mac1)" -ge $((m0 + 30)) ]; }
wait_for 5 mac1_seen
sleep 0.3
ok "datagrams shorter than a knock (151 bytes, IPv4 and IPv6) never reach the daemon; 152 do" \
	test "$(counter received)" -eq $((r0 + 30))
ok "... nor IPv6 to another port behind an extension header" \
	test "$(counter bad_mac1)" -eq $((m0 + 30))

# --- the gate comes back after someone else's reload, with the grant ---
knock_silent() {	# the knock port drop is in the gate
	if [ "$FW" = nftables ]; then
		in_srv nft list chain inet sigknock input | grep -q 'udp dport 62201 drop'
	else
		in_srv iptables-legacy -S SIGKNOCK | grep -q -- '--dport 62201 -j DROP'
	fi
}
stranger_locked_out() { ! other_can_connect $SRV4_OTH 22; }
wipe_ruleset() {
	if [ "$FW" = nftables ]; then
		in_srv nft flush ruleset
	else
		printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' |
			in_srv iptables-legacy-restore
	fi
}
n=$(count_log 'accepted alice')
knock -A tcp/22 --timeout 5
wait_log "$n" 'accepted alice'
wait_for 2 can_connect $SRV4 22
n=$(count_log 'gate rebuilt')
wipe_ruleset
if [ "$FW" = nftables ]; then w="nft flush ruleset"; else w="iptables-restore of an empty ruleset"; fi
sleep 1.1
ok "within 1 s of $w the protected port is closed to strangers again" stranger_locked_out
ok "... the daemon logs that it rebuilt its gate" wait_log "$n" 'gate rebuilt, 1 live grant restored'
ok "... the grant is back for its holder" can_connect $SRV4 22
ok "... and the knock port is silent again" knock_silent
if [ "$FW" = nftables ]; then
	# Debian's stock /etc/nftables.conf, as systemctl reload nftables
	# loads it: it starts with flush ruleset.
	cat > "$T/nftables.conf" <<'NFT'
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
NFT
	n=$(count_log 'gate rebuilt')
	in_srv nft -f "$T/nftables.conf"
	sleep 1.1
	ok "nft -f of Debian's stock nftables.conf: closed to strangers within 1 s" stranger_locked_out
	ok "... gate rebuilt" wait_log "$n" 'gate rebuilt'
	# With the gate snippet included after flush ruleset, a reload never
	# opens the port at all, and the grant comes back.
	printf 'include "%s"\n' "$T/state/nftables-gate.nft" >> "$T/nftables.conf"
	n=$(count_log 'accepted alice')
	knock -A tcp/22 --timeout 5
	wait_log "$n" 'accepted alice'
	n=$(count_log 'adding them again')
	in_srv nft -f "$T/nftables.conf"
	ok "with the gate snippet included, the reload leaves strangers locked out at once" \
		stranger_locked_out
	ok "... and the daemon adds the live grant again" wait_log "$n" 'adding them again'
	ok "... for its holder" wait_for 2 can_connect $SRV4 22
	# The gate is checked for what it holds, not for how many rules it
	# has: an emptied set of protected ports, a protected port swapped
	# for another (the same count), the knock port's drop deleted.
	n=$(count_log 'gate rebuilt')
	in_srv nft flush set inet sigknock protected
	sleep 1.1
	ok "nft flush set of the protected ports: closed to strangers again within 1 s" stranger_locked_out
	ok "... gate rebuilt" wait_log "$n" 'gate rebuilt'
	n=$(count_log 'gate rebuilt')
	in_srv nft delete element inet sigknock protected '{ tcp . 22 }'
	in_srv nft add element inet sigknock protected '{ tcp . 9999 }'
	sleep 1.1
	ok "a protected port swapped for another: closed to strangers again within 1 s" stranger_locked_out
	ok "... gate rebuilt" wait_log "$n" 'gate rebuilt'
	n=$(count_log 'gate rebuilt')
	h=$(in_srv nft -a list chain inet sigknock input | sed -n 's/.*udp dport 62201 drop # handle \([0-9]*\)/\1/p')
	in_srv nft delete rule inet sigknock input handle "$h"
	ok "the knock port's drop deleted: back within 1 s" wait_for 1 knock_silent
	ok "... gate rebuilt" wait_log "$n" 'gate rebuilt'
else
	n=$(count_log 'gate rebuilt')
	in_srv iptables-legacy -D INPUT -j SIGKNOCK
	sleep 1.1
	ok "a deleted jump to our chain: closed to strangers within 1 s" stranger_locked_out
	ok "... gate rebuilt" wait_log "$n" 'gate rebuilt'
	# What the gate holds, not how many rules: a rule put ahead of our
	# jump, our chain flushed.
	n=$(count_log 'gate rebuilt')
	in_srv iptables-legacy -I INPUT 1 -p tcp --dport 22 -j ACCEPT
	sleep 1.1
	ok "an ACCEPT put ahead of our jump: our jump first again within 1 s" \
		sh -c "ip netns exec '$NS_SRV' iptables-legacy -S INPUT | sed -n 2p | grep -q -- '-j SIGKNOCK'"
	ok "... closed to strangers" stranger_locked_out
	n=$(count_log 'gate rebuilt')
	in_srv iptables-legacy -F SIGKNOCK
	sleep 1.1
	ok "our chain flushed: closed to strangers again within 1 s" stranger_locked_out
	ok "... gate rebuilt" wait_log "$n" 'gate rebuilt'
	in_srv iptables-legacy -D INPUT -p tcp --dport 22 -j ACCEPT
	for i in 1 2 3; do skip "the nftables include snippet: nftables only"; done
	for i in 1 2; do skip "the sets of table inet sigknock: nftables only"; done
fi
wait_for 6 no_grants

# --- live grants close when the access file stops allowing them ---
wait_for 6 no_grants
grant_by "$FPR_gina" 22 || bail "gina's grant"
sed -i 's/^Users      gina@example.com$/Users      nobody@example.com/' "$T/access.conf"
sleep 1.5
ok "removing a user from the access file closes their live grant within 1 s" closed $SRV4 22
ok "... saying why" grep -q "closed the grant of gina@example.com for $CLI4: no stanza of the access file allows it any more" "$LOG"
sed -i 's/^Users      nobody@example.com$/Users      gina@example.com/' "$T/access.conf"
sleep 1.2
# ... and when the key expires (lena's key lives 8 s; her stanza grants 60)
f=$(GNUPGHOME=$T/users gpg_genkey "lena <lena@example.com>" ed25519 sign seconds=8) || bail "key lena"
GNUPGHOME=$T/users gpg --export "$f" > "$T/lena.pgp"
"$B/sigknock-keys" -k "$T/keyring" add "$T/lena.pgp" >/dev/null 2>&1
sleep 1
n=$(count_log 'accepted lena')
knock --signer "$f" -A tcp/22 --timeout 60
wait_log "$n" 'accepted lena'
ok "lena's knock opens (her key expires in a few seconds)" wait_for 2 can_connect $SRV4 22
sleep 8
ok "at her key's expiry her live grant is closed" closed $SRV4 22
ok "... saying why" grep -q "closed the grant of lena@example.com for $CLI4: the key expired" "$LOG"
# sigknockd -R: close one user's grants, keep the key
wait_for 6 no_grants
grant_by "$FPR_hank" 22 || bail "hank's grant"
grant_by "$FPR_alice" 443 || bail "alice's grant"
ok "sigknockd -R USER closes that user's grants" \
	"$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com
ok "... which closes at once" closed $SRV4 443
ok "... and leaves others' grants" can_connect $SRV4 22
"$B/sigknockd" -c "$T/sigknockd.conf" -G > "$T/grants.txt" 2>&1
ok "... and -G shows the rest" sh -c "grep -q '^hank@example.com ' '$T/grants.txt' && ! grep -q '^alice@example.com ' '$T/grants.txt'"
"$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com > "$T/o" 2>&1; rc=$?
ok "-R for a user with no live grant left says so, and succeeds" \
	sh -c "[ $rc -eq 0 ] && grep -q 'alice@example.com holds no live grant' '$T/o'"
"$B/sigknockd" -c "$T/sigknockd.conf" -R alise@example.com > "$T/o" 2>&1; rc=$?
ok "-R with a mistyped name fails, suggesting the name" \
	sh -c "[ $rc -eq 1 ] && grep -q \"no user 'alise@example.com' in the keyring $T/keyring: did you mean alice@example.com?\" '$T/o'"

# --- policy reload without SIGHUP ---
# (Counted before the edit: the daemon may see it before the next line.)
n=$(count_log 'access file changed: reloading')
sed -i 's|^Open       tcp/22, tcp/443$|Open       tcp/22, tcp/443, tcp/8443|' "$T/access.conf"
ok "an access-file edit is picked up without SIGHUP" \
	wait_log "$n" 'configuration or access file changed: reloading'
n=$(count_log 'open tcp/8443')
knock -A tcp/8443
ok "... and applies (a port it added opens)" wait_log "$n" 'open tcp/8443'

# --- a keyring deployed by symlink swap, as configuration management does ---
cp -a "$T/keyring" "$T/kr.a"
cp -a "$T/keyring" "$T/kr.b"
ln -s kr.a "$T/kr"
f=$(GNUPGHOME=$T/users gpg_genkey "kim <kim@example.com>" ed25519 sign) || bail "key kim"
FPR_kim=$f
GNUPGHOME=$T/users gpg --export "$f" > "$T/kim.pgp"
"$B/sigknock-keys" -k "$T/kr.b" add "$T/kim.pgp" >/dev/null 2>&1
n=$(count_log "keyring $T/kr:")
sed -i "s|^Keyring .*|Keyring $T/kr|" "$T/sigknockd.conf"
wait_log "$n" "keyring $T/kr:"
swap() { ln -sfn "$1" "$T/kr.tmp" && mv -T "$T/kr.tmp" "$T/kr"; }
kim_knocks() {	# kim_knocks PATTERN: a knock by kim logs PATTERN
	_n=$(count_log "$1")
	knock --signer "$FPR_kim" -A tcp/22
	wait_log "$_n" "$1"
}
swap kr.b
sleep 1.5
ok "a symlink swap of the keyring is seen (a user only the new one has gets in)" \
	kim_knocks 'accepted kim@example.com'
swap kr.a
sleep 1.5
ok "... and the next swap too" kim_knocks "by $FPR_kim: unknown signer"
swap kr.b
sleep 1.5
ok "... and the one after" kim_knocks 'accepted kim@example.com'
# A revocation that lands while the keyring is being read is not lost.
gpg --homedir "$T/kr.b" --batch --quiet --import "$T/ivan2.pgp" 2>/dev/null
"$B/sigknock-keys" -k "$T/kr.b" revoke "$FPR_kim" >/dev/null 2>&1
sleep 1.5
ok "a revocation right behind another keyring change takes effect" \
	kim_knocks "by $FPR_kim: revoked key of kim@example.com"
sed -i "s|^Keyring .*|Keyring $T/keyring|" "$T/sigknockd.conf"
n=$(count_log "keyring $T/keyring:")
wait_log "$n" "keyring $T/keyring:"

# --- one daemon per PID file ---
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -e > "$T/second.out" 2>&1
ok "a second sigknockd with the same PidFile refuses to start" test $? -ne 0
ok "... saying which one runs" grep -q "another sigknockd (pid $pid_daemon) is running with PidFile $T/sigknockd.pid; not starting" "$T/second.out"
ok "... and leaves the running daemon and its PID file alone" \
	sh -c "kill -0 $pid_daemon && grep -qx $pid_daemon '$T/sigknockd.pid'"

# --- SIGHUP and a restart keep live grants ---
n=$(count_log 'accepted ')
knock -A tcp/22 --timeout 5
wait_log "$n" 'accepted '
n=$(count_log 'live grant kept')
kill -HUP "$pid_daemon"
ok "SIGHUP reloads and keeps the live grant" wait_log "$n" 'reloaded; 1 live grant kept'
ok "... which still opens the port" can_connect $SRV4 22
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
daemon_start
ok "a restart adopts the live grant" can_connect $SRV4 22
"$B/sigknockd" -c "$T/sigknockd.conf" -G > "$T/grants.txt" 2>&1
ok "... with its owner" grep -q "^alice@example.com *$CLI4 *tcp/22 " "$T/grants.txt"
ok "and the new daemon removes its rule at its expiry" wait_for 8 no_grants

# --- SIGKILL right after a grant: its owner was in the journal ---
snap=$(cksum < "$T/state/grants")
n=$(count_log 'accepted ')
knock -A tcp/22 --timeout 6
wait_log "$n" 'accepted '
wait_for 2 can_connect $SRV4 22
ok "an accepted knock appends its owner to StateDir's journal, and leaves the snapshot as it was" \
	sh -c "grep -q ' $CLI4 bound tcp/22 openpgp ' '$T/state/grants.journal' && test \"\$(cksum < '$T/state/grants')\" = '$snap'"
kill -9 "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
n=$(count_log 'grant owner adopted')
daemon_start
ok "after SIGKILL, a restart adopts the grant's owner from the journal" \
	wait_log "$n" '1 grant owner adopted'
ok "... and folds the journal into the snapshot" \
	sh -c "! test -e '$T/state/grants.journal' && grep -q ' $CLI4 bound tcp/22 openpgp ' '$T/state/grants'"
"$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com > "$T/r.out" 2>&1
ok "... so that -R alice closes it" wait_for 3 closed $SRV4 22

# --- a crash between the firewall commit and the owners' journal ---
if grep -q '^#define SK_TEST_HOOKS 1' "$B/config.h"; then
	kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
	SK_TEST_CRASH_BEFORE_JOURNAL=1; export SK_TEST_CRASH_BEFORE_JOURNAL
	daemon_start
	unset SK_TEST_CRASH_BEFORE_JOURNAL
	knock -A tcp/22 --timeout 30 --resend none
	wait_for 3 sh -c "! kill -0 $pid_daemon 2>/dev/null"
	wait "$pid_daemon" 2>/dev/null
	ok "(test hook) the monitor died right after the firewall commit, the grant open" \
		can_connect $SRV4 22
	n=$(count_log 'closed a grant with no owner on record')
	daemon_start
	ok "... the restart closes that grant: its owner never reached the journal" \
		sh -c "grep -c 'closed a grant with no owner on record' '$LOG' | grep -qx $((n + 1)) && ! ip netns exec $NS_CLI '$TOOL' connect $SRV4 22 400"
else
	skip "built without --enable-test-hooks (a crash between the firewall commit and the journal)"
	skip "built without --enable-test-hooks (a crash between the firewall commit and the journal)"
fi

# --- crash: the kernel stops matching at expiry, a restart cleans up ---
n=$(count_log 'accepted ')
knock -A tcp/22 --timeout 3
wait_log "$n" 'accepted '
wait_for 2 can_connect $SRV4 22
kill -9 "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "after SIGKILL the grant still works until its expiry" can_connect $SRV4 22
sleep 4
ok "at its expiry the grant stops matching, with no daemon to delete it" closed $SRV4 22
if [ "$FW" = nftables ]; then
	ok "(the kernel removed the set element by itself)" no_grants
else
	ok "(the stale rule is still in the chain, inert)" test "$(grant_rules)" -ge 1
fi
daemon_start
ok "a restart leaves no stale grant" wait_for 3 no_grants

# --- server key rotation: both keys during the overlap, then only the new ---
# No configuration edit: the daemon notices the new key and the old one
# rotate-server leaves beside it, and a reload in between keeps both
# (before, a reload before PreviousServerKey was set locked out every
# client with the old public key).
n=$(count_log 'previous key .* are accepted too')
"$B/sigknock-keys" rotate-server "$T/server.key" > "$T/new.pub" 2> "$T/rotate.err"
ok "sigknock-keys rotate-server prints the new public key" grep -qE '^[A-Za-z0-9+/]{43}=$' "$T/new.pub"
ok "... and says the daemon takes both keys with no edit" grep -q "sigknockd accepts both from now on" "$T/rotate.err"
NEWPUB=$(cat "$T/new.pub")
ok "the daemon picks up the new key and the previous one by itself" \
	wait_log "$n" "previous key ($T/server.key.previous) are accepted too"
n=$(count_log 'live grant')
kill -HUP "$pid_daemon"
wait_log "$n" 'live grant'
n=$(count_log 'accepted alice')
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$NEWPUB" -A tcp/22 $SRV4
ok "after a reload in the overlap a knock sealed to the new key is accepted" wait_log "$n" 'accepted alice'
ok "... its log line names no previous key" sh -c "grep 'accepted alice' '$LOG' | tail -n 1 | grep -vq 'previous server key'"
n=$(count_log 'accepted alice.*(sealed to the previous server key)')
knock -A tcp/22
ok "... and one sealed to the previous key too, its log line saying so" \
	wait_log "$n" 'accepted alice.*(sealed to the previous server key)'
ok "sigknockd -S counts the knocks sealed to the previous key" \
	sh -c "'$B/sigknockd' -c '$T/sigknockd.conf' -S | grep -q '^granted_previous_key [1-9]'"
n=$(count_log 'only the current key is accepted')
mv "$T/server.key.previous" "$T/old.key"
ok "removing the previous key's file ends the rotation" \
	wait_log "$n" 'only the current key is accepted'
n=$(count_log 'mac1 mismatch')
knock -A tcp/22
ok "after the rotation the previous key is refused (dies at mac1)" wait_log "$n" 'mac1 mismatch'
n=$(count_log 'accepted alice')
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$NEWPUB" -A tcp/22 $SRV4
ok "... and the new key accepted" wait_log "$n" 'accepted alice'
n=$(count_log "previous key ($T/old.key) are accepted too")
echo "PreviousServerKey $T/old.key" >> "$T/sigknockd.conf"
ok "PreviousServerKey names a previous key kept elsewhere" \
	wait_log "$n" "previous key ($T/old.key) are accepted too"
n=$(count_log 'accepted alice.*(sealed to the previous server key)')
knock -A tcp/22
ok "... and knocks sealed to it are accepted" \
	wait_log "$n" 'accepted alice.*(sealed to the previous server key)'
