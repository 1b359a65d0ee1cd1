#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_ident = "sigknock";
static int log_stderr = 1;
static int log_journal;		/* stderr is the journal: "<N>" prefixes */
static int log_max = LOG_INFO;
static int log_json;		/* LogFormat json */
static int log_native = -1;	/* the journal's socket, or -1 */
static void (*log_sink)(int, const char *, const struct sk_log_ev *);

/* Where journald reads its native protocol (systemd.journal-fields(7)). */
#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

/* One MESSAGE_ID per event, fixed for good: journalctl MESSAGE_ID=... */
static const struct {
	const char	*event, *id;
} msgids[] = {
	{ SK_EV_ACCEPTED,	 "35e4340c515c4b35bae1a5a896c4e336" },
	{ SK_EV_REFUSED,	 "4004a0a2e8984515b2bc9c9402d05251" },
	{ SK_EV_NOT_GRANTED,	 "58f5e80324bb4632babedcfd2c5d0353" },
	{ SK_EV_MONITOR_REFUSED, "b2ec0b275679459aab345d3fd44c608e" },
	{ SK_EV_CLOSED,		 "a15cd0bc3e5d4917997ecbbfa5899e72" },
	{ SK_EV_NOT_SEALED,	 "6ece7fb4f17e42b892bf4e671e930056" },
};

const char *
sk_log_message_id(const char *event)
{
	size_t i;

	for (i = 0; event != NULL && i < sizeof(msgids) / sizeof(msgids[0]);
	    i++)
		if (strcmp(event, msgids[i].event) == 0)
			return msgids[i].id;
	return NULL;
}

/* systemd names the journal stream it connects to stderr in
 * JOURNAL_STREAM ("device:inode"); sd-daemon(3) priorities then let the
 * journal file each line at its level. */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

static int
journal_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", JOURNAL_SOCKET);
	return connect(log_native, (struct sockaddr *)&sun, sizeof(sun));
}

void
sk_log_init(const char *ident, int to_stderr, int level)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_max = level;
	log_journal = to_stderr && stderr_is_journal();
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* Under systemd, lines go with their fields over the journal's own
	 * protocol; the stream stays for when the socket cannot take one. */
	if (log_journal && log_native < 0 &&
	    (log_native = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0 &&
	    journal_connect() != 0) {
		close(log_native);
		log_native = -1;
	}
}

void
sk_log_set_json(int on)
{
	log_json = on;
}

void
sk_log_set_level(int level)
{
	log_max = level;
}

void
sk_log_set_sink(void (*sink)(int prio, const char *msg,
    const struct sk_log_ev *ev))
{
	log_sink = sink;
}

int
sk_log_level(void)
{
	return log_max;
}

/* NAME=value for the native protocol, or NAME, a newline, value's
 * length (64 bits, little-endian) and value when it holds a newline. */
static size_t
field(char *out, size_t cap, size_t o, const char *name, const char *v)
{
	size_t nl = strlen(name), vl = strlen(v), i;
	uint64_t len = vl;

	if (o + nl + vl + 10 > cap)
		return o;
	memcpy(out + o, name, nl);
	o += nl;
	if (strchr(v, '\n') == NULL)
		out[o++] = '=';
	else {
		out[o++] = '\n';
		for (i = 0; i < 8; i++)
			out[o++] = (char)(len >> (8 * i));
	}
	memcpy(out + o, v, vl);
	o += vl;
	out[o++] = '\n';
	return o;
}

/* The line and its fields as one journal entry: 0, or -1 when the
 * journal did not take it. */
static int
native(int prio, const char *msg, const struct sk_log_ev *ev)
{
	char buf[8192], p[4];
	const char *id;
	size_t o = 0;

	snprintf(p, sizeof(p), "%d", prio);
	o = field(buf, sizeof(buf), o, "PRIORITY", p);
	o = field(buf, sizeof(buf), o, "SYSLOG_IDENTIFIER", log_ident);
	o = field(buf, sizeof(buf), o, "MESSAGE", msg);
	if (ev != NULL) {
		if ((id = sk_log_message_id(ev->event)) != NULL)
			o = field(buf, sizeof(buf), o, "MESSAGE_ID", id);
#define F(name, v) if ((v) != NULL) o = field(buf, sizeof(buf), o, name, v)
		F("SIGKNOCK_EVENT", ev->event);
		F("SIGKNOCK_USER", ev->user);
		F("SIGKNOCK_SRC", ev->src);
		F("SIGKNOCK_ADDR", ev->addr);
		F("SIGKNOCK_PORTS", ev->ports);
		F("SIGKNOCK_REASON", ev->reason);
		F("SIGKNOCK_STANZA", ev->stanza);
#undef F
	}
	if (send(log_native, buf, o, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	    (ssize_t)o)
		return 0;
	/* journald restarted: its socket is a new one. */
	if ((errno == ECONNREFUSED || errno == ENOTCONN || errno == ENOENT) &&
	    journal_connect() == 0 && send(log_native, buf, o, MSG_NOSIGNAL |
	    MSG_DONTWAIT) == (ssize_t)o)
		return 0;
	return -1;
}

static const char *
prio_name(int prio)
{
	static const char *names[] = { "emerg", "alert", "crit", "err",
	    "warning", "notice", "info", "debug" };

	return prio >= 0 && prio <= LOG_DEBUG ? names[prio] : "info";
}

/* The line as one JSON object (LogFormat json), into out. */
static void
json_line(int prio, const char *msg, const struct sk_log_ev *ev, char *out,
    size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char when[32] = "";
	FILE *f;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	out[0] = '\0';
	if ((f = fmemopen(out, cap, "w")) == NULL)
		return;
	fprintf(f, "{\"time\":\"%s.%03ldZ\",\"priority\":\"%s\",\"ident\":",
	    when, ts.tv_nsec / 1000000, prio_name(prio));
	sk_json_str(f, log_ident);
	fputs(",\"message\":", f);
	sk_json_str(f, msg);
	if (ev != NULL) {
#define F(name, v) if ((v) != NULL) { fputs(",\"" name "\":", f); \
	sk_json_str(f, v); }
		F("event", ev->event);
		F("user", ev->user);
		F("src", ev->src);
		F("addr", ev->addr);
		F("ports", ev->ports);
		F("reason", ev->reason);
		F("stanza", ev->stanza);
#undef F
	}
	fputc('}', f);
	/* Too long for out: no line rather than half an object. */
	if (fclose(f) != 0 || strlen(out) + 1 >= cap)
		out[0] = '\0';
}

static void
vlog(int prio, const struct sk_log_ev *ev, const char *fmt, va_list ap)
{
	char msg[1024], js[4096];

	if (prio > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink != NULL) {
		log_sink(prio, msg, ev);
		return;
	}
	if (log_json) {
		json_line(prio, msg, ev, js, sizeof(js));
		if (js[0] == '\0')
			snprintf(js, sizeof(js), "{\"message\":\"(a line too "
			    "long for JSON)\"}");
		if (log_journal)
			fprintf(stderr, "<%d>%s\n", prio, js);
		else if (log_stderr)
			fprintf(stderr, "%s\n", js);
		else
			syslog(prio, "%s", js);
	} else if (log_native >= 0 && native(prio, msg, ev) == 0)
		;
	else if (log_journal)
		fprintf(stderr, "<%d>%s\n", prio, msg);
	else if (log_stderr)
		fprintf(stderr, "%s: %s\n", log_ident, msg);
	else
		syslog(prio, "%s", msg);
}

void
sk_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, NULL, fmt, ap);
	va_end(ap);
}

void
sk_log_ev(const struct sk_log_ev *ev, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, ev, fmt, ap);
	va_end(ap);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The bucket's verdict: 1 when this line may go. */
static int
rl_take(struct sk_ratelimit *rl, int prio)
{
	uint64_t now = mono_ns();

	if (prio > log_max)
		return 0;
	if (rl->last_ns != 0) {
		rl->tokens += (double)(now - rl->last_ns) / 1e9 * rl->rate;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
	}
	rl->last_ns = now;
	if (rl->tokens < 1.0) {
		rl->suppressed++;
		return 0;
	}
	rl->tokens -= 1.0;
	if (rl->suppressed > 0) {
		sk_log(prio, "(%llu similar messages suppressed)",
		    (unsigned long long)rl->suppressed);
		rl->suppressed = 0;
	}
	return 1;
}

int
sk_log_rl(struct sk_ratelimit *rl, int prio, const char *fmt, ...)
{
	va_list ap;

	if (!rl_take(rl, prio))
		return 0;
	va_start(ap, fmt);
	vlog(prio, NULL, fmt, ap);
	va_end(ap);
	return 1;
}

int
sk_log_ev_rl(struct sk_ratelimit *rl, const struct sk_log_ev *ev, int prio,
    const char *fmt, ...)
{
	va_list ap;

	if (!rl_take(rl, prio))
		return 0;
	va_start(ap, fmt);
	vlog(prio, ev, fmt, ap);
	va_end(ap);
	return 1;
}

const char *
sk_log_escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	const unsigned char *p;

	if (outlen == 0)
		return out;
	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)*p;
		} else if (*p == '\\') {
			if (o + 2 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			if (o + 4 >= outlen)
				break;
			snprintf(out + o, 5, "\\x%02x", *p);
			o += 4;
		}
	}
	out[o] = '\0';
	return out;
}

void
sk_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int
sk_usage_error(const char *synopsis, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "%s: ", log_ident);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s\nTry '%s --help' for more.\n", synopsis,
	    log_ident);
	return 2;
}
