/* libFuzzer: captured frames; the first byte picks the link type. */
#include "config.h"

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static const int dlts[] = { PKT_DLT_EN10MB, PKT_DLT_RAW,
	    PKT_DLT_LINUX_SLL, PKT_DLT_LINUX_SLL2, PKT_DLT_IPV4, PKT_DLT_IPV6 };
	struct pkt_info pi;

	if (len < 1)
		return 0;
	packet_parse(dlts[p[0] % 6], p + 1, len - 1, &pi);
	return 0;
}
