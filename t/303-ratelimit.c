/* The per-source rate limit before public-key work: per IPv4 address and
 * IPv6 /64, refill over time, bounded table under spoofed floods. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "crypto.h"
#include "ratelimit.h"
#include "tap.h"

int
main(void)
{
	struct ratelimit *rl;
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 }, v6[16];
	int i, okc;

	plan(8);
	crypto_init();
	if ((rl = ratelimit_new(5, 10)) == NULL)
		bail("ratelimit_new");
	for (okc = i = 0; i < 30; i++)
		okc += ratelimit_check(rl, AF_INET, a, 100.0) == RL_OK;
	is_int(10, okc, "a source gets its burst of 10, then is refused");
	is_int(RL_SOURCE, ratelimit_check(rl, AF_INET, a, 100.0),
	    "refused for its own rate");
	is_int(RL_OK, ratelimit_check(rl, AF_INET, b, 100.0),
	    "another source is not affected");
	is_int(RL_OK, ratelimit_check(rl, AF_INET, a, 100.3),
	    "after 0.3 s at 5/s the source has a token again");
	is_int(RL_SOURCE, ratelimit_check(rl, AF_INET, a, 100.3),
	    "but only one");

	/* IPv6: the whole /64 is one source. */
	memset(v6, 0, sizeof(v6));
	v6[0] = 0xfd;
	for (okc = i = 0; i < 30; i++) {
		v6[15] = (uint8_t)i;	/* different interface identifiers */
		okc += ratelimit_check(rl, AF_INET6, v6, 200.0) == RL_OK;
	}
	is_int(10, okc, "IPv6 addresses in one /64 share one budget");
	v6[7] = 1;
	is_int(RL_OK, ratelimit_check(rl, AF_INET6, v6, 200.0),
	    "another /64 has its own");
	ratelimit_free(rl);

	rl = ratelimit_new(5, 10);
	/* 100,000 distinct sources: the table stays bounded, nothing breaks. */
	for (i = 0; i < 100000; i++) {
		uint8_t s[16] = { 198, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
		    (uint8_t)i };
		ratelimit_check(rl, AF_INET, s, 400.0 + i * 1e-5);
	}
	is_int(RL_OK, ratelimit_check(rl, AF_INET, b, 1000.0),
	    "after 100,000 spoofed sources a real one still gets through");
	ratelimit_free(rl);
	return 0;
}
