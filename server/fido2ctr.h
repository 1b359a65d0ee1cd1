/* The last sign counter seen for each FIDO2 credential, kept in StateDir
 * (FIDO2_COUNTERS_FILE) so that a restart does not forget it.  A counter
 * that does not increase means a cloned key or a replayed assertion. */
#ifndef SK_FIDO2CTR_H
#define SK_FIDO2CTR_H

#include <stdint.h>

#include "fido2.h"

#define FIDO2_COUNTERS_FILE	"fido2-counters"

struct fido2_counters;

int	fido2_counters_open(const char *state_dir, struct fido2_counters **out);
/* 0 when counter may be accepted for id, and then it is recorded (on disk
 * before this returns); SK_ERR_FIDO2_COUNTER when it does not increase
 * (*last is the one recorded).  A key that keeps no counter (always 0)
 * is accepted as long as it has never shown one. */
int	fido2_counters_check(struct fido2_counters *c,
	    const uint8_t id[FIDO2_ID_LEN], uint32_t counter, uint32_t *last);
void	fido2_counters_free(struct fido2_counters *c);

#endif
