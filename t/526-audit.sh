#!/bin/sh
# The audit trail (AuditLog, sigknock-keys audit): a real daemon records
# 20 accepted knocks, rotating its file by size with the chain going on,
# and across a restart; the trail verifies offline against the keyring,
# also for a user revoked since.  A flipped byte, a deleted record, a
# reordered pair and an edited grant are each reported at their record;
# a file ending in a partial record stops the daemon from starting.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft python3
FW=nftables

plan 33
e2e_setup
A=$T/audit/audit.log
mkdir -m 700 "$T/audit"
cat >> "$T/sigknockd.conf" <<EOT
AuditLog     $A
AuditLogSize 4K
EOT
KEYS="$B/sigknock-keys -k $T/keyring"
ok "sigknockd -t takes AuditLog and AuditLogSize" sh -c "
	ip netns exec $NS_SRV '$B/sigknockd' -t -c '$T/sigknockd.conf' 2>/dev/null &&
	ip netns exec $NS_SRV '$B/sigknockd' -T -c '$T/sigknockd.conf' 2>/dev/null |
	grep -qx 'AuditLogSize 4096'"
ok "sigknockd starts" daemon_start

# 17 knocks by alice, 3 by erin, and one refused (frank: not in the
# keyring), which is not recorded.
knocks() {	# N: alice knocks N times for tcp/22
	_k=0
	while [ $_k -lt "$1" ]; do
		knock -A tcp/22 --resend none 2>/dev/null
		_k=$((_k + 1))
	done
}
n=$(count_log 'accepted ')
knocks 17
for i in 1 2 3; do
	knock -A tcp/443 --resend none --signer "$FPR_erin" 2>/dev/null
done
knock -A tcp/22 --resend none --signer "$FPR_frank" 2>/dev/null
ok "20 knocks accepted" wait_log $((n + 19)) 'accepted '
ok "20 records written, each with its link in the log" \
	wait_log 19 'AuditLog: record [0-9]* for .*, link [0-9a-f]\{16\}$'
ok "the file was rotated by size, numbered from 1" sh -c "
	test -s '$A.1' && test -s '$A.2' && grep -q 'AuditLog $A: rotated to $A.1 after record' '$LOG'"
ok "every file is the monitor's alone (0600)" sh -c "
	[ \$(stat -c %a '$A' '$A'.* | sort -u) = 600 ]"
# The trail's files, oldest first: $A.1, $A.2, ..., then $A.
trail() {
	_i=1
	while [ -e "$A.$_i" ]; do echo "$A.$_i"; _i=$((_i + 1)); done
	echo "$A"
}
files=$(trail)
# shellcheck disable=SC2086
$KEYS audit $files > "$T/audit.out" 2>&1
ok "sigknock-keys audit verifies the whole trail" [ $? -eq 0 ]
ok "20 records, every signature good" sh -c "
	[ \$(grep -c ': signature good' '$T/audit.out') -eq 20 ] &&
	grep -q '^20 lines, records 1 to 20: every signature and link checks' '$T/audit.out'"
ok "who opened what, when, from where" sh -c "
	grep -q '^record 1 20[0-9-]*T[0-9:]*Z alice@example.com ($FPR_alice) from $CLI4: tcp/22 for $CLI4 until .* \[admins\]: signature good\$' '$T/audit.out' &&
	grep -q '^record 18 .* erin@example.com ($FPR_erin) from $CLI4: tcp/443 for $CLI4 .*: signature good\$' '$T/audit.out'"
last=$(grep 'AuditLog: record 20 ' "$LOG" | sed 's/.*link //')
ok "the summary's last link is the one the daemon logged" \
	grep -q "the last record's link is $last " "$T/audit.out"
$KEYS audit "$A" > "$T/alone.out" 2>&1
ok "the live file alone checks, and says where it begins" sh -c "
	[ $? -eq 0 ] && grep -q 'the trail given begins at record [1-9][0-9]*: give the files before it first' '$T/alone.out'"
# shellcheck disable=SC2086
$KEYS audit --json $files > "$T/audit.json" 2>/dev/null
ok "--json: one object per record, each parses" python3 -c "
import json, sys
recs = [json.loads(l) for l in open('$T/audit.json')]
assert len(recs) == 20, len(recs)
assert [r['record'] for r in recs] == list(range(1, 21))
assert all(r['signature'] is True and r['problems'] == [] for r in recs)
assert recs[0]['user'] == 'alice@example.com' and recs[0]['src'] == '$CLI4'
assert recs[0]['signer'] == '$FPR_alice' and recs[17]['user'] == 'erin@example.com'
assert recs[0]['ports'] == 'tcp/22' and recs[0]['stanza'] == 'admins'
"

# A user revoked since: her records still verify, and say so.
$KEYS revoke erin@example.com >/dev/null 2>&1 || bail "revoke erin"
# shellcheck disable=SC2086
$KEYS audit $files > "$T/revoked.out" 2>&1
ok "after erin's revocation her knocks still verify, marked" sh -c "
	[ $? -eq 0 ] &&
	[ \$(grep -c 'erin@example.com.*signature good (key revoked since)\$' '$T/revoked.out') -eq 3 ]"

# Tampering, on one file holding the whole trail.
# shellcheck disable=SC2086
cat $files > "$T/all"
tamper() {	# NAME SED-SCRIPT: a copy of the trail, edited; audit's output
	sed "$2" "$T/all" > "$T/$1"
	$KEYS audit "$T/$1" > "$T/$1.out" 2>&1
}
# A byte of record 7's signed request flipped ('A' <-> 'B' in its base64).
tamper flip '7s/\(request=.\{40\}\)A/\1B/;t;7s/\(request=.\{40\}\)./\1A/'
ok "a flipped byte: non-zero exit, reported first at record 7" sh -c "
	[ $? -ne 0 ] && grep -q ':7: record 7: ' '$T/flip.out' &&
	grep -m1 '^$T/flip:[0-9]*: ' '$T/flip.out' | grep -q '^$T/flip:7: record 7: '"
tamper gone '12d'
ok "a deleted record: reported as missing where it was" sh -c "
	[ $? -ne 0 ] && grep -q ':12: record 12 is missing: record 13 follows record 11' '$T/gone.out'"
tamper swap '5{h;d};6G'
ok "a reordered pair: both reported, at their lines" sh -c "
	[ $? -ne 0 ] &&
	grep -q ':5: record 6 follows record 4, but record 5 is at .*:6: reordered' '$T/swap.out' &&
	grep -q ':6: record 5 follows record 6' '$T/swap.out'"
# What the user did not sign (the grant's until) changed: the chain shows it.
tamper until '3s/ stanza=admins / stanza=admin2 /'
ok "an edited grant: the next link does not match it" sh -c "
	[ $? -ne 0 ] && grep -q ':4: record 4: its link does not match record 3 (.*:3): one of the two was changed' '$T/until.out'"
# shellcheck disable=SC2086
ok "the trail itself was not changed by any of this" sh -c "
	cat $(echo $files) | cmp -s - '$T/all'"
mkdir -m 700 "$T/empty"
"$B/sigknock-keys" -k "$T/empty" audit "$T/all" > "$T/nokeys.out" 2>&1
ok "against a keyring without these keys nothing verifies" sh -c "
	[ $? -ne 0 ] && [ \$(grep -c 'NOT VERIFIED' '$T/nokeys.out') -eq 20 ] &&
	grep -q 'signed by a key this keyring does not hold' '$T/nokeys.out'"

# A restart goes on with the chain.
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "sigknockd starts again" daemon_start
knock -A tcp/22 --resend none 2>/dev/null
ok "the next knock is record 21" wait_log 0 'AuditLog: record 21 for alice'
files=$(trail)
# shellcheck disable=SC2086
ok "the chain goes on across the restart" $KEYS audit $files

# A reload to another file: the next record goes there; one to a file
# that cannot be continued is refused, and the trail stays where it was.
mkdir -m 700 "$T/audit2"
printf 'sigknock-audit-1 seq=1 time=1' > "$T/audit2/bad.log"
chmod 600 "$T/audit2/bad.log"
sed -i "s|^AuditLog .*|AuditLog     $T/audit2/bad.log|" "$T/sigknockd.conf"
ok "a reload to a file ending in a partial record is refused" \
	wait_log 0 'configuration not reloaded: keeping the running one'
n=$(count_log 'AuditLog: record 22 for alice')
knock -A tcp/22 --resend none 2>/dev/null
ok "and the next record goes on in the old trail" wait_log "$n" 'AuditLog: record 22 for alice'
sed -i "s|^AuditLog .*|AuditLog     $T/audit2/audit.log|" "$T/sigknockd.conf"
ok "a reload to another file says so" \
	wait_log 0 "AuditLog: accepted knocks are recorded in $T/audit2/audit.log"
knock -A tcp/22 --resend none 2>/dev/null
wait_for 5 test -s "$T/audit2/audit.log"
ok "and the next record begins a trail there" \
	grep -q '^sigknock-audit-1 seq=1 ' "$T/audit2/audit.log"
sed -i "s|^AuditLog .*|AuditLog     $A|" "$T/sigknockd.conf"
wait_log 1 'AuditLog: accepted knocks are recorded in'
files=$(trail)

# A partial last record (a full disk, an edit) stops a start: nothing is
# written after evidence the daemon cannot read.
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
printf 'sigknock-audit-1 seq=22 time=1' >> "$A"
in_srv "$B/sigknockd" -t -c "$T/sigknockd.conf" > "$T/partial.out" 2>&1
ok "a partial record: sigknockd -t refuses, with the fix" sh -c "
	[ $? -ne 0 ] && grep -q 'AuditLog $A ends in a partial record.*move the file aside' '$T/partial.out'"
# shellcheck disable=SC2086
$KEYS audit $files > "$T/partial.audit" 2>&1
ok "and audit reports it at its line" sh -c "
	[ $? -ne 0 ] && grep -q ': a partial record: the file ends in the middle of it' '$T/partial.audit'"
# A full disk: grants go on, each unrecorded one logged and counted, and
# no partial record is left.  The daemon runs with its own 8K tmpfs over
# the audit directory (its namespace's mount, not the host's).
mv "$A" "$T/audit.away"
mkdir -m 700 "$T/small"
sed -i "s|^AuditLog .*|AuditLog     $T/small/audit.log|; s|^AuditLogSize .*|AuditLogSize 0|" \
	"$T/sigknockd.conf"
_n=$(count_log 'listening on')
rm -f "$T/sigknockd.pid"
bg_start daemon "$NS_SRV" sh -c "mount -t tmpfs -o size=8k,mode=700 sigknock-test '$T/small' &&
	exec '$B/sigknockd' -c '$T/sigknockd.conf' -d" 2>>"$LOG"
wait_log "$_n" 'listening on' && wait_for 5 test -s "$T/sigknockd.pid" ||
	bail "sigknockd with a small disk"
n=$(count_log 'accepted alice')
knocks 24
ok "with the disk full every knock is still accepted" wait_log $((n + 23)) 'accepted alice'
ok "each unrecorded grant is logged, with the reason" sh -c "
	grep -q 'AuditLog $T/small/audit.log: record [0-9]* not written: No space left on device' '$LOG' &&
	grep -q 'AuditLog: the grant to alice@example.com .* from $CLI4 is not recorded' '$LOG'"
in_srv "$B/sigknockd" -S -c "$T/sigknockd.conf" > "$T/S.out" 2>/dev/null
ok "and counted: audit_failed in -S" sh -c "
	f=\$(sed -n 's/^audit_failed //p' '$T/S.out'); w=\$(grep -c 'is not recorded' '$LOG')
	[ \"\$f\" -ge 1 ] && [ \"\$f\" -eq \"\$w\" ]"
nsenter -t "$pid_daemon" -m cat "$T/small/audit.log" > "$T/small.copy" 2>/dev/null
ok "what was written is whole: no partial record, the trail checks" sh -c "
	[ -s '$T/small.copy' ] && $KEYS audit '$T/small.copy' >/dev/null 2>&1"
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "AuditLogSize below 4K is refused, naming the line" sh -c "
	printf 'AuditLog /x\nAuditLogSize 100\n' > '$T/small.conf'
	! '$B/sigknockd' -t -c '$T/small.conf' 2>'$T/small.out' &&
	grep -q 'small.conf:2: .*give at least 4K' '$T/small.out'"
