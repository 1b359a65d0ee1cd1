#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "hash.h"
#include "known.h"
#include "log.h"

#define SLOTS	8192		/* power of two, twice KNOWN_MAX */

struct entry {
	uint8_t		key[9];		/* family, then 4 or 8 address bytes */
	uint8_t		used;		/* 0 free, 1 used, 2 deleted */
	uint8_t		owner[KNOWN_OWNER_LEN];	/* zero: none recorded */
	time_t		seen;
	time_t		saved;		/* seen as last written out */
};

static const uint8_t no_owner[KNOWN_OWNER_LEN];

struct known {
	uint64_t	seed;
	size_t		n, deleted;
	struct entry	e[SLOTS];
};

struct known *
known_new(void)
{
	struct known *k;

	if ((k = calloc(1, sizeof(*k))) != NULL)
		crypto_random(&k->seed, sizeof(k->seed));
	return k;
}

void
known_free(struct known *k)
{
	free(k);
}

static int
make_key(int family, const uint8_t *addr, uint8_t key[9])
{
	memset(key, 0, 9);
	if (family != AF_INET && family != AF_INET6)
		return -1;
	key[0] = (uint8_t)family;
	memcpy(key + 1, addr, family == AF_INET ? 4 : 8);
	return 0;
}

/* The slot holding key, else NULL; *free_slot (if not NULL) gets the
 * first reusable slot on the way. */
static struct entry *
find(const struct known *k, const uint8_t key[9], struct entry **free_slot)
{
	size_t h = (size_t)sk_hash(k->seed, key, 9), i;
	struct entry *e;

	if (free_slot != NULL)
		*free_slot = NULL;
	for (i = 0; i < SLOTS; i++) {
		e = (struct entry *)&k->e[(h + i) & (SLOTS - 1)];
		if (e->used == 0) {
			if (free_slot != NULL && *free_slot == NULL)
				*free_slot = e;
			return NULL;
		}
		if (e->used == 2) {
			if (free_slot != NULL && *free_slot == NULL)
				*free_slot = e;
			continue;
		}
		if (memcmp(e->key, key, 9) == 0)
			return e;
	}
	return NULL;
}

/* Drop the least recently seen source, of owner's when owner is not
 * NULL; returns how many owner held before (all when owner is NULL). */
static size_t
drop_oldest(struct known *k, const uint8_t *owner)
{
	struct entry *old = NULL;
	size_t i, n = 0;

	for (i = 0; i < SLOTS; i++) {
		if (k->e[i].used != 1 || (owner != NULL &&
		    memcmp(k->e[i].owner, owner, KNOWN_OWNER_LEN) != 0))
			continue;
		n++;
		if (old == NULL || k->e[i].seen < old->seen)
			old = &k->e[i];
	}
	if (old != NULL && (owner == NULL || n >= KNOWN_PER_OWNER)) {
		old->used = 2;
		k->n--;
		k->deleted++;
	}
	return n;
}

/* Lookups stop at a free slot: when deleted ones fill the table, put
 * the live entries back into a clean one. */
static void
rehash(struct known *k)
{
	struct entry *live, *slot;
	size_t i, n = 0;

	if (k->n + k->deleted < SLOTS / 4 * 3 ||
	    (live = malloc(k->n * sizeof(*live) + 1)) == NULL)
		return;
	for (i = 0; i < SLOTS; i++)
		if (k->e[i].used == 1)
			live[n++] = k->e[i];
	memset(k->e, 0, sizeof(k->e));
	k->n = k->deleted = 0;
	for (i = 0; i < n; i++) {
		find(k, live[i].key, &slot);
		*slot = live[i];
		k->n++;
	}
	free(live);
}

int
known_add(struct known *k, int family, const uint8_t *addr, time_t seen)
{
	return known_add_owned(k, family, addr, seen, NULL);
}

int
known_add_owned(struct known *k, int family, const uint8_t *addr,
    time_t seen, const uint8_t *owner)
{
	uint8_t key[9];
	struct entry *e, *slot;

	if (make_key(family, addr, key) != 0)
		return 0;
	if (owner != NULL && memcmp(owner, no_owner, KNOWN_OWNER_LEN) == 0)
		owner = NULL;
	if ((e = find(k, key, &slot)) != NULL) {
		if (seen > e->seen)
			e->seen = seen;
		if (e->seen - e->saved < KNOWN_REFRESH_S)
			return 0;
		e->saved = e->seen;	/* the caller writes it out */
		return 1;
	}
	/* One user's new source pushes out that user's oldest, not
	 * someone else's: nobody fills the list for the others. */
	if (owner != NULL && drop_oldest(k, owner) >= KNOWN_PER_OWNER)
		find(k, key, &slot);
	if (k->n == KNOWN_MAX) {
		drop_oldest(k, NULL);
		find(k, key, &slot);
	}
	if (slot == NULL)
		return 0;	/* cannot happen: SLOTS > KNOWN_MAX */
	if (slot->used == 2)
		k->deleted--;
	memcpy(slot->key, key, 9);
	memcpy(slot->owner, owner != NULL ? owner : no_owner,
	    KNOWN_OWNER_LEN);
	slot->used = 1;
	slot->seen = seen;
	slot->saved = seen;	/* the caller writes it out */
	k->n++;
	rehash(k);
	return 1;
}

int
known_has(const struct known *k, int family, const uint8_t *addr)
{
	uint8_t key[9];

	return make_key(family, addr, key) == 0 && find(k, key, NULL) != NULL;
}

void
known_prune(struct known *k, time_t oldest)
{
	size_t i;

	for (i = 0; i < SLOTS; i++)
		if (k->e[i].used == 1 && k->e[i].seen < oldest) {
			k->e[i].used = 2;
			k->n--;
			k->deleted++;
		}
	rehash(k);
}

size_t
known_count(const struct known *k)
{
	return k->n;
}

static void
key_addr(const struct entry *e, int *family, uint8_t addr[16])
{
	*family = e->key[0];
	memset(addr, 0, 16);
	memcpy(addr, e->key + 1, *family == AF_INET ? 4 : 8);
}

void
known_each(const struct known *k, void (*cb)(void *arg, int family,
    const uint8_t *addr, time_t seen), void *arg)
{
	uint8_t addr[16];
	int family;
	size_t i;

	for (i = 0; i < SLOTS; i++)
		if (k->e[i].used == 1) {
			key_addr(&k->e[i], &family, addr);
			cb(arg, family, addr, k->e[i].seen);
		}
}

void
known_each_owned(const struct known *k, const uint8_t *owner,
    void (*cb)(void *arg, int family, const uint8_t *addr), void *arg)
{
	uint8_t addr[16];
	int family;
	size_t i;

	for (i = 0; i < SLOTS; i++)
		if (k->e[i].used == 1 && memcmp(k->e[i].owner, owner,
		    KNOWN_OWNER_LEN) == 0) {
			key_addr(&k->e[i], &family, addr);
			cb(arg, family, addr);
		}
}

static int
parse_line(struct known *k, char *line)
{
	char *sp, *end;
	uint8_t addr[16], owner[KNOWN_OWNER_LEN];
	unsigned long long seen;
	int family;

	if ((sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp++ = '\0';
	if (sk_addr_parse(line, &family, addr) != 0 || *sp < '0' ||
	    *sp > '9')
		return -1;
	errno = 0;
	seen = strtoull(sp, &end, 10);
	if ((*end != '\0' && *end != ' ') || errno != 0 || seen > INT64_MAX)
		return -1;
	/* An owner (the first file format had none). */
	if (*end == ' ') {
		unsigned v;
		size_t i;

		if (strlen(end + 1) != 2 * KNOWN_OWNER_LEN)
			return -1;
		for (i = 0; i < KNOWN_OWNER_LEN; i++) {
			if (sscanf(end + 1 + 2 * i, "%2x", &v) != 1 ||
			    end[1 + 2 * i] == ' ' || end[1 + 2 * i] == '+' ||
			    end[1 + 2 * i] == '-')
				return -1;
			owner[i] = (uint8_t)v;
		}
		known_add_owned(k, family, addr, (time_t)seen, owner);
		return 0;
	}
	known_add(k, family, addr, (time_t)seen);
	return 0;
}

static int
parse_cb(void *arg, char *line)
{
	return parse_line(arg, line);
}

void
known_parse(struct known *k, const char *buf, size_t len, size_t *bad)
{
	size_t n = file_each_line(buf, len, parse_cb, k);

	if (bad != NULL)
		*bad = n;
}

size_t
known_line(int family, const uint8_t *addr, time_t seen, const uint8_t *owner,
    char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN], hex[2 * KNOWN_OWNER_LEN + 1];
	size_t j;
	int n;

	hex[0] = '\0';
	for (j = 0; owner != NULL && memcmp(owner, no_owner,
	    KNOWN_OWNER_LEN) != 0 && j < KNOWN_OWNER_LEN; j++)
		snprintf(hex + 2 * j, 3, "%02x", owner[j]);
	n = snprintf(out, cap, "%s %" PRId64 "%s%s\n",
	    sk_addr_str(family, addr, a, sizeof(a)), (int64_t)seen,
	    hex[0] ? " " : "", hex);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

size_t
known_format(const struct known *k, char *out, size_t cap)
{
	uint8_t addr[16];
	size_t i, len, n;
	int family;

	n = (size_t)snprintf(out, cap, "# sigknockd: sources of accepted "
	    "knocks (address, last seen, whose)\n");
	if (n >= cap)
		return 0;
	len = n;
	for (i = 0; i < SLOTS; i++) {
		if (k->e[i].used != 1)
			continue;
		key_addr(&k->e[i], &family, addr);
		if ((n = known_line(family, addr, k->e[i].seen, k->e[i].owner,
		    out + len, cap - len)) == 0)
			return 0;
		len += n;
	}
	return len;
}

/* Read one file into k; a journal's torn last line is left out. */
static int
load_file(struct known *k, const char *path, int journal)
{
	char *buf;
	size_t len, bad = 0;
	int r;

	if ((r = file_read_all(path, KNOWN_BYTES, &buf, &len)) != 0)
		return errno == ENOENT ? 0 : r;
	if (journal)
		while (len > 0 && buf[len - 1] != '\n')
			len--;
	known_parse(k, buf, len, &bad);
	free(buf);
	if (bad > 0)
		log_warn("%s: %zu lines that are not ADDRESS SEEN [OWNER] "
		    "skipped", path, bad);
	return 0;
}

int
known_load(struct known *k, const char *dir)
{
	char path[4096];
	size_t i;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, KNOWN_FILE);
	if ((r = load_file(k, path, 0)) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", dir, KNOWN_JOURNAL);
	if ((r = load_file(k, path, 1)) != 0)
		return r;
	for (i = 0; i < SLOTS; i++)
		k->e[i].saved = k->e[i].seen;
	return 0;
}

int
known_save(struct known *k, const char *dir)
{
	static char buf[KNOWN_BYTES];
	char path[4096];
	size_t len, i;

	snprintf(path, sizeof(path), "%s/%s", dir, KNOWN_FILE);
	if ((len = known_format(k, buf, sizeof(buf))) == 0 ||
	    file_write_atomic(path, buf, len, 0600) != 0)
		return SK_ERR_IO;
	for (i = 0; i < SLOTS; i++)
		k->e[i].saved = k->e[i].seen;
	/* Only now: a crash before this reads the journal over a list that
	 * holds it, which changes nothing. */
	snprintf(path, sizeof(path), "%s/%s", dir, KNOWN_JOURNAL);
	return file_remove(path);
}

int
known_journal_append(const char *dir, const char *lines, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, KNOWN_JOURNAL);
	return file_append_sync(path, lines, len, 0600);
}
