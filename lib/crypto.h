/* Every cryptographic primitive sigknock uses, behind one seam.
 *
 * Only crypto.c includes <gcrypt.h>; swapping the provider means rewriting
 * that one file.  All functions return 0 or a negative SK_ERR_* code. */
#ifndef SK_CRYPTO_H
#define SK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SK_X25519_LEN		32
#define SK_SHA1_LEN		20
#define SK_SHA256_LEN		32
#define SK_SHA384_LEN		48
#define SK_SHA512_LEN		64
#define SK_HASH_MAX_LEN		64
#define SK_PURE_MAX		2048	/* longest message for SK_HASH_PURE */
#define SK_AEAD_KEY_LEN		32
#define SK_AEAD_NONCE_LEN	12
#define SK_AEAD_TAG_LEN		16
#define SK_HKDF_EXPAND_MAX	(255 * SK_SHA256_LEN)
#define SK_HKDF_INFO_MAX	512	/* longest info we expand with */

/* Initialise the library once per process (secure memory, self tests). */
int	crypto_init(void);

/* Unpredictable bytes for keys and nonces. */
void	crypto_random(void *buf, size_t n);

enum sk_hash {
	SK_HASH_SHA1 = 1,	/* fingerprints only, never signatures */
	SK_HASH_SHA256,
	SK_HASH_SHA384,
	SK_HASH_SHA512,
	/* Not a hash: EdDSA over the message itself, as FIDO2 signs
	 * authenticatorData || clientDataHash.  EdDSA only. */
	SK_HASH_PURE,
};
size_t	crypto_hash_len(enum sk_hash algo);

struct crypto_hash;
int	crypto_hash_open(struct crypto_hash **h, enum sk_hash algo);
void	crypto_hash_update(struct crypto_hash *h, const void *p, size_t n);
/* Write the digest (crypto_hash_len bytes) to out; h stays usable only for
 * crypto_hash_close. */
int	crypto_hash_final(struct crypto_hash *h, uint8_t *out, size_t outlen);
void	crypto_hash_close(struct crypto_hash *h);

int	crypto_sha256(const void *p, size_t n, uint8_t out[static SK_SHA256_LEN]);
int	crypto_hmac_sha256(const uint8_t *key, size_t keylen,
	    const uint8_t *data, size_t len, uint8_t out[static SK_SHA256_LEN]);

/* HMAC-SHA256 with a key set once (the server's mac1 key): each
 * computation then costs one reset instead of a fresh handle. */
struct crypto_hmac;
int	crypto_hmac_new(struct crypto_hmac **h, const uint8_t *key, size_t keylen);
int	crypto_hmac_compute(struct crypto_hmac *h, const uint8_t *data,
	    size_t len, uint8_t out[static SK_SHA256_LEN]);
void	crypto_hmac_free(struct crypto_hmac *h);

/* RFC 5869 with SHA-256.  An empty salt means HashLen zero bytes. */
int	crypto_hkdf_extract(const uint8_t *salt, size_t saltlen,
	    const uint8_t *ikm, size_t ikmlen, uint8_t prk[static SK_SHA256_LEN]);
int	crypto_hkdf_expand(const uint8_t prk[static SK_SHA256_LEN],
	    const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen);

/* RFC 7748 X25519: out = scalar * point (scalar clamped, u's top bit
 * masked).  SK_ERR_LOW_ORDER when the result is all zero, i.e. the point
 * has small order (the check of RFC 7748 section 6.1). */
int	crypto_x25519(uint8_t out[static SK_X25519_LEN],
	    const uint8_t scalar[static SK_X25519_LEN],
	    const uint8_t point[static SK_X25519_LEN]);
int	crypto_x25519_base(uint8_t out[static SK_X25519_LEN],
	    const uint8_t scalar[static SK_X25519_LEN]);

/* RFC 8439 ChaCha20-Poly1305.  seal writes ptlen + 16 bytes; open reads
 * ctlen >= 16 and writes ctlen - 16, or fails with SK_ERR_DECRYPT and
 * leaves out zeroed. */
int	crypto_aead_seal(const uint8_t key[static SK_AEAD_KEY_LEN],
	    const uint8_t nonce[static SK_AEAD_NONCE_LEN],
	    const uint8_t *aad, size_t aadlen,
	    const uint8_t *pt, size_t ptlen, uint8_t *out);
int	crypto_aead_open(const uint8_t key[static SK_AEAD_KEY_LEN],
	    const uint8_t nonce[static SK_AEAD_NONCE_LEN],
	    const uint8_t *aad, size_t aadlen,
	    const uint8_t *ct, size_t ctlen, uint8_t *out);

/* Public keys for signature verification. */
enum sk_pk_alg {
	SK_PK_RSA = 1,
	SK_PK_ECDSA,
	SK_PK_EDDSA,
};
enum sk_curve {
	SK_CURVE_NONE = 0,
	SK_CURVE_P256,
	SK_CURVE_P384,
	SK_CURVE_P521,
	SK_CURVE_ED25519,
};
struct crypto_pubkey;

/* n and e big-endian, leading zeros allowed. */
int	crypto_pubkey_rsa(struct crypto_pubkey **out, const uint8_t *n,
	    size_t nlen, const uint8_t *e, size_t elen);
/* ECDSA: q = 04 || x || y.  Ed25519: q = 40 || 32 bytes, or the 32 bytes. */
int	crypto_pubkey_ec(struct crypto_pubkey **out, enum sk_pk_alg alg,
	    enum sk_curve curve, const uint8_t *q, size_t qlen);
enum sk_pk_alg crypto_pubkey_alg(const struct crypto_pubkey *k);
enum sk_curve crypto_pubkey_curve(const struct crypto_pubkey *k);	/* EC */
unsigned crypto_pubkey_bits(const struct crypto_pubkey *k);
void	crypto_pubkey_free(struct crypto_pubkey *k);

/* Verify a signature over a digest made with `hash`.
 * RSA (PKCS#1 v1.5): s1 = s.  ECDSA, EdDSA: s1 = r, s2 = s (big-endian
 * integers; EdDSA r and s are left-padded to 32 bytes here).
 * ECDSA with a hash shorter than the curve order is SK_ERR_WEAK_HASH (GnuPG
 * refuses it too).  Returns 0, SK_ERR_BAD_SIGNATURE, or another error. */
int	crypto_pubkey_verify(const struct crypto_pubkey *k, enum sk_hash hash,
	    const uint8_t *digest, size_t digestlen,
	    const uint8_t *s1, size_t s1len, const uint8_t *s2, size_t s2len);

/* Ed25519 with a bare 32-byte key (a delegation's, used once): the
 * refusals of crypto_pubkey_ec and crypto_pubkey_verify without building
 * a key object.  sig is R || S. */
int	crypto_ed25519_verify(const uint8_t pk[static 32], enum sk_hash hash,
	    const uint8_t *digest, size_t digestlen, const uint8_t sig[static 64]);

/* The reference provider (libgcrypt) for what the fast one (libsodium,
 * ./configure --with-crypto=sodium) takes over: the same contracts.
 * For the differential test; the daemon calls the functions above. */
int	crypto_pubkey_verify_ref(const struct crypto_pubkey *k,
	    enum sk_hash hash, const uint8_t *digest, size_t digestlen,
	    const uint8_t *s1, size_t s1len, const uint8_t *s2, size_t s2len);
int	crypto_ed25519_verify_ref(const uint8_t pk[static 32],
	    enum sk_hash hash, const uint8_t *digest, size_t digestlen,
	    const uint8_t sig[static 64]);
int	crypto_hmac_sha256_ref(const uint8_t *key, size_t keylen,
	    const uint8_t *data, size_t len, uint8_t out[static SK_SHA256_LEN]);
int	crypto_aead_seal_ref(const uint8_t key[static SK_AEAD_KEY_LEN],
	    const uint8_t nonce[static SK_AEAD_NONCE_LEN], const uint8_t *aad,
	    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out);
int	crypto_aead_open_ref(const uint8_t key[static SK_AEAD_KEY_LEN],
	    const uint8_t nonce[static SK_AEAD_NONCE_LEN], const uint8_t *aad,
	    size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out);
/* Which provider this build verifies with, for -V and the logs. */
const char *crypto_provider(void);

/* Private keys: soft keys for tests, benchmarks and token emulators. */
struct crypto_privkey;
/* bits for RSA, curve for EC. */
int	crypto_privkey_generate(struct crypto_privkey **out, enum sk_pk_alg alg,
	    enum sk_curve curve, unsigned bits);
/* The public half as a verify key. */
int	crypto_privkey_public(const struct crypto_privkey *k,
	    struct crypto_pubkey **out);
/* Export public parameters: RSA a = n, b = e; EC a = q, b unused.  Each
 * buffer is `cap` bytes; lengths written to *alen, *blen. */
int	crypto_pubkey_export(const struct crypto_pubkey *k, uint8_t *a,
	    size_t *alen, uint8_t *b, size_t *blen, size_t cap);
/* Sign a digest; outputs as for crypto_pubkey_verify (each ≤ cap bytes,
 * minimal big-endian, EdDSA r and s exactly 32). */
int	crypto_privkey_sign(const struct crypto_privkey *k, enum sk_hash hash,
	    const uint8_t *digest, size_t digestlen, uint8_t *s1, size_t *s1len,
	    uint8_t *s2, size_t *s2len, size_t cap);
/* A private key as bytes (libgcrypt's canonical S-expressions) and back,
 * for token emulators' state files.  The bytes are secret. */
int	crypto_privkey_save(const struct crypto_privkey *k, uint8_t *buf,
	    size_t cap, size_t *len);
int	crypto_privkey_load(struct crypto_privkey **out, const uint8_t *buf,
	    size_t len);
void	crypto_privkey_free(struct crypto_privkey *k);

#endif
