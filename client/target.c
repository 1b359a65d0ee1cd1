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
#include "dynload.h"
#include "err.h"
#include "fileio.h"
#include "knocked.h"
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

/* Split "host", "host:port", "[v6]" or "[v6]:port" (port: defport). */
static int
split_hostport(const char *s, char *host, size_t hlen, char *port,
    size_t plen, int defport)
{
	const char *colon, *end;

	snprintf(port, plen, "%d", defport);
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

/* One STUN server over UDP (host, port): 0 and *addr, or -1 (logged). */
static int
stun_udp(const char *spec, const char *host, const char *port, int family,
    int verbose, uint8_t addr[16])
{
	uint8_t req[STUN_HEADER_LEN], txid[STUN_TXID_LEN], buf[STUN_MSG_MAX];
	uint8_t got[16];
	char a[INET6_ADDRSTRLEN];
	struct knock_target t;
	struct pollfd p;
	double t0;
	size_t sent = 0;
	ssize_t n;
	uint16_t mport;
	int gf, r = -1, left;

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

/* A TCP connection to host:port over family within STUN_WAIT_MS (the
 * socket's timeouts stay set for what follows): the socket, or -1. */
static int
tcp_open(const char *spec, const char *host, const char *port, int family)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { STUN_WAIT_MS / 1000, STUN_WAIT_MS % 1000 * 1000 };
	int e, fd = -1, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_err("STUN server %s: cannot resolve %s: %s", spec, host,
		    gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) < 0) {
			err = errno;
			continue;
		}
		/* On Linux the send timeout bounds connect() too. */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)) != 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO,
		    &tv, sizeof(tv)) != 0 || connect(fd, ai->ai_addr,
		    ai->ai_addrlen) != 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		log_err("STUN server %s: %s", spec, err == EINPROGRESS ||
		    err == EAGAIN ? "no answer" : err == ECONNREFUSED ?
		    "nothing listens there" : strerror(err));
	return fd;
}

/* Read exactly len bytes of STUN over TLS: 0, or -1. */
static int
tls_read(gnutls_session_t s, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = gnutls_record_recv(s, p, len)) == GNUTLS_E_AGAIN ||
		    n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One STUN server over TLS (RFC 8489 section 6.2.2), its certificate
 * checked against ca (a PEM file: a CA, or the server's own certificate
 * to pin it) or the system's trust store, and against host: 0 and
 * *addr, or -1 (logged).  Over TCP, a message is its 20-byte header and
 * the length the header gives. */
static int
stun_tls(const char *spec, const char *host, const char *port, int family,
    const char *ca, int verbose, uint8_t addr[16])
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	gnutls_datum_t why = { NULL, 0 };
	uint8_t req[STUN_HEADER_LEN], txid[STUN_TXID_LEN], buf[STUN_MSG_MAX];
	uint8_t got[16], ip[16];
	char a[INET6_ADDRSTRLEN];
	size_t blen;
	uint16_t mport;
	int fd, gf, e, r = -1;

	if (dynload_gnutls() != 0)
		return -1;
	if ((fd = tcp_open(spec, host, port, family)) < 0)
		return -1;
	if ((e = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
	    (e = ca != NULL ? gnutls_certificate_set_x509_trust_file(cred, ca,
	    GNUTLS_X509_FMT_PEM) : gnutls_certificate_set_x509_system_trust(
	    cred)) < 0) {
		log_err("STUN server %s: cannot load %s: %s", spec, ca != NULL ?
		    ca : "the system's trusted certificates",
		    gnutls_strerror(e));
		goto out;
	}
	if (e == 0) {
		log_err("STUN server %s: no certificate in %s", spec, ca != NULL ?
		    ca : "the system's trust store (install ca-certificates, "
		    "or name one with StunCA)");
		goto out;
	}
	if ((e = gnutls_init(&s, GNUTLS_CLIENT)) < 0 ||
	    (e = gnutls_set_default_priority(s)) < 0 ||
	    (e = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0) {
		log_err("STUN server %s: TLS: %s", spec, gnutls_strerror(e));
		goto out;
	}
	/* A name goes in SNI; an address is checked against the
	 * certificate's IP addresses, as a name is against its names. */
	if (inet_pton(AF_INET, host, ip) != 1 && inet_pton(AF_INET6, host,
	    ip) != 1)
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host));
	gnutls_session_set_verify_cert(s, host, 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, STUN_WAIT_MS);
	do
		e = gnutls_handshake(s);
	while (e < 0 && !gnutls_error_is_fatal(e));
	if (e == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		gnutls_certificate_verification_status_print(
		    gnutls_session_get_verify_cert_status(s),
		    gnutls_certificate_type_get(s), &why, 0);
		log_err("STUN server %s: its certificate is not trusted for %s: "
		    "%s (name the CA or the server's certificate with StunCA)",
		    spec, host, why.data != NULL ? (char *)why.data : "?");
		gnutls_free(why.data);
		goto out;
	}
	if (e < 0) {
		log_err("STUN server %s: TLS handshake: %s", spec,
		    gnutls_strerror(e));
		goto out;
	}
	crypto_random(txid, sizeof(txid));
	stun_request(req, txid);
	do
		e = (int)gnutls_record_send(s, req, sizeof(req));
	while (e == GNUTLS_E_AGAIN || e == GNUTLS_E_INTERRUPTED);
	if (e < 0 || tls_read(s, buf, STUN_HEADER_LEN) != 0) {
		log_err("STUN server %s did not answer over TLS", spec);
		goto out;
	}
	blen = STUN_HEADER_LEN + ((size_t)buf[2] << 8 | buf[3]);
	if (blen > sizeof(buf) || tls_read(s, buf + STUN_HEADER_LEN,
	    blen - STUN_HEADER_LEN) != 0 || stun_parse_response(buf, blen,
	    txid, &gf, got, &mport) != 0) {
		log_err("STUN server %s: no valid Binding response", spec);
		goto out;
	}
	if (gf != family) {
		log_err("STUN server %s answered with an address of another "
		    "family", spec);
		goto out;
	}
	memcpy(addr, got, 16);
	if (verbose)
		log_info("STUN server %s (TLS, certificate verified) sees us as "
		    "%s", spec, inet_ntop(gf, got, a, sizeof(a)));
	r = 0;
out:
	if (s != NULL)
		gnutls_deinit(s);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	close(fd);
	return r;
}

/* ~/.sigknock/stun: the address each STUN server said last, one
 * "SPEC ADDRESS" line each.  A change is said: moving to another network
 * changes it, and so does someone who answers in the server's name. */
#define STUN_FILE	".sigknock/stun"
#define STUN_FILE_MAX	(64 * 1024)

static void
stun_remember(const char *spec, int family, const uint8_t addr[16])
{
	char path[4096], now[INET6_ADDRSTRLEN], *buf = NULL, *line, *save;
	char *out, *sp;
	size_t len = 0, olen = 0, cap;

	inet_ntop(family, addr, now, sizeof(now));
	if (home_path(STUN_FILE, path, sizeof(path), 1) != 0)
		return;
	if (file_read_all(path, STUN_FILE_MAX, &buf, &len) != 0)
		buf = NULL, len = 0;
	cap = len + strlen(spec) + sizeof(now) + 3;
	if ((out = malloc(cap)) == NULL) {
		free(buf);
		return;
	}
	for (line = buf != NULL ? strtok_r(buf, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if ((sp = strchr(line, ' ')) != NULL &&
		    (size_t)(sp - line) == strlen(spec) &&
		    strncmp(line, spec, strlen(spec)) == 0) {
			if (strcmp(sp + 1, now) != 0)
				log_notice("STUN server %s now sees you as %s; "
				    "it said %s before (expected when you "
				    "moved; if you did not, someone else may "
				    "be answering for it)", spec, now, sp + 1);
			continue;
		}
		olen += (size_t)snprintf(out + olen, cap - olen, "%s\n", line);
	}
	olen += (size_t)snprintf(out + olen, cap - olen, "%s %s\n", spec, now);
	file_write_atomic(path, out, olen, 0600);
	free(out);
	free(buf);
}

/* One STUN server spec: stuns:HOST[:PORT] (TLS, port 5349), or
 * [stun:]HOST[:PORT] (UDP, 3478), which only so->insecure admits. */
static int
stun_one(const char *spec, int family, const struct stun_opts *so,
    uint8_t addr[16])
{
	char host[256], port[16];
	int tls = strncasecmp(spec, "stuns:", 6) == 0, r;
	const char *hp = tls ? spec + 6 : strncasecmp(spec, "stun:", 5) == 0 ?
	    spec + 5 : spec;

	if (split_hostport(hp, host, sizeof(host), port, sizeof(port),
	    tls ? STUN_TLS_PORT : STUN_DEFAULT_PORT) != 0) {
		log_err("STUN server '%s' is not stuns:HOST[:PORT] (TLS) or "
		    "HOST[:PORT] (UDP); an IPv6 address goes in brackets",
		    spec);
		return -1;
	}
	if (!tls && !so->insecure) {
		log_err("STUN server %s is plain UDP: anyone on the path can "
		    "answer in its name, make you bind an address of theirs "
		    "and use your knock from there; use stuns:%s (STUN over "
		    "TLS), or accept that with StunInsecure yes in this "
		    "server's stanza (--stun-insecure)", spec, host);
		return -1;
	}
	r = tls ? stun_tls(spec, host, port, family, so->ca, so->verbose,
	    addr) : stun_udp(spec, host, port, family, so->verbose, addr);
	if (r == 0)
		stun_remember(spec, family, addr);
	return r;
}

int
stun_query(const char *list, int family, const struct stun_opts *so,
    uint8_t addr[16])
{
	char buf[1024], *save = NULL, *s;

	snprintf(buf, sizeof(buf), "%s", list);
	for (s = strtok_r(buf, ", \t", &save); s != NULL;
	    s = strtok_r(NULL, ", \t", &save))
		if (stun_one(s, family, so, addr) == 0)
			return 0;
	return SK_ERR_IO;
}
