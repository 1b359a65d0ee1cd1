/* Malformed datagrams and inner requests: every truncation, a bit flip in
 * every field, oversized lengths, trailing bytes; each refused with the
 * right error, none crashing (this test also runs under ASan/UBSan and
 * valgrind). */
#include "config.h"

#include <string.h>

#include "crypto.h"
#include "err.h"
#include "tap.h"
#include "wire.h"

/* Offsets in the base inner request built below (see PROTOCOL.md 3). */
enum {
	O_VERSION = 0, O_SIGNER = 1, O_TS = 2, O_NONCE = 10, O_DIGEST = 26,
	O_FAMILY = 58, O_ADDR = 59, O_TIMEOUT = 63, O_NACCESS = 65,
	O_ACCESS = 66, O_EXTLEN = 72, O_EXT = 74, O_SIDLEN = 79, O_SID = 80,
	O_SIGLEN = 100, O_SIG = 102, BASE_LEN = 166
};

static uint8_t base[SK_INNER_MAX];
static size_t base_len;

static void
make_base(const struct sk_server_key *k)
{
	struct sk_request rq;
	uint8_t sig[64];
	size_t ulen, i;

	memset(&rq, 0, sizeof(rq));
	rq.version = 1;
	rq.signer_type = SK_SIGNER_OPENPGP;
	rq.timestamp = 1764000000;
	memset(rq.nonce, 0x11, sizeof(rq.nonce));
	memcpy(rq.server_digest, k->digest, 32);
	rq.addr_family = SK_ADDR_IPV4;
	memcpy(rq.addr, "\x0a\x01\x02\x03", 4);
	rq.timeout = 30;
	rq.n_access = 2;
	rq.access[0] = (struct sk_access){ 6, 22 };
	rq.access[1] = (struct sk_access){ 17, 53 };
	rq.ext_len = 5;
	memcpy(rq.ext, "\x01\x03xyz", 5);
	rq.signer_id_len = 20;
	memset(rq.signer_id, 0x22, 20);
	for (i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)i;
	if (request_encode_unsigned(&rq, base, sizeof(base), &ulen) ||
	    request_append_signature(base, sizeof(base), ulen, sig, sizeof(sig),
	    &base_len) || base_len != BASE_LEN)
		bail("cannot build the base request");
}

/* Decode base with one byte (or two, for u16 fields) replaced. */
static int
decode_with(size_t off, const uint8_t *bytes, size_t n)
{
	uint8_t buf[SK_INNER_MAX];
	struct sk_request rq;

	memcpy(buf, base, base_len);
	memcpy(buf + off, bytes, n);
	return request_decode(buf, base_len, &rq);
}

static const struct {
	const char	*name;
	size_t		 off;
	uint8_t		 bytes[2];
	size_t		 n;
	int		 want;
} table[] = {
	{ "version 0", O_VERSION, { 0 }, 1, SK_ERR_BAD_VERSION },
	{ "version 2", O_VERSION, { 2 }, 1, SK_ERR_BAD_VERSION },
	{ "signer type 0", O_SIGNER, { 0 }, 1, SK_ERR_BAD_FIELD },
	{ "signer type 4", O_SIGNER, { 4 }, 1, SK_ERR_BAD_FIELD },
	{ "FIDO2 signer with a 20-byte id", O_SIGNER, { 2 }, 1, SK_ERR_BAD_FIELD },
	{ "address family 5", O_FAMILY, { 5 }, 1, SK_ERR_BAD_FIELD },
	{ "17 access entries", O_NACCESS, { 17 }, 1, SK_ERR_TOO_LONG },
	{ "255 access entries", O_NACCESS, { 255 }, 1, SK_ERR_TOO_LONG },
	{ "protocol 1 (ICMP)", O_ACCESS, { 1 }, 1, SK_ERR_BAD_FIELD },
	{ "port 0", O_ACCESS + 1, { 0, 0 }, 2, SK_ERR_BAD_FIELD },
	{ "extensions 257 bytes", O_EXTLEN, { 0x01, 0x01 }, 2, SK_ERR_TOO_LONG },
	{ "extensions 65535 bytes", O_EXTLEN, { 0xff, 0xff }, 2, SK_ERR_TOO_LONG },
	{ "extension value overruns", O_EXT + 1, { 4 }, 1, SK_ERR_TRUNCATED },
	{ "unknown critical extension", O_EXT, { 0x84 }, 1, SK_ERR_UNKNOWN_CRITICAL },
	{ "signer id 33 bytes", O_SIDLEN, { 33 }, 1, SK_ERR_TOO_LONG },
	{ "signer id 255 bytes", O_SIDLEN, { 255 }, 1, SK_ERR_TOO_LONG },
	{ "signature length 0", O_SIGLEN, { 0, 0 }, 2, SK_ERR_BAD_FIELD },
	{ "signature length 1025", O_SIGLEN, { 0x04, 0x01 }, 2, SK_ERR_TOO_LONG },
	{ "signature length 65535", O_SIGLEN, { 0xff, 0xff }, 2, SK_ERR_TOO_LONG },
	{ "signature length one too long", O_SIGLEN, { 0, 65 }, 2, SK_ERR_TRUNCATED },
	{ "signature length one too short", O_SIGLEN, { 0, 63 }, 2, SK_ERR_TRAILING },
};

/* A request that asks for no port and no time, its n extension bytes
 * ext put in after encoding (the encoder refuses bad ones). */
static int
decode_noports(const uint8_t *ext, size_t n, struct sk_request *rq)
{
	struct sk_request q;
	uint8_t buf[SK_INNER_MAX], sig[8] = "sigsig!";
	size_t ulen, len;

	memset(&q, 0, sizeof(q));
	q.version = 1;
	q.signer_type = SK_SIGNER_OPENPGP;
	q.addr_family = SK_ADDR_SOURCE;
	q.ext_len = (uint16_t)n;
	q.ext[0] = 0x01;		/* a non-critical placeholder */
	q.ext[1] = (uint8_t)(n - 2);
	memset(q.ext + 2, 0xee, n - 2);
	q.signer_id_len = 20;
	if (n < 2 || request_encode_unsigned(&q, buf, sizeof(buf), &ulen) ||
	    request_append_signature(buf, sizeof(buf), ulen, sig, sizeof(sig),
	    &len))
		bail("cannot build a request without ports");
	/* Source mode, no access entries: ext starts at 1+1+8+16+32+1+2+1+2
	 * (PROTOCOL.md 3). */
	memcpy(buf + 64, ext, n);
	return request_decode(buf, len, rq);
}

/* Decode base with its extensions replaced by ext (out: the request). */
static int
decode_ext(const uint8_t *ext, size_t n, struct sk_request *rq)
{
	uint8_t buf[SK_INNER_MAX];
	size_t off = O_EXTLEN;

	memcpy(buf, base, O_EXTLEN);
	buf[off++] = (uint8_t)(n >> 8);
	buf[off++] = (uint8_t)n;
	memcpy(buf + off, ext, n);
	off += n;
	memcpy(buf + off, base + O_SIDLEN, base_len - O_SIDLEN);
	return request_decode(buf, off + base_len - O_SIDLEN, rq);
}

static const struct {
	const char	*name;
	size_t		 start;
	size_t		 end;
} opaque_fields[] = {
	{ "timestamp", O_TS, O_NONCE },
	{ "nonce", O_NONCE, O_DIGEST },
	{ "server key digest", O_DIGEST, O_FAMILY },
	{ "address", O_ADDR, O_TIMEOUT },
	{ "timeout", O_TIMEOUT, O_NACCESS },
	{ "signer id", O_SID, O_SIGLEN },
	{ "signature", O_SIG, BASE_LEN },
};

static int
known_error(int r)
{
	return r == 0 || (r <= SK_ERR_TRUNCATED && r >= SK_ERR_LAST);
}

static void
set_mac1(const struct sk_server_key *k, uint8_t *dg, size_t len)
{
	uint8_t mac[32];

	crypto_hmac_sha256(k->mac1_key, 32, dg + 16, len - 16, mac);
	memcpy(dg, mac, 16);
}

int
main(void)
{
	struct sk_server_key k;
	struct sk_request rq;
	uint8_t sk[32], buf[SK_DATAGRAM_MAX + 16], dg[SK_DATAGRAM_MAX + 16];
	uint8_t out[SK_DATAGRAM_MAX];
	size_t i, n, dlen, olen, bad;
	unsigned bit;
	int r;

	plan(21 + 8 + 7 + 5 + 15 + 7);
	if (crypto_init() != 0)
		bail("crypto_init");
	crypto_random(sk, sizeof(sk));
	wire_server_key_init(&k, sk);
	make_base(&k);

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		is_int(table[i].want, decode_with(table[i].off, table[i].bytes,
		    table[i].n), "inner: %s refused", table[i].name);

	/* The destination extension (0x81, critical): a name, once. */
	r = decode_ext((const uint8_t *)"\x81\x03" "db1", 5, &rq);
	ok(r == 0 && strcmp(rq.dest, "db1") == 0,
	    "inner: destination db1 decodes to its name");
	is_int(SK_ERR_BAD_FIELD, decode_ext((const uint8_t *)"\x81\x03" "d/1", 5,
	    &rq), "inner: a destination with '/' refused");
	is_int(SK_ERR_BAD_FIELD, decode_ext((const uint8_t *)"\x81\x00", 2,
	    &rq), "inner: an empty destination refused");
	is_int(SK_ERR_BAD_FIELD, decode_ext((const uint8_t *)
	    "\x81\x01" "a\x81\x01" "b", 6, &rq),
	    "inner: two destinations refused");
	{
		uint8_t ext[40];

		ext[0] = 0x81;
		ext[1] = 33;
		memset(ext + 2, 'a', 33);
		is_int(SK_ERR_BAD_FIELD, decode_ext(ext, 35, &rq),
		    "inner: a 33-character destination refused");
		ext[1] = 32;
		is_int(0, decode_ext(ext, 34, &rq),
		    "inner: a 32-character destination decodes");
	}
	r = decode_ext((const uint8_t *)"\x01\x01" "x\x81\x02" "g1", 7, &rq);
	ok(r == 0 && strcmp(rq.dest, "g1") == 0,
	    "inner: a destination after a non-critical extension decodes");
	/* The close extension (0x83, critical, PROTOCOL.md 3.5): empty,
	 * once, on a request for no port and no time. */
	r = decode_noports((const uint8_t *)"\x83\x00", 2, &rq);
	ok(r == 0 && rq.close == 1, "inner: a close decodes");
	is_int(SK_ERR_BAD_FIELD, decode_ext((const uint8_t *)"\x83\x00", 2,
	    &rq), "inner: a close that asks for ports and time refused");
	r = decode_noports((const uint8_t *)"\x01\x00", 2, &rq);
	ok(r == 0 && rq.close == 0, "inner: ... and without it, no close");
	is_int(SK_ERR_BAD_FIELD, decode_noports((const uint8_t *)"\x83\x01"
	    "x", 3, &rq), "inner: a close with a value refused");
	is_int(SK_ERR_BAD_FIELD, decode_noports((const uint8_t *)"\x83\x00"
	    "\x83\x00", 4, &rq), "inner: two closes refused");
	memset(&rq, 0, sizeof(rq));
	rq.timeout = 30;
	ok(request_set_close(&rq) != 0, "request_set_close: not with a "
	    "timeout");
	memset(&rq, 0, sizeof(rq));
	ok(request_set_close(&rq) == 0 && rq.ext_len == 2 && memcmp(rq.ext,
	    "\x83\x00", 2) == 0 && request_set_close(&rq) != 0,
	    "request_set_close: one empty TLV, once");
	memset(&rq, 0, sizeof(rq));
	ok(request_set_dest(&rq, "db1") == 0 && rq.ext_len == 5 &&
	    memcmp(rq.ext, "\x81\x03" "db1", 5) == 0 &&
	    request_set_dest(&rq, "db2") != 0 && request_set_dest(&(struct
	    sk_request){ 0 }, "d b") != 0,
	    "request_set_dest: one TLV, once, a valid name");

	/* Fields the decoder does not judge (the signature covers them, or
	 * they are the signature): every bit flip still decodes, to a
	 * different request. */
	for (i = 0; i < sizeof(opaque_fields) / sizeof(opaque_fields[0]); i++) {
		bad = 0;
		for (n = opaque_fields[i].start; n < opaque_fields[i].end; n++)
			for (bit = 0; bit < 8; bit++) {
				uint8_t b = (uint8_t)(base[n] ^ (1u << bit));
				if (decode_with(n, &b, 1) != 0)
					bad++;
			}
		is_int(0, bad, "inner: every bit flip in the %s decodes",
		    opaque_fields[i].name);
	}

	/* Every single-bit flip anywhere: a defined result, never a crash. */
	bad = 0;
	for (n = 0; n < base_len; n++)
		for (bit = 0; bit < 8; bit++) {
			uint8_t b = (uint8_t)(base[n] ^ (1u << bit));
			if (!known_error(decode_with(n, &b, 1)))
				bad++;
		}
	is_int(0, bad, "inner: all %zu bit flips give a defined result",
	    base_len * 8);

	bad = 0;
	for (n = 0; n < base_len; n++)
		if (request_decode(base, n, &rq) != SK_ERR_TRUNCATED)
			bad++;
	is_int(0, bad, "inner: all %zu truncations refused as truncated", base_len);

	memcpy(buf, base, base_len);
	buf[base_len] = 0;
	is_int(SK_ERR_TRAILING, request_decode(buf, base_len + 1, &rq),
	    "inner: a trailing byte refused");
	is_int(SK_ERR_TOO_LONG, request_decode(buf, SK_INNER_MAX + 1, &rq),
	    "inner: over the maximum size refused before parsing");
	is_int(0, request_decode(base, base_len, &rq), "inner: the base decodes");

	/* Outer layer. */
	if (datagram_seal(&k, base, base_len, NULL, dg, sizeof(dg), &dlen) != 0)
		bail("seal");
	is_int(0, datagram_open(&k, dg, dlen, out, sizeof(out), &olen),
	    "datagram: the base opens");
	is_int(SK_ERR_TRUNCATED, datagram_open(&k, dg, SK_DATAGRAM_MIN - 1, out,
	    sizeof(out), &olen), "datagram: 151 bytes refused as too short");
	is_int(SK_ERR_TRUNCATED, datagram_open(&k, dg, 0, out, sizeof(out), &olen),
	    "datagram: empty refused");
	memset(buf, 0, sizeof(buf));
	is_int(SK_ERR_TOO_LONG, datagram_open(&k, buf, SK_DATAGRAM_MAX + 1, out,
	    sizeof(out), &olen), "datagram: 1201 bytes refused as too long");
	is_int(SK_ERR_BAD_MAC, datagram_open(&k, buf, SK_DATAGRAM_MAX, out,
	    sizeof(out), &olen), "datagram: 1200 zero bytes refused at mac1");

	bad = 0;
	for (n = 0; n < dlen; n++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(buf, dg, dlen);
			buf[n] ^= (uint8_t)(1u << bit);
			if (datagram_open(&k, buf, dlen, out, sizeof(out), &olen) !=
			    SK_ERR_BAD_MAC)
				bad++;
		}
	is_int(0, bad, "datagram: all %zu bit flips refused at mac1", dlen * 8);

	/* An attacker who knows the server public key fixes mac1 up: flips in
	 * enc and ciphertext must then die at HPKE. */
	bad = 0;
	for (n = 16; n < 48; n++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(buf, dg, dlen);
			buf[n] ^= (uint8_t)(1u << bit);
			set_mac1(&k, buf, dlen);
			r = datagram_open(&k, buf, dlen, out, sizeof(out), &olen);
			if (r != SK_ERR_DECRYPT && r != SK_ERR_LOW_ORDER)
				bad++;
		}
	is_int(0, bad, "datagram: enc bit flips with a valid mac1 refused by HPKE");
	bad = 0;
	for (n = 48; n < dlen; n++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(buf, dg, dlen);
			buf[n] ^= (uint8_t)(1u << bit);
			set_mac1(&k, buf, dlen);
			if (datagram_open(&k, buf, dlen, out, sizeof(out), &olen) !=
			    SK_ERR_DECRYPT)
				bad++;
		}
	is_int(0, bad, "datagram: ciphertext bit flips with a valid mac1 refused "
	    "by the AEAD");
	bad = 0;
	for (n = SK_DATAGRAM_MIN; n < dlen; n++) {
		memcpy(buf, dg, n);
		set_mac1(&k, buf, n);
		if (datagram_open(&k, buf, n, out, sizeof(out), &olen) !=
		    SK_ERR_DECRYPT)
			bad++;
	}
	for (n = 0; n < SK_DATAGRAM_MIN; n++)
		if (datagram_open(&k, dg, n, out, sizeof(out), &olen) !=
		    SK_ERR_TRUNCATED)
			bad++;
	is_int(0, bad, "datagram: all %zu truncations refused", dlen);
	memcpy(buf, dg, dlen);
	buf[dlen] = 0;
	set_mac1(&k, buf, dlen + 1);
	is_int(SK_ERR_DECRYPT, datagram_open(&k, buf, dlen + 1, out, sizeof(out),
	    &olen), "datagram: a trailing byte (valid mac1) refused");
	memcpy(buf, dg, dlen);
	memset(buf + 16, 0, 32);
	set_mac1(&k, buf, dlen);
	is_int(SK_ERR_LOW_ORDER, datagram_open(&k, buf, dlen, out, sizeof(out),
	    &olen), "datagram: small-order enc refused");
	is_int(SK_ERR_NO_SPACE, datagram_open(&k, dg, dlen, out, 10, &olen),
	    "datagram: short output buffer refused");

	/* An opened datagram whose inner is garbage: decode refuses. */
	memset(buf, 0xff, base_len);
	datagram_seal(&k, buf, base_len, NULL, dg, sizeof(dg), &dlen);
	is_int(0, datagram_open(&k, dg, dlen, out, sizeof(out), &olen),
	    "datagram: garbage inner opens (it was sealed)");
	is_int(SK_ERR_BAD_VERSION, request_decode(out, olen, &rq),
	    "datagram: garbage inner refused by the decoder");
	ok(rq.version == 0 && rq.sig_len == 0,
	    "a refused decode leaves the request zeroed");
	wire_server_key_wipe(&k);
	return 0;
}
