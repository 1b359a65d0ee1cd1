#!/bin/sh
# The README's "A first setup by hand", command by command, on the
# programs `make install` put in a private root: their /etc/sigknock is
# the installed one, mounted over /etc in a mount namespace of this test
# only (with /var/lib a private tmpfs there, and /run a private
# directory that keeps the host's /run/netns: a sigknockd installed and
# running on the host keeps its /run/sigknockd/sigknockd.pid).  Two steps cannot run as
# written here and are replaced, as said below: `systemctl enable --now`
# (no systemd in the test) by the unit's own ExecStart in the server's
# network namespace, and `ssh` by a TCP connect to the service (the
# helper takes addresses only; sigknock itself resolves the name).
. "$srcdir/t/tap.sh"
. "$srcdir/t/lib-gpg.sh"
. "$srcdir/t/lib-netns.sh"
require_netns
require_cmd gpg unshare
B=$top_builddir
TOOL="$B/t/helper/sk-test-tool"
plan 9

test_tmpdir
T=$tap_tmp
R=$T/root
make -C "$B" --no-print-directory install DESTDIR="$R" > "$T/install.log" 2>&1 ||
	bail "make install failed"
var() { make -s -C "$B" --no-print-directory print-"$1" 2>/dev/null; }
confdir=$(var sysconfdir)/sigknock
[ "$confdir" = /etc/sigknock ] || skip_all "configured with sysconfdir $(var sysconfdir), the README says /etc"
netns_setup || bail "cannot create namespaces"
bg_start svc22 "$NS_SRV" "$TOOL" listen 0.0.0.0 22

# Alice's key, on her machine.
gpg_home "$T/alice"
gpg_genkey "Alice <alice@example.com>" ed25519 sign > /dev/null || bail "key"
gpg --armor --export alice@example.com > "$T/alice.asc"

# The private /etc: a copy of the host's with the installed
# /etc/sigknock, and server.example.com naming the server.
mkdir "$T/etc" && cp -a /etc/. "$T/etc/" && rm -rf "$T/etc/sigknock"
cp -a "$R/etc/sigknock" "$T/etc/sigknock"
echo "$SRV4 server.example.com" >> "$T/etc/hosts"
printf '#!/bin/sh\nsed -i "s/^Users .*/Users      alice@example.com/" "$1"\n' > "$T/editor"
chmod +x "$T/editor"

cat > "$T/steps.sh" <<STEPS
set -u
. "$srcdir/t/tap.sh"
tap_n=0
mount --make-rprivate /
mount --bind "$T/etc" /etc
mount -t tmpfs tmpfs /var/lib
mkdir -p "$T/run/netns"
mount --rbind /run/netns "$T/run/netns"
mount --rbind "$T/run" /run
PATH="$R$(var bindir):$R$(var sbindir):\$PATH"
EDITOR="$T/editor"
export PATH EDITOR
cd "$T"
# On the server:
ok "sigknock-keys init-server -o /etc/sigknock/server.key prints the public key" \\
	sh -c 'sigknock-keys init-server -o /etc/sigknock/server.key > server.pub 2>/dev/null && test -s server.pub'
ok "sigknock-keys add alice.asc" sh -c 'sigknock-keys add alice.asc > add.out 2>&1'
ok "\\\$EDITOR /etc/sigknock/access.conf (Users alice@example.com)" \\
	sh -c '\$EDITOR /etc/sigknock/access.conf && grep -q "^Users *alice@example.com" /etc/sigknock/access.conf'
ok "sigknockd -t" sh -c 'sigknockd -t > t.out 2>&1'
# systemctl enable --now sigknockd: the unit's ExecStart, in the server.
ip netns exec "$NS_SRV" sigknockd -f -e > daemon.log 2>&1 &
dpid=\$!
i=0; while [ \$i -lt 100 ] && ! grep -q 'listening on' daemon.log; do sleep 0.1; i=\$((i + 1)); done
ok "the daemon starts as the unit starts it" grep -q 'listening on' daemon.log
ok "before the knock the service is closed" sh -c '! ip netns exec "$NS_CLI" "$TOOL" connect $SRV4 22 400'
# On Alice's machine:
ok "sigknock --server-key <public key> -A tcp/22 server.example.com" \\
	sh -c 'GNUPGHOME="$T/alice" ip netns exec "$NS_CLI" sigknock --server-key "\$(cat server.pub)" -A tcp/22 server.example.com'
ok "... && ssh server.example.com: the connection opens" sh -c '
	i=0; while [ \$i -lt 40 ]; do
		ip netns exec "$NS_CLI" "$TOOL" connect $SRV4 22 400 && exit 0
		sleep 0.05; i=\$((i + 1))
	done; exit 1'
ok "its PidFile is in this test's own /run" test -s "$T/run/sigknockd/sigknockd.pid"
kill \$dpid; wait \$dpid 2>/dev/null
STEPS
unshare -m sh "$T/steps.sh"
tap_n=9
