/* Connect mode (sigknock -W HOST:PORT): find the address the connection
 * will use, wait until the port accepts, relay standard input and output
 * to it. */
#ifndef SK_CLIENT_CONNECT_H
#define SK_CLIENT_CONNECT_H

#include <stdint.h>
#include <sys/socket.h>

struct conn_target {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 family;
	uint8_t			 addr[16];
	uint16_t		 port;
	char			 str[80];	/* "ADDR port N" */
};

/* Split "host:port", "[v6]:port" or "v6addr:port" (the last colon) into
 * host and port; 0, or -1 (logged). */
int	conn_split(const char *s, char *host, size_t hlen, char *port,
	    size_t plen);

/* The address a connection to host:port (a number) will use: the first
 * that getaddrinfo gives (the order ssh tries them in) to which a route
 * leads.  family is AF_UNSPEC, AF_INET or AF_INET6.  0, or -1 (logged). */
int	conn_resolve(const char *host, const char *port, int family,
	    struct conn_target *c);

/* Try to connect, once, for at most ms milliseconds: the socket, or -1
 * with *err set (ETIMEDOUT when no answer came). */
int	conn_try(const struct conn_target *c, int ms, int *err);

/* Relay standard input to fd and fd to standard output until fd's peer
 * closes (or standard output does); standard input's end is passed on
 * as a half close.  0, or -1 on an I/O error (logged). */
int	conn_relay(int fd);

#endif
