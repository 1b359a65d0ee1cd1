/* sigknock-token: OpenPGP cards and FIDO2 security keys for sigknock.
 *
 *   sigknock-token list
 *   sigknock-token status [--reader NAME]
 *   sigknock-token enroll [--alg es256|eddsa] [--rp ID] [--name NAME] -o FILE
 *   sigknock-token test [--token card|gpg|fido2] [--keyring DIR] ...
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fido2.h"
#include "fido2dev.h"
#include "fido2users.h"
#include "keyring.h"
#include "opcard.h"
#include "pgp.h"
#include "fileio.h"
#include "log.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"

#define DEFAULT_RP	"sigknock"

#define SYNOPSIS	"sigknock-token [OPTIONS] list|status|enroll|test"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: sigknock-token list\n"
"       sigknock-token status [--reader NAME]\n"
"       sigknock-token enroll [--alg es256|eddsa] [--rp ID] [--name NAME]\n"
"                      [--fido-device DEV] [--touch-timeout S] -o FILE\n"
"       sigknock-token test [--token card|gpg|fido2] [--keyring DIR]\n"
"                      [--reader NAME] [--pin-fd N] [--signer FPR]\n"
"                      [--credential FILE] [--fido-device DEV]\n"
"\n"
"  list     the smart-card readers with their OpenPGP cards (serial,\n"
"           maker, signature key, algorithm, counter, touch policy), and\n"
"           the FIDO2 security keys\n"
"  status   one OpenPGP card in full\n"
"  enroll   make a FIDO2 credential (touch the key): writes FILE, the\n"
"           credential file for sigknock(1), and FILE.pub, the enrollment\n"
"           record for the server's 'sigknock-keys add'\n"
"  test     sign a test message with a token (default: card) and verify\n"
"           it as a server with the keyring DIR would (without --keyring:\n"
"           against the token's own public key); shows the time taken\n"
"\n"
"  --reader NAME      a PC/SC reader (a prefix of its name)\n"
"  --pin-fd N         read the card PIN from file descriptor N\n"
"  --fido-device DEV  /dev/hidrawN or unix:PATH (default: $"
	    TOKEN_FIDO2_DEVICE_ENV ",\n"
"                     else the one plugged in, or the one you touch)\n"
"  --alg ALG          es256 (default; every FIDO2 key has it) or eddsa\n"
"  --rp ID            relying-party id (default " DEFAULT_RP ")\n"
"  --name NAME        the user's name in the server's access file\n"
"                     (default: $USER)\n"
"  --credential FILE  default ~/" TOKEN_FIDO2_CREDENTIAL "\n"
"\n"
"See sigknock-token(1).\n");
}

static const char *
uif_name(int uif)
{
	switch (uif) {
	case 0: return "off";
	case 1: return "on";
	case 2: return "fixed";
	}
	return "none";
}

static void
list_reader(void *arg, const char *reader, const struct opcard_info *ci)
{
	char fpr[PGP_FPR_HEX_LEN + 1];

	(void)arg;
	if (ci == NULL) {
		printf("%s: no OpenPGP card\n", reader);
		return;
	}
	pgp_fpr_format(ci->sig_fpr, fpr);
	printf("%s: OpenPGP card %s (%s), signature key %s (%s), counter %u, "
	    "touch %s\n", reader, ci->serial, ci->manufacturer,
	    ci->has_sig_key ? fpr : "none", ci->sig_algo, ci->counter,
	    uif_name(ci->uif));
}

static int
cmd_status(const char *reader)
{
	struct opcard *c;
	struct opcard_info ci;
	char fpr[PGP_FPR_HEX_LEN + 1], when[32];
	time_t t;
	struct tm tm;
	int i;

	if (opcard_open(reader, &c, &ci) != 0)
		return 1;
	opcard_close(c);
	pgp_fpr_format(ci.sig_fpr, fpr);
	t = (time_t)ci.sig_created;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("reader ............: %s\napplication ID ....: ", ci.reader);
	for (i = 0; i < 16; i++)
		printf("%02X", ci.aid[i]);
	printf("\nversion ...........: %u.%u\nmanufacturer ......: %s\n"
	    "serial ............: %s\ncardholder ........: %s\n"
	    "signature key .....: %s\n  algorithm .......: %s\n"
	    "  created .........: %s\nsignature counter .: %u\n"
	    "touch policy ......: %s\nPIN tries left ....: %d (admin PIN: "
	    "%d)\nPIN per signature .: %s\n", ci.version >> 8,
	    ci.version & 0xff, ci.manufacturer, ci.serial, ci.name,
	    ci.has_sig_key ? fpr : "none", ci.sig_algo,
	    ci.has_sig_key ? when : "-", ci.counter, uif_name(ci.uif),
	    ci.pw1_tries, ci.pw3_tries, ci.pw1_per_signature ? "yes" : "no");
	return 0;
}

static int
cmd_list(const char *device)
{
	fido_dev_info_t *list;
	fido_dev_t *dev;
	size_t n = 0, i;

	if (opcard_list(list_reader, NULL, 0) != 0)
		printf("(no smart-card readers to list)\n");
	if (fido2dev_load() != 0)
		return 1;
	if ((device = fido2dev_choose(device, NULL)) != NULL) {
		if (fido2dev_open(device, 5, &dev) != 0)
			return 1;
		printf("fido2 %s: FIDO2 %s\n", device, fido_dev_is_fido2(dev) ?
		    "authenticator" : "device (U2F only)");
		fido2dev_close(dev);
		return 0;
	}
	if ((list = fido_dev_info_new(16)) == NULL)
		return 1;
	if (fido_dev_info_manifest(list, 16, &n) != FIDO_OK)
		n = 0;
	for (i = 0; i < n; i++) {
		const fido_dev_info_t *di = fido_dev_info_ptr(list, i);

		printf("fido2 %s: %s %s (%04x:%04x)\n", fido_dev_info_path(di),
		    fido_dev_info_manufacturer_string(di),
		    fido_dev_info_product_string(di),
		    (unsigned)fido_dev_info_vendor(di),
		    (unsigned)fido_dev_info_product(di));
	}
	if (n == 0)
		printf("no FIDO2 security key found\n");
	fido_dev_info_free(&list, 16);
	return 0;
}

/* Check the attestation the key gave: self ("packed" without x5c), full
 * ("packed" with a certificate: its signature, not the chain), or none. */
static int
check_attestation(fido_cred_t *c, const char **how)
{
	const char *fmt = fido_cred_fmt(c);
	int e;

	if (fmt != NULL && strcmp(fmt, "none") == 0) {
		*how = "none (the key gave no attestation; not checked)";
		return 0;
	}
	if (fido_cred_x5c_ptr(c) != NULL) {
		*how = "packed, certificate (signature checked, not its chain)";
		e = fido_cred_verify(c);
	} else {
		*how = "packed, self (checked)";
		e = fido_cred_verify_self(c);
	}
	if (e != FIDO_OK) {
		log_err("the key's attestation does not verify: %s",
		    fido2dev_strerror(e));
		return SK_ERR_BAD_SIGNATURE;
	}
	return 0;
}

static int
cmd_enroll(const char *device, const char *alg_s, const char *rp,
    const char *name, const char *out, int timeout_s)
{
	struct fido2_record rec;
	fido_dev_t *dev = NULL;
	fido_cred_t *c = NULL;
	uint8_t cdh[32], user_id[16], sid[FIDO2_ID_LEN];
	char text[4096], pubpath[4096], sidhex[17];
	const char *how = "";
	size_t off = 0;
	int e, status = 1;

	memset(&rec, 0, sizeof(rec));
	if (fido2_alg_parse(alg_s, &rec.alg) != 0) {
		log_err("--alg must be es256 or eddsa, not '%s'", alg_s);
		return 2;
	}
	if (strlen(name) > FIDO2_NAME_MAX || strlen(rp) > FIDO2_RP_MAX) {
		log_err("--name is at most %d characters, --rp %d",
		    FIDO2_NAME_MAX, FIDO2_RP_MAX);
		return 2;
	}
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(rec.rp, sizeof(rec.rp), "%s", rp);
	snprintf(pubpath, sizeof(pubpath), "%s.pub", out);
	if (access(out, F_OK) == 0 || access(pubpath, F_OK) == 0) {
		log_err("%s or %s exists; not replacing it", out, pubpath);
		return 1;
	}
	crypto_random(cdh, sizeof(cdh));
	crypto_random(user_id, sizeof(user_id));
	if (fido2dev_open(fido2dev_choose(device, NULL), timeout_s, &dev) != 0)
		return 1;
	if ((c = fido_cred_new()) == NULL ||
	    fido_cred_set_type(c, rec.alg == FIDO2_ES256 ? COSE_ES256 :
	    COSE_EDDSA) != FIDO_OK ||
	    fido_cred_set_clientdata_hash(c, cdh, sizeof(cdh)) != FIDO_OK ||
	    fido_cred_set_rp(c, rp, "sigknock") != FIDO_OK ||
	    fido_cred_set_user(c, user_id, sizeof(user_id), name, NULL,
	    NULL) != FIDO_OK) {
		log_err("--rp and --name must be printable text");
		goto out;
	}
	fprintf(stderr, "Touch your security key...\n");
	if ((e = fido_dev_make_cred(dev, c, NULL)) != FIDO_OK) {
		log_err("no credential made: %s", fido2dev_strerror(e));
		goto out;
	}
	if (check_attestation(c, &how) != 0)
		goto out;
	if (fido_cred_id_len(c) == 0 || fido_cred_id_len(c) > FIDO2_CRED_MAX) {
		log_err("the key gave a credential id of %zu bytes (1 to %d "
		    "fit)", fido_cred_id_len(c), FIDO2_CRED_MAX);
		goto out;
	}
	memcpy(rec.cred, fido_cred_id_ptr(c), fido_cred_id_len(c));
	rec.credlen = fido_cred_id_len(c);
	/* libfido2 gives ES256 as x || y; the record keeps SEC1 04 || x || y. */
	if (rec.alg == FIDO2_ES256 && fido_cred_pubkey_len(c) == 64) {
		rec.pk[0] = 0x04;
		memcpy(rec.pk + 1, fido_cred_pubkey_ptr(c), 64);
		rec.pklen = 65;
	} else if (rec.alg == FIDO2_EDDSA && fido_cred_pubkey_len(c) == 32) {
		memcpy(rec.pk, fido_cred_pubkey_ptr(c), 32);
		rec.pklen = 32;
	} else {
		log_err("the key gave a public key of %zu bytes",
		    fido_cred_pubkey_len(c));
		goto out;
	}
	rec.kind = FIDO2_CREDENTIAL;
	if (device != NULL)
		snprintf(rec.device, sizeof(rec.device), "%s", device);
	if (fido2_format(&rec, text, sizeof(text), &off) != 0 ||
	    file_write_new(out, text, strlen(text), 0600) != 0)
		goto out;
	rec.kind = FIDO2_ENROLLMENT;
	rec.device[0] = '\0';
	off = 0;
	if (fido2_format(&rec, text, sizeof(text), &off) != 0 ||
	    file_write_new(pubpath, text, strlen(text), 0644) != 0) {
		unlink(out);
		goto out;
	}
	fido2_signer_id(&rec, sid);
	fido2_short_id(sid, sidhex);
	printf("enrolled '%s' (%s, rp %s, credential %s)\n", rec.name,
	    fido2_alg_name(rec.alg), rec.rp, sidhex);
	printf("attestation: %s\n", how);
	printf("credential file (for sigknock --token fido2): %s\n", out);
	printf("enrollment record (for the server's sigknock-keys add): %s\n",
	    pubpath);
	status = 0;
out:
	fido_cred_free(&c);
	fido2dev_close(dev);
	return status;
}

/* Verify sig over msg as a server with keyring dir would. */
static int
verify_as_server(const char *dir, uint8_t type, const uint8_t *id,
    size_t idlen, const uint8_t *sig, size_t siglen, const uint8_t *msg,
    size_t mlen, char *who, size_t whocap)
{
	const struct keyring_entry *e;
	const struct fido2_user *u;
	struct fido2_users *fu;
	struct fido2_assertion as;
	struct keyring *kr;
	int r;

	/* The daemon's loaders and its ledger (names, revocations); as
	 * with sigknockd -t, nothing is written. */
	if (type == SK_SIGNER_FIDO2) {
		if ((r = fido2_users_load(dir, &fu)) != 0)
			return r;
		if ((r = keyring_apply_users(dir, NULL, fu, 0)) == 0 &&
		    (u = fido2_users_lookup(fu, id, idlen)) == NULL)
			r = SK_ERR_UNKNOWN_SIGNER;
		else if (r == 0 && (r = fido2_verify(u->pk, u->rec.alg,
		    u->rp_hash, sig, siglen, msg, mlen, &as)) == 0)
			snprintf(who, whocap, "%s", u->rec.name[0] ?
			    u->rec.name : "(no name)");
		fido2_users_free(fu);
		return r;
	}
	if ((r = keyring_load(dir, &kr)) != 0)
		return r;
	if ((r = keyring_apply_users(dir, kr, NULL, 0)) == 0 &&
	    (r = keyring_verify(kr, id, idlen, sig, siglen, msg, mlen,
	    time(NULL), 60, &e)) == 0)
		snprintf(who, whocap, "%s", e->name[0] ? e->name :
		    "(no name: known by fingerprint)");
	keyring_free(kr);
	keyring_stop_agent(dir);
	return r;
}

static int
cmd_test(const char *token, const char *keyring, struct token_opts *o)
{
	const struct token_ops *ops;
	struct token *t = NULL;
	struct timespec t0, t1;
	uint8_t msg[64], sig[SK_SIG_MAX], id[64], type;
	char who[KEYRING_UID_MAX] = "";
	size_t idlen, siglen;
	int r;

	if ((ops = token_find(token)) == NULL) {
		log_err("unknown token '%s' (%s)", token, token_names());
		return 2;
	}
	memcpy(msg, "sigknock-token test", 19);
	crypto_random(msg + 19, sizeof(msg) - 19);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ops->open(&t, o, &type, id, &idlen) != 0)
		return 1;
	r = ops->sign(t, msg, sizeof(msg), sig, sizeof(sig), &siglen);
	ops->close(t);
	if (r != 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (keyring != NULL && (r = verify_as_server(keyring, type, id, idlen,
	    sig, siglen, msg, sizeof(msg), who, sizeof(who))) != 0) {
		log_err("signed, but the keyring %s does not accept it: %s",
		    keyring, sk_strerror(r));
		return 1;
	}
	printf("%s: signed%s%s%s in %.0f ms (PIN and touch included)\n",
	    token, keyring ? ", verified as " : " and checked", keyring ? who :
	    "", keyring ? " by the keyring" : "",
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_DEV = 256, OPT_ALG, OPT_RP, OPT_NAME, OPT_CRED, OPT_TOUCH,
	    OPT_READER, OPT_PIN_FD, OPT_TOKEN, OPT_KEYRING, OPT_SIGNER };
	static const struct option longopts[] = {
		{ "fido-device", required_argument, NULL, OPT_DEV },
		{ "alg", required_argument, NULL, OPT_ALG },
		{ "rp", required_argument, NULL, OPT_RP },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "credential", required_argument, NULL, OPT_CRED },
		{ "touch-timeout", required_argument, NULL, OPT_TOUCH },
		{ "reader", required_argument, NULL, OPT_READER },
		{ "pin-fd", required_argument, NULL, OPT_PIN_FD },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "keyring", required_argument, NULL, OPT_KEYRING },
		{ "signer", required_argument, NULL, OPT_SIGNER },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = NULL, *alg = "es256", *rp = DEFAULT_RP;
	const char *name = getenv("USER"), *out = NULL, *cred = NULL, *cmd;
	const char *token = "card", *keyring = NULL;
	struct token_opts to;
	int c, timeout_s = TOKEN_FIDO2_TOUCH_S;

	memset(&to, 0, sizeof(to));
	to.pin_fd = -1;

	sk_log_init("sigknock-token", 1, LOG_NOTICE);
	/* Options may come before or after the command. */
	while ((c = getopt_long(argc, argv, "o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DEV: device = optarg; break;
		case OPT_ALG: alg = optarg; break;
		case OPT_RP: rp = optarg; break;
		case OPT_NAME: name = optarg; break;
		case OPT_CRED: cred = optarg; break;
		case OPT_READER: to.reader = optarg; break;
		case OPT_TOKEN: token = optarg; break;
		case OPT_KEYRING: keyring = optarg; break;
		case OPT_SIGNER: to.signer = optarg; break;
		case OPT_PIN_FD:
			if ((to.pin_fd = atoi(optarg)) < 0 || optarg[0] < '0' ||
			    optarg[0] > '9') {
				log_err("--pin-fd takes a file descriptor number");
				return 2;
			}
			break;
		case OPT_TOUCH:
			if ((timeout_s = atoi(optarg)) <= 0 || timeout_s > 3600) {
				log_err("--touch-timeout takes 1 to 3600 seconds");
				return 2;
			}
			break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sigknock-token %s\n", PACKAGE_VERSION); return 0;
		default: return sk_usage_error(SYNOPSIS, NULL);
		}
	}
	if (optind == argc)
		return sk_usage_error(SYNOPSIS, "no command");
	if (optind < argc - 1)
		return sk_usage_error(SYNOPSIS, "unexpected argument '%s'",
		    argv[optind + 1]);
	cmd = argv[optind];
	if (crypto_init() != 0)
		return 1;
	if (strcmp(cmd, "list") == 0)
		return cmd_list(device);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(to.reader);
	if (strcmp(cmd, "test") == 0) {
		to.credential = cred;
		to.device = device;
		to.touch_timeout = timeout_s;
		return cmd_test(token, keyring, &to);
	}
	if (strcmp(cmd, "enroll") == 0) {
		if (out == NULL) {
			log_err("enroll needs -o FILE (the credential file to "
			    "write; the record goes to FILE.pub)");
			return 2;
		}
		if (name == NULL || *name == '\0') {
			log_err("enroll needs --name NAME ($USER is not set)");
			return 2;
		}
		return cmd_enroll(device, alg, rp, name, out, timeout_s);
	}
	log_err("unknown command '%s' (list, status, enroll, test)", cmd);
	return 2;
}
