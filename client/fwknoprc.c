#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "err.h"
#include "fwknoprc.h"
#include "log.h"
#include "wire.h"

#define OFFSET_MAX	(366L * 86400)	/* sigknock --time-offset's bound */

static const struct fwk_why unmapped[] = {
	{ "GPG_RECIPIENT", "sigknock seals knocks to the server's own key: "
	    "ServerKey, which the server's admin prints with 'sigknock-keys "
	    "pubkey'" },
	{ "GPG_HOMEDIR", "sigknock signs through GnuPG's own home: set "
	    "GNUPGHOME" },
	{ "GPG_EXE", "sigknock talks to gpg-agent itself" },
	{ "USE_GPG_AGENT", "sigknock always signs through gpg-agent" },
	{ "GPG_NO_SIGNING_PW", "gpg-agent asks for the passphrase, if any" },
	{ "ENCRYPTION_MODE", "sigknock seals every knock with HPKE; there is "
	    "no mode to choose" },
	{ "DIGEST_TYPE", "sigknock signs with the key's own algorithm" },
	{ "HMAC_DIGEST_TYPE", "sigknock has no shared HMAC key" },
	{ "USE_HMAC", "sigknock has no shared HMAC key" },
	{ "SPA_SOURCE_PORT", "sigknock sends from any port" },
	{ "RAND_PORT", "sigknockd listens on one port (Port)" },
	{ "SPOOF_USER", "sigknock knows you by your key, not by a name you "
	    "send" },
	{ "SPOOF_SOURCE_IP", "sigknock does not forge source addresses" },
	{ "NAT_ACCESS", "ask the admin for the name of the host behind the "
	    "server, and use Access tcp/PORT@NAME" },
	{ "NAT_LOCAL", "ask the admin for the name of the host behind the "
	    "server, and use Access tcp/PORT@NAME" },
	{ "NAT_PORT", "the gateway's port is the admin's Forward ... via "
	    "PORT" },
	{ "NAT_RAND_PORT", "the gateway's port is the admin's Forward ... via "
	    "PORT" },
	{ "SERVER_COMMAND", "sigknockd runs no commands" },
	{ "RESOLVE_IP_HTTP", "sigknock learns your public address from a STUN "
	    "server: set Stun stuns:HOST" },
	{ "RESOLVE_IP_HTTPS", "sigknock learns your public address from a "
	    "STUN server: set Stun stuns:HOST" },
	{ "RESOLVE_URL", "sigknock learns your public address from a STUN "
	    "server: set Stun stuns:HOST" },
	{ "RESOLVE_HTTP_ONLY", "sigknock learns your public address from a "
	    "STUN server: set Stun stuns:HOST" },
	{ "HTTP_USER_AGENT", "sigknock makes no HTTP requests" },
	{ "USE_WGET_USER_AGENT", "sigknock makes no HTTP requests" },
	{ "WGET_CMD", "sigknock makes no HTTP requests" },
	{ "VERBOSE", "use sigknock -v" },
	{ "NO_SAVE_ARGS", "sigknock writes no argument file" },
	{ NULL, NULL },
};

/* Lines that hold a shared secret: never written, never said. */
static const char *const secret_keys[] = { "KEY", "KEY_BASE64", "HMAC_KEY",
    "HMAC_KEY_BASE64", "KEY_FILE", "HMAC_KEY_FILE", "GPG_SIGNING_PW",
    "GPG_SIGNING_PW_BASE64", NULL };

int
fwk_time_offset(const char *val, long *out)
{
	const char *p = val;
	long v = 0, mult = 1;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > OFFSET_MAX)
			return -1;
	switch (*p) {
	case '\0': break;
	case 'm': case 'M': mult = 60; p++; break;
	case 'h': case 'H': mult = 3600; p++; break;
	case 'd': case 'D': mult = 86400; p++; break;
	default: return -1;
	}
	if (*p != '\0' || v * mult > OFFSET_MAX)
		return -1;
	*out = neg ? -v * mult : v * mult;
	return 0;
}

static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= CONF_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+:",
		    s[i]) == NULL)
			return 0;
	return 1;
}

static int
bad(const struct fwk_item *it, const char *what)
{
	log_err("%s:%u: %s: %s", it->file, it->lineno, it->key, what);
	return SK_ERR_BAD_FIELD;
}

static int
section(const struct fwk_stanza *s, size_t n, struct fwk_rc_import *im,
    FILE *out)
{
	const struct fwk_item *it;
	const char *why;
	char name[CONF_NAME_MAX], buf[FWK_LINE_MAX], *items[SK_ACCESS_MAX + 1];
	uint8_t proto, addr[16];
	uint16_t port;
	size_t i, j;
	long off;
	int k, is_default = strcasecmp(s->name, "default") == 0, secret = 0;
	int gpg;

	if (name_ok(s->name))
		snprintf(name, sizeof(name), "%s", is_default ? "default" :
		    s->name);
	else {
		snprintf(name, sizeof(name), "fwknop-%zu", n);
		fwk_report(&im->tally, FWK_PERSON, s->file, s->lineno,
		    "[stanza]", "'%.64s' is not a plain name (letters, digits, "
		    "._-@+:); written as [%s]", s->name, name);
	}
	fprintf(out, "\n# From %s:%u\n[%s]\n", s->file, s->lineno, name);
	for (i = 0; i < s->n; i++) {
		it = &s->items[i];
		if (fwk_key_in(it->key, secret_keys))
			secret = 1;
		else if ((why = fwk_why(unmapped, it->key)) != NULL)
			fwk_report(&im->tally, FWK_NOT_IMPORTED, it->file,
			    it->lineno, it->key, "%s", why);
	}
	if ((it = fwk_get(s, "SPA_SERVER")) != NULL) {
		if (strpbrk(it->val, " \t#") != NULL)
			return bad(it, "not a host name or address");
		fprintf(out, "Server     %s\n", it->val);
		fprintf(out, "# ServerKey  (the server's key: its admin prints "
		    "it with 'sigknock-keys pubkey')\n");
		fwk_report(&im->tally, FWK_PERSON, it->file, it->lineno,
		    it->key, "[%s] needs the server's ServerKey: its admin "
		    "prints it with 'sigknock-keys pubkey'", name);
	}
	if (im->port != NULL)
		fprintf(out, "Port       %s\n", im->port);
	if ((it = fwk_get(s, "SPA_SERVER_PORT")) != NULL && im->port == NULL)
		fwk_report(&im->tally, FWK_NOT_IMPORTED, it->file, it->lineno,
		    it->key, "%s is fwknopd's port; sigknockd listens on its "
		    "own (62201 unless its admin says otherwise): import with "
		    "-p PORT to write it", it->val);
	if ((it = fwk_get(s, "SPA_SERVER_PROTO")) != NULL &&
	    strcasecmp(it->val, "udp") != 0)
		fwk_report(&im->tally, FWK_NOT_IMPORTED, it->file, it->lineno,
		    it->key, "sigknock knocks over UDP only");
	if ((it = fwk_get(s, "ACCESS")) != NULL) {
		snprintf(buf, sizeof(buf), "%s", it->val);
		if ((k = conf_split(buf, items, SK_ACCESS_MAX)) <= 0)
			return bad(it, "more than 16 ports");
		fprintf(out, "Access     ");
		for (j = 0; j < (size_t)k; j++) {
			if (conf_parse_access(items[j], &proto, &port) != 0)
				return bad(it, "not a list of tcp/PORT or "
				    "udp/PORT");
			fprintf(out, "%s%s/%u", j ? "," : "", proto == 6 ?
			    "tcp" : "udp", port);
		}
		fprintf(out, "\n");
	}
	if ((it = fwk_get(s, "FW_TIMEOUT")) != NULL) {
		char *end;
		unsigned long v = strtoul(it->val, &end, 10);

		if (*it->val < '0' || *it->val > '9' || *end != '\0' ||
		    v > 65535)
			return bad(it, "not a number of seconds up to 65535");
		if (v > 0)	/* fwknop's 0: the server decides */
			fprintf(out, "Timeout    %lu\n", v);
	}
	if ((it = fwk_get(s, "ALLOW_IP")) != NULL) {
		if (strcasecmp(it->val, "source") == 0) {
			fprintf(out, "Address    source\n");
			fwk_report(&im->tally, FWK_STRICTER, it->file,
			    it->lineno, it->key, "source mode works only where "
			    "the server's stanza has AllowSourceMode yes; "
			    "anyone on the path can use such a knock first");
		} else if (strcasecmp(it->val, "resolve") == 0) {
			fprintf(out, "# Stun       stuns:HOST (a STUN server "
			    "over TLS, for the address your NAT gives you)\n");
			fwk_report(&im->tally, FWK_PERSON, it->file,
			    it->lineno, it->key, "fwknop asked a web service "
			    "for your public address; sigknock asks a STUN "
			    "server: set Stun stuns:HOST in [%s]", name);
		} else if (inet_pton(AF_INET, it->val, addr) == 1 ||
		    inet_pton(AF_INET6, it->val, addr) == 1) {
			fprintf(out, "Address    %s\n", it->val);
		} else
			return bad(it, "neither source, resolve nor an "
			    "address");
	}
	if ((it = fwk_get(s, "TIME_OFFSET")) != NULL) {
		if (fwk_time_offset(it->val, &off) != 0)
			return bad(it, "not [-]N[m|h|d] within a year");
		if (off != 0)
			fprintf(out, "TimeOffset %ld\n", off);
	}
	gpg = (it = fwk_get(s, "USE_GPG")) != NULL && fwk_yes(it->val);
	if ((it = fwk_get(s, "GPG_SIGNER")) != NULL) {
		if (strpbrk(it->val, "#") != NULL)
			return bad(it, "not a key id or user ID");
		fprintf(out, "Signer     %s\n", it->val);
	}
	if (secret && !gpg) {
		fwk_report(&im->tally, FWK_PERSON, s->file, s->lineno, "KEY",
		    "[%s] knocked with a key shared with the server; sigknock "
		    "signs with your own: make one (gpg --quick-generate-key, "
		    "or a hardware token, see sigknock-token(1)) and give its "
		    "public key to the server's admin", name);
		fprintf(out, "# Signer     (your own key: see "
		    "sigknock-token(1))\n");
	} else if (secret)
		fwk_report(&im->tally, FWK_NOT_IMPORTED, s->file, s->lineno,
		    "KEY", "[%s] also held a shared key; sigknock needs none",
		    name);
	im->stanzas++;
	return 0;
}

int
fwk_import_rc(const struct fwk_conf *c, struct fwk_rc_import *im, FILE *out)
{
	size_t i;
	int r;

	if (c->n == 0) {
		log_err("%s: no [stanza]", c->nfiles ? c->files[0] :
		    ".fwknoprc");
		return SK_ERR_BAD_FIELD;
	}
	fprintf(out, "# ~/.sigknockrc imported from %s by sigknock "
	    "--import-fwknoprc; see sigknockrc(5).\n", c->files[0]);
	for (i = 0; i < c->n; i++)
		if ((r = section(&c->st[i], i + 1, im, out)) != 0)
			return r;
	return 0;
}
