# OpenPGP card fixture (sourced after tap.sh, lib-gpg.sh, lib-netns.sh,
# with $T set): a private pcscd with the vpcd reader driver in its own
# mount and network namespaces (its /run is $T/run, so the system's pcscd,
# if any, is untouched), and the in-tree card emulator t/helper/sk-card-emu
# connected to it: the card chip is the only emulated part.  Readers:
# "Virtual PCD 00 00" (vpcd port 40001) and "Virtual PCD 00 01" (40002).

CARD_EMU=$top_builddir/t/helper/sk-card-emu
VPCD_DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

require_card() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (a private pcscd in its own namespaces)"
	require_cmd pcscd unshare nsenter ip gpg gpgconf
	[ -e "$VPCD_DRIVER" ] || skip_all "needs the vpcd reader driver (vsmartcard-vpcd)"
	[ -x /usr/lib/gnupg/scdaemon ] || skip_all "needs scdaemon"
}

# card_pcscd: start the private pcscd; exports PCSCLITE_CSOCK_NAME so
# that every PC/SC client (scdaemon, sigknock) talks to it.
card_pcscd() {
	mkdir -p "$T/run" "$T/pcsc"
	cat > "$T/pcsc/vpcd" <<EOT
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x9C41
LIBPATH      $VPCD_DRIVER
CHANNELID    0x9C41
EOT
	unshare --mount --propagation private --net sh -c \
		'ip link set lo up && mount --bind "$1" /run && exec pcscd -f -c "$2" -i' \
		sh "$T/run" "$T/pcsc" > "$T/pcscd.log" 2>&1 &
	pid_pcscd=$!
	test_cleanup "kill $pid_pcscd 2>/dev/null; wait $pid_pcscd 2>/dev/null"
	PCSCLITE_CSOCK_NAME=$T/run/pcscd/pcscd.comm
	export PCSCLITE_CSOCK_NAME
	wait_for 5 test -S "$PCSCLITE_CSOCK_NAME"
}

# card_insert NAME PORT [EMULATOR OPTIONS...]: a card with its state in
# $T/NAME.card, in the reader of vpcd PORT; waits until PC/SC sees it.
card_insert() {
	_ci_name=$1 _ci_port=$2; shift 2
	_ci_want=$(($(card_count) + 1))		# counted before the card arrives
	nsenter -t "$pid_pcscd" -m -n "$CARD_EMU" --vpcd "127.0.0.1:$_ci_port" \
		--state "$T/$_ci_name.card" "$@" 2>>"$T/card.log" &
	eval "pid_card_$_ci_name=$!"
	test_cleanup "kill $! 2>/dev/null"
	wait_for 10 card_count_is "$_ci_want"
}

# card_remove NAME: pull the card out; waits until PC/SC sees it gone.
card_remove() {
	_cr_n=$(card_count)
	eval "kill \$pid_card_$1; wait \$pid_card_$1" 2>/dev/null
	wait_for 5 card_count_is "$((_cr_n - 1))"
}

card_count() { "$top_builddir/sigknock-token" list 2>/dev/null | grep -c 'OpenPGP card ' || true; }
card_count_is() { [ "$(card_count)" -eq "$1" ]; }

# card_gpg_home DIR READER: a GnuPG home whose scdaemon uses READER of
# the private pcscd, shared with other PC/SC clients.
card_gpg_home() {
	gpg_home "$1"
	printf 'disable-ccid\nreader-port %s\npcsc-shared\n' "$2" > "$1/scdaemon.conf"
	printf 'allow-loopback-pinentry\n' > "$1/gpg-agent.conf"
}

# card_keytocard FPR SERIAL: move the (signing) primary key of the
# current GNUPGHOME to the signature slot of the card SERIAL with the
# admin PIN; fails unless the key really is on that card afterwards (a
# failed keytocard silently leaves it in software).
card_keytocard() {
	printf 'keytocard\ny\n1\nsave\n' | gpg --batch --yes --pinentry-mode loopback \
		--passphrase 12345678 --command-fd 0 --edit-key "$1" >/dev/null 2>&1
	[ "$(gpg -K --with-colons "$1" 2>/dev/null | awk -F: '/^sec/ { print $15; exit }')" = \
		"D276000124010304FFFF${2}0000" ]
}

# card_pinentry PIN: $T/pinentry, an Assuan pinentry that answers PIN
# (percent-encoded as Assuan wants it) and logs each description it is
# shown in $T/pinentry.log.
card_pinentry() {
	cat > "$T/pinentry" <<EOT
#!/bin/sh
echo "OK a pinentry for the test"
while read -r cmd rest; do
	case \$cmd in
	SETDESC) echo "\$rest" >> "$T/pinentry.log"; echo OK ;;
	GETPIN) echo "D $1"; echo OK ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
EOT
	chmod +x "$T/pinentry"
}
