#include "config.h"

#include <string.h>

#include "buf.h"
#include "endian.h"
#include "err.h"

void
rbuf_init(struct rbuf *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p == NULL ? 0 : len;
	r->off = 0;
}

size_t
rbuf_left(const struct rbuf *r)
{
	return r->len - r->off;
}

const uint8_t *
rbuf_ptr(const struct rbuf *r)
{
	return r->p + r->off;
}

/* Point at n readable bytes and advance, or fail without moving. */
static const uint8_t *
take(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	if (n > r->len - r->off)
		return NULL;
	p = r->p + r->off;
	r->off += n;
	return p;
}

int
rbuf_u8(struct rbuf *r, uint8_t *v)
{
	const uint8_t *p = take(r, 1);

	*v = p ? p[0] : 0;
	return p ? 0 : SK_ERR_TRUNCATED;
}

int
rbuf_u16(struct rbuf *r, uint16_t *v)
{
	const uint8_t *p = take(r, 2);

	*v = p ? be16dec(p) : 0;
	return p ? 0 : SK_ERR_TRUNCATED;
}

int
rbuf_u32(struct rbuf *r, uint32_t *v)
{
	const uint8_t *p = take(r, 4);

	*v = p ? be32dec(p) : 0;
	return p ? 0 : SK_ERR_TRUNCATED;
}

int
rbuf_u64(struct rbuf *r, uint64_t *v)
{
	const uint8_t *p = take(r, 8);

	*v = p ? be64dec(p) : 0;
	return p ? 0 : SK_ERR_TRUNCATED;
}

int
rbuf_bytes(struct rbuf *r, uint8_t *out, size_t n)
{
	const uint8_t *p = take(r, n);

	if (p == NULL) {
		memset(out, 0, n);
		return SK_ERR_TRUNCATED;
	}
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
rbuf_ref(struct rbuf *r, const uint8_t **out, size_t n)
{
	*out = take(r, n);
	return *out ? 0 : SK_ERR_TRUNCATED;
}

int
rbuf_skip(struct rbuf *r, size_t n)
{
	return take(r, n) ? 0 : SK_ERR_TRUNCATED;
}

int
rbuf_end(const struct rbuf *r)
{
	return r->off == r->len ? 0 : SK_ERR_TRAILING;
}

void
wbuf_init(struct wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p == NULL ? 0 : cap;
	w->len = 0;
	w->err = 0;
}

uint8_t *
wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t *p;

	if (w->err != 0)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = SK_ERR_NO_SPACE;
		return NULL;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	uint8_t *p = wbuf_reserve(w, 1);

	if (p)
		p[0] = v;
}

void
wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *p = wbuf_reserve(w, 2);

	if (p)
		be16enc(p, v);
}

void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *p = wbuf_reserve(w, 4);

	if (p)
		be32enc(p, v);
}

void
wbuf_u64(struct wbuf *w, uint64_t v)
{
	uint8_t *p = wbuf_reserve(w, 8);

	if (p)
		be64enc(p, v);
}

void
wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p = wbuf_reserve(w, n);

	if (p && n > 0)
		memcpy(p, src, n);
}

int
wbuf_error(const struct wbuf *w)
{
	return w->err;
}
