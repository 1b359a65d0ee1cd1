/* FIDO2 credentials as sigknock uses them: the text records written at
 * enrollment, the signature field of signer type 2 (PROTOCOL.md 4.2) and
 * its verification in process with libgcrypt.
 *
 * Record format (sigknock-token(1), sigknock-keys(8)): lines of
 * "keyword value", '#' comments, blank lines between records:
 *
 *	sigknock-fido2 enrollment v1     (or: sigknock-fido2 credential v1)
 *	name alice-yubikey
 *	rp sigknock
 *	alg es256                        (or eddsa)
 *	credential <base64 credential id>
 *	public-key <base64: ES256 04||x||y, EdDSA the 32-byte key>
 *	device unix:/path                (credential files only, optional)
 *	revoked <UTC time>               (the server's store only)
 */
#ifndef SK_FIDO2_H
#define SK_FIDO2_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define FIDO2_NAME_MAX		64
#define FIDO2_RP_MAX		128
#define FIDO2_CRED_MAX		512
#define FIDO2_PK_MAX		65
#define FIDO2_DEVICE_MAX	256
#define FIDO2_ID_LEN		32	/* the wire signer id: SHA-256(cred) */
#define FIDO2_AUTHDATA_MIN	37	/* rpIdHash, flags, signCount */
#define FIDO2_FLAG_UP		0x01
#define FIDO2_RECORDS_MAX	4096	/* per file */

enum fido2_alg {
	FIDO2_ES256 = 1,	/* COSE -7: ECDSA P-256 with SHA-256 */
	FIDO2_EDDSA = 2,	/* COSE -8: Ed25519 */
};

enum fido2_kind {
	FIDO2_ENROLLMENT = 1,	/* public: what the admin imports */
	FIDO2_CREDENTIAL = 2,	/* the client's file */
};

struct fido2_record {
	enum fido2_kind	 kind;
	char		 name[FIDO2_NAME_MAX + 1];
	char		 rp[FIDO2_RP_MAX + 1];
	enum fido2_alg	 alg;
	uint8_t		 cred[FIDO2_CRED_MAX];
	size_t		 credlen;
	uint8_t		 pk[FIDO2_PK_MAX];
	size_t		 pklen;
	char		 device[FIDO2_DEVICE_MAX + 1];	/* "" = any */
	char		 revoked[32];			/* "" = not revoked */
	unsigned	 line;				/* where it starts */
};

/* Where parsing failed: 1-based line and a reason. */
struct fido2_parse_err {
	unsigned	 line;
	char		 why[128];
};

/* Parse every record in text[0..len).  *out (malloc'd, *n entries) on
 * success; on failure an error and nothing allocated.  No record at all
 * is an error too. */
int	fido2_parse(const char *text, size_t len, struct fido2_record **out,
	    size_t *n, struct fido2_parse_err *err);
/* Append one record as text (NUL-terminated) at buf + *off. */
int	fido2_format(const struct fido2_record *r, char *buf, size_t cap,
	    size_t *off);

/* An enrollment name: 1 to FIDO2_NAME_MAX of A-Z a-z 0-9 . _ @ + -, what
 * an access file's Users can name without quoting. */
int	fido2_name_ok(const char *s);
const char *fido2_alg_name(enum fido2_alg alg);
int	fido2_alg_parse(const char *s, enum fido2_alg *alg);
/* SHA-256 of the credential id: the request's signer id. */
int	fido2_signer_id(const struct fido2_record *r, uint8_t id[FIDO2_ID_LEN]);
/* Hex of the first 8 bytes of the signer id, for messages. */
void	fido2_short_id(const uint8_t id[FIDO2_ID_LEN], char out[17]);
/* The public key as a verification key. */
int	fido2_pubkey(const struct fido2_record *r, struct crypto_pubkey **out);

/* The signature field: u16 authData length, authData, u16 signature
 * length, signature (PROTOCOL.md 4.2). */
int	fido2_sig_encode(const uint8_t *ad, size_t adlen, const uint8_t *sig,
	    size_t siglen, uint8_t *out, size_t cap, size_t *len);
int	fido2_sig_decode(const uint8_t *p, size_t len, const uint8_t **ad,
	    size_t *adlen, const uint8_t **sig, size_t *siglen);
/* Strict DER ECDSA-Sig-Value: r and s as minimal big-endian, at most 33
 * bytes each (P-256). */
int	fido2_der_decode(const uint8_t *p, size_t len, uint8_t *r,
	    size_t *rlen, uint8_t *s, size_t *slen);

/* The other way (emulators, tests): r and s of at most 32 bytes each;
 * cap >= 72. */
int	fido2_der_encode(const uint8_t *r, size_t rlen, const uint8_t *s,
	    size_t slen, uint8_t *out, size_t cap, size_t *len);

/* What a verified assertion said. */
struct fido2_assertion {
	uint8_t		 flags;
	uint32_t	 counter;
};

/* The signature alone (what a client checks before sending: the RP and
 * presence rules are the server's); *out filled from authData. */
int	fido2_check_sig(const struct crypto_pubkey *pk, enum fido2_alg alg,
	    const uint8_t *field, size_t fieldlen, const uint8_t *msg,
	    size_t msglen, struct fido2_assertion *out);

/* Verify the signature field over msg for a credential with public key
 * pk, algorithm alg and rp_hash, the SHA-256 of its RP id (computed once,
 * when the credential is loaded): rpIdHash, the user-presence flag, then
 * the signature over authData || SHA-256(msg).  SK_ERR_FIDO2_RP,
 * SK_ERR_FIDO2_PRESENCE, SK_ERR_BAD_SIGNATURE or a parse error. */
int	fido2_verify(const struct crypto_pubkey *pk, enum fido2_alg alg,
	    const uint8_t rp_hash[32], const uint8_t *field, size_t fieldlen,
	    const uint8_t *msg, size_t msglen, struct fido2_assertion *out);

#endif
