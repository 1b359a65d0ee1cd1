/* 10,000 concurrent grants through the nftables backend, in a private
 * network namespace this test makes for itself (root only): all reach
 * the kernel in batches, a second daemon instance adopts all of them,
 * a flush removes them.  Then the same for 10,000 grants through the
 * gateway (forward, DNAT and masquerade: 30,000 elements, more than one
 * netlink batch buffer holds). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fw.h"
#include "log.h"
#include "tap.h"

#define N 10000

static void
gateway(time_t now)
{
	struct fw_params p;
	struct fw *fw, *again;
	struct fw_rule r;
	int i, k, bad = 0;

	memset(&p, 0, sizeof(p));
	p.knock_port = 62201;
	p.n_forward = 1;
	p.forward[0].family = AF_INET;
	memcpy(p.forward[0].addr, "\xac\x10\x00\x05", 4);
	p.forward[0].proto = 6;
	p.forward[0].port = 22;
	p.nat = 1;
	if (fw_open(FW_NFTABLES, &p, now, &fw) != 0)
		bail("cannot open the nftables backend as a gateway");
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.proto = 6;
	r.until = now + 120;
	memcpy(r.dst, p.forward[0].addr, 4);
	for (i = 0; i < N; i++) {
		r.addr[0] = 10;
		r.addr[1] = 201;
		r.addr[2] = (uint8_t)(i >> 8);
		r.addr[3] = (uint8_t)i;
		for (k = FW_FORWARD; k <= FW_MASQ; k++) {
			r.kind = (uint8_t)k;
			r.port = k == FW_DNAT ? 2222 : 22;
			r.dport = k == FW_DNAT ? 22 : 0;
			if (fw_grant(fw, &r) != 0)
				bad++;
		}
	}
	is_int(0, bad, "gateway: 10,000 forwarded grants queued (30,000 rules)");
	is_int(0, fw_commit(fw), "... committed, over several batches");
	if (fw_open(FW_NFTABLES, &p, now, &again) != 0)
		bail("cannot reopen");
	is_int(3 * N, (long long)fw_count(again),
	    "... a restarted daemon adopts all 30,000 rules, of each kind");
	fw_close(again);
	ok(fw_flush(fw) == 0 && fw_commit(fw) == 0, "... flush removes them");
	if (fw_open(FW_NFTABLES, &p, now, &again) != 0)
		bail("cannot reopen");
	is_int(0, (long long)fw_count(again), "... none are left in the kernel");
	fw_close(again);
	fw_close(fw);
}

int
main(void)
{
	struct fw_params p;
	struct fw *fw, *again;
	struct fw_rule r;
	time_t now = time(NULL);
	int i, bad = 0;

	if (geteuid() != 0)
		skip_all("needs root (a private network namespace)");
	if (unshare(CLONE_NEWNET) != 0)
		skip_all("cannot make a network namespace: %s", strerror(errno));
	plan(11);
	sk_log_init("503-fw-scale", 1, LOG_WARNING);
	memset(&p, 0, sizeof(p));
	p.knock_port = 62201;
	p.n_protected = p.n_open = 1;
	p.protected[0] = (struct sk_access){ 6, 22 };
	if (fw_open(FW_NFTABLES, &p, now, &fw) != 0)
		bail("cannot open the nftables backend");
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.proto = 6;
	r.port = 22;
	r.until = now + 120;
	for (i = 0; i < N; i++) {
		r.addr[0] = 10;
		r.addr[1] = 200;
		r.addr[2] = (uint8_t)(i >> 8);
		r.addr[3] = (uint8_t)i;
		if (fw_grant(fw, &r) != 0)
			bad++;
	}
	is_int(0, bad, "10,000 grants queued");
	is_int(0, fw_commit(fw), "committed in batches of at most 1,000");
	is_int(N, (long long)fw_count(fw), "the daemon tracks 10,000 live grants");
	if (fw_open(FW_NFTABLES, &p, now, &again) != 0)
		bail("cannot reopen");
	is_int(N, (long long)fw_count(again),
	    "a restarted daemon finds all 10,000 in the kernel and adopts them");
	fw_close(again);
	ok(fw_flush(fw) == 0 && fw_commit(fw) == 0, "flush removes them");
	if (fw_open(FW_NFTABLES, &p, now, &again) != 0)
		bail("cannot reopen");
	is_int(0, (long long)fw_count(again), "none are left in the kernel");
	fw_close(again);
	fw_close(fw);
	gateway(now);
	return 0;
}
