#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "endian.h"
#include "err.h"
#include "stun.h"

#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_MAGIC		0x2112A442u
#define STUN_FP_XOR		0x5354554Eu

/* Attributes we know (RFC 8489 section 18.3). */
#define A_MAPPED_ADDRESS	0x0001
#define A_USERNAME		0x0006
#define A_MESSAGE_INTEGRITY	0x0008
#define A_ERROR_CODE		0x0009
#define A_UNKNOWN_ATTRIBUTES	0x000A
#define A_REALM			0x0014
#define A_NONCE			0x0015
#define A_MI_SHA256		0x001C
#define A_PASSWORD_ALGORITHM	0x001D
#define A_USERHASH		0x001E
#define A_XOR_MAPPED_ADDRESS	0x0020
#define A_FINGERPRINT		0x8028

void
stun_request(uint8_t out[STUN_HEADER_LEN], const uint8_t txid[STUN_TXID_LEN])
{
	be16enc(out, STUN_BINDING_REQUEST);
	be16enc(out + 2, 0);
	be32enc(out + 4, STUN_MAGIC);
	memcpy(out + 8, txid, STUN_TXID_LEN);
}

/* CRC-32 (ISO 3309, the one FINGERPRINT uses), bit by bit: it runs once
 * per response. */
static uint32_t
crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* MAPPED-ADDRESS or, with x, XOR-MAPPED-ADDRESS (RFC 8489 14.1, 14.2). */
static int
address(const uint8_t *v, size_t len, const uint8_t *hdr, int x, int *family,
    uint8_t addr[16], uint16_t *port)
{
	size_t alen, i;

	if (len < 4 || v[0] != 0)
		return SK_ERR_BAD_FIELD;
	if (v[1] == 0x01)
		alen = 4;
	else if (v[1] == 0x02)
		alen = 16;
	else
		return SK_ERR_BAD_FIELD;
	if (len != 4 + alen)
		return SK_ERR_BAD_FIELD;
	*family = alen == 4 ? AF_INET : AF_INET6;
	*port = be16dec(v + 2);
	memcpy(addr, v + 4, alen);
	if (x) {
		/* Port and address XOR the magic cookie, then (IPv6) the
		 * transaction id: bytes 4..19 of the header. */
		*port ^= (uint16_t)(STUN_MAGIC >> 16);
		for (i = 0; i < alen; i++)
			addr[i] ^= hdr[4 + i];
	}
	return 0;
}

int
stun_parse_response(const uint8_t *p, size_t len,
    const uint8_t txid[STUN_TXID_LEN], int *family, uint8_t addr[16],
    uint16_t *port)
{
	uint8_t xa[16] = { 0 }, ma[16] = { 0 };
	int xf = 0, mf = 0, r;
	uint16_t xp = 0, mp = 0, type, alen;
	size_t off, mlen, padded;

	if (len < STUN_HEADER_LEN)
		return SK_ERR_TRUNCATED;
	if (len > STUN_MSG_MAX)
		return SK_ERR_TOO_LONG;
	/* The top two bits are zero in every STUN message. */
	if ((p[0] & 0xC0) != 0 || be32dec(p + 4) != STUN_MAGIC)
		return SK_ERR_BAD_VERSION;
	if (be16dec(p) != STUN_BINDING_SUCCESS ||
	    memcmp(p + 8, txid, STUN_TXID_LEN) != 0)
		return SK_ERR_BAD_FIELD;
	mlen = be16dec(p + 2);
	if (mlen % 4 != 0)
		return SK_ERR_BAD_FIELD;
	if (mlen > len - STUN_HEADER_LEN)
		return SK_ERR_TRUNCATED;
	if (mlen < len - STUN_HEADER_LEN)
		return SK_ERR_TRAILING;
	for (off = STUN_HEADER_LEN; off < len; off += 4 + padded) {
		if (len - off < 4)
			return SK_ERR_TRUNCATED;
		type = be16dec(p + off);
		alen = be16dec(p + off + 2);
		padded = ((size_t)alen + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return SK_ERR_TRUNCATED;
		switch (type) {
		case A_XOR_MAPPED_ADDRESS:
			if ((r = address(p + off + 4, alen, p, 1, &xf, xa,
			    &xp)) != 0)
				return r;
			break;
		case A_MAPPED_ADDRESS:
			if ((r = address(p + off + 4, alen, p, 0, &mf, ma,
			    &mp)) != 0)
				return r;
			break;
		case A_FINGERPRINT:
			/* The last attribute, over everything before it with
			 * the length already counting it. */
			if (alen != 4 || off + 8 != len)
				return SK_ERR_BAD_FIELD;
			if ((crc32(p, off) ^ STUN_FP_XOR) != be32dec(p + off + 4))
				return SK_ERR_BAD_MAC;
			break;
		case A_USERNAME:
		case A_MESSAGE_INTEGRITY:
		case A_ERROR_CODE:
		case A_UNKNOWN_ATTRIBUTES:
		case A_REALM:
		case A_NONCE:
		case A_MI_SHA256:
		case A_PASSWORD_ALGORITHM:
		case A_USERHASH:
			/* Known; nothing we use (we sent no credentials). */
			break;
		default:
			if (type < 0x8000)
				return SK_ERR_UNKNOWN_CRITICAL;
			break;
		}
	}
	if (xf != 0) {
		*family = xf;
		memcpy(addr, xa, 16);
		*port = xp;
	} else if (mf != 0) {
		*family = mf;
		memcpy(addr, ma, 16);
		*port = mp;
	} else
		return SK_ERR_BAD_FIELD;
	return 0;
}
