/* bench-verify HOMEDIR: for every signing key in a GnuPG home, datagrams
 * per second through the whole server path up to the policy decision
 * (knock_check: size, mac1, rate limit, HPKE open, parse, time window,
 * server binding, replay lookup, key lookup, verification, policy), the
 * signature step alone (parse, lookup, hash, verify), raw libgcrypt
 * verification of the same digest (the limit), and gpgme_op_verify (what
 * a gpg-per-packet design pays); then HPKE opens and mac1 rejections per
 * second.  Each figure is the median of RUNS runs, on one core.
 *
 * A benchmark, not a test: run by `make bench`.  It includes <gpgme.h>
 * itself only to time gpgme_op_verify as the baseline. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gpgme.h>

#include "crypto.h"
#include "deleg.h"
#include "err.h"
#include "keyring.h"
#include "knock.h"
#include "log.h"
#include "pgp.h"
#include "privsep.h"
#include "wire.h"
#include "work.h"

#define RUNS 5

static double run_seconds = 0.4;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

typedef int (*op_fn)(void *);

/* Client puzzles (PROTOCOL.md 2.1): what checking one costs the server,
 * and what solving one at the default effort costs a client. */
struct wctx {
	uint8_t		mac1[16];
	struct sk_work	w;
};

static int
op_work_check(void *arg)
{
	struct wctx *c = arg;

	c->w.nonce++;		/* a fresh proof each time: mostly invalid */
	(void)work_valid(c->mac1, &c->w);
	return 0;
}

static double rate(int (*fn)(void *), void *arg, unsigned min_ops);

static void
bench_work(const uint8_t *mac1)
{
	struct wctx c;
	double t[21], t0, sum = 0;
	uint64_t tries, total = 0;
	char what[64];
	int i;

	memcpy(c.mac1, mac1, 16);
	c.w = (struct sk_work){ (uint64_t)time(NULL), 0, SK_WORK_DEFAULT };
	printf("%-40s %12.3f\n", "work check, us per datagram",
	    1e6 / rate(op_work_check, &c, 1000));
	for (i = 0; i < 21; i++) {
		crypto_random(c.mac1, sizeof(c.mac1));
		crypto_random(&c.w.nonce, sizeof(c.w.nonce));
		t0 = now_s();
		if (work_solve(c.mac1, &c.w, &tries) != 0)
			return;
		t[i] = (now_s() - t0) * 1e3;
		sum += t[i];
		total += tries;
	}
	qsort(t, 21, sizeof(t[0]), cmpd);
	snprintf(what, sizeof(what), "solving %d bits (default), ms p10/50/90",
	    SK_WORK_DEFAULT);
	printf("%-40s %5.0f /%4.0f /%4.0f  (%.1f M hashes/s)\n", what, t[2],
	    t[10], t[18], (double)total / sum / 1e3);
}

/* Median over RUNS of operations per second; -1 if an operation failed. */
static double
rate(op_fn fn, void *arg, unsigned min_ops)
{
	double r[RUNS], t0, t;
	unsigned n, i;

	for (i = 0; i < RUNS; i++) {
		n = 0;
		t0 = now_s();
		do {
			if (fn(arg) != 0)
				return -1;
			n++;
			t = now_s() - t0;
		} while (t < run_seconds || n < min_ops);
		r[i] = n / t;
	}
	qsort(r, RUNS, sizeof(r[0]), cmpd);
	return r[RUNS / 2];
}

struct vctx {
	const struct keyring *kr;
	const struct keyring_entry *e;
	uint8_t sig[4096];
	size_t siglen;
	const uint8_t *msg;
	size_t msglen;
	struct pgp_sig parsed;
	uint8_t digest[SK_HASH_MAX_LEN];
	size_t dlen;
	gpgme_ctx_t g;
};

static int
op_inprocess(void *arg)
{
	struct vctx *v = arg;
	const struct keyring_entry *who;

	return keyring_verify(v->kr, v->e->fpr, PGP_FPR_LEN, v->sig, v->siglen,
	    v->msg, v->msglen, time(NULL), 120, &who);
}

static int
op_raw(void *arg)
{
	struct vctx *v = arg;

	return crypto_pubkey_verify(v->e->pk, pgp_hash_to_sk(v->parsed.hash_algo),
	    v->digest, v->dlen, v->parsed.mpi[0], v->parsed.mpi_len[0],
	    v->parsed.mpi[1], v->parsed.mpi_len[1]);
}

/* The same with the reference provider (libgcrypt). */
static int
op_ref(void *arg)
{
	struct vctx *v = arg;

	return crypto_pubkey_verify_ref(v->e->pk,
	    pgp_hash_to_sk(v->parsed.hash_algo), v->digest, v->dlen,
	    v->parsed.mpi[0], v->parsed.mpi_len[0], v->parsed.mpi[1],
	    v->parsed.mpi_len[1]);
}

static int
op_gpgme(void *arg)
{
	struct vctx *v = arg;
	gpgme_data_t s, d;
	gpgme_verify_result_t res;
	int r = -1;

	gpgme_data_new_from_mem(&s, (const char *)v->sig, v->siglen, 0);
	gpgme_data_new_from_mem(&d, (const char *)v->msg, v->msglen, 0);
	if (gpgme_op_verify(v->g, s, d, NULL) == 0 &&
	    (res = gpgme_op_verify_result(v->g)) != NULL &&
	    res->signatures != NULL &&
	    gpgme_err_code(res->signatures->status) == GPG_ERR_NO_ERROR)
		r = 0;
	gpgme_data_release(s);
	gpgme_data_release(d);
	return r;
}

static int
gpgme_sign_detached(gpgme_ctx_t g, const struct keyring_entry *e,
    const uint8_t *msg, size_t msglen, uint8_t *out, size_t cap, size_t *len)
{
	char fpr[PGP_FPR_HEX_LEN + 1];
	gpgme_key_t key;
	gpgme_data_t d, s;
	char *mem;
	size_t n;
	int r = -1;

	pgp_fpr_format(e->fpr, fpr);
	if (gpgme_get_key(g, fpr, &key, 1) != 0)
		return -1;
	gpgme_signers_clear(g);
	gpgme_signers_add(g, key);
	gpgme_data_new_from_mem(&d, (const char *)msg, msglen, 0);
	gpgme_data_new(&s);
	if (gpgme_op_sign(g, d, s, GPGME_SIG_MODE_DETACH) == 0) {
		mem = gpgme_data_release_and_get_mem(s, &n);
		s = NULL;
		if (n <= cap) {
			memcpy(out, mem, n);
			*len = n;
			r = 0;
		}
		gpgme_free(mem);
	}
	gpgme_data_release(s);
	gpgme_data_release(d);
	gpgme_signers_clear(g);
	gpgme_key_unref(key);
	return r;
}

/* The whole server path on one valid datagram, again and again: the
 * replay lookup misses every time because knock_check records nothing. */
struct pctx {
	struct knock	*k;
	struct pkt_info	 pi;
};

static int
op_pipeline(void *arg)
{
	struct pctx *p = arg;
	struct knock_decision d;

	return knock_check(p->k, &p->pi, time(NULL), &d);
}

/* The monitor's check of the worker's grant request for the same knock
 * (privsep.h): what a knock costs the monitor before the firewall. */
struct mctx {
	struct knock	*k;
	struct ps_grant	 msg;
};

static int
op_monitor(void *arg)
{
	struct mctx *m = arg;
	struct knock_decision d;
	struct ps_bucket b = { 0, 0 };
	char why[320];

	return ps_grant_check(m->k, &b, &m->msg, sizeof(m->msg), time(NULL),
	    1.0, &d, why, sizeof(why));
}

/* The monitor's request for the knock in p. */
static int
monitor_request(struct pctx *p, struct mctx *m)
{
	struct knock_decision d;

	if (knock_check(p->k, &p->pi, time(NULL), &d) != 0)
		return -1;
	m->k = p->k;
	ps_grant_from(&d, &m->msg);
	return 0;
}

/* A request for tcp/22 by key e, bound to the sender's address
 * (10.0.0.2, below) as the client does by default. */
static void
bench_request(const struct knock *k, const struct keyring_entry *e,
    uint8_t type, struct sk_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->version = SK_WIRE_VERSION;
	rq->signer_type = type;
	rq->timestamp = (uint64_t)time(NULL);
	crypto_random(rq->nonce, sizeof(rq->nonce));
	memcpy(rq->server_digest, k->key.digest, SK_DIGEST_LEN);
	rq->addr_family = SK_ADDR_IPV4;
	memcpy(rq->addr, "\x0a\x00\x00\x02", 4);
	rq->n_access = 1;
	rq->access[0] = (struct sk_access){ 6, 22 };
	rq->signer_id_len = PGP_FPR_LEN;
	memcpy(rq->signer_id, e->fpr, PGP_FPR_LEN);
}

/* A real knock datagram signed by entry e through GPGME. */
static int
make_datagram(gpgme_ctx_t g, const struct knock *k,
    const struct keyring_entry *e, uint8_t *dg, size_t *dlen)
{
	struct sk_request rq;
	uint8_t inner[SK_INNER_MAX], msg[SK_SIGNED_MSG_MAX], sig[SK_SIG_MAX];
	size_t ulen, mlen, slen, ilen;

	bench_request(k, e, SK_SIGNER_OPENPGP, &rq);
	if (request_encode_unsigned(&rq, inner, sizeof(inner), &ulen) != 0 ||
	    request_signed_message(inner, ulen, msg, sizeof(msg), &mlen) != 0 ||
	    gpgme_sign_detached(g, e, msg, mlen, sig, sizeof(sig), &slen) != 0 ||
	    request_append_signature(inner, sizeof(inner), ulen, sig, slen,
	    &ilen) != 0 ||
	    datagram_seal(&k->key, inner, ilen, NULL, dg, SK_DATAGRAM_MAX,
	    dlen) != 0)
		return -1;
	return 0;
}

/* The same knock signed through a delegation (PROTOCOL.md 4.3): e's key
 * signs the delegation to a fresh Ed25519 key, which signs the request.
 * The server verifies the delegation once (then finds it by digest), so
 * the pipeline pays one Ed25519 verification per datagram. */
static int
make_delegated(gpgme_ctx_t g, const struct knock *k,
    const struct keyring_entry *e, uint8_t *dg, size_t *dlen)
{
	struct sk_request rq;
	struct sk_delegation d;
	struct crypto_privkey *ek;
	struct crypto_pubkey *pub;
	uint8_t inner[SK_INNER_MAX], msg[SK_SIGNED_MSG_MAX], sig[SK_SIG_MAX];
	uint8_t dmsg[SK_DELEG_MSG_MAX], q[64], b[8], h[32];
	size_t ulen, mlen, slen, ilen, dml, qlen, blen, rl, sl;

	memset(&d, 0, sizeof(d));
	bench_request(k, e, SK_SIGNER_DELEGATED, &rq);
	if (crypto_privkey_generate(&ek, SK_PK_EDDSA, SK_CURVE_ED25519, 0) ||
	    crypto_privkey_public(ek, &pub) || crypto_pubkey_export(pub, q,
	    &qlen, b, &blen, sizeof(q)))
		return -1;
	crypto_pubkey_free(pub);
	d.dtype = SK_SIGNER_OPENPGP;
	d.created = (uint64_t)time(NULL);
	d.not_after = d.created + 3600;
	memcpy(d.epk, q + qlen - 32, 32);
	if (deleg_message(&d, rq.signer_id, rq.signer_id_len, dmsg,
	    sizeof(dmsg), &dml) != 0 || gpgme_sign_detached(g, e, dmsg, dml,
	    d.dsig, sizeof(d.dsig), &slen) != 0)
		return -1;
	d.dsig_len = (uint16_t)slen;
	if (request_encode_unsigned(&rq, inner, sizeof(inner), &ulen) != 0 ||
	    request_signed_message(inner, ulen, msg, sizeof(msg), &mlen) != 0 ||
	    crypto_sha256(msg, mlen, h) != 0 || crypto_privkey_sign(ek,
	    SK_HASH_SHA256, h, 32, d.esig, &rl, d.esig + 32, &sl, 32) != 0 ||
	    deleg_encode(&d, sig, sizeof(sig), &slen) != 0 ||
	    request_append_signature(inner, sizeof(inner), ulen, sig, slen,
	    &ilen) != 0 ||
	    datagram_seal(&k->key, inner, ilen, NULL, dg, SK_DATAGRAM_MAX,
	    dlen) != 0)
		return -1;
	crypto_privkey_free(ek);
	return 0;
}

struct hctx {
	struct sk_server_key k;
	uint8_t dg[SK_DATAGRAM_MAX];
	size_t dlen;
};

static int
op_open(void *arg)
{
	struct hctx *h = arg;
	uint8_t inner[SK_INNER_MAX];
	size_t n;

	return datagram_open(&h->k, h->dg, h->dlen, inner, sizeof(inner), &n);
}

static int
op_reject(void *arg)
{
	struct hctx *h = arg;

	return datagram_check(&h->k, h->dg, h->dlen) == SK_ERR_BAD_MAC ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const uint8_t msg[] = "sigknock v1 request\0benchmark message "
	    "of a typical request length, about one hundred and twenty bytes "
	    "long, padded..........";
	struct keyring *kr;
	struct vctx v;
	struct hctx h;
	struct knock k;
	struct server_config cfg;
	struct pctx pc;
	struct mctx mc;
	uint8_t sk[32], inner[200], dg[SK_DATAGRAM_MAX];
	char name[32], tmp[] = "/tmp/sigknock-bench.XXXXXX", path[64];
	double in, raw, ref, gp, pl, dl, mon, dmon;
	size_t i, dlen;
	FILE *f;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-verify HOMEDIR [SECONDS-PER-RUN]\n");
		return 2;
	}
	if (argc > 2)
		run_seconds = atof(argv[2]);
	sk_log_init("bench-verify", 1, LOG_WARNING);
	if (crypto_init() != 0)
		return 1;
	if ((r = keyring_load(argv[1], &kr)) != 0) {
		fprintf(stderr, "keyring: %s\n", sk_strerror(r));
		return 1;
	}
	gpgme_check_version(NULL);
	memset(&v, 0, sizeof(v));
	if (gpgme_new(&v.g) != 0 ||
	    gpgme_ctx_set_engine_info(v.g, GPGME_PROTOCOL_OpenPGP, NULL, argv[1]))
		return 1;
	v.kr = kr;
	v.msg = msg;
	v.msglen = sizeof(msg);

	/* A server: throwaway key, "[all] Users * Open tcp/22", an empty
	 * replay cache, rate limits out of the way. */
	memset(&k, 0, sizeof(k));
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_packet_age = 120;
	k.cfg = &cfg;
	k.kr = kr;
	k.log_refusals = (struct sk_ratelimit)SK_RATELIMIT_INIT(1, 5);
	k.log_garbage = (struct sk_ratelimit)SK_RATELIMIT_INIT(1, 5);
	crypto_random(sk, sizeof(sk));
	snprintf(path, sizeof(path), "%s/access.conf", mkdtemp(tmp));
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fprintf(f, "[all]\nUsers *\nOpen tcp/22\nDelegation 8h\n");
	fclose(f);
	if (wire_server_key_init(&k.key, sk) != 0 ||
	    access_load(path, &k.acl) != 0 ||
	    replay_open(tmp, time(NULL), &k.rc) != 0)
		return 1;
	memset(&pc, 0, sizeof(pc));
	pc.k = &k;
	pc.pi.family = AF_INET;
	memcpy(pc.pi.src, "\x0a\x00\x00\x02", 4);

	printf("verification: %s\n", crypto_provider());
	printf("%-9s %11s %11s %11s %11s %9s %9s %11s %11s %10s %12s\n",
	    "key", "pipeline/s", "verify/s", "raw/s", "raw gcry/s", "raw/pipe",
	    "gpgme/s", "pipe/gpgme", "delegated/s", "monitor/s",
	    "monitor-dl/s");
	for (i = 0; i < kr->n; i++) {
		v.e = &kr->entries[i];
		if (gpgme_sign_detached(v.g, v.e, msg, sizeof(msg), v.sig,
		    sizeof(v.sig), &v.siglen) != 0 ||
		    pgp_sig_parse(v.sig, v.siglen, &v.parsed) != 0 ||
		    pgp_sig_digest(&v.parsed, msg, sizeof(msg), v.digest, &v.dlen)) {
			fprintf(stderr, "cannot sign with key %zu\n", i);
			return 1;
		}
		if (make_datagram(v.g, &k, v.e, dg, &dlen) != 0) {
			fprintf(stderr, "cannot make a datagram with key %zu\n", i);
			return 1;
		}
		pc.pi.payload = dg;
		pc.pi.len = dlen;
		pl = rate(op_pipeline, &pc, 20);
		mon = monitor_request(&pc, &mc) == 0 ? rate(op_monitor, &mc,
		    20) : -1;
		in = rate(op_inprocess, &v, 20);
		raw = rate(op_raw, &v, 20);
		ref = rate(op_ref, &v, 20);
		gp = rate(op_gpgme, &v, 5);
		if (make_delegated(v.g, &k, v.e, dg, &dlen) != 0) {
			fprintf(stderr, "cannot delegate with key %zu\n", i);
			return 1;
		}
		pc.pi.payload = dg;
		pc.pi.len = dlen;
		dl = rate(op_pipeline, &pc, 20);
		dmon = monitor_request(&pc, &mc) == 0 ? rate(op_monitor, &mc,
		    20) : -1;
		printf("%-9s %11.0f %11.0f %11.0f %11.0f %9.2f %9.1f %11.0f "
		    "%11.0f %10.0f %12.0f\n", keyring_algo_name(v.e->algo,
		    v.e->bits, name, sizeof(name)), pl, in, raw, ref, raw / pl, gp,
		    pl / gp, dl, mon, dmon);
		if (pl < 0 || in < 0 || raw < 0 || ref < 0 || gp < 0 || dl < 0 ||
		    mon < 0 || dmon < 0) {
			fprintf(stderr, "a verification failed\n");
			return 1;
		}
	}

	crypto_random(sk, sizeof(sk));
	wire_server_key_init(&h.k, sk);
	memset(inner, 0, sizeof(inner));
	if (datagram_seal(&h.k, inner, sizeof(inner), NULL, h.dg, sizeof(h.dg),
	    &h.dlen) != 0)
		return 1;
	printf("\n%-40s %12.0f\n", "HPKE datagram opens/s (mac1+X25519+AEAD)",
	    rate(op_open, &h, 100));
	h.dg[0] ^= 1;
	printf("%-40s %12.0f\n", "garbage rejected at mac1/s", rate(op_reject,
	    &h, 100));
	bench_work(h.dg);
	wire_server_key_wipe(&h.k);
	gpgme_release(v.g);
	replay_close(k.rc);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", tmp, REPLAY_FILE);
	unlink(path);
	rmdir(tmp);
	access_free(k.acl);
	keyring_free(kr);
	return 0;
}
