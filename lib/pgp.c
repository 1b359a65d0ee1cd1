#include "config.h"

#include <string.h>

#include "b64.h"
#include "endian.h"
#include "err.h"
#include "pgp.h"
#include "wipe.h"

static const uint8_t oid_p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_p521[] = { 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const uint8_t oid_ed25519[] = {
	0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01
};

static const struct {
	const uint8_t	*oid;
	size_t		 len;
	uint8_t		 algo;
	enum sk_curve	 curve;
	unsigned	 bits;
} curves[] = {
	{ oid_p256, sizeof(oid_p256), PGP_PK_ECDSA, SK_CURVE_P256, 256 },
	{ oid_p384, sizeof(oid_p384), PGP_PK_ECDSA, SK_CURVE_P384, 384 },
	{ oid_p521, sizeof(oid_p521), PGP_PK_ECDSA, SK_CURVE_P521, 521 },
	{ oid_ed25519, sizeof(oid_ed25519), PGP_PK_EDDSA, SK_CURVE_ED25519, 255 },
};

int
pgp_fpr_parse(const char *s, uint8_t fpr[static PGP_FPR_LEN])
{
	size_t i;
	int hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != PGP_FPR_HEX_LEN)
		return -1;
	for (i = 0; i < PGP_FPR_LEN; i++) {
		if ((hi = b64_hexval(s[2 * i])) < 0 ||
		    (lo = b64_hexval(s[2 * i + 1])) < 0)
			return -1;
		fpr[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
pgp_fpr_format(const uint8_t fpr[static PGP_FPR_LEN], char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < PGP_FPR_LEN; i++) {
		out[2 * i] = digits[fpr[i] >> 4];
		out[2 * i + 1] = digits[fpr[i] & 15];
	}
	out[PGP_FPR_HEX_LEN] = '\0';
}

enum sk_hash
pgp_hash_to_sk(uint8_t hash_algo)
{
	switch (hash_algo) {
	case PGP_HASH_SHA256:	return SK_HASH_SHA256;
	case PGP_HASH_SHA384:	return SK_HASH_SHA384;
	case PGP_HASH_SHA512:	return SK_HASH_SHA512;
	}
	return 0;
}

int
pgp_packet_next(struct rbuf *r, uint8_t *tag, const uint8_t **body, size_t *len)
{
	uint8_t b, o1, o2;
	uint16_t v16;
	uint32_t v32 = 0;
	size_t n = 0;
	int e;

	*tag = 0;
	*body = NULL;
	*len = 0;
	if ((e = rbuf_u8(r, &b)) != 0)
		return e;
	if (!(b & 0x80))
		return SK_ERR_PGP_FORMAT;
	if (b & 0x40) {				/* new format */
		*tag = b & 0x3f;
		if ((e = rbuf_u8(r, &o1)) != 0)
			return e;
		if (o1 < 192)
			n = o1;
		else if (o1 < 224) {
			if ((e = rbuf_u8(r, &o2)) != 0)
				return e;
			n = ((size_t)(o1 - 192) << 8) + o2 + 192;
		} else if (o1 == 255) {
			if ((e = rbuf_u32(r, &v32)) != 0)
				return e;
			n = v32;
		} else
			return SK_ERR_PGP_UNSUPPORTED;	/* partial body */
	} else {				/* old format */
		*tag = (b >> 2) & 0x0f;
		switch (b & 0x03) {
		case 0:
			if ((e = rbuf_u8(r, &o1)) != 0)
				return e;
			n = o1;
			break;
		case 1:
			if ((e = rbuf_u16(r, &v16)) != 0)
				return e;
			n = v16;
			break;
		case 2:
			if ((e = rbuf_u32(r, &v32)) != 0)
				return e;
			n = v32;
			break;
		default:
			return SK_ERR_PGP_UNSUPPORTED;	/* indeterminate */
		}
	}
	if (*tag == 0)
		return SK_ERR_PGP_FORMAT;
	if (n > PGP_PACKET_MAX)
		return SK_ERR_TOO_LONG;
	if ((e = rbuf_ref(r, body, n)) != 0)
		return e;
	*len = n;
	return 0;
}

/* An MPI: u16 bit count, then (bits + 7) / 8 bytes. */
static int
read_mpi(struct rbuf *r, const uint8_t **p, size_t *len)
{
	uint16_t bits;
	size_t n;
	int e;

	*p = NULL;
	*len = 0;
	if ((e = rbuf_u16(r, &bits)) != 0)
		return e;
	if (bits == 0)
		return SK_ERR_PGP_FORMAT;
	n = ((size_t)bits + 7) / 8;
	if (n > PGP_MPI_MAX)
		return SK_ERR_TOO_LONG;
	if ((e = rbuf_ref(r, p, n)) != 0)
		return e;
	*len = n;
	return 0;
}

int
pgp_fingerprint(const uint8_t *body, size_t len, uint8_t fpr[static PGP_FPR_LEN])
{
	struct crypto_hash *h;
	uint8_t hdr[3];
	int e;

	if (len > 0xffff)
		return SK_ERR_TOO_LONG;
	hdr[0] = 0x99;
	be16enc(hdr + 1, (uint16_t)len);
	if ((e = crypto_hash_open(&h, SK_HASH_SHA1)) != 0)
		return e;
	crypto_hash_update(h, hdr, sizeof(hdr));
	crypto_hash_update(h, body, len);
	e = crypto_hash_final(h, fpr, PGP_FPR_LEN);
	crypto_hash_close(h);
	return e;
}

void
pgp_key_clear(struct pgp_key *k)
{
	crypto_pubkey_free(k->pk);
	memset(k, 0, sizeof(*k));
}

static int
parse_key_material(struct rbuf *r, struct pgp_key *k)
{
	const uint8_t *a, *b, *oid;
	size_t alen, blen, i;
	uint8_t oidlen;
	int e;

	switch (k->algo) {
	case PGP_PK_RSA:
	case PGP_PK_RSA_S:
		if ((e = read_mpi(r, &a, &alen)) != 0 ||
		    (e = read_mpi(r, &b, &blen)) != 0)
			return e;
		if ((e = rbuf_end(r)) != 0)
			return e;
		if ((e = crypto_pubkey_rsa(&k->pk, a, alen, b, blen)) != 0)
			return e;
		k->bits = crypto_pubkey_bits(k->pk);
		if (k->bits < PGP_RSA_MIN_BITS) {
			crypto_pubkey_free(k->pk);
			k->pk = NULL;
			return SK_ERR_WEAK_KEY;
		}
		return 0;
	case PGP_PK_ECDSA:
	case PGP_PK_EDDSA:
		if ((e = rbuf_u8(r, &oidlen)) != 0)
			return e;
		if (oidlen == 0 || oidlen == 0xff)
			return SK_ERR_PGP_FORMAT;
		if ((e = rbuf_ref(r, &oid, oidlen)) != 0 ||
		    (e = read_mpi(r, &a, &alen)) != 0 ||
		    (e = rbuf_end(r)) != 0)
			return e;
		for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
			if (curves[i].algo == k->algo && curves[i].len == oidlen &&
			    memcmp(curves[i].oid, oid, oidlen) == 0)
				break;
		if (i == sizeof(curves) / sizeof(curves[0]))
			return SK_ERR_PGP_UNSUPPORTED;
		k->curve = curves[i].curve;
		k->bits = curves[i].bits;
		return crypto_pubkey_ec(&k->pk,
		    k->algo == PGP_PK_EDDSA ? SK_PK_EDDSA : SK_PK_ECDSA,
		    k->curve, a, alen);
	}
	return SK_ERR_PGP_UNSUPPORTED;
}

int
pgp_key_parse(uint8_t tag, const uint8_t *body, size_t len, struct pgp_key *k)
{
	struct rbuf r;
	int e;

	memset(k, 0, sizeof(*k));
	if (tag != PGP_TAG_PUBLIC_KEY && tag != PGP_TAG_PUBLIC_SUBKEY)
		return SK_ERR_INVALID_ARG;
	k->tag = tag;
	rbuf_init(&r, body, len);
	if ((e = rbuf_u8(&r, &k->version)) != 0)
		goto fail;
	if (k->version != 4) {
		e = SK_ERR_PGP_UNSUPPORTED;
		goto fail;
	}
	if ((e = rbuf_u32(&r, &k->created)) != 0 ||
	    (e = rbuf_u8(&r, &k->algo)) != 0 ||
	    (e = pgp_fingerprint(body, len, k->fpr)) != 0)
		goto fail;
	if ((e = parse_key_material(&r, k)) != 0) {
		/* Keep the identity (fpr, algo) for the caller's message. */
		crypto_pubkey_free(k->pk);
		k->pk = NULL;
		return e;
	}
	return 0;
fail:
	pgp_key_clear(k);
	return e;
}

int
pgp_keys_walk(const uint8_t *p, size_t len, pgp_key_cb cb, void *arg)
{
	struct rbuf r;
	struct pgp_key k;
	const uint8_t *body;
	size_t blen;
	uint8_t tag;
	int e, res;

	rbuf_init(&r, p, len);
	while (rbuf_left(&r) > 0) {
		if ((e = pgp_packet_next(&r, &tag, &body, &blen)) != 0)
			return e;
		if (tag != PGP_TAG_PUBLIC_KEY && tag != PGP_TAG_PUBLIC_SUBKEY)
			continue;
		res = pgp_key_parse(tag, body, blen, &k);
		e = cb(arg, res, &k);
		pgp_key_clear(&k);
		if (e != 0)
			return e;
	}
	return 0;
}

/* Subpacket areas: known types may be critical; unknown critical ones
 * make the signature unacceptable (RFC 4880 5.2.3.1). */
static int
parse_subpackets(const uint8_t *p, size_t len, int hashed, struct pgp_sig *sig)
{
	struct rbuf r;
	const uint8_t *d;
	uint8_t o1, o2, type, crit;
	uint32_t n32;
	size_t n, count = 0;
	int e;

	rbuf_init(&r, p, len);
	while (rbuf_left(&r) > 0) {
		if (++count > PGP_SUBPKT_MAX)
			return SK_ERR_TOO_LONG;
		if ((e = rbuf_u8(&r, &o1)) != 0)
			return e;
		if (o1 < 192)
			n = o1;
		else if (o1 < 255) {
			if ((e = rbuf_u8(&r, &o2)) != 0)
				return e;
			n = ((size_t)(o1 - 192) << 8) + o2 + 192;
		} else {
			if ((e = rbuf_u32(&r, &n32)) != 0)
				return e;
			n = n32;
		}
		if (n == 0)
			return SK_ERR_PGP_FORMAT;
		if ((e = rbuf_ref(&r, &d, n)) != 0)
			return e;
		type = d[0] & 0x7f;
		crit = d[0] & 0x80;
		d++;
		n--;
		switch (type) {
		case 2:		/* signature creation time */
			if (n != 4)
				return SK_ERR_PGP_FORMAT;
			if (hashed)
				sig->created = be32dec(d);
			break;
		case 3:		/* signature expiration time */
			if (n != 4)
				return SK_ERR_PGP_FORMAT;
			if (hashed)
				sig->expires_after = be32dec(d);
			break;
		case 16:	/* issuer key id */
			if (n != PGP_KEYID_LEN)
				return SK_ERR_PGP_FORMAT;
			memcpy(sig->issuer_keyid, d, PGP_KEYID_LEN);
			sig->has_issuer_keyid = 1;
			break;
		case 33:	/* issuer fingerprint: version || fpr */
			if (n < 1)
				return SK_ERR_PGP_FORMAT;
			if (d[0] != 4 || n != 1 + PGP_FPR_LEN) {
				if (crit)	/* a v5/v6 issuer we cannot use */
					return SK_ERR_UNKNOWN_CRITICAL;
				break;
			}
			/* Only the hashed copy is trusted to match signer_id. */
			if (hashed || !sig->has_issuer_fpr) {
				memcpy(sig->issuer_fpr, d + 1, PGP_FPR_LEN);
				sig->has_issuer_fpr = hashed ? 1 : 2;
			}
			break;
		default:
			if (crit)
				return SK_ERR_UNKNOWN_CRITICAL;
			break;
		}
	}
	return 0;
}

int
pgp_sig_parse(const uint8_t *p, size_t len, struct pgp_sig *sig)
{
	struct rbuf pkt, r;
	const uint8_t *body, *area;
	uint16_t alen;
	size_t blen;
	uint8_t tag;
	int e, i;

	memset(sig, 0, sizeof(*sig));
	rbuf_init(&pkt, p, len);
	if ((e = pgp_packet_next(&pkt, &tag, &body, &blen)) != 0)
		goto fail;
	if ((e = rbuf_end(&pkt)) != 0)
		goto fail;
	if (tag != PGP_TAG_SIGNATURE) {
		e = SK_ERR_PGP_FORMAT;
		goto fail;
	}
	rbuf_init(&r, body, blen);
	if ((e = rbuf_u8(&r, &sig->version)) != 0)
		goto fail;
	if (sig->version != 4) {
		e = SK_ERR_PGP_UNSUPPORTED;
		goto fail;
	}
	if ((e = rbuf_u8(&r, &sig->type)) != 0 ||
	    (e = rbuf_u8(&r, &sig->pk_algo)) != 0 ||
	    (e = rbuf_u8(&r, &sig->hash_algo)) != 0 ||
	    (e = rbuf_u16(&r, &alen)) != 0 ||
	    (e = rbuf_ref(&r, &area, alen)) != 0)
		goto fail;
	sig->hashed = body;
	sig->hashed_len = 6 + (size_t)alen;
	if ((e = parse_subpackets(area, alen, 1, sig)) != 0 ||
	    (e = rbuf_u16(&r, &alen)) != 0 ||
	    (e = rbuf_ref(&r, &area, alen)) != 0 ||
	    (e = parse_subpackets(area, alen, 0, sig)) != 0 ||
	    (e = rbuf_bytes(&r, sig->left16, 2)) != 0)
		goto fail;
	switch (sig->pk_algo) {
	case PGP_PK_RSA:
	case PGP_PK_RSA_S:
		sig->n_mpi = 1;
		break;
	case PGP_PK_ECDSA:
	case PGP_PK_EDDSA:
		sig->n_mpi = 2;
		break;
	default:
		e = SK_ERR_PGP_UNSUPPORTED;
		goto fail;
	}
	for (i = 0; i < sig->n_mpi; i++)
		if ((e = read_mpi(&r, &sig->mpi[i], &sig->mpi_len[i])) != 0)
			goto fail;
	if ((e = rbuf_end(&r)) != 0)
		goto fail;

	/* Policy: what we refuse even when the signature verifies. */
	if (sig->type != PGP_SIG_BINARY) {
		e = SK_ERR_SIG_TYPE;
		goto fail;
	}
	if (pgp_hash_to_sk(sig->hash_algo) == 0) {
		e = sig->hash_algo <= PGP_HASH_SHA224 ? SK_ERR_WEAK_HASH :
		    SK_ERR_PGP_UNSUPPORTED;
		goto fail;
	}
	if (sig->created == 0) {	/* creation time is mandatory */
		e = SK_ERR_PGP_FORMAT;
		goto fail;
	}
	return 0;
fail:
	memset(sig, 0, sizeof(*sig));
	return e;
}

static int
digest_parts(enum sk_hash algo, const uint8_t *const *parts, const size_t *lens,
    size_t n, const uint8_t *hashed, size_t hashed_len, uint8_t *digest,
    size_t *dlen)
{
	struct crypto_hash *h;
	uint8_t trailer[6];
	size_t i;
	int e;

	*dlen = 0;
	if (hashed_len > 0xffffffffu)
		return SK_ERR_TOO_LONG;
	if ((e = crypto_hash_open(&h, algo)) != 0)
		return e;
	for (i = 0; i < n; i++)
		crypto_hash_update(h, parts[i], lens[i]);
	crypto_hash_update(h, hashed, hashed_len);
	trailer[0] = 0x04;
	trailer[1] = 0xff;
	be32enc(trailer + 2, (uint32_t)hashed_len);
	crypto_hash_update(h, trailer, sizeof(trailer));
	if ((e = crypto_hash_final(h, digest, SK_HASH_MAX_LEN)) == 0)
		*dlen = crypto_hash_len(algo);
	crypto_hash_close(h);
	return e;
}

int
pgp_sig_digest(const struct pgp_sig *sig, const uint8_t *msg, size_t msglen,
    uint8_t *digest, size_t *dlen)
{
	enum sk_hash algo = pgp_hash_to_sk(sig->hash_algo);

	*dlen = 0;
	if (algo == 0)
		return SK_ERR_WEAK_HASH;
	return digest_parts(algo, &msg, &msglen, 1, sig->hashed,
	    sig->hashed_len, digest, dlen);
}

static int
same_algo(uint8_t sig_algo, uint8_t key_algo)
{
	if (sig_algo == PGP_PK_RSA || sig_algo == PGP_PK_RSA_S)
		return key_algo == PGP_PK_RSA || key_algo == PGP_PK_RSA_S;
	return sig_algo == key_algo;
}

int
pgp_sig_verify(const struct pgp_sig *sig, const struct crypto_pubkey *pk,
    uint8_t key_algo, const uint8_t *msg, size_t msglen, time_t now,
    unsigned skew)
{
	uint8_t digest[SK_HASH_MAX_LEN];
	size_t dlen;
	int e;

	if (pk == NULL || !same_algo(sig->pk_algo, key_algo))
		return SK_ERR_BAD_SIGNATURE;
	if ((int64_t)sig->created > (int64_t)now + skew)
		return SK_ERR_SIG_FUTURE;
	if (sig->expires_after != 0 &&
	    (int64_t)sig->created + sig->expires_after <= (int64_t)now)
		return SK_ERR_SIG_EXPIRED;
	if ((e = pgp_sig_digest(sig, msg, msglen, digest, &dlen)) != 0)
		return e;
	/* The quick check gpg also makes; constant time is not needed for a
	 * value the signature carries in the clear. */
	if (digest[0] != sig->left16[0] || digest[1] != sig->left16[1])
		return SK_ERR_BAD_SIGNATURE;
	return crypto_pubkey_verify(pk, pgp_hash_to_sk(sig->hash_algo), digest,
	    dlen, sig->mpi[0], sig->mpi_len[0], sig->mpi[1], sig->mpi_len[1]);
}

void
pgp_packet_header(struct wbuf *w, uint8_t tag, size_t len)
{
	wbuf_u8(w, (uint8_t)(0xc0 | tag));
	if (len < 192)
		wbuf_u8(w, (uint8_t)len);
	else if (len < 8384) {
		wbuf_u8(w, (uint8_t)(((len - 192) >> 8) + 192));
		wbuf_u8(w, (uint8_t)((len - 192) & 0xff));
	} else {
		wbuf_u8(w, 0xff);
		wbuf_u32(w, (uint32_t)len);
	}
}

int
pgp_sig_builder_init(struct pgp_sig_builder *b, uint8_t type, uint8_t pk_algo,
    uint8_t hash_algo, uint32_t created, const uint8_t fpr[static PGP_FPR_LEN],
    uint8_t key_flags)
{
	struct wbuf w;
	uint8_t *alen;
	size_t start;

	memset(b, 0, sizeof(*b));
	if (pgp_hash_to_sk(hash_algo) == 0)
		return SK_ERR_WEAK_HASH;
	wbuf_init(&w, b->hashed, sizeof(b->hashed));
	wbuf_u8(&w, 4);
	wbuf_u8(&w, type);
	wbuf_u8(&w, pk_algo);
	wbuf_u8(&w, hash_algo);
	alen = wbuf_reserve(&w, 2);
	start = w.len;
	wbuf_u8(&w, 1 + 1 + PGP_FPR_LEN);	/* issuer fingerprint */
	wbuf_u8(&w, 33);
	wbuf_u8(&w, 4);
	wbuf_bytes(&w, fpr, PGP_FPR_LEN);
	wbuf_u8(&w, 5);				/* creation time */
	wbuf_u8(&w, 2);
	wbuf_u32(&w, created);
	if (key_flags != 0) {
		wbuf_u8(&w, 2);
		wbuf_u8(&w, 27);
		wbuf_u8(&w, key_flags);
	}
	if (wbuf_error(&w) != 0 || alen == NULL)
		return SK_ERR_INTERNAL;
	be16enc(alen, (uint16_t)(w.len - start));
	b->hashed_len = w.len;
	memcpy(b->fpr, fpr, PGP_FPR_LEN);
	b->pk_algo = pk_algo;
	b->hash_algo = hash_algo;
	return 0;
}

int
pgp_sig_builder_digest(const struct pgp_sig_builder *b,
    const uint8_t *const *parts, const size_t *lens, size_t n, uint8_t *digest,
    size_t *dlen)
{
	return digest_parts(pgp_hash_to_sk(b->hash_algo), parts, lens, n,
	    b->hashed, b->hashed_len, digest, dlen);
}

static void
put_mpi(struct wbuf *w, const uint8_t *p, size_t len)
{
	unsigned bits;
	uint8_t top;

	while (len > 1 && *p == 0) {
		p++;
		len--;
	}
	top = len > 0 ? p[0] : 0;
	bits = (unsigned)(len - 1) * 8;
	while (top != 0) {
		bits++;
		top >>= 1;
	}
	wbuf_u16(w, (uint16_t)bits);
	wbuf_bytes(w, p, len);
}

int
pgp_sig_builder_finish(const struct pgp_sig_builder *b, const uint8_t *digest,
    const uint8_t *s1, size_t s1len, const uint8_t *s2, size_t s2len,
    uint8_t *out, size_t cap, size_t *len)
{
	uint8_t body[PGP_SIG_PACKET_MAX];
	struct wbuf w, o;
	int e;

	*len = 0;
	if (s1len == 0 || s1len > PGP_MPI_MAX || s2len > PGP_MPI_MAX ||
	    ((b->pk_algo == PGP_PK_ECDSA || b->pk_algo == PGP_PK_EDDSA) &&
	    s2len == 0))
		return SK_ERR_INVALID_ARG;
	wbuf_init(&w, body, sizeof(body));
	wbuf_bytes(&w, b->hashed, b->hashed_len);
	wbuf_u16(&w, 2 + PGP_KEYID_LEN);	/* unhashed: issuer key id */
	wbuf_u8(&w, 1 + PGP_KEYID_LEN);
	wbuf_u8(&w, 16);
	wbuf_bytes(&w, b->fpr + PGP_FPR_LEN - PGP_KEYID_LEN, PGP_KEYID_LEN);
	wbuf_bytes(&w, digest, 2);
	put_mpi(&w, s1, s1len);
	if (s2len > 0)
		put_mpi(&w, s2, s2len);
	if ((e = wbuf_error(&w)) != 0)
		return SK_ERR_TOO_LONG;
	wbuf_init(&o, out, cap);
	pgp_packet_header(&o, PGP_TAG_SIGNATURE, w.len);
	wbuf_bytes(&o, body, w.len);
	if ((e = wbuf_error(&o)) != 0)
		return e;
	*len = o.len;
	return 0;
}

int
pgp_key_body_build(const struct crypto_pubkey *pk, uint32_t created,
    uint8_t *out, size_t cap, size_t *len)
{
	uint8_t a[PGP_MPI_MAX + 1], b[PGP_MPI_MAX];
	size_t alen, blen, i;
	struct wbuf w;
	enum sk_pk_alg alg = crypto_pubkey_alg(pk);
	int e;

	*len = 0;
	if ((e = crypto_pubkey_export(pk, a, &alen, b, &blen, PGP_MPI_MAX)) != 0)
		return e;
	wbuf_init(&w, out, cap);
	wbuf_u8(&w, 4);
	wbuf_u32(&w, created);
	if (alg == SK_PK_RSA) {
		wbuf_u8(&w, PGP_PK_RSA);
		put_mpi(&w, a, alen);
		put_mpi(&w, b, blen);
	} else {
		unsigned bits = crypto_pubkey_bits(pk);

		for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
			if ((alg == SK_PK_EDDSA) == (curves[i].algo == PGP_PK_EDDSA) &&
			    curves[i].bits == (alg == SK_PK_EDDSA ? 255 : bits))
				break;
		if (i == sizeof(curves) / sizeof(curves[0]))
			return SK_ERR_PGP_UNSUPPORTED;
		wbuf_u8(&w, curves[i].algo);
		wbuf_u8(&w, (uint8_t)curves[i].len);
		wbuf_bytes(&w, curves[i].oid, curves[i].len);
		if (alg == SK_PK_EDDSA && alen == 32) {
			/* OpenPGP's native point format: 0x40 || x */
			memmove(a + 1, a, 32);
			a[0] = 0x40;
			alen = 33;
		}
		put_mpi(&w, a, alen);
	}
	if ((e = wbuf_error(&w)) != 0)
		return e;
	*len = w.len;
	return 0;
}
