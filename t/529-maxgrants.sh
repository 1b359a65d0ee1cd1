#!/bin/sh
# MaxGrants: per user under a stanza (the access file) and in all
# (sigknockd.conf).  A knock over a cap is refused with its reason and
# class, counted in -S; -G shows the counts; a knock that extends a live
# grant is never refused; closing a grant makes room.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables

plan 13
E2E_TIMEOUT=30 E2E_MAXTIMEOUT=30
E2E_ACCESS_EXTRA='MaxGrants 2
AllowAddresses 10.99.0.0/24'
e2e_setup
ok "sigknockd starts" daemon_start
bound() {	# SIGNER ADDRESS: a knock for tcp/22 binding ADDRESS
	knock -A tcp/22 --resend none --signer "$1" -a "$2" 2>/dev/null
}
n=$(count_log 'accepted alice')
bound "$FPR_alice" 10.99.0.1
bound "$FPR_alice" 10.99.0.2
ok "alice holds two grants" wait_log $((n + 1)) 'accepted alice'
bound "$FPR_alice" 10.99.0.3
ok "a third is over her stanza's MaxGrants: refused, with why and its class" \
	wait_log 0 "refused from $CLI4 by alice@example.com.*: 2 live grants under \[admins\] already, its MaxGrants (class capped)\$"
bound "$FPR_alice" 10.99.0.1
ok "a knock that extends a live grant is not refused" \
	wait_log $((n + 2)) 'accepted alice'
bound "$FPR_dave" 10.99.0.3
ok "the cap is per user: dave gets his" wait_log 0 'accepted dave@example.com.* for 10.99.0.3 '
in_srv "$B/sigknockd" -S -c "$T/sigknockd.conf" > "$T/S.out" 2>/dev/null
ok "-S counts the refusal: capped 1" grep -qx 'capped 1' "$T/S.out"
in_srv "$B/sigknockd" -G -c "$T/sigknockd.conf" > "$T/G.out" 2>/dev/null
ok "-G: the live grants against the caps" sh -c "
	grep -qx '3 live grants, MaxGrants none' '$T/G.out' &&
	grep -qx '\[admins\] alice@example.com: 2 of MaxGrants 2' '$T/G.out' &&
	grep -qx '\[admins\] dave@example.com: 1 of MaxGrants 2' '$T/G.out'"

# In all: sigknockd.conf's MaxGrants, applied at reload.
echo "MaxGrants    3" >> "$T/sigknockd.conf"
ok "MaxGrants in sigknockd.conf is taken at reload" wait_log 0 'reloaded;'
bound "$FPR_erin" 10.99.0.4
ok "a fourth grant is over MaxGrants in all: refused" \
	wait_log 0 "by erin@example.com.*: 3 live grants in all already, MaxGrants of sigknockd.conf (class capped)\$"
in_srv "$B/sigknockd" -G -c "$T/sigknockd.conf" > "$T/G.out" 2>/dev/null
ok "-G says the cap in all" grep -qx '3 live grants, MaxGrants 3' "$T/G.out"
# Closing makes room.
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com >/dev/null 2>&1
ok "alice's grants closed" wait_log 1 'closed the grant of alice@example.com'
n=$(count_log 'accepted erin')
bound "$FPR_erin" 10.99.0.4
ok "then erin's knock is accepted" wait_log "$n" 'accepted erin@example.com'
ok "MaxGrants: a bad value names the file and line" sh -c "
	printf '[a]\nUsers *\nOpen tcp/22\nMaxGrants 0\n' > '$T/bad.acc'
	sed 's|^AccessFile .*|AccessFile $T/bad.acc|' '$T/sigknockd.conf' > '$T/bad.conf'
	! ip netns exec $NS_SRV '$B/sigknockd' -t -c '$T/bad.conf' 2>'$T/bad.out' &&
	grep -q 'bad.acc:4: MaxGrants: .0. is not a number from 1 to 65535' '$T/bad.out'"
