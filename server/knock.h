/* The server pipeline for one captured datagram, cheapest check first
 * (PROTOCOL.md section 5).  Every refusal is counted and logged with its
 * reason (rate-limited); nothing here can stop the daemon. */
#ifndef SK_KNOCK_H
#define SK_KNOCK_H

#include <arpa/inet.h>
#include <stdint.h>
#include <time.h>

#include "access.h"
#include "known.h"
#include "lanes.h"
#include "fido2ctr.h"
#include "fido2users.h"
#include "fw.h"
#include "grants.h"
#include "keyring.h"
#include "log.h"
#include "packet.h"
#include "replay.h"
#include "servconf.h"
#include "wire.h"

struct knock_stats {
	uint64_t	received;
	uint64_t	malformed;	/* frames that are not IP/UDP (capture) */
	uint64_t	bad_size;
	uint64_t	bad_mac;
	uint64_t	duplicate;	/* a copy of one seen (client resends) */
	uint64_t	shed;		/* queue full, or waited too long */
	uint64_t	decrypt;
	uint64_t	bad_request;
	uint64_t	stale;
	uint64_t	wrong_server;
	uint64_t	replayed;
	uint64_t	unknown_signer;
	uint64_t	bad_signature;
	uint64_t	policy;
	uint64_t	monitor_refused;	/* grant requests of the worker */
	uint64_t	granted;
	uint64_t	grant_failed;
	uint64_t	granted_prev;	/* of granted: sealed to the previous key */
	uint64_t	known_lane;	/* queued in the known sources' lane */
	uint64_t	work;		/* carried valid work (work lane) */
	uint64_t	work_refused;	/* work that did not check: none */
	uint64_t	work_copy;	/* a worked datagram seen before */
	uint64_t	work_unrecorded;	/* valid work, no room to
					 * remember it: counted as none */
	uint64_t	audit_failed;	/* granted, not in the AuditLog */
	uint64_t	capped;		/* over MaxGrants (user or all) */
	uint64_t	close_requests;	/* sigknock --close, carried out */
	double		wait_max;	/* longest seconds from capture to verdict */
};

/* A copy from the same source of a datagram decided at most this many
 * seconds ago is a duplicate (the client's copies go within a second). */
#define KNOCK_DUP_WINDOW_S	2.0

/* Datagrams not sealed to this server's key: one info line at the first,
 * then at most one every this many seconds, with the count. */
#define KNOCK_NOKEY_LOG_S	60.0

/* At most this many seconds of verification in one go after an idle
 * spell (the budget's bucket depth). */
#define KNOCK_BUDGET_MAX	0.2

struct knock_decision;
struct auditlog;
struct metrics_lat;

/* Delegations verified once (PROTOCOL.md 4.3): by digest, for as long
 * as the keyring they were checked against is the one in use (gen). */
#define KNOCK_DCACHE	256
struct knock_dcache {
	uint8_t		 digest[32];
	uint64_t	 gen;
	uint32_t	 counter;	/* FIDO2: the assertion's */
	int		 used;
};

#define KNOCK_GRANT_BATCH	32	/* decisions granted at once */

struct knock {
	const struct server_config *cfg;
	struct sk_server_key	 key;
	struct crypto_hmac	*mac1;	/* keyed with key.mac1_key, or NULL */
	/* During a server-key rotation, the previous key is accepted too. */
	struct sk_server_key	 prev;
	struct crypto_hmac	*prev_mac1;	/* NULL: no previous key */
	struct keyring		*kr;
	struct fido2_users	*fu;	/* FIDO2 users, or NULL */
	uint64_t		 kgen;	/* bumped whenever kr or fu change */
	struct knock_dcache	 dcache[KNOCK_DCACHE];
	struct fido2_counters	*fc;	/* FIDO2 sign counters (StateDir);
					 * NULL in the worker: the monitor
					 * checks and records them */
	struct access		*acl;
	struct replay		*rc;
	struct lanes		 q;		/* lanes.h; the worker's */
	struct known		*known;		/* known sources, or NULL */
	/* Sources to write out (known.h): their lines, for the journal;
	 * known_full when they did not fit (the whole list then). */
	char			 known_pend[KNOCK_GRANT_BATCH * KNOWN_LINE_MAX];
	size_t			 known_plen;
	int			 known_dirty;	/* lines in known_pend */
	int			 known_full;
	struct seen		*ws;		/* seen work, with q */
	struct seen		*decided;	/* duplicates, with q */
	double			 verify_share;	/* of a core, for steps 4-10 */
	double			 budget, budget_at;	/* seconds; monotonic */
	struct fw		*fw;
	struct knock_stats	 st;
	struct sk_ratelimit	 log_refusals;	/* after mac1: someone who knows pkS */
	struct sk_ratelimit	 log_garbage;	/* size and mac1 drops (debug) */
	uint64_t		 nokey_n;	/* not sealed to us, since nokey_at */
	double			 nokey_at;	/* its last line; 0: none yet */
	int			 nokey_family;	/* the last one's source */
	uint8_t			 nokey_src[16];
	/* The monitor's live grants, for MaxGrants: 1 when x would extend
	 * a live grant (no new one), else 0 with the live grants of x's
	 * owner under x's stanza in *user and of everyone in *all. */
	int			(*live)(void *arg, const struct grant *x,
				    size_t *user, size_t *all);
	void			*live_arg;
	/* The monitor's end of a close (PROTOCOL.md 3.5): close what
	 * d->owner's user holds for its address; how many closed. */
	size_t			(*close_own)(void *arg,
				    const struct knock_decision *d);
	void			*close_arg;
	/* The monitor's AuditLog (auditlog.h), or NULL. */
	struct auditlog		*audit;
	/* The monitor's knock-to-open histogram (metrics.h), or NULL. */
	struct metrics_lat	*lat;
	/* Called once a grant is in the kernel, with its record. */
	void			(*granted)(void *arg, const struct grant *g);
	void			*granted_arg;
	/* sigknockd's worker: a request that passed every check goes to the
	 * monitor (privsep.h) instead of knock_grant(). */
	void			(*request)(void *arg,
				    const struct knock_decision *d);
	void			*request_arg;
	/* The monitor's check (knock_check_opened): refusals are written
	 * here instead of logged. */
	char			*why;
	size_t			 whylen;
};

/* Who and from where, for log lines. */
struct knock_who {
	char		src[INET6_ADDRSTRLEN + 8];
	char		who[KEYRING_UID_MAX + PGP_FPR_HEX_LEN + 8];
};

/* What a request that passed every check asks for, after policy. */
struct knock_decision {
	struct knock_who	  c;
	const struct access_rule *rule;
	size_t			  nports;
	struct sk_access	  ports[SK_ACCESS_MAX];
	unsigned		  timeout;	/* after the MaxTimeout cap */
	uint8_t			  digest[32];	/* of the signed message */
	uint64_t		  timestamp;
	uint32_t		  fido2_counter;	/* signer type 2 */
	struct grant		  owner;	/* who, from where, under what */
	/* Signer type 3: the delegation's lifetime and digest. */
	int			  deleg;
	uint64_t		  deleg_created, deleg_not_after;
	uint8_t			  deleg_digest[32];
	/* The opened request, for the monitor to check again; prev_key:
	 * it came sealed to the previous server key. */
	uint8_t			  inner[SK_INNER_MAX];
	size_t			  inner_len;
	int			  prev_key;
	double			  captured;	/* monotonic; for metrics */
	/* A close (PROTOCOL.md 3.5): end owner's grants for owner.addr
	 * (and owner.dest); rule is NULL, nports 0. */
	int			  close;
};

/* Steps 1-10 of PROTOCOL.md section 5 on one datagram: 0 and *d filled
 * when it may open something; -1 when refused (counted and logged).
 * now = wall clock.  Changes nothing but counters and rate-limit
 * state. */
int	knock_check(struct knock *k, const struct pkt_info *pi, time_t now,
	    struct knock_decision *d);
/* The monitor's steps 5-10 (privsep.h): the request inner (ilen bytes),
 * opened by the worker from a datagram sealed to the current server key
 * (prev_key 0) or the previous one, from pi's source, checked exactly as
 * knock_check() checks it: decode, time window, server binding, replay,
 * signer, signature, policy.  0 and *d, or -1 with why; a refusal is
 * neither logged nor counted here. */
int	knock_check_opened(struct knock *k, int prev_key, const uint8_t *inner,
	    size_t ilen, const struct pkt_info *pi, time_t now,
	    struct knock_decision *d, char *why, size_t whylen);
/* Check and record a FIDO2 sign counter, record the request in the
 * replay cache, then grant. */
void	knock_grant(struct knock *k, const struct knock_decision *d,
	    time_t now);
/* The same for nd (at most KNOCK_GRANT_BATCH) decisions at once: their
 * replay records made durable with one sync, then one firewall commit
 * (the monitor, for the grant requests that wait together).  A request
 * that is in the batch twice is granted once. */
void	knock_grant_many(struct knock *k,
	    const struct knock_decision *const *d, size_t nd, time_t now);
/* The daemon's path.  knock_receive: steps 1-3 (with the work trailer,
 * work.h), then into a lane of the verification queue (lanes.h: known
 * sources, work, strangers).  knock_serve: steps 4-10 and the grant for
 * queued datagrams, in the lanes' order, for at most slice seconds and
 * within the verification budget (verify_share of a core).  Returns -1
 * when the queue is empty, else the seconds until it may be served
 * again.  k->q must be set up (lanes_init) for these two. */
void	knock_receive(struct knock *k, const struct pkt_info *pi,
	    double mono);
/* The monotonic clock in seconds, as knock_receive() takes it. */
double	knock_mono(void);
double	knock_serve(struct knock *k, double slice);
/* Counters: the monitor's and its workers' added up, with the worker's
 * queue (qlen datagrams waiting from qpfx prefixes). */
void	knock_stats_add(struct knock_stats *to, const struct knock_stats *from);
void	knock_log_stats(const struct knock_stats *s, size_t qlen, size_t qpfx);
/* The counters as "name value" lines (sigknockd -S); returns the length. */
size_t	knock_format_stats(const struct knock_stats *s, size_t qlen,
	    size_t qpfx, char *buf, size_t len);

/* Does the owner of grant g (signer and id) have the authority for it
 * now: key or credential present, not revoked, not expired, an address
 * sigknock ever opens, and a stanza of the current access file admitting
 * it, its address and its ports?  NULL when so (*rule, when not NULL, is
 * that stanza), else why not.  The monitor checks every grant request of
 * its worker with this, and the live grants at each reload.  For a grant
 * through the gateway, the destination's address, gateway ports and
 * masquerading are the access file's: with fwd, they are returned there
 * (the worker's word is not taken for them); without, g's must equal
 * them. */
const char *knock_still_allowed(const struct knock *k, const struct grant *g,
	    time_t now, const struct access_rule **rule,
	    struct access_forward *fwd);
/* NULL when rule r accepts a delegation lasting life seconds, else why
 * not (in buf). */
const char *knock_deleg_refusal(const struct access_rule *r, uint64_t life,
	    char *buf, size_t len);
/* "name (fingerprint)", "fingerprint (no name)", "name (fido2:ID)" ...
 * for the owner of g, as the log lines show a signer. */
void	knock_who_format(const struct grant *g, char *out, size_t len);

#endif
