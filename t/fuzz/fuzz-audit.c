/* libFuzzer: the audit trail's record reader (lib/audit.h), which
 * sigknockd runs on the last line of its AuditLog at start and
 * sigknock-keys audit on every line of a trail anyone may have edited.
 * Whatever parses must write back to a line that parses to the same
 * record and writes the same bytes again. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static struct audit_rec r, r2;
	static char out[AUDIT_LINE_MAX], out2[AUDIT_LINE_MAX];
	const char *what;
	size_t n, n2;

	if (audit_parse((const char *)p, len, &r, &what) != 0)
		return 0;
	if ((n = audit_format(&r, out, sizeof(out))) == 0)
		abort();
	if (audit_parse(out, n - 1, &r2, &what) != 0)
		abort();
	if ((n2 = audit_format(&r2, out2, sizeof(out2))) != n ||
	    memcmp(out, out2, n) != 0)
		abort();
	return 0;
}
