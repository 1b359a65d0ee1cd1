#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "conntrack.h"
#include "log.h"

/* At most this many connections are ended per grant in one go. */
#define CT_HITS_MAX	4096

struct ct_match {
	int			 family;
	const uint8_t		*addr;
	size_t			 bytes;		/* of addr that must match */
	const struct ct_port	*ports;
	size_t			 n;
	struct nf_conntrack	*hit[CT_HITS_MAX];
	size_t			 nhit;
};

static int
match_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_match *m = data;
	uint8_t proto;
	uint16_t dport;
	size_t i;

	(void)type;
	if (nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) != m->family)
		return NFCT_CB_CONTINUE;
	if (memcmp(nfct_get_attr(ct, m->family == AF_INET ? ATTR_ORIG_IPV4_SRC :
	    ATTR_ORIG_IPV6_SRC), m->addr, m->bytes) != 0)
		return NFCT_CB_CONTINUE;
	proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	for (i = 0; i < m->n; i++)
		if (m->ports[i].proto == proto && m->ports[i].port == dport &&
		    m->nhit < CT_HITS_MAX) {
			if ((m->hit[m->nhit] = nfct_clone(ct)) != NULL)
				m->nhit++;
			break;
		}
	return NFCT_CB_CONTINUE;
}

int
ct_kill(int family, const uint8_t *addr, unsigned prefix,
    const struct ct_port *ports, size_t n)
{
	static struct ct_match m;
	struct nfct_handle *h;
	uint32_t fam = (uint32_t)family;
	size_t i;
	int gone = 0;

	if (n == 0)
		return 0;
	if ((h = nfct_open(CONNTRACK, 0)) == NULL) {
		log_err("conntrack: %s", strerror(errno));
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.family = family;
	m.addr = addr;
	/* Whole bytes: the known list keeps IPv6 sources as /64s. */
	m.bytes = family == AF_INET ? 4 : 16;
	if (prefix != 0 && prefix / 8 < m.bytes)
		m.bytes = prefix / 8;
	m.ports = ports;
	m.n = n;
	nfct_callback_register(h, NFCT_T_ALL, match_cb, &m);
	if (nfct_query(h, NFCT_Q_DUMP, &fam) != 0) {
		log_err("conntrack: cannot list connections: %s",
		    strerror(errno));
		gone = -1;
	}
	nfct_callback_unregister(h);
	for (i = 0; i < m.nhit; i++) {
		/* Already gone (it closed meanwhile) is as good. */
		if (gone >= 0 && (nfct_query(h, NFCT_Q_DESTROY, m.hit[i]) == 0 ||
		    errno == ENOENT))
			gone++;
		nfct_destroy(m.hit[i]);
	}
	nfct_close(h);
	return gone;
}
