#!/bin/sh
# NftSet: grants mirrored into an nft set of the admin's own, where a
# rule of the admin's acts on them (a jump to a chain of the admin's
# that counts); taken out when a
# grant is closed early; a set that is gone fails only the mirror, said
# and counted, never the grant; libiptc refuses the keyword.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables

plan 10
E2E_TIMEOUT=30 E2E_MAXTIMEOUT=30
E2E_ACCESS_EXTRA='NftSet inet admin knocked4 knocked6'
e2e_setup
# The admin's own table: the sets, and a rule that jumps to a chain of
# the admin's for what they hold (a counter there).
in_srv nft -f - <<'NFT' || bail "the admin's table"
table inet admin {
	set knocked4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
	set knocked6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
	chain knocked {
		counter
	}
	chain count { type filter hook input priority 10; policy accept;
		ip saddr . meta l4proto . th dport @knocked4 jump knocked
	}
}
NFT
ok "sigknockd starts" daemon_start
ok "alice's knock opens tcp/22" knock_opens
ok "her grant is in the admin's set, with a timeout" sh -c "
	ip netns exec $NS_SRV nft list set inet admin knocked4 |
	grep -q '$CLI4 . tcp . 22 timeout 30s expires'"
ok "the admin's rule jumps to the admin's chain for her connection" sh -c "
	ip netns exec $NS_SRV nft list chain inet admin knocked |
	grep -q 'counter packets [1-9]'"
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com >/dev/null 2>&1
wait_log 0 'closed the grant of alice@example.com' || bail "-R"
ok "closed early: taken out of the admin's set" sh -c "
	! ip netns exec $NS_SRV nft list set inet admin knocked4 | grep -q '$CLI4'"
# The admin removes the set: grants go on, the mirror says why.
in_srv nft delete table inet admin
n=$(count_log 'accepted dave')
knock -A tcp/22 --resend none --signer "$FPR_dave" 2>/dev/null
ok "with the set gone a knock is still granted" wait_log "$n" 'accepted dave'
ok "... and the mirror says what failed and why" \
	wait_log 0 "NftSet inet admin knocked4: the grant of dave@example.com.* for $CLI4 not added: No such file or directory (no such set"
in_srv "$B/sigknockd" -S -c "$T/sigknockd.conf" > "$T/S.out" 2>/dev/null
ok "-S counts it" grep -qx 'nftset_failed 1' "$T/S.out"
sed 's/^Firewall .*/Firewall     iptables/' "$T/sigknockd.conf" > "$T/ipt.conf"
ok "libiptc refuses NftSet, naming the stanza" sh -c "
	! ip netns exec $NS_SRV '$B/sigknockd' -t -c '$T/ipt.conf' 2>'$T/ipt.out' &&
	grep -q '\[admins\]: NftSet needs the nftables backend' '$T/ipt.out'"
printf '[a]\nUsers *\nOpen tcp/22\nNftSet ip6 filter knocked4\n' > "$T/bad.acc"
sed "s|^AccessFile .*|AccessFile $T/bad.acc|" "$T/sigknockd.conf" > "$T/bad.conf"
ok "an IPv4 set in an ip6 table refused, naming the line" sh -c "
	! ip netns exec $NS_SRV '$B/sigknockd' -t -c '$T/bad.conf' 2>'$T/bad.out' &&
	grep -q 'bad.acc:4: NftSet: a table of family ip6 holds no IPv4 set' '$T/bad.out'"
