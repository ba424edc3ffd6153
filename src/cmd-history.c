/* cbexec history: a breaker's changes of state, oldest first, for people or as JSON. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "escape.h"
#include "exitcodes.h"

#define HISTORY_LIMIT_DEFAULT 1000
#define HISTORY_LIMIT_MAX     1000000

/* Fields are separated by two spaces and the reason comes last, so that
 * `cut -d' ' -f1` gives the time and `grep -- '-> open'` finds every opening.
 * States are spelled as in the transition lines on stderr and in the JSON
 * (half_open), so one pattern finds an event in all three. */
static int print_event(const struct store_event *ev, void *ctx)
{
	char when[32], reason[ESCAPE_SIZE(BREAKER_REASON_MAX)];

	cli_format_time(ev->time_ms, when, sizeof(when));
	/* Escaped: the text comes from the state file, and a control byte there
	 * must neither reach the terminal nor split the line. */
	fprintf((FILE *)ctx, "%s  %s -> %s  %s\n", when, breaker_state_name(ev->from),
		breaker_state_name(ev->to),
		escape_text(ev->reason ? ev->reason : "", reason, sizeof(reason)));
	return 0;
}

static int history_exec(const struct args *a)
{
	enum parse_err why;
	const char *v;
	bool json = cli_flag(a, "json");
	int64_t limit = HISTORY_LIMIT_DEFAULT;
	struct breaker_state st;
	struct breaker_settings saved;
	char *const *argv = a->argv;
	struct store *s;
	char *path, *text = NULL;
	size_t len = 0;
	FILE *out;
	int rc;

	if ((v = cli_arg(a, "limit")) != NULL &&
	    parse_number(v, 1, HISTORY_LIMIT_MAX, &limit, &why) < 0)
		cli_usage_error(&cmd_history_entry, "--limit \"%s\" %s (1-%d)", v,
				parse_strerror(why), HISTORY_LIMIT_MAX);
	cli_check_names(1, argv);
	path = cli_db_path(cli_arg(a, "db"));
	s = cli_open_store_readonly(path, EXIT_CANCELED);
	if (!(out = open_memstream(&text, &len)))
		err(EXIT_CANCELED, "out of memory");

	/* An unknown name is far more often a typo than a breaker with no history:
	 * say so rather than print nothing. Everything is read in one snapshot
	 * and printed after it ends (see store_snapshot_begin). */
	rc = store_snapshot_begin(s);
	if (rc == STORE_OK)
		rc = store_read(s, argv[0], cli_now_ms(), &st, &saved);
	if (rc == STORE_OK) {
		if (json)
			rc = store_history_json(s, argv[0], (uint32_t)limit, out);
		else
			rc = store_history(s, argv[0], (uint32_t)limit, print_event, out);
	}
	store_snapshot_end(s);
	if (fclose(out) == EOF)
		err(EXIT_CANCELED, "out of memory");
	if (rc == STORE_OK)
		fwrite(text, 1, len, stdout);
	free(text);
	/* NOTFOUND after a successful read: deleted since. */
	if (rc == STORE_NOTFOUND) {
		warnx("%s: no such breaker", argv[0]);
		goto out;
	}
	if (rc != STORE_OK) {
		warnx("%s: %s", path, store_errmsg(s));
		goto out;
	}
	if (fflush(stdout) == EOF) {
		warn("standard output");
		rc = STORE_ERR;
	}
out:
	store_close(s);
	free(path);
	return rc == STORE_OK ? 0 : EXIT_CANCELED;
}

static const struct cmd_option history_options[] = {
	{ 0, "json", NULL, "a JSON array of {time, from, to, reason}" },
	{ 0, "limit", "N", "the last N changes (1-1000000, default 1000)" },
	{ 0, "db", "PATH", "the state file" },
	{ 0 },
};

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.usage = "[--json] [--limit N] [--db PATH] NAME",
	.summary = "show the last changes of state of breaker NAME, oldest first",
	.options = history_options,
	.min_operands = 1,
	.max_operands = 1,
	.missing = "no breaker name given",
	.help = "One line per change: UTC time, old state -> new state, reason, separated by\n"
		"two spaces. The state file keeps the last history_limit changes of each\n"
		"breaker. An unknown NAME is an error (exit 125).\n",
	.exec = history_exec,
};
