/* The server's X25519 key file and the public key clients hold.
 *
 * Key file: text, mode 0600, never overwritten:
 *     # sigknock server private key ...
 *     sigknock-server-key-v1 <base64 of the 32-byte secret>
 * Public key: 44 base64 characters (32 bytes), e.g. in ~/.sigknockrc. */
#ifndef SK_SERVERKEY_H
#define SK_SERVERKEY_H

#include "wire.h"

#define SERVERKEY_B64_LEN	44
/* Where rotate-server moves the old key (appended to the key's path);
 * sigknockd accepts it as the previous key while it is there. */
#define SERVERKEY_PREVIOUS	".previous"

/* Make a new key and write it to path (created 0600, refusing to replace
 * an existing file).  k receives the key. */
int	serverkey_generate(const char *path, struct sk_server_key *k);
/* Read a key file; refuses files readable by group or others. */
int	serverkey_load(const char *path, struct sk_server_key *k);
/* pk as one base64 line (out ≥ 45 bytes). */
void	serverkey_public_b64(const uint8_t pk[static HPKE_PK_LEN], char *out);
/* A public key given as base64, or as the path of a file whose first
 * non-comment line is that base64.  Errors are logged. */
int	serverkey_parse_public(const char *s, uint8_t pk[static HPKE_PK_LEN]);

#endif
