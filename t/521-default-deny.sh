#!/bin/sh
# A host with its own default-deny nftables input chain: an accept in
# sigknock's chain does not stop another base chain's drop, so knocks
# were "accepted" and the port stayed closed, with no warning.  Now the
# daemon (and -t) names each such chain with the rule to add; grants
# carry a mark that rule accepts; with it, knocks open again, also with
# the gate snippet included in an nftables.conf that flushes the ruleset.
# And an access-file edit that does not load is said again until fixed,
# and -S says whether the daemon runs what the files say.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
FW=nftables
plan 23
e2e_setup

host_rules() {	# host_rules "MARK RULE" [LAST RULE]: a default-deny host
	in_srv nft -f - <<EOT
table inet filter
delete table inet filter
table inet filter {
	chain input {
		type filter hook input priority filter; policy ${3:-drop};
		ct state established,related accept
		iif lo accept
		$1
		$2
	}
}
EOT
}
ok "a host ruleset with policy drop on input" host_rules
n=$(count_log 'drops what a grant opens')
ok "sigknockd starts" daemon_start
ok "... and warns that chain inet filter input drops what a grant opens" \
	wait_log "$n" "nftables chain inet filter input (input hook, policy drop) drops what a grant opens"
ok "sigknockd -t warns too" sh -c "ip netns exec $NS_SRV '$B/sigknockd' -c '$T/sigknockd.conf' -t 2>&1 | grep -q 'chain inet filter input (input hook, policy drop) drops what a grant opens'"
n=$(count_log 'accepted alice@example.com')
knock -A tcp/22 --resend none 2>/dev/null
wait_log "$n" 'accepted alice@example.com'
ok "without the rule a knock is accepted but the port stays closed (why the warning)" closed $SRV4 22
cmd=$(grep -o 'nft insert rule inet filter input meta mark and 0x[0-9a-f]* == 0x[0-9a-f]* accept' "$LOG" | tail -n 1)
ok "the warning gives the command to run ($cmd)" test -n "$cmd"
# shellcheck disable=SC2086 # $cmd is the command line, in words
in_srv $cmd
ok "with it, a knock opens the port" knock_opens
ok "... for the client only" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"
wait_for 6 closed $SRV4 22

# A policy accept chain whose last rule drops is the same.
n=$(count_log 'its last rule drops')
host_rules "" "drop" accept
kill -HUP "$pid_daemon"
ok "a chain whose last rule drops is named too" sh -c "ip netns exec $NS_SRV '$B/sigknockd' -c '$T/sigknockd.conf' -t 2>&1 | grep -q 'chain inet filter input (input hook, its last rule drops)'"

# nftables.conf with flush ruleset, the gate snippet and the mark rule:
# a reload of it keeps the gate and lets grants through.
cat > "$T/nftables.conf" <<EOT
flush ruleset
include "$T/state/nftables-gate.nft"
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif lo accept
		meta mark & 0x10000000 == 0x10000000 accept
	}
}
EOT
ok "an nftables.conf with flush ruleset, the snippet and the mark rule loads" in_srv nft -f "$T/nftables.conf"
ok "... the gate stays: closed without a knock" closed $SRV4 22
ok "... and a knock opens it" knock_opens
ok "... for the client only" sh -c "! ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"

# A broken edit: refused, the running policy kept, said again until fixed.
n=$(count_log 'configuration not reloaded: keeping the running one (tried again every 15 s until it loads)')
echo "Bogus line" >> "$T/access.conf"
ok "an access file that does not load is refused, the running one kept" \
	wait_log "$n" 'configuration not reloaded: keeping the running one (tried again every 15 s until it loads)'
ok "... naming the file and line" grep -q "$T/access.conf:[0-9]*: .*Bogus" "$LOG"
n=$(count_log 'configuration still not loaded: reloading')
ok "... and said again while it is not fixed" \
	sh -c "sleep 16; [ \$(grep -c 'configuration still not loaded: reloading' '$LOG') -gt $n ]"
ok "the running policy still opens" knock_opens
S() { in_srv "$B/sigknockd" -c "$T/sigknockd.conf" -S; }
S > "$T/S.out" 2> "$T/S.err"
ok "sigknockd -S says the configuration on disk is not loaded" \
	sh -c "grep -qx 'configuration_on_disk not-loadable' '$T/S.out' && grep -qx 'in_step no' '$T/S.out' &&
	grep -q 'the running daemon does not have what the files say: the configuration on disk is not loaded' '$T/S.err'"
sed -i '/^Bogus line$/d' "$T/access.conf"
n=$(count_log 'reloaded; ')
ok "once fixed it loads" wait_log "$n" 'reloaded; '
ok "... and -S says it runs what the files say" sh -c "ip netns exec $NS_SRV '$B/sigknockd' -c '$T/sigknockd.conf' -S | grep -qx 'in_step yes'"

# A keyring the daemon refuses (group-writable): -S says so.
n=$(count_log "keyring $T/keyring: trying again")
chmod 775 "$T/keyring"
touch "$T/keyring/pubring.kbx"		# a change it must load
wait_log "$n" "keyring $T/keyring: trying again"
S > "$T/S.out" 2> "$T/S.err"
ok "sigknockd -S says the keyring on disk is not loaded" \
	sh -c "grep -qx 'keyring_on_disk not-loadable' '$T/S.out' && grep -q 'the keyring on disk is not loaded' '$T/S.err'"
chmod 700 "$T/keyring"
ok "... and, once fixed, loaded again" wait_for 35 sh -c "ip netns exec $NS_SRV '$B/sigknockd' -c '$T/sigknockd.conf' -S 2>/dev/null | grep -qx 'keyring_on_disk loaded'"
ok "-S names the keyring, its generation, when it was loaded and what it holds" \
	sh -c "ip netns exec $NS_SRV '$B/sigknockd' -c '$T/sigknockd.conf' -S | grep -qx 'keyring $T/keyring' &&
	ip netns exec $NS_SRV '$B/sigknockd' -c '$T/sigknockd.conf' -S | grep -q '^keyring_loaded_at [1-9]' &&
	ip netns exec $NS_SRV '$B/sigknockd' -c '$T/sigknockd.conf' -S | grep -q '^keyring_keys [1-9]'"
