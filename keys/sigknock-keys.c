/* sigknock-keys: the server key pair and the users' keys. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fido2.h"
#include "fido2users.h"
#include "fwknop.h"
#include "import-fwknop.h"
#include "audit-check.h"
#include "keyring.h"
#include "fileio.h"
#include "log.h"
#include "paths.h"
#include "serverkey.h"
#include "users.h"
#include "wipe.h"

#define DEFAULT_KEYRING	SK_KEYRING_DIR
#define INPUT_MAX	(4u << 20)
#define SYNOPSIS	"sigknock-keys [-k KEYRING] COMMAND [ARGS]"

static const char *keyring = DEFAULT_KEYRING;

static int cmd_init_server(int, char **);
static int cmd_pubkey(int, char **);
static int cmd_rotate_server(int, char **);
static int cmd_add(int, char **);
static int cmd_revoke(int, char **);
static int cmd_unrevoke(int, char **);
static int cmd_name(int, char **);
static int cmd_list(int, char **);
static int cmd_import_fwknop(int, char **);
static int cmd_audit(int, char **);

/* Where "added ..." lines go: standard output, but standard error while
 * import-fwknop may be writing the access file there. */
static FILE *said;

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*args;
	const char	*help;
} cmds[] = {
	{ "init-server", cmd_init_server, "-o FILE",
	  "make the server key pair; print its public key" },
	{ "pubkey", cmd_pubkey, "FILE", "print the public key of a server key file" },
	{ "rotate-server", cmd_rotate_server, "FILE",
	  "new server key in FILE; the old one to FILE.previous" },
	{ "add", cmd_add, "[--name NAME] FILE...",
	  "add users' OpenPGP public keys or FIDO2 enrollment\n"
	  "                         records (- for stdin); NAME: the name access\n"
	  "                         files use (default: the key's e-mail)" },
	{ "revoke", cmd_revoke, "USER|FILE",
	  "lock a user out (name, e-mail, fingerprint, key id, fido2:ID),\n"
	  "                         or import a revocation certificate" },
	{ "unrevoke", cmd_unrevoke, "USER", "undo a revoke" },
	{ "name", cmd_name, "USER NAME", "give a user the name access files use" },
	{ "list", cmd_list, "[USER]", "list users: names, key types and states" },
	{ "import-fwknop", cmd_import_fwknop, "ACCESS.CONF",
	  "fwknopd's access.conf as a sigknock access\n"
	  "                         file (-o FILE; default: standard output), its\n"
	  "                         GnuPG users added (from --gpg-home DIR)" },
	{ "audit", cmd_audit, "[--json] FILE...",
	  "check sigknockd's AuditLog: every record's\n"
	  "                         signature and the chain; who opened what\n"
	  "                         (rotated files first, oldest first)" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sigknock-keys [-k KEYRING] COMMAND [ARGS]\n\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-11s %-12s %s\n", cmds[i].name, cmds[i].args,
		    cmds[i].help);
	fprintf(f, "\n  -k KEYRING   GnuPG home directory of the users' keys "
	    "(default %s)\n  -h           this help\n  -V           version\n"
	    "\nUSER: a name, an e-mail address, a fingerprint or long key id, or\n"
	    "fido2:ID, as 'list' shows them.  See sigknock-keys(8).\n",
	    DEFAULT_KEYRING);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(INPUT_MAX)) == NULL) {
		log_err("out of memory");
		goto out;
	}
	n = fread(buf, 1, INPUT_MAX, f);
	if (ferror(f) || (n == INPUT_MAX && !feof(f))) {
		log_err("%s: %s", path, ferror(f) ? "read error" :
		    "larger than 4 MiB");
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = n;
out:
	if (f != stdin)
		fclose(f);
	return buf;
}

/* The keys a revocation certificate revoked. */
static char revoked_fprs[16][PGP_FPR_HEX_LEN + 1];
static size_t n_revoked;

static void
revoked_cb(void *arg, const struct keyring_info *ki)
{
	(void)arg;
	printf("revoked %s %s %s\n", ki->fpr, ki->algo[0] ? ki->algo : "-",
	    ki->uid[0] ? ki->uid : "(no user id)");
	if (n_revoked < sizeof(revoked_fprs) / sizeof(revoked_fprs[0]))
		snprintf(revoked_fprs[n_revoked++], sizeof(revoked_fprs[0]),
		    "%s", ki->fpr);
}

static int
cmd_init_server(int argc, char **argv)
{
	struct sk_server_key k;
	char b64[SERVERKEY_B64_LEN + 1];
	const char *out = NULL;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "o:")) != -1) {
		if (c != 'o')
			return 2;
		out = optarg;
	}
	if (out == NULL || optind != argc) {
		log_err("usage: sigknock-keys init-server -o FILE");
		return 2;
	}
	if (serverkey_generate(out, &k) != 0)
		return 1;
	serverkey_public_b64(k.pk, b64);
	wire_server_key_wipe(&k);
	fprintf(stderr, "sigknock-keys: wrote the server key to %s (mode 0600); "
	    "its public key, for clients' ServerKey:\n", out);
	printf("%s\n", b64);
	return 0;
}

static int
cmd_pubkey(int argc, char **argv)
{
	struct sk_server_key k;
	char b64[SERVERKEY_B64_LEN + 1];

	if (argc != 2) {
		log_err("usage: sigknock-keys pubkey FILE");
		return 2;
	}
	if (serverkey_load(argv[1], &k) != 0)
		return 1;
	serverkey_public_b64(k.pk, b64);
	wire_server_key_wipe(&k);
	printf("%s\n", b64);
	return 0;
}

/* A new server key in FILE, the old one kept as FILE.previous for
 * sigknockd's PreviousServerKey while clients switch (sigknockd(8),
 * ROTATION). */
static int
cmd_rotate_server(int argc, char **argv)
{
	struct sk_server_key k;
	char prev[4096], b64[SERVERKEY_B64_LEN + 1];
	struct stat st;

	if (argc != 2)
		return sk_usage_error(SYNOPSIS, "rotate-server takes the key "
		    "FILE");
	if (snprintf(prev, sizeof(prev), "%s" SERVERKEY_PREVIOUS, argv[1]) >=
	    (int)sizeof(prev))
		return 2;
	if (serverkey_load(argv[1], &k) != 0)
		return 1;
	wire_server_key_wipe(&k);
	if (lstat(prev, &st) == 0) {
		log_err("%s exists: the last rotation is not finished; once no "
		    "knock uses that key (sigknockd -S: granted_previous_key "
		    "stays put), remove the file, then rotate", prev);
		return 1;
	}
	if (rename(argv[1], prev) != 0) {
		log_err("%s: %s", argv[1], strerror(errno));
		return 1;
	}
	if (serverkey_generate(argv[1], &k) != 0) {
		if (rename(prev, argv[1]) != 0)
			log_err("%s: %s; the old key is %s", argv[1],
			    strerror(errno), prev);
		return 1;
	}
	serverkey_public_b64(k.pk, b64);
	wire_server_key_wipe(&k);
	fprintf(stderr, "sigknock-keys: a new server key is in %s, the old one "
	    "in %s.\nsigknockd accepts both from now on (it notices the new "
	    "files). Give clients the\nnew public key below; its log says "
	    "'sealed to the previous server key' for each\nknock that still "
	    "uses the old one: once none does, remove %s.\n", argv[1], prev,
	    prev);
	printf("%s\n", b64);
	return 0;
}

/* Does the input hold FIDO2 enrollment records (text whose first line
 * that is not blank or a comment starts with "sigknock-fido2")? */
static int
is_fido2(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] == '\n'))
			i++;
		if (i < len && p[i] == '#') {
			while (i < len && p[i] != '\n')
				i++;
			continue;
		}
		return len - i >= 14 && memcmp(p + i, "sigknock-fido2", 14) == 0;
	}
	return 0;
}

/* Everything the user commands resolve names against: the keyring as
 * GnuPG sees it, what sigknockd would load of it, the user ledger and
 * the FIDO2 records, with every name resolved as sigknockd resolves it. */
struct dir {
	struct keyring_info	*ki;		/* every key in the keyring */
	size_t			 nki;
	struct keyring		*kr;		/* what sigknockd would load */
	struct users		 u;
	struct fido2_record	*recs;
	size_t			 nrecs;
	int			*rec_named;
	struct users_key	*keys;		/* one per ki */
	int			 lock;
};

static void
collect_info(void *arg, const struct keyring_info *ki)
{
	struct dir *d = arg;
	struct keyring_info *n;

	if ((n = reallocarray(d->ki, d->nki + 1, sizeof(*n))) == NULL)
		return;
	d->ki = n;
	d->ki[d->nki++] = *ki;
}

static void
dir_close(struct dir *d)
{
	free(d->ki);
	keyring_free(d->kr);
	users_clear(&d->u);
	free(d->recs);
	free(d->rec_named);
	free(d->keys);
	users_unlock(d->lock);
	memset(d, 0, sizeof(*d));
	d->lock = -1;
}

/* Read it all; with lock, hold the ledger's lock until dir_close. */
static int
dir_open(struct dir *d, int lock)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->lock = -1;
	if (keyring_ensure_dir(keyring) != 0)
		return -1;
	/* What sigknockd would refuse to load is refused here, before
	 * anything changes: a revocation it never sees must not be
	 * reported as done. */
	if (keyring_check_perms(keyring) != 0) {
		log_err("nothing done: sigknockd refuses this keyring as it is "
		    "and keeps the keys it loaded before; fix it as said above");
		return -1;
	}
	if (lock && (d->lock = users_lock(keyring)) < 0)
		return -1;
	if (keyring_list(keyring, collect_info, d) != 0 ||
	    keyring_load(keyring, &d->kr) != 0 ||
	    users_read(keyring, &d->u) != 0 ||
	    fido2_users_read(keyring, &d->recs, &d->nrecs) != 0)
		goto fail;
	if ((d->keys = calloc(d->nki + 1, sizeof(*d->keys))) == NULL ||
	    (d->rec_named = calloc(d->nrecs + 1, sizeof(int))) == NULL)
		goto fail;
	for (i = 0; i < d->nki; i++) {
		if (pgp_fpr_parse(d->ki[i].fpr, d->keys[i].fpr) != 0)
			goto fail;
		d->keys[i].created = d->ki[i].created;
		d->keys[i].uid = d->ki[i].uid;
	}
	if (users_resolve(&d->u, d->keys, d->nki, d->recs, d->nrecs,
	    d->rec_named, 1) != 0)
		goto fail;
	return 0;
fail:
	dir_close(d);
	return -1;
}

static int
dir_save(struct dir *d)
{
	return users_write(keyring, &d->u) == 0 ? 0 : -1;
}

static int
key_index(const struct dir *d, const uint8_t fpr[PGP_FPR_LEN])
{
	size_t i;

	for (i = 0; i < d->nki; i++)
		if (memcmp(d->keys[i].fpr, fpr, PGP_FPR_LEN) == 0)
			return (int)i;
	return -1;
}

/* A user a command names: key i of the keyring, ledger line i of a key
 * no longer in the keyring, or FIDO2 record i. */
enum cand_kind { C_KEY = 1, C_LEDGER, C_FIDO2 };
struct cand {
	enum cand_kind	kind;
	size_t		i;
};
#define CANDS_MAX	8

static void
fido2_hex(const struct fido2_record *r, char hex[2 * FIDO2_ID_LEN + 1])
{
	uint8_t id[FIDO2_ID_LEN];
	size_t k;

	fido2_signer_id(r, id);
	for (k = 0; k < FIDO2_ID_LEN; k++)
		snprintf(hex + 2 * k, 3, "%02X", id[k]);
}

static int
hexlen(const char *s)
{
	size_t i;

	for (i = 0; isxdigit((unsigned char)s[i]); i++)
		;
	return s[i] == '\0' ? (int)i : -1;
}

/* Does the 40-digit fingerprint fpr end with (16) or equal (40) id? */
static int
fpr_is(const char *fpr, const char *id, int n)
{
	return fpr[0] != '\0' && ((n == 40 && strcasecmp(fpr, id) == 0) ||
	    (n == 16 && strcasecmp(fpr + 24, id) == 0));
}

/* Users arg names: by fingerprint, key id or fido2:ID first; else by
 * name; else by e-mail address (which the key holder chose, so it may
 * name several). */
static size_t
find_user(const struct dir *d, const char *arg, struct cand *c)
{
	const char *id = arg, *fid = arg;
	char hex[2 * FIDO2_ID_LEN + 1], fpr[PGP_FPR_HEX_LEN + 1];
	size_t i, n = 0;
	int hl, fl, tier;

	if (id[0] == '0' && (id[1] == 'x' || id[1] == 'X'))
		id += 2;
	hl = hexlen(id);
	if (strncasecmp(fid, "fido2:", 6) == 0)
		fid += 6;
	fl = hexlen(fid);
	for (tier = 0; tier < 3 && n == 0; tier++) {
		for (i = 0; i < d->nki && n < CANDS_MAX; i++) {
			const struct keyring_info *k = &d->ki[i];

			if ((tier == 0 && (fpr_is(k->fpr, id, hl) ||
			    fpr_is(k->sign_fpr, id, hl))) ||
			    (tier == 1 && d->keys[i].name &&
			    strcasecmp(d->keys[i].name, arg) == 0) ||
			    (tier == 2 && k->uid[0] && strchr(arg, '@') &&
			    strcasecmp(k->uid, arg) == 0))
				c[n++] = (struct cand){ C_KEY, i };
		}
		for (i = 0; tier < 2 && i < d->u.n && n < CANDS_MAX; i++) {
			if (key_index(d, d->u.e[i].fpr) >= 0)
				continue;
			pgp_fpr_format(d->u.e[i].fpr, fpr);
			if ((tier == 0 && fpr_is(fpr, id, hl)) || (tier == 1 &&
			    d->u.e[i].name[0] && users_find_name(&d->u,
			    d->u.e[i].name) == &d->u.e[i] &&
			    strcasecmp(d->u.e[i].name, arg) == 0))
				c[n++] = (struct cand){ C_LEDGER, i };
		}
		for (i = 0; tier < 2 && i < d->nrecs && n < CANDS_MAX; i++) {
			fido2_hex(&d->recs[i], hex);
			if ((tier == 1 && d->rec_named[i] &&
			    strcasecmp(d->recs[i].name, arg) == 0) ||
			    (tier == 0 && (fl == 16 || fl == 64) &&
			    (fid != arg || fl == 64) &&
			    strncasecmp(hex, fid, (size_t)fl) == 0))
				c[n++] = (struct cand){ C_FIDO2, i };
		}
	}
	return n;
}

static void
cand_describe(const struct dir *d, const struct cand *c, char *out,
    size_t len)
{
	char hex[2 * FIDO2_ID_LEN + 1], fpr[PGP_FPR_HEX_LEN + 1];

	switch (c->kind) {
	case C_KEY:
		snprintf(out, len, "%s (%s)", d->ki[c->i].fpr,
		    d->keys[c->i].name ? d->keys[c->i].name : "no name");
		break;
	case C_LEDGER:
		pgp_fpr_format(d->u.e[c->i].fpr, fpr);
		snprintf(out, len, "%s (%s, not in the keyring)", fpr,
		    d->u.e[c->i].name[0] ? d->u.e[c->i].name : "no name");
		break;
	case C_FIDO2:
		fido2_hex(&d->recs[c->i], hex);
		snprintf(out, len, "fido2:%.16s (%s)", hex,
		    d->rec_named[c->i] ? d->recs[c->i].name : "no name");
		break;
	}
}

/* Exactly one user, or an error naming the candidates. */
static int
one_user(const struct dir *d, const char *arg, struct cand *out)
{
	struct cand c[CANDS_MAX];
	char desc[200];
	size_t n = find_user(d, arg, c), i;

	if (n == 1) {
		*out = c[0];
		return 0;
	}
	if (n == 0) {
		log_err("no user '%s' in %s (see sigknock-keys list)", arg,
		    keyring);
		return -1;
	}
	log_err("'%s' is ambiguous: it names %zu%s users; use a fingerprint "
	    "or fido2:ID:", arg, n, n == CANDS_MAX ? " or more" : "");
	for (i = 0; i < n; i++) {
		cand_describe(d, &c[i], desc, sizeof(desc));
		fprintf(stderr, "  %s\n", desc);
	}
	return -1;
}

/* The ledger line of key i, made when missing. */
static struct users_entry *
ledger_of(struct dir *d, const struct cand *c, const char *how)
{
	const uint8_t *fpr = c->kind == C_KEY ? d->keys[c->i].fpr :
	    d->u.e[c->i].fpr;
	struct users_entry *e = users_find(&d->u, fpr);

	if (e == NULL && (e = users_add(&d->u, fpr, "", how)) == NULL)
		log_err("out of memory");
	return e;
}

/* Who holds name, other than the user c: NULL when nobody.  *movable is
 * set when the holder is a ledger line of a key that is gone from the
 * keyring or revoked there: an admin may give its name to someone else. */
static const char *
name_holder(const struct dir *d, const char *name, const uint8_t *fpr,
    const struct fido2_record *rec, int *movable, struct users_entry **from)
{
	static char who[200];
	struct users_entry *e = users_find_name(&d->u, name);
	size_t i;
	int k;

	*movable = 0;
	*from = NULL;
	if (e != NULL && (fpr == NULL || memcmp(e->fpr, fpr, PGP_FPR_LEN))) {
		k = key_index(d, e->fpr);
		*movable = k < 0 || e->revoked;
		*from = e;
		pgp_fpr_format(e->fpr, who);
		snprintf(who + PGP_FPR_HEX_LEN, sizeof(who) - PGP_FPR_HEX_LEN,
		    "%s", k < 0 ? " (not in the keyring)" : e->revoked ?
		    " (revoked)" : "");
		return who;
	}
	for (i = 0; i < d->nrecs; i++)
		if (&d->recs[i] != rec && strcasecmp(d->recs[i].name, name) == 0) {
			snprintf(who, sizeof(who), "FIDO2 record '%s'",
			    d->recs[i].name);
			return who;
		}
	return NULL;
}

static void
print_key(const char *verb, const struct keyring_info *ki, const char *name)
{
	fprintf(said ? said : stdout, "%s %s %s %s\n", verb,
	    ki->sign_fpr[0] ? ki->sign_fpr : ki->fpr,
	    ki->algo[0] ? ki->algo : "-", name && *name ? name :
	    "(no name: known by fingerprint)");
}

static void
fido2_print(const char *verb, const struct fido2_record *r, int named)
{
	uint8_t id[FIDO2_ID_LEN];
	char sid[17];

	fido2_signer_id(r, id);
	fido2_short_id(id, sid);
	printf("%s fido2:%s %s %s (rp %s)\n", verb, sid, fido2_alg_name(r->alg),
	    named ? r->name : "(no name)", r->rp);
}

/* ---- add ---- */

struct add_ctx {
	struct dir	*d;
	const char	*name;		/* --name, or NULL */
	size_t		 n;
	struct {
		uint8_t		 fpr[PGP_FPR_LEN];
		char		 name[USERS_NAME_MAX + 1];
		int		 known;
		struct users_entry *from;	/* name moves from this line */
		char		 claim[USERS_NAME_MAX + 1];	/* its e-mail's */
	} k[64];
};

/* Before import: what each key will be called. */
static int
add_vet(void *arg, const struct keyring_info *ki)
{
	struct add_ctx *a = arg;
	struct users_entry *e, *from;
	const char *want, *holder;
	int movable;
	size_t n = a->n;

	if (n == sizeof(a->k) / sizeof(a->k[0]))
		return -1;
	memset(&a->k[n], 0, sizeof(a->k[n]));
	if (pgp_fpr_parse(ki->fpr, a->k[n].fpr) != 0)
		return -1;
	if (a->name != NULL && n > 0) {
		log_err("--name names one key, and this input holds several");
		return -1;
	}
	e = users_find(&a->d->u, a->k[n].fpr);
	want = a->name ? a->name : e != NULL ? e->name : ki->uid;
	a->k[n].known = e != NULL;
	if (want[0] != '\0' && !users_name_ok(want)) {
		if (a->name != NULL) {
			log_err("'%s' cannot be a name: 1 to %d of A-Z a-z 0-9 "
			    ". _ @ + -", want, USERS_NAME_MAX);
			return -1;
		}
		log_warn("key %s: its e-mail '%s' cannot be a name: added "
		    "without one; 'sigknock-keys name' gives it one", ki->fpr,
		    want);
		want = "";
	}
	if (want[0] != '\0' && (holder = name_holder(a->d, want, a->k[n].fpr,
	    NULL, &movable, &from)) != NULL) {
		if (a->name != NULL && !movable) {
			log_err("the name '%s' belongs to %s; revoke that user "
			    "first, or choose another name", want, holder);
			return -1;
		}
		if (a->name == NULL) {
			log_warn("key %s: the name '%s' belongs to %s: added "
			    "without a name, known by its fingerprint only; "
			    "'sigknock-keys name %s NAME' gives it one",
			    ki->fpr, want, holder, ki->fpr);
			want = "";
		} else
			a->k[n].from = from;
	}
	/* users_name_ok() bounds it to USERS_NAME_MAX. */
	snprintf(a->k[n].name, sizeof(a->k[n].name), "%.*s", USERS_NAME_MAX,
	    want);
	/* New keys of one input that claim the same e-mail: none of them
	 * gets it (which is older is their makers' to say), the admin
	 * names the right one. */
	if (a->name == NULL && e == NULL && want[0] != '\0') {
		size_t j, rivals = 0;

		snprintf(a->k[n].claim, sizeof(a->k[n].claim), "%.*s",
		    USERS_NAME_MAX, want);
		for (j = 0; j < n; j++)
			if (strcasecmp(a->k[j].claim, want) == 0) {
				a->k[j].name[0] = '\0';
				rivals++;
			}
		if (rivals > 0) {
			a->k[n].name[0] = '\0';
			log_warn("key %s: %zu other key%s in this input claim%s "
			    "the e-mail '%s' too: none of them gets it as a "
			    "name; 'sigknock-keys name FPR %s' gives it to the "
			    "right one", ki->fpr, rivals, rivals == 1 ? "" :
			    "s", rivals == 1 ? "s" : "", want, want);
		}
	}
	a->n++;
	return 0;
}

static void
add_done(void *arg, const struct keyring_info *ki)
{
	struct add_ctx *a = arg;
	uint8_t fpr[PGP_FPR_LEN];
	size_t i;

	if (pgp_fpr_parse(ki->fpr, fpr) != 0)
		return;
	for (i = 0; i < a->n; i++)
		if (memcmp(a->k[i].fpr, fpr, PGP_FPR_LEN) == 0)
			print_key("added", ki, a->k[i].name);
}

static int
add_openpgp(struct dir *d, const char *file, const uint8_t *data, size_t len,
    const char *name)
{
	struct add_ctx *a;
	struct users_entry *e;
	char fpr[PGP_FPR_HEX_LEN + 1];
	size_t i;
	int r = 1;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return 1;
	a->d = d;
	a->name = name;
	if (keyring_add_keys(keyring, data, len, add_vet, add_done, a) != 0) {
		log_err("%s: nothing added", file);
		goto out;
	}
	for (i = 0; i < a->n; i++) {
		pgp_fpr_format(a->k[i].fpr, fpr);
		if (a->k[i].from != NULL) {
			fprintf(stderr, "sigknock-keys: the name '%s' moves to "
			    "%s\n", a->k[i].name, fpr);
			a->k[i].from->name[0] = '\0';
			users_touch(&d->u, a->k[i].from, "name");
		}
		if ((e = users_find(&d->u, a->k[i].fpr)) == NULL &&
		    (e = users_add(&d->u, a->k[i].fpr, a->k[i].name,
		    "add")) == NULL)
			goto out;
		if (strcmp(e->name, a->k[i].name) != 0) {
			snprintf(e->name, sizeof(e->name), "%s", a->k[i].name);
			users_touch(&d->u, e, "name");
		}
		if (e->revoked)
			fprintf(stderr, "sigknock-keys: %s was revoked and stays "
			    "so; 'sigknock-keys unrevoke %s' undoes it\n", fpr,
			    fpr);
	}
	r = dir_save(d) == 0 ? 0 : 1;
out:
	free(a);
	return r;
}

static int
add_fido2(struct dir *d, const char *file, const uint8_t *data, size_t len,
    const char *name)
{
	struct fido2_record *in, *all;
	struct fido2_parse_err e;
	struct crypto_pubkey *pk;
	struct users_entry *from;
	const char *holder;
	size_t nin, i, j;
	int movable, r = 1;

	if (fido2_parse((const char *)data, len, &in, &nin, &e) != 0) {
		log_err("%s:%u: %s; nothing added", file, e.line, e.why);
		return 1;
	}
	if (name != NULL && nin != 1) {
		log_err("%s: --name names one record, and this file holds %zu; "
		    "nothing added", file, nin);
		goto out;
	}
	for (i = 0; i < nin; i++) {
		if (in[i].kind != FIDO2_ENROLLMENT) {
			log_err("%s:%u: a credential file, the client's; add "
			    "the enrollment record (FILE.pub) instead; nothing "
			    "added", file, in[i].line);
			goto out;
		}
		if (in[i].revoked[0]) {
			log_err("%s:%u: record is revoked; nothing added", file,
			    in[i].line);
			goto out;
		}
		if (name != NULL) {
			if (!fido2_name_ok(name)) {
				log_err("'%s' cannot be a FIDO2 name: 1 to %d of "
				    "A-Z a-z 0-9 . _ @ + -", name,
				    FIDO2_NAME_MAX);
				goto out;
			}
			snprintf(in[i].name, sizeof(in[i].name), "%s", name);
		}
		if (fido2_pubkey(&in[i], &pk) != 0) {
			log_err("%s:%u: public-key is not a valid %s key; "
			    "nothing added", file, in[i].line,
			    fido2_alg_name(in[i].alg));
			goto out;
		}
		crypto_pubkey_free(pk);
		for (j = 0; j < d->nrecs; j++)
			if (d->recs[j].credlen == in[i].credlen &&
			    memcmp(d->recs[j].cred, in[i].cred,
			    in[i].credlen) == 0) {
				log_err("%s:%u: credential of '%s' is already "
				    "enrolled (as '%s'%s); nothing added", file,
				    in[i].line, in[i].name, d->recs[j].name,
				    d->recs[j].revoked[0] ? ", revoked" : "");
				goto out;
			}
		/* One name space with OpenPGP users, and among the input. */
		for (j = 0; j < i; j++)
			if (strcasecmp(in[j].name, in[i].name) == 0)
				break;
		holder = j < i ? "another record of this file" :
		    name_holder(d, in[i].name, NULL, NULL, &movable, &from);
		for (j = 0; holder == NULL && j < d->nki; j++)
			if (d->keys[j].name == NULL &&
			    strcasecmp(d->ki[j].uid, in[i].name) == 0 &&
			    users_find(&d->u, d->keys[j].fpr) == NULL)
				holder = d->ki[j].fpr;
		if (holder != NULL) {
			log_err("%s:%u: the name '%s' belongs to %s; add the "
			    "record with --name OTHER-NAME; nothing added",
			    file, in[i].line, in[i].name, holder);
			goto out;
		}
	}
	if ((all = reallocarray(d->recs, d->nrecs + nin, sizeof(*all))) == NULL) {
		log_err("out of memory");
		goto out;
	}
	d->recs = all;
	memcpy(d->recs + d->nrecs, in, nin * sizeof(*in));
	if (fido2_users_write(keyring, d->recs, d->nrecs + nin) != 0)
		goto out;
	d->nrecs += nin;
	for (i = 0; i < nin; i++)
		fido2_print("added", &in[i], 1);
	r = 0;
out:
	free(in);
	return r;
}

static int
cmd_add(int argc, char **argv)
{
	struct dir d;
	const char *name = NULL;
	uint8_t *data;
	size_t len;
	int i, c, status = 0;

	optind = 1;
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		if (c != 'N') {
			log_err("usage: sigknock-keys add [--name NAME] FILE...");
			return 2;
		}
		name = optarg;
	}
	if (optind >= argc || (name != NULL && argc - optind != 1)) {
		log_err("usage: sigknock-keys add [--name NAME] FILE... (--name "
		    "with one file)");
		return 2;
	}
	for (i = optind; i < argc; i++) {
		if ((data = slurp(argv[i], &len)) == NULL) {
			status = 1;
			continue;
		}
		/* The ledger stays locked from the name checks until the
		 * names are written: sigknockd waits for them. */
		if (dir_open(&d, 1) != 0) {
			free(data);
			return 1;
		}
		if ((is_fido2(data, len) ? add_fido2(&d, argv[i], data, len,
		    name) : add_openpgp(&d, argv[i], data, len, name)) != 0)
			status = 1;
		dir_close(&d);
		free(data);
	}
	return status;
}

/* ---- import-fwknop ---- */

/* Add the key id names in fwknopd's GnuPG home, as add would (the same
 * checks and names), and say how access files name it. */
static int
fwknop_user(void *arg, const char *home, const char *id, char *tok,
    size_t toklen)
{
	struct keyring_info ki;
	struct users_entry *e;
	struct dir d;
	uint8_t *data, fpr[PGP_FPR_LEN];
	size_t len;
	char label[512];
	int r = -1;

	(void)arg;
	if (keyring_export(home, id, &data, &len, &ki) != 0)
		return -1;
	snprintf(label, sizeof(label), "%s: key %s", home, id);
	if (dir_open(&d, 1) != 0) {
		free(data);
		return -1;
	}
	if (add_openpgp(&d, label, data, len, NULL) == 0 &&
	    pgp_fpr_parse(ki.fpr, fpr) == 0) {
		e = users_find(&d.u, fpr);
		snprintf(tok, toklen, "%s", e != NULL && e->name[0] ? e->name :
		    ki.fpr);
		r = 0;
	}
	dir_close(&d);
	free(data);
	return r;
}

static int
no_key(void *arg, const char *home, const char *id, char *tok, size_t toklen)
{
	(void)arg;
	(void)home;
	snprintf(tok, toklen, "%s", id);
	return 0;
}

/* A dry run first, adding no key and saying nothing: a wrong value in
 * the last stanza must not leave the first stanzas' users added. */
static int
map_access(const struct fwk_conf *c, void *arg, FILE *out)
{
	struct fwk_import dry = *(struct fwk_import *)arg;
	char *junk = NULL;
	size_t junklen = 0;
	FILE *sink;
	int r;

	if ((sink = open_memstream(&junk, &junklen)) == NULL)
		return SK_ERR_ALLOC;
	dry.user_key = no_key;
	dry.tally.to = sink;
	r = fwk_import_access(c, &dry, sink);
	fclose(sink);
	free(junk);
	return r != 0 ? r : fwk_import_access(c, arg, out);
}

static int
cmd_import_fwknop(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "gpg-home", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct fwk_import im;
	const char *outpath = NULL;
	char *text;
	size_t len;
	int c, r;

	memset(&im, 0, sizeof(im));
	/* Options before or after the file (no '+'): the interface in
	 * DESIGN.md writes them after it.  optind 0 makes glibc's getopt
	 * start afresh, permuting, after main's "+" scan. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (c == 'o')
			outpath = optarg;
		else if (c == 'g')
			im.gpg_home = optarg;
		else
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	if (outpath != NULL && strcmp(outpath, "-") == 0)
		outpath = NULL;
	/* Refused before anything is added. */
	if (outpath != NULL && access(outpath, F_OK) == 0) {
		log_err("%s exists; it is never overwritten: choose another "
		    "file, or remove it", outpath);
		return 1;
	}
	said = stderr;
	im.user_key = fwknop_user;
	if (fwk_convert(argv[optind], 0, map_access, &im, &text, &len) != 0)
		return 1;
	if (outpath == NULL) {
		r = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ?
		    0 : 1;
		if (r != 0)
			log_err("standard output: %s", strerror(errno));
	} else
		r = file_write_new(outpath, text, len, 0600) == 0 ? 0 : 1;
	free(text);
	fprintf(stderr, "sigknock-keys: %zu stanza%s imported (%zu user%s, "
	    "%zu port%s), %zu written commented out; %zu line%s need%s a "
	    "person, %zu not imported, %zu stricter in sigknock (each said "
	    "above)%s\n", im.stanzas, im.stanzas == 1 ? "" : "s", im.users,
	    im.users == 1 ? "" : "s", im.ports, im.ports == 1 ? "" : "s",
	    im.commented, im.tally.n[FWK_PERSON], im.tally.n[FWK_PERSON] == 1 ?
	    "" : "s", im.tally.n[FWK_PERSON] == 1 ? "s" : "",
	    im.tally.n[FWK_NOT_IMPORTED], im.tally.n[FWK_STRICTER],
	    r == 0 && outpath && im.stanzas > 0 ? "; check it with 'sigknockd "
	    "-t'" : "");
	/* A file in which nobody can knock would lock everyone out of a
	 * daemon started on it (it refuses to start): not a success. */
	if (r == 0 && im.stanzas == 0) {
		log_err("no stanza works yet: fill in those marked NEEDS A "
		    "PERSON; sigknockd refuses the file until one is");
		r = 1;
	}
	return r;
usage:
	log_err("usage: sigknock-keys import-fwknop [-o FILE] [--gpg-home DIR] "
	    "ACCESS.CONF");
	return 2;
}

/* ---- revoke, unrevoke, name ---- */

static int
set_revoked(struct dir *d, const struct cand *c, int revoke)
{
	struct fido2_record *r;
	struct users_entry *e;
	char when[32], desc[200];
	time_t t = time(NULL);
	struct tm tm;

	cand_describe(d, c, desc, sizeof(desc));
	if (c->kind == C_FIDO2) {
		r = &d->recs[c->i];
		if ((r->revoked[0] != '\0') == revoke) {
			fprintf(stderr, "sigknock-keys: %s is %s already\n", desc,
			    revoke ? "revoked" : "not revoked");
			return 0;
		}
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(r->revoked, sizeof(r->revoked), "%s", revoke ? when :
		    "");
		if (fido2_users_write(keyring, d->recs, d->nrecs) != 0)
			return 1;
	} else {
		if ((e = ledger_of(d, c, "revoke")) == NULL)
			return 1;
		if (e->revoked == revoke) {
			fprintf(stderr, "sigknock-keys: %s is %s already\n", desc,
			    revoke ? "revoked" : "not revoked");
			return 0;
		}
		e->revoked = revoke;
		users_touch(&d->u, e, revoke ? "revoke" : "unrevoke");
		if (dir_save(d) != 0)
			return 1;
		if (!revoke && c->kind == C_KEY &&
		    strcmp(d->ki[c->i].state, "revoked") == 0)
			fprintf(stderr, "sigknock-keys: GnuPG holds a revocation "
			    "certificate for this key: it still cannot knock\n");
	}
	printf("%s %s\n", revoke ? "revoked" : "unrevoked", desc);
	return 0;
}

static int
cmd_revoke(int argc, char **argv)
{
	struct dir d;
	struct cand c[CANDS_MAX];
	uint8_t *data, fpr[PGP_FPR_LEN];
	size_t len;
	int r;

	if (argc != 2) {
		log_err("usage: sigknock-keys revoke USER|REVOCATION-FILE");
		return 2;
	}
	if (dir_open(&d, 1) != 0)
		return 1;
	if (find_user(&d, argv[1], c) == 0 && access(argv[1], F_OK) == 0) {
		/* A revocation certificate: GnuPG checks it against the key;
		 * the ledger keeps the revocation too, should the keyring be
		 * rebuilt from keys exported before it. */
		dir_close(&d);
		if ((data = slurp(argv[1], &len)) == NULL)
			return 1;
		r = keyring_import_revocation(keyring, data, len, revoked_cb,
		    NULL);
		free(data);
		if (r != 0)
			return 1;
		if (dir_open(&d, 1) != 0)
			return 1;
		for (size_t i = 0; i < n_revoked; i++) {
			struct cand k;
			int idx;

			if (pgp_fpr_parse(revoked_fprs[i], fpr) != 0 ||
			    (idx = key_index(&d, fpr)) < 0)
				continue;
			k = (struct cand){ C_KEY, (size_t)idx };
			if (set_revoked(&d, &k, 1) != 0) {
				dir_close(&d);
				return 1;
			}
		}
		dir_close(&d);
		return 0;
	}
	if (one_user(&d, argv[1], c) != 0) {
		dir_close(&d);
		return 1;
	}
	r = set_revoked(&d, c, 1);
	if (r == 0)
		fprintf(stderr, "sigknock-keys: that user can no longer knock, "
		    "and a running sigknockd closes their live grants; "
		    "'sigknock-keys unrevoke %s' undoes it\n", argv[1]);
	dir_close(&d);
	return r;
}

static int
cmd_unrevoke(int argc, char **argv)
{
	struct dir d;
	struct cand c;
	int r;

	if (argc != 2) {
		log_err("usage: sigknock-keys unrevoke USER");
		return 2;
	}
	if (dir_open(&d, 1) != 0)
		return 1;
	r = one_user(&d, argv[1], &c) == 0 ? set_revoked(&d, &c, 0) : 1;
	dir_close(&d);
	return r;
}

static int
cmd_name(int argc, char **argv)
{
	struct dir d;
	struct cand c;
	struct users_entry *e, *from;
	const char *holder, *name;
	int movable, r = 1;

	if (argc != 3) {
		log_err("usage: sigknock-keys name USER NAME");
		return 2;
	}
	name = argv[2];
	if (!users_name_ok(name)) {
		log_err("'%s' cannot be a name: 1 to %d of A-Z a-z 0-9 . _ @ "
		    "+ -, not a fingerprint", name, USERS_NAME_MAX);
		return 2;
	}
	if (dir_open(&d, 1) != 0)
		return 1;
	if (one_user(&d, argv[1], &c) != 0)
		goto out;
	holder = name_holder(&d, name, c.kind == C_FIDO2 ? NULL :
	    c.kind == C_KEY ? d.keys[c.i].fpr : d.u.e[c.i].fpr,
	    c.kind == C_FIDO2 ? &d.recs[c.i] : NULL, &movable, &from);
	if (holder != NULL && (!movable || c.kind == C_FIDO2)) {
		log_err("the name '%s' belongs to %s; revoke that user first, or "
		    "choose another name", name, holder);
		goto out;
	}
	if (from != NULL) {
		from->name[0] = '\0';
		users_touch(&d.u, from, "name");
	}
	if (c.kind == C_FIDO2) {
		if (strlen(name) > FIDO2_NAME_MAX) {
			log_err("a FIDO2 name has at most %d characters",
			    FIDO2_NAME_MAX);
			goto out;
		}
		snprintf(d.recs[c.i].name, sizeof(d.recs[c.i].name), "%s", name);
		if (fido2_users_write(keyring, d.recs, d.nrecs) != 0 ||
		    dir_save(&d) != 0)
			goto out;
	} else {
		if ((e = ledger_of(&d, &c, "name")) == NULL)
			goto out;
		snprintf(e->name, sizeof(e->name), "%s", name);
		users_touch(&d.u, e, "name");
		if (dir_save(&d) != 0)
			goto out;
	}
	printf("named %s\n", name);
	r = 0;
out:
	dir_close(&d);
	return r;
}

/* ---- list ---- */

static void
list_key(const struct dir *d, size_t i)
{
	const struct keyring_info *ki = &d->ki[i];
	struct users_entry *e = users_find(&d->u, d->keys[i].fpr);
	char why[128];
	const char *state = ki->state, *refusal;

	refusal = keyring_refusal(d->kr, ki, why, sizeof(why));
	if (e != NULL && e->revoked)
		state = "revoked";
	else if (refusal != NULL && strcmp(ki->state, "valid") == 0)
		state = "refused";
	printf("%-40s %-10s %-9s %-24s %s%s%s%s\n", ki->sign_fpr[0] ?
	    ki->sign_fpr : ki->fpr, ki->algo[0] ? ki->algo : "-", state,
	    d->keys[i].name ? d->keys[i].name : "-", ki->uid[0] ? ki->uid :
	    "(no user id)", strcmp(state, "refused") == 0 ? " (" : "",
	    strcmp(state, "refused") == 0 ? why : "",
	    strcmp(state, "refused") == 0 ? ")" : "");
}

static void
list_fido2(const struct dir *d, size_t i)
{
	const struct fido2_record *r = &d->recs[i];
	struct crypto_pubkey *pk;
	uint8_t id[FIDO2_ID_LEN];
	char sid[17], col[32];
	const char *state = r->revoked[0] ? "revoked" : "valid";

	if (!r->revoked[0] && fido2_pubkey(r, &pk) != 0)
		state = "invalid";
	else if (!r->revoked[0])
		crypto_pubkey_free(pk);
	fido2_signer_id(r, id);
	fido2_short_id(id, sid);
	snprintf(col, sizeof(col), "fido2:%s", sid);
	printf("%-40s %-10s %-9s %-24s (rp %s)\n", col, fido2_alg_name(r->alg),
	    state, d->rec_named[i] ? r->name : "-", r->rp);
}

static int
cmd_list(int argc, char **argv)
{
	struct dir d;
	struct cand c[CANDS_MAX];
	size_t i, n;

	if (argc > 2) {
		log_err("usage: sigknock-keys list [USER]");
		return 2;
	}
	if (access(keyring, F_OK) != 0) {
		log_err("keyring %s: %s (add a user first)", keyring,
		    strerror(errno));
		return 1;
	}
	if (dir_open(&d, 0) != 0)
		return 1;
	if (argc == 2 && (n = find_user(&d, argv[1], c)) == 0) {
		log_err("no user '%s' in %s", argv[1], keyring);
		dir_close(&d);
		return 1;
	}
	printf("%-40s %-10s %-9s %-24s %s\n", "fingerprint", "algorithm",
	    "state", "name", "user id");
	if (argc == 2) {
		for (i = 0; i < n; i++)
			if (c[i].kind == C_KEY)
				list_key(&d, c[i].i);
			else if (c[i].kind == C_FIDO2)
				list_fido2(&d, c[i].i);
	} else {
		for (i = 0; i < d.nki; i++)
			list_key(&d, i);
		for (i = 0; i < d.nrecs; i++)
			list_fido2(&d, i);
	}
	dir_close(&d);
	return 0;
}

/* ---- audit ---- */

static int
cmd_audit(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c, json = 0, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c != 'j')
			return sk_usage_error("sigknock-keys [-k KEYRING] audit "
			    "[--json] FILE...", NULL);
		json = 1;
	}
	if (optind >= argc)
		return sk_usage_error("sigknock-keys [-k KEYRING] audit "
		    "[--json] FILE...", "no audit file");
	r = audit_check(keyring, argv + optind, argc - optind, json, stdout);
	if (fflush(stdout) != 0) {
		log_err("standard output: %m");
		return 1;
	}
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	size_t i;
	int c;

	sk_log_init("sigknock-keys", 1, LOG_INFO);
	while ((c = getopt_long(argc, argv, "+k:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyring = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sigknock-keys %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return sk_usage_error(SYNOPSIS, NULL);
		}
	}
	if (optind >= argc)
		return sk_usage_error(SYNOPSIS, "no command");
	if (crypto_init() != 0)
		return 1;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			c = cmds[i].fn(argc - optind, argv + optind);
			keyring_stop_agent(keyring);
			return c;
		}
	return sk_usage_error(SYNOPSIS, "unknown command '%s'", argv[optind]);
}
