#include "config.h"

#include <string.h>

#include "buf.h"
#include "err.h"
#include "wipe.h"
#include "wire.h"

#define HPKE_INFO	"sigknock v1 hpke"
#define MAC1_LABEL	"sigknock v1 mac1"
#define DIGEST_LABEL	"sigknock v1 server key"

static int
labeled_hash(const char *label, const uint8_t pk[static HPKE_PK_LEN],
    uint8_t out[static SK_SHA256_LEN])
{
	uint8_t buf[32 + HPKE_PK_LEN];
	size_t n = strlen(label);

	memcpy(buf, label, n);
	memcpy(buf + n, pk, HPKE_PK_LEN);
	return crypto_sha256(buf, n + HPKE_PK_LEN, out);
}

int
wire_mac1_key(const uint8_t pk[static HPKE_PK_LEN],
    uint8_t out[static SK_SHA256_LEN])
{
	return labeled_hash(MAC1_LABEL, pk, out);
}

int
wire_server_digest(const uint8_t pk[static HPKE_PK_LEN],
    uint8_t out[static SK_DIGEST_LEN])
{
	return labeled_hash(DIGEST_LABEL, pk, out);
}

int
wire_server_key_init(struct sk_server_key *k, const uint8_t *sk)
{
	int r;

	if (sk != NULL) {
		memcpy(k->sk, sk, HPKE_SK_LEN);
		if ((r = crypto_x25519_base(k->pk, k->sk)) != 0) {
			wire_server_key_wipe(k);
			return r;
		}
	} else
		memset(k->sk, 0, HPKE_SK_LEN);
	if ((r = wire_mac1_key(k->pk, k->mac1_key)) != 0 ||
	    (r = wire_server_digest(k->pk, k->digest)) != 0)
		wire_server_key_wipe(k);
	return r;
}

void
wire_server_key_wipe(struct sk_server_key *k)
{
	sk_wipe(k, sizeof(*k));
}

static size_t
addr_len(uint8_t family)
{
	switch (family) {
	case SK_ADDR_IPV4:	return 4;
	case SK_ADDR_IPV6:	return 16;
	default:		return 0;
	}
}

static int
signer_id_ok(uint8_t type, uint8_t len)
{
	switch (type) {
	case SK_SIGNER_OPENPGP:	return len == 20 || len == 32;
	case SK_SIGNER_FIDO2:	return len == 32;
	case SK_SIGNER_DELEGATED: return len == 20 || len == 32;
	}
	return 0;
}

int
wire_dest_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SK_DEST_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Extensions: TLVs (type, len, value) filling ext exactly.  The types
 * defined are critical, each at most once: SK_EXT_DEST, a valid name,
 * copied to out->dest, SK_EXT_SET, a count of 2..SK_SET_MAX servers,
 * to out->set_count, and SK_EXT_CLOSE, empty, to out->close (out may be
 * NULL).  Any other critical type is refused. */
static int
ext_check(const uint8_t *p, size_t len, struct sk_request *out)
{
	struct rbuf r;
	const uint8_t *v;
	uint8_t type, vlen;
	int e, seen = 0, seen_set = 0, seen_close = 0;

	rbuf_init(&r, p, len);
	while (rbuf_left(&r) > 0) {
		if ((e = rbuf_u8(&r, &type)) != 0 || (e = rbuf_u8(&r, &vlen)) != 0)
			return e;
		if ((e = rbuf_ref(&r, &v, vlen)) != 0)
			return e;
		if (type == SK_EXT_DEST) {
			if (seen++ || !wire_dest_name_ok((const char *)v, vlen))
				return SK_ERR_BAD_FIELD;
			if (out != NULL) {
				memcpy(out->dest, v, vlen);
				out->dest[vlen] = '\0';
			}
		} else if (type == SK_EXT_SET) {
			if (seen_set++ || vlen != 1 || v[0] < 2 ||
			    v[0] > SK_SET_MAX)
				return SK_ERR_BAD_FIELD;
			if (out != NULL)
				out->set_count = v[0];
		} else if (type == SK_EXT_CLOSE) {
			if (seen_close++ || vlen != 0)
				return SK_ERR_BAD_FIELD;
			if (out != NULL)
				out->close = 1;
		} else if (type & 0x80)
			return SK_ERR_UNKNOWN_CRITICAL;
	}
	return 0;
}

int
request_set_close(struct sk_request *rq)
{
	if (rq->close || rq->n_access != 0 || rq->timeout != 0 ||
	    rq->ext_len + 2 > SK_EXT_MAX)
		return SK_ERR_INVALID_ARG;
	rq->ext[rq->ext_len++] = SK_EXT_CLOSE;
	rq->ext[rq->ext_len++] = 0;
	rq->close = 1;
	return 0;
}

int
request_set_group(struct sk_request *rq, unsigned count)
{
	if (count < 2 || count > SK_SET_MAX || rq->set_count != 0 ||
	    rq->ext_len + 3 > SK_EXT_MAX)
		return SK_ERR_INVALID_ARG;
	rq->ext[rq->ext_len++] = SK_EXT_SET;
	rq->ext[rq->ext_len++] = 1;
	rq->ext[rq->ext_len++] = (uint8_t)count;
	rq->set_count = (uint8_t)count;
	return 0;
}

/* ---- server sets: a Merkle tree (PROTOCOL.md 3.4) ---- */

#define SET_LEAF	"sigknock v1 set leaf"	/* each + its NUL */
#define SET_NODE	"sigknock v1 set node"
#define SET_EMPTY	"sigknock v1 set empty"

unsigned
wire_set_depth(unsigned count)
{
	unsigned d = 0;

	while ((1u << d) < count)
		d++;
	return d;
}

static int
set_hash(const char *label, const uint8_t *a, const uint8_t *b,
    uint8_t out[static SK_DIGEST_LEN])
{
	uint8_t buf[32 + 2 * SK_DIGEST_LEN];
	size_t n = strlen(label) + 1;

	memcpy(buf, label, n);
	if (a != NULL) {
		memcpy(buf + n, a, SK_DIGEST_LEN);
		n += SK_DIGEST_LEN;
	}
	if (b != NULL) {
		memcpy(buf + n, b, SK_DIGEST_LEN);
		n += SK_DIGEST_LEN;
	}
	return crypto_sha256(buf, n, out);
}

/* The tree's level 0 (leaves, padded) into t; returns the width. */
static size_t
set_leaves(const uint8_t (*digests)[SK_DIGEST_LEN], size_t n,
    uint8_t t[][SK_DIGEST_LEN])
{
	size_t w = (size_t)1 << wire_set_depth((unsigned)n), i;

	for (i = 0; i < w; i++)
		if ((i < n ? set_hash(SET_LEAF, digests[i], NULL, t[i]) :
		    set_hash(SET_EMPTY, NULL, NULL, t[i])) != 0)
			return 0;
	return w;
}

int
wire_set_proof(const uint8_t (*digests)[SK_DIGEST_LEN], size_t n,
    size_t index, uint8_t proof[][SK_DIGEST_LEN])
{
	uint8_t t[SK_SET_MAX][SK_DIGEST_LEN];
	size_t w, i, d = 0;

	if (n < 2 || n > SK_SET_MAX || index >= n ||
	    (w = set_leaves(digests, n, t)) == 0)
		return SK_ERR_INVALID_ARG;
	for (; w > 1; w /= 2, index /= 2, d++) {
		if (proof != NULL)
			memcpy(proof[d], t[index ^ 1], SK_DIGEST_LEN);
		for (i = 0; i < w / 2; i++)
			if (set_hash(SET_NODE, t[2 * i], t[2 * i + 1], t[i]) != 0)
				return SK_ERR_CRYPTO;
	}
	return 0;
}

int
wire_set_root(const uint8_t (*digests)[SK_DIGEST_LEN], size_t n,
    uint8_t root[static SK_DIGEST_LEN])
{
	uint8_t t[SK_SET_MAX][SK_DIGEST_LEN];
	size_t w, i;

	if (n < 2 || n > SK_SET_MAX || (w = set_leaves(digests, n, t)) == 0)
		return SK_ERR_INVALID_ARG;
	for (; w > 1; w /= 2)
		for (i = 0; i < w / 2; i++)
			if (set_hash(SET_NODE, t[2 * i], t[2 * i + 1], t[i]) != 0)
				return SK_ERR_CRYPTO;
	memcpy(root, t[0], SK_DIGEST_LEN);
	return 0;
}

int
wire_request_binds(const struct sk_request *rq,
    const uint8_t digest[static SK_DIGEST_LEN])
{
	uint8_t h[SK_DIGEST_LEN];
	unsigned i, index = rq->set_index;

	if (rq->set_count == 0)
		return sk_memeq(rq->server_digest, digest, SK_DIGEST_LEN);
	if (index >= rq->set_count || set_hash(SET_LEAF, digest, NULL, h) != 0)
		return 0;
	for (i = 0; i < wire_set_depth(rq->set_count); i++, index /= 2)
		if ((index & 1 ? set_hash(SET_NODE, rq->set_proof[i], h, h) :
		    set_hash(SET_NODE, h, rq->set_proof[i], h)) != 0)
			return 0;
	return sk_memeq(rq->server_digest, h, SK_DIGEST_LEN);
}

int
request_append_proof(uint8_t *buf, size_t cap, size_t len,
    const struct sk_request *rq, unsigned index,
    const uint8_t proof[][SK_DIGEST_LEN], size_t *outlen)
{
	unsigned depth = wire_set_depth(rq->set_count), i;

	*outlen = 0;
	if (rq->set_count == 0 || index >= rq->set_count ||
	    len + 1 + (size_t)depth * SK_DIGEST_LEN > cap ||
	    len + 1 + (size_t)depth * SK_DIGEST_LEN > SK_INNER_MAX)
		return SK_ERR_NO_SPACE;
	buf[len++] = (uint8_t)index;
	for (i = 0; i < depth; i++, len += SK_DIGEST_LEN)
		memcpy(buf + len, proof[i], SK_DIGEST_LEN);
	*outlen = len;
	return 0;
}

int
request_set_dest(struct sk_request *rq, const char *name)
{
	size_t n = strlen(name);

	if (!wire_dest_name_ok(name, n) || rq->dest[0] != '\0' ||
	    rq->ext_len + 2 + n > SK_EXT_MAX)
		return SK_ERR_INVALID_ARG;
	rq->ext[rq->ext_len++] = SK_EXT_DEST;
	rq->ext[rq->ext_len++] = (uint8_t)n;
	memcpy(rq->ext + rq->ext_len, name, n);
	rq->ext_len = (uint16_t)(rq->ext_len + n);
	memcpy(rq->dest, name, n + 1);
	return 0;
}

static int
access_ok(const struct sk_access *a)
{
	return (a->proto == 6 || a->proto == 17) && a->port != 0;
}

int
request_encode_unsigned(const struct sk_request *rq, uint8_t *out, size_t cap,
    size_t *len)
{
	struct wbuf w;
	size_t i;
	int r;

	*len = 0;
	if (rq->version != SK_WIRE_VERSION ||
	    !signer_id_ok(rq->signer_type, rq->signer_id_len) ||
	    (rq->addr_family != SK_ADDR_SOURCE && addr_len(rq->addr_family) == 0) ||
	    rq->n_access > SK_ACCESS_MAX || rq->ext_len > SK_EXT_MAX)
		return SK_ERR_INVALID_ARG;
	for (i = 0; i < rq->n_access; i++)
		if (!access_ok(&rq->access[i]))
			return SK_ERR_INVALID_ARG;
	if ((r = ext_check(rq->ext, rq->ext_len, NULL)) != 0 ||
	    (rq->close && (rq->n_access != 0 || rq->timeout != 0)))
		return SK_ERR_INVALID_ARG;

	wbuf_init(&w, out, cap);
	wbuf_u8(&w, rq->version);
	wbuf_u8(&w, rq->signer_type);
	wbuf_u64(&w, rq->timestamp);
	wbuf_bytes(&w, rq->nonce, SK_NONCE_LEN);
	wbuf_bytes(&w, rq->server_digest, SK_DIGEST_LEN);
	wbuf_u8(&w, rq->addr_family);
	wbuf_bytes(&w, rq->addr, addr_len(rq->addr_family));
	wbuf_u16(&w, rq->timeout);
	wbuf_u8(&w, rq->n_access);
	for (i = 0; i < rq->n_access; i++) {
		wbuf_u8(&w, rq->access[i].proto);
		wbuf_u16(&w, rq->access[i].port);
	}
	wbuf_u16(&w, rq->ext_len);
	wbuf_bytes(&w, rq->ext, rq->ext_len);
	wbuf_u8(&w, rq->signer_id_len);
	wbuf_bytes(&w, rq->signer_id, rq->signer_id_len);
	if ((r = wbuf_error(&w)) != 0)
		return r;
	*len = w.len;
	return 0;
}

int
request_append_signature(uint8_t *buf, size_t cap, size_t signed_len,
    const uint8_t *sig, size_t siglen, size_t *len)
{
	struct wbuf w;
	int r;

	*len = 0;
	if (siglen == 0 || siglen > SK_SIG_MAX || signed_len > cap)
		return SK_ERR_INVALID_ARG;
	wbuf_init(&w, buf + signed_len, cap - signed_len);
	wbuf_u16(&w, (uint16_t)siglen);
	wbuf_bytes(&w, sig, siglen);
	if ((r = wbuf_error(&w)) != 0)
		return r;
	if (signed_len + w.len > SK_INNER_MAX)
		return SK_ERR_TOO_LONG;
	*len = signed_len + w.len;
	return 0;
}

/* The signed part: up to and with the signer id. */
static int
decode_signed(struct rbuf *r, struct sk_request *rq)
{
	size_t i;
	int e;

	if ((e = rbuf_u8(r, &rq->version)) != 0)
		return e;
	if (rq->version != SK_WIRE_VERSION)
		return SK_ERR_BAD_VERSION;
	if ((e = rbuf_u8(r, &rq->signer_type)) != 0)
		return e;
	if (rq->signer_type != SK_SIGNER_OPENPGP &&
	    rq->signer_type != SK_SIGNER_FIDO2 &&
	    rq->signer_type != SK_SIGNER_DELEGATED)
		return SK_ERR_BAD_FIELD;
	if ((e = rbuf_u64(r, &rq->timestamp)) != 0 ||
	    (e = rbuf_bytes(r, rq->nonce, SK_NONCE_LEN)) != 0 ||
	    (e = rbuf_bytes(r, rq->server_digest, SK_DIGEST_LEN)) != 0 ||
	    (e = rbuf_u8(r, &rq->addr_family)) != 0)
		return e;
	if (rq->addr_family != SK_ADDR_SOURCE && addr_len(rq->addr_family) == 0)
		return SK_ERR_BAD_FIELD;
	if ((e = rbuf_bytes(r, rq->addr, addr_len(rq->addr_family))) != 0 ||
	    (e = rbuf_u16(r, &rq->timeout)) != 0 ||
	    (e = rbuf_u8(r, &rq->n_access)) != 0)
		return e;
	if (rq->n_access > SK_ACCESS_MAX)
		return SK_ERR_TOO_LONG;
	for (i = 0; i < rq->n_access; i++) {
		if ((e = rbuf_u8(r, &rq->access[i].proto)) != 0 ||
		    (e = rbuf_u16(r, &rq->access[i].port)) != 0)
			return e;
		if (!access_ok(&rq->access[i]))
			return SK_ERR_BAD_FIELD;
	}
	if ((e = rbuf_u16(r, &rq->ext_len)) != 0)
		return e;
	if (rq->ext_len > SK_EXT_MAX)
		return SK_ERR_TOO_LONG;
	if ((e = rbuf_bytes(r, rq->ext, rq->ext_len)) != 0 ||
	    (e = ext_check(rq->ext, rq->ext_len, rq)) != 0 ||
	    (e = rbuf_u8(r, &rq->signer_id_len)) != 0)
		return e;
	/* A close opens nothing: it asks for no port and no time. */
	if (rq->close && (rq->n_access != 0 || rq->timeout != 0))
		return SK_ERR_BAD_FIELD;
	if (rq->signer_id_len > SK_SIGNER_ID_MAX)
		return SK_ERR_TOO_LONG;
	if ((e = rbuf_bytes(r, rq->signer_id, rq->signer_id_len)) != 0)
		return e;
	if (!signer_id_ok(rq->signer_type, rq->signer_id_len))
		return SK_ERR_BAD_FIELD;
	rq->signed_len = r->off;
	return 0;
}

static int
decode(struct rbuf *r, struct sk_request *rq)
{
	size_t i;
	int e;

	if ((e = decode_signed(r, rq)) != 0)
		return e;
	if ((e = rbuf_u16(r, &rq->sig_len)) != 0)
		return e;
	if (rq->sig_len == 0)
		return SK_ERR_BAD_FIELD;
	if (rq->sig_len > SK_SIG_MAX)
		return SK_ERR_TOO_LONG;
	if ((e = rbuf_bytes(r, rq->sig, rq->sig_len)) != 0)
		return e;
	if (rq->set_count != 0) {
		if ((e = rbuf_u8(r, &rq->set_index)) != 0)
			return e;
		if (rq->set_index >= rq->set_count)
			return SK_ERR_BAD_FIELD;
		for (i = 0; i < wire_set_depth(rq->set_count); i++)
			if ((e = rbuf_bytes(r, rq->set_proof[i],
			    SK_DIGEST_LEN)) != 0)
				return e;
	}
	return rbuf_end(r);
}

int
request_decode(const uint8_t *p, size_t len, struct sk_request *rq)
{
	struct rbuf r;
	int e;

	memset(rq, 0, sizeof(*rq));
	if (len > SK_INNER_MAX)
		return SK_ERR_TOO_LONG;
	rbuf_init(&r, p, len);
	if ((e = decode(&r, rq)) != 0)
		memset(rq, 0, sizeof(*rq));
	return e;
}

int
request_decode_signed(const uint8_t *msg, size_t len, struct sk_request *rq)
{
	struct rbuf r;
	int e;

	memset(rq, 0, sizeof(*rq));
	if (len < SK_SIGN_CONTEXT_LEN ||
	    memcmp(msg, SK_SIGN_CONTEXT, SK_SIGN_CONTEXT_LEN) != 0)
		return SK_ERR_BAD_VERSION;
	if (len - SK_SIGN_CONTEXT_LEN > SK_INNER_MAX)
		return SK_ERR_TOO_LONG;
	rbuf_init(&r, msg + SK_SIGN_CONTEXT_LEN, len - SK_SIGN_CONTEXT_LEN);
	if ((e = decode_signed(&r, rq)) != 0 || (e = rbuf_end(&r)) != 0)
		memset(rq, 0, sizeof(*rq));
	return e;
}

int
request_signed_message(const uint8_t *inner, size_t signed_len, uint8_t *out,
    size_t cap, size_t *len)
{
	*len = 0;
	if (signed_len > SK_INNER_MAX)
		return SK_ERR_TOO_LONG;
	if (cap < SK_SIGN_CONTEXT_LEN + signed_len)
		return SK_ERR_NO_SPACE;
	memcpy(out, SK_SIGN_CONTEXT, SK_SIGN_CONTEXT_LEN);	/* with its NUL */
	memcpy(out + SK_SIGN_CONTEXT_LEN, inner, signed_len);
	*len = SK_SIGN_CONTEXT_LEN + signed_len;
	return 0;
}

static int
compute_mac1(const struct sk_server_key *k, const uint8_t *p, size_t len,
    uint8_t mac[static SK_SHA256_LEN])
{
	return crypto_hmac_sha256(k->mac1_key, sizeof(k->mac1_key), p, len, mac);
}

int
datagram_seal(const struct sk_server_key *k, const uint8_t *inner,
    size_t innerlen, const uint8_t *skE, uint8_t *out, size_t cap,
    size_t *outlen)
{
	struct hpke_ctx ctx;
	uint8_t mac[SK_SHA256_LEN];
	size_t total = SK_OUTER_OVERHEAD + innerlen;
	int r;

	*outlen = 0;
	if (innerlen < SK_INNER_MIN || innerlen > SK_INNER_MAX)
		return SK_ERR_INVALID_ARG;
	if (cap < total)
		return SK_ERR_NO_SPACE;
	if ((r = hpke_setup_base_s(&ctx, out + SK_MAC1_LEN, k->pk,
	    (const uint8_t *)HPKE_INFO, strlen(HPKE_INFO), skE)) != 0)
		goto out;
	if ((r = hpke_seal(&ctx, NULL, 0, inner, innerlen,
	    out + SK_MAC1_LEN + HPKE_ENC_LEN)) != 0)
		goto out;
	if ((r = compute_mac1(k, out + SK_MAC1_LEN, total - SK_MAC1_LEN, mac)))
		goto out;
	memcpy(out, mac, SK_MAC1_LEN);
	*outlen = total;
out:
	hpke_ctx_wipe(&ctx);
	return r;
}

static int
check(const struct sk_server_key *k, struct crypto_hmac *h, const uint8_t *p,
    size_t len)
{
	uint8_t mac[SK_SHA256_LEN];
	int r;

	if (len < SK_DATAGRAM_MIN)
		return SK_ERR_TRUNCATED;
	if (len > SK_DATAGRAM_MAX)
		return SK_ERR_TOO_LONG;
	r = h != NULL ? crypto_hmac_compute(h, p + SK_MAC1_LEN,
	    len - SK_MAC1_LEN, mac) :
	    compute_mac1(k, p + SK_MAC1_LEN, len - SK_MAC1_LEN, mac);
	if (r != 0)
		return r;
	return sk_memeq(mac, p, SK_MAC1_LEN) ? 0 : SK_ERR_BAD_MAC;
}

int
datagram_check(const struct sk_server_key *k, const uint8_t *p, size_t len)
{
	return check(k, NULL, p, len);
}

int
datagram_check_with(struct crypto_hmac *h, const uint8_t *p, size_t len)
{
	return check(NULL, h, p, len);
}

int
datagram_open(const struct sk_server_key *k, const uint8_t *p, size_t len,
    uint8_t *inner, size_t cap, size_t *innerlen)
{
	struct hpke_ctx ctx;
	size_t ctlen;
	int r;

	*innerlen = 0;
	if ((r = datagram_check(k, p, len)) != 0)
		return r;
	ctlen = len - SK_MAC1_LEN - HPKE_ENC_LEN;
	if (cap < ctlen - HPKE_TAG_LEN)
		return SK_ERR_NO_SPACE;
	if ((r = hpke_setup_base_r(&ctx, p + SK_MAC1_LEN, k->sk, k->pk,
	    (const uint8_t *)HPKE_INFO, strlen(HPKE_INFO))) == 0 &&
	    (r = hpke_open(&ctx, NULL, 0, p + SK_MAC1_LEN + HPKE_ENC_LEN, ctlen,
	    inner)) == 0)
		*innerlen = ctlen - HPKE_TAG_LEN;
	hpke_ctx_wipe(&ctx);
	return r;
}
