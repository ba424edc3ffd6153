/* cbexec metrics: every breaker's state and totals in the Prometheus text exposition format. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"
#include "xmalloc.h"

/* What the exposition needs of a breaker: a struct breaker_state, with its
 * window and reasons, is 3.5 KB, and metrics may read 10 000 breakers. */
struct row {
	char *name;
	enum breaker_state_kind state;
	uint32_t consecutive_failures;
	int64_t state_changed_at_ms, open_period_ms;
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
		struct row *v = realloc(r->v, r->cap * sizeof(*v));

		if (!v)
			err(EXIT_CANCELED, "out of memory");
		r->v = v;
	}
	r->v[r->n] = (struct row){
		.name = xstrdup(name),
		.state = st->state,
		.consecutive_failures = st->consecutive_failures,
		.state_changed_at_ms = st->state_changed_at_ms,
		.open_period_ms = st->open_period_ms,
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
	}
	return 0;
}

/* The format wants every sample of a family together, after its HELP and TYPE:
 * so the loops run family by family, breaker by breaker within. */
static void print_metrics(const struct rows *r, FILE *out)
{
	static const enum breaker_state_kind kinds[] = { BREAKER_CLOSED, BREAKER_OPEN,
							 BREAKER_HALF_OPEN };

	family("cbexec_breaker_state", "gauge",
	       "1 for the state the breaker is in, 0 for the others.", out);
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			put_name_label("cbexec_breaker_state", r->v[i].name, out);
			fprintf(out, ",state=\"%s\"} %d\n", breaker_state_name(kinds[k]),
				r->v[i].state == kinds[k]);
		}
	}
	for (size_t m = 0; m < sizeof(numbers) / sizeof(numbers[0]); m++) {
		family(numbers[m].metric, numbers[m].type, numbers[m].help, out);
		for (size_t i = 0; i < r->n; i++) {
			put_name_label(numbers[m].metric, r->v[i].name, out);
			fprintf(out, "} %lld\n", field_value(&r->v[i], numbers[m].f));
		}
	}
	family("cbexec_state_changed_timestamp_seconds", "gauge",
	       "When the breaker last changed state, in seconds since the epoch.", out);
	for (size_t i = 0; i < r->n; i++) {
		put_name_label("cbexec_state_changed_timestamp_seconds", r->v[i].name, out);
		fputs("}", out);
		put_seconds(r->v[i].state_changed_at_ms, out);
	}
	family("cbexec_open_period_seconds", "gauge",
	       "The open period in force: recovery_timeout, grown by backoff after failed probes.",
	       out);
	for (size_t i = 0; i < r->n; i++) {
		put_name_label("cbexec_open_period_seconds", r->v[i].name, out);
		fputs("}", out);
		put_seconds(r->v[i].open_period_ms, out);
	}
}

static int metrics_exec(const struct args *a)
{
	struct rows rows = { 0 };
	struct cli_names names = { 0 };
	struct store *s;
	char *path;
	int rc = 0;

	cli_check_names_or_patterns(a->argc, a->argv);
	path = cli_db_path(cli_arg(a, "db"));
	s = cli_open_store_readonly(path, EXIT_CANCELED);
	rows.s = s;
	rows.path = path;
	if (a->argc > 0) {
		cli_expand_names(s, path, a->argc, a->argv, &names);
		rows.only = &names;
		rows.seen = xcalloc(names.n, sizeof(*rows.seen));
	}
	/* Read everything before printing anything: a store error must not leave a
	 * half-written exposition for a textfile collector to pick up. */
	if (store_each(s, collect, &rows) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
	/* As status does: the others are printed, the unknown named, the exit 125. */
	for (size_t i = 0; rows.only && i < names.n; i++) {
		if (!rows.seen[i]) {
			warnx("%s: no such breaker", names.v[i]);
			rc = EXIT_CANCELED;
		}
	}
	store_close(s);

	print_metrics(&rows, stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EXIT_CANCELED, "standard output");
	for (size_t i = 0; i < rows.n; i++)
		free(rows.v[i].name);
	free(rows.v);
	free(rows.seen);
	cli_names_free(&names);
	free(path);
	return rc;
}

static const struct cmd_option metrics_options[] = {
	{ 0, "db", "PATH", "the state file" },
	{ 0 },
};

const struct cmd_entry cmd_metrics_entry = {
	.name = "metrics",
	.usage = "[--db PATH] [NAME|PATTERN...]",
	.summary = "print every breaker's state and totals for Prometheus",
	.options = metrics_options,
	.max_operands = -1,
	.help = "Every breaker, or those named; a quoted PATTERN ('api-*') matches names as\n"
		"the shell would (fnmatch(3)).\n"
		"\n"
		"Prometheus text exposition format, for the node exporter's textfile\n"
		"collector; every sample is labelled name=\"NAME\". Families:\n"
		"  cbexec_breaker_state{state=closed|open|half_open}  1 or 0\n"
		"  cbexec_calls_total, cbexec_successes_total, cbexec_failures_total,\n"
		"  cbexec_ignored_total, cbexec_timeouts_total, cbexec_slow_calls_total,\n"
		"  cbexec_rejected_total, cbexec_opens_total                counters\n"
		"  cbexec_consecutive_failures, cbexec_state_changed_timestamp_seconds,\n"
		"  cbexec_open_period_seconds                               gauges\n",
	.exec = metrics_exec,
};
