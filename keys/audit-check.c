#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "audit.h"
#include "audit-check.h"
#include "crypto.h"
#include "deleg.h"
#include "err.h"
#include "fido2users.h"
#include "keyring.h"
#include "log.h"
#include "wipe.h"
#include "wire.h"

/* How far a request's own time may be from its grant's: sigknockd's
 * largest MaxPacketAge (servconf.h). */
#define AUDIT_SKEW	3600

/* One line of the trail, as the first pass saw it. */
struct line {
	const char	*file;
	unsigned	 lineno;
	int		 parsed;
	uint64_t	 seq;
	uint8_t		 prev[32];
	uint8_t		 link[32];
};

struct check {
	struct keyring		*kr;
	struct fido2_users	*fu;
	struct fido2_record	*recs;		/* as on disk, with revocations */
	size_t			 nrecs;
	struct line		*l;
	size_t			 n;
	size_t			 at;		/* the second pass's line */
	int			 json;
	FILE			*out;
	int			 problems;
};

/* Each line of file, newline kept in *len's count: cb(line, len). */
static int
each_line(const char *file, int (*cb)(struct check *, const char *, char *,
    size_t, unsigned), struct check *c)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int r = 0;

	if ((f = fopen(file, "re")) == NULL) {
		log_err("%s: %m", file);
		return -1;
	}
	while (r == 0 && (n = getline(&buf, &cap, f)) > 0)
		r = cb(c, file, buf, (size_t)n, ++lineno);
	if (r == 0 && ferror(f)) {
		log_err("%s: %m", file);
		r = -1;
	}
	free(buf);
	fclose(f);
	return r;
}

/* First pass: every line's place in the chain. */
static int
collect(struct check *c, const char *file, char *buf, size_t len,
    unsigned lineno)
{
	struct audit_rec *r;
	struct line *l;
	const char *what;

	if ((l = reallocarray(c->l, c->n + 1, sizeof(*l))) == NULL)
		return -1;
	c->l = l;
	l = &c->l[c->n++];
	memset(l, 0, sizeof(*l));
	l->file = file;
	l->lineno = lineno;
	if (audit_link(buf, len, l->link) != 0 ||
	    (r = malloc(sizeof(*r))) == NULL)
		return -1;
	if (len > 1 && buf[len - 1] == '\n' && audit_parse(buf, len - 1, r,
	    &what) == 0) {
		l->parsed = 1;
		l->seq = r->seq;
		memcpy(l->prev, r->prev, 32);
	}
	free(r);
	return 0;
}

static void
utc(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%" PRId64, t);
}

/* A problem of the record at l; in JSON, collected into its object. */
static void
problem(struct check *c, const struct line *l, char *acc, size_t acclen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void
problem(struct check *c, const struct line *l, char *acc, size_t acclen,
    const char *fmt, ...)
{
	char msg[512];
	size_t o = strlen(acc);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->problems++;
	if (!c->json) {
		fprintf(c->out, "%s:%u: %s\n", l->file, l->lineno, msg);
		return;
	}
	/* JSON: the array's body, built here, printed with the record. */
	if (o + strlen(msg) + 8 < acclen) {
		FILE *m = fmemopen(acc + o, acclen - o, "w");

		if (m != NULL) {
			fprintf(m, "%s", o > 0 ? "," : "");
			sk_json_str(m, msg);
			fclose(m);
		}
	}
}

/* Where the record with seq s is, other than at index not; NULL: nowhere. */
static const struct line *
find_seq(const struct check *c, uint64_t s, size_t not)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (i != not && c->l[i].parsed && c->l[i].seq == s)
			return &c->l[i];
	return NULL;
}

/* The link from line i-1 to line i. */
static void
check_link(struct check *c, size_t i, char *acc, size_t acclen)
{
	const struct line *l = &c->l[i], *p, *at;
	static const uint8_t zero[32];

	if (i == 0 || !c->l[i - 1].parsed) {
		if (i == 0 && l->seq == 1 && memcmp(l->prev, zero, 32) != 0)
			problem(c, l, acc, acclen, "record 1 does not begin a "
			    "trail: it links to a record before it");
		else if (i == 0 && l->seq != 1 && memcmp(l->prev, zero, 32) ==
		    0)
			problem(c, l, acc, acclen, "record %" PRIu64 " claims "
			    "to begin the trail", l->seq);
		else if (i > 0 && memcmp(l->prev, c->l[i - 1].link, 32) != 0)
			problem(c, l, acc, acclen, "record %" PRIu64 ": its "
			    "link does not match the line before (changed, "
			    "see above)", l->seq);
		return;
	}
	p = &c->l[i - 1];
	if (l->seq == p->seq + 1) {
		if (memcmp(l->prev, p->link, 32) != 0)
			problem(c, l, acc, acclen, "record %" PRIu64 ": its "
			    "link does not match record %" PRIu64 " (%s:%u): "
			    "one of the two was changed", l->seq, p->seq,
			    p->file, p->lineno);
		return;
	}
	if (l->seq != p->seq + 1 && (at = find_seq(c, p->seq + 1, i - 1)) !=
	    NULL)
		problem(c, l, acc, acclen, "record %" PRIu64 " follows record "
		    "%" PRIu64 ", but record %" PRIu64 " is at %s:%u: "
		    "reordered", l->seq, p->seq, p->seq + 1, at->file,
		    at->lineno);
	else if (l->seq == p->seq + 2)
		problem(c, l, acc, acclen, "record %" PRIu64 " is missing: "
		    "record %" PRIu64 " follows record %" PRIu64, p->seq + 1,
		    l->seq, p->seq);
	else if (l->seq > p->seq + 2)
		problem(c, l, acc, acclen, "records %" PRIu64 " to %" PRIu64
		    " are missing: record %" PRIu64 " follows record %" PRIu64,
		    p->seq + 1, l->seq - 1, l->seq, p->seq);
	else
		problem(c, l, acc, acclen, "record %" PRIu64 " follows record "
		    "%" PRIu64 ": reordered or repeated", l->seq, p->seq);
}

/* Who signed rq, and does the signature hold at time t?  0, or the
 * problem in why. */
static int
verify(struct check *c, const struct sk_request *rq, const uint8_t *inner,
    int64_t t, char *who, size_t wholen, char *id, size_t idlen, char *note,
    size_t notelen, char *why, size_t whylen)
{
	uint8_t msg[SK_SIGNED_MSG_MAX], dmsg[SK_DELEG_MSG_MAX +
	    SK_DELEG_DSIG_MAX], h[32];
	const uint8_t *sig = rq->sig;
	const struct keyring_entry *e = NULL;
	const struct fido2_user *u = NULL;
	struct fido2_assertion as;
	struct sk_delegation dl;
	char fpr[PGP_FPR_HEX_LEN + 1], sid[17];
	size_t mlen, dlen, siglen = rq->sig_len, i;
	uint8_t type = rq->signer_type, cid[FIDO2_ID_LEN];
	int r = -1, e2;

	note[0] = '\0';
	if (request_signed_message(inner, rq->signed_len, msg, sizeof(msg),
	    &mlen) != 0) {
		snprintf(why, whylen, "cannot form the signed message");
		goto out;
	}
	if (type == SK_SIGNER_DELEGATED) {
		if ((e2 = deleg_parse(rq->sig, rq->sig_len, &dl)) != 0) {
			snprintf(why, whylen, "malformed delegation: %s",
			    sk_strerror(e2));
			goto out;
		}
		if (deleg_message(&dl, rq->signer_id, rq->signer_id_len, dmsg,
		    sizeof(dmsg), &dlen) != 0) {
			snprintf(why, whylen, "cannot form the delegation");
			goto out;
		}
		type = dl.dtype;
		sig = dl.dsig;
		siglen = dl.dsig_len;
	}
	if (type == SK_SIGNER_FIDO2) {
		if (rq->signer_id_len == FIDO2_ID_LEN)
			fido2_short_id(rq->signer_id, sid);
		else
			snprintf(sid, sizeof(sid), "?");
		snprintf(id, idlen, "fido2:%s", sid);
		if ((u = fido2_users_lookup(c->fu, rq->signer_id,
		    rq->signer_id_len)) == NULL) {
			snprintf(who, wholen, "unknown");
			snprintf(why, whylen, "signed by a FIDO2 credential "
			    "this keyring does not hold");
			goto out;
		}
		snprintf(who, wholen, "%s", u->rec.name[0] ? u->rec.name :
		    "no name");
		for (i = 0; i < c->nrecs; i++)
			if (c->recs[i].revoked[0] != '\0' &&
			    fido2_signer_id(&c->recs[i], cid) == 0 &&
			    memcmp(cid, u->id, FIDO2_ID_LEN) == 0)
				snprintf(note, notelen, "revoked %s",
				    c->recs[i].revoked);
		e2 = fido2_verify(u->pk, u->rec.alg, u->rp_hash, sig, siglen,
		    rq->signer_type == SK_SIGNER_DELEGATED ? dmsg : msg,
		    rq->signer_type == SK_SIGNER_DELEGATED ? dlen : mlen, &as);
	} else if (type == SK_SIGNER_OPENPGP) {
		if (rq->signer_id_len == PGP_FPR_LEN)
			pgp_fpr_format(rq->signer_id, fpr);
		else
			snprintf(fpr, sizeof(fpr), "?");
		e = keyring_lookup(c->kr, rq->signer_id, rq->signer_id_len);
		snprintf(id, idlen, "%s", fpr);
		snprintf(who, wholen, "%s", e == NULL ? "unknown" :
		    e->name[0] ? e->name : e->uid[0] ? e->uid : "no name");
		if (e != NULL && e->revoked)
			snprintf(note, notelen, "revoked since");
		e2 = keyring_verify(c->kr, rq->signer_id, rq->signer_id_len,
		    sig, siglen, rq->signer_type == SK_SIGNER_DELEGATED ?
		    dmsg : msg, rq->signer_type == SK_SIGNER_DELEGATED ? dlen :
		    mlen, (time_t)t, AUDIT_SKEW, &e);
		if (e2 == SK_ERR_UNKNOWN_SIGNER) {
			snprintf(why, whylen, "signed by a key this keyring "
			    "does not hold");
			goto out;
		}
		if (e2 == SK_ERR_KEY_EXPIRED) {
			snprintf(why, whylen, "the key had expired by then");
			goto out;
		}
	} else {
		snprintf(who, wholen, "unknown");
		snprintf(id, idlen, "signer type %u", type);
		snprintf(why, whylen, "a signer type sigknock does not know");
		goto out;
	}
	if (e2 != 0) {
		snprintf(why, whylen, "%s%s", rq->signer_type ==
		    SK_SIGNER_DELEGATED ? "the delegation: " : "",
		    sk_strerror(e2));
		goto out;
	}
	if (rq->signer_type == SK_SIGNER_DELEGATED) {
		if (strlen(who) + sizeof(" by delegation") <= wholen)
			strcat(who, " by delegation");
		if ((int64_t)dl.created > t + AUDIT_SKEW ||
		    (int64_t)dl.not_after <= t) {
			snprintf(why, whylen, "the delegation was not valid "
			    "then");
			goto out;
		}
		if (!deleg_allows(&dl, rq)) {
			snprintf(why, whylen, "the delegation does not cover "
			    "these servers or ports");
			goto out;
		}
		if (crypto_sha256(msg, mlen, h) != 0 || crypto_ed25519_verify(
		    dl.epk, SK_HASH_SHA256, h, sizeof(h), dl.esig) != 0) {
			snprintf(why, whylen, "the delegated key's signature "
			    "does not verify");
			goto out;
		}
	}
	r = 0;
out:
	sk_wipe(msg, sizeof(msg));
	return r;
}

/* Second pass: each record checked and shown. */
static int
show(struct check *c, const char *file, char *buf, size_t len,
    unsigned lineno)
{
	size_t i = c->at++;
	struct audit_rec *r;
	struct sk_request *rq;
	const struct line *l;
	const char *what = NULL;
	char when[32], until[32], src[64], addr[64], who[400] = "?";
	char id[PGP_FPR_HEX_LEN + 32] = "?";
	char note[64] = "", why[256] = "", acc[2048] = "";
	int ok = 0, e;

	(void)file;
	(void)lineno;
	/* Lines the daemon appended after the first pass: not checked
	 * (the summary counts what the first pass saw). */
	if (i >= c->n)
		return 0;
	l = &c->l[i];
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (rq = calloc(1, sizeof(*rq))) == NULL) {
		free(r);
		return -1;
	}
	if (!l->parsed) {
		if (len == 0 || buf[len - 1] != '\n')
			problem(c, l, acc, sizeof(acc), "a partial record: the "
			    "file ends in the middle of it");
		else {
			audit_parse(buf, len - 1, r, &what);
			problem(c, l, acc, sizeof(acc), "not a record: its %s "
			    "field cannot be read", what);
		}
		goto done;
	}
	audit_parse(buf, len - 1, r, &what);
	check_link(c, i, acc, sizeof(acc));
	utc(r->time, when, sizeof(when));
	utc(r->until, until, sizeof(until));
	sk_addr_str(r->src_family, r->src, src, sizeof(src));
	sk_addr_str(r->family, r->addr, addr, sizeof(addr));
	if ((e = request_decode(r->request, r->request_len, rq)) != 0)
		snprintf(why, sizeof(why), "the request cannot be read: %s",
		    sk_strerror(e));
	else if ((int64_t)rq->timestamp > r->time + AUDIT_SKEW ||
	    (int64_t)rq->timestamp < r->time - AUDIT_SKEW)
		snprintf(why, sizeof(why), "the request was signed for %" PRIu64
		    ", more than an hour from its grant", rq->timestamp);
	else if (verify(c, rq, r->request, r->time, who, sizeof(who), id,
	    sizeof(id), note, sizeof(note), why, sizeof(why)) == 0)
		ok = 1;
	if (!ok)
		problem(c, l, acc, sizeof(acc), "record %" PRIu64 ": %s",
		    r->seq, why);
	if (c->json) {
		fprintf(c->out, "{\"record\":%" PRIu64 ",\"file\":", r->seq);
		sk_json_str(c->out, l->file);
		fprintf(c->out, ",\"line\":%u,\"time\":\"%s\",\"user\":",
		    l->lineno, when);
		sk_json_str(c->out, who);
		fprintf(c->out, ",\"signer\":");
		sk_json_str(c->out, id);
		fprintf(c->out, ",\"src\":\"%s\",\"addr\":\"%s\",\"ports\":",
		    src, addr);
		sk_json_str(c->out, r->ports);
		fprintf(c->out, ",\"until\":\"%s\",\"stanza\":", until);
		sk_json_str(c->out, r->stanza);
		fprintf(c->out, ",\"server_key\":\"%s\",\"signature\":%s,"
		    "\"note\":", r->prev_key ? "previous" : "current",
		    ok ? "true" : "false");
		sk_json_str(c->out, note);
		fprintf(c->out, ",\"problems\":[%s]}\n", acc);
	} else
		fprintf(c->out, "record %" PRIu64 " %s %s (%s) from %s: %s for "
		    "%s until %s [%s]: %s%s%s%s\n", r->seq, when, who, id, src,
		    r->ports, addr, until, r->stanza, ok ? "signature good" :
		    "NOT VERIFIED", note[0] ? " (key " : "", note,
		    note[0] ? ")" : "");
	goto out;
done:
	if (c->json) {
		fprintf(c->out, "{\"record\":null,\"file\":");
		sk_json_str(c->out, l->file);
		fprintf(c->out, ",\"line\":%u,\"signature\":false,"
		    "\"problems\":[%s]}\n", l->lineno, acc);
	}
out:
	sk_wipe(r, sizeof(*r));
	free(r);
	free(rq);
	return 0;
}

int
audit_check(const char *keyring, char *const *files, int nfiles, int json,
    FILE *out)
{
	struct check c;
	struct fido2_record *live = NULL;
	char hex[65];
	size_t i;
	int f, r = -1;

	memset(&c, 0, sizeof(c));
	c.json = json;
	c.out = out;
	/* The keys as they were: revoked ones still check what they
	 * signed before. */
	if (keyring_load_history(keyring, &c.kr) != 0 ||
	    fido2_users_read(keyring, &c.recs, &c.nrecs) != 0)
		goto out;
	if ((live = calloc(c.nrecs + 1, sizeof(*live))) == NULL)
		goto out;
	for (i = 0; i < c.nrecs; i++) {
		live[i] = c.recs[i];
		live[i].revoked[0] = '\0';
	}
	if (fido2_users_build(live, c.nrecs, keyring, &c.fu) != 0 ||
	    keyring_apply_users(keyring, c.kr, c.fu, KEYRING_KEEP_REVOKED) !=
	    0)
		goto out;
	for (f = 0; f < nfiles; f++)
		if (each_line(files[f], collect, &c) != 0)
			goto out;
	if (c.n == 0) {
		log_err("%s: no record", nfiles == 1 ? files[0] :
		    "these files");
		goto out;
	}
	for (f = 0; f < nfiles; f++)
		if (each_line(files[f], show, &c) != 0)
			goto out;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", c.l[c.n - 1].link[i]);
	/* What the trail alone cannot show: records cut off its end.  The
	 * daemon logs each record's link; the last one's is compared with
	 * the log. */
	fprintf(json ? stderr : out, "%zu line%s, records %" PRIu64 " to %"
	    PRIu64 ": %s; the last record's link is %.16s (compare with "
	    "sigknockd's last \"AuditLog: record %" PRIu64 "\" line)\n", c.n,
	    c.n == 1 ? "" : "s", c.l[0].seq, c.l[c.n - 1].seq, c.problems == 0 ?
	    "every signature and link checks" : "PROBLEMS FOUND", hex,
	    c.l[c.n - 1].seq);
	if (c.l[0].parsed && c.l[0].seq > 1)
		fprintf(json ? stderr : out, "the trail given begins at record "
		    "%" PRIu64 ": give the files before it first to check "
		    "that link too\n", c.l[0].seq);
	r = c.problems;
out:
	keyring_free(c.kr);
	fido2_users_free(c.fu);
	free(c.recs);
	free(live);
	free(c.l);
	return r;
}
