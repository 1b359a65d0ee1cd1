# Network namespaces for end-to-end tests and the demo (sourced after
# tap.sh).  Three hosts joined by veth pairs, all created here and removed
# at exit; traffic never leaves them:
#
#   client 10.77.1.2 fd77:1::2 --- 10.77.1.1 fd77:1::1  server
#   other  10.77.2.2 fd77:2::2 --- 10.77.2.1 fd77:2::1  server
#
# and, with netns_add_eve, a fourth host on the client's segment (a
# macvlan of the client's link, as on shared Wi-Fi):
#
#   eve    10.77.1.3 --- (the client's segment) --- 10.77.1.1  server
#
# $NS_SRV, $NS_CLI, $NS_OTH hold the namespace names (unique per run).

SRV4=10.77.1.1  CLI4=10.77.1.2  SRV4_OTH=10.77.2.1  OTH4=10.77.2.2
SRV6=fd77:1::1  CLI6=fd77:1::2  SRV6_OTH=fd77:2::1  OTH6=fd77:2::2
EVE4=10.77.1.3

netns_setup() {
	_ns_tag=${1:-sk$$}
	NS_SRV=${_ns_tag}srv NS_CLI=${_ns_tag}cli NS_OTH=${_ns_tag}oth
	for _ns in $NS_SRV $NS_CLI $NS_OTH; do
		ip netns add "$_ns" || return 1
		test_cleanup "ip netns delete $_ns"
		ip -n "$_ns" link set lo up
	done
	ip link add skc netns "$NS_SRV" type veth peer name sks netns "$NS_CLI" || return 1
	ip link add sko netns "$NS_SRV" type veth peer name sks netns "$NS_OTH" || return 1
	ip -n "$NS_SRV" addr add $SRV4/24 dev skc
	ip -n "$NS_SRV" addr add $SRV6/64 dev skc nodad
	ip -n "$NS_SRV" addr add $SRV4_OTH/24 dev sko
	ip -n "$NS_SRV" addr add $SRV6_OTH/64 dev sko nodad
	ip -n "$NS_CLI" addr add $CLI4/24 dev sks
	ip -n "$NS_CLI" addr add $CLI6/64 dev sks nodad
	ip -n "$NS_OTH" addr add $OTH4/24 dev sks
	ip -n "$NS_OTH" addr add $OTH6/64 dev sks nodad
	ip -n "$NS_SRV" link set skc up
	ip -n "$NS_SRV" link set sko up
	ip -n "$NS_CLI" link set sks up
	ip -n "$NS_OTH" link set sks up
}

netns_add_eve() {
	NS_EVE=${_ns_tag}eve
	ip netns add "$NS_EVE" || return 1
	test_cleanup "ip netns delete $NS_EVE"
	ip -n "$NS_EVE" link set lo up
	ip -n "$NS_CLI" link add link sks name eve0 type macvlan mode bridge || return 1
	ip -n "$NS_CLI" link set eve0 netns "$NS_EVE" || return 1
	ip -n "$NS_EVE" addr add $EVE4/24 dev eve0
	ip -n "$NS_EVE" link set eve0 up
}

in_srv() { ip netns exec "$NS_SRV" "$@"; }
in_eve() { ip netns exec "$NS_EVE" "$@"; }
in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_oth() { ip netns exec "$NS_OTH" "$@"; }

# bg_start NAME NS CMD...: start CMD in namespace NS in the background
# ($pid_NAME is its PID: ip netns exec execs it); ended by PID at exit.
bg_start() {
	_bg_name=$1 _bg_ns=$2; shift 2
	ip netns exec "$_bg_ns" "$@" &
	eval "pid_$_bg_name=$!"
	test_cleanup "kill $! 2>/dev/null; wait $! 2>/dev/null"
}

# wait_for SECONDS CMD...: poll CMD (every 50 ms) until it succeeds.
wait_for() {
	_wf_limit=$(( $1 * 20 )); shift
	_wf_i=0
	while [ $_wf_i -lt $_wf_limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		_wf_i=$((_wf_i + 1))
	done
	return 1
}

require_netns() {
	require_root
	require_cmd ip iptables-legacy ip6tables-legacy
	ip netns add "sknscheck$$" 2>/dev/null || skip_all "cannot create network namespaces"
	ip netns delete "sknscheck$$"
	ip netns add "sknscheck$$" && ip netns exec "sknscheck$$" iptables-legacy -S >/dev/null 2>&1
	rc=$?
	ip netns delete "sknscheck$$"
	[ $rc -eq 0 ] || skip_all "legacy iptables (x_tables) not available in this kernel"
}
