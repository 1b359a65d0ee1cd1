#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "fw.h"
#include "log.h"

/* Live grants in an array, indexed by an open-addressing hash table of
 * positions, so that finding a grant costs the same at 10 or 10,000 of
 * them.  A slot holds 0 (empty), SLOT_DEAD (a removed grant), or the
 * grant's position + 1. */
#define SLOT_DEAD	UINT32_MAX

struct fw {
	const struct fw_backend	*be;
	void			*st;
	size_t			 nops, capops;
	struct fw_op		*ops;		/* pending, for fw_commit */
	size_t			 n, cap;
	struct fw_rule		*rules;		/* live grants */
	size_t			 nslots;	/* a power of two */
	size_t			 dead;
	uint32_t		*slots;
	struct fw_params	 p;		/* the gate, for fw_heal */
};

static size_t
hash(const struct fw_rule *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, alen = r->family == AF_INET ? 4 : 16;

	for (i = 0; i < alen; i++)
		h = (h ^ r->addr[i]) * 0x100000001b3ULL;
	h = (h ^ r->proto) * 0x100000001b3ULL;
	h = (h ^ (r->port & 0xff)) * 0x100000001b3ULL;
	h = (h ^ (r->port >> 8)) * 0x100000001b3ULL;
	h = (h ^ r->kind) * 0x100000001b3ULL;
	if (r->kind != FW_INPUT)
		for (i = 0; i < alen; i++)
			h = (h ^ r->dst[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 29));
}

/* The slot holding r; or, when r is absent, a free slot for it (the
 * first removed one on the way, else the empty one that ended the
 * search).  *found tells which. */
static size_t
probe(const struct fw *fw, const struct fw_rule *r, int *found)
{
	size_t mask = fw->nslots - 1, s = hash(r) & mask, free_slot = SIZE_MAX;

	for (;; s = (s + 1) & mask) {
		uint32_t v = fw->slots[s];

		if (v == 0)
			break;
		if (v == SLOT_DEAD) {
			if (free_slot == SIZE_MAX)
				free_slot = s;
		} else if (fw_rule_same(&fw->rules[v - 1], r)) {
			*found = 1;
			return s;
		}
	}
	*found = 0;
	return free_slot != SIZE_MAX ? free_slot : s;
}

static struct fw_rule *
find(struct fw *fw, const struct fw_rule *r)
{
	size_t s;
	int found;

	if (fw->nslots == 0)
		return NULL;
	s = probe(fw, r, &found);
	return found ? &fw->rules[fw->slots[s] - 1] : NULL;
}

/* A fresh index of nslots slots, without removed entries. */
static int
reindex(struct fw *fw, size_t nslots)
{
	uint32_t *slots;
	size_t i, s;
	int found;

	if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
		return SK_ERR_ALLOC;
	free(fw->slots);
	fw->slots = slots;
	fw->nslots = nslots;
	fw->dead = 0;
	for (i = 0; i < fw->n; i++) {
		s = probe(fw, &fw->rules[i], &found);
		fw->slots[s] = (uint32_t)i + 1;
	}
	return 0;
}

static int
remember(struct fw *fw, const struct fw_rule *r)
{
	struct fw_rule *n;
	size_t s;
	int found;

	if (fw->n == fw->cap) {
		size_t cap = fw->cap ? 2 * fw->cap : 64;

		if ((n = reallocarray(fw->rules, cap, sizeof(*n))) == NULL)
			return SK_ERR_ALLOC;
		fw->rules = n;
		fw->cap = cap;
	}
	/* Keep the table at most half full, counting removed slots. */
	if (2 * (fw->n + fw->dead + 1) > fw->nslots &&
	    reindex(fw, fw->cap * 4) != 0)
		return SK_ERR_ALLOC;
	s = probe(fw, r, &found);
	if (fw->slots[s] == SLOT_DEAD)
		fw->dead--;
	fw->rules[fw->n] = *r;
	fw->slots[s] = (uint32_t)++fw->n;
	return 0;
}

/* Drop rules[i]; the last grant moves into its place. */
static void
forget(struct fw *fw, size_t i)
{
	size_t last = fw->n - 1, s;
	int found;

	s = probe(fw, &fw->rules[i], &found);
	fw->slots[s] = SLOT_DEAD;
	fw->dead++;
	if (i != last) {
		s = probe(fw, &fw->rules[last], &found);
		fw->slots[s] = (uint32_t)i + 1;
		fw->rules[i] = fw->rules[last];
	}
	fw->n--;
}

static int
queue(struct fw *fw, int del, const struct fw_rule *r)
{
	struct fw_op *n;

	if (fw->nops == fw->capops) {
		size_t cap = fw->capops ? 2 * fw->capops : 64;

		if ((n = reallocarray(fw->ops, cap, sizeof(*n))) == NULL)
			return SK_ERR_ALLOC;
		fw->ops = n;
		fw->capops = cap;
	}
	fw->ops[fw->nops].del = del;
	fw->ops[fw->nops].r = *r;
	fw->nops++;
	return 0;
}

static void
adopt(void *arg, const struct fw_rule *r)
{
	struct fw *fw = arg;

	if (find(fw, r) == NULL && remember(fw, r) != 0)
		log_err("firewall: out of memory adopting a grant");
}

/* Say what the forward path's gate covers (sigknock-access.conf(5)
 * PUBLISHED PORTS). */
static void
log_published(enum fw_kind kind)
{
	const char *chain = kind == FW_NFTABLES ? "chain published of table "
	    "inet sigknock" : "chain SIGKNOCK-PUB, from the head of DOCKER-USER";
	char where[160];

	if (fw_docker_chains(where, sizeof(where)) == 1)
		log_info("firewall: Docker's chains found (%s): ports it "
		    "publishes that are Open ports are closed in the forward "
		    "path too, until a knock (%s)", where, chain);
	else
		log_info("firewall: no Docker chains found; a port forwarded "
		    "to a container or VM by DNAT that is an Open port is "
		    "closed in the forward path too, until a knock (%s)", chain);
}

int
fw_open(enum fw_kind kind, const struct fw_params *p, time_t now,
    struct fw **out)
{
	struct fw *fw;
	int nft, legacy, r;

	*out = NULL;
	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return SK_ERR_ALLOC;
	fw->p = *p;
	/* Both backends own their gate, so either choice keeps the
	 * protected ports closed; auto follows what the host filters with,
	 * ignoring our own leftovers and empty legacy tables. */
	nft = fw_host_uses_nftables();
	legacy = fw_host_legacy_rules();
	if (kind == FW_AUTO) {
		if (nft == 1) {
			kind = FW_NFTABLES;
			log_info("firewall: auto chose nftables: this host filters "
			    "INPUT with nftables or iptables-nft");
		} else if (legacy == 1) {
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
		/* Our gate from a run with the other backend would keep the
		 * protected ports closed whatever this one opens. */
		if (fw_legacy_remove_gate() > 0)
			log_notice("firewall: that was this daemon's iptables "
			    "gate from an earlier run with Firewall iptables: "
			    "nftables keeps the gate now");
		if (legacy == 1)
			fw_legacy_warn_drops(p);
		fw_nft_warn_default_deny(FW_GRANT_MARK, 0);
		if (p->n_forward > 0)
			fw_nft_warn_default_deny(FW_GRANT_MARK, 1);
		break;
	case FW_IPTABLES:
	default:
		fw->be = &fw_backend_iptc;
		if (fw_nft_remove_gate() > 0)
			log_notice("firewall: that was this daemon's nftables "
			    "gate from an earlier run with Firewall nftables: "
			    "iptables keeps the gate now");
		if (nft == 1) {
			log_warn("firewall: this host filters INPUT with "
			    "nftables or iptables-nft; libiptc writes the legacy "
			    "tables, and an ACCEPT there does not override a drop "
			    "or reject in nftables: allow the protected ports "
			    "there, or use Firewall nftables");
			fw_nft_warn_chains();
		}
		break;
	}
	if (p->n_forward > 0 && kind != FW_LOG) {
		fw_nft_warn_forward_drops();
		fw_legacy_warn_forward_drop();
	}
	if ((r = fw->be->open(&fw->st, p, now, adopt, fw)) != 0) {
		free(fw->rules);
		free(fw->slots);
		free(fw);
		return r;
	}
	if (fw->n > 0)
		log_info("firewall: adopted %zu live grant%s", fw->n,
		    fw->n == 1 ? "" : "s");
	if (kind != FW_LOG)
		log_published(kind);
	*out = fw;
	return 0;
}

int
fw_grant(struct fw *fw, const struct fw_rule *r)
{
	struct fw_rule *old = find(fw, r);
	int e;

	if (old != NULL) {
		/* A knock for a one-connection grant is one more connection:
		 * the kernel may have taken the element out at the last one,
		 * so it goes in again, whatever the times. */
		if (r->until <= old->until && r->kind != FW_ONCE)
			return 0;	/* already open at least that long */
		if ((e = queue(fw, 1, old)) != 0)
			return e;
		if (r->until > old->until)
			old->until = r->until;
		return queue(fw, 0, old);
	}
	if ((e = queue(fw, 0, r)) != 0)
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
	if ((e = queue(fw, 1, old)) != 0)
		return e;
	forget(fw, (size_t)(old - fw->rules));
	return 0;
}

int
fw_protect(struct fw *fw, const struct fw_params *p)
{
	fw->p = *p;
	return fw->be->protect != NULL ? fw->be->protect(fw->st, p) : 0;
}

/* Re-add every live grant (fw_heal), but one-connection grants: the
 * kernel may have taken one out at its connection, and adding it again
 * would admit a second.  They fail closed: knock again. */
static int
readd(struct fw *fw)
{
	size_t i, once = 0;
	int r;

	for (i = 0; i < fw->n; i++) {
		if (fw->rules[i].kind == FW_ONCE) {
			once++;
			continue;
		}
		if ((r = queue(fw, 0, &fw->rules[i])) != 0)
			return r;
	}
	if (once > 0)
		log_notice("firewall: %s: %zu one-connection grant%s not added "
		    "again (used or not, they cannot be told apart now): "
		    "their users knock again", fw->be->name, once,
		    once == 1 ? "" : "s");
	return fw_commit(fw);
}

int
fw_heal(struct fw *fw, time_t now, int deep)
{
	size_t i, live = 0;
	int r;

	if (fw->be->intact == NULL)
		return 0;
	if ((r = fw->be->intact(fw->st)) == 1) {
		if (!deep || fw->be->grants == NULL)
			return 0;
		for (i = 0; i < fw->n; i++)
			live += fw->rules[i].until > now + 1 &&
			    fw->rules[i].kind != FW_ONCE;
		if ((r = fw->be->grants(fw->st)) < 0 || (size_t)r >= live)
			return 0;
		log_warn("firewall: %s: the kernel holds %d of %zu live grants "
		    "(the table was replaced): adding them again",
		    fw->be->name, r, live);
		fw_expire(fw, now);
		if ((r = readd(fw)) != 0)
			return r;
		return 1;
	}
	if (r < 0)
		log_warn("firewall: %s: cannot read the ruleset to check the "
		    "gate; building it again", fw->be->name);
	else
		log_warn("firewall: %s: the gate was removed from the ruleset "
		    "(a flush or a reload by another program): building it "
		    "again with %zu live grant%s", fw->be->name, fw->n,
		    fw->n == 1 ? "" : "s");
	fw_expire(fw, now);
	fw->nops = 0;	/* whatever was pending went with the old gate */
	if ((r = fw->be->rebuild(fw->st, &fw->p)) != 0) {
		log_err("firewall: %s: cannot build the gate again", fw->be->name);
		return r;
	}
	if ((r = readd(fw)) != 0) {
		log_err("firewall: %s: the gate is back, but the live grants "
		    "could not be added again", fw->be->name);
		return r;
	}
	log_notice("firewall: %s: gate rebuilt, %zu live grant%s restored",
	    fw->be->name, fw->n, fw->n == 1 ? "" : "s");
	return 1;
}

int
fw_watch_fd(const struct fw *fw)
{
	return fw->be->watch_fd != NULL ? fw->be->watch_fd(fw->st) : -1;
}

int
fw_changed(struct fw *fw)
{
	return fw->be->changed != NULL ? fw->be->changed(fw->st) : -1;
}

int
fw_watch_event(struct fw *fw)
{
	return fw->be->watch_event != NULL ? fw->be->watch_event(fw->st) : 0;
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
		    (e = queue(fw, 1, &fw->rules[i])) != 0)
			r = e;
		forget(fw, i);
	}
	return r;
}

int
fw_flush(struct fw *fw)
{
	int e, r = 0;

	while (fw->n > 0) {
		if ((e = queue(fw, 1, &fw->rules[fw->n - 1])) != 0)
			r = e;
		forget(fw, fw->n - 1);
	}
	return r;
}

int
fw_commit(struct fw *fw)
{
	int r;

	if (fw->nops == 0)
		return 0;
	r = fw->be->apply(fw->st, fw->ops, fw->nops);
	fw->nops = 0;
	return r;
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

int
fw_can_mirror(const struct fw *fw)
{
	return fw->be->mirror != NULL;
}

int
fw_mirror(struct fw *fw, const struct fw_mirror *m, const struct fw_rule *r,
    int del)
{
	if (fw->be->mirror == NULL)
		return SK_ERR_INVALID_ARG;
	return fw->be->mirror(fw->st, m, r, del);
}

const struct fw_rule *
fw_rules(const struct fw *fw)
{
	return fw->rules;
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
	free(fw->ops);
	free(fw->rules);
	free(fw->slots);
	free(fw);
}
