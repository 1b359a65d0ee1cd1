/* The gpg token's key memory and gpg-agent's signature answer. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "b64.h"
#include "err.h"
#include "gpgagent.h"

#define GPGCACHE_MAGIC	"sigknock gpg-key 1"

/* Text we write back as it is: no control characters, no DEL. */
static int
printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b64_hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

/* Copy v[0..len) into a text field of cap bytes. */
static int
set_text(char *dst, size_t cap, const char *v, size_t len)
{
	if (len >= cap || !printable(v, len))
		return -1;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

static int
set_field(struct gpgcache *c, unsigned idx, const char *v, size_t len)
{
	size_t i;
	int64_t n;

	switch (idx) {
	case 0:	return set_text(c->home, sizeof(c->home), v, len);
	case 1:	return set_text(c->signer, sizeof(c->signer), v, len);
	case 2:	return set_text(c->stamp, sizeof(c->stamp), v, len);
	case 3:	return set_text(c->socket, sizeof(c->socket), v, len);
	case 4:
		if (len != PGP_FPR_HEX_LEN || !is_hex(v, len))
			return -1;
		return set_text(c->fpr, sizeof(c->fpr), v, len);
	case 5:
		if (len != GPGCACHE_KEYGRIP_LEN || !is_hex(v, len))
			return -1;
		return set_text(c->keygrip, sizeof(c->keygrip), v, len);
	case 6:	return set_text(c->card, sizeof(c->card), v, len);
	case 7:	return set_text(c->uid, sizeof(c->uid), v, len);
	case 8:
		if (len == 0 || len > 18)
			return -1;
		for (n = 0, i = 0; i < len; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			n = n * 10 + (v[i] - '0');
		}
		c->expires = n;
		return 0;
	case 9:
		if (len == 0 || len % 2 != 0 || len / 2 > sizeof(c->key) ||
		    !is_hex(v, len))
			return -1;
		for (i = 0; i < len / 2; i++)
			c->key[i] = (uint8_t)(b64_hexval((unsigned char)v[2 * i]) << 4 |
			    b64_hexval((unsigned char)v[2 * i + 1]));
		c->keylen = len / 2;
		return 0;
	}
	return -1;
}

static const char *const fields[] = {
	"home", "signer", "stamp", "socket", "fpr", "keygrip", "card", "uid",
	"expires", "key",
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

int
gpgcache_parse(const char *buf, size_t len, struct gpgcache *c)
{
	const char *line, *nl, *sp;
	size_t off = 0, llen, nlen;
	unsigned seen = 0, i;
	int first = 1;

	memset(c, 0, sizeof(*c));
	while (off < len) {
		line = buf + off;
		nl = memchr(line, '\n', len - off);
		if (nl == NULL)
			return SK_ERR_BAD_FIELD;	/* a torn last line */
		llen = (size_t)(nl - line);
		off += llen + 1;
		if (first) {
			if (llen != sizeof(GPGCACHE_MAGIC) - 1 ||
			    memcmp(line, GPGCACHE_MAGIC, llen) != 0)
				return SK_ERR_BAD_FIELD;
			first = 0;
			continue;
		}
		if ((sp = memchr(line, ' ', llen)) == NULL)
			return SK_ERR_BAD_FIELD;
		nlen = (size_t)(sp - line);
		for (i = 0; i < NFIELDS; i++)
			if (strlen(fields[i]) == nlen &&
			    memcmp(fields[i], line, nlen) == 0)
				break;
		if (i == NFIELDS || (seen & (1u << i)) != 0 ||
		    set_field(c, i, sp + 1, llen - nlen - 1) != 0)
			return SK_ERR_BAD_FIELD;
		seen |= 1u << i;
	}
	return seen == (1u << NFIELDS) - 1 ? 0 : SK_ERR_BAD_FIELD;
}

size_t
gpgcache_format(const struct gpgcache *c, char *out, size_t cap)
{
	const char *text[8] = { c->home, c->signer, c->stamp, c->socket,
	    c->fpr, c->keygrip, c->card, c->uid };
	size_t len, i;
	int n;

	n = snprintf(out, cap, "%s\n", GPGCACHE_MAGIC);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	len = (size_t)n;
	for (i = 0; i < 8; i++) {
		if (!printable(text[i], strlen(text[i])))
			return 0;
		n = snprintf(out + len, cap - len, "%s %s\n", fields[i],
		    text[i]);
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	n = snprintf(out + len, cap - len, "expires %" PRId64 "\nkey ",
	    c->expires < 0 ? 0 : c->expires);
	if (n < 0 || (size_t)n >= cap - len)
		return 0;
	len += (size_t)n;
	if (c->keylen == 0 || c->keylen > sizeof(c->key) ||
	    cap - len < 2 * c->keylen + 2)
		return 0;
	for (i = 0; i < c->keylen; i++) {
		out[len++] = "0123456789abcdef"[c->key[i] >> 4];
		out[len++] = "0123456789abcdef"[c->key[i] & 15];
	}
	out[len++] = '\n';
	out[len] = '\0';
	return len;
}

/* The data of (name VALUE) inside list l, copied into out (cap bytes). */
static int
sexp_value(gcry_sexp_t l, const char *name, uint8_t *out, size_t cap,
    size_t *outlen)
{
	gcry_sexp_t v;
	const char *d;
	size_t n = 0;
	int r = -1;

	if ((v = gcry_sexp_find_token(l, name, 0)) == NULL)
		return -1;
	if ((d = gcry_sexp_nth_data(v, 1, &n)) != NULL && n > 0 && n <= cap) {
		memcpy(out, d, n);
		*outlen = n;
		r = 0;
	}
	gcry_sexp_release(v);
	return r;
}

int
gpgagent_sig_parse(const uint8_t *p, size_t len, uint8_t pk_algo,
    uint8_t *s1, size_t *s1len, uint8_t *s2, size_t *s2len)
{
	gcry_sexp_t all = NULL, sv = NULL, alg = NULL;
	const char *want, *name;
	size_t n = 0;
	int r = SK_ERR_BAD_FIELD;

	*s1len = *s2len = 0;
	switch (pk_algo) {
	case PGP_PK_RSA:	want = "rsa"; break;
	case PGP_PK_ECDSA:	want = "ecdsa"; break;
	case PGP_PK_EDDSA:	want = "eddsa"; break;
	default:		return SK_ERR_PGP_UNSUPPORTED;
	}
	/* Canonical form only, with its length given: never "advanced"
	 * text, never a length taken from the data. */
	if (len == 0 || gcry_sexp_new(&all, p, len, 0) != 0)
		return SK_ERR_BAD_FIELD;
	if ((name = gcry_sexp_nth_data(all, 0, &n)) == NULL || n != 7 ||
	    memcmp(name, "sig-val", 7) != 0 ||
	    (sv = gcry_sexp_nth(all, 1)) == NULL ||
	    (name = gcry_sexp_nth_data(sv, 0, &n)) == NULL ||
	    n != strlen(want) || memcmp(name, want, n) != 0)
		goto out;
	alg = sv;
	sv = NULL;
	if (pk_algo == PGP_PK_RSA) {
		if (sexp_value(alg, "s", s1, PGP_MPI_MAX, s1len) != 0)
			goto out;
	} else if (sexp_value(alg, "r", s1, PGP_MPI_MAX, s1len) != 0 ||
	    sexp_value(alg, "s", s2, PGP_MPI_MAX, s2len) != 0)
		goto out;
	r = 0;
out:
	gcry_sexp_release(alg);
	gcry_sexp_release(sv);
	gcry_sexp_release(all);
	if (r != 0)
		*s1len = *s2len = 0;
	return r;
}

size_t
gpgagent_escape(const char *s, char *out, size_t cap)
{
	size_t len = 0;
	unsigned char ch;

	if (cap == 0)
		return 0;
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (cap - len < 4)
			break;
		if (ch == ' ')
			out[len++] = '+';
		else if (ch < 0x20 || ch == 0x7f || ch == '+' || ch == '%' ||
		    ch == '"') {
			snprintf(out + len, 4, "%%%02X", ch);
			len += 3;
		} else
			out[len++] = (char)ch;
	}
	out[len] = '\0';
	return len;
}
