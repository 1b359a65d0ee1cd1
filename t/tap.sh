# Shell TAP helper, sourced by t/*.sh.
#
#   plan N | skip_all REASON | ok CMD... | is WANT GOT NAME | diag MSG | bail MSG
#   test_cleanup CMD: run CMD at exit (LIFO), e.g. kill a PID, delete a netns
#   test_tmpdir: a private temporary directory, removed at exit
#   require_root, require_cmd CMD...: skip_all with a reason when missing

tap_n=0
tap_failed=0
tap_cleanups=

plan() { echo "1..$1"; }

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

diag() { printf '# %s\n' "$*"; }

bail() {
	echo "Bail out! $*"
	exit 255
}

# ok NAME CMD... : passes when CMD exits 0
ok() {
	tap_name=$1; shift
	tap_n=$((tap_n + 1))
	if "$@"; then
		echo "ok $tap_n - $tap_name"
	else
		echo "not ok $tap_n - $tap_name"
		tap_failed=$((tap_failed + 1))
	fi
}

# is WANT GOT NAME
is() {
	tap_n=$((tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		printf '#   wanted: %s\n#      got: %s\n' "$1" "$2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $*"
}

test_cleanup() {
	tap_cleanups="$*
$tap_cleanups"
}

tap_run_cleanups() {
	printf '%s\n' "$tap_cleanups" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	tap_cleanups=
}
trap 'tap_run_cleanups' EXIT
trap 'exit 130' INT TERM

# test_tmpdir: make a private directory, removed at exit, in $tap_tmp.
# (Not in $(...): a subshell would lose the cleanup.)
test_tmpdir() {
	tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigknock-test.XXXXXX") || bail "mktemp failed"
	# SK_KEEP_TMP=1 keeps it, to read a failed test's logs.
	[ -n "${SK_KEEP_TMP:-}" ] || test_cleanup "rm -rf '$tap_tmp'"
	# The programs under test keep per-user files under $HOME (sigknock
	# remembers its knocks in ~/.sigknock): never the real one.
	HOME=$tap_tmp/home
	mkdir -m 700 "$HOME" && export HOME
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
}

require_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"
	done
}

# The built helper tool; $top_builddir is set by the test environment.
: "${top_builddir:=.}"
: "${srcdir:=.}"
sk_tool="${SK_TOOL_WRAPPER:+$SK_TOOL_WRAPPER }$top_builddir/t/helper/sk-test-tool"
