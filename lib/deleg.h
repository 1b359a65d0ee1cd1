/* Delegated signatures (PROTOCOL.md 4.3): a user's token signs, once, a
 * delegation to an ephemeral Ed25519 key with a lifetime and optional
 * limits; requests of signer type 3 carry that delegation and the
 * ephemeral key's signature in their signature field. */
#ifndef SK_DELEG_H
#define SK_DELEG_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define SK_DELEG_CONTEXT	"sigknock v1 delegation"	/* + its NUL */
#define SK_DELEG_CONTEXT_LEN	23
#define SK_ED25519_LEN		32
#define SK_ED25519_SIG_LEN	64
/* The fixed part of the field before the token's signature. */
#define SK_DELEG_HEAD_MIN	(1 + 8 + 8 + SK_ED25519_LEN + SK_DIGEST_LEN + 1 + 1)
/* What is left of a request's signature field for the token's own. */
#define SK_DELEG_DSIG_MAX	(SK_SIG_MAX - SK_DELEG_HEAD_MIN - \
				 3 * SK_ACCESS_MAX - SK_DEST_MAX - 2 - \
				 SK_ED25519_SIG_LEN)
/* dest_len: 0, the server's own ports only; 1..SK_DEST_MAX, that
 * destination behind a gateway; this, any destination. */
#define SK_DELEG_DEST_ANY	0xff

struct sk_delegation {
	uint8_t		 dtype;		/* SK_SIGNER_OPENPGP or SK_SIGNER_FIDO2 */
	uint64_t	 created;	/* seconds since 1970, UTC */
	uint64_t	 not_after;
	uint8_t		 epk[SK_ED25519_LEN];
	uint8_t		 servers[SK_DIGEST_LEN];	/* all zero: any */
	uint8_t		 n_ports;	/* 0: any; the server's own ports */
	struct sk_access ports[SK_ACCESS_MAX];
	uint8_t		 dest_len;	/* 0, 1..SK_DEST_MAX, SK_DELEG_DEST_ANY */
	char		 dest[SK_DEST_MAX + 1];
	uint16_t	 dsig_len;
	uint8_t		 dsig[SK_DELEG_DSIG_MAX];	/* the token's */
	uint8_t		 esig[SK_ED25519_SIG_LEN];	/* R || S */
};

/* The longest delegation message (deleg_message). */
#define SK_DELEG_MSG_MAX	(SK_DELEG_CONTEXT_LEN + 2 + SK_SIGNER_ID_MAX + \
				 SK_DELEG_HEAD_MIN + 3 * SK_ACCESS_MAX + \
				 SK_DEST_MAX)

/* The message the token signs: the context, the signer (type and id, as
 * the request names it) and every field before dsig_len. */
int	deleg_message(const struct sk_delegation *d, const uint8_t *signer_id,
	    size_t idlen, uint8_t *out, size_t cap, size_t *len);
/* The signature field of a type-3 request: strict, lengths checked. */
int	deleg_parse(const uint8_t *p, size_t len, struct sk_delegation *d);
int	deleg_encode(const struct sk_delegation *d, uint8_t *out, size_t cap,
	    size_t *len);
/* 1 when the delegation allows a request for these servers, ports and
 * destination: a port limit is for the server's own ports; a request for
 * a destination needs the delegation to name it, or any. */
int	deleg_allows(const struct sk_delegation *d, const struct sk_request *rq);

#endif
