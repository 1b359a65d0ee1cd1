#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include "knocked.h"
#include "addr.h"
#include "conf.h"
#include "err.h"
#include "fileio.h"
#include "log.h"
#include "wire.h"

/* One line: SERVER KNOCKPORT BOUND|source PROTO/PORT UNTIL, e.g.
 * "10.0.0.1 62201 192.0.2.7 tcp/22 1795000000". */

static int
parse_num(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end == '\0' && errno == 0 && *v <= max ? 0 : -1;
}

static int
parse_line(char *line, struct knocked_entry *e)
{
	char *f[6], *save = NULL, *s;
	unsigned long long v;
	int fam, n = 0;

	for (s = strtok_r(line, " \t", &save); s != NULL && n < 6;
	    s = strtok_r(NULL, " \t", &save))
		f[n++] = s;
	if (n != 5)
		return -1;
	memset(e, 0, sizeof(*e));
	if (sk_addr_parse(f[0], &fam, e->server) != 0 ||
	    parse_num(f[1], 65535, &v) != 0 || v == 0)
		return -1;
	e->family = (uint8_t)fam;
	e->kport = (uint16_t)v;
	if (strcmp(f[2], "source") == 0)
		e->bfamily = SK_ADDR_SOURCE;
	else if (sk_addr_parse(f[2], &fam, e->bound) == 0)
		e->bfamily = fam == AF_INET ? SK_ADDR_IPV4 : SK_ADDR_IPV6;
	else
		return -1;
	if (conf_parse_access(f[3], &e->proto, &e->port) != 0 ||
	    parse_num(f[4], INT64_MAX, &v) != 0)
		return -1;
	e->until = (int64_t)v;
	return 0;
}

static int
parse_cb(void *arg, char *line)
{
	struct knocked_entry e;

	if (parse_line(line, &e) != 0)
		return -1;
	knocked_add(arg, &e);
	return 0;
}

void
knocked_parse(const char *buf, size_t len, struct knocked *k, size_t *bad)
{
	size_t n;

	k->n = 0;
	n = file_each_line(buf, len, parse_cb, k);
	if (bad != NULL)
		*bad = n;
}

size_t
knocked_format(const struct knocked *k, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t i, len = 0;
	int n;

	n = snprintf(out, cap, "# sigknock: grants asked for, see "
	    "sigknock(1)\n");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	len = (size_t)n;
	for (i = 0; i < k->n; i++) {
		const struct knocked_entry *e = &k->e[i];

		sk_addr_str(e->family, e->server, a, sizeof(a));
		if (e->bfamily == SK_ADDR_SOURCE)
			snprintf(b, sizeof(b), "source");
		else
			sk_addr_str(e->bfamily == SK_ADDR_IPV4 ? AF_INET :
			    AF_INET6, e->bound, b, sizeof(b));
		n = snprintf(out + len, cap - len, "%s %u %s %s/%u %" PRId64
		    "\n", a, e->kport, b, e->proto == 6 ? "tcp" : "udp",
		    e->port, e->until);
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	return len;
}

/* The same server, knock port and bound address. */
static int
same_binding(const struct knocked_entry *a, const struct knocked_entry *b)
{
	return a->family == b->family && a->kport == b->kport &&
	    a->bfamily == b->bfamily &&
	    memcmp(a->server, b->server, sk_addr_len(a->family)) == 0 &&
	    (a->bfamily == SK_ADDR_SOURCE || memcmp(a->bound, b->bound,
	    a->bfamily == SK_ADDR_IPV4 ? 4 : 16) == 0);
}

static int
same_grant(const struct knocked_entry *a, const struct knocked_entry *b)
{
	return same_binding(a, b) && a->proto == b->proto &&
	    a->port == b->port;
}

void
knocked_forget(struct knocked *k, const struct knocked_entry *e)
{
	size_t i = 0;

	while (i < k->n)
		if (same_binding(&k->e[i], e))
			k->e[i] = k->e[--k->n];
		else
			i++;
}

void
knocked_prune(struct knocked *k, int64_t now)
{
	size_t i, j = 0;

	for (i = 0; i < k->n; i++)
		if (k->e[i].until >= now)
			k->e[j++] = k->e[i];
	k->n = j;
}

void
knocked_add(struct knocked *k, const struct knocked_entry *e)
{
	size_t i, first = 0;

	for (i = 0; i < k->n; i++)
		if (same_grant(&k->e[i], e)) {
			k->e[i] = *e;
			return;
		}
	if (k->n < KNOCKED_MAX) {
		k->e[k->n++] = *e;
		return;
	}
	for (i = 1; i < k->n; i++)
		if (k->e[i].until < k->e[first].until)
			first = i;
	if (k->e[first].until < e->until)
		k->e[first] = *e;
}

const struct knocked_entry *
knocked_find(const struct knocked *k, const struct knocked_entry *want,
    int64_t until)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (same_grant(&k->e[i], want) && k->e[i].until >= until)
			return &k->e[i];
	return NULL;
}

void
knocked_load(struct knocked *k)
{
	char path[4096], *buf;
	size_t len;

	k->n = 0;
	if (home_path(KNOCKED_FILE, path, sizeof(path), 0) != 0 ||
	    file_read_all(path, KNOCKED_BYTES, &buf, &len) != 0)
		return;
	knocked_parse(buf, len, k, NULL);
	free(buf);
}

int
knocked_save(const struct knocked *k)
{
	static char buf[KNOCKED_BYTES];
	char path[4096];
	size_t len;

	if (home_path(KNOCKED_FILE, path, sizeof(path), 1) != 0 ||
	    (len = knocked_format(k, buf, sizeof(buf))) == 0)
		return -1;
	return file_write_atomic(path, buf, len, 0600);
}
