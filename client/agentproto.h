/* The session agent's protocol (sigknock-agent(1)): one request per
 * connection on a Unix stream socket only its user may use.
 *
 *   client: u8 op          op 1 ID:     (nothing more)
 *                          op 2 SIGN:   u16 len, the signed message
 *                          op 3 FORGET: (nothing more)
 *   agent:  u8 status      0: ok, then for ID u8 signer type (3), u8 id
 *                          length and the signer id; for SIGN u16 len and
 *                          the signature field (deleg.h);
 *                          1: refused, then u16 len and a reason */
#ifndef SK_AGENTPROTO_H
#define SK_AGENTPROTO_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_ENV_SOCK	"SIGKNOCK_AGENT_SOCK"
#define AGENT_ENV_PID	"SIGKNOCK_AGENT_PID"
#define AGENT_OP_ID	1
#define AGENT_OP_SIGN	2
#define AGENT_OP_FORGET	3
#define AGENT_MSG_MAX	2048

/* Read or write exactly n bytes (EINTR retried); 0 or -1. */
int	agent_read(int fd, void *p, size_t n);
int	agent_write(int fd, const void *p, size_t n);

/* The client side: connect to path, do one operation. Errors logged. */
int	agent_signer(const char *path, uint8_t *type, uint8_t *id,
	    size_t *idlen);
int	agent_sign(const char *path, const uint8_t *msg, size_t mlen,
	    uint8_t *sig, size_t cap, size_t *siglen);
int	agent_forget(const char *path);

#endif
