/* The client's record of the grants it asked for (~/.sigknock/knocked):
 * parse, format, lookup by server, knock port, bound address and service,
 * expiry, replacement, a full table, and lines that do not parse. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knocked.h"
#include "tap.h"
#include "wire.h"

static struct knocked_entry
entry(const char *server, unsigned kport, const char *bound, unsigned port,
    long long until)
{
	struct knocked_entry e;

	memset(&e, 0, sizeof(e));
	e.family = strchr(server, ':') ? AF_INET6 : AF_INET;
	inet_pton(e.family, server, e.server);
	e.kport = (uint16_t)kport;
	if (bound == NULL)
		e.bfamily = SK_ADDR_SOURCE;
	else if (strchr(bound, ':')) {
		e.bfamily = SK_ADDR_IPV6;
		inet_pton(AF_INET6, bound, e.bound);
	} else {
		e.bfamily = SK_ADDR_IPV4;
		inet_pton(AF_INET, bound, e.bound);
	}
	e.proto = 6;
	e.port = (uint16_t)port;
	e.until = until;
	return e;
}

int
main(void)
{
	static struct knocked k, k2;
	static char text[KNOCKED_BYTES];
	static const char file[] =
	    "# comment\n"
	    "10.0.0.1 62201 192.0.2.7 tcp/22 1000\n"
	    "fd77:1::1 62201 fd77:1::2 tcp/22 2000\n"
	    "10.0.0.1 62201 source udp/53 3000\n"
	    "10.0.0.1 0 192.0.2.7 tcp/22 1000\n"		/* knock port 0 */
	    "10.0.0.1 62201 192.0.2.7 tcp/22\n"		/* no time */
	    "10.0.0.1 62201 192.0.2.7 icmp/1 1000\n"	/* not a service */
	    "10.0.0.1 62201 192.0.2.7 tcp/22 -5\n"		/* negative */
	    "host 62201 192.0.2.7 tcp/22 1000\n"		/* not an address */
	    "10.0.0.1 62201 192.0.2.7 tcp/22 1000 x\n"	/* extra field */
	    "10.0.0.1 62201 192.0.2.7 tcp/22 1000";	/* no newline */
	struct knocked_entry e, w;
	size_t bad, len, i;

	plan(21);
	knocked_parse(file, sizeof(file) - 1, &k, &bad);
	is_int(3, (long long)k.n, "three lines parse (the last repeats the "
	    "first and replaces it)");
	is_int(6, (long long)bad, "six are skipped, each for its reason");
	w = entry("10.0.0.1", 62201, "192.0.2.7", 22, 0);
	ok(knocked_find(&k, &w, 1000) != NULL, "found until its end");
	ok(knocked_find(&k, &w, 1001) == NULL, "not after it");
	w = entry("10.0.0.1", 62202, "192.0.2.7", 22, 0);
	ok(knocked_find(&k, &w, 0) == NULL, "another knock port: not found");
	w = entry("10.0.0.1", 62201, "192.0.2.8", 22, 0);
	ok(knocked_find(&k, &w, 0) == NULL, "another bound address: not found");
	w = entry("10.0.0.1", 62201, "192.0.2.7", 23, 0);
	ok(knocked_find(&k, &w, 0) == NULL, "another port: not found");
	w = entry("10.0.0.2", 62201, "192.0.2.7", 22, 0);
	ok(knocked_find(&k, &w, 0) == NULL, "another server: not found");
	w = entry("fd77:1::1", 62201, "fd77:1::2", 22, 0);
	ok(knocked_find(&k, &w, 2000) != NULL, "IPv6 entries");
	w = entry("10.0.0.1", 62201, NULL, 53, 0);
	w.proto = 17;
	ok(knocked_find(&k, &w, 3000) != NULL, "source mode, udp");
	w.proto = 6;
	ok(knocked_find(&k, &w, 0) == NULL, "tcp/53 is not udp/53");

	len = knocked_format(&k, text, sizeof(text));
	ok(len > 0, "formats");
	knocked_parse(text, len, &k2, &bad);
	ok(k2.n == k.n && bad == 0 && memcmp(k.e, k2.e, k.n * sizeof(k.e[0]))
	    == 0, "and parses back to the same entries");

	knocked_prune(&k, 2000);
	is_int(2, (long long)k.n, "prune forgets what ended before now");
	e = entry("10.0.0.1", 62201, NULL, 53, 9000);
	e.proto = 17;
	knocked_add(&k, &e);
	is_int(2, (long long)k.n, "a new knock for the same grant replaces it");
	ok(knocked_find(&k, &e, 9000) != NULL, "with its new end");

	k.n = 0;
	for (i = 0; i < KNOCKED_MAX; i++) {
		e = entry("10.0.0.1", 62201, "192.0.2.7", (unsigned)i + 1,
		    (long long)(100 + i));
		knocked_add(&k, &e);
	}
	e = entry("10.0.0.1", 62201, "192.0.2.7", 60000, 5000);
	knocked_add(&k, &e);
	w = entry("10.0.0.1", 62201, "192.0.2.7", 1, 0);
	ok(k.n == KNOCKED_MAX && knocked_find(&k, &e, 0) != NULL &&
	    knocked_find(&k, &w, 0) == NULL, "full: the entry that ends first "
	    "makes room");
	len = knocked_format(&k, text, sizeof(text));
	ok(len > 0, "a full table of IPv4 entries fits the file limit");
	for (i = 0; i < KNOCKED_MAX; i++) {
		e = entry("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1", 65535,
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff2", (unsigned)i + 1,
		    9223372036854775807LL);
		e.proto = 17;
		k.e[i] = e;
	}
	ok(knocked_format(&k, text, sizeof(text)) > 0, "so does a table of "
	    "the longest IPv6 entries");

	/* The file itself: 0600 in a 0700 directory under $HOME. */
	{
		char dir[] = "/tmp/sk-knocked-XXXXXX", path[256];
		struct stat st;
		int r;

		if (mkdtemp(dir) == NULL)
			bail("mkdtemp");
		setenv("HOME", dir, 1);
		k.n = 1;
		r = knocked_save(&k);
		snprintf(path, sizeof(path), "%s/%s", dir, KNOCKED_FILE);
		ok(r == 0 && stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
		    "saved 0600");
		knocked_load(&k2);
		ok(k2.n == 1 && memcmp(&k2.e[0], &k.e[0], sizeof(k.e[0])) == 0,
		    "and loaded back");
		unlink(path);
		snprintf(path, sizeof(path), "%s/.sigknock", dir);
		rmdir(path);
		rmdir(dir);
	}
	return 0;
}
