#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "hash.h"
#include "wire.h"
#include "work.h"
#include "workq.h"

#define NIL	UINT32_MAX
#define LEVELS	(SK_WORK_EFFORT_MAX + 1)

struct item {
	struct pkt_info	pi;		/* payload points into data */
	double		at;
	uint32_t	next;
	uint8_t		data[SK_DATAGRAM_MAX];
};

struct workq {
	size_t		n;
	uint32_t	free_item;
	uint32_t	head[LEVELS], tail[LEVELS];
	struct item	it[WQ_ENTRIES];
	uint8_t		out[SK_DATAGRAM_MAX];
};

struct workq *
workq_new(void)
{
	struct workq *q;
	uint32_t i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	for (i = 0; i < WQ_ENTRIES; i++)
		q->it[i].next = i + 1 < WQ_ENTRIES ? i + 1 : NIL;
	for (i = 0; i < LEVELS; i++)
		q->head[i] = q->tail[i] = NIL;
	return q;
}

static uint32_t
take_head(struct workq *q, unsigned level)
{
	uint32_t i = q->head[level];

	q->head[level] = q->it[i].next;
	if (q->head[level] == NIL)
		q->tail[level] = NIL;
	q->n--;
	return i;
}

enum wq_result
workq_push(struct workq *q, const struct pkt_info *pi, unsigned effort,
    double at)
{
	enum wq_result res = WQ_QUEUED;
	struct item *it;
	unsigned l;
	uint32_t i;

	if (pi->len > SK_DATAGRAM_MAX || effort >= LEVELS)
		return WQ_FULL;
	if (q->free_item == NIL) {
		for (l = 0; l < effort && q->head[l] == NIL; l++)
			;
		if (l == effort)
			return WQ_FULL;
		i = take_head(q, l);
		q->it[i].next = q->free_item;
		q->free_item = i;
		res = WQ_QUEUED_SHED;
	}
	i = q->free_item;
	it = &q->it[i];
	q->free_item = it->next;
	it->pi = *pi;
	memcpy(it->data, pi->payload, pi->len);
	it->pi.payload = it->data;
	it->at = at;
	it->next = NIL;
	if (q->tail[effort] == NIL)
		q->head[effort] = i;
	else
		q->it[q->tail[effort]].next = i;
	q->tail[effort] = i;
	q->n++;
	return res;
}

int
workq_pop(struct workq *q, struct pkt_info *pi, unsigned *effort, double *at)
{
	unsigned l;
	uint32_t i;

	if (q->n == 0)
		return 0;
	for (l = LEVELS - 1; q->head[l] == NIL; l--)
		;
	i = take_head(q, l);
	*pi = q->it[i].pi;
	memcpy(q->out, q->it[i].data, pi->len);
	pi->payload = q->out;
	*effort = l;
	*at = q->it[i].at;
	q->it[i].next = q->free_item;
	q->free_item = i;
	return 1;
}

size_t
workq_len(const struct workq *q)
{
	return q->n;
}

void
workq_free(struct workq *q)
{
	free(q);
}

#define SEEN_PROBE	8

struct seen_slot {
	uint8_t		mac1[16];
	uint8_t		src[16];
	int		family;
	double		until;		/* 0: free */
};

struct seen {
	uint64_t		seed;
	size_t			mask;
	enum seen_mode		mode;
	struct seen_slot	s[];
};

struct seen *
seen_new(size_t slots, enum seen_mode mode)
{
	struct seen *s;

	if (slots == 0 || (slots & (slots - 1)) != 0 ||
	    (s = calloc(1, sizeof(*s) + slots * sizeof(s->s[0]))) == NULL)
		return NULL;
	crypto_random(&s->seed, sizeof(s->seed));
	s->mask = slots - 1;
	s->mode = mode;
	return s;
}

/* The slot holding mac1, else in *victim the free or stalest slot of
 * its probe run. */
static struct seen_slot *
seen_slot(struct seen *s, const uint8_t mac1[16], double now,
    struct seen_slot **victim)
{
	uint64_t h = sk_hash(s->seed, mac1, 16);
	struct seen_slot *e;
	size_t i;

	*victim = NULL;
	for (i = 0; i < SEEN_PROBE; i++) {
		e = &s->s[(h + i) & s->mask];
		if (e->until > now && memcmp(e->mac1, mac1, 16) == 0)
			return e;
		if (*victim == NULL || e->until < (*victim)->until)
			*victim = e;
	}
	return NULL;
}

static enum seen_result
seen_same(const struct seen_slot *e, int family, const uint8_t src[16])
{
	return e->family == family && memcmp(e->src, src, 16) == 0 ?
	    SEEN_COPY : SEEN_COPY_ELSEWHERE;
}

enum seen_result
seen_find(struct seen *s, const uint8_t mac1[16], int family,
    const uint8_t src[16], double now)
{
	struct seen_slot *e, *victim;

	if ((e = seen_slot(s, mac1, now, &victim)) == NULL)
		return SEEN_NEW;
	return seen_same(e, family, src);
}

enum seen_result
seen_add(struct seen *s, const uint8_t mac1[16], int family,
    const uint8_t src[16], double now, double ttl)
{
	struct seen_slot *e, *victim;

	if ((e = seen_slot(s, mac1, now, &victim)) != NULL)
		return seen_same(e, family, src);
	/* SEEN_KEEP forgets nothing within its window: forgotten work
	 * would count again.  With no room, this work does not count. */
	if (s->mode == SEEN_KEEP && victim->until > now)
		return SEEN_FULL;
	memcpy(victim->mac1, mac1, 16);
	memcpy(victim->src, src, 16);
	victim->family = family;
	victim->until = now + ttl;
	return SEEN_NEW;
}

void
seen_clear(struct seen *s)
{
	memset(s->s, 0, (s->mask + 1) * sizeof(s->s[0]));
}

void
seen_free(struct seen *s)
{
	free(s);
}
