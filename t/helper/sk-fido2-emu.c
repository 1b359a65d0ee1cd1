/*
 * sk-fido2-emu: a FIDO2 (CTAP 2.0) authenticator for tests, written from
 * the CTAP 2.1 specification and ../shared/research/tokens.md part B.  It
 * speaks CTAPHID in 64-byte reports over a Unix stream socket, which is
 * what libfido2's fido_dev_set_io_functions() hook carries, so the client
 * runs libfido2's real framing, channel and CBOR code.
 *
 *   sk-fido2-emu --socket PATH --state FILE [--touch-delay MS] [--deny]
 *	[--no-up] [--attest packed|none] [--counter N] [--corrupt-sig]
 *	[--wrong-rp] [--no-counter]
 *
 * Implements CTAPHID INIT (channel allocation), PING, CBOR, CANCEL,
 * KEEPALIVE (while "waiting for a touch") and ERROR; authenticatorGetInfo,
 * MakeCredential (ES256, EdDSA; "packed" self attestation or "none") and
 * GetAssertion over an allowList of non-resident credentials.  The state
 * file keeps the credentials (their private keys: a test artifact) and
 * the global sign counter.  Knobs: --touch-delay (KEEPALIVE every 100 ms
 * meanwhile), --deny (the user refuses: CTAP2_ERR_OPERATION_DENIED),
 * --no-up (assertions without the user-presence flag), --counter N (set
 * the counter, e.g. back, to test the server), --no-counter (always 0),
 * --corrupt-sig, --wrong-rp (sign another rpIdHash).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cbor.h>

#include "crypto.h"
#include "endian.h"
#include "fido2.h"
#include "hexio.h"
#include "wipe.h"

#define REPORT		64
#define MSG_MAX		(57 + 128 * 59)
#define CREDS_MAX	64
#define CRED_ID_LEN	32

/* CTAPHID commands (with the init-frame bit) and errors */
#define HID_PING	0x81
#define HID_MSG		0x83
#define HID_INIT	0x86
#define HID_WINK	0x88
#define HID_CBOR	0x90
#define HID_CANCEL	0x91
#define HID_KEEPALIVE	0xbb
#define HID_ERROR	0xbf
#define HID_ERR_CMD	0x01
#define HID_ERR_LEN	0x03
#define HID_ERR_SEQ	0x04
#define HID_ERR_CHANNEL	0x0b

/* CTAP2 status codes */
#define CTAP_OK			0x00
#define CTAP_INVALID_CMD	0x01
#define CTAP_INVALID_CBOR	0x12
#define CTAP_MISSING_PARAM	0x14
#define CTAP_UNSUPPORTED_ALG	0x26
#define CTAP_DENIED		0x27
#define CTAP_KEEPALIVE_CANCEL	0x2d
#define CTAP_NO_CREDENTIALS	0x2e

static const uint8_t AAGUID[16] = "sigknock-test-au";

struct cred {
	uint8_t		 id[CRED_ID_LEN];
	uint8_t		 rp_hash[32];
	enum fido2_alg	 alg;
	struct crypto_privkey *key;
};

static struct {
	const char	*state;
	int		 touch_ms, deny, no_up, none, corrupt, wrong_rp,
			 no_counter;
	uint32_t	 counter;
	size_t		 ncreds;
	struct cred	 creds[CREDS_MAX];
	uint32_t	 next_cid;
	int		 fd;		/* the connected client */
} E;

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "sk-fido2-emu: %s%s%s\n", what, why ? ": " : "",
	    why ? why : "");
	exit(1);
}

/* ---- state file: "counter N" and "cred ID RPHASH ALG KEY" (hex) ---- */

/* A whole hex field of exactly want bytes. */
static int
unhex_field(const char *s, uint8_t *out, size_t want)
{
	return hexio_get(s, out, want) == want && strlen(s) == 2 * want ?
	    0 : -1;
}

static void
state_save(void)
{
	char tmp[4096];
	uint8_t key[2048];
	size_t i, klen;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", E.state);
	if ((f = fopen(tmp, "w")) == NULL)
		die(tmp, strerror(errno));
	fprintf(f, "counter %u\n", E.counter);
	for (i = 0; i < E.ncreds; i++) {
		if (crypto_privkey_save(E.creds[i].key, key, sizeof(key),
		    &klen) != 0)
			die("cannot save a key", NULL);
		fprintf(f, "cred ");
		hexio_put(f, E.creds[i].id, CRED_ID_LEN);
		fputc(' ', f);
		hexio_put(f, E.creds[i].rp_hash, 32);
		fprintf(f, " %d ", (int)E.creds[i].alg);
		hexio_put(f, key, klen);
		fputc('\n', f);
		sk_wipe(key, sizeof(key));
	}
	if (fclose(f) != 0 || rename(tmp, E.state) != 0)
		die(E.state, strerror(errno));
}

static void
state_load(void)
{
	static char line[8192];
	char a[128], b[128], k[8000];
	uint8_t key[4000];
	size_t klen;
	int alg;
	FILE *f;

	if ((f = fopen(E.state, "r")) == NULL) {
		if (errno == ENOENT)
			return;
		die(E.state, strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct cred *c = &E.creds[E.ncreds];

		if (sscanf(line, "counter %u", &E.counter) == 1)
			continue;
		if (E.ncreds == CREDS_MAX || sscanf(line, "cred %127s %127s %d "
		    "%7999s", a, b, &alg, k) != 4 ||
		    unhex_field(a, c->id, CRED_ID_LEN) != 0 ||
		    unhex_field(b, c->rp_hash, 32) != 0 ||
		    (klen = hexio_get(k, key, sizeof(key))) * 2 != strlen(k) ||
		    crypto_privkey_load(&c->key, key, klen) != 0)
			die(E.state, "bad line");
		c->alg = (enum fido2_alg)alg;
		E.ncreds++;
		sk_wipe(key, sizeof(key));
	}
	fclose(f);
}

/* ---- a tiny canonical CBOR encoder (definite lengths only) ---- */

struct out {
	uint8_t		 b[MSG_MAX];
	size_t		 n;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->n + n > sizeof(o->b))
		die("reply too long", NULL);
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
head(struct out *o, unsigned major, uint64_t v)
{
	uint8_t h[9];

	h[0] = (uint8_t)(major << 5);
	if (v < 24) {
		h[0] |= (uint8_t)v;
		put(o, h, 1);
	} else if (v < 0x100) {
		h[0] |= 24;
		h[1] = (uint8_t)v;
		put(o, h, 2);
	} else if (v < 0x10000) {
		h[0] |= 25;
		be16enc(h + 1, (uint16_t)v);
		put(o, h, 3);
	} else {
		h[0] |= 26;
		be32enc(h + 1, (uint32_t)v);
		put(o, h, 5);
	}
}

static void cb_int(struct out *o, int64_t v)
{
	if (v >= 0)
		head(o, 0, (uint64_t)v);
	else
		head(o, 1, (uint64_t)(-1 - v));
}
static void cb_bytes(struct out *o, const void *p, size_t n)
{
	head(o, 2, n);
	put(o, p, n);
}
static void cb_text(struct out *o, const char *s)
{
	head(o, 3, strlen(s));
	put(o, s, strlen(s));
}
static void cb_array(struct out *o, size_t n) { head(o, 4, n); }
static void cb_map(struct out *o, size_t n) { head(o, 5, n); }
static void cb_bool(struct out *o, int v)
{
	uint8_t b = v ? 0xf5 : 0xf4;

	put(o, &b, 1);
}

/* ---- CTAPHID framing ---- */

static void
send_report(const uint8_t r[REPORT])
{
	size_t off = 0;
	ssize_t n;

	while (off < REPORT) {
		if ((n = send(E.fd, r + off, REPORT - off, MSG_NOSIGNAL)) <= 0)
			return;		/* the client went away */
		off += (size_t)n;
	}
}

static void
send_msg(uint32_t cid, uint8_t cmd, const uint8_t *p, size_t n)
{
	uint8_t r[REPORT];
	size_t off, chunk;
	uint8_t seq = 0;

	memset(r, 0, sizeof(r));
	be32enc(r, cid);
	r[4] = cmd;
	be16enc(r + 5, (uint16_t)n);
	chunk = n < 57 ? n : 57;
	memcpy(r + 7, p, chunk);
	send_report(r);
	for (off = chunk; off < n; off += chunk) {
		memset(r, 0, sizeof(r));
		be32enc(r, cid);
		r[4] = seq++;
		chunk = n - off < 59 ? n - off : 59;
		memcpy(r + 5, p + off, chunk);
		send_report(r);
	}
}

static void
send_error(uint32_t cid, uint8_t code)
{
	send_msg(cid, HID_ERROR, &code, 1);
}

/* Read one report; 0 at EOF or timeout (ms < 0: wait for ever). */
static int
recv_report(uint8_t r[REPORT], int ms)
{
	struct pollfd p = { .fd = E.fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < REPORT) {
		if (poll(&p, 1, got == 0 ? ms : 1000) <= 0)
			return 0;
		if ((n = recv(E.fd, r + got, REPORT - got, 0)) <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/* "Waiting for a touch": KEEPALIVE (UP needed) every 100 ms; a CANCEL on
 * the channel ends it.  Returns CTAP_OK, CTAP_DENIED or the cancel code. */
static uint8_t
touch(uint32_t cid)
{
	uint8_t r[REPORT], st = 2;
	int left = E.touch_ms;

	while (left > 0) {
		send_msg(cid, HID_KEEPALIVE, &st, 1);
		if (recv_report(r, left < 100 ? left : 100) &&
		    be32dec(r) == cid && r[4] == HID_CANCEL)
			return CTAP_KEEPALIVE_CANCEL;
		left -= 100;
	}
	return E.deny ? CTAP_DENIED : CTAP_OK;
}

/* ---- CTAP2 ---- */

static cbor_item_t *
map_get(const cbor_item_t *m, int64_t key, const char *skey)
{
	struct cbor_pair *p;
	size_t i;

	if (m == NULL || !cbor_isa_map(m))
		return NULL;
	p = cbor_map_handle(m);
	for (i = 0; i < cbor_map_size(m); i++) {
		const cbor_item_t *k = p[i].key;

		if (skey == NULL && key >= 0 && cbor_isa_uint(k) &&
		    cbor_get_int(k) == (uint64_t)key)
			return p[i].value;
		if (skey == NULL && key < 0 && cbor_isa_negint(k) &&
		    cbor_get_int(k) == (uint64_t)(-1 - key))
			return p[i].value;
		if (skey != NULL && cbor_isa_string(k) &&
		    cbor_string_is_definite(k) &&
		    cbor_string_length(k) == strlen(skey) &&
		    memcmp(cbor_string_handle(k), skey, strlen(skey)) == 0)
			return p[i].value;
	}
	return NULL;
}

static int
get_bytes(const cbor_item_t *i, const uint8_t **p, size_t *n)
{
	if (i == NULL || !cbor_isa_bytestring(i) ||
	    !cbor_bytestring_is_definite(i))
		return -1;
	*p = cbor_bytestring_handle(i);
	*n = cbor_bytestring_length(i);
	return 0;
}

static int
get_text(const cbor_item_t *i, char *out, size_t cap)
{
	size_t n;

	if (i == NULL || !cbor_isa_string(i) || !cbor_string_is_definite(i) ||
	    (n = cbor_string_length(i)) >= cap)
		return -1;
	memcpy(out, cbor_string_handle(i), n);
	out[n] = '\0';
	return 0;
}

/* The COSE key of a credential. */
static void
cose_key(struct out *o, const struct cred *c)
{
	struct crypto_pubkey *pk;
	uint8_t q[80];
	size_t qlen;

	if (crypto_privkey_public(c->key, &pk) != 0 ||
	    crypto_pubkey_export(pk, q, &qlen, NULL, NULL, sizeof(q)) != 0)
		die("cannot export a public key", NULL);
	crypto_pubkey_free(pk);
	if (c->alg == FIDO2_ES256) {
		cb_map(o, 5);
		cb_int(o, 1); cb_int(o, 2);		/* kty: EC2 */
		cb_int(o, 3); cb_int(o, -7);		/* alg: ES256 */
		cb_int(o, -1); cb_int(o, 1);		/* crv: P-256 */
		cb_int(o, -2); cb_bytes(o, q + 1, 32);
		cb_int(o, -3); cb_bytes(o, q + 33, 32);
	} else {
		/* libgcrypt's Ed25519 q carries a 0x40 prefix; without
		 * it, leading zero bytes may have been dropped. */
		uint8_t x[32] = { 0 };

		if (qlen == 33 && q[0] == 0x40)
			memcpy(x, q + 1, 32);
		else if (qlen <= 32)
			memcpy(x + 32 - qlen, q, qlen);
		else
			die("odd Ed25519 public key", NULL);

		cb_map(o, 4);
		cb_int(o, 1); cb_int(o, 1);		/* kty: OKP */
		cb_int(o, 3); cb_int(o, -8);		/* alg: EdDSA */
		cb_int(o, -1); cb_int(o, 6);		/* crv: Ed25519 */
		cb_int(o, -2); cb_bytes(o, x, 32);
	}
}

/* Sign data (authData || clientDataHash) as the authenticator does. */
static void
sign(const struct cred *c, const uint8_t *data, size_t n, struct out *sig)
{
	uint8_t digest[32], r[32], s[32];
	size_t rl, sl;

	sig->n = 0;
	if (c->alg == FIDO2_EDDSA) {
		if (crypto_privkey_sign(c->key, SK_HASH_PURE, data, n, r, &rl,
		    s, &sl, 32) != 0)
			die("sign", NULL);
		put(sig, r, 32);
		put(sig, s, 32);
	} else {
		crypto_sha256(data, n, digest);
		if (crypto_privkey_sign(c->key, SK_HASH_SHA256, digest, 32, r,
		    &rl, s, &sl, 32) != 0 ||
		    fido2_der_encode(r, rl, s, sl, sig->b, sizeof(sig->b),
		    &sig->n) != 0)
			die("sign", NULL);
	}
	if (E.corrupt)
		sig->b[sig->n / 2] ^= 0x01;
}

static uint8_t
make_credential(uint32_t cid, const cbor_item_t *req, struct out *o)
{
	static struct out ad, sig;
	const cbor_item_t *params;
	const uint8_t *cdh;
	char rp[256];
	struct cred *c;
	uint8_t flags, buf[1024], st;
	size_t n, i;
	enum fido2_alg alg = 0;

	if (get_bytes(map_get(req, 1, NULL), &cdh, &n) != 0 || n != 32 ||
	    get_text(map_get(map_get(req, 2, NULL), 0, "id"), rp,
	    sizeof(rp)) != 0 || (params = map_get(req, 4, NULL)) == NULL ||
	    !cbor_isa_array(params))
		return CTAP_MISSING_PARAM;
	for (i = 0; i < cbor_array_size(params) && alg == 0; i++) {
		const cbor_item_t *a = map_get(cbor_array_handle(params)[i],
		    0, "alg");

		if (a != NULL && cbor_isa_negint(a) && cbor_get_int(a) == 6)
			alg = FIDO2_ES256;
		else if (a != NULL && cbor_isa_negint(a) && cbor_get_int(a) == 7)
			alg = FIDO2_EDDSA;
	}
	if (alg == 0)
		return CTAP_UNSUPPORTED_ALG;
	if (E.ncreds == CREDS_MAX)
		return CTAP_DENIED;
	if ((st = touch(cid)) != CTAP_OK)
		return st;
	c = &E.creds[E.ncreds];
	crypto_random(c->id, CRED_ID_LEN);
	crypto_sha256(rp, strlen(rp), c->rp_hash);
	c->alg = alg;
	if (crypto_privkey_generate(&c->key, alg == FIDO2_ES256 ? SK_PK_ECDSA :
	    SK_PK_EDDSA, alg == FIDO2_ES256 ? SK_CURVE_P256 : SK_CURVE_ED25519,
	    0) != 0)
		die("keygen", NULL);
	E.ncreds++;
	if (!E.no_counter)
		E.counter++;
	state_save();

	ad.n = 0;
	put(&ad, c->rp_hash, 32);
	flags = 0x01 | 0x40;			/* UP, AT */
	put(&ad, &flags, 1);
	be32enc(buf, E.no_counter ? 0 : E.counter);
	put(&ad, buf, 4);
	put(&ad, AAGUID, 16);
	be16enc(buf, CRED_ID_LEN);
	put(&ad, buf, 2);
	put(&ad, c->id, CRED_ID_LEN);
	cose_key(&ad, c);

	cb_map(o, 3);
	cb_int(o, 1);
	cb_text(o, E.none ? "none" : "packed");
	cb_int(o, 2);
	cb_bytes(o, ad.b, ad.n);
	cb_int(o, 3);
	if (E.none) {
		cb_map(o, 0);
	} else {
		/* Self attestation: signed by the credential key itself. */
		memcpy(buf, ad.b, ad.n);
		memcpy(buf + ad.n, cdh, 32);
		sign(c, buf, ad.n + 32, &sig);
		cb_map(o, 2);
		cb_text(o, "alg");
		cb_int(o, alg == FIDO2_ES256 ? -7 : -8);
		cb_text(o, "sig");
		cb_bytes(o, sig.b, sig.n);
	}
	return CTAP_OK;
}

static uint8_t
get_assertion(uint32_t cid, const cbor_item_t *req, struct out *o)
{
	static struct out sig;
	const cbor_item_t *allow, *opt_up;
	const uint8_t *cdh, *id;
	uint8_t rp_hash[32], ad[37], buf[69], st;
	struct cred *c = NULL;
	char rp[256];
	size_t n, i, j;
	int up = 1;

	if (get_text(map_get(req, 1, NULL), rp, sizeof(rp)) != 0 ||
	    get_bytes(map_get(req, 2, NULL), &cdh, &n) != 0 || n != 32)
		return CTAP_MISSING_PARAM;
	crypto_sha256(rp, strlen(rp), rp_hash);
	if ((allow = map_get(req, 3, NULL)) != NULL && cbor_isa_array(allow))
		for (i = 0; i < cbor_array_size(allow) && c == NULL; i++) {
			if (get_bytes(map_get(cbor_array_handle(allow)[i], 0,
			    "id"), &id, &n) != 0 || n != CRED_ID_LEN)
				continue;
			for (j = 0; j < E.ncreds; j++)
				if (memcmp(E.creds[j].id, id, n) == 0 &&
				    memcmp(E.creds[j].rp_hash, rp_hash, 32) == 0)
					c = &E.creds[j];
		}
	if (c == NULL)
		return CTAP_NO_CREDENTIALS;
	if ((opt_up = map_get(map_get(req, 5, NULL), 0, "up")) != NULL &&
	    cbor_is_bool(opt_up))
		up = cbor_get_bool(opt_up);
	if (up && (st = touch(cid)) != CTAP_OK)
		return st;
	if (!E.no_counter)
		E.counter++;
	state_save();
	if (E.wrong_rp)
		crypto_sha256("not-the-rp", 10, ad);
	else
		memcpy(ad, rp_hash, 32);
	ad[32] = up && !E.no_up ? 0x01 : 0x00;
	be32enc(ad + 33, E.no_counter ? 0 : E.counter);
	memcpy(buf, ad, 37);
	memcpy(buf + 37, cdh, 32);
	sign(c, buf, sizeof(buf), &sig);

	cb_map(o, 3);
	cb_int(o, 1);
	cb_map(o, 2);
	cb_text(o, "id");
	cb_bytes(o, c->id, CRED_ID_LEN);
	cb_text(o, "type");
	cb_text(o, "public-key");
	cb_int(o, 2);
	cb_bytes(o, ad, sizeof(ad));
	cb_int(o, 3);
	cb_bytes(o, sig.b, sig.n);
	return CTAP_OK;
}

static void
get_info(struct out *o)
{
	cb_map(o, 6);
	cb_int(o, 1);
	cb_array(o, 1);
	cb_text(o, "FIDO_2_0");
	cb_int(o, 2);
	cb_array(o, 0);
	cb_int(o, 3);
	cb_bytes(o, AAGUID, 16);
	cb_int(o, 4);
	cb_map(o, 3);
	cb_text(o, "rk"); cb_bool(o, 0);
	cb_text(o, "up"); cb_bool(o, 1);
	cb_text(o, "plat"); cb_bool(o, 0);
	cb_int(o, 5);
	cb_int(o, 1200);
	cb_int(o, 10);
	cb_array(o, 2);
	cb_map(o, 2);
	cb_text(o, "alg"); cb_int(o, -7);
	cb_text(o, "type"); cb_text(o, "public-key");
	cb_map(o, 2);
	cb_text(o, "alg"); cb_int(o, -8);
	cb_text(o, "type"); cb_text(o, "public-key");
}

static void
handle_cbor(uint32_t cid, const uint8_t *p, size_t n)
{
	static struct out o;
	struct cbor_load_result res;
	cbor_item_t *req = NULL;
	uint8_t st = CTAP_OK;

	o.n = 1;
	if (n == 0) {
		st = CTAP_INVALID_CMD;
	} else if (p[0] == 0x04) {
		get_info(&o);
	} else if (p[0] == 0x01 || p[0] == 0x02) {
		req = cbor_load(p + 1, n - 1, &res);
		if (req == NULL || !cbor_isa_map(req))
			st = CTAP_INVALID_CBOR;
		else if (p[0] == 0x01)
			st = make_credential(cid, req, &o);
		else
			st = get_assertion(cid, req, &o);
		if (req != NULL)
			cbor_decref(&req);
	} else {
		st = CTAP_INVALID_CMD;
	}
	if (st != CTAP_OK)
		o.n = 1;
	o.b[0] = st;
	send_msg(cid, HID_CBOR, o.b, o.n);
}

/* One client connection: assemble messages and answer them. */
static void
serve(void)
{
	static uint8_t msg[MSG_MAX];
	uint8_t r[REPORT], reply[17];
	uint32_t cid, mcid = 0;
	size_t need = 0, have = 0, chunk;
	uint8_t cmd = 0, seq = 0;

	while (recv_report(r, -1)) {
		cid = be32dec(r);
		if (r[4] & 0x80) {
			cmd = r[4];
			need = be16dec(r + 5);
			if (need > MSG_MAX) {
				send_error(cid, HID_ERR_LEN);
				need = 0;
				continue;
			}
			if (cmd == HID_CANCEL)
				continue;	/* nothing pending */
			mcid = cid;
			chunk = need < 57 ? need : 57;
			memcpy(msg, r + 7, chunk);
			have = chunk;
			seq = 0;
		} else {
			if (cid != mcid || have >= need) {
				send_error(cid, HID_ERR_CHANNEL);
				continue;
			}
			if (r[4] != seq++) {
				send_error(cid, HID_ERR_SEQ);
				need = have = 0;
				continue;
			}
			chunk = need - have < 59 ? need - have : 59;
			memcpy(msg + have, r + 5, chunk);
			have += chunk;
		}
		if (have < need)
			continue;
		switch (cmd) {
		case HID_INIT:
			if (need != 8) {
				send_error(cid, HID_ERR_LEN);
				break;
			}
			memcpy(reply, msg, 8);
			be32enc(reply + 8, cid == 0xffffffffu ? E.next_cid++ :
			    cid);
			reply[12] = 2;			/* CTAPHID version */
			reply[13] = 1;			/* device version */
			reply[14] = 0;
			reply[15] = 0;
			reply[16] = 0x04 | 0x08;	/* CBOR, no MSG */
			send_msg(cid, HID_INIT, reply, sizeof(reply));
			break;
		case HID_PING:
			send_msg(cid, HID_PING, msg, need);
			break;
		case HID_WINK:
			send_msg(cid, HID_WINK, NULL, 0);
			break;
		case HID_CBOR:
			if (cid == 0xffffffffu || cid == 0)
				send_error(cid, HID_ERR_CHANNEL);
			else
				handle_cbor(cid, msg, need);
			break;
		case HID_MSG:
		default:
			send_error(cid, HID_ERR_CMD);
			break;
		}
		need = have = 0;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = NULL;
	long set_counter = -1;
	int s, i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--socket") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(a, "--state") == 0 && i + 1 < argc)
			E.state = argv[++i];
		else if (strcmp(a, "--touch-delay") == 0 && i + 1 < argc)
			E.touch_ms = atoi(argv[++i]);
		else if (strcmp(a, "--counter") == 0 && i + 1 < argc)
			set_counter = atol(argv[++i]);
		else if (strcmp(a, "--attest") == 0 && i + 1 < argc)
			E.none = strcmp(argv[++i], "none") == 0;
		else if (strcmp(a, "--deny") == 0)
			E.deny = 1;
		else if (strcmp(a, "--no-up") == 0)
			E.no_up = 1;
		else if (strcmp(a, "--corrupt-sig") == 0)
			E.corrupt = 1;
		else if (strcmp(a, "--wrong-rp") == 0)
			E.wrong_rp = 1;
		else if (strcmp(a, "--no-counter") == 0)
			E.no_counter = 1;
		else
			die("usage: sk-fido2-emu --socket PATH --state FILE "
			    "[--touch-delay MS] [--deny] [--no-up] [--attest "
			    "packed|none] [--counter N] [--corrupt-sig] "
			    "[--wrong-rp] [--no-counter]", NULL);
	}
	if (path == NULL || E.state == NULL || strlen(path) >= sizeof(sa.sun_path))
		die("--socket PATH and --state FILE are required", NULL);
	if (crypto_init() != 0)
		die("crypto_init", NULL);
	state_load();
	if (set_counter >= 0) {
		E.counter = (uint32_t)set_counter;
		state_save();
	}
	crypto_random(&E.next_cid, sizeof(E.next_cid));
	E.next_cid = (E.next_cid & 0x7fffffff) | 1;
	strcpy(sa.sun_path, path);
	unlink(path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s, 4) != 0)
		die(path, strerror(errno));
	for (;;) {
		if ((E.fd = accept(s, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			die("accept", strerror(errno));
		}
		serve();
		close(E.fd);
	}
}
