#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void
sk_wipe(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	{
		/* A volatile function pointer the optimizer cannot see through. */
		static void *(*const volatile memset_v)(void *, int, size_t) = memset;
		memset_v(p, 0, n);
	}
#endif
}

void
sk_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	sk_wipe(p, n);
	free(p);
}

int
sk_memeq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
