/* The monitor's end of the audit trail (audit.h, sigknockd.conf
 * AuditLog): records appended to one file, synced, rotated by size to
 * PATH.1, PATH.2, ... (the highest number the newest), the chain going
 * on from file to file.  sigknockd never deletes a record: archiving
 * the rotated files is the admin's. */
#ifndef SK_AUDITLOG_H
#define SK_AUDITLOG_H

#include <stdint.h>
#include <sys/types.h>

#include "audit.h"

struct auditlog;

/* Open path for appending (created 0600 when missing), going on from its
 * last record, or when it is empty from the newest rotated file's; max
 * bytes per file (0: never rotate).  With check_only, open nothing for
 * writing (sigknockd -t).  A file whose last line is not a whole record,
 * or that anyone but root may write, is refused, logged with the fix:
 * 0, or SK_ERR_*. */
int	auditlog_open(const char *path, uint64_t max, int check_only,
	    struct auditlog **out);
void	auditlog_close(struct auditlog *a);
const char *auditlog_path(const struct auditlog *a);
uint64_t auditlog_max(const struct auditlog *a);
/* Append r, its seq and prev filled in here, synced; its link (the hash
 * the next record will carry, in hex) in link_hex.  0, or SK_ERR_*
 * (logged). */
int	auditlog_append(struct auditlog *a, struct audit_rec *r,
	    char link_hex[65]);

#endif
