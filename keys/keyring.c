/* The GPGME seam for reading the keyring (only here and in the gpg token
 * backend is <gpgme.h> included). */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gpgme.h>

#include "err.h"
#include "fido2users.h"
#include "fileio.h"
#include "keyring.h"
#include "log.h"

/* A signing (sub)key GnuPG calls usable, waiting for its key material. */
struct candidate {
	uint8_t		fpr[PGP_FPR_LEN];
	uint8_t		primary_fpr[PGP_FPR_LEN];
	time_t		expires;
	long long	created;
	char		uid[KEYRING_UID_MAX];
	int		found;
	int		revoked;	/* history only */
};

struct load {
	struct candidate *c;
	size_t		  nc;
	struct keyring	 *kr;
	struct keyring_revoked *rv;	/* keys GnuPG calls revoked */
	size_t		  nrv;
	int		  history;	/* keyring_load_history */
};

static int
fprcmp(const void *a, const void *b)
{
	return memcmp(a, b, PGP_FPR_LEN);
}

static time_t
earliest(time_t a, time_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* The primary user ID's e-mail (else the whole user ID), escaped: the key
 * holder chose it, and it goes into log lines and listings (log.h). */
static void
primary_uid(gpgme_key_t key, char *out, size_t len)
{
	gpgme_user_id_t u;

	out[0] = '\0';
	for (u = key->uids; u != NULL; u = u->next) {
		if (u->revoked || u->invalid)
			continue;
		sk_log_escape(u->email && *u->email ? u->email :
		    (u->uid ? u->uid : ""), out, len);
		return;
	}
}

static int
gpgme_fail(const char *what, gpgme_error_t err)
{
	log_err("keyring: %s: %s", what, gpgme_strerror(err));
	return SK_ERR_GPGME;
}

static int
collect(struct load *ld, gpgme_key_t key)
{
	gpgme_subkey_t sk;
	struct candidate *c;
	uint8_t primary[PGP_FPR_LEN];

	if (key->subkeys == NULL || key->subkeys->fpr == NULL ||
	    pgp_fpr_parse(key->subkeys->fpr, primary) != 0)
		return 0;
	/* A revoked key's signing keys are kept to name its refusals. */
	if (key->revoked) {
		for (sk = key->subkeys; sk != NULL; sk = sk->next) {
			struct keyring_revoked *rv;

			if (!sk->can_sign || sk->fpr == NULL)
				continue;
			if ((rv = reallocarray(ld->rv, ld->nrv + 1,
			    sizeof(*rv))) == NULL)
				return SK_ERR_ALLOC;
			ld->rv = rv;
			rv = &ld->rv[ld->nrv];
			memset(rv, 0, sizeof(*rv));
			if (pgp_fpr_parse(sk->fpr, rv->fpr) != 0)
				continue;
			memcpy(rv->primary_fpr, primary, PGP_FPR_LEN);
			primary_uid(key, rv->name, sizeof(rv->name));
			ld->nrv++;
		}
		if (!ld->history)
			return 0;
	}
	/* The history keeps revoked and expired keys: what was signed
	 * before is checked against the key's expiry at that time. */
	if (key->invalid || (!ld->history && (key->expired || key->disabled)))
		return 0;
	for (sk = key->subkeys; sk != NULL; sk = sk->next) {
		/* can_sign stays set on revoked and expired (sub)keys. */
		if (!sk->can_sign || sk->invalid || (!ld->history &&
		    (sk->revoked || sk->expired || sk->disabled)))
			continue;
		c = reallocarray(ld->c, ld->nc + 1, sizeof(*c));
		if (c == NULL)
			return SK_ERR_ALLOC;
		ld->c = c;
		c = &ld->c[ld->nc];
		memset(c, 0, sizeof(*c));
		if (sk->fpr == NULL || pgp_fpr_parse(sk->fpr, c->fpr) != 0)
			continue;
		memcpy(c->primary_fpr, primary, PGP_FPR_LEN);
		c->expires = earliest((time_t)key->subkeys->expires,
		    (time_t)sk->expires);
		c->created = (long long)key->subkeys->timestamp;
		c->revoked = key->revoked || sk->revoked;
		primary_uid(key, c->uid, sizeof(c->uid));
		ld->nc++;
	}
	return 0;
}

static int
take_key(void *arg, int result, struct pgp_key *k)
{
	struct load *ld = arg;
	struct candidate *c;
	struct keyring_entry *e;
	char name[32];

	c = bsearch(k->fpr, ld->c, ld->nc, sizeof(*c), fprcmp);
	if (k->version != 4 || c == NULL || c->found)
		return 0;
	if (result != 0 || k->pk == NULL) {
		struct keyring_refusal *f = &ld->kr->refused[ld->kr->n_refused];

		c->found = 1;
		keyring_algo_name(k->algo, k->bits, name, sizeof(name));
		log_warn("keyring: signing key %02X%02X...%02X%02X (%s, %s) "
		    "left out: %s", k->fpr[0], k->fpr[1], k->fpr[18], k->fpr[19],
		    c->uid, name, sk_strerror(result));
		memcpy(f->fpr, c->fpr, PGP_FPR_LEN);
		memcpy(f->primary_fpr, c->primary_fpr, PGP_FPR_LEN);
		memcpy(f->uid, c->uid, sizeof(f->uid));
		snprintf(f->algo, sizeof(f->algo), "%s", name);
		f->err = result != 0 ? result : SK_ERR_PGP_UNSUPPORTED;
		ld->kr->n_refused++;
		return 0;
	}
	c->found = 1;
	e = &ld->kr->entries[ld->kr->n++];
	memcpy(e->fpr, c->fpr, PGP_FPR_LEN);
	memcpy(e->primary_fpr, c->primary_fpr, PGP_FPR_LEN);
	memcpy(e->uid, c->uid, sizeof(e->uid));
	e->expires = c->expires;
	e->created = c->created;
	e->revoked = c->revoked;
	e->algo = k->algo;
	e->bits = k->bits;
	e->pk = k->pk;
	k->pk = NULL;	/* ours now */
	return 0;
}

static int
load(const char *homedir, int history, struct keyring **out)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL, *keys = NULL;
	gpgme_data_t data = NULL;
	gpgme_error_t err;
	struct load ld = { NULL, 0, NULL, NULL, 0, history };
	size_t nkeys = 0, len = 0, i;
	char *mem = NULL;
	int r = SK_ERR_GPGME;

	*out = NULL;
	gpgme_check_version(NULL);
	if ((err = gpgme_new(&ctx)) != 0)
		return gpgme_fail("cannot create a GPGME context", err);
	if ((err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    homedir)) != 0 ||
	    (err = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL)) != 0) {
		r = gpgme_fail("cannot set up GnuPG", err);
		goto out;
	}
	if ((err = gpgme_op_keylist_start(ctx, NULL, 0)) != 0) {
		r = gpgme_fail("cannot list keys", err);
		goto out;
	}
	while ((err = gpgme_op_keylist_next(ctx, &key)) == 0) {
		size_t before = ld.nc;
		gpgme_key_t *nk;

		if ((r = collect(&ld, key)) != 0) {
			gpgme_key_unref(key);
			goto out;
		}
		if (ld.nc == before) {
			gpgme_key_unref(key);
			continue;
		}
		if ((nk = reallocarray(keys, nkeys + 2, sizeof(*keys))) == NULL) {
			gpgme_key_unref(key);
			r = SK_ERR_ALLOC;
			goto out;
		}
		keys = nk;
		keys[nkeys++] = key;
		keys[nkeys] = NULL;
	}
	if (gpgme_err_code(err) != GPG_ERR_EOF) {
		r = gpgme_fail("key listing failed", err);
		goto out;
	}
	r = SK_ERR_ALLOC;
	if ((ld.kr = calloc(1, sizeof(*ld.kr))) == NULL)
		goto out;
	ld.kr->revoked = ld.rv;
	ld.kr->n_revoked = ld.nrv;
	ld.rv = NULL;
	keyring_sort_revoked(ld.kr);
	if (nkeys > 0) {
		if ((ld.kr->entries = calloc(ld.nc, sizeof(*ld.kr->entries))) ==
		    NULL || (ld.kr->refused = calloc(ld.nc,
		    sizeof(*ld.kr->refused))) == NULL)
			goto out;
		if ((err = gpgme_data_new(&data)) != 0 ||
		    (err = gpgme_op_export_keys(ctx, keys,
		    GPGME_EXPORT_MODE_MINIMAL, data)) != 0) {
			r = gpgme_fail("cannot export keys", err);
			goto out;
		}
		mem = gpgme_data_release_and_get_mem(data, &len);
		data = NULL;
		qsort(ld.c, ld.nc, sizeof(*ld.c), fprcmp);
		if ((r = pgp_keys_walk((const uint8_t *)mem, len, take_key,
		    &ld)) != 0) {
			log_err("keyring: cannot parse GnuPG's export: %s",
			    sk_strerror(r));
			goto out;
		}
		qsort(ld.kr->entries, ld.kr->n, sizeof(*ld.kr->entries), fprcmp);
	}
	*out = ld.kr;
	ld.kr = NULL;
	r = 0;
out:
	keyring_free(ld.kr);
	free(ld.rv);
	free(ld.c);
	gpgme_free(mem);
	gpgme_data_release(data);
	for (i = 0; i < nkeys; i++)
		gpgme_key_unref(keys[i]);
	free(keys);
	gpgme_release(ctx);
	return r;
}

int
keyring_load(const char *homedir, struct keyring **out)
{
	return load(homedir, 0, out);
}

int
keyring_load_history(const char *homedir, struct keyring **out)
{
	return load(homedir, 1, out);
}

void
keyring_free(struct keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->n; i++)
		crypto_pubkey_free(kr->entries[i].pk);
	free(kr->entries);
	free(kr->refused);
	free(kr->revoked);
	free(kr);
}

int
keyring_add_revoked(struct keyring *kr, const uint8_t *fpr,
    const uint8_t *primary_fpr, const char *name)
{
	struct keyring_revoked *rv;

	if ((rv = reallocarray(kr->revoked, kr->n_revoked + 1,
	    sizeof(*rv))) == NULL)
		return SK_ERR_ALLOC;
	kr->revoked = rv;
	rv = &kr->revoked[kr->n_revoked++];
	memset(rv, 0, sizeof(*rv));
	memcpy(rv->fpr, fpr, PGP_FPR_LEN);
	memcpy(rv->primary_fpr, primary_fpr, PGP_FPR_LEN);
	snprintf(rv->name, sizeof(rv->name), "%s", name);
	return 0;
}

void
keyring_sort_revoked(struct keyring *kr)
{
	if (kr->n_revoked > 1)
		qsort(kr->revoked, kr->n_revoked, sizeof(*kr->revoked),
		    fprcmp);
}

const struct keyring_revoked *
keyring_lookup_revoked(const struct keyring *kr, const uint8_t *fpr,
    size_t len)
{
	if (kr == NULL || len != PGP_FPR_LEN || kr->n_revoked == 0)
		return NULL;
	return bsearch(fpr, kr->revoked, kr->n_revoked, sizeof(*kr->revoked),
	    fprcmp);
}

int
keyring_has_primary(const struct keyring *kr, const uint8_t fpr[PGP_FPR_LEN])
{
	size_t i;

	for (i = 0; kr != NULL && i < kr->n; i++)
		if (memcmp(kr->entries[i].primary_fpr, fpr, PGP_FPR_LEN) == 0)
			return 1;
	return 0;
}

int
keyring_check_perms(const char *homedir)
{
	static const char *files[] = { "gpg.conf", "gpg-agent.conf",
	    "common.conf", "dirmngr.conf", "pubring.kbx", "pubring.gpg",
	    "trustdb.gpg", USERS_FILE, FIDO2_USERS_FILE };
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int r;

	if (stat(homedir, &st) != 0) {
		log_err("keyring %s: %s", homedir, strerror(errno));
		return SK_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_err("keyring %s is not a directory", homedir);
		return SK_ERR_IO;
	}
	if ((r = file_check_private_st(homedir, &st, "keyring")) != 0)
		return r;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", homedir, files[i]);
		r = file_check_private(path, "keyring file");
		if (r != 0 && !(r == SK_ERR_IO && errno == ENOENT))
			return r;
	}
	return 0;
}

int
keyring_apply_users(const char *homedir, struct keyring *kr,
    struct fido2_users *fu, int flags)
{
	int record = (flags & KEYRING_RECORD) != 0;
	struct users u;
	struct users_key *keys = NULL;
	struct fido2_record *recs = NULL;
	uint8_t id[FIDO2_ID_LEN];
	size_t nkeys = 0, nrecs = 0, i, j, m2;
	int *named = NULL, lock = -1, r;

	if (record && (lock = users_lock(homedir)) < 0)
		return lock;
	if ((r = users_read(homedir, &u)) != 0)
		goto out;
	if ((r = fido2_users_read(homedir, &recs, &nrecs)) != 0)
		goto out;
	r = SK_ERR_ALLOC;
	if ((keys = calloc((kr ? kr->n : 0) + 1, sizeof(*keys))) == NULL ||
	    (named = calloc(nrecs + 1, sizeof(*named))) == NULL)
		goto out;
	/* One users_key per primary key: entries sorted by signing key. */
	for (i = 0; kr != NULL && i < kr->n; i++) {
		for (j = 0; j < nkeys; j++)
			if (memcmp(keys[j].fpr, kr->entries[i].primary_fpr,
			    PGP_FPR_LEN) == 0)
				break;
		if (j < nkeys)
			continue;
		memcpy(keys[nkeys].fpr, kr->entries[i].primary_fpr,
		    PGP_FPR_LEN);
		keys[nkeys].created = kr->entries[i].created;
		keys[nkeys].uid = kr->entries[i].uid;
		nkeys++;
	}
	if ((r = users_resolve(&u, keys, nkeys, recs, nrecs, named, 1)) != 0)
		goto out;
	if (record && u.dirty && (r = users_write(homedir, &u)) != 0)
		goto out;
	/* Names into the entries; the ledger's revocations out of kr. */
	for (i = 0, j = 0; kr != NULL && i < kr->n; i++) {
		struct keyring_entry *e = &kr->entries[i];
		const struct users_key *k = NULL;
		size_t m;

		for (m = 0; m < nkeys && k == NULL; m++)
			if (memcmp(keys[m].fpr, e->primary_fpr, PGP_FPR_LEN) == 0)
				k = &keys[m];
		if (k != NULL && k->revoked && (flags & KEYRING_KEEP_REVOKED))
			e->revoked = 1;
		else if (k != NULL && k->revoked) {
			/* Named in its refusals from now on. */
			if (keyring_add_revoked(kr, e->fpr, e->primary_fpr,
			    k->name ? k->name : e->uid) != 0) {
				r = SK_ERR_ALLOC;
				goto out;
			}
			crypto_pubkey_free(e->pk);
			continue;
		}
		snprintf(e->name, sizeof(e->name), "%s", k != NULL && k->name ?
		    k->name : "");
		kr->entries[j++] = *e;
	}
	if (kr != NULL) {
		kr->n = j;
		/* Keys a certificate revoked: the ledger's name, if any. */
		for (i = 0; i < kr->n_revoked; i++)
			for (m2 = 0; m2 < u.n; m2++)
				if (u.e[m2].name[0] != '\0' &&
				    memcmp(u.e[m2].fpr, kr->revoked[i].primary_fpr,
				    PGP_FPR_LEN) == 0)
					snprintf(kr->revoked[i].name,
					    sizeof(kr->revoked[i].name), "%s",
					    u.e[m2].name);
		keyring_sort_revoked(kr);
	}
	for (i = 0; fu != NULL && i < fu->n; i++)
		for (j = 0; j < nrecs; j++)
			if (fido2_signer_id(&recs[j], id) == 0 &&
			    memcmp(id, fu->u[i].id, FIDO2_ID_LEN) == 0 &&
			    !named[j])
				fu->u[i].rec.name[0] = '\0';
	r = 0;
out:
	users_clear(&u);
	free(keys);
	free(recs);
	free(named);
	users_unlock(lock);
	return r;
}

const struct keyring_entry *
keyring_lookup(const struct keyring *kr, const uint8_t *fpr, size_t len)
{
	if (kr == NULL || len != PGP_FPR_LEN || kr->n == 0)
		return NULL;
	return bsearch(fpr, kr->entries, kr->n, sizeof(*kr->entries), fprcmp);
}

int
keyring_verify(const struct keyring *kr, const uint8_t *signer_id, size_t idlen,
    const uint8_t *sigp, size_t siglen, const uint8_t *msg, size_t msglen,
    time_t now, unsigned skew, const struct keyring_entry **who)
{
	const struct keyring_entry *e;
	struct pgp_sig sig;
	int r;

	*who = NULL;
	if ((r = pgp_sig_parse(sigp, siglen, &sig)) != 0)
		return r;
	if (sig.has_issuer_fpr && (idlen != PGP_FPR_LEN ||
	    memcmp(sig.issuer_fpr, signer_id, PGP_FPR_LEN) != 0))
		return SK_ERR_SIGNER_MISMATCH;
	if ((e = keyring_lookup(kr, signer_id, idlen)) == NULL)
		return SK_ERR_UNKNOWN_SIGNER;
	if (e->expires != 0 && now >= e->expires)
		return SK_ERR_KEY_EXPIRED;
	if ((r = pgp_sig_verify(&sig, e->pk, e->algo, msg, msglen, now,
	    skew)) != 0)
		return r;
	*who = e;
	return 0;
}

const char *
keyring_algo_name(uint8_t algo, unsigned bits, char *buf, size_t len)
{
	switch (algo) {
	case PGP_PK_RSA:
	case PGP_PK_RSA_S:
		snprintf(buf, len, "rsa%u", bits);
		break;
	case PGP_PK_ECDSA:
		snprintf(buf, len, "nistp%u", bits);
		break;
	case PGP_PK_EDDSA:
		snprintf(buf, len, "ed25519");
		break;
	default:
		snprintf(buf, len, "algorithm %u", algo);
		break;
	}
	return buf;
}

/* ---- administration (sigknock-keys) ---- */

int
keyring_ensure_dir(const char *homedir)
{
	struct stat st;

	if (stat(homedir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_err("keyring %s is not a directory", homedir);
			return SK_ERR_IO;
		}
		return 0;
	}
	if (errno != ENOENT || mkdir(homedir, 0700) != 0) {
		log_err("keyring %s: %s", homedir, strerror(errno));
		return SK_ERR_IO;
	}
	return 0;
}

static int
new_ctx(const char *homedir, gpgme_ctx_t *ctx)
{
	gpgme_error_t err;

	gpgme_check_version(NULL);
	if ((err = gpgme_new(ctx)) != 0)
		return gpgme_fail("cannot create a GPGME context", err);
	if ((err = gpgme_set_protocol(*ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (err = gpgme_ctx_set_engine_info(*ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    homedir)) != 0) {
		gpgme_release(*ctx);
		*ctx = NULL;
		return gpgme_fail("cannot set up GnuPG", err);
	}
	return 0;
}

static void
key_info(gpgme_key_t key, struct keyring_info *ki)
{
	gpgme_subkey_t sk, best = NULL;
	char *algo;

	memset(ki, 0, sizeof(*ki));
	snprintf(ki->fpr, sizeof(ki->fpr), "%s", key->subkeys && key->subkeys->fpr ?
	    key->subkeys->fpr : "");
	ki->created = key->subkeys ? (long long)key->subkeys->timestamp : 0;
	primary_uid(key, ki->uid, sizeof(ki->uid));
	for (sk = key->subkeys; sk != NULL; sk = sk->next)
		if (sk->can_sign && !sk->revoked && !sk->expired &&
		    !sk->disabled && !sk->invalid &&
		    (best == NULL || sk->timestamp >= best->timestamp))
			best = sk;
	if (best != NULL) {
		snprintf(ki->sign_fpr, sizeof(ki->sign_fpr), "%s", best->fpr);
		if ((algo = gpgme_pubkey_algo_string(best)) != NULL) {
			snprintf(ki->algo, sizeof(ki->algo), "%s", algo);
			gpgme_free(algo);
		}
	} else if (key->subkeys && (algo = gpgme_pubkey_algo_string(key->subkeys))) {
		snprintf(ki->algo, sizeof(ki->algo), "%s", algo);
		gpgme_free(algo);
	}
	if (key->revoked)
		ki->state = "revoked";
	else if (key->expired)
		ki->state = "expired";
	else if (key->disabled)
		ki->state = "disabled";
	else if (key->invalid)
		ki->state = "invalid";
	else if (best == NULL)
		ki->state = "no-signing-key";
	else
		ki->state = "valid";
}

/* Call cb for every key matching pattern (NULL: all). */
static int
list_keys(gpgme_ctx_t ctx, const char *pattern, keyring_info_cb cb, void *arg,
    size_t *count)
{
	gpgme_key_t key;
	gpgme_error_t err;
	struct keyring_info ki;

	*count = 0;
	if ((err = gpgme_op_keylist_start(ctx, pattern, 0)) != 0)
		return gpgme_fail("cannot list keys", err);
	while ((err = gpgme_op_keylist_next(ctx, &key)) == 0) {
		key_info(key, &ki);
		if (cb != NULL)
			cb(arg, &ki);
		(*count)++;
		gpgme_key_unref(key);
	}
	if (gpgme_err_code(err) != GPG_ERR_EOF)
		return gpgme_fail("key listing failed", err);
	return 0;
}

int
keyring_list(const char *homedir, keyring_info_cb cb, void *arg)
{
	gpgme_ctx_t ctx;
	size_t n;
	int r;

	if ((r = new_ctx(homedir, &ctx)) != 0)
		return r;
	r = list_keys(ctx, NULL, cb, arg, &n);
	gpgme_release(ctx);
	return r;
}

int
keyring_export(const char *homedir, const char *id, uint8_t **out,
    size_t *len, struct keyring_info *ki)
{
	gpgme_ctx_t ctx;
	gpgme_key_t key, other;
	gpgme_data_t d = NULL;
	gpgme_error_t err;
	char *p;
	size_t n;
	int r = SK_ERR_BAD_FIELD;

	*out = NULL;
	*len = 0;
	if (new_ctx(homedir, &ctx) != 0)
		return SK_ERR_IO;
	if ((err = gpgme_op_keylist_start(ctx, id, 0)) != 0) {
		gpgme_fail("cannot list keys", err);
		goto out;
	}
	if ((err = gpgme_op_keylist_next(ctx, &key)) != 0) {
		log_err("%s: no key matches '%s'", homedir, id);
		gpgme_op_keylist_end(ctx);
		goto out;
	}
	if (gpgme_op_keylist_next(ctx, &other) == 0) {
		log_err("%s: several keys match '%s' (%s and %s at least); "
		    "name one by its fingerprint", homedir, id,
		    key->subkeys->fpr, other->subkeys->fpr);
		gpgme_key_unref(other);
		gpgme_key_unref(key);
		gpgme_op_keylist_end(ctx);
		goto out;
	}
	gpgme_op_keylist_end(ctx);
	key_info(key, ki);
	/* Export by the primary fingerprint: the key found, no other. */
	if ((err = gpgme_data_new(&d)) != 0 ||
	    (err = gpgme_op_export(ctx, key->subkeys->fpr, 0, d)) != 0) {
		gpgme_key_unref(key);
		gpgme_fail("cannot export the key", err);
		goto out;
	}
	gpgme_key_unref(key);
	if ((p = gpgme_data_release_and_get_mem(d, &n)) == NULL || n == 0) {
		d = NULL;
		gpgme_free(p);
		log_err("%s: GnuPG exported nothing for '%s'", homedir, id);
		goto out;
	}
	d = NULL;
	if ((*out = malloc(n)) == NULL) {
		gpgme_free(p);
		r = SK_ERR_ALLOC;
		goto out;
	}
	memcpy(*out, p, n);
	*len = n;
	gpgme_free(p);
	r = 0;
out:
	if (d != NULL)
		gpgme_data_release(d);
	gpgme_release(ctx);
	return r;
}

void
keyring_stop_agent(const char *homedir)
{
	const char *gpgconf;
	char *argv[6];
	pid_t pid;
	int st;

	gpgme_check_version(NULL);
	if (homedir == NULL || access(homedir, F_OK) != 0 ||
	    (gpgconf = gpgme_get_dirinfo("gpgconf-name")) == NULL)
		return;
	argv[0] = (char *)"gpgconf";
	argv[1] = (char *)"--homedir";
	argv[2] = (char *)homedir;
	argv[3] = (char *)"--kill";
	argv[4] = (char *)"gpg-agent";
	argv[5] = NULL;
	if (posix_spawn(&pid, gpgconf, NULL, NULL, argv, environ) != 0)
		return;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

#define KEYRING_ADD_MAX	64	/* keys per sigknock-keys add input */

const char *
keyring_refusal(const struct keyring *kr, const struct keyring_info *ki,
    char *buf, size_t len)
{
	uint8_t fpr[PGP_FPR_LEN];
	size_t i;

	if (strcmp(ki->state, "valid") != 0) {
		snprintf(buf, len, "%s", strcmp(ki->state, "no-signing-key") ==
		    0 ? "no usable signing key" : ki->state);
		return buf;
	}
	if (pgp_fpr_parse(ki->fpr, fpr) != 0) {
		snprintf(buf, len, "unreadable fingerprint");
		return buf;
	}
	if (keyring_has_primary(kr, fpr))
		return NULL;
	for (i = 0; kr != NULL && i < kr->n_refused; i++)
		if (memcmp(kr->refused[i].primary_fpr, fpr, PGP_FPR_LEN) == 0) {
			snprintf(buf, len, "%s: %s", kr->refused[i].algo,
			    sk_strerror(kr->refused[i].err));
			return buf;
		}
	snprintf(buf, len, "no signing key sigknock accepts");
	return buf;
}

struct check {
	int			 bad;
	size_t			 n;
	char			 (*fprs)[PGP_FPR_HEX_LEN + 1];
	const struct keyring	*kr;
	int			 (*vet)(void *, const struct keyring_info *);
	void			*arg;
};

static void
check_key(void *arg, const struct keyring_info *ki)
{
	struct check *c = arg;
	char why[128];

	if (keyring_refusal(c->kr, ki, why, sizeof(why)) != NULL) {
		log_err("key %s (%s): %s: sigknockd would not accept it, "
		    "refused", ki->fpr, ki->uid[0] ? ki->uid : "no user id",
		    why);
		c->bad++;
		return;
	}
	if (c->vet != NULL && c->vet(c->arg, ki) != 0) {
		c->bad++;
		return;
	}
	if (c->n < KEYRING_ADD_MAX)
		snprintf(c->fprs[c->n++], sizeof(c->fprs[0]), "%s", ki->fpr);
}

int
keyring_add_keys(const char *homedir, const uint8_t *data, size_t len,
    int (*vet)(void *, const struct keyring_info *), keyring_info_cb cb,
    void *arg)
{
	char tmpl[] = "/tmp/sigknock-import.XXXXXX";
	char fprs[KEYRING_ADD_MAX][PGP_FPR_HEX_LEN + 1];
	gpgme_ctx_t tctx = NULL, ctx = NULL;
	gpgme_data_t in = NULL, ex = NULL;
	gpgme_import_result_t ir;
	gpgme_error_t err;
	struct keyring *kr = NULL;
	struct check c = { 0, 0, fprs, NULL, vet, arg };
	size_t n, i;
	int r;

	if ((r = keyring_ensure_dir(homedir)) != 0)
		return r;
	if (mkdtemp(tmpl) == NULL) {
		log_err("cannot make a temporary keyring: %s", strerror(errno));
		return SK_ERR_IO;
	}
	/* Vet the keys in a scratch keyring first, by the daemon's own
	 * rules: nothing reaches the real one unless every key passes. */
	if ((r = new_ctx(tmpl, &tctx)) != 0)
		goto out;
	r = SK_ERR_GPGME;
	if ((err = gpgme_data_new_from_mem(&in, (const char *)data, len, 0)) ||
	    (err = gpgme_op_import(tctx, in))) {
		r = gpgme_fail("import failed", err);
		goto out;
	}
	ir = gpgme_op_import_result(tctx);
	if ((r = keyring_load(tmpl, &kr)) != 0)
		goto out;
	c.kr = kr;
	if ((r = list_keys(tctx, NULL, check_key, &c, &n)) != 0)
		goto out;
	if (n == 0) {
		log_err("no OpenPGP public key found in the input%s",
		    ir && ir->considered ? " (only signatures or secret keys?)" : "");
		r = SK_ERR_PGP_FORMAT;
		goto out;
	}
	if (c.bad == 0 && c.n != n)
		log_err("%zu keys in one input: at most %zu at a time, split it",
		    n, sizeof(fprs) / sizeof(fprs[0]));
	if (c.bad > 0 || c.n != n) {
		r = SK_ERR_UNKNOWN_SIGNER;
		goto out;
	}
	if ((err = gpgme_data_new(&ex)) ||
	    (err = gpgme_op_export(tctx, NULL, 0, ex)) ||
	    gpgme_data_seek(ex, 0, SEEK_SET) != 0) {
		r = gpgme_fail("export from the scratch keyring failed", err);
		goto out;
	}
	if ((r = new_ctx(homedir, &ctx)) != 0)
		goto out;
	if ((err = gpgme_op_import(ctx, ex)) != 0) {
		r = gpgme_fail("import into the keyring failed", err);
		goto out;
	}
	for (i = 0; i < c.n; i++)
		if ((r = list_keys(ctx, c.fprs[i], cb, arg, &n)) != 0)
			goto out;
	r = 0;
out:
	keyring_free(kr);
	gpgme_data_release(in);
	gpgme_data_release(ex);
	gpgme_release(tctx);
	gpgme_release(ctx);
	keyring_stop_agent(tmpl);
	nftw(tmpl, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return r;
}

int
keyring_import_revocation(const char *homedir, const uint8_t *data, size_t len,
    keyring_info_cb cb, void *arg)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL;
	gpgme_import_result_t ir;
	gpgme_import_status_t st;
	gpgme_error_t err;
	gpgme_key_t key;
	struct keyring_info ki;
	int r, found = 0;

	if ((r = new_ctx(homedir, &ctx)) != 0)
		return r;
	r = SK_ERR_GPGME;
	if ((err = gpgme_data_new_from_mem(&in, (const char *)data, len, 0)) ||
	    (err = gpgme_op_import(ctx, in))) {
		r = gpgme_fail("import failed", err);
		goto out;
	}
	ir = gpgme_op_import_result(ctx);
	for (st = ir ? ir->imports : NULL; st != NULL; st = st->next) {
		if (st->fpr == NULL || gpgme_get_key(ctx, st->fpr, &key, 0) != 0)
			continue;
		key_info(key, &ki);
		gpgme_key_unref(key);
		if (strcmp(ki.state, "revoked") == 0) {
			found++;
			if (cb != NULL)
				cb(arg, &ki);
		}
	}
	if (found == 0) {
		log_err("no key in %s was revoked by this input: it is not a "
		    "revocation certificate for a key in the keyring", homedir);
		r = SK_ERR_UNKNOWN_SIGNER;
		goto out;
	}
	r = 0;
out:
	gpgme_data_release(in);
	gpgme_release(ctx);
	return r;
}
