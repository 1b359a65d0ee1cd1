/* libFuzzer: STUN Binding responses (the client reads them from the
 * network).  The transaction id is taken from the input itself, so the
 * fuzzer reaches the attribute walk. */
#include "config.h"

#include <stdlib.h>
#include <sys/socket.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	uint8_t addr[16];
	uint16_t port;
	int fam = 0;

	if (len < STUN_HEADER_LEN)
		return 0;
	if (stun_parse_response(p, len, p + 8, &fam, addr, &port) == 0 &&
	    fam != AF_INET && fam != AF_INET6)
		abort();
	return 0;
}
