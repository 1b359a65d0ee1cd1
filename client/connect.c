#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect.h"
#include "target.h"
#include "log.h"

int
conn_split(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon, *end;
	size_t n;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			goto bad;
		n = (size_t)(end - s - 1);
		s++;
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			goto bad;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= hlen || colon[1] == '\0' ||
	    strlen(colon + 1) >= plen)
		goto bad;
	memcpy(host, s, n);
	host[n] = '\0';
	snprintf(port, plen, "%s", colon + 1);
	return 0;
bad:
	log_err("'%s' is not HOST:PORT (or [IPv6]:PORT)", s);
	return -1;
}

int
conn_resolve(const char *host, const char *port, int family,
    struct conn_target *c)
{
	struct knock_target t;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&c->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&c->ss;
	char a[INET6_ADDRSTRLEN];

	/* The knock's own lookup: the first address a route leads to. */
	memset(c, 0, sizeof(*c));
	if (target_open(host, port, family, &t) != 0)
		return -1;
	target_close(&t);
	c->family = t.family;
	memcpy(c->addr, t.server, 16);
	c->port = (uint16_t)atoi(port);
	if (c->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->port);
		memcpy(&s4->sin_addr, c->addr, 4);
		c->sslen = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->port);
		memcpy(&s6->sin6_addr, c->addr, 16);
		c->sslen = sizeof(*s6);
	}
	inet_ntop(c->family, c->addr, a, sizeof(a));
	snprintf(c->str, sizeof(c->str), "%s port %u", a, c->port);
	return 0;
}

int
conn_try(const struct conn_target *c, int ms, int *err)
{
	struct pollfd p;
	socklen_t sl = sizeof(*err);
	int fd, r;

	if ((fd = socket(c->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&c->ss, c->sslen) == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		*err = errno;
		goto fail;
	}
	p.fd = fd;
	p.events = POLLOUT;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		*err = ETIMEDOUT;
		goto fail;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &sl) != 0) {
		*err = errno;
		goto fail;
	}
	if (*err != 0)
		goto fail;
connected:
	if (fcntl(fd, F_SETFL, 0) != 0) {
		*err = errno;
		goto fail;
	}
	*err = 0;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Write all of buf, or -1. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
conn_relay(int fd)
{
	char buf[16384];
	struct pollfd p[2];
	ssize_t n;
	int in_open = 1;

	p[0].fd = fd;
	p[0].events = POLLIN;
	p[1].fd = STDIN_FILENO;
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, in_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return -1;
		}
		if (p[0].revents != 0) {
			if ((n = read(fd, buf, sizeof(buf))) < 0) {
				if (errno == EINTR)
					continue;
				log_err("the connection: %s", strerror(errno));
				return -1;
			}
			if (n == 0)
				return 0;	/* the peer is done */
			if (write_all(STDOUT_FILENO, buf, (size_t)n) != 0) {
				if (errno == EPIPE)
					return 0;	/* so is our reader */
				log_err("standard output: %s", strerror(errno));
				return -1;
			}
		}
		if (in_open && p[1].revents != 0) {
			if ((n = read(STDIN_FILENO, buf, sizeof(buf))) < 0) {
				if (errno == EINTR)
					continue;
				log_err("standard input: %s", strerror(errno));
				return -1;
			}
			if (n == 0) {
				in_open = 0;
				shutdown(fd, SHUT_WR);
			} else if (write_all(fd, buf, (size_t)n) != 0) {
				log_err("the connection: %s", strerror(errno));
				return -1;
			}
		}
	}
}
