/* TEST HOOKS, compiled only with ./configure --enable-test-hooks (never
 * in a package): a datagram to the knock port whose payload starts with
 * "SKTEST " makes the worker do what an attacker who took it over would
 * try (t/511-privsep.sh).  Included by worker.c. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>

#include "endian.h"
#include "work.h"

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (hexval(s[2 * i]) < 0 || hexval(s[2 * i + 1]) < 0)
			return -1;
		out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	}
	return 0;
}

/* The common part of a forged request: now, this server, ADDR (bound),
 * tcp/PORT and TIMEOUT seconds; 0, or -1 (logged). */
static int
forge_request(struct worker *w, struct sk_request *rq, const char *addr,
    const char *port, unsigned timeout, struct knock_decision *d)
{
	unsigned p;

	rq->version = SK_WIRE_VERSION;
	rq->timestamp = (uint64_t)time(NULL);
	memcpy(rq->server_digest, w->k.key.digest, SK_DIGEST_LEN);
	if (inet_pton(AF_INET, addr, rq->addr) == 1) {
		rq->addr_family = SK_ADDR_IPV4;
		d->owner.src_family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, rq->addr) == 1) {
		rq->addr_family = SK_ADDR_IPV6;
		d->owner.src_family = AF_INET6;
	} else
		return -1;
	memcpy(d->owner.src, rq->addr, 16);
	if (sscanf(port, "tcp/%u", &p) != 1 || p == 0 || p > 65535 ||
	    timeout > 65535)
		return -1;
	rq->timeout = (uint16_t)timeout;
	rq->n_access = 1;
	rq->access[0] = (struct sk_access){ 6, (uint16_t)p };
	return 0;
}

/* Sign rq with sig (made by sign(), which sees the signed message) and
 * send it to the monitor as a grant request. */
static void
forge_send(struct worker *w, struct sk_request *rq, struct knock_decision *d,
    int (*sign)(const uint8_t *msg, size_t mlen, const void *arg,
    uint8_t *sig, size_t *slen), const void *arg)
{
	uint8_t msg[SK_SIGNED_MSG_MAX], sig[SK_SIG_MAX];
	struct ps_grant m;
	size_t ulen, mlen, slen;

	if (request_encode_unsigned(rq, d->inner, sizeof(d->inner), &ulen) != 0 ||
	    request_signed_message(d->inner, ulen, msg, sizeof(msg), &mlen) != 0 ||
	    sign(msg, mlen, arg, sig, &slen) != 0 ||
	    request_append_signature(d->inner, sizeof(d->inner), ulen, sig,
	    slen, &d->inner_len) != 0) {
		log_err("test hook: cannot build the request");
		return;
	}
	ps_grant_from(d, &m);
	ps_send(w->sock, &m, sizeof(m), -1, 0);
}

/* An OpenPGP signature packet by the signer id in arg (FPR, then 32
 * bytes for r and s): well formed, with the right left 16 bits, but
 * only the key's holder could have made its r and s. */
static int
forge_pgp(const uint8_t *msg, size_t mlen, const void *arg, uint8_t *sig,
    size_t *slen)
{
	const uint8_t *fpr = arg, *rs = fpr + PGP_FPR_LEN;
	struct pgp_sig_builder b;
	uint8_t digest[64];
	const uint8_t *parts[1] = { msg };
	size_t lens[1] = { mlen }, dlen;

	return pgp_sig_builder_init(&b, PGP_SIG_BINARY, PGP_PK_EDDSA,
	    PGP_HASH_SHA256, (uint32_t)time(NULL), fpr, 0) != 0 ||
	    pgp_sig_builder_digest(&b, parts, lens, 1, digest, &dlen) != 0 ||
	    pgp_sig_builder_finish(&b, digest, rs, 32, rs, 32, sig, SK_SIG_MAX,
	    slen) != 0 ? -1 : 0;
}

/* grant FPR ADDR tcp/PORT TIMEOUT DIGEST: a grant request of the
 * worker's own making, sent as if a knock had passed: a request by FPR
 * for ADDR (bound), tcp/PORT and TIMEOUT seconds, now, with DIGEST's
 * first bytes as its nonce and a signature packet that names FPR (r and
 * s: DIGEST).  What a worker under an attacker's control can send
 * without a knock of FPR's. */
static void
forge(struct worker *w, char *args)
{
	char fpr[64], addr[64], port[32], dg[80];
	uint8_t arg[PGP_FPR_LEN + 32];
	unsigned timeout;
	struct sk_request rq;
	struct knock_decision d;

	memset(&rq, 0, sizeof(rq));
	memset(&d, 0, sizeof(d));
	if (sscanf(args, "%63s %63s %31s %u %79s", fpr, addr, port, &timeout,
	    dg) != 5 || pgp_fpr_parse(fpr, arg) != 0 ||
	    unhex(dg, arg + PGP_FPR_LEN, 32) != 0 ||
	    forge_request(w, &rq, addr, port, timeout, &d) != 0) {
		log_err("test hook: bad grant arguments");
		return;
	}
	rq.signer_type = SK_SIGNER_OPENPGP;
	memcpy(rq.nonce, arg + PGP_FPR_LEN, sizeof(rq.nonce));
	rq.signer_id_len = PGP_FPR_LEN;
	memcpy(rq.signer_id, arg, PGP_FPR_LEN);
	forge_send(w, &rq, &d, forge_pgp, arg);
}

/* A FIDO2 signature field for the credential in arg: its RP's hash, user
 * presence, sign counter 0xffffffff, and an ES256 signature that is well
 * formed DER but no authenticator's. */
static int
forge_fido2(const uint8_t *msg, size_t mlen, const void *arg, uint8_t *sig,
    size_t *slen)
{
	const struct fido2_user *u = arg;
	uint8_t ad[FIDO2_AUTHDATA_MIN], der[80], r[32], s[32];
	size_t derlen;

	(void)msg;
	(void)mlen;
	memcpy(ad, u->rp_hash, 32);
	ad[32] = FIDO2_FLAG_UP;
	be32enc(ad + 33, 0xffffffff);
	memset(r, 0x5a, sizeof(r));
	memset(s, 0x3c, sizeof(s));
	return fido2_der_encode(r, 32, s, 32, der, sizeof(der), &derlen) != 0 ||
	    fido2_sig_encode(ad, sizeof(ad), der, derlen, sig, SK_SIG_MAX,
	    slen) != 0 ? -1 : 0;
}

/* grant-fido2 NAME ADDR tcp/PORT: a request by FIDO2 credential NAME,
 * whose assertion claims sign counter 0xffffffff (a worker that could
 * plant it would lock the real key out as "cloned"). */
static void
forge_fido2_grant(struct worker *w, char *args)
{
	char name[FIDO2_NAME_MAX + 1], addr[64], port[32];
	const struct fido2_user *u = NULL;
	struct sk_request rq;
	struct knock_decision d;
	size_t i;

	memset(&rq, 0, sizeof(rq));
	memset(&d, 0, sizeof(d));
	if (sscanf(args, "%64s %63s %31s", name, addr, port) != 3 ||
	    forge_request(w, &rq, addr, port, 3, &d) != 0) {
		log_err("test hook: bad grant-fido2 arguments");
		return;
	}
	for (i = 0; w->k.fu != NULL && i < w->k.fu->n; i++)
		if (strcmp(w->k.fu->u[i].rec.name, name) == 0)
			u = &w->k.fu->u[i];
	if (u == NULL) {
		log_err("test hook: no FIDO2 credential named %s", name);
		return;
	}
	rq.signer_type = SK_SIGNER_FIDO2;
	rq.signer_id_len = FIDO2_ID_LEN;
	memcpy(rq.signer_id, u->id, FIDO2_ID_LEN);
	forge_send(w, &rq, &d, forge_fido2, u);
}

/* relay DATAGRAM: a worker that checks nothing: the datagram after
 * "SKTEST relay " is opened and its request sent to the monitor as it
 * is, whatever the worker's own checks would have said of it. */
static void
relay(struct worker *w, const struct pkt_info *pi, size_t off)
{
	struct knock_decision d;
	struct ps_grant m;
	struct sk_work wk;
	size_t len;

	memset(&d, 0, sizeof(d));
	work_split(pi->payload + off, pi->len - off, SK_DATAGRAM_MIN, &wk, &len);
	if (datagram_open(&w->k.key, pi->payload + off, len, d.inner,
	    sizeof(d.inner), &d.inner_len) != 0) {
		log_err("test hook: cannot open the datagram to relay");
		return;
	}
	d.owner.src_family = pi->family;
	memcpy(d.owner.src, pi->src, 16);
	ps_grant_from(&d, &m);
	ps_send(w->sock, &m, sizeof(m), -1, 0);
}

static int
test_hook(struct worker *w, const struct pkt_info *pi)
{
	char cmd[512];
	static char sh[] = "/bin/sh";
	char *const argv[] = { sh, NULL };
	int fd;

	if (pi->len < 7 || memcmp(pi->payload, "SKTEST ", 7) != 0)
		return 0;
	if (pi->len > 13 && memcmp(pi->payload + 7, "relay ", 6) == 0) {
		log_warn("test hook: relay");
		relay(w, pi, 13);
		return 1;
	}
	if (pi->len >= sizeof(cmd))
		return 0;
	memcpy(cmd, pi->payload + 7, pi->len - 7);
	cmd[pi->len - 7] = '\0';
	/* log N TEXT: TEXT (newlines and all) logged N times, as a worker
	 * forging log lines would; stderr TEXT: written to descriptor 2. */
	if (strncmp(cmd, "log ", 4) == 0) {
		unsigned i, n;
		int off = 0;

		if (sscanf(cmd + 4, "%u %n", &n, &off) == 1 && off > 0)
			for (i = 0; i < n && i < 100000; i++)
				log_notice("%s", cmd + 4 + off);
		return 1;
	}
	if (strncmp(cmd, "stderr ", 7) == 0) {
		if (write(2, cmd + 7, strlen(cmd + 7)) < 0)
			log_warn("test hook: write to stderr: %s",
			    strerror(errno));
		return 1;
	}
	cmd[strcspn(cmd, "\n")] = '\0';
	log_warn("test hook: %s", cmd);
	if (strcmp(cmd, "open") == 0) {
		fd = open("/etc/shadow", O_RDONLY);
		log_warn("test hook: open returned %d (%s)", fd, strerror(errno));
	} else if (strcmp(cmd, "exec") == 0) {
		execve(argv[0], argv, argv + 1);
		log_warn("test hook: execve returned (%s)", strerror(errno));
	} else if (strcmp(cmd, "socket") == 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		log_warn("test hook: socket returned %d (%s)", fd,
		    strerror(errno));
	} else if (strncmp(cmd, "write ", 6) == 0) {
		fd = open(cmd + 6, O_WRONLY | O_CREAT | O_APPEND, 0600);
		log_warn("test hook: open for writing returned %d (%s)", fd,
		    strerror(errno));
	} else if (strcmp(cmd, "segv") == 0) {
		raise(SIGSEGV);
	} else if (strncmp(cmd, "grant ", 6) == 0)
		forge(w, cmd + 6);
	else if (strncmp(cmd, "grant-fido2 ", 12) == 0)
		forge_fido2_grant(w, cmd + 12);
	else
		log_warn("test hook: unknown command");
	return 1;
}
