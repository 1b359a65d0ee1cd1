/* sigknockd's monitor (sigknockd(8), PRIVILEGE SEPARATION): the root
 * process.  It loads the configuration, keys and policy, keeps the state
 * (replay cache, FIDO2 counters, grant owners, known sources), owns the
 * firewall and the worker, and grants what the worker's requests carry
 * only after checking them itself (privsep.h); the loop, reloads,
 * healing and signals are here.  sigknockd.c has main and the command
 * line. */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auditlog.h"
#include "capture.h"
#include "conntrack.h"
#include "crypto.h"
#include "addr.h"
#include "err.h"
#include "fileio.h"
#include "knock.h"
#include "metrics.h"
#include "monitor.h"
#include "log.h"
#include "paths.h"
#include "privsep.h"
#include "sandbox.h"
#include "serverkey.h"
#include "wipe.h"
#include "worker.h"


#define KEYRING_SETTLE_MS	100	/* coalesce a burst of keyring writes */
#define KEYRING_SLOW_S		30	/* then say the reader is stuck */
#define PRUNE_EVERY_S		60
#define STATS_EVERY_S		3600
#define TICK_S			1.0	/* gate check, and other backstops */
#define GATE_SNIPPET		"nftables-gate.nft"
/* A worker that dies is started again after 0.1 s, doubling up to 10 s
 * while it keeps dying young (within WORKER_YOUNG_S). */
#define WORKER_BACKOFF_MIN	0.1
#define WORKER_BACKOFF_MAX	10.0
#define WORKER_YOUNG_S		10.0


/* Append path's stat signature (inode, size, mtime; missing: the text
 * absent) to out; returns what it wrote. */
static size_t
stamp_file(const char *path, const char *absent, char *out, size_t len)
{
	struct stat st;
	int n;

	if (stat(path, &st) != 0)
		n = snprintf(out, len, "%s", absent);
	else
		n = snprintf(out, len, "%lu:%lld:%lld.%09ld;",
		    (unsigned long)st.st_ino, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

/* Stat signature of the keyring: the directory the path leads to now (a
 * symlink swapped by configuration management leads elsewhere), then its
 * files; without the trustdb, which GnuPG touches while we list keys. */
static void
keyring_stamp(const char *dir, int with_trustdb, char *out, size_t len)
{
	static const char *files[] = { "pubring.kbx", "pubring.gpg",
	    FIDO2_USERS_FILE, USERS_FILE, "trustdb.gpg" };
	char path[PATH_MAX];
	struct stat st;
	size_t i, off = 0, n = sizeof(files) / sizeof(files[0]);

	out[0] = '\0';
	if (stat(dir, &st) == 0)
		off += (size_t)snprintf(out, len, "%lu:%lu;",
		    (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	for (i = 0; i < n - !with_trustdb && off < len; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		off += stamp_file(path, "", out + off, len - off);
	}
}

static int watch_keyring(struct daemon *d);
static void owners_recheck(struct daemon *d, time_t now);
static void owners_close(struct daemon *d, size_t i, const char *why);
static void send_snapshot(struct daemon *d);

/* A failed reload is tried again, after 1, 2, 4 ... 30 seconds. */
static int
reload_failed(struct daemon *d, int r)
{
	if (d->check_only)
		return r;
	d->retry_s = d->retry_s == 0 ? 1 : d->retry_s * 2 > 30 ? 30 :
	    d->retry_s * 2;
	d->reload_at = knock_mono() + d->retry_s;
	log_warn("keyring %s: trying again in %.0f s", d->cfg.keyring,
	    d->retry_s);
	return r;
}

/* Reading the keyring spawns gpg and may take a while: the running daemon
 * does it in a thread, so that the loop keeps capturing, verifying with
 * the keys it has, and granting.  The thread writes one byte to a pipe
 * when it is done; the loop then swaps the new table in. */
static void *
krjob_run(void *arg)
{
	struct krjob *j = arg;
	char done = 1;

	j->kr = NULL;
	j->fu = NULL;
	if ((j->r = keyring_load(j->dir, &j->kr)) != 0)
		log_err("keyring %s: cannot be read", j->dir);
	else if ((j->r = fido2_users_load(j->dir, &j->fu)) != 0)
		log_err("keyring %s: FIDO2 users cannot be read", j->dir);
	/* Names fixed by the admin (or at first sight), and revocations. */
	else if ((j->r = keyring_apply_users(j->dir, j->kr, j->fu,
	    j->record ? KEYRING_RECORD : 0)) != 0)
		log_err("keyring %s: the user ledger cannot be read", j->dir);
	if (j->r != 0) {
		keyring_free(j->kr);
		fido2_users_free(j->fu);
		j->kr = NULL;
		j->fu = NULL;
	}
	if (j->pipe[1] >= 0 && write(j->pipe[1], &done, 1) != 1)
		log_err("keyring reader: cannot wake the main loop");
	return NULL;
}

/* A user revoked since the last load: the sessions of her grants that
 * already expired end too, from the sources the known list recorded as
 * hers (known.h), to every protected port; a source another owner holds
 * a live grant for is left alone (a NAT shared with someone in session).
 * Those of live grants end in owners_close. */
struct revoked_ctx {
	struct daemon	*d;
	struct ct_port	 ports[FW_PROTECTED_MAX];
	size_t		 np;
	const uint8_t	*owner;
	int		 ended;
};

static void
end_known_sessions(void *arg, int family, const uint8_t *addr)
{
	struct revoked_ctx *rc = arg;
	const struct grants *g = &rc->d->owners;
	size_t i, alen = family == AF_INET ? 4 : 8;
	time_t now = time(NULL);
	int n;

	for (i = 0; i < g->n; i++)
		if (g->g[i].until > now && g->g[i].family == family &&
		    memcmp(g->g[i].addr, addr, alen) == 0 &&
		    memcmp(g->g[i].signer == GRANT_OPENPGP ? g->g[i].primary :
		    g->g[i].id, rc->owner, KNOWN_OWNER_LEN) != 0)
			return;
	if ((n = ct_kill(family, addr, family == AF_INET6 ? 64 : 0, rc->ports,
	    rc->np)) > 0)
		rc->ended += n;
}

static void
end_sessions_of(struct revoked_ctx *rc, const uint8_t *owner,
    const char *name)
{
	rc->owner = owner;
	rc->ended = 0;
	known_each_owned(rc->d->k.known, owner, end_known_sessions, rc);
	if (rc->ended > 0)
		log_notice("ended %d connection%s from the addresses %s knocked "
		    "from (revoked; made under earlier grants)", rc->ended,
		    rc->ended == 1 ? "" : "s", name[0] ? name :
		    "a user without a name");
}

static void
end_revoked_sessions(struct daemon *d, const struct keyring *old,
    const struct fido2_users *oldfu)
{
	struct sk_access open[FW_PROTECTED_MAX];
	struct revoked_ctx rc;
	const struct keyring_revoked *r;
	size_t i, j;

	if (!d->cfg.kill_connections || d->k.known == NULL || d->k.acl == NULL)
		return;
	memset(&rc, 0, sizeof(rc));
	rc.d = d;
	rc.np = access_open_ports(d->k.acl, open, FW_PROTECTED_MAX, NULL);
	for (j = 0; j < rc.np; j++)
		rc.ports[j] = (struct ct_port){ open[j].proto, open[j].port };
	/* FIDO2 credentials revoked (or removed) since: gone from fu. */
	for (i = 0; oldfu != NULL && i < oldfu->n; i++) {
		for (j = 0; d->k.fu != NULL && j < d->k.fu->n; j++)
			if (memcmp(d->k.fu->u[j].id, oldfu->u[i].id,
			    FIDO2_ID_LEN) == 0)
				break;
		if (d->k.fu == NULL || j == d->k.fu->n)
			end_sessions_of(&rc, oldfu->u[i].id,
			    oldfu->u[i].rec.name);
	}
	for (i = 0; i < d->k.kr->n_revoked; i++) {
		r = &d->k.kr->revoked[i];
		/* Once per key, at the load that first saw it revoked. */
		for (j = 0; j < old->n_revoked; j++)
			if (memcmp(old->revoked[j].primary_fpr, r->primary_fpr,
			    PGP_FPR_LEN) == 0)
				break;
		if (j < old->n_revoked || (i > 0 && memcmp(r->primary_fpr,
		    d->k.kr->revoked[i - 1].primary_fpr, PGP_FPR_LEN) == 0))
			continue;
		end_sessions_of(&rc, r->primary_fpr, r->name);
	}
}

/* The job is done: take its table, or keep the old one. */
static int
keyring_finish(struct daemon *d)
{
	struct keyring *old;
	struct fido2_users *oldfu;
	struct krjob *j = &d->job;
	char after[640];

	if (j->r != 0) {
		log_err("keyring %s: not %sloaded, keeping %zu keys and %zu FIDO2 "
		    "credentials", d->cfg.keyring, d->k.kr ? "re" : "",
		    d->k.kr ? d->k.kr->n : 0, d->k.fu ? d->k.fu->n : 0);
		return reload_failed(d, j->r);
	}
	old = d->k.kr;
	d->k.kr = j->kr;
	oldfu = d->k.fu;
	d->k.fu = j->fu;
	d->k.kgen++;
	d->kr_loaded_at = time(NULL);
	d->kr_load_s = knock_mono() - j->started;
	j->kr = NULL;
	j->fu = NULL;
	d->retry_s = 0;
	keyring_stamp(d->cfg.keyring, 1, d->stamp, sizeof(d->stamp));
	keyring_stamp(d->cfg.keyring, 0, after, sizeof(after));
	if ((strcmp(j->before, after) != 0 || j->again) && !d->check_only) {
		log_info("keyring %s changed while it was read: reading it "
		    "again", d->cfg.keyring);
		d->stamp[0] = '\0';
		d->reload_at = knock_mono() + KEYRING_SETTLE_MS / 1000.0;
	}
	j->again = 0;
	log_info("keyring %s: %zu signing key%s, %zu FIDO2 credential%s",
	    d->cfg.keyring, d->k.kr->n, d->k.kr->n == 1 ? "" : "s",
	    d->k.fu->n, d->k.fu->n == 1 ? "" : "s");
	send_snapshot(d);
	owners_recheck(d, time(NULL));
	/* After the live grants (owners_close ended theirs). */
	if (old != NULL)
		end_revoked_sessions(d, old, oldfu);
	keyring_free(old);
	fido2_users_free(oldfu);
	return 0;
}

/* The loop saw the job's byte. */
static void
keyring_job_done(struct daemon *d)
{
	char b;

	while (read(d->job.pipe[0], &b, 1) == 1)
		;
	if (!d->job.running)
		return;
	pthread_join(d->job.th, NULL);
	d->job.running = 0;
	keyring_finish(d);
}

/* Read the keyring again if it changed (or with force).  At start and
 * for -t, in line; in the running daemon, in a thread. */
static int
load_keyring(struct daemon *d, int force)
{
	struct krjob *j = &d->job;
	char stamp[640];
	int r;

	if (j->running) {
		j->again = 1;
		return 0;
	}
	keyring_stamp(d->cfg.keyring, 1, stamp, sizeof(stamp));
	if (!force && strcmp(stamp, d->stamp) == 0)
		return 0;
	/* The path leads to another directory: watch that one. */
	if (d->ifd >= 0 && strncmp(stamp, d->stamp, strcspn(stamp, ";")) != 0)
		watch_keyring(d);
	if ((r = keyring_check_perms(d->cfg.keyring)) != 0) {
		log_err("keyring %s: not %sloaded", d->cfg.keyring,
		    d->k.kr ? "re" : "");
		return reload_failed(d, r);
	}
	/* Stamp before reading: a change that lands while we read is seen
	 * by comparing with the stamp after, and read again. */
	keyring_stamp(d->cfg.keyring, 0, j->before, sizeof(j->before));
	snprintf(j->dir, sizeof(j->dir), "%s", d->cfg.keyring);
	j->record = !d->check_only;
	j->again = 0;
	j->started = knock_mono();
	if (j->pipe[0] < 0) {
		krjob_run(j);
		return keyring_finish(d);
	}
	j->warned = 0;
	if ((r = pthread_create(&j->th, NULL, krjob_run, j)) != 0) {
		log_err("keyring %s: cannot start the reader: %s",
		    d->cfg.keyring, strerror(r));
		return reload_failed(d, SK_ERR_IO);
	}
	j->running = 1;
	return 0;
}

/* Stat signature of the configuration and access files and the server
 * keys (followed through symlinks): rotate-server, or removing the
 * previous key, is picked up as an edit is. */
static void
conf_stamp(const struct daemon *d, char *out, size_t len)
{
	char prev[PATH_MAX];
	const char *files[4] = { d->config_path, d->cfg.access_file,
	    d->cfg.server_key, d->cfg.prev_server_key };
	size_t i, off = 0;

	if (files[3] == NULL) {
		snprintf(prev, sizeof(prev), "%s" SERVERKEY_PREVIOUS,
		    d->cfg.server_key);
		files[3] = prev;
	}
	out[0] = '\0';
	for (i = 0; i < 4 && off + 1 < len; i++)
		off += stamp_file(files[i], "-;", out + off, len - off);
}

/* What the firewall gate closes: every Open port and gateway (via) port,
 * the knock port, and every destination of a Forward line. */
void
monitor_gate_params(struct daemon *d, const struct access *acl,
    struct fw_params *fp)
{
	memset(fp, 0, sizeof(*fp));
	fp->knock_port = (uint16_t)d->cfg.port;
	fp->pass_mark = d->cfg.pass_mark;
	fp->pass_mask = d->cfg.pass_mask;
	if (acl != NULL) {
		fp->n_protected = access_open_ports(acl, fp->protected,
		    FW_PROTECTED_MAX, &fp->n_open);
		fp->n_forward = access_forward_dests(acl, fp->forward,
		    FW_PROTECTED_MAX, &fp->nat);
	}
	snprintf(d->snippet, sizeof(d->snippet), "%s/" GATE_SNIPPET,
	    d->cfg.state_dir);
	fp->snippet = d->snippet;
}

/* A UDP socket bound to the knock port on every address, IPv4 and IPv6,
 * never read: with it the kernel has no reason to answer a knock with
 * "port unreachable", whatever the firewall holds (ip6tables missing, a
 * flushed ruleset before the gate is back).  Its small buffer fills and
 * further datagrams are dropped silently; capture sees them all anyway. */
static int
knock_sink(uint16_t port)
{
	struct sockaddr_in6 sa;
	int fd, off = 0, small = 1;

	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		/* No IPv6 on this host: IPv4 alone. */
		struct sockaddr_in s4;

		if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = htons(port);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)) != 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(port);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- grant owners (grants.h) ---- */

/* The whole list: at start, when a record closes early, and when the
 * journal has grown past twice the live records (and JOURNAL_MIN_LINES),
 * so that appending stays O(1) per grant on average. */
#define JOURNAL_MIN_LINES	1024

static void
owners_save(struct daemon *d)
{
	if (grants_save(d->cfg.state_dir, &d->owners) != 0)
		log_err("cannot record grant owners in %s/" GRANTS_FILE,
		    d->cfg.state_dir);
	else {
		d->journal_lines = 0;
		d->owners_snapshot = 0;
	}
	d->journal_len = 0;
}

/* The records granted in this batch, appended to the journal at once
 * (one write, one fdatasync); the whole list when the journal is long. */
static void
owners_journal(struct daemon *d, size_t records)
{
	if (d->owners_snapshot || (d->journal_lines + records >
	    JOURNAL_MIN_LINES && d->journal_lines + records >
	    2 * d->owners.n)) {
		owners_save(d);
		return;
	}
	if (d->journal_len > 0 && grants_journal_append(d->cfg.state_dir,
	    d->journal, d->journal_len) != 0) {
		/* The snapshot then holds them, or says why not. */
		owners_save(d);
		return;
	}
	d->journal_lines += records;
	d->journal_len = 0;
}

/* ---- known sources (known.h) ---- */

/* The whole list, then no journal. */
static void
known_save_all(struct daemon *d)
{
	if (known_save(d->k.known, d->cfg.state_dir) != 0)
		log_err("cannot record known sources in %s/" KNOWN_FILE,
		    d->cfg.state_dir);
	else
		d->known_jlines = 0;
}

/* At start and at each reload: the list when KnownPeriod is not 0, read
 * from StateDir, without what KnownPeriod forgets. */
static void
known_setup(struct daemon *d)
{
	if (d->cfg.known_period == 0) {
		known_free(d->k.known);
		d->k.known = NULL;
		return;
	}
	if (d->k.known == NULL) {
		if ((d->k.known = known_new()) == NULL) {
			log_err("out of memory for the known sources");
			return;
		}
		if (known_load(d->k.known, d->cfg.state_dir) != 0)
			log_err("known sources not read: knocks from them wait "
			    "with strangers until they knock again");
		else	/* the journal folded in: never appended to torn */
			known_save_all(d);
	}
	known_prune(d->k.known, time(NULL) - d->cfg.known_period * 86400);
}

/* The sources a batch of grants added or refreshed: appended to the
 * journal (one write, one fdatasync), or the whole list when the journal
 * has grown past twice the list (and JOURNAL_MIN_LINES lines). */
static void
known_save_dirty(struct daemon *d)
{
	size_t n = (size_t)d->k.known_dirty;

	if (d->k.known == NULL || n == 0)
		return;
	if (d->k.known_full || (d->known_jlines + n > JOURNAL_MIN_LINES &&
	    d->known_jlines + n > 2 * known_count(d->k.known)) ||
	    known_journal_append(d->cfg.state_dir, d->k.known_pend,
	    d->k.known_plen) != 0)
		known_save_all(d);
	else
		d->known_jlines += n;
	d->k.known_dirty = 0;
	d->k.known_full = 0;
	d->k.known_plen = 0;
}

static void
known_granted(struct daemon *d, const struct grant *g)
{
	struct ps_known m;

	if (d->k.known == NULL)
		return;
	if (d->wsock < 0)
		return;
	memset(&m, 0, sizeof(m));
	m.type = PS_KNOWN;
	m.family = (uint32_t)g->src_family;
	memcpy(m.addr, g->src, 16);
	m.seen = (int64_t)time(NULL);
	/* A full socket loses nothing: the next snapshot carries the list. */
	ps_send(d->wsock, &m, sizeof(m), -1, MSG_DONTWAIT);
}

/* sigknock --close (knock.h, close_own): the live grants of the signer
 * for the address and destination it named. */
static size_t
close_own(void *arg, const struct knock_decision *dec)
{
	struct daemon *d = arg;
	const struct grant *x = &dec->owner;
	time_t now = time(NULL);
	size_t i = 0, n = 0;

	while (i < d->owners.n) {
		const struct grant *g = &d->owners.g[i];

		if (g->until > now && grants_same_signer(g, x) &&
		    g->family == x->family && memcmp(g->addr, x->addr, 16) ==
		    0 && strcmp(g->dest, x->dest) == 0) {
			owners_close(d, i, "closed by its user (sigknock "
			    "--close)");
			n++;
		} else
			i++;
	}
	if (n > 0) {
		fw_commit(d->k.fw);
		owners_save(d);
	}
	return n;
}

/* IpSet (sigknock-access.conf(5)): grant g's ports into (del 0) or out
 * of the admin's ipset set ("" none); as for NftSet, a failure is said
 * (rate-limited) and counted, never the grant's. */
static void
ipset_grant(struct daemon *d, const struct grant *g, struct fw_rule *fr,
    const char *set, int del)
{
	char who[160], a[INET6_ADDRSTRLEN], why[256];
	size_t i;

	for (i = 0; set[0] != '\0' && i < g->nports; i++) {
		fr->proto = g->ports[i].proto;
		fr->port = g->ports[i].port;
		if (fw_ipset(set, fr, time(NULL), del, why, sizeof(why)) == 0)
			continue;
		d->ipset_failed++;
		sk_log_rl(&d->nftset_rl, LOG_WARNING, "IpSet %s: the grant of "
		    "%s for %s not %s: %s (see IpSet in "
		    "sigknock-access.conf(5) for the set to make)", set,
		    grants_owner(g, who, sizeof(who)), sk_addr_str(g->family,
		    g->addr, a, sizeof(a)), del ? "taken out" : "added", why);
		return;
	}
}

/* NftSet (sigknock-access.conf(5)): grant g's ports into (del 0) or out
 * of the admin's set for its stanza and family.  A set that does not
 * take them fails only this, said (rate-limited) and counted: never the
 * grant. */
static void
mirror_grant(struct daemon *d, const struct grant *g, int del)
{
	const struct access_rule *r = NULL;
	const struct fw_mirror *m;
	struct fw_rule fr;
	char who[160], a[INET6_ADDRSTRLEN];
	size_t i;
	int e;

	for (i = 0; d->k.acl != NULL && i < d->k.acl->n && r == NULL; i++)
		if (strcmp(d->k.acl->rules[i].name, g->stanza) == 0)
			r = &d->k.acl->rules[i];
	if (r == NULL)
		return;
	memset(&fr, 0, sizeof(fr));
	fr.family = g->family;
	memcpy(fr.addr, g->addr, 16);
	fr.until = g->until;
	fr.kind = FW_INPUT;
	ipset_grant(d, g, &fr, g->family == AF_INET ? r->ipset4 : r->ipset6,
	    del);
	m = g->family == AF_INET ? &r->nft4 : &r->nft6;
	if (m->set[0] == '\0' || d->k.fw == NULL)
		return;
	for (i = 0; i < g->nports; i++) {
		fr.proto = g->ports[i].proto;
		fr.port = g->ports[i].port;
		if ((e = fw_mirror(d->k.fw, m, &fr, del)) == 0)
			continue;
		d->nftset_failed++;
		sk_log_rl(&d->nftset_rl, LOG_WARNING, "NftSet %s %s %s: the "
		    "grant of %s for %s not %s: %s%s", m->family, m->table,
		    m->set, grants_owner(g, who, sizeof(who)),
		    sk_addr_str(g->family, g->addr, a, sizeof(a)), del ?
		    "taken out" : "added", strerror(e < 0 ? -e : e),
		    e == -ENOENT ? " (no such set; see NftSet in "
		    "sigknock-access.conf(5) for the one to make)" : "");
		return;
	}
}

/* NftSet and Grant connection need a backend with sets the kernel
 * updates (the one running, or before it runs, the one configured): 0,
 * or -1 (logged). */
static int
mirror_supported(struct daemon *d, const struct access *acl)
{
	size_t i;
	int can = d->k.fw != NULL ? fw_can_mirror(d->k.fw) :
	    d->cfg.firewall != FW_IPTABLES;

	for (i = 0; acl != NULL && !can && i < acl->n; i++) {
		const struct access_rule *r = &acl->rules[i];
		int nft = r->nft4.set[0] != '\0' || r->nft6.set[0] != '\0';

		if (!nft && !r->grant_once)
			continue;
		/* Both named at once: the admin fixes the stanza once. */
		log_err("[%s]: %s need%s the nftables backend; the gate is %s "
		    "(set Firewall nftables, or take %s out)", r->name,
		    nft && r->grant_once ? "NftSet and Grant connection" :
		    nft ? "NftSet" : "Grant connection",
		    nft && r->grant_once ? "" : "s", d->k.fw != NULL ?
		    fw_name(d->k.fw) : "iptables", nft && r->grant_once ?
		    "them" : nft ? "NftSet" : "it");
		return -1;
	}
	return 0;
}

/* For MaxGrants (knock.h, live). */
static int
live_grants(void *arg, const struct grant *x, size_t *user, size_t *all)
{
	struct daemon *d = arg;
	time_t now = time(NULL);
	size_t i;

	*user = *all = 0;
	for (i = 0; i < d->owners.n; i++) {
		const struct grant *g = &d->owners.g[i];

		if (g->until <= now)
			continue;
		if (grants_same_record(g, x))
			return 1;
		(*all)++;
		*user += grants_same_user(g, x);
	}
	return 0;
}

static void
on_granted(void *arg, const struct grant *g)
{
	struct daemon *d = arg;

	if (grants_add(&d->owners, g) != 0)
		log_err("out of memory recording a grant's owner");
	d->last_accepted = time(NULL);
	mirror_grant(d, g, 0);
	/* Appended once for the batch (grant_batch). */
	if (d->journal_cap - d->journal_len < GRANTS_LINE_MAX + 2) {
		size_t cap = d->journal_cap + 8 * (GRANTS_LINE_MAX + 2);
		char *p = realloc(d->journal, cap);

		if (p == NULL) {
			/* Not in the journal: the snapshot takes it. */
			d->owners_snapshot = 1;
			d->owners_dirty++;
			known_granted(d, g);
			return;
		}
		d->journal = p;
		d->journal_cap = cap;
	}
	d->journal_len += grant_line(g, d->journal + d->journal_len,
	    d->journal_cap - d->journal_len);
	d->owners_dirty++;
	known_granted(d, g);
}

/* Close record i: each of its ports unless another owner holds it too;
 * with KillConnections, the flows it let in end too (conntrack.h), on the
 * ports no one else holds for that address. */
static void
owners_close(struct daemon *d, size_t i, const char *why)
{
	const struct grant *x = &d->owners.g[i];
	struct ct_port ports[SK_ACCESS_MAX * 2];
	struct fw_rule r[3];
	struct sk_log_ev ev;
	char who[160], a[INET6_ADDRSTRLEN];
	size_t j, k, n, np = 0;
	int shared, ended = 0;

	for (j = 0; j < x->nports; j++) {
		for (shared = 0, k = 0, n = grant_fw_rules(x, j, r); k < n; k++)
			if (!grants_covered(&d->owners, i, &r[k], time(NULL)))
				fw_revoke(d->k.fw, &r[k]);
			else
				shared = 1;
		if (shared || np + 2 > sizeof(ports) / sizeof(ports[0]))
			continue;
		/* Where its connections go: the port, or through the
		 * gateway the port it is reached at. */
		ports[np++] = (struct ct_port){ x->ports[j].proto,
		    x->ports[j].port };
		if (x->via[j] != 0)
			ports[np++] = (struct ct_port){ x->ports[j].proto,
			    x->via[j] };
	}
	grants_owner(x, who, sizeof(who));
	sk_addr_str(x->family, x->addr, a, sizeof(a));
	mirror_grant(d, x, 1);
	ev = (struct sk_log_ev){ SK_EV_CLOSED, who, NULL, a, NULL, why,
	    x->stanza };
	if (d->cfg.kill_connections && np > 0)
		ended = ct_kill(x->family, x->addr, 0, ports, np);
	if (ended > 0)
		sk_log_ev(&ev, LOG_NOTICE, "closed the grant of %s for %s: %s; "
		    "ended %d connection%s made under it", who, a, why, ended,
		    ended == 1 ? "" : "s");
	else
		sk_log_ev(&ev, LOG_NOTICE, "closed the grant of %s for %s: %s",
		    who, a, why);
	grants_remove(&d->owners, i);
}

/* Close every grant whose owner lost the authority for it. */
static void
owners_recheck(struct daemon *d, time_t now)
{
	const char *why;
	size_t i = 0;
	int any = 0;

	if (d->k.fw == NULL)
		return;
	while (i < d->owners.n)
		if (d->owners.g[i].until > now &&
		    (why = knock_still_allowed(&d->k, &d->owners.g[i], now,
		    NULL, NULL)) != NULL) {
			owners_close(d, i, why);
			any = 1;
		} else
			i++;
	if (any) {
		fw_commit(d->k.fw);
		owners_save(d);
	}
}

/* At start: owners of the grants the kernel still holds; a grant with
 * no owner on record is closed (every grant has an owner). */
static void
owners_adopt(struct daemon *d, time_t now)
{
	const struct fw_rule *r;
	char what[200];
	size_t i, n;
	int any = 0;

	if (grants_load(d->cfg.state_dir, &d->owners) != 0)
		log_warn("grant owners not read: live grants have no owner");
	grants_expire(&d->owners, now);
	for (i = fw_count(d->k.fw); i-- > 0;) {
		r = &fw_rules(d->k.fw)[i];
		if (grants_covered(&d->owners, SIZE_MAX, r, now))
			continue;
		log_notice("closed a grant with no owner on record: %s",
		    fw_rule_str(r, what, sizeof(what)));
		fw_revoke(d->k.fw, r);
		any = 1;
	}
	if (any)
		fw_commit(d->k.fw);
	n = d->owners.n;
	owners_recheck(d, now);
	if (n > 0)
		log_info("%zu grant owner%s adopted", d->owners.n,
		    d->owners.n == 1 ? "" : "s");
	owners_save(d);
}

/* sigknockd -R USER left requests in StateDir: close those grants.  The
 * file is renamed first, so that a request written meanwhile waits for
 * the next signal; the renamed one goes last, after the records are
 * saved, since sigknockd -R reads them once it is gone. */
static void
owners_close_requested(struct daemon *d)
{
	char path[PATH_MAX], work[PATH_MAX + 8], *buf, *line, *save = NULL;
	size_t len, i, closed;

	snprintf(path, sizeof(path), "%s/" CLOSE_FILE, d->cfg.state_dir);
	snprintf(work, sizeof(work), "%s.work", path);
	if (rename(path, work) != 0)
		return;
	if (file_read_all(work, 64 * 1024, &buf, &len) != 0) {
		unlink(work);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		for (closed = 0, i = 0; i < d->owners.n;)
			if (grants_owner_is(&d->owners.g[i], line)) {
				owners_close(d, i, "closed on request "
				    "(sigknockd -R)");
				closed++;
			} else
				i++;
		if (closed == 0)
			log_notice("close request for '%s': no live grant of that "
			    "user", line);
	}
	free(buf);
	fw_commit(d->k.fw);
	owners_save(d);
	unlink(work);
}

static int
watch_keyring(struct daemon *d)
{
	if (d->ifd < 0 &&
	    (d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		log_err("inotify: %s", strerror(errno));
		return SK_ERR_IO;
	}
	if (d->iwd >= 0)
		inotify_rm_watch(d->ifd, d->iwd);
	if ((d->iwd = inotify_add_watch(d->ifd, d->cfg.keyring, IN_CLOSE_WRITE |
	    IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MOVED_FROM |
	    IN_DELETE_SELF | IN_MOVE_SELF)) < 0) {
		log_err("cannot watch the keyring %s: %s", d->cfg.keyring,
		    strerror(errno));
		return SK_ERR_IO;
	}
	return 0;
}

/* The server key, and during a rotation the previous one, with their
 * mac1 handles: all or nothing.  The previous one is PreviousServerKey,
 * else the file rotate-server left beside the key (ServerKey.previous):
 * a reload between rotate-server and an edit of the configuration must
 * not lock out every client that still has the old public key. */
struct server_keys {
	struct sk_server_key	 key, prev;
	struct crypto_hmac	*mac1, *prev_mac1;
	char			 prev_path[PATH_MAX];	/* "": none */
};

static void
server_keys_free(struct server_keys *sk)
{
	crypto_hmac_free(sk->mac1);
	crypto_hmac_free(sk->prev_mac1);
	wire_server_key_wipe(&sk->key);
	wire_server_key_wipe(&sk->prev);
	memset(sk, 0, sizeof(*sk));
}

static int
server_keys_load(const struct server_config *cfg, struct server_keys *sk)
{
	int r;

	memset(sk, 0, sizeof(*sk));
	if ((r = serverkey_load(cfg->server_key, &sk->key)) != 0 ||
	    (r = crypto_hmac_new(&sk->mac1, sk->key.mac1_key,
	    sizeof(sk->key.mac1_key))) != 0)
		goto fail;
	if (cfg->prev_server_key != NULL)
		snprintf(sk->prev_path, sizeof(sk->prev_path), "%s",
		    cfg->prev_server_key);
	else if (snprintf(sk->prev_path, sizeof(sk->prev_path), "%s"
	    SERVERKEY_PREVIOUS, cfg->server_key) >= (int)sizeof(sk->prev_path) ||
	    access(sk->prev_path, F_OK) != 0)
		sk->prev_path[0] = '\0';
	if (sk->prev_path[0] != '\0' &&
	    ((r = serverkey_load(sk->prev_path, &sk->prev)) != 0 ||
	    (r = crypto_hmac_new(&sk->prev_mac1, sk->prev.mac1_key,
	    sizeof(sk->prev.mac1_key))) != 0))
		goto fail;
	return 0;
fail:
	server_keys_free(sk);
	return r;
}

static void
log_rotating(const char *prev)
{
	log_notice("rotating the server key: knocks sealed to the previous "
	    "key (%s) are accepted too; each says so when accepted, and "
	    "'sigknockd -S' counts them (granted_previous_key): once none "
	    "comes, remove that file (or the PreviousServerKey line)", prev);
}

/* Hand the keys to the pipeline, wiping what it held. */
static void
server_keys_install(struct knock *k, struct server_keys *sk)
{
	wire_server_key_wipe(&k->key);
	wire_server_key_wipe(&k->prev);
	crypto_hmac_free(k->mac1);
	crypto_hmac_free(k->prev_mac1);
	k->key = sk->key;
	k->prev = sk->prev;
	k->mac1 = sk->mac1;
	k->prev_mac1 = sk->prev_mac1;
	memset(sk, 0, sizeof(*sk));
}

/* Everything -t checks: config (already read), server keys, keyring,
 * access file. */
int
monitor_load_all(struct daemon *d)
{
	struct server_keys sk;
	int r;

	if ((r = server_keys_load(&d->cfg, &sk)) != 0)
		return r;
	if (sk.prev_path[0] != '\0')
		log_rotating(sk.prev_path);
	server_keys_install(&d->k, &sk);
	if ((r = access_load(d->cfg.access_file, &d->k.acl)) != 0)
		return r;
	if (mirror_supported(d, d->k.acl) != 0)
		return SK_ERR_BAD_FIELD;
	if ((r = load_keyring(d, 1)) != 0)
		return r;
	if (d->cfg.audit_log != NULL && (r = auditlog_open(d->cfg.audit_log,
	    (uint64_t)d->cfg.audit_log_size, d->check_only, &d->k.audit)) != 0)
		return r;
	return 0;
}

/* AuditLog after a reload of cfg: the same file goes on; another one is
 * opened before the old one is let go, so that a wrong path keeps the
 * trail where it was (and says so until fixed). */
static int
audit_reload(struct daemon *d, const struct server_config *cfg)
{
	struct auditlog *a = NULL;

	if (cfg->audit_log != NULL && d->k.audit != NULL &&
	    strcmp(cfg->audit_log, auditlog_path(d->k.audit)) == 0 &&
	    (uint64_t)cfg->audit_log_size == auditlog_max(d->k.audit))
		return 0;
	if (cfg->audit_log != NULL && auditlog_open(cfg->audit_log,
	    (uint64_t)cfg->audit_log_size, 0, &a) != 0)
		return -1;
	if (d->k.audit != NULL && a == NULL)
		log_notice("AuditLog: no longer written (it was %s)",
		    auditlog_path(d->k.audit));
	else if (a != NULL)
		log_notice("AuditLog: accepted knocks are recorded in %s",
		    cfg->audit_log);
	auditlog_close(d->k.audit);
	d->k.audit = a;
	return 0;
}

/* A configuration that does not load is said again every CONF_RETRY_S
 * (the reload is tried again, with its errors), until it loads: an admin
 * who missed the first line must not believe the edit applied. */
#define CONF_RETRY_S	15

static void
reload_refused(struct daemon *d)
{
	log_err("configuration not reloaded: keeping the running one (tried "
	    "again every %d s until it loads)", CONF_RETRY_S);
	d->conf_retry_at = knock_mono() + CONF_RETRY_S;
}

static void
reload(struct daemon *d, const char *why)
{
	struct server_config cfg;
	struct access *acl;
	struct server_keys sk;

	log_notice("%s: reloading %s", why, d->config_path);
	/* A bad edit is not read again until the files change again. */
	conf_stamp(d, d->conf_stamp, sizeof(d->conf_stamp));
	if (config_load(d->config_path, &cfg) != 0) {
		reload_refused(d);
		return;
	}
	if (strcmp(cfg.interface, d->cfg.interface) != 0 ||
	    cfg.port != d->cfg.port || cfg.firewall != d->cfg.firewall ||
	    strcmp(cfg.state_dir, d->cfg.state_dir) != 0)
		log_warn("Interface, Port, Firewall and StateDir changes take "
		    "effect at the next restart");
	if (server_keys_load(&cfg, &sk) != 0) {
		config_free(&cfg);
		reload_refused(d);
		return;
	}
	if (access_load(cfg.access_file, &acl) != 0) {
		server_keys_free(&sk);
		config_free(&cfg);
		reload_refused(d);
		return;
	}
	if (mirror_supported(d, acl) != 0 || audit_reload(d, &cfg) != 0) {
		access_free(acl);
		server_keys_free(&sk);
		config_free(&cfg);
		reload_refused(d);
		return;
	}
	if (sk.prev_path[0] != '\0' && (d->k.prev_mac1 == NULL ||
	    memcmp(sk.prev.pk, d->k.prev.pk, sizeof(sk.prev.pk)) != 0))
		log_rotating(sk.prev_path);
	else if (sk.prev_path[0] == '\0' && d->k.prev_mac1 != NULL)
		log_notice("server key rotation over: only the current key is "
		    "accepted");
	server_keys_install(&d->k, &sk);
	free(d->cfg.prev_server_key);
	d->cfg.prev_server_key = cfg.prev_server_key;
	cfg.prev_server_key = NULL;
	access_free(d->k.acl);
	d->k.acl = acl;
	free(d->cfg.server_key);
	d->cfg.server_key = cfg.server_key;
	cfg.server_key = NULL;
	free(d->cfg.access_file);
	d->cfg.access_file = cfg.access_file;
	cfg.access_file = NULL;
	d->cfg.max_packet_age = cfg.max_packet_age;
	d->cfg.known_period = cfg.known_period;
	d->cfg.kill_connections = cfg.kill_connections;
	d->cfg.log_json = cfg.log_json;
	d->cfg.max_grants = cfg.max_grants;
	sk_log_set_json(d->cfg.log_json);
	d->cfg.metrics_interval = cfg.metrics_interval;
	free(d->cfg.metrics_file);
	d->cfg.metrics_file = cfg.metrics_file;
	cfg.metrics_file = NULL;
	d->next_metrics = 0;
	free(d->cfg.audit_log);
	d->cfg.audit_log = cfg.audit_log;
	cfg.audit_log = NULL;
	d->cfg.audit_log_size = cfg.audit_log_size;
	if (cfg.pass_mark != d->cfg.pass_mark ||
	    cfg.pass_mask != d->cfg.pass_mask)
		log_warn("PassMark: a change takes effect at the next start; "
		    "the gate keeps 0x%08x/0x%08x", d->cfg.pass_mark,
		    d->cfg.pass_mask);
	known_setup(d);
	{
		struct fw_params fp;

		monitor_gate_params(d, d->k.acl, &fp);
		fw_protect(d->k.fw, &fp);
	}
	if (strcmp(cfg.keyring, d->cfg.keyring) != 0) {
		free(d->cfg.keyring);
		d->cfg.keyring = cfg.keyring;
		cfg.keyring = NULL;
		watch_keyring(d);
	}
	config_free(&cfg);
	send_snapshot(d);
	load_keyring(d, 1);
	owners_recheck(d, time(NULL));
	d->conf_retry_at = 0;
	log_notice("reloaded; %zu live grant%s kept", fw_count(d->k.fw),
	    fw_count(d->k.fw) == 1 ? "" : "s");
}

/* One daemon per PID file: an exclusive lock held for the daemon's life
 * (it passes to the daemonized child with the open file).  A second
 * start fails without touching the firewall, the state or the file. */
static int
pidfile_lock(const char *path)
{
	char buf[32] = "", dir[PATH_MAX], *slash;
	ssize_t n;
	int fd;

	/* Its directory (/run/sigknockd) is made when missing: systemd's
	 * RuntimeDirectory= makes it too, tmpfiles.d at boot. */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			log_warn("pid file directory %s: %s", dir,
			    strerror(errno));
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) < 0) {
		log_err("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0)
			buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_err("another sigknockd (pid %s) is running with PidFile %s; "
		    "not starting", buf[0] ? buf : "?", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
pidfile_write(int fd, const char *path)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		log_err("pid file %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	return 0;
}

/* The keyring and the configuration, loaded against what is on disk:
 * "loaded", "changed" (being read) or "not-loadable"; 1 when both are
 * loaded (in step). */
static int
loaded_state(struct daemon *d, const char **kr, const char **conf)
{
	char now[640];

	keyring_stamp(d->cfg.keyring, 1, now, sizeof(now));
	*kr = d->retry_s > 0 ? "not-loadable" : strcmp(now, d->stamp) == 0 ?
	    "loaded" : "changed";
	*conf = d->conf_retry_at != 0 ? "not-loadable" : "loaded";
	return strcmp(*kr, "loaded") == 0 && strcmp(*conf, "loaded") == 0;
}

/* The counters, as the log and sigknockd -S show them: the monitor's,
 * the dead workers', the live one's. */
static void
write_stats(struct daemon *d)
{
	struct knock_stats all = d->k.st;
	unsigned recv = 0, drop = 0;
	char buf[4096], path[PATH_MAX];
	const char *kr, *conf;
	size_t n;

	d->stats_due = 0;
	knock_stats_add(&all, &d->wbase);
	knock_stats_add(&all, &d->wlast);
	knock_log_stats(&all, d->wqlen, d->wqpfx);
	if (d->cap != NULL)
		capture_stats(d->cap, &recv, &drop);
	log_notice("capture: %u packets received, %u dropped by the kernel",
	    recv, drop);
	/* The same, for sigknockd -S. */
	n = knock_format_stats(&all, d->wqlen, d->wqpfx, buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "capture_received %u\n"
	    "capture_dropped %u\nlive_grants %zu\nworker_pid %ld\n"
	    "nftset_failed %llu\nipset_failed %llu\n", recv, drop,
	    fw_count(d->k.fw), (long)d->worker,
	    (unsigned long long)d->nftset_failed,
	    (unsigned long long)d->ipset_failed);
	/* What is loaded, against what is on disk (sigknockd -S). */
	loaded_state(d, &kr, &conf);
	if (n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "keyring %s\n"
		    "keyring_generation %llu\nkeyring_loaded_at %lld\n"
		    "keyring_keys %zu\nkeyring_fido2 %zu\nkeyring_revoked %zu\n"
		    "keyring_on_disk %s\nconfiguration %s\n"
		    "configuration_on_disk %s\nin_step %s\n", d->cfg.keyring,
		    (unsigned long long)d->k.kgen, (long long)d->kr_loaded_at,
		    d->k.kr != NULL ? d->k.kr->n : 0, d->k.fu != NULL ?
		    d->k.fu->n : 0, d->k.kr != NULL ? d->k.kr->n_revoked : 0,
		    kr, d->config_path, conf, strcmp(kr, "loaded") == 0 &&
		    strcmp(conf, "loaded") == 0 ? "yes" : "no");
	snprintf(path, sizeof(path), "%s/" COUNTERS_FILE, d->cfg.state_dir);
	if (n < sizeof(buf))
		file_write_atomic(path, buf, n, 0600);
}

/* MetricsFile (metrics.h): the counters of -S and more, every
 * MetricsInterval seconds.  A file that cannot be written is said each
 * time (file_write_atomic logs why) until it can. */
static void
write_metrics(struct daemon *d)
{
	struct metrics_in m;
	const char *kr, *conf;
	unsigned recv = 0, drop = 0;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.st = d->k.st;
	knock_stats_add(&m.st, &d->wbase);
	knock_stats_add(&m.st, &d->wlast);
	for (i = 0; i < 3; i++)
		m.lane[i] = d->wlane[i];
	m.prefixes = d->wqpfx;
	m.lat = &d->lat;
	if (d->cap != NULL)
		capture_stats(d->cap, &recv, &drop);
	m.capture_received = recv;
	m.capture_dropped = drop;
	m.acl = d->k.acl;
	m.owners = &d->owners;
	m.live_grants = fw_count(d->k.fw);
	m.keyring_generation = d->k.kgen;
	m.keyring_load_seconds = d->kr_load_s;
	m.keyring_loaded_at = d->kr_loaded_at;
	m.keys = d->k.kr != NULL ? d->k.kr->n : 0;
	m.fido2 = d->k.fu != NULL ? d->k.fu->n : 0;
	m.revoked = d->k.kr != NULL ? d->k.kr->n_revoked : 0;
	m.in_step = loaded_state(d, &kr, &conf);
	m.worker_restarts = d->worker_restarts;
	m.backend = fw_name(d->k.fw);
	m.heals = d->heals;
	m.last_accepted = d->last_accepted;
	m.started = d->started;
	m.now = time(NULL);
	metrics_save(&m, d->cfg.metrics_file);
}

/* SIGUSR1 and every hour: ask the worker for its counters first. */
static void
log_stats(struct daemon *d)
{
	uint32_t req = PS_STATS_REQ;

	if (d->wsock >= 0 && ps_send(d->wsock, &req, sizeof(req), -1,
	    MSG_DONTWAIT) == 0)
		d->stats_due = 1;
	else
		write_stats(d);
}

/* ---- the worker (privsep.h) ---- */

static void
stop_worker(struct daemon *d, const char *why)
{
	if (d->worker <= 0)
		return;
	log_warn("stopping the worker (pid %ld): %s", (long)d->worker, why);
	kill(d->worker, SIGKILL);
}

/* The current policy to the worker: at its start and after each reload. */
static void
send_snapshot(struct daemon *d)
{
	struct ps_snapshot m;
	size_t size;
	int fd;

	d->snapshot_due = 0;
	if (d->wsock < 0 || d->k.kr == NULL || d->k.acl == NULL)
		return;
	if (ps_snapshot_write(&d->k, time(NULL), &fd, &size) != 0) {
		stop_worker(d, "cannot write its snapshot");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = PS_SNAPSHOT;
	m.size = size;
	/* A worker busy with a flood may not have read its socket yet: the
	 * latest policy goes when there is room (POLLOUT in run()). */
	if (ps_send(d->wsock, &m, sizeof(m), fd, MSG_DONTWAIT) != 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			d->snapshot_due = 1;
		else {
			char why[128];

			snprintf(why, sizeof(why), "cannot send it the new "
			    "policy: %s", strerror(errno));
			stop_worker(d, why);
		}
	}
	close(fd);
}

/* Fork the worker on a capture handle of its own (a handle whose ring
 * another process has read cannot be shared).  The keyring reader may be
 * running: the child uses none of the locks it can hold (GPGME, stdio,
 * syslog; libgcrypt's generator is not used to read keys). */
static int
start_worker(struct daemon *d)
{
	sigset_t none;
	int sv[2];
	pid_t pid;

	d->restart_at = 0;
	if (d->worker_starts++ > 0)
		d->worker_restarts++;
	if (d->cap == NULL && capture_open(d->cfg.interface,
	    (uint16_t)d->cfg.port, &d->cap) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_err("socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_err("fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		d->sb.fds[0] = capture_fd(d->cap);
		d->sb.fds[1] = sv[1];
		d->sb.nfds = 2;
		worker_main(&d->cfg, d->cap, sv[1], &d->sb);
	}
	close(sv[1]);
	d->worker = pid;
	d->wsock = sv[0];
	d->worker_since = knock_mono();
	memset(&d->wlast, 0, sizeof(d->wlast));
	d->wqlen = d->wqpfx = 0;
	d->snapshot_due = 0;
	log_info("worker started (pid %ld, %s)", (long)pid, d->sb.user);
	send_snapshot(d);
	return 0;
}

/* SIGCHLD: was it the worker?  Say how it ended; start another later. */
static void
reap_worker(struct daemon *d)
{
	char how[96];
	int status;
	double lived;

	if (d->worker <= 0 || waitpid(d->worker, &status, WNOHANG) != d->worker)
		return;
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "was killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WTERMSIG(status) == SIGSYS ? ": a system call outside its "
		    "seccomp allow-list" : "");
	else
		snprintf(how, sizeof(how), "exited with status %d%s",
		    WEXITSTATUS(status), WEXITSTATUS(status) ==
		    WORKER_EXIT_CAPTURE ? " (capture stopped)" : "");
	lived = knock_mono() - d->worker_since;
	d->backoff = lived >= WORKER_YOUNG_S || d->backoff == 0 ?
	    WORKER_BACKOFF_MIN : d->backoff * 2 > WORKER_BACKOFF_MAX ?
	    WORKER_BACKOFF_MAX : d->backoff * 2;
	log_err("worker (pid %ld) %s after %.1f s; live grants and the replay "
	    "cache are kept; starting another in %.1f s", (long)d->worker, how,
	    lived, d->backoff);
	knock_stats_add(&d->wbase, &d->wlast);
	memset(&d->wlast, 0, sizeof(d->wlast));
	d->wqlen = d->wqpfx = 0;
	d->worker = 0;
	if (d->wsock >= 0)
		close(d->wsock);
	d->wsock = -1;
	capture_close(d->cap);
	d->cap = NULL;
	d->restart_at = knock_mono() + d->backoff;
	if (d->stats_due)
		write_stats(d);
}

/* A grant request: verified and checked here against the monitor's own
 * state, then queued to be granted with the others that came with it
 * (grant_batch). */
static void
worker_grant(struct daemon *d, const void *msg, size_t len)
{
	struct knock_decision *dec = &d->batch[d->nbatch];
	struct sk_log_ev ev;
	char why[320], a[INET6_ADDRSTRLEN];
	time_t now = time(NULL);

	if (ps_grant_check(&d->k, &d->wgrants, msg, len, now, knock_mono(), dec,
	    why, sizeof(why)) == 0) {
		d->nbatch++;
		return;
	}
	d->k.st.monitor_refused++;
	ev = (struct sk_log_ev){ SK_EV_MONITOR_REFUSED, dec->c.who[0] ?
	    dec->c.who : NULL, dec->c.src[0] ? dec->c.src : NULL,
	    dec->owner.family ? sk_addr_str(dec->owner.family,
	    dec->owner.addr, a, sizeof(a)) : NULL, NULL, why, NULL };
	sk_log_ev_rl(&d->wrefused, &ev, LOG_WARNING, "monitor: refused the "
	    "worker's grant request%s%s%s%s: %s", dec->c.who[0] ? " by " : "",
	    dec->c.who, ev.addr != NULL ? " for " : "", ev.addr != NULL ?
	    ev.addr : "", why);
}

/* Grant what worker_grant queued: one replay sync and one firewall
 * commit for all, then the owners' and known sources' files once. */
static void
grant_batch(struct daemon *d)
{
	const struct knock_decision *dv[KNOCK_GRANT_BATCH];
	size_t i;

	if (d->nbatch == 0)
		return;
	for (i = 0; i < d->nbatch; i++)
		dv[i] = &d->batch[i];
	knock_grant_many(&d->k, dv, d->nbatch, time(NULL));
	for (i = 0; i < d->nbatch; i++)
		sk_wipe(d->batch[i].inner, sizeof(d->batch[i].inner));
	d->nbatch = 0;
#ifdef SK_TEST_HOOKS
	/* TESTS ONLY (e2e-knock.sh): a crash between the firewall commit
	 * and the owners' journal.  The grant then has no owner on record,
	 * and the next start closes it. */
	if (getenv("SK_TEST_CRASH_BEFORE_JOURNAL") != NULL)
		_exit(99);
#endif
	if (d->owners_dirty) {
		owners_journal(d, (size_t)d->owners_dirty);
		d->owners_dirty = 0;
	}
	known_save_dirty(d);
}

/* Everything the worker sent; a message the monitor does not expect
 * means a worker not behaving as built: it is stopped. */
static void
read_worker(struct daemon *d)
{
	union {
		uint32_t	type;
		struct ps_grant	grant;
		struct ps_log	log;
		struct ps_stats	stats;
		uint8_t		buf[PS_MSG_MAX];
	} m;
	char text[4 * PS_LOG_MAX + 1];
	struct ps_log_ev evm;
	const struct sk_log_ev *ev;
	ssize_t n;
	int fd, prio, budget = 256;

	while (budget-- > 0 && d->wsock >= 0) {
		if ((n = ps_recv(d->wsock, &m, sizeof(m), &fd)) < 0 &&
		    errno == ECONNRESET)
			n = 0;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				stop_worker(d, strerror(errno));
			return;
		}
		if (fd >= 0) {
			close(fd);
			stop_worker(d, "it sent a file descriptor");
			return;
		}
		if (n == 0) {	/* it is gone: SIGCHLD tells how */
			close(d->wsock);
			d->wsock = -1;
			return;
		}
		if ((size_t)n < sizeof(uint32_t)) {
			stop_worker(d, "a malformed message");
			return;
		}
		switch (m.type) {
		case PS_GRANT:
			worker_grant(d, &m, (size_t)n);
			if (d->nbatch == KNOCK_GRANT_BATCH)
				grant_batch(d);
			break;
		case PS_LOG:
			/* Data, not log lines: marked as the worker's,
			 * escaped, and capped (PS_LOG_PER_S). */
			prio = ps_log_clean(&m.log, (size_t)n, text, sizeof(text),
			    &evm, &ev);
			sk_log_ev_rl(&d->wlog, ev, prio, "worker: %s", text);
			break;
		case PS_STATS:
			if ((size_t)n != sizeof(m.stats)) {
				stop_worker(d, "a malformed message");
				return;
			}
			d->wlast = m.stats.st;
			d->wqlen = (size_t)m.stats.queue_len;
			d->wqpfx = (size_t)m.stats.queue_prefixes;
			memcpy(d->wlane, m.stats.lane, sizeof(d->wlane));
			if (m.stats.reply && d->stats_due)
				write_stats(d);
			break;
		default:
			stop_worker(d, "a message of unknown type");
			return;
		}
	}
}

static void
from_worker(struct daemon *d)
{
	read_worker(d);
	grant_batch(d);
}

static int
drain_inotify(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int any = 0;

	while (read(fd, buf, sizeof(buf)) > 0)
		any = 1;
	return any;
}

static int
run(struct daemon *d)
{
	struct pollfd pfd[5];
	struct signalfd_siginfo si;
	double next_prune = knock_mono() + PRUNE_EVERY_S;
	double next_stats = knock_mono() + STATS_EVERY_S;
	double next_tick = knock_mono() + TICK_S;
	double next_probe = fw_changed(d->k.fw) < 0 ? 0 : knock_mono() +
	    FW_PROBE_S;
	time_t exp;
	int timeout, n, heal = 0;

	for (;;) {
		double now_m = knock_mono(), wake = next_prune;

		if (next_tick < wake)
			wake = next_tick;
		if (next_probe != 0 && next_probe < wake)
			wake = next_probe;
		if (d->restart_at != 0 && d->restart_at < wake)
			wake = d->restart_at;

		exp = fw_next_expiry(d->k.fw);
		if (exp != 0 && now_m + (double)(exp - time(NULL)) < wake)
			wake = now_m + (double)(exp - time(NULL));
		if (d->reload_at != 0 && d->reload_at < wake)
			wake = d->reload_at;
		timeout = wake <= now_m ? 0 : (int)((wake - now_m) * 1000) + 1;

		pfd[0] = (struct pollfd){ .fd = d->wsock, .events = POLLIN |
		    (d->snapshot_due ? POLLOUT : 0) };
		pfd[1] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = d->ifd, .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = fw_watch_fd(d->k.fw),
		    .events = POLLIN };
		pfd[4] = (struct pollfd){ .fd = d->job.pipe[0], .events = POLLIN };
		if ((n = poll(pfd, 5, timeout)) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			from_worker(d);
		if (n > 0 && (pfd[0].revents & POLLOUT) && d->snapshot_due)
			send_snapshot(d);
		if (n > 0 && (pfd[4].revents & POLLIN))
			keyring_job_done(d);
		if (n > 0 && (pfd[3].revents & POLLIN) && fw_watch_event(d->k.fw))
			heal = 2;	/* someone changed the ruleset: look closely */
		if (n > 0 && (pfd[2].revents & POLLIN) && drain_inotify(d->ifd) &&
		    d->reload_at == 0)
			d->reload_at = knock_mono() + KEYRING_SETTLE_MS / 1000.0;
		if (n > 0 && (pfd[1].revents & POLLIN) &&
		    read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGHUP:
				reload(d, "SIGHUP");
				break;
			case SIGUSR1:
				log_stats(d);
				break;
			case SIGUSR2:
				owners_close_requested(d);
				break;
			case SIGCHLD:
				reap_worker(d);
				break;
			case SIGTERM:
			case SIGINT:
				log_notice("exiting on signal %u; %zu live grant%s "
				    "stay until their expiry", si.ssi_signo,
				    fw_count(d->k.fw), fw_count(d->k.fw) == 1 ?
				    "" : "s");
				fw_commit(d->k.fw);
				return 0;
			}
		}
		now_m = knock_mono();
		if (now_m >= next_tick) {
			char cs[sizeof(d->conf_stamp)];

			/* Every second: is the gate still there?  Did the
			 * configuration, the access file or the keyring change
			 * without a word from inotify (a symlink swapped)? */
			heal = heal ? heal : 1;
			next_tick = now_m + TICK_S;
			conf_stamp(d, cs, sizeof(cs));
			if (strcmp(cs, d->conf_stamp) != 0)
				reload(d, "configuration or access file changed");
			else if (d->conf_retry_at != 0 &&
			    now_m >= d->conf_retry_at)
				reload(d, "configuration still not loaded");
			else if (d->reload_at == 0)
				load_keyring(d, 0);
			owners_recheck(d, time(NULL));	/* keys that expired */
			if (d->job.running && !d->job.warned &&
			    now_m - d->job.started > KEYRING_SLOW_S) {
				d->job.warned = 1;
				log_warn("keyring %s: still being read after %d s "
				    "(gpg stuck?); knocks are checked against the "
				    "keys read before", d->cfg.keyring,
				    KEYRING_SLOW_S);
			}
		}
		/* A backend without notifications (libiptc): one cheap
		 * question every FW_PROBE_S, so that a deleted jump or a
		 * restore is healed within about that (sigknockd(8)). */
		if (next_probe != 0 && now_m >= next_probe) {
			if (fw_changed(d->k.fw) == 1)
				heal = 2;
			next_probe = now_m + FW_PROBE_S;
		}
		if (heal) {
			if (fw_heal(d->k.fw, time(NULL), heal == 2) == 1)
				d->heals++;
			heal = 0;
		}
		if (d->reload_at != 0 && now_m >= d->reload_at) {
			d->reload_at = 0;
			load_keyring(d, 0);
		}
		/* A worker dead of a fault comes back; one that cannot
		 * (no capture: the interface is gone) ends the daemon. */
		if (d->restart_at != 0 && now_m >= d->restart_at &&
		    start_worker(d) != 0) {
			log_err("cannot start the worker again; exiting");
			return 1;
		}
		fw_expire(d->k.fw, time(NULL));
		fw_commit(d->k.fw);
		/* Expired records stay on disk until the next snapshot:
		 * loading drops them, and writing would cost O(live). */
		grants_expire(&d->owners, time(NULL));
		if (now_m >= next_prune) {
			replay_prune(d->k.rc, time(NULL));
			next_prune = now_m + PRUNE_EVERY_S;
		}
		if (now_m >= next_stats) {
			log_stats(d);
			next_stats = now_m + STATS_EVERY_S;
		}
		if (d->cfg.metrics_file != NULL && now_m >= d->next_metrics) {
			write_metrics(d);
			d->next_metrics = now_m + (double)d->cfg.metrics_interval;
		}
	}
}

static int
daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

void
monitor_init(struct daemon *d)
{
	memset(d, 0, sizeof(*d));
	d->config_path = SK_CONFIG_FILE;
	d->sfd = d->ifd = d->iwd = d->pidfd = d->sink = d->wsock = -1;
	d->wlog = (struct sk_ratelimit)SK_RATELIMIT_INIT(PS_LOG_PER_S,
	    2 * PS_LOG_PER_S);
	d->wrefused = (struct sk_ratelimit)SK_RATELIMIT_INIT(10, 20);
	d->nftset_rl = (struct sk_ratelimit)SK_RATELIMIT_INIT(1, 5);
	d->job.pipe[0] = d->job.pipe[1] = -1;
	d->k.cfg = &d->cfg;
	d->k.log_refusals = (struct sk_ratelimit)SK_RATELIMIT_INIT(10, 20);
	d->k.log_garbage = (struct sk_ratelimit)SK_RATELIMIT_INIT(1, 5);
}

int
monitor_main(struct daemon *d, int foreground, int to_stderr, int debug)
{
	struct fw_params fp;
	sigset_t mask;

	if ((d->pidfd = pidfile_lock(d->cfg.pid_file)) < 0)
		return 1;
	if (mkdir(d->cfg.state_dir, 0700) != 0 && errno != EEXIST) {
		log_err("StateDir %s: %s", d->cfg.state_dir, strerror(errno));
		return 1;
	}
	if (replay_open(d->cfg.state_dir, time(NULL), &d->k.rc) != 0 ||
	    fido2_counters_open(d->cfg.state_dir, &d->k.fc) != 0)
		return 1;
	known_setup(d);
	if (sandbox_prepare(d->cfg.state_dir, &d->sb) != 0)
		return 1;
	if (capture_open(d->cfg.interface, (uint16_t)d->cfg.port,
	    &d->cap) != 0)
		return 1;
	if ((d->sink = knock_sink((uint16_t)d->cfg.port)) < 0)
		log_warn("cannot bind udp/%ld to keep the knock port silent "
		    "without the firewall: %s (another program uses it?)",
		    d->cfg.port, strerror(errno));
	monitor_gate_params(d, d->k.acl, &fp);
	if (fw_open(d->cfg.firewall, &fp, time(NULL), &d->k.fw) != 0)
		return 1;
	if (mirror_supported(d, d->k.acl) != 0)
		return 1;
	owners_adopt(d, time(NULL));
	d->k.granted = on_granted;
	d->k.granted_arg = d;
	d->k.live = live_grants;
	d->k.live_arg = d;
	d->k.close_own = close_own;
	d->k.close_arg = d;
	d->k.lat = &d->lat;
	d->started = time(NULL);
	if (watch_keyring(d) != 0)
		return 1;
	conf_stamp(d, d->conf_stamp, sizeof(d->conf_stamp));
	/* From now on the keyring is read in a thread. */
	if (pipe2(d->job.pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_err("pipe: %s", strerror(errno));
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (d->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		log_err("signalfd: %s", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!foreground && daemonize() != 0) {
		log_err("cannot become a daemon: %s", strerror(errno));
		return 1;
	}
	if (!to_stderr)
		sk_log_init("sigknockd", 0, debug ? LOG_DEBUG : LOG_INFO);
	if (pidfile_write(d->pidfd, d->cfg.pid_file) != 0)
		return 1;
	/* Datagram bytes are read by the worker only, from here on. */
	if (start_worker(d) != 0)
		return 1;
	log_notice("listening on %s (%s) udp/%ld; firewall %s; %zu signing "
	    "key%s, %zu FIDO2 credential%s; %zu replay entr%s", d->cfg.interface,
	    capture_linktype(d->cap), d->cfg.port, fw_name(d->k.fw), d->k.kr->n,
	    d->k.kr->n == 1 ? "" : "s", d->k.fu->n, d->k.fu->n == 1 ? "" : "s",
	    replay_count(d->k.rc), replay_count(d->k.rc) == 1 ? "y" : "ies");
	return run(d);
}

void
monitor_free(struct daemon *d, int test)
{
	if (d->wsock >= 0)
		close(d->wsock);		/* the worker leaves at end of file */
	if (d->worker > 0) {
		kill(d->worker, SIGKILL);
		waitpid(d->worker, NULL, 0);
	}
	if (d->pidfd >= 0) {
		unlink(d->cfg.pid_file);		/* ours: we hold its lock */
		close(d->pidfd);
	}
	if (d->sfd >= 0)
		close(d->sfd);
	if (d->ifd >= 0)
		close(d->ifd);
	if (d->sink >= 0)
		close(d->sink);
	if (d->job.running) {
		pthread_join(d->job.th, NULL);
		keyring_free(d->job.kr);
		fido2_users_free(d->job.fu);
	}
	if (d->job.pipe[0] >= 0) {
		close(d->job.pipe[0]);
		close(d->job.pipe[1]);
	}
	capture_close(d->cap);
	fw_close(d->k.fw);
	replay_close(d->k.rc);
	auditlog_close(d->k.audit);
	access_free(d->k.acl);
	keyring_free(d->k.kr);
	fido2_users_free(d->k.fu);
	fido2_counters_free(d->k.fc);
	known_free(d->k.known);
	grants_clear(&d->owners);
	free(d->journal);
	d->journal = NULL;
	crypto_hmac_free(d->k.mac1);
	crypto_hmac_free(d->k.prev_mac1);
	wire_server_key_wipe(&d->k.key);
	wire_server_key_wipe(&d->k.prev);
	if (d->cfg.keyring != NULL && (test || d->k.fw != NULL))
		keyring_stop_agent(d->cfg.keyring);
}
