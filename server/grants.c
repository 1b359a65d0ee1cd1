#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "addr.h"
#include "err.h"
#include "fileio.h"
#include "grants.h"
#include "log.h"
#include "pgp.h"

#define GRANTS_FILE_MAX	((size_t)GRANTS_MAX * GRANTS_LINE_MAX)

void
grants_clear(struct grants *g)
{
	free(g->g);
	free(g->key);
	memset(g, 0, sizeof(*g));
}

static int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", p[i]);
}

static int
parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno || v == 0 ||
	    v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* DEST=ADDRESS[+masq], after MODE's '>'. */
static int
mode_dest(char *s, struct grant *x)
{
	char *eq = strchr(s, '='), *plus;
	int family;

	if (eq == NULL)
		return -1;
	*eq++ = '\0';
	if ((plus = strchr(eq, '+')) != NULL) {
		*plus++ = '\0';
		if (strcmp(plus, "masq") != 0)
			return -1;
		x->masq = 1;
	}
	if (!wire_dest_name_ok(s, strlen(s)) ||
	    sk_addr_parse(eq, &family, x->dst) != 0)
		return -1;
	snprintf(x->dest, sizeof(x->dest), "%s", s);
	return family == x->family ? 0 : -1;
}

#define FAIL(...) do {							\
	snprintf(err->why, sizeof(err->why), __VA_ARGS__);		\
	r = SK_ERR_BAD_FIELD;						\
	goto out;							\
} while (0)

int
grants_parse(const char *text, size_t len, struct grants *out,
    struct grants_parse_err *err)
{
	char line[GRANTS_LINE_MAX + 1], *f[10], *save, *t, *ports, *rest;
	struct grants g = { 0, 0, NULL, NULL };
	struct grant x;
	size_t pos = 0, ll, nf;
	unsigned long long until;
	unsigned lineno = 0;
	int k, r = 0;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		err->line = ++lineno;
		if (ll > GRANTS_LINE_MAX)
			FAIL("line longer than %d characters", GRANTS_LINE_MAX);
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (memchr(line, '\0', ll) != NULL)
			FAIL("a NUL byte");
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		/* Nine fields, then the stanza name: the rest of the line. */
		for (nf = 0, t = line; nf < 9; nf++) {
			t += strspn(t, " \t");
			if (*t == '\0')
				break;
			f[nf] = t;
			t += strcspn(t, " \t");
			if (*t != '\0')
				*t++ = '\0';
		}
		rest = t + strspn(t, " \t");
		if (nf != 9 || *rest == '\0')
			FAIL("want 10 fields (UNTIL ADDR SOURCE MODE PORTS SIGNER "
			    "ID PRIMARY NAME STANZA)");
		memset(&x, 0, sizeof(x));
		errno = 0;
		until = strtoull(f[0], &t, 10);
		if (!isdigit((unsigned char)f[0][0]) || *t != '\0' || errno ||
		    until > (unsigned long long)INT32_MAX * 4)
			FAIL("'%.24s' is not a time", f[0]);
		x.until = (time_t)until;
		if (sk_addr_parse(f[1], &x.family, x.addr) != 0 ||
		    sk_addr_parse(f[2], &x.src_family, x.src) != 0)
			FAIL("not an IPv4 or IPv6 address");
		if ((t = strchr(f[3], '>')) != NULL) {
			*t++ = '\0';
			if (mode_dest(t, &x) != 0)
				FAIL("'%.64s' is not DEST=ADDRESS[+masq]", t);
		}
		if ((t = strchr(f[3], '+')) != NULL) {
			if (strcmp(t, "+once") != 0)
				FAIL("mode '%.16s' is neither bound nor source",
				    f[3]);
			*t = '\0';
			x.once = 1;
		}
		if (strcmp(f[3], "bound") == 0)
			x.bound = 1;
		else if (strcmp(f[3], "source") != 0)
			FAIL("mode '%.16s' is neither bound nor source", f[3]);
		for (ports = strtok_r(f[4], ",", &save); ports != NULL;
		    ports = strtok_r(NULL, ",", &save)) {
			if (x.nports == SK_ACCESS_MAX)
				FAIL("more than %d ports", SK_ACCESS_MAX);
			if ((t = strchr(ports, '@')) != NULL) {
				*t++ = '\0';
				if (x.dest[0] == '\0' ||
				    parse_port(t, &x.via[x.nports]) != 0)
					FAIL("'%.24s' is not a gateway port", t);
			}
			if (conf_parse_access(ports, &x.ports[x.nports].proto,
			    &x.ports[x.nports].port) != 0)
				FAIL("'%.24s' is not PROTO/PORT", ports);
			x.nports++;
		}
		if (x.nports == 0)
			FAIL("no port");
		if (strcmp(f[5], "openpgp") == 0)
			x.signer = GRANT_OPENPGP;
		else if (strcmp(f[5], "fido2") == 0)
			x.signer = GRANT_FIDO2;
		else
			FAIL("signer '%.16s' is neither openpgp nor fido2", f[5]);
		k = x.signer == GRANT_OPENPGP ? PGP_FPR_LEN : 32;
		if (hex_decode(f[6], x.id, (size_t)k) != 0)
			FAIL("bad signer id");
		if (strcmp(f[7], "-") != 0 &&
		    hex_decode(f[7], x.primary, PGP_FPR_LEN) != 0)
			FAIL("bad primary fingerprint");
		if (strcmp(f[8], "-") != 0) {
			if (!users_name_ok(f[8]))
				FAIL("'%.32s' is not a name", f[8]);
			snprintf(x.name, sizeof(x.name), "%s", f[8]);
		}
		if (strlen(rest) >= sizeof(x.stanza))
			FAIL("stanza name too long");
		snprintf(x.stanza, sizeof(x.stanza), "%s", rest);
		if (g.n == GRANTS_MAX)
			FAIL("more than %d grants", GRANTS_MAX);
		if ((r = grants_add(&g, &x)) != 0)
			goto out;
	}
	*out = g;
	memset(&g, 0, sizeof(g));
	err->line = 0;
out:
	grants_clear(&g);
	return r;
}

size_t
grant_line(const struct grant *x, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], id[65], pr[41];
	size_t off, j;

	if (cap < GRANTS_LINE_MAX + 2)
		return 0;
	hex_encode(x->id, x->signer == GRANT_OPENPGP ? PGP_FPR_LEN : 32, id);
	hex_encode(x->primary, PGP_FPR_LEN, pr);
	off = (size_t)snprintf(buf, cap, "%lld %s %s %s ",
	    (long long)x->until, sk_addr_str(x->family, x->addr, a,
	    sizeof(a)), sk_addr_str(x->src_family, x->src, s,
	    sizeof(s)), x->bound ? (x->once ? "bound+once" : "bound") :
	    (x->once ? "source+once" : "source"));
	if (x->dest[0] != '\0')
		off += (size_t)snprintf(buf + off - 1, cap - off + 1,
		    ">%s=%s%s ", x->dest, sk_addr_str(x->family, x->dst,
		    a, sizeof(a)), x->masq ? "+masq" : "") - 1;
	for (j = 0; j < x->nports; j++) {
		off += (size_t)snprintf(buf + off, cap - off, "%s%s/%u",
		    j ? "," : "", x->ports[j].proto == 6 ? "tcp" : "udp",
		    x->ports[j].port);
		if (x->via[j] != 0)
			off += (size_t)snprintf(buf + off, cap - off,
			    "@%u", x->via[j]);
	}
	off += (size_t)snprintf(buf + off, cap - off, " %s %s %s %s %s\n",
	    x->signer == GRANT_OPENPGP ? "openpgp" : "fido2", id,
	    x->signer == GRANT_OPENPGP ? pr : "-",
	    x->name[0] ? x->name : "-", x->stanza);
	return off;
}

int
grants_format(const struct grants *g, char **out, size_t *len)
{
	size_t cap = 128 + g->n * (GRANTS_LINE_MAX + 2), off, i;
	char *buf;

	*out = NULL;
	*len = 0;
	if ((buf = malloc(cap)) == NULL)
		return SK_ERR_ALLOC;
	off = (size_t)snprintf(buf, cap, "# sigknockd's live grants and their "
	    "owners; see sigknockd(8).\n");
	for (i = 0; i < g->n; i++)
		off += grant_line(&g->g[i], buf + off, cap - off);
	*out = buf;
	*len = off;
	return 0;
}

/* Read StateDir's file (or journal) into out, merging; a bad file is
 * logged and left out.  *lines: how many records it held. */
static int
load_one(const char *path, int journal, struct grants *out, size_t *lines)
{
	struct grants_parse_err e;
	struct grants part;
	char *buf;
	size_t len, i;
	int r;

	*lines = 0;
	if ((r = file_read_all(path, GRANTS_FILE_MAX, &buf, &len)) != 0)
		return r == SK_ERR_IO && errno == ENOENT ? 0 : r;
	/* A journal's last line may be torn by a crash: only whole lines. */
	if (journal)
		while (len > 0 && buf[len - 1] != '\n')
			len--;
	if ((r = grants_parse(buf, len, &part, &e)) != 0) {
		log_err("%s:%u: %s", path, e.line, e.why);
		free(buf);
		return r;
	}
	free(buf);
	for (i = 0; i < part.n && r == 0; i++)
		r = grants_add(out, &part.g[i]);
	*lines = part.n;
	grants_clear(&part);
	return r;
}

int
grants_load(const char *dir, struct grants *out)
{
	char path[PATH_MAX];
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/" GRANTS_FILE, dir);
	if ((r = load_one(path, 0, out, &n)) != 0)
		return r;
	/* Replaying the journal again over a snapshot that already holds
	 * it changes nothing: grants_add merges the same record. */
	snprintf(path, sizeof(path), "%s/" GRANTS_JOURNAL, dir);
	if (load_one(path, 1, out, &n) != 0)
		log_err("grant owners recorded since %s/" GRANTS_FILE " were "
		    "not read", dir);
	return 0;
}

int
grants_save(const char *dir, const struct grants *g)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/" GRANTS_FILE, dir);
	if ((r = grants_format(g, &buf, &len)) != 0)
		return r;
	r = file_write_atomic(path, buf, len, 0600);
	free(buf);
	if (r != 0)
		return r;
	/* Only after the snapshot holds everything: a crash before this
	 * replays the journal over it, which changes nothing. */
	snprintf(path, sizeof(path), "%s/" GRANTS_JOURNAL, dir);
	return file_remove(path);
}

int
grants_journal_append(const char *dir, const char *lines, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" GRANTS_JOURNAL, dir);
	return file_append_sync(path, lines, len, 0600);
}

int
grants_same_signer(const struct grant *a, const struct grant *b)
{
	return a->signer == b->signer && (a->signer == GRANT_OPENPGP ?
	    memcmp(a->primary, b->primary, sizeof(a->primary)) == 0 :
	    memcmp(a->id, b->id, sizeof(a->id)) == 0);
}

int
grants_same_user(const struct grant *a, const struct grant *b)
{
	return grants_same_signer(a, b) && strcmp(a->stanza, b->stanza) == 0;
}

int
grants_same_record(const struct grant *a, const struct grant *b)
{
	return a->signer == b->signer && a->family == b->family &&
	    memcmp(a->id, b->id, sizeof(a->id)) == 0 &&
	    memcmp(a->addr, b->addr, 16) == 0 &&
	    strcmp(a->dest, b->dest) == 0 && a->masq == b->masq &&
	    a->once == b->once && memcmp(a->dst, b->dst, 16) == 0;
}

/* FNV-1a over what grants_same_record compares: equal records, equal
 * keys. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
owner_key(const struct grant *x)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, &x->signer, sizeof(x->signer));
	h = fnv(h, &x->family, sizeof(x->family));
	h = fnv(h, x->id, sizeof(x->id));
	h = fnv(h, x->addr, 16);
	h = fnv(h, x->dest, strlen(x->dest) + 1);
	h = fnv(h, &x->masq, sizeof(x->masq));
	h = fnv(h, &x->once, sizeof(x->once));
	return fnv(h, x->dst, 16);
}

int
grants_add(struct grants *g, const struct grant *x)
{
	struct grant *n;
	uint64_t key = owner_key(x), *nk;
	size_t i, j, k;

	for (i = 0; i < g->n; i++) {
		if (g->key[i] != key || !grants_same_record(&g->g[i], x))
			continue;
		for (j = 0; j < x->nports; j++) {
			for (k = 0; k < g->g[i].nports; k++)
				if (g->g[i].ports[k].proto == x->ports[j].proto &&
				    g->g[i].ports[k].port == x->ports[j].port)
					break;
			if (k < g->g[i].nports)
				g->g[i].via[k] = x->via[j];
			else if (k < SK_ACCESS_MAX) {
				g->g[i].via[k] = x->via[j];
				g->g[i].ports[g->g[i].nports++] = x->ports[j];
			}
		}
		if (x->until > g->g[i].until)
			g->g[i].until = x->until;
		snprintf(g->g[i].stanza, sizeof(g->g[i].stanza), "%s",
		    x->stanza);
		return 0;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;

		if ((n = reallocarray(g->g, cap, sizeof(*n))) == NULL)
			return SK_ERR_ALLOC;
		g->g = n;
		if ((nk = reallocarray(g->key, cap, sizeof(*nk))) == NULL)
			return SK_ERR_ALLOC;
		g->key = nk;
		g->cap = cap;
	}
	g->key[g->n] = key;
	g->g[g->n++] = *x;
	return 0;
}

void
grants_remove(struct grants *g, size_t i)
{
	g->key[i] = g->key[g->n - 1];
	g->g[i] = g->g[--g->n];
}

int
grants_expire(struct grants *g, time_t now)
{
	size_t i = 0;
	int any = 0;

	while (i < g->n)
		if (g->g[i].until <= now) {
			grants_remove(g, i);
			any = 1;
		} else
			i++;
	return any;
}

size_t
grant_fw_rules(const struct grant *x, size_t j, struct fw_rule out[3])
{
	size_t n = 0;

	memset(out, 0, 3 * sizeof(*out));
	out[0].family = x->family;
	memcpy(out[0].addr, x->addr, 16);
	out[0].proto = x->ports[j].proto;
	out[0].port = x->ports[j].port;
	out[0].until = x->until;
	if (x->dest[0] == '\0') {
		out[0].kind = x->once ? FW_ONCE : FW_INPUT;
		return 1;
	}
	out[0].kind = FW_FORWARD;
	memcpy(out[0].dst, x->dst, 16);
	n = 1;
	if (x->via[j] != 0) {
		out[n] = out[0];
		out[n].kind = FW_DNAT;
		out[n].port = x->via[j];
		out[n].dport = x->ports[j].port;
		n++;
	}
	if (x->masq) {
		out[n] = out[0];
		out[n].kind = FW_MASQ;
		n++;
	}
	return n;
}

int
grants_covered(const struct grants *g, size_t skip, const struct fw_rule *r,
    time_t now)
{
	struct fw_rule mine[3];
	size_t i, j, k, n;

	for (i = 0; i < g->n; i++) {
		if (i == skip || g->g[i].until <= now ||
		    g->g[i].family != r->family ||
		    memcmp(g->g[i].addr, r->addr, sk_addr_len(r->family)) != 0)
			continue;
		for (j = 0; j < g->g[i].nports; j++)
			for (k = 0, n = grant_fw_rules(&g->g[i], j, mine); k < n;
			    k++)
				if (fw_rule_same(&mine[k], r))
					return 1;
	}
	return 0;
}

int
grants_owner_is(const struct grant *x, const char *s)
{
	char id[65], pr[41];
	size_t n;

	if (x->name[0] && strcasecmp(x->name, s) == 0)
		return 1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (x->signer == GRANT_FIDO2) {
		if (strncasecmp(s, "fido2:", 6) != 0)
			return 0;
		s += 6;
		hex_encode(x->id, 32, id);
		n = strlen(s);
		return (n == 16 || n == 64) && strncasecmp(id, s, n) == 0;
	}
	hex_encode(x->id, PGP_FPR_LEN, id);
	hex_encode(x->primary, PGP_FPR_LEN, pr);
	n = strlen(s);
	if (n == 40)
		return strcasecmp(id, s) == 0 || strcasecmp(pr, s) == 0;
	if (n == 16)
		return strcasecmp(id + 24, s) == 0 || strcasecmp(pr + 24, s) == 0;
	return 0;
}

const char *
grants_owner(const struct grant *x, char *buf, size_t len)
{
	char id[65];

	if (x->name[0]) {
		snprintf(buf, len, "%s", x->name);
		return buf;
	}
	hex_encode(x->id, x->signer == GRANT_OPENPGP ? PGP_FPR_LEN : 32, id);
	snprintf(buf, len, "%s%.*s", x->signer == GRANT_FIDO2 ? "fido2:" : "",
	    x->signer == GRANT_FIDO2 ? 16 : 40, id);
	return buf;
}

/* A JSON string: names and addresses are plain, stanza names may hold
 * quotes or backslashes. */
void
grants_print(const struct grants *g, time_t now, int json, FILE *f)
{
	char a[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], who[80], id[65];
	char ports[SK_ACCESS_MAX * 10 + SK_DEST_MAX + 2];
	size_t i, j, off, shown = 0;

	if (json)
		fprintf(f, "[");
	else
		fprintf(f, "%-24s %-39s %-16s %9s  %s\n", "user", "address",
		    "ports", "remaining", "stanza");
	for (i = 0; i < g->n; i++) {
		const struct grant *x = &g->g[i];
		long long left = (long long)(x->until - now);

		if (left <= 0)
			continue;
		for (off = 0, j = 0; j < x->nports && off < sizeof(ports); j++)
			off += (size_t)snprintf(ports + off, sizeof(ports) - off,
			    "%s%s/%u", j ? "," : "", x->ports[j].proto == 6 ?
			    "tcp" : "udp", x->ports[j].port);
		if (x->dest[0] != '\0' && off < sizeof(ports))
			snprintf(ports + off, sizeof(ports) - off, "@%s", x->dest);
		else if (x->once && off < sizeof(ports))
			snprintf(ports + off, sizeof(ports) - off, " once");
		grants_owner(x, who, sizeof(who));
		sk_addr_str(x->family, x->addr, a, sizeof(a));
		if (!json) {
			fprintf(f, "%-24s %-39s %-16s %8llds  %s\n", who, a,
			    ports, left, x->stanza);
			continue;
		}
		hex_encode(x->id, x->signer == GRANT_OPENPGP ? PGP_FPR_LEN : 32,
		    id);
		fprintf(f, "%s\n  {\"user\": ", shown++ ? "," : "");
		if (x->name[0])
			sk_json_str(f, x->name);
		else
			fprintf(f, "null");
		fprintf(f, ", \"signer\": \"%s\", \"id\": \"%s\", \"address\": "
		    "\"%s\", \"source\": \"%s\", \"bound\": %s, \"ports\": [",
		    x->signer == GRANT_OPENPGP ? "openpgp" : "fido2", id, a,
		    sk_addr_str(x->src_family, x->src, s, sizeof(s)),
		    x->bound ? "true" : "false");
		for (j = 0; j < x->nports; j++)
			fprintf(f, "%s\"%s/%u\"", j ? ", " : "",
			    x->ports[j].proto == 6 ? "tcp" : "udp",
			    x->ports[j].port);
		fprintf(f, "], \"destination\": ");
		if (x->dest[0] == '\0')
			fprintf(f, "null");
		else {
			fprintf(f, "{\"name\": \"%s\", \"address\": \"%s\", "
			    "\"masquerade\": %s, \"via\": [", x->dest,
			    sk_addr_str(x->family, x->dst, s, sizeof(s)),
			    x->masq ? "true" : "false");
			for (j = 0; j < x->nports; j++)
				fprintf(f, j ? ", %u" : "%u", x->via[j]);
			fprintf(f, "]}");
		}
		fprintf(f, ", \"grant\": \"%s\", \"expires\": %lld, "
		    "\"remaining\": %lld, \"stanza\": ", x->once ?
		    "connection" : "time", (long long)x->until, left);
		sk_json_str(f, x->stanza);
		fprintf(f, "}");
	}
	if (json)
		fprintf(f, "\n]\n");
}
