#include "config.h"

#include "err.h"

const char *
sk_strerror(int code)
{
	switch (code) {
	case SK_OK:			return "success";
	case SK_ERR_INTERNAL:		return "internal error";
	case SK_ERR_ALLOC:		return "out of memory";
	case SK_ERR_INVALID_ARG:	return "invalid argument";
	case SK_ERR_TRUNCATED:		return "input truncated";
	case SK_ERR_TRAILING:		return "trailing bytes after the last field";
	case SK_ERR_TOO_LONG:		return "length over its limit";
	case SK_ERR_NO_SPACE:		return "output buffer too small";
	case SK_ERR_BAD_MAC:		return "mac1 mismatch";
	case SK_ERR_DECRYPT:		return "decryption failed";
	case SK_ERR_LOW_ORDER:		return "X25519 point of small order";
	case SK_ERR_BAD_VERSION:	return "unsupported protocol version";
	case SK_ERR_BAD_FIELD:		return "field value not allowed";
	case SK_ERR_UNKNOWN_CRITICAL:	return "unknown critical extension";
	case SK_ERR_PGP_FORMAT:		return "malformed OpenPGP data";
	case SK_ERR_PGP_UNSUPPORTED:	return "unsupported OpenPGP algorithm or version";
	case SK_ERR_WEAK_HASH:		return "hash algorithm refused as too weak";
	case SK_ERR_WEAK_KEY:		return "key refused as too weak";
	case SK_ERR_SIG_TYPE:		return "signature is not over a binary document";
	case SK_ERR_SIG_FUTURE:		return "signature created in the future";
	case SK_ERR_SIG_EXPIRED:	return "signature expired";
	case SK_ERR_BAD_SIGNATURE:	return "bad signature";
	case SK_ERR_UNKNOWN_SIGNER:	return "unknown signer";
	case SK_ERR_KEY_EXPIRED:	return "signer key expired";
	case SK_ERR_FIDO2_RP:		return "assertion made for another relying party";
	case SK_ERR_FIDO2_PRESENCE:	return "security key was not touched (user-presence flag clear)";
	case SK_ERR_CARD:		return "smart card error";
	case SK_ERR_CARD_BUSY:		return "card held by another program";
	case SK_ERR_PIN:		return "wrong PIN";
	case SK_ERR_PIN_BLOCKED:	return "PIN blocked";
	case SK_ERR_TOUCH:		return "no touch in time";
	case SK_ERR_FIDO2_COUNTER:	return "sign counter did not increase (cloned security key?)";
	case SK_ERR_SIGNER_MISMATCH:	return "signature issuer does not match the request's signer";
	case SK_ERR_GPGME:		return "GnuPG error";
	case SK_ERR_IO:			return "I/O error";
	case SK_ERR_CRYPTO:		return "cryptographic library error";
	}
	return "unknown error code";
}
