/* The audit trail's record (lib/audit.h): written and read back field
 * for field, one spelling for each value, and every kind of damage to a
 * line refused with the name of the field it hit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "audit.h"
#include "err.h"
#include "tap.h"

static struct audit_rec rec;
static char line[AUDIT_LINE_MAX];
static size_t len;

static void
sample(void)
{
	size_t i;

	memset(&rec, 0, sizeof(rec));
	rec.seq = 42;
	rec.time = 1796540000;
	for (i = 0; i < 32; i++)
		rec.prev[i] = (uint8_t)(i * 7);
	snprintf(rec.stanza, sizeof(rec.stanza), "ops team/eu%%");
	if (sk_addr_parse("10.77.1.2", &rec.src_family, rec.src) != 0 ||
	    sk_addr_parse("2001:db8::7", &rec.family, rec.addr) != 0)
		bail("addresses");
	snprintf(rec.ports, sizeof(rec.ports), "tcp/22,udp/53@db-1");
	rec.until = rec.time + 30;
	rec.prev_key = 1;
	for (i = 0; i < 100; i++)
		rec.request[i] = (uint8_t)(255 - i);
	rec.request_len = 100;
}

/* The sample line with its first match of from replaced by to: parsed,
 * it must be refused at field what. */
static void
refused(const char *from, const char *to, const char *what, const char *desc)
{
	char buf[AUDIT_LINE_MAX + 64], *at;
	struct audit_rec r;
	const char *got = NULL;
	size_t n;
	int e;

	if ((at = strstr(line, from)) == NULL)
		bail("no '%s' in the sample", from);
	n = (size_t)snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - line),
	    line, to, at + strlen(from));
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	e = audit_parse(buf, n, &r, &got);
	ok(e != 0 && got != NULL && strcmp(got, what) == 0, "refused: %s "
	    "(at %s)", desc, got ? got : "nothing");
}

int
main(void)
{
	struct audit_rec back;
	const char *what;
	char again[AUDIT_LINE_MAX];
	uint8_t link[32], link2[32];

	plan(27);
	sample();
	len = audit_format(&rec, line, sizeof(line));
	ok(len > 0 && line[len - 1] == '\n' && memchr(line, '\n', len - 1) ==
	    NULL, "a record is one line");
	ok(strncmp(line, "sigknock-audit-1 seq=42 time=1796540000 "
	    "prev=00070e15", 52) == 0, "magic, seq, time, prev in lower-case hex");
	ok(strstr(line, " stanza=ops%20team%2Feu%25 src=10.77.1.2 "
	    "addr=2001:db8::7 ports=tcp/22,udp/53@db-1 until=1796540030 "
	    "key=previous request=") != NULL, "the stanza escaped, the grant "
	    "written out");
	ok(audit_parse(line, len - 1, &back, &what) == 0 && what == NULL,
	    "it reads back");
	ok(back.seq == rec.seq && back.time == rec.time && back.until ==
	    rec.until && back.prev_key == 1 && memcmp(back.prev, rec.prev,
	    32) == 0 && strcmp(back.stanza, rec.stanza) == 0 &&
	    strcmp(back.ports, rec.ports) == 0 && back.family == AF_INET6 &&
	    memcmp(back.addr, rec.addr, 16) == 0 && back.src_family ==
	    AF_INET && memcmp(back.src, rec.src, 4) == 0 &&
	    back.request_len == 100 && memcmp(back.request, rec.request,
	    100) == 0, "field for field");
	ok(audit_format(&back, again, sizeof(again)) == len &&
	    memcmp(again, line, len) == 0, "and writes the same bytes");
	memcpy(again, line, len);
	again[len - 2] ^= 1;
	ok(audit_link(line, len, link) == 0 && audit_link(again, len,
	    link2) == 0 && memcmp(link, link2, 32) != 0,
	    "a one-bit change changes its link");
	rec.ports[0] = ' ';
	ok(audit_format(&rec, again, sizeof(again)) == 0,
	    "a ports field with a space is not written");
	sample();
	rec.request_len = 0;
	ok(audit_format(&rec, again, sizeof(again)) == 0,
	    "a record without a request is not written");
	sample();
	ok(audit_format(&rec, again, 100) == 0, "nor into too small a buffer");

	refused("sigknock-audit-1", "sigknock-audit-2", "the record's start",
	    "another version");
	refused("seq=42", "seq=042", "seq", "a leading zero");
	refused("seq=42", "seq=0", "seq", "record 0");
	refused("seq=42", "seq=4x", "seq", "a letter in a number");
	refused("time=1796540000", "time=99999999999999999999", "time",
	    "a number over 64 bits");
	refused("prev=00070e", "prev=00070E", "prev", "upper-case hex");
	refused("prev=00070e", "prev=0070e", "prev", "a short link");
	refused("%2Feu", "%2feu", "stanza", "a lower-case escape");
	refused("%20team", "%41team", "stanza", "an escape of a plain byte");
	refused("ops%20team", "ops team", "src", "a space in a field (what "
	    "follows it is no field)");
	refused("src=10.77.1.2", "src=10.77.1.256", "src", "a bad address");
	refused("addr=2001:db8::7", "addr=host", "addr",
	    "a name, not an address");
	refused("until=1796540030", "until=1796539999", "until",
	    "a grant that ends before it began");
	refused("key=previous", "key=old", "key", "an unknown server key");
	refused("request=", "request=*", "request", "a request not in base64");
	refused("key=previous ", "key=previous  ", "request", "two spaces");
	refused(" request=", " extra=1 request=", "request", "an extra field");
	return 0;
}
