/* The boundary between sigknockd's two processes (sigknockd(8),
 * PRIVILEGE SEPARATION).
 *
 * The monitor keeps root's powers and the state: configuration, keyring
 * (GnuPG), firewall, replay cache, FIDO2 counters, grant owners.  The
 * worker, unprivileged and confined (sandbox.h), does everything that
 * touches datagram bytes first and ends, for a knock that passed every
 * check, with a grant request: the opened request itself.  The monitor
 * believes nothing in it: it verifies the signature and checks the
 * request again against the keys, policy and state it loaded itself, so
 * a worker under an attacker's control can open nothing that no
 * signature asked for (PROTOCOL.md 5.1).
 *
 * Messages travel on a SOCK_SEQPACKET socketpair, one message per
 * datagram, each a fixed C struct (both ends are the same binary: this
 * is not a network format).  The policy goes the other way as a
 * snapshot in a sealed memfd, so that a large keyring never blocks the
 * monitor on a worker that does not read. */
#ifndef SK_PRIVSEP_H
#define SK_PRIVSEP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "knock.h"
#include "log.h"

enum ps_type {
	/* worker -> monitor */
	PS_GRANT = 1,		/* struct ps_grant */
	PS_LOG,			/* struct ps_log */
	PS_STATS,		/* struct ps_stats */
	/* monitor -> worker */
	PS_SNAPSHOT,		/* struct ps_snapshot, with the memfd */
	PS_STATS_REQ,		/* uint32_t type only */
	PS_KNOWN,		/* struct ps_known */
};

/* A source the monitor granted a knock from (known.h). */
struct ps_known {
	uint32_t	 type;
	uint32_t	 family;
	uint8_t		 addr[16];
	int64_t		 seen;
};

/* A knock that passed every check in the worker, as the worker opened
 * it: the request (signed message, signature, FIDO2 authenticator data,
 * delegation: all of it), the server key it was sealed to and the
 * datagram's source.  Nothing else: the monitor decodes, verifies and
 * decides again (ps_grant_check), so the worker's word counts only for
 * what no signature covers, the source address. */
struct ps_grant {
	uint32_t	 type;
	uint32_t	 prev_key;		/* 1: the previous server key */
	uint32_t	 src_family;		/* AF_INET, AF_INET6 */
	uint8_t		 src[16];		/* the datagram's source */
	uint32_t	 inner_len;
	uint8_t		 inner[SK_INNER_MAX];	/* the opened request */
	/* When it was captured (CLOCK_MONOTONIC, the same in both
	 * processes): for the knock-to-open metric only, never for a
	 * decision. */
	double		 captured;
};

/* The worker's lines are data: the monitor logs them after "worker: ",
 * with control characters escaped (ps_log_clean), at most this many a
 * second after a burst of twice that.  The worker's own rate limits
 * (refusals 10/s, garbage 1/s) stay well below it. */
#define PS_LOG_PER_S	25
#define PS_LOG_MAX	1024
/* A line's fields (log.h, struct sk_log_ev), each NUL-terminated; "" for
 * none.  Data too: the monitor makes each a printable string. */
struct ps_log_ev {
	uint32_t	 has;			/* 0: the line has none */
	char		 event[24];
	char		 reason[32];
	char		 user[KEYRING_UID_MAX + PGP_FPR_HEX_LEN + 8];
	char		 src[64];
	char		 addr[64];
	char		 ports[SK_ACCESS_MAX * (12 + SK_DEST_MAX)];
	char		 stanza[64];
};
struct ps_log {
	uint32_t	 type;
	int32_t		 prio;
	struct ps_log_ev ev;
	char		 msg[PS_LOG_MAX];	/* not NUL-terminated on the wire */
};
/* Each field of struct sk_log_ev and struct ps_log_ev, for X(name). */
#define PS_LOG_EV_FIELDS \
	X(event) X(reason) X(user) X(src) X(addr) X(ports) X(stanza)
/* ev's strings into m (the worker). */
void	ps_log_ev_from(const struct sk_log_ev *ev, struct ps_log_ev *m);

struct ps_stats {
	uint32_t	 type;
	uint32_t	 reply;			/* answers a PS_STATS_REQ */
	struct knock_stats st;
	uint64_t	 queue_len, queue_prefixes;
	uint64_t	 lane[3];		/* queue_len by enum lane */
};

struct ps_snapshot {
	uint32_t	 type;
	uint32_t	 pad;
	uint64_t	 size;			/* of the memfd's contents */
};

#define PS_MSG_MAX	(sizeof(struct ps_stats) > sizeof(struct ps_grant) ? \
	(sizeof(struct ps_stats) > sizeof(struct ps_log) ? \
	sizeof(struct ps_stats) : sizeof(struct ps_log)) : \
	(sizeof(struct ps_grant) > sizeof(struct ps_log) ? \
	sizeof(struct ps_grant) : sizeof(struct ps_log)))

/* One message; with fd >= 0, that descriptor goes along (SCM_RIGHTS).
 * Never blocks with flags MSG_DONTWAIT.  0 or -1 (errno). */
int	ps_send(int sock, const void *msg, size_t len, int fd, int flags);
/* One message into buf (at most cap bytes); a descriptor that came along
 * lands in *fd (else -1).  Returns its length, 0 at end of file, -1 on
 * error (EAGAIN: none waiting; EMSGSIZE: longer than cap, dropped). */
ssize_t	ps_recv(int sock, void *buf, size_t cap, int *fd);

/* The worker's request for decision d. */
void	ps_grant_from(const struct knock_decision *d, struct ps_grant *m);

/* Monitor: grant requests from the worker, at most this many a second
 * (and a burst of twice that); more than any set of honest knocks gets
 * past the worker's per-source limits and verification budget. */
#define PS_GRANTS_PER_S		100
struct ps_bucket {
	double		 tokens, at;
};
/* Check request m (len bytes as received) as knock_check() checks a
 * datagram, with the monitor's own knock state k (server keys, keyring,
 * FIDO2 users, access policy, replay cache) at now: decode, time window,
 * server binding, replay digest (derived here), signer, signature,
 * policy; mono is the monotonic clock for the rate limit.  0 and *d
 * ready for knock_grant(), or -1 with why (logged and counted by the
 * caller). */
int	ps_grant_check(struct knock *k, struct ps_bucket *b,
	    const void *m, size_t len, time_t now, double mono,
	    struct knock_decision *d, char *why, size_t whylen);

/* What a line from the worker may be logged as: control characters
 * shown as \xHH, the priority kept within LOG_ERR..LOG_DEBUG; its fields
 * made printable in *evm, *ev pointing to them (NULL: none). */
int	ps_log_clean(const struct ps_log *m, size_t len, char *out,
	    size_t outlen, struct ps_log_ev *evm, const struct sk_log_ev **ev);

/* The policy the worker needs, as the monitor holds it now. */
struct ps_state {
	long			 max_packet_age;
	struct sk_server_key	 key, prev;
	int			 has_prev;
	struct access		*acl;
	struct keyring		*kr;
	struct fido2_users	*fu;
	struct replay		*rc;		/* add the monitor's entries to */
	struct known		*known;		/* add the known sources to */
};

/* Monitor: write a snapshot of k (server keys, MaxPacketAge, access
 * rules, keyring, FIDO2 users, live replay digests, known sources) into
 * a new sealed memfd; *fd and *size for PS_SNAPSHOT. */
int	ps_snapshot_write(const struct knock *k, time_t now, int *fd,
	    size_t *size);
/* Worker: parse a snapshot (p, len) into st; the digests go into st->rc
 * and the known sources into st->known (when not NULL), which the caller
 * owns.  On error st holds nothing to free. */
int	ps_snapshot_read(const uint8_t *p, size_t len, struct ps_state *st);
void	ps_state_free(struct ps_state *st);

#endif
