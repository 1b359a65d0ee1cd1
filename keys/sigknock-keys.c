/* sigknock-keys: the server key pair and the users' keys. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
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
	{ "add", cmd_add, "FILE...", "add users' OpenPGP public keys (- for stdin)" },
	{ "revoke", cmd_revoke, "FPR|FILE",
	  "lock a user out: disable the key, or import its revocation certificate" },
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
		if (keyring_add_keys(keyring, data, len, print_info, verb_added) != 0) {
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
	int r;

	if (argc != 2) {
		log_err("usage: sigknock-keys revoke FPR|REVOCATION-FILE");
		return 2;
	}
	arg = argv[1];
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
	return keyring_list(keyring, list_line, NULL) == 0 ? 0 : 1;
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
