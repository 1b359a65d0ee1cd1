#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentproto.h"
#include "log.h"
#include "wire.h"

int
agent_read(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, b, n)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int
agent_write(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t r;

	while (n > 0) {
		if ((r = write(fd, b, n)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
agent_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("agent socket %s: name too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		log_err("cannot reach the agent at %s: %s (unset "
		    AGENT_ENV_SOCK " to sign with the token itself)", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The agent's answer: 0 and the status byte read, or -1 (its reason
 * logged when it refused). */
static int
answer(int fd, const char *path)
{
	uint8_t st, l[2];
	char why[256];
	size_t n;

	if (agent_read(fd, &st, 1) != 0) {
		log_err("the agent at %s hung up", path);
		return -1;
	}
	if (st == 0)
		return 0;
	if (agent_read(fd, l, 2) == 0 && (n = (size_t)(l[0] << 8 | l[1])) <
	    sizeof(why) && agent_read(fd, why, n) == 0) {
		why[n] = '\0';
		log_err("the agent refused: %s", why);
	} else
		log_err("the agent at %s refused", path);
	return -1;
}

int
agent_signer(const char *path, uint8_t *type, uint8_t *id, size_t *idlen)
{
	uint8_t op = AGENT_OP_ID, h[2];
	int fd, r = -1;

	if ((fd = agent_connect(path)) < 0)
		return -1;
	if (agent_write(fd, &op, 1) == 0 && answer(fd, path) == 0 &&
	    agent_read(fd, h, 2) == 0 && h[1] <= SK_SIGNER_ID_MAX &&
	    agent_read(fd, id, h[1]) == 0) {
		*type = h[0];
		*idlen = h[1];
		r = 0;
	}
	close(fd);
	return r;
}

int
agent_sign(const char *path, const uint8_t *msg, size_t mlen, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	uint8_t head[3] = { AGENT_OP_SIGN, (uint8_t)(mlen >> 8), (uint8_t)mlen };
	uint8_t l[2];
	size_t n;
	int fd, r = -1;

	if (mlen > AGENT_MSG_MAX || (fd = agent_connect(path)) < 0)
		return -1;
	if (agent_write(fd, head, 3) == 0 && agent_write(fd, msg, mlen) == 0 &&
	    answer(fd, path) == 0 && agent_read(fd, l, 2) == 0 &&
	    (n = (size_t)(l[0] << 8 | l[1])) <= cap &&
	    agent_read(fd, sig, n) == 0) {
		*siglen = n;
		r = 0;
	}
	close(fd);
	return r;
}

int
agent_forget(const char *path)
{
	uint8_t op = AGENT_OP_FORGET;
	int fd, r = -1;

	if ((fd = agent_connect(path)) < 0)
		return -1;
	if (agent_write(fd, &op, 1) == 0 && answer(fd, path) == 0)
		r = 0;
	close(fd);
	return r;
}
