/* The gpg token's fast path, as data: what it remembers of a signing key
 * between knocks (so that a knock asks gpg-agent only, with no gpg or
 * gpgconf process), and the signature gpg-agent answers to PKSIGN. */
#ifndef SK_GPGAGENT_H
#define SK_GPGAGENT_H

#include <stddef.h>
#include <stdint.h>

#include "pgp.h"

#define GPGCACHE_KEY_MAX	1200	/* a v4 public-key body, RSA-8192 */
#define GPGCACHE_BYTES		8192	/* a whole cache file */
#define GPGCACHE_KEYGRIP_LEN	40	/* hex */

struct gpgcache {
	char	 home[1024];	/* GNUPGHOME as the client saw it */
	char	 signer[256];	/* --signer, or "" for the default key */
	char	 stamp[128];	/* the keyrings' inode, size and times */
	char	 socket[1024];	/* gpg-agent's socket */
	char	 fpr[PGP_FPR_HEX_LEN + 1];
	char	 keygrip[GPGCACHE_KEYGRIP_LEN + 1];
	char	 card[40];	/* serial of the card holding it, or "" */
	char	 uid[128];	/* for -v and the pinentry; printable */
	int64_t	 expires;	/* the subkey's expiry, 0 = never */
	uint8_t	 key[GPGCACHE_KEY_MAX];	/* public-subkey packet body */
	size_t	 keylen;
};

/* Parse a cache file buf[0..len): every field once, each checked (hex
 * lengths, printable text).  0, or SK_ERR_BAD_FIELD for anything else:
 * the caller then looks the key up again. */
int	gpgcache_parse(const char *buf, size_t len, struct gpgcache *c);

/* Write c as a cache file into out[0..cap); its length, or 0 when a
 * value cannot be written (a control character in a path). */
size_t	gpgcache_format(const struct gpgcache *c, char *out, size_t cap);

/* gpg-agent's PKSIGN answer, a canonical S-expression (sig-val (ALGO
 * (r R)(s S))) or (sig-val (rsa (s S))), for a key of OpenPGP algorithm
 * pk_algo: copy s1 (RSA s, or r) and s2 (EC s) into buffers of
 * PGP_MPI_MAX bytes.  0, or SK_ERR_BAD_FIELD. */
int	gpgagent_sig_parse(const uint8_t *p, size_t len, uint8_t pk_algo,
	    uint8_t *s1, size_t *s1len, uint8_t *s2, size_t *s2len);

/* Escape s for an Assuan command argument as GnuPG's SETKEYDESC wants
 * it ('+' for space, %XX for '+', '%', '"' and control characters). */
size_t	gpgagent_escape(const char *s, char *out, size_t cap);

#endif
