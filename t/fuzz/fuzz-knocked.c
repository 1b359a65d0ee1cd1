/* libFuzzer: the client's record of the grants it asked for
 * (~/.sigknock/knocked).  Whatever parses must format and parse again to
 * the same entries. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "knocked.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static struct knocked k, k2;
	static char text[KNOCKED_BYTES];
	size_t tlen, i;

	knocked_parse((const char *)p, len, &k, NULL);
	if (k.n > KNOCKED_MAX || (tlen = knocked_format(&k, text,
	    sizeof(text))) == 0)
		abort();
	knocked_parse(text, tlen, &k2, NULL);
	if (k2.n != k.n)
		abort();
	for (i = 0; i < k.n; i++)
		if (memcmp(&k.e[i], &k2.e[i], sizeof(k.e[i])) != 0)
			abort();
	return 0;
}
