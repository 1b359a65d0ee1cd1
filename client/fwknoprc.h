/* A user's ~/.fwknoprc as ~/.sigknockrc stanzas (sigknock
 * --import-fwknoprc).  Each [stanza] keeps its name ([default] stays
 * [default]); what does not map is reported (fwk_report) with the reason
 * and what to use instead.  No secret (KEY, HMAC_KEY, GPG_SIGNING_PW) is
 * ever written or reported. */
#ifndef SK_FWKNOPRC_H
#define SK_FWKNOPRC_H

#include <stdio.h>

#include "fwknop.h"

struct fwk_rc_import {
	const char	*port;		/* sigknockd's port (-p), or NULL */
	struct fwk_tally tally;
	size_t		 stanzas;
};

/* Write the sigknockrc text for c to out; non-zero on a value fwknop
 * itself would refuse (logged with its file and line). */
int	fwk_import_rc(const struct fwk_conf *c, struct fwk_rc_import *im,
	    FILE *out);

/* fwknop's TIME_OFFSET, "[-]N[m|h|d]", in seconds; -1 if it is not one. */
int	fwk_time_offset(const char *val, long *out);

#endif
