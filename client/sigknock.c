/* sigknock: build a request, sign it with a token, seal it to the
 * server's public key, and send it as one UDP datagram. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "agentproto.h"
#include "clock.h"
#include "conf.h"
#include "connect.h"
#include "crypto.h"
#include "fwknop.h"
#include "fwknoprc.h"
#include "knocked.h"
#include "target.h"
#include "err.h"
#include "fileio.h"
#include "log.h"
#include "serverkey.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"
#include "work.h"

#define SYNOPSIS	"sigknock [OPTIONS] [SERVER...]"

/* Exit statuses besides 0, 1 (could not knock) and 2 (usage). */
#define EXIT_NOT_OPENED	3	/* -W: knocked, the port never opened */
#define EXIT_RELAY	4	/* -W: the connection failed once open */

/* -W: how long to wait for the port by default, and how long a grant
 * the rc file says is still open may take to answer before we knock. */
#define CONNECT_TIMEOUT_S	10
#define PROBE_MS		1000
/* The grant a request that names no time gets: sigknock-access.conf(5)'s
 * default Timeout (the server may differ; the connection then fails and
 * we knock). */
#define ASSUMED_TIMEOUT_S	30
/* The most effort --work may ask for: 2^32 hashes, minutes. */
#define WORK_MAX		32
/* --resend: the copies of the knock, in seconds after the first. */
#define RESEND_MAX		4
#define RESEND_LAST_MAX		60.0
#define RESEND_DEFAULT		"0.3,1"

struct resend {
	size_t	n;
	double	at[RESEND_MAX];
};

struct opts {
	const char *stanza;
	const char *name;	/* SERVER, or -W's HOST: matched to stanzas */
	const char *server;	/* the host to knock */
	const char *connect;	/* -W HOST:PORT */
	const char *connect_timeout;
	const char *time_offset;
	const char *work;	/* effort in bits */
	const char *resend;	/* --resend LIST, or none */
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
	const char *servers;	/* a group: Servers in ~/.sigknockrc */
	const char *agent;	/* Agent: a socket, or none */
	char	*owned[32];	/* values copied from ~/.sigknockrc */
	size_t	 n_owned;
	const char *timeout;
	const char *address;	/* IP, or "source" */
	const char *stun;	/* STUN servers, comma separated */
	const char *stun_insecure;	/* "yes": plain UDP STUN allowed */
	const char *stun_ca;	/* PEM file for STUN over TLS */
	const char *save_packet;
	const char *rc;
	int	 test;
	int	 close;		/* --close */
	int	 close_on_exit;	/* --close-on-exit, with -W */
	int	 verbose;
	int	 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: sigknock [-n STANZA] [-A PROTO/PORT[@DEST][,...] | --close] [-a IP | -s]\n"
"                [-p PORT]\n"
"                [-W HOST:PORT [--connect-timeout SECS] [--close-on-exit]]\n"
"                [--time-offset SECS]\n"
"                [--work BITS] [--resend LIST|none]\n"
"                [--stun stuns:HOST[:PORT]] [--stun-ca FILE] [--stun-insecure]\n"
"                [--server-key KEY] [--signer FPR]\n"
"                [--token gpg|card|fido2] [--rc FILE]\n"
"                [--reader NAME] [--pin-fd N]\n"
"                [--credential FILE] [--fido-device DEV] [--touch-timeout SECS]\n"
"                [--timeout SECS] [--test] [--save-packet FILE] [-4|-6] [-v]\n"
"                [SERVER...]\n"
"       sigknock --import-fwknoprc [-p PORT] [--rc FILE] [FWKNOPRC]\n"
"\n"
"Send one signed knock to SERVER so that it opens PROTO/PORT for you.\n"
"\n"
"  SERVER             a stanza of ~/.sigknockrc ([SERVER] or a pattern that\n"
"                     matches it; its Server line names the host), else\n"
"                     the host to knock; several SERVERs, or a stanza\n"
"                     with Servers: one signature (one touch) for all\n"
"  -n STANZA          use the [STANZA] section of ~/.sigknockrc\n"
"  -A LIST            what to open, e.g. tcp/22,tcp/443 (default: the\n"
"                     server's Default for you); tcp/22@db1: port 22 of\n"
"                     db1, a host behind the server as a gateway\n"
"  -a IP              open for this address (the server must allow it)\n"
"  -s                 source mode: bind no address; the server opens the\n"
"                     one the knock comes from (it must allow that; anyone\n"
"                     on the path can use such a knock first)\n"
"  --stun LIST        STUN servers that tell your public address behind a\n"
"                     NAT, comma separated: stuns:HOST[:PORT] over TLS (port\n"
"                     5349); plain UDP HOST[:PORT] only with --stun-insecure\n"
"                     (default: none; the request binds your own address\n"
"                     toward the server)\n"
"  --stun-ca FILE     the CA (or the server's own certificate) that STUN over\n"
"                     TLS must present (default: the system's trust store)\n"
"  --stun-insecure    accept plain UDP STUN, whose answer anyone on the path\n"
"                     can forge to steer your grant to an address of theirs\n"
"  -p PORT            the server's knock port (default %d)\n"
"  --close            end your live grants on SERVER for the address this\n"
"                     request binds (signed like a knock; the server closes\n"
"                     only your own)\n"
"  --close-on-exit    -W: when the connection ends, send --close (a token\n"
"                     asks for its PIN or touch again)\n"
"  -W HOST:PORT       knock for tcp/PORT, wait until HOST:PORT accepts a\n"
"                     connection, then relay standard input and output to\n"
"                     it (ProxyCommand sigknock -W %%h:%%p); SERVER defaults\n"
"                     to HOST; no knock while a grant it asked for lasts\n"
"  --connect-timeout S  -W: how long to wait for the port (default %d)\n"
"  --time-offset S    add S seconds (may be negative) to the clock, for a\n"
"                     clock known to be off\n"
"  --work BITS        proof of work on the copies: 2^BITS hashes that put\n"
"                     them ahead of a flood (default %d, about 0.1 s; 0:\n"
"                     none; at most %d)\n"
"  --resend LIST      send copies of the knock this many seconds after it\n"
"                     (default " RESEND_DEFAULT "; at most %d, up to %.0f s), from a\n"
"                     background process, with the work; none: one datagram,\n"
"                     which then carries the work\n"
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
"  --import-fwknoprc  write ~/.sigknockrc (or --rc FILE, never over one)\n"
"                     from fwknop's ~/.fwknoprc (or FWKNOPRC); -p: the\n"
"                     port sigknockd listens on\n"
"  -4, -6             reach the server over IPv4 or IPv6 only\n"
"  -v                 say what is happening\n"
"  -h, -V             this help, the version\n"
"\n"
"Exit status: 0 sent (-W: relayed until closed), 1 could not knock, 2 usage,\n"
"3 -W: knocked but the port never opened, 4 -W: the connection failed.\n"
"See sigknock(1) and sigknockrc(5).\n", SK_DEFAULT_PORT, CONNECT_TIMEOUT_S,
	    SK_WORK_DEFAULT, WORK_MAX, RESEND_MAX, RESEND_LAST_MAX,
	    token_names(),
	    TOKEN_FIDO2_TOUCH_S);
}


/* A decimal number from min to max: digits, a minus sign first when
 * min < 0, nothing else (no blanks, no '+').  0, or -1 (logged, with
 * what, when what is not NULL). */
static int
parse_num(const char *what, const char *s, long min, long max, long *v)
{
	const char *d = s[0] == '-' && min < 0 ? s + 1 : s;
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (*d < '0' || *d > '9' || *end != '\0' || errno != 0 || *v < min ||
	    *v > max) {
		if (what != NULL)
			log_err("%s '%s' is not a number from %ld to %ld", what,
			    s, min, max);
		return -1;
	}
	return 0;
}

/* --resend and Resend: none, or up to RESEND_MAX increasing delays in
 * seconds (decimals), the last at most RESEND_LAST_MAX.  0, or -1 with
 * the reason in why. */
static int
parse_resend(const char *s, struct resend *r, char *why, size_t whylen)
{
	char buf[128], *item, *save = NULL, *end;
	double v, last = 0;

	memset(r, 0, sizeof(*r));
	if (strcasecmp(s, "none") == 0 || strcmp(s, "0") == 0)
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		goto bad;
	for (item = strtok_r(buf, ", \t", &save); item != NULL;
	    item = strtok_r(NULL, ", \t", &save)) {
		errno = 0;
		v = strtod(item, &end);
		if (*item < '0' || *item > '9' || *end != '\0' || errno != 0 ||
		    !(v > last) || v > RESEND_LAST_MAX || r->n == RESEND_MAX)
			goto bad;
		r->at[r->n++] = last = v;
	}
	if (r->n > 0)
		return 0;
bad:
	snprintf(why, whylen, "'%s' is not none or up to %d increasing delays "
	    "in seconds (e.g. " RESEND_DEFAULT "), the last at most %.0f", s,
	    RESEND_MAX, RESEND_LAST_MAX);
	return -1;
}

/* gpg-agent shows its pinentry on the terminal gpg names, GPG_TTY or the
 * one on gpg's stdin.  Under ssh's ProxyCommand stdin and stdout are
 * ssh's pipes, and few people export GPG_TTY: a passphrase then fails
 * with "Inappropriate ioctl for device".  The terminal is found on
 * stderr, which ssh leaves on it, or stdin. */
static void
set_gpg_tty(int verbose)
{
	static const int fds[] = { STDIN_FILENO, STDERR_FILENO, STDOUT_FILENO };
	const char *name;
	size_t i;

	if (getenv("GPG_TTY") != NULL)
		return;
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (isatty(fds[i]) && (name = ttyname(fds[i])) != NULL) {
			if (setenv("GPG_TTY", name, 1) == 0 && verbose)
				log_info("GPG_TTY was not set: %s, for gpg-agent's "
				    "pinentry", name);
			return;
		}
}

/* ~/.sigknockrc: fill what the command line left unset. */
struct rc {
	struct opts	*o;
	const char	*want;		/* the name stanzas are matched to */
	int		 pass;		/* 0: named stanzas, 1: [default] */
	int		 in_want;
	int		 found;
};

/* ssh_config(5)'s patterns: '*' any run of characters, '?' one, case
 * insensitive. */
static int
pattern_match(const char *p, const char *s)
{
	for (; *p != '\0'; p++, s++) {
		if (*p == '*') {
			while (p[1] == '*')
				p++;
			if (p[1] == '\0')
				return 1;
			for (; *s != '\0'; s++)
				if (pattern_match(p + 1, s))
					return 1;
			return 0;
		}
		if (*s == '\0' || (*p != '?' &&
		    tolower((unsigned char)*p) != tolower((unsigned char)*s)))
			return 0;
	}
	return *s == '\0';
}

/* A section header is a list of patterns (blanks or commas between); it
 * matches when one matches and no negated one ("!pattern") does. */
static int
section_matches(const char *section, const char *name)
{
	char buf[CONF_NAME_MAX], *save = NULL, *p;
	int yes = 0;

	snprintf(buf, sizeof(buf), "%s", section);
	for (p = strtok_r(buf, " \t,", &save); p != NULL;
	    p = strtok_r(NULL, " \t,", &save)) {
		if (*p == '!') {
			if (pattern_match(p + 1, name))
				return 0;
		} else if (pattern_match(p, name))
			yes = 1;
	}
	return yes;
}


#define TIME_OFFSET_MAX	(366L * 86400)

/* An access list: PROTO/PORT entries, each with an optional @DEST (a
 * destination behind a gateway, sigknock-access.conf(5) GATEWAY), or a
 * lone @DEST for that destination's default ports.  Every entry names
 * the same destination or none.  Fills rq's access and dest; on error,
 * says why in why and returns -1. */
static int
access_list_parse(const char *list, struct sk_request *rq, char *why,
    size_t whylen)
{
	char buf[CONF_LINE_MAX], *items[SK_ACCESS_MAX + 1], *at;
	const char *dest = NULL;
	int n, i, named = 0;

	rq->n_access = 0;
	rq->dest[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", list);
	if ((n = conf_split(buf, items, SK_ACCESS_MAX)) <= 0) {
		snprintf(why, whylen, "between 1 and %d PROTO/PORT entries",
		    SK_ACCESS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((at = strchr(items[i], '@')) != NULL) {
			*at++ = '\0';
			if (!wire_dest_name_ok(at, strlen(at))) {
				snprintf(why, whylen, "'%s' is not a destination "
				    "name (1 to %d of A-Z a-z 0-9 . _ -)", at,
				    SK_DEST_MAX);
				return -1;
			}
			if (dest != NULL && strcmp(dest, at) != 0) {
				snprintf(why, whylen, "one knock opens one "
				    "destination, not %s and %s", dest, at);
				return -1;
			}
			dest = at;
			named++;
			if (items[i][0] == '\0' && n == 1)
				break;		/* @DEST: its default ports */
		}
		if (conf_parse_access(items[i], &rq->access[rq->n_access].proto,
		    &rq->access[rq->n_access].port) != 0) {
			snprintf(why, whylen, "'%s' is not PROTO/PORT (tcp/22, "
			    "udp/53) or PROTO/PORT@DEST (tcp/22@db1)", items[i]);
			return -1;
		}
		rq->n_access++;
	}
	if (named > 0 && named != n) {
		snprintf(why, whylen, "either every entry names the destination "
		    "(tcp/22@%s) or none does", dest);
		return -1;
	}
	if (dest != NULL && request_set_dest(rq, dest) != 0) {
		snprintf(why, whylen, "cannot name destination %s", dest);
		return -1;
	}
	return 0;
}

/* Values of ~/.sigknockrc are checked where they stand, so that a wrong
 * one is reported with its file and line (in every stanza, used or not). */
static int
rc_check(const struct conf_line *l)
{
	struct sk_request rq;
	char why[160];
	unsigned long v;
	long sv;
	int yes;
	uint8_t a[16];

	if (strcasecmp(l->key, "Port") == 0)
		return conf_uint(l, 1, 65535, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "Timeout") == 0)
		return conf_uint(l, 0, 65535, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "TouchTimeout") == 0)
		return conf_uint(l, 1, 3600, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "ConnectTimeout") == 0)
		return conf_uint(l, 1, 3600, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "Work") == 0)
		return conf_uint(l, 0, WORK_MAX, &v) ? SK_ERR_BAD_FIELD : 0;
	if (strcasecmp(l->key, "StunInsecure") == 0 && conf_bool(l, &yes) != 0)
		return SK_ERR_BAD_FIELD;
	if (strcasecmp(l->key, "Resend") == 0) {
		struct resend rs;

		if (parse_resend(l->value, &rs, why, sizeof(why)) != 0)
			return conf_error(l, "%s", why);
	}
	if (strcasecmp(l->key, "TimeOffset") == 0 &&
	    parse_num(NULL, l->value, -TIME_OFFSET_MAX, TIME_OFFSET_MAX,
	    &sv) != 0)
		return conf_error(l, "'%s' is not a number of seconds from "
		    "%ld to %ld", l->value, -TIME_OFFSET_MAX, TIME_OFFSET_MAX);
	if (strcasecmp(l->key, "Token") == 0 && token_find(l->value) == NULL)
		return conf_error(l, "'%s' is not a token this build has (%s)",
		    l->value, token_names());
	if (strcasecmp(l->key, "Address") == 0 &&
	    strcasecmp(l->value, "source") != 0 &&
	    inet_pton(AF_INET, l->value, a) != 1 &&
	    inet_pton(AF_INET6, l->value, a) != 1)
		return conf_error(l, "'%s' is neither an IPv4 or IPv6 address "
		    "nor source", l->value);
	if (strcasecmp(l->key, "Servers") == 0) {
		char buf[CONF_LINE_MAX], *items[SK_SET_MAX + 1];
		int n;

		snprintf(buf, sizeof(buf), "%s", l->value);
		if ((n = conf_split(buf, items, SK_SET_MAX)) < 1)
			return conf_error(l, "between 1 and %d names of servers "
			    "(stanzas or hosts; * and ? match stanzas)",
			    SK_SET_MAX);
	}
	if (strcasecmp(l->key, "Access") == 0) {
		memset(&rq, 0, sizeof(rq));
		if (access_list_parse(l->value, &rq, why, sizeof(why)) != 0)
			return conf_error(l, "%s", why);
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
		{ "StunInsecure", offsetof(struct opts, stun_insecure) },
		{ "StunCA", offsetof(struct opts, stun_ca) },
		{ "ConnectTimeout", offsetof(struct opts, connect_timeout) },
		{ "TimeOffset", offsetof(struct opts, time_offset) },
		{ "Work", offsetof(struct opts, work) },
		{ "Resend", offsetof(struct opts, resend) },
		{ "Servers", offsetof(struct opts, servers) },
		{ "Agent", offsetof(struct opts, agent) },
	};
	struct rc *rc = arg;
	const char **field;
	size_t i;
	int r;

	if (l->is_section) {
		if (strcmp(l->section, "default") == 0)
			rc->in_want = rc->pass == 1 || (rc->want != NULL &&
			    strcmp(rc->want, "default") == 0);
		else
			rc->in_want = rc->pass == 0 && rc->want != NULL &&
			    section_matches(l->section, rc->want);
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
	/* The first value found for a keyword wins, as in ssh_config. */
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

/* Server's "%h" is the name given (as ssh_config's HostName); "%%" is a
 * percent sign. */
static int
expand_server(struct opts *o, const char *name)
{
	char buf[1024];
	const char *p;
	size_t n = 0, l;

	if (strchr(o->server, '%') == NULL)
		return 0;
	for (p = o->server; *p != '\0'; p++) {
		if (*p == '%' && p[1] == 'h' && name != NULL) {
			l = strlen(name);
			if (n + l >= sizeof(buf))
				goto long_;
			memcpy(buf + n, name, l);
			n += l;
			p++;
		} else if (*p == '%' && p[1] == '%') {
			if (n + 1 >= sizeof(buf))
				goto long_;
			buf[n++] = '%';
			p++;
		} else if (*p == '%') {
			log_err("Server '%s': only %%h (the name given) and %%%% "
			    "may follow a %%", o->server);
			return -1;
		} else {
			if (n + 1 >= sizeof(buf))
				goto long_;
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	if (o->n_owned == sizeof(o->owned) / sizeof(o->owned[0]) ||
	    (o->owned[o->n_owned] = strdup(buf)) == NULL)
		return -1;
	o->server = o->owned[o->n_owned++];
	return 0;
long_:
	log_err("Server '%s': too long once %%h is expanded", o->server);
	return -1;
}

/* The rc file: --rc, else ~/.sigknockrc; 0 when there is none to read. */
static int
rc_path(const struct opts *o, char *path, size_t len)
{
	const char *home = getenv("HOME");

	if (o->rc != NULL)
		snprintf(path, len, "%s", o->rc);
	else if (home != NULL)
		snprintf(path, len, "%s/.sigknockrc", home);
	else
		return 0;
	return 1;
}

/* The stanzas that match -n NAME, else the name given (SERVER, or -W's
 * host), in file order, first value wins; then [default]. */
static int
read_rc(struct opts *o)
{
	char path[4096];
	struct rc rc = { o, NULL, 0, 0, 0 };
	int r;

	if (!rc_path(o, path, sizeof(path)))
		return 0;
	if (access(path, F_OK) != 0) {
		if (o->rc != NULL || o->stanza != NULL) {
			log_err("%s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	rc.want = o->stanza ? o->stanza : o->name;
	r = conf_read(path, CONF_PERM_NOT_WRITABLE, rc_line, &rc);
	if (r == 0 && o->stanza != NULL && !rc.found) {
		log_err("%s: no stanza matches %s", path, o->stanza);
		return -1;
	}
	if (r == 0) {
		rc.pass = 1;
		r = conf_read(path, CONF_PERM_NOT_WRITABLE, rc_line, &rc);
	}
	return r != 0 ? -1 : 0;
}

static int
build_request(const struct opts *o, const struct sk_server_key *sk,
    struct sk_request *rq)
{
	char why[160];
	long v, off = 0;

	memset(rq, 0, sizeof(*rq));
	rq->version = SK_WIRE_VERSION;
	if (o->time_offset != NULL && parse_num("time offset", o->time_offset,
	    -TIME_OFFSET_MAX, TIME_OFFSET_MAX, &off) != 0)
		return -1;
	rq->timestamp = (uint64_t)((int64_t)time(NULL) + off);
	crypto_random(rq->nonce, sizeof(rq->nonce));
	memcpy(rq->server_digest, sk->digest, SK_DIGEST_LEN);
	rq->addr_family = SK_ADDR_SOURCE;
	/* A close asks for nothing; ~/.sigknockrc's Access and Timeout
	 * are for knocks. */
	if (o->close)
		return request_set_close(rq) == 0 ? 0 : -1;
	if (o->timeout != NULL) {
		if (parse_num("timeout", o->timeout, 0, 65535, &v) != 0)
			return -1;
		rq->timeout = (uint16_t)v;
	}
	if (o->access != NULL &&
	    access_list_parse(o->access, rq, why, sizeof(why)) != 0) {
		log_err("-A %s: %s", o->access, why);
		return -1;
	}
	return 0;
}

static void
show(const struct sk_request *rq, const struct knock_target *t,
    const char *port, unsigned effort, const uint8_t *dg, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "the packet's source";
	size_t i;

	if (t != NULL && t->fd >= 0)
		printf("server:     %s port %s\n", t->server_str, port);
	if (rq->set_count != 0)
		printf("set:        %u servers, one signature (this datagram: "
		    "number %u)\n", rq->set_count, rq->set_index + 1);
	if (rq->addr_family == SK_ADDR_IPV4)
		inet_ntop(AF_INET, rq->addr, addr, sizeof(addr));
	else if (rq->addr_family == SK_ADDR_IPV6)
		inet_ntop(AF_INET6, rq->addr, addr, sizeof(addr));
	printf("signer:     ");
	for (i = 0; i < rq->signer_id_len; i++)
		printf("%02X", rq->signer_id[i]);
	if (rq->close) {
		printf("\nclose:      every grant of yours for %s%s%s\n", addr,
		    rq->dest[0] ? " to " : "", rq->dest);
		goto tail;
	}
	printf("\nopen for:   %s\naccess:     ", addr);
	if (rq->n_access == 0)
		printf("the server's default");
	for (i = 0; i < rq->n_access; i++)
		printf("%s%s/%u", i ? ", " : "", rq->access[i].proto == 6 ?
		    "tcp" : "udp", rq->access[i].port);
	if (rq->dest[0] != '\0')
		printf(" at %s, behind the server", rq->dest);
	printf("\ntimeout:    ");
	if (rq->timeout)
		printf("%u s\n", rq->timeout);
	else
		printf("the server's default\n");
tail:
	printf("timestamp:  %llu\nwork:       ", (unsigned long long)rq->timestamp);
	if (effort > 0)
		printf("%u bits\n", effort);
	else
		printf("none\n");
	printf("datagram:   %zu bytes\n", len);
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
	if (o->stun != NULL) {
		struct stun_opts so = { o->stun_insecure != NULL &&
		    strcasecmp(o->stun_insecure, "yes") == 0, o->stun_ca,
		    o->verbose };

		return stun_query(o->stun, t->family, &so, rq->addr) == 0 ?
		    0 : -1;
	}
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

/* The record of a grant this request asks for (proto and port unset). */
static void
knocked_entry_for(const struct knock_target *t, const char *kport,
    const struct sk_request *rq, struct knocked_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->family = (uint8_t)t->family;
	memcpy(e->server, t->server, 16);
	e->kport = (uint16_t)atoi(kport);
	e->bfamily = rq->addr_family;
	memcpy(e->bound, rq->addr, 16);
}

/* The grants a request asks for, as the client remembers them. */
static void
remember(const struct knock_target *t, const char *kport,
    const struct sk_request *rq)
{
	struct knocked k;
	struct knocked_entry e;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	if (getenv("HOME") == NULL)
		return;
	if (rq->close) {
		/* Closed: the next -W knocks again. */
		knocked_load(&k);
		knocked_entry_for(t, kport, rq, &e);
		knocked_forget(&k, &e);
		if (knocked_save(&k) != 0)
			log_warn("could not forget the closed grants (the "
			    "next -W may try the port before it knocks)");
		return;
	}
	if (rq->n_access == 0 || rq->dest[0] != '\0')
		return;		/* the server's default: we cannot know it;
				 * a destination: not where -W connects */
	knocked_load(&k);
	knocked_prune(&k, now);
	knocked_entry_for(t, kport, rq, &e);
	e.until = now + (rq->timeout ? rq->timeout : ASSUMED_TIMEOUT_S);
	for (i = 0; i < rq->n_access; i++) {
		e.proto = rq->access[i].proto;
		e.port = rq->access[i].port;
		knocked_add(&k, &e);
	}
	if (knocked_save(&k) != 0)
		log_warn("could not remember the knock (the next -W knocks "
		    "again)");
}

/* -W: does a grant this client asked for still cover the connection? */
static int
still_granted(const struct knock_target *t, const char *kport,
    const struct sk_request *rq, const struct conn_target *c)
{
	struct knocked k;
	struct knocked_entry e;

	knocked_load(&k);
	knocked_entry_for(t, kport, rq, &e);
	e.proto = 6;
	e.port = c->port;
	/* A second of margin: the connection must be made before it ends. */
	return knocked_find(&k, &e, (int64_t)time(NULL) + 1) != NULL;
}

static int64_t
mono_ms(void)
{
	return (int64_t)(sk_mono() * 1e3);
}

/* -W after the knock: SYNs with a short, doubling wait (50 ms to 1 s)
 * until the port answers or the deadline passes; halfway, the same
 * datagram once more (a lost datagram is the failure a second send
 * cures; if the first arrived, the server drops the copy as a replay).
 * The socket, or -1. */
/* The knock was signed by a session agent's delegated key. */
static int signed_by_agent;

static int
wait_open(const struct conn_target *c, const struct knock_target *t,
    const uint8_t *dg, size_t dlen, long timeout_s)
{
	int64_t t0 = mono_ms(), deadline = t0 + timeout_s * 1000, now;
	int step = 50, fd, err = ETIMEDOUT, wait, resent = 0;

	while ((now = mono_ms()) < deadline) {
		if (!resent && now - t0 >= timeout_s * 500) {
			resent = 1;
			log_info("%s is still closed: sending the knock again",
			    c->str);
			if (send(t->fd, dg, dlen, 0) != (ssize_t)dlen)
				log_warn("cannot send to %s: %s", t->server_str,
				    strerror(errno));
		}
		wait = (int)(deadline - now < step ? deadline - now : step);
		if ((fd = conn_try(c, wait, &err)) >= 0) {
			log_info("%s accepted the connection after %lld ms",
			    c->str, (long long)(mono_ms() - t0));
			return fd;
		}
		if (err != ETIMEDOUT) {
			/* Refused or unreachable: something answered;
			 * try again after the same wait. */
			now = mono_ms();
			if (deadline - now < wait)
				wait = (int)(deadline - now);
			if (wait > 0)
				poll(NULL, 0, wait);
		}
		if (step < 1000)
			step = step * 2 > 1000 ? 1000 : step * 2;
	}
	log_err("knocked, but %s did not open within %ld s (%s): see "
	    "TROUBLESHOOTING in sigknock(1)", c->str, timeout_s,
	    err == ETIMEDOUT ? "no answer" : strerror(err));
	if (signed_by_agent)
		log_err("the knock was signed by sigknock-agent's delegated key: "
		    "a server accepts that only where its stanza allows "
		    "Delegation (sigknock-access.conf(5)); without it, knock "
		    "with Agent none in ~/.sigknockrc (or SIGKNOCK_AGENT_SOCK="
		    "none) to use the token");
	return -1;
}

/* The work trailer (PROTOCOL.md section 2.1) after the sealed datagram
 * dg[0..*len): 2^effort hashes on average, bound to its mac1 and time. */
static int
add_work(uint8_t *dg, size_t *len, uint64_t ts, unsigned effort)
{
	struct sk_work w = { ts, 0, (uint8_t)effort };
	int64_t t0 = mono_ms();
	uint64_t tries;

	crypto_random(&w.nonce, sizeof(w.nonce));
	if (work_solve(dg, &w, &tries) != 0) {
		log_err("cannot compute the work");
		return -1;
	}
	work_encode(&w, dg + *len);
	*len += SK_WORK_LEN;
	log_info("work: %u bits in %lld ms (%llu hashes)", effort,
	    (long long)(mono_ms() - t0), (unsigned long long)tries);
	return 0;
}

static int
save_packet(const char *path, const uint8_t *dg, size_t len)
{
	FILE *f;

	if ((f = fopen(path, "wb")) == NULL || fwrite(dg, 1, len, f) != len ||
	    fclose(f) != 0) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Open the token, encode rq (with the signer it names) and sign it:
 * inner[0..*ulen) is the signed part, sig[0..*siglen) the signature.
 * The token is closed again: not held while a connection is relayed. */
static int
sign_request(const struct opts *o, const struct token_ops *tops,
    struct sk_request *rq, uint8_t *inner, size_t *ulen, uint8_t *sig,
    size_t *siglen)
{
	uint8_t msg[SK_SIGNED_MSG_MAX];
	struct token *tok = NULL;
	struct token_opts to;
	const char *agent = o->agent != NULL ? o->agent : getenv(AGENT_ENV_SOCK);
	size_t mlen, idlen;
	int r = -1;

	/* A session agent signs with its delegated key: no token here. */
	if (agent != NULL && agent[0] != '\0' && strcmp(agent, "none") != 0) {
		if (agent_signer(agent, &rq->signer_type, rq->signer_id,
		    &idlen) != 0)
			return -1;
		rq->signer_id_len = (uint8_t)idlen;
		if (request_encode_unsigned(rq, inner, SK_INNER_MAX, ulen) != 0 ||
		    request_signed_message(inner, *ulen, msg, sizeof(msg),
		    &mlen) != 0) {
			log_err("cannot encode the request");
			return -1;
		}
		if (agent_sign(agent, msg, mlen, sig, SK_SIG_MAX, siglen) != 0)
			return -1;
		rq->sig_len = (uint16_t)*siglen;
		signed_by_agent = 1;
		if (o->verbose)
			log_info("signed by the agent at %s", agent);
		return 0;
	}
	memset(&to, 0, sizeof(to));
	to.signer = o->signer;
	to.credential = o->credential;
	to.device = o->fido_device;
	to.touch_timeout = o->touch_timeout != NULL ? atoi(o->touch_timeout) :
	    0;
	to.reader = o->reader;
	to.pin_fd = o->pin_fd != NULL ? atoi(o->pin_fd) : -1;
	to.verbose = o->verbose;
	if (tops->open(&tok, &to, &rq->signer_type, rq->signer_id, &idlen) != 0)
		return -1;
	rq->signer_id_len = (uint8_t)idlen;
	if (request_encode_unsigned(rq, inner, SK_INNER_MAX, ulen) != 0 ||
	    request_signed_message(inner, *ulen, msg, sizeof(msg), &mlen) != 0)
		log_err("cannot encode the request");
	else if (tops->sign(tok, msg, mlen, sig, SK_SIG_MAX, siglen) == 0)
		r = 0;
	tops->close(tok);
	rq->sig_len = (uint16_t)*siglen;
	return r;
}

/* Seal the signed request inner[0..ulen) + sig for server sk (with this
 * server's set proof when rq names a set), leaving room for the work
 * when effort > 0, and add the work when work_now. */
static int
seal_for(const struct sk_request *rq, const uint8_t *inner, size_t ulen,
    const uint8_t *sig, size_t siglen, const struct sk_server_key *sk,
    unsigned index, const uint8_t proof[][SK_DIGEST_LEN], long effort,
    int work_now, uint8_t *dg, size_t *dlen)
{
	uint8_t buf[SK_INNER_MAX];
	size_t ilen;

	memcpy(buf, inner, ulen);
	if (request_append_signature(buf, sizeof(buf), ulen, sig, siglen,
	    &ilen) != 0 || (rq->set_count != 0 && request_append_proof(buf,
	    sizeof(buf), ilen, rq, index, proof, &ilen) != 0) ||
	    datagram_seal(sk, buf, ilen, NULL, dg, SK_DATAGRAM_MAX - (effort ?
	    SK_WORK_LEN : 0), dlen) != 0) {
		log_err("the signed request does not fit one datagram");
		return -1;
	}
	if (work_now && effort > 0 && add_work(dg, dlen, rq->timestamp,
	    (unsigned)effort) != 0)
		return -1;
	return 0;
}

/* One datagram the copies go to. */
struct copy {
	int		 fd;		/* connected UDP socket */
	const char	*to;		/* for -v */
	uint8_t		*dg;		/* the sealed datagram, room for work */
	size_t		 dlen;
};

/* The copies of a knock (--resend): a child process sends each of the n
 * datagrams again rs->at[] seconds after the first went, with effort
 * bits of work (the lane for work at the server, PROTOCOL.md 5: a flood
 * forged from the user's own address keeps the others busy), then exits.
 * The knock itself went without work, at once: the work costs ~0.1 s
 * that only a flood makes worth paying.  The child touches only the
 * sealed datagrams (the token was closed, its secrets wiped, before the
 * fork); stdin and stdout lead to /dev/null, stderr too unless -v, so
 * that no pipe or command substitution waits for it.  Its pid, 0 for
 * no copies, -1 when it cannot fork (said; the knock itself went). */
static pid_t
send_copies(struct copy *c, size_t n, const struct resend *rs, long effort,
    uint64_t ts, int verbose)
{
	int64_t t0 = mono_ms(), wait;
	size_t i, j;
	pid_t pid;
	int fd;

	if (rs->n == 0)
		return 0;
	if ((pid = fork()) != 0) {
		if (pid < 0)
			log_warn("no copies of the knock: fork: %s",
			    strerror(errno));
		return pid;
	}
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (!verbose)
			dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	signal(SIGPIPE, SIG_IGN);
	for (j = 0; j < n; j++)
		if (effort > 0 && add_work(c[j].dg, &c[j].dlen, ts,
		    (unsigned)effort) != 0)
			_exit(1);
	for (i = 0; i < rs->n; i++) {
		if ((wait = t0 + (int64_t)(rs->at[i] * 1000) - mono_ms()) > 0)
			poll(NULL, 0, (int)wait);
		for (j = 0; j < n; j++) {
			if (send(c[j].fd, c[j].dg, c[j].dlen, 0) !=
			    (ssize_t)c[j].dlen)
				log_info("copy %zu to %s: %s", i + 1, c[j].to,
				    strerror(errno));
			else
				log_info("copy %zu sent to %s (%zu bytes)",
				    i + 1, c[j].to, c[j].dlen);
		}
	}
	_exit(0);
}

/* -W: the connection is made (or never will be): no more copies. */
static void
end_copies(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* --close-on-exit: the relayed connection ended; a close request
 * (PROTOCOL.md 3.5) for the address the knock bound, signed anew (a
 * token asks for its PIN or touch again; the agent does not). */
static void
close_after(const struct opts *o, const struct token_ops *tops,
    const struct knock_target *t, const char *kport,
    const struct sk_request *knock, const struct sk_server_key *sk,
    const struct resend *rs, long effort)
{
	struct opts co = *o;
	struct sk_request rq;
	struct copy copy;
	uint8_t inner[SK_INNER_MAX], sig[SK_SIG_MAX], dg[SK_DATAGRAM_MAX];
	size_t ulen, siglen, dlen;

	co.close = 1;
	if (build_request(&co, sk, &rq) != 0)
		goto fail;
	rq.addr_family = knock->addr_family;
	memcpy(rq.addr, knock->addr, sizeof(rq.addr));
	if (sign_request(&co, tops, &rq, inner, &ulen, sig, &siglen) != 0 ||
	    seal_for(&rq, inner, ulen, sig, siglen, sk, 0, NULL, effort,
	    rs->n == 0, dg, &dlen) != 0)
		goto fail;
	if (send(t->fd, dg, dlen, 0) != (ssize_t)dlen) {
		log_err("--close-on-exit: cannot send to %s: %s", t->server_str,
		    strerror(errno));
		goto fail;
	}
	if (o->verbose)
		log_info("sent a close request to %s port %s", t->server_str,
		    kport);
	copy = (struct copy){ t->fd, o->server, dg, dlen };
	send_copies(&copy, 1, rs, effort, rq.timestamp, o->verbose);
	remember(t, kport, &rq);
	return;
fail:
	log_warn("--close-on-exit: no close sent; the grant lasts until it "
	    "expires");
}

static int
relay(int fd)
{
	int r;

	signal(SIGPIPE, SIG_IGN);	/* a closed reader is EPIPE */
	r = conn_relay(fd);

	close(fd);
	return r == 0 ? 0 : EXIT_RELAY;
}

/* Servers entries with * or ? stand for the rc file's stanzas whose
 * plain names (no pattern) they match, in file order. */
struct sections {
	const char	 *pat;
	char		(*out)[CONF_NAME_MAX];
	size_t		  n, max;
};

static int
section_cb(void *arg, const struct conf_line *l)
{
	struct sections *sc = arg;
	size_t i;

	if (!l->is_section || strpbrk(l->section, "*?!, \t") != NULL ||
	    strcmp(l->section, "default") == 0 ||
	    !pattern_match(sc->pat, l->section))
		return 0;
	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->out[i], l->section) == 0)
			return 0;
	if (sc->n == sc->max)
		return SK_ERR_TOO_LONG;
	snprintf(sc->out[sc->n++], CONF_NAME_MAX, "%s", l->section);
	return 0;
}

static int
expand_servers(const struct opts *o, char **names, size_t *n)
{
	static char found[SK_SET_MAX][CONF_NAME_MAX];
	char *out[SK_SET_MAX];
	char path[4096];
	struct sections sc = { NULL, found, 0, SK_SET_MAX };
	size_t i, k = 0, from;

	for (i = 0; i < *n; i++) {
		if (strpbrk(names[i], "*?") == NULL) {
			if (k == SK_SET_MAX)
				goto many;
			out[k++] = names[i];
			continue;
		}
		if (!rc_path(o, path, sizeof(path)))
			continue;
		sc.pat = names[i];
		from = sc.n;
		if (conf_read(path, CONF_PERM_NOT_WRITABLE, section_cb,
		    &sc) != 0)
			goto many;
		for (; from < sc.n; from++) {
			if (k == SK_SET_MAX)
				goto many;
			out[k++] = found[from];
		}
	}
	memcpy(names, out, k * sizeof(out[0]));
	*n = k;
	return 0;
many:
	log_err("Servers: more than %d servers, or the rc file cannot be read",
	    SK_SET_MAX);
	return -1;
}

/* One member of a group: its own stanza's Server, Port and ServerKey. */
struct member {
	struct opts		 o;
	struct sk_server_key	 sk;
	struct knock_target	 t;
	const char		*port;
	uint8_t			 dg[SK_DATAGRAM_MAX];
	size_t			 dlen;
};

static void
opts_free(struct opts *o)
{
	while (o->n_owned > 0)
		free(o->owned[--o->n_owned]);
}

/* Each name's stanza (cmd: the command line's options alone), its key
 * and its target; every one must bind the same address. */
static int
members_open(const struct opts *cmd, const struct opts *o, char **names,
    size_t n, struct member *m, struct sk_request *rq)
{
	struct sk_request probe;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	long v;
	size_t i;

	for (i = 0; i < n; i++) {
		m[i].o = *cmd;
		m[i].o.name = names[i];
		m[i].o.server = m[i].o.server_key = NULL;
		m[i].t.fd = -1;
		if (read_rc(&m[i].o) != 0)
			return -1;
		if (m[i].o.server == NULL)
			m[i].o.server = names[i];
		else if (expand_server(&m[i].o, names[i]) != 0)
			return -1;
		m[i].port = m[i].o.port != NULL ? m[i].o.port : "62201";
		if (parse_num("port", m[i].port, 1, 65535, &v) != 0)
			return -1;
		if (m[i].o.server_key == NULL) {
			log_err("%s: no server key: a group takes each server's "
			    "ServerKey from its stanza in ~/.sigknockrc",
			    names[i]);
			return -1;
		}
		if (serverkey_parse_public(m[i].o.server_key, m[i].sk.pk) != 0 ||
		    wire_server_key_init(&m[i].sk, NULL) != 0)
			return -1;
		if (target_open(m[i].o.server, m[i].port, o->family,
		    &m[i].t) != 0)
			return -1;
		probe = *rq;
		if (bind_address(o, &m[i].t, &probe) != 0)
			return -1;
		if (i == 0) {
			*rq = probe;
			continue;
		}
		if (probe.addr_family != rq->addr_family ||
		    memcmp(probe.addr, rq->addr, 16) != 0) {
			log_err("one signature binds one address, and %s sees "
			    "you as %s, %s as %s: knock them apart, or bind one "
			    "address with -a", names[0], rq->addr_family ==
			    SK_ADDR_SOURCE ? "source" : sk_addr_str(
			    rq->addr_family == SK_ADDR_IPV4 ? AF_INET : AF_INET6,
			    rq->addr, a, sizeof(a)), names[i],
			    probe.addr_family == SK_ADDR_SOURCE ? "source" :
			    sk_addr_str(probe.addr_family == SK_ADDR_IPV4 ?
			    AF_INET : AF_INET6, probe.addr, b, sizeof(b)));
			return -1;
		}
	}
	return 0;
}

/* sigknock SERVER SERVER... or a stanza with Servers: one request for
 * the set of their keys (PROTOCOL.md 3.4), signed once, sealed and sent
 * to each.  With -W, the connection goes where -W says, and the knock
 * is sent again halfway to the member -W names (else the first). */
static int
knock_group(const struct opts *cmd, struct opts *o, char **names, size_t n,
    long effort, const struct resend *rs, long connect_timeout,
    const struct token_ops *tops)
{
	struct copy copies[SK_SET_MAX];
	uint8_t digests[SK_SET_MAX][SK_DIGEST_LEN];
	uint8_t proof[SK_SET_DEPTH_MAX][SK_DIGEST_LEN];
	uint8_t inner[SK_INNER_MAX], sig[SK_SIG_MAX];
	char chost[1024], cport[16];
	struct conn_target ct;
	struct sk_request rq;
	struct member *m;
	size_t i, w = 0, ulen, siglen;
	pid_t cpid = 0;
	int fd, status = 1;

	if (n > SK_SET_MAX) {
		log_err("more than %d servers in one group", SK_SET_MAX);
		return 2;
	}
	if (cmd->server_key != NULL) {
		log_err("--server-key names one server's key: a group takes each "
		    "server's ServerKey from its stanza in ~/.sigknockrc");
		return 2;
	}
	if ((m = calloc(n, sizeof(*m))) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		m[i].t.fd = -1;
	if (build_request(o, &m[0].sk, &rq) != 0) {
		status = 2;
		goto out;
	}
	if (o->connect != NULL) {
		if (conn_split(o->connect, chost, sizeof(chost), cport,
		    sizeof(cport)) != 0 || conn_resolve(chost, cport, o->family,
		    &ct) != 0)
			goto out;
		o->family = ct.family;
	}
	/* Where to, and which address: before any PIN or touch. */
	if (members_open(cmd, o, names, n, m, &rq) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		memcpy(digests[i], m[i].sk.digest, SK_DIGEST_LEN);
		if (o->connect != NULL && (strcmp(names[i], chost) == 0 ||
		    strcmp(m[i].o.server, chost) == 0))
			w = i;
	}
	if (wire_set_root((const uint8_t (*)[SK_DIGEST_LEN])digests, n,
	    rq.server_digest) != 0 || request_set_group(&rq, (unsigned)n) != 0) {
		log_err("cannot form the set of %zu servers", n);
		goto out;
	}
	if (sign_request(o, tops, &rq, inner, &ulen, sig, &siglen) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (wire_set_proof((const uint8_t (*)[SK_DIGEST_LEN])digests, n,
		    i, proof) != 0 || seal_for(&rq, inner, ulen, sig, siglen,
		    &m[i].sk, (unsigned)i, (const uint8_t (*)[SK_DIGEST_LEN])proof,
		    effort, o->test || rs->n == 0, m[i].dg, &m[i].dlen) != 0)
			goto out;
		rq.set_index = (uint8_t)i;
		if (o->save_packet != NULL) {
			char path[4096];

			snprintf(path, sizeof(path), "%s.%zu", o->save_packet,
			    i + 1);
			if (save_packet(path, m[i].dg, m[i].dlen) != 0)
				goto out;
		}
		if (o->test) {
			show(&rq, &m[i].t, m[i].port, (unsigned)effort, m[i].dg,
			    m[i].dlen);
			continue;
		}
		if (send(m[i].t.fd, m[i].dg, m[i].dlen, 0) !=
		    (ssize_t)m[i].dlen) {
			log_err("cannot send to %s (%s): %s", names[i],
			    m[i].t.server_str, strerror(errno));
			goto out;
		}
		if (o->verbose)
			log_info("sent %zu bytes to %s port %s", m[i].dlen,
			    m[i].t.server_str, m[i].port);
		copies[i] = (struct copy){ m[i].t.fd, names[i], m[i].dg,
		    m[i].dlen };
	}
	status = 0;
	if (!o->test)
		cpid = send_copies(copies, n, rs, effort, rq.timestamp,
		    o->verbose);
	if (o->connect != NULL && !o->test) {
		fd = wait_open(&ct, &m[w].t, m[w].dg, m[w].dlen,
		    connect_timeout);
		end_copies(cpid);
		if (fd < 0)
			status = EXIT_NOT_OPENED;
		else
			status = relay(fd);
	}
out:
	for (i = 0; i < n; i++) {
		target_close(&m[i].t);
		wire_server_key_wipe(&m[i].sk);
		opts_free(&m[i].o);
	}
	free(m);
	return status;
}

/* --import-fwknoprc [FILE]: ~/.fwknoprc (or FILE) as a new ~/.sigknockrc
 * (or --rc FILE), never over an existing one; -p gives sigknockd's
 * port. */
static int
map_rc(const struct fwk_conf *c, void *arg, FILE *out)
{
	return fwk_import_rc(c, arg, out);
}

static int
import_fwknoprc(const struct opts *o, const char *in)
{
	struct fwk_rc_import im;
	char inpath[4096], outpath[4096], *text;
	const char *home = getenv("HOME");
	size_t len;
	long v;
	int r;

	memset(&im, 0, sizeof(im));
	if (o->port != NULL && parse_num("port", o->port, 1, 65535, &v) != 0)
		return 2;
	im.port = o->port;
	if (in == NULL && home == NULL) {
		log_err("no HOME: name the .fwknoprc to import");
		return 1;
	}
	if (in != NULL)
		snprintf(inpath, sizeof(inpath), "%s", in);
	else
		snprintf(inpath, sizeof(inpath), "%s/.fwknoprc", home);
	if (!rc_path(o, outpath, sizeof(outpath))) {
		log_err("no HOME: give the file to write with --rc FILE");
		return 1;
	}
	if (access(outpath, F_OK) == 0) {
		log_err("%s exists; it is never overwritten: write another "
		    "with --rc FILE and merge the two", outpath);
		return 1;
	}
	if (fwk_convert(inpath, 1, map_rc, &im, &text, &len) != 0)
		return 1;
	r = file_write_new(outpath, text, len, 0600) == 0 ? 0 : 1;
	free(text);
	if (r == 0)
		fprintf(stderr, "sigknock: wrote %s: %zu stanza%s; %zu line%s "
		    "need%s you, %zu not imported, %zu stricter in sigknock "
		    "(each said above)\n", outpath, im.stanzas,
		    im.stanzas == 1 ? "" : "s", im.tally.n[FWK_PERSON],
		    im.tally.n[FWK_PERSON] == 1 ? "" : "s",
		    im.tally.n[FWK_PERSON] == 1 ? "s" : "",
		    im.tally.n[FWK_NOT_IMPORTED], im.tally.n[FWK_STRICTER]);
	return r;
}

int
main(int argc, char **argv)
{
	enum { OPT_SERVER_KEY = 256, OPT_SIGNER, OPT_TOKEN, OPT_TIMEOUT,
	    OPT_TEST, OPT_SAVE, OPT_RC, OPT_CRED, OPT_FIDO_DEV, OPT_TOUCH,
	    OPT_READER, OPT_PIN_FD, OPT_STUN, OPT_CONNECT_TIMEOUT,
	    OPT_TIME_OFFSET, OPT_WORK, OPT_RESEND, OPT_STUN_CA,
	    OPT_STUN_INSECURE, OPT_IMPORT_FWKNOPRC, OPT_CLOSE, OPT_CLOSE_ON_EXIT };
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
		{ "stun-ca", required_argument, NULL, OPT_STUN_CA },
		{ "stun-insecure", no_argument, NULL, OPT_STUN_INSECURE },
		{ "connect-timeout", required_argument, NULL,
		    OPT_CONNECT_TIMEOUT },
		{ "time-offset", required_argument, NULL, OPT_TIME_OFFSET },
		{ "work", required_argument, NULL, OPT_WORK },
		{ "resend", required_argument, NULL, OPT_RESEND },
		{ "import-fwknoprc", no_argument, NULL, OPT_IMPORT_FWKNOPRC },
		{ "close", no_argument, NULL, OPT_CLOSE },
		{ "close-on-exit", no_argument, NULL, OPT_CLOSE_ON_EXIT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct opts o;	/* static: opts_at_exit frees its strings */
	static struct opts cmd;	/* the command line's alone, for a group */
	struct sk_server_key sk;
	struct sk_request rq;
	const struct token_ops *tops;
	struct knock_target t = { -1, 0, { 0 }, { 0 }, "" };
	struct conn_target ct;
	uint8_t inner[SK_INNER_MAX], sig[SK_SIG_MAX];
	uint8_t dg[SK_DATAGRAM_MAX];
	char chost[1024], cport[16], caccess[32], *names[SK_SET_MAX + 1];
	char gbuf[CONF_LINE_MAX];
	const char *kport;
	struct resend rs;
	struct copy copy;
	char why[160];
	pid_t cpid;
	size_t ulen, siglen, dlen, nnames = 0;
	long v, connect_timeout = CONNECT_TIMEOUT_S, effort = SK_WORK_DEFAULT;
	int c, fd, err, status = 1, import_rc = 0;

	memset(&o, 0, sizeof(o));
	o.family = AF_UNSPEC;
	opts_owner = &o;
	atexit(opts_at_exit);
	sk_log_init("sigknock", 1, LOG_NOTICE);
	while ((c = getopt_long(argc, argv, "n:A:a:sp:W:46vhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'n': o.stanza = optarg; break;
		case 'A': o.access = optarg; break;
		case 'a': o.address = optarg; break;
		case 's': o.address = "source"; break;
		case 'p': o.port = optarg; break;
		case 'W': o.connect = optarg; break;
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
		case OPT_STUN_CA: o.stun_ca = optarg; break;
		case OPT_STUN_INSECURE: o.stun_insecure = "yes"; break;
		case OPT_CONNECT_TIMEOUT: o.connect_timeout = optarg; break;
		case OPT_TIME_OFFSET: o.time_offset = optarg; break;
		case OPT_WORK: o.work = optarg; break;
		case OPT_RESEND: o.resend = optarg; break;
		case OPT_IMPORT_FWKNOPRC: import_rc = 1; break;
		case OPT_CLOSE: o.close = 1; break;
		case OPT_CLOSE_ON_EXIT: o.close_on_exit = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sigknock %s\n", PACKAGE_VERSION); return 0;
		default: return sk_usage_error(SYNOPSIS, NULL);
		}
	}
	if (import_rc) {
		if (argc - optind > 1)
			return sk_usage_error(SYNOPSIS, "--import-fwknoprc "
			    "takes one file");
		return import_fwknoprc(&o, optind < argc ? argv[optind] :
		    NULL);
	}
	if (argc - optind > SK_SET_MAX)
		return sk_usage_error(SYNOPSIS, "more than %d servers",
		    SK_SET_MAX);
	/* Several servers: one signature for all (a group); the request's
	 * settings come from the command line and the first one's stanza. */
	for (; optind + (int)nnames < argc; nnames++)
		names[nnames] = argv[optind + nnames];
	if (optind < argc)
		o.name = argv[optind];
	if (nnames > 1 && o.stanza != NULL)
		return sk_usage_error(SYNOPSIS, "-n and several servers do not "
		    "go together");
	if (o.close && (o.connect != NULL || o.access != NULL ||
	    o.timeout != NULL))
		return sk_usage_error(SYNOPSIS, "--close ends all your grants "
		    "for the address: no -W, -A or --timeout with it");
	if (o.close_on_exit && (o.connect == NULL || nnames > 1))
		return sk_usage_error(SYNOPSIS, "--close-on-exit goes with -W "
		    "and one server");
	cmd = o;
	if (o.connect != NULL) {
		if (o.test)
			return sk_usage_error(SYNOPSIS, "-W and --test do not "
			    "go together");
		if (conn_split(o.connect, chost, sizeof(chost), cport,
		    sizeof(cport)) != 0 ||
		    parse_num("-W port", cport, 1, 65535, &v) != 0)
			return 2;
		/* -W HOST:PORT knocks for tcp/PORT unless -A says more. */
		if (o.access == NULL) {
			snprintf(caccess, sizeof(caccess), "tcp/%s", cport);
			o.access = caccess;
		}
		if (o.name == NULL)
			o.name = chost;
	}
	/* With -n, SERVER on the command line overrides the stanza's. */
	if (o.stanza != NULL && optind < argc)
		o.server = argv[optind];
	if (read_rc(&o) != 0)
		return 1;
	/* A stanza with Servers names a group. */
	if (nnames <= 1 && o.servers != NULL) {
		snprintf(gbuf, sizeof(gbuf), "%s", o.servers);
		nnames = (size_t)conf_split(gbuf, names, SK_SET_MAX);
		if (expand_servers(&o, names, &nnames) != 0)
			return 1;
		if (nnames < 2) {
			log_err("Servers %s: %zu server%s; a group has at least 2",
			    o.servers, nnames, nnames == 1 ? "" : "s");
			return 1;
		}
	}
	/* Only the file's Server takes %h: a name on the command line is
	 * used as given (an IPv6 zone, fe80::1%eth0, has a percent sign). */
	if (o.server == NULL)
		o.server = o.name;
	else if (o.stanza == NULL || optind >= argc)
		if (expand_server(&o, o.name != NULL ? o.name : o.stanza) != 0)
			return 1;
	kport = o.port ? o.port : "62201";
	/* Every value is checked before anything else is done. */
	if (o.port != NULL && parse_num("port", o.port, 1, 65535, &v) != 0)
		return 2;
	if (o.pin_fd != NULL && parse_num("pin fd", o.pin_fd, 0, 1023,
	    &v) != 0)
		return 2;
	if (o.touch_timeout != NULL && parse_num("touch timeout",
	    o.touch_timeout, 1, 3600, &v) != 0)
		return 2;
	if (o.connect_timeout != NULL && parse_num("connect timeout",
	    o.connect_timeout, 1, 3600, &connect_timeout) != 0)
		return 2;
	if (o.work != NULL && parse_num("work", o.work, 0, WORK_MAX,
	    &effort) != 0)
		return 2;
	if (parse_resend(o.resend != NULL ? o.resend : RESEND_DEFAULT, &rs,
	    why, sizeof(why)) != 0) {
		log_err("resend: %s", why);
		return 2;
	}
	set_gpg_tty(o.verbose);
	if (nnames > 1) {
		if (crypto_init() != 0)
			return 1;
		if ((tops = token_find(o.token ? o.token : "gpg")) == NULL) {
			log_err("unknown token '%s' (this build has: %s)",
			    o.token, token_names());
			return 2;
		}
		return knock_group(&cmd, &o, names, nnames, effort, &rs,
		    connect_timeout, tops);
	}
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
	/* Where to, and which address to bind: before any PIN or touch.
	 * -W knocks over the family its connection will use. */
	if (o.connect != NULL) {
		if (conn_resolve(chost, cport, o.family, &ct) != 0)
			goto out;
		o.family = ct.family;
	}
	if (o.server != NULL && target_open(o.server, kport, o.family,
	    &t) != 0)
		goto out;
	if (bind_address(&o, o.server != NULL ? &t : NULL, &rq) != 0)
		goto out;
	if (o.connect != NULL && still_granted(&t, kport, &rq, &ct)) {
		log_info("the grant asked for earlier should still be open: "
		    "trying %s first", ct.str);
		if ((fd = conn_try(&ct, PROBE_MS, &err)) >= 0) {
			status = relay(fd);
			goto out;
		}
		log_info("%s: %s; knocking", ct.str, err == ETIMEDOUT ?
		    "no answer" : strerror(err));
	}

	if (sign_request(&o, tops, &rq, inner, &ulen, sig, &siglen) != 0 ||
	    seal_for(&rq, inner, ulen, sig, siglen, &sk, 0, NULL, effort,
	    o.test || rs.n == 0, dg, &dlen) != 0)
		goto out;
	if (o.save_packet != NULL && save_packet(o.save_packet, dg, dlen) != 0)
		goto out;
	if (o.test) {
		show(&rq, &t, kport, (unsigned)effort, dg, dlen);
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
		    kport);
	status = 0;
	copy = (struct copy){ t.fd, o.server, dg, dlen };
	cpid = send_copies(&copy, 1, &rs, effort, rq.timestamp, o.verbose);
	if (o.connect != NULL) {
		fd = wait_open(&ct, &t, dg, dlen, connect_timeout);
		end_copies(cpid);
		if (fd < 0) {
			status = EXIT_NOT_OPENED;
			goto out;
		}
		remember(&t, kport, &rq);
		status = relay(fd);
		if (o.close_on_exit)
			close_after(&o, tops, &t, kport, &rq, &sk, &rs, effort);
	} else
		remember(&t, kport, &rq);
out:
	target_close(&t);
	wire_server_key_wipe(&sk);
	return status;
}
