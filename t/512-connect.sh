#!/bin/sh
# Connect mode with OpenSSH: ProxyCommand sigknock -W %h:%p knocks, waits
# for the port, relays ssh's stream to a real sshd (the hidden tcp/22);
# a second ssh within the grant does not knock again (one touch of the
# FIDO2 emulator, one acceptance in the daemon's log); after the grant
# it knocks again; a port that never opens, a bad name and an unreachable
# network end with their exit statuses, the last two before any touch;
# ~/.sigknockrc stanzas by name and pattern; IPv6; a dual-stack name;
# --time-offset.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
. "$srcdir/t/lib-fido.sh"
require_netns
require_cmd gpg nft
require_sshd
FW=nftables
E2E_NO_SERVICE=1
E2E_OPEN="tcp/22, tcp/443, tcp/8443"
E2E_USERS_EXTRA="key-eddsa"
plan 44
e2e_setup
sshd_start || bail "sshd"

# The FIDO2 emulator and an enrolled EdDSA credential.
fido_start || bail "FIDO2 emulator"
fido_enroll key-eddsa "$T/ed.cred" --alg eddsa || bail "enroll"
"$B/sigknock-keys" -k "$T/keyring" add "$T/ed.cred.pub" >/dev/null 2>&1 || bail "add"
bg_start echo "$NS_SRV" "$TOOL" listen 0.0.0.0 8443 echo
ok "sigknockd starts" daemon_start

FIDO="--token fido2 --credential $T/ed.cred --fido-device unix:$T/fido.sock"
# The README's ~/.ssh/config lines, with this test's names and keys.
cat > "$T/ssh_config" <<EOT
Host *
	User root
	IdentityFile $T/id
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking accept-new
	BatchMode yes
	ConnectTimeout 10
Host fido
	HostName $SRV4
	ProxyCommand $B/sigknock -v -W %h:%p --server-key $PUB --timeout 5 $FIDO
Host v6
	HostName $SRV6
	ProxyCommand $B/sigknock -W %h:%p --server-key $PUB --timeout 5
Host dual
	HostName srv.test
	ProxyCommand $B/sigknock -W %h:%p --server-key $PUB --timeout 5
Host prod
	HostName $SRV4
	ProxyCommand $B/sigknock -W %h:%p %n
Host cm
	HostName $SRV4
	ControlMaster auto
	ControlPath $T/cm-%C
	ControlPersist 60
	ProxyCommand $B/sigknock -W %h:%p --server-key $PUB --timeout 3
EOT
# ssh_to HOST: run a command on the server through the ProxyCommand.
ssh_to() {
	GNUPGHOME=$T/users in_cli ssh -F "$T/ssh_config" "$1" echo connected 2>"$T/ssh.err"
}

ok "without a knock tcp/22 is closed" closed $SRV4 22
n=$(count_log 'accepted key-eddsa'); c=$(touches)
is "$(ssh_to fido)" "connected" "ssh through ProxyCommand sigknock -W runs a command behind the closed port"
ok "... one knock, key-eddsa's, for the client's address" wait_log "$n" "accepted key-eddsa .* open tcp/22 for $CLI4"
is "$(touches)" "$((c + 1))" "... one touch"
ok "... progress and the touch prompt went to ssh's stderr, not into the stream" \
	sh -c "grep -q 'accepted the connection after' '$T/ssh.err' && grep -q 'Touch your security key' '$T/ssh.err'"
ok "... through a real sshd" grep -q "Accepted publickey for root" "$T/sshd.log"
ok "the knock is remembered in ~/.sigknock/knocked (0600, in a 0700 directory)" \
	sh -c "[ \$(stat -c %a '$HOME/.sigknock/knocked') = 600 ] && [ \$(stat -c %a '$HOME/.sigknock') = 700 ] &&
	grep -q '^$SRV4 62201 $CLI4 tcp/22 ' '$HOME/.sigknock/knocked'"

n=$(count_log 'accepted key-eddsa'); c=$(touches)
is "$(ssh_to fido)" "connected" "a second ssh within the grant's 5 s connects"
sleep 0.5
is "$(count_log 'accepted key-eddsa')" "$n" "... without a knock"
is "$(touches)" "$c" "... and without a touch"
ok "... it said why" grep -q "should still be open: trying $SRV4 port 22 first" "$T/ssh.err"

ok "the grant ends" wait_for 8 no_grants
n=$(count_log 'accepted key-eddsa'); c=$(touches)
is "$(ssh_to fido)" "connected" "after it, ssh connects again"
ok "... with a new knock" wait_log "$n" "accepted key-eddsa .* open tcp/22 for $CLI4"
is "$(touches)" "$((c + 1))" "... and a new touch"
wait_for 8 no_grants

# ControlMaster: the first ssh knocks; later ones ride its connection,
# which conntrack keeps past the grant.
test_cleanup "GNUPGHOME=$T/users ip netns exec $NS_CLI ssh -F $T/ssh_config -O exit cm"
n=$(count_log 'accepted alice')
is "$(ssh_to cm)" "connected" "ControlMaster: the first ssh knocks and connects"
ok "... alice's knock" wait_log "$n" 'accepted alice'
ok "... its grant ends" wait_for 8 no_grants
n=$(count_log 'accepted alice')
is "$(ssh_to cm)" "connected" "... a later ssh, after the grant, connects through the master"
sleep 0.5
is "$(count_log 'accepted alice')" "$n" "... without a knock"
GNUPGHOME=$T/users in_cli ssh -F "$T/ssh_config" -O exit cm 2>/dev/null

# -W on its own: what the relay carries, and its exit statuses.
pat="accepted alice@example.com .* open tcp/22 for $CLI4"; n=$(count_log "$pat")
out=$(echo "hello" | GNUPGHOME=$T/users in_cli "$B/sigknock" -W $SRV4:22 \
	--server-key "$PUB" --timeout 5 2>"$T/o"); rc=$?
ok "-W relays the service's bytes to standard output (sshd's banner)" \
	sh -c "echo '$out' | head -n 1 | grep -q '^SSH-2.0-OpenSSH'"
is "$rc" 0 "... and exits 0 when the service closes"
ok "... alice's knock was accepted" wait_log "$n" "$pat"
wait_for 8 no_grants
# A service that answers only once the client has finished sending.
head -c 40000 /dev/urandom > "$T/blob"
out=$(GNUPGHOME=$T/users in_cli timeout 20 "$B/sigknock" -W $SRV4:8443 --server-key "$PUB" \
	< "$T/blob" 2>"$T/o" | cksum)
is "$out" "$(cksum < "$T/blob")" "-W passes the end of standard input on (half close) and relays 40 kB both ways"
wait_for 8 no_grants
"$B/sigknock-keys" init-server -o "$T/other.key" > "$T/other.pub" 2>/dev/null
t0=$(date +%s)
GNUPGHOME=$T/users in_cli "$B/sigknock" -W $SRV4:22 --server-key "$(cat "$T/other.pub")" \
	--connect-timeout 3 </dev/null >/dev/null 2>"$T/o"; rc=$?
t1=$(date +%s)
is "$rc" 3 "a knock sealed to another server key: exit 3, the port never opened"
ok "... within the deadline (3 s)" test $((t1 - t0)) -le 5
ok "... it says so" grep -q "knocked, but $SRV4 port 22 did not open within 3 s (no answer)" "$T/o"
c=$(touches)
in_cli "$B/sigknock" -W nosuch.invalid:22 --server-key "$PUB" $FIDO </dev/null >/dev/null 2>"$T/o"; rc=$?
ok "a host name that does not resolve: exit 1, says so" sh -c "[ $rc -eq 1 ] && grep -q 'cannot resolve nosuch.invalid' '$T/o'"
in_cli "$B/sigknock" -W 10.99.0.1:22 --server-key "$PUB" $FIDO </dev/null >/dev/null 2>"$T/o"; rc=$?
ok "a network with no route: exit 1, says so" sh -c "[ $rc -eq 1 ] && grep -q 'cannot reach 10.99.0.1' '$T/o'"
in_cli "$B/sigknock" -W $SRV4:22 nosuch.invalid --server-key "$PUB" $FIDO </dev/null >/dev/null 2>"$T/o"; rc=$?
ok "a knock server that does not resolve: exit 1" sh -c "[ $rc -eq 1 ] && grep -q 'cannot resolve nosuch.invalid' '$T/o'"
in_cli "$B/sigknock" -A tcp/22 --server-key "$PUB" $FIDO nosuch.invalid </dev/null >/dev/null 2>"$T/o"; rc=$?
ok "without -W too: exit 1" sh -c "[ $rc -eq 1 ] && grep -q 'cannot resolve nosuch.invalid' '$T/o'"
is "$(touches)" "$c" "... none of the four asked the security key for anything"

# ~/.sigknockrc: a stanza's Server is the host to knock, by name or pattern.
cat > "$HOME/.sigknockrc" <<EOT
[prod]
Server    $SRV4
Access    tcp/22

[web-* www]
Server    $SRV4
Access    tcp/443

[default]
ServerKey $PUB
EOT
chmod 600 "$HOME/.sigknockrc"
n=$(count_log "$pat")
GNUPGHOME=$T/users in_cli "$B/sigknock" prod 2>"$T/o"
ok "sigknock prod knocks [prod]'s Server" wait_log "$n" "$pat"
pat443="accepted alice@example.com .* open tcp/443 for $CLI4"; n=$(count_log "$pat443")
GNUPGHOME=$T/users in_cli "$B/sigknock" web-1 2>"$T/o"
ok "sigknock web-1 takes the wildcard stanza [web-* www]" wait_log "$n" "$pat443"
wait_for 8 no_grants
n=$(count_log "$pat")
is "$(ssh_to prod)" "connected" "ssh prod with ProxyCommand sigknock -W %h:%p %n: [prod] gives the server"
ok "... and the knock went there" wait_log "$n" "$pat"
wait_for 8 no_grants

# IPv6, and a name with both an IPv4 and an IPv6 address.
pat6="accepted alice@example.com .* open tcp/22 for $CLI6"; n=$(count_log "$pat6")
is "$(ssh_to v6)" "connected" "ssh over IPv6 through sigknock -W"
ok "... the knock opened the client's IPv6 address" wait_log "$n" "$pat6"
wait_for 8 no_grants
# ip netns exec puts /etc/netns/NAME/hosts over /etc/hosts.
mkdir -p "/etc/netns/$NS_CLI"
test_cleanup "rm -rf /etc/netns/$NS_CLI"
printf '%s srv.test\n%s srv.test\n' $SRV6 $SRV4 > "/etc/netns/$NS_CLI/hosts"
want=$(in_cli getent ahosts srv.test | awk '$2 == "STREAM" { print $1; exit }')
[ "$want" = $SRV4 ] && cli=$CLI4 || cli=$CLI6
patd="accepted alice@example.com .* open tcp/22 for $cli"; n=$(count_log "$patd")
is "$(ssh_to dual)" "connected" "a dual-stack name: ssh connects"
ok "... the knock opened the family the connection used ($want first)" \
	wait_log "$n" "$patd"
ok "... and sshd saw that address" sh -c "grep 'Accepted publickey' '$T/sshd.log' | tail -n 1 | grep -q 'from $cli '"
wait_for 8 no_grants

# A clock known to be off.
n=$(count_log 'behind the server clock')
GNUPGHOME=$T/users in_cli "$B/sigknock" --time-offset -3600 prod 2>/dev/null
ok "--time-offset -3600: the server logs the skew it sees" wait_log "$n" "timestamp 360[0-2] s behind the server clock"
n=$(count_log 'ahead of the server clock')
printf '[prod]\nTimeOffset 3600\n' >> "$HOME/.sigknockrc"
GNUPGHOME=$T/users in_cli "$B/sigknock" prod 2>/dev/null
ok "... and TimeOffset 3600 in the stanza, the other way" wait_log "$n" "timestamp 3[56][0-9][0-9] s ahead of the server clock"
