/* A reader of fwknop's two configuration files, for the importers
 * (sigknock-keys import-fwknop, sigknock --import-fwknoprc): fwknopd's
 * access.conf and the client's ~/.fwknoprc, read as fwknop 2.6.10 reads
 * them.
 *
 * access.conf: "KEYWORD value" lines; a line whose first character is
 * '#', ';' or an end of line is skipped; the value runs to ';' or the
 * end of the line, trailing blanks removed; a ':' ending the keyword is
 * dropped.  Every SOURCE line begins a stanza, and lines before the first
 * are ignored, except "%include FILE" and "%include_folder DIR" (its
 * *.conf files), followed at most FWK_DEPTH_MAX deep; their stanzas come
 * where the directive stands, and the lines after it still belong to the
 * stanza it interrupted (as fwknopd does).
 *
 * .fwknoprc: "[name]" sections and "KEYWORD value" lines; the value ends
 * at the first blank, ';' or '#'.
 *
 * Files an admin copies from anywhere: every length is checked, a line
 * longer than FWK_LINE_MAX or holding a NUL is an error naming the file
 * and line, and values (KEY lines hold shared secrets) are wiped when
 * freed. */
#ifndef SK_FWKNOP_H
#define SK_FWKNOP_H

#include <stddef.h>
#include <stdio.h>

#define FWK_LINE_MAX	1024	/* fwknop's MAX_LINE_LEN */
#define FWK_DEPTH_MAX	3	/* fwknopd's MAX_DEPTH of %include */
#define FWK_ITEMS_MAX	256	/* per stanza */
#define FWK_STANZAS_MAX	1024

struct fwk_item {
	char		*key;		/* as written, without a ':' */
	char		*val;
	const char	*file;		/* one of fwk_conf's files */
	unsigned	 lineno;
};

struct fwk_stanza {
	char		*name;		/* .fwknoprc's section, or NULL */
	const char	*file;
	unsigned	 lineno;
	size_t		 n;
	struct fwk_item	*items;
};

struct fwk_conf {
	size_t		  n;
	struct fwk_stanza *st;
	size_t		  nfiles;
	char		**files;	/* every file read, for names */
	char		  err[FWK_LINE_MAX + 256];	/* why parsing failed */
};

/* Reads an included file (folder 0) or the *.conf files of a folder,
 * calling fwk_parse_access() on each at depth; non-zero stops. */
typedef int (*fwk_include_fn)(void *arg, struct fwk_conf *c, const char *path,
	    int folder, int depth);

/* Parse an access.conf held in buf[0..len) (named file).  include may be
 * NULL: the directives are then errors.  0, or -1 with c->err set. */
int	fwk_parse_access(struct fwk_conf *c, const char *file, const char *buf,
	    size_t len, int depth, fwk_include_fn include, void *arg);

/* Parse a .fwknoprc held in buf[0..len). */
int	fwk_parse_rc(struct fwk_conf *c, const char *file, const char *buf,
	    size_t len);

/* The last value of key (case-insensitive) in s, or NULL. */
const struct fwk_item *fwk_get(const struct fwk_stanza *s, const char *key);

/* fwknop's booleans: a value beginning with Y or y is true. */
int	fwk_yes(const char *val);

/* Free everything, wiping the values. */
void	fwk_conf_free(struct fwk_conf *c);

/* The standard includer: reads files with file_read_all (fwknopd's
 * %include_folder takes the *.conf files of a folder, in name order). */
int	fwk_include_files(void *arg, struct fwk_conf *c, const char *path,
	    int folder, int depth);

/* Read and parse path (an access.conf, includes followed, or with rc a
 * .fwknoprc).  0, or -1 with c->err set. */
int	fwk_read(struct fwk_conf *c, const char *path, int rc);

/* Read path (rc: as a .fwknoprc) and map it into a malloc'd *text;
 * 0, or -1 (logged, nothing kept). */
typedef int (*fwk_map_fn)(const struct fwk_conf *c, void *arg, FILE *out);
int	fwk_convert(const char *path, int rc, fwk_map_fn map, void *arg,
	    char **text, size_t *len);

/* 1 when key is one of list (ended by NULL), whatever its case. */
int	fwk_key_in(const char *key, const char *const *list);

/* A keyword with no counterpart, and why (tables end with a NULL key). */
struct fwk_why {
	const char	*key;
	const char	*why;
};
/* The why of key in t, or NULL. */
const char *fwk_why(const struct fwk_why *t, const char *key);

/* What an importer could not carry over, said on standard error as
 * "FILE:LINE: KEYWORD: KIND: why, and what to use instead", and
 * counted for its summary. */
enum fwk_kind {
	FWK_NOT_IMPORTED,	/* no counterpart, or none needed */
	FWK_PERSON,		/* needs a person's decision before it works */
	FWK_STRICTER,		/* sigknock refuses what fwknop allowed */
};
struct fwk_tally {
	size_t		n[3];
	FILE		*to;	/* where to say it; NULL: stderr */
};
void	fwk_report(struct fwk_tally *t, enum fwk_kind kind, const char *file,
	    unsigned lineno, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

#endif
