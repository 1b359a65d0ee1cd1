# FIDO2 fixture (sourced after tap.sh and lib-netns.sh, once $T is set):
# the in-tree authenticator t/helper/sk-fido2-emu, speaking CTAPHID over
# a Unix socket to the real libfido2; its state file counts assertions.

# fido_start: the authenticator on $T/fido.sock ($FIDO_DEV), ended at exit.
fido_start() {
	FIDO_DEV=unix:$T/fido.sock
	"$top_builddir/t/helper/sk-fido2-emu" --socket "$T/fido.sock" \
		--state "$T/fido.state" &
	pid_emu=$!
	test_cleanup "kill $pid_emu 2>/dev/null"
	wait_for 5 test -S "$T/fido.sock"
}

# fido_enroll NAME FILE [sigknock-token enroll options...]: a credential
# named NAME, its file FILE and enrollment record FILE.pub.
fido_enroll() {
	_fe_name=$1 _fe_file=$2; shift 2
	"$top_builddir/sigknock-token" --fido-device "$FIDO_DEV" enroll "$@" \
		--name "$_fe_name" -o "$_fe_file" >/dev/null 2>&1
}

# touches: how many assertions (touches) the authenticator has made.
touches() { awk '$1 == "counter" { print $2 }' "$T/fido.state"; }
