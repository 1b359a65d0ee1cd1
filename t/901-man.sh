#!/bin/sh
# Every man page renders with no groff warning and has the sections a
# reader looks for.
. "$srcdir/t/tap.sh"
require_cmd groff
PAGES="sigknock.1 sigknock-token.1 sigknock-agent.1 sigknockrc.5 sigknockd.conf.5 sigknock-access.conf.5 sigknockd.8 sigknock-keys.8"
plan 16
for p in $PAGES; do
	f="$srcdir/man/$p"
	is "" "$(groff -mandoc -ww -z "$f" 2>&1)" "$p: groff -mandoc -ww prints no warning"
	missing=
	for s in NAME DESCRIPTION FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -q "^\.Sh $s\$" "$f" || missing="$missing [$s]"
	done
	is "" "$missing" "$p: has NAME, DESCRIPTION, FILES, EXIT STATUS, EXAMPLES, SEE ALSO"
done
