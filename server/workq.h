/* The strangers' queue for datagrams that carry proven work (work.h):
 * served most effort first, first come first served within an effort.
 * Memory is fixed (WQ_ENTRIES datagrams); when full, a newcomer takes
 * the place of the oldest datagram with the least effort, if that effort
 * is below its own, and is dropped otherwise. */
#ifndef SK_WORKQ_H
#define SK_WORKQ_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define WQ_ENTRIES	1024

enum wq_result {
	WQ_QUEUED = 0,
	WQ_QUEUED_SHED,		/* queued; a datagram with less work went */
	WQ_FULL,		/* dropped: every one waiting has as much work */
};

struct workq;

struct workq *workq_new(void);
enum wq_result workq_push(struct workq *q, const struct pkt_info *pi,
	    unsigned effort, double at);
/* The datagram with the most effort (the oldest of those): 1 and *pi
 * (valid until the next push or pop), *effort and *at; 0 when empty. */
int	workq_pop(struct workq *q, struct pkt_info *pi, unsigned *effort,
	    double *at);
size_t	workq_len(const struct workq *q);
void	workq_free(struct workq *q);

/* Seen datagrams: the mac1 and source of each, for ttl seconds.  Two
 * uses (knock.c):
 *
 * Seen work (SEEN_KEEP): every datagram with valid work.  A copy from
 * the same source is dropped before any public-key work; a copy from
 * another source keeps its place in line but not the work (whoever
 * copied alice's datagram off the wire and sent it first must not make
 * alice's own copy a duplicate).  An entry is never dropped before its
 * ttl, so no flood of valid work makes the table forget one and count it
 * twice: when the slots a datagram may go in are all live, its work does
 * not count (SEEN_FULL).  Filling 65,536 slots within 2 x MaxPacketAge
 * (241 s by default) takes about 272 new valid works a second, each
 * costing its maker ~2^20 hashes.
 *
 * Decided datagrams (SEEN_FORGET): the client sends each knock more
 * than once; a copy from the same source of one decided moments ago is
 * a duplicate, dropped without a log line.  Forgetting early costs only
 * that: the copy is checked again (the replay cache refuses it). */
#define SEEN_WORK_SLOTS		65536
#define SEEN_DECIDED_SLOTS	4096
enum seen_mode {
	SEEN_KEEP = 0,
	SEEN_FORGET,
};
enum seen_result {
	SEEN_NEW = 0,		/* added (seen_find: not there) */
	SEEN_COPY,		/* seen from this source */
	SEEN_COPY_ELSEWHERE,	/* seen from another source */
	SEEN_FULL,		/* SEEN_KEEP: no room to remember it */
};
struct seen;
/* slots: a power of two. */
struct seen *seen_new(size_t slots, enum seen_mode mode);
enum seen_result seen_add(struct seen *s, const uint8_t mac1[16],
	    int family, const uint8_t src[16], double now, double ttl);
enum seen_result seen_find(struct seen *s, const uint8_t mac1[16],
	    int family, const uint8_t src[16], double now);
/* Forget every entry. */
void	seen_clear(struct seen *s);
void	seen_free(struct seen *s);

#endif
