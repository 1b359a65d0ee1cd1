/* libFuzzer: the strict decoder of the inner request. */
#include "config.h"

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	uint8_t msg[SK_SIGNED_MSG_MAX];
	struct sk_request rq;
	size_t n;

	if (request_decode(p, len, &rq) == 0)
		request_signed_message(p, rq.signed_len, msg, sizeof(msg), &n);
	return 0;
}
