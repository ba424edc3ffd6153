/* cbexec trip: open breakers by hand, until reset or for a while. */

#include "cli.h"

/* As recovery_timeout: 1ms..365d. */
#define FOR_MIN_MS 1
#define FOR_MAX_MS OPTIONS_DURATION_MAX_MS

static int trip_exec(const struct args *a)
{
	struct store_manual ctx = { .kind = STORE_TRIP };
	enum parse_err why;
	const char *v;

	if ((v = cli_arg(a, "for")) != NULL &&
	    parse_duration(v, FOR_MIN_MS, FOR_MAX_MS, &ctx.for_ms, &why) < 0)
		cli_usage_error(&cmd_trip_entry, "--for \"%s\" %s (1ms-365d)", v,
				parse_strerror(why));
	if ((ctx.reason = cli_arg(a, "reason")) != NULL)
		cli_check_reason(&cmd_trip_entry, ctx.reason);
	cli_check_names(a->argc, a->argv);
	cli_update_by_hand(cli_arg(a, "db"), cli_flag(a, "quiet"), a->argc, a->argv, &ctx,
			   "tripped");
	return 0;
}

static const struct cmd_option trip_options[] = {
	{ 0, "for", "DUR", "open for DUR (1ms-365d), then probe; without it, until reset" },
	{ 0, "reason", "TEXT", "shown to rejected calls, in status and history (200 bytes)" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 'q', "quiet", NULL, "no warning for a NAME that does not exist yet" },
	{ 0 },
};

const struct cmd_entry cmd_trip_entry = {
	.name = "trip",
	.usage = "[--for DUR] [--reason TEXT] [--db PATH] [-q] NAME...",
	.summary = "open breakers by hand, until reset or for DUR",
	.options = trip_options,
	.min_operands = 1,
	.max_operands = -1,
	.missing = "name the breakers to trip",
	.help = "An unknown NAME is created, tripped, with a warning that names the nearest\n"
		"existing one. The change is kept in the history; hooks run only for\n"
		"changes made by calls (run, record).\n"
		"Tripping an open breaker is no new open; the same trip again changes\n"
		"nothing, and a new --for (from now) or --reason renews the hold.\n"
		"Prints nothing on success.\n",
	.exec = trip_exec,
};
