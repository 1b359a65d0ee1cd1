/* A small TAP producer in the shape of c-tap-harness.
 *
 * A test program prints a plan and one "ok"/"not ok" line per test point,
 * and exits 0 once its plan ran: failures show as "not ok" lines and the
 * automake TAP driver counts them; a crash or bail() shows as ERROR. */
#ifndef SK_TAP_H
#define SK_TAP_H

#include <stddef.h>

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

void	plan(unsigned count);
void	plan_lazy(void);	/* print the plan at exit, from the count run */
int	ok(int success, const char *fmt, ...) TAP_PRINTF(2, 3);
int	is_int(long long want, long long got, const char *fmt, ...) TAP_PRINTF(3, 4);
int	is_string(const char *want, const char *got, const char *fmt, ...)
	    TAP_PRINTF(3, 4);
int	is_blob(const void *want, const void *got, size_t len, const char *fmt, ...)
	    TAP_PRINTF(4, 5);
void	skip(const char *reason, ...) TAP_PRINTF(1, 2);
void	skip_all(const char *reason, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
void	diag(const char *fmt, ...) TAP_PRINTF(1, 2);
void	bail(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));

/* Test utilities. */
/* Decode hex (whitespace ignored) into out; returns the byte count, or
 * bails on bad input or overflow. */
size_t	unhex(const char *hex, unsigned char *out, size_t cap);
/* Path of a file in t/data (honours $srcdir for VPATH builds). */
const char *data_path(const char *name);

#endif
