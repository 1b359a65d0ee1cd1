#!/bin/sh
# Switching the firewall backend, and taking the gate down for good.
# Before: after Firewall nftables -> iptables the old table inet sigknock
# kept dropping the port (knocks "accepted", the port closed), and
# nothing removed a gate.  Now each start removes this daemon's gate of
# the other backend, naming it, and sigknockd --remove-gate takes both
# down once the daemon is stopped.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft iptables-legacy ip6tables-legacy
FW=nftables
plan 19
e2e_setup

# use BACKEND: restart the daemon with Firewall BACKEND.
use() {
	if daemon_alive; then
		kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
	fi
	FW=$1
	sed -i "s/^Firewall .*/Firewall $1/" "$T/sigknockd.conf"
	daemon_start
}
no_nft_table() { ! in_srv nft list table inet sigknock >/dev/null 2>&1; }
no_ipt_chain() { ! in_srv iptables-legacy -S SIGKNOCK >/dev/null 2>&1; }

ok "sigknockd starts with nftables" daemon_start
ok "a knock opens the port" knock_opens
wait_for 6 closed $SRV4 22

n=$(count_log 'removed nftables table inet sigknock')
ok "switched to iptables, it starts" use iptables
ok "... removing its nftables gate, and saying so" \
	test "$(count_log 'removed nftables table inet sigknock')" -gt "$n"
ok "... which is gone" no_nft_table
ok "a knock opens the port again (the old table no longer drops it)" knock_opens
ok "no Docker here: DOCKER-USER made, jumped to from FORWARD, its head jumping to SIGKNOCK-PUB" \
	sh -c "ip netns exec $NS_SRV iptables-legacy -S FORWARD | grep -qx -- '-A FORWARD -j DOCKER-USER' &&
	ip netns exec $NS_SRV iptables-legacy -S DOCKER-USER | sed -n 2p | grep -qx -- '-A DOCKER-USER -j SIGKNOCK-PUB'"
wait_for 6 closed $SRV4 22

n=$(count_log 'removed iptables chain SIGKNOCK (table filter)')
ok "switched back to nftables, it starts" use nftables
ok "... removing its iptables chain and jump, and saying so" \
	test "$(count_log 'removed iptables chain SIGKNOCK (table filter) and its jump from INPUT')" -gt "$n"
ok "... which are gone" no_ipt_chain
ok "... and the DOCKER-USER it made (empty, no Docker chains), and its jump, saying so" \
	sh -c "! ip netns exec $NS_SRV iptables-legacy -S DOCKER-USER >/dev/null 2>&1 &&
	! ip netns exec $NS_SRV iptables-legacy -S FORWARD | grep -q DOCKER-USER &&
	grep -q 'removed iptables chain DOCKER-USER (empty, and no Docker chains) and its jump from FORWARD' '$LOG'"
ok "a knock opens the port again" knock_opens
wait_for 6 closed $SRV4 22

in_srv "$B/sigknockd" -c "$T/sigknockd.conf" --remove-gate > "$T/o" 2>&1; rc=$?
ok "--remove-gate refuses while sigknockd runs" test $rc -eq 1
ok "... saying to stop it first" grep -q "sigknockd is running (pid $pid_daemon, PidFile $T/sigknockd.pid) and would rebuild the gate at once: stop it first" "$T/o"
kill "$pid_daemon"; wait "$pid_daemon" 2>/dev/null
ok "the gate outlives the daemon (by design): still closed" closed $SRV4 22
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" --remove-gate > "$T/o" 2>&1; rc=$?
ok "--remove-gate takes it down" sh -c "[ $rc -eq 0 ] && grep -q 'the gate is down' '$T/o'"
ok "... the table is gone" no_nft_table
ok "... and the port is open to the client and to anyone" \
	sh -c "ip netns exec $NS_CLI $TOOL connect $SRV4 22 400 && ip netns exec $NS_OTH $TOOL connect $SRV4_OTH 22 400"
in_srv "$B/sigknockd" -c "$T/sigknockd.conf" --remove-gate > "$T/o" 2>&1; rc=$?
ok "a second --remove-gate finds nothing, and says so" sh -c "[ $rc -eq 0 ] && grep -q 'no gate of sigknockd' '$T/o'"
