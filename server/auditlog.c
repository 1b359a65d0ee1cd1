#define _GNU_SOURCE	/* renameat2 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "auditlog.h"
#include "err.h"
#include "fileio.h"
#include "log.h"

struct auditlog {
	char		 path[PATH_MAX];
	int		 fd;		/* -1: check only */
	uint64_t	 max;
	uint64_t	 size;
	uint64_t	 seq;		/* the last record's; 0: none yet */
	uint8_t		 link[32];	/* its hash; zeros before the first */
	unsigned	 rotated;	/* the highest PATH.N */
};

/* The last record of path: *seq and its link; *seq 0 when the file is
 * empty or missing.  A file that does not end in a whole record is
 * refused: it is evidence, and sigknockd writes nothing after it. */
static int
last_record(const char *path, uint64_t *seq, uint8_t link[32])
{
	struct audit_rec *r = NULL;
	struct stat st;
	const char *what;
	char *buf = NULL, *nl;
	size_t want, start;
	ssize_t n;
	int fd, rc = SK_ERR_IO;

	*seq = 0;
	memset(link, 0, 32);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		log_err("AuditLog %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_err("AuditLog %s: not a regular file", path);
		goto out;
	}
	if (st.st_size == 0) {
		rc = 0;
		goto out;
	}
	want = (uint64_t)st.st_size < AUDIT_LINE_MAX + 1 ?
	    (size_t)st.st_size : AUDIT_LINE_MAX + 1;
	if ((buf = malloc(want + 1)) == NULL || (r = malloc(sizeof(*r))) ==
	    NULL) {
		rc = SK_ERR_ALLOC;
		goto out;
	}
	if ((n = pread(fd, buf, want, st.st_size - (off_t)want)) !=
	    (ssize_t)want) {
		log_err("AuditLog %s: %s", path, n < 0 ? strerror(errno) :
		    "short read");
		goto out;
	}
	buf[want] = '\0';
	rc = SK_ERR_BAD_FIELD;
	if (buf[want - 1] != '\n') {
		log_err("AuditLog %s ends in a partial record (written when "
		    "the disk filled, or edited): sigknockd writes nothing "
		    "after it; move the file aside (sigknock-keys audit shows "
		    "where it stops) and reload", path);
		goto out;
	}
	buf[want - 1] = '\0';
	nl = strrchr(buf, '\n');
	if (nl == NULL && want < (size_t)st.st_size) {
		log_err("AuditLog %s: its last line is longer than any record; "
		    "move the file aside and reload", path);
		goto out;
	}
	start = nl == NULL ? 0 : (size_t)(nl - buf) + 1;
	if (audit_parse(buf + start, want - 1 - start, r, &what) != 0) {
		log_err("AuditLog %s: its last line is not a record (%s); "
		    "move the file aside and reload", path, what);
		goto out;
	}
	buf[want - 1] = '\n';
	if (audit_link(buf + start, want - start, link) != 0) {
		rc = SK_ERR_CRYPTO;
		goto out;
	}
	*seq = r->seq;
	rc = 0;
out:
	free(buf);
	free(r);
	close(fd);
	return rc;
}

/* The highest N of the files PATH.N (0: none). */
static unsigned
rotated_highest(const char *path)
{
	char dir[PATH_MAX], *slash;
	const char *base, *p;
	struct dirent *de;
	unsigned long v, best = 0;
	size_t bl;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';
	base = slash + 1;
	bl = strlen(base);
	if ((dp = opendir(dir[0] ? dir : "/")) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, base, bl) != 0 || de->d_name[bl] != '.')
			continue;
		p = de->d_name + bl + 1;
		if (*p < '1' || *p > '9' || strlen(p) > 9 ||
		    strspn(p, "0123456789") != strlen(p))
			continue;
		if ((v = strtoul(p, NULL, 10)) > best)
			best = v;
	}
	closedir(dp);
	return (unsigned)best;
}

static int
open_append(struct auditlog *a, int flags)
{
	struct stat st;

	if ((a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | flags, 0600)) < 0 || fstat(a->fd, &st) != 0) {
		log_err("AuditLog %s: %s", a->path, strerror(errno));
		if (a->fd >= 0)
			close(a->fd);
		a->fd = -1;
		return SK_ERR_IO;
	}
	a->size = (uint64_t)st.st_size;
	return 0;
}

int
auditlog_open(const char *path, uint64_t max, int check_only,
    struct auditlog **out)
{
	struct auditlog *a;
	char old[PATH_MAX + 16];
	int r;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return SK_ERR_ALLOC;
	a->fd = -1;
	a->max = max;
	if (snprintf(a->path, sizeof(a->path), "%s", path) >=
	    (int)sizeof(a->path)) {
		free(a);
		return SK_ERR_TOO_LONG;
	}
	/* Who may change the trail could also rewrite it whole. */
	r = file_check_private(path, "AuditLog");
	if (r != 0 && !(r == SK_ERR_IO && errno == ENOENT))
		goto fail;
	a->rotated = rotated_highest(path);
	if ((r = last_record(path, &a->seq, a->link)) != 0)
		goto fail;
	if (a->seq == 0 && a->rotated > 0) {
		snprintf(old, sizeof(old), "%s.%u", path, a->rotated);
		if ((r = last_record(old, &a->seq, a->link)) != 0)
			goto fail;
	}
	if (!check_only && (r = open_append(a, 0)) != 0)
		goto fail;
	*out = a;
	return 0;
fail:
	free(a);
	return r;
}

void
auditlog_close(struct auditlog *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

const char *
auditlog_path(const struct auditlog *a)
{
	return a->path;
}

uint64_t
auditlog_max(const struct auditlog *a)
{
	return a->max;
}

/* PATH becomes PATH.N+1 (never over a file), a new PATH is begun. */
static int
rotate(struct auditlog *a)
{
	char to[PATH_MAX + 16], dir[PATH_MAX], *slash;
	int dfd;

	snprintf(to, sizeof(to), "%s.%u", a->path, a->rotated + 1);
	if (renameat2(AT_FDCWD, a->path, AT_FDCWD, to, RENAME_NOREPLACE) !=
	    0) {
		log_err("AuditLog %s: cannot rotate to %s: %s", a->path, to,
		    strerror(errno));
		return SK_ERR_IO;
	}
	a->rotated++;
	snprintf(dir, sizeof(dir), "%s", a->path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	close(a->fd);
	a->fd = -1;
	log_notice("AuditLog %s: rotated to %s after record %llu", a->path,
	    to, (unsigned long long)a->seq);
	return open_append(a, O_EXCL);
}

int
auditlog_append(struct auditlog *a, struct audit_rec *r, char link_hex[65])
{
	char *line;
	size_t len, off = 0, i;
	ssize_t n;
	uint8_t link[32];
	int rc = SK_ERR_IO;

	link_hex[0] = '\0';
	if (a->fd < 0 && open_append(a, 0) != 0)
		return SK_ERR_IO;
	if ((line = malloc(AUDIT_LINE_MAX)) == NULL)
		return SK_ERR_ALLOC;
	r->seq = a->seq + 1;
	memcpy(r->prev, a->link, 32);
	if ((len = audit_format(r, line, AUDIT_LINE_MAX)) == 0 ||
	    audit_link(line, len, link) != 0) {
		log_err("AuditLog %s: record %llu cannot be formed", a->path,
		    (unsigned long long)r->seq);
		rc = SK_ERR_INTERNAL;
		goto out;
	}
	if (a->max != 0 && a->size > 0 && a->size + len > a->max &&
	    rotate(a) != 0)
		goto out;
	errno = 0;
	while (off < len) {
		if ((n = write(a->fd, line + off, len - off)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off < len || fdatasync(a->fd) != 0) {
		log_err("AuditLog %s: record %llu not written: %s", a->path,
		    (unsigned long long)r->seq, off < len && errno == 0 ?
		    "short write" : strerror(errno));
		/* No partial record stays behind to stop the next start. */
		if (off > 0 && ftruncate(a->fd, (off_t)a->size) != 0)
			log_err("AuditLog %s: cannot take back a partial "
			    "record: %s", a->path, strerror(errno));
		goto out;
	}
	a->size += len;
	a->seq = r->seq;
	memcpy(a->link, link, 32);
	for (i = 0; i < 32; i++)
		snprintf(link_hex + 2 * i, 3, "%02x", link[i]);
	rc = 0;
out:
	free(line);
	return rc;
}
