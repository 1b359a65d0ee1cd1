#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "fw.h"
#include "log.h"

struct fw {
	const struct fw_backend	*be;
	void			*st;
	size_t			 n, cap;
	struct fw_rule		*rules;		/* live grants */
};

static int
same(const struct fw_rule *a, const struct fw_rule *b)
{
	return a->family == b->family && a->proto == b->proto &&
	    a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static struct fw_rule *
find(struct fw *fw, const struct fw_rule *r)
{
	size_t i;

	for (i = 0; i < fw->n; i++)
		if (same(&fw->rules[i], r))
			return &fw->rules[i];
	return NULL;
}

static int
remember(struct fw *fw, const struct fw_rule *r)
{
	struct fw_rule *n;

	if (fw->n == fw->cap) {
		size_t cap = fw->cap ? 2 * fw->cap : 64;

		if ((n = reallocarray(fw->rules, cap, sizeof(*n))) == NULL)
			return SK_ERR_ALLOC;
		fw->rules = n;
		fw->cap = cap;
	}
	fw->rules[fw->n++] = *r;
	return 0;
}

static void
adopt(void *arg, const struct fw_rule *r)
{
	struct fw *fw = arg;

	if (find(fw, r) == NULL && remember(fw, r) != 0)
		log_err("firewall: out of memory adopting a grant");
}

int
fw_open(enum fw_kind kind, const struct fw_params *p, time_t now,
    struct fw **out)
{
	struct fw *fw;
	int nft, r;

	*out = NULL;
	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return SK_ERR_ALLOC;
	nft = fw_host_uses_nftables();
	if (kind == FW_AUTO) {
		if (nft == 1) {
			kind = FW_NFTABLES;
			log_info("firewall: auto chose nftables: this host filters "
			    "INPUT with nftables or iptables-nft");
		} else if (fw_host_uses_legacy() == 1) {
			kind = FW_IPTABLES;
			log_info("firewall: auto chose iptables (libiptc): this "
			    "host filters with iptables-legacy");
		} else {
			kind = FW_NFTABLES;
			log_info("firewall: auto chose nftables: no filtering "
			    "found, and nftables is Debian's default");
		}
	}
	switch (kind) {
	case FW_LOG:
		fw->be = &fw_backend_log;
		break;
	case FW_NFTABLES:
		fw->be = &fw_backend_nft;
		if (fw_host_uses_legacy() == 1)
			log_warn("firewall: this host also has iptables-legacy "
			    "tables; a drop there still closes what nftables "
			    "opens");
		break;
	case FW_IPTABLES:
	default:
		fw->be = &fw_backend_iptc;
		if (nft == 1)
			log_warn("firewall: this host filters INPUT with "
			    "nftables or iptables-nft; libiptc writes the legacy "
			    "tables, and an ACCEPT there does not override a drop "
			    "in nftables: allow the protected ports in your "
			    "nftables rules, use Firewall nftables, or grants will "
			    "open nothing");
		break;
	}
	if ((r = fw->be->open(&fw->st, p, now, adopt, fw)) != 0) {
		free(fw->rules);
		free(fw);
		return r;
	}
	if (fw->n > 0)
		log_info("firewall: adopted %zu live grant%s", fw->n,
		    fw->n == 1 ? "" : "s");
	*out = fw;
	return 0;
}

int
fw_grant(struct fw *fw, const struct fw_rule *r)
{
	struct fw_rule *old = find(fw, r);
	int e;

	if (old != NULL) {
		if (r->until <= old->until)
			return 0;	/* already open at least that long */
		if ((e = fw->be->del(fw->st, old)) != 0 ||
		    (e = fw->be->add(fw->st, r)) != 0)
			return e;
		old->until = r->until;
		return 0;
	}
	if ((e = fw->be->add(fw->st, r)) != 0)
		return e;
	return remember(fw, r);
}

int
fw_revoke(struct fw *fw, const struct fw_rule *r)
{
	struct fw_rule *old = find(fw, r);
	int e;

	if (old == NULL)
		return 0;
	if ((e = fw->be->del(fw->st, old)) != 0)
		return e;
	*old = fw->rules[--fw->n];
	return 0;
}

int
fw_protect(struct fw *fw, const struct fw_params *p)
{
	return fw->be->protect != NULL ? fw->be->protect(fw->st, p) : 0;
}

int
fw_expire(struct fw *fw, time_t now)
{
	size_t i = 0;
	int e, r = 0;

	while (i < fw->n) {
		if (fw->rules[i].until > now) {
			i++;
			continue;
		}
		if (!fw->be->kernel_expiry &&
		    (e = fw->be->del(fw->st, &fw->rules[i])) != 0)
			r = e;
		fw->rules[i] = fw->rules[--fw->n];
	}
	return r;
}

int
fw_flush(struct fw *fw)
{
	int e, r = 0;

	while (fw->n > 0)
		if ((e = fw->be->del(fw->st, &fw->rules[--fw->n])) != 0)
			r = e;
	return r;
}

int
fw_commit(struct fw *fw)
{
	return fw->be->commit(fw->st);
}

time_t
fw_next_expiry(const struct fw *fw)
{
	time_t t = 0;
	size_t i;

	for (i = 0; i < fw->n; i++)
		if (t == 0 || fw->rules[i].until < t)
			t = fw->rules[i].until;
	return t;
}

size_t
fw_count(const struct fw *fw)
{
	return fw->n;
}

const char *
fw_name(const struct fw *fw)
{
	return fw->be->name;
}

void
fw_close(struct fw *fw)
{
	if (fw == NULL)
		return;
	fw->be->close(fw->st);
	free(fw->rules);
	free(fw);
}
