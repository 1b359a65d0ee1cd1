/* Token "gpg": sign through GPGME and gpg-agent, with a soft key or any
 * key the agent can use (cards included).  GPGME honours GNUPGHOME. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gpgme.h>

#include "err.h"
#include "log.h"
#include "opcard.h"
#include "pgp.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"

struct token {
	gpgme_ctx_t	 ctx;
	gpgme_key_t	 key;
	uint8_t		 fpr[PGP_FPR_LEN];
	char		 fpr_hex[2 * PGP_FPR_LEN + 1];
	int		 pin_fd;
	char		 pin[TOKEN_PIN_MAX];
	char		 card[40];	/* AID of the card holding the key, or "" */
};

/* With --pin-fd: gpg-agent asks through loopback; the PIN (or passphrase)
 * is read from the descriptor once.  A second request means the first
 * was wrong: give up instead of looping. */
static gpgme_error_t
pin_cb(void *hook, const char *uid_hint, const char *info, int prev_was_bad,
    int fd)
{
	struct token *t = hook;

	(void)uid_hint;
	(void)info;
	if (prev_was_bad)
		return gpg_error(GPG_ERR_BAD_PIN);
	if (t->pin[0] == '\0' && token_read_pin(t->pin_fd, "", t->pin,
	    sizeof(t->pin)) != 0)
		return gpg_error(GPG_ERR_CANCELED);
	if (gpgme_io_writen(fd, t->pin, strlen(t->pin)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpg_error(GPG_ERR_CANCELED);
	return 0;
}

/* One line for the user about a GnuPG failure. */
static int
gpg_error_msg(const char *what, gpgme_error_t err)
{
	const char *hint = "";

	switch (gpgme_err_code(err)) {
	case GPG_ERR_NO_SECKEY:
	case GPG_ERR_UNUSABLE_SECKEY:
		hint = " (no usable secret key: is it in this GNUPGHOME, or "
		    "is its card inserted?)";
		break;
	case GPG_ERR_BAD_PASSPHRASE:
	case GPG_ERR_BAD_PIN:
		hint = " (wrong passphrase or PIN)";
		break;
	case GPG_ERR_CANCELED:
	case GPG_ERR_FULLY_CANCELED:
		hint = " (cancelled at the pinentry)";
		break;
	case GPG_ERR_NO_PIN_ENTRY:
	case GPG_ERR_NO_AGENT:
	case GPG_ERR_AGENT:
		hint = " (gpg-agent or pinentry failed: try gpg-connect-agent "
		    "/bye, and check pinentry-program)";
		break;
	default:
		break;
	}
	log_err("%s: %s%s", what, gpgme_strerror(err), hint);
	return SK_ERR_GPGME;
}

static int
usable_subkey(gpgme_subkey_t sk)
{
	return sk->can_sign && sk->secret && !sk->revoked && !sk->expired &&
	    !sk->disabled && !sk->invalid;
}

static int
gpg_open(struct token **out, const struct token_opts *o, uint8_t *type,
    uint8_t *id, size_t *idlen)
{
	struct token *t;
	gpgme_subkey_t sk, best = NULL;
	gpgme_key_t key;
	gpgme_error_t err;
	int r = SK_ERR_GPGME;

	*out = NULL;
	gpgme_check_version(NULL);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SK_ERR_ALLOC;
	if ((err = gpgme_new(&t->ctx)) != 0 ||
	    (err = gpgme_set_protocol(t->ctx, GPGME_PROTOCOL_OpenPGP)) != 0) {
		r = gpg_error_msg("cannot start GPGME", err);
		goto fail;
	}
	gpgme_set_armor(t->ctx, 0);
	t->pin_fd = o->pin_fd;
	if (o->pin_fd >= 0) {
		if ((err = gpgme_set_pinentry_mode(t->ctx,
		    GPGME_PINENTRY_MODE_LOOPBACK)) != 0) {
			r = gpg_error_msg("cannot use --pin-fd (is "
			    "allow-loopback-pinentry off in gpg-agent.conf?)",
			    err);
			goto fail;
		}
		gpgme_set_passphrase_cb(t->ctx, pin_cb, t);
	}
	if ((err = gpgme_op_keylist_start(t->ctx, o->signer, 1)) != 0) {
		r = gpg_error_msg("cannot list secret keys", err);
		goto fail;
	}
	while (best == NULL && gpgme_op_keylist_next(t->ctx, &key) == 0) {
		if (key->revoked || key->expired || key->disabled || key->invalid) {
			gpgme_key_unref(key);
			continue;
		}
		/* A subkey fingerprint asks for that subkey; otherwise gpg
		 * picks the newest usable signing subkey, and so do we. */
		for (sk = key->subkeys; sk != NULL; sk = sk->next) {
			if (!usable_subkey(sk))
				continue;
			if (o->signer != NULL && sk->fpr != NULL &&
			    strcasecmp(o->signer, sk->fpr) == 0) {
				best = sk;
				break;
			}
			if (best == NULL || sk->timestamp >= best->timestamp)
				best = sk;
		}
		if (best == NULL)
			gpgme_key_unref(key);
		else
			t->key = key;
	}
	gpgme_op_keylist_end(t->ctx);
	if (best == NULL) {
		log_err("no usable secret signing key%s%s%s in %s",
		    o->signer ? " matching '" : "", o->signer ? o->signer : "",
		    o->signer ? "'" : "", getenv("GNUPGHOME") ?
		    getenv("GNUPGHOME") : "~/.gnupg");
		r = SK_ERR_UNKNOWN_SIGNER;
		goto fail;
	}
	if (best->fpr == NULL || strlen(best->fpr) != 2 * PGP_FPR_LEN) {
		log_err("key %s is not an OpenPGP v4 key", best->fpr ? best->fpr : "?");
		r = SK_ERR_PGP_UNSUPPORTED;
		goto fail;
	}
	snprintf(t->fpr_hex, sizeof(t->fpr_hex), "%s", best->fpr);
	if (best->is_cardkey && best->card_number != NULL)
		snprintf(t->card, sizeof(t->card), "%s", best->card_number);
	if (pgp_fpr_parse(best->fpr, t->fpr) != 0) {
		r = SK_ERR_PGP_UNSUPPORTED;
		goto fail;
	}
	if (o->verbose)
		log_info("signing key %s (%s)", t->fpr_hex,
		    t->key->uids && t->key->uids->uid ? t->key->uids->uid : "");
	*type = SK_SIGNER_OPENPGP;
	memcpy(id, t->fpr, PGP_FPR_LEN);
	*idlen = PGP_FPR_LEN;
	*out = t;
	return 0;
fail:
	gpgme_key_unref(t->key);
	gpgme_release(t->ctx);
	free(t);
	return r;
}

static int
gpg_sign(struct token *t, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t err;
	struct pgp_sig ps;
	char *mem = NULL;
	size_t n = 0;
	int r = SK_ERR_GPGME;

	*siglen = 0;
	gpgme_signers_clear(t->ctx);
	if ((err = gpgme_signers_add(t->ctx, t->key)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, (const char *)msg, len, 0)) ||
	    (err = gpgme_data_new(&out)) != 0) {
		r = gpg_error_msg("cannot prepare signing", err);
		goto out;
	}
	/* GnuPG 2.2 does not tell when the card waits for a touch: ask the
	 * card (over PC/SC, shared with scdaemon) for its touch policy. */
	if (t->card[0] != '\0' && opcard_touch_policy(t->card) > 0)
		fprintf(stderr, "Touch your security key...\n");
	if ((err = gpgme_op_sign(t->ctx, in, out, GPGME_SIG_MODE_DETACH)) != 0) {
		r = gpg_error_msg("signing failed", err);
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(out, &n);
	out = NULL;
	if ((r = pgp_sig_parse((const uint8_t *)mem, n, &ps)) != 0) {
		log_err("gpg made a signature sigknock servers refuse: %s%s",
		    sk_strerror(r), r == SK_ERR_WEAK_HASH ? " (set "
		    "personal-digest-preferences SHA512 in gpg.conf)" : "");
		goto out;
	}
	if (ps.has_issuer_fpr && memcmp(ps.issuer_fpr, t->fpr, PGP_FPR_LEN)) {
		log_err("gpg signed with another subkey than %s: name the one "
		    "it uses with --signer", t->fpr_hex);
		r = SK_ERR_SIGNER_MISMATCH;
		goto out;
	}
	if (n > cap) {
		log_err("signature of %zu bytes is too large for a datagram", n);
		r = SK_ERR_TOO_LONG;
		goto out;
	}
	memcpy(sig, mem, n);
	*siglen = n;
	r = 0;
out:
	gpgme_free(mem);
	gpgme_data_release(in);
	gpgme_data_release(out);
	return r;
}

static void
gpg_close(struct token *t)
{
	if (t == NULL)
		return;
	gpgme_key_unref(t->key);
	gpgme_release(t->ctx);
	sk_wipe(t->pin, sizeof(t->pin));
	free(t);
}

const struct token_ops token_gpg_ops = {
	.name = "gpg",
	.open = gpg_open,
	.sign = gpg_sign,
	.close = gpg_close,
};
