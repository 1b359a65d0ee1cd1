/* The audit trail (sigknockd.conf AuditLog, sigknock-keys audit): one
 * line per accepted knock, holding the signed request as the server
 * received it and what was granted for it, each line chained to the one
 * before by SHA-256.
 *
 *   sigknock-audit-1 seq=N time=T prev=HEX64 stanza=S src=IP addr=IP
 *     ports=P until=T key=current|previous request=BASE64
 *
 * (one line, fields separated by one space, in this order).  prev is the
 * SHA-256 of the whole previous line, its newline included; the first
 * record of a trail has 64 zeros; seq counts from 1, and both go on
 * across rotated files.  Only request is signed (by the user); the rest
 * is the server's word, held in place by the chain. */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "b64.h"
#include "wire.h"

#define AUDIT_MAGIC	"sigknock-audit-1"
#define AUDIT_STANZA_MAX	64	/* bytes, before escaping */
#define AUDIT_PORTS_MAX	(SK_ACCESS_MAX * (12 + SK_DEST_MAX))
#define AUDIT_LINE_MAX	(B64_LEN(SK_INNER_MAX) + 3 * AUDIT_STANZA_MAX + \
	AUDIT_PORTS_MAX + 512)

struct audit_rec {
	uint64_t	 seq;
	int64_t		 time;			/* granted at */
	uint8_t		 prev[32];
	char		 stanza[AUDIT_STANZA_MAX + 1];
	int		 src_family;		/* the datagram's source */
	uint8_t		 src[16];
	int		 family;		/* the address opened */
	uint8_t		 addr[16];
	char		 ports[AUDIT_PORTS_MAX];	/* tcp/22,udp/53@dest */
	int64_t		 until;
	int		 prev_key;		/* sealed to the previous key */
	uint8_t		 request[SK_INNER_MAX];
	size_t		 request_len;
};

/* Record r as one line, newline included, into out (cap bytes): its
 * length, or 0 when it does not fit or a field cannot be written. */
size_t	audit_format(const struct audit_rec *r, char *out, size_t cap);
/* Parse one line p[0..len), newline excluded, strictly: every field,
 * in order, nothing else.  0, or SK_ERR_* with the field's name in
 * *what. */
int	audit_parse(const char *p, size_t len, struct audit_rec *r,
	    const char **what);
/* The link the next record carries: SHA-256 of line[0..len), its
 * newline included. */
int	audit_link(const char *line, size_t len, uint8_t out[32]);

#endif
