/* The sign counters seen for each FIDO2 credential, kept in StateDir
 * (FIDO2_COUNTERS_FILE) so that a restart does not forget them.  A
 * counter that does not increase means a cloned key or a replayed
 * assertion.
 *
 * Direct knocks must show a counter above the highest one recorded.  A
 * delegation (PROTOCOL.md 4.3) carries the assertion its token made when
 * it was created, which may reach this server after direct knocks made
 * later (at another server first, or by the user's other client): its
 * counter is checked once, the first time a delegation is seen, against
 * the highest counter this server had recorded before the delegation
 * says it was made (less MaxPacketAge for clocks), and the delegation is
 * recorded as seen until it ends, so that neither its later knocks nor a
 * restart check it again.  For that, each credential keeps the last
 * FIDO2_HISTORY counters it showed with the time they were recorded. */
#ifndef SK_FIDO2CTR_H
#define SK_FIDO2CTR_H

#include <stdint.h>
#include <time.h>

#include "fido2.h"

#define FIDO2_COUNTERS_FILE	"fido2-counters"
#define FIDO2_HISTORY		16	/* counters kept with their time */
#define FIDO2_DELEGS_MAX	4096	/* live delegations remembered */

struct fido2_counters;

int	fido2_counters_open(const char *state_dir, struct fido2_counters **out);
/* A direct knock's counter, at now: 0 when it may be accepted for id, and
 * then it is recorded (on disk before this returns); SK_ERR_FIDO2_COUNTER
 * when it does not increase (*last is the highest recorded).  A key that
 * keeps no counter (always 0) is accepted as long as it has never shown
 * one. */
int	fido2_counters_check(struct fido2_counters *c,
	    const uint8_t id[FIDO2_ID_LEN], uint32_t counter, time_t now,
	    uint32_t *last);
/* A delegation's counter: 0 at once for a delegation (digest) already
 * seen; else it must be above the highest counter recorded for id at or
 * before created - skew, and differ from every counter recorded since
 * (else SK_ERR_FIDO2_COUNTER, with that counter in *last); then the
 * delegation is recorded until not_after.  SK_ERR_NO_SPACE when
 * FIDO2_DELEGS_MAX live delegations are remembered already. */
int	fido2_counters_deleg(struct fido2_counters *c,
	    const uint8_t id[FIDO2_ID_LEN], uint32_t counter,
	    const uint8_t digest[32], uint64_t created, uint64_t not_after,
	    long skew, time_t now, uint32_t *last);
void	fido2_counters_free(struct fido2_counters *c);

#endif
