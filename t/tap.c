#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static unsigned tap_planned;
static unsigned tap_run;
static unsigned tap_failed;
static int tap_lazy;

static void
finish(void)
{
	if (tap_lazy)
		printf("1..%u\n", tap_run);
	else if (tap_planned != tap_run)
		printf("# planned %u tests but ran %u\n", tap_planned, tap_run);
	if (tap_failed > 0)
		printf("# %u of %u tests failed\n", tap_failed, tap_run);
	fflush(stdout);
}

static void
start(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(finish);
}

void
plan(unsigned count)
{
	start();
	tap_planned = count;
	printf("1..%u\n", count);
}

void
plan_lazy(void)
{
	start();
	tap_lazy = 1;
}

static int
report(int success, const char *fmt, va_list ap)
{
	tap_run++;
	if (!success)
		tap_failed++;
	printf("%sok %u - ", success ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	putchar('\n');
	return success;
}

int
ok(int success, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(success, fmt, ap);
	va_end(ap);
	return success;
}

int
is_int(long long want, long long got, const char *fmt, ...)
{
	va_list ap;
	int success = want == got;

	va_start(ap, fmt);
	report(success, fmt, ap);
	va_end(ap);
	if (!success)
		printf("#   wanted: %lld\n#      got: %lld\n", want, got);
	return success;
}

int
is_string(const char *want, const char *got, const char *fmt, ...)
{
	va_list ap;
	int success;

	success = (want == NULL && got == NULL) ||
	    (want != NULL && got != NULL && strcmp(want, got) == 0);
	va_start(ap, fmt);
	report(success, fmt, ap);
	va_end(ap);
	if (!success)
		printf("#   wanted: %s\n#      got: %s\n", want ? want : "(null)",
		    got ? got : "(null)");
	return success;
}

static void
hexdump(const char *what, const unsigned char *p, size_t len)
{
	size_t i;

	printf("# %8s: ", what);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

int
is_blob(const void *want, const void *got, size_t len, const char *fmt, ...)
{
	va_list ap;
	int success = memcmp(want, got, len) == 0;

	va_start(ap, fmt);
	report(success, fmt, ap);
	va_end(ap);
	if (!success) {
		hexdump("wanted", want, len);
		hexdump("got", got, len);
	}
	return success;
}

void
skip(const char *reason, ...)
{
	va_list ap;

	tap_run++;
	printf("ok %u # SKIP ", tap_run);
	va_start(ap, reason);
	vprintf(reason, ap);
	va_end(ap);
	putchar('\n');
}

void
skip_all(const char *reason, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, reason);
	vprintf(reason, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(0);
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void
bail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	_Exit(255);
}

static int
nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t
unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex != '\0'; hex++) {
		if (isspace((unsigned char)*hex))
			continue;
		if ((v = nibble((unsigned char)*hex)) < 0)
			bail("unhex: bad character '%c'", *hex);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			bail("unhex: output over %zu bytes", cap);
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		bail("unhex: odd number of digits");
	return n;
}

const char *
data_path(const char *name)
{
	static char path[4096];
	const char *srcdir = getenv("srcdir");

	snprintf(path, sizeof(path), "%s/t/data/%s", srcdir ? srcdir : ".",
	    name);
	return path;
}
