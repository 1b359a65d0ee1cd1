#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto.h"
#include "hash.h"
#include "ratelimit.h"

struct slot {
	uint8_t		key[9];		/* family, then 4 or 8 address bytes */
	uint8_t		used;
	double		tokens;
	double		last;
};

struct ratelimit {
	double		src_rate, src_burst;
	uint64_t	seed;
	struct slot	slots[RL_SLOTS];
};

struct ratelimit *
ratelimit_new(double src_rate, double src_burst)
{
	struct ratelimit *rl;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->src_rate = src_rate;
	rl->src_burst = src_burst;
	/* A secret seed: a spoofer cannot aim many sources at one slot. */
	crypto_random(&rl->seed, sizeof(rl->seed));
	return rl;
}

static int
take(double *tokens, double *last, double rate, double burst, double now)
{
	if (now > *last) {
		*tokens += (now - *last) * rate;
		if (*tokens > burst)
			*tokens = burst;
	}
	*last = now;
	if (*tokens < 1.0)
		return 0;
	*tokens -= 1.0;
	return 1;
}

enum rl_verdict
ratelimit_check(struct ratelimit *rl, int family, const uint8_t *addr,
    double now)
{
	uint8_t key[9] = { 0 };
	struct slot *s, *victim = NULL;
	uint64_t h;
	size_t i;

	key[0] = (uint8_t)family;
	memcpy(key + 1, addr, family == AF_INET ? 4 : 8);	/* v6: the /64 */
	h = sk_hash(rl->seed, key, sizeof(key));
	for (i = 0; i < RL_PROBE; i++) {
		s = &rl->slots[(h + i) & (RL_SLOTS - 1)];
		if (s->used && memcmp(s->key, key, sizeof(key)) == 0)
			break;
		if (victim == NULL || !s->used || s->last < victim->last)
			victim = s;
		s = NULL;
	}
	if (s == NULL) {
		s = victim;
		memcpy(s->key, key, sizeof(key));
		s->used = 1;
		s->tokens = rl->src_burst;
		s->last = now;
	}
	if (!take(&s->tokens, &s->last, rl->src_rate, rl->src_burst, now))
		return RL_SOURCE;
	return RL_OK;
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}
