#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "conf.h"
#include "endian.h"
#include "err.h"
#include "fido2.h"
#include "wipe.h"

#define HEADER		"sigknock-fido2"

const char *
fido2_alg_name(enum fido2_alg alg)
{
	switch (alg) {
	case FIDO2_ES256:	return "es256";
	case FIDO2_EDDSA:	return "eddsa";
	}
	return "?";
}

int
fido2_alg_parse(const char *s, enum fido2_alg *alg)
{
	if (strcmp(s, "es256") == 0)
		*alg = FIDO2_ES256;
	else if (strcmp(s, "eddsa") == 0)
		*alg = FIDO2_EDDSA;
	else
		return SK_ERR_BAD_FIELD;
	return 0;
}

int
fido2_name_ok(const char *s)
{
	return conf_name_ok(s, FIDO2_NAME_MAX);
}

/* RP ids and device specs: printable ASCII without spaces. */
static int
token_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return i > 0 && i <= max;
}

#define FAIL(...) do {							\
	snprintf(err->why, sizeof(err->why), __VA_ARGS__);		\
	goto fail;							\
} while (0)

/* The keywords, in the order fido2_format writes them; a bit each. */
enum {
	K_NAME = 1, K_RP = 2, K_ALG = 4, K_CRED = 8, K_PK = 16, K_DEVICE = 32,
	K_REVOKED = 64,
};
#define K_REQUIRED	(K_NAME | K_RP | K_ALG | K_CRED | K_PK)

static int
finish(struct fido2_record *r, unsigned seen, struct fido2_parse_err *err)
{
	static const char *names[] = { "name", "rp", "alg", "credential",
	    "public-key" };
	size_t i;

	for (i = 0; i < 5; i++)
		if (!(seen & (1u << i))) {
			err->line = r->line;
			snprintf(err->why, sizeof(err->why), "record has no "
			    "'%s' line", names[i]);
			return SK_ERR_BAD_FIELD;
		}
	if ((r->alg == FIDO2_ES256 && (r->pklen != 65 || r->pk[0] != 0x04)) ||
	    (r->alg == FIDO2_EDDSA && r->pklen != 32)) {
		err->line = r->line;
		snprintf(err->why, sizeof(err->why), "public-key is not an %s "
		    "key (%zu bytes)", fido2_alg_name(r->alg), r->pklen);
		return SK_ERR_BAD_FIELD;
	}
	return 0;
}

int
fido2_parse(const char *text, size_t len, struct fido2_record **out,
    size_t *n, struct fido2_parse_err *err)
{
	struct fido2_record *recs = NULL, *r = NULL, *tmp;
	char line[1024], *kw, *val, *end;
	size_t cap = 0, cnt = 0, pos = 0, ll;
	unsigned lineno = 0, seen = 0, bit;
	int rc = SK_ERR_BAD_FIELD;

	*out = NULL;
	*n = 0;
	memset(err, 0, sizeof(*err));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		ll = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		err->line = lineno;
		if (ll >= sizeof(line))
			FAIL("line longer than %zu bytes", sizeof(line) - 1);
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl != NULL);
		if (memchr(line, '\0', ll) != NULL)
			FAIL("NUL byte in the line");
		if (ll > 0 && line[ll - 1] == '\r')
			line[--ll] = '\0';
		for (kw = line; *kw == ' ' || *kw == '\t'; kw++)
			;
		if (*kw == '\0' || *kw == '#')
			continue;
		for (val = kw; *val != '\0' && *val != ' ' && *val != '\t';
		    val++)
			;
		if (*val != '\0')
			*val++ = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		for (end = val + strlen(val); end > val && (end[-1] == ' ' ||
		    end[-1] == '\t'); end--)
			;
		*end = '\0';

		if (strcmp(kw, HEADER) == 0) {
			if (r != NULL && (rc = finish(r, seen, err)) != 0)
				goto fail;
			rc = SK_ERR_BAD_FIELD;
			if (cnt == FIDO2_RECORDS_MAX)
				FAIL("more than %d records", FIDO2_RECORDS_MAX);
			if (cnt == cap) {
				cap = cap ? 2 * cap : 4;
				if ((tmp = realloc(recs, cap * sizeof(*recs))) ==
				    NULL) {
					rc = SK_ERR_ALLOC;
					FAIL("out of memory");
				}
				recs = tmp;
			}
			r = &recs[cnt++];
			memset(r, 0, sizeof(*r));
			r->line = lineno;
			seen = 0;
			if (strcmp(val, "enrollment v1") == 0)
				r->kind = FIDO2_ENROLLMENT;
			else if (strcmp(val, "credential v1") == 0)
				r->kind = FIDO2_CREDENTIAL;
			else
				FAIL("unknown record type '%.40s' (want "
				    "'enrollment v1' or 'credential v1')", val);
			continue;
		}
		if (r == NULL)
			FAIL("'%.40s' before the '" HEADER "' line", kw);
		if (*val == '\0')
			FAIL("'%.40s' has no value", kw);
		if (strcmp(kw, "name") == 0) {
			bit = K_NAME;
			if (!fido2_name_ok(val))
				FAIL("name must be 1 to %d of A-Z a-z 0-9 . _ @ "
				    "+ -", FIDO2_NAME_MAX);
			strcpy(r->name, val);
		} else if (strcmp(kw, "rp") == 0) {
			bit = K_RP;
			if (!token_ok(val, FIDO2_RP_MAX))
				FAIL("rp must be 1 to %d printable characters",
				    FIDO2_RP_MAX);
			strcpy(r->rp, val);
		} else if (strcmp(kw, "alg") == 0) {
			bit = K_ALG;
			if (fido2_alg_parse(val, &r->alg) != 0)
				FAIL("alg must be es256 or eddsa, not '%.40s'", val);
		} else if (strcmp(kw, "credential") == 0) {
			bit = K_CRED;
			if (b64_decode(val, strlen(val), r->cred, sizeof(r->cred),
			    &r->credlen) != 0 || r->credlen == 0)
				FAIL("credential is not base64 of 1 to %d bytes",
				    FIDO2_CRED_MAX);
		} else if (strcmp(kw, "public-key") == 0) {
			bit = K_PK;
			if (b64_decode(val, strlen(val), r->pk, sizeof(r->pk),
			    &r->pklen) != 0)
				FAIL("public-key is not base64 of at most %d "
				    "bytes", FIDO2_PK_MAX);
		} else if (strcmp(kw, "device") == 0) {
			bit = K_DEVICE;
			if (r->kind != FIDO2_CREDENTIAL)
				FAIL("'device' belongs in credential files");
			if (!token_ok(val, FIDO2_DEVICE_MAX))
				FAIL("device must be 1 to %d printable "
				    "characters", FIDO2_DEVICE_MAX);
			strcpy(r->device, val);
		} else if (strcmp(kw, "revoked") == 0) {
			bit = K_REVOKED;
			if (r->kind != FIDO2_ENROLLMENT)
				FAIL("'revoked' belongs in enrollment records");
			if (!token_ok(val, sizeof(r->revoked) - 1))
				FAIL("revoked takes a time without spaces");
			strcpy(r->revoked, val);
		} else {
			FAIL("unknown keyword '%.40s'", kw);
		}
		if (seen & bit)
			FAIL("'%.40s' given twice in one record", kw);
		seen |= bit;
	}
	if (r == NULL) {
		err->line = lineno;
		FAIL("no '" HEADER "' record");
	}
	if ((rc = finish(r, seen, err)) != 0)
		goto fail;
	*out = recs;
	*n = cnt;
	return 0;
fail:
	free(recs);
	return rc;
}

int
fido2_format(const struct fido2_record *r, char *buf, size_t cap, size_t *off)
{
	char cred[B64_LEN(FIDO2_CRED_MAX) + 1], pk[B64_LEN(FIDO2_PK_MAX) + 1];
	int n;

	if (b64_encode(r->cred, r->credlen, cred, sizeof(cred)) != 0 ||
	    b64_encode(r->pk, r->pklen, pk, sizeof(pk)) != 0 || *off > cap)
		return SK_ERR_INVALID_ARG;
	n = snprintf(buf + *off, cap - *off, HEADER " %s v1\nname %s\nrp %s\n"
	    "alg %s\ncredential %s\npublic-key %s\n%s%s%s%s%s%s",
	    r->kind == FIDO2_CREDENTIAL ? "credential" : "enrollment",
	    r->name, r->rp, fido2_alg_name(r->alg), cred, pk,
	    r->device[0] ? "device " : "", r->device, r->device[0] ? "\n" : "",
	    r->revoked[0] ? "revoked " : "", r->revoked,
	    r->revoked[0] ? "\n" : "");
	if (n < 0 || (size_t)n >= cap - *off)
		return SK_ERR_NO_SPACE;
	*off += (size_t)n;
	return 0;
}

int
fido2_signer_id(const struct fido2_record *r, uint8_t id[FIDO2_ID_LEN])
{
	return crypto_sha256(r->cred, r->credlen, id);
}

void
fido2_short_id(const uint8_t id[FIDO2_ID_LEN], char out[17])
{
	static const char hex[] = "0123456789ABCDEF";
	int i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[16] = '\0';
}

int
fido2_pubkey(const struct fido2_record *r, struct crypto_pubkey **out)
{
	if (r->alg == FIDO2_ES256)
		return crypto_pubkey_ec(out, SK_PK_ECDSA, SK_CURVE_P256, r->pk,
		    r->pklen);
	return crypto_pubkey_ec(out, SK_PK_EDDSA, SK_CURVE_ED25519, r->pk,
	    r->pklen);
}

int
fido2_sig_encode(const uint8_t *ad, size_t adlen, const uint8_t *sig,
    size_t siglen, uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	if (adlen < FIDO2_AUTHDATA_MIN || adlen > 0xffff || siglen == 0 ||
	    siglen > 0xffff)
		return SK_ERR_INVALID_ARG;
	if (cap < 4 + adlen + siglen)
		return SK_ERR_NO_SPACE;
	be16enc(out, (uint16_t)adlen);
	memcpy(out + 2, ad, adlen);
	be16enc(out + 2 + adlen, (uint16_t)siglen);
	memcpy(out + 4 + adlen, sig, siglen);
	*len = 4 + adlen + siglen;
	return 0;
}

int
fido2_sig_decode(const uint8_t *p, size_t len, const uint8_t **ad,
    size_t *adlen, const uint8_t **sig, size_t *siglen)
{
	size_t a, s;

	if (len < 2)
		return SK_ERR_TRUNCATED;
	a = be16dec(p);
	if (a < FIDO2_AUTHDATA_MIN)
		return SK_ERR_BAD_FIELD;
	if (len - 2 < a + 2)
		return SK_ERR_TRUNCATED;
	s = be16dec(p + 2 + a);
	if (s == 0)
		return SK_ERR_BAD_FIELD;
	if (len - 4 - a < s)
		return SK_ERR_TRUNCATED;
	if (len - 4 - a > s)
		return SK_ERR_TRAILING;
	*ad = p + 2;
	*adlen = a;
	*sig = p + 4 + a;
	*siglen = s;
	return 0;
}

/* One DER INTEGER at p[*off..len): positive, minimal, at most 33 bytes. */
static int
der_int(const uint8_t *p, size_t len, size_t *off, uint8_t *out, size_t *olen)
{
	size_t n;

	if (len - *off < 2)
		return SK_ERR_TRUNCATED;
	if (p[*off] != 0x02)
		return SK_ERR_BAD_FIELD;
	n = p[*off + 1];
	*off += 2;
	if (n == 0 || n > 33)
		return SK_ERR_BAD_FIELD;
	if (len - *off < n)
		return SK_ERR_TRUNCATED;
	/* Negative, or a leading zero that is not needed: not DER. */
	if ((p[*off] & 0x80) || (n > 1 && p[*off] == 0 &&
	    !(p[*off + 1] & 0x80)))
		return SK_ERR_BAD_FIELD;
	memcpy(out, p + *off, n);
	*olen = n;
	*off += n;
	return 0;
}

int
fido2_der_decode(const uint8_t *p, size_t len, uint8_t *r, size_t *rlen,
    uint8_t *s, size_t *slen)
{
	size_t off = 2;
	int rc;

	if (len < 2)
		return SK_ERR_TRUNCATED;
	/* SEQUENCE with a short-form length: P-256 signatures are < 128. */
	if (p[0] != 0x30 || p[1] >= 0x80)
		return SK_ERR_BAD_FIELD;
	if (len - 2 < p[1])
		return SK_ERR_TRUNCATED;
	if (len - 2 > p[1])
		return SK_ERR_TRAILING;
	if ((rc = der_int(p, len, &off, r, rlen)) != 0 ||
	    (rc = der_int(p, len, &off, s, slen)) != 0)
		return rc;
	return off == len ? 0 : SK_ERR_TRAILING;
}

/* One positive INTEGER from a minimal big-endian value (no leading
 * zeros beyond one). */
static size_t
der_put_int(uint8_t *out, const uint8_t *v, size_t n)
{
	size_t pad;

	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	pad = (v[0] & 0x80) != 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

int
fido2_der_encode(const uint8_t *r, size_t rlen, const uint8_t *s,
    size_t slen, uint8_t *out, size_t cap, size_t *len)
{
	size_t n;

	*len = 0;
	if (rlen == 0 || slen == 0 || rlen > 32 || slen > 32)
		return SK_ERR_INVALID_ARG;
	if (cap < 2 + 2 * 35)
		return SK_ERR_NO_SPACE;
	n = der_put_int(out + 2, r, rlen);
	n += der_put_int(out + 2 + n, s, slen);
	out[0] = 0x30;
	out[1] = (uint8_t)n;
	*len = 2 + n;
	return 0;
}

/* The signature over authData || SHA-256(msg). */
static int
check_sig(const struct crypto_pubkey *pk, enum fido2_alg alg,
    const uint8_t *ad, size_t adlen, const uint8_t *sig, size_t siglen,
    const uint8_t *msg, size_t msglen)
{
	uint8_t buf[SK_PURE_MAX], digest[32], r[33], s[33];
	size_t rlen, slen;
	int rc;

	if (adlen + 32 > sizeof(buf))
		return SK_ERR_TOO_LONG;
	memcpy(buf, ad, adlen);
	if ((rc = crypto_sha256(msg, msglen, buf + adlen)) != 0)
		return rc;
	if (alg == FIDO2_EDDSA) {
		if (siglen != 64)
			return SK_ERR_BAD_SIGNATURE;
		return crypto_pubkey_verify(pk, SK_HASH_PURE, buf, adlen + 32,
		    sig, 32, sig + 32, 32);
	}
	if (fido2_der_decode(sig, siglen, r, &rlen, s, &slen) != 0)
		return SK_ERR_BAD_SIGNATURE;
	if ((rc = crypto_sha256(buf, adlen + 32, digest)) != 0)
		return rc;
	return crypto_pubkey_verify(pk, SK_HASH_SHA256, digest, sizeof(digest),
	    r, rlen, s, slen);
}

/* Decode the field and read flags and counter from authData. */
static int
decode(const uint8_t *field, size_t fieldlen, const uint8_t **ad,
    size_t *adlen, const uint8_t **sig, size_t *siglen,
    struct fido2_assertion *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fido2_sig_decode(field, fieldlen, ad, adlen, sig,
	    siglen)) != 0)
		return rc;
	out->flags = (*ad)[32];
	out->counter = be32dec(*ad + 33);
	return 0;
}

int
fido2_check_sig(const struct crypto_pubkey *pk, enum fido2_alg alg,
    const uint8_t *field, size_t fieldlen, const uint8_t *msg, size_t msglen,
    struct fido2_assertion *out)
{
	const uint8_t *ad, *sig;
	size_t adlen, siglen;
	int rc;

	if ((rc = decode(field, fieldlen, &ad, &adlen, &sig, &siglen,
	    out)) != 0)
		return rc;
	return check_sig(pk, alg, ad, adlen, sig, siglen, msg, msglen);
}

int
fido2_verify(const struct crypto_pubkey *pk, enum fido2_alg alg,
    const uint8_t rp_hash[32], const uint8_t *field, size_t fieldlen,
    const uint8_t *msg, size_t msglen, struct fido2_assertion *out)
{
	const uint8_t *ad, *sig;
	size_t adlen, siglen;
	int rc;

	if ((rc = decode(field, fieldlen, &ad, &adlen, &sig, &siglen,
	    out)) != 0)
		return rc;
	if (memcmp(ad, rp_hash, 32) != 0)
		return SK_ERR_FIDO2_RP;
	if (!(out->flags & FIDO2_FLAG_UP))
		return SK_ERR_FIDO2_PRESENCE;
	return check_sig(pk, alg, ad, adlen, sig, siglen, msg, msglen);
}
