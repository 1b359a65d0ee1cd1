/* The firewall's grant table against a plain model: random grants,
 * extensions, revocations and expiries over many keys (log backend:
 * nothing touches a real firewall). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fw.h"
#include "log.h"
#include "tap.h"

#define KEYS	700
#define OPS	60000

static void
key(struct fw_rule *r, int k)
{
	memset(r, 0, sizeof(*r));
	r->family = k % 3 ? AF_INET : AF_INET6;
	r->addr[0] = 10;
	r->addr[2] = (uint8_t)(k >> 8);
	r->addr[3] = (uint8_t)k;
	r->proto = k % 2 ? 6 : 17;
	r->port = (uint16_t)(22 + k % 5);
}

int
main(void)
{
	static time_t model[KEYS];	/* 0 = no grant, else until */
	struct fw_params p;
	struct fw *fw;
	struct fw_rule r;
	time_t now = 1000, next;
	size_t live;
	int i, k, op, bad = 0, badnext = 0;

	plan(5);
	sk_log_init("305-fw-table", 1, LOG_ERR);
	srandom(7);
	memset(&p, 0, sizeof(p));
	p.knock_port = 62201;
	if (fw_open(FW_LOG, &p, now, &fw) != 0)
		bail("fw_open");
	for (i = 0; i < OPS; i++) {
		k = (int)(random() % KEYS);
		op = (int)(random() % 10);
		key(&r, k);
		if (op < 6) {			/* grant or extend */
			r.until = now + 1 + random() % 50;
			fw_grant(fw, &r);
			if (r.until > model[k])
				model[k] = r.until;
		} else if (op < 8) {		/* revoke */
			fw_revoke(fw, &r);
			model[k] = 0;
		} else {			/* time passes */
			now += random() % 5;
			fw_expire(fw, now);
			for (k = 0; k < KEYS; k++)
				if (model[k] != 0 && model[k] <= now)
					model[k] = 0;
		}
		for (live = 0, next = 0, k = 0; k < KEYS; k++)
			if (model[k] != 0) {
				live++;
				if (next == 0 || model[k] < next)
					next = model[k];
			}
		if (live != fw_count(fw))
			bad++;
		if (next != fw_next_expiry(fw))
			badnext++;
	}
	is_int(0, bad, "the live count matches the model after each of %d ops",
	    OPS);
	is_int(0, badnext, "so does the next expiry");
	ok(fw_count(fw) > 0, "(the run ended with %zu live grants)", fw_count(fw));
	is_int(0, fw_flush(fw), "flush");
	is_int(0, (long long)fw_count(fw), "leaves no grant");
	fw_close(fw);
	return 0;
}
