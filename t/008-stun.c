/* STUN Binding responses (RFC 8489) against RFC 5769's test vectors, and
 * every way a response can be wrong. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "stun.h"
#include "tap.h"

/* RFC 5769 2.2 and 2.3: SOFTWARE, XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
 * FINGERPRINT. */
static const char v4_hex[] =
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96";
static const char v6_hex[] =
    "010100482112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
    "80280004c8fb0b4c";
static const uint8_t txid[STUN_TXID_LEN] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc,
    0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

static int
parse(const uint8_t *p, size_t len, char *addr, uint16_t *port)
{
	uint8_t a[16];
	int fam, r;

	if ((r = stun_parse_response(p, len, txid, &fam, a, port)) == 0)
		inet_ntop(fam, a, addr, INET6_ADDRSTRLEN);
	return r;
}

int
main(void)
{
	uint8_t v4[256], v6[256], m[256], req[STUN_HEADER_LEN];
	char addr[INET6_ADDRSTRLEN];
	size_t n4, n6, i, bad;
	uint16_t port;

	plan(16);
	n4 = unhex(v4_hex, v4, sizeof(v4));
	n6 = unhex(v6_hex, v6, sizeof(v6));

	stun_request(req, txid);
	is_blob("\x00\x01\x00\x00\x21\x12\xa4\x42", req, 8,
	    "a Binding request: type, length 0, magic cookie");
	is_blob(txid, req + 8, STUN_TXID_LEN, "... and the transaction id");

	is_int(0, parse(v4, n4, addr, &port), "RFC 5769 2.2: IPv4 response");
	is_string("192.0.2.1", addr, "... maps to 192.0.2.1");
	is_int(32853, port, "... port 32853");
	is_int(0, parse(v6, n6, addr, &port), "RFC 5769 2.3: IPv6 response");
	is_string("2001:db8:1234:5678:11:2233:4455:6677", addr,
	    "... maps to 2001:db8:1234:5678:11:2233:4455:6677");

	memcpy(m, v4, n4);
	m[8] ^= 1;
	ok(parse(m, n4, addr, &port) != 0, "another transaction is refused");
	memcpy(m, v4, n4);
	m[44] ^= 1;	/* the XOR'd address: FINGERPRINT no longer matches */
	is_int(SK_ERR_BAD_MAC, parse(m, n4, addr, &port),
	    "a changed address fails the FINGERPRINT");
	memcpy(m, v4, n4);
	m[1] = 0x11;	/* Binding error response */
	ok(parse(m, n4, addr, &port) != 0, "an error response is refused");
	for (bad = 0, i = 0; i < n4; i++)
		if (parse(v4, i, addr, &port) == 0)
			bad++;
	is_int(0, bad, "every truncation of the response is refused");
	for (bad = 0, i = 0; i < n4 * 8; i++) {
		memcpy(m, v4, n4);
		m[i / 8] ^= (uint8_t)(1 << (i % 8));
		/* FINGERPRINT covers every byte before it; a flip that hides
		 * it (in its type, or in a length that swallows it) leaves a
		 * response whose address is still the right one. */
		if (parse(m, n4, addr, &port) == 0 &&
		    (strcmp(addr, "192.0.2.1") != 0 || port != 32853)) {
			diag("bit %zu of byte %zu flipped: %s port %u", i % 8,
			    i / 8, addr, port);
			bad++;
		}
	}
	is_int(0, bad, "no single bit flip yields another address");

	/* Without FINGERPRINT, a lone MAPPED-ADDRESS (RFC 3489 servers). */
	unhex("0101000c2112a442b7e7a701bc34d686fa87dfae"
	    "000100080001d431cb007105", m, sizeof(m));
	is_int(0, parse(m, 32, addr, &port), "a plain MAPPED-ADDRESS is read");
	is_string("203.0.113.5", addr, "... as 203.0.113.5");
	/* An unknown comprehension-required attribute (0x7FFF). */
	unhex("010100102112a442b7e7a701bc34d686fa87dfae"
	    "7fff0000000100080001d431cb007105", m, sizeof(m));
	is_int(SK_ERR_UNKNOWN_CRITICAL, parse(m, 36, addr, &port),
	    "an unknown comprehension-required attribute fails the response");
	/* No address at all. */
	unhex("010100002112a442b7e7a701bc34d686fa87dfae", m, sizeof(m));
	ok(parse(m, 20, addr, &port) != 0, "a response without an address is "
	    "refused");
	return 0;
}
