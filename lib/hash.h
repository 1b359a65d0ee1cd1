/* A seeded 64-bit hash for in-memory tables keyed by addresses.  With a
 * secret seed a sender cannot aim many keys at one bucket.  Not a MAC. */
#ifndef SK_HASH_H
#define SK_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t
sk_hash(uint64_t seed, const uint8_t *k, size_t n)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

#endif
