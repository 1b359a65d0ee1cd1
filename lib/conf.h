/* The one reader for sigknock's configuration files (sigknockd.conf, the
 * access file, ~/.sigknockrc): "Keyword value" lines in sshd_config style,
 * '#' comments, optional "[name]" sections, keywords case-insensitive.
 * Errors name the file, the line, the keyword and the problem. */
#ifndef SK_CONF_H
#define SK_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_LINE_MAX	1024
#define CONF_NAME_MAX	64

struct conf_line {
	const char	*file;
	unsigned	 lineno;
	int		 is_section;	/* "[name]": name in section */
	char		 section[CONF_NAME_MAX];
	char		 key[CONF_NAME_MAX];
	char		 value[CONF_LINE_MAX];
};

/* Called for every section header and keyword line; a non-zero return
 * stops the reading and is returned. */
typedef int (*conf_cb)(void *arg, const struct conf_line *l);

enum conf_perm {
	CONF_PERM_ANY = 0,
	CONF_PERM_NOT_WRITABLE = 1,	/* refuse group/world-writable, or owned by another user than us or root */
};

/* Read path; SK_ERR_IO if it cannot be opened (errno kept). */
int	conf_read(const char *path, enum conf_perm perm, conf_cb cb, void *arg);

/* Log "FILE:LINE: KEYWORD: message" at error level; returns
 * SK_ERR_BAD_FIELD for `return conf_error(...)`. */
int	conf_error(const struct conf_line *l, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Value helpers; each logs through conf_error and returns non-zero. */
int	conf_uint(const struct conf_line *l, unsigned long min, unsigned long max,
	    unsigned long *out);
int	conf_bool(const struct conf_line *l, int *out);
/* Split a comma/space separated list in place; returns the count or -1 if
 * more than max items. */
int	conf_split(char *value, char **items, int max);

/* A user's name as access files write it unquoted: 1 to max of A-Z a-z
 * 0-9 . _ @ + - (FIDO2 enrollment names, the user ledger's names). */
int	conf_name_ok(const char *s, size_t max);

/* "tcp/22" or "udp/53" */
int	conf_parse_access(const char *s, uint8_t *proto, uint16_t *port);

#endif
