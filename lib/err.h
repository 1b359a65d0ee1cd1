/* One error space for all of sigknock: 0 is success, every failure is a
 * negative SK_ERR_* code, and sk_strerror() names it. */
#ifndef SK_ERR_H
#define SK_ERR_H

enum sk_err {
	SK_OK = 0,
	SK_ERR_INTERNAL = -1,		/* bug or unexpected library failure */
	SK_ERR_ALLOC = -2,		/* out of memory */
	SK_ERR_INVALID_ARG = -3,	/* caller passed something impossible */
	SK_ERR_TRUNCATED = -4,		/* input ends before a field does */
	SK_ERR_TRAILING = -5,		/* bytes left after the last field */
	SK_ERR_TOO_LONG = -6,		/* a length over its *_MAX */
	SK_ERR_NO_SPACE = -7,		/* output buffer too small */
	SK_ERR_BAD_MAC = -8,		/* mac1 does not match */
	SK_ERR_DECRYPT = -9,		/* AEAD open failed */
	SK_ERR_LOW_ORDER = -10,		/* X25519 point of small order */
	SK_ERR_BAD_VERSION = -11,	/* unknown protocol version */
	SK_ERR_BAD_FIELD = -12,		/* a field holds a value it may not */
	SK_ERR_UNKNOWN_CRITICAL = -13,	/* a critical extension or subpacket we do not know */
	SK_ERR_PGP_FORMAT = -14,	/* malformed OpenPGP packet */
	SK_ERR_PGP_UNSUPPORTED = -15,	/* valid OpenPGP we do not accept */
	SK_ERR_WEAK_HASH = -16,		/* MD5, SHA-1, SHA-224, ... */
	SK_ERR_WEAK_KEY = -17,		/* e.g. RSA under 2048 bits */
	SK_ERR_SIG_TYPE = -18,		/* not a binary-document signature */
	SK_ERR_SIG_FUTURE = -19,	/* signature created too far in the future */
	SK_ERR_SIG_EXPIRED = -20,	/* signature expiration time passed */
	SK_ERR_BAD_SIGNATURE = -21,	/* the signature does not verify */
	SK_ERR_UNKNOWN_SIGNER = -22,	/* no usable key with that fingerprint */
	SK_ERR_KEY_EXPIRED = -23,	/* signer key expired since it was loaded */
	SK_ERR_SIGNER_MISMATCH = -24,	/* signature issuer differs from the request's signer */
	SK_ERR_GPGME = -25,		/* GnuPG/GPGME failure (details logged) */
	SK_ERR_IO = -26,		/* system call failed (errno logged) */
	SK_ERR_CRYPTO = -27,		/* libgcrypt failure */
	SK_ERR_FIDO2_RP = -28,		/* assertion made for another RP id */
	SK_ERR_FIDO2_PRESENCE = -29,	/* user-presence flag not set */
	SK_ERR_FIDO2_COUNTER = -30,	/* sign counter did not increase */
	SK_ERR_CARD = -31,		/* smart card or reader failure (logged) */
	SK_ERR_CARD_BUSY = -32,		/* card held by another program */
	SK_ERR_PIN = -33,		/* wrong PIN */
	SK_ERR_PIN_BLOCKED = -34,	/* PIN blocked: no tries left */
	SK_ERR_TOUCH = -35,		/* no touch in time, or refused */
};
#define SK_ERR_LAST SK_ERR_TOUCH

/* A static, lowercase description of code; never NULL. */
const char *sk_strerror(int code);

#endif
