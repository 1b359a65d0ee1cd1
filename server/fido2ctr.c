#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fido2ctr.h"
#include "log.h"

#define COUNTERS_MAX	65536

/* A counter and when this server recorded it (seconds since 1970). */
struct seen {
	uint64_t	t;
	uint32_t	c;
};

/* One credential.  hist: its last counters, oldest first, rising in both
 * time and counter; base: the newest one dropped from hist (or, for a
 * file of the first format, its one counter with time 0: before
 * anything).  The highest counter is hist's last, else base's. */
struct entry {
	uint8_t		id[FIDO2_ID_LEN];
	struct seen	base;
	struct seen	hist[FIDO2_HISTORY];
	size_t		nh;
	uint32_t	claimed;	/* loading: the ID COUNTER line's */
};

/* A delegation whose counter was checked, until it ends. */
struct deleg {
	uint8_t		digest[32];
	uint8_t		id[FIDO2_ID_LEN];
	uint32_t	counter;
	uint64_t	not_after;
};

struct fido2_counters {
	char		 path[PATH_MAX];
	size_t		 n, cap;
	struct entry	*e;
	size_t		 nd;
	struct deleg	 d[FIDO2_DELEGS_MAX];
};

static uint32_t
highest(const struct entry *e)
{
	return e->nh > 0 ? e->hist[e->nh - 1].c : e->base.c;
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	unsigned v;
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static struct entry *
find(struct fido2_counters *c, const uint8_t id[FIDO2_ID_LEN])
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (memcmp(c->e[i].id, id, FIDO2_ID_LEN) == 0)
			return &c->e[i];
	return NULL;
}

static struct entry *
add(struct fido2_counters *c, const uint8_t id[FIDO2_ID_LEN])
{
	struct entry *t;

	if (c->n == c->cap) {
		if (c->cap == COUNTERS_MAX)
			return NULL;
		c->cap = c->cap ? 2 * c->cap : 16;
		if ((t = realloc(c->e, c->cap * sizeof(*t))) == NULL)
			return NULL;
		c->e = t;
	}
	t = &c->e[c->n++];
	memset(t, 0, sizeof(*t));
	memcpy(t->id, id, FIDO2_ID_LEN);
	return t;
}

static void
push(struct entry *e, uint64_t t, uint32_t counter)
{
	if (e->nh == FIDO2_HISTORY) {
		e->base = e->hist[0];
		memmove(e->hist, e->hist + 1, (FIDO2_HISTORY - 1) *
		    sizeof(e->hist[0]));
		e->nh--;
	}
	e->hist[e->nh].t = t;
	e->hist[e->nh].c = counter;
	e->nh++;
}

/* One line of the file:
 *	ID COUNTER		the highest counter (the first format had
 *				only these lines)
 *	ID base T C		what hist forgot
 *	ID at T C		hist, oldest first
 *	deleg DIGEST ID C NOT_AFTER
 * 0, or -1 for a line that is none of these or out of order. */
static int
parse_line(struct fido2_counters *c, char *line, struct entry **cur)
{
	char a[80], b[80];
	unsigned long long t, v, na;
	uint8_t id[FIDO2_ID_LEN];
	struct entry *e;
	struct deleg *d;
	int n;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "deleg %79s %79s %llu %llu%n", a, b, &v, &na,
	    &n) == 4 && line[n] == '\0') {
		if (c->nd == FIDO2_DELEGS_MAX || v > UINT32_MAX)
			return -1;
		d = &c->d[c->nd];
		if (unhex(a, d->digest, 32) != 0 ||
		    unhex(b, d->id, FIDO2_ID_LEN) != 0)
			return -1;
		d->counter = (uint32_t)v;
		d->not_after = na;
		c->nd++;
		return 0;
	}
	if (sscanf(line, "%79s %79s %llu %llu%n", a, b, &t, &v, &n) == 4 &&
	    line[n] == '\0') {
		if ((e = *cur) == NULL || unhex(a, id, FIDO2_ID_LEN) != 0 ||
		    memcmp(id, e->id, FIDO2_ID_LEN) != 0 || v > UINT32_MAX)
			return -1;
		if (strcmp(b, "base") == 0 && e->nh == 0) {
			e->base.t = t;
			e->base.c = (uint32_t)v;
			return 0;
		}
		/* hist rises in time and counter, from base on */
		if (strcmp(b, "at") != 0 || e->nh == FIDO2_HISTORY ||
		    t < (e->nh > 0 ? e->hist[e->nh - 1].t : e->base.t) ||
		    (uint32_t)v <= highest(e))
			return -1;
		push(e, t, (uint32_t)v);
		return 0;
	}
	if (sscanf(line, "%79s %llu%n", a, &v, &n) == 2 && line[n] == '\0' &&
	    v <= UINT32_MAX && unhex(a, id, FIDO2_ID_LEN) == 0 &&
	    find(c, id) == NULL && (e = add(c, id)) != NULL) {
		/* The first format: this counter, from before any time. */
		e->base.t = 0;
		e->base.c = e->claimed = (uint32_t)v;
		*cur = e;
		return 0;
	}
	return -1;
}

int
fido2_counters_open(const char *dir, struct fido2_counters **out)
{
	struct fido2_counters *c;
	struct entry *cur = NULL;
	char line[256];
	unsigned lineno = 0;
	size_t i;
	FILE *f;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SK_ERR_ALLOC;
	snprintf(c->path, sizeof(c->path), "%s/" FIDO2_COUNTERS_FILE, dir);
	if ((f = fopen(c->path, "r")) == NULL) {
		if (errno == ENOENT) {
			*out = c;
			return 0;
		}
		log_err("%s: %s", c->path, strerror(errno));
		free(c);
		return SK_ERR_IO;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#')
			continue;
		if (parse_line(c, line, &cur) != 0) {
			/* Never start with a counter forgotten. */
			log_err("%s:%u: not 'ID COUNTER', 'ID base|at TIME "
			    "COUNTER' after it, or 'deleg DIGEST ID COUNTER "
			    "END'; remove the line or the file if you mean to "
			    "forget it", c->path, lineno);
			fclose(f);
			fido2_counters_free(c);
			return SK_ERR_BAD_FIELD;
		}
	}
	fclose(f);
	/* An ID COUNTER line's counter is what its history ends with. */
	for (i = 0; i < c->n; i++)
		if (highest(&c->e[i]) != c->e[i].claimed) {
			log_err("%s: a history that does not end with its "
			    "counter; remove the file only if you mean to "
			    "forget the counters", c->path);
			fido2_counters_free(c);
			return SK_ERR_BAD_FIELD;
		}
	*out = c;
	return 0;
}

static void
put_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02X", p[i]);
}

/* Write it all (fsync'd, renamed over), leaving out delegations that
 * ended before now. */
static int
save(struct fido2_counters *c, time_t now)
{
	char tmp[PATH_MAX + 8];
	const struct entry *e;
	size_t i, j;
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", c->path);
	if ((f = fopen(tmp, "w")) == NULL)
		goto fail;
	fprintf(f, "# sigknockd: FIDO2 sign counters (sigknockd(8), FILES)\n");
	for (i = 0; i < c->n; i++) {
		e = &c->e[i];
		put_hex(f, e->id, FIDO2_ID_LEN);
		fprintf(f, " %" PRIu32 "\n", highest(e));
		put_hex(f, e->id, FIDO2_ID_LEN);
		fprintf(f, " base %" PRIu64 " %" PRIu32 "\n", e->base.t,
		    e->base.c);
		for (j = 0; j < e->nh; j++) {
			put_hex(f, e->id, FIDO2_ID_LEN);
			fprintf(f, " at %" PRIu64 " %" PRIu32 "\n",
			    e->hist[j].t, e->hist[j].c);
		}
	}
	for (i = 0; i < c->nd; i++) {
		if (c->d[i].not_after < (uint64_t)now)
			continue;
		fprintf(f, "deleg ");
		put_hex(f, c->d[i].digest, 32);
		fputc(' ', f);
		put_hex(f, c->d[i].id, FIDO2_ID_LEN);
		fprintf(f, " %" PRIu32 " %" PRIu64 "\n", c->d[i].counter,
		    c->d[i].not_after);
	}
	ok = fflush(f) == 0 && fdatasync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, c->path) != 0) {
		unlink(tmp);
		goto fail;
	}
	return 0;
fail:
	log_err("%s: %s", c->path, strerror(errno));
	return SK_ERR_IO;
}

int
fido2_counters_check(struct fido2_counters *c, const uint8_t id[FIDO2_ID_LEN],
    uint32_t counter, time_t now, uint32_t *last)
{
	struct entry *e = find(c, id), old;
	int fresh = e == NULL;

	*last = e != NULL ? highest(e) : 0;
	if (counter == 0 && *last == 0)
		return 0;
	if (counter <= *last)
		return SK_ERR_FIDO2_COUNTER;
	if (e == NULL && (e = add(c, id)) == NULL)
		return SK_ERR_ALLOC;
	old = *e;
	push(e, (uint64_t)now, counter);
	if (save(c, now) != 0) {
		if (fresh)
			c->n--;
		else
			*e = old;
		return SK_ERR_IO;
	}
	return 0;
}

/* The highest counter recorded at or before t; with a history that
 * forgot what came before t, its base (an upper bound of it). */
static uint32_t
floor_at(const struct entry *e, uint64_t t)
{
	size_t i;

	for (i = e->nh; i > 0; i--)
		if (e->hist[i - 1].t <= t)
			return e->hist[i - 1].c;
	return e->base.c;
}

int
fido2_counters_deleg(struct fido2_counters *c, const uint8_t id[FIDO2_ID_LEN],
    uint32_t counter, const uint8_t digest[32], uint64_t created,
    uint64_t not_after, long skew, time_t now, uint32_t *last)
{
	struct entry *e = find(c, id), old;
	struct deleg *d;
	size_t i, j;
	uint64_t before;
	int fresh = e == NULL, pushed = 0;

	*last = 0;
	for (i = 0; i < c->nd; i++)
		if (memcmp(c->d[i].digest, digest, 32) == 0 &&
		    memcmp(c->d[i].id, id, FIDO2_ID_LEN) == 0 &&
		    c->d[i].not_after >= (uint64_t)now)
			return 0;
	if (counter != 0 || (e != NULL && highest(e) != 0)) {
		before = created > (uint64_t)skew ? created - (uint64_t)skew :
		    0;
		if (e != NULL && counter <= (*last = floor_at(e, before)))
			return SK_ERR_FIDO2_COUNTER;
		/* One assertion, one counter: none shown twice. */
		for (i = 0; e != NULL && i < e->nh; i++)
			if (e->hist[i].c == counter) {
				*last = counter;
				return SK_ERR_FIDO2_COUNTER;
			}
		for (i = 0; i < c->nd; i++)
			if (c->d[i].counter == counter &&
			    memcmp(c->d[i].id, id, FIDO2_ID_LEN) == 0 &&
			    c->d[i].not_after >= (uint64_t)now) {
				*last = counter;
				return SK_ERR_FIDO2_COUNTER;
			}
	}
	/* Room: ended delegations go first. */
	for (i = j = 0; i < c->nd; i++)
		if (c->d[i].not_after >= (uint64_t)now)
			c->d[j++] = c->d[i];
	c->nd = j;
	if (c->nd == FIDO2_DELEGS_MAX)
		return SK_ERR_NO_SPACE;
	if (e == NULL && (e = add(c, id)) == NULL)
		return SK_ERR_ALLOC;
	old = *e;
	if (counter > highest(e)) {
		push(e, (uint64_t)now, counter);
		pushed = 1;
	}
	d = &c->d[c->nd++];
	memcpy(d->digest, digest, 32);
	memcpy(d->id, id, FIDO2_ID_LEN);
	d->counter = counter;
	d->not_after = not_after;
	if (save(c, now) != 0) {
		c->nd--;
		if (fresh)
			c->n--;
		else if (pushed)
			*e = old;
		return SK_ERR_IO;
	}
	return 0;
}

void
fido2_counters_free(struct fido2_counters *c)
{
	if (c == NULL)
		return;
	free(c->e);
	free(c);
}
