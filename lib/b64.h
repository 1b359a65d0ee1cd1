/* Base64 (RFC 4648, standard alphabet, padded), strict decoding; and
 * the value of one hex digit. */
#ifndef SK_B64_H
#define SK_B64_H

#include <stddef.h>
#include <stdint.h>

#define B64_LEN(n)	((((n) + 2) / 3) * 4)

/* Encode n bytes into out (cap ≥ B64_LEN(n) + 1, NUL-terminated). */
int	b64_encode(const uint8_t *p, size_t n, char *out, size_t cap);
/* Decode exactly: no whitespace, correct padding, canonical trailing bits;
 * *len receives the byte count. */
int	b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap,
	    size_t *len);
/* 0-15 for a hex digit (either case), else -1. */
int	b64_hexval(int c);

#endif
