/* Ending the connections a grant let in.  A revocation, or sigknockd -R,
 * closes the grant; but the firewall accepts established flows of
 * protected ports, so an ssh session opened under the grant would go on.
 * Its connection-tracking entries are deleted: the next packet of the
 * flow starts a new entry, in state new, and meets the gate, which has
 * no grant for it any more. */
#ifndef SK_CONNTRACK_H
#define SK_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

struct ct_port {
	uint8_t		proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t	port;		/* destination port, host order */
};

/* Delete every tracked connection from addr (family AF_INET or AF_INET6;
 * 4 or 16 bytes; its first prefix bits count, 0: all of them) to one of
 * ports[0..n).  How many went, or -1 (logged). */
int	ct_kill(int family, const uint8_t *addr, unsigned prefix,
	    const struct ct_port *ports, size_t n);

#endif
