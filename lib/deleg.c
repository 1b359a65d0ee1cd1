#include "config.h"

#include <string.h>

#include "buf.h"
#include "deleg.h"
#include "err.h"

/* The written length, or the buffer's error. */
static int
wbuf_finish(const struct wbuf *w, size_t *len)
{
	int r;

	if ((r = wbuf_error(w)) != 0)
		return r;
	*len = w->len;
	return 0;
}

static void
put_head(struct wbuf *w, const struct sk_delegation *d)
{
	size_t i;

	wbuf_u8(w, d->dtype);
	wbuf_u64(w, d->created);
	wbuf_u64(w, d->not_after);
	wbuf_bytes(w, d->epk, SK_ED25519_LEN);
	wbuf_bytes(w, d->servers, SK_DIGEST_LEN);
	wbuf_u8(w, d->n_ports);
	for (i = 0; i < d->n_ports; i++) {
		wbuf_u8(w, d->ports[i].proto);
		wbuf_u16(w, d->ports[i].port);
	}
	wbuf_u8(w, d->dest_len);
	if (d->dest_len != SK_DELEG_DEST_ANY)
		wbuf_bytes(w, d->dest, d->dest_len);
}

static int
head_ok(const struct sk_delegation *d)
{
	size_t i;

	if ((d->dtype != SK_SIGNER_OPENPGP && d->dtype != SK_SIGNER_FIDO2) ||
	    d->n_ports > SK_ACCESS_MAX || d->not_after <= d->created)
		return 0;
	if (d->dest_len != SK_DELEG_DEST_ANY && (d->dest_len > SK_DEST_MAX ||
	    strnlen(d->dest, sizeof(d->dest)) != d->dest_len ||
	    (d->dest_len > 0 && !wire_dest_name_ok(d->dest, d->dest_len))))
		return 0;
	for (i = 0; i < d->n_ports; i++)
		if ((d->ports[i].proto != 6 && d->ports[i].proto != 17) ||
		    d->ports[i].port == 0)
			return 0;
	return 1;
}

int
deleg_message(const struct sk_delegation *d, const uint8_t *signer_id,
    size_t idlen, uint8_t *out, size_t cap, size_t *len)
{
	struct wbuf w;

	*len = 0;
	if (!head_ok(d) || idlen > SK_SIGNER_ID_MAX)
		return SK_ERR_INVALID_ARG;
	wbuf_init(&w, out, cap);
	wbuf_bytes(&w, SK_DELEG_CONTEXT, SK_DELEG_CONTEXT_LEN);
	wbuf_u8(&w, SK_SIGNER_DELEGATED);
	wbuf_u8(&w, (uint8_t)idlen);
	wbuf_bytes(&w, signer_id, idlen);
	put_head(&w, d);
	return wbuf_finish(&w, len);
}

int
deleg_encode(const struct sk_delegation *d, uint8_t *out, size_t cap,
    size_t *len)
{
	struct wbuf w;

	*len = 0;
	if (!head_ok(d) || d->dsig_len == 0 || d->dsig_len > SK_DELEG_DSIG_MAX)
		return SK_ERR_INVALID_ARG;
	wbuf_init(&w, out, cap);
	put_head(&w, d);
	wbuf_u16(&w, d->dsig_len);
	wbuf_bytes(&w, d->dsig, d->dsig_len);
	wbuf_bytes(&w, d->esig, SK_ED25519_SIG_LEN);
	return wbuf_finish(&w, len);
}

int
deleg_parse(const uint8_t *p, size_t len, struct sk_delegation *d)
{
	struct rbuf r;
	size_t i;
	int e;

	memset(d, 0, sizeof(*d));
	rbuf_init(&r, p, len);
	if ((e = rbuf_u8(&r, &d->dtype)) != 0 ||
	    (e = rbuf_u64(&r, &d->created)) != 0 ||
	    (e = rbuf_u64(&r, &d->not_after)) != 0 ||
	    (e = rbuf_bytes(&r, d->epk, SK_ED25519_LEN)) != 0 ||
	    (e = rbuf_bytes(&r, d->servers, SK_DIGEST_LEN)) != 0 ||
	    (e = rbuf_u8(&r, &d->n_ports)) != 0)
		goto fail;
	if (d->n_ports > SK_ACCESS_MAX) {
		e = SK_ERR_TOO_LONG;
		goto fail;
	}
	for (i = 0; i < d->n_ports; i++)
		if ((e = rbuf_u8(&r, &d->ports[i].proto)) != 0 ||
		    (e = rbuf_u16(&r, &d->ports[i].port)) != 0)
			goto fail;
	if ((e = rbuf_u8(&r, &d->dest_len)) != 0)
		goto fail;
	if (d->dest_len > SK_DEST_MAX && d->dest_len != SK_DELEG_DEST_ANY) {
		e = SK_ERR_TOO_LONG;
		goto fail;
	}
	if (d->dest_len != SK_DELEG_DEST_ANY &&
	    (e = rbuf_bytes(&r, (uint8_t *)d->dest, d->dest_len)) != 0)
		goto fail;
	if ((e = rbuf_u16(&r, &d->dsig_len)) != 0)
		goto fail;
	if (d->dsig_len == 0 || d->dsig_len > SK_DELEG_DSIG_MAX) {
		e = d->dsig_len == 0 ? SK_ERR_BAD_FIELD : SK_ERR_TOO_LONG;
		goto fail;
	}
	if ((e = rbuf_bytes(&r, d->dsig, d->dsig_len)) != 0 ||
	    (e = rbuf_bytes(&r, d->esig, SK_ED25519_SIG_LEN)) != 0 ||
	    (e = rbuf_end(&r)) != 0)
		goto fail;
	if (!head_ok(d)) {
		e = SK_ERR_BAD_FIELD;
		goto fail;
	}
	return 0;
fail:
	memset(d, 0, sizeof(*d));
	return e;
}

int
deleg_allows(const struct sk_delegation *d, const struct sk_request *rq)
{
	static const uint8_t zero[SK_DIGEST_LEN];
	size_t i, j;

	if (memcmp(d->servers, zero, SK_DIGEST_LEN) != 0 &&
	    memcmp(d->servers, rq->server_digest, SK_DIGEST_LEN) != 0)
		return 0;
	/* Behind a gateway: the destination named, or any; the port limit
	 * is the server's own ports'. */
	if (rq->dest[0] != '\0')
		return d->dest_len == SK_DELEG_DEST_ANY ||
		    (d->dest_len == strlen(rq->dest) &&
		    memcmp(d->dest, rq->dest, d->dest_len) == 0);
	if (d->n_ports == 0)
		return 1;
	if (rq->n_access == 0)
		return 0;	/* the policy's default: not a listed port */
	for (i = 0; i < rq->n_access; i++) {
		for (j = 0; j < d->n_ports; j++)
			if (d->ports[j].proto == rq->access[i].proto &&
			    d->ports[j].port == rq->access[i].port)
				break;
		if (j == d->n_ports)
			return 0;
	}
	return 1;
}
