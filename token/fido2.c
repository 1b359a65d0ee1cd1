/* The "fido2" token: a FIDO2 security key through libfido2.  The signer
 * is the credential in a credential file written by `sigknock-token
 * enroll`; the signature field is authenticatorData and the assertion
 * signature over it and clientDataHash = SHA-256(signed message)
 * (PROTOCOL.md section 4.2). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fido2.h"
#include "fido2dev.h"
#include "fido2users.h"
#include "log.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"

struct token {
	struct fido2_record	 cred;
	char			 path[4096];
	const char		*device;	/* from the options, or NULL */
	int			 timeout_s;
};

/* Read a credential file (errors logged). */
static int
load(const char *path, struct fido2_record *out)
{
	struct fido2_record *recs;
	size_t n;
	int r;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		log_err("credential file %s: %s (make one with "
		    "'sigknock-token enroll -o %s')", path, strerror(ENOENT),
		    path);
		return SK_ERR_IO;
	}
	if ((r = fido2_read_file(path, &recs, &n)) != 0)
		return r;
	if (n != 1 || recs[0].kind != FIDO2_CREDENTIAL) {
		log_err("%s: not a credential file (one 'sigknock-fido2 "
		    "credential v1' record)", path);
		free(recs);
		return SK_ERR_BAD_FIELD;
	}
	*out = recs[0];
	free(recs);
	return 0;
}

static int
fido2_open(struct token **out, const struct token_opts *o,
    uint8_t *signer_type, uint8_t *id, size_t *idlen)
{
	struct token *t;
	const char *home = getenv("HOME");

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SK_ERR_ALLOC;
	if (o->credential != NULL)
		snprintf(t->path, sizeof(t->path), "%s", o->credential);
	else
		snprintf(t->path, sizeof(t->path), "%s/" TOKEN_FIDO2_CREDENTIAL,
		    home ? home : ".");
	if (load(t->path, &t->cred) != 0) {
		free(t);
		return SK_ERR_IO;
	}
	t->device = o->device;
	t->timeout_s = o->touch_timeout > 0 ? o->touch_timeout :
	    TOKEN_FIDO2_TOUCH_S;
	*signer_type = SK_SIGNER_FIDO2;
	fido2_signer_id(&t->cred, id);
	*idlen = FIDO2_ID_LEN;
	if (o->verbose)
		log_info("FIDO2 credential '%s' (%s, rp %s) from %s",
		    t->cred.name, fido2_alg_name(t->cred.alg), t->cred.rp,
		    t->path);
	*out = t;
	return 0;
}

/* One assertion over msg into a signature field (PROTOCOL.md 4.2),
 * checked against the credential's public key. */
static int
assert_once(const struct fido2_record *cred, const char *device,
    int timeout_s, const uint8_t *msg, size_t len, uint8_t *field,
    size_t cap, size_t *fieldlen)
{
	struct crypto_pubkey *pk = NULL;
	struct fido2_assertion as;
	fido_dev_t *dev = NULL;
	fido_assert_t *a = NULL;
	const unsigned char *ad;
	uint8_t cdh[32];
	size_t adlen;
	int e, r = SK_ERR_IO;

	*fieldlen = 0;
	if ((r = crypto_sha256(msg, len, cdh)) != 0)
		return r;
	r = SK_ERR_IO;
	if (fido2dev_open(fido2dev_choose(device, cred->device), timeout_s,
	    &dev) != 0)
		return r;
	if ((a = fido_assert_new()) == NULL ||
	    fido_assert_set_rp(a, cred->rp) != FIDO_OK ||
	    fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)) != FIDO_OK ||
	    fido_assert_allow_cred(a, cred->cred, cred->credlen) != FIDO_OK ||
	    fido_assert_set_up(a, FIDO_OPT_TRUE) != FIDO_OK) {
		log_err("cannot prepare the assertion");
		goto out;
	}
	fprintf(stderr, "Touch your security key...\n");
	if ((e = fido_dev_get_assert(dev, a, NULL)) != FIDO_OK) {
		if (e == FIDO_ERR_RX || e == FIDO_ERR_TIMEOUT)
			log_err("no touch within %d s: %s", timeout_s,
			    fido2dev_strerror(e));
		else
			log_err("the security key did not sign: %s",
			    fido2dev_strerror(e));
		goto out;
	}
	if (fido_assert_count(a) != 1 ||
	    fido2dev_unwrap(fido_assert_authdata_ptr(a, 0),
	    fido_assert_authdata_len(a, 0), &ad, &adlen) != 0 ||
	    fido2_sig_encode(ad, adlen, fido_assert_sig_ptr(a, 0),
	    fido_assert_sig_len(a, 0), field, cap, fieldlen) != 0) {
		log_err("the security key's answer does not fit a knock");
		goto out;
	}
	/* Check the signature here: a credential file that does not belong
	 * to this key fails now with a clear message instead of a silent
	 * refusal at the server.  The presence and RP rules are the server's
	 * to enforce; a clear presence flag is only reported. */
	if ((r = fido2_pubkey(cred, &pk)) != 0 ||
	    (r = fido2_check_sig(pk, cred->alg, field, *fieldlen, msg, len,
	    &as)) != 0) {
		log_err("the security key's assertion does not verify with the "
		    "credential's public key: %s", sk_strerror(r));
		r = SK_ERR_BAD_SIGNATURE;
		goto out;
	}
	if (!(as.flags & FIDO2_FLAG_UP))
		log_warn("the security key reports no touch (user-presence "
		    "flag clear); the server will refuse this knock");
	r = 0;
out:
	crypto_pubkey_free(pk);
	fido_assert_free(&a);
	fido2dev_close(dev);
	sk_wipe(cdh, sizeof(cdh));
	return r;
}

static int
fido2_sign(struct token *t, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	return assert_once(&t->cred, t->device, t->timeout_s, msg, len,
	    sig, cap, siglen);
}

static void
fido2_close(struct token *t)
{
	free(t);
}

const struct token_ops token_fido2_ops = {
	"fido2", fido2_open, fido2_sign, fido2_close,
};
