/* sigknock-keys audit: an audit trail (audit.h) checked offline, record
 * by record and link by link, against the keys of a keyring as they
 * were (keyring_load_history: keys revoked or expired since still
 * check what they signed before). */
#ifndef SK_AUDIT_CHECK_H
#define SK_AUDIT_CHECK_H

#include <stdio.h>

/* Check the files (in order: the oldest rotated file first, the live one
 * last) against the keyring dir; each record and each problem to out,
 * as text or as JSON lines.  The number of problems (0: every record
 * and link checks), or -1 when the check could not run (logged). */
int	audit_check(const char *keyring, char *const *files, int nfiles,
	    int json, FILE *out);

#endif
