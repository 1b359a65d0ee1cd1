#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fido2ctr.h"
#include "log.h"

#define COUNTERS_MAX	65536

struct entry {
	uint8_t		id[FIDO2_ID_LEN];
	uint32_t	counter;
};

struct fido2_counters {
	char		 path[PATH_MAX];
	size_t		 n, cap;
	struct entry	*e;
};

static int
unhex_id(const char *s, uint8_t id[FIDO2_ID_LEN])
{
	unsigned v;
	size_t i;

	for (i = 0; i < FIDO2_ID_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		id[i] = (uint8_t)v;
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
	memcpy(t->id, id, FIDO2_ID_LEN);
	t->counter = 0;
	return t;
}

int
fido2_counters_open(const char *dir, struct fido2_counters **out)
{
	struct fido2_counters *c;
	char line[128], hex[2 * FIDO2_ID_LEN + 1];
	uint8_t id[FIDO2_ID_LEN];
	unsigned long v;
	unsigned lineno = 0;
	struct entry *e;
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
		if (sscanf(line, "%64s %lu", hex, &v) != 2 ||
		    strlen(hex) != 2 * FIDO2_ID_LEN || v > UINT32_MAX ||
		    unhex_id(hex, id) != 0 || (e = find(c, id)) != NULL ||
		    (e = add(c, id)) == NULL) {
			/* Never start with a counter forgotten. */
			log_err("%s:%u: not 'ID COUNTER'; remove the line or "
			    "the file if you mean to forget it", c->path,
			    lineno);
			fclose(f);
			fido2_counters_free(c);
			return SK_ERR_BAD_FIELD;
		}
		e->counter = (uint32_t)v;
	}
	fclose(f);
	*out = c;
	return 0;
}

static int
save(struct fido2_counters *c)
{
	char tmp[PATH_MAX + 8];
	size_t i, k;
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", c->path);
	if ((f = fopen(tmp, "w")) == NULL)
		goto fail;
	for (i = 0; i < c->n; i++) {
		for (k = 0; k < FIDO2_ID_LEN; k++)
			fprintf(f, "%02X", c->e[i].id[k]);
		fprintf(f, " %u\n", c->e[i].counter);
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
    uint32_t counter, uint32_t *last)
{
	struct entry *e = find(c, id);
	uint32_t old;

	*last = e != NULL ? e->counter : 0;
	if (counter == 0 && *last == 0)
		return 0;
	if (counter <= *last)
		return SK_ERR_FIDO2_COUNTER;
	if (e == NULL && (e = add(c, id)) == NULL)
		return SK_ERR_ALLOC;
	old = e->counter;
	e->counter = counter;
	if (save(c) != 0) {
		e->counter = old;
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
