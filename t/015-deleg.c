/* Delegations (PROTOCOL.md 4.3): the signature field of signer type 3
 * round-trips, every truncation and bad value is refused, the message
 * the token signs changes with every field, the limits hold, and a
 * request signed by the delegated Ed25519 key verifies as the server
 * checks it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "deleg.h"
#include "err.h"
#include "tap.h"

static void
sample(struct sk_delegation *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->dtype = SK_SIGNER_FIDO2;
	d->created = 1795000000;
	d->not_after = d->created + 3600;
	crypto_random(d->epk, sizeof(d->epk));
	d->n_ports = 2;
	d->ports[0] = (struct sk_access){ 6, 22 };
	d->ports[1] = (struct sk_access){ 17, 53 };
	d->dest_len = 3;
	memcpy(d->dest, "db1", 3);
	d->dsig_len = 300;
	for (i = 0; i < d->dsig_len; i++)
		d->dsig[i] = (uint8_t)i;
	crypto_random(d->esig, sizeof(d->esig));
}

int
main(void)
{
	struct sk_delegation d, back, e;
	struct sk_request rq;
	struct crypto_privkey *k;
	struct crypto_pubkey *pub, *v;
	uint8_t buf[SK_SIG_MAX], m1[SK_DELEG_MSG_MAX], m2[SK_DELEG_MSG_MAX];
	uint8_t id[32], q[64], b[8], h[32], r[32], s[32];
	size_t len, n, l1, l2, qlen, blen, rl, sl;
	int bad;

	plan(25);
	if (crypto_init() != 0)
		bail("crypto_init");
	sample(&d);
	ok(deleg_encode(&d, buf, sizeof(buf), &len) == 0 &&
	    deleg_parse(buf, len, &back) == 0 &&
	    memcmp(&d, &back, sizeof(d)) == 0, "encode, parse: the same");
	for (bad = 0, n = 0; n < len; n++)
		bad += deleg_parse(buf, n, &back) == 0;
	is_int(0, bad, "every one of %zu truncations is refused", len);
	buf[len] = 0;
	is_int(SK_ERR_TRAILING, deleg_parse(buf, len + 1, &back),
	    "a trailing byte is refused");
	e = d; e.dtype = SK_SIGNER_DELEGATED;
	deleg_encode(&d, buf, sizeof(buf), &len);
	buf[0] = SK_SIGNER_DELEGATED;
	is_int(SK_ERR_BAD_FIELD, deleg_parse(buf, len, &back),
	    "a delegation signed by a delegated key is refused");
	deleg_encode(&d, buf, sizeof(buf), &len);
	memcpy(buf + 9, buf + 1, 8);	/* not_after = created */
	is_int(SK_ERR_BAD_FIELD, deleg_parse(buf, len, &back),
	    "one that ends when it begins is refused");
	deleg_encode(&d, buf, sizeof(buf), &len);
	buf[1 + 8 + 8 + 32 + 32] = SK_ACCESS_MAX + 1;
	is_int(SK_ERR_TOO_LONG, deleg_parse(buf, len, &back),
	    "17 ports are refused");
	e = d; e.dsig_len = 0;
	ok(deleg_encode(&e, buf, sizeof(buf), &len) != 0,
	    "an empty token signature cannot be encoded");
	deleg_encode(&d, buf, sizeof(buf), &len);
	buf[1 + 8 + 8 + 32 + 32 + 1 + 6 + 1 + 1] = ' ';
	is_int(SK_ERR_BAD_FIELD, deleg_parse(buf, len, &back),
	    "a destination name with a blank is refused");
	deleg_encode(&d, buf, sizeof(buf), &len);
	buf[1 + 8 + 8 + 32 + 32 + 1 + 6] = SK_DEST_MAX + 1;
	is_int(SK_ERR_TOO_LONG, deleg_parse(buf, len, &back),
	    "a destination name of %d bytes is refused", SK_DEST_MAX + 1);
	e = d; e.dest_len = SK_DELEG_DEST_ANY; memset(e.dest, 0, sizeof(e.dest));
	ok(deleg_encode(&e, buf, sizeof(buf), &len) == 0 &&
	    deleg_parse(buf, len, &back) == 0 && back.dest_len ==
	    SK_DELEG_DEST_ANY && back.dest[0] == '\0', "\"any destination\" "
	    "round-trips, with no name");
	e = d; e.dsig_len = SK_DELEG_DSIG_MAX;
	e.dest_len = SK_DEST_MAX;
	memset(e.dest, 'a', SK_DEST_MAX);
	e.n_ports = SK_ACCESS_MAX;
	for (n = 0; n < SK_ACCESS_MAX; n++)
		e.ports[n] = (struct sk_access){ 6, (uint16_t)(1 + n) };
	bad = deleg_encode(&e, buf, sizeof(buf), &len) != 0 || len > SK_SIG_MAX;
	ok(!bad, "the largest delegation fits the signature field (%zu bytes)",
	    len);

	/* The token's message: the context, then every field. */
	memset(id, 0x42, sizeof(id));
	deleg_message(&d, id, 20, m1, sizeof(m1), &l1);
	ok(memcmp(m1, "sigknock v1 delegation\0", 23) == 0 && m1[23] == 3 &&
	    m1[24] == 20 && memcmp(m1 + 25, id, 20) == 0,
	    "the message begins with the context, type 3 and the signer");
	for (bad = 0, n = 0; n < 8; n++) {
		e = d;
		switch (n) {
		case 0: e.created++; break;
		case 1: e.not_after++; break;
		case 2: e.epk[31] ^= 1; break;
		case 3: e.servers[0] = 1; break;
		case 4: e.ports[1].port = 54; break;
		case 5: e.dest[2] = '2'; break;
		case 6: e.dest_len = SK_DELEG_DEST_ANY; break;
		default: e.dtype = SK_SIGNER_OPENPGP; break;
		}
		deleg_message(&e, id, 20, m2, sizeof(m2), &l2);
		bad += l1 == l2 && memcmp(m1, m2, l1) == 0;
	}
	deleg_message(&d, id, 32, m2, sizeof(m2), &l2);
	bad += l1 == l2 && memcmp(m1, m2, l1) == 0;
	is_int(0, bad, "... and changes with every field and the signer");

	/* Limits. */
	memset(&rq, 0, sizeof(rq));
	rq.n_access = 1;
	rq.access[0] = (struct sk_access){ 17, 53 };
	ok(deleg_allows(&d, &rq), "a listed port is allowed");
	rq.access[0].port = 54;
	ok(!deleg_allows(&d, &rq), "another is not");
	rq.n_access = 0;
	ok(!deleg_allows(&d, &rq), "nor the server's default, when ports are "
	    "limited");
	/* Behind a gateway: the port limit is the server's own ports'; a
	 * destination must be named, or "any". */
	rq.n_access = 1;
	rq.access[0] = (struct sk_access){ 6, 22 };
	request_set_dest(&rq, "db1");
	ok(deleg_allows(&d, &rq), "the destination it names is allowed");
	rq.access[0].port = 5432;
	ok(deleg_allows(&d, &rq), "... whatever the port (the port limit is "
	    "for the server's own ports)");
	snprintf(rq.dest, sizeof(rq.dest), "db2");
	ok(!deleg_allows(&d, &rq), "another destination is not");
	snprintf(rq.dest, sizeof(rq.dest), "db11");
	ok(!deleg_allows(&d, &rq), "... nor one it begins");
	e = d; e.dest_len = 0; memset(e.dest, 0, sizeof(e.dest));
	rq.access[0].port = 22;
	snprintf(rq.dest, sizeof(rq.dest), "db1");
	ok(!deleg_allows(&e, &rq), "a delegation limited to tcp/22 with no "
	    "destination does not allow tcp/22@db1");
	e.dest_len = SK_DELEG_DEST_ANY;
	ok(deleg_allows(&e, &rq), "... \"any destination\" does");
	memset(&rq, 0, sizeof(rq));
	memset(d.servers, 7, sizeof(d.servers));
	rq.n_access = 1;
	rq.access[0] = (struct sk_access){ 17, 53 };
	ok(!deleg_allows(&d, &rq) && (memset(rq.server_digest, 7, 32),
	    deleg_allows(&d, &rq)), "a server limit: only that server "
	    "digest (or set root)");

	/* The delegated key's signature, as the agent makes it and the
	 * server checks it: Ed25519 over SHA-256 of the signed message. */
	if (crypto_privkey_generate(&k, SK_PK_EDDSA, SK_CURVE_ED25519, 0) ||
	    crypto_privkey_public(k, &pub) || crypto_pubkey_export(pub, q,
	    &qlen, b, &blen, sizeof(q)))
		bail("ed25519 key");
	crypto_sha256(m1, l1, h);
	ok(crypto_privkey_sign(k, SK_HASH_SHA256, h, 32, r, &rl, s, &sl,
	    32) == 0 && rl == 32 && sl == 32 && crypto_pubkey_ec(&v,
	    SK_PK_EDDSA, SK_CURVE_ED25519, q + qlen - 32, 32) == 0 &&
	    crypto_pubkey_verify(v, SK_HASH_SHA256, h, 32, r, 32, s, 32) == 0,
	    "the delegated key's signature verifies from its 32 raw bytes");
	h[0] ^= 1;
	is_int(SK_ERR_BAD_SIGNATURE, crypto_pubkey_verify(v, SK_HASH_SHA256, h,
	    32, r, 32, s, 32), "... and not over another message");
	crypto_pubkey_free(v);
	crypto_pubkey_free(pub);
	crypto_privkey_free(k);
	return 0;
}
