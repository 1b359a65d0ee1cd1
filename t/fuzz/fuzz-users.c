/* libFuzzer: the user ledger (keys/users.h), which sigknockd reads as
 * root.  Whatever parses must format and parse again to the same lines. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct users u, u2;
	struct users_parse_err e;
	char *text;
	size_t tlen, i;

	if (users_parse((const char *)p, len, &u, &e) != 0)
		return 0;
	if (users_format(&u, &text, &tlen) != 0 ||
	    users_parse(text, tlen, &u2, &e) != 0 || u2.n != u.n)
		abort();
	for (i = 0; i < u.n; i++)
		if (memcmp(u.e[i].fpr, u2.e[i].fpr, sizeof(u.e[i].fpr)) != 0 ||
		    strcmp(u.e[i].name, u2.e[i].name) != 0 ||
		    u.e[i].revoked != u2.e[i].revoked ||
		    strcmp(u.e[i].since, u2.e[i].since) != 0 ||
		    strcmp(u.e[i].how, u2.e[i].how) != 0)
			abort();
	free(text);
	users_clear(&u);
	users_clear(&u2);
	return 0;
}
