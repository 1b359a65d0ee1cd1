#!/bin/sh
# MetricsFile: a real daemon writes its metrics for node_exporter's
# textfile collector; the real prometheus-node-exporter, in the server's
# namespace, serves them to curl with no scrape error; promtool accepts
# the format.  Counters rise after knocks, refusals and garbage; no label
# names a user or an address.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft curl
[ -x /usr/bin/prometheus-node-exporter ] ||
	skip_all "needs node_exporter (prometheus-node-exporter)"
FW=nftables

plan 21
E2E_TIMEOUT=30 E2E_MAXTIMEOUT=30
e2e_setup
P=$T/textfile
mkdir -m 755 "$P"
cat >> "$T/sigknockd.conf" <<EOT
MetricsFile     $P/sigknock.prom
MetricsInterval 1
EOT
ok "sigknockd starts" daemon_start
ok "the file is written within the interval" wait_for 3 test -s "$P/sigknock.prom"
ok "readable by node_exporter's user (0644), no temporary file left" sh -c "
	[ \$(stat -c %a '$P/sigknock.prom') = 644 ] && [ \$(ls '$P' | wc -l) -eq 1 ]"

bg_start nodeexp "$NS_SRV" /usr/bin/prometheus-node-exporter \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$P" \
	--web.listen-address=127.0.0.1:9100 2>"$T/nodeexp.log"
scrape() { in_srv curl -sf http://127.0.0.1:9100/metrics > "$T/$1"; }
ok "node_exporter serves its metrics" wait_for 5 scrape s0
# The value of one series (its name with labels, as exposed) in a scrape.
value() { awk -v s="$2" '$1 == s { print $2 }' "$T/$1"; }
ok "node_exporter reads the file with no error" \
	[ "$(value s0 node_textfile_scrape_error)" = 0 ]
ok "sigknock's metrics are served" sh -c "
	grep -q '^sigknock_datagrams_received_total ' '$T/s0' &&
	grep -q '^sigknock_knock_to_open_seconds_bucket{le=\"+Inf\"} ' '$T/s0' &&
	grep -q '^sigknock_firewall_heals_total{backend=\"nftables\"} 0' '$T/s0' &&
	grep -q '^sigknock_verification_queue_datagrams{lane=\"known\"} ' '$T/s0' &&
	grep -q '^sigknock_keyring_load_seconds [0-9.e+-]*\$' '$T/s0'"
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$P/sigknock.prom" > "$T/promtool.out" 2>&1
	rc=$?
	ok "promtool check metrics: no problem" sh -c "
		[ $rc -eq 0 ] && [ ! -s '$T/promtool.out' ]" || diag "$(cat "$T/promtool.out")"
else
	skip "promtool (prometheus) is not installed"
fi

# Three grants, one unknown signer, garbage.
n=$(count_log 'accepted alice')
for i in 1 2 3; do knock -A tcp/22 --resend none 2>/dev/null; done
knock -A tcp/22 --resend none --signer "$FPR_frank" 2>/dev/null
in_cli "$TOOL" udp-send $SRV4 62201 random:200x5 >/dev/null
ok "three knocks accepted" wait_log $((n + 2)) 'accepted alice'
sleep 2.2
ok "node_exporter serves the new values" scrape s1
ok "granted rose by three" sh -c "
	[ \$(( $(value s1 sigknock_knocks_granted_total) - $(value s0 sigknock_knocks_granted_total) )) -eq 3 ]"
ok "the unknown signer counted under its reason" sh -c "
	[ \$(( $(value s1 'sigknock_knocks_refused_total{reason="unknown_signer"}') - $(value s0 'sigknock_knocks_refused_total{reason="unknown_signer"}') )) -eq 1 ]"
ok "the garbage counted as dropped, and every datagram as received" sh -c "
	[ \$(( $(value s1 'sigknock_datagrams_dropped_total{reason="bad_mac1"}') - $(value s0 'sigknock_datagrams_dropped_total{reason="bad_mac1"}') )) -eq 5 ] &&
	[ \$(( $(value s1 sigknock_datagrams_received_total) - $(value s0 sigknock_datagrams_received_total) )) -ge 9 ]"
ok "live grants by stanza" [ "$(value s1 'sigknock_grants_live_by_stanza{stanza="admins"}')" -ge 1 ]
ok "knock to open: three observations, each under 5 s" sh -c "
	[ $(value s1 sigknock_knock_to_open_seconds_count) -eq 3 ] &&
	[ $(value s1 'sigknock_knock_to_open_seconds_bucket{le="5"}') -eq 3 ]"
ts=$(awk '$1 == "sigknock_last_accepted_knock_timestamp_seconds" { print $2 }' "$P/sigknock.prom")
ok "the last accepted knock: its time, and its age" sh -c "
	[ \$(( $(date +%s) - $ts )) -le 5 ] && [ \$(( $(date +%s) - $ts )) -ge 0 ] &&
	[ $(value s1 sigknock_last_accepted_knock_age_seconds) -le 5 ]"
ok "the keyring: three keys, loaded" sh -c "
	[ $(value s1 'sigknock_keyring_keys{kind="openpgp"}') -eq 3 ] &&
	[ $(value s1 sigknock_in_step) -eq 1 ] && [ $(value s1 sigknock_keyring_generation) -ge 1 ]"
ok "no label names a user or an address, no value holds one" sh -c "
	! grep -E '^sigknock_[a-z_]*\{[^}]*(user|addr|src|source|signer|fpr)=' '$P/sigknock.prom' &&
	! grep -E 'alice|10\.77\.|$FPR_alice' '$P/sigknock.prom'"

# A worker killed comes back; a gate deleted by another program is
# rebuilt: both counted.
wpid=$(in_srv "$B/sigknockd" -S -c "$T/sigknockd.conf" 2>/dev/null | sed -n 's/^worker_pid //p')
[ -n "$wpid" ] && kill -KILL "$wpid"
ok "the worker comes back" wait_log 1 'worker started'
in_srv nft delete table inet sigknock
ok "the gate is rebuilt" wait_log 0 'gate rebuilt'
sleep 2.2
scrape s2
ok "worker restarts and heals counted" sh -c "
	[ $(value s2 sigknock_worker_restarts_total) -eq 1 ] &&
	[ $(value s2 'sigknock_firewall_heals_total{backend="nftables"}') -eq 1 ]"
# A file that cannot be written is said at each interval until it can.
sed -i "s|^MetricsFile .*|MetricsFile     $T/gone/sigknock.prom|" "$T/sigknockd.conf"
ok "an unwritable MetricsFile is said again and again" \
	wait_log 1 "$T/gone/sigknock.prom.tmp: No such file or directory"
