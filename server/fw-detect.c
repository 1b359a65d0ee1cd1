/* Does the host filter INPUT through nf_tables?  A dump of nf_tables
 * chains over netlink (libmnl + libnftnl): any base chain on the input
 * hook of family ip, ip6 or inet means nftables or iptables-nft is in
 * the packet path. */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "fw.h"
#include "log.h"

/* Base chains on the input hook of another table: with warn, each is
 * named in a log line (they can drop what the libiptc backend opens).
 * With forward, base chains on the forward hook whose policy is drop
 * (a router's) instead: they drop what a gateway's grants forward. */
struct detect {
	int	found;
	int	warn;
	int	forward;
};

static const char *
family_name(uint32_t f)
{
	return f == NFPROTO_INET ? "inet" : f == NFPROTO_IPV4 ? "ip" :
	    f == NFPROTO_IPV6 ? "ip6" : "other";
}

static int
chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct detect *dt = data;
	struct nftnl_chain *c;
	uint32_t family;

	if ((c = nftnl_chain_alloc()) == NULL)
		return MNL_CB_ERROR;
	/* Our own table, left from an earlier run, is not the host's. */
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "sigknock") != 0) {
		family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
		if (dt->forward) {
			if (nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) ==
			    NF_INET_FORWARD && nftnl_chain_is_set(c,
			    NFTNL_CHAIN_POLICY) && nftnl_chain_get_u32(c,
			    NFTNL_CHAIN_POLICY) == NF_DROP) {
				dt->found = 1;
				log_warn("firewall: nftables chain %s %s %s "
				    "(forward hook, policy drop) also decides "
				    "what a grant through this gateway forwards: "
				    "accept the Forward destinations there "
				    "(sigknockd's gate closes them to everyone "
				    "without a grant), or what sigknock marks: "
				    "nft insert rule %s %s %s meta mark and "
				    "0x%08x == 0x%08x accept", family_name(family),
				    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
				    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
				    family_name(family),
				    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
				    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
				    FW_GRANT_MARK, FW_GRANT_MARK);
			}
		} else if (nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) ==
		    NF_INET_LOCAL_IN &&
		    (family == NFPROTO_IPV4 || family == NFPROTO_IPV6 ||
		    family == NFPROTO_INET)) {
			dt->found = 1;
			if (dt->warn)
				log_warn("firewall: nftables chain %s %s %s (input "
				    "hook, policy %s) can still drop protected "
				    "ports whatever libiptc opens (nft list chain "
				    "%s %s %s)", family == NFPROTO_INET ? "inet" :
				    family == NFPROTO_IPV4 ? "ip" : "ip6",
				    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
				    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
				    nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
				    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) ==
				    NF_DROP ? "drop" : "accept",
				    family == NFPROTO_INET ? "inet" :
				    family == NFPROTO_IPV4 ? "ip" : "ip6",
				    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
				    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		}
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

int
fw_legacy_table_listed(int af, const char *table)
{
	char line[64];
	FILE *f;
	int found = 0;

	/* Only listed once something created the legacy table; reading it
	 * creates nothing (unlike iptc_init). */
	if ((f = fopen(af == AF_INET ? "/proc/net/ip_tables_names" :
	    "/proc/net/ip6_tables_names", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, table) == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

int
fw_host_uses_legacy(void)
{
	return fw_legacy_table_listed(AF_INET, "filter");
}

/* Dump every object of one kind (NFT_MSG_GETCHAIN, ..._GETRULE) of
 * every family through cb: 0, or -1. */
static int
nft_dump(uint16_t type, mnl_cb_t cb, void *arg)
{
	char buf[8192];	/* MNL_SOCKET_BUFFER_SIZE is a run-time value */
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), portid;
	int n = -1;

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		if ((n = mnl_cb_run(buf, (size_t)n, seq, portid, cb,
		    arg)) <= MNL_CB_STOP)
			break;
out:
	mnl_socket_close(nl);
	return n < 0 ? -1 : 0;
}

static int
nft_chains(int warn, int forward)
{
	struct detect dt = { 0, warn, forward };

	return nft_dump(NFT_MSG_GETCHAIN, chain_cb, &dt) != 0 ? -1 : dt.found;
}

/* ---- host chains that drop what a grant accepts (nftables backend) ---- */

#define DENY_MAX	32

struct deny_chain {
	uint32_t	family;
	char		table[64], name[64];
	int		policy_drop;
	int		last_drops;	/* its last rule drops or rejects */
};

struct deny {
	struct deny_chain c[DENY_MAX];
	size_t		  n;
	uint32_t	  hook;		/* NF_INET_LOCAL_IN or _FORWARD */
};

static int
deny_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct deny *dn = data;
	struct nftnl_chain *c;
	struct deny_chain *d;
	uint32_t family;

	if ((c = nftnl_chain_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == dn->hook &&
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "sigknock") != 0 &&
	    ((family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY)) ==
	    NFPROTO_INET || family == NFPROTO_IPV4 || family == NFPROTO_IPV6) &&
	    dn->n < DENY_MAX) {
		d = &dn->c[dn->n++];
		memset(d, 0, sizeof(*d));
		d->family = family;
		snprintf(d->table, sizeof(d->table), "%s",
		    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
		snprintf(d->name, sizeof(d->name), "%s",
		    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		d->policy_drop = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP;
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

/* Does expression e end a rule with drop or reject? */
static int
expr_drops(struct nftnl_expr *e, void *data)
{
	int *drops = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	*drops = strcmp(name, "reject") == 0 || (strcmp(name, "immediate") == 0 &&
	    nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT) &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_DROP);
	return 0;
}

/* Rules come in chain order: the last one seen of a chain is its last. */
static int
deny_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct deny *dn = data;
	struct nftnl_rule *r;
	size_t i;
	int drops = 0;

	if ((r = nftnl_rule_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0)
		for (i = 0; i < dn->n; i++)
			if (dn->c[i].family == nftnl_rule_get_u32(r,
			    NFTNL_RULE_FAMILY) && strcmp(dn->c[i].table,
			    nftnl_rule_get_str(r, NFTNL_RULE_TABLE)) == 0 &&
			    strcmp(dn->c[i].name, nftnl_rule_get_str(r,
			    NFTNL_RULE_CHAIN)) == 0) {
				nftnl_expr_foreach(r, expr_drops, &drops);
				dn->c[i].last_drops = drops;
			}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

int
fw_nft_warn_default_deny(uint32_t mark, int forward)
{
	struct deny dn;
	size_t i;
	int n = 0;

	memset(&dn, 0, sizeof(dn));
	dn.hook = forward ? NF_INET_FORWARD : NF_INET_LOCAL_IN;
	if (nft_dump(NFT_MSG_GETCHAIN, deny_chain_cb, &dn) != 0 ||
	    (dn.n > 0 && nft_dump(NFT_MSG_GETRULE, deny_rule_cb, &dn) != 0))
		return -1;
	for (i = 0; i < dn.n; i++) {
		/* A forward chain's policy drop has its own warning
		 * (fw_nft_warn_forward_drops). */
		if (forward ? dn.c[i].policy_drop || !dn.c[i].last_drops :
		    !dn.c[i].policy_drop && !dn.c[i].last_drops)
			continue;
		n++;
		log_warn("firewall: nftables chain %s %s %s (%s hook, %s) "
		    "drops what a grant opens: an accept in sigknock's chain "
		    "does not stop another chain's drop.  Let granted packets "
		    "through it, which sigknock marks: nft insert rule %s %s %s "
		    "meta mark and 0x%08x == 0x%08x accept (in nftables.conf, "
		    "in that chain before its drop: meta mark & 0x%08x == 0x%08x "
		    "accept)", family_name(dn.c[i].family), dn.c[i].table,
		    dn.c[i].name, forward ? "forward" : "input",
		    dn.c[i].policy_drop ? "policy drop" :
		    "its last rule drops", family_name(dn.c[i].family),
		    dn.c[i].table, dn.c[i].name, mark, mark, mark, mark);
	}
	return n;
}

int
fw_host_uses_nftables(void)
{
	return nft_chains(0, 0);
}

void
fw_nft_warn_chains(void)
{
	nft_chains(1, 0);
}

int
fw_nft_warn_forward_drops(void)
{
	return nft_chains(1, 1);
}

/* ---- Docker's chains ---- */

struct docker {
	char	*where;
	size_t	 len;
};

static int
docker_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct docker *dk = data;
	struct nftnl_chain *c;
	const char *name;
	uint32_t family;

	if ((c = nftnl_chain_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (dk->where[0] == '\0' && nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    ((family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY)) ==
	    NFPROTO_IPV4 || family == NFPROTO_IPV6) &&
	    ((name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)) != NULL) &&
	    (strcmp(name, "DOCKER") == 0 || strcmp(name, "DOCKER-USER") == 0))
		snprintf(dk->where, dk->len, "iptables-nft: table %s %s, chain "
		    "%s", family_name(family),
		    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), name);
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

int
fw_docker_chains(char *where, size_t len)
{
	struct docker dk = { where, len };

	where[0] = '\0';
	if (nft_dump(NFT_MSG_GETCHAIN, docker_chain_cb, &dk) == 0 &&
	    where[0] != '\0')
		return 1;
	if (fw_legacy_table_listed(AF_INET, "filter") &&
	    fw_legacy_has_chain("DOCKER")) {
		snprintf(where, len, "iptables-legacy: table filter, chain "
		    "DOCKER");
		return 1;
	}
	return 0;
}
