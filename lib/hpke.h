/* RFC 9180 HPKE, base mode, for the one suite sigknock uses:
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305
 * (kem_id 0x0020, kdf_id 0x0001, aead_id 0x0003). */
#ifndef SK_HPKE_H
#define SK_HPKE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define HPKE_ENC_LEN	32	/* Nenc */
#define HPKE_SK_LEN	32	/* Nsk */
#define HPKE_PK_LEN	32	/* Npk */
#define HPKE_SECRET_LEN	32	/* Nsecret = Nh */
#define HPKE_KEY_LEN	32	/* Nk */
#define HPKE_NONCE_LEN	12	/* Nn */
#define HPKE_TAG_LEN	16	/* Nt */
#define HPKE_INFO_MAX	64	/* longest info we accept */
#define HPKE_IKM_MAX	64	/* longest DeriveKeyPair input */

struct hpke_ctx {
	uint8_t		key[HPKE_KEY_LEN];
	uint8_t		base_nonce[HPKE_NONCE_LEN];
	uint8_t		exporter_secret[HPKE_SECRET_LEN];
	uint64_t	seq;
};

/* DeriveKeyPair (RFC 9180 section 7.1.3). */
int	hpke_derive_keypair(const uint8_t *ikm, size_t ikmlen,
	    uint8_t sk[static HPKE_SK_LEN], uint8_t pk[static HPKE_PK_LEN]);

/* Encap with a given ephemeral secret (tests, golden vectors), or with a
 * fresh random one when skE is NULL. */
int	hpke_encap(uint8_t shared_secret[static HPKE_SECRET_LEN],
	    uint8_t enc[static HPKE_ENC_LEN], const uint8_t pkR[static HPKE_PK_LEN],
	    const uint8_t *skE);
int	hpke_decap(uint8_t shared_secret[static HPKE_SECRET_LEN],
	    const uint8_t enc[static HPKE_ENC_LEN],
	    const uint8_t skR[static HPKE_SK_LEN],
	    const uint8_t pkR[static HPKE_PK_LEN]);

/* KeySchedule for mode_base (no PSK). */
int	hpke_key_schedule(struct hpke_ctx *ctx,
	    const uint8_t shared_secret[static HPKE_SECRET_LEN],
	    const uint8_t *info, size_t infolen);

/* SetupBaseS / SetupBaseR. */
int	hpke_setup_base_s(struct hpke_ctx *ctx, uint8_t enc[static HPKE_ENC_LEN],
	    const uint8_t pkR[static HPKE_PK_LEN], const uint8_t *info,
	    size_t infolen, const uint8_t *skE);
int	hpke_setup_base_r(struct hpke_ctx *ctx,
	    const uint8_t enc[static HPKE_ENC_LEN],
	    const uint8_t skR[static HPKE_SK_LEN],
	    const uint8_t pkR[static HPKE_PK_LEN], const uint8_t *info,
	    size_t infolen);

/* Seal writes ptlen + 16 bytes; Open writes ctlen - 16.  Each call uses
 * and advances the sequence number. */
int	hpke_seal(struct hpke_ctx *ctx, const uint8_t *aad, size_t aadlen,
	    const uint8_t *pt, size_t ptlen, uint8_t *out);
int	hpke_open(struct hpke_ctx *ctx, const uint8_t *aad, size_t aadlen,
	    const uint8_t *ct, size_t ctlen, uint8_t *out);

/* Secret export (RFC 9180 section 5.3). */
int	hpke_export(const struct hpke_ctx *ctx, const uint8_t *exp_ctx,
	    size_t exp_ctx_len, uint8_t *out, size_t len);

void	hpke_ctx_wipe(struct hpke_ctx *ctx);

#endif
