#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "err.h"
#include "fileio.h"
#include "grants.h"
#include "log.h"
#include "metrics.h"

/* Upper bounds of the latency buckets, seconds: a knock opens in about
 * a millisecond when idle, seconds under a flood. */
static const double lat_le[METRICS_LAT_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	5,
};

void
metrics_lat_observe(struct metrics_lat *h, double s)
{
	size_t i;

	if (s < 0)
		s = 0;
	for (i = 0; i < METRICS_LAT_BUCKETS; i++)
		if (s <= lat_le[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += s;
}

/* A label value: backslash, double quote and newline escaped. */
static void
label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
one(FILE *f, const char *name, const char *type, const char *help,
    uint64_t v)
{
	head(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

struct reason {
	const char	*name;
	size_t		 off;
};
#define R(label, field)	{ label, offsetof(struct knock_stats, field) }

static uint64_t
at(const struct knock_stats *st, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)st + off, sizeof(v));
	return v;
}

static void
by_reason(FILE *f, const struct knock_stats *st, const char *name,
    const char *help, const struct reason *r, size_t n)
{
	size_t i;

	head(f, name, "counter", help);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{reason=\"%s\"} %" PRIu64 "\n", name, r[i].name,
		    at(st, r[i].off));
}

void
metrics_write(const struct metrics_in *m, FILE *f)
{
	/* Before a datagram is opened: anyone can send these. */
	static const struct reason dropped[] = {
		R("not_udp_ip", malformed), R("bad_size", bad_size),
		R("bad_mac1", bad_mac), R("duplicate", duplicate),
		R("shed", shed), R("decrypt", decrypt),
	};
	/* Opened: the refusal classes of the log (sigknockd(8), LOGS). */
	static const struct reason refused[] = {
		R("bad_request", bad_request), R("stale", stale),
		R("wrong_server", wrong_server), R("replayed", replayed),
		R("unknown_signer", unknown_signer),
		R("bad_signature", bad_signature), R("policy", policy),
		R("monitor_refused", monitor_refused), R("capped", capped),
	};
	static const struct reason work[] = {
		R("valid", work), R("refused", work_refused),
		R("copy", work_copy), R("unrecorded", work_unrecorded),
	};
	static const char *lanes[] = { "stranger", "work", "known" };
	const struct knock_stats *st = &m->st;
	uint64_t cum = 0;
	size_t i, j, n;

	one(f, "sigknock_datagrams_received_total", "counter",
	    "Datagrams captured on the knock port.", st->received);
	by_reason(f, st, "sigknock_datagrams_dropped_total", "Datagrams "
	    "dropped before their request was opened, by reason.", dropped,
	    sizeof(dropped) / sizeof(dropped[0]));
	by_reason(f, st, "sigknock_knocks_refused_total", "Opened requests "
	    "refused, by reason (the log's refusal classes).", refused,
	    sizeof(refused) / sizeof(refused[0]));
	one(f, "sigknock_knocks_granted_total", "counter",
	    "Knocks granted: the grant is in the kernel.", st->granted);
	one(f, "sigknock_knocks_granted_previous_key_total", "counter",
	    "Of the granted, sealed to the previous server key.",
	    st->granted_prev);
	one(f, "sigknock_grant_failures_total", "counter", "Knocks that "
	    "passed every check but could not be granted.", st->grant_failed);
	one(f, "sigknock_audit_failures_total", "counter", "Grants whose "
	    "record could not be written to the AuditLog.", st->audit_failed);
	one(f, "sigknock_close_requests_total", "counter", "Signed requests "
	    "of users to close their own grants (sigknock --close).",
	    st->close_requests);
	one(f, "sigknock_known_lane_total", "counter", "Datagrams queued in "
	    "the lane of sources known from earlier knocks.", st->known_lane);
	head(f, "sigknock_work_total", "counter", "Datagrams carrying proof "
	    "of work, by what it proved.");
	for (i = 0; i < sizeof(work) / sizeof(work[0]); i++)
		fprintf(f, "sigknock_work_total{result=\"%s\"} %" PRIu64 "\n",
		    work[i].name, at(st, work[i].off));
	head(f, "sigknock_verification_queue_datagrams", "gauge",
	    "Datagrams waiting for verification, by lane.");
	for (i = 0; i < 3; i++)
		fprintf(f, "sigknock_verification_queue_datagrams{lane=\"%s\"} "
		    "%" PRIu64 "\n", lanes[i], m->lane[i]);
	one(f, "sigknock_verification_queue_prefixes", "gauge", "Source "
	    "prefixes with datagrams waiting.", m->prefixes);
	head(f, "sigknock_verification_wait_max_seconds", "gauge",
	    "The longest wait from capture to verdict since the start.");
	fprintf(f, "sigknock_verification_wait_max_seconds %.6f\n",
	    st->wait_max);
	head(f, "sigknock_knock_to_open_seconds", "histogram", "From the "
	    "datagram's capture to its grant in the kernel.");
	for (i = 0; i < METRICS_LAT_BUCKETS; i++) {
		cum += m->lat->bucket[i];
		fprintf(f, "sigknock_knock_to_open_seconds_bucket{le=\"%g\"} %"
		    PRIu64 "\n", lat_le[i], cum);
	}
	fprintf(f, "sigknock_knock_to_open_seconds_bucket{le=\"+Inf\"} %"
	    PRIu64 "\nsigknock_knock_to_open_seconds_sum %.6f\n"
	    "sigknock_knock_to_open_seconds_count %" PRIu64 "\n",
	    m->lat->count, m->lat->sum, m->lat->count);
	one(f, "sigknock_capture_packets_total", "counter", "Packets the "
	    "capture received.", m->capture_received);
	one(f, "sigknock_capture_kernel_drops_total", "counter", "Packets "
	    "the kernel dropped before the capture read them.",
	    m->capture_dropped);
	one(f, "sigknock_grants_live", "gauge", "Live grants in the kernel.",
	    m->live_grants);
	head(f, "sigknock_grants_live_by_stanza", "gauge", "Live grants by "
	    "the access-file stanza that allowed them.");
	for (i = 0; m->acl != NULL && i < m->acl->n; i++) {
		const char *name = m->acl->rules[i].name;

		for (j = 0, n = 0; m->owners != NULL && j < m->owners->n; j++)
			if (m->owners->g[j].until > m->now &&
			    strcmp(m->owners->g[j].stanza, name) == 0)
				n++;
		fprintf(f, "sigknock_grants_live_by_stanza{stanza=\"");
		label(f, name);
		fprintf(f, "\"} %zu\n", n);
	}
	one(f, "sigknock_keyring_generation", "gauge", "Keyring loads since "
	    "the start: a change means new keys are in use.",
	    m->keyring_generation);
	head(f, "sigknock_keyring_load_seconds", "gauge",
	    "How long the last keyring load took.");
	fprintf(f, "sigknock_keyring_load_seconds %.6f\n",
	    m->keyring_load_seconds);
	one(f, "sigknock_keyring_loaded_timestamp_seconds", "gauge",
	    "When the keyring in use was loaded.",
	    (uint64_t)m->keyring_loaded_at);
	head(f, "sigknock_keyring_keys", "gauge", "Keys in the keyring in "
	    "use, by kind.");
	fprintf(f, "sigknock_keyring_keys{kind=\"openpgp\"} %zu\n"
	    "sigknock_keyring_keys{kind=\"fido2\"} %zu\n"
	    "sigknock_keyring_keys{kind=\"revoked\"} %zu\n", m->keys, m->fido2,
	    m->revoked);
	one(f, "sigknock_in_step", "gauge", "1 when the daemon runs the "
	    "configuration and keyring on disk (sigknockd -S in_step).",
	    (uint64_t)(m->in_step != 0));
	one(f, "sigknock_worker_restarts_total", "counter", "Times the "
	    "worker was started again after it died.", m->worker_restarts);
	head(f, "sigknock_firewall_heals_total", "counter", "Times the gate "
	    "or its grants were rebuilt after another program removed them.");
	fprintf(f, "sigknock_firewall_heals_total{backend=\"%s\"} %" PRIu64
	    "\n", m->backend != NULL ? m->backend : "none", m->heals);
	one(f, "sigknock_last_accepted_knock_timestamp_seconds", "gauge",
	    "When the last knock was granted; 0: none since the start.",
	    (uint64_t)m->last_accepted);
	head(f, "sigknock_last_accepted_knock_age_seconds", "gauge", "Seconds "
	    "from the last granted knock (or the start) to this file.");
	fprintf(f, "sigknock_last_accepted_knock_age_seconds %lld\n",
	    (long long)(m->now - (m->last_accepted != 0 ? m->last_accepted :
	    m->started)));
	one(f, "sigknock_start_timestamp_seconds", "gauge",
	    "When the daemon started.", (uint64_t)m->started);
}

int
metrics_save(const struct metrics_in *m, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return SK_ERR_ALLOC;
	metrics_write(m, f);
	if (fclose(f) != 0) {
		free(buf);
		return SK_ERR_ALLOC;
	}
	r = file_write_atomic(path, buf, len, 0644);
	free(buf);
	return r;
}
