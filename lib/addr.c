#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "addr.h"

size_t
sk_addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int
sk_addr_parse(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	return 0;
}

const char *
sk_addr_str(int family, const uint8_t *addr, char *out, size_t len)
{
	if (sk_addr_len(family) == 0 ||
	    inet_ntop(family, addr, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
	return out;
}

static const char *
never4(const uint8_t *a)
{
	if (a[0] == 0)
		return "an unspecified or 'this network' address (0.0.0.0/8)";
	if (a[0] == 127)
		return "a loopback address";
	if (a[0] == 169 && a[1] == 254)
		return "a link-local address";
	if (a[0] >= 224 && a[0] <= 239)
		return "a multicast address";
	if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
		return "the broadcast address";
	if (a[0] >= 240)
		return "a reserved address (240.0.0.0/4)";
	return NULL;
}

const char *
sk_addr_never_open(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == AF_INET)
		return never4(a);
	if (family != AF_INET6)
		return "not an IP address";
	if (memcmp(a, zero, 15) == 0 && a[15] == 0)
		return "the unspecified address";
	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return "a loopback address";
	if (a[0] == 0xff)
		return "a multicast address";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "a link-local address";
	if (memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
		return "an IPv4-mapped address (open the IPv4 address itself)";
	if (memcmp(a, zero, 12) == 0)
		return "an IPv4-compatible address (::/96)";
	return NULL;
}

int
sk_addr_is_private(int family, const uint8_t *a)
{
	if (family == AF_INET)
		return a[0] == 10 || a[0] == 127 ||
		    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64) ||
		    (a[0] == 169 && a[1] == 254);
	if (family == AF_INET6)
		return (a[0] & 0xfe) == 0xfc ||
		    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
		    sk_addr_never_open(family, a) != NULL;
	return 0;
}

/*
 * The host's own addresses, listed once and again only when the kernel
 * says that one changed: a route netlink socket subscribed to address
 * events (before the listing, so that no change falls between the two)
 * is read without blocking at each question.  Listing them costs a
 * netlink dump (tens of microseconds); the question is asked at every
 * grant.  Where the socket cannot be had, every question lists them.
 */
struct own_addr {
	int	 family;
	uint8_t	 a[16];
};

static struct {
	int		 nl;	/* -1: not opened yet, -2: none to be had */
	int		 stale;
	size_t		 n;
	struct own_addr	*v;
} own = { -1, 1, 0, NULL };

static void
own_watch(void)
{
	struct sockaddr_nl sa;
	int fd;

	if (own.nl != -1)
		return;
	own.nl = -2;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_ROUTE)) == -1)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return;
	}
	own.nl = fd;
}

/* Anything on the socket, an overflow (ENOBUFS: events were lost) or an
 * error makes the list stale. */
static void
own_drain(void)
{
	uint8_t buf[4096];
	ssize_t n;

	if (own.nl < 0) {
		own.stale = 1;
		return;
	}
	for (;;) {
		n = recv(own.nl, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n == -1 && errno == ENOBUFS)) {
			own.stale = 1;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close(own.nl);
		own.nl = -2;
		own.stale = 1;
		return;
	}
}

static int
own_list(void)
{
	struct ifaddrs *ifa, *i;
	struct own_addr *v;
	size_t n = 0, max = 0;
	int k;

	if (getifaddrs(&ifa) != 0)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next)
		max += 2;
	if ((v = calloc(max ? max : 1, sizeof(*v))) == NULL) {
		freeifaddrs(ifa);
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr *sa[2] = { i->ifa_addr,
		    (i->ifa_flags & IFF_BROADCAST) ? i->ifa_broadaddr : NULL };

		for (k = 0; k < 2; k++) {
			if (sa[k] == NULL || (sa[k]->sa_family != AF_INET &&
			    sa[k]->sa_family != AF_INET6))
				continue;
			v[n].family = sa[k]->sa_family;
			memcpy(v[n].a, sa[k]->sa_family == AF_INET ?
			    (const void *)&((const struct sockaddr_in *)
			    (const void *)sa[k])->sin_addr :
			    (const void *)&((const struct sockaddr_in6 *)
			    (const void *)sa[k])->sin6_addr,
			    sk_addr_len(sa[k]->sa_family));
			n++;
		}
	}
	freeifaddrs(ifa);
	free(own.v);
	own.v = v;
	own.n = n;
	own.stale = 0;
	return 0;
}

int
sk_addr_is_own(int family, const uint8_t *a)
{
	size_t i;

	own_watch();
	own_drain();
	if (own.stale && own_list() != 0)
		return -1;
	for (i = 0; i < own.n; i++)
		if (own.v[i].family == family &&
		    memcmp(own.v[i].a, a, sk_addr_len(family)) == 0)
			return 1;
	return 0;
}
