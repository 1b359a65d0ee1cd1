/* OpenPGP (RFC 4880) in process: v4 public-key and signature packets,
 * fingerprints, signature hashing and verification, and a builder that
 * wraps a raw signature into a v4 signature packet. */
#ifndef SK_PGP_H
#define SK_PGP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"

#define PGP_FPR_LEN		20		/* v4 fingerprint */
#define PGP_KEYID_LEN		8
#define PGP_PACKET_MAX		(1u << 24)	/* larger packets are refused */
#define PGP_MPI_MAX		1024		/* bytes: 8192-bit integers */
#define PGP_SUBPKT_MAX		32		/* subpackets per area */
#define PGP_RSA_MIN_BITS	2048
#define PGP_SIG_PACKET_MAX	1024		/* what our builder may emit */

enum pgp_tag {
	PGP_TAG_SIGNATURE = 2,
	PGP_TAG_PUBLIC_KEY = 6,
	PGP_TAG_USER_ID = 13,
	PGP_TAG_PUBLIC_SUBKEY = 14,
};

enum pgp_pk_algo {
	PGP_PK_RSA = 1,
	PGP_PK_RSA_S = 3,
	PGP_PK_ECDH = 18,
	PGP_PK_ECDSA = 19,
	PGP_PK_EDDSA = 22,
};

enum pgp_hash_algo {
	PGP_HASH_MD5 = 1,
	PGP_HASH_SHA1 = 2,
	PGP_HASH_RIPEMD160 = 3,
	PGP_HASH_SHA256 = 8,
	PGP_HASH_SHA384 = 9,
	PGP_HASH_SHA512 = 10,
	PGP_HASH_SHA224 = 11,
};

enum pgp_sig_type {
	PGP_SIG_BINARY = 0x00,
	PGP_SIG_POSITIVE_CERT = 0x13,
};

/* Read one packet header; *body points into the input. Partial and
 * indeterminate lengths are refused. */
int	pgp_packet_next(struct rbuf *r, uint8_t *tag, const uint8_t **body,
	    size_t *len);

struct pgp_key {
	uint8_t		 tag;		/* PGP_TAG_PUBLIC_KEY or _SUBKEY */
	uint8_t		 version;
	uint32_t	 created;
	uint8_t		 algo;		/* enum pgp_pk_algo */
	enum sk_curve	 curve;
	unsigned	 bits;
	uint8_t		 fpr[PGP_FPR_LEN];
	struct crypto_pubkey *pk;	/* NULL unless a signing algorithm we use */
};

/* Parse a public-key or public-subkey packet body.  Fills k (fingerprint
 * always for v4), and k->pk for RSA ≥ 2048 bits, ECDSA P-256/384/521 and
 * Ed25519.  Returns 0, or an error naming why (a v4 key in an algorithm we
 * do not verify gives SK_ERR_PGP_UNSUPPORTED with fpr, algo set). */
int	pgp_key_parse(uint8_t tag, const uint8_t *body, size_t len,
	    struct pgp_key *k);
void	pgp_key_clear(struct pgp_key *k);

/* Walk a packet stream (e.g. a GPGME export) and call cb for every public
 * key and subkey packet with the parse result; the callback may take
 * ownership of k->pk by setting it to NULL.  A non-zero callback result
 * stops the walk and is returned. */
typedef int (*pgp_key_cb)(void *arg, int result, struct pgp_key *k);
int	pgp_keys_walk(const uint8_t *p, size_t len, pgp_key_cb cb, void *arg);

/* The v4 fingerprint: SHA-1(0x99 || u16 len || body). */
int	pgp_fingerprint(const uint8_t *body, size_t len,
	    uint8_t fpr[static PGP_FPR_LEN]);

struct pgp_sig {
	uint8_t		 version;
	uint8_t		 type;
	uint8_t		 pk_algo;
	uint8_t		 hash_algo;
	const uint8_t	*hashed;	/* version .. end of hashed subpackets */
	size_t		 hashed_len;
	uint32_t	 created;
	uint32_t	 expires_after;	/* signature expiration, 0 = none */
	int		 has_issuer_fpr;
	uint8_t		 issuer_fpr[PGP_FPR_LEN];
	int		 has_issuer_keyid;
	uint8_t		 issuer_keyid[PGP_KEYID_LEN];
	uint8_t		 left16[2];
	int		 n_mpi;
	const uint8_t	*mpi[2];
	size_t		 mpi_len[2];
};

/* Parse exactly one signature packet (header included), strictly: v4,
 * binary-document type, hash SHA-256/384/512, algorithm RSA/ECDSA/EdDSA,
 * creation time present, no unknown critical subpacket, no trailing
 * bytes.  sig points into p. */
int	pgp_sig_parse(const uint8_t *p, size_t len, struct pgp_sig *sig);

/* The digest RFC 4880 5.2.4 defines: hash(msg || hashed || 04 FF len). */
int	pgp_sig_digest(const struct pgp_sig *sig, const uint8_t *msg,
	    size_t msglen, uint8_t *digest, size_t *dlen);

/* Check times (created ≤ now + skew, not expired), algorithm match, the
 * left 16 bits, and the signature itself. */
int	pgp_sig_verify(const struct pgp_sig *sig, const struct crypto_pubkey *pk,
	    uint8_t key_algo, const uint8_t *msg, size_t msglen, time_t now,
	    unsigned skew);

/* Building signatures around a raw signing operation (cards, tests). */
struct pgp_sig_builder {
	uint8_t		hashed[128];	/* version .. hashed subpackets */
	size_t		hashed_len;
	uint8_t		fpr[PGP_FPR_LEN];
	uint8_t		pk_algo;
	uint8_t		hash_algo;
};

/* Start a v4 signature of `type` by the key with fingerprint fpr.  The
 * hashed area holds the issuer fingerprint and creation time, plus
 * key_flags when non-zero (self-signatures). */
int	pgp_sig_builder_init(struct pgp_sig_builder *b, uint8_t type,
	    uint8_t pk_algo, uint8_t hash_algo, uint32_t created,
	    const uint8_t fpr[static PGP_FPR_LEN], uint8_t key_flags);
/* Digest over parts[0..n) followed by the hashed area and trailer. */
int	pgp_sig_builder_digest(const struct pgp_sig_builder *b,
	    const uint8_t *const *parts, const size_t *lens, size_t n,
	    uint8_t *digest, size_t *dlen);
/* Emit the packet: header, hashed area, unhashed issuer key id, left 16
 * bits of digest, and the MPIs (s1 = RSA s or r; s2 = s for EC). */
int	pgp_sig_builder_finish(const struct pgp_sig_builder *b,
	    const uint8_t *digest, const uint8_t *s1, size_t s1len,
	    const uint8_t *s2, size_t s2len, uint8_t *out, size_t cap,
	    size_t *len);

/* The body of a v4 public-key packet for pk (RSA, ECDSA, Ed25519). */
int	pgp_key_body_build(const struct crypto_pubkey *pk, uint32_t created,
	    uint8_t *out, size_t cap, size_t *len);
/* Write a packet header (new format) for tag and body length. */
void	pgp_packet_header(struct wbuf *w, uint8_t tag, size_t len);

/* Fingerprints as text: parse 40 hex digits (a 0x prefix allowed), 0 or
 * -1; format as 40 uppercase digits and a NUL (out ≥ 41 bytes). */
#define PGP_FPR_HEX_LEN	(2 * PGP_FPR_LEN)
int	pgp_fpr_parse(const char *s, uint8_t fpr[static PGP_FPR_LEN]);
void	pgp_fpr_format(const uint8_t fpr[static PGP_FPR_LEN], char *out);

/* Map an OpenPGP hash id to ours; 0 for refused or unknown ones. */
enum sk_hash pgp_hash_to_sk(uint8_t hash_algo);

#endif
