/* The access file (sigknock-access.conf(5)): stanzas, first match wins.
 *
 *     [admins]
 *     Users      alice@example.com, 0x3AA5C34371567BD2...   # or *
 *     Open       tcp/22, tcp/443
 *     Default    tcp/22
 *     Timeout    30
 *     MaxTimeout 300
 *     Source     any                # or a CIDR list: the sender and the
 *                                    # address opened must both be in it
 *     AllowSourceMode no             # yes: requests bound to no address
 *     AllowAddresses  none           # or CIDRs others may be opened in
 *     Expires    2027-06-30          # UTC; from then the stanza matches
 *                                    # no one
 */
#ifndef SK_ACCESS_H
#define SK_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "fw.h"
#include "keyring.h"
#include "wire.h"

#define ACCESS_USERS_MAX	64
#define ACCESS_PORTS_MAX	64	/* in Open; Default, like a request, 16 */
#define ACCESS_SOURCES_MAX	32
#define ACCESS_OPEN_UNION_MAX	256	/* different ports in all Open lines */
#define ACCESS_FWD_MAX		64	/* Forward entries (one port each) */

struct access_user {
	int		any;
	int		is_fpr;		/* an OpenPGP fingerprint */
	int		is_fido2;	/* fido2:ID, 16 or 64 hex digits */
	uint8_t		fpr[PGP_FPR_LEN];
	uint8_t		fido2_id[32];
	size_t		fido2_idlen;
	char		name[KEYRING_UID_MAX];
	unsigned	lineno;		/* of its Users line */
};

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	unsigned	prefix;
};

/* One port of a destination behind this host (Forward NAME ADDR PORTS). */
struct access_fwd {
	char		name[SK_DEST_MAX + 1];
	int		family;
	uint8_t		addr[16];
	struct sk_access port;		/* on the internal host */
	uint16_t	via;		/* 0: routed; else our port, DNAT */
	unsigned	lineno;
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
	unsigned	   max_grants;	/* MaxGrants: live grants a user may
					 * hold under it; 0: no cap */
	size_t		   n_sources;		/* 0 = any */
	struct cidr	   sources[ACCESS_SOURCES_MAX];
	int		   allow_source_mode;
	size_t		   n_allow;		/* 0 = none */
	struct cidr	   allow[ACCESS_SOURCES_MAX];
	size_t		   n_fwd;
	struct access_fwd  fwd[ACCESS_FWD_MAX];
	int		   masquerade;
	unsigned	   delegation;	/* Delegation: longest in seconds, 0 off */
	int64_t		   expires;	/* Expires: UTC seconds, 0 never */
	/* NftSet: the admin's sets its grants are mirrored into; set
	 * "" for a family not mirrored. */
	struct fw_mirror   nft4, nft6;
	/* Grant connection: a grant admits one new connection, then
	 * closes (nftables); 0: Grant time, until the grant's time ends. */
	/* IpSet: the admin's ipsets its grants are mirrored into; "" for
	 * a family not mirrored. */
	char		   ipset4[FW_IPSET_NAME_MAX], ipset6[FW_IPSET_NAME_MAX];
	int		   grant_once;
	unsigned	   grant_lineno;
};

/* What a forwarded request opens: for each port of the internal host,
 * the gateway's port it comes in on (0: routed to the host itself). */
struct access_forward {
	int		 family;
	uint8_t		 dst[16];
	int		 masq;
	size_t		 n;
	struct sk_access ports[SK_ACCESS_MAX];
	uint16_t	 via[SK_ACCESS_MAX];
};

struct access {
	size_t		   n;
	struct access_rule *rules;
};

int	access_load(const char *path, struct access **out);
void	access_free(struct access *a);

/* Who signed a request, for matching Users: an OpenPGP key (by
 * fingerprint, or the name the admin fixed for it, users.h) or a FIDO2
 * credential (by its enrollment name, or fido2:ID). */
struct access_who {
	const char	*name;		/* NULL: the key has no name */
	const uint8_t	*fpr;		/* the signing (sub)key, or NULL */
	const uint8_t	*primary_fpr;	/* or NULL */
	const uint8_t	*fido2_id;	/* SHA-256 of the credential, or NULL */
};

/* Where a request came from and what it asks to open: the datagram's
 * source, and the address the signed request binds (bound_family 0:
 * none, "open for the source", which only AllowSourceMode admits). */
struct access_addr {
	int		 src_family;
	const uint8_t	*src;
	int		 bound_family;
	const uint8_t	*bound;
};

/* The first rule whose Users names the signer, whose Source holds both
 * the datagram's source and the address to open, and whose address rules
 * (AllowSourceMode, AllowAddresses) admit the request.  NULL when none
 * does, with why saying what the first rule naming the user lacked. */
const struct access_rule *access_match(const struct access *a,
	    const struct access_who *who, const struct access_addr *ad,
	    char *why, size_t whylen);

/* 1 when every entry of want is in the rule's Open list. */
int	access_allows(const struct access_rule *r, const struct sk_access *want,
	    size_t n);

/* Warn, naming file and line, about Users entries that match no key of kr
 * and no FIDO2 credential of fu (sigknockd -t), saying which names are
 * revoked (revoked(arg, name), or NULL); returns how many. */
struct fido2_users;
size_t	access_warn_unmatched(const struct access *a, const char *file,
	    const struct keyring *kr, const struct fido2_users *fu,
	    int (*revoked)(void *arg, const char *name), void *arg);

/* Resolve a request for destination dest of family (the opened
 * address's) under rule r: every wanted port must be in one of its
 * Forward lines for dest; n 0 asks for all of them.  NULL and *out
 * filled, or why not (in why). */
const char *access_forward(const struct access_rule *r, const char *dest,
	    int family, const struct sk_access *want, size_t n,
	    struct access_forward *out, char *why, size_t whylen);
/* Every destination port any Forward line names, each once; returns how
 * many, at most max.  *nat: some line has via, or a stanza masquerades. */
size_t	access_forward_dests(const struct access *a, struct fw_dest *out,
	    size_t max, int *nat);

/* Every port any stanza may open on this host (the union of Open and
 * of the via ports of Forward), each once, the Open ones first (*n_open
 * of them, when n_open is not NULL); returns how many, at most max. */
size_t	access_open_ports(const struct access *a, struct sk_access *out,
	    size_t max, size_t *n_open);

/* Parse an Expires value, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM[:SS]" in
 * UTC, into seconds since the epoch; -1 if it is not one. */
int64_t	access_parse_expires(const char *s);

/* Parse "10.0.0.0/8", "fd00::/8", or a bare address. */
int	cidr_parse(const char *s, struct cidr *c);
int	cidr_contains(const struct cidr *c, int family, const uint8_t *addr);

#endif
