/* The client's side of address binding (PROTOCOL.md section 3.2): where
 * the knock goes, and which address it binds. */
#ifndef SK_CLIENT_TARGET_H
#define SK_CLIENT_TARGET_H

#include <stdint.h>
#include <sys/socket.h>

struct knock_target {
	int			fd;		/* UDP, connected to the server */
	int			family;		/* AF_INET or AF_INET6 */
	uint8_t			server[16];	/* the server's address */
	uint8_t			local[16];	/* ours toward it */
	char			server_str[64];
};

/* Resolve server:port and connect a UDP socket to the first address a
 * route leads to (nothing is sent): the local address the kernel chose
 * is the one the server will see unless a NAT is on the way.  family is
 * AF_UNSPEC, AF_INET or AF_INET6.  Errors are logged. */
int	target_open(const char *server, const char *port, int family,
	    struct knock_target *t);
void	target_close(struct knock_target *t);

/* STUN over TLS (RFC 8489 section 6.2.2). */
#define STUN_TLS_PORT	5349

struct stun_opts {
	int		 insecure;	/* plain UDP STUN allowed */
	const char	*ca;		/* PEM: CA or pinned certificate; NULL:
					 * the system's trust store */
	int		 verbose;
};

/* Ask the STUN servers in list (comma separated: stuns:HOST[:PORT] over
 * TLS, HOST[:PORT] or stun:HOST[:PORT] over UDP only with so->insecure;
 * an IPv6 address in brackets), in turn, for the address they see us
 * come from over family; 0 and *addr on the first answer, which is
 * remembered in ~/.sigknock/stun (a change is said).  Errors are
 * logged. */
int	stun_query(const char *list, int family, const struct stun_opts *so,
	    uint8_t addr[16]);

#endif
