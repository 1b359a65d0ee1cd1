/* The confinement of sigknockd's worker (privsep.h): its own
 * unprivileged uid and gid, an empty read-only root, no capabilities,
 * PR_SET_NO_NEW_PRIVS, rlimits (no core, no file growth, no new
 * processes), and a seccomp-bpf allow-list that kills the worker on any
 * other system call. */
#ifndef SK_SANDBOX_H
#define SK_SANDBOX_H

#include <limits.h>
#include <sys/types.h>

/* The unprivileged user when the system has no such account (it is
 * created at install, by sysusers.d). */
#define SANDBOX_USER		"sigknock"
/* Without it, a uid and gid of systemd's dynamic range that no account
 * and no group uses. */
#define SANDBOX_DYNAMIC_MIN	61184
#define SANDBOX_DYNAMIC_MAX	65519

struct sandbox {
	int	 as_root;		/* 0: not root, uid and root kept */
	uid_t	 uid;
	gid_t	 gid;
	char	 user[64];		/* for messages */
	char	 root[PATH_MAX];	/* empty directory to chroot to */
	int	 fds[4];		/* the descriptors it may use */
	size_t	 nfds;
};

/* Monitor, once: find the user (or a free dynamic uid) and make the
 * empty root, StateDir/empty (root's, mode 0555).  Logs what it chose. */
int	sandbox_prepare(const char *state_dir, struct sandbox *sb);
/* Worker, right after fork: close every descriptor but 0-2 and the
 * fds listed (capture, monitor socket), then confine.  Never returns an
 * error: a worker that cannot be confined exits with status 2. */
void	sandbox_enter(const struct sandbox *sb);

#endif
