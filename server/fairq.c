#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto.h"
#include "fairq.h"
#include "hash.h"
#include "wire.h"

#define NIL		UINT32_MAX
#define FQ_BUCKETS	8192	/* power of two, twice FQ_ENTRIES */
#define PEN_SLOTS	65536	/* power of two: penalized prefixes remembered */
#define PEN_PROBE	8

struct item {
	int		family;
	uint8_t		src[16], dst[16];
	uint16_t	sport, dport;
	size_t		len;
	double		at;
	uint32_t	next;		/* in its prefix's FIFO, or free list */
	uint8_t		data[SK_DATAGRAM_MAX];
};

struct prefix {
	uint8_t		key[8];		/* family, then /24 or /48 bytes */
	uint32_t	head, tail, len;
	uint32_t	hnext;		/* hash chain, or free list */
	uint32_t	rnext, rprev;	/* round-robin ring of busy prefixes */
	uint32_t	lnext, lprev;	/* prefixes with the same len */
	uint8_t		cls;		/* 0, or 1 when penalized */
};

struct penalty {
	uint8_t		key[8];
	double		until;		/* 0: free */
};

struct fairq {
	uint64_t	seed, rng;
	size_t		n, nprefix;
	uint32_t	free_item, free_prefix;
	uint32_t	ring[2];	/* next to serve, per class */
	unsigned	turn;
	uint32_t	bucket[FQ_BUCKETS];
	uint32_t	bylen[2][FQ_PER_PREFIX + 1];	/* per class */
	struct prefix	p[FQ_ENTRIES];
	struct item	it[FQ_ENTRIES];
	uint8_t		out[SK_DATAGRAM_MAX];	/* what fairq_pop returned */
	struct penalty	pen[PEN_SLOTS];
};

struct fairq *
fairq_new(void)
{
	struct fairq *q;
	uint32_t i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	crypto_random(&q->seed, sizeof(q->seed));
	crypto_random(&q->rng, sizeof(q->rng));
	for (i = 0; i < FQ_ENTRIES; i++) {
		q->it[i].next = i + 1 < FQ_ENTRIES ? i + 1 : NIL;
		q->p[i].hnext = i + 1 < FQ_ENTRIES ? i + 1 : NIL;
	}
	for (i = 0; i < FQ_BUCKETS; i++)
		q->bucket[i] = NIL;
	for (i = 0; i <= FQ_PER_PREFIX; i++)
		q->bylen[0][i] = q->bylen[1][i] = NIL;
	q->ring[0] = q->ring[1] = NIL;
	return q;
}

static void
prefix_key(const struct pkt_info *pi, uint8_t key[8])
{
	memset(key, 0, 8);
	key[0] = (uint8_t)pi->family;
	memcpy(key + 1, pi->src, pi->family == AF_INET ? 3 : 6);
}

/* Move p from the list of its length to the list of length len. */
static void
set_len(struct fairq *q, uint32_t pi, uint32_t len)
{
	struct prefix *p = &q->p[pi];

	if (p->len > 0) {
		if (p->lprev != NIL)
			q->p[p->lprev].lnext = p->lnext;
		else
			q->bylen[p->cls][p->len] = p->lnext;
		if (p->lnext != NIL)
			q->p[p->lnext].lprev = p->lprev;
	}
	p->len = len;
	if (len > 0) {
		p->lprev = NIL;
		p->lnext = q->bylen[p->cls][len];
		if (p->lnext != NIL)
			q->p[p->lnext].lprev = pi;
		q->bylen[p->cls][len] = pi;
	}
}

/* Join ring cls last: served after every prefix already waiting there. */
static void
ring_add(struct fairq *q, uint32_t i, uint8_t cls)
{
	struct prefix *p = &q->p[i];
	uint32_t *ring = &q->ring[cls];

	p->cls = cls;
	if (*ring == NIL) {
		p->rnext = p->rprev = i;
		*ring = i;
	} else {
		p->rnext = *ring;
		p->rprev = q->p[*ring].rprev;
		q->p[p->rprev].rnext = i;
		q->p[*ring].rprev = i;
	}
}

static void
ring_remove(struct fairq *q, uint32_t i)
{
	struct prefix *p = &q->p[i];
	uint32_t *ring = &q->ring[p->cls];

	if (p->rnext == i) {
		*ring = NIL;
	} else {
		q->p[p->rprev].rnext = p->rnext;
		q->p[p->rnext].rprev = p->rprev;
		if (*ring == i)
			*ring = p->rnext;
	}
}

/* The penalty slot for key: the one holding it, else (find_only == 0)
 * a free or the stalest of PEN_PROBE, else NULL. */
static struct penalty *
penalty_slot(struct fairq *q, const uint8_t key[8], double now, int find_only)
{
	uint64_t h = sk_hash(q->seed ^ 1, key, 8);
	struct penalty *s, *victim = NULL;
	size_t i;

	for (i = 0; i < PEN_PROBE; i++) {
		s = &q->pen[(h + i) & (PEN_SLOTS - 1)];
		if (s->until > now && memcmp(s->key, key, 8) == 0)
			return s;
		if (victim == NULL || s->until < victim->until)
			victim = s;
	}
	return find_only ? NULL : victim;
}

static uint32_t
prefix_get(struct fairq *q, const uint8_t key[8], int create, double now)
{
	uint32_t b = (uint32_t)sk_hash(q->seed, key, 8) & (FQ_BUCKETS - 1);
	uint32_t i;
	struct prefix *p;

	for (i = q->bucket[b]; i != NIL; i = q->p[i].hnext)
		if (memcmp(q->p[i].key, key, 8) == 0)
			return i;
	if (!create || (i = q->free_prefix) == NIL)
		return NIL;
	p = &q->p[i];
	q->free_prefix = p->hnext;
	memcpy(p->key, key, 8);
	p->head = p->tail = NIL;
	p->len = 0;
	p->hnext = q->bucket[b];
	q->bucket[b] = i;
	ring_add(q, i, penalty_slot(q, key, now, 1) != NULL);
	q->nprefix++;
	return i;
}

static void
prefix_release(struct fairq *q, uint32_t i)
{
	struct prefix *p = &q->p[i];
	uint32_t b = (uint32_t)sk_hash(q->seed, p->key, 8) & (FQ_BUCKETS - 1);
	uint32_t *link;

	for (link = &q->bucket[b]; *link != i; link = &q->p[*link].hnext)
		;
	*link = p->hnext;
	ring_remove(q, i);
	set_len(q, i, 0);
	p->hnext = q->free_prefix;
	q->free_prefix = i;
	q->nprefix--;
}

/* Unlink the oldest datagram of prefix pi; the prefix is released when
 * that was its last.  Returns the item, still allocated. */
static uint32_t
take_head(struct fairq *q, uint32_t pi)
{
	struct prefix *p = &q->p[pi];
	uint32_t i = p->head;

	p->head = q->it[i].next;
	if (p->head == NIL)
		p->tail = NIL;
	set_len(q, pi, p->len - 1);
	if (p->len == 0)
		prefix_release(q, pi);
	q->n--;
	return i;
}

/* Unlink the datagram at position at (0: the oldest) of prefix pi, which
 * holds more than one: the prefix stays.  Returns the item. */
static uint32_t
take_at(struct fairq *q, uint32_t pi, uint32_t at)
{
	struct prefix *p = &q->p[pi];
	uint32_t prev = NIL, i = p->head;

	if (at == 0)
		return take_head(q, pi);
	for (; at > 0; at--) {
		prev = i;
		i = q->it[i].next;
	}
	q->it[prev].next = q->it[i].next;
	if (p->tail == i)
		p->tail = prev;
	set_len(q, pi, p->len - 1);
	q->n--;
	return i;
}

/* splitmix64: which datagram a full prefix loses.  Not a secret; only
 * not a choice the sender can make. */
static uint32_t
fq_random(struct fairq *q, uint32_t n)
{
	uint64_t z = (q->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) % n);
}

static void
item_free(struct fairq *q, uint32_t i)
{
	q->it[i].next = q->free_item;
	q->free_item = i;
}

static uint32_t
longest(const struct fairq *q, uint8_t cls, uint32_t minlen, uint32_t *len)
{
	uint32_t l;

	for (l = FQ_PER_PREFIX; l >= minlen; l--)
		if (q->bylen[cls][l] != NIL) {
			*len = l;
			return q->bylen[cls][l];
		}
	*len = 0;
	return NIL;
}

/* Whose oldest datagram makes room for a newcomer of class cls: for a
 * clean newcomer, a penalized prefix first (the longest); otherwise the
 * longest queue of all, if it holds two or more; NIL for none. */
static uint32_t
shed_victim(const struct fairq *q, uint8_t cls)
{
	uint32_t v0, v1, l0, l1;

	if (cls == 0 && (v1 = longest(q, 1, 1, &l1)) != NIL)
		return v1;
	v0 = longest(q, 0, 2, &l0);
	v1 = longest(q, 1, 2, &l1);
	return l1 > l0 ? v1 : v0;
}

enum fq_result
fairq_push(struct fairq *q, const struct pkt_info *pi, double at)
{
	enum fq_result res = FQ_QUEUED;
	uint8_t key[8];
	uint32_t pix, i, victim;
	struct item *it;

	if (pi->len > SK_DATAGRAM_MAX)
		return FQ_FULL;
	prefix_key(pi, key);
	pix = prefix_get(q, key, 0, at);
	/* A full prefix loses one of its own at random, not the newcomer:
	 * a sender who forges a user's source keeps that prefix full, and
	 * a queue that refused newcomers would refuse the user's knock
	 * every time, one that dropped the oldest would drop it after
	 * FQ_PER_PREFIX more. */
	if (pix != NIL && q->p[pix].len >= FQ_PER_PREFIX) {
		item_free(q, take_at(q, pix, fq_random(q, q->p[pix].len)));
		res = FQ_PREFIX_SHED;
	} else if (q->free_item == NIL) {
		if ((victim = shed_victim(q, pix != NIL ? q->p[pix].cls :
		    penalty_slot(q, key, at, 1) != NULL)) == NIL)
			return FQ_FULL;
		/* The victim is not pix, or keeps a datagram: pix stays. */
		item_free(q, take_head(q, victim));
		res = FQ_QUEUED_SHED;
	}
	if (pix == NIL)
		pix = prefix_get(q, key, 1, at); /* a prefix per item: never NIL */
	i = q->free_item;
	it = &q->it[i];
	q->free_item = it->next;
	it->family = pi->family;
	memcpy(it->src, pi->src, 16);
	memcpy(it->dst, pi->dst, 16);
	it->sport = pi->sport;
	it->dport = pi->dport;
	it->len = pi->len;
	it->at = at;
	it->next = NIL;
	memcpy(it->data, pi->payload, pi->len);
	if (q->p[pix].tail == NIL)
		q->p[pix].head = i;
	else
		q->it[q->p[pix].tail].next = i;
	q->p[pix].tail = i;
	set_len(q, pix, q->p[pix].len + 1);
	q->n++;
	return res;
}

int
fairq_pop(struct fairq *q, struct pkt_info *pi, double *at)
{
	uint32_t pix, i, next;
	struct item *it;
	uint8_t cls;

	/* Three turns in four go to prefixes without a recent penalty. */
	cls = q->ring[1] != NIL && (q->ring[0] == NIL || q->turn++ % 4 == 3);
	if ((pix = q->ring[cls]) == NIL)
		return 0;
	next = q->p[pix].rnext;
	i = take_head(q, pix);
	/* Still busy: step past it; released: prefix_release moved on. */
	if (q->ring[cls] == pix)
		q->ring[cls] = next;
	/* The datagram's bytes move to q->out: the item is free again. */
	it = &q->it[i];
	memset(pi, 0, sizeof(*pi));
	pi->family = it->family;
	memcpy(pi->src, it->src, 16);
	memcpy(pi->dst, it->dst, 16);
	pi->sport = it->sport;
	pi->dport = it->dport;
	memcpy(q->out, it->data, it->len);
	pi->payload = q->out;
	pi->len = it->len;
	*at = it->at;
	item_free(q, i);
	return 1;
}

void
fairq_penalize(struct fairq *q, const struct pkt_info *pi, double now)
{
	struct penalty *s;
	uint8_t key[8];
	uint32_t pix;

	prefix_key(pi, key);
	s = penalty_slot(q, key, now, 0);
	memcpy(s->key, key, 8);
	s->until = now + FQ_PENALTY_S;
	/* Datagrams of it already waiting wait with the penalized. */
	if ((pix = prefix_get(q, key, 0, now)) != NIL && q->p[pix].cls == 0) {
		uint32_t len = q->p[pix].len;

		set_len(q, pix, 0);
		ring_remove(q, pix);
		ring_add(q, pix, 1);
		set_len(q, pix, len);
	}
}

size_t
fairq_len(const struct fairq *q)
{
	return q->n;
}

size_t
fairq_prefixes(const struct fairq *q)
{
	return q->nprefix;
}

void
fairq_free(struct fairq *q)
{
	free(q);
}
