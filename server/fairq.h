/* The queue in front of public-key work (PROTOCOL.md section 5, step 3).
 *
 * Datagrams that passed mac1 wait here,
 * one FIFO per source prefix (IPv4 /24, IPv6 /48), and are served round
 * robin: one datagram from each waiting prefix in turn.  A user's knock
 * therefore waits behind at most one datagram per other busy prefix, and
 * is not refused because other prefixes are busy, unless FQ_ENTRIES
 * prefixes with no penalty are waiting at the same moment.
 *
 * Memory is fixed (FQ_ENTRIES datagrams).  When it is full, the oldest
 * datagram of the longest queue makes room (of a penalized prefix first,
 * for a newcomer that is not penalized, see below); when every queue
 * holds one datagram and none is penalized, the newcomer is dropped.
 * A prefix may hold at most FQ_PER_PREFIX: a newcomer to a full prefix
 * takes the place of one of its datagrams chosen at random, so that a
 * sender who keeps a prefix full (forging a user's address) cannot make
 * sure that the user's datagram is the one dropped.
 *
 * A prefix whose datagrams failed after mac1 (fairq_penalize: a sender
 * who knows the server's public key but cannot sign) is penalized for
 * FQ_PENALTY_S: penalized prefixes are served round robin among
 * themselves, one turn in four, and the rest round robin in the other
 * three.  Under a flood from many prefixes a user's knock from a clean
 * prefix then waits behind the few clean prefixes, not behind all of
 * them; a user inside a penalized prefix still gets its round-robin turn. */
#ifndef SK_FAIRQ_H
#define SK_FAIRQ_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define FQ_ENTRIES	4096
#define FQ_PER_PREFIX	8
#define FQ_PENALTY_S	60

enum fq_result {
	FQ_QUEUED = 0,
	FQ_QUEUED_SHED,		/* queued; another prefix's oldest was dropped */
	FQ_PREFIX_SHED,		/* queued; one of its prefix's went, at random */
	FQ_FULL,		/* dropped: FQ_ENTRIES prefixes wait, one each */
};

struct fairq;

struct fairq *fairq_new(void);
/* Copy the datagram in pi (len <= SK_DATAGRAM_MAX) with its arrival
 * time (any clock the caller also passes to fairq_pop). */
enum fq_result fairq_push(struct fairq *q, const struct pkt_info *pi,
	    double at);
/* Penalize pi's prefix from now (the clock of fairq_push) on. */
void	fairq_penalize(struct fairq *q, const struct pkt_info *pi, double now);
/* The next datagram in round-robin order: 1 and *pi (pointing at storage
 * valid until the next push or pop) and *at filled; 0 when empty. */
int	fairq_pop(struct fairq *q, struct pkt_info *pi, double *at);
size_t	fairq_len(const struct fairq *q);
/* Prefixes with at least one datagram waiting. */
size_t	fairq_prefixes(const struct fairq *q);
void	fairq_free(struct fairq *q);

#endif
