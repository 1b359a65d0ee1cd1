#!/bin/sh
# fail2ban: the filter sigknock ships (etc/fail2ban/filter.d/sigknock.conf),
# run by the real fail2ban-regex over a real daemon's refusals, written as
# syslog writes them: it finds the source address of well-formed knocks by
# an unknown signer, by a revoked one and by one no stanza names, and
# nothing in acceptances or in a known user's refused port.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft fail2ban-regex
FW=nftables

plan 10
E2E_ACCESS_EXTRA='
[other]
Users      zed@example.com
Open       tcp/22'
e2e_setup
# ivan: a key the server never saw; nina: added, then revoked; omar:
# added, named by no stanza.
for u in ivan nina omar; do
	f=$(gpg_genkey "$u <$u@example.com>" ed25519 sign) || bail "key $u"
	eval "FPR_$u=$f"
	gpg --export "$u@example.com" > "$T/$u.pgp"
done
for u in nina omar; do
	"$B/sigknock-keys" -k "$T/keyring" add "$T/$u.pgp" >/dev/null 2>&1 ||
		bail "add $u"
done
"$B/sigknock-keys" -k "$T/keyring" revoke nina@example.com >/dev/null 2>&1 ||
	bail "revoke nina"
ok "sigknockd starts" daemon_start

n=$(count_log 'refused from\|accepted ')
knock -A tcp/22 --resend none 2>/dev/null				# accepted
knock -A tcp/22 --resend none --signer "$FPR_ivan" 2>/dev/null	# unknown
knock -A tcp/22 --resend none --signer "$FPR_nina" 2>/dev/null	# revoked
knock -A tcp/22 --resend none --signer "$FPR_omar" 2>/dev/null	# no stanza
knock -A udp/53 --resend none 2>/dev/null				# a known user's wrong port
ok "five knocks: one accepted, four refused" wait_log $((n + 4)) 'refused from\|accepted '
ok "each refusal ends with its class" sh -c "
	grep -q 'by $FPR_ivan.*(class unknown_signer)\$' '$LOG' &&
	grep -q 'revoked key of nina@example.com (class unknown_signer)\$' '$LOG' &&
	grep -q 'by omar@example.com.*no stanza names this user (class policy)\$' '$LOG' &&
	grep -q 'by alice@example.com.*(class policy)\$' '$LOG'"

# As syslog writes them: "Dec  6 05:58:48 host sigknockd[PID]: message".
sed -n "s/^sigknockd: /$(date '+%b %e %H:%M:%S') srv sigknockd[$pid_daemon]: /p" \
	"$LOG" > "$T/syslog"
# The filter beside fail2ban's own common.conf, which it includes.
mkdir -p "$T/fail2ban/filter.d"
cp /etc/fail2ban/filter.d/common.conf "$srcdir/etc/fail2ban/filter.d/sigknock.conf" \
	"$T/fail2ban/filter.d/" || bail "fail2ban's common.conf"
F=$T/fail2ban/filter.d/sigknock.conf
fail2ban-regex "$T/syslog" "$F" > "$T/f2b.out" 2>&1
ok "fail2ban-regex reads the filter" [ $? -eq 0 ]
matched=$(sed -n 's/^Lines: .* \([0-9]*\) matched.*/\1/p' "$T/f2b.out")
is 3 "$matched" "three lines match: the unknown, the revoked and the unnamed signer"
fail2ban-regex --print-all-matched "$T/syslog" "$F" 2>&1 |
	sed -n '/Matched line(s):/,/Missed line(s):/p' > "$T/f2b.all"
ok "the host found is the client's address" sh -c "
	[ \$(grep -c '^|  .*refused from $CLI4 ' '$T/f2b.all') -eq 3 ]"
ok "no acceptance matches" sh -c "! grep -q '^|  .*accepted ' '$T/f2b.all'"
ok "a known user refused a port does not match" sh -c "! grep -q '^|  .*by alice@example.com' '$T/f2b.all'"
ok "the jail example is off, bans the knock port only, reads the journal" sh -c "
	grep -qx 'enabled  = false' '$srcdir/etc/fail2ban/jail.d/sigknock.conf' &&
	grep -qx 'port     = 62201' '$srcdir/etc/fail2ban/jail.d/sigknock.conf' &&
	grep -qx 'backend  = systemd' '$srcdir/etc/fail2ban/jail.d/sigknock.conf'"
ok "the filter reads sigknockd's unit in the journal" \
	grep -qx 'journalmatch = _SYSTEMD_UNIT=sigknockd.service' \
	"$srcdir/etc/fail2ban/filter.d/sigknock.conf"
