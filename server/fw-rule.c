/* One firewall rule: equality and its description (fw.h).  Apart from
 * fw.c so that the grant records (grants.c) use them without the
 * backends. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "fw.h"

int
fw_rule_same(const struct fw_rule *a, const struct fw_rule *b)
{
	size_t alen = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->proto == b->proto &&
	    a->port == b->port && a->kind == b->kind &&
	    memcmp(a->addr, b->addr, alen) == 0 &&
	    (a->kind == FW_INPUT || a->kind == FW_ONCE ||
	    memcmp(a->dst, b->dst, alen) == 0) &&
	    (a->kind != FW_DNAT || a->dport == b->dport);
}

const char *
fw_rule_str(const struct fw_rule *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *p = r->proto == 6 ? "tcp" : "udp";

	sk_addr_str(r->family, r->addr, a, sizeof(a));
	sk_addr_str(r->family, r->dst, d, sizeof(d));
	switch (r->kind) {
	case FW_FORWARD:
		snprintf(buf, len, "%s/%u of %s for %s", p, r->port, d, a);
		break;
	case FW_DNAT:
		snprintf(buf, len, "%s/%u to %s port %u for %s", p, r->port, d,
		    r->dport, a);
		break;
	case FW_MASQ:
		snprintf(buf, len, "masquerade to %s/%u of %s for %s", p,
		    r->port, d, a);
		break;
	case FW_ONCE:
		snprintf(buf, len, "%s/%u for %s, one connection", p, r->port, a);
		break;
	default:
		snprintf(buf, len, "%s/%u for %s", p, r->port, a);
	}
	return buf;
}
