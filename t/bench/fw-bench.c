/* fw-bench: what one grant and one revoke cost (each committed on its
 * own, as the daemon does per knock) with 0, 100, 1,000 and 10,000 live
 * grants, for each kernel backend; then the same for a grant through
 * the gateway (a forward, a DNAT and a masquerade rule in one commit)
 * with 0 and 10,000 such grants live.  In private network namespaces
 * (root).  Medians of REPS operations, in microseconds. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fw.h"
#include "log.h"

#define REPS 101

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
rule(struct fw_rule *r, int net, int i, time_t until)
{
	memset(r, 0, sizeof(*r));
	r->family = AF_INET;
	r->addr[0] = 10;
	r->addr[1] = (uint8_t)net;
	r->addr[2] = (uint8_t)(i >> 8);
	r->addr[3] = (uint8_t)i;
	r->proto = 6;
	r->port = 22;
	r->until = until;
}

/* A grant through the gateway: forward, DNAT from tcp/2222 to the
 * internal host's tcp/22, masquerade; or with op < 0 a local one. */
static int
grant_op(struct fw *fw, int fwd, int del, int net, int i, time_t until)
{
	struct fw_rule r;
	int k, e = 0;

	rule(&r, net, i, until);
	if (!fwd)
		return del ? fw_revoke(fw, &r) : fw_grant(fw, &r);
	memcpy(r.dst, "\xac\x10\x00\x05", 4);
	for (k = FW_FORWARD; k <= FW_MASQ && e == 0; k++) {
		r.kind = (uint8_t)k;
		r.port = k == FW_DNAT ? 2222 : 22;
		r.dport = k == FW_DNAT ? 22 : 0;
		e = del ? fw_revoke(fw, &r) : fw_grant(fw, &r);
	}
	return e;
}

static int
measure(enum fw_kind kind, int live, int fwd, double *grant, double *revoke)
{
	struct fw_params p;
	struct fw *fw;
	double g[REPS], v[REPS], t;
	time_t until = time(NULL) + 600;
	int i;

	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare: %s\n", strerror(errno));
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.knock_port = 62201;
	p.n_protected = p.n_open = 1;
	p.protected[0] = (struct sk_access){ 6, 22 };
	if (fwd) {
		p.n_forward = 1;
		p.forward[0].family = AF_INET;
		memcpy(p.forward[0].addr, "\xac\x10\x00\x05", 4);
		p.forward[0].proto = 6;
		p.forward[0].port = 22;
		p.nat = 1;
	}
	if (fw_open(kind, &p, time(NULL), &fw) != 0)
		return -1;
	for (i = 0; i < live; i++)
		grant_op(fw, fwd, 0, 200, i, until);
	if (fw_commit(fw) != 0)
		return -1;
	for (i = 0; i < REPS; i++) {
		t = now_us();
		if (grant_op(fw, fwd, 0, 201, i, until) != 0 ||
		    fw_commit(fw) != 0)
			return -1;
		g[i] = now_us() - t;
	}
	for (i = 0; i < REPS; i++) {
		t = now_us();
		if (grant_op(fw, fwd, 1, 201, i, until) != 0 ||
		    fw_commit(fw) != 0)
			return -1;
		v[i] = now_us() - t;
	}
	fw_flush(fw);
	fw_commit(fw);
	fw_close(fw);
	qsort(g, REPS, sizeof(g[0]), cmpd);
	qsort(v, REPS, sizeof(v[0]), cmpd);
	*grant = g[REPS / 2];
	*revoke = v[REPS / 2];
	return 0;
}

int
main(void)
{
	static const int sizes[] = { 0, 100, 1000, 10000 };
	static const int fsizes[] = { 0, 10000 };
	static const struct { enum fw_kind k; const char *name; } kinds[] = {
		{ FW_IPTABLES, "iptables (libiptc)" },
		{ FW_NFTABLES, "nftables (libnftnl)" },
	};
	double g, v;
	size_t i, j;

	if (geteuid() != 0) {
		printf("fw-bench: needs root (private network namespaces); skipped\n");
		return 0;
	}
	sk_log_init("fw-bench", 1, LOG_ERR);
	/* As sigknockd does (research/firewall.md). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	printf("\n%-22s %12s %14s %14s\n", "backend", "live grants",
	    "grant µs", "revoke µs");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			if (measure(kinds[i].k, sizes[j], 0, &g, &v) != 0) {
				printf("%-22s %12d %14s %14s\n", kinds[i].name,
				    sizes[j], "failed", "failed");
				continue;
			}
			printf("%-22s %12d %14.1f %14.1f\n", kinds[i].name,
			    sizes[j], g, v);
		}
	printf("(each grant and revoke committed on its own; median of %d)\n",
	    REPS);
	printf("\nthrough the gateway: forward + DNAT + masquerade per grant\n");
	printf("%-22s %12s %14s %14s\n", "backend", "live grants",
	    "grant µs", "revoke µs");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		for (j = 0; j < sizeof(fsizes) / sizeof(fsizes[0]); j++) {
			if (measure(kinds[i].k, fsizes[j], 1, &g, &v) != 0) {
				printf("%-22s %12d %14s %14s\n", kinds[i].name,
				    fsizes[j], "failed", "failed");
				continue;
			}
			printf("%-22s %12d %14.1f %14.1f\n", kinds[i].name,
			    fsizes[j], g, v);
		}
	return 0;
}
