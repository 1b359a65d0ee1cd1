/* Who is who: the names an access file matches, fixed by an admin act and
 * never by the key holder, and revocations that stick.
 *
 * The ledger is one text file in the keyring directory, USERS_FILE, one
 * line per OpenPGP primary key:
 *
 *	FINGERPRINT NAME STATE SINCE HOW
 *	3AA5...D2 alice@example.com active 2026-11-30T12:00:00Z add
 *
 * NAME is '-' for none (the key is known by its fingerprint only), STATE
 * is active or revoked, SINCE the UTC time of the last change, HOW what
 * made it (add, first-seen, name, revoke, unrevoke).  sigknock-keys writes
 * it when the admin adds, names, revokes or restores a user; sigknockd
 * adds a line when it first sees a key imported with plain gpg (trust on
 * first use: the primary user ID's e-mail, if no one holds it yet).  Later
 * user-ID changes never rename a key: the ledger, not the key, says who it
 * is.  A revocation names the fingerprint, so it survives a re-import of
 * the key and a keyring rebuilt or copied without GnuPG's trustdb.
 *
 * OpenPGP names and FIDO2 enrollment names are one name space: a name
 * held already (by a ledger line, then by a FIDO2 record, in file order)
 * is given to no one else; the later holder gets no name. */
#ifndef SK_USERS_H
#define SK_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "fido2.h"
#include "pgp.h"

#define USERS_FILE		"sigknock-users"
#define USERS_NAME_MAX		128
#define USERS_MAX		100000
#define USERS_LINE_MAX		512
#define USERS_TIME_LEN		20	/* 2026-11-30T12:00:00Z */
#define USERS_HOW_MAX		15

struct users_entry {
	uint8_t		fpr[PGP_FPR_LEN];	/* the primary key */
	char		name[USERS_NAME_MAX + 1];	/* "" = none */
	int		revoked;
	char		since[USERS_TIME_LEN + 1];
	char		how[USERS_HOW_MAX + 1];
	unsigned	line;
};

struct users {
	size_t			 n;
	struct users_entry	*e;
	int			 dirty;		/* changed since read */
};

struct users_parse_err {
	unsigned	line;
	char		why[128];
};

/* A name an access file can hold: 1 to USERS_NAME_MAX of A-Z a-z 0-9
 * . _ @ + -, not a 40-digit fingerprint, not '-'. */
int	users_name_ok(const char *s);

/* Parse the ledger text[0..len); on failure *err says where and why and
 * nothing is allocated.  Duplicate fingerprints are an error. */
int	users_parse(const char *text, size_t len, struct users *out,
	    struct users_parse_err *err);
/* The ledger as text (malloc'd, NUL-terminated). */
int	users_format(const struct users *u, char **out, size_t *len);
void	users_clear(struct users *u);

/* Read dir/USERS_FILE (none yet: empty), checking its owner and mode;
 * write it back atomically. */
int	users_read(const char *dir, struct users *out);
int	users_write(const char *dir, const struct users *u);
/* An exclusive lock on the ledger for a read-change-write (a lock file
 * beside it); users_unlock(fd). */
int	users_lock(const char *dir);
void	users_unlock(int fd);

struct users_entry *users_find(const struct users *u,
	    const uint8_t fpr[PGP_FPR_LEN]);
/* The entry holding name (case-insensitive), or NULL. */
struct users_entry *users_find_name(const struct users *u, const char *name);
/* Append an entry (name "" for none); the current UTC time as SINCE. */
struct users_entry *users_add(struct users *u, const uint8_t fpr[PGP_FPR_LEN],
	    const char *name, const char *how);
/* Stamp e as changed now by how. */
void	users_touch(struct users *u, struct users_entry *e, const char *how);

/* A key the keyring holds, as name resolution sees it. */
struct users_key {
	uint8_t		fpr[PGP_FPR_LEN];	/* primary */
	long long	created;
	const char	*uid;		/* primary user ID's e-mail, or "" */
	/* Out: */
	const char	*name;		/* its name, or NULL */
	int		revoked;	/* by the ledger */
};

/* Give every key and FIDO2 record its name: ledger lines first (in file
 * order), then FIDO2 records (in file order), then keys the ledger does
 * not know yet, each proposing its user ID's e-mail (first seen;
 * recorded in u, which becomes dirty).  A name held already leaves the
 * later holder without one, with a warning when warn is set; new keys
 * that propose the same name all go without it (their creation dates
 * are their makers' to choose: they cannot decide).
 * rec_named[i] tells whether FIDO2 record i keeps its name.  keys[].name
 * points into u, which must outlive its use. */
int	users_resolve(struct users *u, struct users_key *keys, size_t nkeys,
	    const struct fido2_record *recs, size_t nrecs, int *rec_named,
	    int warn);

#endif
