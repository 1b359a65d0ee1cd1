/* Expires in the access file (sigknock-access.conf(5)): the UTC dates it
 * takes, to the second and with no time zone read, the ones it refuses,
 * and that an expired stanza matches no one, so that the next stanza
 * naming the user decides, and the refusal says which stanza expired
 * when.  access_match serves the worker and the monitor alike. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "tap.h"

static struct access *
load(const char *text)
{
	char path[] = "/tmp/sigknock-310.XXXXXX";
	struct access *a = NULL;
	int fd;

	if ((fd = mkstemp(path)) < 0 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text))
		bail("access file");
	close(fd);
	if (access_load(path, &a) != 0)
		a = NULL;
	unlink(path);
	return a;
}

/* A lone stanza with the Expires line: alice is refused, and why. */
static void
expired(const char *line, const char *when, const char *what)
{
	struct access_who who = { "alice", NULL, NULL, NULL };
	struct access_addr ad;
	struct access *a;
	uint8_t src[4] = { 192, 0, 2, 7 };
	char text[256], why[256], want[128];

	memset(&ad, 0, sizeof(ad));
	ad.src_family = ad.bound_family = AF_INET;
	ad.src = ad.bound = src;
	snprintf(text, sizeof(text), "[old]\nUsers alice\nOpen tcp/22\n%s\n",
	    line);
	snprintf(want, sizeof(want), "[old]: expired on %s UTC", when);
	if ((a = load(text)) == NULL) {
		ok(0, "%s (the file loads)", what);
		return;
	}
	if (access_match(a, &who, &ad, why, sizeof(why)) != NULL)
		snprintf(why, sizeof(why), "(matched)");
	is_string(want, why, "%s", what);
	access_free(a);
}

int
main(void)
{
	static const struct { const char *s; long long t; } good[] = {
		{ "1970-01-01", 0 },
		{ "2000-02-29", 951782400 },
		{ "2024-02-29 23:59", 1709251140 },
		{ "2027-06-30 12:34:56", 1814358896 },
		{ "2038-01-19 03:14:08", 2147483648LL },
		{ "9999-12-31 23:59:59", 253402300799LL },
	};
	static const char *bad[] = {
		"", "2027-6-30", "2027-06-31", "2023-02-29", "1900-02-29",
		"2027-13-01", "2027-00-10", "1969-12-31", "2027-06-30T00:00",
		"2027-06-30 24:00", "2027-06-30 12:60", "2027-06-30 12:00:60",
		"06/30/2027", "2027-06-30 12", "2027-06-30 12:00:0x",
		"+027-06-30", "2027-06-30 ",
	};
	struct access_who who = { "alice", NULL, NULL, NULL };
	struct access_addr ad;
	const struct access_rule *r;
	struct access *a;
	uint8_t src[4];
	char text[512], why[256];
	size_t i;

	plan(sizeof(good) / sizeof(good[0]) + sizeof(bad) / sizeof(bad[0]) +
	    9);
	setenv("TZ", "America/New_York", 1);	/* must not matter */
	tzset();
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(good[i].t, access_parse_expires(good[i].s), "Expires "
		    "'%s' is %lld", good[i].s, good[i].t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(-1, access_parse_expires(bad[i]), "Expires '%s' "
		    "refused", bad[i]);

	inet_pton(AF_INET, "192.0.2.7", src);
	memset(&ad, 0, sizeof(ad));
	ad.src_family = ad.bound_family = AF_INET;
	ad.src = ad.bound = src;

	/* An expired stanza is passed over; the next one naming her
	 * decides. */
	a = load("[old]\nUsers alice\nOpen tcp/22, tcp/3389\n"
	    "Expires 2001-01-01 00:00:01\n"
	    "[new]\nUsers alice, bob\nOpen tcp/22\n");
	ok(a != NULL, "a file with a stanza expired in 2001 loads");
	r = a ? access_match(a, &who, &ad, why, sizeof(why)) : NULL;
	is_string("new", r ? r->name : "(none)", "the expired stanza matches "
	    "no one: the next decides");
	access_free(a);

	/* Alone, it refuses, and says why, the date written back without
	 * the C library's time functions (the worker's sandbox). */
	expired("Expires 2001-01-01", "2001-01-01 00:00:00",
	    "the refusal names the stanza and when it expired");
	expired("Expires 2000-02-29 23:59:59", "2000-02-29 23:59:59",
	    "a leap day's last second, formatted back");
	expired("Expires 1999-12-31 00:00:01", "1999-12-31 00:00:01",
	    "the eve of 2000, formatted back");

	/* One that expires in a minute still matches. */
	{
		time_t t = time(NULL) + 60;
		struct tm tm;
		char when[32];

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(text, sizeof(text), "[soon]\nUsers alice\n"
		    "Open tcp/22\nExpires %s\n", when);
	}
	a = load(text);
	r = a ? access_match(a, &who, &ad, why, sizeof(why)) : NULL;
	is_string("soon", r ? r->name : "(none)", "a stanza that expires "
	    "in a minute still matches");
	access_free(a);

	/* A wrong value names the problem and the file does not load. */
	ok(load("[x]\nUsers alice\nOpen tcp/22\nExpires 06/30/2027\n") ==
	    NULL, "Expires in fwknop's MM/DD/YYYY is refused");
	ok(load("[x]\nUsers alice\nOpen tcp/22\nExpires never\n") == NULL,
	    "Expires never is refused");
	ok(load("[x]\nUsers alice\nOpen tcp/22\nExpires 2027-02-30\n") ==
	    NULL, "a day February does not have is refused");
	return 0;
}
