#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "import-fwknop.h"
#include "log.h"

#define PORTS_MAX	64	/* an access file's Open */
#define SOURCES_MAX	32	/* and Source */
#define IDS_MAX		64	/* and Users */

struct port {
	uint8_t		proto;
	uint16_t	port;
};

/* Keywords with no counterpart, and why. */
static const struct fwk_why unmapped[] = {
	{ "ENCRYPTION_MODE", "sigknock seals every knock to the server's own "
	    "key (HPKE); there is no cipher to choose" },
	{ "HMAC_DIGEST_TYPE", "sigknock needs no shared HMAC key; each knock "
	    "is signed by its user's own key" },
	{ "GPG_DECRYPT_ID", "the server's own key opens knocks: make it with "
	    "'sigknock-keys init-server', with no passphrase to store" },
	{ "GPG_DECRYPT_PW", "the server's own key opens knocks: make it with "
	    "'sigknock-keys init-server', with no passphrase to store" },
	{ "GPG_ALLOW_NO_PW", "the server's own key opens knocks: make it with "
	    "'sigknock-keys init-server', with no passphrase to store" },
	{ "GPG_EXE", "sigknockd verifies signatures in process and runs no "
	    "gpg" },
	{ "ENABLE_CMD_EXEC", "sigknockd runs no command for a knock: a daemon "
	    "that parses hostile datagrams as root should not; use ssh's "
	    "ForceCommand, or a service on the opened port" },
	{ "ENABLE_CMD_SUDO_EXEC", "sigknockd runs no command for a knock; use "
	    "ssh's ForceCommand, or a service on the opened port" },
	{ "CMD_EXEC_USER", "sigknockd runs no command for a knock" },
	{ "CMD_EXEC_GROUP", "sigknockd runs no command for a knock" },
	{ "CMD_SUDO_EXEC_USER", "sigknockd runs no command for a knock" },
	{ "CMD_SUDO_EXEC_GROUP", "sigknockd runs no command for a knock" },
	{ "CMD_CYCLE_OPEN", "sigknockd opens ports in its own firewall table "
	    "(nftables or iptables) and the kernel ends each grant; it runs "
	    "no commands" },
	{ "CMD_CYCLE_CLOSE", "sigknockd opens ports in its own firewall table "
	    "and the kernel ends each grant; it runs no commands" },
	{ "CMD_CYCLE_TIMER", "a grant lasts Timeout seconds (the request may "
	    "ask for up to MaxTimeout)" },
	{ "REQUIRE_USERNAME", "the user name in an fwknop packet is whatever "
	    "the client says; sigknock knows users by their own keys (Users)" },
	{ "DISABLE_DNAT", "sigknock forwards without DNAT when a Forward port "
	    "has no 'via' (routed)" },
	{ "FORWARD_ALL", "sigknock forwards only the ports Forward names: "
	    "list them" },
	{ NULL, NULL },
};

static int
cidr_from(const char *tok, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN], *slash;
	uint8_t buf[16];
	struct in_addr m;
	unsigned long bits;
	uint32_t v;
	char *end;
	int fam;

	if (strlen(tok) >= sizeof(addr))
		return -1;
	snprintf(addr, sizeof(addr), "%s", tok);
	if ((slash = strchr(addr, '/')) != NULL)
		*slash++ = '\0';
	fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, addr, buf) != 1)
		return -1;
	if (slash == NULL) {
		snprintf(out, len, "%s", addr);
		return 0;
	}
	/* fwknopd takes a netmask (a.b.c.d) after the '/' as well as a
	 * prefix length. */
	if (fam == AF_INET && strchr(slash, '.') != NULL) {
		if (inet_pton(AF_INET, slash, &m) != 1)
			return -1;
		v = ntohl(m.s_addr);
		if (v != 0 && (~v & (~v + 1)) != 0)
			return -1;	/* not contiguous */
		for (bits = 0; v & 0x80000000u; v <<= 1)
			bits++;
	} else {
		bits = strtoul(slash, &end, 10);
		if (*slash < '0' || *slash > '9' || *end != '\0' ||
		    bits > (fam == AF_INET ? 32u : 128u))
			return -1;
	}
	snprintf(out, len, "%s/%lu", addr, bits);
	return 0;
}

static int
add_port(struct port *p, size_t *n, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (p[i].proto == proto && p[i].port == port)
			return 0;
	if (*n == PORTS_MAX)
		return -1;
	p[*n].proto = proto;
	p[(*n)++].port = port;
	return 0;
}

/* "tcp/22, udp/1194": 0, or -1 with the bad entry in bad. */
static int
parse_ports(const char *val, struct port *p, size_t *n, char *bad,
    size_t badlen)
{
	char buf[FWK_LINE_MAX], *items[PORTS_MAX + 1];
	uint8_t proto;
	uint16_t port;
	int k, i;

	snprintf(buf, sizeof(buf), "%s", val);
	if ((k = conf_split(buf, items, PORTS_MAX)) <= 0) {
		snprintf(bad, badlen, "more than %d ports", PORTS_MAX);
		return -1;
	}
	for (i = 0; i < k; i++)
		if (conf_parse_access(items[i], &proto, &port) != 0 ||
		    add_port(p, n, proto, port) != 0) {
			snprintf(bad, badlen, "'%s' is not tcp/PORT or "
			    "udp/PORT", items[i]);
			return -1;
		}
	return 0;
}

static const char *
proto_name(uint8_t proto)
{
	return proto == 6 ? "tcp" : "udp";
}

/* fwknopd's ACCESS_EXPIRE, MM/DD/YYYY: midnight at the start of that
 * day, local time (mktime), as fwknopd reads it on this host. */
static int
expire_date(const char *val, int64_t *out)
{
	unsigned mo, d, y;
	struct tm tm;
	char rest;
	time_t t;

	if (sscanf(val, "%2u/%2u/%4u%c", &mo, &d, &y, &rest) != 3 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (y < 100)
		y += 2000;	/* fwknopd: two digits are this century's */
	if (y < 1970 || y > 9999)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1 || tm.tm_mday != (int)d)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int
expire_epoch(const char *val, int64_t *out)
{
	unsigned long long v;
	char *end;

	v = strtoull(val, &end, 10);
	if (*val < '0' || *val > '9' || *end != '\0' || v > 253402300799ULL)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int
seconds(const char *val, unsigned long *out)
{
	char *end;

	*out = strtoul(val, &end, 10);
	return *val >= '0' && *val <= '9' && *end == '\0' && *out >= 1 &&
	    *out <= 65535 ? 0 : -1;
}

static int
bad(const struct fwk_item *it, const char *what)
{
	log_err("%s:%u: %s: %s", it->file, it->lineno, it->key, what);
	return SK_ERR_BAD_FIELD;
}

/* Lines that hold a shared secret, and lines the stanza maps. */
static const char *const secret_keys[] = { "KEY", "KEY_BASE64", "HMAC_KEY",
    "HMAC_KEY_BASE64", "%include_keys", NULL };
static const char *const mapped_keys[] = { "SOURCE", "OPEN_PORTS",
    "RESTRICT_PORTS", "FW_ACCESS_TIMEOUT", "MAX_FW_TIMEOUT",
    "REQUIRE_SOURCE_ADDRESS", "REQUIRE_SOURCE", "ACCESS_EXPIRE",
    "ACCESS_EXPIRE_EPOCH", "GPG_REMOTE_ID", "GPG_FINGERPRINT_ID",
    "FORCE_NAT", "FORCE_SNAT", "FORCE_MASQUERADE", "DESTINATION",
    "GPG_HOME_DIR", "GPG_REQUIRE_SIG", "GPG_DISABLE_SIG",
    "GPG_IGNORE_SIG_VERIFY_ERROR", NULL };

/* Report every line that does not map, in the file's order. */
static int
report_unmapped(const struct fwk_stanza *s, struct fwk_import *im)
{
	const struct fwk_item *it;
	const char *why;
	size_t i;
	int secret = 0;

	for (i = 0; i < s->n; i++) {
		it = &s->items[i];
		if (fwk_key_in(it->key, secret_keys)) {
			secret = 1;
			continue;
		}
		if (fwk_key_in(it->key, mapped_keys))
			continue;
		if ((why = fwk_why(unmapped, it->key)) == NULL)
			why = "not an fwknopd keyword (fwknopd ignores it too)";
		fwk_report(&im->tally, FWK_NOT_IMPORTED, it->file, it->lineno,
		    it->key, "%s", why);
	}
	return secret;
}

/* One stanza, index n (from 1), into out. */
static int
stanza(const struct fwk_stanza *s, size_t n, struct fwk_import *im,
    FILE *out)
{
	const struct fwk_item *it, *src, *req;
	struct port open[PORTS_MAX], restrict_[PORTS_MAX];
	size_t nopen = 0, nrestrict = 0, nusers = 0, i, j;
	char name[CONF_NAME_MAX], why[FWK_LINE_MAX + 64], cidr[64];
	char buf[FWK_LINE_MAX], *items[IDS_MAX + 1], *body = NULL;
	char *person = NULL, tok[128], *users = NULL, *notes = NULL;
	size_t bodylen = 0, personlen = 0, userslen = 0, noteslen = 0;
	FILE *b = NULL, *p = NULL, *u = NULL, *nb = NULL;
	const char *home;
	unsigned long timeout = 0, maxt = 0;
	int64_t expires = 0;
	int k, any = 0, secret, r = SK_ERR_BAD_FIELD, gpg;

	snprintf(name, sizeof(name), "fwknop-%zu", n);
	if ((b = open_memstream(&body, &bodylen)) == NULL ||
	    (p = open_memstream(&person, &personlen)) == NULL ||
	    (u = open_memstream(&users, &userslen)) == NULL ||
	    (nb = open_memstream(&notes, &noteslen)) == NULL) {
		r = SK_ERR_ALLOC;
		goto out;
	}
	secret = report_unmapped(s, im);

	/* Who: the GnuPG keys GPG_REMOTE_ID and GPG_FINGERPRINT_ID name. */
	home = im->gpg_home;
	if (home == NULL && (it = fwk_get(s, "GPG_HOME_DIR")) != NULL)
		home = it->val;
	if (home == NULL)
		home = "/root/.gnupg";	/* fwknopd's default */
	gpg = 0;
	for (i = 0; i < s->n; i++) {
		it = &s->items[i];
		if (strcasecmp(it->key, "GPG_REMOTE_ID") != 0 &&
		    strcasecmp(it->key, "GPG_FINGERPRINT_ID") != 0)
			continue;
		gpg = 1;
		snprintf(buf, sizeof(buf), "%s", it->val);
		if ((k = conf_split(buf, items, IDS_MAX)) <= 0) {
			r = bad(it, "more keys than a stanza's Users holds");
			goto out;
		}
		for (j = 0; j < (size_t)k; j++) {
			if (nusers == IDS_MAX) {
				r = bad(it, "more keys than a stanza's Users "
				    "holds");
				goto out;
			}
			if (im->user_key(im->arg, home, items[j], tok,
			    sizeof(tok)) != 0) {
				fwk_report(&im->tally, FWK_PERSON, it->file,
				    it->lineno, it->key, "the key '%s' in %s "
				    "could not be added (above); its user "
				    "needs a key sigknockd accepts", items[j],
				    home);
				fprintf(nb, "# %s:%u: key %s could not be "
				    "added: its user needs a key sigknockd "
				    "accepts\n", it->file, it->lineno,
				    items[j]);
				continue;
			}
			fprintf(u, "%s%s", nusers ? ", " : "", tok);
			nusers++;
		}
	}
	if (secret && !gpg)
		fprintf(p, "#   fwknop shared one key (KEY/HMAC_KEY) among "
		    "everyone who knew it; sigknock has one key per person.\n"
		    "#   Add each person's key with 'sigknock-keys add', name "
		    "them in Users,\n#   uncomment the stanza, and retire "
		    "the shared key.\n");
	else if (secret)
		fwk_report(&im->tally, FWK_NOT_IMPORTED, s->file, s->lineno,
		    "KEY", "this stanza also took a shared key (KEY/HMAC_KEY): "
		    "anyone who knew it must get a key of their own");
	if (!gpg && !secret) {
		fwk_report(&im->tally, FWK_PERSON, s->file, s->lineno,
		    "GPG_REMOTE_ID", "none: fwknopd took a signature by any "
		    "key of its GnuPG home; [%s] is written commented out, "
		    "with Users to fill in", name);
		fprintf(p, "#   fwknopd took any key of its GnuPG home that "
		    "signs; name the users.\n");
	}
	if (secret && !gpg)
		fwk_report(&im->tally, FWK_PERSON, s->file, s->lineno, "KEY",
		    "a shared key has no owner to name: [%s] is written "
		    "commented out, to fill in with each person's key", name);
	fflush(u);

	/* Where from. */
	if ((src = fwk_get(s, "SOURCE")) != NULL) {
		snprintf(buf, sizeof(buf), "%s", src->val);
		if ((k = conf_split(buf, items, SOURCES_MAX)) <= 0) {
			r = bad(src, "more than 32 addresses");
			goto out;
		}
		for (j = 0; j < (size_t)k; j++)
			if (strcasecmp(items[j], "ANY") == 0)
				any = 1;
		fprintf(b, "Source     ");
		for (j = 0; !any && j < (size_t)k; j++) {
			if (cidr_from(items[j], cidr, sizeof(cidr)) != 0) {
				snprintf(why, sizeof(why), "'%s' is not an "
				    "address, ADDR/BITS nor ADDR/NETMASK",
				    items[j]);
				r = bad(src, why);
				goto out;
			}
			fprintf(b, "%s%s", j ? ", " : "", cidr);
		}
		fprintf(b, "%s\n", any ? "any" : "");
	}

	/* What. */
	if ((it = fwk_get(s, "OPEN_PORTS")) != NULL &&
	    parse_ports(it->val, open, &nopen, why, sizeof(why)) != 0) {
		r = bad(it, why);
		goto out;
	}
	if ((it = fwk_get(s, "RESTRICT_PORTS")) != NULL) {
		if (parse_ports(it->val, restrict_, &nrestrict, why,
		    sizeof(why)) != 0) {
			r = bad(it, why);
			goto out;
		}
		for (i = 0; i < nrestrict; i++)
			for (j = 0; j < nopen; j++)
				if (open[j].proto == restrict_[i].proto &&
				    open[j].port == restrict_[i].port) {
					/* in order: the first is Default */
					memmove(&open[j], &open[j + 1],
					    (--nopen - j) * sizeof(open[0]));
					break;
				}
	}
	if (fwk_get(s, "OPEN_PORTS") == NULL) {
		fwk_report(&im->tally, FWK_PERSON, s->file, s->lineno,
		    "OPEN_PORTS", "none: fwknop let these users open any port "
		    "(but RESTRICT_PORTS); sigknock needs the list: [%s] is "
		    "written commented out, with Open to fill in", name);
		fprintf(p, "#   fwknop let these users open any port; list "
		    "them in Open.\n");
		fprintf(b, "Open       tcp/PORT\n");
	} else if (nopen == 0) {
		fwk_report(&im->tally, FWK_PERSON, s->file, s->lineno,
		    "RESTRICT_PORTS", "takes away every port of OPEN_PORTS: "
		    "[%s] opens nothing and is written commented out", name);
		fprintf(p, "#   RESTRICT_PORTS takes away every port.\n");
	} else if ((it = fwk_get(s, "FORCE_NAT")) != NULL) {
		char ip[INET6_ADDRSTRLEN + 1], rest;
		unsigned port;
		uint8_t a[4];

		if (sscanf(it->val, "%46s %5u %c", ip, &port, &rest) != 2 ||
		    inet_pton(AF_INET, ip, a) != 1 || port < 1 ||
		    port > 65535) {
			r = bad(it, "need IP PORT");
			goto out;
		}
		if (nopen != 1) {
			fwk_report(&im->tally, FWK_PERSON, it->file,
			    it->lineno, it->key, "sends %zu ports to one "
			    "internal port; sigknock's Forward leads each "
			    "port of this host to its own: write one "
			    "Forward per port", nopen);
			fprintf(p, "#   FORCE_NAT: one Forward per port.\n");
		}
		for (i = 0; i < nopen; i++)
			fprintf(b, "Forward    %s %s %s/%u via %u\n", name, ip,
			    proto_name(open[i].proto), port, open[i].port);
		fprintf(b, "# Clients knock with: sigknock -A @%s SERVER\n",
		    name);
		if ((it = fwk_get(s, "FORCE_SNAT")) != NULL) {
			fprintf(b, "Masquerade yes\n");
			fwk_report(&im->tally, FWK_NOT_IMPORTED, it->file,
			    it->lineno, it->key, "mapped to Masquerade yes: "
			    "sigknock uses the outgoing interface's address, "
			    "not %s", it->val);
		} else if ((it = fwk_get(s, "FORCE_MASQUERADE")) != NULL &&
		    fwk_yes(it->val))
			fprintf(b, "Masquerade yes\n");
	} else {
		fprintf(b, "Open       ");
		for (i = 0; i < nopen; i++)
			fprintf(b, "%s%s/%u", i ? ", " : "",
			    proto_name(open[i].proto), open[i].port);
		fprintf(b, "\n");
		if ((it = fwk_get(s, "FORCE_SNAT")) != NULL ||
		    ((it = fwk_get(s, "FORCE_MASQUERADE")) != NULL &&
		    fwk_yes(it->val)))
			fwk_report(&im->tally, FWK_NOT_IMPORTED, it->file,
			    it->lineno, it->key, "only with FORCE_NAT");
	}

	/* How long. */
	if ((it = fwk_get(s, "FW_ACCESS_TIMEOUT")) != NULL &&
	    seconds(it->val, &timeout) != 0) {
		r = bad(it, "not a number of seconds from 1 to 65535");
		goto out;
	}
	if ((it = fwk_get(s, "MAX_FW_TIMEOUT")) != NULL &&
	    seconds(it->val, &maxt) != 0) {
		r = bad(it, "not a number of seconds from 1 to 65535");
		goto out;
	}
	if (timeout != 0 && maxt != 0 && timeout > maxt)
		timeout = maxt;		/* fwknopd caps it so */
	if (timeout != 0)
		fprintf(b, "Timeout    %lu\n", timeout);
	if (maxt != 0)
		fprintf(b, "MaxTimeout %lu\n", maxt);
	else if (timeout > 300)
		fprintf(b, "MaxTimeout %lu\n", timeout);

	/* Until when. */
	for (i = 0; i < s->n; i++) {
		it = &s->items[i];
		if (strcasecmp(it->key, "ACCESS_EXPIRE") == 0 &&
		    expire_date(it->val, &expires) != 0) {
			r = bad(it, "not a date MM/DD/YYYY");
			goto out;
		}
		if (strcasecmp(it->key, "ACCESS_EXPIRE_EPOCH") == 0 &&
		    expire_epoch(it->val, &expires) != 0) {
			r = bad(it, "not a number of seconds since 1970");
			goto out;
		}
	}
	if (expires != 0) {
		time_t t = (time_t)expires;
		struct tm tm;
		char when[32];

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(b, "Expires    %s\n", when);
	}

	/* Which addresses: REQUIRE_SOURCE_ADDRESS Y is sigknock's
	 * default; fwknop's own default let a request name any. */
	req = NULL;
	for (i = 0; i < s->n; i++) {
		it = &s->items[i];
		if (strcasecmp(it->key, "REQUIRE_SOURCE_ADDRESS") == 0 ||
		    strcasecmp(it->key, "REQUIRE_SOURCE") == 0)
			req = it;
	}
	if (req == NULL || !fwk_yes(req->val))
		fwk_report(&im->tally, FWK_STRICTER, req ? req->file : s->file,
		    req ? req->lineno : s->lineno, "REQUIRE_SOURCE_ADDRESS",
		    "%s: fwknop let these users open any address (fwknop -a) "
		    "or the packet's source (-s); [%s] opens the sender's own "
		    "address only. Add 'AllowSourceMode yes' or "
		    "'AllowAddresses CIDR' for those who need it "
		    "(sigknock-access.conf(5), ADDRESS BINDING)", req ? "N" :
		    "not set", name);

	if ((it = fwk_get(s, "DESTINATION")) != NULL &&
	    strcasecmp(it->val, "ANY") != 0)
		fwk_report(&im->tally, FWK_NOT_IMPORTED, it->file, it->lineno,
		    it->key, "sigknockd does not check the address a knock "
		    "was sent to; choose where it listens with Interface in "
		    "sigknockd.conf");
	for (i = 0; i < s->n; i++) {
		it = &s->items[i];
		if ((strcasecmp(it->key, "GPG_DISABLE_SIG") == 0 ||
		    strcasecmp(it->key, "GPG_IGNORE_SIG_VERIFY_ERROR") == 0) &&
		    fwk_yes(it->val))
			fwk_report(&im->tally, FWK_STRICTER, it->file,
			    it->lineno, it->key, "sigknock never accepts an "
			    "unsigned or badly signed knock");
		if (strcasecmp(it->key, "GPG_REQUIRE_SIG") == 0 &&
		    !fwk_yes(it->val))
			fwk_report(&im->tally, FWK_STRICTER, it->file,
			    it->lineno, it->key, "sigknock always requires "
			    "the user's signature");
	}

	fclose(b);
	fclose(p);
	fclose(u);
	fclose(nb);
	b = p = u = nb = NULL;
	fprintf(out, "\n# From %s:%u (SOURCE %s)\n%s", s->file, s->lineno,
	    src ? src->val : "?", notes);
	if (personlen > 0 || nusers == 0) {
		fprintf(out, "# NEEDS A PERSON, so it is commented out:\n%s",
		    person);
		fprintf(out, "#[%s]\n#Users      %s\n", name, nusers ? users :
		    "NAME, ...");
		for (i = 0; i < bodylen;) {
			const char *nl = memchr(body + i, '\n', bodylen - i);
			size_t l = nl ? (size_t)(nl - (body + i)) + 1 :
			    bodylen - i;

			fprintf(out, "#%.*s", (int)l, body + i);
			i += l;
		}
		im->commented++;
	} else {
		fprintf(out, "[%s]\nUsers      %s\n%s", name, users, body);
		im->stanzas++;
		im->users += nusers;
		im->ports += nopen;
	}
	r = 0;
out:
	if (b != NULL)
		fclose(b);
	if (p != NULL)
		fclose(p);
	if (u != NULL)
		fclose(u);
	if (nb != NULL)
		fclose(nb);
	free(notes);
	free(body);
	free(person);
	free(users);
	return r;
}

int
fwk_import_access(const struct fwk_conf *c, struct fwk_import *im, FILE *out)
{
	size_t i;
	int r;

	if (c->n == 0) {
		log_err("%s: no stanza (each begins with a SOURCE line)",
		    c->nfiles ? c->files[0] : "access.conf");
		return SK_ERR_BAD_FIELD;
	}
	fprintf(out, "# sigknock access file imported from fwknopd's %s by "
	    "sigknock-keys import-fwknop.\n# Check it with 'sigknockd -t' "
	    "before use; see sigknock-access.conf(5).\n", c->files[0]);
	for (i = 0; i < c->n; i++)
		if ((r = stanza(&c->st[i], i + 1, im, out)) != 0)
			return r;
	return 0;
}
