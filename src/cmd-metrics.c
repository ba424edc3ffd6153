/* cbexec metrics: every breaker's state and totals in the Prometheus text exposition format. */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "exitcodes.h"
#include "xmalloc.h"

/* What the exposition needs of a breaker: a struct breaker_state, with its
 * window and reasons, is 3.5 KB, and metrics may read 10 000 breakers. */
struct row {
	char *name;
	enum breaker_state_kind state;
	enum breaker_mode mode;
	uint32_t consecutive_failures;
	int64_t state_changed_at_ms, open_period_ms;
	int64_t last_success_at_ms, last_failure_at_ms;
	int64_t retry_at_ms; /* 0: no retry time (closed, half-open, tripped until reset) */
	struct breaker_totals totals;
};

struct rows {
	struct row *v;
	size_t n, cap;
	const struct cli_names *only; /* the names asked for, or NULL for all */
	bool *seen;		      /* by index into only */
	struct store *s;
	const char *path;
};

/* A breaker asked for: by name, or by a pattern that cli_expand_names turned
 * into the names it matched. */
static bool wanted(struct rows *r, const char *name)
{
	bool found = false;

	if (!r->only)
		return true;
	for (size_t i = 0; i < r->only->n; i++)
		if (strcmp(r->only->v[i], name) == 0)
			found = r->seen[i] = true;
	return found;
}

static int collect(const char *name, const struct breaker_state *st,
		   const struct breaker_settings *saved, void *ctx)
{
	struct rows *r = ctx;

	(void)saved;
	if (!wanted(r, name))
		return 0;
	/* One row that cannot be understood must not take every breaker's
	 * metrics with it: named on stderr, left out of the exposition. */
	if (!st) {
		warnx("%s: %s; skipped", r->path, store_errmsg(r->s));
		return 0;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n] = (struct row){
		.name = xstrdup(name),
		.state = st->state,
		.mode = st->mode,
		.consecutive_failures = st->consecutive_failures,
		.state_changed_at_ms = st->state_changed_at_ms,
		.open_period_ms = st->open_period_ms,
		.last_success_at_ms = st->last_success_at_ms,
		.last_failure_at_ms = st->last_failure_at_ms,
		.retry_at_ms = st->state == BREAKER_OPEN && st->mode != BREAKER_TRIPPED
				       ? st->retry_at_ms
				       : 0,
		.totals = st->totals,
	};
	r->n++;
	return 0;
}

/* The format escapes backslash, double quote and newline in label values.
 * Breaker names cannot hold any of them today; this keeps the output valid
 * if the name rules ever widen. */
static void put_label_value(const char *v, FILE *out)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", out);
		else if (*v == '"')
			fputs("\\\"", out);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void put_name_label(const char *metric, const char *name, FILE *out)
{
	fprintf(out, "%s{name=\"", metric);
	put_label_value(name, out);
	fputs("\"", out);
}

static void family(const char *metric, const char *type, const char *help, FILE *out)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

/* Milliseconds as seconds with exactly three decimals: no rounding through double.
 * The magnitude in unsigned arithmetic, so that INT64_MIN is no overflow. */
static void put_seconds(int64_t ms, FILE *out)
{
	const char *sign = ms < 0 ? "-" : "";
	unsigned long long a = ms < 0 ? 0 - (unsigned long long)ms : (unsigned long long)ms;

	fprintf(out, " %s%llu.%03llu\n", sign, a / 1000, a % 1000);
}

enum field {
	F_CALLS,
	F_SUCCESSES,
	F_FAILURES,
	F_IGNORED,
	F_TIMEOUTS,
	F_SLOW,
	F_REJECTED,
	F_OPENS,
	F_CONSECUTIVE,
	F_LAST_SUCCESS,
	F_LAST_FAILURE,
	F_STATE_CHANGED,
	F_OPEN_PERIOD,
	F_RETRY,
};

static const struct {
	const char *metric, *type, *help;
	enum field f;
} numbers[] = {
	{ "cbexec_calls_total", "counter", "Calls whose outcome was recorded, of any outcome.",
	  F_CALLS },
	{ "cbexec_successes_total", "counter", "Calls that succeeded.", F_SUCCESSES },
	{ "cbexec_failures_total", "counter", "Calls that failed, timeouts included.", F_FAILURES },
	{ "cbexec_ignored_total", "counter",
	  "Calls whose outcome was ignored (--ignore-exit, or interrupted by the caller).",
	  F_IGNORED },
	{ "cbexec_timeouts_total", "counter", "Calls ended by --timeout.", F_TIMEOUTS },
	{ "cbexec_slow_calls_total", "counter", "Calls that ran longer than --slow-call.", F_SLOW },
	{ "cbexec_rejected_total", "counter", "Calls the breaker rejected.", F_REJECTED },
	{ "cbexec_opens_total", "counter", "Changes of state to open, by calls or by hand.",
	  F_OPENS },
	{ "cbexec_consecutive_failures", "gauge", "Failures since the last success.",
	  F_CONSECUTIVE },
};

static long long field_value(const struct row *w, enum field f)
{
	switch (f) {
	case F_CALLS:
		return w->totals.calls;
	case F_SUCCESSES:
		return w->totals.successes;
	case F_FAILURES:
		return w->totals.failures;
	case F_IGNORED:
		return w->totals.ignored;
	case F_TIMEOUTS:
		return w->totals.timeouts;
	case F_SLOW:
		return w->totals.slow;
	case F_REJECTED:
		return w->totals.rejected;
	case F_OPENS:
		return w->totals.opens;
	case F_CONSECUTIVE:
		return w->consecutive_failures;
	default:
		break;
	}
	return 0;
}

/* The timestamps and periods, in ms, printed as seconds. */
static int64_t field_ms(const struct row *w, enum field f)
{
	switch (f) {
	case F_LAST_SUCCESS:
		return w->last_success_at_ms;
	case F_LAST_FAILURE:
		return w->last_failure_at_ms;
	case F_STATE_CHANGED:
		return w->state_changed_at_ms;
	case F_OPEN_PERIOD:
		return w->open_period_ms;
	case F_RETRY:
		return w->retry_at_ms;
	default:
		break;
	}
	return 0;
}

/*
 * "Never" is 0, as the node exporter's own *_timestamp_seconds families
 * have it: every breaker has the sample, so the usual alert
 * `time() - cbexec_last_success_timestamp_seconds > 86400` also fires for a
 * job that has never once succeeded, where a missing sample would stay
 * silent. The retry time is the exception: it exists only while a breaker
 * waits to probe, and a 0 there would read as "due long ago".
 */
static const struct {
	const char *metric, *help;
	enum field f;
} times[] = {
	{ "cbexec_last_success_timestamp_seconds",
	  "When a call last succeeded, in seconds since the epoch; 0 = never.", F_LAST_SUCCESS },
	{ "cbexec_last_failure_timestamp_seconds",
	  "When a call last failed, in seconds since the epoch; 0 = never.", F_LAST_FAILURE },
	{ "cbexec_state_changed_timestamp_seconds",
	  "When the breaker last changed state, in seconds since the epoch.", F_STATE_CHANGED },
	{ "cbexec_open_period_seconds",
	  "The open period in force: recovery_timeout, grown by backoff after failed probes.",
	  F_OPEN_PERIOD },
	{ "cbexec_retry_timestamp_seconds",
	  "When an open breaker lets the next probe through, in seconds since the epoch; only "
	  "while open and not tripped until reset.",
	  F_RETRY },
};

/* The format wants every sample of a family together, after its HELP and TYPE:
 * so the loops run family by family, breaker by breaker within. */
static void print_metrics(const struct rows *r, FILE *out)
{
	static const enum breaker_state_kind kinds[] = { BREAKER_CLOSED, BREAKER_OPEN,
							 BREAKER_HALF_OPEN };
	/* Spelled as status --json spells the mode. */
	static const struct {
		enum breaker_mode mode;
		const char *label;
	} modes[] = { { BREAKER_NORMAL, "normal" },
		      { BREAKER_TRIPPED, "tripped" },
		      { BREAKER_BYPASS, "bypass" } };

	family("cbexec_breaker_state", "gauge",
	       "1 for the state the breaker is in, 0 for the others.", out);
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			put_name_label("cbexec_breaker_state", r->v[i].name, out);
			fprintf(out, ",state=\"%s\"} %d\n", breaker_state_name(kinds[k]),
				r->v[i].state == kinds[k]);
		}
	}
	/* As the state gauge: `cbexec_breaker_mode{mode!="normal"} == 1` finds
	 * every breaker someone tripped or bypassed by hand. */
	family("cbexec_breaker_mode", "gauge",
	       "1 for the manual mode the breaker is in (normal, tripped until reset, bypass), 0 "
	       "for the others.",
	       out);
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
			put_name_label("cbexec_breaker_mode", r->v[i].name, out);
			fprintf(out, ",mode=\"%s\"} %d\n", modes[k].label,
				r->v[i].mode == modes[k].mode);
		}
	}
	for (size_t m = 0; m < sizeof(numbers) / sizeof(numbers[0]); m++) {
		family(numbers[m].metric, numbers[m].type, numbers[m].help, out);
		for (size_t i = 0; i < r->n; i++) {
			put_name_label(numbers[m].metric, r->v[i].name, out);
			fprintf(out, "} %lld\n", field_value(&r->v[i], numbers[m].f));
		}
	}
	for (size_t m = 0; m < sizeof(times) / sizeof(times[0]); m++) {
		family(times[m].metric, "gauge", times[m].help, out);
		for (size_t i = 0; i < r->n; i++) {
			if (times[m].f == F_RETRY && r->v[i].retry_at_ms == 0)
				continue;
			put_name_label(times[m].metric, r->v[i].name, out);
			fputs("}", out);
			put_seconds(field_ms(&r->v[i], times[m].f), out);
		}
	}
	/* A summary without quantiles: a _sum and a _count are what rate() needs
	 * for a mean, and buckets would cost a stored counter each. */
	family("cbexec_call_duration_seconds", "summary",
	       "How long the commands run by cbexec ran; outcomes recorded by hand have no "
	       "duration.",
	       out);
	for (size_t i = 0; i < r->n; i++) {
		put_name_label("cbexec_call_duration_seconds_sum", r->v[i].name, out);
		fputs("}", out);
		put_seconds(r->v[i].totals.duration_ms_sum, out);
		put_name_label("cbexec_call_duration_seconds_count", r->v[i].name, out);
		fprintf(out, "} %lld\n", (long long)r->v[i].totals.timed_calls);
	}
}

/*
 * --output FILE: the exposition is written to a new file in FILE's directory
 * (so that the rename stays within one filesystem), made durable, then
 * renamed over FILE, so that a textfile collector reading at any moment sees
 * the old file or the new one, never a part. The temporary name starts with
 * a dot and does not end in .prom, which the node exporter skips. Returns 0,
 * or -1 with a message given and FILE untouched.
 */
static int write_output(const char *file, const struct rows *r)
{
	const char *slash = strrchr(file, '/');
	const char *base = slash ? slash + 1 : file;
	size_t dirlen = slash ? (size_t)(slash - file) : 0;
	char *dir, *tmp;
	FILE *f = NULL;
	int fd, dfd;

	struct stat sb;

	if (!*base) {
		warnx("--output %s: a directory, not a file name; give the file to write", file);
		return -1;
	}
	/* The rename replaces whatever the name holds: as root, --output /dev/null
	 * would turn the device into a file. Only a file (or a link, which the
	 * rename replaces and whose target stays) is ours to replace. */
	if (lstat(file, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode)) {
		warnx("--output %s: not a regular file; give the path of the .prom file to write",
		      file);
		return -1;
	}
	if (!slash)
		dir = xstrdup(".");
	else if (dirlen == 0)
		dir = xstrdup("/");
	else
		dir = xasprintf("%.*s", (int)dirlen, file);
	tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	if ((fd = mkstemp(tmp)) < 0) {
		warn("--output %s: cannot create a temporary file in %s", file, dir);
		goto fail_nofile;
	}
	/* mkstemp makes 0600; a collector running as another user must read it. */
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		warn("--output %s: %s", file, tmp);
		close(fd);
		goto fail;
	}
	print_metrics(r, f);
	if (fflush(f) == EOF || ferror(f) || fsync(fd) < 0) {
		warn("--output %s: writing %s", file, tmp);
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF) {
		warn("--output %s: writing %s", file, tmp);
		goto fail;
	}
	if (rename(tmp, file) < 0) {
		warn("--output %s: cannot rename %s to it", file, tmp);
		goto fail;
	}
	/* The rename itself survives a crash only once the directory is synced;
	 * the new file is complete either way, so a failure here is no error. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(tmp);
	free(dir);
	return 0;
fail:
	unlink(tmp); /* the message is given: its errno is no longer needed */
fail_nofile:
	free(tmp);
	free(dir);
	return -1;
}

static int metrics_exec(const struct args *a)
{
	struct rows rows = { 0 };
	struct cli_names names = { 0 };
	const char *output = cli_arg(a, "output");
	struct store *s;
	char *path, *where;
	int rc = 0;

	if (output && !*output)
		cli_usage_error(&cmd_metrics_entry, "--output: an empty file name");
	cli_check_names_or_patterns(a->argc, a->argv);
	path = cli_db_path(cli_arg(a, "db"));
	s = cli_open_store_readonly(path, EXIT_CANCELED);
	where = cli_where(path);
	rows.s = s;
	rows.path = where;
	if (a->argc > 0) {
		cli_expand_names(s, where, a->argc, a->argv, &names);
		rows.only = &names;
		rows.seen = xcalloc(names.n, sizeof(*rows.seen));
	}
	/* Read everything before printing anything: a store error must not leave a
	 * half-written exposition for a textfile collector to pick up. */
	if (store_each(s, collect, &rows) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
	/* As status does: the others are printed, the unknown named, the exit 125. */
	for (size_t i = 0; rows.only && i < names.n; i++) {
		if (!rows.seen[i]) {
			warnx("%s: no such breaker", names.v[i]);
			rc = EXIT_CANCELED;
		}
	}
	store_close(s);

	if (output) {
		/* Exit 125 always means FILE was left as it was: an unknown name
		 * too, rather than replace the file with fewer breakers. */
		if (rc == 0 && write_output(output, &rows) < 0)
			rc = EXIT_CANCELED;
	} else {
		print_metrics(&rows, stdout);
		if (fflush(stdout) == EOF || ferror(stdout))
			err(EXIT_CANCELED, "standard output");
	}
	for (size_t i = 0; i < rows.n; i++)
		free(rows.v[i].name);
	free(rows.v);
	free(rows.seen);
	cli_names_free(&names);
	free(where);
	free(path);
	return rc;
}

static const struct cmd_option metrics_options[] = {
	{ 0, "output", "FILE", "write FILE atomically (a new file renamed over it), mode 0644" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 0 },
};

const struct cmd_entry cmd_metrics_entry = {
	.name = "metrics",
	.usage = "[--output FILE] [--db PATH] [NAME|PATTERN...]",
	.summary = "print every breaker's state and totals for Prometheus",
	.options = metrics_options,
	.max_operands = -1,
	.help = "Every breaker, or those named; a quoted PATTERN ('api-*') matches names as\n"
		"the shell would (fnmatch(3)). --output FILE writes a new file beside FILE and\n"
		"renames it over FILE, so a reader never sees half of it; on any error (exit\n"
		"125) FILE is left as it was.\n"
		"\n"
		"Prometheus text exposition format, for the node exporter's textfile\n"
		"collector; every sample is labelled name=\"NAME\". Families:\n"
		"  cbexec_breaker_state{state=closed|open|half_open}  1 or 0\n"
		"  cbexec_breaker_mode{mode=normal|tripped|bypass}    1 or 0\n"
		"  cbexec_calls_total, cbexec_successes_total, cbexec_failures_total,\n"
		"  cbexec_ignored_total, cbexec_timeouts_total, cbexec_slow_calls_total,\n"
		"  cbexec_rejected_total, cbexec_opens_total                counters\n"
		"  cbexec_consecutive_failures, cbexec_open_period_seconds,\n"
		"  cbexec_state_changed_timestamp_seconds,\n"
		"  cbexec_last_success_timestamp_seconds (0 = never),\n"
		"  cbexec_last_failure_timestamp_seconds (0 = never),\n"
		"  cbexec_retry_timestamp_seconds (only while open)        gauges\n"
		"  cbexec_call_duration_seconds_sum, _count                summary\n",
	.exec = metrics_exec,
};
