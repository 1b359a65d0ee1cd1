/* libFuzzer: the readers of fwknop's files (lib/fwknop.h) and the two
 * importers that map them (sigknock-keys import-fwknop, sigknock
 * --import-fwknoprc): files an admin or user copies from anywhere.  Each
 * input is read both as an access.conf and as a .fwknoprc; whatever
 * parses is mapped, users "added" by a stand-in for the keyring. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwknop.h"
#include "fwknoprc.h"
#include "import-fwknop.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

static int
user_key(void *arg, const char *home, const char *id, char *tok,
    size_t toklen)
{
	(void)arg;
	(void)home;
	if (id[0] == 'x')	/* a key that cannot be added */
		return -1;
	snprintf(tok, toklen, "%s", id);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static FILE *null;
	struct fwk_conf c;
	struct fwk_import im;
	struct fwk_rc_import rim;
	size_t i, j;

	if (null == NULL) {
		/* The reports and errors stay out of the fuzzer's output. */
		if ((null = fopen("/dev/null", "w")) == NULL)
			abort();
		sk_log_init("fuzz", 1, LOG_EMERG);
	}
	memset(&c, 0, sizeof(c));
	if (fwk_parse_access(&c, "access.conf", (const char *)p, len, 0, NULL,
	    NULL) == 0) {
		for (i = 0; i < c.n; i++)
			for (j = 0; j < c.st[i].n; j++) {
				const char *v = c.st[i].items[j].val;

				if (strlen(v) >= FWK_LINE_MAX || v[0] == '\0')
					abort();
			}
		memset(&im, 0, sizeof(im));
		im.user_key = user_key;
		im.gpg_home = "/nonexistent";
		im.tally.to = null;
		(void)fwk_import_access(&c, &im, null);
	}
	fwk_conf_free(&c);
	memset(&c, 0, sizeof(c));
	if (fwk_parse_rc(&c, ".fwknoprc", (const char *)p, len) == 0) {
		memset(&rim, 0, sizeof(rim));
		rim.port = "62202";
		rim.tally.to = null;
		(void)fwk_import_rc(&c, &rim, null);
	}
	fwk_conf_free(&c);
	return 0;
}
