/* FIDO2 sign counters (fido2ctr.h): direct knocks must rise; a
 * delegation is checked once against the counters recorded before it was
 * made, so that it survives a restart and direct knocks made between its
 * creation and its first use here, while a clone's counter from behind
 * is still refused; the file keeps all of it, the first format loads,
 * and a damaged file is refused rather than forgotten. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fido2ctr.h"
#include "tap.h"

#define SKEW	120
#define A1HEX	"A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1"
#define T0	1800000000

static char dir[] = "/tmp/sigknock-309.XXXXXX";
static uint8_t alice[FIDO2_ID_LEN], bob[FIDO2_ID_LEN];

static struct fido2_counters *
reopen(struct fido2_counters *c)
{
	struct fido2_counters *n;

	fido2_counters_free(c);
	if (fido2_counters_open(dir, &n) != 0)
		bail("reopen");
	return n;
}

static int
direct(struct fido2_counters *c, const uint8_t *id, uint32_t ctr, time_t t)
{
	uint32_t last;

	return fido2_counters_check(c, id, ctr, t, &last);
}

static int
deleg(struct fido2_counters *c, const uint8_t *id, uint32_t ctr, int which,
    uint64_t created, time_t now)
{
	uint8_t dg[32];
	uint32_t last;

	memset(dg, which, sizeof(dg));
	return fido2_counters_deleg(c, id, ctr, dg, created, created + 3600,
	    SKEW, now, &last);
}

static void
write_file(const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, FIDO2_COUNTERS_FILE);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0)
		bail("write %s", path);
}

int
main(void)
{
	struct fido2_counters *c;
	char path[256], line[600];
	uint32_t last;
	int i, r;

	plan(27);
	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	memset(alice, 0xa1, sizeof(alice));
	memset(bob, 0xb0, sizeof(bob));
	if (fido2_counters_open(dir, &c) != 0)
		bail("open");

	/* Direct knocks. */
	ok(direct(c, alice, 10, T0) == 0, "a first counter is accepted");
	ok(direct(c, alice, 11, T0 + 10) == 0, "... a higher one");
	r = fido2_counters_check(c, alice, 11, T0 + 20, &last);
	ok(r == SK_ERR_FIDO2_COUNTER && last == 11, "the same again is "
	    "refused, naming the last");
	ok(direct(c, alice, 5, T0 + 20) == SK_ERR_FIDO2_COUNTER, "a lower "
	    "one is refused");
	ok(direct(c, bob, 0, T0) == 0 && direct(c, bob, 0, T0 + 1) == 0,
	    "a key that keeps no counter (0) is accepted while it shows none");

	/* A delegation made at T0 + 100 with counter 12, first seen here
	 * after two direct knocks made later (13, 14). */
	ok(direct(c, alice, 13, T0 + 400) == 0 &&
	    direct(c, alice, 14, T0 + 500) == 0, "two direct knocks later");
	ok(deleg(c, alice, 12, 1, T0 + 180, T0 + 600) == 0,
	    "a delegation made before them, with a lower counter, is "
	    "accepted at its first use");
	ok(deleg(c, alice, 12, 1, T0 + 180, T0 + 700) == 0,
	    "... and again without a check (seen)");
	c = reopen(c);
	ok(deleg(c, alice, 12, 1, T0 + 180, T0 + 800) == 0,
	    "... after a restart too");
	ok(direct(c, alice, 14, T0 + 800) == SK_ERR_FIDO2_COUNTER &&
	    direct(c, alice, 15, T0 + 800) == 0, "the highest counter "
	    "survived the restart (14 refused, 15 accepted)");

	/* A clone from behind: a delegation dated after counters higher
	 * than its own were recorded. */
	r = fido2_counters_deleg(c, alice, 13, (uint8_t[32]){ 2 },
	    T0 + 500 + SKEW + 1, T0 + 5000, SKEW, T0 + 900, &last);
	ok(r == SK_ERR_FIDO2_COUNTER && last == 14, "a delegation whose "
	    "counter (13) is not above what was recorded before it was made "
	    "(14) is refused");
	ok(deleg(c, alice, 14, 3, T0 + 100, T0 + 900) == SK_ERR_FIDO2_COUNTER,
	    "one showing a counter already seen (14) is refused");
	ok(deleg(c, alice, 12, 4, T0 + 100, T0 + 900) == SK_ERR_FIDO2_COUNTER,
	    "... as is another delegation with the counter of a live one (12)");
	ok(deleg(c, alice, 16, 5, T0 + 900, T0 + 900) == 0 &&
	    direct(c, alice, 16, T0 + 901) == SK_ERR_FIDO2_COUNTER,
	    "a new delegation above them all raises the highest counter");
	ok(deleg(c, alice, 0, 6, T0 + 900, T0 + 900) == SK_ERR_FIDO2_COUNTER,
	    "a counter of 0 from a key that showed counters is refused");
	ok(deleg(c, bob, 0, 7, T0 + 900, T0 + 900) == 0, "... and accepted "
	    "from one that never did");

	/* A history of FIDO2_HISTORY: older counters are summed up in its
	 * base, which stays an upper bound. */
	for (i = 0; i < FIDO2_HISTORY + 4; i++)
		if (direct(c, alice, 100 + 2 * (uint32_t)i, T0 + 10000 +
		    (time_t)i * 10) != 0)
			bail("history");
	ok(deleg(c, alice, 101, 8, T0 + 10000 + SKEW + 15, T0 + 10300) ==
	    SK_ERR_FIDO2_COUNTER, "a delegation from before what the history "
	    "still holds is judged by its base (refused, not forgotten)");
	ok(deleg(c, alice, 121, 9, T0 + 10100 + SKEW + 5, T0 + 10300) == 0,
	    "one within the history is judged by it");

	/* Ended delegations leave the file. */
	c = reopen(c);
	snprintf(path, sizeof(path), "%s/%s", dir, FIDO2_COUNTERS_FILE);
	ok(deleg(c, bob, 0, 10, T0 + 100000, T0 + 100000) == 0, "a delegation "
	    "far later");
	{
		FILE *f = fopen(path, "r");
		int n = 0, of1 = 0;

		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "deleg ", 6) == 0) {
				n++;
				of1 += strstr(line, "0101010101") != NULL;
			}
		if (f != NULL)
			fclose(f);
		ok(n == 1 && of1 == 0, "... leaves only itself in the file: "
		    "the ended ones are gone");
	}
	ok(deleg(c, alice, 12, 1, T0 + 180, T0 + 100001) ==
	    SK_ERR_FIDO2_COUNTER, "... so an ended delegation is not taken "
	    "for seen any more");
	fido2_counters_free(c);

	/* The first format: "ID COUNTER" lines only. */
	write_file(A1HEX " 42\n");
	ok(fido2_counters_open(dir, &c) == 0, "a file of the first format "
	    "loads");
	ok(deleg(c, alice, 41, 11, T0 + 1000, T0 + 1000) ==
	    SK_ERR_FIDO2_COUNTER, "... its counter counts as recorded before "
	    "any delegation");
	ok(direct(c, alice, 42, T0) == SK_ERR_FIDO2_COUNTER &&
	    direct(c, alice, 43, T0) == 0, "... and for direct knocks");
	fido2_counters_free(c);

	/* Damage is refused, never forgotten. */
	write_file(A1HEX " 42\n" A1HEX " at 5 40\n");
	ok(fido2_counters_open(dir, &c) == SK_ERR_BAD_FIELD, "a history "
	    "that falls is refused");
	write_file(A1HEX " 42\n" A1HEX " at 5 43\n");
	ok(fido2_counters_open(dir, &c) == SK_ERR_BAD_FIELD, "... one that "
	    "does not end with the counter of its first line");
	write_file("deleg 00 11 1 2\n");
	ok(fido2_counters_open(dir, &c) == SK_ERR_BAD_FIELD, "... a "
	    "delegation line with short digests");

	unlink(path);
	rmdir(dir);
	return 0;
}
