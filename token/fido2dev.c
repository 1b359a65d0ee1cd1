#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fido2dev.h"
#include "log.h"
#include "token.h"

#define MANIFEST_MAX	16

/* ---- "unix:PATH": CTAPHID reports over a Unix stream socket ---- */

struct usock {
	int	fd;
};

static void *
usock_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct usock *h;
	int fd;

	if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (h = malloc(sizeof(*h))) == NULL) {
		close(fd);
		return NULL;
	}
	h->fd = fd;
	return h;
}

static void
usock_close(void *p)
{
	struct usock *h = p;

	close(h->fd);
	free(h);
}

/* libfido2 reads one 64-byte report within ms (-1: no limit). */
static int
usock_read(void *p, unsigned char *buf, size_t len, int ms)
{
	struct usock *h = p;
	struct pollfd pf = { .fd = h->fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pf, 1, ms) <= 0)
			return -1;
		if ((n = recv(h->fd, buf + got, len - got, 0)) <= 0)
			return -1;
		got += (size_t)n;
	}
	return (int)got;
}

/* libfido2 writes a report ID byte, then the 64-byte report. */
static int
usock_write(void *p, const unsigned char *buf, size_t len)
{
	struct usock *h = p;
	size_t off = 1;
	ssize_t n;

	while (off < len) {
		if ((n = send(h->fd, buf + off, len - off, MSG_NOSIGNAL)) <= 0)
			return -1;
		off += (size_t)n;
	}
	return (int)len;
}

static const fido_dev_io_t usock_io = {
	usock_open, usock_close, usock_read, usock_write,
};

const char *
fido2dev_choose(const char *spec, const char *hint)
{
	const char *env = getenv(TOKEN_FIDO2_DEVICE_ENV);

	if (spec != NULL && *spec != '\0')
		return spec;
	if (env != NULL && *env != '\0')
		return env;
	if (hint != NULL && *hint != '\0')
		return hint;
	return NULL;
}

static fido_dev_t *
open_path(const char *path, int timeout_s, int *err)
{
	fido_dev_t *dev;

	if ((dev = fido_dev_new()) == NULL) {
		*err = FIDO_ERR_INTERNAL;
		return NULL;
	}
	if ((strncmp(path, "unix:", 5) == 0 &&
	    (*err = fido_dev_set_io_functions(dev, &usock_io)) != FIDO_OK) ||
	    (*err = fido_dev_set_timeout(dev, timeout_s * 1000)) != FIDO_OK ||
	    (*err = fido_dev_open(dev, path)) != FIDO_OK) {
		fido_dev_free(&dev);
		return NULL;
	}
	return dev;
}

/* Several keys: ask for a touch on each, take the first touched. */
static fido_dev_t *
pick_touched(fido_dev_info_t *list, size_t n, int timeout_s)
{
	fido_dev_t *dev[MANIFEST_MAX] = { NULL }, *chosen = NULL;
	time_t end = time(NULL) + timeout_s;
	size_t i, live = 0;
	int err, touched;

	for (i = 0; i < n; i++) {
		const char *path = fido_dev_info_path(fido_dev_info_ptr(list, i));

		if ((dev[i] = open_path(path, timeout_s, &err)) == NULL)
			continue;
		if (fido_dev_get_touch_begin(dev[i]) != FIDO_OK) {
			fido_dev_close(dev[i]);
			fido_dev_free(&dev[i]);
			continue;
		}
		live++;
	}
	if (live == 0) {
		log_err("none of the %zu security keys answers", n);
		return NULL;
	}
	fprintf(stderr, "%zu security keys: touch the one to use...\n", live);
	while (chosen == NULL && time(NULL) < end) {
		for (i = 0; i < n && chosen == NULL; i++) {
			if (dev[i] == NULL)
				continue;
			if (fido_dev_get_touch_status(dev[i], &touched, 200) !=
			    FIDO_OK) {
				fido_dev_cancel(dev[i]);
				fido_dev_close(dev[i]);
				fido_dev_free(&dev[i]);
				continue;
			}
			if (touched) {
				chosen = dev[i];
				dev[i] = NULL;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (dev[i] != NULL) {
			fido_dev_cancel(dev[i]);
			fido_dev_close(dev[i]);
			fido_dev_free(&dev[i]);
		}
	if (chosen == NULL)
		log_err("no security key was touched within %d s", timeout_s);
	return chosen;
}

int
fido2dev_load(void)
{
	static int done;

	if (dynload_fido2() != 0)
		return -1;
	if (!done) {
		fido_init(FIDO_DISABLE_U2F_FALLBACK);
		done = 1;
	}
	return 0;
}

int
fido2dev_open(const char *spec, int timeout_s, fido_dev_t **out)
{
	fido_dev_info_t *list;
	size_t n = 0;
	int err;

	*out = NULL;
	if (fido2dev_load() != 0)
		return SK_ERR_IO;
	if (spec != NULL) {
		if ((*out = open_path(spec, timeout_s, &err)) == NULL) {
			log_err("no FIDO2 security key at %s: %s", spec,
			    fido2dev_strerror(err));
			return SK_ERR_IO;
		}
		return 0;
	}
	if ((list = fido_dev_info_new(MANIFEST_MAX)) == NULL)
		return SK_ERR_ALLOC;
	if ((err = fido_dev_info_manifest(list, MANIFEST_MAX, &n)) != FIDO_OK)
		n = 0;
	if (n == 0)
		log_err("no FIDO2 security key found (plug one in, or name "
		    "one with --fido-device or %s)", TOKEN_FIDO2_DEVICE_ENV);
	else if (n == 1 && (*out = open_path(fido_dev_info_path(
	    fido_dev_info_ptr(list, 0)), timeout_s, &err)) == NULL)
		log_err("cannot open the security key at %s: %s",
		    fido_dev_info_path(fido_dev_info_ptr(list, 0)),
		    fido2dev_strerror(err));
	else if (n > 1)
		*out = pick_touched(list, n, timeout_s);
	fido_dev_info_free(&list, MANIFEST_MAX);
	return *out != NULL ? 0 : SK_ERR_IO;
}

void
fido2dev_close(fido_dev_t *dev)
{
	if (dev == NULL)
		return;
	fido_dev_close(dev);
	fido_dev_free(&dev);
}

const char *
fido2dev_strerror(int e)
{
	switch (e) {
	case FIDO_ERR_OPERATION_DENIED:
		return "the security key refused (touch denied)";
	case FIDO_ERR_ACTION_TIMEOUT:
	case FIDO_ERR_USER_ACTION_TIMEOUT:
	case FIDO_ERR_TIMEOUT:
	case FIDO_ERR_RX:
		return "no answer in time (was the key touched?)";
	case FIDO_ERR_NO_CREDENTIALS:
		return "this security key does not hold that credential "
		    "(another key?)";
	case FIDO_ERR_UNSUPPORTED_ALGORITHM:
		return "the security key does not support that algorithm";
	case FIDO_ERR_KEEPALIVE_CANCEL:
		return "cancelled";
	case FIDO_ERR_PIN_REQUIRED:
		return "the security key wants a PIN, which sigknock does not "
		    "use";
	}
	if (sk_dl_fido_strerr == NULL)		/* libfido2 not loaded */
		return "libfido2 error";
	return fido_strerr(e);
}

int
fido2dev_unwrap(const unsigned char *p, size_t len, const unsigned char **ad,
    size_t *adlen)
{
	size_t n, h;

	if (len < 1 || (p[0] >> 5) != 2)	/* CBOR major type 2 */
		return -1;
	if ((p[0] & 31) < 24) {
		n = p[0] & 31;
		h = 1;
	} else if ((p[0] & 31) == 24 && len >= 2) {
		n = p[1];
		h = 2;
	} else if ((p[0] & 31) == 25 && len >= 3) {
		n = (size_t)p[1] << 8 | p[2];
		h = 3;
	} else {
		return -1;
	}
	if (len - h != n)
		return -1;
	*ad = p + h;
	*adlen = n;
	return 0;
}
