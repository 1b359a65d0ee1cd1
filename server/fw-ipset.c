/* IpSet (sigknock-access.conf(5)): a grant's ports mirrored into ipsets
 * of the admin's own (type hash:ip,port, made with a timeout), through
 * libipset: one netlink command per element in the monitor, never an
 * ipset(8) process.  The kernel ends each element at the grant's expiry;
 * the admin's iptables rules (-m set --match-set SET src,dst) act on
 * them.  Independent of the firewall backend.  This is the only file
 * that includes libipset's headers. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libipset/ipset.h>

#include "fw.h"

#if FW_IPSET_NAME_MAX != IPSET_MAXNAMELEN
#error "FW_IPSET_NAME_MAX is not libipset's IPSET_MAXNAMELEN"
#endif
#include "addr.h"

struct ipset_err {
	char	*buf;
	size_t	 len;
};

/* libipset's own errors ("The set with the given name does not
 * exist"), kept for the caller's log line instead of its stderr. */
static int
custom_error(struct ipset *is, void *p, int status, const char *msg, ...)
{
	struct ipset_err *e = p;
	va_list ap;

	(void)is;
	(void)status;
	va_start(ap, msg);
	vsnprintf(e->buf, e->len, msg, ap);
	va_end(ap);
	return -1;
}

static int
standard_error(struct ipset *is, void *p)
{
	struct ipset_err *e = p;
	struct ipset_session *s = ipset_session(is);
	const char *m = ipset_session_report_msg(s);
	int warning = ipset_session_report_type(s) == IPSET_WARNING;

	if (!warning)
		snprintf(e->buf, e->len, "%s", m != NULL && *m != '\0' ? m :
		    "ipset refused it");
	ipset_session_report_reset(s);
	return warning ? 0 : -1;
}

static int
print_nothing(struct ipset_session *s, void *p, const char *fmt, ...)
{
	(void)s;
	(void)p;
	(void)fmt;
	return 0;
}

int
fw_ipset_ok(const char *name)
{
	size_t i, n = strlen(name);

	/* What ipset(8) itself takes, less anything that could read as an
	 * option. */
	if (n == 0 || n >= FW_IPSET_NAME_MAX || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    strchr("_.-", name[i]) != NULL))
			return 0;
	return 1;
}

int
fw_ipset(const char *set, const struct fw_rule *r, time_t now, int del,
    char *err, size_t errlen)
{
	static int types;
	struct ipset_err e = { err, errlen };
	struct ipset *is;
	char a[INET6_ADDRSTRLEN], elem[INET6_ADDRSTRLEN + 16], tmo[24];
	char *argv[8];
	int argc = 0, rc;

	if (!fw_ipset_ok(set)) {
		snprintf(err, errlen, "not an ipset name");
		return -1;
	}
	err[0] = '\0';
	if (!types) {
		ipset_load_types();
		types = 1;
	}
	if ((is = ipset_init()) == NULL) {
		snprintf(err, errlen, "libipset: out of memory");
		return -1;
	}
	ipset_custom_printf(is, custom_error, standard_error, print_nothing,
	    &e);
	snprintf(elem, sizeof(elem), "%s,%s:%u", sk_addr_str(r->family, r->addr,
	    a, sizeof(a)), r->proto == 6 ? "tcp" : "udp", r->port);
	snprintf(tmo, sizeof(tmo), "%lld", r->until > now ?
	    (long long)(r->until - now) : 1LL);
	argv[argc++] = (char *)"sigknockd";
	argv[argc++] = (char *)(del ? "del" : "add");
	argv[argc++] = (char *)set;
	argv[argc++] = elem;
	if (!del) {
		argv[argc++] = (char *)"timeout";
		argv[argc++] = tmo;
	}
	/* -exist: adding again refreshes the timeout; deleting one that
	 * is gone (expired) is no error. */
	argv[argc++] = (char *)"-exist";
	argv[argc] = NULL;
	/* Its return value says nothing of a refusal by the kernel (a
	 * missing set returns 0): the error handlers' message does. */
	rc = ipset_parse_argv(is, argc, argv);
	ipset_fini(is);
	if (rc == 0 && err[0] == '\0')
		return 0;
	if (err[0] == '\0')
		snprintf(err, errlen, "ipset refused it");
	return -1;
}
