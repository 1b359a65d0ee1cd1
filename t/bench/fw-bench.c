/* fw-bench: what one grant and one revoke cost (each committed on its
 * own, as the daemon does per knock) with 0, 100, 1,000 and 10,000 live
 * grants, for each kernel backend; in private network namespaces (root).
 * Medians of REPS operations, in microseconds. */
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

static int
measure(enum fw_kind kind, int live, double *grant, double *revoke)
{
	struct fw_params p;
	struct fw *fw;
	struct fw_rule r;
	double g[REPS], v[REPS], t;
	time_t until = time(NULL) + 600;
	int i;

	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare: %s\n", strerror(errno));
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.knock_port = 62201;
	p.n_protected = 1;
	p.protected[0] = (struct sk_access){ 6, 22 };
	if (fw_open(kind, &p, time(NULL), &fw) != 0)
		return -1;
	for (i = 0; i < live; i++) {
		rule(&r, 200, i, until);
		fw_grant(fw, &r);
	}
	if (fw_commit(fw) != 0)
		return -1;
	for (i = 0; i < REPS; i++) {
		rule(&r, 201, i, until);
		t = now_us();
		if (fw_grant(fw, &r) != 0 || fw_commit(fw) != 0)
			return -1;
		g[i] = now_us() - t;
	}
	for (i = 0; i < REPS; i++) {
		rule(&r, 201, i, until);
		t = now_us();
		if (fw_revoke(fw, &r) != 0 || fw_commit(fw) != 0)
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
			if (measure(kinds[i].k, sizes[j], &g, &v) != 0) {
				printf("%-22s %12d %14s %14s\n", kinds[i].name,
				    sizes[j], "failed", "failed");
				continue;
			}
			printf("%-22s %12d %14.1f %14.1f\n", kinds[i].name,
			    sizes[j], g, v);
		}
	printf("(each grant and revoke committed on its own; median of %d)\n",
	    REPS);
	return 0;
}
