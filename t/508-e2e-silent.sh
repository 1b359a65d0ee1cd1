#!/bin/sh
# The knock port is silent without any firewall rule: with the log
# backend (no iptables, no ip6tables, no nftables) the daemon's own
# socket on the knock port keeps the kernel from answering "port
# unreachable", over IPv4 and IPv6 alike.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg tcpdump
FW=log
plan 5
e2e_setup
ok "sigknockd starts with Firewall log" daemon_start
in_cli tcpdump -i sks -n -U -w "$T/icmp.pcap" "icmp or icmp6" >/dev/null 2>&1 &
tpid=$!
test_cleanup "kill $tpid 2>/dev/null"
sleep 0.5
in_cli "$TOOL" udp-send $SRV4 62201 random:200x3
in_cli "$TOOL" udp-send $SRV6 62201 random:200x3
in_cli "$TOOL" udp-send $SRV4 9 random:50
in_cli "$TOOL" udp-send $SRV6 9 random:50
seen() { tcpdump -r "$T/icmp.pcap" -n 2>/dev/null | grep -c "$1"; }
wait_for 3 sh -c "[ \$(tcpdump -r '$T/icmp.pcap' -n 2>/dev/null | grep -c 'port 9 unreachable') -ge 2 ]"
sleep 0.3
kill $tpid; wait $tpid 2>/dev/null
ok "control: port 9 answers unreachable over IPv4" test "$(seen "$SRV4 > $CLI4: ICMP $SRV4 udp port 9 unreachable")" -ge 1
ok "control: port 9 answers unreachable over IPv6" test "$(seen "$SRV6 > $CLI6: ICMP6, destination unreachable, unreachable port, $SRV6 udp port 9")" -ge 1
is 0 "$(seen 'port 62201')" "the knock port answers nothing, over IPv4 or IPv6"
ok "the daemon still read the datagrams (capture)" sh -c "kill -USR1 $pid_daemon; sleep 0.5; grep -q 'stats: received [1-9]' '$LOG'"
