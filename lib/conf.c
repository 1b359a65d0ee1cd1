#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "log.h"

int
conf_error(const struct conf_line *l, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->is_section || l->key[0] == '\0')
		log_err("%s:%u: %s", l->file, l->lineno, msg);
	else
		log_err("%s:%u: %s: %s", l->file, l->lineno, l->key, msg);
	return SK_ERR_BAD_FIELD;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
check_perm(FILE *f, const char *path)
{
	struct stat st;

	if (fstat(fileno(f), &st) != 0) {
		log_err("%s: cannot stat: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (st.st_uid != getuid() && st.st_uid != 0) {
		log_err("%s: owned by uid %u, not by you: refusing it", path,
		    (unsigned)st.st_uid);
		return SK_ERR_BAD_FIELD;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		log_err("%s: writable by group or others (mode %03o): refusing "
		    "it; chmod go-w it", path, (unsigned)(st.st_mode & 0777));
		return SK_ERR_BAD_FIELD;
	}
	return 0;
}

int
conf_read(const char *path, enum conf_perm perm, conf_cb cb, void *arg)
{
	char buf[CONF_LINE_MAX + 2], *s, *k, *v, *hash;
	struct conf_line l;
	FILE *f;
	size_t n;
	int r = 0;

	if ((f = fopen(path, "r")) == NULL)
		return SK_ERR_IO;
	if (perm == CONF_PERM_NOT_WRITABLE && (r = check_perm(f, path)) != 0)
		goto out;
	memset(&l, 0, sizeof(l));
	l.file = path;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		l.lineno++;
		l.is_section = 0;
		l.key[0] = l.value[0] = '\0';
		n = strlen(buf);
		if (n > 0 && buf[n - 1] != '\n' && !feof(f)) {
			r = conf_error(&l, "line longer than %d characters",
			    CONF_LINE_MAX);
			goto out;
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		s = trim(buf);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			n = strlen(s);
			if (s[n - 1] != ']' || n < 3 || n - 2 >= CONF_NAME_MAX) {
				r = conf_error(&l, "bad section header '%s'", s);
				goto out;
			}
			s[n - 1] = '\0';
			snprintf(l.section, sizeof(l.section), "%s", trim(s + 1));
			l.is_section = 1;
			if ((r = cb(arg, &l)) != 0)
				goto out;
			continue;
		}
		k = s;
		for (v = s; *v && !isspace((unsigned char)*v) && *v != '='; v++)
			;
		if (*v != '\0')
			*v++ = '\0';
		v = trim(v);
		if (*v == '=')
			v = trim(v + 1);
		if (strlen(k) >= sizeof(l.key)) {
			r = conf_error(&l, "keyword too long");
			goto out;
		}
		snprintf(l.key, sizeof(l.key), "%s", k);
		snprintf(l.value, sizeof(l.value), "%s", v);
		if (*v == '\0') {
			r = conf_error(&l, "missing value");
			goto out;
		}
		if ((r = cb(arg, &l)) != 0)
			goto out;
	}
	if (ferror(f)) {
		log_err("%s: read error", path);
		r = SK_ERR_IO;
	}
out:
	fclose(f);
	return r;
}

int
conf_uint(const struct conf_line *l, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(l->value, &end, 10);
	if (!isdigit((unsigned char)l->value[0]) || *end != '\0' ||
	    errno != 0 || v < min || v > max) {
		conf_error(l, "'%s' is not a number from %lu to %lu", l->value,
		    min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_bool(const struct conf_line *l, int *out)
{
	if (strcasecmp(l->value, "yes") == 0)
		*out = 1;
	else if (strcasecmp(l->value, "no") == 0)
		*out = 0;
	else {
		conf_error(l, "'%s' is neither yes nor no", l->value);
		return -1;
	}
	return 0;
}

int
conf_split(char *value, char **items, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(value, ", \t", &save); t != NULL;
	    t = strtok_r(NULL, ", \t", &save)) {
		if (n == max)
			return -1;
		items[n++] = t;
	}
	return n;
}

int
conf_name_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr("._@+-", s[i]) != NULL))
			return 0;
	return i > 0 && i <= max;
}

int
conf_parse_access(const char *s, uint8_t *proto, uint16_t *port)
{
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long v;

	*proto = 0;
	*port = 0;
	if (slash == NULL)
		return SK_ERR_BAD_FIELD;
	if (slash - s == 3 && strncasecmp(s, "tcp", 3) == 0)
		*proto = 6;
	else if (slash - s == 3 && strncasecmp(s, "udp", 3) == 0)
		*proto = 17;
	else
		return SK_ERR_BAD_FIELD;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end != '\0' || errno ||
	    v == 0 || v > 65535) {
		*proto = 0;
		return SK_ERR_BAD_FIELD;
	}
	*port = (uint16_t)v;
	return 0;
}
