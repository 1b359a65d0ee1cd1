/* Link, IP and UDP headers of a captured frame, parsed with explicit
 * lengths.  Kept apart from libpcap so that it can be fuzzed. */
#ifndef SK_PACKET_H
#define SK_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* Link types we read (libpcap DLT_* values). */
#define PKT_DLT_EN10MB		1
#define PKT_DLT_RAW		12
#define PKT_DLT_LINUX_SLL	113
#define PKT_DLT_RAW_LINKTYPE	101
#define PKT_DLT_IPV4		228
#define PKT_DLT_IPV6		229
#define PKT_DLT_LINUX_SLL2	276

#define PKT_VLAN_MAX		2
#define PKT_IPV6_EXT_MAX	8

struct pkt_info {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 src[16];
	uint8_t		 dst[16];
	uint16_t	 sport;
	uint16_t	 dport;
	const uint8_t	*payload;
	size_t		 len;
};

/* 0; SK_ERR_TRUNCATED when a header is cut short; SK_ERR_BAD_FIELD when
 * it is not IPv4/IPv6 + UDP; SK_ERR_UNKNOWN_CRITICAL for fragments and
 * for IPv6 whose extension headers lead to another protocol (the capture
 * filter cannot see past them), which are ignored.  info points into p, and is zeroed on failure. */
int	packet_parse(int dlt, const uint8_t *p, size_t len, struct pkt_info *info);

#endif
