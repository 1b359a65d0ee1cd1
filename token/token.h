/* Signing backends ("tokens") behind one small interface: each turns the
 * signed message of a request into the request's signature field and
 * names the key that will sign it. */
#ifndef SK_TOKEN_H
#define SK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

struct token_opts {
	const char	*signer;	/* fingerprint or user id; NULL = default key */
	const char	*credential;	/* fido2: credential file; NULL = default */
	const char	*device;	/* fido2: device spec; NULL = find it */
	int		 touch_timeout;	/* fido2: seconds; 0 = default */
	int		 verbose;
};

/* fido2: the default credential file (under $HOME), the environment
 * variable naming a device, the default touch timeout in seconds. */
#define TOKEN_FIDO2_CREDENTIAL	".sigknock/fido2-credential"
#define TOKEN_FIDO2_DEVICE_ENV	"SIGKNOCK_FIDO_DEVICE"
#define TOKEN_FIDO2_TOUCH_S	30

struct token;

struct token_ops {
	const char	*name;
	/* Find the signing key; fill the request's signer type and id. */
	int		(*open)(struct token **t, const struct token_opts *o,
			    uint8_t *signer_type, uint8_t *id, size_t *idlen);
	/* Sign msg; write the signature field (e.g. an OpenPGP packet). */
	int		(*sign)(struct token *t, const uint8_t *msg, size_t len,
			    uint8_t *sig, size_t cap, size_t *siglen);
	void		(*close)(struct token *t);
};

extern const struct token_ops token_gpg_ops;
extern const struct token_ops token_fido2_ops;

/* For sigknock-token: read a credential file (errors logged), and make
 * one assertion over msg into a signature field (PROTOCOL.md 4.2),
 * checked against the credential's public key. */
struct fido2_record;
int	token_fido2_load(const char *path, struct fido2_record *out);
int	token_fido2_assert(const struct fido2_record *cred, const char *device,
	    int timeout_s, const uint8_t *msg, size_t len, uint8_t *field,
	    size_t cap, size_t *fieldlen);

/* The backend called name, or NULL; token_names() lists them. */
const struct token_ops *token_find(const char *name);
const char *token_names(void);

#endif
