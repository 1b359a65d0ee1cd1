/* The grants this client asked for and that have not expired yet, kept in
 * ~/.sigknock/knocked so that `sigknock -W` can try the connection before
 * it asks the token for another signature. */
#ifndef SK_CLIENT_KNOCKED_H
#define SK_CLIENT_KNOCKED_H

#include <stddef.h>
#include <stdint.h>

#define KNOCKED_FILE	".sigknock/knocked"
#define KNOCKED_MAX	256	/* entries kept; the soonest to expire go */
#define KNOCKED_BYTES	(KNOCKED_MAX * 128)

struct knocked_entry {
	uint8_t		 family;	/* AF_INET, AF_INET6: the server's */
	uint8_t		 server[16];
	uint16_t	 kport;		/* the knock port */
	uint8_t		 bfamily;	/* SK_ADDR_IPV4/IPV6/SOURCE */
	uint8_t		 bound[16];	/* the address the request bound */
	uint8_t		 proto;		/* 6 tcp, 17 udp */
	uint16_t	 port;
	int64_t		 until;		/* Unix time the grant ends */
};

struct knocked {
	struct knocked_entry	e[KNOCKED_MAX];
	size_t			n;
};

/* Parse buf[0..len) (need not be NUL-terminated).  It is a cache: lines
 * that do not parse are skipped and counted in *bad (may be NULL); at
 * most KNOCKED_MAX entries are kept.  Never fails. */
void	knocked_parse(const char *buf, size_t len, struct knocked *k,
	    size_t *bad);

/* Format k into out (size cap); the length written, or 0 if it does not
 * fit. */
size_t	knocked_format(const struct knocked *k, char *out, size_t cap);

/* Forget entries that ended before now; add e (replacing an entry for the
 * same server, port, bound address and service), dropping the entry that
 * ends first when full. */
void	knocked_prune(struct knocked *k, int64_t now);
void	knocked_add(struct knocked *k, const struct knocked_entry *e);
/* Forget every entry for e's server, knock port and bound address
 * (sigknock --close). */
void	knocked_forget(struct knocked *k, const struct knocked_entry *e);

/* The entry for the same server, knock port, bound address and service
 * that lasts until at least `until`, or NULL. */
const struct knocked_entry *knocked_find(const struct knocked *k,
	    const struct knocked_entry *want, int64_t until);

/* Read and replace $HOME/KNOCKED_FILE (the directory is made 0700, the
 * file written 0600).  Load: an absent or unreadable file is empty. */
void	knocked_load(struct knocked *k);
int	knocked_save(const struct knocked *k);

#endif
