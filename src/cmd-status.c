/* cbexec status: every breaker's state and counts, for people, scripts and health checks. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exitcodes.h"

/* What one pass over the breakers prints and learns. */
struct view {
	enum {
		VIEW_TABLE,
		VIEW_NAMES,
		VIEW_NONE
	} print;
	bool colour;
	int64_t now;
	int health; /* Nagios: 0 all closed, 1 some half-open and none open, 2 some open */
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

static void print_header(void)
{
	printf("%-24s %-18s %-9s %8s %8s %8s %8s  %-20s  %s\n", "NAME", "STATE", "FAILURES",
	       "CALLS", "OK", "FAILED", "REJECTED", "LAST FAILURE", "RETRY");
}

static void print_row(const char *name, const struct breaker_state *st,
		      const struct breaker_settings *saved, const struct view *v)
{
	char fails[32], last[32], retry[96];

	snprintf(fails, sizeof(fails), "%u/%u", st->consecutive_failures, saved->failure_threshold);
	cli_format_time(st->last_failure_at_ms, last, sizeof(last));
	retry_text(st, v->now, retry, sizeof(retry));
	printf("%-24s %s%-18s%s %-9s %8lld %8lld %8lld %8lld  %-20s  %s\n", name,
	       v->colour ? state_colour(st) : "", state_label(st), v->colour ? "\033[0m" : "",
	       fails, (long long)st->totals.calls, (long long)st->totals.successes,
	       (long long)st->totals.failures, (long long)st->totals.rejected, last, retry);
}

/* Rows are printed as they are read: status over 10 000 breakers keeps none. */
static int show(const char *name, const struct breaker_state *st,
		const struct breaker_settings *saved, void *ctx)
{
	struct view *v = ctx;

	if (st->state == BREAKER_OPEN)
		v->health = STATUS_CRITICAL;
	else if (st->state == BREAKER_HALF_OPEN && v->health == STATUS_OK)
		v->health = STATUS_WARNING;
	if (v->print == VIEW_NAMES)
		printf("%s\n", name);
	else if (v->print == VIEW_TABLE)
		print_row(name, st, saved, v);
	return 0;
}

static int status_exec(const struct args *a)
{
	bool json = cli_flag(a, "json"), names_only = cli_flag(a, "names"), unknown = false;
	const char *nocolour;
	struct view v = { .now = cli_now_ms() };
	struct cli_names names;
	struct store *s;
	char *path, **argv;
	int argc, rc;

	cli_check_names_or_patterns(a->argc, a->argv);
	path = cli_db_path(cli_arg(a, "db"));
	s = cli_open_store(path);
	/* Patterns become the names they match; one that matches none is unknown. */
	cli_expand_names(s, path, a->argc, a->argv, &names);
	argc = (int)names.n;
	argv = names.v;

	/* --json prints what SQLite builds, after this pass has found the health. */
	v.print = names_only ? VIEW_NAMES : json ? VIEW_NONE : VIEW_TABLE;
	/* no-color.org: an empty NO_COLOR is as good as unset. */
	nocolour = getenv("NO_COLOR");
	v.colour = isatty(STDOUT_FILENO) && (nocolour == NULL || *nocolour == '\0');
	if (v.print == VIEW_TABLE)
		print_header();
	if (argc == 0 && store_each(s, show, &v) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
	for (int i = 0; i < argc; i++) {
		struct breaker_state st;
		struct breaker_settings saved;

		rc = store_read(s, argv[i], v.now, &st, &saved);
		if (rc == STORE_NOTFOUND) {
			warnx("%s: no such breaker", argv[i]);
			unknown = true;
		} else if (rc != STORE_OK) {
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
		} else {
			show(argv[i], &st, &saved, &v);
		}
	}
	if (json && !names_only &&
	    store_status_json(s, (const char *const *)argv, argc, stdout) == STORE_ERR)
		errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
	store_close(s);
	cli_names_free(&names);
	free(path);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EXIT_CANCELED, "standard output");
	return unknown ? STATUS_UNKNOWN : v.health;
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
	.summary =
		"show breakers; exit 0 all closed, 1 some half-open, 2 some open, 3 unknown name",
	.options = status_options,
	.max_operands = -1,
	.help = "Every breaker, or those named; a quoted PATTERN ('api-*') matches names as\n"
		"the shell would (fnmatch(3)), and one that matches none is unknown.\n",
	.exec = status_exec,
};
