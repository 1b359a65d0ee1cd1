/* The monitor/worker boundary (privsep.h) without processes: the policy
 * snapshot written by the monitor and read by the worker gives the same
 * keys, rules, FIDO2 users and replay digests (and keys that still
 * verify); no truncation of it parses; and the monitor's check of a
 * grant request refuses each thing a worker could lie about. */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "privsep.h"
#include "tap.h"

static struct knock k;
static struct server_config cfg;
static struct crypto_privkey *priv[3];
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
	    "Masquerade yes\n";

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
	crypto_privkey_free(fk);
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

static struct ps_grant
base_request(void)
{
	struct ps_grant m;

	memset(&m, 0, sizeof(m));
	m.type = PS_GRANT;
	m.signer = GRANT_OPENPGP;
	memcpy(m.id, k.kr->entries[0].fpr, PGP_FPR_LEN);	/* alice */
	m.family = m.src_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", m.addr);
	memcpy(m.src, m.addr, 16);
	m.bound = 1;
	m.nports = 1;
	m.ports[0].proto = 6;
	m.ports[0].port = 22;
	m.timeout = 30;
	m.timestamp = (uint64_t)now;
	crypto_random(m.digest, sizeof(m.digest));
	return m;
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

static void
test_grant_check(void)
{
	struct knock_decision d;
	struct ps_grant m = base_request();
	struct ps_bucket b = { 0, 0 };
	char why[320];
	int i, granted;

	is_string("", verdict(&m, sizeof(m), &d), "a request alice could make "
	    "is granted");
	ok(strcmp(d.rule->name, "admins") == 0 && strcmp(d.owner.name,
	    "alice") == 0 && d.owner.primary[0] == 0xa0 && d.timeout == 30 &&
	    strstr(d.c.who, "alice") != NULL, "... its owner's name, primary "
	    "key and stanza come from the monitor's own tables");
	ok(strstr(verdict(&m, sizeof(m) - 1, &d), "bytes") != NULL,
	    "a request one byte short is refused");
	m = base_request(); m.ports[0].port = 8080;
	REFUSED(m, "Open", "a port outside Open");
	m = base_request(); m.nports = 2; m.ports[1].proto = 6;
	m.ports[1].port = 443;
	is_string("", verdict(&m, sizeof(m), &d), "... (two ports in Open pass)");
	m = base_request(); m.timeout = 301;
	REFUSED(m, "MaxTimeout", "a timeout above MaxTimeout");
	m = base_request(); m.timeout = 0;
	REFUSED(m, "MaxTimeout", "a timeout of 0");
	m = base_request(); memset(m.id, 0x77, PGP_FPR_LEN);
	REFUSED(m, "revoked or removed", "a key the monitor does not hold");
	m = base_request(); memcpy(m.id, k.kr->entries[1].fpr, PGP_FPR_LEN);
	REFUSED(m, "expired", "a key that expired (bob)");
	m = base_request(); memset(m.digest, 0xd1, sizeof(m.digest));
	REFUSED(m, "replayed", "a digest in the replay cache");
	m = base_request(); m.timestamp = (uint64_t)(now - 121);
	REFUSED(m, "MaxPacketAge", "a timestamp outside MaxPacketAge");
	m = base_request(); inet_pton(AF_INET, "127.0.0.1", m.addr);
	memcpy(m.src, m.addr, 16);
	REFUSED(m, "loopback", "a loopback address");
	m = base_request(); inet_pton(AF_INET, "198.51.100.1", m.addr);
	memcpy(m.src, m.addr, 16);
	REFUSED(m, "no stanza", "an address outside Source");
	m = base_request(); m.bound = 0; inet_pton(AF_INET, "192.0.2.9", m.src);
	REFUSED(m, "source only", "source mode opening anything but the source");
	m = base_request(); m.family = 99;
	REFUSED(m, "malformed", "an unknown address family");
	m = base_request(); m.nports = 0;
	REFUSED(m, "malformed", "no port");
	m = base_request(); m.nports = SK_ACCESS_MAX + 1;
	REFUSED(m, "malformed", "too many ports");
	m = base_request(); m.ports[0].proto = 1;
	REFUSED(m, "malformed", "a protocol other than TCP and UDP");
	m = base_request(); m.signer = 7;
	REFUSED(m, "malformed", "an unknown signer type");
	/* A destination behind the gateway: its name comes from the worker,
	 * what it stands for from the monitor's own access file. */
	m = base_request(); snprintf(m.dest, sizeof(m.dest), "db1");
	is_string("", verdict(&m, sizeof(m), &d), "a request for tcp/22@db1 "
	    "is granted");
	ok(strcmp(d.owner.dest, "db1") == 0 && memcmp(d.owner.dst,
	    "\x0a\x01\x00\x05", 4) == 0 && d.owner.via[0] == 2222 &&
	    d.owner.masq == 1, "... to 10.1.0.5 via 2222, masqueraded: the "
	    "access file's, not the worker's");
	m = base_request(); snprintf(m.dest, sizeof(m.dest), "db2");
	REFUSED(m, "Forward", "a destination the stanza does not list");
	m = base_request(); snprintf(m.dest, sizeof(m.dest), "db1");
	m.ports[0].port = 443;
	REFUSED(m, "Forward", "a port of db1 outside its Forward lines (443 "
	    "is in Open, not there)");
	m = base_request(); memset(m.dest, 'a', sizeof(m.dest));
	REFUSED(m, "malformed destination", "a destination with no NUL");
	m = base_request(); snprintf(m.dest, sizeof(m.dest), "d b");
	REFUSED(m, "malformed destination", "a destination name with a blank");
	m = base_request(); m.signer = GRANT_FIDO2;
	memcpy(m.id, k.fu->u[0].id, FIDO2_ID_LEN);
	is_string("", verdict(&m, sizeof(m), &d), "a FIDO2 user's request "
	    "(carol) is granted");
	is_string("carol", d.owner.name, "... under the monitor's name for it");
	/* The rate: a burst of twice the rate, then the refill only. */
	m = base_request();
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

static void
test_log_clean(void)
{
	struct ps_log m;
	char out[4 * PS_LOG_MAX + 1];
	const char *s = "refused from x\r\nsigknockd: accepted root";

	memset(&m, 0, sizeof(m));
	m.type = PS_LOG;
	m.prio = 0;
	memcpy(m.msg, s, strlen(s));
	is_int(LOG_ERR, ps_log_clean(&m, offsetof(struct ps_log, msg) +
	    strlen(s), out, sizeof(out)), "a worker's line is never above "
	    "LOG_ERR");
	is_string("refused from x\\x0d\\x0asigknockd: accepted root", out,
	    "... and cannot forge a line");
	m.prio = 99;
	is_int(LOG_DEBUG, ps_log_clean(&m, offsetof(struct ps_log, msg),
	    out, sizeof(out)), "... nor below LOG_DEBUG");
	ps_log_clean(&m, 3, out, sizeof(out));
	ok(strstr(out, "short") != NULL, "a message too short is named so");
}

int
main(void)
{
	plan(55);
	if (crypto_init() != 0)
		bail("crypto_init");
	setup();
	test_snapshot();
	test_grant_check();
	test_log_clean();
	return 0;
}
