/* sigknockd.conf: keyword table, every option "unset" until the file or
 * the defaults fill it (OpenSSH servconf style). */
#ifndef SK_SERVCONF_H
#define SK_SERVCONF_H

#include <stdint.h>
#include <stdio.h>

enum fw_kind {
	FW_UNSET = -1,
	FW_AUTO = 0,
	FW_IPTABLES,
	FW_NFTABLES,
	FW_LOG,
};

/* MaxPacketAge's upper bound: replay entries are kept this long past a
 * request's timestamp, so that no reload can ever accept one again. */
#define MAX_PACKET_AGE_MAX	3600
#define KNOWN_PERIOD_MAX	3650	/* days */
#define KNOWN_PERIOD_DEFAULT	30
#define AUDIT_LOG_SIZE_DEFAULT	(64LL << 20)
#define METRICS_INTERVAL_DEFAULT	15
#define MAX_GRANTS_MAX		1000000

struct server_config {
	char		*interface;
	long		 port;
	char		*server_key;
	char		*prev_server_key;	/* during a rotation, or NULL */
	char		*keyring;
	char		*access_file;
	enum fw_kind	 firewall;
	char		*state_dir;
	long		 max_packet_age;
	long		 known_period;		/* days; 0: no known lane */
	char		*pid_file;
	int		 kill_connections;	/* end a revoked grant's flows */
	uint32_t	 pass_mark;		/* PassMark; mask 0: none */
	uint32_t	 pass_mask;
	char		*audit_log;		/* AuditLog; NULL: none */
	int		 audit_log_set;
	int64_t		 audit_log_size;	/* bytes a file; 0: no rotation */
	char		*metrics_file;		/* MetricsFile; NULL: none */
	int		 metrics_file_set;
	long		 metrics_interval;	/* seconds */
	int		 log_json;		/* LogFormat json */
	long		 max_grants;		/* live grants in all; 0: no cap */
};

/* Read path into cfg (which starts unset), then fill defaults (path
 * NULL: the defaults alone).  Errors name file, line, keyword and
 * problem. */
int	config_load(const char *path, struct server_config *cfg);
void	config_free(struct server_config *cfg);
/* -T: every keyword with its effective value. */
void	config_print(const struct server_config *cfg, FILE *f);
const char *config_firewall_name(enum fw_kind k);

#endif
