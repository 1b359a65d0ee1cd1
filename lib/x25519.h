/* Constant-time X25519 over five 51-bit limbs (lib/x25519.c).  Needs a
 * 128-bit integer type; without one lib/crypto.c uses libgcrypt's. */
#ifndef SK_X25519_H
#define SK_X25519_H

#include <stdint.h>

#ifdef __SIZEOF_INT128__
#define SK_HAVE_X25519_FAST 1
/* out = k * u, for an already clamped k; bit 255 of u is ignored. */
void	x25519_fast(uint8_t out[32], const uint8_t k[32], const uint8_t u[32]);
#endif

#endif
