/* fwknopd's access.conf as a sigknock access file (sigknock-keys
 * import-fwknop): each fwknop stanza becomes one [fwknop-N] stanza, or,
 * when it cannot work without a person's decision (a shared key has no
 * owner to name), a commented-out one that says what to fill in.  What
 * does not map is reported (fwk_report) with the reason and what to use
 * instead; no secret of the file (KEY, HMAC_KEY, GPG_DECRYPT_PW) is ever
 * written or reported. */
#ifndef SK_IMPORT_FWKNOP_H
#define SK_IMPORT_FWKNOP_H

#include <stddef.h>
#include <stdio.h>

#include "fwknop.h"

struct fwk_import {
	/* fwknopd's GnuPG home for GPG_REMOTE_ID / GPG_FINGERPRINT_ID:
	 * this one, else the stanza's GPG_HOME_DIR, else /root/.gnupg. */
	const char	*gpg_home;
	/* Add the key that id names in gpg_home to sigknock's keyring and
	 * put how access files name it (its name, or its fingerprint) in
	 * tok; non-zero when it cannot be added (the reason is logged). */
	int		(*user_key)(void *arg, const char *gpg_home,
			    const char *id, char *tok, size_t toklen);
	void		*arg;
	struct fwk_tally tally;
	size_t		 stanzas;	/* written, working */
	size_t		 commented;	/* written commented out */
	size_t		 users;
	size_t		 ports;
};

/* Write the access file for c to out. */
int	fwk_import_access(const struct fwk_conf *c, struct fwk_import *im,
	    FILE *out);

#endif
