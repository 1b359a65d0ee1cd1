#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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

int
sk_addr_is_own(int family, const uint8_t *a)
{
	struct ifaddrs *ifa, *i;
	const uint8_t *p;
	int own = 0;

	if (getifaddrs(&ifa) != 0)
		return -1;
	for (i = ifa; i != NULL && !own; i = i->ifa_next) {
		const struct sockaddr *sa[2] = { i->ifa_addr,
		    (i->ifa_flags & IFF_BROADCAST) ? i->ifa_broadaddr : NULL };
		int k;

		for (k = 0; k < 2 && !own; k++) {
			if (sa[k] == NULL || sa[k]->sa_family != family)
				continue;
			p = family == AF_INET ?
			    (const uint8_t *)&((const struct sockaddr_in *)
			    (const void *)sa[k])->sin_addr :
			    (const uint8_t *)&((const struct sockaddr_in6 *)
			    (const void *)sa[k])->sin6_addr;
			own = memcmp(p, a, sk_addr_len(family)) == 0;
		}
	}
	freeifaddrs(ifa);
	return own;
}
