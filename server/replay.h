/* Replay cache: SHA-256 digests of accepted signed messages (never packet
 * or signature bytes), each kept until the end of its timestamp window,
 * persisted in StateDir so that a restart does not reopen the window. */
#ifndef SK_REPLAY_H
#define SK_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define REPLAY_DIGEST_LEN	32
#define REPLAY_FILE		"replay"

struct replay;

/* Load StateDir/replay (created 0600 if missing), dropping expired
 * entries and rewriting it compacted.  dir NULL: a cache in memory only
 * (sigknockd's worker, whose copy only saves work: the monitor's is the
 * one that decides). */
int	replay_open(const char *dir, time_t now, struct replay **out);
/* 1 when digest was accepted before and has not expired. */
int	replay_seen(const struct replay *rc, const uint8_t d[static REPLAY_DIGEST_LEN],
	    time_t now);
/* Remember digest until `expires`; written to disk (fdatasync) before it
 * returns, so a grant never precedes its record. */
int	replay_add(struct replay *rc, const uint8_t d[static REPLAY_DIGEST_LEN],
	    time_t expires);
/* The same in two steps, for several records and one sync: append
 * (written, remembered, not yet durable), then sync before granting. */
int	replay_append(struct replay *rc,
	    const uint8_t d[static REPLAY_DIGEST_LEN], time_t expires);
int	replay_sync(struct replay *rc);
/* Drop expired entries; compact the file when most of it is dead. */
void	replay_prune(struct replay *rc, time_t now);
/* Every live entry. */
void	replay_each(const struct replay *rc, time_t now,
	    void (*cb)(void *arg, const uint8_t *d, time_t expires), void *arg);
size_t	replay_count(const struct replay *rc);
void	replay_close(struct replay *rc);

#endif
