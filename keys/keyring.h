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

#define KEYRING_UID_MAX	256

struct keyring_entry {
	uint8_t		 fpr[PGP_FPR_LEN];	/* the signing (sub)key */
	uint8_t		 primary_fpr[PGP_FPR_LEN];
	uint8_t		 algo;			/* enum pgp_pk_algo */
	unsigned	 bits;
	time_t		 expires;		/* 0 = never; checked at use */
	char		 uid[KEYRING_UID_MAX];	/* primary UID's e-mail */
	struct crypto_pubkey *pk;
};

struct keyring {
	size_t		 n;
	struct keyring_entry *entries;		/* sorted by fpr */
};

/* Load every usable signing key of the GnuPG home directory `homedir`
 * (NULL: GnuPG's default).  Keys that are revoked, expired, disabled or
 * invalid, and subkeys that are, or cannot sign, are left out. */
int	keyring_load(const char *homedir, struct keyring **out);
void	keyring_free(struct keyring *kr);

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
	const char	*state;	/* valid, revoked, expired, disabled, invalid, no-signing-key */
};
typedef void (*keyring_info_cb)(void *arg, const struct keyring_info *ki);

/* Create homedir (mode 0700) when missing. */
int	keyring_ensure_dir(const char *homedir);
/* Every key in the keyring with its state. */
int	keyring_list(const char *homedir, keyring_info_cb cb, void *arg);
/* Import OpenPGP public keys (armored or binary).  Every key must have a
 * usable signing key, or nothing is imported; cb sees each added key. */
int	keyring_add_keys(const char *homedir, const uint8_t *data, size_t len,
	    keyring_info_cb cb, void *arg);
/* Import a revocation certificate; cb sees the key it revoked. */
int	keyring_import_revocation(const char *homedir, const uint8_t *data,
	    size_t len, keyring_info_cb cb, void *arg);
/* Mark the key holding fingerprint fpr (primary or subkey, hex) disabled. */
int	keyring_disable(const char *homedir, const char *fpr,
	    keyring_info_cb cb, void *arg);

/* Human name of an OpenPGP public-key algorithm with size, e.g.
 * "ed25519", "rsa3072", "nistp256". */
const char *keyring_algo_name(uint8_t algo, unsigned bits, char *buf,
	    size_t len);

#endif
