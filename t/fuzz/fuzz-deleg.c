/* libFuzzer: the delegation in a type-3 request's signature field
 * (PROTOCOL.md 4.3), parsed by the worker from hostile bytes.  Whatever
 * parses encodes back to the same bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "deleg.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct sk_delegation d;
	uint8_t out[SK_SIG_MAX];
	size_t olen;

	if (deleg_parse(p, len, &d) != 0)
		return 0;
	if (deleg_encode(&d, out, sizeof(out), &olen) != 0 || olen != len ||
	    memcmp(out, p, len) != 0)
		abort();
	return 0;
}
