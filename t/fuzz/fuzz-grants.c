/* libFuzzer: the grant-owner records sigknockd keeps in StateDir and
 * reads at start.  Whatever parses must format and parse again to the
 * same records. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "grants.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct grants g, g2;
	struct grants_parse_err e;
	char *text;
	size_t tlen, i;

	if (grants_parse((const char *)p, len, &g, &e) != 0)
		return 0;
	if (grants_format(&g, &text, &tlen) != 0 ||
	    grants_parse(text, tlen, &g2, &e) != 0 || g2.n != g.n)
		abort();
	for (i = 0; i < g.n; i++)
		if (g.g[i].until != g2.g[i].until ||
		    g.g[i].nports != g2.g[i].nports ||
		    memcmp(g.g[i].addr, g2.g[i].addr, 16) != 0 ||
		    memcmp(g.g[i].id, g2.g[i].id, 32) != 0 ||
		    strcmp(g.g[i].name, g2.g[i].name) != 0 ||
		    strcmp(g.g[i].stanza, g2.g[i].stanza) != 0 ||
		    strcmp(g.g[i].dest, g2.g[i].dest) != 0 ||
		    memcmp(g.g[i].dst, g2.g[i].dst, 16) != 0 ||
		    memcmp(g.g[i].via, g2.g[i].via, sizeof(g.g[i].via)) != 0 ||
		    g.g[i].masq != g2.g[i].masq || g.g[i].once != g2.g[i].once)
			abort();
	free(text);
	grants_clear(&g);
	grants_clear(&g2);
	return 0;
}
