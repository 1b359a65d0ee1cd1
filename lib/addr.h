/* Address rules shared by the client and the server: which addresses a
 * knock may never open, and which are private (behind a NAT, as seen from
 * a public server).  Addresses are raw bytes: 4 for AF_INET, 16 for
 * AF_INET6. */
#ifndef SK_ADDR_H
#define SK_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* Why the address may never be opened ("loopback", "multicast", ...), or
 * NULL when it may.  Unspecified, loopback, multicast, the limited
 * broadcast, reserved IPv4 (0/8, 240/4), link-local, and IPv6 addresses
 * that carry an IPv4 one (mapped ::ffff:0:0/96, compatible ::/96). */
const char *sk_addr_never_open(int family, const uint8_t *addr);

/* 1 for addresses that are not reachable from the Internet: RFC 1918,
 * shared (100.64/10), loopback, link-local, unique local (fc00::/7). */
int	sk_addr_is_private(int family, const uint8_t *addr);

/* 1 when the address is one of this host's own (or the broadcast address
 * of one of its networks), 0 when not, -1 when the interfaces cannot be
 * listed.  The list is kept and listed again when the kernel reports an
 * address change (a route netlink socket, kept open in the caller). */
int	sk_addr_is_own(int family, const uint8_t *addr);

/* Byte length of an address of this family; 0 for any other. */
size_t	sk_addr_len(int family);

/* A numeric IPv4 or IPv6 address: 0 with *family and addr (zero
 * padded to 16 bytes), or -1. */
int	sk_addr_parse(const char *s, int *family, uint8_t addr[16]);

/* inet_ntop that never fails: "?" for an unknown family. */
const char *sk_addr_str(int family, const uint8_t *addr, char *out,
	    size_t len);

#endif
