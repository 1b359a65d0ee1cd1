#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "fileio.h"
#include "fwknop.h"
#include "log.h"
#include "wipe.h"

#define FWK_FILE_MAX	(1024 * 1024)	/* no admin's access.conf is near */

static int fail(struct fwk_conf *c, const char *file, unsigned lineno,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(struct fwk_conf *c, const char *file, unsigned lineno, const char *fmt,
    ...)
{
	char msg[FWK_LINE_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lineno > 0)
		snprintf(c->err, sizeof(c->err), "%s:%u: %s", file, lineno,
		    msg);
	else
		snprintf(c->err, sizeof(c->err), "%s: %s", file, msg);
	return -1;
}

/* Keep a copy of the file's name for the items that point to it. */
static const char *
file_name(struct fwk_conf *c, const char *file)
{
	char **f;

	if (c->nfiles > 0 && strcmp(c->files[c->nfiles - 1], file) == 0)
		return c->files[c->nfiles - 1];
	if ((f = reallocarray(c->files, c->nfiles + 1, sizeof(*f))) == NULL)
		return NULL;
	c->files = f;
	if ((f[c->nfiles] = strdup(file)) == NULL)
		return NULL;
	return f[c->nfiles++];
}

static struct fwk_stanza *
new_stanza(struct fwk_conf *c, const char *file, unsigned lineno,
    const char *name, size_t namelen)
{
	struct fwk_stanza *st, *s;

	if (c->n == FWK_STANZAS_MAX) {
		fail(c, file, lineno, "more than %d stanzas", FWK_STANZAS_MAX);
		return NULL;
	}
	if ((st = reallocarray(c->st, c->n + 1, sizeof(*st))) == NULL) {
		fail(c, file, lineno, "out of memory");
		return NULL;
	}
	c->st = st;
	s = &st[c->n];
	memset(s, 0, sizeof(*s));
	s->file = file;
	s->lineno = lineno;
	if (name != NULL && (s->name = strndup(name, namelen)) == NULL) {
		fail(c, file, lineno, "out of memory");
		return NULL;
	}
	c->n++;
	return s;
}

static int
add_item(struct fwk_conf *c, size_t si, const char *file, unsigned lineno,
    const char *key, size_t klen, const char *val, size_t vlen)
{
	struct fwk_stanza *s = &c->st[si];
	struct fwk_item *it;

	if (s->n == FWK_ITEMS_MAX)
		return fail(c, file, lineno, "more than %d lines in one "
		    "stanza", FWK_ITEMS_MAX);
	if ((it = reallocarray(s->items, s->n + 1, sizeof(*it))) == NULL)
		return fail(c, file, lineno, "out of memory");
	s->items = it;
	it = &it[s->n];
	it->file = file;
	it->lineno = lineno;
	it->key = strndup(key, klen);
	it->val = strndup(val, vlen);
	if (it->key == NULL || it->val == NULL) {
		free(it->key);
		free(it->val);
		return fail(c, file, lineno, "out of memory");
	}
	s->n++;
	return 0;
}

static int
blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' ||
	    ch == '\r' || ch == '\n';
}

/* One line of len bytes (no newline): its keyword and value, as
 * fwknop's sscanf("%s %[...]") splits it, value ended by any of stop.
 * 0: a keyword and a value; 1: a line to skip; -1: no value. */
static int
split(const char *l, size_t len, const char *stop, const char **k,
    size_t *klen, const char **v, size_t *vlen)
{
	size_t i = 0, ks, ke, vs, ve;

	if (len == 0 || l[0] == '#' || l[0] == ';' || l[0] == '\r')
		return 1;
	while (i < len && blank(l[i]))
		i++;
	if (i == len || l[i] == '#')	/* blank, or an indented comment */
		return 1;
	ks = i;
	while (i < len && !blank(l[i]))
		i++;
	ke = i;
	while (i < len && blank(l[i]))
		i++;
	vs = i;
	while (i < len && strchr(stop, l[i]) == NULL)
		i++;
	ve = i;
	while (ve > vs && blank(l[ve - 1]))
		ve--;
	if (ke > ks && l[ke - 1] == ':')
		ke--;
	if (ve == vs || ke == ks)
		return -1;
	*k = l + ks;
	*klen = ke - ks;
	*v = l + vs;
	*vlen = ve - vs;
	return 0;
}

static int
is_key(const char *k, size_t klen, const char *want)
{
	return strlen(want) == klen && strncasecmp(k, want, klen) == 0;
}

/* Neither too long nor holding a NUL. */
static int
line_ok(struct fwk_conf *c, const char *fname, unsigned lineno,
    const char *l, size_t llen)
{
	if (llen >= FWK_LINE_MAX)
		return fail(c, fname, lineno, "a line longer than %d "
		    "characters", FWK_LINE_MAX - 1);
	if (memchr(l, '\0', llen) != NULL)
		return fail(c, fname, lineno, "a NUL character");
	return 0;
}

/* The next line of buf: its start and length, without the newline. */
static int
next_line(const char *buf, size_t len, size_t *pos, const char **l,
    size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return 0;
	*l = buf + *pos;
	nl = memchr(*l, '\n', len - *pos);
	*llen = nl ? (size_t)(nl - *l) : len - *pos;
	*pos += *llen + (nl != NULL);
	return 1;
}

int
fwk_parse_access(struct fwk_conf *c, const char *file, const char *buf,
    size_t len, int depth, fwk_include_fn include, void *arg)
{
	const char *l, *k, *v, *fname;
	char path[FWK_LINE_MAX + 1];
	size_t pos = 0, llen, klen, vlen, cur = (size_t)-1;
	unsigned lineno = 0;
	int r, folder;

	if ((fname = file_name(c, file)) == NULL)
		return fail(c, file, 0, "out of memory");
	while (next_line(buf, len, &pos, &l, &llen)) {
		if (line_ok(c, fname, ++lineno, l, llen) != 0)
			return -1;
		if ((r = split(l, llen, ";\r", &k, &klen, &v, &vlen)) > 0)
			continue;
		if (r < 0)
			return fail(c, fname, lineno, "'%.*s' has no value, "
			    "as fwknopd requires (\"KEYWORD value\")",
			    (int)llen, l);
		folder = is_key(k, klen, "%include_folder");
		if (folder || is_key(k, klen, "%include")) {
			if (include == NULL)
				return fail(c, fname, lineno, "%s is not "
				    "followed here", folder ?
				    "%include_folder" : "%include");
			if (depth + 1 > FWK_DEPTH_MAX)
				return fail(c, fname, lineno, "includes nest "
				    "deeper than %d", FWK_DEPTH_MAX);
			memcpy(path, v, vlen);
			path[vlen] = '\0';
			if (include(arg, c, path, folder, depth + 1) != 0)
				return -1;
			continue;
		}
		if (is_key(k, klen, "SOURCE")) {
			if (new_stanza(c, fname, lineno, NULL, 0) == NULL)
				return -1;
			cur = c->n - 1;
		} else if (cur == (size_t)-1)
			continue;	/* before any SOURCE: fwknopd skips */
		if (add_item(c, cur, fname, lineno, k, klen, v, vlen) != 0)
			return -1;
	}
	return 0;
}

int
fwk_parse_rc(struct fwk_conf *c, const char *file, const char *buf,
    size_t len)
{
	const char *l, *k, *v, *end, *fname;
	size_t pos = 0, llen, klen, vlen, i;
	unsigned lineno = 0;
	int r;

	if ((fname = file_name(c, file)) == NULL)
		return fail(c, file, 0, "out of memory");
	while (next_line(buf, len, &pos, &l, &llen)) {
		if (line_ok(c, fname, ++lineno, l, llen) != 0)
			return -1;
		if (llen > 0 && (l[0] == '#' || l[0] == ';'))
			continue;
		for (i = 0; i < llen && blank(l[i]); i++)
			;
		if (i < llen && l[i] == '[') {
			if ((end = memchr(l + i, ']', llen - i)) == NULL)
				continue;	/* fwknop skips it too */
			if (new_stanza(c, fname, lineno, l + i + 1,
			    (size_t)(end - (l + i + 1))) == NULL)
				return -1;
			continue;
		}
		if ((r = split(l, llen, " \t;#\r", &k, &klen, &v, &vlen)) > 0)
			continue;
		if (r < 0)
			return fail(c, fname, lineno, "'%.*s' has no value",
			    (int)llen, l);
		if (c->n == 0)
			continue;	/* outside a section: fwknop ignores */
		if (add_item(c, c->n - 1, fname, lineno, k, klen, v,
		    vlen) != 0)
			return -1;
	}
	return 0;
}

const struct fwk_item *
fwk_get(const struct fwk_stanza *s, const char *key)
{
	size_t i;

	for (i = s->n; i-- > 0;)
		if (strcasecmp(s->items[i].key, key) == 0)
			return &s->items[i];
	return NULL;
}

int
fwk_yes(const char *val)
{
	return val != NULL && (val[0] == 'Y' || val[0] == 'y');
}

void
fwk_conf_free(struct fwk_conf *c)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->st[i].n; j++) {
			free(c->st[i].items[j].key);
			sk_wipe(c->st[i].items[j].val,
			    strlen(c->st[i].items[j].val));
			free(c->st[i].items[j].val);
		}
		free(c->st[i].items);
		free(c->st[i].name);
	}
	free(c->st);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	c->st = NULL;
	c->files = NULL;
	c->n = c->nfiles = 0;
}

static int
read_one(struct fwk_conf *c, const char *path, int rc, int depth)
{
	char *buf;
	size_t len;
	int r;

	if (file_read_all(path, FWK_FILE_MAX, &buf, &len) != 0)
		return fail(c, path, 0, "%s", errno == EFBIG ? "larger than "
		    "1 MB" : strerror(errno));
	r = rc ? fwk_parse_rc(c, path, buf, len) :
	    fwk_parse_access(c, path, buf, len, depth, fwk_include_files,
	    NULL);
	sk_wipe(buf, len);
	free(buf);
	return r;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fwk_include_files(void *arg, struct fwk_conf *c, const char *path,
    int folder, int depth)
{
	char **names = NULL, **nn, full[4096];
	const char *dot;
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;
	int r = 0;

	(void)arg;
	if (!folder)
		return read_one(c, path, 0, depth);
	if ((d = opendir(path)) == NULL)
		return fail(c, path, 0, "%%include_folder: %s",
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		/* fwknopd takes a name whose last '.' begins ".conf". */
		if ((dot = strrchr(de->d_name, '.')) == NULL ||
		    strncmp(dot, ".conf", 5) != 0)
			continue;
		if ((nn = reallocarray(names, n + 1, sizeof(*nn))) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			r = fail(c, path, 0, "out of memory");
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (r == 0 && n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; r == 0 && i < n; i++) {
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", path,
		    names[i]) >= sizeof(full))
			r = fail(c, path, 0, "a path too long");
		else
			r = read_one(c, full, 0, depth);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int
fwk_read(struct fwk_conf *c, const char *path, int rc)
{
	return read_one(c, path, rc, 0);
}

void
fwk_report(struct fwk_tally *t, enum fwk_kind kind, const char *file,
    unsigned lineno, const char *key, const char *fmt, ...)
{
	static const char *const what[] = { "not imported",
	    "needs a person", "stricter in sigknock" };
	FILE *to = t->to != NULL ? t->to : stderr;
	va_list ap;

	t->n[kind]++;
	fprintf(to, "%s:%u: %s: %s: ", file, lineno, key, what[kind]);
	va_start(ap, fmt);
	vfprintf(to, fmt, ap);
	va_end(ap);
	fputc('\n', to);
}

int
fwk_convert(const char *path, int rc, fwk_map_fn map, void *arg, char **text,
    size_t *len)
{
	struct fwk_conf c;
	FILE *mem;
	int r;

	*text = NULL;
	*len = 0;
	memset(&c, 0, sizeof(c));
	if (fwk_read(&c, path, rc) != 0) {
		log_err("%s", c.err);
		fwk_conf_free(&c);
		return -1;
	}
	if ((mem = open_memstream(text, len)) == NULL) {
		log_err("out of memory");
		fwk_conf_free(&c);
		return -1;
	}
	r = map(&c, arg, mem);
	fclose(mem);
	fwk_conf_free(&c);
	if (r != 0) {
		log_err("%s: nothing written", path);
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

int
fwk_key_in(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcasecmp(key, *list) == 0)
			return 1;
	return 0;
}

const char *
fwk_why(const struct fwk_why *t, const char *key)
{
	for (; t->key != NULL; t++)
		if (strcasecmp(key, t->key) == 0)
			return t->why;
	return NULL;
}
