/* Wire format v1: encode, seal, open, decode round trips (PROTOCOL.md). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "tap.h"
#include "deleg.h"
#include "wire.h"
#include "work.h"

static void
random_request(struct sk_request *rq, const struct sk_server_key *k, int i)
{
	uint8_t rnd[64];
	size_t j;

	crypto_random(rnd, sizeof(rnd));
	memset(rq, 0, sizeof(*rq));
	rq->version = SK_WIRE_VERSION;
	rq->signer_type = i % 3 == 2 ? SK_SIGNER_FIDO2 : SK_SIGNER_OPENPGP;
	rq->timestamp = ((uint64_t)rnd[0] << 40) | rnd[1];
	memcpy(rq->nonce, rnd + 2, SK_NONCE_LEN);
	memcpy(rq->server_digest, k->digest, SK_DIGEST_LEN);
	rq->addr_family = (uint8_t[]){ SK_ADDR_SOURCE, SK_ADDR_IPV4,
	    SK_ADDR_IPV6 }[i % 3];
	memcpy(rq->addr, rnd + 20, 16);
	if (rq->addr_family == SK_ADDR_IPV4)
		memset(rq->addr + 4, 0, 12);
	else if (rq->addr_family == SK_ADDR_SOURCE)
		memset(rq->addr, 0, 16);
	rq->timeout = (uint16_t)(rnd[36] << 8 | rnd[37]);
	rq->n_access = (uint8_t)(i % (SK_ACCESS_MAX + 1));
	for (j = 0; j < rq->n_access; j++) {
		rq->access[j].proto = j & 1 ? 17 : 6;
		rq->access[j].port = (uint16_t)(1 + (rnd[38 + j] << 8 | rnd[39 + j]) % 65535);
	}
	rq->ext_len = (uint16_t)(i % 4 == 0 ? 0 : 2 + i % 50);
	if (rq->ext_len > 0) {
		rq->ext[0] = 0x7f;	/* non-critical, unknown: ignored */
		rq->ext[1] = (uint8_t)(rq->ext_len - 2);
		memset(rq->ext + 2, 0xee, rq->ext_len - 2);
	}
	rq->signer_id_len = rq->signer_type == SK_SIGNER_FIDO2 ? 32 :
	    (i % 2 ? 20 : 32);
	memcpy(rq->signer_id, rnd + 1, rq->signer_id_len);
	rq->sig_len = (uint16_t)(1 + (i * 37) % 700);
	for (j = 0; j < rq->sig_len; j++)
		rq->sig[j] = (uint8_t)(j * 7 + i);
}

static int
same_request(const struct sk_request *a, const struct sk_request *b)
{
	return a->version == b->version && a->signer_type == b->signer_type &&
	    a->timestamp == b->timestamp &&
	    memcmp(a->nonce, b->nonce, SK_NONCE_LEN) == 0 &&
	    memcmp(a->server_digest, b->server_digest, SK_DIGEST_LEN) == 0 &&
	    a->addr_family == b->addr_family &&
	    memcmp(a->addr, b->addr, 16) == 0 && a->timeout == b->timeout &&
	    a->n_access == b->n_access &&
	    memcmp(a->access, b->access, a->n_access * sizeof(a->access[0])) == 0 &&
	    a->ext_len == b->ext_len && memcmp(a->ext, b->ext, a->ext_len) == 0 &&
	    a->signer_id_len == b->signer_id_len &&
	    memcmp(a->signer_id, b->signer_id, a->signer_id_len) == 0 &&
	    a->sig_len == b->sig_len && memcmp(a->sig, b->sig, a->sig_len) == 0;
}

static void
hex32(const char *h, uint8_t out[32])
{
	size_t i;
	unsigned v;

	for (i = 0; i < 32; i++) {
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* Server sets (PROTOCOL.md 3.4): every index of every size proves its
 * own digest and no other; a known answer computed apart (Python's
 * hashlib); the set survives encode and decode; the largest set with
 * the largest signature still fits. */
static void
test_sets(const struct sk_server_key *k)
{
	uint8_t d[SK_SET_MAX][SK_DIGEST_LEN], root[SK_DIGEST_LEN], want[32];
	uint8_t inner[SK_INNER_MAX], dg[SK_DATAGRAM_MAX], out[SK_INNER_MAX];
	uint8_t sig[600];
	struct sk_request rq, back;
	size_t n, i, ulen, ilen, dlen, olen;
	int bad = 0, wrong = 0;

	crypto_random(d, sizeof(d));
	for (n = 2; n <= SK_SET_MAX; n++) {
		if (wire_set_root((const uint8_t (*)[32])d, n, root) != 0)
			bad++;
		for (i = 0; i < n; i++) {
			memset(&rq, 0, sizeof(rq));
			rq.set_count = (uint8_t)n;
			rq.set_index = (uint8_t)i;
			memcpy(rq.server_digest, root, 32);
			if (wire_set_proof((const uint8_t (*)[32])d, n, i,
			    rq.set_proof) != 0 || !wire_request_binds(&rq, d[i]))
				bad++;
			if (wire_request_binds(&rq, d[(i + 1) % n]))
				wrong++;
			rq.set_proof[0][i % 32] ^= 1;
			if (wire_request_binds(&rq, d[i]))
				wrong++;
		}
	}
	is_int(0, bad, "sets of 2 to 64 servers: every index's proof leads "
	    "from its digest to the root");
	is_int(0, wrong, "... and neither another digest nor a changed proof "
	    "does");
	memset(d[0], 0x00, 32);
	memset(d[1], 0x11, 32);
	memset(d[2], 0x22, 32);
	hex32("71d308e33dde36c118dcb02e0afee3eb3ea69eade4a1c8f15b6f03e1b7e6dcb1",
	    want);
	wire_set_root((const uint8_t (*)[32])d, 3, root);
	ok(memcmp(root, want, 32) == 0, "the root of 00.., 11.., 22.. is the "
	    "known answer (an empty leaf pads the fourth)");
	hex32("076437766cc57b373aa7c3165ee287f0487fcd742baa5db0d9bc32bb4f9b09c1",
	    want);
	wire_set_root((const uint8_t (*)[32])d, 2, root);
	ok(memcmp(root, want, 32) == 0, "... and of 00.., 11..");

	/* Encode, sign, prove, seal, open, decode: the largest case. */
	memset(&rq, 0, sizeof(rq));
	rq.version = SK_WIRE_VERSION;
	rq.signer_type = SK_SIGNER_OPENPGP;
	rq.addr_family = SK_ADDR_IPV6;
	rq.n_access = SK_ACCESS_MAX;
	for (i = 0; i < SK_ACCESS_MAX; i++)
		rq.access[i] = (struct sk_access){ 6, (uint16_t)(1000 + i) };
	rq.signer_id_len = 32;
	crypto_random(d, sizeof(d));
	memcpy(d[SK_SET_MAX - 1], k->digest, 32);
	wire_set_root((const uint8_t (*)[32])d, SK_SET_MAX, rq.server_digest);
	request_set_dest(&rq, "a-destination-name-of-32-chars-x");
	memset(sig, 0x5a, sizeof(sig));	/* an RSA-4096 OpenPGP packet: ~540 */
	ok(request_set_group(&rq, SK_SET_MAX) == 0 &&
	    request_set_group(&rq, 3) != 0, "request_set_group: once");
	wire_set_proof((const uint8_t (*)[32])d, SK_SET_MAX, SK_SET_MAX - 1,
	    rq.set_proof);
	ok(request_encode_unsigned(&rq, inner, sizeof(inner), &ulen) == 0 &&
	    request_append_signature(inner, sizeof(inner), ulen, sig,
	    sizeof(sig), &ilen) == 0 && request_append_proof(inner,
	    sizeof(inner), ilen, &rq, SK_SET_MAX - 1, rq.set_proof, &ilen) == 0 &&
	    datagram_seal(k, inner, ilen, NULL, dg, sizeof(dg), &dlen) == 0,
	    "64 servers, 16 ports, IPv6, a destination, a 600-byte signature: "
	    "sealed");
	ok(dlen + SK_WORK_LEN <= SK_DATAGRAM_MAX, "... in %zu bytes, with "
	    "room for the work trailer", dlen);
	{
		/* Delegated (PROTOCOL.md 4.3) by an RSA-4096 key (its OpenPGP
		 * signature ~540 bytes; the delegation with a 16-port limit and
		 * the Ed25519 signature fill ~760 of the signature field): 64
		 * servers, IPv6, two ports still fit with the work trailer. */
		struct sk_delegation dl;
		struct sk_request dq = rq;
		uint8_t field[SK_SIG_MAX], big[SK_INNER_MAX];
		uint8_t bdg[SK_DATAGRAM_MAX];
		size_t flen, blen, bdlen = 0, bulen;

		memset(&dl, 0, sizeof(dl));
		dl.dtype = SK_SIGNER_OPENPGP;
		dl.created = 1;
		dl.not_after = 2;
		dl.n_ports = SK_ACCESS_MAX;
		memcpy(dl.ports, rq.access, sizeof(dl.ports));
		dl.dsig_len = 560;
		dq.signer_type = SK_SIGNER_DELEGATED;
		dq.n_access = 2;
		dq.ext_len = 0;
		dq.dest[0] = '\0';
		dq.set_count = 0;
		int fits = request_set_group(&dq, SK_SET_MAX) == 0 &&
		    deleg_encode(&dl, field, sizeof(field), &flen) == 0 &&
		    request_encode_unsigned(&dq, big, sizeof(big), &bulen) == 0 &&
		    request_append_signature(big, sizeof(big), bulen, field,
		    flen, &blen) == 0 && request_append_proof(big, sizeof(big),
		    blen, &dq, SK_SET_MAX - 1, dq.set_proof, &blen) == 0 &&
		    datagram_seal(k, big, blen, NULL, bdg, sizeof(bdg),
		    &bdlen) == 0 && bdlen + SK_WORK_LEN <= SK_DATAGRAM_MAX;

		ok(fits, "... delegated by an RSA-4096 key, 64 servers, IPv6, "
		    "two ports: %zu bytes with work", bdlen + SK_WORK_LEN);
	}
	ok(datagram_open(k, dg, dlen, out, sizeof(out), &olen) == 0 &&
	    request_decode(out, olen, &back) == 0 && back.set_count ==
	    SK_SET_MAX && back.set_index == SK_SET_MAX - 1 &&
	    back.signed_len == ulen && wire_request_binds(&back, k->digest),
	    "... decodes, and binds this server");
	out[olen - 1] ^= 1;
	ok(request_decode(out, olen, &back) == 0 &&
	    !wire_request_binds(&back, k->digest), "a flipped proof byte "
	    "decodes but binds nothing");
	out[ilen - 1 - 6 * 32] = SK_SET_MAX;
	is_int(SK_ERR_BAD_FIELD, request_decode(out, olen, &back),
	    "an index outside the set is malformed");
	out[ilen - 1 - 6 * 32] = SK_SET_MAX - 1;
	is_int(SK_ERR_TRUNCATED, request_decode(out, olen - 1, &back),
	    "a proof one byte short is truncated");
}

int
main(void)
{
	struct sk_server_key k, client, other;
	struct sk_request rq, back;
	uint8_t sk[32], inner[SK_INNER_MAX], dg[SK_DATAGRAM_MAX], out[SK_INNER_MAX];
	uint8_t msg[SK_SIGNED_MSG_MAX], sig[SK_SIG_MAX + 1];
	size_t ulen, ilen, dlen, olen, mlen;
	int i, fails = 0, sizes = 0;

	plan(17 + 12);
	if (crypto_init() != 0)
		bail("crypto_init");
	crypto_random(sk, sizeof(sk));
	is_int(0, wire_server_key_init(&k, sk), "server key from a secret");
	/* A client knows only the public key. */
	memcpy(client.pk, k.pk, sizeof(client.pk));
	is_int(0, wire_server_key_init(&client, NULL), "client side key from pk");
	ok(memcmp(client.mac1_key, k.mac1_key, 32) == 0 &&
	    memcmp(client.digest, k.digest, 32) == 0,
	    "client derives the same mac1 key and digest");
	ok(memcmp(k.mac1_key, k.digest, 32) != 0,
	    "mac1 key and server digest are domain-separated");

	for (i = 0; i < 300; i++) {
		random_request(&rq, &k, i);
		if (request_encode_unsigned(&rq, inner, sizeof(inner), &ulen) ||
		    request_append_signature(inner, sizeof(inner), ulen, rq.sig,
		    rq.sig_len, &ilen) ||
		    datagram_seal(&client, inner, ilen, NULL, dg, sizeof(dg), &dlen) ||
		    dlen != ilen + SK_OUTER_OVERHEAD ||
		    datagram_open(&k, dg, dlen, out, sizeof(out), &olen) ||
		    olen != ilen || memcmp(out, inner, ilen) != 0 ||
		    request_decode(out, olen, &back) || !same_request(&rq, &back) ||
		    back.signed_len != ulen)
			fails++;
		if (dlen <= SK_DATAGRAM_MAX)
			sizes++;
	}
	is_int(0, fails, "300 random requests survive encode, seal, open, decode");
	test_sets(&k);
	is_int(300, sizes, "every datagram is at most 1200 bytes");

	/* Signed message: context with its NUL, then the unsigned part. */
	is_int(0, request_signed_message(out, back.signed_len, msg, sizeof(msg),
	    &mlen), "signed message");
	ok(mlen == 20 + back.signed_len && memcmp(msg, "sigknock v1 request\0",
	    20) == 0 && memcmp(msg + 20, out, back.signed_len) == 0,
	    "signed message is the context string then the signed inner bytes");

	/* Sealed twice: different ephemeral keys, different datagrams. */
	datagram_seal(&client, inner, ilen, NULL, dg, sizeof(dg), &dlen);
	memcpy(out, dg, dlen);
	datagram_seal(&client, inner, ilen, NULL, dg, sizeof(dg), &dlen);
	ok(memcmp(out, dg, dlen) != 0, "each seal uses a fresh ephemeral key");

	/* A datagram for another server fails at mac1. */
	crypto_random(sk, sizeof(sk));
	wire_server_key_init(&other, sk);
	datagram_seal(&other, inner, ilen, NULL, dg, sizeof(dg), &dlen);
	is_int(SK_ERR_BAD_MAC, datagram_open(&k, dg, dlen, out, sizeof(out), &olen),
	    "datagram sealed to another server refused at mac1");

	/* The largest request: 16 access entries and a signature that fills
	 * the datagram to exactly 1200 bytes; one byte more does not fit. */
	random_request(&rq, &k, 1);
	rq.n_access = SK_ACCESS_MAX;
	for (i = 0; i < SK_ACCESS_MAX; i++)
		rq.access[i] = (struct sk_access){ 6, (uint16_t)(1000 + i) };
	rq.ext_len = 0;
	request_encode_unsigned(&rq, inner, sizeof(inner), &ulen);
	memset(sig, 0x5a, sizeof(sig));
	is_int(0, request_append_signature(inner, sizeof(inner), ulen, sig,
	    SK_INNER_MAX - ulen - 2, &ilen), "largest signature that fits");
	is_int(SK_DATAGRAM_MAX, (long long)(ilen + SK_OUTER_OVERHEAD),
	    "fills the datagram exactly");
	is_int(SK_ERR_NO_SPACE, request_append_signature(inner, sizeof(inner),
	    ulen, sig, SK_INNER_MAX - ulen - 1, &ilen),
	    "one byte more does not fit");
	is_int(SK_ERR_INVALID_ARG, request_append_signature(inner, sizeof(inner),
	    10, sig, SK_SIG_MAX + 1, &ilen), "a signature over 1024 bytes refused");

	/* Encoder refuses what the decoder would refuse. */
	random_request(&rq, &k, 0);
	rq.access[0].port = 0;
	rq.n_access = 1;
	is_int(SK_ERR_INVALID_ARG, request_encode_unsigned(&rq, inner,
	    sizeof(inner), &ulen), "encoder refuses port 0");
	random_request(&rq, &k, 0);
	rq.signer_id_len = 19;
	is_int(SK_ERR_INVALID_ARG, request_encode_unsigned(&rq, inner,
	    sizeof(inner), &ulen), "encoder refuses a 19-byte fingerprint");
	random_request(&rq, &k, 0);
	is_int(SK_ERR_NO_SPACE, request_encode_unsigned(&rq, inner, 50, &ulen),
	    "encoder refuses a short output buffer");
	wire_server_key_wipe(&k);
	return 0;
}
