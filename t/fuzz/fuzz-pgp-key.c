/* libFuzzer: OpenPGP key packet streams (what a GPGME export holds). */
#include "config.h"

#include "crypto.h"
#include "pgp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

static int
count(void *arg, int result, struct pgp_key *k)
{
	(void)result;
	(void)k;
	(*(size_t *)arg)++;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return crypto_init();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	size_t n = 0;

	pgp_keys_walk(p, len, count, &n);
	return 0;
}
