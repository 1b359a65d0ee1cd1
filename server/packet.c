#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "err.h"
#include "packet.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8

static int
parse_udp(struct rbuf *r, struct pkt_info *pi)
{
	uint16_t ulen, sum;
	int e;

	if ((e = rbuf_u16(r, &pi->sport)) != 0 || (e = rbuf_u16(r, &pi->dport)) ||
	    (e = rbuf_u16(r, &ulen)) != 0 || (e = rbuf_u16(r, &sum)) != 0)
		return e;
	if (ulen < 8)
		return SK_ERR_BAD_FIELD;
	if ((size_t)ulen - 8 > rbuf_left(r))
		return SK_ERR_TRUNCATED;
	pi->payload = rbuf_ptr(r);
	pi->len = (size_t)ulen - 8;
	return 0;
}

static int
parse_ipv4(struct rbuf *r, struct pkt_info *pi)
{
	const uint8_t *h;
	size_t hlen, total;
	struct rbuf body;

	if (rbuf_left(r) < 20)
		return SK_ERR_TRUNCATED;
	h = rbuf_ptr(r);
	if (h[0] >> 4 != 4)
		return SK_ERR_BAD_FIELD;
	hlen = (size_t)(h[0] & 0x0f) * 4;
	total = (size_t)h[2] << 8 | h[3];
	if (hlen < 20 || total < hlen)
		return SK_ERR_BAD_FIELD;
	if (total > rbuf_left(r))
		return SK_ERR_TRUNCATED;
	if ((h[6] & 0x20) || ((h[6] & 0x1f) | h[7]))
		return SK_ERR_UNKNOWN_CRITICAL;		/* a fragment: ignored */
	if (h[9] != 17)
		return SK_ERR_BAD_FIELD;
	pi->family = AF_INET;
	memcpy(pi->src, h + 12, 4);
	memcpy(pi->dst, h + 16, 4);
	rbuf_init(&body, h + hlen, total - hlen);
	return parse_udp(&body, pi);
}

static int
parse_ipv6(struct rbuf *r, struct pkt_info *pi)
{
	const uint8_t *h, *x;
	uint8_t next;
	size_t plen, xlen;
	struct rbuf body;
	int i, e;

	if (rbuf_left(r) < 40)
		return SK_ERR_TRUNCATED;
	h = rbuf_ptr(r);
	if (h[0] >> 4 != 6)
		return SK_ERR_BAD_FIELD;
	plen = (size_t)h[4] << 8 | h[5];
	if (40 + plen > rbuf_left(r))
		return SK_ERR_TRUNCATED;
	next = h[6];
	pi->family = AF_INET6;
	memcpy(pi->src, h + 8, 16);
	memcpy(pi->dst, h + 24, 16);
	rbuf_init(&body, h + 40, plen);
	for (i = 0; i < PKT_IPV6_EXT_MAX; i++) {
		switch (next) {
		case 17:
			return parse_udp(&body, pi);
		case 44:
			return SK_ERR_UNKNOWN_CRITICAL;	/* fragment: ignored */
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (rbuf_left(&body) < 8)
				return SK_ERR_TRUNCATED;
			x = rbuf_ptr(&body);
			next = x[0];
			xlen = ((size_t)x[1] + 1) * 8;
			if ((e = rbuf_skip(&body, xlen)) != 0)
				return e;
			break;
		default:
			/* Not UDP after its extension headers (the capture
			 * filter lets those through unseen): not ours. */
			return SK_ERR_UNKNOWN_CRITICAL;
		}
	}
	return SK_ERR_TOO_LONG;
}

static int
parse_ip(uint16_t ethertype, struct rbuf *r, struct pkt_info *pi)
{
	switch (ethertype) {
	case ETH_P_IP:
		return parse_ipv4(r, pi);
	case ETH_P_IPV6:
		return parse_ipv6(r, pi);
	}
	return SK_ERR_BAD_FIELD;
}

static int
parse(int dlt, struct rbuf *r, struct pkt_info *pi)
{
	uint16_t type;
	int e, i;

	switch (dlt) {
	case PKT_DLT_EN10MB:
		if ((e = rbuf_skip(r, 12)) != 0 || (e = rbuf_u16(r, &type)) != 0)
			return e;
		for (i = 0; i < PKT_VLAN_MAX &&
		    (type == ETH_P_8021Q || type == ETH_P_8021AD); i++)
			if ((e = rbuf_skip(r, 2)) != 0 ||
			    (e = rbuf_u16(r, &type)) != 0)
				return e;
		return parse_ip(type, r, pi);
	case PKT_DLT_LINUX_SLL:
		if ((e = rbuf_skip(r, 14)) != 0 || (e = rbuf_u16(r, &type)) != 0)
			return e;
		return parse_ip(type, r, pi);
	case PKT_DLT_LINUX_SLL2:
		if ((e = rbuf_u16(r, &type)) != 0 || (e = rbuf_skip(r, 18)) != 0)
			return e;
		return parse_ip(type, r, pi);
	case PKT_DLT_RAW:
	case PKT_DLT_RAW_LINKTYPE:
		if (rbuf_left(r) < 1)
			return SK_ERR_TRUNCATED;
		return (rbuf_ptr(r)[0] >> 4) == 6 ? parse_ipv6(r, pi) :
		    parse_ipv4(r, pi);
	case PKT_DLT_IPV4:
		return parse_ipv4(r, pi);
	case PKT_DLT_IPV6:
		return parse_ipv6(r, pi);
	}
	return SK_ERR_INVALID_ARG;
}

int
packet_parse(int dlt, const uint8_t *p, size_t len, struct pkt_info *pi)
{
	struct rbuf r;
	int e;

	memset(pi, 0, sizeof(*pi));
	rbuf_init(&r, p, len);
	if ((e = parse(dlt, &r, pi)) != 0)
		memset(pi, 0, sizeof(*pi));
	return e;
}
