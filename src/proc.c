/* Is a process still the one we knew? Liveness of lease owners, from /proc. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

/* Reads the state letter (field 3) and start time (field 22) of pid. */
static int proc_stat(pid_t pid, char *state, int64_t *start_time)
{
	char path[64], buf[1024];
	const char *p;
	char *end;
	ssize_t n;
	long long v;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm (field 2) may hold spaces and parentheses; it ends at the last ')'. */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ' || !p[2])
		return -1;
	p += 2;
	*state = *p;
	/* p is at field 3; skip 19 fields to reach field 22. */
	for (int field = 3; field < 22; field++) {
		if (!(p = strchr(p, ' ')))
			return -1;
		p++;
	}
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno || end == p || v < 0 || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -1;
	*start_time = v;
	return 0;
}

int64_t proc_start_time(pid_t pid)
{
	/* Our own start time is asked for once per lease; keyed by pid so that a
	 * forked child does not inherit its parent's answer. */
	static pid_t self_pid;
	static int64_t self_start = -1;
	pid_t me = getpid();
	char state;
	int64_t t;

	if (pid == me && self_pid == me)
		return self_start;
	if (proc_stat(pid, &state, &t) < 0)
		t = -1;
	if (pid == me) {
		self_pid = me;
		self_start = t;
	}
	return t;
}

bool proc_alive(pid_t pid, int64_t start_time)
{
	char state;
	int64_t t;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	/* EPERM: it exists but is not ours to signal; /proc still tells who it is. */
	if (proc_stat(pid, &state, &t) < 0)
		return true; /* no /proc (or hidepid): trust kill(2), the lease expiry bounds the
				rest */
	/* A zombie has finished its call; only its parent has not reaped it yet. */
	if (state == 'Z' || state == 'X')
		return false;
	return start_time < 0 || t == start_time;
}

uint64_t proc_pid_namespace(void)
{
	static int known;
	static uint64_t ns;
	struct stat sb;

	if (!known) {
		ns = stat("/proc/self/ns/pid", &sb) == 0 ? (uint64_t)sb.st_ino : 0;
		known = 1;
	}
	return ns;
}
