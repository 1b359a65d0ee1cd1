#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SK_ASAN 1
#endif
#endif

int
sandbox_prepare(const char *state_dir, struct sandbox *sb)
{
	struct passwd *pw;
	struct stat st;
	unsigned id;

	memset(sb, 0, sizeof(*sb));
	if (geteuid() != 0) {
		/* Tests as a user: seccomp, rlimits and no-new-privs still
		 * apply; uid and root stay what they are. */
		sb->uid = geteuid();
		sb->gid = getegid();
		snprintf(sb->user, sizeof(sb->user), "uid %u",
		    (unsigned)sb->uid);
		log_info("not started as root: the worker keeps uid %u and the "
		    "file system", (unsigned)sb->uid);
		return 0;
	}
	sb->as_root = 1;
	if ((pw = getpwnam(SANDBOX_USER)) != NULL && pw->pw_uid != 0 &&
	    pw->pw_gid != 0) {
		sb->uid = pw->pw_uid;
		sb->gid = pw->pw_gid;
		snprintf(sb->user, sizeof(sb->user), "%s", SANDBOX_USER);
	} else {
		for (id = SANDBOX_DYNAMIC_MIN; id <= SANDBOX_DYNAMIC_MAX; id++)
			if (getpwuid((uid_t)id) == NULL &&
			    getgrgid((gid_t)id) == NULL)
				break;
		if (id > SANDBOX_DYNAMIC_MAX) {
			log_err("no user %s, and no free uid in %u-%u for the "
			    "worker", SANDBOX_USER, SANDBOX_DYNAMIC_MIN,
			    SANDBOX_DYNAMIC_MAX);
			return SK_ERR_IO;
		}
		sb->uid = (uid_t)id;
		sb->gid = (gid_t)id;
		snprintf(sb->user, sizeof(sb->user), "uid %u", id);
		log_notice("no user %s (installing sigknock creates it): the "
		    "worker runs as uid and gid %u, which no account uses",
		    SANDBOX_USER, id);
	}
	snprintf(sb->root, sizeof(sb->root), "%s/empty", state_dir);
	if (mkdir(sb->root, 0555) != 0 && errno != EEXIST) {
		log_err("%s: %s", sb->root, strerror(errno));
		return SK_ERR_IO;
	}
	/* Root's, and writable by no one: the worker's whole file system. */
	if (lstat(sb->root, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != 0 || (st.st_mode & 0222) != 0) {
		if (lstat(sb->root, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    chown(sb->root, 0, 0) != 0 || chmod(sb->root, 0555) != 0) {
			log_err("%s must be an empty directory of root's, mode "
			    "0555", sb->root);
			return SK_ERR_IO;
		}
	}
	return 0;
}

static int
kept(const struct sandbox *sb, int fd)
{
	size_t i;

	for (i = 0; i < sb->nfds; i++)
		if (sb->fds[i] == fd)
			return 1;
	return fd <= 2;
}

static void
close_others(const struct sandbox *sb)
{
	int fd, max = (int)sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		if (!kept(sb, fd))
			close(fd);
}

static int
max_fd(const struct sandbox *sb)
{
	size_t i;
	int m = 2;

	for (i = 0; i < sb->nfds; i++)
		if (sb->fds[i] > m)
			m = sb->fds[i];
	return m;
}

#define ALLOW(sc) \
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sc), 0)
#define ALLOW_FD(sc, fd) \
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sc), 1, \
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)(fd)))

/* What the packet path needs and nothing else: reading the capture ring
 * (poll; the frames are in shared memory), the monitor's socket, time,
 * memory (never executable), and leaving.  Anything else: the kernel
 * kills the worker with SIGSYS and the monitor says so. */
static int
seccomp_load_filter(int ipc)
{
	scmp_filter_ctx ctx;
	int r = 0;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
	/* memory */
	ALLOW(brk);
	ALLOW(munmap);
	ALLOW(mremap);
	ALLOW(madvise);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* time, waiting */
	ALLOW(clock_gettime);
	ALLOW(gettimeofday);
	ALLOW(time);
	ALLOW(poll);
	ALLOW(ppoll);
	ALLOW(futex);
	ALLOW(restart_syscall);
	/* libgcrypt's generator mixes in its own resource usage */
	ALLOW(getrandom);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getrusage), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)RUSAGE_SELF));
	/* the monitor's socket, the snapshot memfds it sends, stderr */
	ALLOW_FD(recvmsg, ipc);
	ALLOW_FD(sendmsg, ipc);
	ALLOW_FD(sendto, ipc);
	ALLOW_FD(write, ipc);
	ALLOW_FD(write, STDERR_FILENO);
	ALLOW(pread64);
	ALLOW(close);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fstat), 0);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
	    SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	/* signals to itself (abort), leaving */
	ALLOW(rt_sigprocmask);
	ALLOW(rt_sigreturn);
	ALLOW(getpid);
	ALLOW(gettid);
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	ALLOW(exit);
	ALLOW(exit_group);
#ifdef SK_ASAN
	/* AddressSanitizer's run time, to report an error before dying
	 * (t/511-privsep.sh runs in the sanitizer build too). */
	ALLOW(sigaltstack);
	ALLOW(sched_yield);
	ALLOW(prctl);
	ALLOW(getrlimit);
	ALLOW(prlimit64);
	ALLOW(rt_sigaction);
#endif
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r == 0 ? 0 : -1;
}

static void
die(const char *what)
{
	log_err("worker: cannot confine itself: %s: %s", what, strerror(errno));
	_exit(2);
}

void
sandbox_enter(const struct sandbox *sb)
{
	struct rlimit rl;
	int ipc = sb->nfds > 1 ? sb->fds[1] : -1;

	close_others(sb);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		die("PR_SET_DUMPABLE");
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		die("setrlimit");
#ifndef SK_ASAN
	/* No file grows, not even stderr when it is one.  (AddressSanitizer
	 * builds keep stderr writable for their reports.) */
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		die("setrlimit");
#endif
	if (sb->as_root) {
		if (chroot(sb->root) != 0 || chdir("/") != 0)
			die(sb->root);
		if (setgroups(0, NULL) != 0 ||
		    setresgid(sb->gid, sb->gid, sb->gid) != 0 ||
		    setresuid(sb->uid, sb->uid, sb->uid) != 0)
			die("setresuid");
		/* Gone for good: no way back to uid 0. */
		if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != sb->uid ||
		    geteuid() != sb->uid)
			die("uid 0 still reachable");
		if (setrlimit(RLIMIT_NPROC, &rl) != 0)
			die("setrlimit");
	}
	/* Room for the one snapshot memfd at a time, no more. */
	rl.rlim_cur = rl.rlim_max = (rlim_t)max_fd(sb) + 2;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die("PR_SET_NO_NEW_PRIVS");
	if (seccomp_load_filter(ipc) != 0)
		die("seccomp");
}
