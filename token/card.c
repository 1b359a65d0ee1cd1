/* Token "card": an OpenPGP card directly over PC/SC, no GnuPG needed on
 * the client.  The card's signature key signs the request's digest
 * (PSO:CDS); the client wraps the raw signature into a v4 signature
 * packet whose issuer fingerprint is the card key's, and checks it
 * against the card's public key before sending. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "err.h"
#include "log.h"
#include "opcard.h"
#include "pgp.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"

struct token {
	struct opcard		*c;
	struct opcard_info	 ci;
	struct crypto_pubkey	*pk;
	uint8_t			 algo;		/* PGP_PK_* */
	int			 pin_fd;
};

static int
card_open(struct token **out, const struct token_opts *o, uint8_t *type,
    uint8_t *id, size_t *idlen)
{
	struct token *t;
	uint8_t want[PGP_FPR_LEN];
	char fpr[PGP_FPR_HEX_LEN + 1];
	int r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SK_ERR_ALLOC;
	t->pin_fd = o->pin_fd;
	if ((r = opcard_open(o->reader, &t->c, &t->ci)) != 0 ||
	    (r = opcard_sig_pubkey(t->c, &t->ci, &t->pk)) != 0)
		goto fail;
	pgp_fpr_format(t->ci.sig_fpr, fpr);
	if (o->signer != NULL && (pgp_fpr_parse(o->signer, want) != 0 ||
	    memcmp(want, t->ci.sig_fpr, PGP_FPR_LEN) != 0)) {
		log_err("the card in '%s' holds signature key %s, not '%s'",
		    t->ci.reader, fpr, o->signer);
		r = SK_ERR_UNKNOWN_SIGNER;
		goto fail;
	}
	switch (crypto_pubkey_alg(t->pk)) {
	case SK_PK_RSA:		t->algo = PGP_PK_RSA; break;
	case SK_PK_ECDSA:	t->algo = PGP_PK_ECDSA; break;
	case SK_PK_EDDSA:	t->algo = PGP_PK_EDDSA; break;
	}
	if (o->verbose)
		log_info("card %s in '%s': signature key %s (%s), counter %u",
		    t->ci.serial, t->ci.reader, fpr, t->ci.sig_algo,
		    t->ci.counter);
	*type = SK_SIGNER_OPENPGP;
	memcpy(id, t->ci.sig_fpr, PGP_FPR_LEN);
	*idlen = PGP_FPR_LEN;
	*out = t;
	return 0;
fail:
	crypto_pubkey_free(t->pk);
	opcard_close(t->c);
	free(t);
	return r;
}

/* DER prefix of a SHA-256 DigestInfo (RFC 8017 9.2, note 1). */
static const uint8_t SHA256_INFO[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

static int
card_sign(struct token *t, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	struct pgp_sig_builder b;
	struct pgp_sig ps;
	uint8_t digest[64], in[sizeof(SHA256_INFO) + 32], raw[512];
	char pin[TOKEN_PIN_MAX], prompt[128];
	const uint8_t *parts[1] = { msg };
	size_t lens[1] = { len }, dlen, inlen, rawlen, half;
	int r, tries;

	*siglen = 0;
	if ((r = pgp_sig_builder_init(&b, PGP_SIG_BINARY, t->algo,
	    PGP_HASH_SHA256, (uint32_t)time(NULL), t->ci.sig_fpr, 0)) != 0 ||
	    (r = pgp_sig_builder_digest(&b, parts, lens, 1, digest, &dlen)) != 0)
		return r;
	if (t->algo == PGP_PK_RSA) {
		memcpy(in, SHA256_INFO, sizeof(SHA256_INFO));
		memcpy(in + sizeof(SHA256_INFO), digest, 32);
		inlen = sizeof(SHA256_INFO) + 32;
	} else {
		memcpy(in, digest, 32);
		inlen = 32;
	}
	snprintf(prompt, sizeof(prompt), "PIN for card %s (%d tries left): ",
	    t->ci.serial, t->ci.pw1_tries);
	if (t->ci.pw1_tries == 0) {
		log_err("the card's PIN is blocked: unblock it with the admin "
		    "PIN (gpg --card-edit, admin, passwd)");
		return SK_ERR_PIN_BLOCKED;
	}
	if ((r = token_read_pin(t->pin_fd, prompt, pin, sizeof(pin))) != 0)
		return r;
	r = opcard_sign(t->c, &t->ci, pin, in, inlen, raw, sizeof(raw),
	    &rawlen, &tries);
	sk_wipe(pin, sizeof(pin));
	if (r == SK_ERR_PIN) {
		log_err("wrong PIN for card %s (%d %s left)", t->ci.serial,
		    tries, tries == 1 ? "try" : "tries");
		return r;
	}
	if (r == SK_ERR_PIN_BLOCKED) {
		log_err("wrong PIN: the card's PIN is now blocked; unblock it "
		    "with the admin PIN (gpg --card-edit, admin, passwd)");
		return r;
	}
	if (r != 0)
		return r;
	half = rawlen / 2;
	if (t->algo == PGP_PK_RSA)
		r = pgp_sig_builder_finish(&b, digest, raw, rawlen, NULL, 0, sig,
		    cap, siglen);
	else if (rawlen % 2 == 0)
		r = pgp_sig_builder_finish(&b, digest, raw, half, raw + half,
		    half, sig, cap, siglen);
	else
		r = SK_ERR_CARD;
	if (r != 0) {
		log_err("the card's signature does not fit a knock");
		return r;
	}
	/* The server will verify it the same way: check here first. */
	if ((r = pgp_sig_parse(sig, *siglen, &ps)) != 0 ||
	    (r = pgp_sig_verify(&ps, t->pk, t->algo, msg, len, time(NULL),
	    60)) != 0) {
		log_err("the card's signature does not verify with its own "
		    "key: %s", sk_strerror(r));
		*siglen = 0;
		return SK_ERR_BAD_SIGNATURE;
	}
	return 0;
}

static void
card_close(struct token *t)
{
	if (t == NULL)
		return;
	crypto_pubkey_free(t->pk);
	opcard_close(t->c);
	free(t);
}

const struct token_ops token_card_ops = {
	.name = "card",
	.open = card_open,
	.sign = card_sign,
	.close = card_close,
};
