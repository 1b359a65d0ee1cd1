/* Firewall: a generic grant table (grant, revoke, expire, flush; a grant
 * that exists already has its expiry extended) over small backends that
 * add and delete rules and commit a batch.  Requests are plain structs,
 * so that a privilege-separated split later moves code, not designs. */
#ifndef SK_FW_H
#define SK_FW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "servconf.h"
#include "wire.h"

/* What a rule opens.  A grant on this host is one FW_INPUT rule per
 * port; a grant through the gateway (sigknock-access.conf(5) GATEWAY) is
 * one FW_FORWARD rule per port, with an FW_DNAT rule when it comes in on
 * a port of the gateway's own and an FW_MASQ rule when the stanza says
 * Masquerade. */
enum fw_rule_kind {
	FW_INPUT = 0,	/* addr may reach this host's proto/port */
	FW_FORWARD,	/* addr may reach dst's proto/port through it */
	FW_DNAT,	/* addr's proto/port here goes to dst's dport */
	FW_MASQ,	/* addr's flows to dst's proto/port leave as ours */
	FW_ONCE,	/* addr may open one new connection to this host's
			 * proto/port, or one it publishes (Grant connection;
			 * the kernel takes it out at the first) */
	/* Inside the libiptc backend only (never in the grant table): an
	 * FW_INPUT grant's twin in the published ports' chain, matching
	 * the port a DNAT'd connection was sent to. */
	FW_PUBLISHED,
};

struct fw_rule {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* the knocker's (bound) address */
	uint8_t		proto;		/* 6 or 17 */
	uint16_t	port;		/* FW_DNAT: the gateway's port */
	time_t		until;		/* wall-clock expiry (UTC seconds) */
	uint8_t		kind;		/* enum fw_rule_kind */
	uint8_t		dst[16];	/* not FW_INPUT: the internal host */
	uint16_t	dport;		/* FW_DNAT: the internal host's port */
};

/* NftSet (sigknock-access.conf(5)): an nft set of the admin's own,
 * "FAMILY TABLE SET", that grants are mirrored into: key
 * ADDR . inet_proto . inet_service, flags timeout. */
#define FW_NFT_NAME_MAX	64
struct fw_mirror {
	char		family[8];		/* ip, ip6, inet */
	char		table[FW_NFT_NAME_MAX];
	char		set[FW_NFT_NAME_MAX];
};

/* IpSet (sigknock-access.conf(5)): ipsets of the admin's own, type
 * hash:ip,port with timeouts, that grants are mirrored into through
 * libipset (server/fw-ipset.c), whatever the backend. */
#define FW_IPSET_NAME_MAX	32	/* IPSET_MAXNAMELEN, with its NUL */
/* 1 when name can be an ipset's (letters, digits, _ . -; not "-..."). */
int	fw_ipset_ok(const char *name);
/* The element of r (FW_INPUT's address, proto and port; its time left
 * as of now as the timeout) into (del 0) or out of set; 0, or -1 with
 * libipset's reason in err.  Deleting one that is gone is no error. */
int	fw_ipset(const char *set, const struct fw_rule *r, time_t now, int del,
	    char *err, size_t errlen);

/* A destination behind the gateway that the forward gate closes. */
struct fw_dest {
	int		family;
	uint8_t		addr[16];
	uint8_t		proto;
	uint16_t	port;
};

#define FW_PROTECTED_MAX	256	/* = ACCESS_OPEN_UNION_MAX */

struct fw_params {
	uint16_t	knock_port;	/* kept silent: dropped by our rules */
	/* The ports the gate closes: every Open port of the access file,
	 * in both backends. */
	size_t		n_protected;
	struct sk_access protected[FW_PROTECTED_MAX];
	/* The first n_open of them are Open ports (the rest are gateway
	 * ports, Forward ... via): the published ports' gate closes those
	 * in the forward path (a gateway port's DNAT is the gateway's own
	 * grant, decided by its forward gate). */
	size_t		n_open;
	/* The destinations behind this host that forward grants open
	 * (every Forward line); with none, no forward gate is built.  nat:
	 * some stanza forwards from a port of ours or masquerades. */
	size_t		n_forward;
	struct fw_dest	forward[FW_PROTECTED_MAX];
	int		nat;
	/* PassMark: packets whose mark & pass_mask is pass_mark pass the
	 * input gate as a grant would (pass_mask 0: none). */
	uint32_t	pass_mark, pass_mask;
	/* nftables: where to write the gate as an nft include file, for
	 * the admin's nftables.conf (NULL: nowhere). */
	const char	*snippet;
};

/* A change for the kernel: add or delete one grant. */
struct fw_op {
	int		del;
	struct fw_rule	r;
};

/* A backend found this rule already installed at start (adopt it). */
typedef void (*fw_adopt_cb)(void *arg, const struct fw_rule *r);

struct fw_backend {
	const char	*name;
	int		 kernel_expiry;	/* the kernel removes grants itself */
	int	(*open)(void **st, const struct fw_params *p, time_t now,
		    fw_adopt_cb adopt, void *arg);
	/* Optional: the protected ports changed (SIGHUP). */
	int	(*protect)(void *st, const struct fw_params *p);
	/* Optional: 1 when our objects and the gate are whole, 0 when
	 * someone removed them (a flushed ruleset, a restore), -1 when it
	 * cannot tell.  Cheap: called every second. */
	int	(*intact)(void *st);
	/* Optional, for backends without change notifications (watch_fd):
	 * 1 when the kernel's tables changed since our last change (one
	 * cheap question, asked FW_PROBE_S apart), else 0. */
	int	(*changed)(void *st);
	/* Optional: build the gate again from scratch, without grants (the
	 * generic layer adds every live grant again). */
	int	(*rebuild)(void *st, const struct fw_params *p);
	/* Optional: how many grants the kernel holds, or -1. */
	int	(*grants)(void *st);
	/* Optional: a descriptor that becomes readable when the ruleset
	 * changes, and how to drain it (1: something changed that is not
	 * ours, check now). */
	int	(*watch_fd)(void *st);
	int	(*watch_event)(void *st);
	/* Apply ops, in order, as one batch (one kernel transaction where
	 * the backend has them).  Deleting a grant that is already gone is
	 * no error. */
	int	(*apply)(void *st, const struct fw_op *ops, size_t n);
	/* Optional: add (del 0) or delete the element for r (FW_INPUT's
	 * address, proto and port, r->until) in the admin's set m, in a
	 * transaction of its own; deleting one that is gone is no error. */
	int	(*mirror)(void *st, const struct fw_mirror *m,
		    const struct fw_rule *r, int del);
	void	(*close)(void *st);
};

extern const struct fw_backend fw_backend_log;
extern const struct fw_backend fw_backend_iptc;
extern const struct fw_backend fw_backend_nft;

struct fw;

/* 1 when a and b are the same rule (expiry aside). */
int	fw_rule_same(const struct fw_rule *a, const struct fw_rule *b);
/* "tcp/22 for 10.0.0.2", "tcp/22 of 10.1.0.5 for 10.0.0.2"... */
const char *fw_rule_str(const struct fw_rule *r, char *buf, size_t len);

/* Pick the backend for kind (auto: see fw_open's log line), install our
 * objects and adopt live grants. */
int	fw_open(enum fw_kind kind, const struct fw_params *p, time_t now,
	    struct fw **out);
/* Open or extend; takes effect at the next fw_commit. */
int	fw_grant(struct fw *fw, const struct fw_rule *r);
int	fw_revoke(struct fw *fw, const struct fw_rule *r);
/* The protected ports changed (access file reloaded). */
int	fw_protect(struct fw *fw, const struct fw_params *p);
/* Revoke every grant whose time has come (backends with kernel expiry
 * have done it already: the grant is only forgotten). */
int	fw_expire(struct fw *fw, time_t now);
/* Revoke every grant. */
int	fw_flush(struct fw *fw);
/* Apply what is pending in one batch. */
int	fw_commit(struct fw *fw);
/* Check that the gate is whole and, when someone removed it (nft flush
 * ruleset, a reload of nftables.service, iptables-restore), build it
 * again and re-add every live grant with its remaining time.  With deep
 * (after a ruleset change), also re-add the grants when the kernel holds
 * fewer than are live (the table was replaced by one from the include
 * snippet).  1 when it repaired, 0 when all was well, negative on
 * failure (logged). */
int	fw_heal(struct fw *fw, time_t now, int deep);
/* The backend's ruleset-change descriptor, or -1; fw_watch_event drains
 * it and returns 1 when fw_heal should run now. */
int	fw_watch_fd(const struct fw *fw);
/* Backends with a change probe (changed): 1 when someone else changed
 * the ruleset since our last change, then fw_heal deep; 0 when not; -1
 * when the backend has no probe.  Asked every FW_PROBE_S. */
#define FW_PROBE_S	0.05
int	fw_changed(struct fw *fw);
int	fw_watch_event(struct fw *fw);
/* The earliest expiry among live grants, or 0 when none. */
time_t	fw_next_expiry(const struct fw *fw);
size_t	fw_count(const struct fw *fw);
/* NftSet: the element for r into (del 0) or out of m, at once.  0, or
 * negative: SK_ERR_INVALID_ARG when the backend has no such sets
 * (libiptc), else -errno from the kernel (not logged). */
int	fw_mirror(struct fw *fw, const struct fw_mirror *m,
	    const struct fw_rule *r, int del);
int	fw_can_mirror(const struct fw *fw);
/* The live grants, fw_count of them (valid until the next change). */
const struct fw_rule *fw_rules(const struct fw *fw);
const char *fw_name(const struct fw *fw);
void	fw_close(struct fw *fw);

/* 1 when the host filters INPUT through nf_tables (nftables or
 * iptables-nft) in a table that is not ours: then rules in the legacy
 * tables cannot open anything a drop there closes.  0 when not, -1 when
 * it cannot tell. */
int	fw_host_uses_nftables(void);
/* 1 when a legacy x_tables filter table exists. */
int	fw_host_uses_legacy(void);
/* Is table of family af (AF_INET, AF_INET6) a legacy x_tables table that
 * something created?  Asking iptc_init would create it. */
int	fw_legacy_table_listed(int af, const char *table);
/* Take down a backend's gate, for good: the nftables table inet
 * sigknock, or the iptables/ip6tables chains and their jumps (legacy
 * tables that exist only).  Each removal is logged; the number removed
 * (0: none there), or -1 (logged). */
int	fw_nft_remove_gate(void);
/* Grants of the nftables backend set this bit of the packet mark (and
 * so do the established flows of protected ports), so that a host's own
 * default-deny input chain can accept what the gate accepts. */
#define FW_GRANT_MARK	0x10000000u
/* Base chains of other tables on the input hook (forward: the forward
 * hook, by their last rule only) that drop by policy or by their last
 * rule, each warned about with the rule to add; how many, or -1. */
int	fw_nft_warn_default_deny(uint32_t mark, int forward);
int	fw_legacy_remove_gate(void);
/* 1 when that table holds a rule, a chain or a policy that is not ours
 * (iptables-legacy in use); an empty table, or only our chain, is 0. */
int	fw_host_legacy_rules(void);
/* Name, in warnings, what the other framework holds that can still stop
 * a protected port: legacy INPUT rules that drop or reject one of them
 * (or every port), and nftables input chains. */
void	fw_legacy_warn_drops(const struct fw_params *p);
void	fw_nft_warn_chains(void);
/* A gateway: name what else can drop forwarded traffic (nftables base
 * chains on the forward hook with policy drop, a legacy FORWARD policy
 * of DROP); 1 when something was named. */
int	fw_nft_warn_forward_drops(void);
int	fw_legacy_warn_forward_drop(void);
/* 1 when Docker's chains are here (DOCKER or DOCKER-USER, in nf_tables
 * through iptables-nft or in the legacy filter table), with where they
 * are in where; else 0. */
int	fw_docker_chains(char *where, size_t len);
/* 1 when the legacy IPv4 filter table has that chain. */
int	fw_legacy_has_chain(const char *chain);

#endif
