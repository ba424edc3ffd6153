/* cbexec history: changes of state of one breaker or of all, oldest first, for people or as JSON.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "clock.h"
#include "escape.h"
#include "exitcodes.h"
#include "json.h"

#define HISTORY_LIMIT_MAX    1000000
#define HISTORY_SINCE_MAX_MS (INT64_C(36500) * 86400 * 1000) /* 100 years */

struct print_ctx {
	FILE *out;
	bool names; /* every breaker's: the name is a column */
	bool json;
	size_t n;    /* events printed */
	bool failed; /* a JSON object could not be made */
};

/* history --json: an array of json_event's objects. */
static int print_json(const struct store_event *ev, void *vctx)
{
	struct print_ctx *ctx = vctx;

	if (ctx->n++)
		fputc(',', ctx->out);
	if (json_event(ctx->out, ev) < 0) {
		ctx->failed = true;
		return -1;
	}
	return 0;
}

/* Fields are separated by two spaces and the reason comes last, so that
 * `cut -d' ' -f1` gives the time and `grep -- '-> open'` finds every opening.
 * States are spelled as in the transition lines on stderr and in the JSON
 * (half_open), so one pattern finds an event in all three. */
static int print_event(const struct store_event *ev, void *vctx)
{
	struct print_ctx *ctx = vctx;
	char when[32], reason[ESCAPE_SIZE(BREAKER_REASON_MAX)], name[ESCAPE_SIZE(256)];

	cli_format_time(ev->time_ms, when, sizeof(when));
	/* Escaped: the text comes from the state file, and a control byte there
	 * must neither reach the terminal nor split the line. The name, second,
	 * keeps the time the first field. */
	fprintf(ctx->out, "%s  ", when);
	if (ctx->names)
		fprintf(ctx->out, "%s  ", escape_text(ev->name, name, sizeof(name)));
	fprintf(ctx->out, "%s -> %s  %s\n", breaker_state_name(ev->from),
		breaker_state_name(ev->to),
		escape_text(ev->reason ? ev->reason : "", reason, sizeof(reason)));
	return 0;
}

static int history_exec(const struct args *a)
{
	enum parse_err why;
	const char *v;
	bool json = cli_flag(a, "json");
	int64_t limit = OPTIONS_HISTORY_LIMIT, since = INT64_MIN, dur = -1;
	struct print_ctx pc;
	const char *name = a->argc > 0 ? a->argv[0] : NULL;
	struct breaker_state st;
	struct breaker_settings saved;
	struct breaker_env env;
	char *const *argv = a->argv;
	struct store *s;
	char *path, *where, *text = NULL;
	size_t len = 0;
	FILE *out;
	int rc;

	if ((v = cli_arg(a, "limit")) != NULL &&
	    parse_number(v, 1, HISTORY_LIMIT_MAX, &limit, &why) < 0)
		cli_usage_error(&cmd_history_entry, "--limit \"%s\" %s (1-%d)", v,
				parse_strerror(why), HISTORY_LIMIT_MAX);
	if ((v = cli_arg(a, "since")) != NULL) {
		if (parse_duration(v, 0, HISTORY_SINCE_MAX_MS, &dur, &why) < 0)
			cli_usage_error(&cmd_history_entry, "--since \"%s\" %s", v,
					parse_strerror(why));
	}
	if (name)
		cli_check_names(1, argv);
	path = cli_db_path(cli_arg(a, "db"));
	s = cli_open_store_readonly(path, EXIT_CANCELED);
	where = cli_where(path);
	if (!(out = open_memstream(&text, &len)))
		err(EXIT_CANCELED, "out of memory");
	pc.out = out;
	pc.names = !name;
	pc.json = json;
	pc.n = 0;
	pc.failed = false;

	/* An unknown name is far more often a typo than a breaker with no history:
	 * say so rather than print nothing. Everything is read in one snapshot
	 * and printed after it ends (see store_snapshot_begin), so the breaker
	 * store_read found keeps its history until the end of it. */
	/* "The last DUR" by the store's clock: a Redis store's is the server's. */
	rc = store_now(s, &env);
	if (rc == STORE_OK && dur >= 0)
		since = env.now_ms - dur;
	if (rc == STORE_OK)
		rc = store_snapshot_begin(s);
	if (rc == STORE_OK && name)
		rc = store_read(s, name, env.now_ms, &st, &saved);
	if (rc == STORE_OK && json)
		fputc('[', out);
	if (rc == STORE_OK)
		rc = store_history(s, name, (uint32_t)limit, since, json ? print_json : print_event,
				   &pc);
	if (rc == STORE_OK && pc.failed)
		rc = STORE_ERR;
	if (rc == STORE_OK && json)
		fputs("]\n", out);
	store_snapshot_end(s);
	if (fclose(out) == EOF)
		err(EXIT_CANCELED, "out of memory");
	if (rc == STORE_OK)
		fwrite(text, 1, len, stdout);
	free(text);
	if (rc == STORE_NOTFOUND) {
		warnx("%s: no such breaker", argv[0]);
		goto out;
	}
	if (rc != STORE_OK) {
		warnx("%s: %s", where, pc.failed ? json_errmsg() : store_errmsg(s));
		goto out;
	}
	if (fflush(stdout) == EOF) {
		warn("standard output");
		rc = STORE_ERR;
	}
out:
	store_close(s);
	json_end();
	free(where);
	free(path);
	return rc == STORE_OK ? 0 : EXIT_CANCELED;
}

static const struct cmd_option history_options[] = {
	{ 0, "json", NULL, "a JSON array of {time, name, from, to, reason}" },
	{ 0, "limit", "N", "the last N changes (1-1000000, default 1000)" },
	{ 0, "since", "DUR", "only changes in the last DUR (30m, 1h30m, 2d)" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 0 },
};

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.usage = "[--json] [--limit N] [--since DUR] [--db PATH] [NAME]",
	.summary = "show the last changes of state of breaker NAME, or of all, oldest first",
	.options = history_options,
	.min_operands = 0,
	.max_operands = 1,
	.help = "One line per change: UTC time, old state -> new state, reason, separated by\n"
		"two spaces. Without NAME, every breaker's changes merged by time, the name\n"
		"second: UTC time, NAME, old -> new, reason. --limit keeps the newest N of\n"
		"the list printed, --since those at or after now - DUR. The state file keeps\n"
		"the last history_limit changes of each breaker. An unknown NAME is an error\n"
		"(exit 125).\n",
	.exec = history_exec,
};
