/* Known sources (PROTOCOL.md section 5): the addresses from which a knock
 * was accepted within KnownPeriod, kept in StateDir/known and its journal
 * (KNOWN_JOURNAL).  Datagrams
 * from them wait in their own lane of the verification queue, ahead of
 * strangers.  An address is an IPv4 address, or an IPv6 /64 (privacy
 * addresses change within it).  Memory is fixed: at most KNOWN_MAX, the
 * least recently seen goes first. */
#ifndef SK_KNOWN_H
#define SK_KNOWN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KNOWN_MAX	4096
#define KNOWN_FILE	"known"
#define KNOWN_JOURNAL	"known.journal"
#define KNOWN_LINE_MAX	96
#define KNOWN_BYTES	(KNOWN_MAX * 96)
/* Each source records whose knock it was (KNOWN_OWNER_LEN bytes of the
 * signer's primary key fingerprint or FIDO2 id); one owner keeps at most
 * KNOWN_PER_OWNER sources, its least recently seen going first, so that
 * no user can fill the list and push out the others'. */
#define KNOWN_OWNER_LEN	8
#define KNOWN_PER_OWNER	16
/* A known source seen again is written out at most this often. */
#define KNOWN_REFRESH_S	3600

struct known;

struct known *known_new(void);
void	known_free(struct known *k);
/* Remember family/addr (raw bytes) as seen at `seen`.  Returns 1 when the
 * source must be written out (a new source, or one not refreshed for
 * KNOWN_REFRESH_S): the caller journals it (known_line) or saves the
 * whole list; else 0. */
int	known_add(struct known *k, int family, const uint8_t *addr, time_t seen);
/* The same, for owner's knock (KNOWN_OWNER_LEN bytes; NULL or all zero:
 * none recorded, not bounded). */
int	known_add_owned(struct known *k, int family, const uint8_t *addr,
	    time_t seen, const uint8_t *owner);
int	known_has(const struct known *k, int family, const uint8_t *addr);
/* Forget sources last seen before `oldest`. */
void	known_prune(struct known *k, time_t oldest);
size_t	known_count(const struct known *k);
void	known_each(const struct known *k, void (*cb)(void *arg, int family,
	    const uint8_t *addr, time_t seen), void *arg);
/* The sources recorded for owner (KNOWN_OWNER_LEN bytes): an IPv4
 * address, or an IPv6 /64 with the rest zero. */
void	known_each_owned(const struct known *k, const uint8_t *owner,
	    void (*cb)(void *arg, int family, const uint8_t *addr), void *arg);

/* Text: one "ADDRESS SEEN [OWNER]" line each (SEEN in Unix seconds;
 * an IPv6 source as its /64, written with the rest zero; OWNER in hex,
 * absent in the first format).  Parse adds every good
 * line to k and counts the others in *bad; it never fails.  Format
 * returns the length, 0 when cap is too small. */
void	known_parse(struct known *k, const char *buf, size_t len, size_t *bad);
size_t	known_format(const struct known *k, char *out, size_t cap);
/* One source's line, as known_format writes it (owner NULL: none). */
size_t	known_line(int family, const uint8_t *addr, time_t seen,
	    const uint8_t *owner, char *out, size_t cap);

/* StateDir/known and the journal of sources added since (KNOWN_JOURNAL,
 * lines appended and synced: a new source costs one line, not the
 * list): load both (missing files are empty; bad lines are logged and
 * skipped; a torn last journal line is left out; reading a line twice
 * changes nothing), save the list atomically (0600) and then remove the
 * journal, append lines to the journal. */
int	known_load(struct known *k, const char *dir);
int	known_save(struct known *k, const char *dir);
int	known_journal_append(const char *dir, const char *lines, size_t len);

#endif
