#include "config.h"

#include <string.h>

#include "buf.h"
#include "endian.h"
#include "err.h"
#include "hpke.h"
#include "wipe.h"

static const uint8_t suite_kem[] = { 'K', 'E', 'M', 0x00, 0x20 };
static const uint8_t suite_hpke[] = {
	'H', 'P', 'K', 'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x03
};

struct suite {
	const uint8_t	*id;
	size_t		 len;
};
static const struct suite KEM = { suite_kem, sizeof(suite_kem) };
static const struct suite HPKE = { suite_hpke, sizeof(suite_hpke) };

/* Large enough for the longest labeled input: "HPKE-v1" + suite (10) +
 * label (≤ 16) + ikm/info/context (≤ 65 for kem_context 64 or info 64). */
#define LABELED_MAX 128

/* LabeledExtract(salt, label, ikm) */
static int
labeled_extract(const struct suite *s, const uint8_t *salt, size_t saltlen,
    const char *label, const uint8_t *ikm, size_t ikmlen,
    uint8_t prk[static SK_SHA256_LEN])
{
	uint8_t buf[LABELED_MAX];
	struct wbuf w;
	int r;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_bytes(&w, "HPKE-v1", 7);
	wbuf_bytes(&w, s->id, s->len);
	wbuf_bytes(&w, label, strlen(label));
	wbuf_bytes(&w, ikm, ikmlen);
	if ((r = wbuf_error(&w)) == 0)
		r = crypto_hkdf_extract(salt, saltlen, buf, w.len, prk);
	sk_wipe(buf, sizeof(buf));
	return r;
}

/* LabeledExpand(prk, label, info, L) */
static int
labeled_expand(const struct suite *s, const uint8_t prk[static SK_SHA256_LEN],
    const char *label, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t len)
{
	uint8_t buf[LABELED_MAX];
	struct wbuf w;
	int r;

	if (len > 0xffff)
		return SK_ERR_INVALID_ARG;
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u16(&w, (uint16_t)len);
	wbuf_bytes(&w, "HPKE-v1", 7);
	wbuf_bytes(&w, s->id, s->len);
	wbuf_bytes(&w, label, strlen(label));
	wbuf_bytes(&w, info, infolen);
	if ((r = wbuf_error(&w)) == 0)
		r = crypto_hkdf_expand(prk, buf, w.len, out, len);
	sk_wipe(buf, sizeof(buf));
	return r;
}

int
hpke_derive_keypair(const uint8_t *ikm, size_t ikmlen,
    uint8_t sk[static HPKE_SK_LEN], uint8_t pk[static HPKE_PK_LEN])
{
	uint8_t prk[SK_SHA256_LEN];
	int r;

	if (ikmlen > HPKE_IKM_MAX)
		return SK_ERR_TOO_LONG;
	if ((r = labeled_extract(&KEM, NULL, 0, "dkp_prk", ikm, ikmlen, prk)) ||
	    (r = labeled_expand(&KEM, prk, "sk", NULL, 0, sk, HPKE_SK_LEN)) ||
	    (r = crypto_x25519_base(pk, sk)))
		sk_wipe(sk, HPKE_SK_LEN);
	sk_wipe(prk, sizeof(prk));
	return r;
}

/* ExtractAndExpand(dh, enc || pkR) */
static int
extract_and_expand(uint8_t ss[static HPKE_SECRET_LEN],
    const uint8_t dh[static SK_X25519_LEN], const uint8_t enc[static HPKE_ENC_LEN],
    const uint8_t pkR[static HPKE_PK_LEN])
{
	uint8_t kem_context[HPKE_ENC_LEN + HPKE_PK_LEN];
	uint8_t prk[SK_SHA256_LEN];
	int r;

	memcpy(kem_context, enc, HPKE_ENC_LEN);
	memcpy(kem_context + HPKE_ENC_LEN, pkR, HPKE_PK_LEN);
	if ((r = labeled_extract(&KEM, NULL, 0, "eae_prk", dh, SK_X25519_LEN,
	    prk)) == 0)
		r = labeled_expand(&KEM, prk, "shared_secret", kem_context,
		    sizeof(kem_context), ss, HPKE_SECRET_LEN);
	sk_wipe(prk, sizeof(prk));
	return r;
}

int
hpke_encap(uint8_t ss[static HPKE_SECRET_LEN], uint8_t enc[static HPKE_ENC_LEN],
    const uint8_t pkR[static HPKE_PK_LEN], const uint8_t *skE)
{
	uint8_t sk[HPKE_SK_LEN], dh[SK_X25519_LEN];
	int r;

	if (skE != NULL)
		memcpy(sk, skE, sizeof(sk));
	else
		crypto_random(sk, sizeof(sk));
	if ((r = crypto_x25519_base(enc, sk)) == 0 &&
	    (r = crypto_x25519(dh, sk, pkR)) == 0)
		r = extract_and_expand(ss, dh, enc, pkR);
	sk_wipe(sk, sizeof(sk));
	sk_wipe(dh, sizeof(dh));
	if (r != 0)
		sk_wipe(ss, HPKE_SECRET_LEN);
	return r;
}

int
hpke_decap(uint8_t ss[static HPKE_SECRET_LEN],
    const uint8_t enc[static HPKE_ENC_LEN], const uint8_t skR[static HPKE_SK_LEN],
    const uint8_t pkR[static HPKE_PK_LEN])
{
	uint8_t dh[SK_X25519_LEN];
	int r;

	if ((r = crypto_x25519(dh, skR, enc)) == 0)
		r = extract_and_expand(ss, dh, enc, pkR);
	sk_wipe(dh, sizeof(dh));
	if (r != 0)
		sk_wipe(ss, HPKE_SECRET_LEN);
	return r;
}

int
hpke_key_schedule(struct hpke_ctx *ctx,
    const uint8_t ss[static HPKE_SECRET_LEN], const uint8_t *info,
    size_t infolen)
{
	uint8_t ksc[1 + 2 * SK_SHA256_LEN];
	uint8_t secret[SK_SHA256_LEN];
	int r;

	memset(ctx, 0, sizeof(*ctx));
	if (infolen > HPKE_INFO_MAX)
		return SK_ERR_TOO_LONG;
	ksc[0] = 0x00;	/* mode_base */
	if ((r = labeled_extract(&HPKE, NULL, 0, "psk_id_hash", NULL, 0,
	    ksc + 1)) ||
	    (r = labeled_extract(&HPKE, NULL, 0, "info_hash", info, infolen,
	    ksc + 1 + SK_SHA256_LEN)) ||
	    (r = labeled_extract(&HPKE, ss, HPKE_SECRET_LEN, "secret", NULL, 0,
	    secret)) ||
	    (r = labeled_expand(&HPKE, secret, "key", ksc, sizeof(ksc),
	    ctx->key, sizeof(ctx->key))) ||
	    (r = labeled_expand(&HPKE, secret, "base_nonce", ksc, sizeof(ksc),
	    ctx->base_nonce, sizeof(ctx->base_nonce))) ||
	    (r = labeled_expand(&HPKE, secret, "exp", ksc, sizeof(ksc),
	    ctx->exporter_secret, sizeof(ctx->exporter_secret))))
		hpke_ctx_wipe(ctx);
	sk_wipe(secret, sizeof(secret));
	return r;
}

int
hpke_setup_base_s(struct hpke_ctx *ctx, uint8_t enc[static HPKE_ENC_LEN],
    const uint8_t pkR[static HPKE_PK_LEN], const uint8_t *info, size_t infolen,
    const uint8_t *skE)
{
	uint8_t ss[HPKE_SECRET_LEN];
	int r;

	memset(ctx, 0, sizeof(*ctx));
	if ((r = hpke_encap(ss, enc, pkR, skE)) == 0)
		r = hpke_key_schedule(ctx, ss, info, infolen);
	sk_wipe(ss, sizeof(ss));
	return r;
}

int
hpke_setup_base_r(struct hpke_ctx *ctx, const uint8_t enc[static HPKE_ENC_LEN],
    const uint8_t skR[static HPKE_SK_LEN], const uint8_t pkR[static HPKE_PK_LEN],
    const uint8_t *info, size_t infolen)
{
	uint8_t ss[HPKE_SECRET_LEN];
	int r;

	memset(ctx, 0, sizeof(*ctx));
	if ((r = hpke_decap(ss, enc, skR, pkR)) == 0)
		r = hpke_key_schedule(ctx, ss, info, infolen);
	sk_wipe(ss, sizeof(ss));
	return r;
}

/* ComputeNonce(seq): base_nonce XOR I2OSP(seq, Nn) */
static void
compute_nonce(const struct hpke_ctx *ctx, uint8_t nonce[static HPKE_NONCE_LEN])
{
	uint8_t seq[HPKE_NONCE_LEN] = { 0 };
	size_t i;

	be64enc(seq + HPKE_NONCE_LEN - 8, ctx->seq);
	for (i = 0; i < HPKE_NONCE_LEN; i++)
		nonce[i] = ctx->base_nonce[i] ^ seq[i];
}

int
hpke_seal(struct hpke_ctx *ctx, const uint8_t *aad, size_t aadlen,
    const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	uint8_t nonce[HPKE_NONCE_LEN];
	int r;

	if (ctx->seq == UINT64_MAX)
		return SK_ERR_INVALID_ARG;
	compute_nonce(ctx, nonce);
	if ((r = crypto_aead_seal(ctx->key, nonce, aad, aadlen, pt, ptlen,
	    out)) == 0)
		ctx->seq++;
	return r;
}

int
hpke_open(struct hpke_ctx *ctx, const uint8_t *aad, size_t aadlen,
    const uint8_t *ct, size_t ctlen, uint8_t *out)
{
	uint8_t nonce[HPKE_NONCE_LEN];
	int r;

	if (ctx->seq == UINT64_MAX)
		return SK_ERR_INVALID_ARG;
	compute_nonce(ctx, nonce);
	if ((r = crypto_aead_open(ctx->key, nonce, aad, aadlen, ct, ctlen,
	    out)) == 0)
		ctx->seq++;
	return r;
}

int
hpke_export(const struct hpke_ctx *ctx, const uint8_t *exp_ctx,
    size_t exp_ctx_len, uint8_t *out, size_t len)
{
	if (exp_ctx_len > HPKE_INFO_MAX)
		return SK_ERR_TOO_LONG;
	return labeled_expand(&HPKE, ctx->exporter_secret, "sec", exp_ctx,
	    exp_ctx_len, out, len);
}

void
hpke_ctx_wipe(struct hpke_ctx *ctx)
{
	sk_wipe(ctx, sizeof(*ctx));
}
