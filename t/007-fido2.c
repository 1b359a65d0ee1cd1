/* FIDO2 records, the signer-type-2 signature field and its verification,
 * with assertions made here by soft keys exactly as an authenticator
 * makes them (ES256: DER ECDSA over SHA-256(authData || clientDataHash);
 * EdDSA: Ed25519 over authData || clientDataHash). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "endian.h"
#include "err.h"
#include "fido2.h"
#include "tap.h"

static const char good[] =
    "# a comment\n"
    "sigknock-fido2 enrollment v1\n"
    "name alice-key\n"
    "rp sigknock\n"
    "alg eddsa\n"
    "credential AAECAwQFBgc=\n"
    "public-key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    "\n"
    "sigknock-fido2 enrollment v1\n"
    "name bob\n"
    "rp example.org\n"
    "alg eddsa\n"
    "credential AQ==\n"
    "public-key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    "revoked 2026-11-25T18:00:00Z\n";

/* Parse text that must fail; 1 if it fails on `line` with `why` in the
 * reason. */
static int
bad_len(const char *text, size_t len, unsigned line, const char *why)
{
	struct fido2_record *r;
	struct fido2_parse_err e;
	size_t n;

	if (fido2_parse(text, len, &r, &n, &e) == 0) {
		free(r);
		diag("parsed: %s", text);
		return 0;
	}
	if (e.line != line || strstr(e.why, why) == NULL) {
		diag("line %u: %s", e.line, e.why);
		return 0;
	}
	return 1;
}

static int
bad(const char *text, unsigned line, const char *why)
{
	return bad_len(text, strlen(text), line, why);
}

/* Make an assertion over msg with key k as an authenticator would. */
static size_t
assert_sign(struct crypto_privkey *k, enum fido2_alg alg, const char *rp,
    uint8_t flags, uint32_t counter, const uint8_t *msg, size_t msglen,
    uint8_t *field, size_t cap)
{
	uint8_t ad[37], buf[69], digest[32], r[64], s[64], sig[80];
	size_t rl, sl, siglen, len;

	crypto_sha256(rp, strlen(rp), ad);
	ad[32] = flags;
	be32enc(ad + 33, counter);
	memcpy(buf, ad, 37);
	crypto_sha256(msg, msglen, buf + 37);
	if (alg == FIDO2_EDDSA) {
		if (crypto_privkey_sign(k, SK_HASH_PURE, buf, sizeof(buf), r,
		    &rl, s, &sl, 32) != 0)
			bail("eddsa sign");
		memcpy(sig, r, 32);
		memcpy(sig + 32, s, 32);
		siglen = 64;
	} else {
		crypto_sha256(buf, sizeof(buf), digest);
		if (crypto_privkey_sign(k, SK_HASH_SHA256, digest, 32, r, &rl,
		    s, &sl, 32) != 0 ||
		    fido2_der_encode(r, rl, s, sl, sig, sizeof(sig), &siglen))
			bail("es256 sign");
	}
	if (fido2_sig_encode(ad, sizeof(ad), sig, siglen, field, cap, &len))
		bail("encode");
	return len;
}

/* SHA-256 of an RP id, as a loaded credential holds it. */
static const uint8_t *
rph(const char *rp)
{
	static uint8_t h[2][32];
	static int i;

	i ^= 1;
	crypto_sha256(rp, strlen(rp), h[i]);
	return h[i];
}

static void
verify_suite(enum fido2_alg alg)
{
	struct crypto_privkey *k;
	struct crypto_pubkey *pk;
	struct fido2_assertion a;
	const char *name = fido2_alg_name(alg);
	uint8_t msg[100], field[200];
	size_t len, i, n;
	int refused;

	memset(msg, 0x5a, sizeof(msg));
	if (crypto_privkey_generate(&k, alg == FIDO2_EDDSA ? SK_PK_EDDSA :
	    SK_PK_ECDSA, alg == FIDO2_EDDSA ? SK_CURVE_ED25519 : SK_CURVE_P256,
	    0) != 0 || crypto_privkey_public(k, &pk) != 0)
		bail("keygen");
	len = assert_sign(k, alg, "sigknock", 0x01, 7, msg, sizeof(msg),
	    field, sizeof(field));
	is_int(0, fido2_verify(pk, alg, rph("sigknock"), field, len, msg,
	    sizeof(msg), &a), "%s: a good assertion verifies", name);
	ok(a.counter == 7 && a.flags == 0x01, "%s: counter and flags read",
	    name);
	is_int(SK_ERR_FIDO2_RP, fido2_verify(pk, alg, rph("other"), field, len,
	    msg, sizeof(msg), &a), "%s: another RP id is refused", name);
	msg[3] ^= 1;
	is_int(SK_ERR_BAD_SIGNATURE, fido2_verify(pk, alg, rph("sigknock"), field,
	    len, msg, sizeof(msg), &a), "%s: another message is refused", name);
	msg[3] ^= 1;
	/* Every bit of the signature and of the counter matters. */
	for (refused = 1, i = 2 + 33; i < len && refused; i++) {
		if (i >= 2 + 37 && i < 2 + 37 + 2)
			continue;	/* the signature's length field */
		n = i % 8;	/* one bit per byte, each position in turn */
		field[i] ^= (uint8_t)(1u << n);
		refused = fido2_verify(pk, alg, rph("sigknock"), field, len, msg,
		    sizeof(msg), &a) != 0;
		field[i] ^= (uint8_t)(1u << n);
	}
	ok(refused, "%s: a flipped bit in every byte of counter or signature is refused",
	    name);
	len = assert_sign(k, alg, "sigknock", 0x00, 8, msg, sizeof(msg),
	    field, sizeof(field));
	is_int(SK_ERR_FIDO2_PRESENCE, fido2_verify(pk, alg, rph("sigknock"), field,
	    len, msg, sizeof(msg), &a), "%s: no user presence is refused", name);
	crypto_pubkey_free(pk);
	crypto_privkey_free(k);
}

int
main(void)
{
	struct fido2_record *r, *r2;
	struct fido2_parse_err e;
	char text[4096];
	uint8_t id[32], der[80], rr[33], ss[33];
	size_t n, n2, off = 0, rl, sl;
	const uint8_t *ad, *sig;

	plan(44);
	crypto_init();

	is_int(0, fido2_parse(good, strlen(good), &r, &n, &e),
	    "two records parse");
	is_int(2, (int)n, "two records");
	ok(strcmp(r[0].name, "alice-key") == 0 && strcmp(r[0].rp, "sigknock")
	    == 0 && r[0].alg == FIDO2_EDDSA && r[0].credlen == 8 &&
	    r[0].pklen == 32 && r[0].kind == FIDO2_ENROLLMENT &&
	    r[0].line == 2, "fields of the first");
	ok(strcmp(r[1].revoked, "2026-11-25T18:00:00Z") == 0 && r[1].line == 9,
	    "the second is revoked");
	fido2_signer_id(&r[0], id);
	ok(id[0] == 0x8a && id[1] == 0x85, "signer id is SHA-256 of the "
	    "credential id");
	ok(fido2_format(&r[0], text, sizeof(text), &off) == 0 &&
	    fido2_format(&r[1], text, sizeof(text), &off) == 0, "format");
	ok(fido2_parse(text, off, &r2, &n2, &e) == 0 && n2 == 2 &&
	    strcmp(r2[1].revoked, r[1].revoked) == 0 && r2[0].credlen == 8 &&
	    memcmp(r2[0].cred, r[0].cred, 8) == 0, "format, parse: same");
	free(r2);
	free(r);

	ok(bad("", 0, "no 'sigknock-fido2' record"), "empty input refused");
	ok(bad("name x\n", 1, "before the"), "a line before the header");
	ok(bad("sigknock-fido2 enrollment v2\n", 1, "unknown record type"),
	    "unknown version");
	ok(bad("sigknock-fido2 enrollment v1\nname a b\n", 2, "name must be"),
	    "a name with a space");
	ok(bad("sigknock-fido2 enrollment v1\nname a\nname b\n", 3, "twice"),
	    "a keyword twice");
	ok(bad("sigknock-fido2 enrollment v1\nalg rsa\n", 2, "es256 or eddsa"),
	    "unknown alg");
	ok(bad("sigknock-fido2 enrollment v1\ncredential AB=C\n", 2, "base64"),
	    "bad base64");
	ok(bad("sigknock-fido2 enrollment v1\ncolour red\n", 2,
	    "unknown keyword 'colour'"), "unknown keyword");
	ok(bad("sigknock-fido2 enrollment v1\nname a\nrp r\nalg es256\n"
	    "credential AQ==\n", 1, "no 'public-key' line"),
	    "a missing keyword names the record's first line");
	ok(bad("sigknock-fido2 enrollment v1\nname a\nrp r\nalg es256\n"
	    "credential AQ==\npublic-key AQ==\n", 1, "not an es256 key"),
	    "a key of the wrong size");
	ok(bad("sigknock-fido2 enrollment v1\ndevice unix:/x\n", 2,
	    "belongs in credential files"), "device in an enrollment record");
	ok(bad("sigknock-fido2 credential v1\nrevoked now\n", 2,
	    "belongs in enrollment records"), "revoked in a credential file");
	ok(bad("sigknock-fido2 enrollment v1\nname\n", 2, "has no value"),
	    "a keyword without a value");
	ok(bad_len("sigknock-fido2 enrollment v1\nname a\0b\n", 38, 2, "NUL"),
	    "a NUL byte");

	/* DER */
	{
		static const uint8_t ok1[] = { 0x30, 0x06, 0x02, 0x01, 0x01,
		    0x02, 0x01, 0x7f };
		static const uint8_t pad[] = { 0x30, 0x07, 0x02, 0x02, 0x00,
		    0x01, 0x02, 0x01, 0x01 };
		static const uint8_t neg[] = { 0x30, 0x06, 0x02, 0x01, 0x80,
		    0x02, 0x01, 0x01 };
		static const uint8_t trail[] = { 0x30, 0x06, 0x02, 0x01, 0x01,
		    0x02, 0x01, 0x01, 0x00 };
		static const uint8_t hi[] = { 0x80 };

		is_int(0, fido2_der_decode(ok1, sizeof(ok1), rr, &rl, ss, &sl),
		    "DER: minimal integers");
		is_int(SK_ERR_BAD_FIELD, fido2_der_decode(pad, sizeof(pad), rr,
		    &rl, ss, &sl), "DER: a needless leading zero refused");
		is_int(SK_ERR_BAD_FIELD, fido2_der_decode(neg, sizeof(neg), rr,
		    &rl, ss, &sl), "DER: a negative integer refused");
		is_int(SK_ERR_TRAILING, fido2_der_decode(trail, sizeof(trail),
		    rr, &rl, ss, &sl), "DER: trailing bytes refused");
		ok(fido2_der_encode(hi, 1, ok1 + 4, 1, der, sizeof(der), &n) ==
		    0 && n == 9 && der[3] == 2 && der[4] == 0 &&
		    fido2_der_decode(der, n, rr, &rl, ss, &sl) == 0 &&
		    rl == 2 && rr[1] == 0x80, "DER: encode pads a high bit");
	}

	/* The signature field */
	{
		uint8_t f[64], a37[37] = { 0 }, s1[1] = { 9 };

		ok(fido2_sig_encode(a37, 37, s1, 1, f, sizeof(f), &n) == 0 &&
		    n == 42, "field encodes");
		is_int(0, fido2_sig_decode(f, n, &ad, &rl, &sig, &sl),
		    "field decodes");
		is_int(SK_ERR_TRAILING, fido2_sig_decode(f, n + 1 > sizeof(f) ?
		    n : n + 1, &ad, &rl, &sig, &sl), "a byte more is refused");
		is_int(SK_ERR_TRUNCATED, fido2_sig_decode(f, n - 1, &ad, &rl,
		    &sig, &sl), "a byte less is refused");
		be16enc(f, 36);
		is_int(SK_ERR_BAD_FIELD, fido2_sig_decode(f, n, &ad, &rl, &sig,
		    &sl), "authData under 37 bytes is refused");
	}

	/* Keys of small order (libgcrypt aborts verifying against the
	 * neutral element) are refused when the key is loaded. */
	{
		static const char *small[] = {
			"0100000000000000000000000000000000000000000000000000000000000000",
			"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
			"0000000000000000000000000000000000000000000000000000000000000000",
			"0000000000000000000000000000000000000000000000000000000000000080",
			"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
			"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
			"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
			"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
		};
		struct crypto_pubkey *pk;
		uint8_t q[32];
		int refused = 1;

		for (n = 0; n < 8; n++) {
			unhex(small[n], q, 32);
			if (crypto_pubkey_ec(&pk, SK_PK_EDDSA, SK_CURVE_ED25519,
			    q, 32) == 0) {
				refused = 0;
				crypto_pubkey_free(pk);
			}
		}
		ok(refused, "every Ed25519 public key of small order is refused");
	}

	verify_suite(FIDO2_ES256);
	verify_suite(FIDO2_EDDSA);
	return 0;
}
