/* sigknock: build a request, sign it with a token, seal it to the
 * server's public key, and send it as one UDP datagram. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "target.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "serverkey.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"

#define SYNOPSIS	"sigknock [OPTIONS] [SERVER]"

struct opts {
	const char *stanza;
	const char *server;
	const char *port;
	const char *server_key;
	const char *access;
	const char *signer;
	const char *token;
	const char *credential;
	const char *fido_device;
	const char *touch_timeout;
	const char *reader;
	const char *pin_fd;
	char	*owned[32];	/* values copied from ~/.sigknockrc */
	size_t	 n_owned;
	const char *timeout;
	const char *address;	/* IP, or "source" */
	const char *stun;	/* STUN servers, comma separated */
	const char *save_packet;
	const char *rc;
	int	 test;
	int	 verbose;
	int	 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: sigknock [-n STANZA] [-A PROTO/PORT[,...]] [-a IP | -s] [-p PORT]\n"
"                [--stun HOST[:PORT]] [--server-key KEY] [--signer FPR]\n"
"                [--token gpg|card|fido2] [--rc FILE]\n"
"                [--reader NAME] [--pin-fd N]\n"
"                [--credential FILE] [--fido-device DEV] [--touch-timeout SECS]\n"
"                [--timeout SECS] [--test] [--save-packet FILE] [-4|-6] [-v]\n"
"                [SERVER]\n"
"\n"
"Send one signed knock to SERVER so that it opens PROTO/PORT for you.\n"
"\n"
"  -n STANZA          use the [STANZA] section of ~/.sigknockrc\n"
"  -A LIST            what to open, e.g. tcp/22,tcp/443 (default: the\n"
"                     server's Default for you)\n"
"  -a IP              open for this address (the server must allow it)\n"
"  -s                 source mode: bind no address; the server opens the\n"
"                     one the knock comes from (it must allow that; anyone\n"
"                     on the path can use such a knock first)\n"
"  --stun LIST        STUN servers (HOST[:PORT], comma separated) that tell\n"
"                     your public address behind a NAT (default: none; the\n"
"                     request binds your own address toward the server)\n"
"  -p PORT            the server's knock port (default %d)\n"
"  --server-key KEY   the server's public key: base64, or a file holding it\n"
"  --signer FPR       the signing key (default: your first usable one)\n"
"  --token NAME       signing backend: %s (default gpg)\n"
"  --reader NAME      card: the PC/SC reader (a prefix of its name; default:\n"
"                     the first holding an OpenPGP card)\n"
"  --pin-fd N         gpg, card: read the PIN from file descriptor N\n"
"                     (default: pinentry for gpg, the terminal for card)\n"
"  --credential FILE  fido2: the credential file from 'sigknock-token enroll'\n"
"                     (default ~/" TOKEN_FIDO2_CREDENTIAL ")\n"
"  --fido-device DEV  fido2: the security key, e.g. /dev/hidraw3 or\n"
"                     unix:PATH (default: $" TOKEN_FIDO2_DEVICE_ENV ", else the one\n"
"                     plugged in, or the one you touch)\n"
"  --touch-timeout S  fido2: how long to wait for the touch (default %d)\n"
"  --timeout SECS     how long to ask the port to stay open\n"
"  --test             build and sign, show the request, send nothing\n"
"  --save-packet FILE write the datagram to FILE\n"
"  --rc FILE          read FILE instead of ~/.sigknockrc\n"
"  -4, -6             reach the server over IPv4 or IPv6 only\n"
"  -v                 say what is happening\n"
"  -h, -V             this help, the version\n"
"\n"
"See sigknock(1) and sigknockrc(5).\n", SK_DEFAULT_PORT, token_names(),
	    TOKEN_FIDO2_TOUCH_S);
}

/* ~/.sigknockrc: fill what the command line left unset. */
struct rc {
	struct opts	*o;
	const char	*want;		/* the stanza we take */
	int		 in_want;
	int		 found;
};

/* Values of ~/.sigknockrc are checked where they stand, so that a wrong
 * one is reported with its file and line (in every stanza, used or not). */
static int
rc_check(const struct conf_line *l)
{
	char buf[CONF_LINE_MAX], *items[SK_ACCESS_MAX + 1];
	unsigned long v;
	uint8_t a[16], proto;
	uint16_t port;
	int n, i;

	if (strcasecmp(l->key, "Port") == 0)
		return conf_uint(l, 1, 65535, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "Timeout") == 0)
		return conf_uint(l, 0, 65535, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "TouchTimeout") == 0)
		return conf_uint(l, 1, 3600, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "Token") == 0 && token_find(l->value) == NULL)
		return conf_error(l, "'%s' is not a token this build has (%s)",
		    l->value, token_names());
	if (strcasecmp(l->key, "Address") == 0 &&
	    strcasecmp(l->value, "source") != 0 &&
	    inet_pton(AF_INET, l->value, a) != 1 &&
	    inet_pton(AF_INET6, l->value, a) != 1)
		return conf_error(l, "'%s' is neither an IPv4 or IPv6 address "
		    "nor source", l->value);
	if (strcasecmp(l->key, "Access") == 0) {
		snprintf(buf, sizeof(buf), "%s", l->value);
		if ((n = conf_split(buf, items, SK_ACCESS_MAX)) <= 0)
			return conf_error(l, "between 1 and %d PROTO/PORT "
			    "entries", SK_ACCESS_MAX);
		for (i = 0; i < n; i++)
			if (conf_parse_access(items[i], &proto, &port) != 0)
				return conf_error(l, "'%s' is not PROTO/PORT "
				    "(tcp/22, udp/53)", items[i]);
	}
	return 0;
}

static int
rc_line(void *arg, const struct conf_line *l)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} keys[] = {
		{ "Server", offsetof(struct opts, server) },
		{ "Port", offsetof(struct opts, port) },
		{ "ServerKey", offsetof(struct opts, server_key) },
		{ "Access", offsetof(struct opts, access) },
		{ "Signer", offsetof(struct opts, signer) },
		{ "Token", offsetof(struct opts, token) },
		{ "Credential", offsetof(struct opts, credential) },
		{ "FidoDevice", offsetof(struct opts, fido_device) },
		{ "TouchTimeout", offsetof(struct opts, touch_timeout) },
		{ "Reader", offsetof(struct opts, reader) },
		{ "Timeout", offsetof(struct opts, timeout) },
		{ "Address", offsetof(struct opts, address) },
		{ "Stun", offsetof(struct opts, stun) },
	};
	struct rc *rc = arg;
	const char **field;
	size_t i;
	int r;

	if (l->is_section) {
		rc->in_want = strcmp(l->section, rc->want) == 0;
		rc->found |= rc->in_want;
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcasecmp(l->key, keys[i].key) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0]))
		return conf_error(l, "unknown keyword");
	if ((r = rc_check(l)) != 0)
		return r;
	if (!rc->in_want)
		return 0;
	field = (const char **)(void *)((char *)rc->o + keys[i].off);
	if (*field != NULL)
		return 0;
	if (rc->o->n_owned == sizeof(rc->o->owned) / sizeof(rc->o->owned[0]) ||
	    (rc->o->owned[rc->o->n_owned] = strdup(l->value)) == NULL)
		return SK_ERR_ALLOC;
	*field = rc->o->owned[rc->o->n_owned++];
	return 0;
}

static struct opts *opts_owner;

/* Every return from main leaves through here. */
static void
opts_at_exit(void)
{
	if (opts_owner == NULL)
		return;
	while (opts_owner->n_owned > 0)
		free(opts_owner->owned[--opts_owner->n_owned]);
}

/* The stanza -n NAME, else one named like SERVER; then [default]. */
static int
read_rc(struct opts *o)
{
	char path[4096];
	const char *home = getenv("HOME");
	struct rc rc = { o, NULL, 0, 0 };
	int r;

	if (o->rc != NULL)
		snprintf(path, sizeof(path), "%s", o->rc);
	else if (home != NULL)
		snprintf(path, sizeof(path), "%s/.sigknockrc", home);
	else
		return 0;
	if (access(path, F_OK) != 0) {
		if (o->rc != NULL || o->stanza != NULL) {
			log_err("%s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* The chosen stanza first; [default] then fills what it left unset. */
	rc.want = o->stanza ? o->stanza : o->server ? o->server : "default";
	r = conf_read(path, CONF_PERM_NOT_WRITABLE, rc_line, &rc);
	if (r == 0 && o->stanza != NULL && !rc.found) {
		log_err("%s: no [%s] stanza", path, o->stanza);
		return -1;
	}
	if (r == 0 && strcmp(rc.want, "default") != 0) {
		rc.want = "default";
		r = conf_read(path, CONF_PERM_NOT_WRITABLE, rc_line, &rc);
	}
	if (r != 0)
		return -1;
	return 0;
}

static int
parse_uint(const char *what, const char *s, unsigned long min,
    unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || *v < min ||
	    *v > max) {
		log_err("%s '%s' is not a number from %lu to %lu", what, s, min,
		    max);
		return -1;
	}
	return 0;
}

static int
build_request(const struct opts *o, const struct sk_server_key *sk,
    struct sk_request *rq)
{
	char buf[CONF_LINE_MAX], *items[SK_ACCESS_MAX + 1];
	unsigned long v;
	int n, i;

	memset(rq, 0, sizeof(*rq));
	rq->version = SK_WIRE_VERSION;
	rq->timestamp = (uint64_t)time(NULL);
	crypto_random(rq->nonce, sizeof(rq->nonce));
	memcpy(rq->server_digest, sk->digest, SK_DIGEST_LEN);
	rq->addr_family = SK_ADDR_SOURCE;
	if (o->timeout != NULL) {
		if (parse_uint("timeout", o->timeout, 0, 65535, &v) != 0)
			return -1;
		rq->timeout = (uint16_t)v;
	}
	if (o->access != NULL) {
		snprintf(buf, sizeof(buf), "%s", o->access);
		if ((n = conf_split(buf, items, SK_ACCESS_MAX)) < 0) {
			log_err("at most %d PROTO/PORT entries", SK_ACCESS_MAX);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (conf_parse_access(items[i], &rq->access[i].proto,
			    &rq->access[i].port) != 0) {
				log_err("'%s' is not PROTO/PORT (tcp/22, udp/53)",
				    items[i]);
				return -1;
			}
		rq->n_access = (uint8_t)n;
	}
	return 0;
}

static void
show(const struct sk_request *rq, const uint8_t *dg, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "the packet's source";
	size_t i;

	if (rq->addr_family == SK_ADDR_IPV4)
		inet_ntop(AF_INET, rq->addr, addr, sizeof(addr));
	else if (rq->addr_family == SK_ADDR_IPV6)
		inet_ntop(AF_INET6, rq->addr, addr, sizeof(addr));
	printf("signer:     ");
	for (i = 0; i < rq->signer_id_len; i++)
		printf("%02X", rq->signer_id[i]);
	printf("\nopen for:   %s\naccess:     ", addr);
	if (rq->n_access == 0)
		printf("the server's default");
	for (i = 0; i < rq->n_access; i++)
		printf("%s%s/%u", i ? ", " : "", rq->access[i].proto == 6 ?
		    "tcp" : "udp", rq->access[i].port);
	printf("\ntimeout:    ");
	if (rq->timeout)
		printf("%u s\n", rq->timeout);
	else
		printf("the server's default\n");
	printf("timestamp:  %llu\ndatagram:   %zu bytes\n",
	    (unsigned long long)rq->timestamp, len);
	for (i = 0; i < len; i++)
		printf("%s%02x%s", i % 16 == 0 ? "  " : "", dg[i],
		    i % 16 == 15 || i + 1 == len ? "\n" : " ");
}

/* Which address the request binds (PROTOCOL.md section 3.2): -a, none
 * with -s, else the address the server will see: our own toward it, or
 * behind a NAT the one a STUN server sees.  Decided before the token is
 * asked for anything, so that a knock that cannot work costs no PIN and
 * no touch. */
static int
bind_address(const struct opts *o, const struct knock_target *t,
    struct sk_request *rq)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (o->address != NULL && strcasecmp(o->address, "source") == 0) {
		rq->addr_family = SK_ADDR_SOURCE;
		return 0;
	}
	if (o->address != NULL) {
		if (inet_pton(AF_INET, o->address, rq->addr) == 1)
			rq->addr_family = SK_ADDR_IPV4;
		else if (inet_pton(AF_INET6, o->address, rq->addr) == 1)
			rq->addr_family = SK_ADDR_IPV6;
		else {
			log_err("address to open '%s' is not an IPv4 or IPv6 "
			    "address", o->address);
			return -1;
		}
		return 0;
	}
	if (t == NULL) {
		/* --test without a server: nothing to bind to. */
		rq->addr_family = SK_ADDR_SOURCE;
		return 0;
	}
	rq->addr_family = t->family == AF_INET ? SK_ADDR_IPV4 : SK_ADDR_IPV6;
	if (o->stun != NULL)
		return stun_query(o->stun, t->family, o->verbose, rq->addr) == 0 ?
		    0 : -1;
	memcpy(rq->addr, t->local, 16);
	if (sk_addr_is_private(t->family, t->local) &&
	    !sk_addr_is_private(t->family, t->server)) {
		log_err("your address %s is private and the server's %s is "
		    "public: a NAT on the way would make the server refuse the "
		    "knock; set Stun in ~/.sigknockrc (or --stun HOST), give "
		    "your public address with -a, or use -s if the server "
		    "allows source mode", sk_addr_str(t->family, t->local, a,
		    sizeof(a)), sk_addr_str(t->family, t->server, b,
		    sizeof(b)));
		return -1;
	}
	if (o->verbose)
		log_info("binding the request to %s, our address toward %s",
		    sk_addr_str(t->family, t->local, a, sizeof(a)),
		    t->server_str);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_SERVER_KEY = 256, OPT_SIGNER, OPT_TOKEN, OPT_TIMEOUT,
	    OPT_TEST, OPT_SAVE, OPT_RC, OPT_CRED, OPT_FIDO_DEV, OPT_TOUCH,
	    OPT_READER, OPT_PIN_FD, OPT_STUN };
	static const struct option longopts[] = {
		{ "server-key", required_argument, NULL, OPT_SERVER_KEY },
		{ "signer", required_argument, NULL, OPT_SIGNER },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "credential", required_argument, NULL, OPT_CRED },
		{ "fido-device", required_argument, NULL, OPT_FIDO_DEV },
		{ "touch-timeout", required_argument, NULL, OPT_TOUCH },
		{ "reader", required_argument, NULL, OPT_READER },
		{ "pin-fd", required_argument, NULL, OPT_PIN_FD },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "test", no_argument, NULL, OPT_TEST },
		{ "save-packet", required_argument, NULL, OPT_SAVE },
		{ "rc", required_argument, NULL, OPT_RC },
		{ "stun", required_argument, NULL, OPT_STUN },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct opts o;	/* static: opts_at_exit frees its strings */
	struct sk_server_key sk;
	struct sk_request rq;
	const struct token_ops *tops;
	struct token *tok = NULL;
	struct token_opts to;
	struct knock_target t = { -1, 0, { 0 }, { 0 }, "" };
	uint8_t inner[SK_INNER_MAX], msg[SK_SIGNED_MSG_MAX], sig[SK_SIG_MAX];
	uint8_t dg[SK_DATAGRAM_MAX];
	size_t ulen, ilen, mlen, siglen, dlen, idlen;
	unsigned long v;
	FILE *f;
	int c, status = 1;

	memset(&o, 0, sizeof(o));
	o.family = AF_UNSPEC;
	opts_owner = &o;
	atexit(opts_at_exit);
	sk_log_init("sigknock", 1, LOG_NOTICE);
	while ((c = getopt_long(argc, argv, "n:A:a:sp:46vhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'n': o.stanza = optarg; break;
		case 'A': o.access = optarg; break;
		case 'a': o.address = optarg; break;
		case 's': o.address = "source"; break;
		case 'p': o.port = optarg; break;
		case '4': o.family = AF_INET; break;
		case '6': o.family = AF_INET6; break;
		case 'v': o.verbose = 1; sk_log_set_level(LOG_INFO); break;
		case OPT_SERVER_KEY: o.server_key = optarg; break;
		case OPT_SIGNER: o.signer = optarg; break;
		case OPT_TOKEN: o.token = optarg; break;
		case OPT_CRED: o.credential = optarg; break;
		case OPT_FIDO_DEV: o.fido_device = optarg; break;
		case OPT_TOUCH: o.touch_timeout = optarg; break;
		case OPT_READER: o.reader = optarg; break;
		case OPT_PIN_FD: o.pin_fd = optarg; break;
		case OPT_TIMEOUT: o.timeout = optarg; break;
		case OPT_TEST: o.test = 1; break;
		case OPT_SAVE: o.save_packet = optarg; break;
		case OPT_RC: o.rc = optarg; break;
		case OPT_STUN: o.stun = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sigknock %s\n", PACKAGE_VERSION); return 0;
		default: return sk_usage_error(SYNOPSIS, NULL);
		}
	}
	if (argc - optind > 1)
		return sk_usage_error(SYNOPSIS, "unexpected argument '%s' (one "
		    "SERVER at most)", argv[optind + 1]);
	if (optind < argc)
		o.server = argv[optind];
	if (read_rc(&o) != 0)
		return 1;
	/* Every value is checked before anything else is done. */
	if (o.port != NULL && parse_uint("port", o.port, 1, 65535, &v) != 0)
		return 2;
	if (o.pin_fd != NULL && parse_uint("pin fd", o.pin_fd, 0, 1023,
	    &v) != 0)
		return 2;
	if (o.touch_timeout != NULL && parse_uint("touch timeout",
	    o.touch_timeout, 1, 3600, &v) != 0)
		return 2;
	if (o.server == NULL && !o.test) {
		log_err("no server: name one, or set Server in ~/.sigknockrc");
		return 2;
	}
	if (o.server_key == NULL) {
		log_err("no server key: use --server-key, or ServerKey in "
		    "~/.sigknockrc (the output of 'sigknock-keys pubkey' on the "
		    "server)");
		return 1;
	}
	if (crypto_init() != 0)
		return 1;
	memset(&sk, 0, sizeof(sk));
	if (serverkey_parse_public(o.server_key, sk.pk) != 0 ||
	    wire_server_key_init(&sk, NULL) != 0)
		return 1;
	if ((tops = token_find(o.token ? o.token : "gpg")) == NULL) {
		log_err("unknown token '%s' (this build has: %s)", o.token,
		    token_names());
		return 2;
	}
	if (build_request(&o, &sk, &rq) != 0)
		return 2;
	/* Where to, and which address to bind: before any PIN or touch. */
	if (o.server != NULL && target_open(o.server, o.port ? o.port :
	    "62201", o.family, &t) != 0)
		goto out;
	if (bind_address(&o, o.server != NULL ? &t : NULL, &rq) != 0)
		goto out;

	memset(&to, 0, sizeof(to));
	to.signer = o.signer;
	to.credential = o.credential;
	to.device = o.fido_device;
	to.touch_timeout = o.touch_timeout != NULL ? atoi(o.touch_timeout) : 0;
	to.reader = o.reader;
	to.pin_fd = o.pin_fd != NULL ? atoi(o.pin_fd) : -1;
	to.verbose = o.verbose;
	if (tops->open(&tok, &to, &rq.signer_type, rq.signer_id, &idlen) != 0)
		goto out;
	rq.signer_id_len = (uint8_t)idlen;
	if (request_encode_unsigned(&rq, inner, sizeof(inner), &ulen) != 0 ||
	    request_signed_message(inner, ulen, msg, sizeof(msg), &mlen) != 0) {
		log_err("cannot encode the request");
		goto out;
	}
	if (tops->sign(tok, msg, mlen, sig, sizeof(sig), &siglen) != 0)
		goto out;
	if (request_append_signature(inner, sizeof(inner), ulen, sig, siglen,
	    &ilen) != 0 ||
	    datagram_seal(&sk, inner, ilen, NULL, dg, sizeof(dg), &dlen) != 0) {
		log_err("the signed request does not fit one datagram");
		goto out;
	}
	rq.sig_len = (uint16_t)siglen;
	if (o.save_packet != NULL) {
		if ((f = fopen(o.save_packet, "wb")) == NULL ||
		    fwrite(dg, 1, dlen, f) != dlen || fclose(f) != 0) {
			log_err("%s: %s", o.save_packet, strerror(errno));
			goto out;
		}
	}
	if (o.test) {
		show(&rq, dg, dlen);
		status = 0;
		goto out;
	}
	if (send(t.fd, dg, dlen, 0) != (ssize_t)dlen) {
		log_err("cannot send to %s (%s): %s", o.server, t.server_str,
		    strerror(errno));
		goto out;
	}
	if (o.verbose)
		log_info("sent %zu bytes to %s port %s", dlen, t.server_str,
		    o.port ? o.port : "62201");
	status = 0;
out:
	target_close(&t);
	if (tok != NULL)
		tops->close(tok);
	wire_server_key_wipe(&sk);
	return status;
}
