# GnuPG helpers for shell tests (sourced after tap.sh).  Every key is made
# at run time in a private GNUPGHOME; nothing secret is ever committed.

# gpg_home DIR: create a private GnuPG home and make it the current one.
gpg_home() {
	mkdir -p "$1" && chmod 700 "$1"
	GNUPGHOME=$1
	export GNUPGHOME
	printf 'pinentry-mode loopback\nbatch\nno-tty\n' > "$1/gpg.conf"
	test_cleanup "GNUPGHOME='$1' gpgconf --kill all"
}

gpg_q() { gpg --quiet --yes --passphrase '' "$@" 2>>"$GNUPGHOME/gpg.log"; }

# gpg_genkey UID ALGO USAGE [EXPIRE] [EXTRA GPG OPTION...]: prints the fingerprint.
gpg_genkey() {
	uid=$1 algo=$2 usage=$3 expire=${4:-never}
	shift 3; [ $# -gt 0 ] && shift
	gpg_q "$@" --quick-gen-key "$uid" "$algo" "$usage" "$expire" || return 1
	gpg_fpr "$uid"
}

# gpg_fpr UID: fingerprint of the primary key with that exact UID.
gpg_fpr() {
	gpg --with-colons --list-keys "=$1" 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }'
}

# gpg_subkey_fprs PRIMARY: fingerprints of the subkeys, in order.
gpg_subkey_fprs() {
	gpg --with-colons --list-keys "$1" 2>/dev/null |
		awk -F: '$1 == "sub" { s = 1; next } $1 == "fpr" && s { print $10; s = 0 }'
}

# gpg_edit FPR COMMAND-LINES...: drive --edit-key in batch mode.
gpg_edit() {
	fpr=$1; shift
	printf '%s\n' "$@" | gpg --quiet --batch --command-fd 0 --passphrase '' \
		--edit-key "$fpr" >>"$GNUPGHOME/gpg.log" 2>&1
}

# gpg_good SIG DATA: true when gpg itself calls the signature good.
gpg_good() {
	gpg --status-fd 1 --verify "$1" "$2" 2>/dev/null | grep -q '^\[GNUPG:\] GOODSIG '
}

# flip_byte FILE OFFSET: xor one byte with 0x01 in place.
flip_byte() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
