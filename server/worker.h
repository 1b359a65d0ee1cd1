/* sigknockd's worker: the packet path (capture, knock.c steps 1-10)
 * in an unprivileged, seccomp-confined process (privsep.h, sandbox.h). */
#ifndef SK_WORKER_H
#define SK_WORKER_H

#include "capture.h"
#include "sandbox.h"
#include "servconf.h"

/* Exit statuses the monitor tells apart. */
#define WORKER_EXIT_CAPTURE	3	/* the capture stopped */
#define WORKER_EXIT_SNAPSHOT	4	/* a snapshot it could not read */

/* In the child after fork: confine (sb), then serve knocks from cap and
 * send grant requests, log lines and counters on sock until the monitor
 * closes it.  Never returns. */
void	worker_main(const struct server_config *cfg, struct capture *cap,
	    int sock, const struct sandbox *sb) __attribute__((noreturn));

#endif
