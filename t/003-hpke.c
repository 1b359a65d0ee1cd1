/* RFC 9180 Appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * ChaCha20Poly1305, base mode. */
#include "config.h"

#include <string.h>

#include "err.h"
#include "hpke.h"
#include "tap.h"

#define INFO	"4f6465206f6e2061204772656369616e2055726e"
#define IKME	"909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b"
#define PKEM	"1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a"
#define SKEM	"f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600"
#define IKMR	"1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df"
#define PKRM	"4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a"
#define SKRM	"8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb"
#define ENC	PKEM
#define SHARED	"0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7"
#define KEY	"ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91"
#define NONCE	"5c4d98150661b848853b547f"
#define EXPSEC	"a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922"
#define PT	"4265617574792069732074727574682c20747275746820626561757479"

static const struct {
	unsigned	seq;
	const char	*aad;
	const char	*nonce;
	const char	*ct;
} enc[] = {
	{ 0, "436f756e742d30", "5c4d98150661b848853b547f",
	  "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db"
	  "21993c62ce81883d2dd1b51a28" },
	{ 1, "436f756e742d31", "5c4d98150661b848853b547e",
	  "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e"
	  "85285337cc95ba5f59992dc98c" },
	{ 2, "436f756e742d32", "5c4d98150661b848853b547d",
	  "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02"
	  "b4f10ecac6f48c32f878fae86b" },
	{ 4, "436f756e742d34", "5c4d98150661b848853b547b",
	  "63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122b"
	  "b153495ff0b02e9e54a50dbe16" },
	{ 255, "436f756e742d323535", "5c4d98150661b848853b5480",
	  "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b888"
	  "0a5f6b3936da9cd6c23ef2a95c" },
	{ 256, "436f756e742d323536", "5c4d98150661b848853b557f",
	  "7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076"
	  "214c0c40d4c728d6ed9e727a5b" },
};

static const struct {
	const char	*ctx;
	const char	*value;
} exports[] = {
	{ "", "4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e" },
	{ "00", "8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69" },
	{ "54657374436f6e74657874",
	  "5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53" },
};

#define H(name, hex, len) \
	uint8_t name[len]; unhex(hex, name, len)

int
main(void)
{
	uint8_t sk[32], pk[32], ss[32], e[32], info[20], aad[16], ct[64];
	uint8_t pt[32], out[64], ectx[16], got[32];
	struct hpke_ctx s, r;
	size_t i, ptlen, ctlen, aadlen, elen;

	plan(19 + 4 * 6 + 2 * 3 + 6);
	if (crypto_init() != 0)
		bail("crypto_init failed");
	H(ikmE, IKME, 32); H(pkEm, PKEM, 32); H(skEm, SKEM, 32);
	H(ikmR, IKMR, 32); H(pkRm, PKRM, 32); H(skRm, SKRM, 32);
	H(shared, SHARED, 32); H(key, KEY, 32); H(nonce, NONCE, 12);
	H(expsec, EXPSEC, 32);
	unhex(INFO, info, sizeof(info));
	ptlen = unhex(PT, pt, sizeof(pt));

	is_int(0, hpke_derive_keypair(ikmE, 32, sk, pk), "DeriveKeyPair(ikmE)");
	is_blob(skEm, sk, 32, "skEm");
	is_blob(pkEm, pk, 32, "pkEm");
	is_int(0, hpke_derive_keypair(ikmR, 32, sk, pk), "DeriveKeyPair(ikmR)");
	is_blob(skRm, sk, 32, "skRm");
	is_blob(pkRm, pk, 32, "pkRm");

	is_int(0, hpke_encap(ss, e, pkRm, skEm), "Encap with the vector's skE");
	is_blob(pkEm, e, 32, "enc");
	is_blob(shared, ss, 32, "shared_secret from Encap");
	is_int(0, hpke_decap(ss, e, skRm, pkRm), "Decap");
	is_blob(shared, ss, 32, "shared_secret from Decap");

	is_int(0, hpke_setup_base_s(&s, e, pkRm, info, sizeof(info), skEm),
	    "SetupBaseS");
	is_blob(key, s.key, 32, "key");
	is_blob(nonce, s.base_nonce, 12, "base_nonce");
	is_blob(expsec, s.exporter_secret, 32, "exporter_secret");
	is_int(0, hpke_setup_base_r(&r, e, skRm, pkRm, info, sizeof(info)),
	    "SetupBaseR");
	is_blob(key, r.key, 32, "receiver key");
	is_blob(nonce, r.base_nonce, 12, "receiver base_nonce");
	is_blob(expsec, r.exporter_secret, 32, "receiver exporter_secret");

	for (i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		aadlen = unhex(enc[i].aad, aad, sizeof(aad));
		ctlen = unhex(enc[i].ct, ct, sizeof(ct));
		s.seq = r.seq = enc[i].seq;
		is_int(0, hpke_seal(&s, aad, aadlen, pt, ptlen, out),
		    "seal sequence %u", enc[i].seq);
		ok(ctlen == ptlen + 16 && memcmp(out, ct, ctlen) == 0,
		    "ciphertext of sequence %u", enc[i].seq);
		is_int(0, hpke_open(&r, aad, aadlen, ct, ctlen, out),
		    "open sequence %u", enc[i].seq);
		is_blob(pt, out, ptlen, "plaintext of sequence %u", enc[i].seq);
	}
	for (i = 0; i < sizeof(exports) / sizeof(exports[0]); i++) {
		elen = unhex(exports[i].ctx, ectx, sizeof(ectx));
		unhex(exports[i].value, got, 32);
		is_int(0, hpke_export(&r, ectx, elen, out, 32), "export %zu", i);
		is_blob(got, out, 32, "exported value %zu", i);
	}

	/* Refusals. */
	r.seq = 0;
	unhex(enc[0].ct, ct, sizeof(ct));
	unhex(enc[0].aad, aad, sizeof(aad));
	ct[0] ^= 0x80;
	is_int(SK_ERR_DECRYPT, hpke_open(&r, aad, 7, ct, ptlen + 16, out),
	    "tampered ciphertext refused");
	is_int(0, (int)r.seq, "a failed open does not advance the sequence");
	ct[0] ^= 0x80;
	r.seq = 1;
	is_int(SK_ERR_DECRYPT, hpke_open(&r, aad, 7, ct, ptlen + 16, out),
	    "wrong sequence number refused");
	memset(e, 0, 32);
	is_int(SK_ERR_LOW_ORDER, hpke_setup_base_r(&r, e, skRm, pkRm, info,
	    sizeof(info)), "all-zero enc (small order) refused");
	is_int(SK_ERR_TOO_LONG, hpke_setup_base_r(&r, pkEm, skRm, pkRm, info,
	    HPKE_INFO_MAX + 1), "over-long info refused");
	is_int(0, hpke_setup_base_s(&s, e, pkRm, NULL, 0, NULL),
	    "random ephemeral key");
	hpke_ctx_wipe(&s);
	hpke_ctx_wipe(&r);
	return 0;
}
