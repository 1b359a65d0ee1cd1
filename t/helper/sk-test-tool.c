/* sk-test-tool: internals exposed to the shell tests (git's t/helper
 * pattern).  Run without arguments for the list of commands. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "endian.h"
#include "err.h"
#include "keyring.h"
#include "log.h"
#include "pgp.h"
#include "serverkey.h"
#include "deleg.h"
#include "wipe.h"
#include "wire.h"
#include "work.h"

#define FILE_MAX (1u << 20)

static void die(const char *msg, const char *arg) __attribute__((noreturn));

/* "sk-test-tool: MSG[: ARG]" and exit 2. */
static void
die(const char *msg, const char *arg)
{
	fprintf(stderr, "sk-test-tool: %s%s%s\n", msg, arg ? ": " : "",
	    arg ? arg : "");
	exit(2);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL)
		die("cannot open", path);
	if ((buf = malloc(FILE_MAX)) == NULL)
		die("out of memory", NULL);
	n = fread(buf, 1, FILE_MAX, f);
	if (ferror(f) || !feof(f))
		die("cannot read all of", path);
	fclose(f);
	*len = n;
	return buf;
}

static void
write_file(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0)
		die("cannot write", path);
}

static void
print_hex(FILE *f, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
}

static void
print_fpr(FILE *f, const uint8_t *p)
{
	char hex[PGP_FPR_HEX_LEN + 1];

	pgp_fpr_format(p, hex);
	fputs(hex, f);
}

/* keyring-list HOMEDIR: one line per usable signing key. */
static int
cmd_keyring_list(int argc, char **argv)
{
	struct keyring *kr;
	char name[32];
	size_t i;
	int r;

	if (argc != 2)
		die("usage: keyring-list HOMEDIR", NULL);
	if ((r = keyring_load(argv[1], &kr)) != 0)
		die("keyring_load:", sk_strerror(r));
	for (i = 0; i < kr->n; i++) {
		const struct keyring_entry *e = &kr->entries[i];

		print_fpr(stdout, e->fpr);
		printf(" %s %s", keyring_algo_name(e->algo, e->bits, name,
		    sizeof(name)), e->uid);
		if (e->expires != 0)
			printf(" expires=%lld", (long long)e->expires);
		putchar('\n');
	}
	keyring_free(kr);
	return 0;
}

/* pgp-verify HOMEDIR SIG DATA [NOW]: verify a detached binary signature
 * by the key its issuer-fingerprint subpacket names, at time NOW (epoch
 * seconds; default the current time). Exit 0 good, 1 bad. */
static int
cmd_pgp_verify(int argc, char **argv)
{
	const struct keyring_entry *who;
	struct keyring *kr;
	struct pgp_sig sig;
	uint8_t *s, *d;
	size_t slen, dlen;
	int r;

	if (argc != 4 && argc != 5)
		die("usage: pgp-verify HOMEDIR SIG DATA [NOW]", NULL);
	if ((r = keyring_load(argv[1], &kr)) != 0)
		die("keyring_load:", sk_strerror(r));
	s = read_file(argv[2], &slen);
	d = read_file(argv[3], &dlen);
	if ((r = pgp_sig_parse(s, slen, &sig)) == 0 && !sig.has_issuer_fpr)
		r = SK_ERR_UNKNOWN_SIGNER;
	if (r == 0)
		r = keyring_verify(kr, sig.issuer_fpr, PGP_FPR_LEN, s, slen, d,
		    dlen, argc == 5 ? (time_t)strtoll(argv[4], NULL, 10) :
		    time(NULL), 120, &who);
	if (r == 0) {
		printf("good ");
		print_fpr(stdout, who->fpr);
		printf(" %s\n", who->uid);
	} else
		printf("bad: %s\n", sk_strerror(r));
	free(s);
	free(d);
	keyring_free(kr);
	return r == 0 ? 0 : 1;
}

static enum sk_pk_alg
parse_alg(const char *name, enum sk_curve *curve, unsigned *bits, uint8_t *palgo)
{
	*curve = SK_CURVE_NONE;
	*bits = 0;
	if (strcmp(name, "ed25519") == 0) {
		*curve = SK_CURVE_ED25519;
		*palgo = PGP_PK_EDDSA;
		return SK_PK_EDDSA;
	}
	if (strcmp(name, "nistp256") == 0 || strcmp(name, "nistp384") == 0) {
		*curve = strcmp(name, "nistp256") == 0 ? SK_CURVE_P256 :
		    SK_CURVE_P384;
		*palgo = PGP_PK_ECDSA;
		return SK_PK_ECDSA;
	}
	if (strncmp(name, "rsa", 3) == 0) {
		*bits = (unsigned)strtoul(name + 3, NULL, 10);
		*palgo = PGP_PK_RSA;
		return SK_PK_RSA;
	}
	die("unknown algorithm", name);
	return 0;
}

/* selfmade ALGO UID KEYFILE DATA SIGFILE: a key made by libgcrypt and our
 * packet builders (public key, user id, positive self-certification),
 * and a detached signature over DATA, for gpg to judge. */
static int
cmd_selfmade(int argc, char **argv)
{
	struct crypto_privkey *priv = NULL;
	struct crypto_pubkey *pub = NULL;
	struct pgp_sig_builder b;
	enum sk_curve curve;
	unsigned bits;
	uint8_t palgo, body[2048], fpr[PGP_FPR_LEN], out[8192], digest[64];
	uint8_t s1[1024], s2[1024], pre[2048 + 5], uidhdr[5], sig[1100];
	size_t blen, dlen, s1len, s2len, siglen, datalen, uidlen;
	const uint8_t *parts[2];
	size_t lens[2];
	uint32_t now = (uint32_t)time(NULL) - 60;
	struct wbuf w;
	uint8_t *data;
	enum sk_pk_alg alg;

	if (argc != 6)
		die("usage: selfmade ALGO UID KEYFILE DATA SIGFILE", NULL);
	alg = parse_alg(argv[1], &curve, &bits, &palgo);
	if (crypto_privkey_generate(&priv, alg, curve, bits) != 0 ||
	    crypto_privkey_public(priv, &pub) != 0 ||
	    pgp_key_body_build(pub, now, body, sizeof(body), &blen) != 0 ||
	    pgp_fingerprint(body, blen, fpr) != 0)
		die("cannot make the key", NULL);
	uidlen = strlen(argv[2]);

	/* Self-certification: hash 0x99 len body, 0xB4 len uid. */
	pre[0] = 0x99;
	pre[1] = (uint8_t)(blen >> 8);
	pre[2] = (uint8_t)blen;
	memcpy(pre + 3, body, blen);
	uidhdr[0] = 0xb4;
	uidhdr[1] = (uint8_t)(uidlen >> 24);
	uidhdr[2] = (uint8_t)(uidlen >> 16);
	uidhdr[3] = (uint8_t)(uidlen >> 8);
	uidhdr[4] = (uint8_t)uidlen;
	{
		uint8_t certin[2048 + 5 + 5 + 256];
		size_t cl = 0;

		memcpy(certin, pre, blen + 3);
		cl = blen + 3;
		memcpy(certin + cl, uidhdr, 5);
		cl += 5;
		memcpy(certin + cl, argv[2], uidlen);
		cl += uidlen;
		parts[0] = certin;
		lens[0] = cl;
		if (pgp_sig_builder_init(&b, PGP_SIG_POSITIVE_CERT, palgo,
		    PGP_HASH_SHA256, now, fpr, 0x03) != 0 ||
		    pgp_sig_builder_digest(&b, parts, lens, 1, digest, &dlen) != 0 ||
		    crypto_privkey_sign(priv, SK_HASH_SHA256, digest, dlen, s1,
		    &s1len, s2, &s2len, sizeof(s1)) != 0 ||
		    pgp_sig_builder_finish(&b, digest, s1, s1len, s2, s2len, sig,
		    sizeof(sig), &siglen) != 0)
			die("cannot self-certify", NULL);
	}
	wbuf_init(&w, out, sizeof(out));
	pgp_packet_header(&w, PGP_TAG_PUBLIC_KEY, blen);
	wbuf_bytes(&w, body, blen);
	pgp_packet_header(&w, PGP_TAG_USER_ID, uidlen);
	wbuf_bytes(&w, argv[2], uidlen);
	wbuf_bytes(&w, sig, siglen);
	if (wbuf_error(&w) != 0)
		die("key too large", NULL);
	write_file(argv[3], out, w.len);

	/* The detached document signature. */
	data = read_file(argv[4], &datalen);
	parts[0] = data;
	lens[0] = datalen;
	if (pgp_sig_builder_init(&b, PGP_SIG_BINARY, palgo, PGP_HASH_SHA256,
	    now, fpr, 0) != 0 ||
	    pgp_sig_builder_digest(&b, parts, lens, 1, digest, &dlen) != 0 ||
	    crypto_privkey_sign(priv, SK_HASH_SHA256, digest, dlen, s1, &s1len,
	    s2, &s2len, sizeof(s1)) != 0 ||
	    pgp_sig_builder_finish(&b, digest, s1, s1len, s2, s2len, sig,
	    sizeof(sig), &siglen) != 0)
		die("cannot sign", NULL);
	write_file(argv[5], sig, siglen);
	print_fpr(stdout, fpr);
	putchar('\n');
	free(data);
	crypto_pubkey_free(pub);
	crypto_privkey_free(priv);
	return 0;
}

/* ---- golden vectors (PROTOCOL.md, t/data/golden-v1-*.txt) ---- */

static void
golden_key(struct sk_server_key *k, uint8_t skE[32])
{
	static const char skl[] = "sigknock golden vector server key";
	static const char ekl[] = "sigknock golden vector ephemeral key";
	uint8_t sk[32];

	/* Published test-only keys derived from fixed labels, like the
	 * RFC test vectors' keys; no private key file exists. */
	crypto_sha256(skl, sizeof(skl) - 1, sk);
	crypto_sha256(ekl, sizeof(ekl) - 1, skE);
	if (wire_server_key_init(k, sk) != 0)
		die("golden key", NULL);
	sk_wipe(sk, sizeof(sk));
}

/* The golden set: digests 11..11, the golden server's, 33..33. */
static void
golden_set(const struct sk_server_key *k, uint8_t *root,
    uint8_t proof[][SK_DIGEST_LEN])
{
	uint8_t d[3][SK_DIGEST_LEN];

	memset(d[0], 0x11, SK_DIGEST_LEN);
	memcpy(d[1], k->digest, SK_DIGEST_LEN);
	memset(d[2], 0x33, SK_DIGEST_LEN);
	if ((root != NULL && wire_set_root((const uint8_t (*)[32])d, 3,
	    root) != 0) || (proof != NULL && wire_set_proof((const uint8_t
	    (*)[32])d, 3, 1, proof) != 0))
		die("golden set", NULL);
}

/* A delegation by the OpenPGP key 10..23, made at 1764000000 for 8
 * hours, limited to tcp/22, to the key 70..8f; the token's and the
 * delegated key's signatures are opaque bytes here, as in every golden
 * vector. */
static void
golden_deleg(struct sk_request *rq)
{
	struct sk_delegation d;
	size_t i, len;

	memset(&d, 0, sizeof(d));
	d.dtype = SK_SIGNER_OPENPGP;
	d.created = 1764000000u;
	d.not_after = d.created + 8 * 3600;
	for (i = 0; i < SK_ED25519_LEN; i++)
		d.epk[i] = (uint8_t)(0x70 + i);
	d.n_ports = 1;
	d.ports[0] = (struct sk_access){ 6, 22 };
	d.dsig_len = 40;
	for (i = 0; i < d.dsig_len; i++)
		d.dsig[i] = (uint8_t)(0xd0 ^ i);
	for (i = 0; i < SK_ED25519_SIG_LEN; i++)
		d.esig[i] = (uint8_t)(0xe0 ^ i);
	if (deleg_encode(&d, rq->sig, sizeof(rq->sig), &len) != 0)
		die("golden delegation", NULL);
	rq->sig_len = (uint16_t)len;
}

static void
golden_request(int which, struct sk_request *rq, const struct sk_server_key *k)
{
	size_t i;

	memset(rq, 0, sizeof(*rq));
	rq->version = SK_WIRE_VERSION;
	rq->signer_type = SK_SIGNER_OPENPGP;
	rq->timestamp = 1764000000u + (uint64_t)which;
	for (i = 0; i < SK_NONCE_LEN; i++)
		rq->nonce[i] = (uint8_t)(0xa0 + i);
	memcpy(rq->server_digest, k->digest, SK_DIGEST_LEN);
	rq->signer_id_len = 20;
	for (i = 0; i < 20; i++)
		rq->signer_id[i] = (uint8_t)(0x10 + i);
	switch (which) {
	case 0:		/* IPv4, two ports, a non-critical extension */
		rq->addr_family = SK_ADDR_IPV4;
		memcpy(rq->addr, "\x0a\x00\x00\x02", 4);
		rq->timeout = 30;
		rq->n_access = 2;
		rq->access[0] = (struct sk_access){ 6, 22 };
		rq->access[1] = (struct sk_access){ 17, 53 };
		rq->ext_len = 5;
		memcpy(rq->ext, "\x01\x03" "abc", 5);
		break;
	case 1:		/* IPv6, one port */
		rq->addr_family = SK_ADDR_IPV6;
		memcpy(rq->addr, "\xfd\x00\x00\x00\x00\x00\x00\x00"
		    "\x00\x00\x00\x00\x00\x00\x00\x02", 16);
		rq->timeout = 300;
		rq->n_access = 1;
		rq->access[0] = (struct sk_access){ 6, 443 };
		break;
	case 2:		/* the packet's source, policy defaults, FIDO2 */
		rq->signer_type = SK_SIGNER_FIDO2;
		rq->signer_id_len = 32;
		for (i = 0; i < 32; i++)
			rq->signer_id[i] = (uint8_t)(0x40 + i);
		break;
	case 5:		/* a close (3.5): IPv4, no port, no timeout */
		rq->addr_family = SK_ADDR_IPV4;
		memcpy(rq->addr, "\x0a\x00\x00\x05", 4);
		if (request_set_close(rq) != 0)
			die("golden close", NULL);
		break;
	case 4:		/* signer type 3: a delegation (opaque signatures) */
		rq->signer_type = SK_SIGNER_DELEGATED;
		rq->addr_family = SK_ADDR_IPV4;
		memcpy(rq->addr, "\x0a\x00\x00\x04", 4);
		rq->n_access = 1;
		rq->access[0] = (struct sk_access){ 6, 22 };
		golden_deleg(rq);
		return;
	default:	/* a set of 3 servers (this one second), a destination */
		rq->addr_family = SK_ADDR_IPV4;
		memcpy(rq->addr, "\x0a\x00\x00\x03", 4);
		rq->n_access = 1;
		rq->access[0] = (struct sk_access){ 6, 22 };
		golden_set(k, rq->server_digest, NULL);
		if (request_set_dest(rq, "db1") != 0 ||
		    request_set_group(rq, 3) != 0)
			die("golden set", NULL);
		rq->set_index = 1;
		golden_set(k, NULL, rq->set_proof);
		break;
	}
	/* The wire layer treats the signature as opaque bytes. */
	rq->sig_len = 64;
	for (i = 0; i < rq->sig_len; i++)
		rq->sig[i] = (uint8_t)(0xc0 ^ i);
}

static void
print_fields(FILE *f, const struct sk_request *rq)
{
	size_t i;

	fprintf(f, "fields: v=%u signer=%u ts=%" PRIu64 " family=%u addr=",
	    rq->version, rq->signer_type, rq->timestamp, rq->addr_family);
	print_hex(f, rq->addr, rq->addr_family == SK_ADDR_IPV4 ? 4 :
	    rq->addr_family == SK_ADDR_IPV6 ? 16 : 0);
	fprintf(f, " timeout=%u access=", rq->timeout);
	for (i = 0; i < rq->n_access; i++)
		fprintf(f, "%s%u/%u", i ? "," : "", rq->access[i].proto,
		    rq->access[i].port);
	fprintf(f, " ext=");
	print_hex(f, rq->ext, rq->ext_len);
	fprintf(f, " signer_id=");
	print_hex(f, rq->signer_id, rq->signer_id_len);
	fprintf(f, " signed_len=%zu sig_len=%u", rq->signed_len, rq->sig_len);
	if (rq->signer_type == SK_SIGNER_DELEGATED) {
		struct sk_delegation d;

		if (deleg_parse(rq->sig, rq->sig_len, &d) != 0)
			fprintf(f, " deleg=malformed");
		else
			fprintf(f, " deleg=%u/%" PRIu64 "/%" PRIu64 "/%u/%s",
			    d.dtype, d.created, d.not_after, d.n_ports,
			    d.dest_len == SK_DELEG_DEST_ANY ? "any" :
			    d.dest_len == 0 ? "-" : d.dest);
	}
	if (rq->close)
		fprintf(f, " close=yes");
	if (rq->set_count != 0) {
		struct sk_server_key k;
		uint8_t skE[32];

		golden_key(&k, skE);
		fprintf(f, " set=%u index=%u binds=%s", rq->set_count,
		    rq->set_index, wire_request_binds(rq, k.digest) ? "yes" :
		    "no");
		wire_server_key_wipe(&k);
	}
	fputc('\n', f);
}

static const char *golden_names[] = { "ipv4", "ipv6", "source", "set",
    "deleg", "close" };

/* golden DIR: write t/data/golden-v1-NAME.txt files. */
static int
cmd_golden(int argc, char **argv)
{
	struct sk_server_key k;
	struct sk_request rq, back;
	uint8_t skE[32], inner[SK_INNER_MAX], dg[SK_DATAGRAM_MAX], opened[SK_INNER_MAX];
	uint8_t msg[SK_SIGNED_MSG_MAX], h[32];
	size_t ulen, ilen, dlen, olen, mlen;
	char path[4096];
	FILE *f;
	int i;

	if (argc != 2)
		die("usage: golden DIR", NULL);
	golden_key(&k, skE);
	for (i = 0; i < 6; i++) {
		golden_request(i, &rq, &k);
		if (request_encode_unsigned(&rq, inner, sizeof(inner), &ulen) ||
		    request_append_signature(inner, sizeof(inner), ulen, rq.sig,
		    rq.sig_len, &ilen) ||
		    (rq.set_count != 0 && request_append_proof(inner,
		    sizeof(inner), ilen, &rq, rq.set_index,
		    (const uint8_t (*)[SK_DIGEST_LEN])rq.set_proof, &ilen)) ||
		    datagram_seal(&k, inner, ilen, skE, dg, sizeof(dg), &dlen) ||
		    datagram_open(&k, dg, dlen, opened, sizeof(opened), &olen) ||
		    olen != ilen || memcmp(opened, inner, ilen) != 0 ||
		    request_decode(opened, olen, &back) ||
		    request_signed_message(opened, back.signed_len, msg,
		    sizeof(msg), &mlen))
			die("golden vector does not round-trip:",
			    golden_names[i]);
		crypto_sha256(msg, mlen, h);
		snprintf(path, sizeof(path), "%s/golden-v1-%s.txt", argv[1],
		    golden_names[i]);
		if ((f = fopen(path, "w")) == NULL)
			die("cannot write", path);
		fprintf(f, "# sigknock wire v1 golden vector '%s' (PROTOCOL.md);\n"
		    "# made by t/data/regen-golden.  Server and ephemeral keys are\n"
		    "# SHA-256 of fixed labels (see t/helper/sk-test-tool.c).\n",
		    golden_names[i]);
		fprintf(f, "server_public: ");
		print_hex(f, k.pk, 32);
		fprintf(f, "\ninner: ");
		print_hex(f, inner, ilen);
		fprintf(f, "\nsigned_message_sha256: ");
		print_hex(f, h, 32);
		fprintf(f, "\ndatagram: ");
		print_hex(f, dg, dlen);
		if (rq.signer_type == SK_SIGNER_DELEGATED) {
			/* PROTOCOL.md 4.3: what the user's token signed. */
			struct sk_delegation d;
			uint8_t dm[SK_DELEG_MSG_MAX];
			size_t dml;

			if (deleg_parse(rq.sig, rq.sig_len, &d) != 0 ||
			    deleg_message(&d, rq.signer_id, rq.signer_id_len,
			    dm, sizeof(dm), &dml) != 0)
				die("golden delegation", NULL);
			fprintf(f, "\ndelegation_message: ");
			print_hex(f, dm, dml);
		}
		if (i == 0) {
			/* PROTOCOL.md 2.1: the same datagram with 12 bits of
			 * work at its timestamp, the first nonce from 0. */
			struct sk_work w = { rq.timestamp, 0, 12 };

			if (work_solve(dg, &w, NULL) != 0)
				die("work", NULL);
			work_encode(&w, dg + dlen);
			fprintf(f, "\nwork: ");
			print_hex(f, dg, dlen + SK_WORK_LEN);
		}
		fputc('\n', f);
		print_fields(f, &back);
		fclose(f);
	}
	wire_server_key_wipe(&k);
	sk_wipe(skE, sizeof(skE));
	return 0;
}

static size_t
hex_line(const char *line, const char *key, uint8_t *out, size_t cap)
{
	size_t n = 0, klen = strlen(key);
	unsigned v;

	if (strncmp(line, key, klen) != 0)
		return 0;
	line += klen;
	while (line[0] && line[1] && line[0] != '\n' && n < cap) {
		if (sscanf(line, "%2x", &v) != 1)
			die("bad hex in", key);
		out[n++] = (uint8_t)v;
		line += 2;
	}
	return n;
}

/* golden-open FILE: open the committed datagram with the golden server
 * key, decode it, and print its fields line. */
static int
cmd_golden_open(int argc, char **argv)
{
	struct sk_server_key k;
	struct sk_request rq;
	uint8_t skE[32], dg[SK_DATAGRAM_MAX + 1], inner[SK_INNER_MAX];
	uint8_t wdg[SK_DATAGRAM_MAX + SK_WORK_LEN + 1];
	struct sk_work w;
	size_t dlen = 0, ilen, wlen = 0, body;
	char line[8192];
	FILE *f;
	int r;

	if (argc != 2)
		die("usage: golden-open FILE", NULL);
	if ((f = fopen(argv[1], "r")) == NULL)
		die("cannot open", argv[1]);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (dlen == 0)
			dlen = hex_line(line, "datagram: ", dg, sizeof(dg));
		if (wlen == 0)
			wlen = hex_line(line, "work: ", wdg, sizeof(wdg));
	}
	fclose(f);
	/* With work: the datagram, then a trailer proving its effort. */
	if (wlen > 0) {
		work_split(wdg, wlen, SK_DATAGRAM_MIN, &w, &body);
		if (body != dlen || memcmp(wdg, dg, dlen) != 0 ||
		    !work_valid(wdg, &w)) {
			printf("refused: the work does not prove its effort\n");
			return 1;
		}
	}
	golden_key(&k, skE);
	if ((r = datagram_open(&k, dg, dlen, inner, sizeof(inner), &ilen)) != 0 ||
	    (r = request_decode(inner, ilen, &rq)) != 0) {
		printf("refused: %s\n", sk_strerror(r));
		return 1;
	}
	print_fields(stdout, &rq);
	wire_server_key_wipe(&k);
	return 0;
}

/* ---- network peers for the namespace tests ---- */

static struct addrinfo *
resolve(const char *host, const char *port, int type, int passive)
{
	struct addrinfo hints, *res;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = type;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		die("bad address", gai_strerror(e));
	return res;
}

/* listen ADDR PORT [echo]: a TCP service that greets and closes each
 * client; with echo, it reads until the client's half close, then sends
 * back what it read (at most 64 KiB) and closes. */
static int
cmd_listen(int argc, char **argv)
{
	static char buf[65536];
	struct addrinfo *ai;
	size_t got;
	ssize_t n;
	int fd, c, one = 1, echo = argc == 4 && strcmp(argv[3], "echo") == 0;

	if (argc != 3 && !echo)
		die("usage: listen ADDR PORT [echo]", NULL);
	ai = resolve(argv[1], argv[2], SOCK_STREAM, 1);
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0)
		die("listen", strerror(errno));
	freeaddrinfo(ai);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((c = accept(fd, NULL, NULL)) < 0)
			continue;
		if (echo) {
			got = 0;
			while (got < sizeof(buf) && (n = read(c, buf + got,
			    sizeof(buf) - got)) > 0)
				got += (size_t)n;
			if (write(c, buf, got) < 0)
				errno = 0;
			close(c);
			continue;
		}
		/* The client may be gone already: nothing to do then. */
		if (write(c, "hello from the hidden service\n", 30) < 0)
			errno = 0;
		close(c);
	}
}

/* connect HOST PORT [MS]: exit 0 when a TCP connection is established
 * within MS milliseconds (default 1000), 1 otherwise. */
static int
cmd_connect(int argc, char **argv)
{
	struct addrinfo *ai;
	struct pollfd p;
	int fd, err = 0, ms = argc > 3 ? atoi(argv[3]) : 1000;
	socklen_t el = sizeof(err);

	if (argc != 3 && argc != 4)
		die("usage: connect HOST PORT [MS]", NULL);
	ai = resolve(argv[1], argv[2], SOCK_STREAM, 0);
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		die("socket", strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
	    errno != EINPROGRESS)
		return 1;
	freeaddrinfo(ai);
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
		return 1;
	close(fd);
	return 0;
}

/* udp-send HOST PORT FILE|random:N[xCOUNT]: send a file's bytes, or COUNT
 * datagrams of N random bytes. */
/* IPv6 only: put `hdrs` extension headers (1: destination options; 2:
 * hop-by-hop too) in front of UDP, each 8 bytes of padding. */
static void
ipv6_ext_headers(int fd, int hdrs)
{
	/* next header (kernel), length 0, PadN of 4 bytes */
	static const uint8_t opt[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };

	if (setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, opt, sizeof(opt)) != 0 ||
	    (hdrs > 1 && setsockopt(fd, IPPROTO_IPV6, IPV6_HOPOPTS, opt,
	    sizeof(opt)) != 0))
		die("IPv6 extension headers", strerror(errno));
}

static int
cmd_udp_send(int argc, char **argv)
{
	struct addrinfo *ai;
	uint8_t *buf;
	size_t len = 0;
	long count = 1, i;
	int fd, rnd = 0, ext = 0;
	char *x;

	if (argc == 6 && strcmp(argv[1], "-x") == 0) {
		ext = atoi(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc != 4 || ext < 0 || ext > 2)
		die("usage: udp-send [-x 1|2] HOST PORT FILE|random:N[xCOUNT]",
		    NULL);
	ai = resolve(argv[1], argv[2], SOCK_DGRAM, 0);
	if ((fd = socket(ai->ai_family, SOCK_DGRAM, 0)) < 0)
		die("socket", strerror(errno));
	if (ext > 0) {
		if (ai->ai_family != AF_INET6)
			die("-x: IPv6 only", argv[1]);
		ipv6_ext_headers(fd, ext);
	}
	if (strncmp(argv[3], "random:", 7) == 0) {
		rnd = 1;
		len = strtoul(argv[3] + 7, &x, 10);
		if (*x == 'x')
			count = strtol(x + 1, NULL, 10);
		if (len > 65000 || (buf = malloc(len + 1)) == NULL)
			die("bad size", argv[3]);
	} else
		buf = read_file(argv[3], &len);
	for (i = 0; i < count; i++) {
		if (rnd)
			crypto_random(buf, len);
		if (sendto(fd, buf, len, 0, ai->ai_addr, ai->ai_addrlen) < 0)
			die("sendto", strerror(errno));
	}
	freeaddrinfo(ai);
	free(buf);
	close(fd);
	return 0;
}

/* stun-lie ADDR PORT MAPPED: a plain-UDP STUN server that lies, as
 * anyone on the path can: every Binding request on ADDR:PORT gets a
 * success response naming MAPPED (IPv4) as the sender's address.  Runs
 * until killed. */
static int
cmd_stun_lie(int argc, char **argv)
{
	struct addrinfo *ai;
	struct sockaddr_storage from;
	struct in_addr mapped;
	socklen_t fl;
	uint8_t in[1500], out[32];
	ssize_t n;
	int fd;

	if (argc != 4 || inet_pton(AF_INET, argv[3], &mapped) != 1)
		die("usage: stun-lie ADDR PORT MAPPED-IPV4", NULL);
	ai = resolve(argv[1], argv[2], SOCK_DGRAM, 1);
	if ((fd = socket(ai->ai_family, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("bind", strerror(errno));
	for (;;) {
		fl = sizeof(from);
		if ((n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from,
		    &fl)) < 20 || in[0] != 0x00 || in[1] != 0x01)
			continue;
		/* Binding success: the request's cookie and transaction id,
		 * one XOR-MAPPED-ADDRESS (RFC 8489 sections 5, 14.2). */
		memset(out, 0, sizeof(out));
		out[0] = 0x01;
		out[1] = 0x01;
		be16enc(out + 2, 12);
		memcpy(out + 4, in + 4, 16);
		be16enc(out + 20, 0x0020);
		be16enc(out + 22, 8);
		out[25] = 0x01;
		be16enc(out + 26, (uint16_t)(40000 ^ 0x2112));
		memcpy(out + 28, &mapped, 4);
		out[28] ^= 0x21;
		out[29] ^= 0x12;
		out[30] ^= 0xa4;
		out[31] ^= 0x42;
		sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&from, fl);
	}
}

/* udp-spoof SRC DST PORT FILE: send FILE's bytes as one UDP datagram
 * from the forged IPv4 source SRC, through a raw socket (root). */
static int
cmd_udp_spoof(int argc, char **argv)
{
	struct sockaddr_in dst;
	uint8_t pkt[28 + SK_DATAGRAM_MAX], *buf;
	size_t len;
	int fd, i;

	if (argc < 5 || (argc - 5) % 2 != 0)
		die("usage: udp-spoof SRC DST PORT FILE [SRC FILE]...", NULL);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1)
		die("DST is an IPv4 address", NULL);
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0)
		die("raw socket", strerror(errno));
	/* SRC FILE pairs: argv[1] argv[4], then argv[5] argv[6] ... */
	for (i = 0; 4 + 2 * i < argc; i++) {
		const char *src = i == 0 ? argv[1] : argv[3 + 2 * i];
		const char *file = i == 0 ? argv[4] : argv[4 + 2 * i];

		buf = read_file(file, &len);
		if (len > SK_DATAGRAM_MAX)
			die("datagram too long", file);
		memset(pkt, 0, 28);
		if (inet_pton(AF_INET, src, pkt + 12) != 1)
			die("SRC is an IPv4 address", src);
		pkt[0] = 0x45;
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 16, &dst.sin_addr, 4);
		be16enc(pkt + 20, 40000);
		memcpy(pkt + 22, &dst.sin_port, 2);
		be16enc(pkt + 24, (uint16_t)(8 + len));
		memcpy(pkt + 28, buf, len);
		if (sendto(fd, pkt, 28 + len, 0, (struct sockaddr *)&dst,
		    sizeof(dst)) != (ssize_t)(28 + len))
			die("raw send", strerror(errno));
		free(buf);
	}
	close(fd);
	return 0;
}

/* flip FILE OFFSET OUT: copy FILE to OUT with bit 0 of byte OFFSET
 * flipped. */
static int
cmd_flip(int argc, char **argv)
{
	uint8_t *buf;
	size_t len, off;

	if (argc != 4)
		die("usage: flip FILE OFFSET OUT", NULL);
	buf = read_file(argv[1], &len);
	off = strtoul(argv[2], NULL, 10);
	if (off >= len)
		die("offset past the end of", argv[1]);
	buf[off] ^= 1;
	write_file(argv[3], buf, len);
	free(buf);
	return 0;
}

/* Open the datagram in file path (a work trailer, if any, left aside)
 * with the server key in keyfile: the inner request in inner
 * (SK_INNER_MAX), *ilen; the key stays in *k. */
static void
open_datagram(const char *keyfile, const char *path, struct sk_server_key *k,
    uint8_t *inner, size_t *ilen)
{
	struct sk_work w;
	uint8_t *dg;
	size_t len;

	if (serverkey_load(keyfile, k) != 0)
		die("cannot load the server key", keyfile);
	dg = read_file(path, &len);
	work_split(dg, len, SK_DATAGRAM_MIN, &w, &len);
	if (datagram_open(k, dg, len, inner, SK_INNER_MAX, ilen) != 0 ||
	    *ilen == 0)
		die("cannot open", path);
	free(dg);
}

/* reseal SERVERKEY IN OUT: open the datagram IN with the server's private
 * key, flip the last bit of its inner request (inside the signature), and
 * seal it again to the same server: a tampered signature that passes
 * mac1 and HPKE and reaches the signature check. */
static int
cmd_reseal(int argc, char **argv)
{
	struct sk_server_key k;
	uint8_t inner[SK_INNER_MAX], out[SK_DATAGRAM_MAX];
	size_t ilen, olen;

	if (argc != 4)
		die("usage: reseal SERVERKEY IN OUT", NULL);
	open_datagram(argv[1], argv[2], &k, inner, &ilen);
	inner[ilen - 1] ^= 1;
	if (datagram_seal(&k, inner, ilen, NULL, out, sizeof(out), &olen) != 0)
		die("cannot seal", NULL);
	write_file(argv[3], out, olen);
	wire_server_key_wipe(&k);
	return 0;
}

/* redirect SERVERKEY IN PUB OUT: open the datagram IN with its server's
 * private key and seal the same request to another server (public key
 * PUB): what someone holding one server's key could send another. */
static int
cmd_redirect(int argc, char **argv)
{
	struct sk_server_key k, to;
	uint8_t inner[SK_INNER_MAX], out[SK_DATAGRAM_MAX];
	size_t ilen, olen;

	if (argc != 5)
		die("usage: redirect SERVERKEY IN PUB OUT", NULL);
	open_datagram(argv[1], argv[2], &k, inner, &ilen);
	memset(&to, 0, sizeof(to));
	if (serverkey_parse_public(argv[3], to.pk) != 0 ||
	    wire_server_key_init(&to, NULL) != 0)
		die("bad public key", argv[3]);
	if (datagram_seal(&to, inner, ilen, NULL, out, sizeof(out), &olen) != 0)
		die("cannot seal", NULL);
	write_file(argv[4], out, olen);
	wire_server_key_wipe(&k);
	return 0;
}

/* unseal SERVERKEY IN MSG SIG: open the datagram IN with the server's
 * private key and write the signed message and the signature field, for
 * checking the signature with another verifier (gpg). */
static int
cmd_unseal(int argc, char **argv)
{
	struct sk_server_key k;
	struct sk_request rq;
	uint8_t inner[SK_INNER_MAX], msg[SK_SIGNED_MSG_MAX];
	size_t ilen, mlen;

	if (argc != 5)
		die("usage: unseal SERVERKEY IN MSG SIG", NULL);
	open_datagram(argv[1], argv[2], &k, inner, &ilen);
	if (request_decode(inner, ilen, &rq) != 0 ||
	    request_signed_message(inner, rq.signed_len, msg, sizeof(msg),
	    &mlen) != 0)
		die("cannot decode", argv[2]);
	write_file(argv[3], msg, mlen);
	write_file(argv[4], rq.sig, rq.sig_len);
	wire_server_key_wipe(&k);
	return 0;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One TCP connect attempt with a short wait: a fresh SYN every time, so
 * a grant is seen without waiting for TCP's retransmission timer. */
/* $SK_LATENCY_SRC: the address the latency command sends and connects
 * from (a second address of the client, new to the server). */
static struct addrinfo *latency_src;

static int
bind_src(int fd)
{
	return latency_src == NULL || bind(fd, latency_src->ai_addr,
	    latency_src->ai_addrlen) == 0 ? 0 : -1;
}

static int
try_connect(const struct addrinfo *ai, int ms)
{
	struct pollfd p;
	int fd, err = 1, r = 0;
	socklen_t el = sizeof(err);

	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		return 0;
	if (bind_src(fd) != 0) {
		close(fd);
		return 0;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		r = 1;
	else if (errno == EINPROGRESS) {
		p.fd = fd;
		p.events = POLLOUT;
		r = poll(&p, 1, ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && !err;
	}
	close(fd);
	return r;
}

/* latency HOST KNOCKPORT TCPPORT DATAGRAM...: for each datagram, wait
 * until TCPPORT is closed, send it, and time how long until a TCP connect
 * succeeds.  With TCPPORT written "N+", datagram i opens port N + i and
 * there is no waiting: knocks go out $SK_LATENCY_GAP_MS (500) apart.
 * $SK_LATENCY_SRC: send and connect from that address.
 * Prints each, then the count, median and p95 in milliseconds. */
/* Wait until the grant is gone: five attempts in a row get no answer
 * (one lost SYN is not a closed port). */
static void
wait_closed(struct addrinfo *tcp, const char *port)
{
	double wait0 = now_ms();
	int missed = 0;

	while (missed < 5) {
		missed = try_connect(tcp, 20) ? 0 : missed + 1;
		if (missed == 0)
			usleep(100000);
		if (now_ms() - wait0 > 30000)
			die("the port never closed", port);
	}
}

static void
print_spread(const char *what, double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof(*ms), cmpd);
	printf("%s: median %.2f ms, p95 %.2f ms, min %.2f ms, max %.2f ms\n",
	    what, ms[n / 2], ms[(int)((n - 1) * 0.95 + 0.5)], ms[0], ms[n - 1]);
}

/* client-latency HOST TCPPORT N CMD...: run the real client N times, as
 * a user would: from its start to its exit (the datagram is out), and to
 * the first TCP connect that succeeds. */
static int
cmd_client_latency(int argc, char **argv)
{
	struct addrinfo *tcp;
	double *sent, *open, t0;
	int i, n, st, in = 0;
	pid_t pid;

	if (argc < 5 || (n = atoi(argv[3])) < 1)
		die("usage: client-latency HOST TCPPORT N CMD...", NULL);
	tcp = resolve(argv[1], argv[2], SOCK_STREAM, 0);
	if ((sent = calloc((size_t)n, sizeof(*sent))) == NULL ||
	    (open = calloc((size_t)n, sizeof(*open))) == NULL)
		die("calloc", NULL);
	for (i = 0; i < n; i++) {
		wait_closed(tcp, argv[2]);
		t0 = now_ms();
		if ((pid = fork()) < 0)
			die("fork", strerror(errno));
		if (pid == 0) {
			execvp(argv[4], argv + 4);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			die("the client failed", argv[4]);
		sent[in] = now_ms() - t0;
		while (!try_connect(tcp, 1) && now_ms() - t0 < 5000)
			;
		if (now_ms() - t0 >= 5000) {
			printf("knock %d: no grant within 5 s\n", i + 1);
			continue;
		}
		open[in] = now_ms() - t0;
		printf("knock %d: sent after %.2f ms, open after %.2f ms\n",
		    i + 1, sent[in], open[in]);
		in++;
	}
	if (in == 0)
		die("no knock got in", NULL);
	printf("%d of %d knocks got in\n", in, n);
	print_spread("client start to datagram sent", sent, in);
	print_spread("client start to port open", open, in);
	free(sent);
	free(open);
	freeaddrinfo(tcp);
	return in == n ? 0 : 1;
}

static int
cmd_latency(int argc, char **argv)
{
	struct addrinfo *udp, *tcp;
	double *ms, t0;
	uint8_t *dg;
	size_t len;
	int i, n, fd, got, in = 0, stepping, base;
	int gap = getenv("SK_LATENCY_GAP_MS") ? atoi(getenv("SK_LATENCY_GAP_MS")) : 500;
	/* SK_LATENCY_COPIES: as sigknock sends, the datagram first without
	 * its work trailer, then whole after 300 ms and 1 s. */
	int copies = getenv("SK_LATENCY_COPIES") != NULL, sent;
	static const double copy_at[] = { 300, 1000 };
	struct sk_work w;
	size_t first;
	char port[16];

	if (argc < 5)
		die("usage: latency HOST KNOCKPORT TCPPORT[+] DATAGRAM...", NULL);
	stepping = argv[3][strlen(argv[3]) - 1] == '+';
	base = atoi(argv[3]);
	udp = resolve(argv[1], argv[2], SOCK_DGRAM, 0);
	if (getenv("SK_LATENCY_SRC") != NULL)
		latency_src = resolve(getenv("SK_LATENCY_SRC"), "0", SOCK_DGRAM,
		    1);
	n = argc - 4;
	if ((ms = calloc((size_t)n, sizeof(*ms))) == NULL ||
	    (fd = socket(udp->ai_family, SOCK_DGRAM, 0)) < 0 || bind_src(fd) != 0)
		die("setup", strerror(errno));
	for (i = 0; i < n; i++) {
		snprintf(port, sizeof(port), "%d", stepping ? base + i : base);
		tcp = resolve(argv[1], port, SOCK_STREAM, 0);
		dg = read_file(argv[4 + i], &len);
		if (!stepping)
			wait_closed(tcp, port);
		first = len;
		if (copies)
			work_split(dg, len, SK_DATAGRAM_MIN, &w, &first);
		t0 = now_ms();
		if (sendto(fd, dg, first, 0, udp->ai_addr, udp->ai_addrlen) < 0)
			die("sendto", strerror(errno));
		for (got = 0, sent = 0; !got && now_ms() - t0 < 5000;) {
			if (copies && sent < 2 && now_ms() - t0 >= copy_at[sent]) {
				sent++;
				if (sendto(fd, dg, len, 0, udp->ai_addr,
				    udp->ai_addrlen) < 0)
					die("sendto", strerror(errno));
			}
			got = try_connect(tcp, 1);
		}
		freeaddrinfo(tcp);
		free(dg);
		if (!got) {
			printf("knock %d: no grant within 5 s\n", i + 1);
			continue;
		}
		ms[in++] = now_ms() - t0;
		printf("knock %d: %.2f ms\n", i + 1, ms[in - 1]);
		if (stepping && now_ms() - t0 < gap)
			usleep((useconds_t)((gap - (now_ms() - t0)) * 1000));
	}
	if (in == 0)
		die("no knock got in", NULL);
	printf("%d of %d knocks got in\n", in, n);
	print_spread("knock-to-open", ms, in);
	free(ms);
	freeaddrinfo(udp);
	close(fd);
	return in == n ? 0 : 1;
}

#define FLOOD_POOL	256
#define FLOOD_BATCH	64
#define FRESH		UINT32_MAX	/* flood -s fresh */

/* One flood datagram: garbage, or sealed to the server with a request
 * whose signature is junk (kind "sealed") or well formed, by a real
 * signer's fingerprint, with the right left-16 bits but random r and s
 * (kind "named": it costs the server a full verification). */
static size_t
flood_datagram(const char *kind, const struct sk_server_key *k,
    const uint8_t *fpr, uint8_t *out)
{
	struct sk_request rq;
	struct pgp_sig_builder b;
	uint8_t inner[SK_INNER_MAX], msg[SK_SIGNED_MSG_MAX], digest[64];
	uint8_t sig[SK_SIG_MAX], rs[64];
	size_t ulen, mlen, slen, ilen, dlen, n;
	uint16_t r16;
	const uint8_t *parts[1];
	size_t lens[1];

	if (strcmp(kind, "garbage") == 0) {
		crypto_random(&r16, sizeof(r16));
		n = SK_DATAGRAM_MIN + r16 % (SK_DATAGRAM_MAX - SK_DATAGRAM_MIN + 1);
		crypto_random(out, n);
		return n;
	}
	memset(&rq, 0, sizeof(rq));
	rq.version = SK_WIRE_VERSION;
	rq.signer_type = SK_SIGNER_OPENPGP;
	rq.timestamp = (uint64_t)time(NULL);
	crypto_random(rq.nonce, sizeof(rq.nonce));
	memcpy(rq.server_digest, k->digest, SK_DIGEST_LEN);
	rq.n_access = 1;
	rq.access[0] = (struct sk_access){ 6, 22 };
	rq.signer_id_len = PGP_FPR_LEN;
	if (fpr != NULL)
		memcpy(rq.signer_id, fpr, PGP_FPR_LEN);
	else
		crypto_random(rq.signer_id, PGP_FPR_LEN);
	if (request_encode_unsigned(&rq, inner, sizeof(inner), &ulen) != 0 ||
	    request_signed_message(inner, ulen, msg, sizeof(msg), &mlen) != 0)
		die("cannot build a request", NULL);
	if (fpr == NULL) {
		slen = 100;
		crypto_random(sig, slen);
	} else {
		parts[0] = msg;
		lens[0] = mlen;
		crypto_random(rs, sizeof(rs));
		if (pgp_sig_builder_init(&b, PGP_SIG_BINARY, PGP_PK_EDDSA,
		    PGP_HASH_SHA256, (uint32_t)time(NULL), fpr, 0) != 0 ||
		    pgp_sig_builder_digest(&b, parts, lens, 1, digest, &dlen) ||
		    pgp_sig_builder_finish(&b, digest, rs, 32, rs + 32, 32, sig,
		    sizeof(sig), &slen) != 0)
			die("cannot build a signature packet", NULL);
	}
	if (request_append_signature(inner, sizeof(inner), ulen, sig, slen,
	    &ilen) != 0 ||
	    datagram_seal(k, inner, ilen, NULL, out, SK_DATAGRAM_MAX, &n) != 0)
		die("cannot seal", NULL);
	return n;
}

/* Fill hdr with an IPv4 + UDP header from a random address in the i-th
 * of n /24s of 172.16.0.0/12 (n <= 4096) to dst; the kernel fills in the
 * IPv4 length, id and checksum (raw(7)); UDP checksum 0 means none. */
static void
spoof_header(uint8_t hdr[28], unsigned i, const struct sockaddr_in *dst,
    size_t plen)
{
	uint8_t host, r[3];

	crypto_random(&host, 1);
	memset(hdr, 0, 28);
	hdr[0] = 0x45;
	hdr[8] = 64;			/* TTL */
	hdr[9] = IPPROTO_UDP;
	hdr[12] = 172;
	hdr[13] = (uint8_t)(16 + (i >> 8));
	hdr[14] = (uint8_t)i;
	if (i == FRESH) {
		/* A /24 never seen before: 1.0.0.0 to 223.255.255.0, not
		 * 10/8 or 127/8, chosen at random for every datagram. */
		do
			crypto_random(r, 3);
		while (r[0] == 0 || r[0] > 223 || r[0] == 10 || r[0] == 127);
		memcpy(hdr + 12, r, 3);
	}
	hdr[15] = (uint8_t)(1 + host % 254);
	memcpy(hdr + 16, &dst->sin_addr, 4);
	be16enc(hdr + 20, (uint16_t)(10000 + i % 50000));
	memcpy(hdr + 22, &dst->sin_port, 2);
	be16enc(hdr + 24, (uint16_t)(8 + plen));
}

/* IPv6 and UDP headers from a random address of a fresh random /48 of
 * 2000::/3 for every datagram.  The UDP checksum stays 0, which IPv6
 * does not allow: the server's UDP stack would drop it, but sigknockd
 * reads with packet capture, before UDP, and the knock port is dropped
 * by its firewall anyway. */
static void
spoof6_header(uint8_t hdr[48], const struct sockaddr_in6 *dst, size_t plen)
{
	memset(hdr, 0, 48);
	hdr[0] = 0x60;
	be16enc(hdr + 4, (uint16_t)(8 + plen));
	hdr[6] = IPPROTO_UDP;
	hdr[7] = 64;			/* hop limit */
	crypto_random(hdr + 8, 16);
	hdr[8] = (uint8_t)(0x20 | (hdr[8] & 0x1f));
	memcpy(hdr + 24, &dst->sin6_addr, 16);
	be16enc(hdr + 40, 40000);
	memcpy(hdr + 42, &dst->sin6_port, 2);
	be16enc(hdr + 44, (uint16_t)(8 + plen));
}

/* flood [-s N|fresh] [-f ADDR] [-r RATE] HOST PORT garbage|sealed|named
 * SECONDS [SERVERPUB [FPR]]:
 * send datagrams as fast as sendmmsg goes for SECONDS (-r: RATE a
 * second); prints how many.  -f: every one forged from ADDR (IPv4, a
 * raw socket, root), the victim's own address.  -u: every one unique
 * (sealed kinds): a counter in enc and mac1 computed again, so that no
 * two are copies (the server drops copies as duplicates); each costs the
 * server an X25519 and an AEAD that fails.
 * With -s N (IPv4, root) each datagram comes from a random address in
 * one of N /24s of 172.16.0.0/12 in turn, through a raw socket; with -s
 * fresh from a random /24 (IPv4) or /48 (IPv6) of its own.  (IPv6: give
 * the destination a permanent neighbour entry first; neighbour discovery
 * for datagrams from addresses that are not ours holds them back.) */
static int
cmd_flood(int argc, char **argv)
{
	static uint8_t pool[FLOOD_POOL][SK_DATAGRAM_MAX];
	static uint8_t hdrs[FLOOD_BATCH][48];
	static size_t plen[FLOOD_POOL];
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH][2];
	struct sockaddr_in6 dst6, dst0;
	struct sk_server_key k;
	struct addrinfo *ai;
	uint8_t fpr[PGP_FPR_LEN];
	double t0, secs, rate = 0;
	unsigned long long sent = 0, due;
	unsigned spoof = 0, src = 0;
	struct in_addr forge;
	size_t i, next = 0, batch;
	int fd, r, forged = 0, unique = 0;
	uint64_t ctr = 0;
	uint8_t mac[32];

	while (argc > 2 && argv[1][0] == '-') {
		if (strcmp(argv[1], "-s") == 0) {
			spoof = strcmp(argv[2], "fresh") == 0 ? FRESH :
			    (unsigned)atoi(argv[2]);
			if (spoof < 1 || (spoof > 4096 && spoof != FRESH))
				die("-s takes 1 to 4096 prefixes, or fresh",
				    argv[2]);
		} else if (strcmp(argv[1], "-f") == 0) {
			if (inet_pton(AF_INET, argv[2], &forge) != 1)
				die("-f takes an IPv4 address", argv[2]);
			forged = 1;
			spoof = 1;
		} else if (strcmp(argv[1], "-u") == 0) {
			unique = 1;
			argv--;
			argc++;
		} else if (strcmp(argv[1], "-r") == 0) {
			if ((rate = atof(argv[2])) <= 0)
				die("-r takes datagrams a second", argv[2]);
		} else
			die("unknown option", argv[1]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 5)
		die("usage: flood [-s N|fresh] [-f ADDR] [-r RATE] [-u] HOST PORT "
		    "garbage|sealed|named SECONDS [SERVERPUB [FPR]]", NULL);
	secs = atof(argv[4]);
	if (unique && strcmp(argv[3], "garbage") == 0)
		die("-u makes sealed datagrams unique, not garbage", NULL);
	memset(&k, 0, sizeof(k));
	if (strcmp(argv[3], "garbage") != 0) {
		if (argc < 6 || serverkey_parse_public(argv[5], k.pk) != 0 ||
		    wire_server_key_init(&k, NULL) != 0)
			die("sealed floods need the server public key", NULL);
		if (strcmp(argv[3], "named") == 0 &&
		    (argc < 7 || pgp_fpr_parse(argv[6], fpr) != 0))
			die("a named flood needs a fingerprint", NULL);
	}
	for (i = 0; i < FLOOD_POOL; i++)
		plen[i] = flood_datagram(argv[3], &k,
		    strcmp(argv[3], "named") == 0 ? fpr : NULL, pool[i]);
	ai = resolve(argv[1], argv[2], SOCK_DGRAM, 0);
	if (spoof && ai->ai_family != AF_INET && spoof != FRESH)
		die("-s N needs an IPv4 destination", argv[1]);
	if (spoof)
		fd = socket(ai->ai_family, SOCK_RAW, IPPROTO_RAW);
	else
		fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || (!spoof && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0))
		die("socket", strerror(errno));
	/* A raw IPv6 socket takes a destination port of 0 (or its protocol),
	 * the UDP port being in the header we write (spoof6_header). */
	if (spoof && ai->ai_family == AF_INET6) {
		memcpy(&dst6, ai->ai_addr, sizeof(dst6));
		dst0 = dst6;
		dst0.sin6_port = 0;
	}
	memset(msgs, 0, sizeof(msgs));
	t0 = now_ms();
	while (now_ms() - t0 < secs * 1000) {
		batch = FLOOD_BATCH;
		if (rate > 0) {
			/* Paced: what is due by now, at most a batch. */
			due = (unsigned long long)((now_ms() - t0) * rate / 1000);
			if (due <= sent) {
				usleep(1000);
				continue;
			}
			if (due - sent < batch)
				batch = (size_t)(due - sent);
		}
		for (i = 0; i < batch; i++, next = (next + 1) % FLOOD_POOL) {
			struct msghdr *m = &msgs[i].msg_hdr;

			if (unique) {
				ctr++;
				memcpy(pool[next] + SK_MAC1_LEN, &ctr,
				    sizeof(ctr));
				if (crypto_hmac_sha256(k.mac1_key,
				    sizeof(k.mac1_key), pool[next] + SK_MAC1_LEN,
				    plen[next] - SK_MAC1_LEN, mac) != 0)
					die("hmac", NULL);
				memcpy(pool[next], mac, SK_MAC1_LEN);
			}

			iov[i][spoof ? 1 : 0] = (struct iovec){ pool[next],
			    plen[next] };
			m->msg_iov = iov[i];
			m->msg_iovlen = 1;
			if (spoof && ai->ai_family == AF_INET6) {
				spoof6_header(hdrs[i], &dst6, plen[next]);
				iov[i][0] = (struct iovec){ hdrs[i], 48 };
				m->msg_iovlen = 2;
				m->msg_name = &dst0;
				m->msg_namelen = sizeof(dst0);
			} else if (spoof) {
				spoof_header(hdrs[i], spoof == FRESH ? FRESH :
				    src, (const struct sockaddr_in *)
				    ai->ai_addr, plen[next]);
				if (spoof != FRESH)
					src = (src + 1) % spoof;
				if (forged)
					memcpy(hdrs[i] + 12, &forge, 4);
				iov[i][0] = (struct iovec){ hdrs[i], 28 };
				m->msg_iovlen = 2;
				m->msg_name = ai->ai_addr;
				m->msg_namelen = ai->ai_addrlen;
			}
		}
		if ((r = sendmmsg(fd, msgs, (unsigned)batch, 0)) > 0)
			sent += (unsigned long long)r;
	}
	printf("%llu %.0f\n", sent, sent / ((now_ms() - t0) / 1000));
	freeaddrinfo(ai);
	close(fd);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "redirect", cmd_redirect, "SERVERKEY IN PUB OUT  seal a datagram's request to another server" },
	{ "unseal", cmd_unseal, "SERVERKEY IN MSG SIG  write a datagram's signed message and signature" },
	{ "reseal", cmd_reseal, "SERVERKEY IN OUT  flip the last bit of the signed request and seal it again" },
	{ "flood", cmd_flood, "[-s N|fresh] [-f ADDR] [-r RATE] [-u] HOST PORT garbage|sealed|named SECONDS [PUB [FPR]]  send a flood (-s: from N spoofed /24s, or a fresh /24 or /48 each; -f: forged from ADDR; -r: RATE a second; -u: no two alike)" },
	{ "latency", cmd_latency, "HOST KNOCKPORT TCPPORT DATAGRAM...  knock-to-open times" },
	{ "client-latency", cmd_client_latency, "HOST TCPPORT N CMD...  run the client N times: start to sent, start to open" },
	{ "listen", cmd_listen, "ADDR PORT [echo]  TCP service for the namespace tests" },
	{ "connect", cmd_connect, "HOST PORT [MS]  exit 0 if a TCP connect succeeds" },
	{ "udp-send", cmd_udp_send, "[-x 1|2] HOST PORT FILE|random:N[xCOUNT]  send datagrams (-x: IPv6 with 1 or 2 extension headers)" },
	{ "stun-lie", cmd_stun_lie, "ADDR PORT MAPPED  a plain-UDP STUN server that names MAPPED to everyone" },
	{ "udp-spoof", cmd_udp_spoof, "SRC DST PORT FILE [SRC FILE]...  send datagrams from forged IPv4 sources, in one go" },
	{ "flip", cmd_flip, "FILE OFFSET OUT  copy with one bit flipped" },
	{ "keyring-list", cmd_keyring_list, "HOMEDIR  list usable signing keys" },
	{ "pgp-verify", cmd_pgp_verify, "HOMEDIR SIG DATA [NOW]  verify a detached signature" },
	{ "selfmade", cmd_selfmade, "ALGO UID KEY DATA SIG  build a key and signature ourselves" },
	{ "golden", cmd_golden, "DIR  write the wire-format golden vectors" },
	{ "golden-open", cmd_golden_open, "FILE  open and decode a golden vector" },
};

int
main(int argc, char **argv)
{
	size_t i;

	sk_log_init("sk-test-tool", 1, LOG_WARNING);
	if (crypto_init() != 0)
		return 2;
	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: sk-test-tool COMMAND ARGS\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %s %s\n", cmds[i].name, cmds[i].help);
	return 2;
}
