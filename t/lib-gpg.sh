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
	_gk_uid=$1 _gk_algo=$2 _gk_usage=$3 _gk_expire=${4:-never}
	shift 3; [ $# -gt 0 ] && shift
	gpg_q "$@" --quick-gen-key "$_gk_uid" "$_gk_algo" "$_gk_usage" "$_gk_expire" || return 1
	gpg_fpr "$_gk_uid"
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
	_ge_fpr=$1; shift
	printf '%s\n' "$@" | gpg --quiet --batch --command-fd 0 --passphrase '' \
		--edit-key "$_ge_fpr" >>"$GNUPGHOME/gpg.log" 2>&1
}

# gpg_good SIG DATA: true when gpg itself calls the signature good.
gpg_good() {
	gpg --status-fd 1 --verify "$1" "$2" 2>/dev/null | grep -q '^\[GNUPG:\] GOODSIG '
}

# flip_byte FILE OFFSET: xor one byte with 0x01 in place.
flip_byte() {
	_fb=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((_fb ^ 1)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
