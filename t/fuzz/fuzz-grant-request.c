/* libFuzzer: what sigknockd's monitor parses from its worker, a grant
 * request (privsep.h), through the monitor's whole check: the fixed
 * fields, the strict decode of the request it carries, the time window,
 * the server binding, the replay lookup, the signer lookup and the
 * signature.  A worker under an attacker's control writes these bytes.
 *
 * Input: the raw struct ps_grant when longer than its request field
 * (any other length than the struct's is refused); else one byte of
 * header (bit 0: prev_key, bit 1: IPv6 source, bit 2: a length one past
 * the field) and the request itself, so that the corpus of opened
 * requests (t/fuzz/corpus/request) reaches the deep checks.  The
 * server is the golden vectors' (t/data), with one Ed25519 key named by
 * their signer id, at the golden vectors' time. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "privsep.h"

#define GOLDEN_NOW	1764000000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t len);

static struct knock k;
static struct server_config cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char label[] = "sigknock golden vector server key";
	static const char acl[] = "[all]\nUsers *\nOpen tcp/22, udp/53, "
	    "tcp/443\nSource any\nAllowSourceMode yes\nDelegation 8h\n";
	struct keyring_entry *e;
	uint8_t q[32];
	char path[] = "/tmp/sigknock-fuzz.XXXXXX";
	uint8_t sk[32];
	int fd;

	if (crypto_init() != 0)
		abort();
	cfg.max_packet_age = 120;
	k.cfg = &cfg;
	crypto_sha256(label, sizeof(label) - 1, sk);
	if (wire_server_key_init(&k.key, sk) != 0)
		abort();
	if ((fd = mkstemp(path)) < 0 || write(fd, acl, sizeof(acl) - 1) !=
	    (ssize_t)sizeof(acl) - 1)
		abort();
	close(fd);
	if (access_load(path, &k.acl) != 0)
		abort();
	unlink(path);
	if ((k.kr = calloc(1, sizeof(*k.kr))) == NULL ||
	    (k.kr->entries = calloc(1, sizeof(*e))) == NULL)
		abort();
	e = &k.kr->entries[0];
	for (fd = 0; fd < PGP_FPR_LEN; fd++)
		e->fpr[fd] = (uint8_t)(0x10 + fd);	/* the golden signer */
	memcpy(e->primary_fpr, e->fpr, PGP_FPR_LEN);
	e->algo = 22;
	e->bits = 255;
	snprintf(e->name, sizeof(e->name), "golden");
	/* Ed25519's base point as the public key: a key nobody needs the
	 * private half of here (no random generator, which LeakSanitizer
	 * would see as a leak at exit). */
	memset(q, 0x66, sizeof(q));
	q[0] = 0x58;
	if (crypto_pubkey_ec(&e->pk, SK_PK_EDDSA, SK_CURVE_ED25519, q,
	    sizeof(q)) != 0)
		abort();
	k.kr->n = 1;
	if (replay_open(NULL, 0, &k.rc) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct ps_grant m;
	struct ps_bucket b = { 0, 0 };
	struct knock_decision d;
	char why[320];

	memset(&m, 0, sizeof(m));
	if (len > sizeof(m.inner)) {
		/* The raw message: a length other than its own is refused. */
		memcpy(&m, p, len < sizeof(m) ? len : sizeof(m));
		if (len > sizeof(m))
			len = sizeof(m);
	} else if (len > 0) {
		m.type = PS_GRANT;
		m.prev_key = p[0] & 1;
		m.src_family = p[0] & 2 ? AF_INET6 : AF_INET;
		m.src[0] = 10;
		m.src[3] = 2;
		m.inner_len = (uint32_t)(len - 1) + ((p[0] & 4) ? 1 : 0);
		memcpy(m.inner, p + 1, len - 1);
		len = sizeof(m);
	}
	if (ps_grant_check(&k, &b, &m, len, GOLDEN_NOW, 1.0, &d, why,
	    sizeof(why)) == 0)
		abort();	/* no signature of the harness's key here */
	if (memchr(why, '\0', sizeof(why)) == NULL)
		abort();
	return 0;
}
