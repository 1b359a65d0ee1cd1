#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fido2users.h"
#include "fileio.h"
#include "log.h"

#define FILE_MAX	(FIDO2_RECORDS_MAX * 2048)

int
fido2_read_file(const char *path, struct fido2_record **recs, size_t *n)
{
	struct fido2_parse_err e;
	struct stat st;
	char *buf;
	size_t len;
	FILE *f;
	int r;

	*recs = NULL;
	*n = 0;
	if ((f = fopen(path, "r")) == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size > FILE_MAX ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		log_err("%s: cannot read it (over %d bytes?)", path, FILE_MAX);
		fclose(f);
		return SK_ERR_IO;
	}
	len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (len == 0) {
		free(buf);
		return 0;		/* empty: no records */
	}
	if ((r = fido2_parse(buf, len, recs, n, &e)) != 0)
		log_err("%s:%u: %s", path, e.line, e.why);
	free(buf);
	return r;
}

int
fido2_users_read(const char *dir, struct fido2_record **recs, size_t *n)
{
	char path[PATH_MAX];

	*recs = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/" FIDO2_USERS_FILE, dir);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;		/* no FIDO2 user yet */
	return fido2_read_file(path, recs, n);
}

int
fido2_users_write(const char *dir, const struct fido2_record *recs, size_t n)
{
	char path[PATH_MAX], *buf;
	size_t i, off = 0, cap = (n + 1) * 2048;
	int r = SK_ERR_NO_SPACE;

	snprintf(path, sizeof(path), "%s/" FIDO2_USERS_FILE, dir);
	if ((buf = malloc(cap)) == NULL)
		return SK_ERR_ALLOC;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (fido2_format(&recs[i], buf, cap, &off) != 0)
			goto out;
		if (i + 1 < n && off + 1 < cap) {
			buf[off++] = '\n';	/* a blank line between records */
			buf[off] = '\0';
		}
	}
	r = file_write_atomic(path, buf, off, 0644);
out:
	free(buf);
	return r;
}

static int
cmp_user(const void *a, const void *b)
{
	return memcmp(((const struct fido2_user *)a)->id,
	    ((const struct fido2_user *)b)->id, FIDO2_ID_LEN);
}

int
fido2_users_build(const struct fido2_record *recs, size_t n, const char *where,
    struct fido2_users **out)
{
	struct fido2_users *fu;
	size_t i;

	*out = NULL;
	if ((fu = calloc(1, sizeof(*fu))) == NULL ||
	    (n > 0 && (fu->u = calloc(n, sizeof(*fu->u))) == NULL)) {
		free(fu);
		return SK_ERR_ALLOC;
	}
	for (i = 0; i < n; i++) {
		struct fido2_user *u = &fu->u[fu->n];

		if (recs[i].kind != FIDO2_ENROLLMENT || recs[i].revoked[0])
			continue;
		u->rec = recs[i];
		if (fido2_signer_id(&u->rec, u->id) != 0 ||
		    crypto_sha256(u->rec.rp, strlen(u->rec.rp), u->rp_hash) ||
		    fido2_pubkey(&u->rec, &u->pk) != 0) {
			log_err("%s:%u: '%s': not a valid %s public key; left "
			    "out", where, recs[i].line, recs[i].name,
			    fido2_alg_name(recs[i].alg));
			continue;
		}
		fu->n++;
	}
	if (fu->n > 1)
		qsort(fu->u, fu->n, sizeof(*fu->u), cmp_user);
	*out = fu;
	return 0;
}

int
fido2_users_load(const char *dir, struct fido2_users **out)
{
	struct fido2_record *recs;
	char where[PATH_MAX + 32];
	size_t n;
	int r;

	*out = NULL;
	if ((r = fido2_users_read(dir, &recs, &n)) != 0)
		return r;
	snprintf(where, sizeof(where), "%s/" FIDO2_USERS_FILE, dir);
	r = fido2_users_build(recs, n, where, out);
	free(recs);
	return r;
}

const struct fido2_user *
fido2_users_lookup(const struct fido2_users *fu, const uint8_t *id, size_t len)
{
	struct fido2_user key;

	if (fu == NULL || len != FIDO2_ID_LEN || fu->n == 0)
		return NULL;
	memcpy(key.id, id, FIDO2_ID_LEN);
	return bsearch(&key, fu->u, fu->n, sizeof(*fu->u), cmp_user);
}

void
fido2_users_free(struct fido2_users *fu)
{
	size_t i;

	if (fu == NULL)
		return;
	for (i = 0; i < fu->n; i++)
		crypto_pubkey_free(fu->u[i].pk);
	free(fu->u);
	free(fu);
}
