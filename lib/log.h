/* Logging to stderr or syslog, with syslog priorities (LOG_ERR ...).
 *
 * Messages are lowercase and say what failed and why.  Anything an attacker
 * can trigger goes through sk_log_rl(), which lets a burst through and then
 * at most `rate` messages a second, and reports how many it held back. */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stdint.h>
#include <stdio.h>
#include <syslog.h>

/* to_stderr: 1 = stderr ("ident: message"), 0 = syslog(LOG_DAEMON).
 * level: the least important priority still logged (LOG_INFO default). */
void	sk_log_init(const char *ident, int to_stderr, int level);
/* A command-line mistake, as the tools people know report it: what is
 * wrong (unless getopt said it already: fmt NULL), the one-line
 * synopsis, and where to read more.  Returns 2, the usage exit status. */
int	sk_usage_error(const char *synopsis, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* A string someone else chose (a user ID), made safe to log: printable
 * ASCII stays, a backslash doubles, anything else becomes \xHH, so no
 * control character can forge a log line.  Returns out. */
#define SK_LOG_ESCAPE_MAX	1024
const char *sk_log_escape(const char *in, char *out, size_t outlen);
/* s as a JSON string, quotes included (names are escaped as above
 * before they get here, so no byte above 0x7f is left to check). */
void	sk_json_str(FILE *f, const char *s);
void	sk_log_set_level(int level);

/* What a decision line is about: the journal's SIGKNOCK_* fields (under
 * systemd, sent with the line over the journal's native protocol) and
 * the members of LogFormat json.  NULL members are left out. */
struct sk_log_ev {
	const char	*event;		/* accepted, refused, ... */
	const char	*user, *src, *addr, *ports, *reason, *stanza;
};
/* The events, each with its MESSAGE_ID (journalctl MESSAGE_ID=...). */
#define SK_EV_ACCEPTED		"accepted"
#define SK_EV_REFUSED		"refused"
#define SK_EV_NOT_GRANTED	"not_granted"
#define SK_EV_MONITOR_REFUSED	"monitor_refused"
#define SK_EV_CLOSED		"closed"
#define SK_EV_NOT_SEALED	"not_sealed"
const char *sk_log_message_id(const char *event);
/* sk_log with the fields of ev (NULL: none). */
void	sk_log_ev(const struct sk_log_ev *ev, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Lines as JSON objects (LogFormat json), one per line. */
void	sk_log_set_json(int on);
/* Hand every message at or above the level to sink instead (sigknockd's
 * worker sends its lines, and their fields, to the monitor, which logs
 * them). */
void	sk_log_set_sink(void (*sink)(int prio, const char *msg,
	    const struct sk_log_ev *ev));
int	sk_log_level(void);
void	sk_log(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_err(...)	sk_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	sk_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	sk_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	sk_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	sk_log(LOG_DEBUG, __VA_ARGS__)

/* Token bucket: `burst` messages at once, refilled at `rate` a second. */
struct sk_ratelimit {
	unsigned	rate;
	unsigned	burst;
	double		tokens;
	uint64_t	last_ns;
	uint64_t	suppressed;
};
#define SK_RATELIMIT_INIT(rate, burst) { (rate), (burst), (burst), 0, 0 }

/* Log unless the bucket is empty; returns 1 when logged, 0 when held back. */
int	sk_log_rl(struct sk_ratelimit *rl, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The same with the fields of ev. */
int	sk_log_ev_rl(struct sk_ratelimit *rl, const struct sk_log_ev *ev,
	    int prio, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
