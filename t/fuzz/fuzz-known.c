/* libFuzzer: the known sources file sigknockd keeps in StateDir and reads
 * at start.  Whatever parses must format and parse again to as many
 * sources, each of them known. */
#include "config.h"

#include <stdlib.h>

#include "known.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

static struct known *k2;

static void
check(void *arg, int family, const uint8_t *addr, time_t seen)
{
	(void)arg;
	(void)seen;
	if (!known_has(k2, family, addr))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static char text[KNOWN_BYTES];
	struct known *k = known_new();
	size_t tlen;

	k2 = known_new();
	if (k == NULL || k2 == NULL)
		abort();
	known_parse(k, (const char *)p, len, NULL);
	if ((tlen = known_format(k, text, sizeof(text))) == 0)
		abort();
	known_parse(k2, text, tlen, NULL);
	if (known_count(k2) != known_count(k))
		abort();
	known_each(k, check, NULL);
	known_free(k);
	known_free(k2);
	return 0;
}
