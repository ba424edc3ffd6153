/* cbexec history: a breaker's changes of state, oldest first, for people or as JSON. */
#include <err.h>
#include <getopt.h>
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

static int history_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *why;
	bool json = false;
	int64_t limit = HISTORY_LIMIT_DEFAULT;
	struct breaker_state st;
	struct breaker_settings saved;
	struct store *s;
	char *path, *text = NULL;
	size_t len = 0;
	FILE *out;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'l':
			if (parse_number(optarg, 1, HISTORY_LIMIT_MAX, &limit, &why) < 0)
				cli_usage_error(&cmd_history_entry, "--limit \"%s\" %s (1-%d)",
						optarg, why, HISTORY_LIMIT_MAX);
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			cli_help(&cmd_history_entry, NULL);
			return 0;
		default:
			cli_usage_error(&cmd_history_entry,
					"unknown option or missing argument: %s", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		cli_usage_error(&cmd_history_entry,
				argc ? "name one breaker" : "no breaker name given");
	cli_check_names(1, argv);
	path = cli_db_path(db);
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

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.usage = "[--json] [--limit N] [--db PATH] NAME",
	.summary = "show the last changes of state of breaker NAME, oldest first",
	.help = "Options:\n"
		"      --json       a JSON array of {time, from, to, reason}\n"
		"      --limit N    the last N changes (1-1000000, default 1000)\n"
		"      --db PATH    the state file\n"
		"  -h, --help       this help\n"
		"\n"
		"One line per change: UTC time, old state -> new state, reason, separated by\n"
		"two spaces. The state file keeps the last history_limit changes of each\n"
		"breaker. An unknown NAME is an error (exit 125).\n",
	.exec = history_exec,
};
