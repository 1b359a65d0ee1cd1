/* Reading a PIN: from a file descriptor (scripts), from a pinentry
 * program (as GnuPG does), or the terminal with echo off.  Never from
 * argv or the environment. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "token.h"
#include "wipe.h"

/* One line from a pinentry, without the newline; 0 or -1. */
static int
assuan_line(int fd, char *line, size_t cap)
{
	size_t n = 0;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (c == '\n') {
			line[n] = '\0';
			return 0;
		}
		if (n + 1 < cap)
			line[n++] = c;
	}
	return -1;
}

/* Wait for OK (skipping comments and status lines); with data != NULL
 * also collect a "D" line, percent-decoded. */
static int
assuan_ok(int fd, char *data, size_t cap)
{
	char line[1024];
	size_t i, n;
	unsigned v;
	int r = -1;

	while (assuan_line(fd, line, sizeof(line)) == 0) {
		if (strncmp(line, "OK", 2) == 0) {
			r = 0;
			break;
		}
		if (strncmp(line, "ERR", 3) == 0)
			break;
		if (data != NULL && strncmp(line, "D ", 2) == 0) {
			for (i = 2, n = 0; line[i] != '\0' && n + 1 < cap;
			    i++) {
				if (line[i] == '%' && sscanf(line + i + 1,
				    "%2x", &v) == 1) {
					data[n++] = (char)v;
					i += 2;
				} else {
					data[n++] = line[i];
				}
			}
			data[n] = '\0';
		}
	}
	sk_wipe(line, sizeof(line));
	return r;
}

/* Ask a pinentry program through the Assuan protocol. */
static int
pinentry(const char *prog, const char *desc, char *pin, size_t cap)
{
	int to[2], from[2], status, r = -1;
	const char *tty = ttyname(0);
	char cmd[512];
	pid_t pid;

	if (pipe(to) != 0 || pipe(from) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execlp(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	signal(SIGPIPE, SIG_IGN);
	pin[0] = '\0';
	if (assuan_ok(from[0], NULL, 0) != 0)
		goto out;
	if (tty != NULL) {
		snprintf(cmd, sizeof(cmd), "OPTION ttyname=%s\n", tty);
		if (write(to[1], cmd, strlen(cmd)) < 0 ||
		    assuan_ok(from[0], NULL, 0) != 0)
			goto out;
	}
	snprintf(cmd, sizeof(cmd), "SETDESC %s\nSETPROMPT PIN\nGETPIN\n",
	    desc);
	if (write(to[1], cmd, strlen(cmd)) < 0 ||
	    assuan_ok(from[0], NULL, 0) != 0 ||	/* SETDESC */
	    assuan_ok(from[0], NULL, 0) != 0 ||	/* SETPROMPT */
	    assuan_ok(from[0], pin, cap) != 0)	/* GETPIN */
		goto out;
	r = pin[0] != '\0' ? 0 : -1;
out:
	if (write(to[1], "BYE\n", 4) < 0)
		log_debug("pinentry: %s", strerror(errno));
	close(to[1]);
	close(from[0]);
	waitpid(pid, &status, 0);
	if (r != 0)
		sk_wipe(pin, cap);
	return r;
}

/* The pinentry to use: $SIGKNOCK_PINENTRY, else "pinentry" on PATH. */
static const char *
pinentry_program(void)
{
	const char *p = getenv("SIGKNOCK_PINENTRY"), *path = getenv("PATH");
	static char found[4096];
	const char *dir, *end;

	if (p != NULL && *p != '\0')
		return p;
	for (dir = path; dir != NULL && *dir != '\0'; dir = end + (*end != 0)) {
		end = strchr(dir, ':');
		if (end == NULL)
			end = dir + strlen(dir);
		snprintf(found, sizeof(found), "%.*s/pinentry", (int)(end - dir),
		    dir);
		if (access(found, X_OK) == 0)
			return found;
		if (*end == '\0')
			break;
	}
	return NULL;
}

int
token_read_pin(int fd, const char *prompt, char *pin, size_t cap)
{
	const char *prog;
	struct termios old, quiet;
	size_t n = 0;
	int tty = -1, echo_off = 0;
	char c;
	ssize_t r;

	if (fd < 0 && (prog = pinentry_program()) != NULL) {
		if (pinentry(prog, prompt, pin, cap) == 0)
			return 0;
		log_err("no PIN from %s (cancelled?)", prog);
		return SK_ERR_INVALID_ARG;
	}
	if (fd < 0) {
		if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0) {
			log_err("no terminal to ask the PIN on: give it with "
			    "--pin-fd");
			return SK_ERR_IO;
		}
		fd = tty;
		if (write(tty, prompt, strlen(prompt)) < 0)
			log_debug("prompt: %s", strerror(errno));
		if (tcgetattr(tty, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= (tcflag_t)~ECHO;
			echo_off = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
		}
	}
	/* One line, read a byte at a time so nothing after it is eaten. */
	while ((r = read(fd, &c, 1)) == 1 && c != '\n') {
		if (n + 1 >= cap) {
			sk_wipe(pin, cap);
			n = 0;
			r = -1;
			break;
		}
		pin[n++] = c;
	}
	if (n > 0 && pin[n - 1] == '\r')
		n--;
	pin[n] = '\0';
	if (echo_off) {
		tcsetattr(tty, TCSAFLUSH, &old);
		if (write(tty, "\n", 1) < 0)
			log_debug("tty: %s", strerror(errno));
	}
	if (tty >= 0)
		close(tty);
	if (r < 0 || n == 0) {
		sk_wipe(pin, cap);
		log_err("no PIN given");
		return SK_ERR_INVALID_ARG;
	}
	return 0;
}
