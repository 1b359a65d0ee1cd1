#!/bin/sh
# A passphrase through ssh's ProxyCommand: stdin and stdout are ssh's
# pipes, the terminal is on stderr only, and GPG_TTY is not exported.
# gpg-agent must still be told which terminal to show its pinentry on,
# or pinentry-curses fails with "Inappropriate ioctl for device".  Run
# under script(1) for a terminal; the pinentry here logs what the agent
# tells it and answers the passphrase.  Nothing is sent (--test).
. "$srcdir/t/tap.sh"
require_cmd gpg gpg-agent script
B=$top_builddir
plan 5

test_tmpdir
T=$tap_tmp
G=$T/gnupg
mkdir -m 700 "$G"
test_cleanup "GNUPGHOME='$G' gpgconf --kill all"
cat > "$T/pinentry" <<EOT
#!/bin/sh
echo "OK a pinentry for the test"
while read -r cmd rest; do
	case \$cmd in
	OPTION) echo "\$rest" >> "$T/pinentry.log"; echo OK ;;
	GETPIN) echo "D sesame"; echo OK ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
EOT
chmod +x "$T/pinentry"
printf 'pinentry-program %s\n' "$T/pinentry" > "$G/gpg-agent.conf"
GNUPGHOME=$G gpg --batch --pinentry-mode loopback --passphrase sesame \
	--quick-gen-key 'Alice <alice@example.com>' ed25519 sign never 2>/dev/null ||
	bail "keygen"
GNUPGHOME=$G gpgconf --kill gpg-agent
PUB=hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=

# proxy CMD: CMD in a terminal (script), with stdin from /dev/null and
# stdout into a pipe, as ssh runs a ProxyCommand; its stderr is the
# terminal.
proxy() {
	script -qec "$1 </dev/null | cat >'$T/stdout'" /dev/null > "$T/tty" 2>&1
}
proxy "env -u GPG_TTY GNUPGHOME='$G' '$B/sigknock' -v --test --server-key $PUB -A tcp/22 127.0.0.1"
ok "a passphrase-protected key signs through ProxyCommand's pipes" \
	grep -q "^datagram: " "$T/stdout"
ok "... the client set GPG_TTY from the terminal on stderr, and says so" \
	grep -q "GPG_TTY was not set: /dev/pts/[0-9]*, for gpg-agent's pinentry" "$T/tty"
ok "... and gpg-agent told the pinentry that terminal" \
	grep -q "^ttyname=/dev/pts/[0-9]*" "$T/pinentry.log"
GNUPGHOME=$G gpgconf --kill gpg-agent
: > "$T/pinentry.log"
proxy "env GPG_TTY=/dev/pts/999 GNUPGHOME='$G' '$B/sigknock' -v --test --server-key $PUB -A tcp/22 127.0.0.1"
ok "a GPG_TTY the user set is kept" sh -c "! grep -q 'GPG_TTY was not set' '$T/tty'"
ok "... and passed on" grep -q "^ttyname=/dev/pts/999" "$T/pinentry.log"
