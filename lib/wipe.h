/* Wiping secrets.  The compiler may not elide these stores. */
#ifndef SK_WIPE_H
#define SK_WIPE_H

#include <stddef.h>

/* Overwrite n bytes at p with zeros; p may be NULL when n is 0. */
void sk_wipe(void *p, size_t n);

/* Wipe n bytes at p, then free(p).  sk_freezero(NULL, n) is a no-op. */
void sk_freezero(void *p, size_t n);

/* Constant-time comparison: 1 when the n bytes at a and b are equal. */
int sk_memeq(const void *a, const void *b, size_t n);

#endif
