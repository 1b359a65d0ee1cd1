/* The per-source rate limit applied before any public-key work: a token
 * bucket per source (IPv4 address, IPv6 /64) in a fixed-size table.  A
 * full table evicts the stalest source, so memory stays bounded under
 * spoofed floods.  What all sources together may spend is bounded by the
 * verification budget and shared fairly by the queue (fairq.h). */
#ifndef SK_RATELIMIT_H
#define SK_RATELIMIT_H

#include <stdint.h>

#define RL_SLOTS	8192	/* power of two */
#define RL_PROBE	8

enum rl_verdict {
	RL_OK = 0,
	RL_SOURCE,	/* this source is over its rate */
};

struct ratelimit;

struct ratelimit *ratelimit_new(double src_rate, double src_burst);
enum rl_verdict ratelimit_check(struct ratelimit *rl, int family,
	    const uint8_t *addr, double now);
void	ratelimit_free(struct ratelimit *rl);

#endif
