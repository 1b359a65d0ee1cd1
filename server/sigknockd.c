/* sigknockd: the Single Packet Authorization daemon: its command line,
 * and the commands that ask a running daemon (-G, -R, -S).  The daemon
 * itself is monitor.c (and worker.c). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fido2users.h"
#include "fileio.h"
#include "log.h"
#include "users.h"
#include "monitor.h"
#include "paths.h"

#define SYNOPSIS	"sigknockd [-c FILE] [-fdetTF] | -G [-j] | -R USER | -S | --remove-gate"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: sigknockd [-c FILE] [-f] [-d] [-e] [-t] [-T] [-F]\n"
"       sigknockd [-c FILE] -G [-j] | -R USER | -S | --remove-gate\n"
"\n"
"  -c FILE   configuration file (default %s)\n"
"  -f        stay in the foreground\n"
"  -d        debug: log everything, to stderr, in the foreground\n"
"  -e        log to stderr instead of syslog\n"
"  -t        check the configuration, keys and access file, then exit\n"
"  -T        print the effective configuration, then exit\n"
"  -F        remove every grant sigknockd holds in the firewall, then exit\n"
"  -G        list the live grants with their owners (-j: as JSON)\n"
"  -R USER   close USER's live grants in the running daemon (a name,\n"
"            fingerprint, long key id or fido2:ID); the key stays valid\n"
"  -S        print the running daemon's counters\n"
"  --remove-gate  take the gate down for good (both firewall backends'),\n"
"            opening the protected ports to everyone; sigknockd must be\n"
"            stopped first\n"
"  -h, --help     this help\n"
"  -V, --version  the version\n"
"\n"
"Configuration, access file and keyring changes are picked up within a\n"
"second.  Signals: SIGHUP reloads now (live grants stay); SIGUSR1 logs\n"
"counters; SIGUSR2 reads -R requests; SIGTERM exits.\n"
"See sigknockd(8) and sigknockd.conf(5).\n", SK_CONFIG_FILE);
}


/* After -G's table: the live grants against MaxGrants, in all and for
 * each user of a stanza with its own cap. */
static void
print_caps(const struct server_config *cfg, const struct grants *g,
    time_t now)
{
	struct access *acl = NULL;
	char who[160];
	size_t i, j, k, live = 0, n;

	for (i = 0; i < g->n; i++)
		live += g->g[i].until > now;
	if (cfg->max_grants != 0)
		printf("%zu live grant%s, MaxGrants %ld\n", live, live == 1 ?
		    "" : "s", cfg->max_grants);
	else
		printf("%zu live grant%s, MaxGrants none\n", live, live == 1 ?
		    "" : "s");
	if (access_load(cfg->access_file, &acl) != 0)
		return;
	for (i = 0; i < acl->n; i++) {
		const struct access_rule *r = &acl->rules[i];

		if (r->max_grants == 0)
			continue;
		/* Each user once: at her first live grant under r. */
		for (j = 0; j < g->n; j++) {
			if (g->g[j].until <= now ||
			    strcmp(g->g[j].stanza, r->name) != 0)
				continue;
			for (k = 0; k < j; k++)
				if (g->g[k].until > now &&
				    grants_same_user(&g->g[k], &g->g[j]))
					break;
			if (k < j)
				continue;
			for (n = 0, k = j; k < g->n; k++)
				n += g->g[k].until > now &&
				    grants_same_user(&g->g[k], &g->g[j]);
			printf("[%s] %s: %zu of MaxGrants %u\n", r->name,
			    grants_owner(&g->g[j], who, sizeof(who)), n,
			    r->max_grants);
		}
	}
	access_free(acl);
}

/* sigknockd -G [-j]: the live grants and their owners, as the running
 * daemon recorded them. */
static int
list_grants(const struct server_config *cfg, int json)
{
	struct grants g;
	time_t now = time(NULL);

	if (grants_load(cfg->state_dir, &g) != 0)
		return 1;
	grants_print(&g, now, json, stdout);
	if (!json)
		print_caps(cfg, &g, now);
	grants_clear(&g);
	return 0;
}

static int
count_owned(const struct server_config *cfg, const char *user, time_t now)
{
	struct grants g;
	size_t i;
	int n = 0;

	if (grants_load(cfg->state_dir, &g) != 0)
		return -1;
	for (i = 0; i < g.n; i++)
		n += g.g[i].until > now && grants_owner_is(&g.g[i], user);
	grants_clear(&g);
	return n;
}

/* The running daemon's PID, from PidFile; 0 when none runs. */
static long
running_pid(const struct server_config *cfg)
{
	char buf[32] = "";
	ssize_t n;
	long pid = 0;
	int fd;

	if ((fd = open(cfg->pid_file, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if ((n = read(fd, buf, sizeof(buf) - 1)) > 0)
		pid = strtol(buf, NULL, 10);
	close(fd);
	return pid > 1 && kill((pid_t)pid, 0) == 0 ? pid : 0;
}

/* sigknockd -S: the running daemon's counters (it writes them on
 * SIGUSR1, as it logs them). */
static int
show_counters(const struct server_config *cfg)
{
	char path[PATH_MAX], *buf;
	struct stat st;
	struct timespec before = { 0, 0 };
	size_t len;
	long pid;
	int i;

	if ((pid = running_pid(cfg)) == 0) {
		log_err("no running sigknockd (PidFile %s)", cfg->pid_file);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/" COUNTERS_FILE, cfg->state_dir);
	if (stat(path, &st) == 0)
		before = st.st_mtim;
	if (kill((pid_t)pid, SIGUSR1) != 0) {
		log_err("cannot signal sigknockd (pid %ld): %s", pid,
		    strerror(errno));
		return 1;
	}
	for (i = 0; i < 50; i++) {
		if (stat(path, &st) == 0 && (st.st_mtim.tv_sec != before.tv_sec ||
		    st.st_mtim.tv_nsec != before.tv_nsec))
			break;
		poll(NULL, 0, 100);
	}
	if (i == 50 || file_read_all(path, 65536, &buf, &len) != 0) {
		log_err("sigknockd (pid %ld) did not write its counters", pid);
		return 1;
	}
	fwrite(buf, 1, len, stdout);
	/* The one line an admin reads: does it run what the files say? */
	if (strstr(buf, "\nin_step no\n") != NULL)
		fprintf(stderr, "sigknockd: the running daemon does not have what "
		    "the files say: %s%s(its log says why; it keeps trying)\n",
		    strstr(buf, "\nkeyring_on_disk loaded\n") == NULL ?
		    "the keyring on disk is not loaded " : "",
		    strstr(buf, "\nconfiguration_on_disk loaded\n") == NULL ?
		    "the configuration on disk is not loaded " : "");
	free(buf);
	return 0;
}

/* Edit distance of two short strings (case-insensitive), capped. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, row[129];

	if (la > 128 || lb > 128)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? prev : 1 +
			    (prev < row[j] ? (prev < row[j - 1] ? prev :
			    row[j - 1]) : (row[j] < row[j - 1] ? row[j] :
			    row[j - 1]));
			prev = cur;
		}
	}
	return row[lb];
}

static void
suggest(char *out, size_t len, const char *user, const char *name)
{
	size_t off = strlen(out);

	if (name[0] == '\0' || distance(user, name) > 2 ||
	    strstr(out, name) != NULL)
		return;
	snprintf(out + off, len - off, "%s%s", off ? ", " : "", name);
}

/* Every user name the keyring holds, with whether it is revoked: the
 * ledger's, then the FIDO2 records'.  cb returns nonzero to stop; the
 * walk returns that, or -1 when the keyring cannot be read. */
static int
each_name(const struct server_config *cfg,
    int (*cb)(void *arg, const char *name, int revoked), void *arg)
{
	struct users u;
	struct fido2_record *recs = NULL;
	size_t i, nrecs = 0;
	int r = 0;

	if (users_read(cfg->keyring, &u) != 0)
		return -1;
	if (fido2_users_read(cfg->keyring, &recs, &nrecs) != 0) {
		users_clear(&u);
		return -1;
	}
	for (i = 0; i < u.n && r == 0; i++)
		r = cb(arg, u.e[i].name, u.e[i].revoked);
	for (i = 0; i < nrecs && r == 0; i++)
		r = cb(arg, recs[i].name, recs[i].revoked[0] != '\0');
	users_clear(&u);
	free(recs);
	return r;
}

struct lookup {
	const char	*user;
	char		*sugg;
	size_t		 len;
};

static int
known_cb(void *arg, const char *name, int revoked)
{
	struct lookup *l = arg;

	(void)revoked;
	suggest(l->sugg, l->len, l->user, name);
	return strcasecmp(name, l->user) == 0;
}

/* Is user a name the keyring knows (its ledger, or a FIDO2 record's)?
 * A fingerprint, long key id or fido2:ID is taken as given (a subkey is
 * not in the ledger).  1, 0 with close names in sugg, or -1 when the
 * keyring cannot be read (then it is not held against the user). */
static int
user_known(const struct server_config *cfg, const char *user, char *sugg,
    size_t len)
{
	struct lookup l = { user, sugg, len };
	const char *h = user[0] == '0' && (user[1] == 'x' || user[1] == 'X') ?
	    user + 2 : user;

	sugg[0] = '\0';
	if (strncasecmp(user, "fido2:", 6) == 0 || ((strlen(h) == 40 ||
	    strlen(h) == 16) && strspn(h, "0123456789abcdefABCDEF") ==
	    strlen(h)))
		return 1;
	return each_name(cfg, known_cb, &l);
}

static int
revoked_cb(void *arg, const char *name, int revoked)
{
	const struct lookup *l = arg;

	return revoked && strcasecmp(name, l->user) == 0;
}

/* For -t: is name a revoked user's, in the ledger or a FIDO2 record? */
static int
name_revoked(void *arg, const char *name)
{
	struct lookup l = { name, NULL, 0 };

	return each_name(arg, revoked_cb, &l) == 1;
}

/* sigknockd -R USER: ask the running daemon (PidFile, SIGUSR2) to close
 * USER's live grants, and wait until it has. */
static int
close_grants(const struct server_config *cfg, const char *user)
{
	char path[PATH_MAX], work[PATH_MAX + 8];
	struct stat st;
	long pid;
	int fd, i, left;

	if (strchr(user, '\n') != NULL || *user == '\0') {
		log_err("-R takes a user's name, fingerprint, long key id or "
		    "fido2:ID");
		return 2;
	}
	if ((left = count_owned(cfg, user, time(NULL))) <= 0) {
		char sugg[256];

		if (left != 0)
			return 1;
		/* A mistyped name holds no grant either: say so, and fail. */
		if (user_known(cfg, user, sugg, sizeof(sugg)) == 0) {
			log_err("no user '%s' in the keyring %s: %s%s%s", user,
			    cfg->keyring, sugg[0] ? "did you mean " : "'sigknock-"
			    "keys list' shows the users", sugg, sugg[0] ? "?" : "");
			return 1;
		}
		fprintf(stderr, "sigknockd: %s holds no live grant\n", user);
		return 0;
	}
	if ((pid = running_pid(cfg)) == 0) {
		log_err("no running sigknockd (PidFile %s)", cfg->pid_file);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/" CLOSE_FILE, cfg->state_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0 || dprintf(fd, "%s\n", user) < 0) {
		log_err("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	if (kill((pid_t)pid, SIGUSR2) != 0) {
		log_err("cannot signal sigknockd (pid %ld): %s", pid,
		    strerror(errno));
		return 1;
	}
	snprintf(work, sizeof(work), "%s.work", path);
	for (i = 0; i < 50 && (stat(path, &st) == 0 || stat(work, &st) == 0);
	    i++)
		poll(NULL, 0, 100);
	left = count_owned(cfg, user, time(NULL));
	if (left != 0) {
		log_err("%s still holds %d live grant%s", user, left,
		    left == 1 ? "" : "s");
		return 1;
	}
	fprintf(stderr, "sigknockd: closed the live grants of %s\n", user);
	return 0;
}
/* sigknockd --remove-gate: the gate goes for good, whichever backend
 * made it; a running daemon would rebuild it at once, so it must be
 * stopped first. */
static int
take_down(const struct server_config *cfg)
{
	long pid;
	int n, i;

	if ((pid = running_pid(cfg)) != 0) {
		log_err("sigknockd is running (pid %ld, PidFile %s) and would "
		    "rebuild the gate at once: stop it first (systemctl stop "
		    "sigknockd)", pid, cfg->pid_file);
		return 1;
	}
	if ((n = fw_nft_remove_gate()) < 0 || (i = fw_legacy_remove_gate()) < 0)
		return 1;
	if (n + i == 0)
		fprintf(stderr, "sigknockd: no gate of sigknockd's in this "
		    "host's firewall\n");
	else
		fprintf(stderr, "sigknockd: the gate is down: the protected "
		    "ports are open to everyone the host's own rules let in\n");
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct fw_params fp;
	int c, foreground = 0, debug = 0, to_stderr = 0, test = 0, print = 0;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "remove-gate", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	int flush = 0, status = 1, list = 0, json = 0, counters = 0;
	int remove_gate = 0;
	const char *close_user = NULL;

	monitor_init(&d);
	sk_log_init("sigknockd", 1, LOG_INFO);
	while ((c = getopt_long(argc, argv, "c:fdetTFGjR:ShV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c': d.config_path = optarg; break;
		case 'f': foreground = 1; break;
		case 'd': debug = foreground = to_stderr = 1; break;
		case 'e': to_stderr = 1; break;
		case 't': test = d.check_only = 1; break;
		case 'T': print = 1; break;
		case 'F': flush = 1; break;
		case 'G': list = 1; break;
		case 'j': json = 1; break;
		case 'R': close_user = optarg; break;
		case 'S': counters = 1; break;
		case 'X': remove_gate = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("sigknockd %s\nverification: %s\n",
			    PACKAGE_VERSION, crypto_provider());
			return 0;
		default: return sk_usage_error(SYNOPSIS, NULL);
		}
	}
	if (optind != argc)
		return sk_usage_error(SYNOPSIS, "unexpected argument '%s'",
		    argv[optind]);
	/* Start-up problems go to the terminal; the running daemon logs to
	 * syslog unless -e (or -d) asks for stderr. */
	sk_log_init("sigknockd", 1, debug ? LOG_DEBUG : LOG_INFO);
	/* -T without a configuration file: the built-in defaults. */
	if (print && access(d.config_path, F_OK) != 0 && errno == ENOENT) {
		printf("# %s does not exist: the built-in defaults\n",
		    d.config_path);
		if (config_load(NULL, &d.cfg) != 0)
			return 1;
	} else if (config_load(d.config_path, &d.cfg) != 0)
		return 1;
	if (print) {
		config_print(&d.cfg, stdout);
		config_free(&d.cfg);
		return 0;
	}
	if (counters) {
		status = show_counters(&d.cfg);
		config_free(&d.cfg);
		return status;
	}
	if (list || close_user != NULL) {
		status = close_user != NULL ? close_grants(&d.cfg, close_user) :
		    list_grants(&d.cfg, json);
		config_free(&d.cfg);
		return status;
	}
	/* libiptc rebuilds the whole table per commit: keep freed memory
	 * mapped (research/firewall.md measured 5-10x on growing tables). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	if (crypto_init() != 0)
		return 1;
	if (remove_gate) {
		status = take_down(&d.cfg);
		config_free(&d.cfg);
		return status;
	}
	if (flush) {
		struct access *acl = NULL;

		access_load(d.cfg.access_file, &acl);
		monitor_gate_params(&d, acl, &fp);
		access_free(acl);
		if (fw_open(d.cfg.firewall, &fp, time(NULL), &d.k.fw) != 0)
			return 1;
		log_notice("removing %zu grant%s", fw_count(d.k.fw),
		    fw_count(d.k.fw) == 1 ? "" : "s");
		status = fw_flush(d.k.fw) == 0 && fw_commit(d.k.fw) == 0 ? 0 : 1;
		fw_close(d.k.fw);
		return status;
	}
	/* The daemon's lines from here on; -t's stay text. */
	if (!test)
		sk_log_set_json(d.cfg.log_json);
	if (monitor_load_all(&d) != 0)
		goto out;
	if (strcmp(d.cfg.interface, "any") != 0 &&
	    if_nametoindex(d.cfg.interface) == 0) {
		log_err("%s: Interface %s: no such network interface on this "
		    "host", d.config_path, d.cfg.interface);
		goto out;
	}
	if (test) {
		access_warn_unmatched(d.k.acl, d.cfg.access_file, d.k.kr,
		    d.k.fu, name_revoked, &d.cfg);
		if (d.cfg.firewall == FW_NFTABLES || (d.cfg.firewall == FW_AUTO &&
		    fw_host_uses_nftables() == 1))
			fw_nft_warn_default_deny(FW_GRANT_MARK, 0);
		fprintf(stderr, "sigknockd: %s: configuration OK (%zu access "
		    "stanza%s, %zu signing key%s)\n", d.config_path, d.k.acl->n,
		    d.k.acl->n == 1 ? "" : "s", d.k.kr->n, d.k.kr->n == 1 ? "" :
		    "s");
		status = 0;
		goto out;
	}
	status = monitor_main(&d, foreground, to_stderr, debug);
out:
	monitor_free(&d, test);
	config_free(&d.cfg);
	return status;
}
