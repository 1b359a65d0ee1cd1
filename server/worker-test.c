/* TEST HOOKS, compiled only with ./configure --enable-test-hooks (never
 * in a package): a datagram to the knock port whose payload starts with
 * "SKTEST " makes the worker do what an attacker who took it over would
 * try (t/511-privsep.sh).  Included by worker.c. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>

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

/* grant FPR ADDR tcp/PORT TIMEOUT DIGEST: a grant request of the
 * worker's own making, sent as if a knock had passed: a request by FPR
 * for ADDR (bound), tcp/PORT and TIMEOUT seconds, now, with DIGEST's
 * first bytes as its nonce and a signature packet that is well formed,
 * names FPR and has the right left 16 bits, but that only FPR's private
 * key could have made (here: DIGEST as r and s).  What a worker under an
 * attacker's control can send without a knock of FPR's. */
static void
forge(struct worker *w, char *args)
{
	char fpr[64], addr[64], port[32], dg[80];
	unsigned timeout, p;
	struct sk_request rq;
	struct pgp_sig_builder b;
	struct knock_decision d;
	struct ps_grant m;
	uint8_t msg[SK_SIGNED_MSG_MAX], sig[SK_SIG_MAX], digest[64], rs[32];
	const uint8_t *parts[1];
	size_t lens[1], ulen, mlen, slen, dlen;

	memset(&rq, 0, sizeof(rq));
	memset(&d, 0, sizeof(d));
	if (sscanf(args, "%63s %63s %31s %u %79s", fpr, addr, port, &timeout,
	    dg) != 5 || pgp_fpr_parse(fpr, rq.signer_id) != 0 ||
	    sscanf(port, "tcp/%u", &p) != 1 || p == 0 || p > 65535 ||
	    timeout > 65535 || unhex(dg, rs, 32) != 0) {
		log_err("test hook: bad grant arguments");
		return;
	}
	rq.version = SK_WIRE_VERSION;
	rq.signer_type = SK_SIGNER_OPENPGP;
	rq.timestamp = (uint64_t)time(NULL);
	memcpy(rq.nonce, rs, sizeof(rq.nonce));
	memcpy(rq.server_digest, w->k.key.digest, SK_DIGEST_LEN);
	if (inet_pton(AF_INET, addr, rq.addr) == 1) {
		rq.addr_family = SK_ADDR_IPV4;
		d.owner.src_family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, rq.addr) == 1) {
		rq.addr_family = SK_ADDR_IPV6;
		d.owner.src_family = AF_INET6;
	}
	memcpy(d.owner.src, rq.addr, 16);
	rq.timeout = (uint16_t)timeout;
	rq.n_access = 1;
	rq.access[0] = (struct sk_access){ 6, (uint16_t)p };
	rq.signer_id_len = PGP_FPR_LEN;
	if (request_encode_unsigned(&rq, d.inner, sizeof(d.inner), &ulen) != 0 ||
	    request_signed_message(d.inner, ulen, msg, sizeof(msg), &mlen) != 0) {
		log_err("test hook: cannot build the request");
		return;
	}
	parts[0] = msg;
	lens[0] = mlen;
	if (pgp_sig_builder_init(&b, PGP_SIG_BINARY, PGP_PK_EDDSA,
	    PGP_HASH_SHA256, (uint32_t)time(NULL), rq.signer_id, 0) != 0 ||
	    pgp_sig_builder_digest(&b, parts, lens, 1, digest, &dlen) != 0 ||
	    pgp_sig_builder_finish(&b, digest, rs, 32, rs, 32, sig, sizeof(sig),
	    &slen) != 0 || request_append_signature(d.inner, sizeof(d.inner),
	    ulen, sig, slen, &d.inner_len) != 0) {
		log_err("test hook: cannot build the signature");
		return;
	}
	ps_grant_from(&d, &m);
	ps_send(w->sock, &m, sizeof(m), -1, 0);
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
	else
		log_warn("test hook: unknown command");
	return 1;
}
