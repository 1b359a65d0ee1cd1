/* Client puzzles (PROTOCOL.md section 2.1): a work trailer after the
 * datagram, proving that the sender spent 2^effort hashes on this very
 * datagram (its mac1), for this server (mac1 is keyed from its public
 * key), at this time.  The server checks it with one SHA-256 before any
 * public-key work and serves strangers in order of the effort proven. */
#ifndef SK_WORK_H
#define SK_WORK_H

#include <stddef.h>
#include <stdint.h>

#define SK_WORK_LEN		24	/* time 8, nonce 8, effort 1, 0 0 0, magic 4 */
#define SK_WORK_MAGIC		"SKW1"
#define SK_WORK_LABEL		"sigknock v1 work"	/* 16 bytes, no NUL */
#define SK_WORK_EFFORT_MAX	48	/* more is refused as no work */
#define SK_WORK_DEFAULT		20	/* the client's default effort */

struct sk_work {
	uint64_t	time;	/* Unix seconds: the server accepts it within
				 * its MaxPacketAge */
	uint64_t	nonce;
	uint8_t		effort;	/* leading zero bits of the proof; 0: none */
};

/* Does p[0..len) end with a work trailer?  Then *w holds it and the
 * datagram proper is p[0..*body); else *body = len and w->effort = 0.
 * Only the framing is checked here (magic, zero padding, effort at most
 * SK_WORK_EFFORT_MAX, a datagram left of at least min bytes). */
void	work_split(const uint8_t *p, size_t len, size_t min, struct sk_work *w,
	    size_t *body);

/* 1 when SHA-256(label || mac1 || time || nonce || effort) begins with
 * w->effort zero bits, else 0.  One compression function. */
int	work_valid(const uint8_t mac1[16], const struct sk_work *w);

/* Find a nonce for w->time and w->effort (the client), counting up from
 * w->nonce (a random start: two clients never search the same nonces);
 * the number of hashes it took in *tries (may be NULL).  0, or -1 on a
 * crypto error. */
int	work_solve(const uint8_t mac1[16], struct sk_work *w, uint64_t *tries);

/* The trailer's bytes. */
void	work_encode(const struct sk_work *w, uint8_t out[SK_WORK_LEN]);

#endif
