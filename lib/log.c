#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_ident = "sigknock";
static int log_stderr = 1;
static int log_journal;		/* stderr is the journal: "<N>" prefixes */
static int log_max = LOG_INFO;
static void (*log_sink)(int, const char *);

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

void
sk_log_init(const char *ident, int to_stderr, int level)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_max = level;
	log_journal = to_stderr && stderr_is_journal();
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
sk_log_set_level(int level)
{
	log_max = level;
}

void
sk_log_set_sink(void (*sink)(int prio, const char *msg))
{
	log_sink = sink;
}

int
sk_log_level(void)
{
	return log_max;
}

static void
vlog(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	if (prio > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink != NULL)
		log_sink(prio, msg);
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
	vlog(prio, fmt, ap);
	va_end(ap);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
sk_log_rl(struct sk_ratelimit *rl, int prio, const char *fmt, ...)
{
	uint64_t now = mono_ns();
	va_list ap;

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
	va_start(ap, fmt);
	vlog(prio, fmt, ap);
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
