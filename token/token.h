/* Signing backends ("tokens") behind one small interface: each turns the
 * signed message of a request into the request's signature field and
 * names the key that will sign it. */
#ifndef SK_TOKEN_H
#define SK_TOKEN_H

#include <stddef.h>
#include <stdint.h>

struct token_opts {
	const char	*signer;	/* fingerprint or user id; NULL = default key */
	int		 verbose;
};

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

/* The backend called name, or NULL; token_names() lists them. */
const struct token_ops *token_find(const char *name);
const char *token_names(void);

#endif
