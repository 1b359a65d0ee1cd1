/* libFuzzer: the server's first steps on a hostile datagram. */
#include "config.h"

#include "crypto.h"
#include "wire.h"

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
	size_t n;

	if (datagram_open(&key, p, len, inner, sizeof(inner), &n) == 0)
		request_decode(inner, n, &rq);
	return 0;
}
