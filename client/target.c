#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "target.h"
#include "clock.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "stun.h"

/* The first send and its retransmissions, in milliseconds after the
 * first (RFC 8489 section 6.2.1 doubles from 500 ms; a knock should not
 * wait half a minute, so four sends within 3.75 s). */
static const int stun_resend_ms[] = { 0, 250, 750, 1750 };
#define STUN_WAIT_MS	3750

static void
sockaddr_bytes(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET)
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
	else
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
}

int
target_open(const char *server, const char *port, int family,
    struct knock_target *t)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl;
	int e, fd, err = 0;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((e = getaddrinfo(server, port, &hints, &res)) != 0) {
		log_err("cannot resolve %s: %s", server, gai_strerror(e));
		return SK_ERR_IO;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if ((fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC,
		    0)) < 0) {
			err = errno;
			continue;
		}
		sl = sizeof(ss);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
			err = errno;
			close(fd);
			continue;
		}
		t->fd = fd;
		t->family = ai->ai_family;
		sockaddr_bytes(ai->ai_addr, t->server);
		sockaddr_bytes((struct sockaddr *)&ss, t->local);
		inet_ntop(t->family, t->server, t->server_str,
		    sizeof(t->server_str));
		break;
	}
	freeaddrinfo(res);
	if (t->fd < 0) {
		log_err("cannot reach %s: %s", server, err ? strerror(err) :
		    "no IPv4 or IPv6 address");
		return SK_ERR_IO;
	}
	return 0;
}

void
target_close(struct knock_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Split "host", "host:port", "[v6]" or "[v6]:port". */
static int
split_hostport(const char *s, char *host, size_t hlen, char *port,
    size_t plen)
{
	const char *colon, *end;

	snprintf(port, plen, "%d", STUN_DEFAULT_PORT);
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || (size_t)(end - s) > hlen)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(end - s - 1), s + 1);
		if (end[1] == ':')
			snprintf(port, plen, "%s", end + 2);
		else if (end[1] != '\0')
			return -1;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		if ((size_t)(colon - s) >= hlen)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(colon - s), s);
		snprintf(port, plen, "%s", colon + 1);
	} else
		snprintf(host, hlen, "%s", s);
	return host[0] != '\0' && port[0] != '\0' ? 0 : -1;
}

/* One STUN server: 0 and *addr, or -1 (logged). */
static int
stun_one(const char *spec, int family, int verbose, uint8_t addr[16])
{
	uint8_t req[STUN_HEADER_LEN], txid[STUN_TXID_LEN], buf[STUN_MSG_MAX];
	uint8_t got[16];
	char host[256], port[16], a[INET6_ADDRSTRLEN];
	struct knock_target t;
	struct pollfd p;
	double t0;
	size_t sent = 0;
	ssize_t n;
	uint16_t mport;
	int gf, r = -1, left;

	if (split_hostport(spec, host, sizeof(host), port, sizeof(port)) != 0) {
		log_err("STUN server '%s' is not HOST, HOST:PORT or [IPv6]:PORT",
		    spec);
		return -1;
	}
	if (target_open(host, port, family, &t) != 0)
		return -1;
	crypto_random(txid, sizeof(txid));
	stun_request(req, txid);
	p.fd = t.fd;
	p.events = POLLIN;
	t0 = sk_mono() * 1e3;
	for (;;) {
		double el = sk_mono() * 1e3 - t0;

		if (sent < sizeof(stun_resend_ms) / sizeof(stun_resend_ms[0]) &&
		    el >= stun_resend_ms[sent]) {
			if (send(t.fd, req, sizeof(req), 0) < 0) {
				log_err("STUN server %s: %s", spec,
				    strerror(errno));
				goto out;
			}
			sent++;
			continue;
		}
		if (el >= STUN_WAIT_MS)
			break;
		left = (int)(sent < sizeof(stun_resend_ms) /
		    sizeof(stun_resend_ms[0]) ? stun_resend_ms[sent] - el :
		    STUN_WAIT_MS - el) + 1;
		if (poll(&p, 1, left) <= 0)
			continue;
		/* Connected: only the server's datagrams arrive. */
		if ((n = recv(t.fd, buf, sizeof(buf), 0)) < 0) {
			if (errno == ECONNREFUSED) {
				log_err("STUN server %s: nothing listens there",
				    spec);
				goto out;
			}
			continue;
		}
		if (stun_parse_response(buf, (size_t)n, txid, &gf, got,
		    &mport) != 0)
			continue;
		if (gf != t.family) {
			log_err("STUN server %s answered with an address of "
			    "another family", spec);
			goto out;
		}
		memcpy(addr, got, 16);
		if (verbose)
			log_info("STUN server %s sees us as %s port %u", spec,
			    inet_ntop(gf, got, a, sizeof(a)), mport);
		r = 0;
		goto out;
	}
	log_err("STUN server %s did not answer within %.2f s", spec,
	    STUN_WAIT_MS / 1e3);
out:
	target_close(&t);
	return r;
}

int
stun_query(const char *list, int family, int verbose, uint8_t addr[16])
{
	char buf[1024], *save = NULL, *s;

	snprintf(buf, sizeof(buf), "%s", list);
	for (s = strtok_r(buf, ", \t", &save); s != NULL;
	    s = strtok_r(NULL, ", \t", &save))
		if (stun_one(s, family, verbose, addr) == 0)
			return 0;
	return SK_ERR_IO;
}
