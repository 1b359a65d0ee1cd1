/* Packet capture with libpcap (the only file that includes <pcap.h>). */
#ifndef SK_CAPTURE_H
#define SK_CAPTURE_H

#include <stdint.h>

#include "packet.h"

struct capture;

typedef void (*capture_cb)(void *arg, const struct pkt_info *pi);

/* Capture inbound UDP to port on iface ("any" allowed), immediate mode. */
int	capture_open(const char *iface, uint16_t port, struct capture **out);
/* A descriptor poll() reports readable when packets wait. */
int	capture_fd(const struct capture *c);
/* Hand every waiting packet to cb; frames that do not parse are counted
 * in *malformed.  Never blocks. */
int	capture_dispatch(struct capture *c, capture_cb cb, void *arg,
	    uint64_t *malformed);
/* Kernel counters: packets received and dropped by the capture buffer. */
void	capture_stats(struct capture *c, unsigned *recv, unsigned *drop);
const char *capture_linktype(const struct capture *c);
void	capture_close(struct capture *c);

#endif
