/* The fair queue in front of public-key work: FIFO per source prefix,
 * round robin between prefixes, bounded memory with shedding from the
 * longest queue, and a randomized check of both against a model. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto.h"
#include "fairq.h"
#include "tap.h"

static double clock_now = 1.0;

static void
addr4(struct pkt_info *pi, unsigned a, unsigned b, unsigned c)
{
	memset(pi, 0, sizeof(*pi));
	pi->family = AF_INET;
	pi->src[0] = 10;
	pi->src[1] = (uint8_t)a;
	pi->src[2] = (uint8_t)b;
	pi->src[3] = (uint8_t)c;
}

static void
penalize4(struct fairq *q, unsigned a, unsigned b)
{
	struct pkt_info pi;

	addr4(&pi, a, b, 77);
	fairq_penalize(q, &pi, clock_now);
}

/* A datagram from 10.a.b.c carrying (tag, seq). */
static enum fq_result
push4(struct fairq *q, unsigned a, unsigned b, unsigned c, unsigned tag,
    unsigned seq)
{
	struct pkt_info pi;
	uint8_t data[8];

	addr4(&pi, a, b, c);
	memcpy(data, &tag, 4);
	memcpy(data + 4, &seq, 4);
	pi.payload = data;
	pi.len = sizeof(data);
	return fairq_push(q, &pi, clock_now);
}

/* Pop one; its tag, or -1 when empty.  *seq gets its sequence number. */
static long
pop(struct fairq *q, unsigned *seq)
{
	struct pkt_info pi;
	unsigned tag;
	double at;

	if (!fairq_pop(q, &pi, &at))
		return -1;
	if (pi.len != 8 || pi.family != AF_INET)
		bail("popped a datagram of %zu bytes", pi.len);
	memcpy(&tag, pi.payload, 4);
	memcpy(seq, pi.payload + 4, 4);
	return tag;
}

/* 2000 rounds: a full /24, her datagram, then `after` more forged ones,
 * all from the same /24, before anything is served; how many times hers
 * came out. */
static unsigned
survivors(struct fairq *q, unsigned after)
{
	unsigned i, j, seq, served = 0;

	for (i = 0; i < 2000; i++) {
		for (j = 0; j < FQ_PER_PREFIX; j++)
			push4(q, 0, 0, 66, 1, 0);
		push4(q, 0, 0, 2, 1, 1);
		for (j = 0; j < after; j++)
			push4(q, 0, 0, 66, 1, 0);
		while (pop(q, &seq) >= 0)
			served += seq == 1;
	}
	return served;
}

/* Random pushes and pops over up to NPREF prefixes (never enough to fill
 * the queue), checked against a model: each prefix's datagrams come out
 * in order, none is duplicated, one is lost only when a newcomer finds
 * its prefix full (and the newcomer is kept), and a prefix that starts
 * waiting is served within as many pops as prefixes were waiting then. */
#define NPREF	300
static int
model_check(unsigned ops)
{
	unsigned waiting[NPREF] = { 0 }, next_seq[NPREF] = { 0 },
	    want_seq[NPREF] = { 0 };
	unsigned long deadline[NPREF], pops = 0;
	struct fairq *q = fairq_new();
	unsigned i, p, seq;
	size_t total = 0;
	long tag;

	if (q == NULL)
		bail("fairq_new");
	for (i = 0; i < ops; i++) {
		uint32_t r;

		crypto_random(&r, sizeof(r));
		p = (r >> 8) % NPREF;
		if ((r & 0xff) < 140) {
			enum fq_result res = push4(q, p >> 8, p & 0xff, r >> 24,
			    p, next_seq[p]);

			if (waiting[p] >= FQ_PER_PREFIX) {
				if (res != FQ_PREFIX_SHED)
					return diag("op %u: full prefix: %d, "
					    "not one of its own shed", i, res), 0;
				next_seq[p]++;
				continue;
			}
			if (res != FQ_QUEUED)
				return diag("op %u: push refused (%d)", i, res), 0;
			if (waiting[p]++ == 0)
				deadline[p] = pops + fairq_prefixes(q);
			next_seq[p]++;
			total++;
		} else if ((tag = pop(q, &seq)) >= 0) {
			pops++;
			if (tag >= NPREF || waiting[tag] == 0)
				return diag("op %u: popped from idle prefix %ld",
				    i, tag), 0;
			/* In order, none twice; some may have been shed. */
			if (seq < want_seq[tag] || seq >= next_seq[tag])
				return diag("op %u: prefix %ld gave %u, not "
				    "%u to %u", i, tag, seq, want_seq[tag],
				    next_seq[tag] - 1), 0;
			if (pops > deadline[tag])
				return diag("op %u: prefix %ld served at pop %lu"
				    ", after its turn %lu", i, tag, pops,
				    deadline[tag]), 0;
			want_seq[tag] = seq + 1;
			total--;
			/* Its next datagram waits one more round at most. */
			if (--waiting[tag] > 0)
				deadline[tag] = pops + fairq_prefixes(q);
		} else if (total != 0) {
			return diag("op %u: empty with %zu waiting", i, total), 0;
		}
		if (fairq_len(q) != total)
			return diag("op %u: length %zu, model %zu", i,
			    fairq_len(q), total), 0;
	}
	fairq_free(q);
	return 1;
}

int
main(void)
{
	struct fairq *q;
	unsigned seq, i, j, served;
	long tag;
	int inorder;

	plan(25);
	crypto_init();
	if ((q = fairq_new()) == NULL)
		bail("fairq_new");

	is_int(-1, pop(q, &seq), "an empty queue pops nothing");
	for (i = 0; i < 5; i++)
		push4(q, 0, 0, i + 1, 1, i);
	for (inorder = 1, i = 0; i < 5; i++)
		inorder &= pop(q, &seq) == 1 && seq == i;
	ok(inorder, "one prefix: first in, first out");

	/* A busy /24 and a user who knocks after it: the user is second. */
	for (inorder = 1, i = 0; i < FQ_PER_PREFIX; i++)
		inorder &= push4(q, 0, 0, 1 + i % 3, 1, i) == FQ_QUEUED;
	ok(inorder, "a busy /24 (three addresses) queues %d", FQ_PER_PREFIX);
	is_int(FQ_PREFIX_SHED, push4(q, 0, 0, 99, 1, 99),
	    "one more from the same /24 takes the place of one of its own");
	is_int(FQ_PER_PREFIX, (int)fairq_len(q), "... which stays at %d",
	    FQ_PER_PREFIX);
	is_int(FQ_QUEUED, push4(q, 0, 1, 1, 2, 0), "another /24 is queued");
	ok(pop(q, &seq) == 1 && pop(q, &seq) == 2,
	    "round robin: the other /24 is served second, not ninth");
	for (inorder = 1, j = 0; pop(q, &seq) >= 0; j = seq)
		inorder &= seq > j;
	ok(inorder && seq == 99, "the survivors come out in order, the "
	    "newcomer last");
	is_int(0, (int)fairq_len(q), "drained");

	/* A forger keeps alice's /24 full, 40 datagrams for every one that
	 * is served: her datagram is not the one always dropped, as it
	 * would be if the newcomer were refused (never queued) or the
	 * oldest shed (gone after FQ_PER_PREFIX more).  Each newcomer
	 * spares it with odds 7/8: about 0.5% survive 40. */
	served = survivors(q, 40);
	ok(served > 0 && served < 100, "under a 40:1 forgery her datagram "
	    "survives at random (%u of 2000, expected ~10)", served);
	served = survivors(q, 2);
	ok(served > 1400, "under a 2:1 one, mostly (%u of 2000, expected "
	    "~1530)", served);

	/* Fill every entry from 512 prefixes; a new prefix still gets in by
	 * shedding the oldest of a longest queue, and is served within one
	 * round. */
	for (i = 0; i < FQ_ENTRIES / FQ_PER_PREFIX; i++)
		for (j = 0; j < FQ_PER_PREFIX; j++)
			push4(q, 100 + i / 256, i % 256, j, 1000 + i, j);
	is_int(FQ_ENTRIES, (int)fairq_len(q), "queue full");
	is_int(FQ_QUEUED_SHED, push4(q, 1, 1, 1, 7, 0),
	    "a new prefix is queued by shedding from a longest queue");
	is_int(FQ_ENTRIES, (int)fairq_len(q), "still full, not over");
	for (served = 0; (tag = pop(q, &seq)) >= 0 && tag != 7; served++)
		;
	is_int(FQ_ENTRIES / FQ_PER_PREFIX, (int)served,
	    "it is served right after one datagram of each busy prefix");
	while (pop(q, &seq) >= 0)
		;

	/* One datagram from each of FQ_ENTRIES prefixes: nothing to shed. */
	for (i = 0; i < FQ_ENTRIES; i++)
		push4(q, 100 + i / 256, i % 256, 1, 5000 + i, 0);
	is_int(FQ_FULL, push4(q, 1, 1, 1, 7, 0),
	    "with every entry a different prefix, a newcomer is dropped");
	is_int(FQ_ENTRIES, (int)fairq_prefixes(q), "prefix count");
	fairq_free(q);

	/* Penalties: 50 busy prefixes that failed verification wait behind a
	 * clean newcomer, but still get one turn in four. */
	q = fairq_new();
	for (i = 0; i < 50; i++) {
		push4(q, 20, i, 1, 100 + i, 0);
		push4(q, 20, i, 2, 100 + i, 1);
		penalize4(q, 20, i);		/* moves the waiting prefix */
	}
	push4(q, 30, 0, 1, 7, 0);
	ok(pop(q, &seq) == 7, "a clean prefix is served before 50 penalized");
	for (i = 0; i < 10; i++)
		for (j = 0; j < 4; j++)
			push4(q, 40, i, j, 200 + i, j);
	for (served = 0, i = 0; i < 8; i++)
		served += pop(q, &seq) < 200;
	is_int(2, (int)served, "penalized prefixes get one turn in four "
	    "while clean ones wait");
	while (pop(q, &seq) >= 0)
		;
	penalize4(q, 30, 0);
	push4(q, 20, 0, 1, 100, 0);	/* still penalized: ring of the penalized */
	push4(q, 30, 0, 1, 7, 0);	/* penalized now too */
	push4(q, 50, 0, 1, 8, 0);	/* clean */
	ok(pop(q, &seq) == 8, "a penalty applies to a prefix that comes back");
	while (pop(q, &seq) >= 0)
		;
	/* Full of penalized prefixes, one datagram each: a clean newcomer
	 * takes the place of one, a penalized newcomer does not. */
	for (i = 0; i < FQ_ENTRIES; i++) {
		push4(q, 100 + i / 256, i % 256, 1, 5000 + i, 0);
		penalize4(q, 100 + i / 256, i % 256);
	}
	is_int(FQ_QUEUED_SHED, push4(q, 60, 0, 1, 9, 0),
	    "a clean newcomer displaces a penalized prefix in a full queue");
	is_int(FQ_FULL, push4(q, 20, 0, 1, 100, 0),
	    "a penalized newcomer does not");
	ok(pop(q, &seq) == 9 || pop(q, &seq) == 9,
	    "and the clean one is served within two turns");
	while (pop(q, &seq) >= 0)
		;
	clock_now += FQ_PENALTY_S + 1;
	push4(q, 20, 0, 1, 100, 0);
	push4(q, 50, 0, 1, 8, 0);
	ok(pop(q, &seq) == 100, "a penalty ends after FQ_PENALTY_S");
	fairq_free(q);

	ok(model_check(200000),
	    "200,000 random operations agree with the model");
	return 0;
}
