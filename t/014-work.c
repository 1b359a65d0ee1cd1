/* Client puzzles (PROTOCOL.md section 2.1): the committed vectors, work
 * computed for another server (another mac1), another time, other bytes
 * or another effort proving nothing, the trailer's framing, and the
 * solver. */
#include "config.h"

#include <string.h>

#include "crypto.h"
#include "tap.h"
#include "wire.h"
#include "work.h"

int
main(void)
{
	uint8_t mac1[16], other[16], dg[SK_DATAGRAM_MIN + SK_WORK_LEN];
	uint8_t t[SK_WORK_LEN];
	struct sk_work w, v;
	size_t body, i;
	uint64_t tries;
	int bad;

	plan(22);
	if (crypto_init() != 0)
		bail("crypto_init");
	for (i = 0; i < 16; i++)
		mac1[i] = (uint8_t)(i + 1);

	/* The vectors of PROTOCOL.md 2.1: mac1 01..10, time 1795000000. */
	w = (struct sk_work){ 1795000000, 5688, 16 };
	ok(work_valid(mac1, &w), "vector 1: nonce 5688 proves 16 bits");
	w = (struct sk_work){ 1795000000, 90270, 20 };
	ok(work_valid(mac1, &w), "vector 2: nonce 90270 proves 20 bits");
	v = w;
	v.effort = 21;
	ok(!work_valid(mac1, &v), "... not 21 (the effort is hashed too)");
	v = w;
	v.effort = 19;
	ok(!work_valid(mac1, &v), "... nor a claim of 19: it proves exactly "
	    "what it claims or nothing");
	v = w;
	v.time++;
	ok(!work_valid(mac1, &v), "work for another second proves nothing");
	v = w;
	v.nonce++;
	ok(!work_valid(mac1, &v), "another nonce proves nothing");
	memcpy(other, mac1, 16);
	other[15] ^= 1;
	ok(!work_valid(other, &w), "work for another mac1 (another server "
	    "key, or other bytes) proves nothing");
	v = w;
	v.effort = 0;
	ok(!work_valid(mac1, &v), "effort 0 is no work");
	v.effort = SK_WORK_EFFORT_MAX + 1;
	ok(!work_valid(mac1, &v), "above the maximum effort: none");

	/* The trailer: time, nonce, effort, three zeros, "SKW1". */
	work_encode(&w, t);
	is_blob("\x00\x00\x00\x00\x6a\xfd\x86\xc0" "\x00\x00\x00\x00\x00\x01"
	    "\x60\x9e" "\x14\x00\x00\x00" "SKW1", t, SK_WORK_LEN,
	    "the trailer's bytes");
	memset(dg, 0xab, sizeof(dg));
	memcpy(dg + SK_DATAGRAM_MIN, t, SK_WORK_LEN);
	work_split(dg, sizeof(dg), SK_DATAGRAM_MIN, &v, &body);
	ok(body == SK_DATAGRAM_MIN && v.time == w.time && v.nonce == w.nonce &&
	    v.effort == w.effort, "a datagram with a trailer splits");
	work_split(dg, sizeof(dg) - 1, SK_DATAGRAM_MIN, &v, &body);
	ok(body == sizeof(dg) - 1 && v.effort == 0, "without the magic at its "
	    "end: no trailer, all of it is the datagram");
	work_split(dg + 1, sizeof(dg) - 1, SK_DATAGRAM_MIN, &v, &body);
	ok(body == sizeof(dg) - 1 && v.effort == 0, "a trailer that would "
	    "leave too short a datagram: none");
	for (bad = 0, i = 17; i < 20; i++) {
		dg[SK_DATAGRAM_MIN + i] = 1;
		work_split(dg, sizeof(dg), SK_DATAGRAM_MIN, &v, &body);
		bad += body != sizeof(dg) || v.effort != 0;
		dg[SK_DATAGRAM_MIN + i] = 0;
	}
	is_int(0, bad, "padding that is not zero: no trailer");
	dg[SK_DATAGRAM_MIN + 16] = SK_WORK_EFFORT_MAX + 1;
	work_split(dg, sizeof(dg), SK_DATAGRAM_MIN, &v, &body);
	ok(body == sizeof(dg) && v.effort == 0, "an effort above %d: no "
	    "trailer", SK_WORK_EFFORT_MAX);
	dg[SK_DATAGRAM_MIN + 16] = 0;
	work_split(dg, sizeof(dg), SK_DATAGRAM_MIN, &v, &body);
	ok(body == SK_DATAGRAM_MIN && v.effort == 0, "effort 0: a trailer "
	    "that proves nothing");
	work_split(dg, 3, SK_DATAGRAM_MIN, &v, &body);
	ok(body == 3 && v.effort == 0, "a tiny input: no trailer");

	/* The solver, from nonce 0: vector 2 again. */
	v = (struct sk_work){ 1795000000, 0, 20 };
	ok(work_solve(mac1, &v, &tries) == 0 && v.nonce == 90270 &&
	    tries == 90271, "the solver finds vector 2's nonce after 90,271 "
	    "hashes");
	v = (struct sk_work){ 1795000000, 0, 16 };
	ok(work_solve(mac1, &v, NULL) == 0 && v.nonce == 5688,
	    "and vector 1's");
	for (bad = 0, i = 0; i < 20; i++) {
		crypto_random(other, sizeof(other));
		v = (struct sk_work){ 1795000000 + i, 0, (uint8_t)(4 + i % 9) };
		crypto_random(&v.nonce, sizeof(v.nonce));
		bad += work_solve(other, &v, NULL) != 0 || !work_valid(other, &v);
	}
	is_int(0, bad, "20 random puzzles of 4 to 12 bits: solved and valid");
	v = (struct sk_work){ 1795000000, UINT64_MAX, 1 };
	ok(work_solve(mac1, &v, NULL) == 0 && work_valid(mac1, &v),
	    "the nonce may wrap around");
	ok(SK_WORK_DEFAULT <= 24 && SK_DATAGRAM_MAX - SK_WORK_LEN >=
	    SK_DATAGRAM_MIN, "the default effort and the room for a trailer");
	return 0;
}
