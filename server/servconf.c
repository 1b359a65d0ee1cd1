#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "err.h"
#include "fw.h"
#include "log.h"
#include "paths.h"
#include "servconf.h"
#include "wire.h"

enum keyword {
	K_INTERFACE, K_PORT, K_SERVERKEY, K_PREVSERVERKEY, K_KEYRING,
	K_ACCESSFILE, K_FIREWALL, K_STATEDIR, K_MAXPACKETAGE, K_PIDFILE,
	K_KNOWNPERIOD, K_KILLCONN, K_PASSMARK, K_AUDITLOG, K_AUDITLOGSIZE,
	K_METRICSFILE, K_METRICSINTERVAL, K_LOGFORMAT, K_MAXGRANTS,
};

static const struct {
	const char	*name;
	enum keyword	 kw;
} keywords[] = {
	{ "Interface", K_INTERFACE },
	{ "Port", K_PORT },
	{ "ServerKey", K_SERVERKEY },
	{ "PreviousServerKey", K_PREVSERVERKEY },
	{ "Keyring", K_KEYRING },
	{ "AccessFile", K_ACCESSFILE },
	{ "Firewall", K_FIREWALL },
	{ "StateDir", K_STATEDIR },
	{ "MaxPacketAge", K_MAXPACKETAGE },
	{ "PidFile", K_PIDFILE },
	{ "KnownPeriod", K_KNOWNPERIOD },
	{ "KillConnections", K_KILLCONN },
	{ "PassMark", K_PASSMARK },
	{ "AuditLog", K_AUDITLOG },
	{ "AuditLogSize", K_AUDITLOGSIZE },
	{ "MetricsFile", K_METRICSFILE },
	{ "MetricsInterval", K_METRICSINTERVAL },
	{ "LogFormat", K_LOGFORMAT },
	{ "MaxGrants", K_MAXGRANTS },
};

static const char *fw_names[] = { "auto", "iptables", "nftables", "log" };

const char *
config_firewall_name(enum fw_kind k)
{
	return k >= FW_AUTO && k <= FW_LOG ? fw_names[k] : "unset";
}

static int
set_str(const struct conf_line *l, char **field, int path)
{
	if (*field != NULL)
		return 0;	/* first value wins, as in sshd_config */
	if (path && l->value[0] != '/')
		return conf_error(l, "'%s' is not an absolute path", l->value);
	if ((*field = strdup(l->value)) == NULL)
		return SK_ERR_ALLOC;
	return 0;
}

/* An absolute path, or "none" (the default), whichever comes first. */
static int
set_path_or_none(const struct conf_line *l, char **field, int *set)
{
	if (*set)
		return 0;
	*set = 1;
	if (strcasecmp(l->value, "none") == 0)
		return 0;
	return set_str(l, field, 1);
}

/* "none", or VALUE[/MASK] in hex (0x...) or decimal, MASK defaulting to
 * VALUE: packets whose mark has those bits pass the gate. */
static int
pass_mark(const struct conf_line *l, struct server_config *c)
{
	unsigned long long v, m;
	char *end;

	if (c->pass_mask != 0 || c->pass_mark != 0)
		return 0;	/* first value wins */
	if (strcasecmp(l->value, "none") == 0)
		return 0;
	errno = 0;
	v = strtoull(l->value, &end, 0);
	m = v;
	if (errno == 0 && *end == '/')
		m = strtoull(end + 1, &end, 0);
	if (errno != 0 || *end != '\0' || l->value[0] == '-' || v > 0xffffffffULL ||
	    m > 0xffffffffULL || m == 0 || (v & ~m) != 0)
		return conf_error(l, "'%s': give none, or VALUE[/MASK] (such as "
		    "0x20000000), VALUE within a non-zero MASK", l->value);
	if ((m & FW_GRANT_MARK) != 0)
		return conf_error(l, "'%s' tests bit 0x%08x, which the gate "
		    "itself sets on what it lets through", l->value,
		    FW_GRANT_MARK);
	c->pass_mark = (uint32_t)v;
	c->pass_mask = (uint32_t)m;
	return 0;
}

/* A size in bytes, with an optional K, M or G (powers of 1024). */
static int
size_value(const struct conf_line *l, int64_t *out)
{
	static const char units[] = "KMG";
	unsigned long long v;
	unsigned shift = 0;
	const char *unit;
	char *end;

	errno = 0;
	v = strtoull(l->value, &end, 10);
	if (end != l->value && *end != '\0' && end[1] == '\0' &&
	    (unit = strchr(units, toupper((unsigned char)*end))) != NULL) {
		shift = 10 * (unsigned)(unit - units + 1);
		end++;
	}
	if (errno != 0 || end == l->value || *end != '\0' ||
	    l->value[0] == '-' || v > (1ULL << 40) >> shift)
		return conf_error(l, "'%s' is not a size (such as 64M; 0: "
		    "never rotate)", l->value);
	if (v != 0 && (v << shift) < 4096)
		return conf_error(l, "'%s': give at least 4K, or 0 (never "
		    "rotate)", l->value);
	if (*out < 0)
		*out = (int64_t)(v << shift);
	return 0;
}

static int
line(void *arg, const struct conf_line *l)
{
	struct server_config *c = arg;
	unsigned long v;
	size_t i;

	if (l->is_section)
		return conf_error(l, "sections ([%s]) belong in the access file, "
		    "not here", l->section);
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcasecmp(l->key, keywords[i].name) == 0)
			break;
	if (i == sizeof(keywords) / sizeof(keywords[0]))
		return conf_error(l, "unknown keyword");
	switch (keywords[i].kw) {
	case K_INTERFACE:
		if (strlen(l->value) > 64 || strpbrk(l->value, " \t/"))
			return conf_error(l, "'%s' is not an interface name",
			    l->value);
		return set_str(l, &c->interface, 0);
	case K_PORT:
		if (conf_uint(l, 1, 65535, &v) != 0)
			return SK_ERR_BAD_FIELD;
		if (c->port < 0)
			c->port = (long)v;
		return 0;
	case K_SERVERKEY:
		return set_str(l, &c->server_key, 1);
	case K_PREVSERVERKEY:
		return set_str(l, &c->prev_server_key, 1);
	case K_KEYRING:
		return set_str(l, &c->keyring, 1);
	case K_ACCESSFILE:
		return set_str(l, &c->access_file, 1);
	case K_STATEDIR:
		return set_str(l, &c->state_dir, 1);
	case K_PIDFILE:
		return set_str(l, &c->pid_file, 1);
	case K_MAXPACKETAGE:
		if (conf_uint(l, 1, MAX_PACKET_AGE_MAX, &v) != 0)
			return SK_ERR_BAD_FIELD;
		if (c->max_packet_age < 0)
			c->max_packet_age = (long)v;
		return 0;
	case K_KNOWNPERIOD:
		if (conf_uint(l, 0, KNOWN_PERIOD_MAX, &v) != 0)
			return SK_ERR_BAD_FIELD;
		if (c->known_period < 0)
			c->known_period = (long)v;
		return 0;
	case K_KILLCONN: {
		int yes;

		if (conf_bool(l, &yes) != 0)
			return SK_ERR_BAD_FIELD;
		if (c->kill_connections < 0)
			c->kill_connections = yes;
		return 0;
	}
	case K_PASSMARK:
		return pass_mark(l, c);
	case K_AUDITLOG:
		return set_path_or_none(l, &c->audit_log, &c->audit_log_set);
	case K_AUDITLOGSIZE:
		return size_value(l, &c->audit_log_size);
	case K_METRICSFILE:
		if (!c->metrics_file_set && strcasecmp(l->value, "none") != 0 &&
		    (strlen(l->value) < 6 || strcmp(l->value +
		    strlen(l->value) - 5, ".prom") != 0))
			return conf_error(l, "'%s': node_exporter reads only "
			    "files whose names end in .prom", l->value);
		return set_path_or_none(l, &c->metrics_file,
		    &c->metrics_file_set);
	case K_LOGFORMAT:
		if (strcasecmp(l->value, "text") != 0 &&
		    strcasecmp(l->value, "json") != 0)
			return conf_error(l, "'%s' is not one of text, json",
			    l->value);
		if (c->log_json < 0)
			c->log_json = strcasecmp(l->value, "json") == 0;
		return 0;
	case K_MAXGRANTS:
		if (c->max_grants >= 0)
			return 0;
		if (strcasecmp(l->value, "none") == 0)
			c->max_grants = 0;
		else if (conf_uint(l, 1, MAX_GRANTS_MAX, &v) != 0)
			return SK_ERR_BAD_FIELD;
		else
			c->max_grants = (long)v;
		return 0;
	case K_METRICSINTERVAL:
		if (conf_uint(l, 1, 3600, &v) != 0)
			return SK_ERR_BAD_FIELD;
		if (c->metrics_interval < 0)
			c->metrics_interval = (long)v;
		return 0;
	case K_FIREWALL:
		for (i = 0; i < sizeof(fw_names) / sizeof(fw_names[0]); i++)
			if (strcasecmp(l->value, fw_names[i]) == 0)
				break;
		if (i == sizeof(fw_names) / sizeof(fw_names[0]))
			return conf_error(l, "'%s' is not one of auto, iptables, "
			    "nftables, log", l->value);
		if (c->firewall == FW_UNSET)
			c->firewall = (enum fw_kind)i;
		return 0;
	}
	return conf_error(l, "unhandled keyword");
}

static int
fill(char **field, const char *def)
{
	if (*field == NULL && (*field = strdup(def)) == NULL)
		return SK_ERR_ALLOC;
	return 0;
}

int
config_load(const char *path, struct server_config *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->port = -1;
	c->max_packet_age = -1;
	c->known_period = -1;
	c->kill_connections = -1;
	c->firewall = FW_UNSET;
	c->audit_log_size = -1;
	c->metrics_interval = -1;
	c->log_json = -1;
	c->max_grants = -1;
	if (path != NULL &&
	    (r = conf_read(path, CONF_PERM_NOT_WRITABLE, line, c)) != 0) {
		if (r == SK_ERR_IO)
			log_err("cannot read %s: %m", path);
		return r;
	}
	if (c->port < 0)
		c->port = SK_DEFAULT_PORT;
	if (c->max_packet_age < 0)
		c->max_packet_age = 120;
	if (c->known_period < 0)
		c->known_period = KNOWN_PERIOD_DEFAULT;
	if (c->firewall == FW_UNSET)
		c->firewall = FW_AUTO;
	if (c->kill_connections < 0)
		c->kill_connections = 1;
	if (c->audit_log_size < 0)
		c->audit_log_size = AUDIT_LOG_SIZE_DEFAULT;
	if (c->metrics_interval < 0)
		c->metrics_interval = METRICS_INTERVAL_DEFAULT;
	if (c->log_json < 0)
		c->log_json = 0;
	if (c->max_grants < 0)
		c->max_grants = 0;
	if ((r = fill(&c->interface, "any")) || (r = fill(&c->server_key,
	    SK_SERVER_KEY_FILE)) || (r = fill(&c->keyring, SK_KEYRING_DIR)) ||
	    (r = fill(&c->access_file, SK_ACCESS_FILE)) ||
	    (r = fill(&c->state_dir, SK_STATE_DIR)) ||
	    (r = fill(&c->pid_file, SK_PID_FILE)))
		return r;
	return 0;
}

void
config_free(struct server_config *c)
{
	free(c->interface);
	free(c->server_key);
	free(c->prev_server_key);
	free(c->keyring);
	free(c->access_file);
	free(c->state_dir);
	free(c->pid_file);
	free(c->audit_log);
	free(c->metrics_file);
	memset(c, 0, sizeof(*c));
}

void
config_print(const struct server_config *c, FILE *f)
{
	fprintf(f, "Interface %s\nPort %ld\nServerKey %s\n"
	    "PreviousServerKey %s\nKeyring %s\n"
	    "AccessFile %s\nFirewall %s\nStateDir %s\nMaxPacketAge %ld\n"
	    "KnownPeriod %ld\nPidFile %s\nKillConnections %s\n", c->interface,
	    c->port,
	    c->server_key, c->prev_server_key ? c->prev_server_key : "none",
	    c->keyring, c->access_file, config_firewall_name(c->firewall),
	    c->state_dir, c->max_packet_age, c->known_period, c->pid_file,
	    c->kill_connections ? "yes" : "no");
	if (c->pass_mask == 0)
		fprintf(f, "PassMark none\n");
	else
		fprintf(f, "PassMark 0x%08x/0x%08x\n", c->pass_mark,
		    c->pass_mask);
	fprintf(f, "AuditLog %s\nAuditLogSize %lld\nMetricsFile %s\n"
	    "MetricsInterval %ld\nLogFormat %s\n", c->audit_log ?
	    c->audit_log : "none", (long long)c->audit_log_size,
	    c->metrics_file ? c->metrics_file : "none", c->metrics_interval,
	    c->log_json ? "json" : "text");
	if (c->max_grants == 0)
		fprintf(f, "MaxGrants none\n");
	else
		fprintf(f, "MaxGrants %ld\n", c->max_grants);
}
