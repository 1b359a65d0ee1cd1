#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "access.h"
#include "addr.h"
#include "err.h"
#include "fido2.h"
#include "log.h"
#include "fido2users.h"
#include "users.h"

struct loader {
	struct access		*a;
	struct access_rule	*cur;
	int			 has_timeout, has_max, has_users, has_open;
};

int
cidr_parse(const char *s, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long p;
	unsigned max;

	memset(c, 0, sizeof(*c));
	if (strlen(s) >= sizeof(buf))
		return SK_ERR_BAD_FIELD;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return SK_ERR_BAD_FIELD;
	c->prefix = max;
	if (slash != NULL) {
		p = strtoul(slash, &end, 10);
		if (!isdigit((unsigned char)*slash) || *end != '\0' || p > max)
			return SK_ERR_BAD_FIELD;
		c->prefix = (unsigned)p;
	}
	return 0;
}

int
cidr_contains(const struct cidr *c, int family, const uint8_t *addr)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	uint8_t mask;

	if (c->family != family)
		return 0;
	if (memcmp(c->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (addr[full] & mask);
}

/* "fido2:" and then 16 or 64 hex digits. */
static int
parse_fido2_id(const char *hex, struct access_user *u)
{
	size_t n = strlen(hex), i;
	unsigned v;

	if (n != 16 && n != 64)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (!isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		u->fido2_id[i] = (uint8_t)v;
	}
	u->fido2_idlen = n / 2;
	u->is_fido2 = 1;
	return 0;
}

static int
parse_ports(const struct conf_line *l, struct sk_access *out, size_t *n,
    int max)
{
	char buf[CONF_LINE_MAX], *items[ACCESS_PORTS_MAX + 1];
	int i, k;

	snprintf(buf, sizeof(buf), "%s", l->value);
	if ((k = conf_split(buf, items, max)) <= 0)
		return conf_error(l, "between 1 and %d PROTO/PORT entries", max);
	for (i = 0; i < k; i++)
		if (conf_parse_access(items[i], &out[i].proto, &out[i].port))
			return conf_error(l, "'%s' is not PROTO/PORT (tcp/22, "
			    "udp/53)", items[i]);
	*n = (size_t)k;
	return 0;
}

static int gate_room(const struct access *a, const struct conf_line *l);

/* "no", or a duration: seconds, or a number with s, m, h or d; at most
 * 7 days (a delegation outlives any knock: keep it short). */
static int
parse_duration(const struct conf_line *l, unsigned *out)
{
	unsigned long v, mul = 1;
	char *end;

	if (strcasecmp(l->value, "no") == 0) {
		*out = 0;
		return 0;
	}
	v = strtoul(l->value, &end, 10);
	if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd') {
		mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 :
		    86400;
		end++;
	}
	if (!isdigit((unsigned char)l->value[0]) || *end != '\0' || v == 0 ||
	    v > 7 * 86400 || v * mul > 7 * 86400)
		return conf_error(l, "'%s' is neither no nor a time from 1 s to "
		    "7d (such as 8h)", l->value);
	*out = (unsigned)(v * mul);
	return 0;
}

/* Forward NAME ADDRESS PROTO/PORT [via PORT][, PROTO/PORT [via PORT]]...
 * A name has one address per family, file-wide; a via port leads to one
 * destination port, file-wide, and is no port of Open. */
static int
parse_forward(struct loader *ld, const struct conf_line *l)
{
	char buf[CONF_LINE_MAX], *items[3 * ACCESS_FWD_MAX + 3], *end;
	struct access_rule *r = ld->cur;
	struct access_fwd f, *o;
	unsigned long v;
	size_t i, j;
	int k, t;

	snprintf(buf, sizeof(buf), "%s", l->value);
	if ((k = conf_split(buf, items, (int)(sizeof(items) /
	    sizeof(items[0])))) < 3)
		return conf_error(l, "want NAME ADDRESS PROTO/PORT [via PORT], "
		    "...");
	memset(&f, 0, sizeof(f));
	f.lineno = l->lineno;
	if (!wire_dest_name_ok(items[0], strlen(items[0])))
		return conf_error(l, "'%s' is not a destination name (1 to %d "
		    "of A-Z a-z 0-9 . _ -)", items[0], SK_DEST_MAX);
	snprintf(f.name, sizeof(f.name), "%s", items[0]);
	if (sk_addr_parse(items[1], &f.family, f.addr) != 0)
		return conf_error(l, "'%s' is not an IPv4 or IPv6 address",
		    items[1]);
	if (sk_addr_never_open(f.family, f.addr) != NULL)
		return conf_error(l, "cannot forward to %s: %s", items[1],
		    sk_addr_never_open(f.family, f.addr));
	for (t = 2; t < k; t++) {
		if (conf_parse_access(items[t], &f.port.proto, &f.port.port))
			return conf_error(l, "'%s' is not PROTO/PORT (tcp/22, "
			    "udp/53)", items[t]);
		f.via = 0;
		if (t + 1 < k && strcasecmp(items[t + 1], "via") == 0) {
			if (t + 2 >= k)
				return conf_error(l, "via wants a port");
			v = strtoul(items[t + 2], &end, 10);
			if (!isdigit((unsigned char)items[t + 2][0]) ||
			    *end != '\0' || v == 0 || v > 65535)
				return conf_error(l, "'%s' is not a port",
				    items[t + 2]);
			f.via = (uint16_t)v;
			t += 2;
		}
		if (r->n_fwd == ACCESS_FWD_MAX)
			return conf_error(l, "more than %d Forward ports in "
			    "[%s]", ACCESS_FWD_MAX, r->name);
		/* Against every Forward line so far, in every stanza. */
		for (i = 0; i < ld->a->n; i++)
			for (j = 0; j < ld->a->rules[i].n_fwd; j++) {
				o = &ld->a->rules[i].fwd[j];
				if (strcmp(o->name, f.name) == 0 &&
				    o->family == f.family && memcmp(o->addr,
				    f.addr, 16) != 0)
					return conf_error(l, "destination %s "
					    "has another address at line %u: "
					    "one per name and family", f.name,
					    o->lineno);
				if (f.via != 0 && o->via == f.via &&
				    o->port.proto == f.port.proto &&
				    o->family == f.family &&
				    (memcmp(o->addr, f.addr, 16) != 0 ||
				    o->port.port != f.port.port))
					return conf_error(l, "%s port %u leads "
					    "elsewhere at line %u",
					    f.port.proto == 6 ? "tcp" : "udp",
					    f.via, o->lineno);
				if (strcmp(o->name, f.name) == 0 &&
				    o->family == f.family && o->port.proto ==
				    f.port.proto && o->port.port ==
				    f.port.port && o->via != f.via &&
				    &ld->a->rules[i] == r)
					return conf_error(l, "%s/%u of %s is "
					    "listed twice", f.port.proto == 6 ?
					    "tcp" : "udp", f.port.port, f.name);
			}
		r->fwd[r->n_fwd++] = f;
	}
	ld->has_open = 1;
	return gate_room(ld->a, l);
}

/* Every port the stanzas open or forward is closed by the daemon's gates:
 * no more than they hold, or some would stay open to everyone. */
static int
gate_room(const struct access *a, const struct conf_line *l)
{
	struct sk_access ports[ACCESS_OPEN_UNION_MAX + 1];
	struct fw_dest all[FW_PROTECTED_MAX + 1];
	int nat;

	if (access_open_ports(a, ports, ACCESS_OPEN_UNION_MAX + 1, NULL) >
	    ACCESS_OPEN_UNION_MAX)
		return conf_error(l, "the stanzas name more than %d different "
		    "ports of this host in Open and via; the firewall gate "
		    "holds at most %d", ACCESS_OPEN_UNION_MAX,
		    ACCESS_OPEN_UNION_MAX);
	if (access_forward_dests(a, all, FW_PROTECTED_MAX + 1, &nat) >
	    FW_PROTECTED_MAX)
		return conf_error(l, "the stanzas forward to more than %d "
		    "different ports; the firewall gate holds at most %d",
		    FW_PROTECTED_MAX, FW_PROTECTED_MAX);
	return 0;
}

/* n digits at s, as a number; -1 if any is not a digit. */
static long
digits(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t
access_parse_expires(const char *s)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	size_t n = strlen(s);
	long y, m, d, hh = 0, mm = 0, ss = 0, era, yoe, doy, doe;
	int leap;

	if (n != 10 && n != 16 && n != 19)
		return -1;
	if (s[4] != '-' || s[7] != '-' || (y = digits(s, 4)) < 1970 ||
	    (m = digits(s + 5, 2)) < 1 || m > 12 || (d = digits(s + 8, 2)) < 1)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > (long)mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return -1;
	if (n >= 16 && (s[10] != ' ' || s[13] != ':' ||
	    (hh = digits(s + 11, 2)) < 0 || hh > 23 ||
	    (mm = digits(s + 14, 2)) < 0 || mm > 59))
		return -1;
	if (n == 19 && (s[16] != ':' || (ss = digits(s + 17, 2)) < 0 ||
	    ss > 59))
		return -1;
	/* Days since 1970-01-01 of a proleptic Gregorian date (the civil
	 * calendar's usual closed form), so that no time zone is read. */
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return ((int64_t)(era * 146097 + doe) - 719468) * 86400 +
	    hh * 3600 + mm * 60 + ss;
}

/* "2027-06-30 00:00:00 UTC", without gmtime: the worker's sandbox has no
 * open(2), and glibc reads the time zone file at its first time
 * conversion, even for UTC. */
static const char *
expires_str(int64_t t, char *buf, size_t len)
{
	int64_t z = t / 86400, secs = t % 86400, era, doe, yoe, doy, mp, y;
	unsigned d, m;

	/* The civil date of day z since 1970-01-01 (the inverse of
	 * access_parse_expires; t is never negative there). */
	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	snprintf(buf, len, "%04lld-%02u-%02u %02lld:%02lld:%02lld UTC",
	    (long long)y, m, d, (long long)(secs / 3600),
	    (long long)(secs / 60 % 60), (long long)(secs % 60));
	return buf;
}

static int
finish_rule(struct loader *ld, const char *file)
{
	char when[40];
	struct access_rule *r = ld->cur;

	if (r == NULL)
		return 0;
	if (!ld->has_users || !ld->has_open) {
		log_err("%s:%u: [%s]: needs Users, and Open or Forward", file,
		    r->lineno, r->name);
		return SK_ERR_BAD_FIELD;
	}
	if (!ld->has_timeout)
		r->timeout = 30;
	if (!ld->has_max)
		r->max_timeout = r->timeout > 300 ? r->timeout : 300;
	if (r->timeout > r->max_timeout) {
		log_err("%s:%u: [%s]: Timeout %u is over MaxTimeout %u", file,
		    r->lineno, r->name, r->timeout, r->max_timeout);
		return SK_ERR_BAD_FIELD;
	}
	if (r->grant_once && r->n_fwd > 0) {
		log_err("%s:%u: [%s]: Grant connection is for this host's "
		    "ports (and those it publishes), not Forward "
		    "destinations: put the Forward lines in a stanza of "
		    "their own", file, r->grant_lineno, r->name);
		return SK_ERR_BAD_FIELD;
	}
	if (r->n_default == 0 && r->n_open > 0) {
		r->def[0] = r->open[0];
		r->n_default = 1;
	}
	if (!access_allows(r, r->def, r->n_default)) {
		log_err("%s:%u: [%s]: Default names a port that Open does not",
		    file, r->lineno, r->name);
		return SK_ERR_BAD_FIELD;
	}
	if (r->expires != 0 && (int64_t)time(NULL) >= r->expires)
		log_warn("%s:%u: [%s]: expired on %s: it matches no one", file,
		    r->lineno, r->name, expires_str(r->expires, when,
		    sizeof(when)));
	ld->cur = NULL;
	return 0;
}

/* An nft identifier: a letter or '_', then letters, digits, _ . -. */
static int
nft_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= FW_NFT_NAME_MAX || !(isalpha((unsigned char)s[0]) ||
	    s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return 0;
	return 1;
}

/* NftSet FAMILY TABLE SET4 [SET6], or none; "-" for a family not
 * mirrored. */
static int
nft_set(const struct conf_line *l, char *buf, struct access_rule *r)
{
	char *it[5];
	int k, i;

	memset(&r->nft4, 0, sizeof(r->nft4));
	memset(&r->nft6, 0, sizeof(r->nft6));
	k = conf_split(buf, it, 5);
	if (k == 1 && strcasecmp(it[0], "none") == 0)
		return 0;
	if (k < 3 || k > 4 || (strcmp(it[0], "ip") != 0 &&
	    strcmp(it[0], "ip6") != 0 && strcmp(it[0], "inet") != 0))
		return conf_error(l, "give FAMILY TABLE SET4 [SET6] (FAMILY ip, "
		    "ip6 or inet; - for a family not mirrored), or none");
	for (i = 1; i < k; i++)
		if (!nft_name_ok(it[i]) && !(i >= 2 && strcmp(it[i], "-") == 0))
			return conf_error(l, "'%s' is not an nft name", it[i]);
	if ((strcmp(it[0], "ip6") == 0 && strcmp(it[2], "-") != 0) ||
	    (strcmp(it[0], "ip") == 0 && k == 4 && strcmp(it[3], "-") != 0))
		return conf_error(l, "a table of family %s holds no IPv%s "
		    "set: give - there", it[0], it[0][2] == '6' ? "4" : "6");
	if (strcmp(it[2], "-") != 0) {
		snprintf(r->nft4.family, sizeof(r->nft4.family), "%s", it[0]);
		snprintf(r->nft4.table, sizeof(r->nft4.table), "%s", it[1]);
		snprintf(r->nft4.set, sizeof(r->nft4.set), "%s", it[2]);
	}
	if (k == 4 && strcmp(it[3], "-") != 0) {
		snprintf(r->nft6.family, sizeof(r->nft6.family), "%s", it[0]);
		snprintf(r->nft6.table, sizeof(r->nft6.table), "%s", it[1]);
		snprintf(r->nft6.set, sizeof(r->nft6.set), "%s", it[3]);
	}
	return 0;
}

/* IpSet SET4 [SET6], or none; "-" for a family not mirrored. */
static int
ip_set(const struct conf_line *l, char *buf, struct access_rule *r)
{
	char *it[3];
	int k, i;

	r->ipset4[0] = r->ipset6[0] = '\0';
	k = conf_split(buf, it, 3);
	if (k == 1 && strcasecmp(it[0], "none") == 0)
		return 0;
	if (k < 1 || k > 2)
		return conf_error(l, "give SET4 [SET6] (- for a family not "
		    "mirrored), or none");
	for (i = 0; i < k; i++)
		if (!fw_ipset_ok(it[i]) && strcmp(it[i], "-") != 0)
			return conf_error(l, "'%s' is not an ipset name (1 to "
			    "31 letters, digits, _ . -)", it[i]);
	if (strcmp(it[0], "-") != 0)
		snprintf(r->ipset4, sizeof(r->ipset4), "%s", it[0]);
	if (k == 2 && strcmp(it[1], "-") != 0)
		snprintf(r->ipset6, sizeof(r->ipset6), "%s", it[1]);
	return 0;
}

static int
line(void *arg, const struct conf_line *l)
{
	struct loader *ld = arg;
	struct access_rule *r, *rules;
	char buf[CONF_LINE_MAX], *items[ACCESS_USERS_MAX + 1];
	unsigned long v;
	int i, k, e;

	if (l->is_section) {
		if ((e = finish_rule(ld, l->file)) != 0)
			return e;
		rules = reallocarray(ld->a->rules, ld->a->n + 1, sizeof(*rules));
		if (rules == NULL)
			return SK_ERR_ALLOC;
		ld->a->rules = rules;
		r = &rules[ld->a->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", l->section);
		r->lineno = l->lineno;
		ld->cur = r;
		ld->has_users = ld->has_open = ld->has_timeout = ld->has_max = 0;
		return 0;
	}
	if ((r = ld->cur) == NULL)
		return conf_error(l, "outside a [stanza]");
	snprintf(buf, sizeof(buf), "%s", l->value);
	if (strcasecmp(l->key, "Users") == 0) {
		if ((k = conf_split(buf, items, ACCESS_USERS_MAX)) <= 0)
			return conf_error(l, "between 1 and %d users",
			    ACCESS_USERS_MAX);
		for (i = 0; i < k; i++) {
			struct access_user *u = &r->users[r->n_users];

			if (r->n_users == ACCESS_USERS_MAX)
				return conf_error(l, "more than %d users",
				    ACCESS_USERS_MAX);
			memset(u, 0, sizeof(*u));
			u->lineno = l->lineno;
			if (strcmp(items[i], "*") == 0)
				u->any = 1;
			else if (pgp_fpr_parse(items[i], u->fpr) == 0)
				u->is_fpr = 1;
			else if (strncasecmp(items[i], "fido2:", 6) == 0) {
				if (parse_fido2_id(items[i] + 6, u) != 0)
					return conf_error(l, "'%s': fido2: takes "
					    "the 16 or 64 hex digits of a "
					    "credential id, as 'sigknock-keys "
					    "list' shows them", items[i]);
			} else if (users_name_ok(items[i]))
				snprintf(u->name, sizeof(u->name), "%s",
				    items[i]);
			else
				return conf_error(l, "'%s' is neither a user's "
				    "name (as 'sigknock-keys list' shows it), a "
				    "40-digit fingerprint, fido2:ID nor *",
				    items[i]);
			r->n_users++;
		}
		ld->has_users = 1;
	} else if (strcasecmp(l->key, "Open") == 0) {
		if ((e = parse_ports(l, r->open, &r->n_open,
		    ACCESS_PORTS_MAX)) != 0)
			return e;
		ld->has_open = 1;
		if ((e = gate_room(ld->a, l)) != 0)
			return e;
	} else if (strcasecmp(l->key, "Default") == 0) {
		if ((e = parse_ports(l, r->def, &r->n_default,
		    SK_ACCESS_MAX)) != 0)
			return e;
	} else if (strcasecmp(l->key, "Timeout") == 0) {
		if (conf_uint(l, 1, 65535, &v) != 0)
			return SK_ERR_BAD_FIELD;
		r->timeout = (unsigned)v;
		ld->has_timeout = 1;
	} else if (strcasecmp(l->key, "MaxTimeout") == 0) {
		if (conf_uint(l, 1, 65535, &v) != 0)
			return SK_ERR_BAD_FIELD;
		r->max_timeout = (unsigned)v;
		ld->has_max = 1;
	} else if (strcasecmp(l->key, "MaxGrants") == 0) {
		if (strcasecmp(l->value, "none") == 0)
			r->max_grants = 0;
		else if (conf_uint(l, 1, 65535, &v) != 0)
			return SK_ERR_BAD_FIELD;
		else
			r->max_grants = (unsigned)v;
	} else if (strcasecmp(l->key, "Source") == 0) {
		if ((k = conf_split(buf, items, ACCESS_SOURCES_MAX)) <= 0)
			return conf_error(l, "between 1 and %d sources",
			    ACCESS_SOURCES_MAX);
		r->n_sources = 0;
		if (k == 1 && strcasecmp(items[0], "any") == 0)
			return 0;
		for (i = 0; i < k; i++)
			if (cidr_parse(items[i], &r->sources[r->n_sources++]))
				return conf_error(l, "'%s' is not an address or "
				    "CIDR block", items[i]);
	} else if (strcasecmp(l->key, "Forward") == 0) {
		if ((e = parse_forward(ld, l)) != 0)
			return e;
	} else if (strcasecmp(l->key, "Delegation") == 0) {
		if (parse_duration(l, &r->delegation) != 0)
			return SK_ERR_BAD_FIELD;
	} else if (strcasecmp(l->key, "Expires") == 0) {
		if ((r->expires = access_parse_expires(l->value)) < 0) {
			r->expires = 0;
			return conf_error(l, "'%s': give a UTC date, "
			    "YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]", l->value);
		}
	} else if (strcasecmp(l->key, "NftSet") == 0) {
		return nft_set(l, buf, r);
	} else if (strcasecmp(l->key, "IpSet") == 0) {
		return ip_set(l, buf, r);
	} else if (strcasecmp(l->key, "Grant") == 0) {
		if (strcasecmp(l->value, "connection") == 0)
			r->grant_once = 1;
		else if (strcasecmp(l->value, "time") == 0)
			r->grant_once = 0;
		else
			return conf_error(l, "'%s': Grant is time (the grant "
			    "admits connections until its time ends, the "
			    "default) or connection (one new connection, then "
			    "it closes)", l->value);
		r->grant_lineno = l->lineno;
	} else if (strcasecmp(l->key, "Masquerade") == 0) {
		if (conf_bool(l, &r->masquerade) != 0)
			return SK_ERR_BAD_FIELD;
	} else if (strcasecmp(l->key, "AllowSourceMode") == 0) {
		if (conf_bool(l, &r->allow_source_mode) != 0)
			return SK_ERR_BAD_FIELD;
	} else if (strcasecmp(l->key, "AllowAddresses") == 0) {
		if ((k = conf_split(buf, items, ACCESS_SOURCES_MAX)) <= 0)
			return conf_error(l, "between 1 and %d CIDR blocks, or "
			    "none", ACCESS_SOURCES_MAX);
		r->n_allow = 0;
		if (k == 1 && strcasecmp(items[0], "none") == 0)
			return 0;
		for (i = 0; i < k; i++)
			if (cidr_parse(items[i], &r->allow[r->n_allow++]))
				return conf_error(l, "'%s' is not an address or "
				    "CIDR block", items[i]);
	} else
		return conf_error(l, "unknown keyword");
	return 0;
}

/* A port of this host is either opened (Open) or forwarded (via). */
static int
via_not_open(const struct access *a, const char *path)
{
	const struct access_fwd *f;
	size_t i, j, k, m;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < a->rules[i].n_fwd; j++) {
			f = &a->rules[i].fwd[j];
			for (k = 0; f->via != 0 && k < a->n; k++)
				for (m = 0; m < a->rules[k].n_open; m++)
					if (a->rules[k].open[m].proto ==
					    f->port.proto &&
					    a->rules[k].open[m].port == f->via) {
						log_err("%s:%u: %s port %u is in "
						    "Open of [%s]: a port of "
						    "this host is opened or "
						    "forwarded, not both", path,
						    f->lineno, f->port.proto == 6 ?
						    "tcp" : "udp", f->via,
						    a->rules[k].name);
						return SK_ERR_BAD_FIELD;
					}
		}
	return 0;
}

int
access_load(const char *path, struct access **out)
{
	struct loader ld;
	int r;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	if ((ld.a = calloc(1, sizeof(*ld.a))) == NULL)
		return SK_ERR_ALLOC;
	r = conf_read(path, CONF_PERM_NOT_WRITABLE, line, &ld);
	if (r == SK_ERR_IO)
		log_err("cannot read the access file %s: %m", path);
	if (r == 0)
		r = finish_rule(&ld, path);
	if (r == 0 && ld.a->n == 0) {
		log_err("%s: no [stanza]: nobody could knock", path);
		r = SK_ERR_BAD_FIELD;
	}
	if (r == 0)
		r = via_not_open(ld.a, path);
	if (r != 0) {
		access_free(ld.a);
		return r;
	}
	*out = ld.a;
	return 0;
}

void
access_free(struct access *a)
{
	if (a == NULL)
		return;
	free(a->rules);
	free(a);
}

static int
user_matches(const struct access_user *u, const struct access_who *who)
{
	if (u->any)
		return 1;
	if (u->is_fpr)
		return who->fpr != NULL && who->primary_fpr != NULL &&
		    (memcmp(u->fpr, who->fpr, PGP_FPR_LEN) == 0 ||
		    memcmp(u->fpr, who->primary_fpr, PGP_FPR_LEN) == 0);
	if (u->is_fido2)
		return who->fido2_id != NULL &&
		    memcmp(u->fido2_id, who->fido2_id, u->fido2_idlen) == 0;
	return who->name != NULL && strcasecmp(u->name, who->name) == 0;
}

static int
in_list(const struct cidr *c, size_t n, int family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_contains(&c[i], family, addr))
			return 1;
	return 0;
}

/* NULL when the rule admits these addresses, else why not. */
static const char *
addr_refusal(const struct access_rule *r, const struct access_addr *ad,
    char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int of = ad->bound_family ? ad->bound_family : ad->src_family;
	const uint8_t *open = ad->bound_family ? ad->bound : ad->src;

	if (r->n_sources > 0 && !in_list(r->sources, r->n_sources,
	    ad->src_family, ad->src))
		return "the sender is outside Source";
	if (r->n_sources > 0 && !in_list(r->sources, r->n_sources, of, open)) {
		snprintf(buf, len, "the address to open, %s, is outside Source",
		    sk_addr_str(of, open, a, sizeof(a)));
		return buf;
	}
	if (ad->bound_family == 0)
		return r->allow_source_mode ? NULL : "the request binds no "
		    "address (source mode) and AllowSourceMode is no";
	if (ad->bound_family == ad->src_family && memcmp(ad->bound, ad->src,
	    sk_addr_len(ad->src_family)) == 0)
		return NULL;
	if (in_list(r->allow, r->n_allow, ad->bound_family, ad->bound))
		return NULL;
	snprintf(buf, len, "the request binds %s, not the sender's address, "
	    "and AllowAddresses does not hold it", sk_addr_str(ad->bound_family,
	    ad->bound, a, sizeof(a)));
	return buf;
}

const struct access_rule *
access_match(const struct access *a, const struct access_who *who,
    const struct access_addr *ad, char *why, size_t whylen)
{
	char buf[256], when[40];
	const char *no;
	int64_t now = (int64_t)time(NULL);
	size_t i, j;
	int ok, named = 0;

	snprintf(why, whylen, "no stanza names this user");
	for (i = 0; i < a->n; i++) {
		const struct access_rule *r = &a->rules[i];

		for (ok = 0, j = 0; j < r->n_users && !ok; j++)
			ok = user_matches(&r->users[j], who);
		if (!ok)
			continue;
		if (r->expires != 0 && now >= r->expires) {
			if (!named++)
				snprintf(why, whylen, "[%s]: expired on %s",
				    r->name, expires_str(r->expires, when,
				    sizeof(when)));
			continue;
		}
		if ((no = addr_refusal(r, ad, buf, sizeof(buf))) == NULL)
			return r;
		if (!named++)
			snprintf(why, whylen, "[%s]: %s", r->name, no);
	}
	return NULL;
}

size_t
access_warn_unmatched(const struct access *a, const char *file,
    const struct keyring *kr, const struct fido2_users *fu,
    int (*revoked)(void *arg, const char *name), void *arg)
{
	const struct access_user *u;
	struct access_who w;
	size_t i, j, k, n = 0;
	int hit;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < a->rules[i].n_users; j++) {
			u = &a->rules[i].users[j];
			if (u->any)
				continue;
			for (hit = 0, k = 0; kr != NULL && k < kr->n && !hit; k++) {
				w = (struct access_who){ kr->entries[k].name[0] ?
				    kr->entries[k].name : NULL, kr->entries[k].fpr,
				    kr->entries[k].primary_fpr, NULL };
				hit = user_matches(u, &w);
			}
			for (k = 0; fu != NULL && k < fu->n && !hit; k++) {
				w = (struct access_who){ fu->u[k].rec.name[0] ?
				    fu->u[k].rec.name : NULL, NULL, NULL,
				    fu->u[k].id };
				hit = user_matches(u, &w);
			}
			if (hit)
				continue;
			n++;
			if (u->is_fpr || u->is_fido2) {
				char hex[2 * 32 + 1];
				size_t b, len = u->is_fpr ? PGP_FPR_LEN :
				    u->fido2_idlen;

				for (b = 0; b < len; b++)
					snprintf(hex + 2 * b, 3, "%02X", u->is_fpr ?
					    u->fpr[b] : u->fido2_id[b]);
				log_warn("%s:%u: [%s]: Users %s%s: no usable %s "
				    "with that %s", file, u->lineno,
				    a->rules[i].name, u->is_fido2 ? "fido2:" :
				    "", hex, u->is_fpr ? "key" : "credential",
				    u->is_fpr ? "fingerprint" : "id");
			} else if (revoked != NULL && revoked(arg, u->name))
				log_warn("%s:%u: [%s]: Users %s: revoked ("
				    "'sigknock-keys unrevoke %s' restores it)",
				    file, u->lineno, a->rules[i].name, u->name,
				    u->name);
			else
				log_warn("%s:%u: [%s]: Users %s: no key or FIDO2 "
				    "credential has that name ('sigknock-keys "
				    "list' shows names)", file, u->lineno,
				    a->rules[i].name, u->name);
		}
	return n;
}

size_t
access_open_ports(const struct access *a, struct sk_access *out, size_t max,
    size_t *n_open)
{
	size_t i, j, k, n = 0;
	int via;

	/* The Open ports first, then the gateway ports. */
	for (via = 0; via < 2; via++) {
		if (via && n_open != NULL)
			*n_open = n;
		for (i = 0; i < a->n; i++)
			for (j = 0; j < (via ? a->rules[i].n_fwd :
			    a->rules[i].n_open); j++) {
				struct sk_access p;

				if (!via)
					p = a->rules[i].open[j];
				else if ((p.port = a->rules[i].fwd[j].via) == 0)
					continue;
				else
					p.proto = a->rules[i].fwd[j].port.proto;
				for (k = 0; k < n; k++)
					if (out[k].proto == p.proto &&
					    out[k].port == p.port)
						break;
				if (k == n && n < max)
					out[n++] = p;
			}
	}
	return n;
}

size_t
access_forward_dests(const struct access *a, struct fw_dest *out, size_t max,
    int *nat)
{
	const struct access_fwd *f;
	size_t i, j, k, n = 0;

	*nat = 0;
	for (i = 0; i < a->n; i++) {
		if (a->rules[i].masquerade && a->rules[i].n_fwd > 0)
			*nat = 1;
		for (j = 0; j < a->rules[i].n_fwd; j++) {
			f = &a->rules[i].fwd[j];
			if (f->via != 0)
				*nat = 1;
			for (k = 0; k < n; k++)
				if (out[k].family == f->family &&
				    memcmp(out[k].addr, f->addr, 16) == 0 &&
				    out[k].proto == f->port.proto &&
				    out[k].port == f->port.port)
					break;
			if (k == n && n < max) {
				out[n].family = f->family;
				memcpy(out[n].addr, f->addr, 16);
				out[n].proto = f->port.proto;
				out[n].port = f->port.port;
				n++;
			}
		}
	}
	return n;
}

const char *
access_forward(const struct access_rule *r, const char *dest, int family,
    const struct sk_access *want, size_t n, struct access_forward *out,
    char *why, size_t whylen)
{
	const struct access_fwd *f;
	size_t i, j;
	int named = 0;

	memset(out, 0, sizeof(*out));
	out->family = family;
	out->masq = r->masquerade;
	for (j = 0; j < r->n_fwd; j++) {
		f = &r->fwd[j];
		if (strcmp(f->name, dest) != 0)
			continue;
		named = 1;
		if (f->family != family)
			continue;
		memcpy(out->dst, f->addr, 16);
		if (n == 0 && out->n < SK_ACCESS_MAX) {
			out->ports[out->n] = f->port;
			out->via[out->n++] = f->via;
		}
	}
	if (!named) {
		snprintf(why, whylen, "destination %s is not in Forward of [%s]",
		    dest, r->name);
		return why;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < r->n_fwd; j++) {
			f = &r->fwd[j];
			if (strcmp(f->name, dest) == 0 && f->family == family &&
			    f->port.proto == want[i].proto &&
			    f->port.port == want[i].port)
				break;
		}
		if (j == r->n_fwd) {
			snprintf(why, whylen, "%s/%u@%s is not in Forward of [%s]",
			    want[i].proto == 6 ? "tcp" : "udp", want[i].port,
			    dest, r->name);
			return why;
		}
		out->ports[out->n] = want[i];
		out->via[out->n++] = r->fwd[j].via;
	}
	if (out->n == 0) {
		snprintf(why, whylen, "destination %s of [%s] has no %s address",
		    dest, r->name, family == AF_INET ? "IPv4" : "IPv6");
		return why;
	}
	return NULL;
}

int
access_allows(const struct access_rule *r, const struct sk_access *want,
    size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < r->n_open; j++)
			if (r->open[j].proto == want[i].proto &&
			    r->open[j].port == want[i].port)
				break;
		if (j == r->n_open)
			return 0;
	}
	return 1;
}
