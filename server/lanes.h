/* The verification queue's lanes (PROTOCOL.md section 5, step 3):
 *
 *   known     datagrams from sources with an accepted knock within
 *             KnownPeriod (known.h): a fair queue of their own (fairq.h);
 *   work      strangers' datagrams with proven work (work.h): most
 *             effort first (workq.h);
 *   stranger  the rest: the fair queue, round robin over prefixes.
 *
 * When the known lane and a strangers' lane both wait, the known lane
 * gets three turns in four and the strangers the fourth; among
 * strangers, the work lane goes first.  With nothing waiting elsewhere,
 * any lane is served at once. */
#ifndef SK_LANES_H
#define SK_LANES_H

#include <stddef.h>

#include "fairq.h"
#include "packet.h"
#include "workq.h"

enum lane {
	LANE_STRANGER = 0,
	LANE_WORK,
	LANE_KNOWN,
};

struct lanes {
	struct fairq	*known, *stranger;
	struct workq	*work;
	unsigned	 turn;
};

int	lanes_init(struct lanes *l);
void	lanes_free(struct lanes *l);
/* 0 queued, 1 queued after shedding another datagram, -1 dropped. */
int	lanes_push(struct lanes *l, enum lane lane, const struct pkt_info *pi,
	    unsigned effort, double at);
/* The next datagram: 1 with *pi (valid until the next push or pop), *at
 * and *lane; 0 when every lane is empty. */
int	lanes_pop(struct lanes *l, struct pkt_info *pi, double *at,
	    enum lane *lane);
/* A datagram from pi's source failed after mac1: its prefix waits behind
 * the others of its lane for a while (fairq_penalize); nothing for work. */
void	lanes_penalize(struct lanes *l, enum lane lane,
	    const struct pkt_info *pi, double now);
size_t	lanes_len(const struct lanes *l);

#endif
