/* Bounded byte cursors.
 *
 * A reader walks a caller's (pointer, length) and checks what remains
 * before every read; a failed read leaves the out-parameter zeroed and the
 * cursor where it was.  A writer fills a caller's fixed buffer; the first
 * write that does not fit sets a sticky error, so a sequence of puts can be
 * checked once at the end with wbuf_error(). */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rbuf {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};

void	rbuf_init(struct rbuf *r, const uint8_t *p, size_t len);
size_t	rbuf_left(const struct rbuf *r);
/* Pointer to the next unread byte (valid for rbuf_left() bytes). */
const uint8_t *rbuf_ptr(const struct rbuf *r);
int	rbuf_u8(struct rbuf *r, uint8_t *v);
int	rbuf_u16(struct rbuf *r, uint16_t *v);
int	rbuf_u32(struct rbuf *r, uint32_t *v);
int	rbuf_u64(struct rbuf *r, uint64_t *v);
/* Copy n bytes out. */
int	rbuf_bytes(struct rbuf *r, uint8_t *out, size_t n);
/* Point *out at the next n bytes of the input (no copy) and skip them. */
int	rbuf_ref(struct rbuf *r, const uint8_t **out, size_t n);
int	rbuf_skip(struct rbuf *r, size_t n);
/* SK_ERR_TRAILING unless everything was read. */
int	rbuf_end(const struct rbuf *r);

struct wbuf {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 err;
};

void	wbuf_init(struct wbuf *w, uint8_t *p, size_t cap);
void	wbuf_u8(struct wbuf *w, uint8_t v);
void	wbuf_u16(struct wbuf *w, uint16_t v);
void	wbuf_u32(struct wbuf *w, uint32_t v);
void	wbuf_u64(struct wbuf *w, uint64_t v);
void	wbuf_bytes(struct wbuf *w, const void *p, size_t n);
/* Reserve n bytes and return them for the caller to fill (NULL on error). */
uint8_t	*wbuf_reserve(struct wbuf *w, size_t n);
/* 0, or the first error (SK_ERR_NO_SPACE). */
int	wbuf_error(const struct wbuf *w);

#endif
