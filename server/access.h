/* The access file (sigknock-access.conf(5)): stanzas, first match wins.
 *
 *     [admins]
 *     Users      alice@example.com, 0x3AA5C34371567BD2...   # or *
 *     Open       tcp/22, tcp/443
 *     Default    tcp/22
 *     Timeout    30
 *     MaxTimeout 300
 *     Source     any                # or a CIDR list
 */
#ifndef SK_ACCESS_H
#define SK_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "keyring.h"
#include "wire.h"

#define ACCESS_USERS_MAX	64
#define ACCESS_PORTS_MAX	64	/* in Open; Default, like a request, 16 */
#define ACCESS_SOURCES_MAX	32

struct access_user {
	int		any;
	int		is_fpr;
	uint8_t		fpr[PGP_FPR_LEN];
	char		email[KEYRING_UID_MAX];
};

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	unsigned	prefix;
};

struct access_rule {
	char		   name[CONF_NAME_MAX];
	unsigned	   lineno;
	size_t		   n_users;
	struct access_user users[ACCESS_USERS_MAX];
	size_t		   n_open;
	struct sk_access   open[ACCESS_PORTS_MAX];
	size_t		   n_default;
	struct sk_access   def[SK_ACCESS_MAX];
	unsigned	   timeout;
	unsigned	   max_timeout;
	size_t		   n_sources;		/* 0 = any */
	struct cidr	   sources[ACCESS_SOURCES_MAX];
};

struct access {
	size_t		   n;
	struct access_rule *rules;
};

int	access_load(const char *path, struct access **out);
void	access_free(struct access *a);

/* Who signed a request, for matching Users: an OpenPGP key (by
 * fingerprint, or its primary UID's e-mail as name) or a FIDO2
 * credential (by its enrollment name; no fingerprints). */
struct access_who {
	const char	*name;
	const uint8_t	*fpr;		/* the signing (sub)key, or NULL */
	const uint8_t	*primary_fpr;	/* or NULL */
};

/* The first rule whose Users names the signer and whose Source holds the
 * datagram's source address; NULL when none does. */
const struct access_rule *access_match(const struct access *a,
	    const struct access_who *who, int family, const uint8_t *src);

/* 1 when every entry of want is in the rule's Open list. */
int	access_allows(const struct access_rule *r, const struct sk_access *want,
	    size_t n);

/* Every port any stanza may open (the union of Open), each once; returns
 * how many, at most max. */
size_t	access_open_ports(const struct access *a, struct sk_access *out,
	    size_t max);

/* Parse "10.0.0.0/8", "fd00::/8", or a bare address. */
int	cidr_parse(const char *s, struct cidr *c);
int	cidr_contains(const struct cidr *c, int family, const uint8_t *addr);

#endif
