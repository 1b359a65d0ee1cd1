/* libFuzzer: FIDO2 enrollment/credential records (keys/, the daemon's
 * store, the client's file).  Whatever parses must format and parse
 * again to the same records. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fido2.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static char buf[FIDO2_RECORDS_MAX * 2048];
	struct fido2_record *r, *r2;
	struct fido2_parse_err e;
	size_t n, n2, i, off = 0;

	if (fido2_parse((const char *)p, len, &r, &n, &e) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (fido2_format(&r[i], buf, sizeof(buf), &off) != 0)
			abort();
	if (fido2_parse(buf, off, &r2, &n2, &e) != 0 || n2 != n)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, r2[i].name) != 0 ||
		    r[i].credlen != r2[i].credlen ||
		    memcmp(r[i].cred, r2[i].cred, r[i].credlen) != 0 ||
		    r[i].pklen != r2[i].pklen || r[i].alg != r2[i].alg ||
		    strcmp(r[i].revoked, r2[i].revoked) != 0 ||
		    strcmp(r[i].device, r2[i].device) != 0)
			abort();
	free(r);
	free(r2);
	return 0;
}
