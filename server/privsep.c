#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "endian.h"
#include "err.h"
#include "log.h"
#include "privsep.h"
#include "wipe.h"

/* ---- messages ---- */

int
ps_send(int sock, const void *msg, size_t len, int fd, int flags)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

ssize_t
ps_recv(int sock, void *buf, size_t cap, int *fd)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { buf, cap };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	int got;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&got, CMSG_DATA(c), sizeof(int));
			if (*fd < 0)
				*fd = got;
			else
				close(got);
		}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

void
ps_grant_from(const struct knock_decision *d, struct ps_grant *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PS_GRANT;
	m->prev_key = d->prev_key != 0;
	m->src_family = (uint32_t)d->owner.src_family;
	memcpy(m->src, d->owner.src, 16);
	m->inner_len = (uint32_t)d->inner_len;
	memcpy(m->inner, d->inner, d->inner_len);
	m->captured = d->captured;
}

static int
bucket_take(struct ps_bucket *b, double mono)
{
	if (b->at == 0)
		b->tokens = 2 * PS_GRANTS_PER_S;
	else if (mono > b->at)
		b->tokens += (mono - b->at) * PS_GRANTS_PER_S;
	if (b->tokens > 2 * PS_GRANTS_PER_S)
		b->tokens = 2 * PS_GRANTS_PER_S;
	b->at = mono;
	if (b->tokens < 1)
		return -1;
	b->tokens -= 1;
	return 0;
}

int
ps_grant_check(struct knock *k, struct ps_bucket *b, const void *msg,
    size_t len, time_t now, double mono, struct knock_decision *d, char *why,
    size_t whylen)
{
	struct ps_grant m;
	struct pkt_info pi;
	int r;

	memset(d, 0, sizeof(*d));
	why[0] = '\0';
	if (len != sizeof(m)) {
		snprintf(why, whylen, "a request of %zu bytes, not %zu", len,
		    sizeof(m));
		return -1;
	}
	memcpy(&m, msg, sizeof(m));
	if (bucket_take(b, mono) != 0) {
		snprintf(why, whylen, "over %d grant requests a second",
		    PS_GRANTS_PER_S);
		r = -1;
		goto out;
	}
	/* The fields, before anything is done with them. */
	if (m.prev_key > 1 || (m.src_family != AF_INET &&
	    m.src_family != AF_INET6) || m.inner_len > sizeof(m.inner)) {
		snprintf(why, whylen, "malformed request");
		r = -1;
		goto out;
	}
	memset(&pi, 0, sizeof(pi));
	pi.family = (int)m.src_family;
	memcpy(pi.src, m.src, m.src_family == AF_INET ? 4 : 16);
	r = knock_check_opened(k, (int)m.prev_key, m.inner, m.inner_len, &pi,
	    now, d, why, whylen);
	/* The worker's word, for a metric: within the last hour, or none. */
	if (r == 0 && m.captured <= mono && m.captured > mono - 3600)
		d->captured = m.captured;
out:
	sk_wipe(&m, sizeof(m));
	return r;
}

void
ps_log_ev_from(const struct sk_log_ev *ev, struct ps_log_ev *m)
{
	memset(m, 0, sizeof(*m));
	if (ev == NULL)
		return;
	m->has = 1;
#define X(f) if (ev->f != NULL) snprintf(m->f, sizeof(m->f), "%s", ev->f);
	PS_LOG_EV_FIELDS
#undef X
}

/* A field from the worker: cut at its end, '?' for anything not
 * printable; NULL when empty. */
static const char *
ev_field(char *f, size_t len)
{
	size_t i;

	f[len - 1] = '\0';
	for (i = 0; f[i] != '\0'; i++)
		if ((unsigned char)f[i] < 0x20 || (unsigned char)f[i] >= 0x7f)
			f[i] = '?';
	return f[0] != '\0' ? f : NULL;
}

int
ps_log_clean(const struct ps_log *m, size_t len, char *out, size_t outlen,
    struct ps_log_ev *evm, const struct sk_log_ev **ev)
{
	static struct sk_log_ev e;
	size_t i, o = 0, n;
	unsigned char ch;
	int prio;

	*ev = NULL;
	if (outlen == 0)
		return LOG_ERR;
	if (len < offsetof(struct ps_log, msg)) {
		snprintf(out, outlen, "(a short log message from the worker)");
		return LOG_ERR;
	}
	n = len - offsetof(struct ps_log, msg);
	prio = m->prio < LOG_ERR ? LOG_ERR : m->prio > LOG_DEBUG ? LOG_DEBUG :
	    m->prio;
	*evm = m->ev;
	if (evm->has) {
#define X(f) e.f = ev_field(evm->f, sizeof(evm->f));
		PS_LOG_EV_FIELDS
#undef X
		*ev = &e;
	}
	for (i = 0; i < n && m->msg[i] != '\0'; i++) {
		ch = (unsigned char)m->msg[i];
		if (ch >= 0x20 && ch != 0x7f) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)ch;
		} else {
			if (o + 4 >= outlen)
				break;
			snprintf(out + o, 5, "\\x%02x", ch);
			o += 4;
		}
	}
	out[o] = '\0';
	return prio;
}

/* ---- the snapshot ---- */

#define SNAP_MAGIC	"SKSNAP03"
#define SNAP_MAX	(512u << 20)	/* bytes */
#define SNAP_RULES_MAX	65536u
#define SNAP_KEYS_MAX	(1u << 20)
#define SNAP_PK_MAX	1024		/* RSA-8192 n */

struct out {
	FILE	*f;
};

static void
put(struct out *o, const void *p, size_t n)
{
	fwrite(p, 1, n, o->f);
}

static void
put_u8(struct out *o, uint8_t v)
{
	put(o, &v, 1);
}

static void
put_u16(struct out *o, uint16_t v)
{
	uint8_t b[2];

	be16enc(b, v);
	put(o, b, 2);
}

static void
put_u32(struct out *o, uint32_t v)
{
	uint8_t b[4];

	be32enc(b, v);
	put(o, b, 4);
}

static void
put_u64(struct out *o, uint64_t v)
{
	uint8_t b[8];

	be64enc(b, v);
	put(o, b, 8);
}

static int
put_key(struct out *o, const struct keyring_entry *e)
{
	uint8_t a[SNAP_PK_MAX], b[SNAP_PK_MAX];
	size_t alen, blen;
	enum sk_pk_alg alg = crypto_pubkey_alg(e->pk);
	int r;

	if ((r = crypto_pubkey_export(e->pk, a, &alen, b, &blen,
	    SNAP_PK_MAX)) != 0)
		return r;
	put(o, e->fpr, PGP_FPR_LEN);
	put(o, e->primary_fpr, PGP_FPR_LEN);
	put_u8(o, e->algo);
	put_u32(o, e->bits);
	put_u64(o, (uint64_t)e->expires);
	put_u64(o, (uint64_t)e->created);
	put(o, e->uid, sizeof(e->uid));
	put(o, e->name, sizeof(e->name));
	put_u8(o, (uint8_t)alg);
	put_u8(o, alg == SK_PK_RSA ? 0 : (uint8_t)crypto_pubkey_curve(e->pk));
	put_u16(o, (uint16_t)alen);
	put(o, a, alen);
	put_u16(o, (uint16_t)blen);
	put(o, b, blen);
	return 0;
}

static void
count_digest(void *arg, const uint8_t *d, time_t expires)
{
	(*(size_t *)arg)++;
}

static void
put_digest(void *arg, const uint8_t *d, time_t expires)
{
	struct out *o = arg;

	put(o, d, REPLAY_DIGEST_LEN);
	put_u64(o, (uint64_t)expires);
}

static void
put_known(void *arg, int family, const uint8_t *addr, time_t seen)
{
	struct out *o = arg;

	put_u8(o, (uint8_t)family);
	put(o, addr, 16);
	put_u64(o, (uint64_t)seen);
}

int
ps_snapshot_write(const struct knock *k, time_t now, int *fdp, size_t *size)
{
	struct out o;
	char *buf = NULL;
	size_t len = 0, i, off, nrep;
	ssize_t n;
	int fd = -1, r = SK_ERR_IO;

	*fdp = -1;
	*size = 0;
	if ((o.f = open_memstream(&buf, &len)) == NULL)
		return SK_ERR_ALLOC;
	put(&o, SNAP_MAGIC, 8);
	put_u32(&o, (uint32_t)k->cfg->max_packet_age);
	put(&o, k->key.sk, sizeof(k->key.sk));
	put_u8(&o, k->prev_mac1 != NULL);
	if (k->prev_mac1 != NULL)
		put(&o, k->prev.sk, sizeof(k->prev.sk));
	put_u32(&o, (uint32_t)k->acl->n);
	put(&o, k->acl->rules, k->acl->n * sizeof(k->acl->rules[0]));
	put_u32(&o, (uint32_t)k->kr->n);
	for (i = 0; i < k->kr->n; i++)
		if ((r = put_key(&o, &k->kr->entries[i])) != 0) {
			fclose(o.f);
			goto out;
		}
	put_u32(&o, (uint32_t)k->kr->n_revoked);
	for (i = 0; i < k->kr->n_revoked; i++)
		put(&o, &k->kr->revoked[i], sizeof(k->kr->revoked[i]));
	put_u32(&o, (uint32_t)(k->fu != NULL ? k->fu->n : 0));
	for (i = 0; k->fu != NULL && i < k->fu->n; i++)
		put(&o, &k->fu->u[i].rec, sizeof(k->fu->u[i].rec));
	nrep = 0;
	replay_each(k->rc, now, count_digest, &nrep);
	put_u32(&o, (uint32_t)nrep);
	replay_each(k->rc, now, put_digest, &o);
	put_u32(&o, (uint32_t)(k->known != NULL ? known_count(k->known) : 0));
	if (k->known != NULL)
		known_each(k->known, put_known, &o);
	r = SK_ERR_IO;
	if (fclose(o.f) != 0 || buf == NULL)
		goto out;
	if ((fd = memfd_create("sigknock-snapshot", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) < 0) {
		log_err("memfd_create: %s", strerror(errno));
		goto out;
	}
	for (off = 0; off < len; off += (size_t)n)
		if ((n = write(fd, buf + off, len - off)) <= 0) {
			log_err("snapshot: %s", strerror(errno));
			goto out;
		}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	    F_SEAL_SEAL) != 0) {
		log_err("snapshot: sealing: %s", strerror(errno));
		goto out;
	}
	*fdp = fd;
	*size = len;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (buf != NULL) {
		sk_wipe(buf, len);	/* holds the server's secret key */
		free(buf);
	}
	return r;
}

/* A fixed-size string field: NUL within it, or the snapshot is bad. */
static int
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static int
rule_ok(const struct access_rule *r)
{
	size_t i;

	if (!terminated(r->name, sizeof(r->name)) ||
	    r->n_users > ACCESS_USERS_MAX || r->n_open > ACCESS_PORTS_MAX ||
	    r->n_default > SK_ACCESS_MAX || r->n_sources > ACCESS_SOURCES_MAX ||
	    r->n_allow > ACCESS_SOURCES_MAX || r->n_fwd > ACCESS_FWD_MAX)
		return 0;
	for (i = 0; i < r->n_users; i++)
		if (!terminated(r->users[i].name, sizeof(r->users[i].name)) ||
		    r->users[i].fido2_idlen > sizeof(r->users[i].fido2_id))
			return 0;
	for (i = 0; i < r->n_fwd; i++)
		if (!terminated(r->fwd[i].name, sizeof(r->fwd[i].name)))
			return 0;
	return 1;
}

static int
read_rules(struct rbuf *rb, struct ps_state *st)
{
	uint32_t n, i;
	size_t sz = sizeof(struct access_rule);

	if (rbuf_u32(rb, &n) != 0 || n > SNAP_RULES_MAX ||
	    rbuf_left(rb) / sz < n)
		return SK_ERR_TRUNCATED;
	if ((st->acl = calloc(1, sizeof(*st->acl))) == NULL ||
	    (n > 0 && (st->acl->rules = calloc(n, sz)) == NULL))
		return SK_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		rbuf_bytes(rb, (uint8_t *)&st->acl->rules[i], sz);
		if (!rule_ok(&st->acl->rules[i]))
			return SK_ERR_BAD_FIELD;
		st->acl->n++;
	}
	return 0;
}

static int
read_key(struct rbuf *rb, struct keyring_entry *e)
{
	const uint8_t *a, *b;
	uint64_t exp, created;
	uint32_t bits;
	uint16_t alen, blen;
	uint8_t alg, curve;

	if (rbuf_bytes(rb, e->fpr, PGP_FPR_LEN) != 0 ||
	    rbuf_bytes(rb, e->primary_fpr, PGP_FPR_LEN) != 0 ||
	    rbuf_u8(rb, &e->algo) != 0 || rbuf_u32(rb, &bits) != 0 ||
	    rbuf_u64(rb, &exp) != 0 || rbuf_u64(rb, &created) != 0 ||
	    rbuf_bytes(rb, (uint8_t *)e->uid, sizeof(e->uid)) != 0 ||
	    rbuf_bytes(rb, (uint8_t *)e->name, sizeof(e->name)) != 0 ||
	    rbuf_u8(rb, &alg) != 0 || rbuf_u8(rb, &curve) != 0 ||
	    rbuf_u16(rb, &alen) != 0 || rbuf_ref(rb, &a, alen) != 0 ||
	    rbuf_u16(rb, &blen) != 0 || rbuf_ref(rb, &b, blen) != 0)
		return SK_ERR_TRUNCATED;
	if (!terminated(e->uid, sizeof(e->uid)) ||
	    !terminated(e->name, sizeof(e->name)) || exp > INT64_MAX ||
	    created > INT64_MAX)
		return SK_ERR_BAD_FIELD;
	e->bits = bits;
	e->expires = (time_t)exp;
	e->created = (long long)created;
	if (alg == SK_PK_RSA)
		return crypto_pubkey_rsa(&e->pk, a, alen, b, blen);
	if (alg != SK_PK_ECDSA && alg != SK_PK_EDDSA)
		return SK_ERR_BAD_FIELD;
	return crypto_pubkey_ec(&e->pk, (enum sk_pk_alg)alg,
	    (enum sk_curve)curve, a, alen);
}

static int
read_keys(struct rbuf *rb, struct ps_state *st)
{
	struct keyring_entry *e;
	uint32_t n, i;
	int r;

	/* Each entry takes more than 256 bytes: n is bounded by the input. */
	if (rbuf_u32(rb, &n) != 0 || n > SNAP_KEYS_MAX ||
	    rbuf_left(rb) / 256 < n)
		return SK_ERR_TRUNCATED;
	if ((st->kr = calloc(1, sizeof(*st->kr))) == NULL ||
	    (n > 0 && (st->kr->entries = calloc(n, sizeof(*e))) == NULL))
		return SK_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		e = &st->kr->entries[i];
		r = read_key(rb, e);
		if (r == 0 && i > 0 && memcmp(e[-1].fpr, e->fpr,
		    PGP_FPR_LEN) >= 0)
			r = SK_ERR_BAD_FIELD;	/* keyring_lookup bisects */
		if (r != 0) {
			crypto_pubkey_free(e->pk);
			e->pk = NULL;
			return r;
		}
		st->kr->n++;
	}
	return 0;
}

/* Revoked keys, to name their refusals: sorted, names terminated. */
static int
read_revoked(struct rbuf *rb, struct ps_state *st)
{
	size_t sz = sizeof(struct keyring_revoked);
	uint32_t n, i;

	if (rbuf_u32(rb, &n) != 0 || n > SNAP_KEYS_MAX || rbuf_left(rb) / sz < n)
		return SK_ERR_TRUNCATED;
	if (n > 0 && (st->kr->revoked = calloc(n, sz)) == NULL)
		return SK_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		rbuf_bytes(rb, (uint8_t *)&st->kr->revoked[i], sz);
		if (!terminated(st->kr->revoked[i].name,
		    sizeof(st->kr->revoked[i].name)) || (i > 0 &&
		    memcmp(st->kr->revoked[i - 1].fpr, st->kr->revoked[i].fpr,
		    PGP_FPR_LEN) >= 0))
			return SK_ERR_BAD_FIELD;	/* bisected */
		st->kr->n_revoked++;
	}
	return 0;
}

static int
read_fido2(struct rbuf *rb, struct ps_state *st)
{
	struct fido2_record *recs = NULL;
	size_t sz = sizeof(struct fido2_record);
	uint32_t n, i;
	int r = 0;

	if (rbuf_u32(rb, &n) != 0 || n > SNAP_KEYS_MAX || rbuf_left(rb) / sz < n)
		return SK_ERR_TRUNCATED;
	if (n > 0 && (recs = calloc(n, sz)) == NULL)
		return SK_ERR_ALLOC;
	for (i = 0; i < n && r == 0; i++) {
		struct fido2_record *x = &recs[i];

		rbuf_bytes(rb, (uint8_t *)x, sz);
		if (!terminated(x->name, sizeof(x->name)) ||
		    !terminated(x->rp, sizeof(x->rp)) ||
		    !terminated(x->device, sizeof(x->device)) ||
		    !terminated(x->revoked, sizeof(x->revoked)) ||
		    x->credlen > sizeof(x->cred) || x->pklen > sizeof(x->pk))
			r = SK_ERR_BAD_FIELD;
	}
	if (r == 0)
		r = fido2_users_build(recs, n, "snapshot", &st->fu);
	free(recs);
	return r;
}

static int
read_replay(struct rbuf *rb, struct ps_state *st)
{
	const uint8_t *dg;
	uint64_t exp;
	uint32_t n, i;
	int r;

	if (rbuf_u32(rb, &n) != 0 || rbuf_left(rb) / (REPLAY_DIGEST_LEN + 8) <
	    n)
		return SK_ERR_TRUNCATED;
	for (i = 0; i < n; i++) {
		if (rbuf_ref(rb, &dg, REPLAY_DIGEST_LEN) != 0 ||
		    rbuf_u64(rb, &exp) != 0)
			return SK_ERR_TRUNCATED;
		if (exp > INT64_MAX)
			return SK_ERR_BAD_FIELD;
		if (st->rc != NULL && !replay_seen(st->rc, dg, 0) &&
		    (r = replay_add(st->rc, dg, (time_t)exp)) != 0)
			return r;
	}
	return 0;
}

static int
read_known(struct rbuf *rb, struct ps_state *st)
{
	const uint8_t *addr;
	uint64_t seen;
	uint32_t n, i;
	uint8_t family;

	if (rbuf_u32(rb, &n) != 0 || rbuf_left(rb) / (1 + 16 + 8) < n)
		return SK_ERR_TRUNCATED;
	if (n > KNOWN_MAX)
		return SK_ERR_BAD_FIELD;
	for (i = 0; i < n; i++) {
		if (rbuf_u8(rb, &family) != 0 || rbuf_ref(rb, &addr, 16) != 0 ||
		    rbuf_u64(rb, &seen) != 0)
			return SK_ERR_TRUNCATED;
		if ((family != AF_INET && family != AF_INET6) ||
		    seen > INT64_MAX)
			return SK_ERR_BAD_FIELD;
		if (st->known != NULL)
			known_add(st->known, family, addr, (time_t)seen);
	}
	return 0;
}

int
ps_snapshot_read(const uint8_t *p, size_t len, struct ps_state *st)
{
	struct replay *rc = st->rc;
	struct known *known = st->known;
	struct rbuf rb;
	uint8_t magic[8], sk[HPKE_SK_LEN], has_prev;
	uint32_t age;
	int r;

	memset(st, 0, sizeof(*st));
	st->rc = rc;
	st->known = known;
	rbuf_init(&rb, p, len);
	if (len > SNAP_MAX)
		return SK_ERR_TOO_LONG;
	if (rbuf_bytes(&rb, magic, 8) != 0 || memcmp(magic, SNAP_MAGIC, 8) != 0)
		return SK_ERR_BAD_VERSION;
	if (rbuf_u32(&rb, &age) != 0 || rbuf_bytes(&rb, sk, sizeof(sk)) != 0 ||
	    rbuf_u8(&rb, &has_prev) != 0 || has_prev > 1) {
		r = SK_ERR_TRUNCATED;
		goto fail;
	}
	if (age == 0 || age > MAX_PACKET_AGE_MAX) {
		r = SK_ERR_BAD_FIELD;
		goto fail;
	}
	st->max_packet_age = (long)age;
	if ((r = wire_server_key_init(&st->key, sk)) != 0)
		goto fail;
	if (has_prev) {
		if ((r = rbuf_bytes(&rb, sk, sizeof(sk))) != 0 ||
		    (r = wire_server_key_init(&st->prev, sk)) != 0)
			goto fail;
		st->has_prev = 1;
	}
	if ((r = read_rules(&rb, st)) != 0 || (r = read_keys(&rb, st)) != 0 ||
	    (r = read_revoked(&rb, st)) != 0 || (r = read_fido2(&rb, st)) != 0 || (r = read_replay(&rb, st)) != 0 ||
	    (r = read_known(&rb, st)) != 0 || (r = rbuf_end(&rb)) != 0)
		goto fail;
	sk_wipe(sk, sizeof(sk));
	return 0;
fail:
	sk_wipe(sk, sizeof(sk));
	ps_state_free(st);
	st->rc = rc;
	st->known = known;
	return r;
}

void
ps_state_free(struct ps_state *st)
{
	access_free(st->acl);
	keyring_free(st->kr);
	fido2_users_free(st->fu);
	wire_server_key_wipe(&st->key);
	wire_server_key_wipe(&st->prev);
	memset(st, 0, sizeof(*st));
}
