#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "audit.h"
#include "b64.h"
#include "crypto.h"
#include "err.h"

/* Bytes a stanza name keeps as they are; others are written %XX, so
 * that the line stays one line of space-separated fields whatever the
 * access file named its stanza. */
static int
stanza_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '@' || c == '+';
}

/* The characters of a ports field: tcp/22,udp/53@name. */
static int
ports_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '/' || c == ',' || c == '@' ||
	    c == '.' || c == '_' || c == '-';
}

size_t
audit_format(const struct audit_rec *r, char *out, size_t cap)
{
	char stanza[3 * AUDIT_STANZA_MAX + 1], src[64], addr[64];
	char prev[65], *b64 = NULL;
	size_t i, o = 0, blen;
	int n;

	if (r->request_len == 0 || r->request_len > sizeof(r->request) ||
	    r->stanza[0] == '\0' || r->ports[0] == '\0' ||
	    memchr(r->stanza, '\0', sizeof(r->stanza)) == NULL ||
	    memchr(r->ports, '\0', sizeof(r->ports)) == NULL)
		return 0;
	for (i = 0; r->ports[i] != '\0'; i++)
		if (!ports_char((unsigned char)r->ports[i]))
			return 0;
	for (i = 0; r->stanza[i] != '\0'; i++) {
		unsigned char c = (unsigned char)r->stanza[i];

		if (stanza_plain(c))
			stanza[o++] = (char)c;
		else {
			snprintf(stanza + o, 4, "%%%02X", c);
			o += 3;
		}
	}
	stanza[o] = '\0';
	for (i = 0; i < 32; i++)
		snprintf(prev + 2 * i, 3, "%02x", r->prev[i]);
	if (sk_addr_str(r->src_family, r->src, src, sizeof(src)) == NULL ||
	    sk_addr_str(r->family, r->addr, addr, sizeof(addr)) == NULL)
		return 0;
	blen = B64_LEN(r->request_len) + 1;
	if ((b64 = malloc(blen)) == NULL ||
	    b64_encode(r->request, r->request_len, b64, blen) != 0) {
		free(b64);
		return 0;
	}
	n = snprintf(out, cap, AUDIT_MAGIC " seq=%" PRIu64 " time=%" PRId64
	    " prev=%s stanza=%s src=%s addr=%s ports=%s until=%" PRId64
	    " key=%s request=%s\n", r->seq, r->time, prev, stanza, src, addr,
	    r->ports, r->until, r->prev_key ? "previous" : "current", b64);
	free(b64);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

/* The next field "name=VALUE" of p[*off..len): the value's start and
 * length; a field ends at one space, the last one at the end. */
static int
field(const char *p, size_t len, size_t *off, const char *name, int last,
    const char **v, size_t *vlen)
{
	size_t nl = strlen(name), i = *off;

	if (len - i < nl + 1 || memcmp(p + i, name, nl) != 0 ||
	    p[i + nl] != '=')
		return SK_ERR_BAD_FIELD;
	i += nl + 1;
	*v = p + i;
	while (i < len && p[i] != ' ')
		i++;
	*vlen = (size_t)(p + i - *v);
	if (*vlen == 0)
		return SK_ERR_BAD_FIELD;
	if (last ? i != len : (i == len || p[i] != ' '))
		return SK_ERR_BAD_FIELD;
	*off = last ? i : i + 1;
	return 0;
}

/* A decimal number of at most 19 digits, no sign, no leading zero. */
static int
decimal(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 19 || (n > 1 && v[0] == '0'))
		return SK_ERR_BAD_FIELD;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return SK_ERR_BAD_FIELD;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > max)
		return SK_ERR_BAD_FIELD;
	*out = x;
	return 0;
}

static int
address(const char *v, size_t n, int *family, uint8_t addr[16])
{
	char s[64];

	if (n >= sizeof(s))
		return SK_ERR_BAD_FIELD;
	memcpy(s, v, n);
	s[n] = '\0';
	return sk_addr_parse(s, family, addr) == 0 ? 0 : SK_ERR_BAD_FIELD;
}

int
audit_parse(const char *p, size_t len, struct audit_rec *r, const char **what)
{
	const char *v;
	size_t vl, off, i, o;
	uint64_t x;
	int hi, lo;

	memset(r, 0, sizeof(*r));
	*what = "the record's start";
	off = sizeof(AUDIT_MAGIC);
	if (len < off || memcmp(p, AUDIT_MAGIC " ", off) != 0)
		return SK_ERR_BAD_VERSION;
	*what = "seq";
	if (field(p, len, &off, "seq", 0, &v, &vl) != 0 ||
	    decimal(v, vl, UINT64_MAX, &r->seq) != 0 || r->seq == 0)
		return SK_ERR_BAD_FIELD;
	*what = "time";
	if (field(p, len, &off, "time", 0, &v, &vl) != 0 ||
	    decimal(v, vl, INT64_MAX, &x) != 0)
		return SK_ERR_BAD_FIELD;
	r->time = (int64_t)x;
	*what = "prev";
	if (field(p, len, &off, "prev", 0, &v, &vl) != 0 || vl != 64)
		return SK_ERR_BAD_FIELD;
	for (i = 0; i < 32; i++) {
		/* Lower case only: one spelling per link. */
		if ((v[2 * i] >= 'A' && v[2 * i] <= 'F') ||
		    (v[2 * i + 1] >= 'A' && v[2 * i + 1] <= 'F') ||
		    (hi = b64_hexval(v[2 * i])) < 0 ||
		    (lo = b64_hexval(v[2 * i + 1])) < 0)
			return SK_ERR_BAD_FIELD;
		r->prev[i] = (uint8_t)(hi << 4 | lo);
	}
	*what = "stanza";
	if (field(p, len, &off, "stanza", 0, &v, &vl) != 0)
		return SK_ERR_BAD_FIELD;
	for (i = 0, o = 0; i < vl; i++) {
		unsigned char c = (unsigned char)v[i];

		if (o == AUDIT_STANZA_MAX)
			return SK_ERR_BAD_FIELD;
		if (c == '%') {
			/* Upper case only, as written: one spelling. */
			if (vl - i < 3 || islower((unsigned char)v[i + 1]) ||
			    islower((unsigned char)v[i + 2]) ||
			    (hi = b64_hexval(v[i + 1])) < 0 ||
			    (lo = b64_hexval(v[i + 2])) < 0 ||
			    stanza_plain((unsigned char)(hi << 4 | lo)) ||
			    (hi << 4 | lo) == 0)
				return SK_ERR_BAD_FIELD;
			r->stanza[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (stanza_plain(c))
			r->stanza[o++] = (char)c;
		else
			return SK_ERR_BAD_FIELD;
	}
	*what = "src";
	if (field(p, len, &off, "src", 0, &v, &vl) != 0 ||
	    address(v, vl, &r->src_family, r->src) != 0)
		return SK_ERR_BAD_FIELD;
	*what = "addr";
	if (field(p, len, &off, "addr", 0, &v, &vl) != 0 ||
	    address(v, vl, &r->family, r->addr) != 0)
		return SK_ERR_BAD_FIELD;
	*what = "ports";
	if (field(p, len, &off, "ports", 0, &v, &vl) != 0 ||
	    vl >= sizeof(r->ports))
		return SK_ERR_BAD_FIELD;
	for (i = 0; i < vl; i++)
		if (!ports_char((unsigned char)v[i]))
			return SK_ERR_BAD_FIELD;
	memcpy(r->ports, v, vl);
	*what = "until";
	if (field(p, len, &off, "until", 0, &v, &vl) != 0 ||
	    decimal(v, vl, INT64_MAX, &x) != 0 || (int64_t)x < r->time)
		return SK_ERR_BAD_FIELD;
	r->until = (int64_t)x;
	*what = "key";
	if (field(p, len, &off, "key", 0, &v, &vl) != 0)
		return SK_ERR_BAD_FIELD;
	if (vl == 7 && memcmp(v, "current", 7) == 0)
		r->prev_key = 0;
	else if (vl == 8 && memcmp(v, "previous", 8) == 0)
		r->prev_key = 1;
	else
		return SK_ERR_BAD_FIELD;
	*what = "request";
	if (field(p, len, &off, "request", 1, &v, &vl) != 0 ||
	    vl > B64_LEN(sizeof(r->request)) ||
	    b64_decode(v, vl, r->request, sizeof(r->request),
	    &r->request_len) != 0 || r->request_len == 0)
		return SK_ERR_BAD_FIELD;
	*what = NULL;
	return 0;
}

int
audit_link(const char *line, size_t len, uint8_t out[32])
{
	return crypto_sha256(line, len, out);
}
