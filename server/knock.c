#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "auditlog.h"
#include "clock.h"
#include "crypto.h"
#include "deleg.h"
#include "err.h"
#include "knock.h"
#include "metrics.h"
#include "wipe.h"
#include "work.h"


/* A refusal: counted, and logged with the datagram's source and, last on
 * the line, its class, the counter's name (unknown_signer, policy, ...):
 * what log readers such as fail2ban's filter match on. */
#define REFUSE(k, c, counter, ...) do {					\
	(k)->st.counter++;						\
	refuse((k), (c), #counter, __VA_ARGS__);			\
} while (0)

static void refuse(struct knock *k, const struct knock_who *c,
    const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
refuse(struct knock *k, const struct knock_who *c, const char *cls,
    const char *fmt, ...)
{
	struct sk_log_ev ev;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (k->why != NULL) {
		snprintf(k->why, k->whylen, "%s", msg);
		return;
	}
	ev = (struct sk_log_ev){ SK_EV_REFUSED, c->who[0] ? c->who : NULL,
	    c->src[0] ? c->src : NULL, NULL, NULL, cls, NULL };
	sk_log_ev_rl(&k->log_refusals, &ev, LOG_INFO, "refused from %s%s%s: "
	    "%s (class %s)", c->src, c->who[0] ? " by " : "", c->who, msg,
	    cls);
}

/* What to open, after policy: ports, address, timeout.  The address is
 * the one the request signed; without one (source mode), the datagram's
 * source, which anyone on the path can forge or race. */
const char *
knock_deleg_refusal(const struct access_rule *r, uint64_t life, char *buf,
    size_t len)
{
	if (r->delegation == 0)
		snprintf(buf, len, "[%s] does not accept delegated knocks (no "
		    "Delegation)", r->name);
	else if (life > r->delegation)
		snprintf(buf, len, "a delegation of %" PRIu64 " s is longer than "
		    "Delegation %u s of [%s]", life, r->delegation, r->name);
	else
		return NULL;
	return buf;
}

static int
decide(struct knock *k, const struct knock_who *c, const struct sk_request *rq,
    const struct access_who *who, const struct pkt_info *pi,
    const struct access_rule **rule, const struct sk_access **ports,
    size_t *nports, struct fw_rule *base, struct access_forward *fwd,
    uint64_t deleg_life)
{
	const struct access_rule *r;
	struct access_addr ad;
	char why[320], a[INET6_ADDRSTRLEN];
	const char *never, *no;
	int own;

	memset(base, 0, sizeof(*base));
	switch (rq->addr_family) {
	case SK_ADDR_SOURCE:
		base->family = pi->family;
		memcpy(base->addr, pi->src, 16);
		break;
	case SK_ADDR_IPV4:
		base->family = AF_INET;
		memcpy(base->addr, rq->addr, 4);
		break;
	default:
		base->family = AF_INET6;
		memcpy(base->addr, rq->addr, 16);
		break;
	}
	sk_addr_str(base->family, base->addr, a, sizeof(a));
	if ((never = sk_addr_never_open(base->family, base->addr)) != NULL) {
		REFUSE(k, c, policy, "will never open %s: %s", a, never);
		return -1;
	}
	/* The worker cannot list the host's addresses (no netlink in its
	 * sandbox): the monitor checks that one (knock_still_allowed). */
	if (k->request == NULL &&
	    (own = sk_addr_is_own(base->family, base->addr)) != 0) {
		REFUSE(k, c, policy, "will never open %s: %s", a, own > 0 ?
		    "an address of this server" : "cannot list this server's "
		    "addresses");
		return -1;
	}
	ad.src_family = pi->family;
	ad.src = pi->src;
	ad.bound_family = rq->addr_family == SK_ADDR_SOURCE ? 0 :
	    base->family;
	ad.bound = base->addr;
	if ((r = access_match(k->acl, who, &ad, why, sizeof(why))) == NULL) {
		REFUSE(k, c, policy, "%s", why);
		return -1;
	}
	if (deleg_life != 0 && (no = knock_deleg_refusal(r, deleg_life, why,
	    sizeof(why))) != NULL) {
		REFUSE(k, c, policy, "%s", no);
		return -1;
	}
	if (rq->dest[0] != '\0') {
		if (access_forward(r, rq->dest, base->family, rq->access,
		    rq->n_access, fwd, why, sizeof(why)) != NULL) {
			REFUSE(k, c, policy, "%s", why);
			return -1;
		}
		*ports = fwd->ports;
		*nports = fwd->n;
	} else if (rq->n_access == 0 && r->n_default == 0) {
		REFUSE(k, c, policy, "[%s] opens no port of this host (only "
		    "Forward)", r->name);
		return -1;
	} else if (rq->n_access == 0) {
		*ports = r->def;
		*nports = r->n_default;
	} else if (!access_allows(r, rq->access, rq->n_access)) {
		size_t i;

		for (i = 0; i < rq->n_access; i++)
			if (!access_allows(r, &rq->access[i], 1))
				break;
		REFUSE(k, c, policy, "%s/%u is not in Open of [%s]",
		    rq->access[i].proto == 6 ? "tcp" : "udp",
		    rq->access[i].port, r->name);
		return -1;
	} else {
		*ports = rq->access;
		*nports = rq->n_access;
	}
	*rule = r;
	return 0;
}

static void
who_format(char *out, size_t len, int signer, const uint8_t *id,
    const char *name)
{
	char hex[PGP_FPR_HEX_LEN + 1];

	if (signer == GRANT_FIDO2) {
		fido2_short_id(id, hex);
		if (name != NULL && name[0] != '\0')
			snprintf(out, len, "%s (fido2:%s)", name, hex);
		else
			snprintf(out, len, "fido2:%s", hex);
		return;
	}
	pgp_fpr_format(id, hex);
	snprintf(out, len, "%s (%s)", name != NULL && name[0] != '\0' ? name :
	    hex, name != NULL && name[0] != '\0' ? hex : "no name");
}

void
knock_who_format(const struct grant *g, char *out, size_t len)
{
	who_format(out, len, g->signer, g->id, g->name);
}

/* Steps 8-9 for signer type 2: the credential, its assertion (rpIdHash,
 * user presence, signature).  Its sign counter goes along in *counter. */
static int
check_fido2(struct knock *k, struct knock_who *c, const struct sk_request *rq,
    const uint8_t *msg, size_t mlen, struct access_who *aw, uint32_t *counter)
{
	const struct fido2_user *u;
	struct fido2_assertion as;
	char sid[17] = "?";
	int r;

	if (rq->signer_id_len == FIDO2_ID_LEN)
		fido2_short_id(rq->signer_id, sid);
	snprintf(c->who, sizeof(c->who), "fido2:%s", sid);
	if ((u = fido2_users_lookup(k->fu, rq->signer_id,
	    rq->signer_id_len)) == NULL) {
		REFUSE(k, c, unknown_signer, "unknown FIDO2 credential");
		return -1;
	}
	who_format(c->who, sizeof(c->who), GRANT_FIDO2, u->id, u->rec.name);
	if ((r = fido2_verify(u->pk, u->rec.alg, u->rp_hash, rq->sig,
	    rq->sig_len, msg, mlen, &as)) != 0) {
		REFUSE(k, c, bad_signature, "%s", sk_strerror(r));
		return -1;
	}
	/* The sign counter is checked and recorded with the grant
	 * (knock_grant), where the state is. */
	*counter = as.counter;
	*aw = (struct access_who){ u->rec.name[0] ? u->rec.name : NULL, NULL,
	    NULL, u->id };
	return 0;
}

/* Where a delegation's digest is cached (one slot per first byte: a
 * collision only costs a verification). */
static struct knock_dcache *
dcache_slot(struct knock *k, const uint8_t digest[32])
{
	return &k->dcache[digest[0] % KNOCK_DCACHE];
}

/* Steps 8-9 for signer type 3 (PROTOCOL.md 4.3): the delegation, signed
 * by the user's key or credential (checked once, then by its digest),
 * its time and limits, and the ephemeral key's signature over msg. */
static int
check_delegated(struct knock *k, struct knock_who *c,
    const struct sk_request *rq, const uint8_t *msg, size_t mlen,
    time_t now, struct access_who *aw, struct knock_decision *d)
{
	struct sk_delegation dl;
	struct knock_dcache *slot;
	const struct keyring_entry *who;
	const struct fido2_user *u = NULL;
	struct fido2_assertion as;
	uint8_t dmsg[SK_DELEG_MSG_MAX + SK_DELEG_DSIG_MAX], h[32];
	char fpr[PGP_FPR_HEX_LEN + 1];
	size_t dlen;
	int r, cached;

	if ((r = deleg_parse(rq->sig, rq->sig_len, &dl)) != 0) {
		REFUSE(k, c, bad_request, "malformed delegation: %s",
		    sk_strerror(r));
		return -1;
	}
	/* Who: the delegating key or credential, as for a direct knock. */
	if (dl.dtype == SK_SIGNER_FIDO2) {
		if (rq->signer_id_len == FIDO2_ID_LEN)
			fido2_short_id(rq->signer_id, fpr);
		snprintf(c->who, sizeof(c->who), "fido2:%s", rq->signer_id_len ==
		    FIDO2_ID_LEN ? fpr : "?");
		if ((u = fido2_users_lookup(k->fu, rq->signer_id,
		    rq->signer_id_len)) == NULL) {
			REFUSE(k, c, unknown_signer, "delegated by an unknown "
			    "FIDO2 credential");
			return -1;
		}
		who_format(c->who, sizeof(c->who), GRANT_FIDO2, u->id,
		    u->rec.name);
	} else {
		if (rq->signer_id_len == PGP_FPR_LEN) {
			pgp_fpr_format(rq->signer_id, fpr);
			snprintf(c->who, sizeof(c->who), "%s", fpr);
		}
		if ((who = keyring_lookup(k->kr, rq->signer_id,
		    rq->signer_id_len)) == NULL || (who->expires != 0 &&
		    now >= who->expires)) {
			const struct keyring_revoked *gone = who != NULL ? NULL :
			    keyring_lookup_revoked(k->kr, rq->signer_id,
			    rq->signer_id_len);

			if (gone != NULL)
				REFUSE(k, c, unknown_signer, "delegated by the "
				    "revoked key of %s", gone->name[0] ?
				    gone->name : "a user without a name");
			else
				REFUSE(k, c, unknown_signer, "delegated by %s",
				    who == NULL ? "an unknown or removed key" :
				    "an expired key");
			return -1;
		}
		who_format(c->who, sizeof(c->who), GRANT_OPENPGP, who->fpr,
		    who->name);
	}
	if ((int64_t)dl.created > (int64_t)now + k->cfg->max_packet_age) {
		REFUSE(k, c, stale, "delegation made %" PRId64 " s ahead of the "
		    "server clock", (int64_t)dl.created - (int64_t)now);
		return -1;
	}
	if ((int64_t)dl.not_after <= (int64_t)now) {
		REFUSE(k, c, stale, "delegation expired %" PRId64 " s ago",
		    (int64_t)now - (int64_t)dl.not_after);
		return -1;
	}
	if (!deleg_allows(&dl, rq)) {
		REFUSE(k, c, policy, "the delegation does not cover these "
		    "servers or ports");
		return -1;
	}
	if (deleg_message(&dl, rq->signer_id, rq->signer_id_len, dmsg,
	    sizeof(dmsg), &dlen) != 0 || dlen + dl.dsig_len > sizeof(dmsg)) {
		REFUSE(k, c, bad_request, "cannot form the delegation");
		return -1;
	}
	/* Its digest covers the token's signature too. */
	memcpy(dmsg + dlen, dl.dsig, dl.dsig_len);
	if (crypto_sha256(dmsg, dlen + dl.dsig_len, d->deleg_digest) != 0)
		return -1;
	slot = dcache_slot(k, d->deleg_digest);
	cached = slot->used && slot->gen == k->kgen &&
	    memcmp(slot->digest, d->deleg_digest, 32) == 0;
	if (!cached) {
		if (dl.dtype == SK_SIGNER_FIDO2)
			r = fido2_verify(u->pk, u->rec.alg, u->rp_hash, dl.dsig,
			    dl.dsig_len, dmsg, dlen, &as);
		else
			r = keyring_verify(k->kr, rq->signer_id,
			    rq->signer_id_len, dl.dsig, dl.dsig_len, dmsg, dlen,
			    now, (unsigned)k->cfg->max_packet_age, &who);
		if (r != 0) {
			REFUSE(k, c, bad_signature, "the delegation: %s",
			    sk_strerror(r));
			return -1;
		}
		slot->used = 1;
		slot->gen = k->kgen;
		slot->counter = dl.dtype == SK_SIGNER_FIDO2 ? as.counter : 0;
		memcpy(slot->digest, d->deleg_digest, 32);
	}
	/* The request itself, by the delegated key. */
	if (crypto_sha256(msg, mlen, h) != 0 || crypto_ed25519_verify(dl.epk,
	    SK_HASH_SHA256, h, sizeof(h), dl.esig) != 0) {
		REFUSE(k, c, bad_signature, "the delegated key's signature does "
		    "not verify");
		return -1;
	}
	d->deleg = 1;
	d->deleg_created = dl.created;
	d->deleg_not_after = dl.not_after;
	d->fido2_counter = slot->counter;
	if (dl.dtype == SK_SIGNER_FIDO2)
		*aw = (struct access_who){ u->rec.name[0] ? u->rec.name : NULL,
		    NULL, NULL, u->id };
	else
		*aw = (struct access_who){ who->name[0] ? who->name : NULL,
		    who->fpr, who->primary_fpr, NULL };
	if (strlen(c->who) + sizeof(" by delegation") <= sizeof(c->who))
		strcat(c->who, " by delegation");
	return 0;
}

/* Who signed, for the grant's record. */
static void
owner_of(struct grant *o, const struct access_who *aw, int signer)
{
	o->signer = signer;
	if (signer == GRANT_FIDO2)
		memcpy(o->id, aw->fido2_id, 32);
	else {
		memcpy(o->id, aw->fpr, PGP_FPR_LEN);
		memcpy(o->primary, aw->primary_fpr, PGP_FPR_LEN);
	}
	snprintf(o->name, sizeof(o->name), "%s", aw->name ? aw->name : "");
}

/* The server key a datagram is sealed to (its mac1 says which): the
 * current one, or during a rotation the previous one; NULL when neither. */
static const struct sk_server_key *
key_for(const struct knock *k, const uint8_t *p, size_t len)
{
	if ((k->mac1 != NULL ? datagram_check_with(k->mac1, p, len) :
	    datagram_check(&k->key, p, len)) == 0)
		return &k->key;
	if (k->prev_mac1 != NULL && datagram_check_with(k->prev_mac1, p,
	    len) == 0)
		return &k->prev;
	return NULL;
}

/* Steps 1-2: size, mac1.  Garbage is only counted; its address is
 * formatted only for debug logs.  No count per source stands here: one
 * that a sender who knows pkS can spend for a forged source would let
 * 20 datagrams a second lock its owner out (PROTOCOL.md 5). */
/* A datagram of a knock's size that mac1 says is not for this server:
 * the client of someone with another server's key (a mistyped
 * ServerKey, a key from before rotate-server) looks like noise, so it is
 * summarized, not logged each time.  Only the source is kept per
 * datagram; it is formatted when the line is due. */
static void
nokey_note(struct knock *k, const struct pkt_info *pi, double mono)
{
	struct sk_log_ev ev;
	char src[64];

	k->nokey_n++;
	k->nokey_family = pi->family;
	memcpy(k->nokey_src, pi->src, 16);
	if (k->nokey_at != 0 && mono - k->nokey_at < KNOCK_NOKEY_LOG_S)
		return;
	sk_addr_str(k->nokey_family, k->nokey_src, src, sizeof(src));
	ev = (struct sk_log_ev){ SK_EV_NOT_SEALED, NULL, src, NULL, NULL,
	    "bad_mac1", NULL };
	sk_log_ev(&ev, LOG_INFO, "not sealed to this server's key: %" PRIu64
	    " datagram%s%s, the last from %s (a client with another server's "
	    "ServerKey or one from before rotate-server, or noise)", k->nokey_n,
	    k->nokey_n == 1 ? "" : "s", k->nokey_at == 0 ? "" :
	    " since the last such line", src);
	k->nokey_n = 0;
	k->nokey_at = mono;
}

static int
admit(struct knock *k, const struct pkt_info *pi, double mono)
{
	struct knock_who c = { "", "" };

	if (pi->len < SK_DATAGRAM_MIN || pi->len > SK_DATAGRAM_MAX) {
		k->st.bad_size++;
		if (sk_log_level() >= LOG_DEBUG) {
			sk_addr_str(pi->family, pi->src, c.src, sizeof(c.src));
			sk_log_rl(&k->log_garbage, LOG_DEBUG, "dropped from %s: "
			    "%zu bytes is not a knock", c.src, pi->len);
		}
		return -1;
	}
	if (key_for(k, pi->payload, pi->len) == NULL) {
		k->st.bad_mac++;
		nokey_note(k, pi, mono);
		if (sk_log_level() >= LOG_DEBUG) {
			sk_addr_str(pi->family, pi->src, c.src, sizeof(c.src));
			sk_log_rl(&k->log_garbage, LOG_DEBUG, "dropped from %s: "
			    "mac1 mismatch (not sealed to this server)", c.src);
		}
		return -1;
	}
	return 0;
}

/* Steps 5-10 on a request (inner, ilen) opened from a datagram sealed to
 * server key sk, from pi's source (pi->payload is not used). */
static int
check_request(struct knock *k, const struct sk_server_key *sk,
    const uint8_t *inner, size_t ilen, const struct pkt_info *pi, time_t now,
    struct knock_decision *d)
{
	uint8_t msg[SK_SIGNED_MSG_MAX];
	struct sk_request rq;
	const struct keyring_entry *who;
	struct access_who aw;
	const struct sk_access *ports;
	struct access_forward fwd;
	struct fw_rule base;
	struct knock_who *c = &d->c;
	char fpr[PGP_FPR_HEX_LEN + 1];
	size_t mlen;
	int64_t age;
	int r, status = -1;

	memset(d, 0, sizeof(*d));
	sk_addr_str(pi->family, pi->src, c->src, sizeof(c->src));
	/* 5. strict decode. */
	if ((r = request_decode(inner, ilen, &rq)) != 0) {
		REFUSE(k, c, bad_request, "malformed request: %s",
		    sk_strerror(r));
		goto out;
	}
	/* The address it asks for, for the monitor's refusals too. */
	d->owner.family = rq.addr_family == SK_ADDR_SOURCE ? pi->family :
	    rq.addr_family == SK_ADDR_IPV4 ? AF_INET : AF_INET6;
	memcpy(d->owner.addr, rq.addr_family == SK_ADDR_SOURCE ? pi->src :
	    rq.addr, 16);
	/* 6. time window and server binding. */
	age = (int64_t)now - (int64_t)rq.timestamp;
	if (rq.timestamp > (uint64_t)INT64_MAX || age > k->cfg->max_packet_age ||
	    -age > k->cfg->max_packet_age) {
		REFUSE(k, c, stale, "timestamp %" PRId64 " s %s the server "
		    "clock (MaxPacketAge %ld)", age < 0 ? -age : age,
		    age < 0 ? "ahead of" : "behind", k->cfg->max_packet_age);
		goto out;
	}
	if (!wire_request_binds(&rq, sk->digest)) {
		if (rq.set_count != 0)
			REFUSE(k, c, wrong_server, "request is bound to a set "
			    "of %u servers that does not hold this server's key",
			    rq.set_count);
		else
			REFUSE(k, c, wrong_server, "request is bound to another "
			    "server key");
		goto out;
	}
	/* 7. replay, on the digest of the signed message. */
	if (request_signed_message(inner, rq.signed_len, msg, sizeof(msg),
	    &mlen) != 0 || crypto_sha256(msg, mlen, d->digest) != 0) {
		REFUSE(k, c, bad_request, "cannot form the signed message");
		goto out;
	}
	if (replay_seen(k->rc, d->digest, now)) {
		REFUSE(k, c, replayed, "replayed request");
		goto out;
	}
	/* 8. signer, 9. signature. */
	if (rq.signer_type == SK_SIGNER_DELEGATED) {
		if (check_delegated(k, c, &rq, msg, mlen, now, &aw, d) != 0)
			goto out;
		goto policy;
	}
	if (rq.signer_type == SK_SIGNER_FIDO2) {
		if (check_fido2(k, c, &rq, msg, mlen, &aw,
		    &d->fido2_counter) != 0)
			goto out;
		goto policy;
	}
	if (rq.signer_type != SK_SIGNER_OPENPGP) {
		REFUSE(k, c, unknown_signer, "signer type %u is not accepted "
		    "by this server", rq.signer_type);
		goto out;
	}
	r = keyring_verify(k->kr, rq.signer_id, rq.signer_id_len, rq.sig,
	    rq.sig_len, msg, mlen, now, (unsigned)k->cfg->max_packet_age, &who);
	if (r != 0) {
		const struct keyring_entry *named;
		const struct keyring_revoked *gone;

		/* Who it names: with the name, when the keyring has it. */
		if (rq.signer_id_len == PGP_FPR_LEN && (named =
		    keyring_lookup(k->kr, rq.signer_id, PGP_FPR_LEN)) != NULL)
			who_format(c->who, sizeof(c->who), GRANT_OPENPGP,
			    named->fpr, named->name);
		else if (rq.signer_id_len == PGP_FPR_LEN) {
			pgp_fpr_format(rq.signer_id, fpr);
			snprintf(c->who, sizeof(c->who), "%s", fpr);
		}
		if (r == SK_ERR_UNKNOWN_SIGNER && (gone = keyring_lookup_revoked(
		    k->kr, rq.signer_id, rq.signer_id_len)) != NULL)
			REFUSE(k, c, unknown_signer, "revoked key of %s",
			    gone->name[0] ? gone->name : "a user without a name");
		else if (r == SK_ERR_UNKNOWN_SIGNER || r == SK_ERR_KEY_EXPIRED)
			REFUSE(k, c, unknown_signer, "%s", sk_strerror(r));
		else
			REFUSE(k, c, bad_signature, "%s", sk_strerror(r));
		goto out;
	}
	who_format(c->who, sizeof(c->who), GRANT_OPENPGP, who->fpr, who->name);
	aw = (struct access_who){ who->name[0] ? who->name : NULL, who->fpr,
	    who->primary_fpr, NULL };
policy:
	if (rq.close) {
		/* PROTOCOL.md 3.5: nothing to open, so no policy; the
		 * monitor closes what this signer holds for the address. */
		owner_of(&d->owner, &aw, aw.fido2_id != NULL ? GRANT_FIDO2 :
		    GRANT_OPENPGP);
		snprintf(d->owner.dest, sizeof(d->owner.dest), "%s", rq.dest);
		d->owner.src_family = pi->family;
		memcpy(d->owner.src, pi->src, 16);
		d->owner.bound = rq.addr_family != SK_ADDR_SOURCE;
		d->timestamp = rq.timestamp;
		d->close = 1;
		status = 0;
		goto out;
	}
	/* 10. policy. */
	if (decide(k, c, &rq, &aw, pi, &d->rule, &ports, &d->nports,
	    &base, &fwd, d->deleg ? d->deleg_not_after - d->deleg_created :
	    0) != 0)
		goto out;
	memcpy(d->ports, ports, d->nports * sizeof(d->ports[0]));
	owner_of(&d->owner, &aw, aw.fido2_id != NULL ? GRANT_FIDO2 :
	    GRANT_OPENPGP);
	snprintf(d->owner.stanza, sizeof(d->owner.stanza), "%s", d->rule->name);
	d->owner.family = base.family;
	memcpy(d->owner.addr, base.addr, 16);
	if (rq.dest[0] != '\0') {
		snprintf(d->owner.dest, sizeof(d->owner.dest), "%s", rq.dest);
		memcpy(d->owner.dst, fwd.dst, 16);
		memcpy(d->owner.via, fwd.via, sizeof(fwd.via));
		d->owner.masq = fwd.masq;
	}
	d->owner.src_family = pi->family;
	memcpy(d->owner.src, pi->src, 16);
	d->owner.bound = rq.addr_family != SK_ADDR_SOURCE;
	d->owner.once = d->rule->grant_once;
	d->owner.nports = d->nports;
	memcpy(d->owner.ports, d->ports, d->nports * sizeof(d->ports[0]));
	d->timeout = rq.timeout == 0 ? d->rule->timeout : rq.timeout;
	if (d->timeout > d->rule->max_timeout) {
		/* Said once, by the process that grants. */
		if (k->request == NULL)
			log_info("%s asked for %u s; capped to MaxTimeout %u "
			    "of [%s]", c->who, d->timeout, d->rule->max_timeout,
			    d->rule->name);
		d->timeout = d->rule->max_timeout;
	}
	d->timestamp = rq.timestamp;
	status = 0;
out:
	sk_wipe(msg, sizeof(msg));
	return status;
}

/* Steps 4-10, for a datagram that passed admit().  The opened request
 * stays in d, for the monitor to check again (privsep.h). */
static int
check_sealed(struct knock *k, const struct pkt_info *pi, time_t now,
    struct knock_decision *d)
{
	uint8_t inner[SK_INNER_MAX];
	const struct sk_server_key *sk = key_for(k, pi->payload, pi->len);
	size_t ilen;
	int r;

	/* 4. HPKE open. */
	if (sk == NULL)
		sk = &k->key;	/* admit() let it in: the key changed since */
	if ((r = datagram_open(sk, pi->payload, pi->len, inner,
	    sizeof(inner), &ilen)) != 0) {
		memset(d, 0, sizeof(*d));
		sk_addr_str(pi->family, pi->src, d->c.src, sizeof(d->c.src));
		REFUSE(k, &d->c, decrypt, "%s", sk_strerror(r));
		return -1;
	}
	r = check_request(k, sk, inner, ilen, pi, now, d);
	if (r == 0) {
		memcpy(d->inner, inner, ilen);
		d->inner_len = ilen;
		d->prev_key = sk == &k->prev;
	}
	sk_wipe(inner, sizeof(inner));
	return r;
}

int
knock_check_opened(struct knock *k, int prev_key, const uint8_t *inner,
    size_t ilen, const struct pkt_info *pi, time_t now,
    struct knock_decision *d, char *why, size_t whylen)
{
	struct knock_stats before = k->st;
	int r;

	memset(d, 0, sizeof(*d));
	why[0] = '\0';
	if (prev_key && k->prev_mac1 == NULL) {
		snprintf(why, whylen, "no previous server key to check it with");
		return -1;
	}
	/* Refusals are this caller's to log and count. */
	k->why = why;
	k->whylen = whylen;
	r = check_request(k, prev_key ? &k->prev : &k->key, inner, ilen, pi,
	    now, d);
	k->why = NULL;
	if (r != 0)
		k->st = before;
	else {
		d->prev_key = prev_key != 0;
		/* Kept for the AuditLog. */
		memcpy(d->inner, inner, ilen);
		d->inner_len = ilen;
	}
	return r;
}


int
knock_check(struct knock *k, const struct pkt_info *pi, time_t now,
    struct knock_decision *d)
{
	memset(d, 0, sizeof(*d));
	k->st.received++;
	if (admit(k, pi, knock_mono()) != 0)
		return -1;
	return check_sealed(k, pi, now, d);
}

/* The sign counter of a FIDO2 knock, direct or delegated (fido2ctr.h):
 * checked and recorded, 0; else refused (logged and counted), -1. */
static int
counter_ok(struct knock *k, const struct knock_decision *d, time_t now)
{
	uint32_t last = 0;
	int r;

	if (k->fc == NULL)
		r = SK_ERR_INVALID_ARG;
	else if (d->deleg)
		r = fido2_counters_deleg(k->fc, d->owner.id, d->fido2_counter,
		    d->deleg_digest, d->deleg_created, d->deleg_not_after,
		    k->cfg->max_packet_age, now, &last);
	else
		r = fido2_counters_check(k->fc, d->owner.id, d->fido2_counter,
		    now, &last);
	if (r == 0)
		return 0;
	if (r == SK_ERR_FIDO2_COUNTER) {
		/* Only the key's holder can sign: never rate-limited. */
		k->st.bad_signature++;
		if (d->deleg)
			log_warn("refused from %s by %s: the delegation's sign "
			    "counter %u is not above %u, the last seen before "
			    "it was made, or was seen before: possibly a cloned "
			    "security key", d->c.src, d->c.who,
			    d->fido2_counter, last);
		else
			log_warn("refused from %s by %s: sign counter %u is not "
			    "above %u, the last seen: possibly a cloned "
			    "security key", d->c.src, d->c.who,
			    d->fido2_counter, last);
	} else if (r == SK_ERR_NO_SPACE)
		REFUSE(k, &d->c, grant_failed, "%d live FIDO2 delegations are "
		    "remembered already", FIDO2_DELEGS_MAX);
	else
		REFUSE(k, &d->c, grant_failed, "cannot record the sign counter");
	return -1;
}

/* The ports of grant g as the log and the audit trail write them:
 * tcp/22,udp/53@name. */
static void
ports_list(const struct grant *g, char *list, size_t len)
{
	size_t i, off = 0;

	list[0] = '\0';
	for (i = 0; i < g->nports && off < len; i++)
		off += (size_t)snprintf(list + off, len - off, "%s%s/%u%s%s",
		    i ? "," : "", g->ports[i].proto == 6 ? "tcp" : "udp",
		    g->ports[i].port, g->dest[0] ? "@" : "", g->dest);
}

/* "accepted ..." for decision d, granted as g. */
static void
log_accepted(const struct knock_decision *d, const struct grant *g)
{
	char addr[INET6_ADDRSTRLEN], until[32], to[INET6_ADDRSTRLEN + 64] = "";
	char list[AUDIT_PORTS_MAX];
	struct sk_log_ev ev;
	size_t i, off;
	struct tm tm;

	gmtime_r(&g->until, &tm);
	strftime(until, sizeof(until), "%H:%M:%SZ", &tm);
	ports_list(g, list, sizeof(list));
	if (g->dest[0] != '\0') {
		off = (size_t)snprintf(to, sizeof(to), " to %s",
		    sk_addr_str(g->family, g->dst, addr, sizeof(addr)));
		for (i = 0; i < g->nports && off < sizeof(to); i++)
			if (g->via[i] != 0)
				off += (size_t)snprintf(to + off, sizeof(to) - off,
				    ", %u via %u", g->ports[i].port, g->via[i]);
		if (g->masq && off < sizeof(to))
			snprintf(to + off, sizeof(to) - off, ", masqueraded");
	} else if (g->once)
		snprintf(to, sizeof(to), ", one connection");
	sk_addr_str(g->family, g->addr, addr, sizeof(addr));
	ev = (struct sk_log_ev){ SK_EV_ACCEPTED, d->c.who, d->c.src, addr,
	    list, NULL, d->rule->name };
	/* During a rotation, which key: "once nobody uses the old one"
	 * can then be read off the log (and -S, granted_previous_key). */
	sk_log_ev(&ev, LOG_NOTICE, "accepted %s from %s: open %s for %s until "
	    "%s (%u s) [%s]%s%s", d->c.who, d->c.src, list, addr, until,
	    d->timeout, d->rule->name, to, d->prev_key ? " (sealed to the "
	    "previous server key)" : "");
}

/* Decision d, granted as g at now, into the AuditLog: the signed request
 * and what it opened.  A grant stands when its record cannot be written
 * (the gate stays usable on a full disk); each such grant is logged and
 * counted (audit_failed). */
static void
audit_granted(struct knock *k, const struct knock_decision *d,
    const struct grant *g, time_t now)
{
	struct audit_rec *r;
	char link[65];

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		k->st.audit_failed++;
		log_err("AuditLog: out of memory; the grant to %s is not "
		    "recorded", d->c.who);
		return;
	}
	r->time = (int64_t)now;
	snprintf(r->stanza, sizeof(r->stanza), "%s", g->stanza);
	r->src_family = g->src_family;
	memcpy(r->src, g->src, 16);
	r->family = g->family;
	memcpy(r->addr, g->addr, 16);
	ports_list(g, r->ports, sizeof(r->ports));
	r->until = (int64_t)g->until;
	r->prev_key = d->prev_key;
	memcpy(r->request, d->inner, d->inner_len);
	r->request_len = d->inner_len;
	if (auditlog_append(k->audit, r, link) != 0) {
		k->st.audit_failed++;
		log_err("AuditLog: the grant to %s from %s is not recorded "
		    "(see the line before)", d->c.who, d->c.src);
	} else
		log_info("AuditLog: record %llu for %s, link %.16s",
		    (unsigned long long)r->seq, d->c.who, link);
	sk_wipe(r, sizeof(*r));
	free(r);
}

/* A close request that passed every check (PROTOCOL.md 3.5). */
static void
close_own(struct knock *k, const struct knock_decision *d)
{
	char addr[INET6_ADDRSTRLEN];
	size_t n;

	sk_addr_str(d->owner.family, d->owner.addr, addr, sizeof(addr));
	if (k->close_own == NULL) {
		log_warn("close request from %s by %s for %s: only sigknockd's "
		    "monitor closes grants", d->c.src, d->c.who, addr);
		return;
	}
	k->st.close_requests++;
	if ((n = k->close_own(k->close_arg, d)) == 0)
		log_notice("close request from %s by %s: no live grant of "
		    "theirs for %s%s%s", d->c.src, d->c.who, addr,
		    d->owner.dest[0] ? " to " : "", d->owner.dest);
}

/* MaxGrants, of decision dv[i]'s stanza (per user) and of the
 * configuration (in all): the live grants, and the new ones of this
 * batch before it (state 1), leave room?  0, or -1 refused (logged and
 * counted).  A knock that extends a live grant is never refused. */
static int
over_cap(struct knock *k, const struct knock_decision *const *dv, size_t i,
    const int *state)
{
	const struct knock_decision *d = dv[i];
	const struct grant *x = &d->owner;
	size_t user = 0, all = 0, j;

	if (k->live(k->live_arg, x, &user, &all))
		return 0;
	for (j = 0; j < i; j++) {
		if (state[j] != 1)
			continue;
		all++;
		user += grants_same_user(&dv[j]->owner, x);
	}
	if (d->rule->max_grants != 0 && user >= d->rule->max_grants) {
		REFUSE(k, &d->c, capped, "%zu live grant%s under [%s] already, "
		    "its MaxGrants", user, user == 1 ? "" : "s", x->stanza);
		return -1;
	}
	if (k->cfg->max_grants != 0 && all >= (size_t)k->cfg->max_grants) {
		REFUSE(k, &d->c, capped, "%zu live grants in all already, "
		    "MaxGrants of sigknockd.conf", all);
		return -1;
	}
	return 0;
}

void
knock_grant_many(struct knock *k, const struct knock_decision *const *dv,
    size_t nd, time_t now)
{
	struct grant g[KNOCK_GRANT_BATCH];
	struct fw_rule fr[3];
	char addr[INET6_ADDRSTRLEN];
	const uint8_t *owner;
	int state[KNOCK_GRANT_BATCH];	/* 0 refused, 1 to grant, 2 failed */
	size_t i, j, n, p, todo = 0;
	int committed;

	if (nd > KNOCK_GRANT_BATCH)
		nd = KNOCK_GRANT_BATCH;
	/* Record before granting: a crash after the grant must not let the
	 * same datagram in again.  Kept for the largest window any reload
	 * could set, not the current one (MaxPacketAge may be raised).
	 * The records of the batch are made durable together. */
	for (i = 0; i < nd; i++) {
		const struct knock_decision *d = dv[i];

		state[i] = 0;
		if (!d->close && k->live != NULL &&
		    over_cap(k, dv, i, state) != 0)
			continue;
		if (d->owner.signer == GRANT_FIDO2 && counter_ok(k, d, now) != 0)
			continue;
		/* The same request twice in one batch: the first only. */
		if (replay_seen(k->rc, d->digest, now)) {
			REFUSE(k, &d->c, replayed, "replayed request");
			continue;
		}
		if (replay_append(k->rc, d->digest, (time_t)d->timestamp +
		    MAX_PACKET_AGE_MAX + 1) != 0) {
			REFUSE(k, &d->c, grant_failed, "cannot record it in the "
			    "replay cache");
			continue;
		}
		state[i] = d->close ? 3 : 1;
		todo++;
	}
	if (todo == 0)
		return;
	if (replay_sync(k->rc) != 0) {
		for (i = 0; i < nd; i++)
			if (state[i] != 0)
				REFUSE(k, &dv[i]->c, grant_failed, "cannot record "
				    "it in the replay cache");
		return;
	}
	/* Closes (3), recorded as replays like knocks, are carried out
	 * by the monitor, which knows the grants' owners. */
	for (i = 0; i < nd; i++)
		if (state[i] == 3)
			close_own(k, dv[i]);
	for (i = 0; i < nd; i++) {
		if (state[i] != 1)
			continue;
		g[i] = dv[i]->owner;
		g[i].until = now + (time_t)dv[i]->timeout;
		for (p = 0; p < g[i].nports; p++)
			for (j = 0, n = grant_fw_rules(&g[i], p, fr); j < n; j++)
				if (fw_grant(k->fw, &fr[j]) != 0)
					state[i] = 2;
	}
	/* "accepted" only once the kernel holds the grant. */
	committed = fw_commit(k->fw) == 0;
	for (i = 0; i < nd; i++) {
		const struct knock_decision *d = dv[i];

		if (state[i] == 0 || state[i] == 3)
			continue;
		if (state[i] == 2 || !committed) {
			struct sk_log_ev ev = { SK_EV_NOT_GRANTED, d->c.who,
			    d->c.src, sk_addr_str(d->owner.family,
			    d->owner.addr, addr, sizeof(addr)), NULL,
			    "grant_failed", NULL };

			k->st.grant_failed++;
			sk_log_ev(&ev, LOG_ERR, "not granted to %s from %s: the "
			    "firewall could not add the grant for %s (see the "
			    "line before)", d->c.who, d->c.src, ev.addr);
			continue;
		}
		k->st.granted++;
		if (d->prev_key)
			k->st.granted_prev++;
		/* Its source is known from now on (known.h), as this
		 * user's: the primary key's, or the credential's. */
		owner = d->owner.signer == GRANT_OPENPGP ? d->owner.primary :
		    d->owner.id;
		if (k->known != NULL && known_add_owned(k->known,
		    d->owner.src_family, d->owner.src, now, owner)) {
			size_t ln = known_line(d->owner.src_family,
			    d->owner.src, now, owner,
			    k->known_pend + k->known_plen,
			    sizeof(k->known_pend) - k->known_plen);

			if (ln == 0)
				k->known_full = 1;
			k->known_plen += ln;
			k->known_dirty++;
		}
		if (k->granted != NULL)
			k->granted(k->granted_arg, &g[i]);
		log_accepted(d, &g[i]);
		if (k->lat != NULL && d->captured > 0)
			metrics_lat_observe(k->lat, knock_mono() - d->captured);
		if (k->audit != NULL)
			audit_granted(k, d, &g[i], now);
	}
}

void
knock_grant(struct knock *k, const struct knock_decision *d, time_t now)
{
	knock_grant_many(k, &d, 1, now);
}

/* A copy from the same source of a datagram already seen: counted,
 * logged only for debugging (clients send each knock more than once, so
 * this is the normal case, not an attack; a copy that gets this far
 * after the window below is refused as a replay, step 7). */
static void
duplicate(struct knock *k, const struct pkt_info *pi, const char *what)
{
	struct knock_who c = { "", "" };

	k->st.duplicate++;
	if (sk_log_level() >= LOG_DEBUG) {
		sk_addr_str(pi->family, pi->src, c.src, sizeof(c.src));
		sk_log_rl(&k->log_garbage, LOG_DEBUG, "dropped from %s: %s "
		    "(a duplicate)", c.src, what);
	}
}

/* Step 3's work check (PROTOCOL.md section 2.1): the effort proven by
 * w for the datagram (mac1) in pi, now; 0 for none.  Work for another
 * time, server or datagram proves nothing and counts as none; a copy of
 * a worked datagram already seen from the same source is dropped (-1),
 * from another source it counts as none (workq.h). */
static int
work_effort(struct knock *k, const struct pkt_info *pi,
    const struct sk_work *w, double mono)
{
	int64_t age = (int64_t)time(NULL) - (int64_t)w->time;

	if (w->effort == 0)
		return 0;
	if (w->time > INT64_MAX || age > k->cfg->max_packet_age ||
	    -age > k->cfg->max_packet_age || !work_valid(pi->payload, w)) {
		k->st.work_refused++;
		return 0;
	}
	switch (k->ws != NULL ? seen_add(k->ws, pi->payload, pi->family,
	    pi->src, mono, 2.0 * (double)k->cfg->max_packet_age + 1) :
	    SEEN_NEW) {
	case SEEN_NEW:
		break;
	case SEEN_COPY:
		/* The client's own copy (it sends its worked datagram more
		 * than once), or a replay from the same source. */
		duplicate(k, pi, "a copy of a datagram whose work was seen");
		return -1;
	case SEEN_COPY_ELSEWHERE:
		/* Someone sent it first from elsewhere: the work was theirs
		 * to spend, this copy waits as a stranger's. */
		k->st.work_copy++;
		return 0;
	case SEEN_FULL:
		/* Work the table cannot remember would count again later:
		 * it counts for nothing now. */
		k->st.work_unrecorded++;
		return 0;
	}
	k->st.work++;
	return w->effort;
}

void
knock_receive(struct knock *k, const struct pkt_info *pi0, double mono)
{
	struct knock_who c = { "", "" };
	struct pkt_info pi = *pi0;
	struct sk_work w;
	enum lane lane = LANE_STRANGER;
	int effort;

	k->st.received++;
	/* The work trailer, when there is one, is not part of the datagram
	 * that mac1 and HPKE see. */
	work_split(pi.payload, pi.len, SK_DATAGRAM_MIN, &w, &pi.len);
	if (admit(k, &pi, mono) != 0)
		return;
	if (k->decided != NULL && seen_find(k->decided, pi.payload, pi.family,
	    pi.src, mono) == SEEN_COPY) {
		duplicate(k, &pi, "a copy of a datagram decided moments ago");
		return;
	}
	if ((effort = work_effort(k, &pi, &w, mono)) < 0)
		return;
	/* Work first: a copy with work must not wait in the known lane
	 * behind a flood forged from its own (known) address. */
	if (effort > 0)
		lane = LANE_WORK;
	else if (k->known != NULL && known_has(k->known, pi.family, pi.src)) {
		lane = LANE_KNOWN;
		k->st.known_lane++;
	}
	switch (lanes_push(&k->q, lane, &pi, (unsigned)effort, mono)) {
	case 0:
		break;
	case 1:
		/* Another datagram made room (another prefix's oldest, or
		 * one of this prefix's at random): count it, no address. */
		k->st.shed++;
		break;
	default:
		sk_addr_str(pi.family, pi.src, c.src, sizeof(c.src));
		REFUSE(k, &c, shed, "verification queue full (%zu waiting, "
		    "%s lane)", lanes_len(&k->q), lane == LANE_KNOWN ?
		    "known" : lane == LANE_WORK ? "work" : "strangers'");
		break;
	}
}

double
knock_mono(void)
{
	return sk_mono();
}

double
knock_serve(struct knock *k, double slice)
{
	struct knock_decision d;
	struct knock_who c = { "", "" };
	struct pkt_info pi;
	enum lane lane;
	double start = knock_mono(), t0, t1, at;
	time_t now;

	/* The budget refills at verify_share seconds per second, up to
	 * KNOCK_BUDGET_MAX; each datagram is charged what it took. */
	if (start > k->budget_at) {
		k->budget += (start - k->budget_at) * k->verify_share;
		if (k->budget > KNOCK_BUDGET_MAX)
			k->budget = KNOCK_BUDGET_MAX;
	}
	k->budget_at = start;
	for (t0 = start; lanes_len(&k->q) > 0; t0 = t1) {
		if (k->budget <= 0)
			return -k->budget / k->verify_share;
		if (t0 - start >= slice)
			return 0;
		if (!lanes_pop(&k->q, &pi, &at, &lane))
			break;
		if (t0 - at > (double)k->cfg->max_packet_age) {
			sk_addr_str(pi.family, pi.src, c.src, sizeof(c.src));
			REFUSE(k, &c, shed, "waited %.0f s in the verification "
			    "queue", t0 - at);
			t1 = t0;
			continue;
		}
		/* A refusal past mac1 came from someone who knows our public
		 * key but did not produce a valid knock: that prefix waits
		 * behind the others of its lane for a while (lanes.h). */
		now = time(NULL);
		if (k->decided != NULL)
			seen_add(k->decided, pi.payload, pi.family, pi.src, t0,
			    KNOCK_DUP_WINDOW_S);
		if (check_sealed(k, &pi, now, &d) == 0) {
			d.captured = at;
			if (k->request != NULL)
				k->request(k->request_arg, &d);
			else
				knock_grant(k, &d, now);
		} else
			lanes_penalize(&k->q, lane, &pi, t0);
		t1 = knock_mono();
		k->budget -= t1 - t0;
		k->budget_at = t1;
		if (t1 - at > k->st.wait_max)
			k->st.wait_max = t1 - at;
	}
	return -1;
}

/* Every counter is a uint64_t, up to wait_max. */
_Static_assert(offsetof(struct knock_stats, wait_max) %
    sizeof(uint64_t) == 0 && offsetof(struct knock_stats, wait_max) ==
    sizeof(struct knock_stats) - sizeof(double), "knock_stats layout");

void
knock_stats_add(struct knock_stats *to, const struct knock_stats *from)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)from;
	size_t i, n = offsetof(struct knock_stats, wait_max) / sizeof(*t);

	for (i = 0; i < n; i++)
		t[i] += f[i];
	if (from->wait_max > to->wait_max)
		to->wait_max = from->wait_max;
}

void
knock_log_stats(const struct knock_stats *s, size_t qlen, size_t qpfx)
{
	log_notice("stats: received %" PRIu64 ", granted %" PRIu64
	    " (sealed to the previous server key %" PRIu64 ")"
	    "; dropped: not udp/ip %" PRIu64 ", size %" PRIu64 ", mac1 %" PRIu64
	    ", duplicate %" PRIu64 ", shed %" PRIu64 ", decrypt %"
	    PRIu64 ", malformed %" PRIu64 ", stale %" PRIu64 ", wrong server %"
	    PRIu64 ", replay %" PRIu64 ", unknown signer %" PRIu64
	    ", bad signature %" PRIu64 ", policy %" PRIu64 ", refused by the "
	    "monitor %" PRIu64 ", grant failed %" PRIu64 ", copy of seen "
	    "work %" PRIu64 "; known lane %" PRIu64 ", with work %" PRIu64
	    ", work not valid %" PRIu64 ", work not recorded %" PRIu64
	    "; not in the AuditLog %" PRIu64 ", over MaxGrants %" PRIu64,
	    s->received,
	    s->granted, s->granted_prev, s->malformed, s->bad_size, s->bad_mac,
	    s->duplicate,
	    s->shed, s->decrypt, s->bad_request, s->stale, s->wrong_server,
	    s->replayed, s->unknown_signer, s->bad_signature, s->policy,
	    s->monitor_refused, s->grant_failed, s->work_copy, s->known_lane,
	    s->work, s->work_refused, s->work_unrecorded, s->audit_failed,
	    s->capped);
	log_notice("queue: %zu waiting from %zu prefixes; longest wait %.1f ms",
	    qlen, qpfx, s->wait_max * 1e3);
}

size_t
knock_format_stats(const struct knock_stats *s, size_t qlen, size_t qpfx,
    char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "received %" PRIu64 "\ngranted %" PRIu64
	    "\ngranted_previous_key %" PRIu64 "\ngrant_failed %" PRIu64 "\nnot_udp_ip %" PRIu64 "\nbad_size %"
	    PRIu64 "\nbad_mac1 %" PRIu64 "\nduplicate %" PRIu64 "\nshed %"
	    PRIu64 "\ndecrypt %" PRIu64 "\nmalformed %" PRIu64 "\nstale %"
	    PRIu64 "\nwrong_server %" PRIu64 "\nreplayed %" PRIu64
	    "\nunknown_signer %" PRIu64 "\nbad_signature %" PRIu64
	    "\npolicy %" PRIu64 "\nmonitor_refused %" PRIu64
	    "\nwork_copy %" PRIu64 "\nknown_lane %" PRIu64 "\nwork %" PRIu64
	    "\nwork_refused %" PRIu64 "\nwork_unrecorded %" PRIu64
	    "\naudit_failed %" PRIu64 "\ncapped %" PRIu64 "\nclose_requests %"
	    PRIu64 "\nqueue_waiting %zu\nqueue_prefixes %zu\nlongest_wait_ms %.1f\n",
	    s->received, s->granted, s->granted_prev, s->grant_failed,
	    s->malformed,
	    s->bad_size, s->bad_mac, s->duplicate, s->shed, s->decrypt,
	    s->bad_request, s->stale, s->wrong_server, s->replayed,
	    s->unknown_signer, s->bad_signature, s->policy,
	    s->monitor_refused, s->work_copy, s->known_lane, s->work,
	    s->work_refused, s->work_unrecorded, s->audit_failed, s->capped,
	    s->close_requests, qlen, qpfx,
	    s->wait_max * 1e3);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

const char *
knock_still_allowed(const struct knock *k, const struct grant *g, time_t now,
    const struct access_rule **rule, struct access_forward *fwd)
{
	struct access_forward f;
	size_t i;
	const struct keyring_entry *e;
	const struct fido2_user *u;
	const struct access_rule *r;
	struct access_who who;
	struct access_addr ad;
	const char *never;
	char why[320];

	memset(&who, 0, sizeof(who));
	if (g->signer == GRANT_FIDO2) {
		if ((u = fido2_users_lookup(k->fu, g->id, 32)) == NULL)
			return "the FIDO2 credential was revoked or removed";
		who.name = u->rec.name[0] ? u->rec.name : NULL;
		who.fido2_id = u->id;
	} else {
		if ((e = keyring_lookup(k->kr, g->id, PGP_FPR_LEN)) == NULL)
			return "the key was revoked or removed";
		if (e->expires != 0 && now >= e->expires)
			return "the key expired";
		who.name = e->name[0] ? e->name : NULL;
		who.fpr = e->fpr;
		who.primary_fpr = e->primary_fpr;
	}
	if ((g->family != AF_INET && g->family != AF_INET6) ||
	    (g->src_family != AF_INET && g->src_family != AF_INET6))
		return "not an IPv4 or IPv6 address";
	if ((never = sk_addr_never_open(g->family, g->addr)) != NULL)
		return never;
	if (sk_addr_is_own(g->family, g->addr) != 0)
		return "an address of this server, or its addresses cannot be "
		    "listed";
	/* Source mode opens the datagram's source, and nothing else. */
	if (!g->bound && (g->family != g->src_family ||
	    memcmp(g->addr, g->src, g->family == AF_INET ? 4 : 16) != 0))
		return "a request bound to no address opens its source only";
	ad.src_family = g->src_family;
	ad.src = g->src;
	ad.bound_family = g->bound ? g->family : 0;
	ad.bound = g->addr;
	if ((r = access_match(k->acl, &who, &ad, why, sizeof(why))) == NULL)
		return "no stanza of the access file allows it any more";
	if (g->nports == 0 || g->nports > SK_ACCESS_MAX)
		return "no port";
	if (g->dest[0] != '\0') {
		if (access_forward(r, g->dest, g->family, g->ports, g->nports,
		    &f, why, sizeof(why)) != NULL)
			return "a port is no longer in the stanza's Forward";
		if (fwd != NULL)
			*fwd = f;
		else if (memcmp(f.dst, g->dst, 16) != 0 || f.masq != g->masq)
			return "its destination changed in the access file";
		for (i = 0; fwd == NULL && i < g->nports; i++)
			if (f.via[i] != g->via[i])
				return "its gateway port changed in the access "
				    "file";
	} else if (!access_allows(r, g->ports, g->nports))
		return "a port is no longer in the stanza's Open";
	if (g->once != r->grant_once)
		return g->once ? "the stanza grants time, not one connection" :
		    "the stanza grants one connection, not time";
	if (rule != NULL)
		*rule = r;
	return NULL;
}
