/* Firewall backend "iptables": libiptc (libip4tc, libip6tc), the legacy
 * x_tables.  Our chain SIGKNOCK in table filter, jumped to from the head of
 * INPUT, is the whole gate, as the nftables table is:
 *
 *     -s ADDR/32|128 -p tcp|udp --dport PORT -m time --datestop UNTIL -j ACCEPT
 *     ...                                           (one per grant)
 *     -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
 *     -m mark --mark MARK/MASK -j ACCEPT            (PassMark, if set)
 *     -p tcp|udp --dport PORT -j DROP               (one per protected port)
 *     -p udp --dport KNOCKPORT -j DROP              (the knock port silent)
 *
 * so the kernel stops matching a grant at its expiry even if the daemon
 * is dead, flows already open outlive it, and no deny is left to the
 * admin.  With Forward lines in the access file (a gateway), the same
 * shape for forwarded traffic, and with via or Masquerade, nat chains:
 *
 *   filter SIGKNOCK-FWD (head of FORWARD):
 *     -s ADDR -d DST -p P --dport PORT -m time --datestop UNTIL -j ACCEPT
 *     -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
 *     -d DST -p P --dport PORT -j DROP        (one per Forward destination)
 *   nat SIGKNOCK-DNAT (head of PREROUTING):
 *     -s ADDR -p P --dport GWPORT -m time --datestop UNTIL -j DNAT --to DST:PORT
 *   nat SIGKNOCK-SNAT (head of POSTROUTING):
 *     -s ADDR -d DST -p P --dport PORT -m time --datestop UNTIL -j MASQUERADE
 *
 * Open ports that the host forwards to a container or a VM (Docker
 * publishes a port with a DNAT in PREROUTING and accepts it in FORWARD)
 * are gated in the forward path too, by the port the connection was
 * sent to, in a chain jumped to from the head of DOCKER-USER, the chain
 * Docker keeps for the admin's rules and runs first (created here when
 * absent, and jumped to from FORWARD as Docker does: Docker deletes and
 * inserts that jump again when it starts, so there is one):
 *
 *   filter SIGKNOCK-PUB (head of DOCKER-USER):
 *     -s ADDR -p P -m conntrack --ctstate DNAT --ctorigdstport PORT
 *         -m time --datestop UNTIL -j RETURN     (each INPUT grant's twin)
 *     -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
 *     -p P -m conntrack --ctstate DNAT --ctorigdstport PORT -j DROP
 *                                                (one per Open port)
 *
 * RETURN, not ACCEPT: what passes goes on through Docker's own chains.
 * Docker on iptables-nft (Debian's default) keeps its chains in
 * nf_tables: a drop here is final there too, as both run on the hook.
 *
 * Pending changes are applied in one commit per table and family per
 * loop turn, with the xtables lock held from init to commit (taken with
 * a bounded wait).
 * This is the only file that includes <libiptc/libiptc.h>. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter/xt_time.h>
#include <linux/netfilter/nf_nat.h>

#include "err.h"
#include "fw.h"
#include "log.h"

#define ENTRY_MAX	512
#define COMMIT_TRIES	5
#define LOCK_WAIT_MS	2000	/* then give up; the caller retries */

static const xt_chainlabel CHAIN = "SIGKNOCK";
static const xt_chainlabel INPUT = "INPUT";
static const xt_chainlabel FORWARD = "FORWARD";
static const xt_chainlabel DOCKER_USER = "DOCKER-USER";

/* K_GRANT: a grant of any kind (fw_rule.kind says which); K_FPROT: the
 * forward gate's drop of a destination; K_PPROT: the published ports'
 * drop of a protected port; K_EST_ANY: K_EST in both directions (a
 * published port's replies match its conntrack drop, and pass here). */
enum kind { K_GRANT, K_DROP, K_JUMP, K_EST, K_EST_ANY, K_PROT, K_FPROT,
    K_PPROT };

/* Our chains: where each is jumped to from, in which table, holding
 * grants of which kind. */
static const struct ourchain {
	const char	*name, *parent, *table;
	int		 kind;
} CHAINS[] = {
	{ "SIGKNOCK", "INPUT", "filter", FW_INPUT },
	/* After SIGKNOCK: its twins are made from SIGKNOCK's grants. */
	{ "SIGKNOCK-PUB", "DOCKER-USER", "filter", FW_PUBLISHED },
	{ "SIGKNOCK-FWD", "FORWARD", "filter", FW_FORWARD },
	{ "SIGKNOCK-DNAT", "PREROUTING", "nat", FW_DNAT },
	{ "SIGKNOCK-SNAT", "POSTROUTING", "nat", FW_MASQ },
};

struct iptc {
	uint16_t	 knock_port;
	int		 v6;		/* ip6tables usable */
	int		 gw;		/* the forward chain is set up */
	int		 nat;		/* the nat chains are set up */
	struct fw_params p;		/* the gate we keep */
	/* The INPUT grants setup_chain kept in this turn, of one family:
	 * SIGKNOCK-PUB gets their twins. */
	struct fw_rule	*kept;
	size_t		 nkept, capkept;
	/* What the kernel said of each table (family, filter/nat) after
	 * our last change: another program's change shows as a difference
	 * (fwi_changed), for one system call, without reading the table. */
	struct ipt_getinfo seen[2][2];
	int		 fd[2];		/* raw sockets to ask with, or -1 */
};

static void fwi_close(void *vst);

/* ---- changes by others, cheaply (IPT_SO_GET_INFO) ---- */

static int
table_info(const struct iptc *st, int af, const char *table,
    struct ipt_getinfo *gi)
{
	socklen_t len = sizeof(*gi);
	int fd = st->fd[af == AF_INET6];

	memset(gi, 0, sizeof(*gi));
	snprintf(gi->name, sizeof(gi->name), "%s", table);
	if (fd < 0)
		return -1;
	/* ip6t_getinfo has ipt_getinfo's layout; IP6T_SO_GET_INFO its
	 * number, at SOL_IPV6. */
	return getsockopt(fd, af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	    af == AF_INET ? IPT_SO_GET_INFO : IP6T_SO_GET_INFO, gi, &len);
}

/* Family f (0 IPv4, 1 IPv6) and table t (0 filter, 1 nat) hold our
 * chains: only those are asked about (asking for a table can make the
 * kernel load its module). */
static int
table_used(const struct iptc *st, int f, int t)
{
	return (f == 0 || st->v6) && (t == 0 || st->gw || st->nat);
}

/* What the kernel says of table t of family f now (zero: nothing). */
static void
table_now(const struct iptc *st, int f, int t, struct ipt_getinfo *gi)
{
	if (table_info(st, f ? AF_INET6 : AF_INET, t ? "nat" : "filter",
	    gi) != 0)
		memset(gi, 0, sizeof(*gi));
}

/* After a change of ours, under the xtables lock: remember the tables. */
static void
note_tables(struct iptc *st)
{
	int f, t;

	for (f = 0; f < 2; f++)
		for (t = 0; t < 2; t++)
			if (table_used(st, f, t))
				table_now(st, f, t, &st->seen[f][t]);
}

/* 1 when a table of ours changed since we last looked (someone else's
 * commit: the gate may be gone; fw_heal looks closely), else 0. */
static int
fwi_changed(void *vst)
{
	struct iptc *st = vst;
	struct ipt_getinfo gi;
	int f, t, changed = 0;

	for (f = 0; f < 2; f++)
		for (t = 0; t < 2; t++) {
			if (!table_used(st, f, t))
				continue;
			table_now(st, f, t, &gi);
			if (gi.num_entries != st->seen[f][t].num_entries ||
			    gi.size != st->seen[f][t].size ||
			    memcmp(gi.hook_entry, st->seen[f][t].hook_entry,
			    sizeof(gi.hook_entry)) != 0 ||
			    memcmp(gi.underflow, st->seen[f][t].underflow,
			    sizeof(gi.underflow)) != 0) {
				st->seen[f][t] = gi;
				changed = 1;
			}
		}
	return changed;
}

/* ---- the two families behind one set of calls ---- */

static struct xtc_handle *
h_init(int af, const char *table)
{
	return af == AF_INET ? iptc_init(table) : ip6tc_init(table);
}

static void
h_free(int af, struct xtc_handle *h)
{
	if (af == AF_INET)
		iptc_free(h);
	else
		ip6tc_free(h);
}

static const char *
h_strerror(int af, int e)
{
	return af == AF_INET ? iptc_strerror(e) : ip6tc_strerror(e);
}

static const void *
h_first(int af, const char *chain, struct xtc_handle *h)
{
	return af == AF_INET ? (const void *)iptc_first_rule(chain, h) :
	    (const void *)ip6tc_first_rule(chain, h);
}

static const void *
h_next(int af, const void *prev, struct xtc_handle *h)
{
	return af == AF_INET ? (const void *)iptc_next_rule(prev, h) :
	    (const void *)ip6tc_next_rule(prev, h);
}

static const char *
h_target(int af, const void *e, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_get_target(e, h) : ip6tc_get_target(e, h);
}

static int
h_is_chain(int af, const char *chain, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_is_chain(chain, h) : ip6tc_is_chain(chain, h);
}

static int
h_create_chain(int af, const char *chain, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_create_chain(chain, h) :
	    ip6tc_create_chain(chain, h);
}

static int
h_insert(int af, const char *chain, const void *e, unsigned n,
    struct xtc_handle *h)
{
	return af == AF_INET ? iptc_insert_entry(chain, e, n, h) :
	    ip6tc_insert_entry(chain, e, n, h);
}

static int
h_append(int af, const char *chain, const void *e, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_append_entry(chain, e, h) :
	    ip6tc_append_entry(chain, e, h);
}

static int
h_delete(int af, const char *chain, const void *e, unsigned char *mask,
    struct xtc_handle *h)
{
	return af == AF_INET ? iptc_delete_entry(chain, e, mask, h) :
	    ip6tc_delete_entry(chain, e, mask, h);
}

static int
h_delete_num(int af, const char *chain, unsigned n, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_delete_num_entry(chain, n, h) :
	    ip6tc_delete_num_entry(chain, n, h);
}

static int
h_flush(int af, const char *chain, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_flush_entries(chain, h) :
	    ip6tc_flush_entries(chain, h);
}

static int
h_delete_chain(int af, const char *chain, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_delete_chain(chain, h) :
	    ip6tc_delete_chain(chain, h);
}

static int
h_commit(int af, struct xtc_handle *h)
{
	return af == AF_INET ? iptc_commit(h) : ip6tc_commit(h);
}

/* Header size and the offsets fields of either entry type. */
static size_t
hdr_size(int af)
{
	return af == AF_INET ? XT_ALIGN(sizeof(struct ipt_entry)) :
	    XT_ALIGN(sizeof(struct ip6t_entry));
}

static void
set_offsets(int af, void *e, size_t target_off, size_t next_off)
{
	if (af == AF_INET) {
		((struct ipt_entry *)e)->target_offset = (uint16_t)target_off;
		((struct ipt_entry *)e)->next_offset = (uint16_t)next_off;
	} else {
		((struct ip6t_entry *)e)->target_offset = (uint16_t)target_off;
		((struct ip6t_entry *)e)->next_offset = (uint16_t)next_off;
	}
}

static void
get_offsets(int af, const void *e, size_t *target_off, size_t *next_off)
{
	if (af == AF_INET) {
		*target_off = ((const struct ipt_entry *)e)->target_offset;
		*next_off = ((const struct ipt_entry *)e)->next_offset;
	} else {
		*target_off = ((const struct ip6t_entry *)e)->target_offset;
		*next_off = ((const struct ip6t_entry *)e)->next_offset;
	}
}

/* ---- building and reading our entries ---- */

static uint8_t *
add_match(uint8_t *p, const char *name, size_t datalen)
{
	struct xt_entry_match *m = (struct xt_entry_match *)p;

	m->u.user.match_size = (uint16_t)(XT_ALIGN(sizeof(*m)) + XT_ALIGN(datalen));
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	return m->data;
}

/* 1 when name is one of our chains. */
static int
is_ours(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(CHAINS) / sizeof(CHAINS[0]); i++)
		if (strcmp(CHAINS[i].name, name) == 0)
			return 1;
	return 0;
}

/* The chain that holds grants of kind. */
static const struct ourchain *
chain_of(int kind)
{
	size_t i;

	for (i = 0; i < sizeof(CHAINS) / sizeof(CHAINS[0]); i++)
		if (CHAINS[i].kind == kind)
			return &CHAINS[i];
	return &CHAINS[0];
}

static void
set_addrs(int af, uint8_t *buf, const uint8_t *src, const uint8_t *dst,
    uint8_t proto)
{
	size_t alen = af == AF_INET ? 4 : 16;

	if (af == AF_INET) {
		struct ipt_entry *e = (struct ipt_entry *)buf;

		e->ip.proto = proto;
		if (src != NULL) {
			memcpy(&e->ip.src, src, alen);
			memset(&e->ip.smsk, 0xff, alen);
		}
		if (dst != NULL) {
			memcpy(&e->ip.dst, dst, alen);
			memset(&e->ip.dmsk, 0xff, alen);
		}
	} else {
		struct ip6t_entry *e = (struct ip6t_entry *)buf;

		e->ipv6.proto = proto;
		if (proto != 0)
			e->ipv6.flags = IP6T_F_PROTO;
		if (src != NULL) {
			memcpy(&e->ipv6.src, src, alen);
			memset(&e->ipv6.smsk, 0xff, alen);
		}
		if (dst != NULL) {
			memcpy(&e->ipv6.dst, dst, alen);
			memset(&e->ipv6.dmsk, 0xff, alen);
		}
	}
}

/* Build an entry into buf (zeroed: deletion compares raw bytes).  r is
 * the grant (K_GRANT), the protected port (K_PROT) or destination
 * (K_FPROT, in r->dst); jump names K_JUMP's chain. */
static size_t
build(int af, enum kind k, const struct fw_rule *r, uint16_t knock_port,
    const char *jump, uint8_t *buf)
{
	size_t off = hdr_size(af), toff, tsize;
	struct xt_entry_target *t;
	int grant = k == K_GRANT, kind = grant ? r->kind : FW_INPUT;
	int ports = grant || k == K_PROT || k == K_FPROT || k == K_PPROT;
	/* The published ports' rules match the port a connection was sent
	 * to (conntrack), not the one DNAT made of it (tcp, udp). */
	int pub = (grant && kind == FW_PUBLISHED) || k == K_PPROT;
	uint8_t proto = ports ? r->proto : k == K_DROP ? 17 : 0;
	uint16_t port = ports ? r->port : knock_port;
	const char *target = k == K_JUMP ? jump :
	    k == K_EST || k == K_EST_ANY ? "RETURN" :
	    !grant ? "DROP" : kind == FW_DNAT ? "DNAT" : kind == FW_MASQ ?
	    "MASQUERADE" : kind == FW_PUBLISHED ? "RETURN" : "ACCEPT";

	memset(buf, 0, ENTRY_MAX);
	set_addrs(af, buf, grant ? r->addr : NULL, k == K_FPROT ||
	    (grant && (kind == FW_FORWARD || kind == FW_MASQ)) ? r->dst : NULL,
	    proto);
	if (pub) {
		struct xt_entry_match *m = (struct xt_entry_match *)(buf + off);
		struct xt_conntrack_mtinfo3 *ct = (struct xt_conntrack_mtinfo3 *)
		    add_match(buf + off, "conntrack",
		    sizeof(struct xt_conntrack_mtinfo3));

		/* Revision 3 holds the port range in host order. */
		m->u.user.revision = 3;
		ct->match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_ORIGDST_PORT;
		ct->state_mask = XT_CONNTRACK_STATE_DNAT;
		ct->origdst_port = ct->origdst_port_high = port;
		off += XT_ALIGN(sizeof(struct xt_entry_match)) +
		    XT_ALIGN(sizeof(struct xt_conntrack_mtinfo3));
	} else if (proto == 6) {
		struct xt_tcp *tcp = (struct xt_tcp *)add_match(buf + off, "tcp",
		    sizeof(struct xt_tcp));

		tcp->spts[1] = 0xffff;
		tcp->dpts[0] = tcp->dpts[1] = port;
		off += XT_ALIGN(sizeof(struct xt_entry_match)) +
		    XT_ALIGN(sizeof(struct xt_tcp));
	} else if (proto == 17) {
		struct xt_udp *udp = (struct xt_udp *)add_match(buf + off, "udp",
		    sizeof(struct xt_udp));

		udp->spts[1] = 0xffff;
		udp->dpts[0] = udp->dpts[1] = port;
		off += XT_ALIGN(sizeof(struct xt_entry_match)) +
		    XT_ALIGN(sizeof(struct xt_udp));
	}
	if (k == K_EST || k == K_EST_ANY) {
		struct xt_entry_match *m = (struct xt_entry_match *)(buf + off);
		struct xt_conntrack_mtinfo3 *ct = (struct xt_conntrack_mtinfo3 *)
		    add_match(buf + off, "conntrack",
		    sizeof(struct xt_conntrack_mtinfo3));

		m->u.user.revision = 3;
		/* --ctdir ORIGINAL: a flow whose tracking entry a revocation
		 * deleted and the server's own reply picked up again runs
		 * the other way, and does not count (conntrack.h). */
		ct->match_flags = XT_CONNTRACK_STATE |
		    (k == K_EST ? XT_CONNTRACK_DIRECTION : 0);
		ct->state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) |
		    XT_CONNTRACK_STATE_BIT(IP_CT_RELATED);
		off += XT_ALIGN(sizeof(struct xt_entry_match)) +
		    XT_ALIGN(sizeof(struct xt_conntrack_mtinfo3));
	}
	if (grant) {
		struct xt_time_info *ti = (struct xt_time_info *)add_match(
		    buf + off, "time", sizeof(struct xt_time_info));

		ti->date_start = 0;
		ti->date_stop = (uint32_t)r->until;	/* UTC; lasts to 2106 */
		ti->daytime_start = 0;
		ti->daytime_stop = 86399;
		ti->monthdays_match = 0xfffffffe;
		ti->weekdays_match = 0xfe;
		ti->flags = 0;
		off += XT_ALIGN(sizeof(struct xt_entry_match)) +
		    XT_ALIGN(sizeof(struct xt_time_info));
	}
	toff = off;
	t = (struct xt_entry_target *)(buf + off);
	if (grant && kind == FW_DNAT) {
		/* DNAT revision 1, the same for both families. */
		struct nf_nat_range *nr = (struct nf_nat_range *)t->data;

		tsize = XT_ALIGN(sizeof(*t)) + XT_ALIGN(sizeof(*nr));
		t->u.user.revision = 1;
		nr->flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
		memcpy(&nr->min_addr, r->dst, af == AF_INET ? 4 : 16);
		memcpy(&nr->max_addr, r->dst, af == AF_INET ? 4 : 16);
		nr->min_proto.all = nr->max_proto.all = htons(r->dport);
	} else if (grant && kind == FW_MASQ && af == AF_INET) {
		struct nf_nat_ipv4_multi_range_compat *mr =
		    (struct nf_nat_ipv4_multi_range_compat *)t->data;

		tsize = XT_ALIGN(sizeof(*t)) + XT_ALIGN(sizeof(*mr));
		mr->rangesize = 1;
	} else if (grant && kind == FW_MASQ)
		tsize = XT_ALIGN(sizeof(*t)) +
		    XT_ALIGN(sizeof(struct nf_nat_range));
	else
		tsize = XT_ALIGN(sizeof(struct xt_standard_target));
	t->u.user.target_size = (uint16_t)tsize;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", target);
	off += tsize;
	set_offsets(af, buf, toff, off);
	return off;
}

/* PassMark: -m mark --mark MARK/MASK -j ACCEPT: what another gate
 * admitted passes as a grant does. */
static size_t
build_pass(int af, uint32_t mark, uint32_t mask, uint8_t *buf)
{
	size_t off = hdr_size(af), toff, tsize;
	struct xt_entry_match *m;
	struct xt_mark_mtinfo1 *mi;
	struct xt_entry_target *t;

	memset(buf, 0, ENTRY_MAX);
	set_addrs(af, buf, NULL, NULL, 0);
	m = (struct xt_entry_match *)(buf + off);
	mi = (struct xt_mark_mtinfo1 *)add_match(buf + off, "mark",
	    sizeof(*mi));
	m->u.user.revision = 1;
	mi->mark = mark;
	mi->mask = mask;
	off += XT_ALIGN(sizeof(struct xt_entry_match)) + XT_ALIGN(sizeof(*mi));
	toff = off;
	t = (struct xt_entry_target *)(buf + off);
	tsize = XT_ALIGN(sizeof(struct xt_standard_target));
	t->u.user.target_size = (uint16_t)tsize;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "ACCEPT");
	off += tsize;
	set_offsets(af, buf, toff, off);
	return off;
}

struct parsed {
	int		has_time;
	uint32_t	date_stop;
	int		has_port;
	uint16_t	dport;
	uint8_t		proto;
	int		full_mask;
	uint8_t		src[16];
	int		full_dmask;
	uint8_t		dst[16];
	int		has_origport;	/* conntrack --ctorigdstport (rev. 3) */
	int		has_nat;	/* a DNAT target (revision 1) */
	uint8_t		nat_addr[16];
	uint16_t	nat_port;
};

/* Read back an entry: its matches, bounded by its own offsets. */
static void
parse_entry(int af, const void *ev, struct parsed *p)
{
	const uint8_t *e = ev;
	size_t off = hdr_size(af), toff, noff, msz;
	const struct xt_entry_match *m;
	static const uint8_t ff[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};

	memset(p, 0, sizeof(*p));
	get_offsets(af, ev, &toff, &noff);
	if (af == AF_INET) {
		const struct ipt_entry *x = ev;

		p->proto = x->ip.proto;
		memcpy(p->src, &x->ip.src, 4);
		p->full_mask = memcmp(&x->ip.smsk, ff, 4) == 0;
		memcpy(p->dst, &x->ip.dst, 4);
		p->full_dmask = memcmp(&x->ip.dmsk, ff, 4) == 0;
	} else {
		const struct ip6t_entry *x = ev;

		p->proto = x->ipv6.proto;
		memcpy(p->src, &x->ipv6.src, 16);
		p->full_mask = memcmp(&x->ipv6.smsk, ff, 16) == 0;
		memcpy(p->dst, &x->ipv6.dst, 16);
		p->full_dmask = memcmp(&x->ipv6.dmsk, ff, 16) == 0;
	}
	if (toff + sizeof(struct xt_entry_target) <= noff) {
		const struct xt_entry_target *t =
		    (const struct xt_entry_target *)(e + toff);
		const struct nf_nat_range *nr;

		if (t->u.target_size >= sizeof(*t) + sizeof(*nr) &&
		    t->u.target_size <= noff - toff &&
		    strcmp(t->u.user.name, "DNAT") == 0 &&
		    t->u.user.revision == 1) {
			nr = (const struct nf_nat_range *)t->data;
			p->has_nat = 1;
			memcpy(p->nat_addr, &nr->min_addr, af == AF_INET ? 4 : 16);
			p->nat_port = ntohs(nr->min_proto.all);
		}
	}
	while (off + sizeof(*m) <= toff) {
		m = (const struct xt_entry_match *)(e + off);
		msz = m->u.match_size;
		if (msz < sizeof(*m) || msz > toff - off)
			break;
		if (strcmp(m->u.user.name, "time") == 0 &&
		    msz >= sizeof(*m) + sizeof(struct xt_time_info)) {
			p->has_time = 1;
			p->date_stop = ((const struct xt_time_info *)m->data)->date_stop;
		} else if (strcmp(m->u.user.name, "conntrack") == 0 &&
		    m->u.user.revision == 3 &&
		    msz >= sizeof(*m) + sizeof(struct xt_conntrack_mtinfo3)) {
			const struct xt_conntrack_mtinfo3 *ct =
			    (const struct xt_conntrack_mtinfo3 *)m->data;

			if (ct->match_flags & XT_CONNTRACK_ORIGDST_PORT) {
				p->has_origport = p->has_port = 1;
				p->dport = ct->origdst_port;
			}
		} else if ((strcmp(m->u.user.name, "tcp") == 0 ||
		    strcmp(m->u.user.name, "udp") == 0) &&
		    msz >= sizeof(*m) + 2 * sizeof(uint16_t) * 2) {
			p->has_port = 1;
			p->dport = ((const struct xt_udp *)m->data)->dpts[0];
		}
		off += msz;
	}
}

/* ---- the xtables lock ---- */

static int
lock_take(void)
{
	const char *path = getenv("XTABLES_LOCKFILE");
	int fd, waited;

	if (path == NULL)
		path = "/run/xtables.lock";
	if ((fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600)) < 0) {
		log_err("firewall: cannot open the xtables lock %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Bounded: a stuck iptables must not freeze the daemon's loop. */
	for (waited = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; waited += 10) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			log_err("firewall: cannot take the xtables lock: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (waited >= LOCK_WAIT_MS) {
			log_err("firewall: the xtables lock %s is held by another "
			    "program for over %d ms; giving up for now", path,
			    LOCK_WAIT_MS);
			close(fd);
			return -1;
		}
		poll(NULL, 0, 10);
	}
	return fd;
}

static void
lock_release(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

/* ---- start-up: chain, jump, the gate, adopt or remove grants ---- */

static void
adopt_none(void *arg, const struct fw_rule *r)
{
	(void)arg;
	(void)r;
}

/* Append to chain c a drop of kind k (K_PROT, K_PPROT) for each of the
 * first n protected ports. */
static int
append_drops(struct iptc *st, int af, const struct ourchain *c, enum kind k,
    size_t n, struct xtc_handle *h)
{
	uint8_t buf[ENTRY_MAX];
	struct fw_rule r;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.proto = st->p.protected[i].proto;
		r.port = st->p.protected[i].port;
		build(af, k, &r, 0, NULL, buf);
		if (!h_append(af, c->name, buf, h))
			return -1;
	}
	return 0;
}

/* Append a chain's gate after its grants: for INPUT, established flows
 * return, protected ports and the knock port are dropped; for FORWARD,
 * established flows return and the destinations of af are dropped; for
 * the published ports, established flows (both ways) return and DNAT'd
 * flows to an Open port are dropped; the nat chains have none. */
static int
append_gate(struct iptc *st, int af, const struct ourchain *c,
    struct xtc_handle *h)
{
	uint8_t buf[ENTRY_MAX];
	struct fw_rule r;
	size_t i;

	if (c->kind == FW_DNAT || c->kind == FW_MASQ)
		return 0;
	build(af, c->kind == FW_PUBLISHED ? K_EST_ANY : K_EST, NULL, 0, NULL,
	    buf);
	if (!h_append(af, c->name, buf, h))
		return -1;
	if (c->kind == FW_PUBLISHED)
		return append_drops(st, af, c, K_PPROT, st->p.n_open, h);
	if (c->kind == FW_INPUT && st->p.pass_mask != 0) {
		build_pass(af, st->p.pass_mark, st->p.pass_mask, buf);
		if (!h_append(af, c->name, buf, h))
			return -1;
	}
	if (c->kind == FW_FORWARD) {
		for (i = 0; i < st->p.n_forward; i++) {
			if (st->p.forward[i].family != af)
				continue;
			memset(&r, 0, sizeof(r));
			memcpy(r.dst, st->p.forward[i].addr, 16);
			r.proto = st->p.forward[i].proto;
			r.port = st->p.forward[i].port;
			build(af, K_FPROT, &r, 0, NULL, buf);
			if (!h_append(af, c->name, buf, h))
				return -1;
		}
		return 0;
	}
	if (append_drops(st, af, c, K_PROT, st->p.n_protected, h) != 0)
		return -1;
	build(af, K_DROP, NULL, st->knock_port, NULL, buf);
	return h_append(af, c->name, buf, h) ? 0 : -1;
}

/* How many gate rules append_gate puts in chain c for af. */
static size_t
gate_size(const struct iptc *st, int af, const struct ourchain *c)
{
	size_t i, n = 1;

	if (c->kind == FW_DNAT || c->kind == FW_MASQ)
		return 0;
	if (c->kind == FW_INPUT)
		return 2 + st->p.n_protected + (st->p.pass_mask != 0);
	if (c->kind == FW_PUBLISHED)
		return 1 + st->p.n_open;
	for (i = 0; i < st->p.n_forward; i++)
		n += st->p.forward[i].family == af;
	return n;
}

/* An entry of chain c is a grant: the time match, a port, a full source
 * mask, and what the kind needs (a full destination, a DNAT target). */
static int
is_grant(const struct parsed *p, const struct ourchain *c)
{
	if (!(p->has_time && p->has_port && p->full_mask &&
	    (p->proto == 6 || p->proto == 17)))
		return 0;
	if (c->kind == FW_FORWARD || c->kind == FW_MASQ)
		return p->full_dmask;
	if (c->kind == FW_DNAT)
		return p->has_nat;
	return c->kind == FW_PUBLISHED ? p->has_origport : !p->has_origport;
}

/* The chains in use: INPUT's and the published ports' always,
 * FORWARD's with a gateway, the nat ones with nat. */
static int
chain_used(const struct iptc *st, const struct ourchain *c)
{
	return c->kind == FW_INPUT || c->kind == FW_PUBLISHED ||
	    (c->kind == FW_FORWARD && st->gw) || st->nat;
}

#define NCHAINS	(sizeof(CHAINS) / sizeof(CHAINS[0]))

/* Where a jump to chain is in parent: the first one's number, or -1. */
static int
jump_at(int af, const char *parent, const char *chain, struct xtc_handle *h)
{
	const void *e;
	const char *t;
	int num;

	for (num = 0, e = h_first(af, parent, h); e != NULL;
	    e = h_next(af, e, h), num++)
		if ((t = h_target(af, e, h)) != NULL && strcmp(t, chain) == 0)
			return num;
	return -1;
}

/* DOCKER-USER, as Docker makes it: the chain, and a jump to it at the
 * head of FORWARD when there is none (Docker, starting later, deletes
 * and inserts its jump again: one stays). */
static int
docker_user(int af, struct xtc_handle *h)
{
	uint8_t buf[ENTRY_MAX];

	if (!h_is_chain(af, DOCKER_USER, h) &&
	    !h_create_chain(af, DOCKER_USER, h))
		return -1;
	if (jump_at(af, FORWARD, DOCKER_USER, h) >= 0)
		return 0;
	build(af, K_JUMP, NULL, 0, DOCKER_USER, buf);
	return h_insert(af, FORWARD, buf, 0, h) ? 0 : -1;
}

/* Remember an INPUT grant kept at start-up, for its published twin. */
static int
keep_twin(struct iptc *st, const struct fw_rule *r)
{
	struct fw_rule *k;
	size_t cap;

	if (st->nkept == st->capkept) {
		cap = st->capkept ? 2 * st->capkept : 64;
		if ((k = reallocarray(st->kept, cap, sizeof(*k))) == NULL)
			return -1;
		st->kept = k;
		st->capkept = cap;
	}
	st->kept[st->nkept] = *r;
	st->kept[st->nkept++].kind = FW_PUBLISHED;
	return 0;
}

/* Make chain c hold the live grants (adopted; with keep 0, none) and its
 * gate, jumped to from the head of its parent; remove expired grants and
 * anything else.  In handle h, not committed. */
static int
setup_chain(struct iptc *st, int af, const struct ourchain *c,
    struct xtc_handle *h, time_t now, int keep, int report,
    fw_adopt_cb adopt, void *arg)
{
	uint8_t buf[ENTRY_MAX];
	unsigned num, dels[4096], ndel = 0, head = 0;
	const void *e;
	const char *t;
	struct parsed p;
	struct fw_rule r;
	size_t i;

	if (c->kind == FW_PUBLISHED && docker_user(af, h) != 0)
		return -1;
	if (!h_is_chain(af, c->name, h) && !h_create_chain(af, c->name, h))
		return -1;
	/* Exactly one jump, at the head of the parent. */
	for (num = 0, e = h_first(af, c->parent, h); e != NULL;
	    e = h_next(af, e, h), num++)
		if ((t = h_target(af, e, h)) != NULL && strcmp(t, c->name) == 0) {
			if (num == 0)
				head = 1;
			else if (ndel < sizeof(dels) / sizeof(dels[0]))
				dels[ndel++] = num;
		}
	while (ndel > 0)
		if (!h_delete_num(af, c->parent, dels[--ndel], h))
			return -1;
	if (!head) {
		build(af, K_JUMP, NULL, 0, c->name, buf);
		if (!h_insert(af, c->parent, buf, 0, h))
			return -1;
	}
	/* Live grants stay; expired ones and the old gate go.  The
	 * published twins all go, and come back from SIGKNOCK's. */
	for (num = 0, e = h_first(af, c->name, h); e != NULL;
	    e = h_next(af, e, h), num++) {
		parse_entry(af, e, &p);
		if (keep && c->kind != FW_PUBLISHED && is_grant(&p, c) &&
		    (time_t)p.date_stop > now) {
			memset(&r, 0, sizeof(r));
			r.family = af;
			r.kind = (uint8_t)c->kind;
			memcpy(r.addr, p.src, af == AF_INET ? 4 : 16);
			r.proto = p.proto;
			r.port = p.dport;
			r.until = (time_t)p.date_stop;
			if (c->kind == FW_FORWARD || c->kind == FW_MASQ)
				memcpy(r.dst, p.dst, 16);
			if (c->kind == FW_DNAT) {
				memcpy(r.dst, p.nat_addr, 16);
				r.dport = p.nat_port;
			}
			if (report)
				adopt(arg, &r);
			if (c->kind == FW_INPUT && keep_twin(st, &r) != 0)
				return -1;
			continue;
		}
		if (ndel == sizeof(dels) / sizeof(dels[0]))
			return -1;
		dels[ndel++] = num;
	}
	while (ndel > 0)
		if (!h_delete_num(af, c->name, dels[--ndel], h))
			return -1;
	if (append_gate(st, af, c, h) != 0)
		return -1;
	if (c->kind == FW_PUBLISHED)
		for (i = 0; i < st->nkept; i++) {
			build(af, K_GRANT, &st->kept[i], 0, NULL, buf);
			if (!h_insert(af, c->name, buf, 0, h))
				return -1;
		}
	return 0;
}

/* setup_chain for every chain in use of one table, in one commit. */
static int
setup_table(struct iptc *st, int af, const char *table, time_t now, int keep,
    fw_adopt_cb adopt, void *arg)
{
	struct xtc_handle *h = NULL;
	size_t i;
	int tries, ok = 0, any = 0;

	for (i = 0; i < NCHAINS; i++)
		any |= chain_used(st, &CHAINS[i]) &&
		    strcmp(CHAINS[i].table, table) == 0;
	if (!any)
		return 0;
	for (tries = 0; tries < COMMIT_TRIES && !ok; tries++) {
		if ((h = h_init(af, table)) == NULL) {
			log_err("firewall: %s table %s: %s", af == AF_INET ?
			    "iptables" : "ip6tables", table,
			    h_strerror(af, errno));
			return SK_ERR_IO;
		}
		st->nkept = 0;
		for (i = 0; i < NCHAINS; i++)
			if (chain_used(st, &CHAINS[i]) &&
			    strcmp(CHAINS[i].table, table) == 0 &&
			    setup_chain(st, af, &CHAINS[i], h, now, keep,
			    tries == 0, adopt, arg) != 0) {
				log_err("firewall: setting up %s chain %s: %s",
				    af == AF_INET ? "iptables" : "ip6tables",
				    CHAINS[i].name, h_strerror(af, errno));
				h_free(af, h);
				return SK_ERR_IO;
			}
		if (h_commit(af, h)) {
			ok = 1;
			break;
		}
		if (errno != EAGAIN)
			break;
		h_free(af, h);
		h = NULL;
	}
	if (!ok)
		log_err("firewall: %s table %s: commit failed: %s", af == AF_INET ?
		    "iptables" : "ip6tables", table, h_strerror(af, errno));
	if (h != NULL)
		h_free(af, h);
	return ok ? 0 : SK_ERR_IO;
}

static int
setup_family(struct iptc *st, int af, time_t now, int keep, fw_adopt_cb adopt,
    void *arg)
{
	int r;

	if ((r = setup_table(st, af, "filter", now, keep, adopt, arg)) != 0)
		return r;
	return setup_table(st, af, "nat", now, keep, adopt, arg);
}

/* Is the gate whole: each chain in use jumped to from the head of its
 * parent, and after its grants exactly its gate's rules?  Reads the
 * tables; takes no lock. */
static int
intact_family(struct iptc *st, int af)
{
	struct xtc_handle *h = NULL;
	const char *table = NULL;
	const void *e;
	const char *t;
	struct parsed p;
	size_t i, gate;
	int ok = 1;

	for (i = 0; i < NCHAINS && ok; i++) {
		const struct ourchain *c = &CHAINS[i];

		if (!chain_used(st, c))
			continue;
		if (table == NULL || strcmp(table, c->table) != 0) {
			if (h != NULL)
				h_free(af, h);
			table = c->table;
			if ((h = h_init(af, table)) == NULL)
				return -1;
		}
		e = h_first(af, c->parent, h);
		ok = h_is_chain(af, c->name, h) && e != NULL &&
		    (t = h_target(af, e, h)) != NULL && strcmp(t, c->name) == 0 &&
		    (c->kind != FW_PUBLISHED ||
		    jump_at(af, FORWARD, DOCKER_USER, h) >= 0);
		for (gate = 0, e = ok ? h_first(af, c->name, h) : NULL;
		    e != NULL; e = h_next(af, e, h)) {
			parse_entry(af, e, &p);
			if (!is_grant(&p, c))
				gate++;
		}
		ok = ok && gate == gate_size(st, af, c);
	}
	if (h != NULL)
		h_free(af, h);
	return ok;
}

static int
fwi_intact(void *vst)
{
	struct iptc *st = vst;
	int r;

	if ((r = intact_family(st, AF_INET)) != 1)
		return r;
	return st->v6 ? intact_family(st, AF_INET6) : 1;
}

/* The chains the params need: a gateway's forward chain, nat chains. */
static void
want_chains(struct iptc *st, const struct fw_params *p)
{
	if (p->n_forward > 0 || p->nat)
		st->gw = 1;
	if (p->nat)
		st->nat = 1;
}

/* The gate again, keeping grants (protected ports changed) or not
 * (someone flushed or restored the tables: the caller adds every live
 * grant again). */
static int
regate(struct iptc *st, const struct fw_params *p, int keep)
{
	int lock, r;

	st->p = *p;
	want_chains(st, p);
	if ((lock = lock_take()) < 0)
		return SK_ERR_IO;
	r = setup_family(st, AF_INET, time(NULL), keep, adopt_none, NULL);
	if (r == 0 && st->v6)
		r = setup_family(st, AF_INET6, time(NULL), keep, adopt_none,
		    NULL);
	note_tables(st);
	lock_release(lock);
	return r;
}

static int
fwi_rebuild(void *vst, const struct fw_params *p)
{
	return regate(vst, p, 0);
}

static int
fwi_open(void **out, const struct fw_params *p, time_t now, fw_adopt_cb adopt,
    void *arg)
{
	struct iptc *st;
	int lock, r;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return SK_ERR_ALLOC;
	st->knock_port = p->knock_port;
	st->p = *p;
	want_chains(st, p);
	st->fd[0] = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	st->fd[1] = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if ((lock = lock_take()) < 0) {
		fwi_close(st);
		return SK_ERR_IO;
	}
	r = setup_family(st, AF_INET, now, 1, adopt, arg);
	if (r == 0) {
		st->v6 = setup_family(st, AF_INET6, now, 1, adopt, arg) == 0;
		if (!st->v6)
			log_warn("firewall: ip6tables is not usable: IPv6 grants "
			    "will fail, and IPv6 protected ports are not closed "
			    "by sigknockd");
	}
	note_tables(st);
	lock_release(lock);
	if (r != 0) {
		fwi_close(st);
		return r;
	}
	log_info("firewall: iptables (libiptc, legacy tables): chain %s, "
	    "%zu protected port%s, knock port udp/%u kept silent%s", CHAIN,
	    p->n_protected, p->n_protected == 1 ? "" : "s", st->knock_port,
	    st->nat ? "; gateway: chains " "SIGKNOCK-FWD, SIGKNOCK-DNAT and "
	    "SIGKNOCK-SNAT" : st->gw ? "; gateway: chain SIGKNOCK-FWD" : "");
	*out = st;
	return 0;
}

/* Add grant r to chain c (at its head), or delete it; 0 or -1 (logged).
 * Deleting one that is gone is no error. */
static int
apply_one(int af, const struct ourchain *c, const struct fw_rule *r, int del,
    unsigned char *mask, struct xtc_handle *h)
{
	uint8_t buf[ENTRY_MAX];

	build(af, K_GRANT, r, 0, NULL, buf);
	if (del) {
		if (!h_delete(af, c->name, buf, mask, h))
			log_debug("firewall: a grant rule was already gone "
			    "from %s: %s", c->name, h_strerror(af, errno));
		return 0;
	}
	if (h_insert(af, c->name, buf, 0, h))
		return 0;
	log_err("firewall: cannot add a grant to %s: %s", c->name,
	    h_strerror(af, errno));
	return -1;
}

/* Apply the ops of one family and table in one commit. */
static int
commit_table(const struct fw_op *ops, size_t n, int af, const char *table)
{
	struct xtc_handle *h;
	uint8_t mask[ENTRY_MAX];
	const struct ourchain *c;
	size_t i, count = 0;
	int tries;

	for (i = 0; i < n; i++)
		count += ops[i].r.family == af &&
		    strcmp(chain_of(ops[i].r.kind)->table, table) == 0;
	if (count == 0)
		return 0;
	memset(mask, 0xff, sizeof(mask));
	for (tries = 0; tries < COMMIT_TRIES; tries++) {
		if ((h = h_init(af, table)) == NULL) {
			log_err("firewall: init: %s", h_strerror(af, errno));
			return SK_ERR_IO;
		}
		for (i = 0; i < n; i++) {
			struct fw_rule twin = ops[i].r;

			c = chain_of(ops[i].r.kind);
			if (ops[i].r.family != af || strcmp(c->table, table) != 0)
				continue;
			if (apply_one(af, c, &ops[i].r, ops[i].del, mask, h) != 0)
				goto fail;
			/* An INPUT grant opens the port's published twin too. */
			twin.kind = FW_PUBLISHED;
			if (ops[i].r.kind == FW_INPUT && apply_one(af,
			    chain_of(FW_PUBLISHED), &twin, ops[i].del, mask,
			    h) != 0)
				goto fail;
		}
		if (h_commit(af, h)) {
			h_free(af, h);
			return 0;
		}
		h_free(af, h);
		if (errno != EAGAIN)
			break;
	}
	log_err("firewall: commit failed: %s", h_strerror(af, errno));
	return SK_ERR_IO;
fail:
	h_free(af, h);
	return SK_ERR_IO;
}

static int
commit_family(const struct fw_op *ops, size_t n, int af)
{
	int r = commit_table(ops, n, af, "filter");

	return r != 0 ? r : commit_table(ops, n, af, "nat");
}

static int
fwi_apply(void *vst, const struct fw_op *ops, size_t n)
{
	struct iptc *st = vst;
	size_t i;
	int lock, r4, r6 = 0;

	for (i = 0; i < n; i++)
		if (ops[i].r.kind == FW_ONCE) {
			/* access checks refuse it before; never a time grant */
			log_err("firewall: iptables: a one-connection grant "
			    "(Grant connection needs Firewall nftables)");
			return SK_ERR_IO;
		}
	for (i = 0; i < n; i++)
		if (!ops[i].del && ((ops[i].r.kind != FW_INPUT && !st->gw) ||
		    ((ops[i].r.kind == FW_DNAT || ops[i].r.kind == FW_MASQ) &&
		    !st->nat))) {
			log_err("firewall: iptables: a forwarded grant, but the "
			    "access file had no Forward line at start-up or "
			    "reload");
			return SK_ERR_IO;
		}
	if (!st->v6)
		for (i = 0; i < n; i++)
			if (ops[i].r.family == AF_INET6 && !ops[i].del) {
				log_err("firewall: cannot grant over IPv6: "
				    "ip6tables is not usable here");
				r6 = SK_ERR_IO;
				break;
			}
	if ((lock = lock_take()) < 0)
		return SK_ERR_IO;
	r4 = commit_family(ops, n, AF_INET);
	if (st->v6)
		r6 = commit_family(ops, n, AF_INET6);
	note_tables(st);
	lock_release(lock);
	return r4 != 0 ? r4 : r6;
}

static void
fwi_close(void *vst)
{
	struct iptc *st = vst;

	if (st->fd[0] >= 0)
		close(st->fd[0]);
	if (st->fd[1] >= 0)
		close(st->fd[1]);
	free(st->kept);
	free(st);
}

/* Our chains of one table: the jumps to them, then the chains; in one
 * commit.  How many chains went, or -1 (logged). */
static int
remove_table(int af, const char *table)
{
	struct xtc_handle *h;
	const void *e;
	const char *t;
	unsigned num, dels[64], ndel;
	size_t i;
	int n = 0;

	if ((h = h_init(af, table)) == NULL)
		return 0;
	for (i = 0; i < sizeof(CHAINS) / sizeof(CHAINS[0]); i++) {
		if (strcmp(CHAINS[i].table, table) != 0 ||
		    !h_is_chain(af, CHAINS[i].name, h))
			continue;
		for (ndel = 0, num = 0, e = h_first(af, CHAINS[i].parent, h);
		    e != NULL; e = h_next(af, e, h), num++)
			if ((t = h_target(af, e, h)) != NULL &&
			    strcmp(t, CHAINS[i].name) == 0 &&
			    ndel < sizeof(dels) / sizeof(dels[0]))
				dels[ndel++] = num;
		while (ndel > 0)
			if (!h_delete_num(af, CHAINS[i].parent, dels[--ndel], h))
				goto fail;
		if (!h_flush(af, CHAINS[i].name, h) ||
		    !h_delete_chain(af, CHAINS[i].name, h))
			goto fail;
		log_notice("firewall: removed %s chain %s (table %s) and its "
		    "jump from %s", af == AF_INET ? "iptables" : "ip6tables",
		    CHAINS[i].name, table, CHAINS[i].parent);
		n++;
	}
	/* DOCKER-USER as docker_user made it, with no Docker here (no
	 * chain DOCKER) and nothing of the admin's in it, goes too. */
	if (strcmp(table, "filter") == 0 && h_is_chain(af, DOCKER_USER, h) &&
	    !h_is_chain(af, "DOCKER", h) &&
	    h_first(af, DOCKER_USER, h) == NULL) {
		while ((num = (unsigned)jump_at(af, FORWARD, DOCKER_USER, h)) !=
		    (unsigned)-1)
			if (!h_delete_num(af, FORWARD, num, h))
				goto fail;
		if (!h_delete_chain(af, DOCKER_USER, h))
			goto fail;
		log_notice("firewall: removed %s chain %s (empty, and no "
		    "Docker chains) and its jump from FORWARD", af == AF_INET ?
		    "iptables" : "ip6tables", DOCKER_USER);
		n++;
	}
	if (n > 0 && !h_commit(af, h))
		goto fail;
	h_free(af, h);
	return n;
fail:
	log_err("firewall: removing the %s gate in table %s: %s", af == AF_INET ?
	    "iptables" : "ip6tables", table, h_strerror(af, errno));
	h_free(af, h);
	return -1;
}

int
fw_legacy_remove_gate(void)
{
	static const char *tables[] = { "filter", "nat" };
	static const int afs[] = { AF_INET, AF_INET6 };
	size_t a, t;
	int lock, r, n = 0, failed = 0;

	for (a = 0; a < 2; a++)
		for (t = 0; t < 2; t++) {
			if (!fw_legacy_table_listed(afs[a], tables[t]))
				continue;
			if ((lock = lock_take()) < 0)
				return -1;
			r = remove_table(afs[a], tables[t]);
			lock_release(lock);
			if (r < 0)
				failed = 1;
			else
				n += r;
		}
	return failed ? -1 : n;
}

void
fw_legacy_warn_drops(const struct fw_params *p)
{
	struct xtc_handle *h;
	const void *e;
	const char *t;
	struct parsed x;
	unsigned num;
	size_t i;
	int hit;

	if (fw_host_uses_legacy() != 1 || (h = iptc_init("filter")) == NULL)
		return;
	for (num = 1, e = iptc_first_rule(INPUT, h); e != NULL;
	    e = iptc_next_rule(e, h), num++) {
		if ((t = iptc_get_target(e, h)) == NULL || strcmp(t, CHAIN) == 0 ||
		    strcmp(t, "ACCEPT") == 0 || strcmp(t, "RETURN") == 0)
			continue;
		parse_entry(AF_INET, e, &x);
		/* It may stop a protected port: no port match, or one of them. */
		for (hit = !x.has_port, i = 0; i < p->n_protected && !hit; i++)
			hit = (x.proto == 0 || x.proto == p->protected[i].proto) &&
			    x.dport == p->protected[i].port;
		if (hit)
			log_warn("firewall: iptables-legacy INPUT rule %u (%s%s%u, "
			    "-j %s) can still stop protected ports whatever "
			    "nftables opens", num, x.proto == 6 ? "tcp" :
			    x.proto == 17 ? "udp" : "any protocol",
			    x.has_port ? " dport " : ", any port",
			    x.has_port ? x.dport : 0, t);
	}
	iptc_free(h);
}

int
fw_legacy_warn_forward_drop(void)
{
	struct xt_counters cnt;
	struct xtc_handle *h;
	const char *pol;
	int drop;

	if (fw_host_uses_legacy() != 1 || (h = iptc_init("filter")) == NULL)
		return 0;
	pol = iptc_get_policy("FORWARD", &cnt, h);
	drop = pol != NULL && strcmp(pol, "DROP") == 0;
	iptc_free(h);
	if (drop)
		log_warn("firewall: the iptables-legacy FORWARD policy is DROP: "
		    "it also decides what a grant through this gateway "
		    "forwards; accept the Forward destinations there "
		    "(sigknockd's gate closes them to everyone without a "
		    "grant)");
	return drop;
}

int
fw_legacy_has_chain(const char *chain)
{
	struct xtc_handle *h;
	int r;

	if ((h = iptc_init("filter")) == NULL)
		return 0;
	r = iptc_is_chain(chain, h);
	iptc_free(h);
	return r != 0;
}

int
fw_host_legacy_rules(void)
{
	static const char *builtin[] = { "INPUT", "FORWARD", "OUTPUT" };
	struct xt_counters cnt;
	struct xtc_handle *h;
	const char *c, *t, *pol;
	const void *e;
	size_t i;
	int found = 0, ours_du;

	/* Only once something created the legacy table; iptc_init would
	 * create it. */
	if (fw_host_uses_legacy() != 1)
		return 0;
	if ((h = iptc_init("filter")) == NULL)
		return -1;
	/* DOCKER-USER holding only our jump, with no Docker (no chain
	 * DOCKER), is ours: docker_user made it. */
	ours_du = !iptc_is_chain("DOCKER", h) && iptc_is_chain(DOCKER_USER, h);
	for (e = ours_du ? iptc_first_rule(DOCKER_USER, h) : NULL; e != NULL;
	    e = iptc_next_rule(e, h))
		if ((t = iptc_get_target(e, h)) == NULL || !is_ours(t))
			ours_du = 0;
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]) && !found; i++) {
		pol = iptc_get_policy(builtin[i], &cnt, h);
		if (pol != NULL && strcmp(pol, "ACCEPT") != 0)
			found = 1;
		for (e = iptc_first_rule(builtin[i], h); e != NULL && !found;
		    e = iptc_next_rule(e, h))
			if ((t = iptc_get_target(e, h)) == NULL ||
			    (!is_ours(t) && !(ours_du && strcmp(t,
			    DOCKER_USER) == 0)))
				found = 1;
	}
	for (c = iptc_first_chain(h); c != NULL && !found;
	    c = iptc_next_chain(h))
		if (!iptc_builtin(c, h) && !is_ours(c) &&
		    !(ours_du && strcmp(c, DOCKER_USER) == 0))
			found = 1;
	iptc_free(h);
	return found;
}

static int
fwi_protect(void *vst, const struct fw_params *p)
{
	return regate(vst, p, 1);
}

const struct fw_backend fw_backend_iptc = {
	.name = "iptables",
	.open = fwi_open,
	.protect = fwi_protect,
	.intact = fwi_intact,
	.changed = fwi_changed,
	.rebuild = fwi_rebuild,
	.apply = fwi_apply,
	.close = fwi_close,
};
