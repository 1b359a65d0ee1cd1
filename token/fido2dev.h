/* Finding and opening a FIDO2 security key through libfido2, loaded by
 * fido2dev_open (token/dynload.h); token/fido2.c and
 * token/sigknock-token.c use libfido2 through this header. */
#ifndef SK_FIDO2DEV_H
#define SK_FIDO2DEV_H

#include <stddef.h>

#include "dynload.h"


/* The device to use: the first non-empty of spec, the environment
 * variable SIGKNOCK_FIDO_DEVICE, hint (a credential file's "device"
 * line); NULL means "find it". */
const char *fido2dev_choose(const char *spec, const char *hint);

/* Open a security key.  spec: "unix:PATH" (a socket carrying CTAPHID
 * reports, as the test emulator offers), a hidraw path, or NULL: the only
 * key plugged in, or with several the one the user touches.  timeout_s
 * bounds every operation on the device.  Errors are logged. */
int	fido2dev_open(const char *spec, int timeout_s, fido_dev_t **out);
/* Load libfido2 (fido2dev_open does): 0, or -1 logged. */
int	fido2dev_load(void);
void	fido2dev_close(fido_dev_t *dev);

/* A sentence for a libfido2 error, for people. */
const char *fido2dev_strerror(int fido_err);

/* The authenticator data libfido2 hands out CBOR-wrapped (a byte
 * string), unwrapped; 0 or -1. */
int	fido2dev_unwrap(const unsigned char *p, size_t len,
	    const unsigned char **ad, size_t *adlen);

#endif
