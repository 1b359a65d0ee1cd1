/* Bounded readers and writers, big-endian helpers, errors, wiping. */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "endian.h"
#include "err.h"
#include "log.h"
#include "tap.h"
#include "wipe.h"

int
main(void)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	uint8_t out[16], small[3], got[4];
	const uint8_t *ref;
	struct rbuf r;
	struct wbuf w;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int code;

	plan(33);

	rbuf_init(&r, in, sizeof(in));
	is_int(0, rbuf_u8(&r, &u8), "u8 read");
	is_int(0x01, u8, "u8 value");
	is_int(0, rbuf_u16(&r, &u16), "u16 read");
	is_int(0x0203, u16, "u16 is big-endian");
	is_int(0, rbuf_u32(&r, &u32), "u32 read");
	is_int(0x04050607, u32, "u32 is big-endian");
	is_int(0, rbuf_u64(&r, &u64), "u64 read");
	ok(u64 == 0x08090a0b0c0d0e0fULL, "u64 is big-endian");
	is_int(0, rbuf_left(&r), "nothing left");
	is_int(0, rbuf_end(&r), "end accepted when all read");

	rbuf_init(&r, in, 3);
	u32 = 0xdeadbeef;
	is_int(SK_ERR_TRUNCATED, rbuf_u32(&r, &u32), "short read refused");
	is_int(0, u32, "failed read zeroes the out-parameter");
	is_int(3, rbuf_left(&r), "failed read does not move the cursor");
	is_int(SK_ERR_TRAILING, rbuf_end(&r), "unread bytes are trailing");
	is_int(SK_ERR_TRUNCATED, rbuf_skip(&r, 4), "skip past end refused");
	is_int(SK_ERR_TRUNCATED, rbuf_ref(&r, &ref, (size_t)-1),
	    "huge length cannot wrap the bound check");
	ok(ref == NULL, "failed ref gives NULL");
	is_int(0, rbuf_bytes(&r, small, 3), "exact-size copy");
	is_blob(in, small, 3, "copied bytes");
	rbuf_init(&r, NULL, 5);
	is_int(0, rbuf_left(&r), "NULL input has no bytes");

	wbuf_init(&w, out, 7);
	wbuf_u8(&w, 0xaa);
	wbuf_u16(&w, 0xbbcc);
	wbuf_u32(&w, 0x11223344);
	is_int(0, wbuf_error(&w), "writes that fit succeed");
	is_int(7, w.len, "writer length");
	wbuf_u8(&w, 0xff);
	is_int(SK_ERR_NO_SPACE, wbuf_error(&w), "overflowing write sets the error");
	wbuf_init(&w, out, 1);
	wbuf_u16(&w, 1);
	wbuf_u8(&w, 1);
	is_int(1, wbuf_error(&w) == SK_ERR_NO_SPACE && w.len == 0,
	    "error is sticky: later writes that would fit are dropped");

	be32enc(got, 0xa1b2c3d4);
	is_int(0xa1b2c3d4, be32dec(got), "be32 round trip");

	memset(out, 0x5a, sizeof(out));
	sk_wipe(out, sizeof(out));
	memset(got, 0, sizeof(got));
	ok(out[0] == 0 && out[15] == 0, "sk_wipe zeroes");
	ok(sk_memeq(in, in, sizeof(in)) && !sk_memeq(in, in + 1, 4),
	    "constant-time compare");

	code = 0;
	for (int e = SK_OK; e >= SK_ERR_LAST; e--)
		if (strcmp(sk_strerror(e), "unknown error code") == 0)
			code = e ? e : 1;
	is_int(0, code, "every error code has a message");
	is_string("unknown error code", sk_strerror(-1000), "unknown code named");
	sk_freezero(NULL, 10);
	ok(1, "freezero(NULL) is a no-op");

	/* Rate-limited logging: a burst of 3 gets through, then nothing
	 * until the bucket refills (1 a second); messages go to stderr. */
	{
		struct sk_ratelimit rl = SK_RATELIMIT_INIT(1, 3);
		int logged = 0, i;

		sk_log_init("001-buf", 1, LOG_INFO);
		for (i = 0; i < 100; i++)
			logged += sk_log_rl(&rl, LOG_NOTICE, "attacker-triggered %d", i);
		is_int(3, logged, "rate limiter lets the burst through, then holds");
		is_int(97, (long long)rl.suppressed, "and counts what it held back");
		sk_log_set_level(LOG_WARNING);
		is_int(0, sk_log_rl(&rl, LOG_INFO, "below the level"),
		    "messages below the log level are not logged");
	}
	return 0;
}
