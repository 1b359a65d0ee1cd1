/* The verification providers side by side (lib/crypto.c): what the daemon
 * uses (libsodium and Nettle with --with-crypto=fast, the default) against the
 * reference (libgcrypt, crypto_*_ref), on RFC vectors, a few thousand
 * random keys and signatures, every kind of tampering, and the inputs
 * where the libraries disagree on their own: S not below the group order
 * (libgcrypt accepts S + L), R of small order (libsodium refuses it),
 * small-order and undecodable public keys; ECDSA on three curves with r
 * out of range and a hash too short.  Every case also has its
 * expected verdict, so that a build with one provider tests that one. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "tap.h"

/* Random keys, messages per key, and HMAC/AEAD rounds; fewer under
 * valgrind (SK_VALGRIND, set by make check-valgrind), where each costs
 * some fifty times more: the plain and sanitizer runs do them all. */
static size_t nkeys = 20, nmsgs = 100, nrounds = 500;

/* RFC 8032 7.1, tests 1-3: public key, message, signature. */
static const struct {
	const char *pk, *msg, *sig;
} vec[] = {
	{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	  "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

/* L, little-endian. */
static const uint8_t L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
	0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x10,
};

/* Two points of small order (the neutral element, one of order 8). */
static const char *const small_hex[] = {
	"0100000000000000000000000000000000000000000000000000000000000000",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

/* Both verifiers on one input; how they answered in *a, *b. */
static int
both(const uint8_t pk[32], const uint8_t *msg, size_t len,
    const uint8_t sig[64], int *a, int *b)
{
	*a = crypto_ed25519_verify(pk, SK_HASH_PURE, msg, len, sig);
	*b = crypto_ed25519_verify_ref(pk, SK_HASH_PURE, msg, len, sig);
	return *a == *b;
}

static void
add_l(uint8_t s[32])
{
	unsigned c = 0, i;

	for (i = 0; i < 32; i++) {
		c += (unsigned)s[i] + L[i];
		s[i] = (uint8_t)c;
		c >>= 8;
	}
}

int
main(void)
{
	struct crypto_privkey *priv;
	struct crypto_pubkey *pub;
	uint8_t pk[32], sig[64], msg[256], bad[64], q[64], e[8];
	uint8_t key[200], data[300], m1[32], m2[32], n[12], ct[316], ct2[316];
	uint8_t pt[300], pt2[300], s1[64], s2[64];
	size_t mlen, qlen, elen, rl, sl, i, j;
	unsigned agree = 0, total = 0, good = 0, refused = 0, tampered = 0;
	unsigned keyed = 0, hm = 0, ae = 0, aeopen = 0;
	int a, b;

	if (getenv("SK_VALGRIND") != NULL) {
		nkeys = 4;
		nmsgs = 25;
		nrounds = 100;
	}
	plan(19);
	if (crypto_init() != 0)
		bail("crypto_init");
	diag("provider: %s", crypto_provider());

	for (i = 0, a = 1; i < sizeof(vec) / sizeof(vec[0]); i++) {
		int ra, rb;

		unhex(vec[i].pk, pk, sizeof(pk));
		mlen = unhex(vec[i].msg, msg, sizeof(msg));
		unhex(vec[i].sig, sig, sizeof(sig));
		if (!both(pk, msg, mlen, sig, &ra, &rb) || ra != 0)
			a = 0;
		sig[63] ^= 0x01;
		if (!both(pk, msg, mlen, sig, &ra, &rb) || ra == 0)
			a = 0;
	}
	ok(a, "RFC 8032 vectors: both accept them, and refuse them altered");

	/* Random keys and messages: the same verdicts, good and tampered. */
	for (i = 0; i < nkeys; i++) {
		if (crypto_privkey_generate(&priv, SK_PK_EDDSA, SK_CURVE_ED25519,
		    0) != 0 || crypto_privkey_public(priv, &pub) != 0 ||
		    crypto_pubkey_export(pub, q, &qlen, e, &elen, sizeof(q)) != 0)
			bail("key %zu", i);
		memcpy(pk, q + qlen - 32, 32);
		for (j = 0; j < nmsgs; j++) {
			mlen = 1 + (size_t)(rand() % (int)sizeof(msg));
			crypto_random(msg, mlen);
			if (crypto_privkey_sign(priv, SK_HASH_PURE, msg, mlen, s1,
			    &rl, s2, &sl, 32) != 0 || rl != 32 || sl != 32)
				bail("sign");
			memcpy(sig, s1, 32);
			memcpy(sig + 32, s2, 32);
			total++;
			agree += both(pk, msg, mlen, sig, &a, &b);
			good += a == 0;
			/* through key objects too, as for OpenPGP keys */
			keyed += crypto_pubkey_verify(pub, SK_HASH_PURE, msg,
			    mlen, s1, 32, s2, 32) == 0 &&
			    crypto_pubkey_verify_ref(pub, SK_HASH_PURE, msg, mlen,
			    s1, 32, s2, 32) == 0;
			/* one bit of the signature, the message or the key */
			memcpy(bad, sig, 64);
			switch (j % 3) {
			case 0:
				bad[rand() % 64] ^= (uint8_t)(1 << (rand() % 8));
				agree += both(pk, msg, mlen, bad, &a, &b);
				break;
			case 1:
				msg[rand() % (int)mlen] ^= (uint8_t)(1 << (rand() % 8));
				agree += both(pk, msg, mlen, sig, &a, &b);
				break;
			default:
				pk[rand() % 32] ^= (uint8_t)(1 << (rand() % 8));
				agree += both(pk, msg, mlen, sig, &a, &b);
				memcpy(pk, q + qlen - 32, 32);
				break;
			}
			total++;
			tampered += a != 0 && b != 0;
		}
		crypto_pubkey_free(pub);
		crypto_privkey_free(priv);
	}
	is_int(total, agree, "%u random verifications: the same verdicts", total);
	is_int((int)(nkeys * nmsgs), good, "every good signature accepted by both");
	is_int((int)(nkeys * nmsgs), keyed, "... through key objects too");
	is_int((int)(nkeys * nmsgs), tampered, "every one-bit change refused by both");

	/* S + L: the same signature, S not reduced. */
	unhex(vec[1].pk, pk, sizeof(pk));
	mlen = unhex(vec[1].msg, msg, sizeof(msg));
	unhex(vec[1].sig, sig, sizeof(sig));
	add_l(sig + 32);
	ok(both(pk, msg, mlen, sig, &a, &b) && a != 0,
	    "S + L (libgcrypt alone accepts it): refused by both");

	/* R of small order; small-order, undecodable and random keys. */
	unhex(vec[0].sig, sig, sizeof(sig));
	unhex(vec[0].pk, pk, sizeof(pk));
	for (i = 0, a = 1; i < sizeof(small_hex) / sizeof(small_hex[0]); i++) {
		int ra, rb;

		memcpy(bad, sig, 64);
		unhex(small_hex[i], bad, 32);
		if (!both(pk, NULL, 0, bad, &ra, &rb) || ra == 0)
			a = 0;
		unhex(small_hex[i], q, 32);
		if (!both(q, NULL, 0, sig, &ra, &rb) || ra == 0)
			a = 0;
	}
	ok(a, "R of small order, and small-order keys: refused by both");
	for (i = 0, refused = 0; i < 1000; i++) {
		crypto_random(q, 32);
		refused += both(q, NULL, 0, sig, &a, &b) && a != 0;
	}
	is_int(1000, refused, "1000 random keys: refused by both");
	memset(q, 0xff, 32);	/* y = 2^255 - 1: not below p */
	q[31] = 0x7f;
	ok(both(q, NULL, 0, sig, &a, &b) && a != 0,
	    "a key with y >= p: refused by both");
	is_int(SK_ERR_INVALID_ARG, crypto_ed25519_verify(pk, SK_HASH_SHA256,
	    msg, 31, sig), "a digest of the wrong length: refused as such");

	/* ECDSA (Nettle in the fast provider): P-256, P-384, P-521, each
	 * hash it may take (P-256 with SHA-512: the digest cut to the
	 * order), tampering, r or s out of range, a hash too short. */
	{
		static const struct {
			enum sk_curve c;
			size_t olen;
			enum sk_hash h;
		} ec[] = {
			{ SK_CURVE_P256, 32, SK_HASH_SHA256 },
			{ SK_CURVE_P256, 32, SK_HASH_SHA512 },
			{ SK_CURVE_P384, 48, SK_HASH_SHA384 },
			{ SK_CURVE_P521, 66, SK_HASH_SHA512 },
		};
		uint8_t dg[64], r1[80], r2[80];
		size_t dl, l1, l2, c;
		unsigned same = 0, nv = 0, goods = 0, bads = 0, range = 0;
		int va, vb;

		for (c = 0; c < sizeof(ec) / sizeof(ec[0]); c++) {
			if (crypto_privkey_generate(&priv, SK_PK_ECDSA, ec[c].c,
			    0) != 0 || crypto_privkey_public(priv, &pub) != 0)
				bail("ecdsa key");
			dl = crypto_hash_len(ec[c].h);
			for (j = 0; j < 50; j++) {
				crypto_random(dg, dl);
				if (crypto_privkey_sign(priv, ec[c].h, dg, dl, r1,
				    &l1, r2, &l2, sizeof(r1)) != 0)
					bail("ecdsa sign");
				va = crypto_pubkey_verify(pub, ec[c].h, dg, dl, r1,
				    l1, r2, l2);
				vb = crypto_pubkey_verify_ref(pub, ec[c].h, dg, dl,
				    r1, l1, r2, l2);
				same += va == vb;
				goods += va == 0;
				r2[rand() % (int)l2] ^= (uint8_t)(1 << (rand() % 8));
				va = crypto_pubkey_verify(pub, ec[c].h, dg, dl, r1,
				    l1, r2, l2);
				vb = crypto_pubkey_verify_ref(pub, ec[c].h, dg, dl,
				    r1, l1, r2, l2);
				same += va == vb;
				bads += va != 0;
				nv += 2;
			}
			/* r = 0, and r = 2^(8 olen) - 1 (above the order) */
			memset(r1, 0, ec[c].olen);
			va = crypto_pubkey_verify(pub, ec[c].h, dg, dl, r1,
			    ec[c].olen, r2, l2);
			vb = crypto_pubkey_verify_ref(pub, ec[c].h, dg, dl, r1,
			    ec[c].olen, r2, l2);
			range += va != 0 && vb != 0;
			memset(r1, 0xff, ec[c].olen);
			va = crypto_pubkey_verify(pub, ec[c].h, dg, dl, r1,
			    ec[c].olen, r2, l2);
			vb = crypto_pubkey_verify_ref(pub, ec[c].h, dg, dl, r1,
			    ec[c].olen, r2, l2);
			range += va != 0 && vb != 0;
			crypto_pubkey_free(pub);
			crypto_privkey_free(priv);
		}
		is_int(nv, same, "ECDSA P-256/384/521, %u verifications: the same "
		    "verdicts", nv);
		ok(goods == nv / 2 && bads == nv / 2, "... every good signature "
		    "accepted, every one-bit change refused (%u, %u)", goods,
		    bads);
		is_int(8, range, "... r = 0 and r above the order: refused by both");
		if (crypto_privkey_generate(&priv, SK_PK_ECDSA, SK_CURVE_P384,
		    0) != 0 || crypto_privkey_public(priv, &pub) != 0)
			bail("p384");
		crypto_random(dg, 32);
		ok(crypto_pubkey_verify(pub, SK_HASH_SHA256, dg, 32, dg, 32, dg,
		    32) == SK_ERR_WEAK_HASH && crypto_pubkey_verify_ref(pub,
		    SK_HASH_SHA256, dg, 32, dg, 32, dg, 32) == SK_ERR_WEAK_HASH,
		    "P-384 with SHA-256: a weak hash for both");
		crypto_pubkey_free(pub);
		crypto_privkey_free(priv);
	}

	/* HMAC-SHA256 and ChaCha20-Poly1305: the same bytes. */
	for (i = 0; i < nrounds; i++) {
		struct crypto_hmac *h;
		size_t klen = i % sizeof(key), dlen = (i * 7) % sizeof(data);

		crypto_random(key, sizeof(key));
		crypto_random(data, sizeof(data));
		crypto_random(pt, sizeof(pt));
		if (crypto_hmac_sha256(key, klen, data, dlen, m1) != 0 ||
		    crypto_hmac_sha256_ref(key, klen, data, dlen, m2) != 0)
			bail("hmac");
		hm += memcmp(m1, m2, 32) == 0;
		if (klen > 0) {
			if (crypto_hmac_new(&h, key, klen) != 0 ||
			    crypto_hmac_compute(h, data, dlen, m1) != 0)
				bail("keyed hmac");
			crypto_hmac_free(h);
			hm += memcmp(m1, m2, 32) == 0;
		} else
			hm++;
		crypto_random(n, sizeof(n));
		if (crypto_aead_seal(key, n, data, dlen % 40, pt, dlen, ct) != 0 ||
		    crypto_aead_seal_ref(key, n, data, dlen % 40, pt, dlen,
		    ct2) != 0)
			bail("seal");
		ae += memcmp(ct, ct2, dlen + SK_AEAD_TAG_LEN) == 0;
		aeopen += crypto_aead_open(key, n, data, dlen % 40, ct2,
		    dlen + SK_AEAD_TAG_LEN, pt2) == 0 &&
		    memcmp(pt, pt2, dlen) == 0;
		ct2[i % (dlen + SK_AEAD_TAG_LEN)] ^= 0x80;
		aeopen += crypto_aead_open(key, n, data, dlen % 40, ct2,
		    dlen + SK_AEAD_TAG_LEN, pt2) == SK_ERR_DECRYPT &&
		    crypto_aead_open_ref(key, n, data, dlen % 40, ct2,
		    dlen + SK_AEAD_TAG_LEN, pt2) == SK_ERR_DECRYPT;
	}
	is_int((int)(2 * nrounds), hm, "HMAC-SHA256, one-shot and keyed, %zu "
	    "random keys (0-199 bytes) and messages: the same MACs", nrounds);
	is_int((int)nrounds, ae, "ChaCha20-Poly1305: the same ciphertexts and "
	    "tags");
	is_int((int)(2 * nrounds), aeopen, "... each opens the other's, and "
	    "both refuse a "
	    "flipped bit");
	{
		struct crypto_hash *h;
		uint8_t d1[32], d2[32];

		crypto_random(data, sizeof(data));
		if (crypto_sha256(data, sizeof(data), d1) != 0 ||
		    crypto_hash_open(&h, SK_HASH_SHA256) != 0)
			bail("sha256");
		crypto_hash_update(h, data, sizeof(data));
		crypto_hash_final(h, d2, sizeof(d2));
		crypto_hash_close(h);
		is_blob(d2, d1, 32, "SHA-256: the same digest as libgcrypt's");
	}
	/* RFC 4231 4.2 (HMAC-SHA256, test case 1) as an anchor. */
	memset(key, 0x0b, 20);
	crypto_hmac_sha256(key, 20, (const uint8_t *)"Hi There", 8, m1);
	unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    m2, sizeof(m2));
	is_blob(m2, m1, 32, "HMAC-SHA256: RFC 4231 test case 1");
	return 0;
}
