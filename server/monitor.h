/* sigknockd's monitor: the root process's state, loop and start-up
 * (monitor.c); sigknockd.c drives it from the command line. */
#ifndef SK_MONITOR_H
#define SK_MONITOR_H

#include <limits.h>
#include <pthread.h>
#include <sys/types.h>

#include "capture.h"
#include "knock.h"
#include "metrics.h"
#include "privsep.h"
#include "sandbox.h"

#define CLOSE_FILE		"close-requests"	/* sigknockd -R */
#define COUNTERS_FILE		"counters"		/* sigknockd -S */

/* One keyring read in a thread (load_keyring). */
struct krjob {
	pthread_t		 th;
	int			 running;
	int			 again;		/* a change came meanwhile */
	int			 pipe[2];	/* done: one byte; -1: in line */
	double			 started;
	int			 warned;
	char			 dir[PATH_MAX];
	int			 record;
	char			 before[640];
	int			 r;		/* out */
	struct keyring		*kr;
	struct fido2_users	*fu;
};

struct daemon {
	const char		*config_path;
	struct krjob		 job;
	struct server_config	 cfg;
	struct knock		 k;
	struct capture		*cap;
	int			 sfd;
	int			 ifd;
	int			 iwd;
	char			 stamp[640];
	char			 conf_stamp[512];	/* config, access file, keys */
	double			 retry_s;	/* keyring reload backoff */
	char			 snippet[PATH_MAX];	/* StateDir/GATE_SNIPPET */
	double			 reload_at;	/* monotonic; 0 = none */
	time_t			 kr_loaded_at;	/* the keyring in use: when */
	double			 conf_retry_at;	/* a refused reload, again;
						 * 0 = the files loaded */
	int			 check_only;	/* -t: write nothing */
	struct grants		 owners;	/* who holds each grant */
	int			 pidfd;		/* locked PidFile, or -1 */
	int			 sink;		/* knock_sink(), or -1 */
	/* The worker (privsep.h): its process, socket and counters. */
	struct sandbox		 sb;
	pid_t			 worker;	/* 0: none */
	int			 wsock;		/* -1: none */
	double			 worker_since;	/* monotonic */
	double			 restart_at;	/* 0: none due */
	double			 backoff;
	struct knock_stats	 wbase;		/* of the workers before */
	struct knock_stats	 wlast;		/* the current one's */
	size_t			 wqlen, wqpfx;	/* its queue */
	int			 stats_due;	/* SIGUSR1: awaiting its counters */
	int			 snapshot_due;	/* its socket was full: send later */
	struct ps_bucket	 wgrants;	/* its grant requests */
	struct sk_ratelimit	 wlog;		/* its log lines */
	struct sk_ratelimit	 wrefused;	/* requests refused */
	/* Its grant requests that passed the monitor's check, granted
	 * together once read (grant_batch). */
	struct knock_decision	 batch[KNOCK_GRANT_BATCH];
	size_t			 nbatch;
	int			 owners_dirty;
	char			*journal;	/* records to append */
	size_t			 journal_len, journal_cap;
	size_t			 journal_lines;	/* in StateDir's journal */
	int			 owners_snapshot; /* the journal missed one */
	size_t			 known_jlines;	/* in StateDir's known journal */
	/* For MetricsFile (metrics.h). */
	uint64_t		 wlane[3];	/* the worker's queue, by lane */
	struct metrics_lat	 lat;		/* knock to open */
	double			 kr_load_s;	/* the last keyring load */
	unsigned		 worker_starts;
	uint64_t		 worker_restarts;
	uint64_t		 heals;
	time_t			 last_accepted;
	time_t			 started;
	double			 next_metrics;	/* monotonic */
	/* NftSet: elements the admin's sets did not take. */
	uint64_t		 nftset_failed;
	uint64_t		 ipset_failed;
	struct sk_ratelimit	 nftset_rl;
};

/* Everything zero or closed, the defaults set. */
void	monitor_init(struct daemon *d);
/* What -t checks and the daemon starts from: server keys, access file,
 * keyring (d->cfg already read).  0, or -1 (logged). */
int	monitor_load_all(struct daemon *d);
/* The gate's parameters for access policy acl (NULL: none). */
void	monitor_gate_params(struct daemon *d, const struct access *acl,
	    struct fw_params *fp);
/* Start (pid file, state, capture, firewall, worker), then run until
 * told to stop; the exit status. */
int	monitor_main(struct daemon *d, int foreground, int to_stderr,
	    int debug);
/* Stop the worker, close and free everything but d->cfg. */
void	monitor_free(struct daemon *d, int test);

#endif
