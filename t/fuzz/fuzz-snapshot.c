/* libFuzzer: the policy snapshot sigknockd's worker reads from its
 * monitor (privsep.h).  The monitor is trusted, but a parser that runs
 * in the sandbox is still bounded by the lengths it is given. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "privsep.h"

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
	struct ps_state st;
	size_t i;

	memset(&st, 0, sizeof(st));
	if (replay_open(NULL, 0, &st.rc) != 0)
		abort();
	if (ps_snapshot_read(p, len, &st) == 0) {
		/* keyring_lookup bisects: the entries must be in order. */
		for (i = 1; i < st.kr->n; i++)
			if (memcmp(st.kr->entries[i - 1].fpr,
			    st.kr->entries[i].fpr, PGP_FPR_LEN) >= 0)
				abort();
		for (i = 0; i < st.acl->n; i++)
			if (st.acl->rules[i].n_open > ACCESS_PORTS_MAX ||
			    st.acl->rules[i].n_fwd > ACCESS_FWD_MAX)
				abort();
		replay_close(st.rc);
		ps_state_free(&st);
	} else
		replay_close(st.rc);
	return 0;
}
