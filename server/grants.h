/* Who holds which grant: one record per signer and opened address, with
 * the ports, the stanza that allowed it and the expiry, kept in StateDir
 * so that a restart adopts owners with the kernel's grants, `sigknockd
 * -G` lists them, and removing a user's authority closes exactly that
 * user's grants.  An accepted knock appends its record to GRANTS_JOURNAL
 * (synced): its cost does not grow with the live grants.  GRANTS_FILE is
 * the snapshot, rewritten atomically when a record is closed early and
 * when the journal grows long, after which the journal is removed;
 * expired records cost nothing until then (loading drops them).
 *
 * One line per record:
 *
 *	UNTIL ADDR SOURCE MODE PORTS SIGNER ID PRIMARY NAME STANZA
 *	1796045613 10.77.1.2 10.77.1.2 bound tcp/22,tcp/443 openpgp FPR FPR alice@example.com admins
 *
 * MODE is bound or source (the request bound no address), followed for
 * a grant through the gateway by >DEST=ADDRESS, and +masq when its flows
 * are masqueraded (bound>db1=10.1.0.5+masq); PORTS are then the internal
 * host's, each with @PORT when it comes in on that port of the gateway
 * (tcp/22@2222).  SIGNER openpgp
 * or fido2, ID the signing key's fingerprint or the FIDO2 credential id's
 * digest (hex), PRIMARY the primary key's fingerprint or '-', NAME the
 * user's name or '-', and STANZA the rest of the line. */
#ifndef SK_GRANTS_H
#define SK_GRANTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "fw.h"
#include "users.h"
#include "wire.h"

#define GRANTS_FILE	"grants"
#define GRANTS_JOURNAL	"grants.journal"
#define GRANTS_MAX	100000
#define GRANTS_LINE_MAX	1024

enum grant_signer { GRANT_OPENPGP = 1, GRANT_FIDO2 = 2 };

struct grant {
	time_t		 until;
	int		 family;		/* of addr, the opened address */
	uint8_t		 addr[16];
	int		 src_family;		/* the datagram's source */
	uint8_t		 src[16];
	int		 bound;			/* 0: source mode */
	size_t		 nports;
	struct sk_access ports[SK_ACCESS_MAX];
	int		 signer;		/* enum grant_signer */
	uint8_t		 id[32];		/* fingerprint (20) or FIDO2 id (32) */
	uint8_t		 primary[20];		/* OpenPGP primary key */
	char		 name[USERS_NAME_MAX + 1];	/* "" = no name */
	char		 stanza[CONF_NAME_MAX];
	/* Through the gateway (dest not ""): the internal host, the
	 * gateway's port for each port (0: routed), masquerading. */
	char		 dest[SK_DEST_MAX + 1];
	uint8_t		 dst[16];
	uint16_t	 via[SK_ACCESS_MAX];
	int		 masq;
	/* Grant connection (sigknock-access.conf(5)): each port admits one
	 * new connection; "+once" after MODE in the file. */
	int		 once;
};

struct grants {
	size_t		 n, cap;
	struct grant	*g;
	/* Beside each grant, a hash of what makes it the same owner's: the
	 * search of grants_add reads these 8 bytes per grant, not the
	 * grant (over a kilobyte), and costs next to nothing at 10,000.
	 * Changed only through grants_add, grants_remove, grants_expire. */
	uint64_t	*key;
};

struct grants_parse_err {
	unsigned	line;
	char		why[128];
};

int	grants_parse(const char *text, size_t len, struct grants *out,
	    struct grants_parse_err *err);
int	grants_format(const struct grants *g, char **out, size_t *len);
/* One record's line (GRANTS_LINE_MAX + 2 bytes of room); its length. */
size_t	grant_line(const struct grant *x, char *buf, size_t cap);
/* StateDir's snapshot and journal: none yet is empty; a bad file is
 * logged and left out. */
int	grants_load(const char *dir, struct grants *out);
/* The whole snapshot, then the journal removed. */
int	grants_save(const char *dir, const struct grants *g);
/* Records' lines (grant_line) appended to the journal and synced. */
int	grants_journal_append(const char *dir, const char *lines, size_t len);
void	grants_clear(struct grants *g);

/* Record a grant: the same signer for the same address extends its
 * record (ports joined, the later expiry). */
int	grants_add(struct grants *g, const struct grant *x);
/* Would grants_add merge x into grant a (the same owner, address and
 * destination)? */
int	grants_same_record(const struct grant *a, const struct grant *x);
/* The same user: the OpenPGP primary key, or the FIDO2 credential. */
int	grants_same_signer(const struct grant *a, const struct grant *b);
/* The same user and the same stanza: what MaxGrants counts per user. */
int	grants_same_user(const struct grant *a, const struct grant *b);
void	grants_remove(struct grants *g, size_t i);
/* Drop records whose time has come; 1 when any went. */
int	grants_expire(struct grants *g, time_t now);
/* The firewall rules of port j of record x (fw.h): returns how many. */
size_t	grant_fw_rules(const struct grant *x, size_t j, struct fw_rule out[3]);
/* Does any record but skip need rule r until after now? */
int	grants_covered(const struct grants *g, size_t skip,
	    const struct fw_rule *r, time_t now);
/* Does record x belong to the user spelled s: its name, a fingerprint or
 * long key id of its key or primary key, or fido2:ID? */
int	grants_owner_is(const struct grant *x, const char *s);
/* Print the records, as text lines or as a JSON array. */
void	grants_print(const struct grants *g, time_t now, int json, FILE *f);
/* "alice@example.com", else the signer in hex, for log lines. */
const char *grants_owner(const struct grant *x, char *buf, size_t len);

#endif
