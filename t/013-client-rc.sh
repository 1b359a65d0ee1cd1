#!/bin/sh
# The client's ~/.sigknockrc read as ssh reads ~/.ssh/config: the name on
# the command line picks stanzas by pattern, the first value of each
# keyword wins, a stanza's Server is the host knocked, [default] fills in
# last, the command line overrides everything; --time-offset and -W's
# argument checks.  Nothing is sent (--test, or errors before sending).
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
require_cmd gpg
B=$top_builddir
plan 36

test_tmpdir
T=$tap_tmp
gpg_home "$T/user"
gpg_genkey 'Alice <alice@example.com>' ed25519 sign >/dev/null || bail "keygen"
# RFC 7748 section 6.1's public key (no secret here): a valid server key.
PUB=hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=
cat > "$T/rc" <<EOT
# the stanza [prod] names its host; [p* !pq] also matches prod, later
[prod]
Server    127.0.0.2
Access    tcp/22

[p* !pq]
Server    127.0.0.3
Access    tcp/443
Timeout   7

[127.0.0.*]
Server    %h
Access    udp/53

[g1]
Server    127.0.0.4

[g2]
Server    127.0.0.5
Port      6001

[grp]
Servers   g?
Access    tcp/2222

[default]
ServerKey $PUB
Port      6000
EOT
chmod 600 "$T/rc"
sk() { "$B/sigknock" --rc "$T/rc" --test "$@" 2>&1; }
field() { sed -n "s/^$1: *//p"; }

out=$(sk prod)
is "$(echo "$out" | field server)" "127.0.0.2 port 6000" \
	"sigknock prod knocks the host of [prod]'s Server, not 'prod'"
is "$(echo "$out" | field access)" "tcp/22" "the first stanza's Access wins"
is "$(echo "$out" | field timeout)" "7 s" "a later matching stanza fills what it left unset"
out=$(sk pa)
is "$(echo "$out" | field server)" "127.0.0.3 port 6000" "a wildcard stanza [p*] matches pa"
is "$(echo "$out" | field access)" "tcp/443" "(with its Access)"
out=$(sk pq)
ok "a negated pattern (!pq) keeps the stanza out: pq is a host name then" \
	sh -c "echo '$out' | grep -q 'cannot resolve pq'"
out=$(sk 127.0.0.9)
is "$(echo "$out" | field server)" "127.0.0.9 port 6000" "Server %h is the name given"
is "$(echo "$out" | field access)" "udp/53" "(the stanza [127.0.0.*] matched it)"
out=$(sk -A tcp/2222 -p 7000 --timeout 3 prod)
is "$(echo "$out" | field access)" "tcp/2222" "-A on the command line overrides Access"
is "$(echo "$out" | field server)" "127.0.0.2 port 7000" "-p overrides [default]'s Port"
is "$(echo "$out" | field timeout)" "3 s" "--timeout overrides Timeout"
out=$(sk -n prod 127.0.0.5)
is "$(echo "$out" | field server)" "127.0.0.5 port 6000" "with -n STANZA, SERVER on the command line overrides its Server"
is "$(echo "$out" | field access)" "tcp/22" "(the stanza still applies)"
out=$(sk -n 127.0.0.8)
is "$(echo "$out" | field server)" "127.0.0.8 port 6000" "with -n NAME alone, %h is NAME"
out=$(sk -n prod 'nosuch%h.invalid')
ok "a SERVER on the command line is used as given (%h is the file's only)" \
	sh -c "echo '$out' | grep -q 'cannot resolve nosuch%h.invalid'"
out=$(sk -n nosuch)
ok "-n with no matching stanza says so" sh -c "echo '$out' | grep -q 'no stanza matches nosuch'"

# A destination behind a gateway: PROTO/PORT@DEST, or @DEST alone.
out=$(sk -A tcp/22@db1,tcp/5432@db1 prod)
is "$(echo "$out" | field access)" "tcp/22, tcp/5432 at db1, behind the server" "-A tcp/22@db1,tcp/5432@db1 names the destination"
out=$(sk -A @db1 prod)
is "$(echo "$out" | field access)" "the server's default at db1, behind the server" "-A @db1 asks for db1's default ports"
out=$(sk -A tcp/22@db1,tcp/22@db2 prod)
ok "-A with two destinations is refused" sh -c "echo '$out' | grep -q 'one knock opens one destination, not db1 and db2'"
out=$(sk -A tcp/22@db1,tcp/443 prod)
ok "-A naming a destination for some entries only is refused" sh -c "echo '$out' | grep -q 'either every entry names the destination'"
sk -A 'tcp/22@d/b' prod > "$T/o"
ok "-A with a bad destination name is refused" grep -q "'d/b' is not a destination name" "$T/o"

# Groups: one signature for a set of servers.
sk grp > "$T/o"
ok "Servers g? stands for the stanzas g1 and g2: one datagram each, as a set of 2" \
	sh -c "[ \$(grep -c 'set:        2 servers, one signature' '$T/o') -eq 2 ] &&
	grep -q 'server:     127.0.0.4 port 6000' '$T/o' && grep -q 'server:     127.0.0.5 port 6001' '$T/o'"
ok "... the group's Access is the request's" sh -c "[ \$(grep -c 'access:     tcp/2222' '$T/o') -eq 2 ]"
sk g1 g2 127.0.0.9 > "$T/o"
ok "three servers on the command line: a set of 3" \
	sh -c "[ \$(grep -c 'set:        3 servers' '$T/o') -eq 3 ]"
sk --server-key "$PUB" g1 g2 > "$T/o"
ok "a group refuses --server-key (each member's is in its stanza)" \
	grep -q -- "--server-key names one server's key" "$T/o"

# --time-offset and TimeOffset shift the signed timestamp.
out=$(sk --time-offset -3600 prod); now=$(date +%s)
ts=$(echo "$out" | field timestamp)
ok "--time-offset -3600 signs an hour back" test $((now - 3600 - ts)) -ge 0 -a $((now - 3600 - ts)) -le 2
printf '[prod]\nTimeOffset 90\n' >> "$T/rc"
out=$(sk prod); now=$(date +%s)
ts=$(echo "$out" | field timestamp)
ok "TimeOffset in the rc file, for a stanza that matches" test $((ts - now - 90)) -ge -2 -a $((ts - now - 90)) -le 0
out=$(sk --time-offset 0 prod); now=$(date +%s)
ts=$(echo "$out" | field timestamp)
ok "the command line overrides it" test $((now - ts)) -ge 0 -a $((now - ts)) -le 2
sk --time-offset 1h prod > "$T/o"
ok "a bad --time-offset is refused" grep -q "time offset '1h' is not a number" "$T/o"
printf '[x]\nTimeOffset soon\n' > "$T/rc2"; chmod 600 "$T/rc2"
"$B/sigknock" --rc "$T/rc2" -n x --test > "$T/o" 2>&1
ok "a bad TimeOffset names file and line" grep -q "$T/rc2:2: TimeOffset: 'soon' is not a number of seconds" "$T/o"

# -W: its argument, and it does not go with --test.
"$B/sigknock" --rc "$T/rc" -W prod prod > "$T/o" 2>&1; rc=$?
ok "-W without a port is refused (exit 2)" sh -c "[ $rc -eq 2 ] && grep -q \"'prod' is not HOST:PORT\" '$T/o'"
"$B/sigknock" --rc "$T/rc" -W prod:99999 > "$T/o" 2>&1; rc=$?
ok "-W with a port out of range is refused (exit 2)" sh -c "[ $rc -eq 2 ] && grep -q \"port '99999'\" '$T/o'"
"$B/sigknock" --rc "$T/rc" --test -W 127.0.0.2:22 > "$T/o" 2>&1; rc=$?
ok "-W and --test together are refused (exit 2)" test $rc -eq 2
"$B/sigknock" --rc "$T/rc" -W nosuch.invalid:22 > "$T/o" 2>&1; rc=$?
ok "-W to a name that does not resolve: exit 1, before any signing" \
	sh -c "[ $rc -eq 1 ] && grep -q 'cannot resolve nosuch.invalid' '$T/o'"
# An IPv6 address in brackets: the knock goes to loopback, where nothing
# answers, so it ends as a port that never opened (3), not a usage error.
"$B/sigknock" --rc "$T/rc" --work 0 --connect-timeout 1 -W '[::1]:1' </dev/null > "$T/o" 2>&1; rc=$?
ok "-W [::1]:1 parses, knocks and ends with exit 3 after --connect-timeout" \
	sh -c "[ $rc -eq 3 ] && grep -q 'knocked, but ::1 port 1 did not open within 1 s' '$T/o'"
"$B/sigknock" --help > "$T/o"
ok "--help documents -W, --time-offset and the exit statuses" \
	sh -c "grep -q -- '-W HOST:PORT' '$T/o' && grep -q -- '--time-offset' '$T/o' && grep -q '3 -W: knocked but the port never opened' '$T/o'"
