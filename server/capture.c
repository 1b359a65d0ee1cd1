#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "err.h"
#include "log.h"
#include "wire.h"

#define SNAPLEN		2048
#define BUFFER_SIZE	(16 << 20)	/* absorbs floods while we catch up */
#define BATCH		256

struct capture {
	pcap_t		*p;
	int		 dlt;
	int		 fd;
	uint16_t	 port;
	capture_cb	 cb;
	void		*arg;
	uint64_t	*malformed;
};

int
capture_open(const char *iface, uint16_t port, struct capture **out)
{
	char err[PCAP_ERRBUF_SIZE], filter[256];
	struct bpf_program prog;
	struct capture *c;
	int r = SK_ERR_IO;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SK_ERR_ALLOC;
	c->port = port;
	err[0] = '\0';
	if ((c->p = pcap_create(iface, err)) == NULL) {
		log_err("capture on %s: %s", iface, err);
		goto fail;
	}
	if (pcap_set_snaplen(c->p, SNAPLEN) != 0 ||
	    pcap_set_promisc(c->p, 0) != 0 ||
	    pcap_set_immediate_mode(c->p, 1) != 0 ||
	    pcap_set_buffer_size(c->p, BUFFER_SIZE) != 0) {
		log_err("capture on %s: cannot set options", iface);
		goto fail;
	}
	if ((r = pcap_activate(c->p)) < 0) {
		log_err("capture on %s: %s%s", iface, pcap_geterr(c->p),
		    r == PCAP_ERROR_PERM_DENIED ? " (needs CAP_NET_RAW)" : "");
		r = SK_ERR_IO;
		goto fail;
	}
	if (r > 0)
		log_warn("capture on %s: %s", iface, pcap_statustostr(r));
	r = SK_ERR_IO;
	if (pcap_setdirection(c->p, PCAP_D_IN) != 0)
		log_warn("capture on %s: cannot restrict to inbound packets: %s",
		    iface, pcap_geterr(c->p));
	/* What can be a knock, decided in the kernel: UDP to the port and
	 * no shorter than the smallest datagram (IPv4: total length; IPv6:
	 * payload length, which counts extension headers too, so it is a
	 * bound, not an equality).  libpcap's "udp" on IPv6 matches only
	 * UDP as the first next header: packets with extension headers
	 * (hop-by-hop, routing, destination options; rare) go to
	 * packet.c, which walks them and checks the port. */
	snprintf(filter, sizeof(filter), "(ip and udp dst port %u and "
	    "ip[2:2] >= %u) or (ip6 and ip6[4:2] >= %u and (udp dst port %u or "
	    "ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 60))", port,
	    20 + 8 + SK_DATAGRAM_MIN, 8 + SK_DATAGRAM_MIN, port);
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(c->p, &prog) != 0) {
		log_err("capture on %s: filter '%s': %s", iface, filter,
		    pcap_geterr(c->p));
		pcap_freecode(&prog);
		goto fail;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(c->p, 1, err) != 0 ||
	    (c->fd = pcap_get_selectable_fd(c->p)) < 0) {
		log_err("capture on %s: no pollable descriptor", iface);
		goto fail;
	}
	c->dlt = pcap_datalink(c->p);
	switch (c->dlt) {
	case PKT_DLT_EN10MB:
	case PKT_DLT_RAW:
	case PKT_DLT_LINUX_SLL:
	case PKT_DLT_RAW_LINKTYPE:
	case PKT_DLT_IPV4:
	case PKT_DLT_IPV6:
	case PKT_DLT_LINUX_SLL2:
		break;
	default:
		log_err("capture on %s: link type %s is not supported", iface,
		    pcap_datalink_val_to_name(c->dlt));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	capture_close(c);
	return r;
}

int
capture_fd(const struct capture *c)
{
	return c->fd;
}

const char *
capture_linktype(const struct capture *c)
{
	const char *n = pcap_datalink_val_to_name(c->dlt);

	return n ? n : "unknown";
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;
	struct pkt_info pi;
	int r;

	/* A frame cut by the snap length would parse as truncated. */
	if ((r = packet_parse(c->dlt, bytes, h->caplen, &pi)) != 0) {
		if (r != SK_ERR_UNKNOWN_CRITICAL)	/* not ours: ignored */
			(*c->malformed)++;
		return;
	}
	/* The filter lets IPv6 with extension headers through whatever
	 * follows them: only now is the port known. */
	if (pi.dport != c->port)
		return;
	c->cb(c->arg, &pi);
}

int
capture_dispatch(struct capture *c, capture_cb cb, void *arg,
    uint64_t *malformed)
{
	int n;

	c->cb = cb;
	c->arg = arg;
	c->malformed = malformed;
	if ((n = pcap_dispatch(c->p, BATCH, on_packet, (u_char *)c)) < 0) {
		log_err("capture: %s", pcap_geterr(c->p));
		return SK_ERR_IO;
	}
	return n;
}

void
capture_stats(struct capture *c, unsigned *recv, unsigned *drop)
{
	struct pcap_stat st;

	*recv = *drop = 0;
	if (pcap_stats(c->p, &st) == 0) {
		*recv = st.ps_recv;
		*drop = st.ps_drop + st.ps_ifdrop;
	}
}

void
capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		pcap_close(c->p);
	free(c);
}
