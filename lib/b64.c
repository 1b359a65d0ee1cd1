#include "config.h"

#include <string.h>

#include "b64.h"
#include "err.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
b64_encode(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	uint32_t v;

	if (cap < B64_LEN(n) + 1)
		return SK_ERR_NO_SPACE;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

static int
val(char c)
{
	const char *q;

	if (c == '\0' || (q = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(q - alphabet);
}

int
b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *len)
{
	size_t i, o = 0, pad = 0;
	int a, b, c, d;

	*len = 0;
	if (slen % 4 != 0)
		return SK_ERR_BAD_FIELD;
	if (slen > 0 && s[slen - 1] == '=')
		pad = slen > 1 && s[slen - 2] == '=' ? 2 : 1;
	if (slen / 4 * 3 - pad > cap)
		return SK_ERR_NO_SPACE;
	for (i = 0; i < slen; i += 4) {
		int last = i + 4 == slen;

		a = val(s[i]);
		b = val(s[i + 1]);
		c = last && pad == 2 ? 0 : val(s[i + 2]);
		d = last && pad >= 1 ? 0 : val(s[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return SK_ERR_BAD_FIELD;
		out[o++] = (uint8_t)(a << 2 | b >> 4);
		if (last && pad == 2) {
			if (b & 15)
				return SK_ERR_BAD_FIELD;	/* non-canonical */
			break;
		}
		out[o++] = (uint8_t)(b << 4 | c >> 2);
		if (last && pad == 1) {
			if (c & 3)
				return SK_ERR_BAD_FIELD;
			break;
		}
		out[o++] = (uint8_t)(c << 6 | d);
	}
	*len = o;
	return 0;
}

int
b64_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
