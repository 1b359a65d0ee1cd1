#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "knock.h"
#include "log.h"
#include "privsep.h"
#include "wipe.h"
#include "worker.h"

/* As the daemon has always served: slices of 2 ms between capture reads,
 * at most half a core for verification (sigknockd(8), FLOODS). */
#define SERVE_SLICE_S		0.002
#define VERIFY_SHARE		0.5
#define PRUNE_EVERY_S		60
#define STATS_EVERY_S		1.0

struct worker {
	struct server_config	 cfg;	/* a copy; max_packet_age from snapshots */
	struct knock		 k;
	struct ps_state		 st;
	struct capture		*cap;
	int			 sock;
	struct knock_stats	 sent;	/* the counters last sent */
};

static int wsock = -1;

/* Every log line goes to the monitor, which logs it. */
static void
log_to_monitor(int prio, const char *msg, const struct sk_log_ev *ev)
{
	struct ps_log m;
	size_t n = strnlen(msg, sizeof(m.msg));

	m.type = PS_LOG;
	m.prio = prio;
	ps_log_ev_from(ev, &m.ev);
	memcpy(m.msg, msg, n);
	ps_send(wsock, &m, offsetof(struct ps_log, msg) + n, -1, 0);
}

static void
send_stats(struct worker *w, int reply)
{
	struct ps_stats m;

	memset(&m, 0, sizeof(m));
	m.type = PS_STATS;
	m.reply = (uint32_t)reply;
	m.st = w->k.st;
	m.queue_len = lanes_len(&w->k.q);
	m.lane[LANE_STRANGER] = fairq_len(w->k.q.stranger);
	m.lane[LANE_WORK] = workq_len(w->k.q.work);
	m.lane[LANE_KNOWN] = fairq_len(w->k.q.known);
	m.queue_prefixes = fairq_prefixes(w->k.q.stranger) +
	    fairq_prefixes(w->k.q.known);
	if (ps_send(w->sock, &m, sizeof(m), -1, 0) == 0)
		w->sent = w->k.st;
}

/* Whatever the worker says goes to the monitor as data (log_to_monitor):
 * its standard descriptors lead nowhere, so that code running in it
 * cannot write to the daemon's log or terminal around the monitor.  A
 * sanitizer build keeps stderr for the sanitizers' reports. */
static void
quiet_stdio(void)
{
	int fd, i;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		log_err("worker: /dev/null: %s", strerror(errno));
		_exit(1);
	}
	for (i = 0; i <= 2; i++) {
#ifdef SK_SANITIZERS
		if (i == 2)
			break;
#endif
		if (dup2(fd, i) < 0) {
			log_err("worker: cannot close descriptor %d: %s", i,
			    strerror(errno));
			_exit(1);
		}
	}
	close(fd);
}

/* knock_serve's hook: a request that passed every check. */
static void
request(void *arg, const struct knock_decision *d)
{
	struct worker *w = arg;
	struct ps_grant m;

	/* The worker's own record only saves verifying the same knock
	 * again; the monitor's decides. */
	replay_add(w->k.rc, d->digest, (time_t)d->timestamp +
	    MAX_PACKET_AGE_MAX + 1);
	ps_grant_from(d, &m);
	if (ps_send(w->sock, &m, sizeof(m), -1, 0) != 0)
		log_err("worker: cannot send a grant request: %s",
		    strerror(errno));
	sk_wipe(&m, sizeof(m));
}

/* A new policy from the monitor: build it all, then swap. */
static void
take_snapshot(struct worker *w, int fd, uint64_t size)
{
	struct ps_state st;
	uint8_t *buf;
	size_t off = 0;
	ssize_t n;
	int r;

	if (size == 0 || size > (1u << 29) || (buf = malloc(size)) == NULL) {
		log_err("worker: snapshot of %llu bytes refused",
		    (unsigned long long)size);
		_exit(WORKER_EXIT_SNAPSHOT);
	}
	while (off < size && (n = pread(fd, buf + off, size - off,
	    (off_t)off)) > 0)
		off += (size_t)n;
	close(fd);
	/* The monitor's list replaces ours: it prunes what KnownPeriod
	 * forgets. */
	known_free(w->k.known);
	if ((w->k.known = known_new()) == NULL) {
		log_err("worker: out of memory");
		_exit(1);
	}
	st.rc = w->k.rc;
	st.known = w->k.known;
	r = off == size ? ps_snapshot_read(buf, size, &st) : SK_ERR_TRUNCATED;
	sk_wipe(buf, size);
	free(buf);
	if (r != 0) {
		log_err("worker: cannot read the monitor's snapshot: %s",
		    sk_strerror(r));
		_exit(WORKER_EXIT_SNAPSHOT);
	}
	ps_state_free(&w->st);
	w->st = st;
	w->cfg.max_packet_age = st.max_packet_age;
	crypto_hmac_free(w->k.mac1);
	crypto_hmac_free(w->k.prev_mac1);
	w->k.mac1 = w->k.prev_mac1 = NULL;
	w->k.key = st.key;
	w->k.prev = st.prev;
	if (crypto_hmac_new(&w->k.mac1, st.key.mac1_key,
	    sizeof(st.key.mac1_key)) != 0 || (st.has_prev &&
	    crypto_hmac_new(&w->k.prev_mac1, st.prev.mac1_key,
	    sizeof(st.prev.mac1_key)) != 0)) {
		log_err("worker: cannot set up mac1");
		_exit(WORKER_EXIT_SNAPSHOT);
	}
	w->k.acl = st.acl;
	w->k.kr = st.kr;
	w->k.fu = st.fu;
	w->k.kgen++;
	/* New keys or policy may decide a copy otherwise (a user added a
	 * moment after her first datagram was refused). */
	if (w->k.decided != NULL)
		seen_clear(w->k.decided);
}

#ifdef SK_TEST_HOOKS
#include "worker-test.c"
#endif

static void
on_packet(void *arg, const struct pkt_info *pi)
{
	struct worker *w = arg;

#ifdef SK_TEST_HOOKS
	if (test_hook(w, pi))
		return;
#endif
	knock_receive(&w->k, pi, knock_mono());
}

/* Messages from the monitor; 0 when it has closed the socket. */
static int
from_monitor(struct worker *w)
{
	union {
		uint32_t		type;
		struct ps_snapshot	snap;
		struct ps_known		known;
	} m;
	ssize_t n;
	int fd;

	for (;;) {
		if ((n = ps_recv(w->sock, &m, sizeof(m), &fd)) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			log_err("worker: reading from the monitor: %s",
			    strerror(errno));
			return 0;
		}
		if (n == 0)
			return 0;
		if ((size_t)n == sizeof(m.snap) && m.type == PS_SNAPSHOT &&
		    fd >= 0) {
			take_snapshot(w, fd, m.snap.size);
			continue;
		}
		if (fd >= 0)
			close(fd);
		if ((size_t)n == sizeof(uint32_t) && m.type == PS_STATS_REQ)
			send_stats(w, 1);
		else if ((size_t)n == sizeof(m.known) && m.type == PS_KNOWN &&
		    w->k.known != NULL)
			known_add(w->k.known, (int)m.known.family,
			    m.known.addr, (time_t)m.known.seen);
		else
			log_err("worker: an unexpected message from the monitor "
			    "(type %u, %zd bytes)", m.type, n);
	}
}

void
worker_main(const struct server_config *cfg, struct capture *cap, int sock,
    const struct sandbox *sb)
{
	struct worker w;
	struct pollfd pfd[2];
	double serve_in = -1, now_m, next_prune, next_stats;
	int timeout;

	memset(&w, 0, sizeof(w));
	wsock = w.sock = sock;
	w.cap = cap;
	w.cfg = *cfg;
	sk_log_set_sink(log_to_monitor);
	w.k.cfg = &w.cfg;
	w.k.log_refusals = (struct sk_ratelimit)SK_RATELIMIT_INIT(10, 20);
	w.k.log_garbage = (struct sk_ratelimit)SK_RATELIMIT_INIT(1, 5);
	w.k.verify_share = VERIFY_SHARE;
	w.k.request = request;
	w.k.request_arg = &w;
	if (replay_open(NULL, 0, &w.k.rc) != 0 ||
	    lanes_init(&w.k.q) != 0 || (w.k.ws = seen_new(SEEN_WORK_SLOTS,
	    SEEN_KEEP)) == NULL || (w.k.decided = seen_new(SEEN_DECIDED_SLOTS,
	    SEEN_FORGET)) == NULL) {
		log_err("worker: out of memory");
		_exit(1);
	}
	/* The hash seeds above came from libgcrypt's generator, which reseeds
	 * after fork with system calls the filter does not admit: confined
	 * only now, before the first byte of a datagram is read. */
	/* Below the monitor (nice 5): when the worker has asked for a grant
	 * under a flood, the monitor runs at once (make bench: the garbage
	 * flood's knock-to-open went from 3.7 to 2.6 ms with it). */
	setpriority(PRIO_PROCESS, 0, 5);
	quiet_stdio();
	sandbox_enter(sb);
	/* Nothing is captured before the first policy arrives. */
	pfd[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
	while (w.k.kr == NULL) {
		if (poll(pfd, 1, -1) < 0 && errno != EINTR)
			_exit(1);
		if (!from_monitor(&w))
			_exit(0);
	}
	next_prune = knock_mono() + PRUNE_EVERY_S;
	next_stats = knock_mono() + STATS_EVERY_S;
	for (;;) {
		now_m = knock_mono();
		timeout = serve_in < 0 ? (int)((next_stats - now_m) * 1000) + 1 :
		    (int)(serve_in * 1000) + 1;
		if (timeout < 0)
			timeout = 0;
		pfd[0] = (struct pollfd){ .fd = capture_fd(cap), .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sock, .events = POLLIN };
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			_exit(1);
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_err("capture on %s stopped (interface gone?)",
			    w.cfg.interface);
			_exit(WORKER_EXIT_CAPTURE);
		}
		if ((pfd[1].revents & (POLLIN | POLLHUP)) && !from_monitor(&w))
			_exit(0);
		if ((pfd[0].revents & POLLIN) && capture_dispatch(cap, on_packet,
		    &w, &w.k.st.malformed) < 0)
			_exit(WORKER_EXIT_CAPTURE);
		serve_in = knock_serve(&w.k, SERVE_SLICE_S);
		now_m = knock_mono();
		if (now_m >= next_stats) {
			/* The monitor keeps the totals if this process dies. */
			if (memcmp(&w.sent, &w.k.st, sizeof(w.sent)) != 0)
				send_stats(&w, 0);
			next_stats = now_m + STATS_EVERY_S;
		}
		if (now_m >= next_prune) {
			replay_prune(w.k.rc, time(NULL));
			next_prune = now_m + PRUNE_EVERY_S;
		}
	}
}
