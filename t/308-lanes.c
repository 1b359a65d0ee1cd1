/* The verification queue's lanes (lanes.h): the work lane (most effort
 * first, first come first served within an effort, bounded with the
 * least effort shed), the choice between the known, work and strangers'
 * lanes, both against models over random operations; the known sources
 * (known.h): IPv4 addresses and IPv6 /64s, bounded memory, expiry, the
 * file's text; seen work (workq.h). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "known.h"
#include "lanes.h"
#include "tap.h"
#include "workq.h"

static struct pkt_info
dgram(const char *src, unsigned seq, uint8_t *data)
{
	struct pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	inet_pton(pi.family, src, pi.src);
	memcpy(data, &seq, 4);
	pi.payload = data;
	pi.len = 4;
	return pi;
}

static unsigned
seq_of(const struct pkt_info *pi)
{
	unsigned s;

	memcpy(&s, pi->payload, 4);
	return s;
}

/* ---- the work lane against a model ---- */

struct m_item {
	unsigned	effort, seq;
};

static struct m_item model[WQ_ENTRIES];
static size_t model_n;

static int
model_push(unsigned effort, unsigned seq)
{
	size_t i, v = 0;

	if (model_n == WQ_ENTRIES) {
		/* The oldest of the least effort, if below the newcomer's. */
		for (i = 1; i < model_n; i++)
			if (model[i].effort < model[v].effort ||
			    (model[i].effort == model[v].effort &&
			    model[i].seq < model[v].seq))
				v = i;
		if (model[v].effort >= effort)
			return -1;
		model[v] = model[--model_n];
	}
	model[model_n++] = (struct m_item){ effort, seq };
	return 0;
}

static long
model_pop(unsigned *effort)
{
	size_t i, b = 0;
	unsigned seq;

	if (model_n == 0)
		return -1;
	for (i = 1; i < model_n; i++)
		if (model[i].effort > model[b].effort ||
		    (model[i].effort == model[b].effort &&
		    model[i].seq < model[b].seq))
			b = i;
	*effort = model[b].effort;
	seq = model[b].seq;
	model[b] = model[--model_n];
	return seq;
}

static void
test_workq(void)
{
	struct workq *q = workq_new();
	struct pkt_info pi;
	uint8_t data[4];
	unsigned seq = 0, e, me, op, i, mismatch = 0, shed = 0, dropped = 0;
	long ms;
	double at;
	int r;

	if (q == NULL)
		bail("workq_new");
	for (op = 0; op < 200000; op++) {
		if (random() % 100 < (op % 20000 < 12000 ? 60 : 35)) {
			e = (unsigned)(random() % 6) * 4;
			pi = dgram("192.0.2.1", seq, data);
			r = workq_push(q, &pi, e, op);
			if ((r == WQ_FULL) != (model_push(e, seq) != 0))
				mismatch++;
			shed += r == WQ_QUEUED_SHED;
			dropped += r == WQ_FULL;
			seq++;
		} else {
			ms = model_pop(&me);
			r = workq_pop(q, &pi, &e, &at);
			if (r != (ms >= 0) || (r && (seq_of(&pi) != (unsigned)ms ||
			    e != me)))
				mismatch++;
		}
		if (workq_len(q) != model_n)
			mismatch++;
	}
	is_int(0, mismatch, "work lane: 200,000 random pushes and pops agree "
	    "with the model (most effort first, oldest first, least effort "
	    "shed)");
	ok(shed > 0 && dropped > 0, "(the run filled it: %u shed, %u dropped)",
	    shed, dropped);
	while (workq_pop(q, &pi, &e, &at))
		;
	model_n = 0;
	for (i = 0; i < WQ_ENTRIES; i++) {
		pi = dgram("192.0.2.1", i, data);
		workq_push(q, &pi, 8, 0);
	}
	pi = dgram("192.0.2.1", 99999, data);
	ok(workq_push(q, &pi, 8, 0) == WQ_FULL, "full of effort 8: a newcomer "
	    "of 8 is dropped");
	ok(workq_push(q, &pi, 9, 0) == WQ_QUEUED_SHED && workq_pop(q, &pi, &e,
	    &at) && seq_of(&pi) == 99999 && e == 9, "one of 9 takes a place "
	    "and is served first");
	ok(workq_pop(q, &pi, &e, &at) && seq_of(&pi) == 1, "the oldest of 8 "
	    "made room");
	workq_free(q);
}

/* ---- the choice of lane ---- */

static void
test_lanes(void)
{
	struct lanes l;
	struct pkt_info pi;
	uint8_t data[4];
	enum lane lane, want;
	unsigned i, known = 0, others = 0, mismatch = 0, nk, nw, ns, turn = 0;
	double at;

	if (lanes_init(&l) != 0)
		bail("lanes_init");
	pi = dgram("192.0.2.1", 1, data);
	lanes_push(&l, LANE_STRANGER, &pi, 0, 0);
	ok(lanes_pop(&l, &pi, &at, &lane) && lane == LANE_STRANGER,
	    "a stranger alone is served at once");
	/* A full prefix takes a newcomer by shedding one of its own: queued
	 * (1), not refused (-1), in either fair lane. */
	for (want = LANE_STRANGER; ; want = LANE_KNOWN) {
		int r = 0;

		for (i = 0; i < FQ_PER_PREFIX + 3; i++) {
			pi = dgram("192.0.2.1", i, data);
			r = lanes_push(&l, want, &pi, 0, 0);
		}
		ok(r == 1 && lanes_len(&l) == FQ_PER_PREFIX, "%s lane: a "
		    "newcomer to a full prefix is queued by shedding one of "
		    "its own", want == LANE_KNOWN ? "known" : "strangers'");
		while (lanes_pop(&l, &pi, &at, &lane))
			;
		if (want == LANE_KNOWN)
			break;
	}
	for (i = 0; i < 40; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.51.%u.7", i);
		pi = dgram(a, i, data);
		lanes_push(&l, LANE_KNOWN, &pi, 0, 0);
		snprintf(a, sizeof(a), "203.0.%u.9", i);
		pi = dgram(a, i, data);
		lanes_push(&l, LANE_STRANGER, &pi, 0, 0);
	}
	for (i = 0; i < 40; i++) {
		lanes_pop(&l, &pi, &at, &lane);
		known += lane == LANE_KNOWN;
		others += lane != LANE_KNOWN;
	}
	ok(known == 30 && others == 10, "known and strangers both waiting: "
	    "three turns in four for the known lane (%u of 40)", known);
	while (lanes_pop(&l, &pi, &at, &lane))
		;
	pi = dgram("203.0.113.9", 1, data);
	lanes_push(&l, LANE_STRANGER, &pi, 0, 0);
	pi = dgram("203.0.113.10", 2, data);
	lanes_push(&l, LANE_WORK, &pi, 12, 0);
	ok(lanes_pop(&l, &pi, &at, &lane) && lane == LANE_WORK &&
	    seq_of(&pi) == 2, "among strangers the work lane goes first");

	/* Random pushes and pops against the rule, one prefix per lane (a
	 * push that sheds one of its own lane leaves the count as it is). */
	while (lanes_pop(&l, &pi, &at, &lane))
		;
	nk = nw = ns = 0;
	l.turn = 0;	/* the model's rotation starts with the lanes' */
	for (i = 0; i < 100000; i++) {
		if (random() % 2 && nk + nw + ns < 3000) {
			switch (random() % 3) {
			case 0:
				pi = dgram("198.51.100.7", i, data);
				nk += lanes_push(&l, LANE_KNOWN, &pi, 0, i) == 0;
				break;
			case 1:
				pi = dgram("203.0.113.10", i, data);
				nw += lanes_push(&l, LANE_WORK, &pi, 3, i) == 0;
				break;
			default:
				pi = dgram("203.0.113.9", i, data);
				ns += lanes_push(&l, LANE_STRANGER, &pi, 0, i) == 0;
				break;
			}
			continue;
		}
		if (nk + nw + ns == 0)
			continue;
		if (nk > 0 && (nw + ns == 0 || turn++ % 4 != 3))
			want = LANE_KNOWN;
		else
			want = nw > 0 ? LANE_WORK : LANE_STRANGER;
		if (!lanes_pop(&l, &pi, &at, &lane) || lane != want) {
			if (mismatch < 3)
				diag("op %u: lane %d, want %d (%u %u %u)", i, lane, want, nk, nw, ns);
			mismatch++;
		}
		nk -= lane == LANE_KNOWN;
		nw -= lane == LANE_WORK;
		ns -= lane == LANE_STRANGER;
		if (lanes_len(&l) != nk + nw + ns)
			mismatch++;
	}
	is_int(0, mismatch, "100,000 random operations: every pop takes the "
	    "lane the rule names");
	lanes_free(&l);
}

/* ---- known sources ---- */

static void
add(struct known *k, const char *a, time_t seen)
{
	uint8_t addr[16] = { 0 };
	int family = strchr(a, ':') ? AF_INET6 : AF_INET;

	inet_pton(family, a, addr);
	known_add(k, family, addr, seen);
}

static int
has(const struct known *k, const char *a)
{
	uint8_t addr[16] = { 0 };
	int family = strchr(a, ':') ? AF_INET6 : AF_INET;

	inet_pton(family, a, addr);
	return known_has(k, family, addr);
}

static void
test_known(void)
{
	struct known *k = known_new(), *k2 = known_new();
	static char text[KNOWN_BYTES];
	uint8_t addr[16] = { 192, 0, 2, 0 };
	size_t len, bad, i;
	unsigned miss = 0;
	static const char file[] =
	    "# comment\n"
	    "192.0.2.7 1795000000\n"
	    "2001:db8:1:2:: 1795000001\n"
	    "192.0.2.8\n"
	    "host 1795000000\n"
	    "192.0.2.9 -1\n"
	    "192.0.2.10 17950000000000000000000\n";

	if (k == NULL || k2 == NULL)
		bail("known_new");
	add(k, "192.0.2.7", 1000);
	add(k, "2001:db8:1:2:aaaa::1", 1000);
	ok(has(k, "192.0.2.7") && !has(k, "192.0.2.8"), "an IPv4 source is "
	    "known by its address, not its /24");
	ok(has(k, "2001:db8:1:2:bbbb::2") && !has(k, "2001:db8:1:3::1"),
	    "an IPv6 source by its /64");
	ok(!has(k, "::ffff:192.0.2.7"), "the families stay apart");
	inet_pton(AF_INET, "192.0.2.7", addr);
	is_int(0, known_add(k, AF_INET, addr, 1100), "seen again soon: no "
	    "need to write it out");
	is_int(1, known_add(k, AF_INET, addr, 1000 + KNOWN_REFRESH_S),
	    "seen again an hour later: written out");
	known_prune(k, 1050);
	ok(has(k, "192.0.2.7") && !has(k, "2001:db8:1:2::1"), "prune forgets "
	    "the sources seen before the period");

	for (i = 0; i < KNOWN_MAX + 100; i++) {
		addr[0] = 10;
		addr[1] = (uint8_t)(i >> 16);
		addr[2] = (uint8_t)(i >> 8);
		addr[3] = (uint8_t)i;
		known_add(k, AF_INET, addr, 5000 + (time_t)i);
	}
	ok(known_count(k) == KNOWN_MAX && !has(k, "192.0.2.7") &&
	    !has(k, "10.0.0.0") && has(k, "10.0.16.99"), "bounded at %d: the "
	    "least recently seen go", KNOWN_MAX);
	for (i = 0; i < 200000; i++) {
		addr[0] = 11;
		addr[1] = (uint8_t)(i >> 16);
		addr[2] = (uint8_t)(i >> 8);
		addr[3] = (uint8_t)i;
		known_add(k, AF_INET, addr, 10000 + (time_t)i);
		if (!known_has(k, AF_INET, addr))
			miss++;
		if (i % 997 == 0)
			known_prune(k, 10000 + (time_t)i - 1000);
	}
	ok(miss == 0 && known_count(k) <= KNOWN_MAX, "200,000 sources through "
	    "it with pruning: each found after its knock, the count bounded");

	len = known_format(k, text, sizeof(text));
	known_parse(k2, text, len, &bad);
	ok(len > 0 && bad == 0 && known_count(k2) == known_count(k),
	    "the file's text parses back to as many sources");
	known_free(k2);
	k2 = known_new();
	known_parse(k2, file, sizeof(file) - 1, &bad);
	ok(known_count(k2) == 2 && bad == 4 && has(k2, "192.0.2.7") &&
	    has(k2, "2001:db8:1:2::9"), "two good lines, four bad ones skipped");
	known_free(k);
	known_free(k2);

	/* One user cannot fill the list: an insider's 1,000 sources keep
	 * 16 of theirs and push out nobody else's. */
	{
		static const uint8_t alice[KNOWN_OWNER_LEN] = { 0xa1 },
		    mallory[KNOWN_OWNER_LEN] = { 0x66 };

		k = known_new();
		k2 = known_new();
		if (k == NULL || k2 == NULL)
			bail("known_new");
		inet_pton(AF_INET, "192.0.2.7", addr);
		known_add_owned(k, AF_INET, addr, 100, alice);
		for (i = 0; i < 1000; i++) {
			addr[0] = 10;
			addr[1] = 9;
			addr[2] = (uint8_t)(i >> 8);
			addr[3] = (uint8_t)i;
			known_add_owned(k, AF_INET, addr, 200 + (time_t)i,
			    mallory);
		}
		ok(known_count(k) == 1 + KNOWN_PER_OWNER && has(k, "192.0.2.7")
		    && has(k, "10.9.3.231") && !has(k, "10.9.0.0"), "1,000 new "
		    "sources of one user keep %d of them (the latest), and "
		    "another user's stays", KNOWN_PER_OWNER);
		len = known_format(k, text, sizeof(text));
		known_parse(k2, text, len, &bad);
		inet_pton(AF_INET, "10.9.100.1", addr);
		known_add_owned(k2, AF_INET, addr, 5000, mallory);
		ok(bad == 0 && known_count(k2) == 1 + KNOWN_PER_OWNER &&
		    strstr(text, "192.0.2.7 100 a100000000000000\n") != NULL &&
		    !has(k2, "10.9.3.216") && has(k2, "10.9.100.1"), "owners "
		    "are written and read back: the bound holds after a "
		    "restart");
		known_free(k);
		known_free(k2);
	}
}

/* StateDir's list and journal (known.h): sources appended to the
 * journal load over the list; a line read twice (a crash between a new
 * list and the journal's removal) changes nothing; a torn last line is
 * left out; a new list removes the journal. */
static void
test_known_journal(void)
{
	char dir[] = "/tmp/sk-308.XXXXXX", path[64], line[KNOWN_LINE_MAX];
	struct known *k = known_new(), *l = known_new(), *l2 = known_new();
	uint8_t a[16] = { 192, 0, 2, 9 }, b[16] = { 198, 51, 100, 1 };
	uint8_t owner[KNOWN_OWNER_LEN] = { 0xa1 };
	size_t n;

	if (k == NULL || l == NULL || l2 == NULL || mkdtemp(dir) == NULL)
		bail("known journal setup");
	known_add(k, AF_INET, a, 100);
	if (known_save(k, dir) != 0)
		bail("known_save");
	known_add_owned(k, AF_INET, b, 200, owner);
	n = known_line(AF_INET, b, 200, owner, line, sizeof(line));
	if (n == 0 || known_journal_append(dir, line, n) != 0 ||
	    known_journal_append(dir, line, n) != 0 ||	/* read twice */
	    known_journal_append(dir, "203.0.113.5 30", 14) != 0) /* torn */
		bail("known journal append");
	ok(known_load(l, dir) == 0 && known_count(l) == 2 && has(l,
	    "192.0.2.9") && has(l, "198.51.100.1") && !has(l, "203.0.113.5"),
	    "known: the journal loads over the list, a line read twice "
	    "counts once, a torn last line is left out");
	snprintf(path, sizeof(path), "%s/%s", dir, KNOWN_JOURNAL);
	ok(known_save(l, dir) == 0 && access(path, F_OK) != 0 &&
	    known_load(l2, dir) == 0 && known_count(l2) == 2,
	    "... a new list removes the journal and holds both");
	snprintf(path, sizeof(path), "%s/%s", dir, KNOWN_FILE);
	unlink(path);
	rmdir(dir);
	known_free(k);
	known_free(l);
	known_free(l2);
}

static void
test_workseen(void)
{
	struct seen *s = seen_new(SEEN_WORK_SLOTS, SEEN_KEEP);
	enum seen_result r;
	uint8_t m[16];
	unsigned i, copies = 0;

	if (s == NULL)
		bail("seen_new");
	uint8_t a[16] = { 192, 0, 2, 7 }, b[16] = { 192, 0, 2, 8 };

	memset(m, 7, sizeof(m));
	ok(seen_add(s, m, AF_INET, a, 10, 5) == SEEN_NEW, "worked datagram: "
	    "new");
	ok(seen_add(s, m, AF_INET, a, 12, 5) == SEEN_COPY, "its copy from "
	    "the same source: a copy");
	ok(seen_add(s, m, AF_INET, b, 12, 5) == SEEN_COPY_ELSEWHERE,
	    "from another source: a copy from elsewhere (it loses the work, "
	    "not its turn)");
	ok(seen_add(s, m, AF_INET6, a, 12, 5) == SEEN_COPY_ELSEWHERE,
	    "(another family is another source)");
	ok(seen_add(s, m, AF_INET, a, 16, 5) == SEEN_NEW, "after the window: "
	    "new again");
	for (i = 0; i < SEEN_WORK_SLOTS / 2; i++) {
		crypto_random(m, sizeof(m));
		r = seen_add(s, m, AF_INET, a, 20, 5);
		copies += r == SEEN_COPY || r == SEEN_COPY_ELSEWHERE;
	}
	is_int(0, copies, "%d random ones: none taken for a copy", SEEN_WORK_SLOTS / 2);
	seen_free(s);
	/* A flood of valid work cannot make it forget: with every slot
	 * live, new work does not count, and what was seen stays seen. */
	if ((s = seen_new(SEEN_WORK_SLOTS, SEEN_KEEP)) == NULL)
		bail("seen_new");
	memset(m, 9, sizeof(m));
	seen_add(s, m, AF_INET, a, 100, 50);
	for (copies = 0, i = 0; i < 4 * SEEN_WORK_SLOTS; i++) {
		uint8_t other[16];

		crypto_random(other, sizeof(other));
		copies += seen_add(s, other, AF_INET, b, 101, 50) ==
		    SEEN_FULL;
	}
	ok(copies >= 3 * SEEN_WORK_SLOTS, "a flood of %d valid works into %d slots: "
	    "the ones without room count for nothing (%u)", 4 * SEEN_WORK_SLOTS,
	    SEEN_WORK_SLOTS, copies);
	ok(seen_add(s, m, AF_INET, a, 120, 50) == SEEN_COPY, "... and the "
	    "first one is still seen: its copy is dropped, not counted again");
	ok(seen_add(s, m, AF_INET, a, 152, 50) == SEEN_NEW, "once the "
	    "windows are over there is room again: new");
	seen_free(s);

	/* Decided datagrams: looked up without being added; a flood makes
	 * the table forget (a forgotten copy is only checked again). */
	if ((s = seen_new(SEEN_DECIDED_SLOTS, SEEN_FORGET)) == NULL)
		bail("seen_new");
	memset(m, 3, sizeof(m));
	ok(seen_find(s, m, AF_INET, a, 10) == SEEN_NEW &&
	    seen_find(s, m, AF_INET, a, 10) == SEEN_NEW, "decided: a lookup "
	    "adds nothing");
	seen_add(s, m, AF_INET, a, 10, 2);
	ok(seen_find(s, m, AF_INET, a, 11) == SEEN_COPY &&
	    seen_find(s, m, AF_INET, b, 11) == SEEN_COPY_ELSEWHERE,
	    "a copy from the same source is one, from another is not");
	ok(seen_find(s, m, AF_INET, a, 12.5) == SEEN_NEW, "after its window "
	    "it is forgotten");
	seen_add(s, m, AF_INET, a, 20, 2);
	for (copies = 0, i = 0; i < 4 * SEEN_DECIDED_SLOTS; i++) {
		uint8_t other[16];

		crypto_random(other, sizeof(other));
		copies += seen_add(s, other, AF_INET, b, 20.5, 2) == SEEN_FULL;
	}
	ok(copies == 0 && seen_find(s, m, AF_INET, a, 21) == SEEN_NEW,
	    "a flood into a full table: new ones push old ones out");
	seen_add(s, m, AF_INET, a, 30, 2);
	seen_clear(s);
	ok(seen_find(s, m, AF_INET, a, 30.5) == SEEN_NEW, "seen_clear "
	    "forgets (a reload: new keys may decide a copy otherwise)");
	seen_free(s);
}

int
main(void)
{
	plan(39);
	if (crypto_init() != 0)
		bail("crypto_init");
	srandom(308);
	test_workq();
	test_lanes();
	test_known();
	test_workseen();
	test_known_journal();
	return 0;
}
