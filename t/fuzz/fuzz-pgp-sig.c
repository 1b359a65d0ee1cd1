/* libFuzzer: OpenPGP signature packets as they arrive in a request. */
#include "config.h"

#include "crypto.h"
#include "pgp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return crypto_init();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static const uint8_t msg[] = "sigknock v1 request";
	uint8_t digest[SK_HASH_MAX_LEN];
	struct pgp_sig sig;
	size_t n;

	if (pgp_sig_parse(p, len, &sig) == 0)
		pgp_sig_digest(&sig, msg, sizeof(msg), digest, &n);
	return 0;
}
