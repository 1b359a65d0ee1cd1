/* sigknock-agent: a session agent in the spirit of ssh-agent.  On the
 * first knock it makes an ephemeral Ed25519 key in locked memory and has
 * the token (one PIN or touch) sign a delegation to it (PROTOCOL.md 4.3);
 * later knocks are signed by that key, until the delegation ends, -D, or
 * the agent exits.  Nothing is written to disk but its socket. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agentproto.h"
#include "conf.h"
#include "crypto.h"
#include "deleg.h"
#include "err.h"
#include "log.h"
#include "serverkey.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"

#define SYNOPSIS	"sigknock-agent [-d] [-a SOCKET] [-t LIFETIME] " \
			"[--ports LIST] [--dest NAME|any] [--servers KEYS] " \
			"[--token NAME] [TOKEN OPTIONS] | -k | -D"
#define LIFETIME_DEFAULT	(8 * 3600)
#define LIFETIME_MAX		(7 * 86400)
/* A request dated further than this from the agent's clock is not
 * signed: the client dates its requests now (sigknock --time-offset
 * aside), and a request dated ahead would outlive the agent. */
#define CLOCK_SLACK_S		5
/* A delegation this close to its end is renewed first: the server must
 * still find it valid when the knock arrives. */
#define RENEW_MARGIN_S		10

static volatile sig_atomic_t quit;

struct agent {
	const struct token_ops	*tops;
	struct token_opts	 to;
	unsigned long		 lifetime;
	size_t			 n_ports;
	struct sk_access	 ports[SK_ACCESS_MAX];
	uint8_t			 servers[SK_DIGEST_LEN];	/* 0: any */
	uint8_t			 dest_len;	/* as in the delegation */
	char			 dest[SK_DEST_MAX + 1];
	/* The session: a delegation and its key, or none. */
	int			 live;
	struct sk_delegation	 dl;
	uint8_t			 type, id[SK_SIGNER_ID_MAX];
	size_t			 idlen;
	struct crypto_privkey	*key;
	int			 verbose;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " SYNOPSIS "\n"
"\n"
"Hold a delegated key for sigknock(1): one PIN or touch per LIFETIME.\n"
"\n"
"  -a SOCKET          listen here (default: a new directory in\n"
"                     $XDG_RUNTIME_DIR, else /tmp)\n"
"  -d                 stay in the foreground, log to stderr\n"
"  -t LIFETIME        how long a delegation lasts: seconds, or with s, m,\n"
"                     h or d (default 8h; the server's Delegation must\n"
"                     allow it)\n"
"  --ports LIST       limit the delegation to these PROTO/PORT entries of\n"
"                     the server's own ports\n"
"  --dest NAME|any    the destination behind a gateway it may open, or any\n"
"                     (default: any without --ports, none with it)\n"
"  --servers KEYS     limit it to this server (its public key), or to the\n"
"                     group of these servers, in this order\n"
"  --token NAME       gpg, card or fido2 (default gpg), with --signer FPR,\n"
"                     --credential FILE, --fido-device DEV, --reader NAME,\n"
"                     --touch-timeout SECS as for sigknock\n"
"  -k                 stop the agent named by $" AGENT_ENV_PID "\n"
"  -D                 make the agent at $" AGENT_ENV_SOCK " forget its key\n"
"  -v                 say more\n"
"\n"
"It prints the shell commands that set " AGENT_ENV_SOCK " and "
AGENT_ENV_PID ":\n"
"  eval \"$(sigknock-agent --token fido2)\"\n");
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
forget(struct agent *a)
{
	if (!a->live)
		return;
	crypto_privkey_free(a->key);
	a->key = NULL;
	sk_wipe(&a->dl, sizeof(a->dl));
	a->live = 0;
	log_info("forgot the delegated key");
}

/* A delegation this close to its end is renewed first, so that the
 * server still finds it valid: 10 s, or a quarter of a short one. */
static unsigned long
renew_margin(const struct agent *a)
{
	return a->lifetime >= 4 * RENEW_MARGIN_S ? RENEW_MARGIN_S :
	    a->lifetime / 4;
}

/* TESTS ONLY (--enable-test-hooks, never in a package): date new
 * delegations $SK_TEST_AGENT_BACKDATE seconds back, so that t/517 can
 * show a server refusing one that has ended. */
static time_t
backdate(void)
{
#ifdef SK_TEST_HOOKS
	const char *e = getenv("SK_TEST_AGENT_BACKDATE");

	if (e != NULL)
		return (time_t)strtol(e, NULL, 10);
#endif
	return 0;
}

/* The agent's limits (servers, ports, destination) into d. */
static void
set_limits(const struct agent *a, struct sk_delegation *d)
{
	d->n_ports = (uint8_t)a->n_ports;
	memcpy(d->servers, a->servers, SK_DIGEST_LEN);
	memcpy(d->ports, a->ports, sizeof(a->ports));
	d->dest_len = a->dest_len;
	memcpy(d->dest, a->dest, sizeof(a->dest));
}

/* A live delegation, asking the token for one when there is none. */
static int
ensure(struct agent *a, char *why, size_t whylen)
{
	uint8_t dmsg[SK_DELEG_MSG_MAX], q[64], b[8];
	struct crypto_pubkey *pub = NULL;
	struct token *tok = NULL;
	size_t dlen, qlen, blen, siglen;
	time_t now = time(NULL);
	int r = -1;

	if (a->live && (uint64_t)now + renew_margin(a) < a->dl.not_after)
		return 0;
	forget(a);
	memset(&a->dl, 0, sizeof(a->dl));
	if (crypto_privkey_generate(&a->key, SK_PK_EDDSA, SK_CURVE_ED25519,
	    0) != 0 || crypto_privkey_public(a->key, &pub) != 0 ||
	    crypto_pubkey_export(pub, q, &qlen, b, &blen, sizeof(q)) != 0 ||
	    qlen < SK_ED25519_LEN) {
		snprintf(why, whylen, "cannot make a key");
		goto out;
	}
	memcpy(a->dl.epk, q + qlen - SK_ED25519_LEN, SK_ED25519_LEN);
	if (a->tops->open(&tok, &a->to, &a->type, a->id, &a->idlen) != 0) {
		snprintf(why, whylen, "the token is not usable (see the agent's "
		    "log)");
		goto out;
	}
	a->dl.dtype = a->type;
	a->dl.created = (uint64_t)(now - backdate());
	a->dl.not_after = a->dl.created + a->lifetime;
	set_limits(a, &a->dl);
	if (deleg_message(&a->dl, a->id, a->idlen, dmsg, sizeof(dmsg),
	    &dlen) != 0 || a->tops->sign(tok, dmsg, dlen, a->dl.dsig,
	    sizeof(a->dl.dsig), &siglen) != 0) {
		snprintf(why, whylen, "the token did not sign the delegation");
		goto out;
	}
	a->dl.dsig_len = (uint16_t)siglen;
	a->live = 1;
	log_notice("a new delegation, until %lu s from now",
	    (unsigned long)a->lifetime);
	r = 0;
out:
	if (tok != NULL)
		a->tops->close(tok);
	crypto_pubkey_free(pub);
	if (r != 0)
		forget(a);
	if (r != 0 && a->key != NULL) {
		crypto_privkey_free(a->key);
		a->key = NULL;
	}
	return r;
}

/* A request's signed message, for this agent's signer: its context, type
 * 3 and our id at the end. */
static int
message_ok(const struct agent *a, const uint8_t *m, size_t n)
{
	return n > SK_SIGN_CONTEXT_LEN + 2 + a->idlen &&
	    memcmp(m, SK_SIGN_CONTEXT, SK_SIGN_CONTEXT_LEN) == 0 &&
	    m[SK_SIGN_CONTEXT_LEN + 1] == SK_SIGNER_DELEGATED &&
	    m[n - a->idlen - 1] == a->idlen &&
	    memcmp(m + n - a->idlen, a->id, a->idlen) == 0;
}

static void
refuse(int fd, const char *why)
{
	uint8_t h[3] = { 1, 0, 0 };
	size_t n = strlen(why);

	h[1] = (uint8_t)(n >> 8);
	h[2] = (uint8_t)n;
	if (agent_write(fd, h, 3) == 0)
		(void)agent_write(fd, why, n);
	log_info("refused a request: %s", why);
}

static void
serve(struct agent *a, int fd)
{
	uint8_t op, l[2], msg[AGENT_MSG_MAX], out[SK_SIG_MAX + 3], h[32];
	uint8_t r[32], s[32];
	struct sk_request rq;
	struct sk_delegation lim;
	struct ucred cr = { 0, (uid_t)-1, (gid_t)-1 };
	socklen_t crlen = sizeof(cr);
	char why[160];
	size_t n, rl, sl, olen;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 ||
	    cr.uid != getuid()) {
		log_warn("refused a connection from uid %ld: not ours",
		    (long)cr.uid);
		return;
	}
	if (agent_read(fd, &op, 1) != 0)
		return;
	switch (op) {
	case AGENT_OP_ID:
		if (ensure(a, why, sizeof(why)) != 0) {
			refuse(fd, why);
			return;
		}
		out[0] = 0;
		out[1] = SK_SIGNER_DELEGATED;
		out[2] = (uint8_t)a->idlen;
		memcpy(out + 3, a->id, a->idlen);
		(void)agent_write(fd, out, 3 + a->idlen);
		return;
	case AGENT_OP_SIGN:
		if (agent_read(fd, l, 2) != 0 || (n = (size_t)(l[0] << 8 |
		    l[1])) > sizeof(msg) || agent_read(fd, msg, n) != 0)
			return;
		/* What it is asked to sign, before the token is: a request,
		 * dated now, within the limits. */
		if (request_decode_signed(msg, n, &rq) != 0) {
			refuse(fd, "not a sigknock request");
			return;
		}
		if (rq.timestamp > (uint64_t)INT64_MAX ||
		    llabs((long long)rq.timestamp - (long long)time(NULL)) >
		    CLOCK_SLACK_S) {
			snprintf(why, sizeof(why), "a request dated %lld s from "
			    "this agent's clock (at most %d)",
			    rq.timestamp > (uint64_t)INT64_MAX ? 0 :
			    (long long)rq.timestamp - (long long)time(NULL),
			    CLOCK_SLACK_S);
			refuse(fd, why);
			return;
		}
		memset(&lim, 0, sizeof(lim));
		set_limits(a, &lim);
		if (!deleg_allows(&lim, &rq)) {
			refuse(fd, "a request for a server, port or destination "
			    "outside this agent's limits");
			return;
		}
		if (ensure(a, why, sizeof(why)) != 0) {
			refuse(fd, why);
			return;
		}
		/* ... and for this signer. */
		if (!message_ok(a, msg, n)) {
			refuse(fd, "not a sigknock request for this agent's "
			    "signer");
			return;
		}
		if (crypto_sha256(msg, n, h) != 0 || crypto_privkey_sign(a->key,
		    SK_HASH_SHA256, h, sizeof(h), r, &rl, s, &sl, 32) != 0 ||
		    rl != 32 || sl != 32) {
			refuse(fd, "cannot sign");
			return;
		}
		memcpy(a->dl.esig, r, 32);
		memcpy(a->dl.esig + 32, s, 32);
		if (deleg_encode(&a->dl, out + 3, sizeof(out) - 3, &olen) != 0) {
			refuse(fd, "cannot encode the delegation");
			return;
		}
		out[0] = 0;
		out[1] = (uint8_t)(olen >> 8);
		out[2] = (uint8_t)olen;
		(void)agent_write(fd, out, 3 + olen);
		log_info("signed a knock with the delegated key");
		return;
	case AGENT_OP_FORGET:
		forget(a);
		op = 0;
		(void)agent_write(fd, &op, 1);
		return;
	default:
		refuse(fd, "unknown request");
	}
}

/* Seconds, or a number with s, m, h or d. */
static int
parse_lifetime(const char *s, unsigned long *out)
{
	unsigned long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd') {
		mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 :
		    86400;
		end++;
	}
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno || v == 0 ||
	    v > LIFETIME_MAX || v * mul > LIFETIME_MAX)
		return -1;
	*out = v * mul;
	return 0;
}

static int
parse_ports(const char *list, struct agent *a)
{
	char buf[CONF_LINE_MAX], *items[SK_ACCESS_MAX + 1];
	int n, i;

	snprintf(buf, sizeof(buf), "%s", list);
	if ((n = conf_split(buf, items, SK_ACCESS_MAX)) <= 0)
		return -1;
	for (i = 0; i < n; i++)
		if (conf_parse_access(items[i], &a->ports[i].proto,
		    &a->ports[i].port) != 0)
			return -1;
	a->n_ports = (size_t)n;
	return 0;
}

/* --servers KEY[,KEY...]: one server's key digest, or the root of the
 * set of several in this order (as sigknock signs for a group). */
static int
parse_servers(const char *list, struct agent *a)
{
	char buf[CONF_LINE_MAX], *items[SK_SET_MAX + 1];
	uint8_t d[SK_SET_MAX][SK_DIGEST_LEN];
	struct sk_server_key k;
	int n, i;

	snprintf(buf, sizeof(buf), "%s", list);
	if ((n = conf_split(buf, items, SK_SET_MAX)) <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		if (serverkey_parse_public(items[i], k.pk) != 0 ||
		    wire_server_key_init(&k, NULL) != 0)
			return -1;
		memcpy(d[i], k.digest, SK_DIGEST_LEN);
	}
	if (n == 1) {
		memcpy(a->servers, d[0], SK_DIGEST_LEN);
		return 0;
	}
	return wire_set_root((const uint8_t (*)[SK_DIGEST_LEN])d, (size_t)n,
	    a->servers) == 0 ? 0 : -1;
}

/* The socket: -a, else "agent" in a new directory of its own. */
static int
listen_on(const char *want, char *path, size_t plen, char *dir, size_t dlen)
{
	struct sockaddr_un sun;
	const char *base = getenv("XDG_RUNTIME_DIR");
	int fd;

	dir[0] = '\0';
	if (want != NULL) {
		if ((size_t)snprintf(path, plen, "%s", want) >= plen) {
			log_err("%s: name too long for a socket", want);
			return -1;
		}
	} else {
		snprintf(dir, dlen, "%s/sigknock-agent.XXXXXX",
		    base != NULL && base[0] == '/' ? base : "/tmp");
		if (mkdtemp(dir) == NULL) {
			log_err("%s: %s", dir, strerror(errno));
			dir[0] = '\0';
			return -1;
		}
		if ((size_t)snprintf(path, plen, "%s/agent", dir) >= plen) {
			log_err("%s: name too long for a socket", dir);
			return -1;
		}
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("%s: name too long for a socket", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		log_err("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Keep the key out of swap and core files, and other processes of the
 * user out of our memory. */
static void
lock_down(void)
{
	struct rlimit rl = { 0, 0 };

	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		log_warn("cannot lock the agent's memory (%s): its key could "
		    "reach swap", strerror(errno));
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
main(int argc, char **argv)
{
	enum { OPT_TOKEN = 256, OPT_SIGNER, OPT_CRED, OPT_FIDO_DEV, OPT_READER,
	    OPT_TOUCH, OPT_PORTS, OPT_DEST, OPT_SERVERS };
	static const struct option longopts[] = {
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "signer", required_argument, NULL, OPT_SIGNER },
		{ "credential", required_argument, NULL, OPT_CRED },
		{ "fido-device", required_argument, NULL, OPT_FIDO_DEV },
		{ "reader", required_argument, NULL, OPT_READER },
		{ "touch-timeout", required_argument, NULL, OPT_TOUCH },
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "dest", required_argument, NULL, OPT_DEST },
		{ "servers", required_argument, NULL, OPT_SERVERS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct agent a;
	struct sigaction sa;
	struct pollfd p;
	const char *want = NULL, *token = "gpg", *e, *servers = NULL;
	const char *dest = NULL;
	char path[512], dir[512];
	int c, fd, cfd, fg = 0, kill_it = 0, forget_it = 0, timeout;
	pid_t pid;
	long v;

	sk_log_init("sigknock-agent", 1, LOG_NOTICE);
	a.lifetime = LIFETIME_DEFAULT;
	a.to.pin_fd = -1;
	while ((c = getopt_long(argc, argv, "a:dt:kDvhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'a': want = optarg; break;
		case 'd': fg = 1; break;
		case 't':
			if (parse_lifetime(optarg, &a.lifetime) != 0)
				return sk_usage_error(SYNOPSIS, "-t '%s': not a "
				    "time from 1 s to 7d", optarg);
			break;
		case 'k': kill_it = 1; break;
		case 'D': forget_it = 1; break;
		case 'v': a.verbose = 1; sk_log_set_level(LOG_INFO); break;
		case OPT_TOKEN: token = optarg; break;
		case OPT_SIGNER: a.to.signer = optarg; break;
		case OPT_CRED: a.to.credential = optarg; break;
		case OPT_FIDO_DEV: a.to.device = optarg; break;
		case OPT_READER: a.to.reader = optarg; break;
		case OPT_TOUCH:
			v = strtol(optarg, NULL, 10);
			if (v < 1 || v > 3600)
				return sk_usage_error(SYNOPSIS, "--touch-timeout "
				    "'%s': not 1 to 3600 seconds", optarg);
			a.to.touch_timeout = (int)v;
			break;
		case OPT_PORTS:
			if (parse_ports(optarg, &a) != 0)
				return sk_usage_error(SYNOPSIS, "--ports '%s': "
				    "not 1 to %d PROTO/PORT entries", optarg,
				    SK_ACCESS_MAX);
			break;
		case OPT_DEST:
			if (strcmp(optarg, "any") != 0 &&
			    !wire_dest_name_ok(optarg, strlen(optarg)))
				return sk_usage_error(SYNOPSIS, "--dest '%s': "
				    "not 'any' or a destination name (1 to %d "
				    "of A-Z a-z 0-9 . _ -)", optarg, SK_DEST_MAX);
			dest = optarg;
			break;
		case OPT_SERVERS:
			servers = optarg;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sigknock-agent %s\n", PACKAGE_VERSION);
			return 0;
		default: return sk_usage_error(SYNOPSIS, NULL);
		}
	}
	if (optind < argc)
		return sk_usage_error(SYNOPSIS, "unexpected argument '%s'",
		    argv[optind]);
	if (kill_it) {
		if ((e = getenv(AGENT_ENV_PID)) == NULL || (v = strtol(e, NULL,
		    10)) <= 1) {
			log_err(AGENT_ENV_PID " is not set: no agent to stop");
			return 1;
		}
		if (kill((pid_t)v, SIGTERM) != 0) {
			log_err("cannot stop agent %ld: %s", v, strerror(errno));
			return 1;
		}
		printf("unset %s;\nunset %s;\necho Agent pid %ld killed;\n",
		    AGENT_ENV_SOCK, AGENT_ENV_PID, v);
		return 0;
	}
	if (forget_it) {
		if ((e = want != NULL ? want : getenv(AGENT_ENV_SOCK)) == NULL) {
			log_err(AGENT_ENV_SOCK " is not set: no agent to ask");
			return 1;
		}
		return agent_forget(e) == 0 ? 0 : 1;
	}
	if ((a.tops = token_find(token)) == NULL)
		return sk_usage_error(SYNOPSIS, "unknown token '%s' (this build "
		    "has: %s)", token, token_names());
	if (crypto_init() != 0)
		return 1;
	/* A port limit is for the server's own ports: with one, no
	 * destination unless named; without any limit, any. */
	if (dest == NULL)
		a.dest_len = a.n_ports > 0 ? 0 : SK_DELEG_DEST_ANY;
	else if (strcmp(dest, "any") == 0)
		a.dest_len = SK_DELEG_DEST_ANY;
	else {
		a.dest_len = (uint8_t)strlen(dest);
		memcpy(a.dest, dest, a.dest_len);
	}
	if (servers != NULL && parse_servers(servers, &a) != 0)
		return sk_usage_error(SYNOPSIS, "--servers '%s': not 1 to %d "
		    "server public keys", servers, SK_SET_MAX);
	if ((fd = listen_on(want, path, sizeof(path), dir, sizeof(dir))) < 0) {
		if (dir[0] != '\0')
			rmdir(dir);
		return 1;
	}
	if (!fg) {
		if ((pid = fork()) < 0) {
			log_err("fork: %s", strerror(errno));
			return 1;
		}
		if (pid > 0) {
			printf("%s=%s; export %s;\n%s=%ld; export %s;\n"
			    "echo Agent pid %ld;\n", AGENT_ENV_SOCK, path,
			    AGENT_ENV_SOCK, AGENT_ENV_PID, (long)pid,
			    AGENT_ENV_PID, (long)pid);
			return 0;
		}
		setsid();
		if (freopen("/dev/null", "r", stdin) == NULL ||
		    freopen("/dev/null", "w", stdout) == NULL)
			_exit(1);
		sk_log_init("sigknock-agent", 0, a.verbose ? LOG_INFO :
		    LOG_NOTICE);
	}
	lock_down();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_notice("listening on %s (pid %ld)", path, (long)getpid());
	p.fd = fd;
	p.events = POLLIN;
	while (!quit) {
		/* Wake at the delegation's end to forget it on time. */
		timeout = -1;
		if (a.live) {
			time_t left = (time_t)a.dl.not_after - time(NULL);

			if (left <= 0) {
				forget(&a);
				continue;
			}
			timeout = left > 3600 ? 3600 * 1000 : (int)left * 1000;
		}
		if (poll(&p, 1, timeout) <= 0)
			continue;
		if ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		serve(&a, cfd);
		close(cfd);
	}
	forget(&a);
	close(fd);
	unlink(path);
	if (dir[0] != '\0')
		rmdir(dir);
	log_notice("stopped");
	return 0;
}
