/* X25519 (RFC 7748), HKDF (RFC 5869), ChaCha20-Poly1305 (RFC 8439). */
#include "config.h"

#include <string.h>

#include <gcrypt.h>

#include "crypto.h"
#include "err.h"
#include "tap.h"

static void
x25519_vector(const char *k, const char *u, const char *want, const char *name)
{
	uint8_t sk[32], pt[32], exp[32], out[32];

	unhex(k, sk, 32);
	unhex(u, pt, 32);
	unhex(want, exp, 32);
	is_int(0, crypto_x25519(out, sk, pt), "%s: computes", name);
	is_blob(exp, out, 32, "%s: result", name);
}

/* Our ladder against libgcrypt's generic code on the same clamped
 * scalar and masked point.  Returns how many of n cases differ. */
static int
x25519_differ(const uint8_t *fixed_u, int n)
{
	uint8_t k[32], u[32], mine[32], theirs[32];
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		gcry_randomize(k, 32, GCRY_WEAK_RANDOM);
		if (fixed_u != NULL)
			memcpy(u, fixed_u, 32);
		else
			gcry_randomize(u, 32, GCRY_WEAK_RANDOM);
		(void)crypto_x25519(mine, k, u);
		k[0] &= 248;
		k[31] = (uint8_t)((k[31] & 127) | 64);
		u[31] &= 127;
		if (gcry_ecc_mul_point(GCRY_ECC_CURVE25519, theirs, k, u) != 0 ||
		    memcmp(mine, theirs, 32) != 0) {
			if (bad++ == 0)
				diag("first difference at case %d", i);
		}
	}
	return bad;
}

int
main(void)
{
	uint8_t k[32], u[32], r[32], a[32], b[32], pa[32], pb[32], s1[32], s2[32];
	uint8_t prk[32], okm[42], want[64], ikm[22], salt[13], info[10];
	uint8_t key[32], nonce[12], aad[12], pt[114], ct[130], back[114];
	int i;

	plan(39);
	if (crypto_init() != 0)
		bail("crypto_init failed");

	/* RFC 7748 section 5.2 */
	x25519_vector(
	    "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	    "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
	    "RFC 7748 5.2 vector 1");
	x25519_vector(
	    "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	    "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
	    "RFC 7748 5.2 vector 2 (u with top bit set)");

	/* RFC 7748 section 5.2 iterations: k = u = 9, then k, u = X25519(k, u), k */
	memset(k, 0, 32);
	k[0] = 9;
	memcpy(u, k, 32);
	for (i = 1; i <= 1000; i++) {
		if (crypto_x25519(r, k, u) != 0)
			bail("x25519 iteration %d failed", i);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1) {
			unhex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
			    want, 32);
			is_blob(want, k, 32, "RFC 7748 5.2 after 1 iteration");
		}
	}
	unhex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
	    want, 32);
	is_blob(want, k, 32, "RFC 7748 5.2 after 1,000 iterations");

	/* RFC 7748 section 6.1 */
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	is_int(0, crypto_x25519_base(pa, a), "6.1 Alice public key computes");
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", want, 32);
	is_blob(want, pa, 32, "6.1 Alice public key");
	is_int(0, crypto_x25519_base(pb, b), "6.1 Bob public key computes");
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", want, 32);
	is_blob(want, pb, 32, "6.1 Bob public key");
	is_int(0, crypto_x25519(s1, a, pb), "6.1 Alice shared secret computes");
	is_int(0, crypto_x25519(s2, b, pa), "6.1 Bob shared secret computes");
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", want, 32);
	is_blob(want, s1, 32, "6.1 shared secret (Alice)");
	is_blob(want, s2, 32, "6.1 shared secret (Bob)");

	/* Points of small order must be refused (RFC 7748 section 6.1). */
	{
		static const char *low[] = {
			"0000000000000000000000000000000000000000000000000000000000000000",
			"0100000000000000000000000000000000000000000000000000000000000000",
			"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
			"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
			"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
			"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
			"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		};
		for (i = 0; i < (int)(sizeof(low) / sizeof(low[0])); i++) {
			unhex(low[i], u, 32);
			memset(r, 0xaa, 32);
			is_int(SK_ERR_LOW_ORDER, crypto_x25519(r, a, u),
			    "small-order point %d refused", i);
		}
		memset(want, 0, 32);
		is_blob(want, r, 32, "refused result is zeroed");
	}

	/* Differential: 1,000 random pairs, and every non-canonical u
	 * (p .. 2^255 - 1, which RFC 7748 says to reduce mod p) with a top
	 * bit set or not, against libgcrypt. */
	is_int(0, x25519_differ(NULL, 1000),
	    "X25519 agrees with libgcrypt on 1,000 random inputs");
	{
		int bad = 0, j;

		for (j = 0; j < 19; j++) {
			memset(u, 0xff, 32);
			u[0] = (uint8_t)(0xed + j);	/* p + j, j < 19 */
			u[31] = j % 2 ? 0x7f : 0xff;
			bad += x25519_differ(u, 20);
		}
		is_int(0, bad, "X25519 reduces non-canonical u like libgcrypt");
	}

	/* RFC 5869 A.1 */
	memset(ikm, 0x0b, sizeof(ikm));
	unhex("000102030405060708090a0b0c", salt, sizeof(salt));
	unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
	is_int(0, crypto_hkdf_extract(salt, sizeof(salt), ikm, sizeof(ikm), prk),
	    "HKDF extract");
	unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	    want, 32);
	is_blob(want, prk, 32, "RFC 5869 A.1 PRK");
	is_int(0, crypto_hkdf_expand(prk, info, sizeof(info), okm, sizeof(okm)),
	    "HKDF expand");
	unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865", want, 42);
	is_blob(want, okm, 42, "RFC 5869 A.1 OKM");
	is_int(SK_ERR_INVALID_ARG, crypto_hkdf_expand(prk, NULL, 0, okm,
	    SK_HKDF_EXPAND_MAX + 1), "HKDF expand over 255 blocks refused");

	/* A keyed HMAC handle gives what the one-shot HMAC gives, every time. */
	{
		struct crypto_hmac *h;
		uint8_t one[32], two[32], three[32];

		is_int(0, crypto_hmac_new(&h, salt, sizeof(salt)), "keyed HMAC handle");
		crypto_hmac_sha256(salt, sizeof(salt), ikm, sizeof(ikm), one);
		crypto_hmac_compute(h, info, sizeof(info), two);
		crypto_hmac_compute(h, ikm, sizeof(ikm), three);
		ok(memcmp(one, three, 32) == 0 && memcmp(one, two, 32) != 0,
		    "reused handle matches the one-shot HMAC after another input");
		crypto_hmac_free(h);
	}

	/* RFC 8439 2.8.2 */
	unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	    key, 32);
	unhex("070000004041424344454647", nonce, 12);
	unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
	memcpy(pt, "Ladies and Gentlemen of the class of '99: If I could offer "
	    "you only one tip for the future, sunscreen would be it.", 114);
	is_int(0, crypto_aead_seal(key, nonce, aad, 12, pt, 114, ct), "AEAD seal");
	unhex("1ae10b594f09e26a7e902ecbd0600691", want, 16);
	is_blob(want, ct + 114, 16, "RFC 8439 2.8.2 tag");
	unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6",
	    want, 32);
	is_blob(want, ct, 32, "RFC 8439 2.8.2 ciphertext start");
	is_int(0, crypto_aead_open(key, nonce, aad, 12, ct, 130, back), "AEAD open");
	is_blob(pt, back, 114, "AEAD round trip");
	ct[5] ^= 1;
	is_int(SK_ERR_DECRYPT, crypto_aead_open(key, nonce, aad, 12, ct, 130, back),
	    "flipped ciphertext bit refused");
	ct[5] ^= 1;
	aad[0] ^= 1;
	is_int(SK_ERR_DECRYPT, crypto_aead_open(key, nonce, aad, 12, ct, 130, back),
	    "flipped aad bit refused");
	is_int(SK_ERR_DECRYPT, crypto_aead_open(key, nonce, aad, 12, ct, 15, back),
	    "ciphertext shorter than the tag refused");
	return 0;
}
