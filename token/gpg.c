/* Token "gpg": sign with any key gpg-agent can use (soft keys, cards
 * through scdaemon).  GnuPG is asked through GPGME once, to find the key
 * (fingerprint, keygrip, public key, agent socket); that answer is kept in
 * ~/.sigknock/gpg-key-* and stamped with the keyrings' inode, size and
 * times.  A knock then talks to gpg-agent alone, over Assuan (SIGKEY,
 * SETHASH, PKSIGN, as gpg does), and wraps its raw signature in a v4
 * packet: no gpg or gpgconf process, which was ~60 ms of every knock.
 * The signature is checked against the public key before it is sent.
 * GNUPGHOME is honoured. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <assuan.h>
#include <gpgme.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "gpgagent.h"
#include "log.h"
#include "opcard.h"
#include "pgp.h"
#include "token.h"
#include "wipe.h"
#include "wire.h"

struct token {
	struct gpgcache		 c;
	struct crypto_pubkey	*pk;
	uint8_t			 fpr[PGP_FPR_LEN];
	uint8_t			 algo;		/* PGP_PK_* */
	uint8_t			 hash;		/* PGP_HASH_* */
	int			 remembered;	/* c came from the cache file */
	int			 pin_fd;
	int			 pin_asked;
	char			 pin[TOKEN_PIN_MAX];
	assuan_context_t	 actx;
	uint8_t			 answer[4096];	/* PKSIGN's S-expression */
	size_t			 answer_len;
};

/* One line for the user about a GnuPG failure. */
static int
gpg_error_msg(const char *what, gpg_error_t err)
{
	const char *hint = "";

	switch (gpg_err_code(err)) {
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
	case GPG_ERR_ASS_CONNECT_FAILED:
		hint = " (gpg-agent or pinentry failed: try gpg-connect-agent "
		    "/bye, and check pinentry-program)";
		break;
	default:
		break;
	}
	log_err("%s: %s%s", what, gpg_strerror(err), hint);
	return SK_ERR_GPGME;
}

/* GNUPGHOME, else ~/.gnupg: where gpg looks, for the cache's stamp. */
static int
gnupg_home(char *out, size_t cap)
{
	const char *g = getenv("GNUPGHOME"), *home = getenv("HOME");
	int n;

	if (g != NULL && *g != '\0')
		n = snprintf(out, cap, "%s", g);
	else if (home != NULL && *home != '\0')
		n = snprintf(out, cap, "%s/.gnupg", home);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* What changes when a key is added, deleted, revoked or moved to a card:
 * the public keyring (inode: gpg replaces it; size and time) and the
 * agent's key directory. */
static void
keyring_stamp(const char *home, char *out, size_t cap)
{
	static const char *const files[] = { "pubring.kbx", "pubring.gpg",
	    "private-keys-v1.d" };
	char path[1200];
	struct stat st;
	size_t i, len = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", home, files[i]);
		if (stat(path, &st) != 0)
			memset(&st, 0, sizeof(st));
		n = snprintf(out + len, cap - len, "%s%lx.%llx.%lld.%ld",
		    i > 0 ? ":" : "", (unsigned long)st.st_ino,
		    (unsigned long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		if (n < 0 || (size_t)n >= cap - len)
			return;
		len += (size_t)n;
	}
}

/* ~/.sigknock/gpg-key-HASH: one file per GnuPG home and --signer. */
static int
cache_path(const char *home, const char *signer, char *path, size_t cap,
    int make_dir)
{
	uint8_t d[SK_SHA256_LEN], in[1024 + 256 + 1];
	char name[64];
	size_t hl = strlen(home), sl = strlen(signer), i;

	if (hl + 1 + sl > sizeof(in))
		return -1;
	memcpy(in, home, hl);
	in[hl] = '\0';
	memcpy(in + hl + 1, signer, sl);
	if (crypto_sha256(in, hl + 1 + sl, d) != 0)
		return -1;
	memcpy(name, ".sigknock/gpg-key-", 18);
	for (i = 0; i < 16; i++)
		snprintf(name + 18 + 2 * i, 3, "%02x", d[i]);
	return home_path(name, path, cap, make_dir);
}

static int
cache_load(struct token *t, const char *home, const char *signer,
    const char *stamp)
{
	char path[4096], *buf;
	struct stat st;
	size_t len;
	int r;

	/* Only a memory nobody else could have written, as for
	 * ~/.sigknockrc: another's is ignored and written anew. */
	if (cache_path(home, signer, path, sizeof(path), 0) != 0 ||
	    lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
	    file_read_all(path, GPGCACHE_BYTES, &buf, &len) != 0)
		return -1;
	r = gpgcache_parse(buf, len, &t->c);
	free(buf);
	if (r != 0 || strcmp(t->c.home, home) != 0 ||
	    strcmp(t->c.signer, signer) != 0 || strcmp(t->c.stamp, stamp) != 0 ||
	    (t->c.expires != 0 && t->c.expires <= (int64_t)time(NULL)))
		return -1;
	return 0;
}

static void
cache_save(const struct token *t)
{
	char path[4096], buf[GPGCACHE_BYTES];
	size_t len;

	/* Not remembered is only slower: say nothing unless it fails. */
	if ((len = gpgcache_format(&t->c, buf, sizeof(buf))) == 0 ||
	    cache_path(t->c.home, t->c.signer, path, sizeof(path), 1) != 0)
		return;
	(void)file_write_atomic(path, buf, len, 0600);
}

static void
cache_forget(const struct token *t)
{
	char path[4096];

	if (cache_path(t->c.home, t->c.signer, path, sizeof(path), 0) == 0)
		(void)unlink(path);
}

static int
usable_subkey(gpgme_subkey_t sk)
{
	return sk->can_sign && sk->secret && !sk->revoked && !sk->expired &&
	    !sk->disabled && !sk->invalid;
}

/* Printable text for the cache and the pinentry. */
static void
copy_printable(char *dst, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	dst[i] = '\0';
}

/* The public-key or subkey packet body of fingerprint fpr in an export. */
static int
find_key_body(const uint8_t *p, size_t len, const uint8_t *fpr,
    struct gpgcache *c)
{
	struct rbuf r;
	const uint8_t *body;
	uint8_t tag, f[PGP_FPR_LEN];
	size_t blen;

	rbuf_init(&r, p, len);
	while (rbuf_left(&r) > 0) {
		if (pgp_packet_next(&r, &tag, &body, &blen) != 0)
			return -1;
		if ((tag != PGP_TAG_PUBLIC_KEY && tag != PGP_TAG_PUBLIC_SUBKEY) ||
		    blen > sizeof(c->key) || pgp_fingerprint(body, blen, f) != 0 ||
		    memcmp(f, fpr, PGP_FPR_LEN) != 0)
			continue;
		memcpy(c->key, body, blen);
		c->keylen = blen;
		return 0;
	}
	return -1;
}

/* Ask GnuPG (through GPGME: gpgconf, gpg) for the signing key, as gpg
 * would pick it: a subkey fingerprint names that subkey, otherwise the
 * newest usable signing subkey of the first usable key. */
static int
lookup(struct token *t, const struct token_opts *o)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t exp = NULL;
	gpgme_subkey_t sk, best = NULL;
	gpgme_key_t key, chosen = NULL;
	gpgme_error_t err;
	const char *sock;
	char *mem = NULL;
	size_t n = 0;
	int r = SK_ERR_GPGME;

	gpgme_check_version(NULL);
	if ((err = gpgme_new(&ctx)) != 0 ||
	    (err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0)
		return gpg_error_msg("cannot start GPGME", err);
	if ((err = gpgme_op_keylist_start(ctx, o->signer, 1)) != 0) {
		r = gpg_error_msg("cannot list secret keys", err);
		goto out;
	}
	while (best == NULL && gpgme_op_keylist_next(ctx, &key) == 0) {
		if (key->revoked || key->expired || key->disabled || key->invalid) {
			gpgme_key_unref(key);
			continue;
		}
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
			chosen = key;
	}
	gpgme_op_keylist_end(ctx);
	if (best == NULL) {
		log_err("no usable secret signing key%s%s%s in %s",
		    o->signer ? " matching '" : "", o->signer ? o->signer : "",
		    o->signer ? "'" : "", t->c.home);
		r = SK_ERR_UNKNOWN_SIGNER;
		goto out;
	}
	if (best->fpr == NULL || strlen(best->fpr) != PGP_FPR_HEX_LEN ||
	    pgp_fpr_parse(best->fpr, t->fpr) != 0) {
		log_err("key %s is not an OpenPGP v4 key",
		    best->fpr ? best->fpr : "?");
		r = SK_ERR_PGP_UNSUPPORTED;
		goto out;
	}
	if (best->keygrip == NULL ||
	    strlen(best->keygrip) != GPGCACHE_KEYGRIP_LEN) {
		log_err("GnuPG gave no keygrip for key %s", best->fpr);
		goto out;
	}
	pgp_fpr_format(t->fpr, t->c.fpr);
	snprintf(t->c.keygrip, sizeof(t->c.keygrip), "%s", best->keygrip);
	if (best->is_cardkey && best->card_number != NULL)
		copy_printable(t->c.card, sizeof(t->c.card), best->card_number);
	copy_printable(t->c.uid, sizeof(t->c.uid), chosen->uids != NULL ?
	    chosen->uids->uid : "");
	t->c.expires = best->expires;
	/* The public key, from GnuPG's own export: signatures are checked
	 * with it before they are sent. */
	if ((err = gpgme_data_new(&exp)) != 0 ||
	    (err = gpgme_op_export(ctx, chosen->fpr, GPGME_EXPORT_MODE_MINIMAL,
	    exp)) != 0) {
		r = gpg_error_msg("cannot export the public key", err);
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(exp, &n);
	exp = NULL;
	if (mem == NULL || find_key_body((const uint8_t *)mem, n, t->fpr,
	    &t->c) != 0) {
		log_err("GnuPG's export of %s does not hold that key", t->c.fpr);
		r = SK_ERR_PGP_FORMAT;
		goto out;
	}
	if ((sock = gpgme_get_dirinfo("agent-socket")) == NULL ||
	    *sock != '/' || strlen(sock) >= sizeof(t->c.socket)) {
		log_err("GnuPG names no gpg-agent socket (gpgconf "
		    "--list-dirs agent-socket)");
		goto out;
	}
	snprintf(t->c.socket, sizeof(t->c.socket), "%s", sock);
	r = 0;
out:
	gpgme_free(mem);
	gpgme_data_release(exp);
	gpgme_key_unref(chosen);
	gpgme_release(ctx);
	return r;
}

/* The remembered or looked-up public key, and the hash that goes with it
 * (the curve's size for ECDSA, as gpg chooses; SHA-256 otherwise). */
static int
load_key(struct token *t)
{
	struct pgp_key k;
	uint8_t want[PGP_FPR_LEN];
	int r;

	crypto_pubkey_free(t->pk);
	t->pk = NULL;
	if (pgp_fpr_parse(t->c.fpr, want) != 0)
		return SK_ERR_BAD_FIELD;
	if ((r = pgp_key_parse(PGP_TAG_PUBLIC_SUBKEY, t->c.key, t->c.keylen,
	    &k)) != 0)
		return r;
	if (k.pk == NULL || memcmp(k.fpr, want, PGP_FPR_LEN) != 0 ||
	    (k.algo != PGP_PK_RSA && k.algo != PGP_PK_ECDSA &&
	    k.algo != PGP_PK_EDDSA)) {
		pgp_key_clear(&k);
		return SK_ERR_PGP_UNSUPPORTED;
	}
	memcpy(t->fpr, want, PGP_FPR_LEN);
	t->algo = k.algo;
	t->hash = k.algo == PGP_PK_ECDSA && k.curve == SK_CURVE_P384 ?
	    PGP_HASH_SHA384 : k.algo == PGP_PK_ECDSA && k.curve == SK_CURVE_P521 ?
	    PGP_HASH_SHA512 : PGP_HASH_SHA256;
	t->pk = k.pk;
	k.pk = NULL;
	pgp_key_clear(&k);
	return 0;
}

static int
gpg_open(struct token **out, const struct token_opts *o, uint8_t *type,
    uint8_t *id, size_t *idlen)
{
	struct token *t;
	char home[1024], stamp[128];
	const char *signer = o->signer != NULL ? o->signer : "";
	int r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SK_ERR_ALLOC;
	t->pin_fd = o->pin_fd;
	if (gnupg_home(home, sizeof(home)) != 0 ||
	    strlen(signer) >= sizeof(t->c.signer)) {
		log_err("no GnuPG home: set GNUPGHOME or HOME");
		r = SK_ERR_INVALID_ARG;
		goto fail;
	}
	keyring_stamp(home, stamp, sizeof(stamp));
	if (cache_load(t, home, signer, stamp) == 0 && load_key(t) == 0)
		t->remembered = 1;
	else {
		memset(&t->c, 0, sizeof(t->c));
		snprintf(t->c.home, sizeof(t->c.home), "%s", home);
		snprintf(t->c.signer, sizeof(t->c.signer), "%s", signer);
		snprintf(t->c.stamp, sizeof(t->c.stamp), "%s", stamp);
		if ((r = lookup(t, o)) != 0)
			goto fail;
		if ((r = load_key(t)) != 0) {
			log_err("key %s: %s", t->c.fpr, sk_strerror(r));
			goto fail;
		}
		cache_save(t);
	}
	if (o->verbose)
		log_info("signing key %s (%s), %s", t->c.fpr, t->c.uid,
		    t->remembered ? "remembered" : "looked up through GnuPG");
	*type = SK_SIGNER_OPENPGP;
	memcpy(id, t->fpr, PGP_FPR_LEN);
	*idlen = PGP_FPR_LEN;
	*out = t;
	return 0;
fail:
	crypto_pubkey_free(t->pk);
	free(t);
	return r;
}

/* gpgconf --launch gpg-agent, as gpg does when the socket is dead. */
static void
launch_agent(void)
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return;
	if (pid == 0) {
		execlp("gpgconf", "gpgconf", "--launch", "gpg-agent", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

static gpg_error_t
agent_connect(struct token *t)
{
	const char *sock;
	gpg_error_t err;
	int attempt;

	if ((err = assuan_new(&t->actx)) != 0)
		return err;
	for (attempt = 0; attempt < 3; attempt++) {
		err = assuan_socket_connect(t->actx, t->c.socket,
		    ASSUAN_INVALID_PID, 0);
		if (err == 0)
			return 0;
		if (attempt == 0) {
			launch_agent();
			continue;
		}
		/* The socket moved (e.g. /run/user went away): ask GnuPG
		 * where it is now, and remember that. */
		gpgme_check_version(NULL);
		if ((sock = gpgme_get_dirinfo("agent-socket")) == NULL ||
		    *sock != '/' || strlen(sock) >= sizeof(t->c.socket) ||
		    strcmp(sock, t->c.socket) == 0)
			break;
		snprintf(t->c.socket, sizeof(t->c.socket), "%s", sock);
		launch_agent();
		cache_save(t);
	}
	return err;
}

/* The session's terminal and display, for the pinentry: what gpg tells
 * the agent (GnuPG's session environment). */
static gpg_error_t
send_session(struct token *t)
{
	static const struct { const char *env, *opt; } named[] = {
		{ "GPG_TTY", "ttyname" }, { "TERM", "ttytype" },
		{ "DISPLAY", "display" }, { "XAUTHORITY", "xauthority" },
	};
	static const char *const putenv_names[] = { "XMODIFIERS",
	    "GTK_IM_MODULE", "DBUS_SESSION_BUS_ADDRESS", "QT_IM_MODULE",
	    "INSIDE_EMACS", "PINENTRY_USER_DATA", "WAYLAND_DISPLAY" };
	char line[ASSUAN_LINELENGTH];
	const char *v;
	size_t i;
	int n;
	gpg_error_t err;

	for (i = 0; i < sizeof(named) / sizeof(named[0]) +
	    sizeof(putenv_names) / sizeof(putenv_names[0]); i++) {
		if (i < sizeof(named) / sizeof(named[0])) {
			if ((v = getenv(named[i].env)) == NULL || *v == '\0')
				continue;
			n = snprintf(line, sizeof(line), "OPTION %s=%s",
			    named[i].opt, v);
		} else {
			const char *name = putenv_names[i -
			    sizeof(named) / sizeof(named[0])];

			if ((v = getenv(name)) == NULL || *v == '\0')
				continue;
			n = snprintf(line, sizeof(line), "OPTION putenv=%s=%s",
			    name, v);
		}
		/* A value the Assuan line cannot carry is not passed on. */
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    strpbrk(line, "\n\r%") != NULL)
			continue;
		if ((err = assuan_transact(t->actx, line, NULL, NULL, NULL,
		    NULL, NULL, NULL)) != 0)
			return err;
	}
	return 0;
}

static gpg_error_t
answer_cb(void *arg, const void *p, size_t len)
{
	struct token *t = arg;

	if (len > sizeof(t->answer) - t->answer_len)
		return gpg_error(GPG_ERR_TOO_LARGE);
	memcpy(t->answer + t->answer_len, p, len);
	t->answer_len += len;
	return 0;
}

/* With --pin-fd the agent asks us (loopback) for the passphrase or PIN:
 * read once; a second request means it was wrong. */
static gpg_error_t
inquire_cb(void *arg, const char *line)
{
	struct token *t = arg;

	if (strncmp(line, "PASSPHRASE", 10) != 0 ||
	    (line[10] != '\0' && line[10] != ' '))
		return gpg_error(GPG_ERR_ASS_UNKNOWN_INQUIRE);
	if (t->pin_asked++)
		return gpg_error(GPG_ERR_BAD_PASSPHRASE);
	if (t->pin[0] == '\0' && token_read_pin(t->pin_fd, "", t->pin,
	    sizeof(t->pin)) != 0)
		return gpg_error(GPG_ERR_CANCELED);
	return assuan_send_data(t->actx, t->pin, strlen(t->pin));
}

static int
gpg_sign(struct token *t, const uint8_t *msg, size_t len, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	struct pgp_sig_builder b;
	struct pgp_sig ps;
	const uint8_t *parts[1] = { msg };
	uint8_t digest[64], s1[PGP_MPI_MAX], s2[PGP_MPI_MAX];
	char line[ASSUAN_LINELENGTH], desc[700], text[400];
	size_t lens[1] = { len }, dlen, s1len, s2len, i;
	gpg_error_t err;
	int r;

	*siglen = 0;
	if ((r = pgp_sig_builder_init(&b, PGP_SIG_BINARY, t->algo, t->hash,
	    (uint32_t)time(NULL), t->fpr, 0)) != 0 ||
	    (r = pgp_sig_builder_digest(&b, parts, lens, 1, digest, &dlen)) != 0)
		return r;
	if ((err = agent_connect(t)) != 0) {
		r = gpg_error_msg("cannot reach gpg-agent", err);
		goto out;
	}
	if ((err = send_session(t)) != 0) {
		r = gpg_error_msg("gpg-agent refused the session options", err);
		goto out;
	}
	if (t->pin_fd >= 0 && (err = assuan_transact(t->actx,
	    "OPTION pinentry-mode=loopback", NULL, NULL, NULL, NULL, NULL,
	    NULL)) != 0) {
		r = gpg_error_msg("cannot use --pin-fd (is "
		    "allow-loopback-pinentry off in gpg-agent.conf?)", err);
		goto out;
	}
	snprintf(text, sizeof(text), "Please enter the passphrase to unlock "
	    "the OpenPGP secret key:\n\"%s\"\nkey %s, to knock with sigknock",
	    t->c.uid, t->c.fpr);
	gpgagent_escape(text, desc, sizeof(desc));
	snprintf(line, sizeof(line), "SIGKEY %s", t->c.keygrip);
	if ((err = assuan_transact(t->actx, line, NULL, NULL, NULL, NULL,
	    NULL, NULL)) != 0) {
		/* The agent has no such key: GnuPG's keyring moved on in a
		 * way the stamp did not see.  Look it up afresh next time. */
		if (t->remembered)
			cache_forget(t);
		r = gpg_error_msg("gpg-agent cannot use the signing key", err);
		goto out;
	}
	snprintf(line, sizeof(line), "SETKEYDESC %s", desc);
	if ((err = assuan_transact(t->actx, line, NULL, NULL, NULL, NULL,
	    NULL, NULL)) != 0) {
		r = gpg_error_msg("gpg-agent refused the key description", err);
		goto out;
	}
	snprintf(line, sizeof(line), "SETHASH %u ", t->hash);
	for (i = 0; i < dlen; i++)
		snprintf(line + strlen(line), 3, "%02X", digest[i]);
	if ((err = assuan_transact(t->actx, line, NULL, NULL, NULL, NULL,
	    NULL, NULL)) != 0) {
		r = gpg_error_msg("gpg-agent refused the hash", err);
		goto out;
	}
	/* GnuPG 2.2 does not tell when the card waits for a touch: ask the
	 * card (over PC/SC, shared with scdaemon) for its touch policy. */
	if (t->c.card[0] != '\0' && opcard_touch_policy(t->c.card) > 0)
		fprintf(stderr, "Touch your security key...\n");
	t->answer_len = 0;
	if ((err = assuan_transact(t->actx, "PKSIGN", answer_cb, t, inquire_cb,
	    t, NULL, NULL)) != 0) {
		r = gpg_error_msg("signing failed", err);
		goto out;
	}
	if ((r = gpgagent_sig_parse(t->answer, t->answer_len, t->algo, s1,
	    &s1len, s2, &s2len)) != 0) {
		log_err("gpg-agent's signature is not one for key %s",
		    t->c.fpr);
		goto out;
	}
	if ((r = pgp_sig_builder_finish(&b, digest, s1, s1len, s2, s2len, sig,
	    cap, siglen)) != 0) {
		log_err("the signature does not fit a knock");
		goto out;
	}
	/* The server will verify it the same way: check here first, as gpg
	 * checks what it signs. */
	if ((r = pgp_sig_parse(sig, *siglen, &ps)) != 0 ||
	    (r = pgp_sig_verify(&ps, t->pk, t->algo, msg, len, time(NULL),
	    60)) != 0) {
		log_err("gpg-agent's signature does not verify with key %s: %s",
		    t->c.fpr, sk_strerror(r));
		if (t->remembered)
			cache_forget(t);
		*siglen = 0;
		r = SK_ERR_BAD_SIGNATURE;
	}
out:
	assuan_release(t->actx);
	t->actx = NULL;
	return r;
}

static void
gpg_close(struct token *t)
{
	if (t == NULL)
		return;
	crypto_pubkey_free(t->pk);
	sk_wipe(t->pin, sizeof(t->pin));
	free(t);
}

const struct token_ops token_gpg_ops = {
	.name = "gpg",
	.open = gpg_open,
	.sign = gpg_sign,
	.close = gpg_close,
};
