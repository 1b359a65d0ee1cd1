#include "config.h"

#include "lanes.h"

int
lanes_init(struct lanes *l)
{
	l->turn = 0;
	l->known = fairq_new();
	l->stranger = fairq_new();
	l->work = workq_new();
	if (l->known == NULL || l->stranger == NULL || l->work == NULL) {
		lanes_free(l);
		return -1;
	}
	return 0;
}

void
lanes_free(struct lanes *l)
{
	fairq_free(l->known);
	fairq_free(l->stranger);
	workq_free(l->work);
	l->known = l->stranger = NULL;
	l->work = NULL;
}

int
lanes_push(struct lanes *l, enum lane lane, const struct pkt_info *pi,
    unsigned effort, double at)
{
	switch (lane) {
	case LANE_KNOWN:
		switch (fairq_push(l->known, pi, at)) {
		case FQ_QUEUED: return 0;
		case FQ_QUEUED_SHED:
		case FQ_PREFIX_SHED: return 1;
		default: return -1;
		}
	case LANE_WORK:
		switch (workq_push(l->work, pi, effort, at)) {
		case WQ_QUEUED: return 0;
		case WQ_QUEUED_SHED: return 1;
		default: return -1;
		}
	case LANE_STRANGER:
		break;
	}
	switch (fairq_push(l->stranger, pi, at)) {
	case FQ_QUEUED: return 0;
	case FQ_QUEUED_SHED:
	case FQ_PREFIX_SHED: return 1;
	default: return -1;
	}
}

int
lanes_pop(struct lanes *l, struct pkt_info *pi, double *at, enum lane *lane)
{
	size_t strangers = workq_len(l->work) + fairq_len(l->stranger);
	unsigned effort;

	if (fairq_len(l->known) > 0 && (strangers == 0 ||
	    l->turn++ % 4 != 3)) {
		*lane = LANE_KNOWN;
		return fairq_pop(l->known, pi, at);
	}
	if (workq_len(l->work) > 0) {
		*lane = LANE_WORK;
		return workq_pop(l->work, pi, &effort, at);
	}
	*lane = LANE_STRANGER;
	return fairq_pop(l->stranger, pi, at);
}

void
lanes_penalize(struct lanes *l, enum lane lane, const struct pkt_info *pi,
    double now)
{
	if (lane == LANE_KNOWN)
		fairq_penalize(l->known, pi, now);
	else if (lane == LANE_STRANGER)
		fairq_penalize(l->stranger, pi, now);
}

size_t
lanes_len(const struct lanes *l)
{
	return fairq_len(l->known) + fairq_len(l->stranger) +
	    workq_len(l->work);
}
