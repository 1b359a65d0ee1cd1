/* The replay cache: seen within the window, persisted across a reopen,
 * pruned after each entry's window, a torn last record survived. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "replay.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/sigknock-replay.XXXXXX", path[256];
	uint8_t d1[32], d2[32], d3[32];
	struct replay *rc;
	struct stat st;
	int fd, i;

	plan(14);
	sk_log_init("304-replay", 1, LOG_ERR);
	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	snprintf(path, sizeof(path), "%s/%s", dir, REPLAY_FILE);
	memset(d1, 1, 32);
	memset(d2, 2, 32);
	memset(d3, 3, 32);

	is_int(0, replay_open(dir, 1000, &rc), "open an empty cache");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is created with mode 0600");
	is_int(0, replay_seen(rc, d1, 1000), "unknown digest not seen");
	is_int(0, replay_add(rc, d1, 1100), "add d1 until 1100");
	is_int(0, replay_add(rc, d2, 1300), "add d2 until 1300");
	is_int(1, replay_seen(rc, d1, 1050), "d1 seen within its window");
	is_int(0, replay_seen(rc, d1, 1100), "d1 not seen at its expiry");
	replay_close(rc);

	is_int(0, replay_open(dir, 1050, &rc), "reopen (a restart)");
	ok(replay_seen(rc, d1, 1050) && replay_seen(rc, d2, 1050),
	    "both digests survive the restart");
	replay_close(rc);

	is_int(0, replay_open(dir, 1200, &rc), "reopen after d1's window");
	ok(!replay_seen(rc, d1, 1200) && replay_seen(rc, d2, 1200) &&
	    replay_count(rc) == 1, "d1 was dropped at load, d2 kept");
	for (i = 0; i < 200; i++) {
		d3[0] = (uint8_t)i;
		replay_add(rc, d3, 1250);
	}
	replay_prune(rc, 1260);
	is_int(1, (long long)replay_count(rc), "prune drops the 200 expired entries");
	replay_close(rc);

	/* A crash mid-write leaves a partial record: it is ignored. */
	if ((fd = open(path, O_WRONLY | O_APPEND)) < 0 || write(fd, d3, 7) != 7)
		bail("append");
	close(fd);
	is_int(0, replay_open(dir, 1210, &rc), "a torn last record is survived");
	ok(replay_seen(rc, d2, 1210), "and the good records are kept");
	replay_close(rc);
	unlink(path);
	rmdir(dir);
	return 0;
}
