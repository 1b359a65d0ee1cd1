# End-to-end fixture (sourced after tap.sh, lib-gpg.sh, lib-netns.sh):
# namespaces, a server key, users' keys, keyring, access file, config,
# the hidden service, and sigknockd with firewall backend $FW.

B=$top_builddir
TOOL="$B/t/helper/sk-test-tool"

e2e_setup() {
	test_tmpdir
	T=$tap_tmp
	# E2E_TOPOLOGY names a function that builds other namespaces and sets
	# NS_SRV, NS_CLI, SRV4 (t/507-e2e-nat.sh); the default is lib-netns'.
	${E2E_TOPOLOGY:-netns_setup} || bail "cannot create namespaces"
	# Both backends own their gate (a drop for every Open port): the
	# server has no rule of its own.
	# "::" takes IPv4 (mapped) and IPv6 on port 22.
	# (E2E_NO_SERVICE: the test brings its own tcp/22, such as sshd.)
	[ -n "${E2E_NO_SERVICE:-}" ] || bg_start svc22 "$NS_SRV" "$TOOL" listen :: 22
	bg_start svc443 "$NS_SRV" "$TOOL" listen 0.0.0.0 443

	# Users' secret keys live on the client side only.
	gpg_home "$T/users"
	for u in alice carol dave erin frank; do
		f=$(gpg_genkey "$u <$u@example.com>" ed25519 sign) || bail "key $u"
		eval "FPR_$u=$f"
		gpg --export "$u@example.com" > "$T/$u.pgp"
	done
	"$B/sigknock-keys" init-server -o "$T/server.key" > "$T/server.pub" 2>/dev/null ||
		bail "init-server"
	PUB=$(cat "$T/server.pub")
	for u in alice dave erin; do
		"$B/sigknock-keys" -k "$T/keyring" add "$T/$u.pgp" >/dev/null 2>&1 ||
			bail "add $u"
	done
	cat > "$T/access.conf" <<EOT
[admins]
Users      alice@example.com, dave@example.com, erin@example.com, frank@example.com${E2E_USERS_EXTRA:+, $E2E_USERS_EXTRA}
Open       ${E2E_OPEN:-tcp/22, tcp/443}
Default    tcp/22
Timeout    ${E2E_TIMEOUT:-3}
MaxTimeout ${E2E_MAXTIMEOUT:-5}
Source     any
${E2E_ACCESS_EXTRA:-}
EOT
	cat > "$T/sigknockd.conf" <<EOT
# end-to-end test configuration
Interface    ${E2E_IFACE:-skc}
Port         62201
ServerKey    $T/server.key
Keyring      $T/keyring
AccessFile   $T/access.conf
Firewall     $FW
StateDir     $T/state
MaxPacketAge ${E2E_MAXAGE:-10}
PidFile      $T/sigknockd.pid
EOT
	LOG=$T/sigknockd.log
	: > "$LOG"
	# When a test failed, the daemon's last words go into the TAP log
	# as comments (fd 9: cleanups run with their output discarded).
	exec 9>&1
	test_cleanup 'e2e_log_tail >&9'
}

e2e_log_tail() {
	[ "$tap_failed" -gt 0 ] && [ -s "$LOG" ] || return 0
	echo "# the last lines of sigknockd's log:"
	tail -n 60 "$LOG" | sed 's/^/#   /'
}

# require_sshd: skip unless OpenSSH's client and server are here.
require_sshd() {
	require_cmd ssh ssh-keygen
	[ -x /usr/sbin/sshd ] || skip_all "needs sshd (openssh-server)"
}

# sshd_start: a real sshd on tcp/22 (IPv4 and IPv6) in the server
# namespace, host key and the client's key ($T/id) made now, its log in
# $T/sshd.log.
sshd_start() {
	# sshd wants its privilege separation directory, as its unit makes it.
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$T/id" || return 1
	cp "$T/id.pub" "$T/authorized_keys"
	bg_start sshd "$NS_SRV" /usr/sbin/sshd -D -e -f /dev/null \
		-o ListenAddress=0.0.0.0 -o ListenAddress=:: -o Port=22 \
		-o HostKey="$T/hostkey" -o AuthorizedKeysFile="$T/authorized_keys" \
		-o StrictModes=no -o PermitRootLogin=prohibit-password \
		-o UsePAM=no -o PidFile="$T/sshd.pid" 2>"$T/sshd.log"
}

# ssh_config HOST: a Host stanza for sshd_start's server, as root with
# $T/id, on stdout.
ssh_config() {
	cat <<EOT
Host $1
	HostName $SRV4
	User root
	IdentityFile $T/id
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking accept-new
	BatchMode yes
	ConnectTimeout 5
EOT
}

daemon_start() {
	_ds_n=$(count_log 'listening on')
	rm -f "$T/sigknockd.pid"
	bg_start daemon "$NS_SRV" "$B/sigknockd" -c "$T/sigknockd.conf" -d 2>>"$LOG"
	wait_log "$_ds_n" 'listening on' && wait_for 5 test -s "$T/sigknockd.pid"
}

daemon_alive() { kill -0 "$pid_daemon" 2>/dev/null; }

# knock [SIGKNOCK OPTIONS...]: as a client, to the server's first address.
knock() {
	GNUPGHOME=$T/users in_cli "$B/sigknock" --server-key "$PUB" "$@" $SRV4
}

can_connect() { in_cli "$TOOL" connect "$1" "$2" 400; }
# knock_opens: alice knocks once for tcp/22; it is accepted and opens.
knock_opens() {
	_ko_n=$(count_log 'accepted alice@example.com')
	knock -A tcp/22 --resend none 2>/dev/null &&
		wait_log "$_ko_n" 'accepted alice@example.com' &&
		wait_for 2 can_connect $SRV4 22
}
other_can_connect() { in_oth "$TOOL" connect "$1" "$2" 400; }
closed() { ! can_connect "$@"; }

# count_log PATTERN: lines of the daemon log matching PATTERN.
count_log() { grep -c -- "$1" "$LOG" 2>/dev/null || true; }

# wait_log N PATTERN: wait (10 s) until PATTERN has more than N lines.
wait_log() {
	_wl_n=$1 _wl_pat=$2 _wl_i=0
	while [ $_wl_i -lt 200 ]; do
		[ "$(count_log "$_wl_pat")" -gt "$_wl_n" ] && return 0
		sleep 0.05
		_wl_i=$((_wl_i + 1))
	done
	return 1
}

# How many grants the kernel holds: ACCEPT rules in our chain, or
# elements in our nftables sets.
grant_rules() {
	if [ "$FW" = nftables ]; then
		{ in_srv nft list set inet sigknock grants4
		  in_srv nft list set inet sigknock grants6; } 2>/dev/null |
			grep -o 'expires' | wc -l
	else
		in_srv iptables-legacy -S SIGKNOCK 2>/dev/null | grep -c -- '-j ACCEPT' || true
	fi
}
# hook_datagram CMD FILE: the test hooks' "SKTEST CMD" (server/worker-
# test.c), padded with zeros past the smallest knock, since the capture
# filter passes nothing shorter; the worker reads CMD up to the first zero.
hook_datagram() { { printf 'SKTEST %s' "$1"; head -c 160 /dev/zero; } > "$2"; }

no_grants() { [ "$(grant_rules)" -eq 0 ]; }

# daemon_cpu_ms: the CPU time of sigknockd's monitor and its latest
# worker, in ms: from /proc/PID/sched (nanoseconds) where the kernel
# keeps it, else from /proc/PID/stat (clock ticks, 10 ms here: too
# coarse for a burst of a few hundred knocks).
daemon_cpu_ms() {
	_w=$(sed -n 's/.*worker started (pid \([0-9]*\),.*/\1/p' "$LOG" | tail -n 1)
	if [ -r "/proc/$pid_daemon/sched" ]; then
		awk '/^se.sum_exec_runtime/ { t += $3 } END { printf "%.3f\n", t }' \
			"/proc/$pid_daemon/sched" ${_w:+"/proc/$_w/sched"}
	else
		awk -v hz="$(getconf CLK_TCK)" '{ t += $14 + $15 } END { print t * 1000 / hz }' \
			"/proc/$pid_daemon/stat" ${_w:+"/proc/$_w/stat"}
	fi
}
