/* cbexec bypass: admit every call of breakers by hand, outcomes still counted, until reset. */

#include "cli.h"

static int bypass_exec(const struct args *a)
{
	struct store_manual ctx = { .kind = STORE_BYPASS };

	if ((ctx.reason = cli_arg(a, "reason")) != NULL)
		cli_check_reason(&cmd_bypass_entry, ctx.reason);
	cli_check_names(a->argc, a->argv);
	cli_update_by_hand(cli_arg(a, "db"), cli_flag(a, "quiet"), a->argc, a->argv, &ctx,
			   "bypassed");
	return 0;
}

static const struct cmd_option bypass_options[] = {
	{ 0, "reason", "TEXT", "shown in status and in history (200 bytes)" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 'q', "quiet", NULL, "no warning for a NAME that does not exist yet" },
	{ 0 },
};

const struct cmd_entry cmd_bypass_entry = {
	.name = "bypass",
	.usage = "[--reason TEXT] [--db PATH] [-q] NAME...",
	.summary = "admit every call of the breakers until reset, outcomes still counted",
	.options = bypass_options,
	.min_operands = 1,
	.max_operands = -1,
	.missing = "name the breakers to bypass",
	.help = "Calls the breaker would reject are admitted and counted in the totals, but\n"
		"their outcomes do not move it; a closed breaker still opens on failures, so\n"
		"status shows what it would do. An unknown NAME is created, bypassed, with a\n"
		"warning that names the nearest existing one. The same bypass again records\n"
		"nothing. End bypass with cbexec reset. Prints nothing on success.\n",
	.exec = bypass_exec,
};
