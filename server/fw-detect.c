/* Does the host filter INPUT through nf_tables?  A dump of nf_tables
 * chains over netlink (libmnl + libnftnl): any base chain on the input
 * hook of family ip, ip6 or inet means nftables or iptables-nft is in
 * the packet path. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
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
				    "without a grant)", family == NFPROTO_INET ?
				    "inet" : family == NFPROTO_IPV4 ? "ip" :
				    family == NFPROTO_IPV6 ? "ip6" : "other",
				    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
				    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
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
fw_host_uses_legacy(void)
{
	char line[64];
	FILE *f;
	int found = 0;

	/* Only listed once something created the legacy table; reading it
	 * creates nothing (unlike iptc_init). */
	if ((f = fopen("/proc/net/ip_tables_names", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "filter") == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

static int
nft_chains(int warn, int forward)
{
	char buf[8192];	/* MNL_SOCKET_BUFFER_SIZE is a run-time value */
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), portid;
	struct detect dt = { 0, warn, forward };
	int n, r = -1;

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC,
	    NLM_F_DUMP, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		if ((n = mnl_cb_run(buf, (size_t)n, seq, portid, chain_cb,
		    &dt)) <= MNL_CB_STOP)
			break;
	}
	r = n < 0 ? -1 : dt.found;
out:
	mnl_socket_close(nl);
	return r;
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
