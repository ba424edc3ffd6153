/* cbexec status: every breaker's state and counts, for people, scripts and health checks. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exitcodes.h"
#include "xmalloc.h"

struct row {
	char *name;
	struct breaker_state st;
	struct breaker_settings saved;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static int collect(const char *name, const struct breaker_state *st,
		   const struct breaker_settings *saved, void *ctx)
{
	struct rows *r = ctx;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		struct row *v = realloc(r->v, r->cap * sizeof(*v));

		if (!v)
			err(EXIT_USAGE, "out of memory");
		r->v = v;
	}
	r->v[r->n].name = xstrdup(name);
	r->v[r->n].st = *st;
	r->v[r->n].saved = *saved;
	r->n++;
	return 0;
}

static const char *state_label(const struct breaker_state *st)
{
	if (st->mode == BREAKER_FORCED_OPEN)
		return "open (tripped)";
	if (st->mode == BREAKER_BYPASS)
		return st->state == BREAKER_CLOSED	? "closed (bypass)"
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

static void print_table(const struct rows *r, int64_t now)
{
	bool colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");

	printf("%-24s %-18s %-9s %8s %8s %8s %8s  %-20s  %s\n", "NAME", "STATE", "FAILURES",
	       "CALLS", "OK", "FAILED", "REJECTED", "LAST FAILURE", "RETRY");
	for (size_t i = 0; i < r->n; i++) {
		const struct row *w = &r->v[i];
		char fails[32], last[32], retry[96];

		snprintf(fails, sizeof(fails), "%u/%u", w->st.consecutive_failures,
			 w->saved.failure_threshold);
		cli_format_time(w->st.last_failure_at_ms, last, sizeof(last));
		retry_text(&w->st, now, retry, sizeof(retry));
		printf("%-24s %s%-18s%s %-9s %8lld %8lld %8lld %8lld  %-20s  %s\n", w->name,
		       colour ? state_colour(&w->st) : "", state_label(&w->st),
		       colour ? "\033[0m" : "", fails, (long long)w->st.totals.calls,
		       (long long)w->st.totals.successes, (long long)w->st.totals.failures,
		       (long long)w->st.totals.rejected, last, retry);
	}
}

/* Nagios: 0 all closed, 1 some half-open and none open, 2 some open. */
static int health(const struct rows *r)
{
	int worst = STATUS_OK;

	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].st.state == BREAKER_OPEN)
			worst = STATUS_CRITICAL;
		else if (r->v[i].st.state == BREAKER_HALF_OPEN && worst == STATUS_OK)
			worst = STATUS_WARNING;
	}
	return worst;
}

static int status_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },  { "names", no_argument, NULL, 'N' },
		{ "db", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, names_only = false, unknown = false;
	const char *db = NULL;
	struct rows rows = { 0 };
	struct store *s;
	char *path;
	int c, rc;
	int64_t now = cli_now_ms();

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'N':
			names_only = true;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			cli_help(&cmd_status_entry, NULL);
			return 0;
		default:
			cli_usage_error(&cmd_status_entry, "unknown option or missing argument: %s",
					argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	cli_check_names(argc, argv);
	path = cli_db_path(db);
	s = cli_open_store(path);

	if (argc == 0) {
		if (store_each(s, collect, &rows) != STORE_OK)
			errx(EXIT_USAGE, "%s: %s", path, store_errmsg(s));
	}
	for (int i = 0; i < argc; i++) {
		struct breaker_state st;
		struct breaker_settings saved;

		rc = store_read(s, argv[i], now, &st, &saved);
		if (rc == STORE_NOTFOUND) {
			warnx("%s: no such breaker", argv[i]);
			unknown = true;
		} else if (rc != STORE_OK) {
			errx(EXIT_USAGE, "%s: %s", path, store_errmsg(s));
		} else {
			collect(argv[i], &st, &saved, &rows);
		}
	}

	if (names_only) {
		for (size_t i = 0; i < rows.n; i++)
			printf("%s\n", rows.v[i].name);
	} else if (json) {
		rc = store_status_json(s, (const char *const *)argv, argc, stdout);
		if (rc == STORE_ERR)
			errx(EXIT_USAGE, "%s: %s", path, store_errmsg(s));
	} else {
		print_table(&rows, now);
	}
	rc = unknown ? STATUS_UNKNOWN : health(&rows);
	for (size_t i = 0; i < rows.n; i++)
		free(rows.v[i].name);
	free(rows.v);
	store_close(s);
	free(path);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json] [--names] [--db PATH] [NAME...]",
	.summary = "show breakers; exit 0 all closed, 1 some half-open, 2 some open, 3 unknown name",
	.help = "Options:\n"
		"      --json       a JSON array, one object per breaker\n"
		"      --names      breaker names only, one per line\n"
		"      --db PATH    the state file\n"
		"  -h, --help       this help\n",
	.exec = status_exec,
};
