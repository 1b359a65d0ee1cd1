/* OpenPGP cards over PC/SC, directly (the only files that include the
 * PC/SC headers are token/opcard.c): finding the card, reading what it
 * holds, VERIFY PW1 and PSO:COMPUTE DIGITAL SIGNATURE (OpenPGP card 3.4).
 * Every error is logged in words a user can act on. */
#ifndef SK_OPCARD_H
#define SK_OPCARD_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "pgp.h"

struct opcard;

struct opcard_info {
	char		 reader[128];
	uint8_t		 aid[16];
	char		 serial[9];		/* 8 hex digits */
	char		 manufacturer[32];
	unsigned	 version;		/* e.g. 0x0304 */
	uint8_t		 sig_attr[16];
	size_t		 sig_attrlen;
	char		 sig_algo[16];		/* "ed25519", "rsa2048", ... */
	int		 has_sig_key;
	uint8_t		 sig_fpr[PGP_FPR_LEN];
	uint32_t	 sig_created;
	uint32_t	 counter;		/* signature counter */
	int		 uif;			/* -1 none, 0 off, 1 on, 2 fixed */
	int		 pw1_tries, pw3_tries;
	int		 pw1_per_signature;	/* C4 byte 0 == 0 */
	char		 name[40];
};

typedef void (*opcard_reader_cb)(void *arg, const char *reader,
	    const struct opcard_info *ci);	/* ci NULL: no OpenPGP card */

/* Every reader, with the OpenPGP card in it if any.  quiet: PC/SC
 * failures (no pcscd, no reader) are not logged. */
int	opcard_list(opcard_reader_cb cb, void *arg, int quiet);
/* The signature key's touch policy (UIF: 0 off, 1 on, 2 fixed) of the
 * card whose application id is aid_hex (32 hex digits, as GnuPG gives
 * it); -1 when that card cannot be seen or has none.  Quiet. */
int	opcard_touch_policy(const char *aid_hex);
/* Connect (shared) to the OpenPGP card in reader (NULL: the first reader
 * holding one) and read its information. */
int	opcard_open(const char *reader, struct opcard **out,
	    struct opcard_info *ci);
void	opcard_close(struct opcard *c);

/* The signature key as a verify key, checked against the card's
 * fingerprint DO (C5) with its creation time (CD). */
int	opcard_sig_pubkey(struct opcard *c, const struct opcard_info *ci,
	    struct crypto_pubkey **out);

/* Inside one PC/SC transaction: VERIFY PW1 (81) with pin, then PSO:CDS on
 * data (a digest for EdDSA/ECDSA, a DigestInfo for RSA).  The touch
 * message is printed first when the card asks for a touch.  Errors:
 * SK_ERR_PIN (wrong; *tries_left set), SK_ERR_PIN_BLOCKED, SK_ERR_TOUCH,
 * SK_ERR_CARD. */
int	opcard_sign(struct opcard *c, const struct opcard_info *ci,
	    const char *pin, const uint8_t *data, size_t len, uint8_t *sig,
	    size_t cap, size_t *siglen, int *tries_left);

#endif
