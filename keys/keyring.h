/* The server's table of users' signing keys, built from a GnuPG keyring
 * through GPGME at load time.  GnuPG decides validity (revocation,
 * expiry, disabled, subkey binding); verification afterwards is in process
 * with libgcrypt and never spawns a process. */
#ifndef SK_KEYRING_H
#define SK_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto.h"
#include "pgp.h"
#include "users.h"

struct fido2_users;

#define KEYRING_UID_MAX	256

struct keyring_entry {
	uint8_t		 fpr[PGP_FPR_LEN];	/* the signing (sub)key */
	uint8_t		 primary_fpr[PGP_FPR_LEN];
	uint8_t		 algo;			/* enum pgp_pk_algo */
	unsigned	 bits;
	time_t		 expires;		/* 0 = never; checked at use */
	long long	 created;		/* the primary key's */
	char		 uid[KEYRING_UID_MAX];	/* primary UID's e-mail, now */
	char		 name[USERS_NAME_MAX + 1];	/* fixed name, or "" */
	int		 revoked;	/* only in keyring_load_history's */
	struct crypto_pubkey *pk;
};

/* A signing key GnuPG calls usable that sigknock refuses, and why. */
struct keyring_refusal {
	uint8_t		 fpr[PGP_FPR_LEN];
	uint8_t		 primary_fpr[PGP_FPR_LEN];
	char		 uid[KEYRING_UID_MAX];
	char		 algo[32];
	int		 err;			/* SK_ERR_* */
};

/* A signing key of a revoked user (a revocation certificate, or the
 * ledger): kept only to name whose knock is refused. */
struct keyring_revoked {
	uint8_t		 fpr[PGP_FPR_LEN];
	uint8_t		 primary_fpr[PGP_FPR_LEN];
	char		 name[USERS_NAME_MAX + 1];	/* or the UID's e-mail */
};

struct keyring {
	size_t		 n;
	struct keyring_entry *entries;		/* sorted by fpr */
	size_t		 n_refused;
	struct keyring_refusal *refused;
	size_t		 n_revoked;
	struct keyring_revoked *revoked;	/* sorted by fpr */
};

/* Load every usable signing key of the GnuPG home directory `homedir`
 * (NULL: GnuPG's default).  Keys that are revoked, expired, disabled or
 * invalid, and subkeys that are, or cannot sign, are left out; so are
 * signing keys sigknock does not accept (pgp.h: algorithms, sizes, small-
 * order points), listed in refused.  These are the one set of acceptance
 * rules: the daemon, sigknock-keys add and list, and sigknock-token test
 * all load keys through here. */
int	keyring_load(const char *homedir, struct keyring **out);
/* The same, and the keys since revoked or expired, marked revoked or
 * with their expiry: the keys as they were at some earlier time, for
 * checking what was signed then (sigknock-keys audit).  Never for
 * deciding who may knock now. */
int	keyring_load_history(const char *homedir, struct keyring **out);
void	keyring_free(struct keyring *kr);
/* The revoked signing key fpr (len bytes), or NULL. */
const struct keyring_revoked *keyring_lookup_revoked(const struct keyring *kr,
	    const uint8_t *fpr, size_t len);
/* Add one (unsorted; keyring_sort_revoked after the last): 0, or
 * SK_ERR_ALLOC. */
int	keyring_add_revoked(struct keyring *kr, const uint8_t *fpr,
	    const uint8_t *primary_fpr, const char *name);
void	keyring_sort_revoked(struct keyring *kr);
/* Does the primary key fpr have a usable signing key in kr? */
int	keyring_has_primary(const struct keyring *kr,
	    const uint8_t fpr[PGP_FPR_LEN]);

/* The keyring directory's safety: the directory, GnuPG's configuration
 * files in it, the keyring files, the user ledger and the FIDO2 records
 * owned by root (or us) and writable by no one else.  Errors name the
 * chown/chmod to run. */
int	keyring_check_perms(const char *homedir);

/* Apply the user ledger (users.h) to kr and the FIDO2 users fu (either may
 * be NULL): every entry gets its fixed name, a credential whose name
 * another holds loses it, keys the ledger revoked are dropped from kr
 * (with KEYRING_KEEP_REVOKED: kept, marked revoked).  With
 * KEYRING_RECORD, keys seen for the first time are written to the ledger
 * (under its lock); without, nothing is written (sigknockd -t). */
#define KEYRING_RECORD		1
#define KEYRING_KEEP_REVOKED	2
int	keyring_apply_users(const char *homedir, struct keyring *kr,
	    struct fido2_users *fu, int flags);

const struct keyring_entry *keyring_lookup(const struct keyring *kr,
	    const uint8_t *fpr, size_t len);

/* Verify an OpenPGP signature packet over msg by the key signer_id:
 * lookup, expiry at `now`, issuer match, then pgp_sig_verify. On success
 * *who is the signer's entry. */
int	keyring_verify(const struct keyring *kr, const uint8_t *signer_id,
	    size_t idlen, const uint8_t *sig, size_t siglen, const uint8_t *msg,
	    size_t msglen, time_t now, unsigned skew,
	    const struct keyring_entry **who);

/* Administration (sigknock-keys).  Each prints nothing; results come
 * back through callbacks, errors are logged. */

/* State of a key as GnuPG sees it. */
struct keyring_info {
	char		 fpr[2 * PGP_FPR_LEN + 1];	/* primary, hex */
	char		 sign_fpr[2 * PGP_FPR_LEN + 1];	/* usable signing (sub)key, or "" */
	char		 uid[KEYRING_UID_MAX];
	char		 algo[32];			/* of the signing key */
	long long	 created;			/* the primary key's */
	const char	*state;	/* valid, revoked, expired, disabled, invalid, no-signing-key */
};
typedef void (*keyring_info_cb)(void *arg, const struct keyring_info *ki);

/* GnuPG starts a gpg-agent for the keyring even for public-key work: a
 * one-shot command stops it on its way out (gpgconf --kill), so that no
 * agent stays behind with its sockets in the keyring directory. */
void	keyring_stop_agent(const char *homedir);

/* The one public key of homedir (any GnuPG home, such as fwknopd's)
 * that id (a key id, fingerprint or user ID, as gpg takes it) names,
 * exported as binary OpenPGP into a malloc'd *out, with its description
 * in *ki.  No key, or several, is an error, logged. */
int	keyring_export(const char *homedir, const char *id, uint8_t **out,
	    size_t *len, struct keyring_info *ki);

/* Create homedir (mode 0700) when missing. */
int	keyring_ensure_dir(const char *homedir);
/* Every key in the keyring with its state. */
int	keyring_list(const char *homedir, keyring_info_cb cb, void *arg);
/* Import OpenPGP public keys (armored or binary).  Every key must have a
 * signing key the daemon accepts (keyring_load's rules: GnuPG's validity,
 * then sigknock's algorithms and sizes), or nothing is imported and the
 * reason is logged.  vet, when not NULL, sees each key before anything is
 * imported and may refuse it (non-zero: nothing imported); cb sees each
 * added key. */
int	keyring_add_keys(const char *homedir, const uint8_t *data, size_t len,
	    int (*vet)(void *arg, const struct keyring_info *ki),
	    keyring_info_cb cb, void *arg);
/* Why keyring_load refuses the key with primary fingerprint fpr (hex):
 * GnuPG's state, or sigknock's reason; NULL when it accepts it. */
const char *keyring_refusal(const struct keyring *kr,
	    const struct keyring_info *ki, char *buf, size_t len);
/* Import a revocation certificate; cb sees the key it revoked. */
int	keyring_import_revocation(const char *homedir, const uint8_t *data,
	    size_t len, keyring_info_cb cb, void *arg);
/* Human name of an OpenPGP public-key algorithm with size, e.g.
 * "ed25519", "rsa3072", "nistp256". */
const char *keyring_algo_name(uint8_t algo, unsigned bits, char *buf,
	    size_t len);

#endif
