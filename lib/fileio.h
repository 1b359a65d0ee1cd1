/* Small files read whole and replaced atomically, and the ownership and
 * mode rules for files whose contents decide who may knock. */
#ifndef SK_FILEIO_H
#define SK_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>

/* Read path whole (at most max bytes) into a NUL-terminated malloc'd
 * buffer.  SK_ERR_IO with errno kept when it cannot be opened (ENOENT
 * for a missing file); errors other than ENOENT are logged. */
int	file_read_all(const char *path, size_t max, char **out, size_t *len);

/* Call cb on each line of buf[0..len) (need not be NUL-terminated) as a
 * NUL-terminated copy, skipping empty lines and '#' comments.  Returns
 * how many lines were bad: longer than FILE_LINE_MAX, holding a NUL, or
 * refused by cb (non-zero). */
#define FILE_LINE_MAX	256
size_t	file_each_line(const char *buf, size_t len,
	    int (*cb)(void *arg, char *line), void *arg);

/* Replace path with buf[0..len) atomically (a temporary file beside it,
 * fsync, rename) with the given mode.  Errors are logged. */
int	file_write_atomic(const char *path, const void *buf, size_t len,
	    mode_t mode);

/* Write a new file with the given mode, synced, never over an existing
 * one; a failed write leaves no file.  Errors are logged. */
int	file_write_new(const char *path, const void *buf, size_t len,
	    mode_t mode);

/* Remove path; a missing one is not an error.  Errors are logged. */
int	file_remove(const char *path);

/* Append buf[0..len) to path (created with mode), then fdatasync: a
 * journal's record.  Errors are logged. */
int	file_append_sync(const char *path, const void *buf, size_t len,
	    mode_t mode);

/* A file or directory that decides who may knock must be owned by root or
 * by us, and not writable by group or others.  0, or SK_ERR_BAD_FIELD with
 * a log line naming what and the chown/chmod to run.  A missing path is
 * SK_ERR_IO (errno kept, not logged). */
int	file_check_private(const char *path, const char *what);
int	file_check_private_st(const char *path, const struct stat *st,
	    const char *what);

/* $HOME/file in path; with make_dir, its directory is made 0700 if
 * missing.  0, or -1 (no HOME, too long, or logged). */
int	home_path(const char *file, char *path, size_t len, int make_dir);

#endif
