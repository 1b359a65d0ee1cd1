/* The crypto seam: the only file that includes <gcrypt.h> (and, with
 * ./configure --with-crypto=fast, the default, <sodium.h> and Nettle's).
 *
 * Two providers.  libgcrypt is the reference: everything, and the only
 * one for RSA, SHA-256 (it uses the CPU's SHA extensions), key
 * generation, signing and random numbers.  The fast one takes the hot
 * path of every datagram where it is faster: libsodium (ISC) does
 * ChaCha20-Poly1305, X25519 and Ed25519 verification; Nettle (LGPL-3+
 * or GPL-2+, on GMP, the same) does ECDSA verification and HMAC-SHA256
 * (mac1, HKDF: its fat build uses the CPU's SHA extensions, five times
 * libsodium's portable SHA-256 here).  Both licences go with libiptc's
 * GPL-2.0-only in the same daemon, which OpenSSL's Apache-2.0 does
 * not.  The libgcrypt
 * versions stay, as crypto_*_ref (X25519: our own ladder, x25519.c),
 * for t/016-providers.c, which holds both to the same verdict on every
 * input.  Our own checks stand in front of either Ed25519 verifier
 * (small-order keys and R, S below the group order), so that they agree
 * where the libraries do not.  Nothing secret takes a variable-time path
 * in either: Nettle's HMAC, libsodium's AEAD and X25519 are constant
 * time in their keys, as are ours. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#ifdef SK_CRYPTO_FAST
#include <gmp.h>
#include <nettle/dsa.h>
#include <nettle/ecc.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecdsa.h>
#include <nettle/hmac.h>
#include <sodium.h>
#endif

#include "crypto.h"
#include "err.h"
#include "log.h"
#include "wipe.h"
#include "x25519.h"

struct crypto_hash {
	gcry_md_hd_t	 md;
	enum sk_hash	 algo;
};

struct crypto_pubkey {
	gcry_sexp_t	 sexp;
	enum sk_pk_alg	 alg;
	enum sk_curve	 curve;
	unsigned	 bits;
	uint8_t		 ed[32];	/* Ed25519: the point's encoding */
#ifdef SK_CRYPTO_FAST
	struct ecc_point ec;		/* ECDSA: the point, for Nettle */
	int		 has_ec;
#endif
};

struct crypto_privkey {
	gcry_sexp_t	 priv;
	struct crypto_pubkey pub;
};

int
crypto_init(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return 0;
	if (!gcry_check_version("1.10.0")) {
		log_err("libgcrypt is too old: need 1.10.0, have %s",
		    gcry_check_version(NULL));
		return SK_ERR_CRYPTO;
	}
	gcry_control(GCRYCTL_DISABLE_SECMEM_WARN);
	gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
#ifdef SK_CRYPTO_FAST
	if (sodium_init() < 0) {
		log_err("libsodium cannot start");
		return SK_ERR_CRYPTO;
	}
#endif
	return 0;
}

const char *
crypto_provider(void)
{
#ifdef SK_CRYPTO_FAST
	return "libsodium and Nettle (libgcrypt for RSA)";
#else
	return "libgcrypt";
#endif
}

void
crypto_random(void *buf, size_t n)
{
	gcry_randomize(buf, n, GCRY_STRONG_RANDOM);
}

static int
gcry_md_algo(enum sk_hash algo)
{
	switch (algo) {
	case SK_HASH_SHA1:	return GCRY_MD_SHA1;
	case SK_HASH_SHA256:	return GCRY_MD_SHA256;
	case SK_HASH_SHA384:	return GCRY_MD_SHA384;
	case SK_HASH_SHA512:	return GCRY_MD_SHA512;
	case SK_HASH_PURE:	break;
	}
	return 0;
}

static const char *
hash_name(enum sk_hash algo)
{
	switch (algo) {
	case SK_HASH_SHA1:	return "sha1";
	case SK_HASH_SHA256:	return "sha256";
	case SK_HASH_SHA384:	return "sha384";
	case SK_HASH_SHA512:	return "sha512";
	case SK_HASH_PURE:	break;
	}
	return NULL;
}

size_t
crypto_hash_len(enum sk_hash algo)
{
	switch (algo) {
	case SK_HASH_SHA1:	return SK_SHA1_LEN;
	case SK_HASH_SHA256:	return SK_SHA256_LEN;
	case SK_HASH_SHA384:	return SK_SHA384_LEN;
	case SK_HASH_SHA512:	return SK_SHA512_LEN;
	case SK_HASH_PURE:	break;
	}
	return 0;
}

int
crypto_hash_open(struct crypto_hash **out, enum sk_hash algo)
{
	struct crypto_hash *h;

	*out = NULL;
	if (gcry_md_algo(algo) == 0)
		return SK_ERR_INVALID_ARG;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return SK_ERR_ALLOC;
	if (gcry_md_open(&h->md, gcry_md_algo(algo), 0) != 0) {
		free(h);
		return SK_ERR_CRYPTO;
	}
	h->algo = algo;
	*out = h;
	return 0;
}

void
crypto_hash_update(struct crypto_hash *h, const void *p, size_t n)
{
	if (n > 0)
		gcry_md_write(h->md, p, n);
}

int
crypto_hash_final(struct crypto_hash *h, uint8_t *out, size_t outlen)
{
	const unsigned char *d;
	size_t len = crypto_hash_len(h->algo);

	if (outlen < len)
		return SK_ERR_NO_SPACE;
	if ((d = gcry_md_read(h->md, 0)) == NULL)
		return SK_ERR_CRYPTO;
	memcpy(out, d, len);
	return 0;
}

void
crypto_hash_close(struct crypto_hash *h)
{
	if (h == NULL)
		return;
	gcry_md_close(h->md);
	free(h);
}

/* libgcrypt in both providers: it uses the CPU's SHA extensions, and
 * libsodium's portable SHA-256 was 3.4 times slower here (the client's
 * proof of work: 15.6 against 4.6 M hashes/s). */
int
crypto_sha256(const void *p, size_t n, uint8_t out[static SK_SHA256_LEN])
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, p, n);
	return 0;
}

int
crypto_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *data,
    size_t len, uint8_t out[static SK_SHA256_LEN])
{
#ifdef SK_CRYPTO_FAST
	struct hmac_sha256_ctx st;

	/* HMAC pads the key with zeros: an empty key is one zero byte. */
	hmac_sha256_set_key(&st, keylen, key);
	hmac_sha256_update(&st, len, data);
	hmac_sha256_digest(&st, SK_SHA256_LEN, out);
	sk_wipe(&st, sizeof(st));
	return 0;
#else
	return crypto_hmac_sha256_ref(key, keylen, data, len, out);
#endif
}

int
crypto_hmac_sha256_ref(const uint8_t *key, size_t keylen, const uint8_t *data,
    size_t len, uint8_t out[static SK_SHA256_LEN])
{
	gcry_mac_hd_t h;
	size_t outlen = SK_SHA256_LEN;
	static const uint8_t zero[1];
	int r = SK_ERR_CRYPTO;

	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL) != 0)
		return SK_ERR_CRYPTO;
	/* HMAC pads the key with zeros: an empty key equals one zero byte. */
	if (keylen == 0) {
		key = zero;
		keylen = sizeof(zero);
	}
	if (gcry_mac_setkey(h, key, keylen) != 0 ||
	    gcry_mac_write(h, data, len) != 0 ||
	    gcry_mac_read(h, out, &outlen) != 0 || outlen != SK_SHA256_LEN)
		goto out;
	r = 0;
out:
	gcry_mac_close(h);
	return r;
}

/* A key's HMAC, set up once for many messages.  Nettle: the inner and
 * outer states after the key, copied for each message. */
struct crypto_hmac {
#ifdef SK_CRYPTO_FAST
	struct hmac_sha256_ctx st;
#else
	gcry_mac_hd_t	 h;
#endif
};

int
crypto_hmac_new(struct crypto_hmac **out, const uint8_t *key, size_t keylen)
{
	struct crypto_hmac *m;

	*out = NULL;
	if (keylen == 0)
		return SK_ERR_INVALID_ARG;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return SK_ERR_ALLOC;
#ifdef SK_CRYPTO_FAST
	hmac_sha256_set_key(&m->st, keylen, key);
	*out = m;
	return 0;
#else
	if (gcry_mac_open(&m->h, GCRY_MAC_HMAC_SHA256, 0, NULL) != 0) {
		free(m);
		return SK_ERR_CRYPTO;
	}
	if (gcry_mac_setkey(m->h, key, keylen) != 0) {
		crypto_hmac_free(m);
		return SK_ERR_CRYPTO;
	}
	*out = m;
	return 0;
#endif
}

int
crypto_hmac_compute(struct crypto_hmac *m, const uint8_t *data, size_t len,
    uint8_t out[static SK_SHA256_LEN])
{
#ifdef SK_CRYPTO_FAST
	struct hmac_sha256_ctx st = m->st;

	hmac_sha256_update(&st, len, data);
	hmac_sha256_digest(&st, SK_SHA256_LEN, out);
	sk_wipe(&st, sizeof(st));
	return 0;
#else
	size_t outlen = SK_SHA256_LEN;

	if (gcry_mac_reset(m->h) != 0 || gcry_mac_write(m->h, data, len) != 0 ||
	    gcry_mac_read(m->h, out, &outlen) != 0 || outlen != SK_SHA256_LEN)
		return SK_ERR_CRYPTO;
	return 0;
#endif
}

void
crypto_hmac_free(struct crypto_hmac *m)
{
	if (m == NULL)
		return;
#ifndef SK_CRYPTO_FAST
	gcry_mac_close(m->h);
#endif
	sk_wipe(m, sizeof(*m));
	free(m);
}

int
crypto_hkdf_extract(const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
    size_t ikmlen, uint8_t prk[static SK_SHA256_LEN])
{
	return crypto_hmac_sha256(salt, saltlen, ikm, ikmlen, prk);
}

/* RFC 5869 2.3, on the keyed HMAC of whichever provider. */
int
crypto_hkdf_expand(const uint8_t prk[static SK_SHA256_LEN], const uint8_t *info,
    size_t infolen, uint8_t *out, size_t outlen)
{
	struct crypto_hmac *h;
	uint8_t in[SK_SHA256_LEN + SK_HKDF_INFO_MAX + 1], t[SK_SHA256_LEN];
	size_t tlen = 0, done = 0, n;
	uint8_t ctr;
	int r;

	if (outlen > SK_HKDF_EXPAND_MAX || infolen > SK_HKDF_INFO_MAX)
		return SK_ERR_INVALID_ARG;
	if ((r = crypto_hmac_new(&h, prk, SK_SHA256_LEN)) != 0)
		return r;
	for (ctr = 1; done < outlen; ctr++) {
		/* T(i) = HMAC(PRK, T(i-1) || info || i) */
		memcpy(in, t, tlen);
		if (infolen > 0)
			memcpy(in + tlen, info, infolen);
		in[tlen + infolen] = ctr;
		if ((r = crypto_hmac_compute(h, in, tlen + infolen + 1, t)) != 0)
			break;
		tlen = sizeof(t);
		n = outlen - done < tlen ? outlen - done : tlen;
		memcpy(out + done, t, n);
		done += n;
	}
	sk_wipe(t, sizeof(t));
	sk_wipe(in, sizeof(in));
	crypto_hmac_free(h);
	if (r != 0)
		sk_wipe(out, outlen);
	return r;
}

#if defined(SK_HAVE_X25519_FAST) && !defined(SK_CRYPTO_FAST)
static const uint8_t X25519_BASE[SK_X25519_LEN] = { 9 };
#endif

static int
x25519(uint8_t out[static SK_X25519_LEN], const uint8_t scalar[static SK_X25519_LEN],
    const uint8_t *point)
{
	uint8_t k[SK_X25519_LEN], u[SK_X25519_LEN], acc = 0;
	size_t i;
	int r, failed = 0;

	/* RFC 7748 section 5: clamp the scalar, mask the top bit of u. */
	memcpy(k, scalar, sizeof(k));
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	if (point != NULL) {
		memcpy(u, point, sizeof(u));
		u[31] &= 127;
	}
#if defined(SK_CRYPTO_FAST)
	/* Constant time too, and 31 us against our ladder's 51 here.  It
	 * refuses an all-zero result (a small-order point), as we do below:
	 * its verdict is not needed. */
	if (point != NULL) {
		if (crypto_scalarmult_curve25519(out, k, u) != 0)
			memset(out, 0, SK_X25519_LEN);
	} else
		crypto_scalarmult_curve25519_base(out, k);
#elif defined(SK_HAVE_X25519_FAST)
	x25519_fast(out, k, point != NULL ? u : X25519_BASE);
#else
	failed = gcry_ecc_mul_point(GCRY_ECC_CURVE25519, out, k,
	    point != NULL ? u : NULL) != 0;
#endif
	for (i = 0; i < SK_X25519_LEN; i++)
		acc |= out[i];
	r = failed ? SK_ERR_CRYPTO : acc == 0 ? SK_ERR_LOW_ORDER : 0;
	sk_wipe(k, sizeof(k));
	if (r != 0)
		sk_wipe(out, SK_X25519_LEN);
	return r;
}

int
crypto_x25519(uint8_t out[static SK_X25519_LEN],
    const uint8_t scalar[static SK_X25519_LEN],
    const uint8_t point[static SK_X25519_LEN])
{
	return x25519(out, scalar, point);
}

int
crypto_x25519_base(uint8_t out[static SK_X25519_LEN],
    const uint8_t scalar[static SK_X25519_LEN])
{
	return x25519(out, scalar, NULL);
}

static int
aead_open_handle(gcry_cipher_hd_t *c, const uint8_t *key, const uint8_t *nonce,
    const uint8_t *aad, size_t aadlen)
{
	if (gcry_cipher_open(c, GCRY_CIPHER_CHACHA20,
	    GCRY_CIPHER_MODE_POLY1305, 0) != 0)
		return SK_ERR_CRYPTO;
	if (gcry_cipher_setkey(*c, key, SK_AEAD_KEY_LEN) != 0 ||
	    gcry_cipher_setiv(*c, nonce, SK_AEAD_NONCE_LEN) != 0 ||
	    gcry_cipher_authenticate(*c, aad, aadlen) != 0) {
		gcry_cipher_close(*c);
		return SK_ERR_CRYPTO;
	}
	return 0;
}

int
crypto_aead_seal(const uint8_t key[static SK_AEAD_KEY_LEN],
    const uint8_t nonce[static SK_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
#ifdef SK_CRYPTO_FAST
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + ptlen,
	    NULL, pt, ptlen, aad, aadlen, NULL, nonce, key);
	return 0;
#else
	return crypto_aead_seal_ref(key, nonce, aad, aadlen, pt, ptlen, out);
#endif
}

int
crypto_aead_open(const uint8_t key[static SK_AEAD_KEY_LEN],
    const uint8_t nonce[static SK_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out)
{
#ifdef SK_CRYPTO_FAST
	size_t ptlen;

	if (ctlen < SK_AEAD_TAG_LEN)
		return SK_ERR_DECRYPT;
	ptlen = ctlen - SK_AEAD_TAG_LEN;
	/* The tag is checked before anything is decrypted. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, ct,
	    ptlen, ct + ptlen, aad, aadlen, nonce, key) != 0) {
		sk_wipe(out, ptlen);
		return SK_ERR_DECRYPT;
	}
	return 0;
#else
	return crypto_aead_open_ref(key, nonce, aad, aadlen, ct, ctlen, out);
#endif
}

int
crypto_aead_seal_ref(const uint8_t key[static SK_AEAD_KEY_LEN],
    const uint8_t nonce[static SK_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	gcry_cipher_hd_t c;
	int r;

	if ((r = aead_open_handle(&c, key, nonce, aad, aadlen)) != 0)
		return r;
	r = SK_ERR_CRYPTO;
	if (gcry_cipher_final(c) != 0 ||
	    gcry_cipher_encrypt(c, out, ptlen, pt, ptlen) != 0 ||
	    gcry_cipher_gettag(c, out + ptlen, SK_AEAD_TAG_LEN) != 0)
		goto out;
	r = 0;
out:
	gcry_cipher_close(c);
	return r;
}

int
crypto_aead_open_ref(const uint8_t key[static SK_AEAD_KEY_LEN],
    const uint8_t nonce[static SK_AEAD_NONCE_LEN], const uint8_t *aad,
    size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out)
{
	gcry_cipher_hd_t c;
	size_t ptlen;
	int r;

	if (ctlen < SK_AEAD_TAG_LEN)
		return SK_ERR_DECRYPT;
	ptlen = ctlen - SK_AEAD_TAG_LEN;
	if ((r = aead_open_handle(&c, key, nonce, aad, aadlen)) != 0)
		return r;
	r = SK_ERR_CRYPTO;
	if (gcry_cipher_final(c) != 0 ||
	    gcry_cipher_decrypt(c, out, ptlen, ct, ptlen) != 0)
		goto out;
	if (gcry_cipher_checktag(c, ct + ptlen, SK_AEAD_TAG_LEN) != 0) {
		r = SK_ERR_DECRYPT;
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		sk_wipe(out, ptlen);
	gcry_cipher_close(c);
	return r;
}

static const char *
curve_name(enum sk_curve curve)
{
	switch (curve) {
	case SK_CURVE_P256:	return "NIST P-256";
	case SK_CURVE_P384:	return "NIST P-384";
	case SK_CURVE_P521:	return "NIST P-521";
	case SK_CURVE_ED25519:	return "Ed25519";
	case SK_CURVE_NONE:	break;
	}
	return NULL;
}

/* Bytes an ECDSA digest is cut to (the curve order's length). */
static size_t
curve_order_len(enum sk_curve curve)
{
	switch (curve) {
	case SK_CURVE_P256:	return 32;
	case SK_CURVE_P384:	return 48;
	case SK_CURVE_P521:	return 66;
	default:		return 0;
	}
}

static int
mpi_from(gcry_mpi_t *m, const uint8_t *p, size_t len)
{
	*m = NULL;
	return gcry_mpi_scan(m, GCRYMPI_FMT_USG, p, len, NULL) == 0 ? 0 :
	    SK_ERR_CRYPTO;
}

/* The 32-byte encoding of an Ed25519 key's point (q, with or without
 * OpenPGP's 0x40 prefix). */
static int
ed25519_q(gcry_sexp_t s, uint8_t ed[static 32])
{
	gcry_sexp_t q;
	const char *d;
	size_t n = 0;
	int r = -1;

	if ((q = gcry_sexp_find_token(s, "q", 0)) == NULL)
		return -1;
	if ((d = gcry_sexp_nth_data(q, 1, &n)) != NULL &&
	    (n == 32 || (n == 33 && d[0] == 0x40))) {
		memcpy(ed, d + n - 32, 32);
		r = 0;
	}
	gcry_sexp_release(q);
	return r;
}

#ifdef SK_CRYPTO_FAST
static const struct ecc_curve *
nettle_curve(enum sk_curve curve)
{
	switch (curve) {
	case SK_CURVE_P256:	return nettle_get_secp_256r1();
	case SK_CURVE_P384:	return nettle_get_secp_384r1();
	case SK_CURVE_P521:	return nettle_get_secp_521r1();
	default:		return NULL;
	}
}

/* k's point (q = 04 || x || y in its S-expression) as Nettle's; Nettle
 * checks it is on the curve, as point_on_curve did. */
static int
ecdsa_point(struct crypto_pubkey *k)
{
	const struct ecc_curve *c = nettle_curve(k->curve);
	gcry_sexp_t q;
	const char *d;
	size_t n = 0, half;
	mpz_t x, y;
	int r = -1;

	if (c == NULL || (q = gcry_sexp_find_token(k->sexp, "q", 0)) == NULL)
		return -1;
	d = gcry_sexp_nth_data(q, 1, &n);
	half = curve_order_len(k->curve);
	if (d != NULL && n == 1 + 2 * half && d[0] == 0x04) {
		mpz_init(x);
		mpz_init(y);
		mpz_import(x, half, 1, 1, 1, 0, d + 1);
		mpz_import(y, half, 1, 1, 1, 0, d + 1 + half);
		ecc_point_init(&k->ec, c);
		if (ecc_point_set(&k->ec, x, y)) {
			k->has_ec = 1;
			r = 0;
		} else
			ecc_point_clear(&k->ec);
		mpz_clear(x);
		mpz_clear(y);
	}
	gcry_sexp_release(q);
	return r;
}
#endif

static int
pubkey_finish(struct crypto_pubkey **out, gcry_sexp_t s, enum sk_pk_alg alg,
    enum sk_curve curve)
{
	struct crypto_pubkey *k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		gcry_sexp_release(s);
		return SK_ERR_ALLOC;
	}
	k->sexp = s;
	k->alg = alg;
	k->curve = curve;
	k->bits = gcry_pk_get_nbits(s);
	if (k->bits == 0 || (alg == SK_PK_EDDSA && ed25519_q(s, k->ed) != 0)) {
		crypto_pubkey_free(k);
		return SK_ERR_CRYPTO;
	}
#ifdef SK_CRYPTO_FAST
	if (alg == SK_PK_ECDSA && ecdsa_point(k) != 0) {
		crypto_pubkey_free(k);
		return SK_ERR_CRYPTO;
	}
#endif
	*out = k;
	return 0;
}

int
crypto_pubkey_rsa(struct crypto_pubkey **out, const uint8_t *n, size_t nlen,
    const uint8_t *e, size_t elen)
{
	gcry_mpi_t mn = NULL, me = NULL;
	gcry_sexp_t s = NULL;
	int r;

	*out = NULL;
	if ((r = mpi_from(&mn, n, nlen)) != 0 || (r = mpi_from(&me, e, elen)) != 0)
		goto out;
	if (gcry_sexp_build(&s, NULL, "(public-key(rsa(n%m)(e%m)))", mn, me)) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	r = pubkey_finish(out, s, SK_PK_RSA, SK_CURVE_NONE);
out:
	gcry_mpi_release(mn);
	gcry_mpi_release(me);
	return r;
}

/* RFC 8032 5.1.3: does the 32-byte encoding name a point of Ed25519?
 * y must be below p and (y^2 - 1) / (d y^2 + 1) a square (zero only with
 * the sign bit clear).  Done with generic MPI arithmetic because
 * libgcrypt 1.10.1's own 25519 code aborts the process on some
 * undecodable points (found by fuzz-pgp-key). */
static int
ed25519_point_ok(const uint8_t q[static 32])
{
	static const char p_hex[] =
	    "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFED";
	static const char d_hex[] =
	    "52036CEE2B6FFE738CC740797779E89800700A4D4141D8AB75EB4DCA135978A3";
	gcry_mpi_t p = NULL, d = NULL, y = NULL, y2 = NULL, u = NULL, v = NULL;
	gcry_mpi_t e = NULL, one = NULL;
	uint8_t be[32];
	int i, ok = 0, sign = q[31] >> 7;

	for (i = 0; i < 32; i++)
		be[i] = q[31 - i];
	be[0] &= 0x7f;
	if (gcry_mpi_scan(&p, GCRYMPI_FMT_HEX, p_hex, 0, NULL) ||
	    gcry_mpi_scan(&d, GCRYMPI_FMT_HEX, d_hex, 0, NULL) ||
	    gcry_mpi_scan(&y, GCRYMPI_FMT_USG, be, 32, NULL))
		goto out;
	if (gcry_mpi_cmp(y, p) >= 0)
		goto out;
	one = gcry_mpi_set_ui(NULL, 1);
	y2 = gcry_mpi_new(0);
	u = gcry_mpi_new(0);
	v = gcry_mpi_new(0);
	e = gcry_mpi_new(0);
	gcry_mpi_mulm(y2, y, y, p);
	gcry_mpi_subm(u, y2, one, p);		/* u = y^2 - 1 */
	gcry_mpi_mulm(v, d, y2, p);
	gcry_mpi_addm(v, v, one, p);		/* v = d y^2 + 1 (never 0) */
	if (!gcry_mpi_invm(v, v, p))
		goto out;
	gcry_mpi_mulm(u, u, v, p);		/* x^2 */
	if (gcry_mpi_cmp_ui(u, 0) == 0) {
		ok = !sign;
		goto out;
	}
	gcry_mpi_sub_ui(e, p, 1);
	gcry_mpi_rshift(e, e, 1);		/* (p - 1) / 2 */
	gcry_mpi_powm(e, u, e, p);		/* Euler's criterion */
	ok = gcry_mpi_cmp_ui(e, 1) == 0;
out:
	gcry_mpi_release(p);
	gcry_mpi_release(d);
	gcry_mpi_release(y);
	gcry_mpi_release(y2);
	gcry_mpi_release(u);
	gcry_mpi_release(v);
	gcry_mpi_release(e);
	gcry_mpi_release(one);
	return ok;
}

/* The eight points of order dividing 8 (their canonical encodings; the
 * x = 0 ones with the sign bit set do not decode).  A public key among
 * them signs nothing meaningful, and libgcrypt 1.10.1 aborts the process
 * verifying against the neutral element (found by fuzz-fido2-sig). */
static int
ed25519_small_order(const uint8_t q[static 32])
{
	static const uint8_t small[8][32] = {
		{ 0x01 },
		{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0x7f },
		{ 0x00 },
		{ [31] = 0x80 },
		{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c,
		  0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa,
		  0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
		  0x03, 0x7a },
		{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c,
		  0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa,
		  0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
		  0x03, 0xfa },
		{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3,
		  0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05,
		  0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
		  0xfc, 0x05 },
		{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3,
		  0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05,
		  0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
		  0xfc, 0x85 },
	};
	size_t i;

	for (i = 0; i < 8; i++)
		if (memcmp(q, small[i], 32) == 0)
			return 1;
	return 0;
}

/* Refuse public points that are not on the curve, at load time. */
static int
point_on_curve(gcry_sexp_t key)
{
	gcry_ctx_t ctx = NULL;
	gcry_mpi_point_t q = NULL;
	int ok = 0;

	if (gcry_mpi_ec_new(&ctx, key, NULL) != 0)
		return 0;
	if ((q = gcry_mpi_ec_get_point("q", ctx, 1)) != NULL)
		ok = gcry_mpi_ec_curve_point(q, ctx);
	gcry_mpi_point_release(q);
	gcry_ctx_release(ctx);
	return ok;
}

int
crypto_pubkey_ec(struct crypto_pubkey **out, enum sk_pk_alg alg,
    enum sk_curve curve, const uint8_t *q, size_t qlen)
{
	gcry_sexp_t s = NULL;
	gpg_error_t e;

	*out = NULL;
	if (alg == SK_PK_EDDSA) {
		if (curve != SK_CURVE_ED25519)
			return SK_ERR_INVALID_ARG;
		if (qlen == 33 && q[0] == 0x40) {
			q++;
			qlen--;
		}
		if (qlen != 32 || !ed25519_point_ok(q) ||
		    ed25519_small_order(q))
			return SK_ERR_BAD_FIELD;
		if (gcry_sexp_build(&s, NULL,
		    "(public-key(ecc(curve Ed25519)(flags eddsa)(q%b)))",
		    (int)qlen, q) != 0)
			return SK_ERR_CRYPTO;
		return pubkey_finish(out, s, alg, curve);
	} else if (alg == SK_PK_ECDSA) {
		if (curve_order_len(curve) == 0)
			return SK_ERR_INVALID_ARG;
		if (qlen != 1 + 2 * curve_order_len(curve) || q[0] != 0x04)
			return SK_ERR_BAD_FIELD;
		e = gcry_sexp_build(&s, NULL, "(public-key(ecc(curve%s)(q%b)))",
		    curve_name(curve), (int)qlen, q);
	} else
		return SK_ERR_INVALID_ARG;
	if (e != 0)
		return SK_ERR_CRYPTO;
	if (alg == SK_PK_ECDSA && !point_on_curve(s)) {
		gcry_sexp_release(s);
		return SK_ERR_BAD_FIELD;
	}
	return pubkey_finish(out, s, alg, curve);
}

enum sk_pk_alg
crypto_pubkey_alg(const struct crypto_pubkey *k)
{
	return k->alg;
}

enum sk_curve
crypto_pubkey_curve(const struct crypto_pubkey *k)
{
	return k->curve;
}

unsigned
crypto_pubkey_bits(const struct crypto_pubkey *k)
{
	return k->bits;
}

void
crypto_pubkey_free(struct crypto_pubkey *k)
{
	if (k == NULL)
		return;
#ifdef SK_CRYPTO_FAST
	if (k->has_ec)
		ecc_point_clear(&k->ec);
#endif
	gcry_sexp_release(k->sexp);
	free(k);
}

/* The data s-expression for a digest, as GnuPG builds it for each
 * algorithm (g10/pkglue.c): PKCS#1 v1.5 DigestInfo for RSA, the digest cut
 * to the order's length as an integer for ECDSA, and the digest as the
 * message of PureEdDSA with SHA-512 for Ed25519. */
static int
data_sexp(gcry_sexp_t *out, const struct crypto_pubkey *k, enum sk_hash hash,
    const uint8_t *digest, size_t dlen)
{
	gcry_mpi_t m = NULL;
	gpg_error_t e;
	size_t olen;

	*out = NULL;
	if (hash == SK_HASH_PURE) {
		if (k->alg != SK_PK_EDDSA || dlen > SK_PURE_MAX)
			return SK_ERR_INVALID_ARG;
		return gcry_sexp_build(out, NULL,
		    "(data(flags eddsa)(hash-algo sha512)(value %b))",
		    (int)dlen, digest) == 0 ? 0 : SK_ERR_CRYPTO;
	}
	if (hash_name(hash) == NULL || dlen != crypto_hash_len(hash))
		return SK_ERR_INVALID_ARG;
	switch (k->alg) {
	case SK_PK_RSA:
		e = gcry_sexp_build(out, NULL, "(data(flags pkcs1)(hash %s %b))",
		    hash_name(hash), (int)dlen, digest);
		break;
	case SK_PK_ECDSA:
		olen = curve_order_len(k->curve);
		if (dlen > olen)
			dlen = olen;
		if (mpi_from(&m, digest, dlen) != 0)
			return SK_ERR_CRYPTO;
		e = gcry_sexp_build(out, NULL, "(data(flags raw)(value %m))", m);
		gcry_mpi_release(m);
		break;
	case SK_PK_EDDSA:
		e = gcry_sexp_build(out, NULL,
		    "(data(flags eddsa)(hash-algo sha512)(value %b))",
		    (int)dlen, digest);
		break;
	default:
		return SK_ERR_INVALID_ARG;
	}
	return e == 0 ? 0 : SK_ERR_CRYPTO;
}

/* Copy a big-endian integer into a fixed width, left-padded with zeros. */
static int
pad_left(uint8_t *dst, size_t width, const uint8_t *src, size_t len)
{
	while (len > width && *src == 0) {
		src++;
		len--;
	}
	if (len > width)
		return SK_ERR_BAD_FIELD;
	memset(dst, 0, width - len);
	memcpy(dst + width - len, src, len);
	return 0;
}

/* L, the order of Ed25519's base point, little-endian (RFC 8032 5.1). */
static const uint8_t ED25519_L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
	0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* An Ed25519 signature as 64 bytes R || S, from OpenPGP's MPIs (leading
 * zeros dropped), refused unless S < L (RFC 8032 5.1.7; libgcrypt
 * accepts S + L, libsodium does not) and R is not a point of small order
 * (libsodium refuses those, libgcrypt does not).  The same refusals for
 * both providers, so that they agree.  Public data: variable time. */
static int
ed25519_sig(uint8_t sig[static 64], const uint8_t *s1, size_t s1len,
    const uint8_t *s2, size_t s2len)
{
	int i;

	if (pad_left(sig, 32, s1, s1len) != 0 ||
	    pad_left(sig + 32, 32, s2, s2len) != 0 || ed25519_small_order(sig))
		return SK_ERR_BAD_SIGNATURE;
	for (i = 31; i >= 0; i--) {
		if (sig[32 + i] < ED25519_L[i])
			return 0;
		if (sig[32 + i] > ED25519_L[i])
			break;
	}
	return SK_ERR_BAD_SIGNATURE;
}

/* As GnuPG: an ECDSA hash must be at least as long as the order (P-521
 * asks for 512 bits, the longest hash there is). */
static int
ecdsa_weak_hash(const struct crypto_pubkey *k, size_t dlen)
{
	return k->alg == SK_PK_ECDSA && dlen < (curve_order_len(k->curve) <
	    SK_SHA512_LEN ? curve_order_len(k->curve) : SK_SHA512_LEN);
}

int
crypto_pubkey_verify(const struct crypto_pubkey *k, enum sk_hash hash,
    const uint8_t *digest, size_t dlen, const uint8_t *s1, size_t s1len,
    const uint8_t *s2, size_t s2len)
{
#ifdef SK_CRYPTO_FAST
	uint8_t sig[64];

	if (k->alg == SK_PK_EDDSA) {
		if (pad_left(sig, 32, s1, s1len) != 0 ||
		    pad_left(sig + 32, 32, s2, s2len) != 0)
			return SK_ERR_BAD_SIGNATURE;
		return crypto_ed25519_verify(k->ed, hash, digest, dlen, sig);
	}
	if (k->alg == SK_PK_ECDSA && k->has_ec) {
		struct dsa_signature ds;
		int good;

		if (ecdsa_weak_hash(k, dlen))
			return SK_ERR_WEAK_HASH;
		if (hash == SK_HASH_PURE || hash_name(hash) == NULL ||
		    dlen != crypto_hash_len(hash))
			return SK_ERR_INVALID_ARG;
		/* Nettle takes the leftmost bits of the digest up to the
		 * order's size, as libgcrypt's cut to the order's bytes does
		 * for these curves; it refuses r, s outside [1, n-1]. */
		dsa_signature_init(&ds);
		mpz_import(ds.r, s1len, 1, 1, 1, 0, s1);
		mpz_import(ds.s, s2len, 1, 1, 1, 0, s2);
		good = ecdsa_verify(&k->ec, dlen, digest, &ds);
		dsa_signature_clear(&ds);
		return good ? 0 : SK_ERR_BAD_SIGNATURE;
	}
#endif
	return crypto_pubkey_verify_ref(k, hash, digest, dlen, s1, s1len, s2,
	    s2len);
}

/* The reference: a key object, then its verification. */
int
crypto_ed25519_verify_ref(const uint8_t pk[static 32], enum sk_hash hash,
    const uint8_t *digest, size_t dlen, const uint8_t sig[static 64])
{
	struct crypto_pubkey *k;
	int r;

	if (crypto_pubkey_ec(&k, SK_PK_EDDSA, SK_CURVE_ED25519, pk, 32) != 0)
		return SK_ERR_BAD_SIGNATURE;
	r = crypto_pubkey_verify_ref(k, hash, digest, dlen, sig, 32, sig + 32,
	    32);
	crypto_pubkey_free(k);
	return r;
}

int
crypto_ed25519_verify(const uint8_t pk[static 32], enum sk_hash hash,
    const uint8_t *digest, size_t dlen, const uint8_t sig[static 64])
{
#ifdef SK_CRYPTO_FAST
	uint8_t rs[64];

	if (hash == SK_HASH_PURE ? dlen > SK_PURE_MAX :
	    hash_name(hash) == NULL || dlen != crypto_hash_len(hash))
		return SK_ERR_INVALID_ARG;
	/* libsodium refuses keys that are not canonical or do not decode;
	 * the small-order ones are refused here as crypto_pubkey_ec does. */
	if (ed25519_small_order(pk) ||
	    ed25519_sig(rs, sig, 32, sig + 32, 32) != 0)
		return SK_ERR_BAD_SIGNATURE;
	return crypto_sign_ed25519_verify_detached(rs, digest, dlen, pk) == 0 ?
	    0 : SK_ERR_BAD_SIGNATURE;
#else
	return crypto_ed25519_verify_ref(pk, hash, digest, dlen, sig);
#endif
}

int
crypto_pubkey_verify_ref(const struct crypto_pubkey *k, enum sk_hash hash,
    const uint8_t *digest, size_t dlen, const uint8_t *s1, size_t s1len,
    const uint8_t *s2, size_t s2len)
{
	gcry_sexp_t data = NULL, sig = NULL;
	gcry_mpi_t a = NULL, b = NULL;
	uint8_t rs[64];
	gpg_error_t e;
	int r;

	if (ecdsa_weak_hash(k, dlen))
		return SK_ERR_WEAK_HASH;
	if ((r = data_sexp(&data, k, hash, digest, dlen)) != 0)
		return r;
	switch (k->alg) {
	case SK_PK_RSA:
		if ((r = mpi_from(&a, s1, s1len)) != 0)
			goto out;
		e = gcry_sexp_build(&sig, NULL, "(sig-val(rsa(s%m)))", a);
		break;
	case SK_PK_ECDSA:
		if ((r = mpi_from(&a, s1, s1len)) != 0 ||
		    (r = mpi_from(&b, s2, s2len)) != 0)
			goto out;
		e = gcry_sexp_build(&sig, NULL, "(sig-val(ecdsa(r%m)(s%m)))",
		    a, b);
		break;
	case SK_PK_EDDSA:
		if ((r = ed25519_sig(rs, s1, s1len, s2, s2len)) != 0)
			goto out;
		e = gcry_sexp_build(&sig, NULL, "(sig-val(eddsa(r%b)(s%b)))",
		    32, rs, 32, rs + 32);
		break;
	default:
		r = SK_ERR_INVALID_ARG;
		goto out;
	}
	if (e != 0) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	r = gcry_pk_verify(sig, data, k->sexp) == 0 ? 0 : SK_ERR_BAD_SIGNATURE;
out:
	gcry_mpi_release(a);
	gcry_mpi_release(b);
	gcry_sexp_release(sig);
	gcry_sexp_release(data);
	return r;
}

int
crypto_privkey_generate(struct crypto_privkey **out, enum sk_pk_alg alg,
    enum sk_curve curve, unsigned bits)
{
	struct crypto_privkey *k = NULL;
	gcry_sexp_t parms = NULL, kd = NULL, pub = NULL;
	gpg_error_t e;
	int r = SK_ERR_CRYPTO;

	*out = NULL;
	if (alg == SK_PK_RSA)
		e = gcry_sexp_build(&parms, NULL, "(genkey(rsa(nbits%d)))",
		    (int)bits);
	else if (alg == SK_PK_EDDSA && curve == SK_CURVE_ED25519)
		e = gcry_sexp_build(&parms, NULL,
		    "(genkey(ecc(curve Ed25519)(flags eddsa)))");
	else if (alg == SK_PK_ECDSA && curve_order_len(curve) != 0)
		e = gcry_sexp_build(&parms, NULL, "(genkey(ecc(curve%s)))",
		    curve_name(curve));
	else
		return SK_ERR_INVALID_ARG;
	if (e != 0)
		return SK_ERR_CRYPTO;
	if (gcry_pk_genkey(&kd, parms) != 0)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = SK_ERR_ALLOC;
		goto out;
	}
	k->priv = gcry_sexp_find_token(kd, "private-key", 0);
	pub = gcry_sexp_find_token(kd, "public-key", 0);
	if (k->priv == NULL || pub == NULL)
		goto out;
	k->pub.sexp = pub;
	pub = NULL;
	k->pub.alg = alg;
	k->pub.curve = curve;
	k->pub.bits = gcry_pk_get_nbits(k->pub.sexp);
	*out = k;
	k = NULL;
	r = 0;
out:
	crypto_privkey_free(k);
	gcry_sexp_release(pub);
	gcry_sexp_release(kd);
	gcry_sexp_release(parms);
	return r;
}

int
crypto_privkey_public(const struct crypto_privkey *k, struct crypto_pubkey **out)
{
	gcry_sexp_t s;

	*out = NULL;
	if ((s = gcry_sexp_find_token(k->pub.sexp, "public-key", 0)) == NULL)
		return SK_ERR_CRYPTO;
	return pubkey_finish(out, s, k->pub.alg, k->pub.curve);
}

/* Copy the data of token `name` inside s, minus leading zero bytes unless
 * `width` asks for a fixed, left-padded width. */
static int
token_bytes(gcry_sexp_t s, const char *name, uint8_t *dst, size_t *dlen,
    size_t cap, size_t width)
{
	gcry_sexp_t t;
	const char *d;
	size_t len;
	int r = 0;

	*dlen = 0;
	if ((t = gcry_sexp_find_token(s, name, 0)) == NULL)
		return SK_ERR_CRYPTO;
	if ((d = gcry_sexp_nth_data(t, 1, &len)) == NULL) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if (width != 0) {
		if (width > cap || pad_left(dst, width, (const uint8_t *)d, len))
			r = SK_ERR_NO_SPACE;
		else
			*dlen = width;
		goto out;
	}
	while (len > 1 && *d == 0) {
		d++;
		len--;
	}
	if (len > cap) {
		r = SK_ERR_NO_SPACE;
		goto out;
	}
	memcpy(dst, d, len);
	*dlen = len;
out:
	gcry_sexp_release(t);
	return r;
}

int
crypto_pubkey_export(const struct crypto_pubkey *k, uint8_t *a, size_t *alen,
    uint8_t *b, size_t *blen, size_t cap)
{
	int r;

	*alen = 0;
	if (blen != NULL)
		*blen = 0;
	if (k->alg == SK_PK_RSA) {
		if ((r = token_bytes(k->sexp, "n", a, alen, cap, 0)) != 0)
			return r;
		if (b == NULL || blen == NULL)
			return SK_ERR_INVALID_ARG;
		return token_bytes(k->sexp, "e", b, blen, cap, 0);
	}
	/* q at its full width: 04 || x || y, or Ed25519's 32 bytes, whose
	 * first may be zero (1 key in 256: stripping it broke the key). */
	return token_bytes(k->sexp, "q", a, alen, cap,
	    k->alg == SK_PK_EDDSA ? 32 : 1 + 2 * curve_order_len(k->curve));
}

int
crypto_privkey_sign(const struct crypto_privkey *k, enum sk_hash hash,
    const uint8_t *digest, size_t dlen, uint8_t *s1, size_t *s1len,
    uint8_t *s2, size_t *s2len, size_t cap)
{
	gcry_sexp_t data = NULL, sig = NULL;
	size_t width = k->pub.alg == SK_PK_EDDSA ? 32 : 0;
	int r;

	*s1len = 0;
	if (s2len != NULL)
		*s2len = 0;
	if ((r = data_sexp(&data, &k->pub, hash, digest, dlen)) != 0)
		return r;
	if (gcry_pk_sign(&sig, data, k->priv) != 0) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if (k->pub.alg == SK_PK_RSA) {
		r = token_bytes(sig, "s", s1, s1len, cap, 0);
		goto out;
	}
	if (s2 == NULL || s2len == NULL) {
		r = SK_ERR_INVALID_ARG;
		goto out;
	}
	if ((r = token_bytes(sig, "r", s1, s1len, cap, width)) != 0)
		goto out;
	r = token_bytes(sig, "s", s2, s2len, cap, width);
out:
	gcry_sexp_release(sig);
	gcry_sexp_release(data);
	return r;
}

/* Saved form: alg, curve, u16 length and canonical S-expression of the
 * private key, the same of the public key. */
int
crypto_privkey_save(const struct crypto_privkey *k, uint8_t *buf, size_t cap,
    size_t *len)
{
	size_t n1, n2;

	*len = 0;
	/* With a buffer, gcry_sexp_sprint returns the bytes written, or 0
	 * when they do not fit. */
	if (cap < 6)
		return SK_ERR_NO_SPACE;
	buf[0] = (uint8_t)k->pub.alg;
	buf[1] = (uint8_t)k->pub.curve;
	n1 = gcry_sexp_sprint(k->priv, GCRYSEXP_FMT_CANON, buf + 4, cap - 6);
	if (n1 == 0 || n1 > 0xffff)
		goto fail;
	buf[2] = (uint8_t)(n1 >> 8);
	buf[3] = (uint8_t)n1;
	n2 = gcry_sexp_sprint(k->pub.sexp, GCRYSEXP_FMT_CANON, buf + 6 + n1,
	    cap - 6 - n1);
	if (n2 == 0 || n2 > 0xffff)
		goto fail;
	buf[4 + n1] = (uint8_t)(n2 >> 8);
	buf[5 + n1] = (uint8_t)n2;
	*len = 6 + n1 + n2;
	return 0;
fail:
	sk_wipe(buf, cap);
	return SK_ERR_NO_SPACE;
}

int
crypto_privkey_load(struct crypto_privkey **out, const uint8_t *buf,
    size_t len)
{
	struct crypto_privkey *k;
	size_t n1, n2;

	*out = NULL;
	if (len < 6)
		return SK_ERR_TRUNCATED;
	n1 = (size_t)buf[2] << 8 | buf[3];
	if (len < 6 + n1)
		return SK_ERR_TRUNCATED;
	n2 = (size_t)buf[4 + n1] << 8 | buf[5 + n1];
	if (len != 6 + n1 + n2)
		return SK_ERR_BAD_FIELD;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SK_ERR_ALLOC;
	k->pub.alg = (enum sk_pk_alg)buf[0];
	k->pub.curve = (enum sk_curve)buf[1];
	if (gcry_sexp_new(&k->priv, buf + 4, n1, 0) != 0 ||
	    gcry_sexp_new(&k->pub.sexp, buf + 6 + n1, n2, 0) != 0 ||
	    (k->pub.bits = gcry_pk_get_nbits(k->pub.sexp)) == 0) {
		crypto_privkey_free(k);
		return SK_ERR_BAD_FIELD;
	}
	*out = k;
	return 0;
}

void
crypto_privkey_free(struct crypto_privkey *k)
{
	if (k == NULL)
		return;
	gcry_sexp_release(k->priv);
	gcry_sexp_release(k->pub.sexp);
	free(k);
}
