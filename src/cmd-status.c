/* cbexec status: every breaker's state and counts, for people, scripts and health checks. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exitcodes.h"
#include "xmalloc.h"

/* What one pass over the breakers prints and learns. */
struct view {
	enum {
		VIEW_TABLE,
		VIEW_NAMES,
		VIEW_NONE
	} print;
	bool colour;
	int64_t now;
	int health;   /* Nagios: 0 all closed, 1 some half-open and none open, 2 some open */
	bool unknown; /* a breaker named or listed could not be read */
	FILE *out;    /* a buffer, written out once the read transaction is over */
	struct store *s;
	const char *path;
	const char **names; /* the breakers read, for --json */
	size_t n, cap;
};

static const char *state_label(const struct breaker_state *st)
{
	if (st->mode == BREAKER_FORCED_OPEN)
		return "open (tripped)";
	if (st->mode == BREAKER_BYPASS)
		return st->state == BREAKER_CLOSED ? "closed (bypass)"
		       : st->state == BREAKER_OPEN ? "open (bypass)"
						   : "half-open (bypass)";
	return st->state == BREAKER_CLOSED ? "closed"
	       : st->state == BREAKER_OPEN ? "open"
					   : "half-open";
}

static const char *state_colour(const struct breaker_state *st)
{
	return st->state == BREAKER_CLOSED ? "\033[32m"
	       : st->state == BREAKER_OPEN ? "\033[31m"
					   : "\033[33m";
}

static void retry_text(const struct breaker_state *st, int64_t now, char *buf, size_t len)
{
	char in[32], period[32];

	if (st->state != BREAKER_OPEN) {
		snprintf(buf, len, "-");
		return;
	}
	if (st->mode == BREAKER_FORCED_OPEN) {
		snprintf(buf, len, "after reset");
		return;
	}
	duration_format(st->open_period_ms, period, sizeof(period));
	if (st->retry_at_ms <= now) {
		snprintf(buf, len, "now (period %s)", period);
		return;
	}
	duration_format((st->retry_at_ms - now + 999) / 1000 * 1000, in, sizeof(in));
	snprintf(buf, len, "in %s (period %s)", in, period);
}

static void print_header(FILE *out)
{
	fprintf(out, "%-24s %-18s %-9s %8s %8s %8s %8s  %-20s  %s\n", "NAME", "STATE", "FAILURES",
		"CALLS", "OK", "FAILED", "REJECTED", "LAST FAILURE", "RETRY");
}

static void print_row(const char *name, const struct breaker_state *st,
		      const struct breaker_settings *saved, const struct view *v)
{
	char fails[32], last[32], retry[96];

	snprintf(fails, sizeof(fails), "%u/%u", st->consecutive_failures, saved->failure_threshold);
	cli_format_time(st->last_failure_at_ms, last, sizeof(last));
	retry_text(st, v->now, retry, sizeof(retry));
	fprintf(v->out, "%-24s %s%-18s%s %-9s %8lld %8lld %8lld %8lld  %-20s  %s\n", name,
		v->colour ? state_colour(st) : "", state_label(st), v->colour ? "\033[0m" : "",
		fails, (long long)st->totals.calls, (long long)st->totals.successes,
		(long long)st->totals.failures, (long long)st->totals.rejected, last, retry);
}

/* Rows are formatted into the buffer as they are read: status over 10 000
 * breakers keeps no struct of any. A row that cannot be understood is named
 * and skipped, and makes the health UNKNOWN. */
static int show(const char *name, const struct breaker_state *st,
		const struct breaker_settings *saved, void *ctx)
{
	struct view *v = ctx;

	if (!st) {
		warnx("%s: %s; skipped", v->path, store_errmsg(v->s));
		v->unknown = true;
		return 0;
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		const char **grown = realloc(v->names, v->cap * sizeof(*v->names));

		if (!grown)
			err(EXIT_CANCELED, "out of memory");
		v->names = grown;
	}
	v->names[v->n++] = xstrdup(name);
	if (st->state == BREAKER_OPEN)
		v->health = STATUS_CRITICAL;
	else if (st->state == BREAKER_HALF_OPEN && v->health == STATUS_OK)
		v->health = STATUS_WARNING;
	if (v->print == VIEW_NAMES)
		fprintf(v->out, "%s\n", name);
	else if (v->print == VIEW_TABLE)
		print_row(name, st, saved, v);
	return 0;
}

static int status_exec(const struct args *a)
{
	bool json = cli_flag(a, "json"), names_only = cli_flag(a, "names");
	const char *nocolour;
	struct view v = { .now = cli_now_ms() };
	struct cli_names names;
	struct store *s;
	char *path, **argv, *text = NULL;
	size_t len = 0;
	int argc, rc;

	cli_check_names_or_patterns(a->argc, a->argv);
	path = cli_db_path(cli_arg(a, "db"));
	/* A missing file is UNKNOWN, never an empty table that says all is well. */
	s = cli_open_store_readonly(path, STATUS_UNKNOWN);
	v.s = s;
	v.path = path;
	if (!(v.out = open_memstream(&text, &len)))
		err(EXIT_CANCELED, "out of memory");
	/* Read everything, then print: see store_snapshot_begin. */
	if (store_snapshot_begin(s) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
	/* Patterns become the names they match; one that matches none is unknown. */
	cli_expand_names(s, path, a->argc, a->argv, &names);
	if (names.skipped)
		v.unknown = true;
	argc = (int)names.n;
	argv = names.v;

	/* --json prints what SQLite builds, after this pass has found the health. */
	v.print = names_only ? VIEW_NAMES : json ? VIEW_NONE : VIEW_TABLE;
	/* no-color.org: an empty NO_COLOR is as good as unset. */
	nocolour = getenv("NO_COLOR");
	v.colour = isatty(STDOUT_FILENO) && (nocolour == NULL || *nocolour == '\0');
	if (v.print == VIEW_TABLE)
		print_header(v.out);
	if (a->argc == 0 && store_each(s, show, &v) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
	for (int i = 0; i < argc; i++) {
		struct breaker_state st;
		struct breaker_settings saved;

		rc = store_read(s, argv[i], v.now, &st, &saved);
		if (rc == STORE_NOTFOUND) {
			warnx("%s: no such breaker", argv[i]);
			v.unknown = true;
		} else if (rc == STORE_INVALID) {
			show(argv[i], NULL, NULL, &v);
		} else if (rc != STORE_OK) {
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
		} else {
			show(argv[i], &st, &saved, &v);
		}
	}
	/* Only the breakers read above: a row that failed the checks stays out. */
	if (json && !names_only) {
		if (v.n == 0)
			fputs("[]\n", v.out);
		else if (store_status_json(s, v.names, (int)v.n, v.out) == STORE_ERR)
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
	}
	store_snapshot_end(s);
	store_close(s);
	if (fclose(v.out) == EOF)
		err(EXIT_CANCELED, "out of memory");
	fwrite(text, 1, len, stdout);
	free(text);
	for (size_t i = 0; i < v.n; i++)
		free((char *)v.names[i]);
	free(v.names);
	cli_names_free(&names);
	free(path);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EXIT_CANCELED, "standard output");
	return v.unknown ? STATUS_UNKNOWN : v.health;
}

static const struct cmd_option status_options[] = {
	{ 0, "json", NULL, "a JSON array, one object per breaker" },
	{ 0, "names", NULL, "breaker names only, one per line" },
	{ 0, "db", "PATH", "the state file" },
	{ 0 },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json] [--names] [--db PATH] [NAME|PATTERN...]",
	.summary = "show breakers; exit 0 all closed, 1 some half-open, 2 some open, 3 unknown "
		   "name or no state file",
	.options = status_options,
	.max_operands = -1,
	.help = "Every breaker, or those named; a quoted PATTERN ('api-*') matches names as\n"
		"the shell would (fnmatch(3)), and one that matches none is unknown.\n",
	.exec = status_exec,
};
