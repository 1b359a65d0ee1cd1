#!/bin/sh
# Structured logs.  LogFormat json: every line a JSON object, decisions
# with their fields, the worker's refusals with theirs (they cross the
# privilege boundary with the line).  Under systemd: the daemon started
# as its unit starts it (-f -e, JOURNAL_STREAM naming its stderr) sends
# each line with SIGKNOCK_* fields and a MESSAGE_ID over the journal's
# native protocol to /run/systemd/journal/socket (in the daemon's own
# mount namespace, where a reader of that protocol listens), and falls
# back to the stream when the socket is gone.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft python3
FW=nftables

plan 18
E2E_TIMEOUT=30 E2E_MAXTIMEOUT=30
e2e_setup
cp "$T/sigknockd.conf" "$T/sigknockd.conf.text"
echo "LogFormat    json" >> "$T/sigknockd.conf"
ok "sigknockd -T shows LogFormat json" sh -c "
	ip netns exec $NS_SRV '$B/sigknockd' -T -c '$T/sigknockd.conf' 2>/dev/null |
	grep -qx 'LogFormat json'"
ok "sigknockd -t still says its verdict in text" sh -c "
	ip netns exec $NS_SRV '$B/sigknockd' -t -c '$T/sigknockd.conf' 2>&1 |
	grep -q '^sigknockd: .*: configuration OK'"
ok "sigknockd starts, logging JSON" daemon_start
n=$(count_log '"event":"accepted"')
knock -A tcp/22 --resend none 2>/dev/null			# accepted
knock -A udp/53 --resend none 2>/dev/null			# policy
knock -A tcp/22 --resend none --signer "$FPR_frank" 2>/dev/null	# unknown
in_cli "$TOOL" udp-send $SRV4 62201 random:200 >/dev/null	# not sealed
ok "the decisions are logged" wait_log 1 '"event":"refused"'
wait_log 0 '"event":"not_sealed"'
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -R alice@example.com >/dev/null 2>&1
wait_log 0 '"event":"closed"'
# The log while the daemon runs (a sanitizer build adds its own report
# on the way out).
cp "$LOG" "$T/json.log"
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
# One check per kind of line, in python3: every line an object.
jcheck() {
	python3 - "$T/json.log" "$1" "$CLI4" "$FPR_alice" <<'EOF'
import json, sys
log, what, cli, fpr = sys.argv[1:5]
lines = [json.loads(l) for l in open(log) if l.strip()]
ev = lambda e: [l for l in lines if l.get('event') == e]
if what == 'all':
    assert len(lines) > 5
    for l in lines:
        assert set(('time', 'priority', 'ident', 'message')) <= set(l), l
        assert l['ident'] == 'sigknockd' and l['time'].endswith('Z'), l
elif what == 'accepted':
    (a,) = ev('accepted')
    assert a['user'] == 'alice@example.com (%s)' % fpr, a
    assert (a['src'], a['addr'], a['ports'], a['stanza']) == \
        (cli, cli, 'tcp/22', 'admins'), a
    assert a['priority'] == 'notice' and a['message'].startswith('accepted ')
elif what == 'refused':
    r = ev('refused')
    assert len(r) == 2, r
    assert all(x['src'] == cli and x['message'].startswith('worker: refused from')
               for x in r), r
    assert sorted(x['reason'] for x in r) == ['policy', 'unknown_signer'], r
    assert any(x.get('user', '').startswith('alice@example.com') for x in r), r
elif what == 'closed':
    (c,) = ev('closed')
    assert c['user'].startswith('alice@example.com') and c['addr'] == cli, c
    assert c['stanza'] == 'admins' and c['reason'], c
elif what == 'not_sealed':
    (s,) = ev('not_sealed')
    assert s['src'] == cli and s['reason'] == 'bad_mac1', s
EOF
}
ok "every line of the log is a JSON object with time, priority, ident, message" jcheck all
ok "accepted: user, source, address, ports, stanza" jcheck accepted
ok "the worker's refusals cross with their fields: source and reason each" jcheck refused
ok "the not-sealed summary carries its last source" jcheck not_sealed
ok "a grant closed early (sigknockd -R): user, address, stanza, why" jcheck closed

# Under systemd.  The reader of the native protocol: one entry per
# datagram, its fields one per line, a blank line after each.
mkdir -m 755 "$T/jdir"
J=$T/journal.txt
: > "$J"
READER='
import os, socket, sys
path, out = sys.argv[1], open(sys.argv[2], "a", buffering=1)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
while True:
    d, i, fields = s.recv(65536), 0, []
    while i < len(d):
        nl = d.index(b"\n", i)
        name = d[i:nl]
        if b"=" in name:
            fields.append(name.decode()); i = nl + 1
        else:
            n = int.from_bytes(d[nl + 1:nl + 9], "little")
            value = d[nl + 9:nl + 9 + n]
            fields.append(name.decode() + "=" + value.decode().replace("\n", "\\n"))
            i = nl + 9 + n + 1
    out.write("\n".join(fields) + "\n\n")
'
bg_start journal "$NS_SRV" python3 -c "$READER" "$T/jdir/socket" "$J"
wait_for 5 test -S "$T/jdir/socket" || bail "the journal reader"
cp "$T/sigknockd.conf.text" "$T/sigknockd.conf"
STDERR=$LOG
: > "$STDERR"
rm -f "$T/sigknockd.pid"
bg_start daemon "$NS_SRV" sh -c "
	mount -t tmpfs -o mode=755 sigknock-test /run &&
	mkdir -p /run/systemd/journal &&
	mount --bind '$T/jdir' /run/systemd/journal &&
	exec env JOURNAL_STREAM=\$(stat -c %d:%i '$STDERR') '$B/sigknockd' -f -e -c '$T/sigknockd.conf'" 2>>"$STDERR"
LOG=$J
ok "sigknockd under systemd starts, its lines in the journal" \
	wait_for 10 grep -q '^MESSAGE=listening on' "$J"
knock -A tcp/22 --resend none 2>/dev/null
knock -A tcp/22 --resend none --signer "$FPR_frank" 2>/dev/null
ok "an accepted knock and a refused one reach the journal" wait_log 0 '^SIGKNOCK_EVENT=refused'
wait_log 0 '^SIGKNOCK_EVENT=accepted'
ok "accepted: its MESSAGE_ID and every field" sh -c "
	e=\$(awk -v RS= '/SIGKNOCK_EVENT=accepted/' '$J')
	for f in MESSAGE_ID=35e4340c515c4b35bae1a5a896c4e336 SIGKNOCK_USER='alice@example.com ($FPR_alice)' \
	    SIGKNOCK_SRC=$CLI4 SIGKNOCK_ADDR=$CLI4 SIGKNOCK_PORTS=tcp/22 SIGKNOCK_STANZA=admins \
	    PRIORITY=5 SYSLOG_IDENTIFIER=sigknockd 'MESSAGE=accepted alice@example.com'; do
		printf '%s\n' \"\$e\" | grep -q \"^\$f\" || { echo \"missing \$f\"; exit 1; }
	done"
ok "refused: its MESSAGE_ID, source and reason, from the worker" sh -c "
	e=\$(awk -v RS= '/SIGKNOCK_EVENT=refused/' '$J')
	for f in MESSAGE_ID=4004a0a2e8984515b2bc9c9402d05251 SIGKNOCK_SRC=$CLI4 \
	    SIGKNOCK_REASON=unknown_signer PRIORITY=6 'MESSAGE=worker: refused from $CLI4'; do
		printf '%s\n' \"\$e\" | grep -q \"^\$f\" || { echo \"missing \$f\"; exit 1; }
	done"
ok "nothing of it went to the stream" sh -c "! grep -q 'accepted\|refused' '$STDERR'"
# journald gone: the stream takes the lines, with sd-daemon priorities.
kill "$pid_journal"; wait "$pid_journal" 2>/dev/null
rm -f "$T/jdir/socket"
knock -A tcp/22 --resend none 2>/dev/null
LOG=$STDERR
ok "without the journal's socket, lines go to the stream" wait_log 0 '^<5>accepted alice@example.com'
ok "the daemon is still running" daemon_alive
# journald back (a restart): the journal has the lines again.
bg_start journal "$NS_SRV" python3 -c "$READER" "$T/jdir/socket" "$J"
wait_for 5 test -S "$T/jdir/socket" || bail "the journal reader, again"
knock -A tcp/22 --resend none 2>/dev/null
LOG=$J
ok "once the journal's socket is back, lines go there again" \
	wait_log 1 '^SIGKNOCK_EVENT=accepted'
ok "LogFormat: another value refused, naming the line" sh -c "
	printf 'LogFormat xml\n' > '$T/bad.conf'
	! '$B/sigknockd' -t -c '$T/bad.conf' 2>'$T/bad.out' &&
	grep -q 'bad.conf:1: LogFormat: .xml. is not one of text, json' '$T/bad.out'"
