/* STUN Binding (RFC 8489), the client side only: what the client needs to
 * learn the public address a NAT gives it, so that the knock can bind
 * that address (PROTOCOL.md section 3.2).  The message only: the
 * client asks over TLS (client/target.c) unless the user accepts plain
 * UDP, since a forged answer names an address the forger holds, which
 * then sends the user's knock from there. */
#ifndef SK_STUN_H
#define SK_STUN_H

#include <stddef.h>
#include <stdint.h>

#define STUN_HEADER_LEN		20
#define STUN_TXID_LEN		12
#define STUN_MSG_MAX		1280	/* what we read of a response */
#define STUN_DEFAULT_PORT	3478

/* A Binding request (no attributes) with transaction id txid. */
void	stun_request(uint8_t out[STUN_HEADER_LEN],
	    const uint8_t txid[STUN_TXID_LEN]);

/* Parse a Binding success response to transaction txid: the mapped
 * address (XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS) as *family (AF_INET,
 * AF_INET6), addr (4 or 16 bytes) and *port.  A FINGERPRINT, when present,
 * must be the last attribute and match; an unknown comprehension-required
 * attribute fails the response (RFC 8489 section 7.3.3).  0 or a negative
 * SK_ERR_*; nothing is written on failure. */
int	stun_parse_response(const uint8_t *p, size_t len,
	    const uint8_t txid[STUN_TXID_LEN], int *family, uint8_t addr[16],
	    uint16_t *port);

#endif
