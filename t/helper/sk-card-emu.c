/*
 * sk-card-emu: an OpenPGP card (application version 3.4) for tests,
 * written from the OpenPGP card 3.4 specification and
 * ../shared/research/tokens.md part A.  It connects to pcscd's vpcd
 * reader driver (the driver listens; the card connects) and answers the
 * APDUs that GnuPG 2.2 and sigknock's PC/SC client send.
 *
 *   sk-card-emu --vpcd HOST:PORT --state FILE [--touch-delay MS]
 *	[--touch-deny] [--serial HEX8] [--rsa] [--uif on|off]
 *	[--pins PW1:PW3] [--chaining-only] [--timing]
 *
 * Implements SELECT; GET DATA for every object `gpg --card-status` reads;
 * VERIFY for PW1 (81, 82) and PW3 with retry counters; CHANGE REFERENCE
 * DATA; PSO:COMPUTE DIGITAL SIGNATURE with Ed25519, ECDSA P-256 and
 * RSA-2048;
 * GENERATE ASYMMETRIC KEY PAIR (generate, read); PUT DATA, including key
 * import (DB 3FFF); GET RESPONSE, command chaining and extended APDUs;
 * the signature counter; the touch policy objects (UIF, D6-D8): with the
 * signature key's UIF on, PSO:CDS waits --touch-delay ms, and with
 * --touch-deny then fails with 6985 as a card whose button was not
 * pressed.  The whole card lives in the state file (private keys too: a
 * test artifact).  New cards have PW1 123456 and PW3 12345678, and
 * Ed25519 key attributes, or with --rsa RSA-2048 ones (as a YubiKey
 * comes; GnuPG 2.2 changes ECC attributes itself, not ECC to RSA);
 * --pins sets a new card's PINs (on-card generation through gpg's
 * loopback pinentry needs PW1 = PW3); --chaining-only advertises command
 * chaining but not extended APDUs, so that long commands come chained;
 * --timing logs each command's time on the card, from its last byte in
 * to the answer's first out (make bench: the card's own share).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#include "endian.h"
#include "hexio.h"

#define RESP_MAX	4096
#define CHAIN_MAX	4096

/* Key slots: signature, decryption, authentication. */
enum { SIG = 0, DEC = 1, AUT = 2 };
static const uint8_t crt_tag[3] = { 0xb6, 0xb8, 0xa4 };

static const uint8_t ATR[] = {
	0x3b, 0x8a, 0x01, 0x00, 0x31, 0xc5, 0x73, 0xc0, 0x01, 0xc0, 0x05,
	0x90, 0x00, 0x98,
};
/* Historical bytes: compact TLV 73, third byte 0x80 = command chaining,
 * 0x40 = extended Lc/Le (--chaining-only clears it). */
static uint8_t HIST[] = {
	0x00, 0x31, 0xc5, 0x73, 0xc0, 0x01, 0xc0, 0x05, 0x90, 0x00,
};
/* key import, PW1 status changeable, algorithm attributes changeable;
 * max certificate 0x0800, max special DO 0x00ff */
static const uint8_t EXTCAP[] = {
	0x34, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0xff, 0x00, 0x00,
};
static const uint8_t ATTR_ED25519[] = {
	0x16, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01,
};
static const uint8_t ATTR_CV25519[] = {
	0x12, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01,
};
static const uint8_t ATTR_RSA2048[] = { 0x01, 0x08, 0x00, 0x00, 0x20, 0x00 };
static const uint8_t ATTR_P256[] = {		/* ECDSA, OID 1.2.840.10045.3.1.7 */
	0x13, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};

struct key {
	uint8_t		 attr[16];
	size_t		 attrlen;
	gcry_sexp_t	 sk;		/* NULL: no key */
	uint8_t		 fpr[20], cafpr[20], time[4];
	uint8_t		 status;	/* DE: 0 none, 1 generated, 2 imported */
	uint8_t		 uif[2];
};

static struct {
	const char	*state;
	int		 touch_ms, touch_deny, rsa, uif, timing;
	const char	*pins;
	uint8_t		 serial[4];
	/* persisted */
	char		 pw1[128], pw3[128];
	int		 tries1, tries3;
	uint8_t		 pw1_once;	/* C4 byte 0: 0 = PW1 per signature */
	uint32_t	 counter;
	struct key	 k[3];
	uint8_t		 name[40], login[255], url[255], lang[8], sex;
	size_t		 namelen, loginlen, urllen, langlen;
	/* session */
	int		 selected, v81, v82, v83;
	uint8_t		 chain[CHAIN_MAX];
	size_t		 chainlen;
	int		 chain_ins;
	uint8_t		 resp[RESP_MAX];
	size_t		 resplen, respoff;
} C;

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "sk-card-emu: %s%s%s\n", what, why ? ": " : "",
	    why ? why : "");
	exit(1);
}

/* ---- state file: "key value" lines, binary values in hex ---- */

static void
put_hex(FILE *f, const char *name, const uint8_t *p, size_t n)
{
	fprintf(f, "%s ", name);
	hexio_put(f, p, n);
	fputc('\n', f);
}

static void
state_save(void)
{
	static uint8_t buf[8192];
	char tmp[4096], nm[32];
	size_t i, n;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", C.state);
	if ((f = fopen(tmp, "w")) == NULL)
		die(tmp, strerror(errno));
	fprintf(f, "pw1 %s\npw3 %s\ntries1 %d\ntries3 %d\npw1once %u\n"
	    "counter %u\nsex %u\n", C.pw1, C.pw3, C.tries1, C.tries3,
	    C.pw1_once, C.counter, C.sex);
	put_hex(f, "name", C.name, C.namelen);
	put_hex(f, "login", C.login, C.loginlen);
	put_hex(f, "url", C.url, C.urllen);
	put_hex(f, "lang", C.lang, C.langlen);
	for (i = 0; i < 3; i++) {
		struct key *k = &C.k[i];

		snprintf(nm, sizeof(nm), "attr%zu", i);
		put_hex(f, nm, k->attr, k->attrlen);
		snprintf(nm, sizeof(nm), "fpr%zu", i);
		put_hex(f, nm, k->fpr, 20);
		snprintf(nm, sizeof(nm), "cafpr%zu", i);
		put_hex(f, nm, k->cafpr, 20);
		snprintf(nm, sizeof(nm), "time%zu", i);
		put_hex(f, nm, k->time, 4);
		snprintf(nm, sizeof(nm), "uif%zu", i);
		put_hex(f, nm, k->uif, 2);
		fprintf(f, "status%zu %u\n", i, k->status);
		if (k->sk != NULL) {
			n = gcry_sexp_sprint(k->sk, GCRYSEXP_FMT_CANON, buf,
			    sizeof(buf));
			snprintf(nm, sizeof(nm), "sk%zu", i);
			put_hex(f, nm, buf, n);
		}
	}
	if (fclose(f) != 0 || rename(tmp, C.state) != 0)
		die(C.state, strerror(errno));
}

static void
state_default(void)
{
	size_t i;

	strcpy(C.pw1, "123456");
	strcpy(C.pw3, "12345678");
	if (C.pins != NULL && strchr(C.pins, ':') != NULL) {
		snprintf(C.pw1, sizeof(C.pw1), "%.*s",
		    (int)(strchr(C.pins, ':') - C.pins), C.pins);
		snprintf(C.pw3, sizeof(C.pw3), "%s", strchr(C.pins, ':') + 1);
	}
	C.tries1 = C.tries3 = 3;
	for (i = 0; i < 3; i++) {
		const uint8_t *a = C.rsa ? ATTR_RSA2048 : i == DEC ?
		    ATTR_CV25519 : ATTR_ED25519;
		size_t n = C.rsa ? sizeof(ATTR_RSA2048) : i == DEC ?
		    sizeof(ATTR_CV25519) : sizeof(ATTR_ED25519);

		memcpy(C.k[i].attr, a, n);
		C.k[i].attrlen = n;
		C.k[i].uif[1] = 0x20;
	}
}

static void
state_load(void)
{
	static char line[20000];
	static uint8_t buf[8192];
	char key[32];
	unsigned u;
	size_t i, n;
	FILE *f;

	state_default();
	if ((f = fopen(C.state, "r")) == NULL) {
		if (errno != ENOENT)
			die(C.state, strerror(errno));
		state_save();
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v = strchr(line, ' ');

		if (v == NULL)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		snprintf(key, sizeof(key), "%.31s", line);
		if (strcmp(key, "pw1") == 0)
			snprintf(C.pw1, sizeof(C.pw1), "%s", v);
		else if (strcmp(key, "pw3") == 0)
			snprintf(C.pw3, sizeof(C.pw3), "%s", v);
		else if (strcmp(key, "tries1") == 0)
			C.tries1 = atoi(v);
		else if (strcmp(key, "tries3") == 0)
			C.tries3 = atoi(v);
		else if (strcmp(key, "pw1once") == 0)
			C.pw1_once = (uint8_t)atoi(v);
		else if (strcmp(key, "counter") == 0)
			C.counter = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(key, "sex") == 0)
			C.sex = (uint8_t)atoi(v);
		else if (strcmp(key, "name") == 0)
			C.namelen = hexio_get(v, C.name, sizeof(C.name));
		else if (strcmp(key, "login") == 0)
			C.loginlen = hexio_get(v, C.login, sizeof(C.login));
		else if (strcmp(key, "url") == 0)
			C.urllen = hexio_get(v, C.url, sizeof(C.url));
		else if (strcmp(key, "lang") == 0)
			C.langlen = hexio_get(v, C.lang, sizeof(C.lang));
		else if (sscanf(key, "attr%zu", &i) == 1 && i < 3)
			C.k[i].attrlen = hexio_get(v, C.k[i].attr, 16);
		else if (sscanf(key, "fpr%zu", &i) == 1 && i < 3)
			hexio_get(v, C.k[i].fpr, 20);
		else if (sscanf(key, "cafpr%zu", &i) == 1 && i < 3)
			hexio_get(v, C.k[i].cafpr, 20);
		else if (sscanf(key, "time%zu", &i) == 1 && i < 3)
			hexio_get(v, C.k[i].time, 4);
		else if (sscanf(key, "uif%zu", &i) == 1 && i < 3)
			hexio_get(v, C.k[i].uif, 2);
		else if (sscanf(key, "status%zu", &i) == 1 && i < 3 &&
		    sscanf(v, "%u", &u) == 1)
			C.k[i].status = (uint8_t)u;
		else if (sscanf(key, "sk%zu", &i) == 1 && i < 3) {
			n = hexio_get(v, buf, sizeof(buf));
			if (gcry_sexp_new(&C.k[i].sk, buf, n, 1) != 0)
				die(C.state, "bad key");
		}
	}
	fclose(f);
}

/* ---- TLV ---- */

struct out {
	uint8_t		*b;
	size_t		 n, cap;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->n + n > o->cap)
		die("response too long", NULL);
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
put_tag_len(struct out *o, unsigned tag, size_t len)
{
	uint8_t h[6];
	size_t i = 0;

	if (tag > 0xff)
		h[i++] = (uint8_t)(tag >> 8);
	h[i++] = (uint8_t)tag;
	if (len < 0x80) {
		h[i++] = (uint8_t)len;
	} else if (len < 0x100) {
		h[i++] = 0x81;
		h[i++] = (uint8_t)len;
	} else {
		h[i++] = 0x82;
		h[i++] = (uint8_t)(len >> 8);
		h[i++] = (uint8_t)len;
	}
	put(o, h, i);
}

static void
tlv(struct out *o, unsigned tag, const void *p, size_t n)
{
	put_tag_len(o, tag, n);
	put(o, p, n);
}

/* Read a BER tag and length at p[*off..len). */
static int
get_tlv(const uint8_t *p, size_t len, size_t *off, unsigned *tag,
    size_t *vlen)
{
	if (*off >= len)
		return -1;
	*tag = p[(*off)++];
	if ((*tag & 0x1f) == 0x1f) {
		if (*off >= len)
			return -1;
		*tag = *tag << 8 | p[(*off)++];
	}
	if (*off >= len)
		return -1;
	*vlen = p[(*off)++];
	if (*vlen == 0x81) {
		if (*off >= len)
			return -1;
		*vlen = p[(*off)++];
	} else if (*vlen == 0x82) {
		if (*off + 2 > len)
			return -1;
		*vlen = (size_t)p[*off] << 8 | p[*off + 1];
		*off += 2;
	} else if (*vlen > 0x82) {
		return -1;
	}
	return 0;
}

/* ---- data objects ---- */

static void
aid(uint8_t out[16])
{
	static const uint8_t head[] = { 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01,
	    0x03, 0x04, 0xff, 0xff };

	memcpy(out, head, sizeof(head));
	memcpy(out + 10, C.serial, 4);
	out[14] = out[15] = 0;
}

static void
pw_status(uint8_t out[7])
{
	out[0] = C.pw1_once;
	out[1] = out[2] = out[3] = 127;
	out[4] = (uint8_t)C.tries1;
	out[5] = 0;			/* no resetting code */
	out[6] = (uint8_t)C.tries3;
}

/* The DO for tag, appended to o; 0, or -1 when there is none. */
static int
get_do(unsigned tag, struct out *o)
{
	uint8_t buf[1024], tmp[64];
	struct out in = { buf, 0, sizeof(buf) };
	size_t i;

	switch (tag) {
	case 0x4f:
		aid(tmp);
		put(o, tmp, 16);
		return 0;
	case 0x5f52:
		put(o, HIST, sizeof(HIST));
		return 0;
	case 0xc4:
		pw_status(tmp);
		put(o, tmp, 7);
		return 0;
	case 0x5e:
		put(o, C.login, C.loginlen);
		return 0;
	case 0x5f50:
		put(o, C.url, C.urllen);
		return 0;
	case 0x7f21:
		return 0;
	case 0x7f74:
		tmp[0] = 0x20;
		tlv(o, 0x81, tmp, 1);		/* a button */
		return 0;
	case 0xd6: case 0xd7: case 0xd8:
		put(o, C.k[tag - 0xd6].uif, 2);
		return 0;
	case 0x7a:
		tmp[0] = (uint8_t)(C.counter >> 16);
		tmp[1] = (uint8_t)(C.counter >> 8);
		tmp[2] = (uint8_t)C.counter;
		tlv(o, 0x93, tmp, 3);
		return 0;
	case 0x65:
		tlv(&in, 0x5b, C.name, C.namelen);
		tlv(&in, 0x5f2d, C.lang, C.langlen);
		tlv(&in, 0x5f35, &C.sex, 1);
		put(o, in.b, in.n);
		return 0;
	case 0x6e:
		aid(tmp);
		tlv(&in, 0x4f, tmp, 16);
		tlv(&in, 0x5f52, HIST, sizeof(HIST));
		tmp[0] = 0x20;
		put_tag_len(&in, 0x7f74, 3);
		tlv(&in, 0x81, tmp, 1);
		/* extended length information: 2048 in, 2048 out */
		{
			static const uint8_t ext[] = { 0x02, 0x02, 0x08, 0x00,
			    0x02, 0x02, 0x08, 0x00 };

			if (HIST[6] & 0x40)
				tlv(&in, 0x7f66, ext, sizeof(ext));
		}
		{
			uint8_t dd[512];
			struct out d = { dd, 0, sizeof(dd) };

			tlv(&d, 0xc0, EXTCAP, sizeof(EXTCAP));
			for (i = 0; i < 3; i++)
				tlv(&d, 0xc1 + (unsigned)i, C.k[i].attr,
				    C.k[i].attrlen);
			pw_status(tmp);
			tlv(&d, 0xc4, tmp, 7);
			put_tag_len(&d, 0xc5, 60);
			for (i = 0; i < 3; i++)
				put(&d, C.k[i].fpr, 20);
			put_tag_len(&d, 0xc6, 60);
			for (i = 0; i < 3; i++)
				put(&d, C.k[i].cafpr, 20);
			put_tag_len(&d, 0xcd, 12);
			for (i = 0; i < 3; i++)
				put(&d, C.k[i].time, 4);
			put_tag_len(&d, 0xde, 6);
			for (i = 0; i < 3; i++) {
				tmp[0] = (uint8_t)(i + 1);
				tmp[1] = C.k[i].status;
				put(&d, tmp, 2);
			}
			for (i = 0; i < 3; i++)
				tlv(&d, 0xd6 + (unsigned)i, C.k[i].uif, 2);
			tlv(&in, 0x73, d.b, d.n);
		}
		put(o, in.b, in.n);
		return 0;
	case 0xc0:
		put(o, EXTCAP, sizeof(EXTCAP));
		return 0;
	case 0xc1: case 0xc2: case 0xc3:
		put(o, C.k[tag - 0xc1].attr, C.k[tag - 0xc1].attrlen);
		return 0;
	case 0xc5:
		for (i = 0; i < 3; i++)
			put(o, C.k[i].fpr, 20);
		return 0;
	case 0xcd:
		for (i = 0; i < 3; i++)
			put(o, C.k[i].time, 4);
		return 0;
	}
	return -1;
}

/* ---- keys ---- */

static int
is_rsa(const struct key *k)
{
	return k->attrlen >= 1 && k->attr[0] == 0x01;
}

static int
is_p256(const struct key *k)
{
	return k->attrlen >= sizeof(ATTR_P256) &&
	    memcmp(k->attr + 1, ATTR_P256 + 1, sizeof(ATTR_P256) - 1) == 0;
}

/* P-256 from the private scalar: q = d G computed here. */
static gcry_sexp_t
p256_from_d(const uint8_t *d, size_t dl)
{
	gcry_ctx_t ctx;
	gcry_mpi_t dm, x, y;
	gcry_mpi_point_t g, q;
	gcry_sexp_t s;
	uint8_t pt[65] = { 0x04 };
	size_t n;

	if (gcry_mpi_ec_new(&ctx, NULL, "NIST P-256") != 0 ||
	    gcry_mpi_scan(&dm, GCRYMPI_FMT_USG, d, dl, NULL) != 0)
		die("p256 import", NULL);
	g = gcry_mpi_ec_get_point("g", ctx, 1);
	q = gcry_mpi_point_new(0);
	x = gcry_mpi_new(0);
	y = gcry_mpi_new(0);
	gcry_mpi_ec_mul(q, dm, g, ctx);
	if (gcry_mpi_ec_get_affine(x, y, q, ctx) != 0)
		die("p256 import: d is not a valid scalar", NULL);
	gcry_mpi_print(GCRYMPI_FMT_USG, pt + 1, 32, &n, x);
	if (n < 32) {
		memmove(pt + 1 + 32 - n, pt + 1, n);
		memset(pt + 1, 0, 32 - n);
	}
	gcry_mpi_print(GCRYMPI_FMT_USG, pt + 33, 32, &n, y);
	if (n < 32) {
		memmove(pt + 33 + 32 - n, pt + 33, n);
		memset(pt + 33, 0, 32 - n);
	}
	if (gcry_sexp_build(&s, NULL, "(private-key(ecc(curve nistp256)"
	    "(q%b)(d%m)))", 65, pt, dm) != 0)
		die("sexp", NULL);
	gcry_mpi_release(dm); gcry_mpi_release(x); gcry_mpi_release(y);
	gcry_mpi_point_release(g); gcry_mpi_point_release(q);
	gcry_ctx_release(ctx);
	return s;
}

static void
key_clear(struct key *k)
{
	gcry_sexp_release(k->sk);
	k->sk = NULL;
	memset(k->fpr, 0, 20);
	memset(k->time, 0, 4);
	k->status = 0;
}

/* The public key as 7F49 for GENERATE / read. */
static int
public_do(const struct key *k, struct out *o)
{
	uint8_t buf[600];
	struct out in = { buf, 0, sizeof(buf) };
	gcry_sexp_t t;
	const char *d;
	size_t n;

	if (k->sk == NULL)
		return -1;
	if (is_rsa(k)) {
		if ((t = gcry_sexp_find_token(k->sk, "n", 0)) == NULL ||
		    (d = gcry_sexp_nth_data(t, 1, &n)) == NULL)
			die("key without n", NULL);
		while (n > 0 && *d == 0) {
			d++;
			n--;
		}
		tlv(&in, 0x81, d, n);
		gcry_sexp_release(t);
		if ((t = gcry_sexp_find_token(k->sk, "e", 0)) == NULL ||
		    (d = gcry_sexp_nth_data(t, 1, &n)) == NULL)
			die("key without e", NULL);
		tlv(&in, 0x82, d, n);
		gcry_sexp_release(t);
	} else {
		if ((t = gcry_sexp_find_token(k->sk, "q", 0)) == NULL ||
		    (d = gcry_sexp_nth_data(t, 1, &n)) == NULL)
			die("key without q", NULL);
		if (n == 33 && (uint8_t)d[0] == 0x40) {
			d++;
			n--;
		}
		tlv(&in, 0x86, d, n);		/* P-256: 04 || x || y */
		gcry_sexp_release(t);
	}
	tlv(o, 0x7f49, in.b, in.n);
	return 0;
}

/* Ed25519 from the 32-byte seed: libgcrypt derives q. */
static gcry_sexp_t
ed25519_from_seed(const uint8_t *d)
{
	gcry_sexp_t s, full;
	gcry_ctx_t ctx;
	gcry_mpi_t q;
	unsigned nbits;
	const void *qp;

	if (gcry_sexp_build(&s, NULL, "(private-key(ecc(curve Ed25519)"
	    "(flags eddsa)(d%b)))", 32, d) != 0 ||
	    gcry_mpi_ec_new(&ctx, s, NULL) != 0 ||
	    (q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1)) == NULL)
		die("cannot derive an Ed25519 public key", NULL);
	qp = gcry_mpi_get_opaque(q, &nbits);
	if (gcry_sexp_build(&full, NULL, "(private-key(ecc(curve Ed25519)"
	    "(flags eddsa)(q%b)(d%b)))", (int)(nbits / 8), qp, 32, d) != 0)
		die("sexp", NULL);
	gcry_mpi_release(q);
	gcry_ctx_release(ctx);
	gcry_sexp_release(s);
	return full;
}

/* RSA from e, p, q: n, d and u computed here. */
static gcry_sexp_t
rsa_from_epq(const uint8_t *e, size_t el, const uint8_t *p, size_t pl,
    const uint8_t *q, size_t ql)
{
	gcry_mpi_t E, P, Q, N, D, U, P1, Q1, PHI, T;
	gcry_sexp_t s;

	if (gcry_mpi_scan(&E, GCRYMPI_FMT_USG, e, el, NULL) ||
	    gcry_mpi_scan(&P, GCRYMPI_FMT_USG, p, pl, NULL) ||
	    gcry_mpi_scan(&Q, GCRYMPI_FMT_USG, q, ql, NULL))
		die("rsa import", NULL);
	if (gcry_mpi_cmp(P, Q) > 0) {		/* libgcrypt wants p < q */
		T = P;
		P = Q;
		Q = T;
	}
	N = gcry_mpi_new(0);
	D = gcry_mpi_new(0);
	U = gcry_mpi_new(0);
	P1 = gcry_mpi_new(0);
	Q1 = gcry_mpi_new(0);
	PHI = gcry_mpi_new(0);
	gcry_mpi_mul(N, P, Q);
	gcry_mpi_sub_ui(P1, P, 1);
	gcry_mpi_sub_ui(Q1, Q, 1);
	gcry_mpi_mul(PHI, P1, Q1);
	if (!gcry_mpi_invm(D, E, PHI) || !gcry_mpi_invm(U, P, Q))
		die("rsa import: not invertible", NULL);
	if (gcry_sexp_build(&s, NULL, "(private-key(rsa(n%m)(e%m)(d%m)(p%m)"
	    "(q%m)(u%m)))", N, E, D, P, Q, U) != 0)
		die("sexp", NULL);
	gcry_mpi_release(E); gcry_mpi_release(P); gcry_mpi_release(Q);
	gcry_mpi_release(N); gcry_mpi_release(D); gcry_mpi_release(U);
	gcry_mpi_release(P1); gcry_mpi_release(Q1); gcry_mpi_release(PHI);
	return s;
}

/* DB 3FFF: 4D { CRT, 7F48 tag/length list, 5F48 values } */
static unsigned
import_key(const uint8_t *p, size_t len)
{
	const uint8_t *vals = NULL, *list = NULL, *e = NULL, *pp = NULL, *qq = NULL, *d = NULL;
	size_t off = 0, vlen, n, listlen = 0, valslen = 0, el = 0, pl = 0,
	    ql = 0, dl = 0, voff = 0, loff = 0;
	unsigned tag;
	int slot = -1, i;
	struct key *k;

	if (get_tlv(p, len, &off, &tag, &vlen) != 0 || tag != 0x4d ||
	    off + vlen != len)
		return 0x6a80;
	while (off < len) {
		if (get_tlv(p, len, &off, &tag, &n) != 0 || off + n > len)
			return 0x6a80;
		if (tag == 0xb6 || tag == 0xb8 || tag == 0xa4) {
			for (i = 0; i < 3; i++)
				if (crt_tag[i] == tag)
					slot = i;
		} else if (tag == 0x7f48) {
			list = p + off;
			listlen = n;
		} else if (tag == 0x5f48) {
			vals = p + off;
			valslen = n;
		}
		off += n;
	}
	if (slot < 0 || listlen == 0)
		return 0x6a80;
	while (loff < listlen) {
		if (get_tlv(list, listlen, &loff, &tag, &n) != 0 ||
		    voff + n > valslen)
			return 0x6a80;
		/* The list holds tags and lengths only; values follow in
		 * 5F48 in the same order. */
		switch (tag) {
		case 0x91: e = vals + voff; el = n; break;
		case 0x92: pp = vals + voff; pl = n; d = pp; dl = n; break;
		case 0x93: qq = vals + voff; ql = n; break;
		}
		voff += n;
	}
	k = &C.k[slot];
	gcry_sexp_release(k->sk);
	if (is_rsa(k)) {
		if (e == NULL || pp == NULL || qq == NULL)
			return 0x6a80;
		k->sk = rsa_from_epq(e, el, pp, pl, qq, ql);
	} else if (is_p256(k)) {
		if (d == NULL || dl == 0 || dl > 32)
			return 0x6a80;
		k->sk = p256_from_d(d, dl);
	} else {
		if (d == NULL || dl != 32)
			return 0x6a80;
		k->sk = ed25519_from_seed(d);
	}
	k->status = 2;
	return 0x9000;
}

static unsigned
generate(int slot)
{
	struct key *k = &C.k[slot];
	gcry_sexp_t parms, kp;

	const char *spec = is_rsa(k) ? "(genkey(rsa(nbits 4:2048)))" :
	    is_p256(k) ? "(genkey(ecc(curve 10:NIST P-256)))" :
	    k->attr[0] == 0x12 ? "(genkey(ecc(curve Curve25519)(flags "
	    "djb-tweak comp)))" : "(genkey(ecc(curve Ed25519)(flags eddsa)))";

	if (gcry_sexp_build(&parms, NULL, spec) != 0 ||
	    gcry_pk_genkey(&kp, parms) != 0)
		die("genkey", NULL);
	key_clear(k);
	k->sk = gcry_sexp_find_token(kp, "private-key", 0);
	k->status = 1;
	gcry_sexp_release(kp);
	gcry_sexp_release(parms);
	return 0x9000;
}

/* PSO:CDS.  Ed25519 signs the data (a digest) as its message; RSA pads
 * the DigestInfo (EMSA-PKCS1-v1_5) and applies the private key. */
static unsigned
sign(const uint8_t *data, size_t len, struct out *o)
{
	struct key *k = &C.k[SIG];
	gcry_sexp_t d = NULL, s = NULL, t;
	gcry_mpi_t m;
	uint8_t em[256];
	const char *v;
	size_t n;

	if (k->sk == NULL)
		return 0x6a88;
	if (k->uif[0] != 0) {
		struct timespec ts = { C.touch_ms / 1000,
		    (C.touch_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		if (C.touch_deny)
			return 0x6985;
	}
	if (is_rsa(k)) {
		if (len > sizeof(em) - 11)
			return 0x6a80;
		em[0] = 0x00;
		em[1] = 0x01;
		memset(em + 2, 0xff, sizeof(em) - 3 - len);
		em[sizeof(em) - len - 1] = 0x00;
		memcpy(em + sizeof(em) - len, data, len);
		if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, em, sizeof(em), NULL) ||
		    gcry_sexp_build(&d, NULL, "(data(flags raw)(value%m))", m))
			die("sexp", NULL);
		gcry_mpi_release(m);
		if (gcry_pk_sign(&s, d, k->sk) != 0)
			die("rsa sign", NULL);
		t = gcry_sexp_find_token(s, "s", 0);
		v = gcry_sexp_nth_data(t, 1, &n);
		memset(em, 0, sizeof(em));
		memcpy(em + sizeof(em) - n, v, n);
		put(o, em, sizeof(em));
		gcry_sexp_release(t);
	} else {
		if (is_p256(k)) {
			if (len > 32)		/* the digest's leftmost bits */
				len = 32;
			if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, data, len, NULL) ||
			    gcry_sexp_build(&d, NULL, "(data(flags raw)(value%m))",
			    m) != 0 || gcry_pk_sign(&s, d, k->sk) != 0)
				die("ecdsa sign", NULL);
			gcry_mpi_release(m);
		} else if (gcry_sexp_build(&d, NULL, "(data(flags eddsa)"
		    "(hash-algo sha512)(value%b))", (int)len, data) != 0 ||
		    gcry_pk_sign(&s, d, k->sk) != 0)
			die("eddsa sign", NULL);
		t = gcry_sexp_find_token(s, "r", 0);
		v = gcry_sexp_nth_data(t, 1, &n);
		memset(em, 0, 64);
		memcpy(em + 32 - n, v, n);
		gcry_sexp_release(t);
		t = gcry_sexp_find_token(s, "s", 0);
		v = gcry_sexp_nth_data(t, 1, &n);
		memcpy(em + 64 - n, v, n);
		gcry_sexp_release(t);
		put(o, em, 64);
	}
	gcry_sexp_release(s);
	gcry_sexp_release(d);
	C.counter++;
	if (C.pw1_once == 0)
		C.v81 = 0;
	state_save();
	return 0x9000;
}

/* ---- commands ---- */

static unsigned
verify(unsigned p1, unsigned p2, const uint8_t *data, size_t len)
{
	const char *pw = p2 == 0x83 ? C.pw3 : C.pw1;
	int *tries = p2 == 0x83 ? &C.tries3 : &C.tries1;
	int *ok = p2 == 0x81 ? &C.v81 : p2 == 0x82 ? &C.v82 : &C.v83;

	if (p2 != 0x81 && p2 != 0x82 && p2 != 0x83)
		return 0x6a86;
	if (p1 == 0xff) {
		*ok = 0;
		return 0x9000;
	}
	if (len == 0)
		return *ok ? 0x9000 : 0x63c0 | (unsigned)*tries;
	if (*tries == 0)
		return 0x6983;
	if (len != strlen(pw) || memcmp(data, pw, len) != 0) {
		(*tries)--;
		*ok = 0;
		state_save();
		return *tries == 0 ? 0x6983 : 0x63c0 | (unsigned)*tries;
	}
	*tries = 3;
	*ok = 1;
	state_save();
	return 0x9000;
}

static unsigned
change_pin(unsigned p2, const uint8_t *data, size_t len)
{
	char *pw = p2 == 0x83 ? C.pw3 : C.pw1;
	int *tries = p2 == 0x83 ? &C.tries3 : &C.tries1;
	size_t old = strlen(pw);

	if (p2 != 0x81 && p2 != 0x83)
		return 0x6a86;
	if (*tries == 0)
		return 0x6983;
	if (len <= old || len - old > 127 || memcmp(data, pw, old) != 0) {
		(*tries)--;
		state_save();
		return *tries == 0 ? 0x6983 : 0x63c0 | (unsigned)*tries;
	}
	memcpy(pw, data + old, len - old);
	pw[len - old] = '\0';
	*tries = 3;
	state_save();
	return 0x9000;
}

static unsigned
put_data(unsigned tag, const uint8_t *d, size_t len)
{
	size_t i;

	if (!C.v83)
		return 0x6982;
	switch (tag) {
	case 0x5b:
		if (len > sizeof(C.name))
			return 0x6700;
		memcpy(C.name, d, len);
		C.namelen = len;
		break;
	case 0x5e:
		memcpy(C.login, d, len < sizeof(C.login) ? len : sizeof(C.login));
		C.loginlen = len < sizeof(C.login) ? len : sizeof(C.login);
		break;
	case 0x5f50:
		memcpy(C.url, d, len < sizeof(C.url) ? len : sizeof(C.url));
		C.urllen = len < sizeof(C.url) ? len : sizeof(C.url);
		break;
	case 0x5f2d:
		memcpy(C.lang, d, len < sizeof(C.lang) ? len : sizeof(C.lang));
		C.langlen = len < sizeof(C.lang) ? len : sizeof(C.lang);
		break;
	case 0x5f35:
		C.sex = len ? d[0] : 0;
		break;
	case 0xc1: case 0xc2: case 0xc3:
		i = tag - 0xc1;
		if (len == 0 || len > sizeof(C.k[i].attr))
			return 0x6a80;
		/* RSA-2048 or the 25519 curves only. */
		if (!((len >= 5 && memcmp(d, ATTR_RSA2048, 3) == 0) ||
		    (len >= sizeof(ATTR_P256) &&
		    memcmp(d + 1, ATTR_P256 + 1, sizeof(ATTR_P256) - 1) == 0)
		    || (len >= sizeof(ATTR_ED25519) - 1 &&
		    memcmp(d + 1, ATTR_ED25519 + 1, 9) == 0) ||
		    (len >= sizeof(ATTR_CV25519) - 1 &&
		    memcmp(d + 1, ATTR_CV25519 + 1, 10) == 0)))
			return 0x6a80;
		memcpy(C.k[i].attr, d, len);
		C.k[i].attrlen = len;
		key_clear(&C.k[i]);
		break;
	case 0xc4:
		if (len < 1)
			return 0x6700;
		C.pw1_once = d[0] ? 1 : 0;
		break;
	case 0xc7: case 0xc8: case 0xc9:
		if (len != 20)
			return 0x6700;
		memcpy(C.k[tag - 0xc7].fpr, d, 20);
		break;
	case 0xca: case 0xcb: case 0xcc:
		if (len != 20)
			return 0x6700;
		memcpy(C.k[tag - 0xca].cafpr, d, 20);
		break;
	case 0xce: case 0xcf: case 0xd0:
		if (len != 4)
			return 0x6700;
		memcpy(C.k[tag - 0xce].time, d, 4);
		break;
	case 0xd6: case 0xd7: case 0xd8:
		if (len != 2 || d[0] > 2)
			return 0x6a80;
		if (C.k[tag - 0xd6].uif[0] == 2)	/* fixed: no way back */
			return 0x6985;
		memcpy(C.k[tag - 0xd6].uif, d, 2);
		break;
	default:
		return 0x6a88;
	}
	state_save();
	return 0x9000;
}

static int
crt_slot(const uint8_t *d, size_t len)
{
	int i;

	if (len < 1)
		return -1;
	for (i = 0; i < 3; i++)
		if (d[0] == crt_tag[i])
			return i;
	return -1;
}

/* One complete command (after chaining); the response data in o. */
static unsigned
command(unsigned ins, unsigned p1, unsigned p2, const uint8_t *d, size_t len,
    struct out *o)
{
	static const uint8_t openpgp[] = { 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	int slot;

	if (ins == 0xa4) {
		if (p1 == 0x04 && len >= sizeof(openpgp) &&
		    memcmp(d, openpgp, sizeof(openpgp)) == 0) {
			C.selected = 1;
			C.v81 = C.v82 = C.v83 = 0;
			return 0x9000;
		}
		if (p1 == 0x00 && len == 2 && d[0] == 0x3f && d[1] == 0x00)
			return 0x9000;
		return 0x6a82;
	}
	if (!C.selected)
		return 0x6d00;
	switch (ins) {
	case 0xca:
		return get_do(p1 << 8 | p2, o) == 0 ? 0x9000 : 0x6a88;
	case 0x20:
		return verify(p1, p2, d, len);
	case 0x24:
		return change_pin(p2, d, len);
	case 0x2a:
		if (p1 != 0x9e || p2 != 0x9a)
			return 0x6a86;
		if (!C.v81)
			return 0x6982;
		return sign(d, len, o);
	case 0x47:
		if ((slot = crt_slot(d, len)) < 0)
			return 0x6a80;
		if (p1 == 0x80) {
			if (!C.v83)
				return 0x6982;
			generate(slot);
			state_save();
		} else if (p1 != 0x81) {
			return 0x6a86;
		}
		return public_do(&C.k[slot], o) == 0 ? 0x9000 : 0x6a88;
	case 0xda:
		return put_data(p1 << 8 | p2, d, len);
	case 0xdb:
		if (p1 != 0x3f || p2 != 0xff)
			return 0x6a86;
		if (!C.v83)
			return 0x6982;
		ins = import_key(d, len);
		state_save();
		return ins;
	}
	return 0x6d00;
}

/* Parse a C-APDU (short or extended), handle chaining and GET RESPONSE,
 * and build the R-APDU in r. */
static size_t
apdu(const uint8_t *a, size_t len, uint8_t *r)
{
	unsigned cla, ins, p1, p2, sw;
	size_t lc = 0, le = 256, off = 4, chunk;
	const uint8_t *data = NULL;
	struct out o = { C.resp, 0, sizeof(C.resp) };

	if (len < 4)
		goto bad_len;
	cla = a[0];
	ins = a[1];
	p1 = a[2];
	p2 = a[3];
	if (len == 5) {
		le = a[4] ? a[4] : 256;
	} else if (len > 5 && a[4] != 0) {
		lc = a[4];
		off = 5;
		if (len != 5 + lc && len != 6 + lc)
			goto bad_len;
		if (len == 6 + lc)
			le = a[5 + lc] ? a[5 + lc] : 256;
	} else if (len >= 7) {
		if (len == 7) {
			le = (size_t)a[5] << 8 | a[6];
			le = le ? le : 65536;
		} else {
			lc = (size_t)a[5] << 8 | a[6];
			off = 7;
			if (len != 7 + lc && len != 9 + lc)
				goto bad_len;
			le = 65536;
			if (len == 9 + lc) {
				le = (size_t)a[7 + lc] << 8 | a[8 + lc];
				le = le ? le : 65536;
			}
		}
	} else if (len != 4) {
		goto bad_len;
	}
	data = a + off;

	if (ins == 0xc0) {			/* GET RESPONSE */
		if (C.respoff >= C.resplen) {
			sw = 0x6985;
			chunk = 0;
		} else {
			chunk = C.resplen - C.respoff;
			if (chunk > le)
				chunk = le;
			memcpy(r, C.resp + C.respoff, chunk);
			C.respoff += chunk;
			sw = C.respoff < C.resplen ? 0x6100 | (unsigned)
			    (C.resplen - C.respoff > 0xff ? 0 : C.resplen -
			    C.respoff) : 0x9000;
		}
		goto out;
	}
	C.resplen = C.respoff = 0;
	if (cla & 0x10) {			/* a link of a chain */
		if (C.chainlen + lc > sizeof(C.chain)) {
			C.chainlen = 0;
			sw = 0x6700;
			chunk = 0;
			goto out;
		}
		memcpy(C.chain + C.chainlen, data, lc);
		C.chainlen += lc;
		C.chain_ins = (int)ins;
		sw = 0x9000;
		chunk = 0;
		goto out;
	}
	if (C.chainlen > 0) {
		if ((int)ins != C.chain_ins || C.chainlen + lc >
		    sizeof(C.chain)) {
			C.chainlen = 0;
			sw = 0x6883;		/* last command of chain expected */
			chunk = 0;
			goto out;
		}
		memcpy(C.chain + C.chainlen, data, lc);
		lc += C.chainlen;
		data = C.chain;
		C.chainlen = 0;
		fprintf(stderr, "sk-card-emu: chained command %02X of %zu "
		    "bytes\n", ins, lc);
	}
	sw = command(ins, p1, p2, data, lc, &o);
	C.resplen = o.n;
	chunk = C.resplen < le ? C.resplen : le;
	memcpy(r, C.resp, chunk);
	C.respoff = chunk;
	if (sw == 0x9000 && C.respoff < C.resplen)
		sw = 0x6100 | (unsigned)(C.resplen - C.respoff > 0xff ? 0 :
		    C.resplen - C.respoff);
out:
	r[chunk] = (uint8_t)(sw >> 8);
	r[chunk + 1] = (uint8_t)sw;
	return chunk + 2;
bad_len:
	r[0] = 0x67;
	r[1] = 0x00;
	return 2;
}

/* ---- vpcd ---- */

static int
read_full(int fd, uint8_t *p, size_t n)
{
	ssize_t r;
	int one = 1;

	while (n > 0) {
		/* vpcd writes a command's 2-byte length and its body apart:
		 * the body waits (Nagle) until we ACK the length, and a
		 * delayed ACK is 40 ms.  Quick ACK is cleared by the kernel
		 * after a while, so it is asked for before every read. */
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One write per message: a separate 2-byte header would meet Nagle's
 * algorithm and delayed ACKs, 40 ms per APDU. */
static int
send_msg(int fd, const uint8_t *p, size_t n)
{
	static uint8_t buf[2 + RESP_MAX + 2];

	if (n > sizeof(buf) - 2)
		return -1;
	be16enc(buf, (uint16_t)n);
	memcpy(buf + 2, p, n);
	return write(fd, buf, n + 2) == (ssize_t)(n + 2) ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static uint8_t msg[70000], resp[RESP_MAX + 2];
	const char *vpcd = NULL;
	char host[256], *colon;
	struct addrinfo hints = { 0 }, *ai;
	size_t len;
	int fd, i, tries;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--vpcd") == 0 && i + 1 < argc)
			vpcd = argv[++i];
		else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			C.state = argv[++i];
		else if (strcmp(argv[i], "--touch-delay") == 0 && i + 1 < argc)
			C.touch_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "--touch-deny") == 0)
			C.touch_deny = 1;
		else if (strcmp(argv[i], "--rsa") == 0)
			C.rsa = 1;
		else if (strcmp(argv[i], "--pins") == 0 && i + 1 < argc)
			C.pins = argv[++i];
		else if (strcmp(argv[i], "--chaining-only") == 0)
			HIST[6] = 0x80;
		else if (strcmp(argv[i], "--timing") == 0)
			C.timing = 1;
		else if (strcmp(argv[i], "--uif") == 0 && i + 1 < argc)
			C.uif = strcmp(argv[++i], "on") == 0 ? 1 : 2;
		else if (strcmp(argv[i], "--serial") == 0 && i + 1 < argc) {
			unsigned long s = strtoul(argv[++i], NULL, 16);

			C.serial[0] = (uint8_t)(s >> 24);
			C.serial[1] = (uint8_t)(s >> 16);
			C.serial[2] = (uint8_t)(s >> 8);
			C.serial[3] = (uint8_t)s;
		} else
			die("usage: sk-card-emu --vpcd HOST:PORT --state FILE "
			    "[--touch-delay MS] [--touch-deny] [--serial HEX8] "
			    "[--rsa] [--uif on|off] [--pins PW1:PW3] "
			    "[--chaining-only] [--timing]",
			    NULL);
	}
	if (vpcd == NULL || C.state == NULL)
		die("--vpcd and --state are required", NULL);
	if (C.serial[0] == 0 && C.serial[1] == 0 && C.serial[2] == 0 &&
	    C.serial[3] == 0) {
		C.serial[0] = 0xca;
		C.serial[1] = 0xfe;
		C.serial[3] = 0x01;
	}
	if (!gcry_check_version(GCRYPT_VERSION))
		die("libgcrypt", NULL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	state_load();
	if (C.uif != 0) {		/* the signature key's touch policy */
		C.k[SIG].uif[0] = C.uif == 1 ? 1 : 0;
		state_save();
	}

	snprintf(host, sizeof(host), "%s", vpcd);
	if ((colon = strrchr(host, ':')) == NULL)
		die("--vpcd wants HOST:PORT", vpcd);
	*colon = '\0';
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		die("cannot resolve", vpcd);
	/* The driver listens once pcscd has loaded it: try for 10 s. */
	for (tries = 0;; tries++) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0)
			die("socket", strerror(errno));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			break;
		}
		close(fd);
		if (tries == 100)
			die("cannot connect to vpcd", vpcd);
		usleep(100000);
	}
	freeaddrinfo(ai);
	for (;;) {
		struct timespec t0, t1;
		uint8_t h[2];
		size_t n;

		if (read_full(fd, h, 2) != 0)
			break;
		len = be16dec(h);
		if (len > sizeof(msg) || read_full(fd, msg, len) != 0)
			break;
		if (len == 1) {
			switch (msg[0]) {
			case 0x00:	/* power off */
			case 0x01:	/* power on */
			case 0x02:	/* reset */
				C.selected = C.v81 = C.v82 = C.v83 = 0;
				C.chainlen = C.resplen = C.respoff = 0;
				break;
			case 0x04:
				if (send_msg(fd, ATR, sizeof(ATR)) != 0)
					goto done;
				break;
			}
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		n = apdu(msg, len, resp);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (C.timing)
			fprintf(stderr, "card: INS %02X answered in %.3f ms\n",
			    len > 1 ? msg[1] : 0,
			    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		if (send_msg(fd, resp, n) != 0)
			break;
	}
done:
	close(fd);
	return 0;
}
