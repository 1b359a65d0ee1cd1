/* OpenPGP packets: our builders against our parsers and verifier, with
 * keys made by libgcrypt; every refusal rule; truncations.  The checks
 * against real gpg are in t/011-pgp-gpg.sh. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "crypto.h"
#include "err.h"
#include "gpgagent.h"
#include "pgp.h"
#include "tap.h"

struct kp {
	const char		*name;
	enum sk_pk_alg		 alg;
	enum sk_curve		 curve;
	unsigned		 bits;
	uint8_t			 palgo;
	struct crypto_privkey	*priv;
	struct pgp_key		 key;
};

static const uint8_t msg[] = "sigknock v1 request\0 example message";
static time_t now;

/* Build a signature with chosen fields; created relative to now. */
static size_t
make_sig(struct kp *k, uint8_t type, uint8_t hash, long created_delta,
    const uint8_t *m, size_t mlen, uint8_t *out, size_t cap)
{
	struct pgp_sig_builder b;
	uint8_t digest[64], s1[1024], s2[1024];
	size_t dlen, s1len, s2len, len;
	enum sk_hash h = pgp_hash_to_sk(hash);

	if (pgp_sig_builder_init(&b, type, k->palgo, hash,
	    (uint32_t)(now + created_delta), k->key.fpr, 0) != 0 ||
	    pgp_sig_builder_digest(&b, &m, &mlen, 1, digest, &dlen) != 0 ||
	    crypto_privkey_sign(k->priv, h, digest, dlen, s1, &s1len, s2, &s2len,
	    sizeof(s1)) != 0 ||
	    pgp_sig_builder_finish(&b, digest, s1, s1len, s2, s2len, out, cap,
	    &len) != 0)
		bail("cannot make a %s signature", k->name);
	return len;
}

static int
verify(struct kp *k, const uint8_t *sig, size_t len, const uint8_t *m,
    size_t mlen)
{
	struct pgp_sig s;
	int r;

	if ((r = pgp_sig_parse(sig, len, &s)) != 0)
		return r;
	return pgp_sig_verify(&s, k->key.pk, k->key.algo, m, mlen, now, 120);
}

/* Re-frame a signature packet body with a modified hashed area: append
 * one subpacket (len, type, data) to the hashed area. */
static size_t
add_subpacket(const uint8_t *sig, size_t len, uint8_t type, uint8_t *out,
    size_t cap)
{
	struct rbuf r;
	struct wbuf w;
	const uint8_t *body;
	size_t blen, alen;
	uint8_t tag, tmp[2048];

	rbuf_init(&r, sig, len);
	if (pgp_packet_next(&r, &tag, &body, &blen) != 0)
		bail("reframe");
	alen = (size_t)body[4] << 8 | body[5];
	wbuf_init(&w, tmp, sizeof(tmp));
	wbuf_bytes(&w, body, 4);
	wbuf_u16(&w, (uint16_t)(alen + 3));
	wbuf_bytes(&w, body + 6, alen);
	wbuf_u8(&w, 2);
	wbuf_u8(&w, type);
	wbuf_u8(&w, 0);
	wbuf_bytes(&w, body + 6 + alen, blen - 6 - alen);
	blen = w.len;
	wbuf_init(&w, out, cap);
	pgp_packet_header(&w, PGP_TAG_SIGNATURE, blen);
	wbuf_bytes(&w, tmp, blen);
	return w.len;
}

int
main(void)
{
	struct kp keys[] = {
		{ "ed25519", SK_PK_EDDSA, SK_CURVE_ED25519, 0, PGP_PK_EDDSA, NULL, {0} },
		{ "nistp256", SK_PK_ECDSA, SK_CURVE_P256, 0, PGP_PK_ECDSA, NULL, {0} },
		{ "nistp384", SK_PK_ECDSA, SK_CURVE_P384, 0, PGP_PK_ECDSA, NULL, {0} },
		{ "rsa2048", SK_PK_RSA, SK_CURVE_NONE, 2048, PGP_PK_RSA, NULL, {0} },
	};
	struct crypto_pubkey *pub;
	struct crypto_privkey *weak;
	struct pgp_key pk;
	struct pgp_sig s;
	uint8_t body[2048], sig[2048], sig2[2048], fpr[20], m2[sizeof(msg)];
	size_t blen, slen, s2len, i, n, bad, padded;
	int r;

	plan(4 * 11 + 11 + 8);
	if (crypto_init() != 0)
		bail("crypto_init");
	now = time(NULL);

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct kp *k = &keys[i];

		if (crypto_privkey_generate(&k->priv, k->alg, k->curve, k->bits) ||
		    crypto_privkey_public(k->priv, &pub) ||
		    pgp_key_body_build(pub, (uint32_t)now - 100, body,
		    sizeof(body), &blen))
			bail("cannot make a %s key", k->name);
		crypto_pubkey_free(pub);
		is_int(0, pgp_key_parse(PGP_TAG_PUBLIC_KEY, body, blen, &k->key),
		    "%s: our key packet parses", k->name);
		pgp_fingerprint(body, blen, fpr);
		is_blob(fpr, k->key.fpr, 20, "%s: fingerprint", k->name);
		ok(k->key.algo == k->palgo && k->key.pk != NULL,
		    "%s: algorithm and verify key", k->name);

		slen = make_sig(k, PGP_SIG_BINARY, PGP_HASH_SHA512, -5, msg,
		    sizeof(msg), sig, sizeof(sig));
		is_int(0, verify(k, sig, slen, msg, sizeof(msg)),
		    "%s: built signature verifies", k->name);
		memcpy(m2, msg, sizeof(msg));
		m2[3] ^= 1;
		is_int(SK_ERR_BAD_SIGNATURE, verify(k, sig, slen, m2, sizeof(m2)),
		    "%s: tampered message refused", k->name);
		/* A flip in the last MPI byte: the signature itself is wrong. */
		sig[slen - 1] ^= 0x01;
		is_int(SK_ERR_BAD_SIGNATURE, verify(k, sig, slen, msg, sizeof(msg)),
		    "%s: tampered signature refused", k->name);
		sig[slen - 1] ^= 0x01;
		/* SHA-256 is too short for P-384 (GnuPG refuses it too). */
		slen = make_sig(k, PGP_SIG_BINARY, PGP_HASH_SHA256, 0, msg,
		    sizeof(msg), sig, sizeof(sig));
		is_int(k->curve == SK_CURVE_P384 ? SK_ERR_WEAK_HASH : 0,
		    verify(k, sig, slen, msg, sizeof(msg)),
		    "%s: SHA-256 signature %s", k->name,
		    k->curve == SK_CURVE_P384 ? "refused as shorter than the curve" :
		    "verifies");
		slen = make_sig(k, 0x01, PGP_HASH_SHA256, 0, msg, sizeof(msg), sig,
		    sizeof(sig));
		is_int(SK_ERR_SIG_TYPE, verify(k, sig, slen, msg, sizeof(msg)),
		    "%s: text-mode signature type refused", k->name);
		slen = make_sig(k, PGP_SIG_BINARY, PGP_HASH_SHA256, 600, msg,
		    sizeof(msg), sig, sizeof(sig));
		is_int(SK_ERR_SIG_FUTURE, verify(k, sig, slen, msg, sizeof(msg)),
		    "%s: signature 10 minutes in the future refused", k->name);

		/* Every truncation of a good signature packet is refused. */
		slen = make_sig(k, PGP_SIG_BINARY, PGP_HASH_SHA512, 0, msg,
		    sizeof(msg), sig, sizeof(sig));
		bad = 0;
		for (n = 0; n < slen; n++)
			if (pgp_sig_parse(sig, n, &s) == 0)
				bad++;
		is_int(0, bad, "%s: all %zu truncations refused", k->name, slen);
		/* Wrong key: the next key in the list. */
		r = verify(&keys[(i + 1) % 4], sig, slen, msg, sizeof(msg));
		ok(keys[(i + 1) % 4].key.pk == NULL || r == SK_ERR_BAD_SIGNATURE,
		    "%s: another key does not verify it", k->name);
	}

	/* Refusal rules on an Ed25519 signature. */
	slen = make_sig(&keys[0], PGP_SIG_BINARY, PGP_HASH_SHA256, 0, msg,
	    sizeof(msg), sig, sizeof(sig));
	s2len = add_subpacket(sig, slen, 0x80 | 100, sig2, sizeof(sig2));
	is_int(SK_ERR_UNKNOWN_CRITICAL, pgp_sig_parse(sig2, s2len, &s),
	    "unknown critical subpacket refused");
	s2len = add_subpacket(sig, slen, 100, sig2, sizeof(sig2));
	is_int(0, pgp_sig_parse(sig2, s2len, &s),
	    "unknown non-critical subpacket accepted by the parser");
	for (n = 0; n < 3; n++) {
		static const uint8_t weak_hashes[] = { PGP_HASH_MD5, PGP_HASH_SHA1,
		    PGP_HASH_SHA224 };
		uint8_t hdrlen = (sig[1] < 192) ? 2 : 3;

		memcpy(sig2, sig, slen);
		sig2[hdrlen + 3] = weak_hashes[n];
		r = pgp_sig_parse(sig2, slen, &s);
		if (n == 0)
			is_int(SK_ERR_WEAK_HASH, r, "MD5 refused");
		else if (n == 1)
			is_int(SK_ERR_WEAK_HASH, r, "SHA-1 refused");
		else
			is_int(SK_ERR_WEAK_HASH, r, "SHA-224 refused");
	}
	memcpy(sig2, sig, slen);
	sig2[slen] = 0;
	is_int(SK_ERR_TRAILING, pgp_sig_parse(sig2, slen + 1, &s),
	    "a byte after the packet refused");

	/* Ed25519 r and s are MPIs: a leading zero byte is dropped on the
	 * wire and must be padded back (about 1 in 128 signatures). */
	padded = 0;
	bad = 0;
	for (n = 0; n < 4000 && padded < 3; n++) {
		m2[0] = (uint8_t)n;
		m2[1] = (uint8_t)(n >> 8);
		slen = make_sig(&keys[0], PGP_SIG_BINARY, PGP_HASH_SHA256, 0, m2,
		    sizeof(m2), sig, sizeof(sig));
		if (pgp_sig_parse(sig, slen, &s) != 0) {
			bad++;
			continue;
		}
		if (s.mpi_len[0] < 32 || s.mpi_len[1] < 32) {
			padded++;
			if (verify(&keys[0], sig, slen, m2, sizeof(m2)) != 0)
				bad++;
		}
	}
	ok(padded >= 1 && bad == 0,
	    "Ed25519 signatures with short r or s verify (%zu found)", padded);

	/* RSA under 2048 bits is refused at key load. */
	if (crypto_privkey_generate(&weak, SK_PK_RSA, SK_CURVE_NONE, 1024) ||
	    crypto_privkey_public(weak, &pub) ||
	    pgp_key_body_build(pub, (uint32_t)now, body, sizeof(body), &blen))
		bail("rsa1024");
	r = pgp_key_parse(PGP_TAG_PUBLIC_KEY, body, blen, &pk);
	ok(r == SK_ERR_WEAK_KEY && pk.pk == NULL && pk.algo == PGP_PK_RSA,
	    "RSA-1024 key refused as weak, identity kept");
	pgp_key_clear(&pk);
	crypto_pubkey_free(pub);
	crypto_privkey_free(weak);

	/* Key packet truncations (an Ed25519 key that parses whole). */
	if (crypto_privkey_public(keys[0].priv, &pub) ||
	    pgp_key_body_build(pub, (uint32_t)now, body, sizeof(body), &blen))
		bail("ed25519 body");
	crypto_pubkey_free(pub);
	bad = 0;
	for (n = 0; n < blen; n++) {
		if (pgp_key_parse(PGP_TAG_PUBLIC_KEY, body, n, &pk) == 0)
			bad++;
		pgp_key_clear(&pk);
	}
	is_int(0, bad, "all key packet truncations refused");

	/* Ed25519 points that do not decode are refused, not handed to
	 * libgcrypt (whose 1.10.1 25519 code aborts on some of them).  The
	 * body ends with the MPI: 0x40 || 32 bytes of little-endian y. */
	{
		size_t good = 0, refused = 0, y;

		for (y = 2; y < 40; y++) {
			memset(body + blen - 32, 0, 32);
			body[blen - 32] = (uint8_t)y;
			r = pgp_key_parse(PGP_TAG_PUBLIC_KEY, body, blen, &pk);
			if (r == 0)
				good++;
			else if (r == SK_ERR_BAD_FIELD)
				refused++;
			pgp_key_clear(&pk);
		}
		ok(good > 0 && refused > 0 && good + refused == 38,
		    "Ed25519: %zu small y decode, %zu do not and are refused",
		    good, refused);
		/* y = p = 2^255 - 19: not canonical. */
		memset(body + blen - 32, 0xff, 32);
		body[blen - 32] = 0xed;
		body[blen - 1] = 0x7f;
		is_int(SK_ERR_BAD_FIELD, pgp_key_parse(PGP_TAG_PUBLIC_KEY, body,
		    blen, &pk), "Ed25519: non-canonical y (= p) refused");
		pgp_key_clear(&pk);
	}

	/* gpg-agent's PKSIGN answers, and the gpg token's key memory. */
	{
		static const char ed[] = "(7:sig-val(5:eddsa(1:r3:abc)"
		    "(1:s2:de)))", rsa[] = "(7:sig-val(3:rsa(1:s4:wxyz)))";
		static const char mem[] = "sigknock gpg-key 1\nhome /h\n"
		    "signer \nstamp 1\nsocket /h/S.gpg-agent\nfpr "
		    "9C68EC998EEC74E6A68E5A13A3D728F3F9006966\nkeygrip "
		    "4E418AB207F0202AA8D74141724D0A34E298930C\ncard \n"
		    "uid A <a@x>\nexpires 0\nkey 04ab\n";
		uint8_t s1[PGP_MPI_MAX], s2[PGP_MPI_MAX];
		char text[GPGCACHE_BYTES], badmem[sizeof(mem) + 8];
		struct gpgcache c, c2;
		size_t a1len, a2len, tlen;

		ok(gpgagent_sig_parse((const uint8_t *)ed, sizeof(ed) - 1,
		    PGP_PK_EDDSA, s1, &a1len, s2, &a2len) == 0 && a1len == 3 &&
		    memcmp(s1, "abc", 3) == 0 && a2len == 2 &&
		    memcmp(s2, "de", 2) == 0, "agent EdDSA answer: r and s");
		ok(gpgagent_sig_parse((const uint8_t *)ed, sizeof(ed) - 1,
		    PGP_PK_ECDSA, s1, &a1len, s2, &a2len) != 0 && a1len == 0,
		    "agent answer for another algorithm refused");
		ok(gpgagent_sig_parse((const uint8_t *)rsa, sizeof(rsa) - 1,
		    PGP_PK_RSA, s1, &a1len, s2, &a2len) == 0 && a1len == 4 &&
		    a2len == 0, "agent RSA answer: s");
		ok(gpgagent_sig_parse((const uint8_t *)rsa, sizeof(rsa) - 3,
		    PGP_PK_RSA, s1, &a1len, s2, &a2len) != 0,
		    "agent answer cut short refused");
		ok(gpgcache_parse(mem, sizeof(mem) - 1, &c) == 0 &&
		    c.keylen == 2 && c.key[0] == 0x04 && c.signer[0] == '\0' &&
		    strcmp(c.uid, "A <a@x>") == 0, "key memory parses");
		tlen = gpgcache_format(&c, text, sizeof(text));
		ok(tlen > 0 && gpgcache_parse(text, tlen, &c2) == 0 &&
		    memcmp(&c, &c2, sizeof(c)) == 0, "... and formats back");
		ok(gpgcache_parse(mem, sizeof(mem) - 2, &c) != 0,
		    "key memory without its last newline refused");
		memcpy(badmem, mem, sizeof(mem));
		memcpy(strstr(badmem, "uid A") + 4, "\t", 1);
		ok(gpgcache_parse(badmem, sizeof(mem) - 1, &c) != 0,
		    "key memory with a control character refused");
	}

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		pgp_key_clear(&keys[i].key);
		crypto_privkey_free(keys[i].priv);
	}
	return 0;
}
