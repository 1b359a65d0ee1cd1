/* Firewall backend "nftables": libnftnl + libmnl, kernel-side expiry.
 * Our own table, never anyone else's:
 *
 *   table inet sigknock {
 *     set protected { type inet_proto . inet_service; }      # Open ports
 *     set pubports { type inet_proto . inet_service; }  # Open, not via
 *     set grants4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
 *     set grants6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
 *     set once4 { type ipv4_addr . inet_proto . inet_service; flags dynamic,timeout; }
 *     set once6 { type ipv6_addr . inet_proto . inet_service; flags dynamic,timeout; }
 *     chain input { type filter hook input priority -10; policy accept;
 *       udp dport KNOCKPORT drop                      # the knock port stays silent
 *       meta l4proto . th dport @protected ct state established,related accept
 *       meta nfproto ipv4 ip saddr . meta l4proto . th dport @grants4 accept
 *       meta nfproto ipv6 ip6 saddr . meta l4proto . th dport @grants6 accept
 *       ct state new ip saddr . meta l4proto . th dport @once4
 *           delete @once4 { ip saddr . meta l4proto . th dport } accept
 *       ct state new ip6 saddr ... @once6 delete @once6 { ... } accept
 *       meta mark and MASK == MARK accept             # PassMark, if set
 *       meta l4proto . th dport @protected drop
 *     }
 *   }
 *
 * Open ports that the host forwards to a container or a VM (Docker's
 * published ports: a DNAT in prerouting, then the forward path) are gated
 * on the forward hook, before Docker's chains (priority filter), by the
 * port the connection was sent to; the grants are the same elements:
 *
 *     chain published { type filter hook forward priority -10; policy accept;
 *       ct status & dnat == 0 accept                  # not a published port
 *       ct state established,related accept
 *       meta l4proto tcp ip saddr . meta l4proto . ct original proto-dst @grants4 accept
 *       ...                                          (udp, and ip6 @grants6)
 *       ct state new meta l4proto tcp ip saddr . meta l4proto . ct original
 *           proto-dst @once4 delete @once4 { ... } accept   (udp, ip6 @once6)
 *       meta l4proto tcp meta l4proto . ct original proto-dst @pubports drop
 *       meta l4proto udp meta l4proto . ct original proto-dst @pubports drop
 *     }
 *
 * With Forward lines in the access file (a gateway), a forward gate too,
 * and with via or Masquerade, nat chains:
 *
 *     set fprot4/fprot6 { type ADDR . inet_proto . inet_service; }  # Forward
 *     set fwd4/fwd6 { type ADDR . ADDR . inet_proto . inet_service; flags timeout; }
 *     chain forward { type filter hook forward priority -10; policy accept;
 *       ct state established,related accept
 *       ip saddr . ip daddr . meta l4proto . th dport @fwd4 accept   (and ip6)
 *       ip daddr . meta l4proto . th dport @fprot4 drop              (and ip6)
 *     }
 *     map dnat4/dnat6 { type ADDR . inet_proto . inet_service :
 *         ADDR . inet_service; flags timeout; }
 *     set masq4/masq6 { type ADDR . ADDR . inet_proto . inet_service; flags timeout; }
 *     chain prerouting { type nat hook prerouting priority -110;
 *       dnat ip to ip saddr . meta l4proto . th dport map @dnat4     (and ip6)
 *     }
 *     chain postrouting { type nat hook postrouting priority 110;
 *       ip saddr . ip daddr . meta l4proto . th dport @masq4 masquerade (and ip6)
 *     }
 *
 * A grant is a set element with a timeout: the kernel removes it at
 * expiry even if the daemon is dead.  A one-connection grant (Grant
 * connection) is an element of once4/once6, which the packet path takes
 * out with the first new connection it admits (a dynset delete; the
 * daemon never polls).  Start-up rebuilds the table in one
 * idempotent transaction that keeps the grant sets, so a restart keeps
 * live grants.  This is the only file that includes libnftnl's headers
 * for rule building (fw-detect.c only lists chains). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "fw.h"
#include "log.h"

#define TABLE		"sigknock"
#define CHAIN		"input"
#define SET_PROT	"protected"
#define SET_PUB		"pubports"
#define SET_G4		"grants4"
#define SET_G6		"grants6"
#define SET_O4		"once4"
#define SET_O6		"once6"
#define CH_FWD		"forward"
#define CH_PUB		"published"
#define CH_PRE		"prerouting"
#define CH_POST		"postrouting"
#define SET_FP4		"fprot4"
#define SET_FP6		"fprot6"
#define SET_F4		"fwd4"
#define SET_F6		"fwd6"
#define SET_D4		"dnat4"
#define SET_D6		"dnat6"
#define SET_M4		"masq4"
#define SET_M6		"masq6"
#define RULES_INPUT	7
#define RULES_PUB	12
#define RULES_FWD	5
#define RULES_NAT	4
#define ELEMS_PER_MSG	1000		/* research: bigger messages fail */
#define BUF_SIZE	(2 << 20)

/* nftables data types, and how a concatenation is typed: 6 bits each. */
#define T_IPV4		7
#define T_IPV6		8
#define T_PROTO		12
#define T_SERVICE	13
#define CONCAT2(a, b)		((a) << 6 | (b))
#define CONCAT3(a, b, c)	((a) << 12 | (b) << 6 | (c))
#define CONCAT4(a, b, c, d)	((a) << 18 | (b) << 12 | (c) << 6 | (d))

struct nft {
	struct mnl_socket *nl;
	struct mnl_socket *mon;		/* ruleset notifications, or NULL */
	uint32_t	 portid;
	uint32_t	 seq;
	uint16_t	 knock_port;
	uint32_t	 pass_mark, pass_mask;	/* PassMark; mask 0: none */
	int		 gw;		/* the forward gate is built */
	int		 nat;		/* the nat chains are built */
	char		*buf;
	/* The gate as built (gate_digest): every rule of the table, with
	 * its handle, and what the protected sets hold. */
	uint8_t		 gate[SK_SHA256_LEN];
	int		 has_gate;
};

static void gate_remember(struct nft *st);

/* ---- netlink batches ---- */

struct batch {
	struct mnl_nlmsg_batch *b;
	unsigned	 msgs;
	uint32_t	 first;		/* sequence numbers first.. are ours */
};

static void
batch_begin(struct nft *st, struct batch *bt)
{
	bt->b = mnl_nlmsg_batch_start(st->buf, BUF_SIZE);
	bt->msgs = 0;
	bt->first = st->seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), st->seq++);
	mnl_nlmsg_batch_next(bt->b);
}

static struct nlmsghdr *
batch_msg(struct nft *st, struct batch *bt, uint16_t type, uint16_t flags)
{
	bt->msgs++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type,
	    NFPROTO_INET, flags | NLM_F_ACK, st->seq++);
}

/* Send the batch and read one answer per message; the first error wins. */
static int
batch_send(struct nft *st, struct batch *bt)
{
	char rbuf[16384];
	struct pollfd p;
	const struct nlmsghdr *h;
	unsigned answers = 0;
	ssize_t n;
	int err = 0, len;

	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), st->seq++);
	mnl_nlmsg_batch_next(bt->b);
	if (mnl_socket_sendto(st->nl, mnl_nlmsg_batch_head(bt->b),
	    mnl_nlmsg_batch_size(bt->b)) < 0) {
		err = errno;
		mnl_nlmsg_batch_stop(bt->b);
		return -err;
	}
	mnl_nlmsg_batch_stop(bt->b);
	p.fd = mnl_socket_get_fd(st->nl);
	p.events = POLLIN;
	while (answers < bt->msgs) {
		/* An aborted batch answers only the message that failed: once
		 * an error is in, take what is already there and stop. */
		if (poll(&p, 1, err ? 0 : 2000) != 1)
			break;
		if ((n = mnl_socket_recvfrom(st->nl, rbuf, sizeof(rbuf))) <= 0)
			break;
		len = (int)n;
		for (h = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, len);
		    h = mnl_nlmsg_next(h, &len)) {
			/* A late answer to an earlier batch is not this one's. */
			if (h->nlmsg_type != NLMSG_ERROR ||
			    h->nlmsg_seq - bt->first >= st->seq - bt->first)
				continue;
			answers++;
			if (err == 0)
				err = -((const struct nlmsgerr *)
				    mnl_nlmsg_get_payload(h))->error;
		}
	}
	if (err == 0 && answers < bt->msgs)
		err = ETIMEDOUT;
	return -err;
}

/* ---- rule expressions ---- */

static void
e_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void
e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void
e_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *d,
    uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, d, len);
	nftnl_rule_add_expr(r, e);
}

static void
e_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, uint32_t id)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	nftnl_rule_add_expr(r, e);
}

static void
e_verdict(struct nftnl_rule *r, int verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(r, e);
}

/* meta l4proto . th dport into registers reg, reg + 1 (32-bit each). */
static void
e_proto_port(struct nftnl_rule *r, uint32_t reg)
{
	e_meta(r, NFT_META_L4PROTO, reg);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg + 1);
}

/* meta l4proto . ct original proto-dst into registers reg, reg + 1: the
 * port a connection was sent to, before any DNAT rewrote it. */
static void
e_proto_origport(struct nftnl_rule *r, uint32_t reg)
{
	struct nftnl_expr *x = nftnl_expr_alloc("ct");

	e_meta(r, NFT_META_L4PROTO, reg);
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, NFT_CT_PROTO_DST);
	nftnl_expr_set_u8(x, NFTNL_EXPR_CT_DIR, IP_CT_DIR_ORIGINAL);
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, reg + 1);
	nftnl_rule_add_expr(r, x);
}

static struct nftnl_rule *
rule_in(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

static struct nftnl_rule *
rule_new(void)
{
	return rule_in(CHAIN);
}

/* reg1 = (reg1 & mask) ^ xor, on 32 bits. */
static void
e_bitwise(struct nftnl_rule *r, uint32_t mask, uint32_t xor)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, 4);
	nftnl_rule_add_expr(r, e);
}

/* meta mark set meta mark or bits: the mark a host's own default-deny
 * chain can accept (FW_GRANT_MARK, fw_nft_warn_default_deny). */
static void
e_mark_or(struct nftnl_rule *r, uint32_t bits)
{
	struct nftnl_expr *e;

	e_meta(r, NFT_META_MARK, NFT_REG_1);
	e_bitwise(r, ~bits, bits);
	e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

/* meta nfproto NFPROTO */
static void
e_nfproto(struct nftnl_rule *r, uint8_t nfproto)
{
	e_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &nfproto, 1);
}

/* [saddr .] [daddr .] meta l4proto . th dport into the 32-bit registers
 * from NFT_REG32_00 on; returns the register after them. */
static uint32_t
e_tuple(struct nftnl_rule *r, int v6, int saddr, int daddr)
{
	uint32_t reg = NFT_REG32_00, alen = v6 ? 16 : 4;

	if (saddr) {
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, alen, reg);
		reg += alen / 4;
	}
	if (daddr) {
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen, reg);
		reg += alen / 4;
	}
	e_proto_port(r, reg);
	return reg + 2;
}

/* ct state established,related; with original, ct direction original:
 * a flow whose tracking entry a revocation deleted and the other end's
 * packet picked up again runs the other way (conntrack.h). */
static void
e_ct_established(struct nftnl_rule *r, int original)
{
	uint32_t zero = 0, ctmask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED);
	uint8_t dir = IP_CT_DIR_ORIGINAL;
	struct nftnl_expr *x = nftnl_expr_alloc("ct");

	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, x);
	e_bitwise(r, ctmask, 0);
	e_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, 4);
	if (!original)
		return;
	x = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, NFT_CT_DIRECTION);
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, x);
	e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &dir, 1);
}

/* ct state new */
static void
e_ct_new(struct nftnl_rule *r)
{
	uint32_t zero = 0;
	struct nftnl_expr *x = nftnl_expr_alloc("ct");

	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, x);
	e_bitwise(r, NF_CT_STATE_BIT(IP_CT_NEW), 0);
	e_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, 4);
}

/* delete @set { the key in the registers from NFT_REG32_00 }: the
 * packet path takes the element out (Grant connection). */
static void
e_set_delete(struct nftnl_rule *r, const char *set, uint32_t id)
{
	struct nftnl_expr *x = nftnl_expr_alloc("dynset");

	nftnl_expr_set_u32(x, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG32_00);
	nftnl_expr_set_u32(x, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_DELETE);
	nftnl_expr_set_str(x, NFTNL_EXPR_DYNSET_SET_NAME, set);
	nftnl_expr_set_u32(x, NFTNL_EXPR_DYNSET_SET_ID, id);
	nftnl_rule_add_expr(r, x);
}

/* ct state new, SADDR . meta l4proto . (th dport | with orig, ct original
 * proto-dst) in @onceN, then delete it there, mark, accept: the rule of
 * a one-connection grant, expression for expression as nft makes it
 * from the snippet's text (the key is loaded again for the delete). */
static struct nftnl_rule *
once_rule(const char *chain, int v6, int orig, uint8_t proto)
{
	struct nftnl_rule *r = rule_in(chain);
	uint32_t alen = v6 ? 16 : 4, k;

	e_ct_new(r);
	if (orig) {
		e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
		e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &proto, 1);
	}
	e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	for (k = 0; k < 2; k++) {
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, alen,
		    NFT_REG32_00);
		if (orig)
			e_proto_origport(r, NFT_REG32_00 + alen / 4);
		else
			e_proto_port(r, NFT_REG32_00 + alen / 4);
		if (k == 0)
			e_lookup(r, NFT_REG32_00, v6 ? SET_O6 : SET_O4,
			    v6 ? 19 : 18);
		else
			e_set_delete(r, v6 ? SET_O6 : SET_O4, v6 ? 19 : 18);
	}
	e_mark_or(r, FW_GRANT_MARK);
	e_verdict(r, NF_ACCEPT);
	return r;
}

/* meta nfproto NFPROTO  saddr . meta l4proto . th dport @SET  accept */
static struct nftnl_rule *
grant_rule(uint8_t nfproto, uint32_t saddr_off, uint32_t saddr_len,
    const char *set, uint32_t set_id)
{
	struct nftnl_rule *r = rule_new();

	e_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &nfproto, 1);
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, saddr_off, saddr_len,
	    NFT_REG32_00);
	e_proto_port(r, NFT_REG32_00 + saddr_len / 4);
	e_lookup(r, NFT_REG32_00, set, set_id);
	e_mark_or(r, FW_GRANT_MARK);
	e_verdict(r, NF_ACCEPT);
	return r;
}

static void
add_rule(struct nft *st, struct batch *bt, struct nftnl_rule *r)
{
	struct nlmsghdr *h = batch_msg(st, bt, NFT_MSG_NEWRULE,
	    NLM_F_APPEND | NLM_F_CREATE);

	nftnl_rule_nlmsg_build_payload(h, r);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_rule_free(r);
}

/* A set, or with a data type (dlen > 0) a map, of our table. */
static void
add_set_or_map(struct nft *st, struct batch *bt, const char *name, uint32_t id,
    uint32_t type, uint32_t len, uint32_t flags, uint32_t dtype, uint32_t dlen)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *h;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	if (dlen > 0) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, dtype);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, dlen);
		flags |= NFT_SET_MAP;
	}
	if (flags)
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	h = batch_msg(st, bt, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(h, s);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_set_free(s);
}

static void
add_set(struct nft *st, struct batch *bt, const char *name, uint32_t id,
    uint32_t type, uint32_t len, uint32_t flags)
{
	add_set_or_map(st, bt, name, id, type, len, flags, 0, 0);
}

/* ---- element keys: each part padded to a 32-bit register ---- */

/* The set (or map) that holds rules of r's kind and family. */
static const char *
set_of(const struct fw_rule *r)
{
	int v6 = r->family == AF_INET6;

	switch (r->kind) {
	case FW_FORWARD:	return v6 ? SET_F6 : SET_F4;
	case FW_DNAT:		return v6 ? SET_D6 : SET_D4;
	case FW_MASQ:		return v6 ? SET_M6 : SET_M4;
	case FW_ONCE:		return v6 ? SET_O6 : SET_O4;
	default:		return v6 ? SET_G6 : SET_G4;
	}
}

/* r's element key (up to 40 bytes) and, for a DNAT map, its data (up to
 * 20; *dlen 0 otherwise). */
static size_t
grant_key(const struct fw_rule *g, uint8_t *k, uint8_t *data, size_t *dlen)
{
	size_t alen = g->family == AF_INET ? 4 : 16, off = alen;

	memset(k, 0, 40);
	memcpy(k, g->addr, alen);
	if (g->kind == FW_FORWARD || g->kind == FW_MASQ) {
		memcpy(k + off, g->dst, alen);
		off += alen;
	}
	k[off] = g->proto;
	k[off + 4] = (uint8_t)(g->port >> 8);
	k[off + 5] = (uint8_t)g->port;
	*dlen = 0;
	if (g->kind == FW_DNAT && data != NULL) {
		memset(data, 0, 20);
		memcpy(data, g->dst, alen);
		data[alen] = (uint8_t)(g->dport >> 8);
		data[alen + 1] = (uint8_t)g->dport;
		*dlen = alen + 4;
	}
	return off + 8;
}

static struct nftnl_set *
elems_new(const char *set)
{
	struct nftnl_set *s = nftnl_set_alloc();

	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	return s;
}

static void
elems_flush(struct nft *st, struct batch *bt, struct nftnl_set *s, int del)
{
	struct nlmsghdr *h = batch_msg(st, bt, del ? NFT_MSG_DELSETELEM :
	    NFT_MSG_NEWSETELEM, del ? 0 : NLM_F_CREATE);

	nftnl_set_elems_nlmsg_build_payload(h, s);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_set_free(s);
}

/* Empty a set of ports and fill it with ports[0..n). */
static void
set_ports(struct nft *st, struct batch *bt, const char *name,
    const struct sk_access *ports, size_t n)
{
	struct nftnl_set *s;
	uint8_t key[8];
	size_t i;

	elems_flush(st, bt, elems_new(name), 1);
	if (n == 0)
		return;
	s = elems_new(name);
	for (i = 0; i < n; i++) {
		struct nftnl_set_elem *el = nftnl_set_elem_alloc();

		memset(key, 0, sizeof(key));
		key[0] = ports[i].proto;
		key[4] = (uint8_t)(ports[i].port >> 8);
		key[5] = (uint8_t)ports[i].port;
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, sizeof(key));
		nftnl_set_elem_add(s, el);
	}
	elems_flush(st, bt, s, 0);
}

/* The protected set: p's ports; the published ports' set: the Open
 * ones among them. */
static void
set_protected(struct nft *st, struct batch *bt, const struct fw_params *p)
{
	set_ports(st, bt, SET_PROT, p->protected, p->n_protected);
	set_ports(st, bt, SET_PUB, p->protected, p->n_open);
}

/* ---- start-up ---- */

/* Create (or keep) a base chain and flush it. */
static void
add_chain(struct nft *st, struct batch *bt, const char *name, uint32_t hook,
    int prio, const char *type)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *r;
	struct nlmsghdr *h;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	h = batch_msg(st, bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(h, c);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_chain_free(c);
	/* flush chain: a delete-rule without a handle */
	h = batch_msg(st, bt, NFT_MSG_DELRULE, 0);
	r = rule_in(name);
	nftnl_rule_nlmsg_build_payload(h, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(bt->b);
}

/* Empty the forward gate's sets and fill them with p's destinations. */
static void
set_fprot(struct nft *st, struct batch *bt, const struct fw_params *p)
{
	struct nftnl_set *s;
	uint8_t key[24];
	size_t i, alen, n;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		elems_flush(st, bt, elems_new(v6 ? SET_FP6 : SET_FP4), 1);
		s = elems_new(v6 ? SET_FP6 : SET_FP4);
		n = 0;
		alen = v6 ? 16 : 4;
		for (i = 0; i < p->n_forward; i++) {
			struct nftnl_set_elem *el;

			if (p->forward[i].family != (v6 ? AF_INET6 : AF_INET))
				continue;
			el = nftnl_set_elem_alloc();
			memset(key, 0, sizeof(key));
			memcpy(key, p->forward[i].addr, alen);
			key[alen] = p->forward[i].proto;
			key[alen + 4] = (uint8_t)(p->forward[i].port >> 8);
			key[alen + 5] = (uint8_t)p->forward[i].port;
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key,
			    (uint32_t)alen + 8);
			nftnl_set_elem_add(s, el);
			n++;
		}
		if (n > 0)
			elems_flush(st, bt, s, 0);
		else
			nftnl_set_free(s);
	}
}

/* The published ports' gate's rules (see the top of the file; its
 * chain is made with the input chain).  Built always:
 * a host with no DNAT pays one test per forwarded packet, and a
 * container started after sigknockd is covered from its first packet. */
static void
build_published(struct nft *st, struct batch *bt)
{
	static const uint8_t protos[2] = { IPPROTO_TCP, IPPROTO_UDP };
	struct nftnl_rule *r;
	struct nftnl_expr *x;
	uint32_t zero = 0;
	int v6, i;

	r = rule_in(CH_PUB);
	x = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
	nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, x);
	e_bitwise(r, IPS_DST_NAT, 0);
	e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &zero, 4);
	e_verdict(r, NF_ACCEPT);
	add_rule(st, bt, r);
	r = rule_in(CH_PUB);
	e_ct_established(r, 0);
	e_verdict(r, NF_ACCEPT);
	add_rule(st, bt, r);
	/* One rule per protocol: nft can only type ct original proto-dst
	 * once the protocol is known, and the snippet must give the same
	 * rules (the gate's digest). */
	for (v6 = 0; v6 < 2; v6++)
		for (i = 0; i < 2; i++) {
			r = rule_in(CH_PUB);
			e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
			e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &protos[i], 1);
			e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
			e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12,
			    v6 ? 16 : 4, NFT_REG32_00);
			e_proto_origport(r, NFT_REG32_00 + (v6 ? 4 : 1));
			e_lookup(r, NFT_REG32_00, v6 ? SET_G6 : SET_G4,
			    v6 ? 3 : 2);
			e_mark_or(r, FW_GRANT_MARK);
			e_verdict(r, NF_ACCEPT);
			add_rule(st, bt, r);
		}
	for (v6 = 0; v6 < 2; v6++)
		for (i = 0; i < 2; i++)
			add_rule(st, bt, once_rule(CH_PUB, v6, 1, protos[i]));
	for (i = 0; i < 2; i++) {
		r = rule_in(CH_PUB);
		e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
		e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &protos[i], 1);
		e_proto_origport(r, NFT_REG32_00);
		e_lookup(r, NFT_REG32_00, SET_PUB, 20);
		e_verdict(r, NF_DROP);
		add_rule(st, bt, r);
	}
}

/* The forward gate (filter) and, with nat, the nat chains. */
static void
build_gateway(struct nft *st, struct batch *bt, const struct fw_params *p)
{
	struct nftnl_rule *r;
	struct nftnl_expr *x;
	int v6;

	add_set(st, bt, SET_FP4, 10, CONCAT3(T_IPV4, T_PROTO, T_SERVICE), 12, 0);
	add_set(st, bt, SET_FP6, 11, CONCAT3(T_IPV6, T_PROTO, T_SERVICE), 24, 0);
	add_set(st, bt, SET_F4, 12, CONCAT4(T_IPV4, T_IPV4, T_PROTO, T_SERVICE),
	    16, NFT_SET_TIMEOUT);
	add_set(st, bt, SET_F6, 13, CONCAT4(T_IPV6, T_IPV6, T_PROTO, T_SERVICE),
	    40, NFT_SET_TIMEOUT);
	add_chain(st, bt, CH_FWD, NF_INET_FORWARD, -10, "filter");
	set_fprot(st, bt, p);
	r = rule_in(CH_FWD);
	e_ct_established(r, 1);
	e_mark_or(r, FW_GRANT_MARK);
	e_verdict(r, NF_ACCEPT);
	add_rule(st, bt, r);
	for (v6 = 0; v6 < 2; v6++) {
		r = rule_in(CH_FWD);
		e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		e_tuple(r, v6, 1, 1);
		e_lookup(r, NFT_REG32_00, v6 ? SET_F6 : SET_F4, v6 ? 13 : 12);
		e_mark_or(r, FW_GRANT_MARK);
		e_verdict(r, NF_ACCEPT);
		add_rule(st, bt, r);
	}
	for (v6 = 0; v6 < 2; v6++) {
		r = rule_in(CH_FWD);
		e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		e_tuple(r, v6, 0, 1);
		e_lookup(r, NFT_REG32_00, v6 ? SET_FP6 : SET_FP4, v6 ? 11 : 10);
		e_verdict(r, NF_DROP);
		add_rule(st, bt, r);
	}
	/* The replies of what was let in (a host's default-drop forward
	 * chain sees the mark on them too); only after the drops, which
	 * catch a flow picked up again in the other direction. */
	r = rule_in(CH_FWD);
	e_ct_established(r, 0);
	e_mark_or(r, FW_GRANT_MARK);
	e_verdict(r, NF_ACCEPT);
	add_rule(st, bt, r);
	st->gw = 1;
	if (!p->nat && !st->nat)
		return;
	add_set_or_map(st, bt, SET_D4, 14, CONCAT3(T_IPV4, T_PROTO, T_SERVICE),
	    12, NFT_SET_TIMEOUT, CONCAT2(T_IPV4, T_SERVICE), 8);
	add_set_or_map(st, bt, SET_D6, 15, CONCAT3(T_IPV6, T_PROTO, T_SERVICE),
	    24, NFT_SET_TIMEOUT, CONCAT2(T_IPV6, T_SERVICE), 20);
	add_set(st, bt, SET_M4, 16, CONCAT4(T_IPV4, T_IPV4, T_PROTO, T_SERVICE),
	    16, NFT_SET_TIMEOUT);
	add_set(st, bt, SET_M6, 17, CONCAT4(T_IPV6, T_IPV6, T_PROTO, T_SERVICE),
	    40, NFT_SET_TIMEOUT);
	add_chain(st, bt, CH_PRE, NF_INET_PRE_ROUTING, -110, "nat");
	add_chain(st, bt, CH_POST, NF_INET_POST_ROUTING, 110, "nat");
	for (v6 = 0; v6 < 2; v6++) {
		/* dnat to saddr . l4proto . dport map @dnatN: the address
		 * and port land in the registers from NFT_REG32_00 on. */
		r = rule_in(CH_PRE);
		e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		e_tuple(r, v6, 1, 0);
		x = nftnl_expr_alloc("lookup");
		nftnl_expr_set_u32(x, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
		nftnl_expr_set_u32(x, NFTNL_EXPR_LOOKUP_DREG, NFT_REG32_00);
		nftnl_expr_set_str(x, NFTNL_EXPR_LOOKUP_SET, v6 ? SET_D6 : SET_D4);
		nftnl_expr_set_u32(x, NFTNL_EXPR_LOOKUP_SET_ID, v6 ? 15 : 14);
		nftnl_rule_add_expr(r, x);
		x = nftnl_expr_alloc("nat");
		nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_FAMILY, v6 ? NFPROTO_IPV6 :
		    NFPROTO_IPV4);
		nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
		nftnl_expr_set_u32(x, NFTNL_EXPR_NAT_REG_PROTO_MIN, v6 ?
		    NFT_REG32_04 : NFT_REG32_01);
		nftnl_rule_add_expr(r, x);
		add_rule(st, bt, r);
		r = rule_in(CH_POST);
		e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		e_tuple(r, v6, 1, 1);
		e_lookup(r, NFT_REG32_00, v6 ? SET_M6 : SET_M4, v6 ? 17 : 16);
		nftnl_rule_add_expr(r, nftnl_expr_alloc("masq"));
		add_rule(st, bt, r);
	}
	st->nat = 1;
}

static int
build_table(struct nft *st, const struct fw_params *p, int wipe)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_rule *r;
	struct nlmsghdr *h;
	struct batch bt;
	uint16_t port = htons(st->knock_port);
	uint8_t udp = IPPROTO_UDP;
	int e;

	batch_begin(st, &bt);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	h = batch_msg(st, &bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nftnl_table_nlmsg_build_payload(h, t);
	mnl_nlmsg_batch_next(bt.b);
	if (wipe) {
		/* add + delete + add: a clean table whatever was there. */
		h = batch_msg(st, &bt, NFT_MSG_DELTABLE, 0);
		nftnl_table_nlmsg_build_payload(h, t);
		mnl_nlmsg_batch_next(bt.b);
		h = batch_msg(st, &bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
		nftnl_table_nlmsg_build_payload(h, t);
		mnl_nlmsg_batch_next(bt.b);
	}
	nftnl_table_free(t);
	add_set(st, &bt, SET_PROT, 1, CONCAT2(T_PROTO, T_SERVICE), 8, 0);
	add_set(st, &bt, SET_PUB, 20, CONCAT2(T_PROTO, T_SERVICE), 8, 0);
	add_set(st, &bt, SET_G4, 2, CONCAT3(T_IPV4, T_PROTO, T_SERVICE), 12,
	    NFT_SET_TIMEOUT);
	add_set(st, &bt, SET_G6, 3, CONCAT3(T_IPV6, T_PROTO, T_SERVICE), 24,
	    NFT_SET_TIMEOUT);
	add_set(st, &bt, SET_O4, 18, CONCAT3(T_IPV4, T_PROTO, T_SERVICE), 12,
	    NFT_SET_TIMEOUT | NFT_SET_EVAL);
	add_set(st, &bt, SET_O6, 19, CONCAT3(T_IPV6, T_PROTO, T_SERVICE), 24,
	    NFT_SET_TIMEOUT | NFT_SET_EVAL);
	add_chain(st, &bt, CHAIN, NF_INET_LOCAL_IN, -10, "filter");
	/* Both chains before any rule: nft makes the snippet's that way,
	 * and the gate's digest holds the rules' handles. */
	add_chain(st, &bt, CH_PUB, NF_INET_FORWARD, -10, "filter");
	set_protected(st, &bt, p);

	/* udp dport KNOCK drop */
	r = rule_new();
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &udp, 1);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &port, 2);
	e_verdict(r, NF_DROP);
	add_rule(st, &bt, r);
	/* protected, established or related: accept */
	r = rule_new();
	e_proto_port(r, NFT_REG32_00);
	e_lookup(r, NFT_REG32_00, SET_PROT, 1);
	e_ct_established(r, 1);
	e_mark_or(r, FW_GRANT_MARK);
	e_verdict(r, NF_ACCEPT);
	add_rule(st, &bt, r);
	/* granted: accept (source address at offset 12 or 8 of the IP
	 * header, then proto . port in the registers after it) */
	add_rule(st, &bt, grant_rule(NFPROTO_IPV4, 12, 4, SET_G4, 2));
	add_rule(st, &bt, grant_rule(NFPROTO_IPV6, 8, 16, SET_G6, 3));
	/* one connection: the first new one takes the grant out */
	add_rule(st, &bt, once_rule(CHAIN, 0, 0, 0));
	add_rule(st, &bt, once_rule(CHAIN, 1, 0, 0));
	/* PassMark: what another gate admitted (fwknopd during a
	 * migration) passes as a grant does */
	if (st->pass_mask != 0) {
		r = rule_new();
		e_meta(r, NFT_META_MARK, NFT_REG_1);
		e_bitwise(r, st->pass_mask, 0);
		e_cmp(r, NFT_REG_1, NFT_CMP_EQ, &st->pass_mark, 4);
		e_mark_or(r, FW_GRANT_MARK);
		e_verdict(r, NF_ACCEPT);
		add_rule(st, &bt, r);
	}
	/* protected: drop */
	r = rule_new();
	e_proto_port(r, NFT_REG32_00);
	e_lookup(r, NFT_REG32_00, SET_PROT, 1);
	e_verdict(r, NF_DROP);
	add_rule(st, &bt, r);
	build_published(st, &bt);
	if (p->n_forward > 0 || p->nat || st->gw)
		build_gateway(st, &bt, p);
	e = batch_send(st, &bt);
	return e;
}

struct adopt_ctx {
	int		 family;
	int		 kind;
	time_t		 now;
	fw_adopt_cb	 adopt;
	void		*arg;
};

static int
adopt_elem(struct nftnl_set_elem *e, void *data)
{
	struct adopt_ctx *a = data;
	const uint8_t *k;
	uint32_t len;
	size_t alen = a->family == AF_INET ? 4 : 16;
	struct fw_rule r;
	uint64_t ms;

	const uint8_t *d;
	size_t off = alen;
	uint32_t dlen;

	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)a->kind;
	if (a->kind == FW_FORWARD || a->kind == FW_MASQ)
		off += alen;
	k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (k == NULL || len != off + 8 ||
	    !nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
		return 0;
	if (a->kind == FW_DNAT) {
		d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dlen);
		if (d == NULL || dlen != alen + 4)
			return 0;
		memcpy(r.dst, d, alen);
		r.dport = (uint16_t)(d[alen] << 8 | d[alen + 1]);
	} else if (off > alen)
		memcpy(r.dst, k + alen, alen);
	ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
	r.family = a->family;
	memcpy(r.addr, k, alen);
	r.proto = k[off];
	r.port = (uint16_t)(k[off + 4] << 8 | k[off + 5]);
	r.until = a->now + (time_t)((ms + 999) / 1000);
	a->adopt(a->arg, &r);
	return 0;
}

/* Send the dump request h (built in rbuf) and call cb for each message of
 * the answer that belongs to it; an error message ends it with its
 * error.  0, or a negative errno. */
static int
dump(struct nft *st, char *rbuf, size_t rlen, const struct nlmsghdr *h,
    void (*cb)(const struct nlmsghdr *m, void *arg), void *arg)
{
	const struct nlmsghdr *m;
	uint32_t seq = h->nlmsg_seq;
	ssize_t n;
	int len;

	if (mnl_socket_sendto(st->nl, h, h->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(st->nl, rbuf, rlen)) > 0) {
		len = (int)n;
		for (m = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(m, len);
		    m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq)
				continue;	/* a late answer to something else */
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR)
				return ((const struct nlmsgerr *)
				    mnl_nlmsg_get_payload(m))->error;
			cb(m, arg);
		}
	}
	return n < 0 ? -errno : 0;
}

/* Every element of set name, to cb (as nftnl_set_elem_foreach). */
struct elem_walk {
	int	(*cb)(struct nftnl_set_elem *e, void *arg);
	void	*arg;
};

static void
elems_msg(const struct nlmsghdr *m, void *arg)
{
	struct elem_walk *w = arg;
	struct nftnl_set *s = nftnl_set_alloc();

	if (s != NULL && nftnl_set_elems_nlmsg_parse(m, s) == 0)
		nftnl_set_elem_foreach(s, w->cb, w->arg);
	nftnl_set_free(s);
}

static int
dump_elems(struct nft *st, const char *name,
    int (*cb)(struct nftnl_set_elem *e, void *arg), void *arg)
{
	char rbuf[65536];
	struct elem_walk w = { cb, arg };
	struct nftnl_set *s = elems_new(name);
	struct nlmsghdr *h;

	memset(rbuf, 0, 4096);		/* attribute padding included */
	h = nftnl_nlmsg_build_hdr(rbuf, NFT_MSG_GETSETELEM, NFPROTO_INET,
	    NLM_F_DUMP, st->seq++);
	nftnl_set_elems_nlmsg_build_payload(h, s);
	nftnl_set_free(s);
	return dump(st, rbuf, sizeof(rbuf), h, elems_msg, &w);
}

static int
adopt_set(struct nft *st, const char *name, int family, int kind, time_t now,
    fw_adopt_cb adopt, void *arg)
{
	struct adopt_ctx a = { family, kind, now, adopt, arg };

	return dump_elems(st, name, adopt_elem, &a);
}

/* Every grant the kernel holds, of every kind: 0 or the first error. */
static int
adopt_all(struct nft *st, time_t now, fw_adopt_cb adopt, void *arg)
{
	static const struct { const char *set; int family, kind; } sets[] = {
		{ SET_G4, AF_INET, FW_INPUT }, { SET_G6, AF_INET6, FW_INPUT },
		{ SET_O4, AF_INET, FW_ONCE }, { SET_O6, AF_INET6, FW_ONCE },
		{ SET_F4, AF_INET, FW_FORWARD }, { SET_F6, AF_INET6, FW_FORWARD },
		{ SET_D4, AF_INET, FW_DNAT }, { SET_D6, AF_INET6, FW_DNAT },
		{ SET_M4, AF_INET, FW_MASQ }, { SET_M6, AF_INET6, FW_MASQ },
	};
	size_t i, n = st->nat ? 10 : st->gw ? 6 : 4;
	int e;

	for (i = 0; i < n; i++)
		if ((e = adopt_set(st, sets[i].set, sets[i].family,
		    sets[i].kind, now, adopt, arg)) != 0)
			return e;
	return 0;
}

/* The gateway's part of the snippet, appended at off; returns the new
 * end (sizeof-bounded: an overlong result is caught by the caller). */
static size_t
snippet_gateway(const struct nft *st, const struct fw_params *p, char *buf,
    size_t len, size_t off)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, n;
	int v6;

	for (v6 = 0; v6 < 2 && off < len; v6++) {
		off += (size_t)snprintf(buf + off, len - off, "\tset %s {\n\t\t"
		    "type %s . inet_proto . inet_service\n", v6 ? SET_FP6 :
		    SET_FP4, v6 ? "ipv6_addr" : "ipv4_addr");
		for (n = 0, i = 0; i < p->n_forward && off < len; i++)
			if (p->forward[i].family == (v6 ? AF_INET6 : AF_INET))
				off += (size_t)snprintf(buf + off, len - off,
				    "%s%s . %s . %u", n++ ? ", " :
				    "\t\telements = { ", inet_ntop(
				    p->forward[i].family, p->forward[i].addr, a,
				    sizeof(a)), p->forward[i].proto == 6 ? "tcp" :
				    "udp", p->forward[i].port);
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s\t}\n"
			    "\tset %s {\n\t\ttype %s . %s . inet_proto . "
			    "inet_service\n\t\tflags timeout\n\t}\n",
			    n ? " }\n" : "", v6 ? SET_F6 : SET_F4,
			    v6 ? "ipv6_addr" : "ipv4_addr",
			    v6 ? "ipv6_addr" : "ipv4_addr");
	}
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off,
		    "\tchain " CH_FWD " {\n"
		    "\t\ttype filter hook forward priority filter - 10; "
		    "policy accept;\n"
		    "\t\tct state established,related ct direction original "
		    "meta mark set meta mark or 0x%08x accept\n"
		    "\t\tip saddr . ip daddr . meta l4proto . th dport @" SET_F4
		    " meta mark set meta mark or 0x%08x accept\n"
		    "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @" SET_F6
		    " meta mark set meta mark or 0x%08x accept\n"
		    "\t\tip daddr . meta l4proto . th dport @" SET_FP4 " drop\n"
		    "\t\tip6 daddr . meta l4proto . th dport @" SET_FP6 " drop\n"
		    "\t\tct state established,related meta mark set meta mark or "
		    "0x%08x accept\n"
		    "\t}\n", FW_GRANT_MARK, FW_GRANT_MARK, FW_GRANT_MARK,
		    FW_GRANT_MARK);
	if (st->nat && off < len)
		off += (size_t)snprintf(buf + off, len - off,
		    "\tmap " SET_D4 " {\n\t\ttype ipv4_addr . inet_proto . "
		    "inet_service : ipv4_addr . inet_service\n\t\tflags "
		    "timeout\n\t}\n"
		    "\tmap " SET_D6 " {\n\t\ttype ipv6_addr . inet_proto . "
		    "inet_service : ipv6_addr . inet_service\n\t\tflags "
		    "timeout\n\t}\n"
		    "\tset " SET_M4 " {\n\t\ttype ipv4_addr . ipv4_addr . "
		    "inet_proto . inet_service\n\t\tflags timeout\n\t}\n"
		    "\tset " SET_M6 " {\n\t\ttype ipv6_addr . ipv6_addr . "
		    "inet_proto . inet_service\n\t\tflags timeout\n\t}\n"
		    "\tchain " CH_PRE " {\n\t\ttype nat hook prerouting "
		    "priority dstnat - 10; policy accept;\n"
		    "\t\tdnat ip to ip saddr . meta l4proto . th dport map @"
		    SET_D4 "\n"
		    "\t\tdnat ip6 to ip6 saddr . meta l4proto . th dport map @"
		    SET_D6 "\n\t}\n"
		    "\tchain " CH_POST " {\n\t\ttype nat hook postrouting "
		    "priority srcnat + 10; policy accept;\n"
		    "\t\tip saddr . ip daddr . meta l4proto . th dport @" SET_M4
		    " masquerade\n"
		    "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @"
		    SET_M6 " masquerade\n\t}\n");
	return off;
}

/* once_rule's text: in the input chain (proto NULL), or the published
 * chain's for proto.  Its length (snprintf's: the caller bounds it). */
static size_t
snippet_once(char *buf, size_t len, int v6, const char *proto)
{
	const char *a = v6 ? "ip6" : "ip", *set = v6 ? SET_O6 : SET_O4;
	const char *port = proto != NULL ? "ct original proto-dst" : "th dport";

	return (size_t)snprintf(buf, len, "\t\tct state new %s%s%s%s saddr . "
	    "meta l4proto . %s @%s delete @%s { %s saddr . meta l4proto . %s }"
	    " meta mark set meta mark or 0x%08x accept\n", proto != NULL ?
	    "meta l4proto " : "", proto != NULL ? proto : "", proto != NULL ?
	    " " : "", a, port, set, set, a, port, FW_GRANT_MARK);
}

/* The gate as an nft file: an admin who includes it in nftables.conf
 * right after "flush ruleset" keeps the ports closed through a reload of
 * nftables.service (the daemon adds the grants again within a second). */
static void
write_snippet(const struct nft *st, const struct fw_params *p)
{
	char buf[16384 + FW_PROTECTED_MAX * 80];
	size_t off = 0, i;
	int v6;

	if (p->snippet == NULL)
		return;
	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
	    "# Written by sigknockd: its gate, for nftables.conf.  Include it "
	    "after\n# \"flush ruleset\" so that a reload never opens the "
	    "protected ports:\n#   include \"%s\"\n# Rewritten when the access "
	    "file changes; do not edit.\n"
	    "table inet " TABLE " {\n"
	    "\tset " SET_PROT " {\n\t\ttype inet_proto . inet_service\n",
	    p->snippet);
	for (i = 0; i < p->n_protected; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s%s . %u%s", i == 0 ? "\t\telements = { " : ", ",
		    p->protected[i].proto == 6 ? "tcp" : "udp",
		    p->protected[i].port, i + 1 == p->n_protected ? " }\n" : "");
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\t}\n"
	    "\tset " SET_PUB " {\n\t\ttype inet_proto . inet_service\n");
	for (i = 0; i < p->n_open; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s%s . %u%s", i == 0 ? "\t\telements = { " : ", ",
		    p->protected[i].proto == 6 ? "tcp" : "udp",
		    p->protected[i].port, i + 1 == p->n_open ? " }\n" : "");
	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
	    "\t}\n"
	    "\tset " SET_G4 " {\n\t\ttype ipv4_addr . inet_proto . "
	    "inet_service\n\t\tflags timeout\n\t}\n"
	    "\tset " SET_G6 " {\n\t\ttype ipv6_addr . inet_proto . "
	    "inet_service\n\t\tflags timeout\n\t}\n"
	    "\tset " SET_O4 " {\n\t\ttype ipv4_addr . inet_proto . "
	    "inet_service\n\t\tflags dynamic,timeout\n\t}\n"
	    "\tset " SET_O6 " {\n\t\ttype ipv6_addr . inet_proto . "
	    "inet_service\n\t\tflags dynamic,timeout\n\t}\n"
	    "\tchain " CHAIN " {\n"
	    "\t\ttype filter hook input priority filter - 10; policy accept;\n"
	    "\t\tudp dport %u drop\n"
	    "\t\tmeta l4proto . th dport @" SET_PROT " ct state "
	    "established,related ct direction original meta mark set meta "
	    "mark or 0x%08x accept\n"
	    "\t\tip saddr . meta l4proto . th dport @" SET_G4 " meta mark set "
	    "meta mark or 0x%08x accept\n"
	    "\t\tip6 saddr . meta l4proto . th dport @" SET_G6 " meta mark "
	    "set meta mark or 0x%08x accept\n", st->knock_port,
	    FW_GRANT_MARK, FW_GRANT_MARK, FW_GRANT_MARK);
	for (v6 = 0; v6 < 2; v6++)
		off += snippet_once(buf + off, sizeof(buf) - off, v6, NULL);
	if (st->pass_mask != 0)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "\t\tmeta mark and 0x%08x == 0x%08x meta mark set meta "
		    "mark or 0x%08x accept\n", st->pass_mask, st->pass_mark,
		    FW_GRANT_MARK);
	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
	    "\t\tmeta l4proto . th dport @" SET_PROT " drop\n\t}\n"
	    "\tchain " CH_PUB " {\n"
	    "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
	    "\t\tct status & dnat == 0 accept\n"
	    "\t\tct state established,related accept\n");
	for (v6 = 0; v6 < 2; v6++)
		for (i = 0; i < 2; i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "\t\tmeta l4proto %s %s saddr . meta l4proto . ct "
			    "original proto-dst @%s meta mark set meta mark or "
			    "0x%08x accept\n", i ? "udp" : "tcp", v6 ? "ip6" : "ip",
			    v6 ? SET_G6 : SET_G4, FW_GRANT_MARK);
	for (v6 = 0; v6 < 2; v6++)
		for (i = 0; i < 2; i++)
			off += snippet_once(buf + off, sizeof(buf) - off, v6,
			    i ? "udp" : "tcp");
	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
	    "\t\tmeta l4proto tcp meta l4proto . ct original proto-dst @"
	    SET_PUB " drop\n"
	    "\t\tmeta l4proto udp meta l4proto . ct original proto-dst @"
	    SET_PUB " drop\n\t}\n");
	if (st->gw)
		off = snippet_gateway(st, p, buf, sizeof(buf), off);
	if (off < sizeof(buf))
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "}\n");
	if (off >= sizeof(buf) ||
	    file_write_atomic(p->snippet, buf, off, 0644) != 0)
		log_warn("firewall: nftables: cannot write the gate snippet %s",
		    p->snippet);
}

static int
fwn_open(void **out, const struct fw_params *p, time_t now, fw_adopt_cb adopt,
    void *arg)
{
	struct nft *st;
	int e;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->buf = calloc(1, BUF_SIZE)) == NULL) {	/* no stale padding */
		free(st);
		return SK_ERR_ALLOC;
	}
	st->knock_port = p->knock_port;
	st->pass_mark = p->pass_mark;
	st->pass_mask = p->pass_mask;
	st->seq = (uint32_t)time(NULL);
	if ((st->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(st->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_err("firewall: nftables: netlink: %s", strerror(errno));
		goto fail;
	}
	st->portid = mnl_socket_get_portid(st->nl);
	if ((e = build_table(st, p, 0)) != 0) {
		/* A table of another shape (older sigknock, hand edits):
		 * start clean.  That drops grants, which fails closed. */
		log_warn("firewall: nftables: rebuilding table inet %s from "
		    "scratch: %s", TABLE, strerror(e < 0 ? -e : e));
		if ((e = build_table(st, p, 1)) != 0) {
			log_err("firewall: nftables: cannot set up table inet %s: "
			    "%s", TABLE, strerror(e < 0 ? -e : e));
			goto fail;
		}
	}
	adopt_all(st, now, adopt, arg);
	gate_remember(st);
	/* Ruleset notifications: a flush by someone else is seen at once
	 * (the daemon also checks every second). */
	if ((st->mon = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(st->mon, 1 << (NFNLGRP_NFTABLES - 1),
	    MNL_SOCKET_AUTOPID) < 0) {
		log_warn("firewall: nftables: no ruleset notifications (%s); "
		    "checking the table every second only", strerror(errno));
		if (st->mon != NULL)
			mnl_socket_close(st->mon);
		st->mon = NULL;
	}
	write_snippet(st, p);
	log_info("firewall: nftables: table inet %s, %zu protected port%s, "
	    "knock port udp/%u kept silent%s", TABLE, p->n_protected,
	    p->n_protected == 1 ? "" : "s", st->knock_port, st->gw ?
	    (st->nat ? "; gateway: forward gate and nat" :
	    "; gateway: forward gate") : "");
	*out = st;
	return 0;
fail:
	if (st->nl != NULL)
		mnl_socket_close(st->nl);
	free(st->buf);
	free(st);
	return SK_ERR_IO;
}

static int
fwn_protect(void *vst, const struct fw_params *p)
{
	struct nft *st = vst;
	struct batch bt;
	int e;

	if ((p->n_forward > 0 && !st->gw) || (p->nat && !st->nat)) {
		/* The gateway's chains are new: build them (grants stay). */
		if ((e = build_table(st, p, 0)) != 0) {
			log_err("firewall: nftables: cannot add the gateway's "
			    "chains: %s", strerror(e < 0 ? -e : e));
			return SK_ERR_IO;
		}
		gate_remember(st);
		write_snippet(st, p);
		return 0;
	}
	batch_begin(st, &bt);
	set_protected(st, &bt, p);
	if (st->gw)
		set_fprot(st, &bt, p);
	if ((e = batch_send(st, &bt)) != 0) {
		log_err("firewall: nftables: cannot update protected ports: %s",
		    strerror(-e));
		return SK_ERR_IO;
	}
	gate_remember(st);
	write_snippet(st, p);
	return 0;
}

/* Ops [from, to) into one batch: consecutive ops of the same kind and
 * set share a message of up to ELEMS_PER_MSG elements. */
static int
send_ops(struct nft *st, const struct fw_op *ops, size_t from, size_t to)
{
	struct nftnl_set *s = NULL;
	struct batch bt;
	uint8_t key[40], data[20];
	size_t i, in_msg = 0, len, dlen;
	int cur_del = -1, e;
	const char *cur_set = NULL;
	time_t now = time(NULL);

	batch_begin(st, &bt);
	for (i = from; i < to; i++) {
		const struct fw_op *o = &ops[i];
		struct nftnl_set_elem *el;

		if (s != NULL && (o->del != cur_del || set_of(&o->r) != cur_set ||
		    in_msg == ELEMS_PER_MSG)) {
			elems_flush(st, &bt, s, cur_del);
			s = NULL;
			/* A full buffer: this batch goes, the next begins (a
			 * message of ELEMS_PER_MSG elements takes ~120 kB). */
			if (mnl_nlmsg_batch_size(bt.b) > BUF_SIZE / 2) {
				if ((e = batch_send(st, &bt)) != 0)
					return e;
				batch_begin(st, &bt);
			}
		}
		if (s == NULL) {
			cur_set = set_of(&o->r);
			s = elems_new(cur_set);
			cur_del = o->del;
			in_msg = 0;
		}
		el = nftnl_set_elem_alloc();
		len = grant_key(&o->r, key, o->del ? NULL : data, &dlen);
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
		if (dlen > 0)
			nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, data,
			    (uint32_t)dlen);
		if (!o->del)
			nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT,
			    o->r.until > now ? (uint64_t)(o->r.until - now) * 1000 :
			    1000);
		nftnl_set_elem_add(s, el);
		in_msg++;
	}
	if (s != NULL)
		elems_flush(st, &bt, s, cur_del);
	return batch_send(st, &bt);
}

static void
found_msg(const struct nlmsghdr *m, void *arg)
{
	(void)m;
	*(int *)arg = 1;
}

/* Does the kernel still hold grant g?  A plain lookup, no transaction:
 * 1, 0, or -1 when it cannot tell. */
static int
elem_exists(struct nft *st, const struct fw_rule *g)
{
	char rbuf[4096];
	struct nftnl_set *s = elems_new(set_of(g));
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	struct nlmsghdr *h;
	uint8_t key[40];
	size_t dlen;
	int found = 0, e;

	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, (uint32_t)grant_key(g,
	    key, NULL, &dlen));
	nftnl_set_elem_add(s, el);
	memset(rbuf, 0, sizeof(rbuf));
	h = nftnl_nlmsg_build_hdr(rbuf, NFT_MSG_GETSETELEM, NFPROTO_INET,
	    NLM_F_ACK, st->seq++);
	nftnl_set_elems_nlmsg_build_payload(h, s);
	nftnl_set_free(s);
	e = dump(st, rbuf, sizeof(rbuf), h, found_msg, &found);
	if (e == -ENOENT)
		return 0;
	return found ? 1 : e == 0 ? 0 : -1;
}

/* A delete of an element the kernel may have taken out itself: at its
 * expiry, or a one-connection grant at its connection. */
static int
maybe_gone(const struct fw_op *o, time_t now)
{
	return o->del && (o->r.until <= now + 2 || o->r.kind == FW_ONCE);
}

static int
fwn_apply(void *vst, const struct fw_op *ops, size_t n)
{
	struct nft *st = vst;
	struct fw_op *keep = NULL;
	time_t now = time(NULL);
	size_t i, k;
	int e, r = 0;

	/* A grant extended in its last seconds may have been expired by the
	 * kernel already (and a one-connection grant used); deleting it then would abort the whole batch, and
	 * an aborted nf_tables transaction costs tens of milliseconds
	 * (t/bench/knock-latency).  Look first, and leave out such deletes. */
	for (i = 0; i < n && !maybe_gone(&ops[i], now); i++)
		;
	if (i < n && (keep = calloc(n, sizeof(*keep))) != NULL) {
		for (i = 0, k = 0; i < n; i++)
			if (!(maybe_gone(&ops[i], now) &&
			    elem_exists(st, &ops[i].r) == 0))
				keep[k++] = ops[i];
		ops = keep;
		n = k;
	}
	if (n > 0 && (e = send_ops(st, ops, 0, n)) != 0) {
		/* One op failed and the kernel rolled the batch back; the
		 * usual cause is deleting an element the kernel expired a
		 * moment earlier.  Apply them one by one, deletes of missing
		 * elements being no error. */
		for (i = 0; i < n; i++) {
			e = send_ops(st, ops, i, i + 1);
			if (e == -ENOENT && ops[i].del)
				continue;
			if (e != 0) {
				log_err("firewall: nftables: %s a grant: %s",
				    ops[i].del ? "cannot remove" : "cannot add",
				    strerror(-e));
				r = SK_ERR_IO;
			}
		}
	}
	free(keep);
	return r;
}

static void
count_msg(const struct nlmsghdr *m, void *arg)
{
	if ((m->nlmsg_type & 0xff) == NFT_MSG_NEWRULE)
		(*(int *)arg)++;
}

/* How many rules our table holds: -ENOENT when it is gone.  One dump of
 * a few rules. */
/* Every rule of our table, to cb (a dump callback). */
static int
dump_rules(struct nft *st, void (*cb)(const struct nlmsghdr *m, void *arg),
    void *arg)
{
	char rbuf[65536];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *h;

	if (r == NULL)
		return -ENOMEM;
	memset(rbuf, 0, 4096);
	h = nftnl_nlmsg_build_hdr(rbuf, NFT_MSG_GETRULE, NFPROTO_INET,
	    NLM_F_DUMP, st->seq++);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_nlmsg_build_payload(h, r);
	nftnl_rule_free(r);
	return dump(st, rbuf, sizeof(rbuf), h, cb, arg);
}

static int
count_rules(struct nft *st)
{
	int count = 0, e = dump_rules(st, count_msg, &count);

	return e != 0 ? e : count;
}

/* ---- what the gate holds ---- */

/* Text of the gate, gathered for its digest. */
struct gate_text {
	char	*p;
	size_t	 len, cap;
	char	**keys;		/* one set's elements, to sort */
	size_t	 nkeys, capkeys;
	int	 err;
};

static void
gate_put(struct gate_text *g, const char *s)
{
	size_t n = strlen(s);
	char *t;

	if (g->err)
		return;
	if (g->len + n + 1 > g->cap) {
		size_t cap = (g->cap ? 2 * g->cap : 16384) + n;

		if ((t = realloc(g->p, cap)) == NULL) {
			g->err = ENOMEM;
			return;
		}
		g->p = t;
		g->cap = cap;
	}
	memcpy(g->p + g->len, s, n);
	g->len += n;
	g->p[g->len++] = '\n';
}

static void
gate_rule_msg(const struct nlmsghdr *m, void *arg)
{
	struct gate_text *g = arg;
	struct nftnl_rule *r;
	char line[2048];

	if ((m->nlmsg_type & 0xff) != NFT_MSG_NEWRULE ||
	    (r = nftnl_rule_alloc()) == NULL)
		return;
	if (nftnl_rule_nlmsg_parse(m, r) == 0 && nftnl_rule_snprintf(line,
	    sizeof(line), r, NFTNL_OUTPUT_DEFAULT, 0) > 0)
		gate_put(g, line);
	else
		g->err = EINVAL;
	nftnl_rule_free(r);
}

static int
gate_key(struct nftnl_set_elem *e, void *arg)
{
	struct gate_text *g = arg;
	const uint8_t *k;
	uint32_t klen, i;
	char *hex, **t;

	if ((k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen)) == NULL ||
	    (hex = malloc(2 * (size_t)klen + 1)) == NULL) {
		g->err = ENOMEM;
		return -1;
	}
	for (i = 0; i < klen; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	if (g->nkeys == g->capkeys) {
		g->capkeys = g->capkeys ? 2 * g->capkeys : 64;
		if ((t = realloc(g->keys, g->capkeys * sizeof(*t))) == NULL) {
			free(hex);
			g->err = ENOMEM;
			return -1;
		}
		g->keys = t;
	}
	g->keys[g->nkeys++] = hex;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* One set's elements, sorted, into g. */
static int
gate_set(struct nft *st, struct gate_text *g, const char *name)
{
	size_t i;
	int e;

	gate_put(g, name);
	g->nkeys = 0;
	e = dump_elems(st, name, gate_key, g);
	if (g->nkeys > 1)	/* an empty set has no array to sort */
		qsort(g->keys, g->nkeys, sizeof(*g->keys), cmp_str);
	for (i = 0; i < g->nkeys; i++) {
		gate_put(g, g->keys[i]);
		free(g->keys[i]);
	}
	g->nkeys = 0;
	return e;
}

/* The digest of the gate as the kernel holds it now: every rule of our
 * table (its chain, handle and expressions: the knock port's drop, the
 * gates, their order) and the elements of the protected sets.  The
 * grants' sets change at every knock and are not part of it.  0, or
 * -ENOENT when the table is gone, or another error. */
static int
gate_digest(struct nft *st, uint8_t out[SK_SHA256_LEN])
{
	struct gate_text g;
	int e;

	memset(&g, 0, sizeof(g));
	if ((e = dump_rules(st, gate_rule_msg, &g)) == 0 &&
	    (e = gate_set(st, &g, SET_PROT)) == 0 &&
	    (e = gate_set(st, &g, SET_PUB)) == 0 && st->gw &&
	    (e = gate_set(st, &g, SET_FP4)) == 0)
		e = gate_set(st, &g, SET_FP6);
	if (e == 0 && g.err != 0)
		e = -g.err;
	if (e == 0 && crypto_sha256(g.p != NULL ? g.p : "", g.len, out) != 0)
		e = -EINVAL;
	free(g.p);
	free(g.keys);
	return e;
}

/* After we built or changed the gate: what it must keep holding. */
static void
gate_remember(struct nft *st)
{
	st->has_gate = gate_digest(st, st->gate) == 0;
	if (!st->has_gate)
		log_warn("firewall: nftables: cannot read the gate back to "
		    "watch it; checking its rule count only");
}

/* The table holds exactly the gate we built: the same rules (the same
 * handles: nothing deleted and put back) and the same protected
 * ports and destinations.  A flushed set or chain, or a rule of ours
 * changed, is a gate to build again (fw_heal). */
static int
fwn_intact(void *vst)
{
	struct nft *st = vst;
	uint8_t now[SK_SHA256_LEN];
	int n, e;

	if (st->has_gate) {
		if ((e = gate_digest(st, now)) == -ENOENT)
			return 0;
		if (e == 0)
			return memcmp(now, st->gate, sizeof(now)) == 0;
	}
	n = count_rules(st);
	if (n == -ENOENT)
		return 0;
	return n < 0 ? -1 : n == RULES_INPUT + RULES_PUB + (st->pass_mask != 0) +
	    (st->gw ? RULES_FWD : 0) +
	    (st->nat ? RULES_NAT : 0);
}

static int
fwn_rebuild(void *vst, const struct fw_params *p)
{
	struct nft *st = vst;
	int e;

	st->knock_port = p->knock_port;
	st->pass_mark = p->pass_mark;
	st->pass_mask = p->pass_mask;
	if ((e = build_table(st, p, 1)) != 0) {
		log_err("firewall: nftables: cannot set up table inet %s: %s",
		    TABLE, strerror(e < 0 ? -e : e));
		return SK_ERR_IO;
	}
	gate_remember(st);
	write_snippet(st, p);
	return 0;
}

/* One-connection grants are not counted: the kernel takes them out at
 * their first connection, and fewer of them is no damaged gate
 * (fw_heal). */
static void
count_one(void *arg, const struct fw_rule *r)
{
	if (r->kind != FW_ONCE)
		(*(int *)arg)++;
}

static int
fwn_grants(void *vst)
{
	struct nft *st = vst;
	time_t now = time(NULL);
	int n = 0;

	return adopt_all(st, now, count_one, &n) != 0 ? -1 : n;
}

static int
fwn_watch_fd(void *vst)
{
	struct nft *st = vst;

	return st->mon != NULL ? mnl_socket_get_fd(st->mon) : -1;
}

/* Drain the notifications: 1 when one came from another program (ours
 * carry our port id), or some were lost. */
static int
fwn_watch_event(void *vst)
{
	struct nft *st = vst;
	char rbuf[16384];
	const struct nlmsghdr *m;
	ssize_t n;
	int len, foreign = 0;

	while ((n = recv(mnl_socket_get_fd(st->mon), rbuf, sizeof(rbuf),
	    MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno == ENOBUFS)
				foreign = 1;
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			break;
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(m, len);
		    m = mnl_nlmsg_next(m, &len))
			if (m->nlmsg_pid != st->portid)
				foreign = 1;
	}
	return foreign;
}

static void
fwn_close(void *vst)
{
	struct nft *st = vst;

	if (st == NULL)
		return;
	if (st->mon != NULL)
		mnl_socket_close(st->mon);
	mnl_socket_close(st->nl);
	free(st->buf);
	free(st);
}

int
fw_nft_remove_gate(void)
{
	struct nftnl_table *t;
	struct nlmsghdr *h;
	struct batch bt;
	struct nft st;
	int e;

	memset(&st, 0, sizeof(st));
	st.seq = (uint32_t)time(NULL);
	if ((st.buf = calloc(1, BUF_SIZE)) == NULL)
		return -1;
	if ((st.nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(st.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_err("firewall: nftables: netlink: %s", strerror(errno));
		if (st.nl != NULL)
			mnl_socket_close(st.nl);
		free(st.buf);
		return -1;
	}
	st.portid = mnl_socket_get_portid(st.nl);
	if ((t = nftnl_table_alloc()) == NULL) {
		e = -ENOMEM;
		goto out;
	}
	batch_begin(&st, &bt);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	h = batch_msg(&st, &bt, NFT_MSG_DELTABLE, 0);
	nftnl_table_nlmsg_build_payload(h, t);
	mnl_nlmsg_batch_next(bt.b);
	nftnl_table_free(t);
	e = batch_send(&st, &bt);
out:
	mnl_socket_close(st.nl);
	free(st.buf);
	if (e == 0) {
		log_notice("firewall: removed nftables table inet %s", TABLE);
		return 1;
	}
	/* None there, or no nftables in this kernel: nothing to remove. */
	if (e == -ENOENT || e == -EAFNOSUPPORT || e == -EPROTONOSUPPORT)
		return 0;
	log_err("firewall: removing nftables table inet %s: %s", TABLE,
	    strerror(-e));
	return -1;
}

/* NftSet: one element into or out of a set of the admin's, in a batch
 * of its own, so that a set the admin removed or made of another type
 * fails only this and never a grant. */
static int
fwn_mirror(void *arg, const struct fw_mirror *m, const struct fw_rule *r,
    int del)
{
	struct nft *st = arg;
	struct nftnl_set *s;
	struct nftnl_set_elem *el;
	struct fw_rule g = *r;
	struct batch bt;
	struct nlmsghdr *h;
	uint8_t key[40];
	uint32_t fam;
	size_t len, dlen;
	time_t now = time(NULL);
	int e;

	fam = strcmp(m->family, "ip") == 0 ? NFPROTO_IPV4 :
	    strcmp(m->family, "ip6") == 0 ? NFPROTO_IPV6 : NFPROTO_INET;
	g.kind = FW_INPUT;
	if ((s = nftnl_set_alloc()) == NULL || (el = nftnl_set_elem_alloc()) ==
	    NULL) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, m->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, m->set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, fam);
	len = grant_key(&g, key, NULL, &dlen);
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
	if (!del)
		nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT,
		    g.until > now ? (uint64_t)(g.until - now) * 1000 : 1000);
	nftnl_set_elem_add(s, el);
	batch_begin(st, &bt);
	bt.msgs++;
	h = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt.b), del ?
	    NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, (uint16_t)fam,
	    (del ? 0 : NLM_F_CREATE) | NLM_F_ACK, st->seq++);
	nftnl_set_elems_nlmsg_build_payload(h, s);
	mnl_nlmsg_batch_next(bt.b);
	nftnl_set_free(s);
	e = batch_send(st, &bt);
	return del && e == -ENOENT ? 0 : e;
}

const struct fw_backend fw_backend_nft = {
	.name = "nftables",
	.kernel_expiry = 1,
	.open = fwn_open,
	.protect = fwn_protect,
	.intact = fwn_intact,
	.rebuild = fwn_rebuild,
	.grants = fwn_grants,
	.watch_fd = fwn_watch_fd,
	.watch_event = fwn_watch_event,
	.apply = fwn_apply,
	.mirror = fwn_mirror,
	.close = fwn_close,
};
