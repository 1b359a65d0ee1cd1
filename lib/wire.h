/* Wire format v1 (PROTOCOL.md): the outer datagram mac1 || enc || ct, and
 * the inner request it carries. */
#ifndef SK_WIRE_H
#define SK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "hpke.h"

#define SK_WIRE_VERSION		1
#define SK_DEFAULT_PORT		62201
#define SK_MAC1_LEN		16
#define SK_DATAGRAM_MAX		1200
#define SK_INNER_MIN		88
#define SK_OUTER_OVERHEAD	(SK_MAC1_LEN + HPKE_ENC_LEN + HPKE_TAG_LEN)
#define SK_DATAGRAM_MIN		(SK_OUTER_OVERHEAD + SK_INNER_MIN)
#define SK_INNER_MAX		(SK_DATAGRAM_MAX - SK_OUTER_OVERHEAD)
#define SK_NONCE_LEN		16
#define SK_DIGEST_LEN		32
#define SK_ACCESS_MAX		16
#define SK_EXT_MAX		256
#define SK_SIGNER_ID_MAX	32
#define SK_EXT_DEST		0x81	/* critical: a gateway's destination */
#define SK_DEST_MAX		32	/* its name: 1..32 of [A-Za-z0-9._-] */
#define SK_EXT_SET		0x82	/* critical: signed for a set of servers */
#define SK_EXT_CLOSE		0x83	/* critical: end the signer's grants */
#define SK_SET_MAX		64	/* servers in one set */
#define SK_SET_DEPTH_MAX	6	/* proof hashes: ceil(log2(SK_SET_MAX)) */
#define SK_SIG_MAX		1024
#define SK_SIGN_CONTEXT		"sigknock v1 request"	/* + its NUL */
#define SK_SIGN_CONTEXT_LEN	20
#define SK_SIGNED_MSG_MAX	(SK_SIGN_CONTEXT_LEN + SK_INNER_MAX)

enum sk_signer_type {
	SK_SIGNER_OPENPGP = 1,
	SK_SIGNER_FIDO2 = 2,
	SK_SIGNER_DELEGATED = 3,	/* deleg.h */
};

enum sk_addr_family {
	SK_ADDR_SOURCE = 0,	/* open for the datagram's source address */
	SK_ADDR_IPV4 = 4,
	SK_ADDR_IPV6 = 6,
};

struct sk_access {
	uint8_t		proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t	port;
};

struct sk_request {
	uint8_t		version;
	uint8_t		signer_type;
	uint64_t	timestamp;
	uint8_t		nonce[SK_NONCE_LEN];
	uint8_t		server_digest[SK_DIGEST_LEN];
	uint8_t		addr_family;
	uint8_t		addr[16];
	uint16_t	timeout;
	uint8_t		n_access;
	struct sk_access access[SK_ACCESS_MAX];
	uint16_t	ext_len;
	uint8_t		ext[SK_EXT_MAX];
	/* From ext, by the decoder (request_set_dest for the encoder): the
	 * destination a gateway forwards to, or "" for the server itself. */
	char		dest[SK_DEST_MAX + 1];
	/* SK_EXT_SET: server_digest is the root of a set of set_count
	 * servers; after the signature, this server's leaf index and the
	 * proof (wire_set_depth(set_count) hashes). */
	uint8_t		set_count;	/* 0: one server */
	/* SK_EXT_CLOSE: end the signer's live grants for the address (and
	 * destination) instead of opening anything (PROTOCOL.md 3.5). */
	uint8_t		close;
	uint8_t		set_index;
	uint8_t		set_proof[SK_SET_DEPTH_MAX][SK_DIGEST_LEN];
	uint8_t		signer_id_len;
	uint8_t		signer_id[SK_SIGNER_ID_MAX];
	/* Filled by the decoder: */
	size_t		signed_len;	/* inner bytes covered by the signature */
	uint16_t	sig_len;
	uint8_t		sig[SK_SIG_MAX];
};

/* The server's X25519 key and the values derived from its public half. */
struct sk_server_key {
	uint8_t		sk[HPKE_SK_LEN];
	uint8_t		pk[HPKE_PK_LEN];
	uint8_t		mac1_key[SK_SHA256_LEN];
	uint8_t		digest[SK_DIGEST_LEN];
};

/* Public values derived from pkS (PROTOCOL.md section 1). */
int	wire_mac1_key(const uint8_t pk[static HPKE_PK_LEN],
	    uint8_t out[static SK_SHA256_LEN]);
int	wire_server_digest(const uint8_t pk[static HPKE_PK_LEN],
	    uint8_t out[static SK_DIGEST_LEN]);
/* Fill k from a secret key; with sk NULL, only pk is set by the caller
 * (client side) and the derived values are computed from k->pk. */
int	wire_server_key_init(struct sk_server_key *k, const uint8_t *sk);
void	wire_server_key_wipe(struct sk_server_key *k);

/* 1 when s[0..len) is a valid destination name. */
int	wire_dest_name_ok(const char *s, size_t len);
/* Name the destination (appends the SK_EXT_DEST extension). */
int	request_set_dest(struct sk_request *rq, const char *name);

/* Server sets (PROTOCOL.md 3.4): a Merkle tree over the servers' key
 * digests, in the order given, padded to a power of two. */
unsigned wire_set_depth(unsigned count);
/* The root over n digests (2..SK_SET_MAX), and the proof for index. */
int	wire_set_root(const uint8_t (*digests)[SK_DIGEST_LEN], size_t n,
	    uint8_t root[static SK_DIGEST_LEN]);
int	wire_set_proof(const uint8_t (*digests)[SK_DIGEST_LEN], size_t n,
	    size_t index, uint8_t proof[][SK_DIGEST_LEN]);
/* 1 when rq binds the server whose key digest is digest: its own
 * server_digest, or a set whose root the proof leads to from it. */
int	wire_request_binds(const struct sk_request *rq,
	    const uint8_t digest[static SK_DIGEST_LEN]);
/* Ask to close instead of open (appends the SK_EXT_CLOSE extension;
 * access entries and timeout must stay 0). */
int	request_set_close(struct sk_request *rq);
/* Sign for a set of count servers (appends the SK_EXT_SET extension;
 * the caller puts the root in server_digest). */
int	request_set_group(struct sk_request *rq, unsigned count);
/* After request_append_signature: this datagram's leaf index and proof
 * (rq's set_count says how many hashes). */
int	request_append_proof(uint8_t *buf, size_t cap, size_t len,
	    const struct sk_request *rq, unsigned index,
	    const uint8_t proof[][SK_DIGEST_LEN], size_t *outlen);

/* Encode everything up to (not including) sig_len: the signed part. */
int	request_encode_unsigned(const struct sk_request *rq, uint8_t *out,
	    size_t cap, size_t *len);
/* Append sig_len and the signature after `signed_len` bytes in buf. */
int	request_append_signature(uint8_t *buf, size_t cap, size_t signed_len,
	    const uint8_t *sig, size_t siglen, size_t *len);
/* Strict decode of an inner request; rq is zeroed first and is valid only
 * when 0 is returned. */
int	request_decode(const uint8_t *p, size_t len, struct sk_request *rq);
/* The other way: a signed message (context and signed part, what a
 * signer is asked to sign) decoded as strictly; sig_len and what follows
 * it stay zero. */
int	request_decode_signed(const uint8_t *msg, size_t len,
	    struct sk_request *rq);
/* signed_message = context || inner[0 .. signed_len) */
int	request_signed_message(const uint8_t *inner, size_t signed_len,
	    uint8_t *out, size_t cap, size_t *len);

/* Seal an inner request to the server (k->pk and k->mac1_key used).  skE
 * NULL draws a fresh ephemeral key; tests pass a fixed one. */
int	datagram_seal(const struct sk_server_key *k, const uint8_t *inner,
	    size_t innerlen, const uint8_t *skE, uint8_t *out, size_t cap,
	    size_t *outlen);
/* Bounds and mac1 only: the cheap filter.  With mac (an HMAC keyed with
 * k->mac1_key, see crypto_hmac_new) it costs no handle set-up. */
int	datagram_check(const struct sk_server_key *k, const uint8_t *p,
	    size_t len);
int	datagram_check_with(struct crypto_hmac *mac, const uint8_t *p,
	    size_t len);
/* datagram_check, then HPKE open into inner (cap ≥ len - overhead). */
int	datagram_open(const struct sk_server_key *k, const uint8_t *p,
	    size_t len, uint8_t *inner, size_t cap, size_t *innerlen);

#endif
