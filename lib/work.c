#include "config.h"

#include <string.h>

#include "crypto.h"
#include "endian.h"
#include "work.h"

void
work_split(const uint8_t *p, size_t len, size_t min, struct sk_work *w,
    size_t *body)
{
	const uint8_t *t;

	memset(w, 0, sizeof(*w));
	*body = len;
	if (len < min + SK_WORK_LEN)
		return;
	t = p + len - SK_WORK_LEN;
	if (memcmp(t + 20, SK_WORK_MAGIC, 4) != 0 || t[17] != 0 ||
	    t[18] != 0 || t[19] != 0 || t[16] > SK_WORK_EFFORT_MAX)
		return;
	w->time = be64dec(t);
	w->nonce = be64dec(t + 8);
	w->effort = t[16];
	*body = len - SK_WORK_LEN;
}

void
work_encode(const struct sk_work *w, uint8_t out[SK_WORK_LEN])
{
	be64enc(out, w->time);
	be64enc(out + 8, w->nonce);
	out[16] = w->effort;
	out[17] = out[18] = out[19] = 0;
	memcpy(out + 20, SK_WORK_MAGIC, 4);
}

/* label 16 || mac1 16 || time 8 || nonce 8 || effort 1: 49 bytes, one
 * SHA-256 block. */
#define PROOF_LEN	49

static void
proof_init(uint8_t in[PROOF_LEN], const uint8_t mac1[16],
    const struct sk_work *w)
{
	memcpy(in, SK_WORK_LABEL, 16);
	memcpy(in + 16, mac1, 16);
	be64enc(in + 32, w->time);
	be64enc(in + 40, w->nonce);
	in[48] = w->effort;
}

/* Do the first `bits` bits of h read zero? */
static int
zero_bits(const uint8_t *h, unsigned bits)
{
	unsigned i;

	for (i = 0; i < bits / 8; i++)
		if (h[i] != 0)
			return 0;
	return bits % 8 == 0 || (h[i] >> (8 - bits % 8)) == 0;
}

int
work_valid(const uint8_t mac1[16], const struct sk_work *w)
{
	uint8_t in[PROOF_LEN], h[SK_SHA256_LEN];

	if (w->effort == 0 || w->effort > SK_WORK_EFFORT_MAX)
		return 0;
	proof_init(in, mac1, w);
	if (crypto_sha256(in, sizeof(in), h) != 0)
		return 0;
	return zero_bits(h, w->effort);
}

int
work_solve(const uint8_t mac1[16], struct sk_work *w, uint64_t *tries)
{
	uint8_t in[PROOF_LEN], h[SK_SHA256_LEN];
	uint64_t n = 0;

	proof_init(in, mac1, w);
	for (;;) {
		be64enc(in + 40, w->nonce);
		n++;
		if (crypto_sha256(in, sizeof(in), h) != 0)
			return -1;
		if (zero_bits(h, w->effort))
			break;
		w->nonce++;
	}
	if (tries != NULL)
		*tries = n;
	return 0;
}
