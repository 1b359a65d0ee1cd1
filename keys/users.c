#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "fileio.h"
#include "log.h"
#include "users.h"

#define USERS_FILE_MAX	((size_t)USERS_MAX * 256)

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[n] == '\0';
}

int
users_name_ok(const char *s)
{
	size_t n = strlen(s);

	return conf_name_ok(s, USERS_NAME_MAX) && strcmp(s, "-") != 0 &&
	    !(n == 2 * PGP_FPR_LEN && is_hex(s, n));
}

static int
time_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return 0;
	return s[i] == '\0';
}

static int
how_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return i > 0 && i <= USERS_HOW_MAX;
}

void
users_clear(struct users *u)
{
	free(u->e);
	memset(u, 0, sizeof(*u));
}

struct users_entry *
users_find(const struct users *u, const uint8_t fpr[PGP_FPR_LEN])
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (memcmp(u->e[i].fpr, fpr, PGP_FPR_LEN) == 0)
			return &u->e[i];
	return NULL;
}

struct users_entry *
users_find_name(const struct users *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->e[i].name[0] && strcasecmp(u->e[i].name, name) == 0)
			return &u->e[i];
	return NULL;
}

#define FAIL(...) do {							\
	snprintf(err->why, sizeof(err->why), __VA_ARGS__);		\
	r = SK_ERR_BAD_FIELD;						\
	goto out;							\
} while (0)

int
users_parse(const char *text, size_t len, struct users *out,
    struct users_parse_err *err)
{
	char line[USERS_LINE_MAX + 1], *f[6], *save, *t;
	struct users u = { 0, NULL, 0 };
	struct users_entry *e;
	size_t pos = 0, ll, nf;
	unsigned lineno = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		err->line = ++lineno;
		if (ll > USERS_LINE_MAX)
			FAIL("line longer than %d characters", USERS_LINE_MAX);
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (memchr(line, '\0', ll) != NULL)
			FAIL("a NUL byte");
		if ((t = strchr(line, '#')) != NULL)
			*t = '\0';
		for (nf = 0, t = strtok_r(line, " \t\r", &save); t != NULL;
		    t = strtok_r(NULL, " \t\r", &save))
			if (nf < 6)
				f[nf++] = t;
			else
				nf++;
		if (nf == 0)
			continue;
		if (nf != 5)
			FAIL("want 5 fields (FINGERPRINT NAME STATE SINCE HOW), "
			    "not %zu", nf);
		if (u.n == USERS_MAX)
			FAIL("more than %d users", USERS_MAX);
		if ((e = reallocarray(u.e, u.n + 1, sizeof(*u.e))) == NULL) {
			r = SK_ERR_ALLOC;
			goto out;
		}
		u.e = e;
		e = &u.e[u.n];
		memset(e, 0, sizeof(*e));
		e->line = lineno;
		if (strlen(f[0]) != 2 * PGP_FPR_LEN ||
		    pgp_fpr_parse(f[0], e->fpr) != 0)
			FAIL("'%.48s' is not a 40-digit fingerprint", f[0]);
		if (strcmp(f[1], "-") != 0) {
			if (!users_name_ok(f[1]))
				FAIL("'%.48s' is not a name (1 to %d of A-Z a-z "
				    "0-9 . _ @ + -)", f[1], USERS_NAME_MAX);
			strcpy(e->name, f[1]);
		}
		if (strcmp(f[2], "revoked") == 0)
			e->revoked = 1;
		else if (strcmp(f[2], "active") != 0)
			FAIL("state '%.32s' is neither active nor revoked", f[2]);
		if (!time_ok(f[3]))
			FAIL("'%.32s' is not a UTC time like 2026-11-30T12:00:00Z",
			    f[3]);
		strcpy(e->since, f[3]);
		if (!how_ok(f[4]))
			FAIL("'%.32s' is not a word of a-z and -", f[4]);
		strcpy(e->how, f[4]);
		if (users_find(&u, e->fpr) != NULL)
			FAIL("fingerprint %s is listed twice", f[0]);
		u.n++;
	}
	*out = u;
	u.e = NULL;
	err->line = 0;
out:
	free(u.e);
	return r;
}

int
users_format(const struct users *u, char **out, size_t *len)
{
	static const char head[] = "# sigknock-users: who is who, kept by "
	    "sigknock-keys(8) and sigknockd(8).\n"
	    "# FINGERPRINT NAME STATE SINCE HOW ('-': no name)\n";
	size_t cap = sizeof(head) + u->n * (USERS_LINE_MAX + 2), off;
	char fpr[PGP_FPR_HEX_LEN + 1], *buf;
	size_t i;

	*out = NULL;
	*len = 0;
	if ((buf = malloc(cap)) == NULL)
		return SK_ERR_ALLOC;
	off = (size_t)snprintf(buf, cap, "%s", head);
	for (i = 0; i < u->n; i++) {
		pgp_fpr_format(u->e[i].fpr, fpr);
		off += (size_t)snprintf(buf + off, cap - off, "%s %s %s %s %s\n",
		    fpr, u->e[i].name[0] ? u->e[i].name : "-",
		    u->e[i].revoked ? "revoked" : "active", u->e[i].since,
		    u->e[i].how);
	}
	*out = buf;
	*len = off;
	return 0;
}

int
users_read(const char *dir, struct users *out)
{
	char path[PATH_MAX], *buf;
	struct users_parse_err e;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/" USERS_FILE, dir);
	if ((r = file_read_all(path, USERS_FILE_MAX, &buf, &len)) != 0)
		return r == SK_ERR_IO && errno == ENOENT ? 0 : r;
	if ((r = file_check_private(path, "user ledger")) == 0 &&
	    (r = users_parse(buf, len, out, &e)) != 0)
		log_err("%s:%u: %s", path, e.line, e.why);
	free(buf);
	return r;
}

int
users_write(const char *dir, const struct users *u)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/" USERS_FILE, dir);
	if ((r = users_format(u, &buf, &len)) != 0)
		return r;
	r = file_write_atomic(path, buf, len, 0644);
	free(buf);
	return r;
}

int
users_lock(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/." USERS_FILE ".lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0) {
		log_err("%s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			log_err("%s: %s", path, strerror(errno));
			close(fd);
			return SK_ERR_IO;
		}
	return fd;
}

void
users_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void
utc_now(char out[USERS_TIME_LEN + 1])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, USERS_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
users_touch(struct users *u, struct users_entry *e, const char *how)
{
	utc_now(e->since);
	snprintf(e->how, sizeof(e->how), "%s", how);
	u->dirty = 1;
}

struct users_entry *
users_add(struct users *u, const uint8_t fpr[PGP_FPR_LEN], const char *name,
    const char *how)
{
	struct users_entry *e;

	if (u->n == USERS_MAX ||
	    (e = reallocarray(u->e, u->n + 1, sizeof(*u->e))) == NULL)
		return NULL;
	u->e = e;
	e = &u->e[u->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->fpr, fpr, PGP_FPR_LEN);
	snprintf(e->name, sizeof(e->name), "%s", name);
	users_touch(u, e, how);
	return e;
}

/* Names taken so far, for the one-holder rule. */
struct taken {
	const char	**names;
	size_t		  n;
};

static int
taken_has(const struct taken *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcasecmp(t->names[i], name) == 0)
			return 1;
	return 0;
}

static int
key_order(const void *a, const void *b)
{
	const struct users_key *x = *(const struct users_key * const *)a;
	const struct users_key *y = *(const struct users_key * const *)b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return memcmp(x->fpr, y->fpr, PGP_FPR_LEN);
}

int
users_resolve(struct users *u, struct users_key *keys, size_t nkeys,
    const struct fido2_record *recs, size_t nrecs, int *rec_named, int warn)
{
	struct taken t = { NULL, 0 };
	struct users_key **fresh = NULL;
	struct users_entry *e;
	int *ok = NULL;
	char fpr[PGP_FPR_HEX_LEN + 1];
	size_t i, nfresh = 0;
	int r = SK_ERR_ALLOC;

	if ((t.names = calloc(u->n + nrecs + nkeys + 1, sizeof(*t.names))) ==
	    NULL || (fresh = calloc(nkeys + 1, sizeof(*fresh))) == NULL ||
	    (ok = calloc(nkeys + 1, sizeof(*ok))) == NULL)
		goto out;
	/* Keys the ledger does not know yet, in a fixed order (the one
	 * their lines are appended in). */
	for (i = 0; i < nkeys; i++)
		if (users_find(u, keys[i].fpr) == NULL)
			fresh[nfresh++] = &keys[i];
	qsort(fresh, nfresh, sizeof(*fresh), key_order);
	/* The ledger, in file order: a name listed twice stays with the
	 * first line (a hand edit; the ledger is not rewritten for it). */
	for (i = 0; i < u->n; i++) {
		if (u->e[i].name[0] == '\0')
			continue;
		if (taken_has(&t, u->e[i].name)) {
			if (warn) {
				pgp_fpr_format(u->e[i].fpr, fpr);
				log_warn("user ledger line %u: name '%s' of %s "
				    "is held by an earlier line: that key has "
				    "no name", u->e[i].line, u->e[i].name, fpr);
			}
			continue;
		}
		t.names[t.n++] = u->e[i].name;
	}
	/* FIDO2 records, in file order. */
	for (i = 0; i < nrecs; i++) {
		rec_named[i] = !taken_has(&t, recs[i].name);
		if (rec_named[i])
			t.names[t.n++] = recs[i].name;
		else if (warn)
			log_warn("FIDO2 record '%s' (line %u): that name is held "
			    "by another user: this credential has no name, "
			    "only its fido2: id", recs[i].name, recs[i].line);
	}
	/* First sight: the user ID's e-mail, unless someone holds it, or
	 * another key seen for the first time with it claims it too: then
	 * none of them gets it (a key's creation date is its maker's to
	 * choose, so it cannot decide), and the admin names one.  The
	 * names taken so far point into u: decide first, then append. */
	for (i = 0; i < nfresh; i++) {
		const char *want = fresh[i]->uid;
		size_t j, rivals = 0;

		for (j = 0; j < nfresh; j++)
			if (j != i && want[0] != '\0' &&
			    strcasecmp(fresh[j]->uid, want) == 0)
				rivals++;
		if (rivals > 0) {
			ok[i] = 0;
			if (warn) {
				pgp_fpr_format(fresh[i]->fpr, fpr);
				log_warn("key %s: %zu other new key%s claim%s its "
				    "user ID's e-mail '%s' too: none of them "
				    "gets it ('sigknock-keys name FPR NAME' "
				    "gives it to the right one)", fpr, rivals,
				    rivals == 1 ? "" : "s", rivals == 1 ? "s" :
				    "", want);
			}
			continue;
		}
		ok[i] = want[0] != '\0' && users_name_ok(want) &&
		    !taken_has(&t, want);
		if (ok[i])
			t.names[t.n++] = want;
		else if (warn && want[0] != '\0') {
			pgp_fpr_format(fresh[i]->fpr, fpr);
			log_warn("key %s: its user ID's e-mail '%s' %s: the key "
			    "has no name and is known by its fingerprint only "
			    "('sigknock-keys name' gives it one)", fpr, want,
			    users_name_ok(want) ? "is held by another user" :
			    "cannot be a name");
		}
	}
	for (i = 0; i < nfresh; i++)
		if (users_add(u, fresh[i]->fpr, ok[i] ? fresh[i]->uid : "",
		    "first-seen") == NULL)
			goto out;
	/* Out: every key's name and revocation, now that u is complete.  A
	 * ledger name always wins over a FIDO2 record's. */
	for (i = 0; i < nkeys; i++) {
		e = users_find(u, keys[i].fpr);
		keys[i].revoked = e != NULL && e->revoked;
		keys[i].name = e != NULL && e->name[0] != '\0' &&
		    users_find_name(u, e->name) == e ? e->name : NULL;
	}
	r = 0;
out:
	free(t.names);
	free(fresh);
	free(ok);
	return r;
}
