/* Firewall backend "log": changes nothing, logs what it would do (dry
 * runs).  Never chosen silently: only "Firewall log" selects it. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "fw.h"
#include "log.h"

static void
describe(const char *verb, const struct fw_rule *r)
{
	char what[200];
	struct tm tm;
	char until[32];

	gmtime_r(&r->until, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_notice("firewall(log): %s %s until %s", verb,
	    fw_rule_str(r, what, sizeof(what)), until);
}

static int
log_open(void **st, const struct fw_params *p, time_t now, fw_adopt_cb adopt,
    void *arg)
{
	(void)p;
	(void)now;
	(void)adopt;
	(void)arg;
	*st = NULL;
	log_notice("firewall(log): dry run, no firewall rule will change");
	return 0;
}

static int
log_apply(void *st, const struct fw_op *ops, size_t n)
{
	size_t i;

	(void)st;
	for (i = 0; i < n; i++)
		describe(ops[i].del ? "would close" : "would open", &ops[i].r);
	return 0;
}

static void
log_close(void *st)
{
	(void)st;
}

const struct fw_backend fw_backend_log = {
	.name = "log",
	.open = log_open,
	.apply = log_apply,
	.close = log_close,
};
