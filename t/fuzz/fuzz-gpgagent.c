/* libFuzzer: the gpg token's key memory (~/.sigknock/gpg-key-*) and
 * gpg-agent's PKSIGN answer.  The first byte picks the parser.  A memory
 * that parses formats back to text that parses to the same memory. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gpgagent.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static struct gpgcache c, c2;
	static char out[GPGCACHE_BYTES];
	static const uint8_t algos[] = { PGP_PK_RSA, PGP_PK_ECDSA, PGP_PK_EDDSA };
	uint8_t s1[PGP_MPI_MAX], s2[PGP_MPI_MAX];
	size_t s1len, s2len, n;

	if (len < 1)
		return 0;
	if (p[0] == 0) {
		if (gpgcache_parse((const char *)p + 1, len - 1, &c) != 0)
			return 0;
		if ((n = gpgcache_format(&c, out, sizeof(out))) == 0 ||
		    gpgcache_parse(out, n, &c2) != 0 ||
		    memcmp(&c, &c2, sizeof(c)) != 0)
			abort();
		return 0;
	}
	if (gpgagent_sig_parse(p + 1, len - 1, algos[p[0] % 3], s1, &s1len,
	    s2, &s2len) == 0 && (s1len == 0 || s1len > sizeof(s1) ||
	    s2len > sizeof(s2)))
		abort();
	return 0;
}
