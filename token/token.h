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
	const char	*reader;	/* card: PC/SC reader name prefix */
	int		 pin_fd;	/* gpg, card: read the PIN here; -1 = ask */
	int		 verbose;
};

#define TOKEN_PIN_MAX	128

/* A PIN from fd (one line); when fd is -1, from a pinentry program
 * ($SIGKNOCK_PINENTRY, else pinentry on PATH; prompt is its description),
 * else from the terminal with echo off.  The caller wipes pin. */
int	token_read_pin(int fd, const char *prompt, char *pin, size_t cap);

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
extern const struct token_ops token_card_ops;


/* The backend called name, or NULL; token_names() lists them. */
const struct token_ops *token_find(const char *name);
const char *token_names(void);

#endif
