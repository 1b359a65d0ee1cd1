#!/bin/sh
# make install into a private root (DESTDIR): the programs, the man
# pages, the configuration directory (0700) with the samples (0600), the
# systemd unit with the configured paths; a second install keeps an
# edited configuration; make uninstall keeps it too and removes the rest.
. "$srcdir/t/tap.sh"
require_cmd make cmp
B=$top_builddir
plan 25
test_tmpdir
T=$tap_tmp
R=$T/root
var() { make -s -C "$B" --no-print-directory print-"$1" 2>/dev/null; }
mk() { make -C "$B" --no-print-directory "$@" DESTDIR="$R" > "$T/make.out" 2>&1; }

ok "make install DESTDIR=... succeeds" mk install
bindir=$(var bindir) sbindir=$(var sbindir) mandir=$(var mandir)
confdir=$(var sysconfdir)/sigknock unitdir=$(var systemdsystemunitdir)
mode() { stat -c %a "$1"; }
for p in "$bindir/sigknock" "$bindir/sigknock-keys" "$bindir/sigknock-token" "$bindir/sigknock-agent" "$sbindir/sigknockd"; do
	ok "installed: $p, executable" test -x "$R$p"
done
n=$(find "$R$mandir" -name 'sigknock*.[158]' | wc -l)
is 8 "$n" "eight man pages"
is 700 "$(mode "$R$confdir")" "$confdir is mode 0700"
is 600 "$(mode "$R$confdir/sigknockd.conf")" "a sample sigknockd.conf, mode 0600"
is 600 "$(mode "$R$confdir/access.conf")" "a sample access.conf, mode 0600"
ok "the sample sigknockd.conf shows the configured paths" \
	grep -qx "#Keyring      $confdir/keyring" "$R$confdir/sigknockd.conf"
ok "the systemd unit, starting the installed daemon" \
	grep -qx "ExecStart=$sbindir/sigknockd -f -e" "$R$unitdir/sigknockd.service"
ok "... with /var/log/sigknock (AuditLog) and node_exporter's directory writable" sh -c "
	grep -qx 'LogsDirectory=sigknock' '$R$unitdir/sigknockd.service' &&
	grep -q '^ReadWritePaths=-.*/lib/prometheus/node-exporter\$' '$R$unitdir/sigknockd.service'"
ok "fail2ban's filter, and a jail example that is off" sh -c "
	grep -q 'class unknown_signer' '$R$(var sysconfdir)/fail2ban/filter.d/sigknock.conf' &&
	grep -qx 'enabled  = false' '$R$(var sysconfdir)/fail2ban/jail.d/sigknock.conf'"
ok "a sysusers.d entry for the system user" grep -q "^u sigknock " "$R$(var sysusersdir)/sigknockd.conf"
ok "a tmpfiles.d entry for the state directory, 0700" \
	grep -q "^d $(var localstatedir)/lib/sigknock 0700 root root" "$R$(var tmpfilesdir)/sigknockd.conf"
ok "... the worker's empty root, 0555" \
	grep -q "^d $(var localstatedir)/lib/sigknock/empty 0555 root root" "$R$(var tmpfilesdir)/sigknockd.conf"
ok "... the runtime directory of the PID file" \
	grep -q "^d $(var runstatedir)/sigknockd 0755 root root" "$R$(var tmpfilesdir)/sigknockd.conf"
# The README's figure: systemd-analyze security rates the unit 2.6 (2.8
# before privilege separation), lower is better.
if command -v systemd-analyze >/dev/null 2>&1; then
	x=$(systemd-analyze security --offline=true "$R$unitdir/sigknockd.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for sigknockd.service: \([0-9.]*\).*/\1/p')
	ok "systemd-analyze security rates the unit at most 2.6 (got ${x:-none})" \
		awk -v x="${x:-99}" 'BEGIN { exit !(x <= 2.6) }'
else
	skip "needs systemd-analyze (systemd)"
fi
"$R$sbindir/sigknockd" -T -c "$T/no-such.conf" > "$T/T.out" 2>&1
ok "sigknockd -T without a configuration shows the built-in, configured defaults" \
	sh -c "grep -qx 'ServerKey $confdir/server.key' '$T/T.out' && grep -qx 'StateDir $(var localstatedir)/lib/sigknock' '$T/T.out' && grep -qx 'PidFile $(var runstatedir)/sigknockd/sigknockd.pid' '$T/T.out'"
echo "# edited by the admin" >> "$R$confdir/access.conf"
mk install
ok "a second install keeps an edited access.conf" grep -q "edited by the admin" "$R$confdir/access.conf"
ok "... and says so" grep -q "keeping the existing $R$confdir/access.conf" "$T/make.out"
mk uninstall
ok "make uninstall removes the programs" test ! -e "$R$sbindir/sigknockd"
ok "... keeps the edited configuration" test -e "$R$confdir/access.conf"
ok "... and removes the unchanged sample" test ! -e "$R$confdir/sigknockd.conf"
