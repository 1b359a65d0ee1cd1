# Ports published to a container (sigknock-access.conf(5) PUBLISHED
# PORTS), sourced by the per-backend tests with FW set.  No Docker engine
# runs on the test machines, so the server namespace gets exactly the
# rules docker.io 20.10 (Debian 12) installs for "docker run -p 8080:80"
# (as iptables-save prints them), and a container namespace behind a
# bridge docker0, as Docker builds it:
#
#   client 10.77.1.2 --- 10.77.1.1  server  172.17.0.1 docker0 --- 172.17.0.2 container
#   other  10.77.2.2 --- 10.77.2.1  server                          (serves tcp/80)
#
# Docker's rules are loaded with iptables-nft (Debian 12's iptables),
# then, as a Docker switched to iptables-legacy, with the legacy tool.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft iptables-nft-restore iptables-legacy-restore

CTR4=172.17.0.2

# docker_rules RESTORE: Docker's tables, through RESTORE (which flushes
# the tables it names, as Docker's own restarts rewrite its chains).
docker_rules() {
	in_srv "$1" <<'EOT'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
EOT
}

pub_topology() {
	netns_setup || return 1
	NS_CTR=${_ns_tag}ctr
	ip netns add "$NS_CTR" || return 1
	test_cleanup "ip netns delete $NS_CTR"
	ip -n "$NS_CTR" link set lo up
	ip -n "$NS_SRV" link add docker0 type bridge || return 1
	ip -n "$NS_SRV" addr add 172.17.0.1/16 dev docker0
	ip -n "$NS_SRV" link set docker0 up
	ip link add vethc netns "$NS_SRV" type veth peer name eth0 netns "$NS_CTR" || return 1
	ip -n "$NS_SRV" link set vethc master docker0 up
	ip -n "$NS_CTR" addr add $CTR4/16 dev eth0
	ip -n "$NS_CTR" link set eth0 up
	ip -n "$NS_CTR" route add default via 172.17.0.1
	in_srv sysctl -qw net.ipv4.ip_forward=1
	bg_start ctr80 "$NS_CTR" "$TOOL" listen 0.0.0.0 80
	docker_rules iptables-nft-restore
}

# The container's port as the client sees it (the DNAT'd tcp/8080).
published() { in_cli "$TOOL" connect $SRV4 8080 400; }
other_published() { in_oth "$TOOL" connect $SRV4_OTH 8080 400; }
# alice knocks for tcp/8080, and the container is reached.
knock_published() {
	_kp_n=$(count_log 'accepted alice@example.com')
	knock -A tcp/8080 --resend none 2>/dev/null &&
		wait_log "$_kp_n" 'accepted alice@example.com' &&
		wait_for 2 published
}

E2E_TOPOLOGY=pub_topology E2E_OPEN="tcp/22, tcp/443, tcp/8080"
plan $(( $([ "$FW" = nftables ] && echo 21 || echo 18) ))
e2e_setup

ok "Docker's rules alone publish the container's port to everyone" \
	wait_for 2 published
ok "sigknockd starts" daemon_start
ok "it names Docker's chains and what it gates" \
	grep -q "Docker's chains found (iptables-nft: table ip [a-z]*, chain DOCKER" "$LOG"
ok "the published port is closed to the client without a knock" \
	eval '! published'
ok "and to another host" eval '! other_published'
ok "alice's knock for tcp/8080 reaches the container" knock_published
ok "the other host stays locked out" eval '! other_published'
ok "the grant expires: the published port closes again" \
	wait_for 8 eval '! published'

# Docker restarts: it writes its tables again.
docker_rules iptables-nft-restore
ok "after Docker rewrites its tables, the port is still closed" \
	eval 'sleep 1; ! published'
ok "and a knock opens it" knock_published
ok "a live grant is not taken for a damaged gate" \
	eval 'sleep 1.5; [ "$(count_log "gate was removed")" -eq 0 ]'
if [ "$FW" = iptables ]; then
	ok "SIGKNOCK-PUB is jumped to from the head of DOCKER-USER" \
		eval 'in_srv iptables-legacy -S DOCKER-USER | sed -n 2p | grep -q -- "-j SIGKNOCK-PUB"'
else
	ok "table inet sigknock has its published chain" \
		in_srv nft list chain inet sigknock published
fi

# A Docker on iptables-legacy: its tables there, none in nf_tables.
wait_for 8 no_grants
in_srv nft delete table ip filter
in_srv nft delete table ip nat
docker_rules iptables-legacy-restore
ok "with Docker on iptables-legacy (its restore flushed the legacy filter table), closed" \
	eval 'sleep 1; ! published && ! other_published'
ok "sigknockd names Docker's legacy chains at a restart" \
	eval 'kill $pid_daemon; wait $pid_daemon; daemon_start &&
	grep -q "Docker.s chains found (iptables-legacy" "$LOG"'
ok "the client is still locked out" eval '! published'
ok "a knock opens it through Docker's legacy chains" knock_published
ok "the other host stays locked out" eval '! other_published'
if [ "$FW" = iptables ]; then
	ok "Docker's DOCKER-USER keeps its RETURN after sigknock's jump" \
		eval 'in_srv iptables-legacy -S DOCKER-USER | tr "\n" " " |
		grep -q -- "-j SIGKNOCK-PUB -A DOCKER-USER -j RETURN"'
else
	ok "nothing of sigknock's in the legacy tables" \
		eval '! in_srv iptables-legacy-save | grep -q SIGKNOCK'
fi

# Grant connection on a published port (nftables only: libiptc refuses
# the keyword): the first connection reaches the container, no second.
if [ "$FW" = nftables ]; then
	wait_for 8 no_grants
	n=$(count_log 'reloading')
	{ printf '[once]\nUsers dave@example.com\nOpen tcp/8080\nGrant connection\n'
	  printf 'Timeout 10\nMaxTimeout 10\n\n'; cat "$T/access.conf"; } > "$T/a2"
	mv "$T/a2" "$T/access.conf"
	wait_log "$n" 'reloading'
	n=$(count_log 'accepted dave@example.com')
	knock -A tcp/8080 --resend none --signer "$FPR_dave" 2>/dev/null
	ok "dave's one-connection grant for the published port is accepted" \
		wait_log "$n" 'accepted dave@example.com.*one connection'
	ok "... its first connection reaches the container" wait_for 2 published
	ok "... and a second is refused" eval '! published'
fi
