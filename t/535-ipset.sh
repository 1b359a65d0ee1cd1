#!/bin/sh
# IpSet: grants mirrored into ipsets of the admin's own (libipset, no
# ipset(8) process), where the admin's iptables rule acts on them;
# taken out when a grant is closed early; a set that is gone fails only
# the mirror, said and counted, never the grant; either backend.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg ipset iptables-legacy
FW=iptables

plan 12
E2E_TIMEOUT=30 E2E_MAXTIMEOUT=30
E2E_ACCESS_EXTRA='IpSet knocked4 knocked6'
e2e_setup
# The admin's sets, and a rule of the admin's that counts what they hold
# (in mangle PREROUTING, which sees the packets before the gate).
in_srv ipset create knocked4 hash:ip,port timeout 0 || bail "ipset create"
in_srv ipset create knocked6 hash:ip,port family inet6 timeout 0 || bail "ipset create"
in_srv iptables-legacy -t mangle -A PREROUTING -m set --match-set knocked4 src,dst ||
	bail "the admin's rule"
counted() {
	in_srv iptables-legacy -t mangle -L PREROUTING -v -x -n |
		awk '/match-set knocked4/ { exit !($1 > 0) }'
}
in_set() { in_srv ipset list "$1" | grep -q "^$2 timeout [0-9]"; }

ok "sigknockd starts (Firewall iptables)" daemon_start
ok "alice's knock opens tcp/22" knock_opens
ok "her grant is in the admin's ipset knocked4, with its timeout" \
	sh -c "ip netns exec $NS_SRV ipset list knocked4 |
	grep -Eq '^$CLI4,tcp:22 timeout (2[0-9]|30)\$'"
ok "the admin's rule sees her connection" counted
n=$(count_log 'accepted alice')
GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" -6 -A tcp/22 --resend none $SRV6 2>/dev/null
ok "an IPv6 grant goes into knocked6" \
	eval 'wait_log $n "accepted alice" && wait_for 2 in_set knocked6 "$CLI6,tcp:22"'
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com >/dev/null 2>&1
wait_log 0 'closed the grant of alice@example.com' || bail "-R"
ok "closed early: taken out of the admin's sets" \
	eval 'wait_for 2 eval "! in_set knocked4 $CLI4,tcp:22 && ! in_set knocked6 $CLI6,tcp:22"'
# The admin removes the set: grants go on, the mirror says why.
in_srv iptables-legacy -t mangle -F PREROUTING
in_srv ipset destroy knocked4
n=$(count_log 'accepted dave')
knock -A tcp/22 --resend none --signer "$FPR_dave" 2>/dev/null
ok "with the set gone a knock is still granted" wait_log "$n" 'accepted dave'
ok "... and the mirror says what failed and why" \
	wait_log 0 "IpSet knocked4: the grant of dave@example.com for $CLI4 not added: .*does not exist"
in_srv "$B/sigknockd" -S -c "$T/sigknockd.conf" > "$T/S.out" 2>/dev/null
ok "-S counts it" grep -qx 'ipset_failed 1' "$T/S.out"
# The same with the nftables backend.
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
in_srv ipset create knocked4 hash:ip,port timeout 0 || bail "ipset create"
sed -i 's/^Firewall .*/Firewall     nftables/' "$T/sigknockd.conf"
ok "with Firewall nftables, sigknockd starts" daemon_start
n=$(count_log 'accepted dave')
knock -A tcp/443 --resend none --signer "$FPR_dave" 2>/dev/null
ok "... and dave's grant goes into knocked4" \
	eval 'wait_log $n "accepted dave" && wait_for 2 in_set knocked4 "$CLI4,tcp:443"'
printf '[a]\nUsers *\nOpen tcp/22\nIpSet knocked4 -oops\n' > "$T/bad.acc"
sed "s|^AccessFile .*|AccessFile $T/bad.acc|" "$T/sigknockd.conf" > "$T/bad.conf"
ok "a name ipset would take for an option refused, naming the line" sh -c "
	! ip netns exec $NS_SRV '$B/sigknockd' -t -c '$T/bad.conf' 2>'$T/bad.out' &&
	grep -q \"bad.acc:4: IpSet: '-oops' is not an ipset name\" '$T/bad.out'"
