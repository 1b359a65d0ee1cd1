/* Hex fields of the token emulators' state files (test helpers only). */
#ifndef SK_HEXIO_H
#define SK_HEXIO_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline void
hexio_put(FILE *f, const uint8_t *p, size_t n)
{
	while (n-- > 0)
		fprintf(f, "%02x", *p++);
}

/* Decode pairs of hex digits from s until one is not, or cap bytes;
 * returns how many bytes.  A field is whole when 2 * that == strlen(s). */
static inline size_t
hexio_get(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && s[0] != '\n' && n < cap &&
	    sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

#endif
