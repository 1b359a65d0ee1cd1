/* sigknock-keys: the server key pair and the users' keys. */
#include "config.h"

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
#include "keyring.h"
#include "log.h"
#include "paths.h"
#include "serverkey.h"
#include "wipe.h"

#define DEFAULT_KEYRING	SK_KEYRING_DIR
#define INPUT_MAX	(4u << 20)

static const char *keyring = DEFAULT_KEYRING;

static int cmd_init_server(int, char **);
static int cmd_pubkey(int, char **);
static int cmd_add(int, char **);
static int cmd_revoke(int, char **);
static int cmd_list(int, char **);

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*args;
	const char	*help;
} cmds[] = {
	{ "init-server", cmd_init_server, "-o FILE",
	  "make the server key pair; print its public key" },
	{ "pubkey", cmd_pubkey, "FILE", "print the public key of a server key file" },
	{ "add", cmd_add, "FILE...",
	  "add users' OpenPGP public keys or FIDO2 enrollment records (- for stdin)" },
	{ "revoke", cmd_revoke, "ID|FILE",
	  "lock a user out: disable the OpenPGP key FPR, revoke the FIDO2\n"
	  "                         credential (name or id), or import a revocation" },
	{ "list", cmd_list, "", "list users, key types and states" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sigknock-keys [-k KEYRING] COMMAND [ARGS]\n\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %-9s %s\n", cmds[i].name, cmds[i].args,
		    cmds[i].help);
	fprintf(f, "\n  -k KEYRING   GnuPG home directory of the users' keys "
	    "(default %s)\n  -h           this help\n  -V           version\n"
	    "\nSee sigknock-keys(8).\n", DEFAULT_KEYRING);
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

static char verb_added[] = "added", verb_disabled[] = "disabled",
    verb_revoked[] = "revoked";

static void
print_info(void *arg, const struct keyring_info *ki)
{
	const char *verb = arg;

	printf("%s %s %s %s\n", verb, ki->sign_fpr[0] ? ki->sign_fpr : ki->fpr,
	    ki->algo[0] ? ki->algo : "-", ki->uid[0] ? ki->uid : "(no user id)");
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

static void
fido2_print(const char *verb, const struct fido2_record *r)
{
	uint8_t id[FIDO2_ID_LEN];
	char sid[17];

	fido2_signer_id(r, id);
	fido2_short_id(id, sid);
	printf("%s fido2:%s %s %s (rp %s)\n", verb, sid, fido2_alg_name(r->alg),
	    r->name, r->rp);
}

static int
add_fido2(const char *file, const uint8_t *data, size_t len)
{
	struct fido2_record *in, *all, *tmp;
	struct fido2_parse_err e;
	struct crypto_pubkey *pk;
	size_t nin, nall, i, j;
	int r = 1;

	if (fido2_parse((const char *)data, len, &in, &nin, &e) != 0) {
		log_err("%s:%u: %s; nothing added", file, e.line, e.why);
		return 1;
	}
	for (i = 0; i < nin; i++) {
		if (in[i].kind != FIDO2_ENROLLMENT) {
			log_err("%s:%u: a credential file, the client's; add "
			    "the enrollment record (FILE.pub) instead; nothing "
			    "added", file, in[i].line);
			free(in);
			return 1;
		}
		if (in[i].revoked[0]) {
			log_err("%s:%u: record is revoked; nothing added", file,
			    in[i].line);
			free(in);
			return 1;
		}
		if (fido2_pubkey(&in[i], &pk) != 0) {
			log_err("%s:%u: public-key is not a valid %s key; "
			    "nothing added", file, in[i].line,
			    fido2_alg_name(in[i].alg));
			free(in);
			return 1;
		}
		crypto_pubkey_free(pk);
	}
	if (mkdir(keyring, 0700) != 0 && errno != EEXIST) {
		log_err("keyring %s: %s", keyring, strerror(errno));
		free(in);
		return 1;
	}
	if (fido2_users_read(keyring, &all, &nall) != 0) {
		free(in);
		return 1;
	}
	if ((tmp = realloc(all, (nall + nin) * sizeof(*all))) == NULL) {
		log_err("out of memory");
		goto out;
	}
	all = tmp;
	for (i = 0; i < nin; i++) {
		for (j = 0; j < nall; j++)
			if (all[j].credlen == in[i].credlen &&
			    memcmp(all[j].cred, in[i].cred, in[i].credlen) == 0)
				break;
		if (j < nall) {
			log_err("%s:%u: credential of '%s' is already enrolled "
			    "(as '%s'%s); nothing added", file, in[i].line,
			    in[i].name, all[j].name, all[j].revoked[0] ?
			    ", revoked" : "");
			goto out;
		}
		all[nall++] = in[i];
	}
	if (fido2_users_write(keyring, all, nall) != 0)
		goto out;
	for (i = 0; i < nin; i++)
		fido2_print("added", &in[i]);
	r = 0;
out:
	free(all);
	free(in);
	return r;
}

/* Revoke the FIDO2 credentials named arg (enrollment name, or an id: the
 * 16-hex short form or the whole 64).  1 when none matched. */
static int
revoke_fido2(const char *arg, int *matched)
{
	struct fido2_record *all;
	uint8_t id[FIDO2_ID_LEN];
	char hex[2 * FIDO2_ID_LEN + 1], now[32];
	size_t n, i, k, alen = strlen(arg);
	time_t t = time(NULL);
	struct tm tm;
	int r;

	*matched = 0;
	if (fido2_users_read(keyring, &all, &n) != 0)
		return 1;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 0; i < n; i++) {
		fido2_signer_id(&all[i], id);
		for (k = 0; k < FIDO2_ID_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02X", id[k]);
		if (all[i].revoked[0] || !(strcmp(all[i].name, arg) == 0 ||
		    ((alen == 16 || alen == 64) && strncasecmp(hex, arg,
		    alen) == 0)))
			continue;
		snprintf(all[i].revoked, sizeof(all[i].revoked), "%s", now);
		(*matched)++;
	}
	r = 0;
	if (*matched > 0 && (r = fido2_users_write(keyring, all, n)) == 0)
		for (i = 0; i < n; i++)
			if (strcmp(all[i].revoked, now) == 0)
				fido2_print("revoked", &all[i]);
	free(all);
	return r != 0;
}

static int
cmd_add(int argc, char **argv)
{
	uint8_t *data;
	size_t len;
	int i, status = 0;

	if (argc < 2) {
		log_err("usage: sigknock-keys add FILE...");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if ((data = slurp(argv[i], &len)) == NULL) {
			status = 1;
			continue;
		}
		if (is_fido2(data, len)) {
			if (add_fido2(argv[i], data, len) != 0)
				status = 1;
		} else if (keyring_add_keys(keyring, data, len, print_info,
		    verb_added) != 0) {
			log_err("%s: nothing added", argv[i]);
			status = 1;
		}
		free(data);
	}
	return status;
}

static int
cmd_revoke(int argc, char **argv)
{
	const char *arg;
	uint8_t *data, fpr[PGP_FPR_LEN];
	size_t len;
	int r, matched;

	if (argc != 2) {
		log_err("usage: sigknock-keys revoke FPR|FIDO2-NAME|FIDO2-ID|"
		    "REVOCATION-FILE");
		return 2;
	}
	arg = argv[1];
	if (revoke_fido2(arg, &matched) != 0)
		return 1;
	if (matched > 0) {
		fprintf(stderr, "sigknock-keys: %d FIDO2 credential%s can no "
		    "longer knock\n", matched, matched == 1 ? "" : "s");
		return 0;
	}
	if (pgp_fpr_parse(arg, fpr) == 0 && access(arg, F_OK) != 0) {
		if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X'))
			arg += 2;
		r = keyring_disable(keyring, arg, print_info, verb_disabled);
		if (r == 0)
			fprintf(stderr, "sigknock-keys: that user can no longer "
			    "knock; 'gpg --homedir %s --edit-key %s enable' undoes "
			    "it\n", keyring, arg);
		return r == 0 ? 0 : 1;
	}
	if ((data = slurp(arg, &len)) == NULL)
		return 1;
	r = keyring_import_revocation(keyring, data, len, print_info, verb_revoked);
	free(data);
	return r == 0 ? 0 : 1;
}

static void
list_line(void *arg, const struct keyring_info *ki)
{
	(void)arg;
	printf("%-40s %-10s %-14s %s\n", ki->sign_fpr[0] ? ki->sign_fpr : ki->fpr,
	    ki->algo[0] ? ki->algo : "-", ki->state,
	    ki->uid[0] ? ki->uid : "(no user id)");
}

static int
list_fido2(void)
{
	struct fido2_record *all;
	struct crypto_pubkey *pk;
	uint8_t id[FIDO2_ID_LEN];
	char sid[17], col[32];
	size_t n, i;

	if (fido2_users_read(keyring, &all, &n) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		const char *state = all[i].revoked[0] ? "revoked" : "valid";

		if (!all[i].revoked[0] && fido2_pubkey(&all[i], &pk) != 0)
			state = "invalid";
		else if (!all[i].revoked[0])
			crypto_pubkey_free(pk);
		fido2_signer_id(&all[i], id);
		fido2_short_id(id, sid);
		snprintf(col, sizeof(col), "fido2:%s", sid);
		printf("%-40s %-10s %-14s %s (rp %s)\n", col,
		    fido2_alg_name(all[i].alg), state, all[i].name, all[i].rp);
	}
	free(all);
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		log_err("usage: sigknock-keys list");
		return 2;
	}
	if (access(keyring, F_OK) != 0) {
		log_err("keyring %s: %s (add a user first)", keyring,
		    strerror(errno));
		return 1;
	}
	printf("%-40s %-10s %-14s %s\n", "fingerprint", "algorithm", "state",
	    "user");
	if (keyring_list(keyring, list_line, NULL) != 0)
		return 1;
	return list_fido2();
}

int
main(int argc, char **argv)
{
	size_t i;
	int c;

	sk_log_init("sigknock-keys", 1, LOG_INFO);
	while ((c = getopt(argc, argv, "+k:hV")) != -1) {
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
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (crypto_init() != 0)
		return 1;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			return cmds[i].fn(argc - optind, argv + optind);
	log_err("unknown command '%s'", argv[optind]);
	usage(stderr);
	return 2;
}
