/* The firewall's grant table against a plain model: random grants,
 * extensions, revocations and expiries over many keys (log backend:
 * nothing touches a real firewall). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fileio.h"
#include "fw.h"
#include "grants.h"
#include "log.h"
#include "tap.h"

#define KEYS	700
#define OPS	60000

/* Key k: 100 addresses and ports, each as a rule of every kind (k / 100
 * % 4); from 400 on, again with another internal host (and gateway port),
 * so that some keys differ only in kind, some only in dst. */
static void
key(struct fw_rule *r, int k)
{
	int b = k % 100, kind = (k / 100) % 4, second = k / 400;

	memset(r, 0, sizeof(*r));
	r->family = b % 3 ? AF_INET : AF_INET6;
	r->addr[0] = 10;
	r->addr[1] = (uint8_t)(kind == FW_INPUT ? second : 0);
	r->addr[3] = (uint8_t)b;
	r->proto = b % 2 ? 6 : 17;
	r->port = (uint16_t)(22 + b % 5);
	r->kind = (uint8_t)kind;
	if (kind != FW_INPUT) {
		r->dst[0] = 172;
		r->dst[3] = (uint8_t)(1 + second);
	}
	if (kind == FW_DNAT)
		r->dport = (uint16_t)(1000 + second);
}

/* A grant record's rules (grants.h): one per port on this host; through
 * the gateway, forward + DNAT (with a gateway port) + masquerade. */
static void
grant_records(void)
{
	struct grants g = { 0, 0, NULL, NULL };
	struct grant x;
	struct fw_rule r[3], y[3];
	size_t n;

	memset(&x, 0, sizeof(x));
	x.until = 2000;
	x.family = AF_INET;
	memcpy(x.addr, "\x0a\x00\x00\x02", 4);
	x.nports = 2;
	x.ports[0] = (struct sk_access){ 6, 22 };
	x.ports[1] = (struct sk_access){ 17, 53 };
	n = grant_fw_rules(&x, 0, r);
	ok(n == 1 && r[0].kind == FW_INPUT && r[0].port == 22 &&
	    r[0].until == 2000, "a local grant: one FW_INPUT rule per port");
	snprintf(x.dest, sizeof(x.dest), "db1");
	memcpy(x.dst, "\xac\x10\x00\x05", 4);
	x.via[1] = 5353;
	x.masq = 1;
	n = grant_fw_rules(&x, 1, r);
	ok(n == 3 && r[0].kind == FW_FORWARD && r[0].port == 53 &&
	    memcmp(r[0].dst, x.dst, 4) == 0 && r[1].kind == FW_DNAT &&
	    r[1].port == 5353 && r[1].dport == 53 && r[2].kind == FW_MASQ &&
	    r[2].port == 53, "through the gateway: forward, DNAT, masquerade");
	n = grant_fw_rules(&x, 0, r);
	ok(n == 2 && r[0].kind == FW_FORWARD && r[1].kind == FW_MASQ,
	    "... routed (no via): forward and masquerade");
	if (grants_add(&g, &x) != 0)
		bail("grants_add");
	grant_fw_rules(&x, 1, y);
	ok(grants_covered(&g, SIZE_MAX, &y[1], 1000) &&
	    !grants_covered(&g, 0, &y[1], 1000) &&
	    !grants_covered(&g, SIZE_MAX, &y[1], 2000),
	    "grants_covered: the record's DNAT rule, not when skipped or over");
	y[1].dport = 54;
	ok(!grants_covered(&g, SIZE_MAX, &y[1], 1000),
	    "... another internal port is another rule");
	grants_clear(&g);
}

/* Grant connection: the record's rules are FW_ONCE; "+once" after the
 * mode in the file, read back; a one-connection record and a time
 * record of the same signer and address are two records (two sets). */
static void
once_records(void)
{
	struct grants g = { 0, 0, NULL, NULL }, l;
	struct grants_parse_err pe;
	struct grant x;
	struct fw_rule r[3];
	char line[1100];
	const char *twice = "2000 10.0.0.2 10.0.0.2 bound+twice tcp/22 openpgp "
	    "A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0 - - s\n";
	size_t n;

	memset(&x, 0, sizeof(x));
	x.until = 2000;
	x.family = x.src_family = AF_INET;
	memcpy(x.addr, "\x0a\x00\x00\x02", 4);
	memcpy(x.src, x.addr, 4);
	x.bound = 1;
	x.nports = 1;
	x.ports[0] = (struct sk_access){ 6, 22 };
	snprintf(x.stanza, sizeof(x.stanza), "once");
	x.once = 1;
	n = grant_fw_rules(&x, 0, r);
	ok(n == 1 && r[0].kind == FW_ONCE && r[0].port == 22,
	    "a one-connection grant: one FW_ONCE rule per port");
	n = grant_line(&x, line, sizeof(line));
	ok(n > 0 && strstr(line, " bound+once tcp/22 ") != NULL &&
	    grants_parse(line, n, &l, &pe) == 0 && l.n == 1 && l.g[0].once &&
	    l.g[0].bound, "its line says bound+once, and reads back");
	grants_clear(&l);
	ok(grants_parse(twice, strlen(twice), &l, &pe) != 0 && pe.line == 1 &&
	    strstr(pe.why, "bound+twice") != NULL,
	    "... and bound+twice is refused");
	if (grants_add(&g, &x) != 0)
		bail("grants_add");
	x.once = 0;
	if (grants_add(&g, &x) != 0)
		bail("grants_add");
	ok(g.n == 2, "a time grant beside it (same signer, address) is "
	    "another record");
	grants_clear(&g);
}

/* The owners' journal (grants.h): appended records load with the
 * snapshot; a crash after a new snapshot but before the journal went
 * (the compaction's window) loads the same records once; a torn last
 * line is left out; a new snapshot removes the journal. */
static void
journal(void)
{
	char dir[] = "/tmp/sk-305.XXXXXX", path[64], line[1100], *txt;
	struct grants g, l;
	struct grant x[3];
	size_t n, len, i;
	int ok3;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	memset(&g, 0, sizeof(g));
	memset(x, 0, sizeof(x));
	for (i = 0; i < 3; i++) {
		x[i].until = 5000 + (time_t)i;
		x[i].family = x[i].src_family = AF_INET;
		memcpy(x[i].addr, "\x0a\x00\x00\x02", 4);
		x[i].addr[3] = (uint8_t)(2 + i % 2);	/* 0 and 2: one address */
		memcpy(x[i].src, x[i].addr, 4);
		x[i].bound = 1;
		x[i].nports = 1;
		x[i].ports[0] = (struct sk_access){ 6, (uint16_t)(22 + i) };
		x[i].signer = GRANT_OPENPGP;
		memset(x[i].id, 0xa0, 20);
		memset(x[i].primary, 0xa0, 20);
		snprintf(x[i].name, sizeof(x[i].name), "alice");
		snprintf(x[i].stanza, sizeof(x[i].stanza), "admins");
		n = grant_line(&x[i], line, sizeof(line));
		if (n == 0 || grants_journal_append(dir, line, n) != 0 ||
		    grants_add(&g, &x[i]) != 0)
			bail("journal append");
	}
	ok(grants_load(dir, &l) == 0 && l.n == 2 && l.g[0].nports == 2 &&
	    l.g[0].until == 5002, "journal only: three records load, the "
	    "same owner and address merged (ports joined, later expiry)");
	grants_clear(&l);
	/* The compaction's window: the snapshot written, the journal kept. */
	if (grants_format(&g, &txt, &len) != 0)
		bail("format");
	snprintf(path, sizeof(path), "%s/" GRANTS_FILE, dir);
	if (file_write_atomic(path, txt, len, 0600) != 0)
		bail("snapshot");
	free(txt);
	ok3 = grants_load(dir, &l) == 0 && l.n == 2 && l.g[0].nports == 2 &&
	    l.g[1].nports == 1;
	grants_clear(&l);
	ok(ok3, "snapshot and the journal it holds: the same records, once");
	/* A torn line at the end (a crash mid-write). */
	n = grant_line(&x[1], line, sizeof(line));
	line[0] = '9';		/* until 9xxx: would show if read */
	if (grants_journal_append(dir, line, n / 2) != 0)
		bail("torn append");
	ok3 = grants_load(dir, &l) == 0 && l.n == 2 && l.g[1].until == 5001;
	grants_clear(&l);
	ok(ok3, "a torn last journal line is left out");
	snprintf(path, sizeof(path), "%s/" GRANTS_JOURNAL, dir);
	ok(grants_save(dir, &g) == 0 && access(path, F_OK) != 0 &&
	    grants_load(dir, &l) == 0 && l.n == 2,
	    "a new snapshot removes the journal and holds everything");
	grants_clear(&l);
	grants_clear(&g);
	snprintf(path, sizeof(path), "%s/" GRANTS_FILE, dir);
	unlink(path);
	rmdir(dir);
}

/* The grant owners' table against a model: random adds (new owners and
 * the same owner again, which merges), removals and expiries; after
 * each, every owner the model holds is found once, with its expiry,
 * and no other (grants_add finds owners by the keys kept beside the
 * grants: they must follow every move). */
#define OWNERS	300
static void
owners(void)
{
	static time_t model[OWNERS];
	struct grants g;
	struct grant x;
	time_t now = 1000;
	size_t i, n, live;
	int o, op, step, bad = 0, seen[OWNERS];

	memset(&g, 0, sizeof(g));
	for (step = 0; step < 20000 && bad == 0; step++) {
		o = (int)(random() % OWNERS);
		op = (int)(random() % 10);
		memset(&x, 0, sizeof(x));
		x.family = AF_INET;
		x.addr[0] = 10;
		x.addr[3] = (uint8_t)(o % 7);	/* owners share addresses */
		x.id[0] = (uint8_t)(o / 7);	/* ... and signers */
		x.nports = 1;
		x.ports[0] = (struct sk_access){ 6, 22 };
		if (op < 6) {
			x.until = now + 1 + random() % 40;
			if (grants_add(&g, &x) != 0)
				bail("grants_add");
			if (x.until > model[o])
				model[o] = x.until;
		} else if (op < 8) {
			for (i = 0; i < g.n; i++)
				if (g.g[i].addr[3] == x.addr[3] &&
				    g.g[i].id[0] == x.id[0]) {
					grants_remove(&g, i);
					break;
				}
			model[o] = 0;
		} else {
			now += random() % 5;
			grants_expire(&g, now);
			for (i = 0; i < OWNERS; i++)
				if (model[i] != 0 && model[i] <= now)
					model[i] = 0;
		}
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < g.n; i++) {
			n = (size_t)g.g[i].id[0] * 7 + g.g[i].addr[3];
			if (n >= OWNERS || seen[n]++ || model[n] != g.g[i].until)
				bad++;
		}
		for (live = 0, i = 0; i < OWNERS; i++)
			live += model[i] != 0;
		if (live != g.n)
			bad++;
	}
	ok(bad == 0, "grant owners: each live owner once, with its expiry, "
	    "through %d adds, merges, removals and expiries", step);
	grants_clear(&g);
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

	plan(20);
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
	for (bad = 0, i = 0; i < KEYS; i++)
		for (k = i + 1; k < KEYS; k++) {
			struct fw_rule a, b;

			key(&a, i);
			key(&b, k);
			bad += fw_rule_same(&a, &b);
		}
	is_int(0, bad, "fw_rule_same tells all %d keys apart (kind, dst, dport)",
	    KEYS);
	grant_records();
	once_records();
	journal();
	owners();
	is_int(0, (long long)fw_count(fw), "leaves no grant");
	fw_close(fw);
	return 0;
}
