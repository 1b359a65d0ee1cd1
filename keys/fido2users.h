/* FIDO2 users, kept beside the GnuPG keyring in one text file of
 * enrollment records (fido2.h), FIDO2_USERS_FILE.  sigknock-keys edits
 * it (add, revoke); sigknockd loads the records that are not revoked,
 * and reloads them when the file changes. */
#ifndef SK_FIDO2USERS_H
#define SK_FIDO2USERS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "fido2.h"

#define FIDO2_USERS_FILE	"sigknock-fido2"

struct fido2_user {
	uint8_t			 id[FIDO2_ID_LEN];	/* sorted by this */
	uint8_t			 rp_hash[32];		/* SHA-256(rec.rp) */
	struct fido2_record	 rec;
	struct crypto_pubkey	*pk;
};

struct fido2_users {
	size_t			 n;
	struct fido2_user	*u;
};

/* Every record of the file path (an empty file has none); errors are
 * logged with file and line. */
int	fido2_read_file(const char *path, struct fido2_record **recs,
	    size_t *n);
/* Every record of dir's FIDO2_USERS_FILE (none when it does not exist). */
int	fido2_users_read(const char *dir, struct fido2_record **recs,
	    size_t *n);
/* Replace the file with these records, atomically. */
int	fido2_users_write(const char *dir, const struct fido2_record *recs,
	    size_t n);
/* The usable users: records not revoked, with their keys. */
int	fido2_users_load(const char *dir, struct fido2_users **out);
/* The same from records already read (where names them in messages). */
int	fido2_users_build(const struct fido2_record *recs, size_t n,
	    const char *where, struct fido2_users **out);
const struct fido2_user *fido2_users_lookup(const struct fido2_users *fu,
	    const uint8_t *id, size_t len);
void	fido2_users_free(struct fido2_users *fu);

#endif
