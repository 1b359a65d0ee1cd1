#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "serverkey.h"
#include "wipe.h"

#define TAG "sigknock-server-key-v1"

int
serverkey_generate(const char *path, struct sk_server_key *k)
{
	uint8_t sk[HPKE_SK_LEN];
	char line[256], b64[B64_LEN(HPKE_SK_LEN) + 1];
	int fd, r, n;

	crypto_random(sk, sizeof(sk));
	if ((r = wire_server_key_init(k, sk)) != 0)
		goto out;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		log_err("%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (an existing key is never overwritten)" : "");
		r = SK_ERR_IO;
		goto out;
	}
	b64_encode(sk, sizeof(sk), b64, sizeof(b64));
	n = snprintf(line, sizeof(line),
	    "# sigknock server private key (X25519). Keep it secret: mode 0600.\n"
	    "%s %s\n", TAG, b64);
	if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		log_err("%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		r = SK_ERR_IO;
		goto out;
	}
	close(fd);
	r = 0;
out:
	sk_wipe(sk, sizeof(sk));
	sk_wipe(line, sizeof(line));
	sk_wipe(b64, sizeof(b64));
	if (r != 0)
		wire_server_key_wipe(k);
	return r;
}

/* First line that is not a comment or blank, without its newline. */
static int
first_line(FILE *f, char *buf, size_t len)
{
	char *p;

	while (fgets(buf, (int)len, f) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		for (p = buf; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != '\0' && *p != '#') {
			memmove(buf, p, strlen(p) + 1);
			return 0;
		}
	}
	return -1;
}

int
serverkey_load(const char *path, struct sk_server_key *k)
{
	char line[256];
	uint8_t sk[HPKE_SK_LEN];
	struct stat st;
	size_t n;
	FILE *f;
	int r = SK_ERR_BAD_FIELD;

	memset(k, 0, sizeof(*k));
	if ((f = fopen(path, "re")) == NULL) {
		log_err("server key %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		log_err("server key %s: mode %03o lets others read it; "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (first_line(f, line, sizeof(line)) != 0 ||
	    strncmp(line, TAG " ", strlen(TAG) + 1) != 0 ||
	    b64_decode(line + strlen(TAG) + 1, strlen(line + strlen(TAG) + 1),
	    sk, sizeof(sk), &n) != 0 || n != sizeof(sk)) {
		log_err("server key %s: not a sigknock server key file "
		    "(expected a '%s <base64>' line)", path, TAG);
		goto out;
	}
	r = wire_server_key_init(k, sk);
out:
	sk_wipe(sk, sizeof(sk));
	sk_wipe(line, sizeof(line));
	fclose(f);
	return r;
}

void
serverkey_public_b64(const uint8_t pk[static HPKE_PK_LEN], char *out)
{
	b64_encode(pk, HPKE_PK_LEN, out, SERVERKEY_B64_LEN + 1);
}

int
serverkey_parse_public(const char *s, uint8_t pk[static HPKE_PK_LEN])
{
	char line[256];
	size_t n;
	FILE *f;

	if (strlen(s) == SERVERKEY_B64_LEN &&
	    b64_decode(s, SERVERKEY_B64_LEN, pk, HPKE_PK_LEN, &n) == 0 &&
	    n == HPKE_PK_LEN)
		return 0;
	if (strchr(s, '/') == NULL && access(s, F_OK) != 0) {
		log_err("server key '%s' is neither a 44-character base64 "
		    "public key nor a file", s);
		return SK_ERR_BAD_FIELD;
	}
	if ((f = fopen(s, "re")) == NULL) {
		log_err("server key file %s: %s", s, strerror(errno));
		return SK_ERR_IO;
	}
	n = 0;
	line[0] = '\0';
	if (first_line(f, line, sizeof(line)) == 0 &&
	    strncmp(line, TAG, strlen(TAG)) == 0) {
		fclose(f);
		log_err("%s is the server's private key; give clients the "
		    "public key (sigknock-keys pubkey %s)", s, s);
		return SK_ERR_BAD_FIELD;
	}
	fclose(f);
	if (strlen(line) != SERVERKEY_B64_LEN ||
	    b64_decode(line, SERVERKEY_B64_LEN, pk, HPKE_PK_LEN, &n) != 0 ||
	    n != HPKE_PK_LEN) {
		log_err("server key file %s: first line is not a 44-character "
		    "base64 public key", s);
		return SK_ERR_BAD_FIELD;
	}
	return 0;
}
