/* libFuzzer: the server's first steps on a hostile datagram: the work
 * trailer split off and checked, then mac1, HPKE and the request. */
#include "config.h"

#include <stdlib.h>

#include "crypto.h"
#include "wire.h"
#include "work.h"

static struct sk_server_key key;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char label[] = "sigknock golden vector server key";
	uint8_t sk[32];

	crypto_init();
	crypto_sha256(label, sizeof(label) - 1, sk);
	return wire_server_key_init(&key, sk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	uint8_t inner[SK_INNER_MAX];
	struct sk_request rq;
	struct sk_work w;
	size_t n, body;

	work_split(p, len, SK_DATAGRAM_MIN, &w, &body);
	if (body > len || (body < len && (body + SK_WORK_LEN != len ||
	    body < SK_DATAGRAM_MIN)) || (body == len && w.effort != 0))
		abort();
	if (body >= 16)
		(void)work_valid(p, &w);
	if (datagram_open(&key, p, body, inner, sizeof(inner), &n) == 0)
		request_decode(inner, n, &rq);
	return 0;
}
