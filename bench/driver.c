/* Benchmark driver: times commands interleaved (medians, per-round ratios) or in parallel. */
/*
 * driver time ROUNDS WARMUP EXP CMD... [::: EXP CMD...]...
 *	Each round runs every command once, starting at a rotating position so no command is
 *	always first. Prints per command the median, 10th and 90th percentile wall time in
 *	microseconds, and for every command after the first the median over rounds of
 *	time(cmd) / time(first cmd) of the same round: both ran within a few milliseconds of each
 *	other, so drift in the machine's speed cancels out of the ratio. Command J also gets
 *	ratio_K, the same median of time(J) / time(K) for every K between 1 and J-1 (Redis
 *	against SQLite, say, not only both against the first).
 * driver par PROCS CALLS EXP CMD... [::: EXP CMD...]...
 *	PROCS workers, released together, each run CALLS commands one after another (cycling
 *	through the commands given). Prints wall seconds and calls per second.
 * driver loop CALLS FILE EXP CMD... [::: EXP CMD...]...
 *	Runs the commands CALLS times in all, one after another, and after each run looks at the
 *	size of FILE (a WAL, say). Prints the size at the start, the largest seen and the last.
 * EXP is the exit status every run must have, or "-" for any. A mismatch is fatal in both
 * modes, so a benchmark never silently times an error path. Commands run with stdin, stdout
 * and stderr on /dev/null: the rejected path's message must not cost a terminal write.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd {
	int exp; /* -1 = any */
	char **argv;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs one command to completion; returns its exit status (128+N for signal N). */
static int run(const struct cmd *c, int devnull)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		err(2, "fork");
	if (pid == 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void check(const struct cmd *c, int st)
{
	if (c->exp >= 0 && st != c->exp)
		errx(2, "%s ... exited %d, expected %d", c->argv[0], st, c->exp);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(double *v, int n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1) + 0.5)];
}

/* Splits argv at ":::" into commands, each starting with its expected exit status. */
static int parse_cmds(char **argv, int argc, struct cmd **out)
{
	struct cmd *cs = calloc(argc, sizeof(*cs));
	int n = 0, i = 0;

	if (!cs)
		err(2, "calloc");
	while (i < argc) {
		if (i + 1 >= argc)
			errx(2, "a command needs EXP and at least one word");
		cs[n].exp = strcmp(argv[i], "-") == 0 ? -1 : atoi(argv[i]);
		cs[n].argv = argv + i + 1;
		for (i++; i < argc && strcmp(argv[i], ":::") != 0; i++)
			;
		if (i < argc)
			argv[i++] = NULL; /* terminates this command's argv */
		n++;
	}
	*out = cs;
	return n;
}

static void mode_time(int rounds, int warmup, struct cmd *cs, int n, int devnull)
{
	double *t = malloc(sizeof(*t) * rounds * n), *r = malloc(sizeof(*r) * rounds);
	double *col = malloc(sizeof(*col) * rounds);

	if (!t || !r || !col)
		err(2, "malloc");
	for (int i = 0; i < warmup; i++)
		for (int j = 0; j < n; j++)
			check(&cs[j], run(&cs[j], devnull));
	for (int i = 0; i < rounds; i++) {
		for (int k = 0; k < n; k++) {
			int j = (i + k) % n;
			int64_t t0 = now_ns();
			int st = run(&cs[j], devnull);

			t[i * n + j] = (now_ns() - t0) / 1e3;
			check(&cs[j], st);
		}
	}
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < rounds; i++)
			col[i] = t[i * n + j];
		printf("cmd %d median_us %.1f p10_us %.1f p90_us %.1f", j, pct(col, rounds, 0.5),
		       pct(col, rounds, 0.1), pct(col, rounds, 0.9));
		if (j > 0) {
			for (int i = 0; i < rounds; i++)
				r[i] = t[i * n + j] / t[i * n];
			printf(" ratio %.3f", pct(r, rounds, 0.5));
		}
		for (int k = 1; k < j; k++) {
			for (int i = 0; i < rounds; i++)
				r[i] = t[i * n + j] / t[i * n + k];
			printf(" ratio_%d %.3f", k, pct(r, rounds, 0.5));
		}
		putchar('\n');
	}
	free(t);
	free(r);
	free(col);
}

static void mode_par(int procs, int calls, struct cmd *cs, int n, int devnull)
{
	int go[2];
	int64_t t0;
	int bad = 0;

	if (pipe(go) < 0)
		err(2, "pipe");
	for (int w = 0; w < procs; w++) {
		pid_t pid = fork();

		if (pid < 0)
			err(2, "fork");
		if (pid == 0) {
			char c;

			close(go[1]);
			if (read(go[0], &c, 1) < 0) /* EOF when the parent releases everyone */
				_exit(2);
			for (int i = 0; i < calls; i++) {
				const struct cmd *c2 = &cs[(w + i) % n];
				int st = run(c2, devnull);

				if (c2->exp >= 0 && st != c2->exp) {
					warnx("%s ... exited %d, expected %d", c2->argv[0], st,
					      c2->exp);
					_exit(1);
				}
			}
			_exit(0);
		}
	}
	close(go[0]);
	t0 = now_ns();
	close(go[1]);
	for (int w = 0; w < procs; w++) {
		int status;

		if (wait(&status) < 0)
			err(2, "wait");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	}
	double secs = (now_ns() - t0) / 1e9;
	printf("procs %d calls %d secs %.3f calls_per_s %.1f\n", procs, procs * calls, secs,
	       procs * calls / secs);
	if (bad)
		errx(2, "%d of %d workers saw an unexpected exit status", bad, procs);
}

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void mode_loop(int calls, const char *file, struct cmd *cs, int n, int devnull)
{
	long long first = file_size(file), max = first, last = first;

	for (int i = 0; i < calls; i++) {
		check(&cs[i % n], run(&cs[i % n], devnull));
		last = file_size(file);
		if (last > max)
			max = last;
	}
	printf("calls %d first_bytes %lld max_bytes %lld last_bytes %lld\n", calls, first, max,
	       last);
}

int main(int argc, char **argv)
{
	struct cmd *cs;
	int n, devnull;

	if (argc < 6 || (strcmp(argv[1], "time") != 0 && strcmp(argv[1], "par") != 0 &&
			 strcmp(argv[1], "loop") != 0))
		errx(2, "usage: driver time ROUNDS WARMUP EXP CMD... [::: EXP CMD...]...\n"
			"       driver par PROCS CALLS EXP CMD... [::: EXP CMD...]...\n"
			"       driver loop CALLS FILE EXP CMD... [::: EXP CMD...]...");
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0)
		err(2, "/dev/null");
	n = parse_cmds(argv + 4, argc - 4, &cs);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "time") == 0)
		mode_time(atoi(argv[2]), atoi(argv[3]), cs, n, devnull);
	else if (strcmp(argv[1], "loop") == 0)
		mode_loop(atoi(argv[2]), argv[3], cs, n, devnull);
	else
		mode_par(atoi(argv[2]), atoi(argv[3]), cs, n, devnull);
	free(cs);
	return 0;
}
