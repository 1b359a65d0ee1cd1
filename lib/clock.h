/* The monotonic clock, for timeouts, rate limits and measurements. */
#ifndef SK_CLOCK_H
#define SK_CLOCK_H

#include <time.h>

/* Seconds since some fixed point; never goes back. */
static inline double
sk_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
