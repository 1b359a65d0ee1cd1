#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dynload.h"
#include "err.h"
#include "log.h"
#include "opcard.h"
#include "wipe.h"

#define READERS_MAX	4096
#define RESP_MAX	2048

struct opcard {
	SCARDCONTEXT	 ctx;
	SCARDHANDLE	 h;
	DWORD		 proto;
};

static const uint8_t SELECT_OPENPGP[] = {
	0x00, 0xa4, 0x04, 0x00, 0x06, 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x00,
};

/* A PC/SC failure in words, with what to do. */
static const char *
pcsc_why(LONG rv)
{
	switch (rv) {
	case SCARD_E_NO_SERVICE:
		return "pcscd is not running (start it: systemctl start pcscd)";
	case SCARD_E_NO_READERS_AVAILABLE:
		return "no smart-card reader (plug the token in)";
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD:
		return "no card in the reader, or it was removed";
	case SCARD_E_NOT_TRANSACTED:
		/* The reader lost the card mid-command (vpcd, when the
		 * card's end goes away; some USB readers). */
		return "no answer: no card in the reader, or it was removed";
	case SCARD_W_RESET_CARD:
		return "the card was reset by another program";
	case SCARD_E_SHARING_VIOLATION:
		return "the card is held by another program, likely GnuPG's "
		    "scdaemon: add 'pcsc-shared' to scdaemon.conf, or run "
		    "'gpgconf --kill scdaemon'";
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
		return "no such reader (see 'sigknock-token list')";
	case SCARD_E_TIMEOUT:
		return "the reader did not answer in time";
	}
	return pcsc_stringify_error(rv);
}

/* Exchange one APDU; follows 61xx with GET RESPONSE.  The response data
 * goes to resp, the status word to *sw. */
static int
xfer(struct opcard *c, const uint8_t *apdu, size_t len, uint8_t *resp,
    size_t cap, size_t *rlen, unsigned *sw)
{
	uint8_t buf[RESP_MAX + 2], getresp[5] = { 0x00, 0xc0, 0x00, 0x00, 0 };
	const SCARD_IO_REQUEST *pci = c->proto == SCARD_PROTOCOL_T1 ?
	    SCARD_PCI_T1 : SCARD_PCI_T0;
	DWORD n;
	LONG rv;

	*rlen = 0;
	for (;;) {
		n = sizeof(buf);
		if ((rv = SCardTransmit(c->h, pci, apdu, (DWORD)len, NULL, buf,
		    &n)) != SCARD_S_SUCCESS) {
			log_err("card: %s", pcsc_why(rv));
			return SK_ERR_CARD;
		}
		if (n < 2) {
			/* What the vpcd driver, and some readers, give when
			 * the card goes away in the middle of a command. */
			log_err("card: no answer: no card in the reader, or it "
			    "was removed");
			return SK_ERR_CARD;
		}
		*sw = (unsigned)buf[n - 2] << 8 | buf[n - 1];
		if (*rlen + n - 2 > cap) {
			log_err("card: response longer than %zu bytes", cap);
			return SK_ERR_CARD;
		}
		memcpy(resp + *rlen, buf, n - 2);
		*rlen += n - 2;
		if ((*sw & 0xff00) != 0x6100)
			break;
		getresp[4] = (uint8_t)*sw;
		apdu = getresp;
		len = sizeof(getresp);
	}
	sk_wipe(buf, sizeof(buf));
	return 0;
}

/* GET DATA for tag into out; the status word in *sw. */
static int
get_data(struct opcard *c, unsigned tag, uint8_t *out, size_t cap,
    size_t *len, unsigned *sw)
{
	uint8_t apdu[5] = { 0x00, 0xca, (uint8_t)(tag >> 8), (uint8_t)tag, 0 };

	return xfer(c, apdu, sizeof(apdu), out, cap, len, sw);
}

/* Find tag (one or two bytes) in a BER-TLV list; descends into the
 * constructed 73 of 6E.  0 and *v, *vlen set when found. */
static int
tlv_find(const uint8_t *p, size_t len, unsigned want, const uint8_t **v,
    size_t *vlen)
{
	size_t off = 0, n;
	unsigned tag;

	while (off < len) {
		tag = p[off++];
		if ((tag & 0x1f) == 0x1f) {
			if (off >= len)
				return -1;
			tag = tag << 8 | p[off++];
		}
		if (off >= len)
			return -1;
		n = p[off++];
		if (n == 0x81) {
			if (off >= len)
				return -1;
			n = p[off++];
		} else if (n == 0x82) {
			if (off + 2 > len)
				return -1;
			n = (size_t)p[off] << 8 | p[off + 1];
			off += 2;
		} else if (n > 0x82) {
			return -1;
		}
		if (n > len - off)
			return -1;
		if (tag == want) {
			*v = p + off;
			*vlen = n;
			return 0;
		}
		if ((tag == 0x73 || tag == 0x7f74 || tag == 0x65) &&
		    tlv_find(p + off, n, want, v, vlen) == 0)
			return 0;
		off += n;
	}
	return -1;
}

static void
algo_name(const uint8_t *a, size_t n, char *out, size_t cap)
{
	static const uint8_t ed25519[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda,
	    0x47, 0x0f, 0x01 };
	static const uint8_t p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
	    0x01, 0x07 };

	if (n >= 3 && a[0] == 0x01)
		snprintf(out, cap, "rsa%u", (unsigned)a[1] << 8 | a[2]);
	else if (n >= 1 + sizeof(ed25519) && a[0] == 0x16 &&
	    memcmp(a + 1, ed25519, sizeof(ed25519)) == 0)
		snprintf(out, cap, "ed25519");
	else if (n >= 1 + sizeof(p256) && a[0] == 0x13 &&
	    memcmp(a + 1, p256, sizeof(p256)) == 0)
		snprintf(out, cap, "nistp256");
	else
		snprintf(out, cap, "unknown");
}

static const char *
manufacturer_name(unsigned id)
{
	switch (id) {
	case 0x0001: return "PPC Card Systems";
	case 0x0002: return "Prism";
	case 0x0003: return "OpenFortress";
	case 0x0005: return "ZeitControl";
	case 0x0006: return "Yubico";
	case 0x000b: return "Gnuk";
	case 0x000f: return "Nitrokey";
	case 0x2342: return "warsaw-hackerspace";
	case 0xf517: return "FSIJ";
	case 0xff00: case 0xfffe: return "test card (unmanaged)";
	case 0xffff: return "test card";
	}
	return "unknown";
}

static int
read_info(struct opcard *c, struct opcard_info *ci)
{
	uint8_t d[RESP_MAX], aid[16];
	const uint8_t *v;
	size_t n, vlen, i;
	unsigned sw;
	int r;

	memset(ci->aid, 0, sizeof(ci->aid));
	if ((r = get_data(c, 0x004f, aid, sizeof(aid), &n, &sw)) != 0)
		return r;
	if (sw != 0x9000 || n != 16)
		return SK_ERR_CARD;
	memcpy(ci->aid, aid, 16);
	ci->version = (unsigned)aid[6] << 8 | aid[7];
	snprintf(ci->serial, sizeof(ci->serial), "%02X%02X%02X%02X", aid[10],
	    aid[11], aid[12], aid[13]);
	snprintf(ci->manufacturer, sizeof(ci->manufacturer), "%s",
	    manufacturer_name((unsigned)aid[8] << 8 | aid[9]));
	if ((r = get_data(c, 0x006e, d, sizeof(d), &n, &sw)) != 0)
		return r;
	if (sw != 0x9000) {
		log_err("card in %s: no application related data (%04X)",
		    ci->reader, sw);
		return SK_ERR_CARD;
	}
	if (tlv_find(d, n, 0xc1, &v, &vlen) == 0 &&
	    vlen <= sizeof(ci->sig_attr)) {
		memcpy(ci->sig_attr, v, vlen);
		ci->sig_attrlen = vlen;
	}
	algo_name(ci->sig_attr, ci->sig_attrlen, ci->sig_algo,
	    sizeof(ci->sig_algo));
	if (tlv_find(d, n, 0xc5, &v, &vlen) == 0 && vlen >= PGP_FPR_LEN) {
		memcpy(ci->sig_fpr, v, PGP_FPR_LEN);
		for (i = 0; i < PGP_FPR_LEN && v[i] == 0; i++)
			;
		ci->has_sig_key = i < PGP_FPR_LEN;
	}
	if (tlv_find(d, n, 0xcd, &v, &vlen) == 0 && vlen >= 4)
		ci->sig_created = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
		    (uint32_t)v[2] << 8 | v[3];
	if (tlv_find(d, n, 0xc4, &v, &vlen) == 0 && vlen >= 7) {
		ci->pw1_per_signature = v[0] == 0;
		ci->pw1_tries = v[4];
		ci->pw3_tries = v[6];
	}
	ci->uif = -1;
	if (tlv_find(d, n, 0xd6, &v, &vlen) == 0 && vlen >= 1)
		ci->uif = v[0];
	else if (get_data(c, 0x00d6, d, sizeof(d), &n, &sw) == 0 &&
	    sw == 0x9000 && n >= 1)
		ci->uif = d[0];
	if (get_data(c, 0x007a, d, sizeof(d), &n, &sw) == 0 && sw == 0x9000 &&
	    tlv_find(d, n, 0x93, &v, &vlen) == 0 && vlen == 3)
		ci->counter = (uint32_t)v[0] << 16 | (uint32_t)v[1] << 8 | v[2];
	if (get_data(c, 0x0065, d, sizeof(d), &n, &sw) == 0 && sw == 0x9000 &&
	    tlv_find(d, n, 0x5b, &v, &vlen) == 0)
		snprintf(ci->name, sizeof(ci->name), "%.*s", (int)vlen,
		    (const char *)v);
	return 0;
}

/* quiet: 0 logs every failure, 1 only a sharing violation, 2 none. */
static int
connect_reader(struct opcard *c, const char *reader, int quiet)
{
	uint8_t resp[64];
	size_t n;
	unsigned sw;
	LONG rv;

	rv = SCardConnect(c->ctx, reader, SCARD_SHARE_SHARED,
	    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->proto);
	if (rv != SCARD_S_SUCCESS) {
		if (quiet == 0 || (quiet == 1 && rv == SCARD_E_SHARING_VIOLATION))
			log_err("reader '%s': %s", reader, pcsc_why(rv));
		return rv == SCARD_E_SHARING_VIOLATION ? SK_ERR_CARD_BUSY :
		    SK_ERR_CARD;
	}
	if (xfer(c, SELECT_OPENPGP, sizeof(SELECT_OPENPGP), resp, sizeof(resp),
	    &n, &sw) != 0) {
		/* Said by xfer: the card did not answer at all. */
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
		return SK_ERR_CARD;
	}
	if (sw != 0x9000) {
		if (!quiet)
			log_err("reader '%s': the card has no OpenPGP "
			    "application", reader);
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
		return SK_ERR_CARD;
	}
	return 0;
}

/* The readers, as a list of NUL-terminated names. */
static int
readers(struct opcard *c, char **list, DWORD *len, int quiet)
{
	LONG rv;

	if (dynload_pcsc() != 0)
		return SK_ERR_CARD;
	if ((rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL,
	    &c->ctx)) != SCARD_S_SUCCESS) {
		if (!quiet)
			log_err("PC/SC: %s", pcsc_why(rv));
		return SK_ERR_CARD;
	}
	*len = SCARD_AUTOALLOCATE;
	if ((rv = SCardListReaders(c->ctx, NULL, (LPSTR)list, len)) !=
	    SCARD_S_SUCCESS) {
		if (!quiet)
			log_err("PC/SC: %s", pcsc_why(rv));
		SCardReleaseContext(c->ctx);
		return SK_ERR_CARD;
	}
	return 0;
}

int
opcard_list(opcard_reader_cb cb, void *arg, int quiet)
{
	struct opcard c;
	struct opcard_info ci;
	char *list, *r;
	DWORD len;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = readers(&c, &list, &len, quiet)) != 0)
		return rc;
	for (r = list; *r != '\0'; r += strlen(r) + 1) {
		memset(&ci, 0, sizeof(ci));
		snprintf(ci.reader, sizeof(ci.reader), "%s", r);
		if (connect_reader(&c, r, quiet ? 2 : 1) != 0) {
			cb(arg, r, NULL);
			continue;
		}
		cb(arg, r, read_info(&c, &ci) == 0 ? &ci : NULL);
		SCardDisconnect(c.h, SCARD_LEAVE_CARD);
	}
	SCardFreeMemory(c.ctx, list);
	SCardReleaseContext(c.ctx);
	return 0;
}

int
opcard_open(const char *want, struct opcard **out, struct opcard_info *ci)
{
	struct opcard *c;
	char *list, *r;
	DWORD len;
	int rc = SK_ERR_CARD, busy = 0;

	*out = NULL;
	memset(ci, 0, sizeof(*ci));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SK_ERR_ALLOC;
	if (readers(c, &list, &len, 0) != 0) {
		free(c);
		return SK_ERR_CARD;
	}
	for (r = list; *r != '\0'; r += strlen(r) + 1) {
		if (want != NULL && strncmp(r, want, strlen(want)) != 0)
			continue;
		if ((rc = connect_reader(c, r, want == NULL)) != 0) {
			busy |= rc == SK_ERR_CARD_BUSY;
			if (want != NULL)
				break;
			continue;
		}
		snprintf(ci->reader, sizeof(ci->reader), "%s", r);
		if ((rc = read_info(c, ci)) != 0) {
			SCardDisconnect(c->h, SCARD_LEAVE_CARD);
			break;
		}
		break;
	}
	if (rc != 0 && want != NULL && *r == '\0')
		log_err("no reader named '%s' (see 'sigknock-token list')",
		    want);
	else if (rc != 0 && want == NULL && !busy)
		log_err("no OpenPGP card in any reader (insert the token; "
		    "'sigknock-token list' shows what is there)");
	SCardFreeMemory(c->ctx, list);
	if (rc != 0) {
		SCardReleaseContext(c->ctx);
		free(c);
		return busy ? SK_ERR_CARD_BUSY : rc;
	}
	*out = c;
	return 0;
}

struct uif_query {
	const char	*aid_hex;
	int		 uif;
};

static void
uif_of(void *arg, const char *reader, const struct opcard_info *ci)
{
	struct uif_query *q = arg;
	char hex[33];
	int i;

	(void)reader;
	if (ci == NULL)
		return;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", ci->aid[i]);
	if (strcasecmp(hex, q->aid_hex) == 0)
		q->uif = ci->uif;
}

int
opcard_touch_policy(const char *aid_hex)
{
	struct uif_query q = { aid_hex, -1 };

	if (aid_hex == NULL || strlen(aid_hex) != 32)
		return -1;
	(void)opcard_list(uif_of, &q, 1);
	return q.uif;
}

void
opcard_close(struct opcard *c)
{
	if (c == NULL)
		return;
	SCardDisconnect(c->h, SCARD_LEAVE_CARD);
	SCardReleaseContext(c->ctx);
	free(c);
}

int
opcard_sig_pubkey(struct opcard *c, const struct opcard_info *ci,
    struct crypto_pubkey **out)
{
	static const uint8_t read_sig[] = { 0x00, 0x47, 0x81, 0x00, 0x02, 0xb6,
	    0x00, 0x00 };
	uint8_t d[RESP_MAX], body[1200], fpr[PGP_FPR_LEN], q[33];
	const uint8_t *pk, *n, *e;
	size_t len, pklen, nlen, elen, blen;
	unsigned sw;
	int r;

	*out = NULL;
	if (!ci->has_sig_key) {
		log_err("the card in '%s' has no signature key (put one there "
		    "with gpg --edit-key ... keytocard)", ci->reader);
		return SK_ERR_UNKNOWN_SIGNER;
	}
	if ((r = xfer(c, read_sig, sizeof(read_sig), d, sizeof(d), &len,
	    &sw)) != 0)
		return r;
	if (sw != 0x9000 || tlv_find(d, len, 0x7f49, &pk, &pklen) != 0) {
		log_err("the card did not give its signature key (%04X)", sw);
		return SK_ERR_CARD;
	}
	if (strncmp(ci->sig_algo, "rsa", 3) == 0) {
		if (tlv_find(pk, pklen, 0x81, &n, &nlen) != 0 ||
		    tlv_find(pk, pklen, 0x82, &e, &elen) != 0)
			return SK_ERR_CARD;
		r = crypto_pubkey_rsa(out, n, nlen, e, elen);
	} else if (strcmp(ci->sig_algo, "ed25519") == 0) {
		if (tlv_find(pk, pklen, 0x86, &n, &nlen) != 0 || nlen != 32)
			return SK_ERR_CARD;
		q[0] = 0x40;
		memcpy(q + 1, n, 32);
		r = crypto_pubkey_ec(out, SK_PK_EDDSA, SK_CURVE_ED25519, q, 33);
	} else if (strcmp(ci->sig_algo, "nistp256") == 0) {
		if (tlv_find(pk, pklen, 0x86, &n, &nlen) != 0)
			return SK_ERR_CARD;
		r = crypto_pubkey_ec(out, SK_PK_ECDSA, SK_CURVE_P256, n, nlen);
	} else {
		log_err("the card's signature key is %s, which sigknock does "
		    "not sign with", ci->sig_algo);
		return SK_ERR_PGP_UNSUPPORTED;
	}
	if (r != 0) {
		log_err("the card's signature key is not a valid %s key",
		    ci->sig_algo);
		return r;
	}
	/* The key must be the one the card's fingerprint DO names: it is
	 * what the server looks up. */
	if (pgp_key_body_build(*out, ci->sig_created, body, sizeof(body),
	    &blen) != 0 || pgp_fingerprint(body, blen, fpr) != 0 ||
	    memcmp(fpr, ci->sig_fpr, PGP_FPR_LEN) != 0) {
		log_err("the card's signature key does not match its "
		    "fingerprint and creation time (provisioned by another "
		    "tool?); sigknock cannot name it");
		crypto_pubkey_free(*out);
		*out = NULL;
		return SK_ERR_SIGNER_MISMATCH;
	}
	return 0;
}

int
opcard_sign(struct opcard *c, const struct opcard_info *ci, const char *pin,
    const uint8_t *data, size_t len, uint8_t *sig, size_t cap,
    size_t *siglen, int *tries_left)
{
	uint8_t apdu[300], resp[RESP_MAX];
	size_t plen = strlen(pin), n;
	unsigned sw;
	LONG rv;
	int r = SK_ERR_CARD;

	*siglen = 0;
	*tries_left = -1;
	if (plen == 0 || plen > 127 || len > 255) {
		log_err("a PIN of 1 to 127 characters is needed");
		return SK_ERR_INVALID_ARG;
	}
	if ((rv = SCardBeginTransaction(c->h)) != SCARD_S_SUCCESS) {
		log_err("card: %s", pcsc_why(rv));
		return SK_ERR_CARD;
	}
	/* VERIFY PW1 for signing. */
	apdu[0] = 0x00;
	apdu[1] = 0x20;
	apdu[2] = 0x00;
	apdu[3] = 0x81;
	apdu[4] = (uint8_t)plen;
	memcpy(apdu + 5, pin, plen);
	r = xfer(c, apdu, 5 + plen, resp, sizeof(resp), &n, &sw);
	sk_wipe(apdu, sizeof(apdu));
	if (r != 0)
		goto out;
	if ((sw & 0xfff0) == 0x63c0 || sw == 0x6982) {
		*tries_left = sw == 0x6982 ? -1 : (int)(sw & 0x0f);
		r = *tries_left == 0 ? SK_ERR_PIN_BLOCKED : SK_ERR_PIN;
		goto out;
	}
	if (sw == 0x6983) {
		*tries_left = 0;
		r = SK_ERR_PIN_BLOCKED;
		goto out;
	}
	if (sw != 0x9000) {
		log_err("card: VERIFY answered %04X", sw);
		r = SK_ERR_CARD;
		goto out;
	}
	if (ci->uif > 0)
		fprintf(stderr, "Touch your security key...\n");
	/* PSO:COMPUTE DIGITAL SIGNATURE, Le = 00 (256). */
	apdu[0] = 0x00;
	apdu[1] = 0x2a;
	apdu[2] = 0x9e;
	apdu[3] = 0x9a;
	apdu[4] = (uint8_t)len;
	memcpy(apdu + 5, data, len);
	apdu[5 + len] = 0x00;
	if ((r = xfer(c, apdu, 6 + len, resp, sizeof(resp), &n, &sw)) != 0)
		goto out;
	if (sw == 0x6985 || sw == 0x6600 || (ci->uif > 0 && sw != 0x9000)) {
		log_err("the card did not sign: no touch in time (%04X)", sw);
		r = SK_ERR_TOUCH;
		goto out;
	}
	if (sw != 0x9000 || n == 0 || n > cap) {
		log_err("the card did not sign (%04X)", sw);
		r = SK_ERR_CARD;
		goto out;
	}
	memcpy(sig, resp, n);
	*siglen = n;
	r = 0;
out:
	sk_wipe(resp, sizeof(resp));
	SCardEndTransaction(c->h, SCARD_LEAVE_CARD);
	return r;
}
