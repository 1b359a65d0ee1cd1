#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "log.h"

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t k;
	int fd, r = SK_ERR_IO, e;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			log_err("%s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		log_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		log_err("%s: not a regular file of at most %zu bytes", path, max);
		r = SK_ERR_TOO_LONG;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = SK_ERR_ALLOC;
		goto out;
	}
	while (n < (size_t)st.st_size && (k = read(fd, buf + n,
	    (size_t)st.st_size - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			log_err("%s: %s", path, strerror(errno));
			goto out;
		}
		n += (size_t)k;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return r;
}

int
file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		log_err("%s: path too long", path);
		return SK_ERR_IO;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode)) < 0) {
		log_err("%s: %s", tmp, strerror(errno));
		return SK_ERR_IO;
	}
	if ((len > 0 && write(fd, buf, len) != (ssize_t)len) ||
	    fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		log_err("%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return SK_ERR_IO;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		log_err("%s: %s", path, strerror(errno));
		unlink(tmp);
		return SK_ERR_IO;
	}
	return 0;
}

int
file_check_private_st(const char *path, const struct stat *st,
    const char *what)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		log_err("%s %s: owned by uid %u, not by root: refusing it; run: "
		    "chown root %s", what, path, (unsigned)st->st_uid, path);
		return SK_ERR_BAD_FIELD;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		log_err("%s %s: writable by group or others (mode %04o): "
		    "refusing it; run: chmod go-w %s", what, path,
		    (unsigned)(st->st_mode & 07777), path);
		return SK_ERR_BAD_FIELD;
	}
	return 0;
}

int
file_check_private(const char *path, const char *what)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return SK_ERR_IO;
	return file_check_private_st(path, &st, what);
}

size_t
file_each_line(const char *buf, size_t len, int (*cb)(void *arg, char *line),
    void *arg)
{
	char line[FILE_LINE_MAX];
	size_t i = 0, j, bad = 0;

	while (i < len) {
		for (j = i; j < len && buf[j] != '\n'; j++)
			;
		if (j > i && buf[i] != '#') {
			if (j - i >= sizeof(line) ||
			    memchr(buf + i, '\0', j - i) != NULL)
				bad++;
			else {
				memcpy(line, buf + i, j - i);
				line[j - i] = '\0';
				bad += cb(arg, line) != 0;
			}
		}
		i = j + 1;
	}
	return bad;
}

int
home_path(const char *file, char *path, size_t len, int make_dir)
{
	const char *home = getenv("HOME");
	char *slash;

	if (home == NULL || *home == '\0')
		return -1;
	if ((size_t)snprintf(path, len, "%s/%s", home, file) >= len)
		return -1;
	if (make_dir) {
		slash = strrchr(path, '/');
		*slash = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			log_err("%s: %s", path, strerror(errno));
			return -1;
		}
		*slash = '/';
	}
	return 0;
}

int
file_append_sync(const char *path, const void *buf, size_t len, mode_t mode)
{
	const char *p = buf;
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, mode)) < 0) {
		log_err("%s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: %s", path, strerror(errno));
			r = SK_ERR_IO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r == 0 && fdatasync(fd) != 0) {
		log_err("%s: %s", path, strerror(errno));
		r = SK_ERR_IO;
	}
	close(fd);
	return r;
}

int
file_remove(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT) {
		log_err("%s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	return 0;
}

int
file_write_new(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) < 0) {
		log_err("%s: %s%s", path, strerror(errno), errno == EEXIST ?
		    " (not replacing it; remove it first)" : "");
		return SK_ERR_IO;
	}
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) != 0) {
		log_err("%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return SK_ERR_IO;
	}
	close(fd);
	return 0;
}
