/* TEST HOOKS, compiled only with ./configure --enable-test-hooks (never
 * in a package): a datagram to the knock port whose payload starts with
 * "SKTEST " makes the worker do what an attacker who took it over would
 * try (t/511-privsep.sh).  Included by worker.c. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (hexval(s[2 * i]) < 0 || hexval(s[2 * i + 1]) < 0)
			return -1;
		out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	}
	return 0;
}

/* grant FPR ADDR tcp/PORT TIMEOUT DIGEST: a grant request of the
 * worker's own making, sent as if a knock had passed. */
static void
forge(struct worker *w, char *args)
{
	char fpr[64], addr[64], port[32], dg[80];
	unsigned timeout, p;
	struct ps_grant m;

	memset(&m, 0, sizeof(m));
	if (sscanf(args, "%63s %63s %31s %u %79s", fpr, addr, port, &timeout,
	    dg) != 5 || pgp_fpr_parse(fpr, m.id) != 0 ||
	    sscanf(port, "tcp/%u", &p) != 1 || unhex(dg, m.digest, 32) != 0) {
		log_err("test hook: bad grant arguments");
		return;
	}
	m.type = PS_GRANT;
	m.signer = GRANT_OPENPGP;
	if (inet_pton(AF_INET, addr, m.addr) == 1)
		m.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, m.addr) == 1)
		m.family = AF_INET6;
	m.src_family = m.family;
	memcpy(m.src, m.addr, 16);
	m.bound = 1;
	m.nports = 1;
	m.ports[0].proto = 6;
	m.ports[0].port = (uint16_t)p;
	m.timeout = timeout;
	m.timestamp = (uint64_t)time(NULL);
	ps_send(w->sock, &m, sizeof(m), -1, 0);
}

static int
test_hook(struct worker *w, const struct pkt_info *pi)
{
	char cmd[512];
	static char sh[] = "/bin/sh";
	char *const argv[] = { sh, NULL };
	int fd;

	if (pi->len < 7 || pi->len >= sizeof(cmd) ||
	    memcmp(pi->payload, "SKTEST ", 7) != 0)
		return 0;
	memcpy(cmd, pi->payload + 7, pi->len - 7);
	cmd[pi->len - 7] = '\0';
	cmd[strcspn(cmd, "\n")] = '\0';
	log_warn("test hook: %s", cmd);
	if (strcmp(cmd, "open") == 0) {
		fd = open("/etc/shadow", O_RDONLY);
		log_warn("test hook: open returned %d (%s)", fd, strerror(errno));
	} else if (strcmp(cmd, "exec") == 0) {
		execve(argv[0], argv, argv + 1);
		log_warn("test hook: execve returned (%s)", strerror(errno));
	} else if (strcmp(cmd, "socket") == 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		log_warn("test hook: socket returned %d (%s)", fd,
		    strerror(errno));
	} else if (strncmp(cmd, "write ", 6) == 0) {
		fd = open(cmd + 6, O_WRONLY | O_CREAT | O_APPEND, 0600);
		log_warn("test hook: open for writing returned %d (%s)", fd,
		    strerror(errno));
	} else if (strcmp(cmd, "segv") == 0) {
		raise(SIGSEGV);
	} else if (strncmp(cmd, "grant ", 6) == 0)
		forge(w, cmd + 6);
	else
		log_warn("test hook: unknown command");
	return 1;
}
