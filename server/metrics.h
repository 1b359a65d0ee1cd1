/* Metrics in the Prometheus text exposition format (sigknockd.conf
 * MetricsFile), written by the monitor into a file that node_exporter's
 * textfile collector reads: no HTTP server inside a root daemon.
 *
 * Names follow Prometheus' conventions: sigknock_ first, _total on
 * counters, units in the name (_seconds).  Labels are bounded sets only
 * (reasons, lanes, the backend, stanza names): never a user or an
 * address, whose number an attacker could make grow. */
#ifndef SK_METRICS_H
#define SK_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "knock.h"

/* Knock to open: from the datagram's capture to the grant in the
 * kernel, in seconds. */
#define METRICS_LAT_BUCKETS	12
struct metrics_lat {
	uint64_t	 bucket[METRICS_LAT_BUCKETS];	/* not cumulative */
	uint64_t	 count;
	double		 sum;
};
void	metrics_lat_observe(struct metrics_lat *h, double seconds);

/* Everything one file shows. */
struct metrics_in {
	struct knock_stats	 st;		/* monitor and workers, summed */
	uint64_t		 lane[3];	/* waiting, per enum lane */
	uint64_t		 prefixes;
	const struct metrics_lat *lat;
	uint64_t		 capture_received, capture_dropped;
	const struct access	*acl;		/* its stanzas, for the labels */
	const struct grants	*owners;	/* live grants, with stanzas */
	size_t			 live_grants;	/* in the kernel */
	uint64_t		 keyring_generation;
	double			 keyring_load_seconds;	/* the last load */
	time_t			 keyring_loaded_at;
	size_t			 keys, fido2, revoked;
	int			 in_step;
	uint64_t		 worker_restarts;
	const char		*backend;	/* fw_name */
	uint64_t		 heals;
	time_t			 last_accepted;	/* 0: none since the start */
	time_t			 started;
	time_t			 now;
};

/* The exposition of m to f. */
void	metrics_write(const struct metrics_in *m, FILE *f);
/* The same into path, atomically (a temporary file beside it that
 * node_exporter does not read, then rename), mode 0644: node_exporter
 * runs as its own user.  0, or SK_ERR_* (logged). */
int	metrics_save(const struct metrics_in *m, const char *path);

#endif
