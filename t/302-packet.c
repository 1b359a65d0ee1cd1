/* Captured-frame parsing: link types, VLAN tags, IPv4/IPv6 (extension
 * headers), fragments ignored, every truncation refused. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "packet.h"
#include "tap.h"

static size_t
ipv4_udp(uint8_t *p, const char *payload, uint16_t frag)
{
	size_t n = strlen(payload), total = 20 + 8 + n;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, "\x0a\x00\x00\x02", 4);
	memcpy(p + 16, "\x0a\x00\x00\x01", 4);
	p[20] = 0x30; p[21] = 0x39;		/* sport 12345 */
	p[22] = 0xf2; p[23] = 0xf9;		/* dport 62201 */
	p[24] = (uint8_t)((8 + n) >> 8);
	p[25] = (uint8_t)(8 + n);
	memcpy(p + 28, payload, n);
	return total;
}

static size_t
ipv6_udp(uint8_t *p, const char *payload, const uint8_t *ext, size_t extlen,
    uint8_t first_next)
{
	size_t n = strlen(payload), plen = extlen + 8 + n;

	memset(p, 0, 48 + extlen);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = first_next;
	p[7] = 64;
	p[8] = 0xfd; p[9] = 0x77; p[23] = 2;	/* src fd77::2 */
	p[24] = 0xfd; p[25] = 0x77; p[39] = 1;	/* dst fd77::1 */
	if (extlen > 0)
		memcpy(p + 40, ext, extlen);
	p[40 + extlen + 0] = 0x30; p[40 + extlen + 1] = 0x39;
	p[40 + extlen + 2] = 0xf2; p[40 + extlen + 3] = 0xf9;
	p[40 + extlen + 4] = (uint8_t)((8 + n) >> 8);
	p[40 + extlen + 5] = (uint8_t)(8 + n);
	memcpy(p + 48 + extlen, payload, n);
	return 48 + extlen + n;
}

int
main(void)
{
	uint8_t f[256], ip[200];
	struct pkt_info pi;
	size_t n, len, bad;
	int r;

	plan(23);

	/* Ethernet + IPv4 + UDP */
	memset(f, 0, 14);
	f[12] = 0x08;
	len = 14 + ipv4_udp(f + 14, "knock", 0);
	is_int(0, packet_parse(PKT_DLT_EN10MB, f, len, &pi), "ethernet/ipv4/udp");
	ok(pi.family == AF_INET && memcmp(pi.src, "\x0a\x00\x00\x02", 4) == 0 &&
	    pi.sport == 12345 && pi.dport == 62201 && pi.len == 5 &&
	    memcmp(pi.payload, "knock", 5) == 0, "addresses, ports, payload");
	bad = 0;
	for (n = 0; n < len; n++)
		if (packet_parse(PKT_DLT_EN10MB, f, n, &pi) == 0)
			bad++;
	is_int(0, bad, "every truncation of the frame refused");

	/* 802.1Q and 802.1ad tags */
	memset(f, 0, 22);
	f[12] = 0x88; f[13] = 0xa8;
	f[16] = 0x81; f[17] = 0x00;
	f[20] = 0x08;
	len = 22 + ipv4_udp(f + 22, "qinq", 0);
	is_int(0, packet_parse(PKT_DLT_EN10MB, f, len, &pi), "two VLAN tags");
	ok(pi.len == 4, "payload behind the tags");

	/* Fragments are ignored, not parsed. */
	len = ipv4_udp(ip, "frag", 0x2000);
	is_int(SK_ERR_UNKNOWN_CRITICAL, packet_parse(PKT_DLT_RAW, ip, len, &pi),
	    "IPv4 first fragment (MF) ignored");
	len = ipv4_udp(ip, "frag", 0x0010);
	is_int(SK_ERR_UNKNOWN_CRITICAL, packet_parse(PKT_DLT_RAW, ip, len, &pi),
	    "IPv4 later fragment ignored");

	/* Linux cooked v1 and v2, raw */
	memset(f, 0, 16);
	f[14] = 0x08;
	len = 16 + ipv4_udp(f + 16, "sll", 0);
	is_int(0, packet_parse(PKT_DLT_LINUX_SLL, f, len, &pi), "Linux SLL");
	memset(f, 0, 20);
	f[0] = 0x86; f[1] = 0xdd;
	len = 20 + ipv6_udp(f + 20, "sll2", NULL, 0, 17);
	is_int(0, packet_parse(PKT_DLT_LINUX_SLL2, f, len, &pi), "Linux SLL2 with IPv6");
	ok(pi.family == AF_INET6 && pi.src[0] == 0xfd && pi.src[15] == 2 &&
	    pi.len == 4, "IPv6 source and payload");

	/* IPv6 extension headers: hop-by-hop then destination options. */
	{
		uint8_t ext[16] = { 60, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0 };

		len = ipv6_udp(ip, "ext", ext, 16, 0);
		is_int(0, packet_parse(PKT_DLT_RAW, ip, len, &pi),
		    "IPv6 with hop-by-hop and destination options");
		ext[8] = 44;	/* a fragment header instead of UDP */
		len = ipv6_udp(ip, "ext", ext, 16, 0);
		is_int(SK_ERR_UNKNOWN_CRITICAL, packet_parse(PKT_DLT_RAW, ip, len,
		    &pi), "IPv6 fragment header: ignored");
		ext[8] = 58;	/* ICMPv6 after them (an MLD report) */
		len = ipv6_udp(ip, "ext", ext, 16, 0);
		is_int(SK_ERR_UNKNOWN_CRITICAL, packet_parse(PKT_DLT_RAW, ip, len,
		    &pi), "IPv6 extension headers, then not UDP: ignored");
		ext[1] = 200;	/* a length past the packet */
		ext[8] = 17;
		len = ipv6_udp(ip, "ext", ext, 16, 0);
		is_int(SK_ERR_TRUNCATED, packet_parse(PKT_DLT_RAW, ip, len, &pi),
		    "IPv6 extension header longer than the packet refused");
	}
	len = ipv6_udp(ip, "raw6", NULL, 0, 17);
	is_int(0, packet_parse(PKT_DLT_IPV6, ip, len, &pi), "DLT_IPV6");
	len = ipv4_udp(ip, "raw4", 0);
	is_int(0, packet_parse(PKT_DLT_IPV4, ip, len, &pi), "DLT_IPV4");

	/* Not what we capture, or lying lengths. */
	len = ipv4_udp(ip, "tcp?", 0);
	ip[9] = 6;
	is_int(SK_ERR_BAD_FIELD, packet_parse(PKT_DLT_RAW, ip, len, &pi),
	    "TCP refused");
	len = ipv4_udp(ip, "long", 0);
	ip[25] = 200;
	is_int(SK_ERR_TRUNCATED, packet_parse(PKT_DLT_RAW, ip, len, &pi),
	    "UDP length past the datagram refused");
	len = ipv4_udp(ip, "tiny", 0);
	ip[25] = 7;
	is_int(SK_ERR_BAD_FIELD, packet_parse(PKT_DLT_RAW, ip, len, &pi),
	    "UDP length under 8 refused");
	len = ipv4_udp(ip, "ihl", 0);
	ip[0] = 0x44;
	is_int(SK_ERR_BAD_FIELD, packet_parse(PKT_DLT_RAW, ip, len, &pi),
	    "IPv4 header length under 20 refused");
	len = ipv4_udp(ip, "total", 0);
	ip[3] = 10;
	is_int(SK_ERR_BAD_FIELD, packet_parse(PKT_DLT_RAW, ip, len, &pi),
	    "IPv4 total length under the header refused");
	r = packet_parse(9999, ip, len, &pi);
	is_int(SK_ERR_INVALID_ARG, r, "unknown link type refused");
	memset(f, 0, 14);
	f[12] = 0x08; f[13] = 0x06;	/* ARP */
	is_int(SK_ERR_BAD_FIELD, packet_parse(PKT_DLT_EN10MB, f, 60, &pi),
	    "ARP refused");
	return 0;
}
