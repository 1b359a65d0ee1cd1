#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endian.h"
#include "err.h"
#include "log.h"
#include "replay.h"

#define RECORD_LEN	(REPLAY_DIGEST_LEN + 8)
#define BUCKETS		4096	/* power of two */

struct entry {
	uint8_t		 d[REPLAY_DIGEST_LEN];
	time_t		 expires;
	struct entry	*next;
};

struct replay {
	char		 path[PATH_MAX];
	int		 fd;
	size_t		 n;		/* live entries */
	size_t		 on_disk;	/* records in the file */
	struct entry	*b[BUCKETS];
};

/* Digests are SHA-256 outputs: their first bytes are already uniform. */
static size_t
bucket(const uint8_t *d)
{
	return (size_t)be32dec(d) & (BUCKETS - 1);
}

static int
insert(struct replay *rc, const uint8_t *d, time_t expires)
{
	struct entry *e;

	if ((e = malloc(sizeof(*e))) == NULL)
		return SK_ERR_ALLOC;
	memcpy(e->d, d, REPLAY_DIGEST_LEN);
	e->expires = expires;
	e->next = rc->b[bucket(d)];
	rc->b[bucket(d)] = e;
	rc->n++;
	return 0;
}

static void
record(uint8_t *rec, const struct entry *e)
{
	memcpy(rec, e->d, REPLAY_DIGEST_LEN);
	be64enc(rec + REPLAY_DIGEST_LEN, (uint64_t)e->expires);
}

/* Write the live entries to a new file and rename it over the old. */
static int
rewrite(struct replay *rc)
{
	char tmp[PATH_MAX + 8];
	uint8_t rec[RECORD_LEN];
	struct entry *e;
	size_t i;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new", rc->path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto fail;
	for (i = 0; i < BUCKETS; i++)
		for (e = rc->b[i]; e != NULL; e = e->next) {
			record(rec, e);
			if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
				goto fail_close;
		}
	if (fsync(fd) != 0 || rename(tmp, rc->path) != 0)
		goto fail_close;
	if (rc->fd >= 0)
		close(rc->fd);
	rc->fd = fd;
	if (lseek(fd, 0, SEEK_END) < 0)
		goto fail;
	rc->on_disk = rc->n;
	return 0;
fail_close:
	close(fd);
	unlink(tmp);
fail:
	log_err("replay cache %s: %s", rc->path, strerror(errno));
	return SK_ERR_IO;
}

int
replay_open(const char *dir, time_t now, struct replay **out)
{
	struct replay *rc;
	uint8_t rec[RECORD_LEN];
	ssize_t n;
	time_t exp;
	int fd, r;

	*out = NULL;
	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return SK_ERR_ALLOC;
	rc->fd = -1;
	if (dir == NULL) {
		*out = rc;
		return 0;
	}
	snprintf(rc->path, sizeof(rc->path), "%s/%s", dir, REPLAY_FILE);
	if ((fd = open(rc->path, O_RDONLY | O_CLOEXEC)) >= 0) {
		while ((n = read(fd, rec, sizeof(rec))) == (ssize_t)sizeof(rec)) {
			exp = (time_t)be64dec(rec + REPLAY_DIGEST_LEN);
			if (exp > now && (r = insert(rc, rec, exp)) != 0) {
				close(fd);
				replay_close(rc);
				return r;
			}
		}
		if (n != 0)
			log_warn("replay cache %s: ignoring a torn last record",
			    rc->path);
		close(fd);
	} else if (errno != ENOENT) {
		log_err("replay cache %s: %s", rc->path, strerror(errno));
		replay_close(rc);
		return SK_ERR_IO;
	}
	if ((r = rewrite(rc)) != 0) {
		replay_close(rc);
		return r;
	}
	*out = rc;
	return 0;
}

int
replay_seen(const struct replay *rc, const uint8_t d[static REPLAY_DIGEST_LEN],
    time_t now)
{
	const struct entry *e;

	for (e = rc->b[bucket(d)]; e != NULL; e = e->next)
		if (e->expires > now && memcmp(e->d, d, REPLAY_DIGEST_LEN) == 0)
			return 1;
	return 0;
}

int
replay_append(struct replay *rc, const uint8_t d[static REPLAY_DIGEST_LEN],
    time_t expires)
{
	uint8_t rec[RECORD_LEN];
	struct entry tmp;

	memcpy(tmp.d, d, REPLAY_DIGEST_LEN);
	tmp.expires = expires;
	record(rec, &tmp);
	if (rc->fd >= 0 && write(rc->fd, rec, sizeof(rec)) !=
	    (ssize_t)sizeof(rec)) {
		log_err("replay cache %s: %s", rc->path, strerror(errno));
		return SK_ERR_IO;
	}
	rc->on_disk++;
	return insert(rc, d, expires);
}

int
replay_sync(struct replay *rc)
{
	if (rc->fd >= 0 && fdatasync(rc->fd) != 0) {
		log_err("replay cache %s: %s", rc->path, strerror(errno));
		return SK_ERR_IO;
	}
	return 0;
}

int
replay_add(struct replay *rc, const uint8_t d[static REPLAY_DIGEST_LEN],
    time_t expires)
{
	int r;

	if ((r = replay_append(rc, d, expires)) != 0)
		return r;
	return replay_sync(rc);
}

void
replay_prune(struct replay *rc, time_t now)
{
	struct entry **pp, *e;
	size_t i;

	for (i = 0; i < BUCKETS; i++)
		for (pp = &rc->b[i]; (e = *pp) != NULL;) {
			if (e->expires <= now) {
				*pp = e->next;
				free(e);
				rc->n--;
			} else
				pp = &e->next;
		}
	if (rc->fd >= 0 && rc->on_disk > 64 && rc->on_disk > 2 * rc->n)
		rewrite(rc);
}

void
replay_each(const struct replay *rc, time_t now,
    void (*cb)(void *arg, const uint8_t *d, time_t expires), void *arg)
{
	const struct entry *e;
	size_t i;

	for (i = 0; i < BUCKETS; i++)
		for (e = rc->b[i]; e != NULL; e = e->next)
			if (e->expires > now)
				cb(arg, e->d, e->expires);
}

size_t
replay_count(const struct replay *rc)
{
	return rc->n;
}

void
replay_close(struct replay *rc)
{
	struct entry *e, *next;
	size_t i;

	if (rc == NULL)
		return;
	for (i = 0; i < BUCKETS; i++)
		for (e = rc->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	if (rc->fd >= 0)
		close(rc->fd);
	free(rc);
}
