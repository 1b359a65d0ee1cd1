/* The monitor/worker boundary (privsep.h) without processes: the policy
 * snapshot written by the monitor and read by the worker gives the same
 * keys, rules, FIDO2 users and replay digests (and keys that still
 * verify); no truncation of it parses; and the monitor's check of a
 * grant request verifies the signature itself and refuses each thing a
 * worker could forge or lie about. */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "endian.h"
#include "err.h"
#include "privsep.h"
#include "tap.h"

static struct knock k;
static struct server_config cfg;
static struct crypto_privkey *priv[3], *carol_key;
static time_t now;

static void
make_key(size_t i, enum sk_pk_alg alg, enum sk_curve curve, unsigned bits,
    const char *name, time_t expires)
{
	struct keyring_entry *e = &k.kr->entries[i];
	uint8_t q[1024], q2[1024];
	size_t qlen, q2len;
	int tries = 0;

	/* Ed25519: a key whose public key starts with a zero byte (1 in
	 * 256), which an export once shortened to 31 bytes. */
	do {
		crypto_privkey_free(priv[i]);
		crypto_pubkey_free(e->pk);
		e->pk = NULL;
		if (crypto_privkey_generate(&priv[i], alg, curve, bits) != 0 ||
		    crypto_privkey_public(priv[i], &e->pk) != 0 ||
		    crypto_pubkey_export(e->pk, q, &qlen, q2, &q2len,
		    sizeof(q)) != 0)
			bail("key generation");
	} while (alg == SK_PK_EDDSA && !(qlen < 32 || q[0] == 0) &&
	    ++tries < 20000);
	if (alg == SK_PK_EDDSA)
		is_int(32, (long long)qlen, "an Ed25519 public key starting "
		    "with a zero byte exports at its full 32 bytes");
	memset(e->fpr, 0x10 * (int)(i + 1), PGP_FPR_LEN);	/* sorted */
	memset(e->primary_fpr, 0xa0 + (int)i, PGP_FPR_LEN);
	e->algo = alg == SK_PK_RSA ? 1 : alg == SK_PK_ECDSA ? 19 : 22;
	e->bits = bits;
	e->expires = expires;
	e->created = 1700000000;
	snprintf(e->uid, sizeof(e->uid), "%s@example.com", name);
	snprintf(e->name, sizeof(e->name), "%s", name);
	k.kr->n++;
}

static void
setup(void)
{
	struct fido2_record rec;
	struct crypto_privkey *fk;
	struct crypto_pubkey *fp;
	char path[] = "/tmp/sigknock-307.XXXXXX";
	uint8_t sk[32], d[32];
	size_t qlen;
	int fd, i;
	const char *acl =
	    "[admins]\n"
	    "Users      alice, bob, carol\n"
	    "Open       tcp/22, tcp/443\n"
	    "Default    tcp/22\n"
	    "Timeout    30\n"
	    "MaxTimeout 300\n"
	    "Source     192.0.2.0/24\n"
	    "Forward    db1 10.1.0.5 tcp/22 via 2222, tcp/5432\n"
	    "Masquerade yes\n"
	    "AllowSourceMode yes\n";

	now = time(NULL);
	cfg.max_packet_age = 120;
	k.cfg = &cfg;
	crypto_random(sk, sizeof(sk));
	if (wire_server_key_init(&k.key, sk) != 0)
		bail("server key");
	if ((fd = mkstemp(path)) < 0 || write(fd, acl, strlen(acl)) !=
	    (ssize_t)strlen(acl))
		bail("access file");
	close(fd);
	if (access_load(path, &k.acl) != 0)
		bail("access_load");
	unlink(path);
	if ((k.kr = calloc(1, sizeof(*k.kr))) == NULL ||
	    (k.kr->entries = calloc(3, sizeof(*k.kr->entries))) == NULL)
		bail("alloc");
	make_key(0, SK_PK_EDDSA, SK_CURVE_ED25519, 255, "alice", 0);
	make_key(1, SK_PK_ECDSA, SK_CURVE_P256, 256, "bob", now - 1);
	make_key(2, SK_PK_RSA, SK_CURVE_NONE, 2048, "dave", 0);
	/* carol: a FIDO2 ES256 credential */
	memset(&rec, 0, sizeof(rec));
	rec.kind = FIDO2_ENROLLMENT;
	snprintf(rec.name, sizeof(rec.name), "carol");
	snprintf(rec.rp, sizeof(rec.rp), "sigknock");
	rec.alg = FIDO2_ES256;
	rec.credlen = 64;
	crypto_random(rec.cred, rec.credlen);
	if (crypto_privkey_generate(&fk, SK_PK_ECDSA, SK_CURVE_P256, 0) != 0 ||
	    crypto_privkey_public(fk, &fp) != 0 ||
	    crypto_pubkey_export(fp, rec.pk, &qlen, NULL, NULL,
	    sizeof(rec.pk)) != 0)
		bail("fido2 key");
	rec.pklen = qlen;
	crypto_pubkey_free(fp);
	carol_key = fk;
	if (fido2_users_build(&rec, 1, "test", &k.fu) != 0 || k.fu->n != 1)
		bail("fido2 users");
	/* replay: three live digests, one expired */
	if (replay_open(NULL, 0, &k.rc) != 0)
		bail("replay");
	for (i = 0; i < 4; i++) {
		memset(d, 0xd0 + i, sizeof(d));
		replay_add(k.rc, d, i < 3 ? now + 100 : now - 1);
	}
}

static int
export_eq(const struct crypto_pubkey *a, const struct crypto_pubkey *b)
{
	uint8_t a1[1024], a2[1024], b1[1024], b2[1024];
	size_t la1, la2, lb1, lb2;

	return crypto_pubkey_export(a, a1, &la1, a2, &la2, 1024) == 0 &&
	    crypto_pubkey_export(b, b1, &lb1, b2, &lb2, 1024) == 0 &&
	    la1 == lb1 && la2 == lb2 && memcmp(a1, b1, la1) == 0 &&
	    memcmp(a2, b2, la2) == 0;
}

static void
test_snapshot(void)
{
	struct ps_state st;
	uint8_t *buf, dg[32], s1[512], s2[512];
	size_t size, i, l1, l2;
	int fd, seals, bad;

	int r = ps_snapshot_write(&k, now, &fd, &size);

	ok(r == 0 && fd >= 0 && size > 0, "the monitor writes a snapshot (%zu "
	    "bytes)", size);
	seals = fcntl(fd, F_GET_SEALS);
	ok(seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SHRINK) &&
	    (seals & F_SEAL_GROW) && (seals & F_SEAL_SEAL),
	    "... sealed: nobody writes it after");
	if ((buf = malloc(size + 1)) == NULL ||
	    pread(fd, buf, size, 0) != (ssize_t)size)
		bail("read back");
	close(fd);
	memset(&st, 0, sizeof(st));
	if (replay_open(NULL, 0, &st.rc) != 0)
		bail("replay");
	ok(ps_snapshot_read(buf, size, &st) == 0, "the worker reads it");
	is_int(120, st.max_packet_age, "... MaxPacketAge");
	is_blob(k.key.pk, st.key.pk, sizeof(k.key.pk), "... the server key");
	is_blob(k.key.digest, st.key.digest, sizeof(k.key.digest),
	    "... and its digest");
	is_int(0, st.has_prev, "... no previous key");
	ok(st.acl->n == k.acl->n && memcmp(st.acl->rules, k.acl->rules,
	    k.acl->n * sizeof(k.acl->rules[0])) == 0, "... the access rules");
	is_int(3, (long long)st.kr->n, "... three keys");
	for (i = 0; i < 3; i++) {
		const struct keyring_entry *a = &k.kr->entries[i],
		    *b = &st.kr->entries[i];

		ok(memcmp(a->fpr, b->fpr, PGP_FPR_LEN) == 0 &&
		    memcmp(a->primary_fpr, b->primary_fpr, PGP_FPR_LEN) == 0 &&
		    strcmp(a->name, b->name) == 0 &&
		    strcmp(a->uid, b->uid) == 0 && a->expires == b->expires &&
		    a->algo == b->algo && a->bits == b->bits &&
		    export_eq(a->pk, b->pk),
		    "... key %s: fingerprints, name, user ID, expiry, public key",
		    a->name);
		/* The rebuilt key verifies what the private key signed. */
		memset(dg, 0x5a, sizeof(dg));
		ok(crypto_privkey_sign(priv[i], SK_HASH_SHA256, dg, sizeof(dg),
		    s1, &l1, s2, &l2, sizeof(s1)) == 0 &&
		    crypto_pubkey_verify(b->pk, SK_HASH_SHA256, dg, sizeof(dg),
		    s1, l1, s2, l2) == 0, "... and verifies %s's signature",
		    a->name);
	}
	ok(st.fu->n == 1 && memcmp(st.fu->u[0].id, k.fu->u[0].id,
	    FIDO2_ID_LEN) == 0 && memcmp(st.fu->u[0].rp_hash,
	    k.fu->u[0].rp_hash, 32) == 0 && strcmp(st.fu->u[0].rec.name,
	    "carol") == 0, "... the FIDO2 user, id, RP hash and name");
	for (bad = 0, i = 0; i < 4; i++) {
		memset(dg, 0xd0 + (int)i, sizeof(dg));
		bad += replay_seen(st.rc, dg, now) != (i < 3);
	}
	is_int(0, bad, "... the live replay digests, not the expired one");
	replay_close(st.rc);
	ps_state_free(&st);

	for (bad = 0, i = 0; i < size; i++) {
		memset(&st, 0, sizeof(st));
		if (ps_snapshot_read(buf, i, &st) == 0) {
			bad++;
			ps_state_free(&st);
		}
	}
	is_int(0, bad, "no truncation of it parses");
	buf[size] = 0;
	memset(&st, 0, sizeof(st));
	ok(ps_snapshot_read(buf, size + 1, &st) == SK_ERR_TRAILING,
	    "a trailing byte is refused");
	buf[0] ^= 1;
	ok(ps_snapshot_read(buf, size, &st) == SK_ERR_BAD_VERSION,
	    "another magic is refused");
	free(buf);
}

/* A request as alice's client makes it: tcp/22 for 192.0.2.7, 30 s, now,
 * bound to this server. */
static struct sk_request
base_rq(void)
{
	struct sk_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.version = SK_WIRE_VERSION;
	rq.signer_type = SK_SIGNER_OPENPGP;
	rq.timestamp = (uint64_t)now;
	crypto_random(rq.nonce, sizeof(rq.nonce));
	memcpy(rq.server_digest, k.key.digest, SK_DIGEST_LEN);
	rq.addr_family = SK_ADDR_IPV4;
	inet_pton(AF_INET, "192.0.2.7", rq.addr);
	rq.timeout = 30;
	rq.n_access = 1;
	rq.access[0] = (struct sk_access){ 6, 22 };
	rq.signer_id_len = PGP_FPR_LEN;
	memcpy(rq.signer_id, k.kr->entries[0].fpr, PGP_FPR_LEN);
	return rq;
}

/* How a request is signed: by its key (entry), by carol's FIDO2
 * credential with a counter, or forged (well formed, right left 16
 * bits, random signature values). */
enum how { SIGNED, FORGED };

/* The grant request for rq from source src, signed as said: by keyring
 * entry `key` (OpenPGP), or by carol's credential when key < 0. */
static struct ps_grant
request(struct sk_request *rq, int key, enum how how, uint32_t counter,
    const char *src)
{
	struct ps_grant m;
	struct pgp_sig_builder b;
	const struct keyring_entry *e = key >= 0 ? &k.kr->entries[key] : NULL;
	uint8_t msg[SK_SIGNED_MSG_MAX], sig[SK_SIG_MAX], digest[64];
	uint8_t s1[512], s2[512], ad[37], buf[69], der[80];
	const uint8_t *parts[1];
	size_t lens[1], ulen, mlen, slen, dlen, l1, l2, ilen, derlen;

	memset(&m, 0, sizeof(m));
	m.type = PS_GRANT;
	m.src_family = strchr(src, ':') ? AF_INET6 : AF_INET;
	inet_pton((int)m.src_family, src, m.src);
	if (e == NULL) {
		rq->signer_type = SK_SIGNER_FIDO2;
		rq->signer_id_len = FIDO2_ID_LEN;
		memcpy(rq->signer_id, k.fu->u[0].id, FIDO2_ID_LEN);
	}
	if (request_encode_unsigned(rq, m.inner, sizeof(m.inner), &ulen) != 0 ||
	    request_signed_message(m.inner, ulen, msg, sizeof(msg), &mlen) != 0)
		bail("request");
	if (e == NULL) {
		/* An assertion: authData (rpIdHash, UP, counter), then the
		 * ES256 signature over authData || SHA-256(msg). */
		memcpy(ad, k.fu->u[0].rp_hash, 32);
		ad[32] = FIDO2_FLAG_UP;
		be32enc(ad + 33, counter);
		memcpy(buf, ad, 37);
		crypto_sha256(msg, mlen, buf + 37);
		crypto_sha256(buf, sizeof(buf), digest);
		if (how == FORGED) {
			crypto_random(s1, 32);
			crypto_random(s2, 32);
			s1[0] |= 1, s2[0] |= 1;
			l1 = l2 = 32;
		} else if (crypto_privkey_sign(carol_key, SK_HASH_SHA256,
		    digest, 32, s1, &l1, s2, &l2, 32) != 0)
			bail("es256");
		if (fido2_der_encode(s1, l1, s2, l2, der, sizeof(der),
		    &derlen) != 0 || fido2_sig_encode(ad, sizeof(ad), der,
		    derlen, sig, sizeof(sig), &slen) != 0)
			bail("fido2 field");
	} else {
		parts[0] = msg;
		lens[0] = mlen;
		if (pgp_sig_builder_init(&b, PGP_SIG_BINARY, e->algo,
		    PGP_HASH_SHA256, (uint32_t)now, rq->signer_id, 0) != 0 ||
		    pgp_sig_builder_digest(&b, parts, lens, 1, digest,
		    &dlen) != 0)
			bail("signature packet");
		if (how == FORGED) {
			crypto_random(s1, 32);
			crypto_random(s2, 32);
			l1 = l2 = 32;
		} else if (crypto_privkey_sign(priv[key], SK_HASH_SHA256,
		    digest, dlen, s1, &l1, s2, &l2, sizeof(s1)) != 0)
			bail("sign");
		if (pgp_sig_builder_finish(&b, digest, s1, l1, s2, l2, sig,
		    sizeof(sig), &slen) != 0)
			bail("signature packet");
	}
	if (request_append_signature(m.inner, sizeof(m.inner), ulen, sig, slen,
	    &ilen) != 0)
		bail("append");
	m.inner_len = (uint32_t)ilen;
	return m;
}

/* alice's request as her client makes it, signed by her. */
static struct ps_grant
alice(void)
{
	struct sk_request rq = base_rq();

	return request(&rq, 0, SIGNED, 0, "192.0.2.7");
}

/* The check's verdict on m: "" when granted, else why. */
static const char *
verdict(const struct ps_grant *m, size_t len, struct knock_decision *d)
{
	static char why[320];
	struct ps_bucket b = { 0, 0 };

	if (ps_grant_check(&k, &b, m, len, now, 1.0, d, why,
	    sizeof(why)) == 0)
		return "";
	return why;
}

#define REFUSED(m, text, ...) do {					\
	struct knock_decision d_;					\
	const char *w_ = verdict(&(m), sizeof(m), &d_);			\
	ok(strstr(w_, (text)) != NULL, __VA_ARGS__);			\
	if (strstr(w_, (text)) == NULL)					\
		diag("got '%s'", w_);					\
} while (0)

/* One request rq by alice from src, signed, checked. */
#define ALICE(rq_, src_, text, ...) do {				\
	struct ps_grant m_ = request(&(rq_), 0, SIGNED, 0, (src_));	\
	REFUSED(m_, text, __VA_ARGS__);					\
} while (0)

static void
test_grant_check(void)
{
	struct knock_decision d;
	struct ps_grant m = alice();
	struct sk_request rq;
	struct ps_bucket b = { 0, 0 };
	struct knock_stats before;
	char why[320];
	size_t i;
	int granted, bad;

	is_string("", verdict(&m, sizeof(m), &d), "a request alice signed is "
	    "granted");
	ok(strcmp(d.rule->name, "admins") == 0 && strcmp(d.owner.name,
	    "alice") == 0 && d.owner.primary[0] == 0xa0 && d.timeout == 30 &&
	    strstr(d.c.who, "alice") != NULL && d.owner.bound &&
	    memcmp(d.owner.addr, "\xc0\x00\x02\x07", 4) == 0, "... its owner's "
	    "name, primary key, stanza, address and timeout come from the "
	    "monitor's own reading of it");
	ok(strstr(verdict(&m, sizeof(m) - 1, &d), "bytes") != NULL,
	    "a request one byte short is refused");
	/* What a worker under an attacker's control can make. */
	rq = base_rq();
	m = request(&rq, 0, FORGED, 0, "192.0.2.7");
	REFUSED(m, "signature", "a request alice did not sign (a well-formed "
	    "signature packet naming her key) is refused");
	m = alice();
	m.inner[40] ^= 1;
	ok(strcmp(verdict(&m, sizeof(m), &d), "") != 0, "... one she signed, "
	    "changed after");
	for (bad = 0, m = alice(), i = 0; i < m.inner_len; i++) {
		struct ps_grant t = m;

		t.inner_len = (uint32_t)i;
		bad += strcmp(verdict(&t, sizeof(t), &d), "") == 0;
	}
	is_int(0, bad, "no truncation of a signed request is granted");
	m = alice(); m.inner_len = sizeof(m.inner) + 1;
	REFUSED(m, "malformed", "a length beyond the request field");
	m = alice(); m.src_family = 99;
	REFUSED(m, "malformed", "an unknown address family");
	m = alice(); m.prev_key = 2;
	REFUSED(m, "malformed", "a server key other than the current or "
	    "previous one");
	m = alice(); m.prev_key = 1;
	REFUSED(m, "previous", "the previous server key, when there is none");
	before = k.st;
	m = alice(); m.inner[40] ^= 1;
	verdict(&m, sizeof(m), &d);
	ok(memcmp(&before, &k.st, sizeof(before)) == 0, "a refusal counts "
	    "nowhere but where the caller says");
	/* Policy, as the monitor reads the signed request. */
	rq = base_rq(); rq.access[0].port = 8080;
	ALICE(rq, "192.0.2.7", "Open", "a port outside Open");
	rq = base_rq(); rq.n_access = 2; rq.access[1] = (struct sk_access){ 6,
	    443 };
	m = request(&rq, 0, SIGNED, 0, "192.0.2.7");
	is_string("", verdict(&m, sizeof(m), &d), "... (two ports in Open pass)");
	rq = base_rq(); rq.timeout = 301;
	m = request(&rq, 0, SIGNED, 0, "192.0.2.7");
	ok(strcmp(verdict(&m, sizeof(m), &d), "") == 0 && d.timeout == 300,
	    "a timeout above MaxTimeout is capped to it, as in the worker");
	rq = base_rq(); rq.timeout = 0;
	m = request(&rq, 0, SIGNED, 0, "192.0.2.7");
	ok(strcmp(verdict(&m, sizeof(m), &d), "") == 0 && d.timeout == 30,
	    "no timeout: the stanza's");
	rq = base_rq(); memset(rq.signer_id, 0x77, PGP_FPR_LEN);
	ALICE(rq, "192.0.2.7", "nknown", "a key the monitor does not hold");
	rq = base_rq(); memcpy(rq.signer_id, k.kr->entries[1].fpr, PGP_FPR_LEN);
	m = request(&rq, 1, SIGNED, 0, "192.0.2.7");
	REFUSED(m, "xpired", "a key that expired (bob), signed by it");
	m = alice();
	is_string("", verdict(&m, sizeof(m), &d), "a fresh request of alice's");
	replay_add(k.rc, d.digest, now + 100);
	REFUSED(m, "replayed", "... again, once its digest (derived by the "
	    "monitor) is in the replay cache");
	rq = base_rq(); rq.timestamp = (uint64_t)(now - 121);
	ALICE(rq, "192.0.2.7", "MaxPacketAge", "a timestamp outside "
	    "MaxPacketAge");
	rq = base_rq(); rq.server_digest[0] ^= 1;
	ALICE(rq, "192.0.2.7", "another server", "a request bound to another "
	    "server key");
	rq = base_rq(); inet_pton(AF_INET, "127.0.0.1", rq.addr);
	ALICE(rq, "192.0.2.7", "loopback", "a loopback address");
	rq = base_rq(); inet_pton(AF_INET, "198.51.100.1", rq.addr);
	ALICE(rq, "198.51.100.1", "Source", "an address outside Source");
	rq = base_rq(); rq.addr_family = SK_ADDR_SOURCE;
	memset(rq.addr, 0, sizeof(rq.addr));
	m = request(&rq, 0, SIGNED, 0, "192.0.2.9");
	is_string("", verdict(&m, sizeof(m), &d), "source mode is granted");
	ok(!d.owner.bound &&
	    memcmp(d.owner.addr, "\xc0\x00\x02\x09", 4) == 0, "source mode "
	    "opens the source the worker reports");
	m = request(&rq, 0, SIGNED, 0, "198.51.100.9");
	REFUSED(m, "Source", "... within Source only");
	/* A destination behind the gateway: its name is signed, what it
	 * stands for is the monitor's access file. */
	rq = base_rq(); request_set_dest(&rq, "db1");
	m = request(&rq, 0, SIGNED, 0, "192.0.2.7");
	is_string("", verdict(&m, sizeof(m), &d), "a request for tcp/22@db1 "
	    "is granted");
	ok(strcmp(d.owner.dest, "db1") == 0 && memcmp(d.owner.dst,
	    "\x0a\x01\x00\x05", 4) == 0 && d.owner.via[0] == 2222 &&
	    d.owner.masq == 1, "... to 10.1.0.5 via 2222, masqueraded: the "
	    "access file's");
	rq = base_rq(); request_set_dest(&rq, "db2");
	ALICE(rq, "192.0.2.7", "db2", "a destination the stanza does not list");
	rq = base_rq(); request_set_dest(&rq, "db1"); rq.access[0].port = 443;
	ALICE(rq, "192.0.2.7", "443", "a port of db1 outside its Forward lines "
	    "(443 is in Open, not there)");
	/* FIDO2: the counter is the verified assertion's. */
	rq = base_rq();
	m = request(&rq, -1, SIGNED, 7, "192.0.2.7");
	ok(strcmp(verdict(&m, sizeof(m), &d), "") == 0 &&
	    d.owner.signer == GRANT_FIDO2 && d.fido2_counter == 7,
	    "carol's FIDO2 request is granted, with her assertion's counter");
	is_string("carol", d.owner.name, "... under the monitor's name for it");
	rq = base_rq();
	m = request(&rq, -1, FORGED, 0xffffffff, "192.0.2.7");
	REFUSED(m, "signature", "a forged assertion with sign counter "
	    "0xffffffff is refused before its counter is read");
	/* The rate: a burst of twice the rate, then the refill only. */
	m = alice();
	for (granted = 0, i = 0; i < 3 * PS_GRANTS_PER_S; i++)
		granted += ps_grant_check(&k, &b, &m, sizeof(m), now, 5.0, &d,
		    why, sizeof(why)) == 0;
	is_int(2 * PS_GRANTS_PER_S, granted, "at most %d requests at once",
	    2 * PS_GRANTS_PER_S);
	ok(strstr(why, "grant requests a second") != NULL, "... then refused "
	    "as over the rate");
	ok(ps_grant_check(&k, &b, &m, sizeof(m), now, 5.1, &d, why,
	    sizeof(why)) == 0, "... and a tenth of a second later, again");
}

static int ngranted;

static void
count_granted(void *arg, const struct grant *g)
{
	(void)arg;
	(void)g;
	ngranted++;
}

/* The monitor grants the requests that come together in one go: the
 * same request twice in a batch (a worker could send it so) opens once. */
static void
test_grant_batch(void)
{
	struct knock_decision d[3];
	const struct knock_decision *dv[4];
	struct sk_request rq = base_rq();
	struct ps_grant a = alice(), b;
	struct fw_params p;
	uint64_t granted = k.st.granted, replayed = k.st.replayed;

	rq.access[0].port = 443;
	b = request(&rq, 0, SIGNED, 0, "192.0.2.7");
	memset(&p, 0, sizeof(p));
	p.knock_port = 62201;
	if (fw_open(FW_LOG, &p, now, &k.fw) != 0)
		bail("fw_open");
	k.granted = count_granted;
	ok(strcmp(verdict(&a, sizeof(a), &d[0]), "") == 0 &&
	    strcmp(verdict(&a, sizeof(a), &d[1]), "") == 0 &&
	    strcmp(verdict(&b, sizeof(b), &d[2]), "") == 0, "three requests "
	    "pass the check before any is granted, two of them the same");
	dv[0] = &d[0];
	dv[1] = &d[1];
	dv[2] = &d[2];
	knock_grant_many(&k, dv, 3, now);
	ok(k.st.granted == granted + 2 && ngranted == 2 && fw_count(k.fw) == 2,
	    "granted together: two grants, the repeated request once");
	ok(k.st.replayed == replayed + 1, "... the repeat counted as replayed");
	ok(replay_seen(k.rc, d[0].digest, now) && replay_seen(k.rc,
	    d[2].digest, now), "... both digests recorded");
	dv[0] = &d[0];
	knock_grant_many(&k, dv, 1, now);
	ok(k.st.granted == granted + 2, "a later batch with one of them "
	    "grants nothing");
	k.granted = NULL;
	fw_close(k.fw);
	k.fw = NULL;
}

static void
test_log_clean(void)
{
	struct ps_log m;
	struct ps_log_ev evm;
	const struct sk_log_ev *ev;
	struct sk_log_ev in = { SK_EV_REFUSED, "mallory\n(x)", "10.0.0.9",
	    NULL, NULL, "policy", NULL };
	char out[4 * PS_LOG_MAX + 1];
	const char *s = "refused from x\r\nsigknockd: accepted root";

	memset(&m, 0, sizeof(m));
	m.type = PS_LOG;
	m.prio = 0;
	memcpy(m.msg, s, strlen(s));
	is_int(LOG_ERR, ps_log_clean(&m, offsetof(struct ps_log, msg) +
	    strlen(s), out, sizeof(out), &evm, &ev), "a worker's line is never "
	    "above LOG_ERR");
	is_string("refused from x\\x0d\\x0asigknockd: accepted root", out,
	    "... and cannot forge a line");
	ok(ev == NULL, "a line without fields has none");
	m.prio = 99;
	is_int(LOG_DEBUG, ps_log_clean(&m, offsetof(struct ps_log, msg),
	    out, sizeof(out), &evm, &ev), "... nor below LOG_DEBUG");
	ps_log_clean(&m, 3, out, sizeof(out), &evm, &ev);
	ok(strstr(out, "short") != NULL && ev == NULL,
	    "a message too short is named so");
	/* Its fields: as the worker gave them, made printable, cut at
	 * their end however the worker filled them. */
	ps_log_ev_from(&in, &m.ev);
	ps_log_clean(&m, offsetof(struct ps_log, msg) + strlen(s), out,
	    sizeof(out), &evm, &ev);
	ok(ev != NULL && strcmp(ev->event, "refused") == 0 &&
	    strcmp(ev->user, "mallory?(x)") == 0 && strcmp(ev->src,
	    "10.0.0.9") == 0 && ev->addr == NULL && strcmp(ev->reason,
	    "policy") == 0, "fields cross with the line, control "
	    "characters replaced, empty ones left out");
	memset(m.ev.stanza, 'A', sizeof(m.ev.stanza));
	ps_log_clean(&m, offsetof(struct ps_log, msg) + strlen(s), out,
	    sizeof(out), &evm, &ev);
	ok(ev != NULL && ev->stanza != NULL && strlen(ev->stanza) ==
	    sizeof(m.ev.stanza) - 1, "an unterminated field is cut at its "
	    "end");
}

int
main(void)
{
	plan(69);
	if (crypto_init() != 0)
		bail("crypto_init");
	setup();
	test_snapshot();
	test_grant_check();
	test_grant_batch();
	test_log_clean();
	return 0;
}
