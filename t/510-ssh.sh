#!/bin/sh
# Knock, then connect, with OpenSSH: a real sshd is the hidden service
# (tcp/22 behind the daemon's gate), and the ~/.ssh/config lines the
# README shows make a plain `ssh server.example.com` knock first.
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
. "$srcdir/t/lib-e2e.sh"
require_netns
require_cmd gpg nft
require_sshd
FW=nftables
plan 5
E2E_NO_SERVICE=1 e2e_setup
sshd_start || bail "sshd"
ok "sigknockd starts" daemon_start

# The README's lines, with this test's key and names.
{ ssh_config server.example.com
  echo "Match originalhost server.example.com exec \"sigknock --server-key $PUB -A tcp/22 %h\""
} > "$T/ssh_config"
grep -v '^Match' "$T/ssh_config" > "$T/ssh_config.noknock"
ssh_to() { GNUPGHOME=$T/users in_cli ssh -F "$1" server.example.com echo connected 2>>"$T/ssh.err"; }
ok "without the Match line, ssh finds the port closed" \
	sh -c "! ip netns exec $NS_CLI ssh -o ConnectTimeout=2 -F '$T/ssh_config.noknock' server.example.com true 2>/dev/null"
n=$(count_log 'accepted alice')
out=$(PATH="$B:$PATH" ssh_to "$T/ssh_config")
is "connected" "$out" "with it, a plain ssh server.example.com knocks and logs in"
ok "... the knock was alice's, for her own address" wait_log "$n" "accepted alice@example.com .* open tcp/22 for $CLI4"
ok "... through a real sshd" grep -q "Accepted publickey for root" "$T/sshd.log"
