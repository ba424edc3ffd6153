/* cbexec reset: close breakers by hand, clearing their counters but not their totals. */
#include <stdlib.h>

#include "cli.h"
#include "exitcodes.h"

static int reset_exec(const struct args *a)
{
	struct cli_names all = { 0 };
	bool every = cli_flag(a, "all"), quiet = cli_flag(a, "quiet");
	struct store *s;
	char *path, *where;
	int rc = 0, op;

	if (every == (a->argc > 0))
		cli_usage_error(&cmd_reset_entry, every ? "--all takes no names"
							: "name the breakers to reset, or --all");
	cli_check_names_or_patterns(a->argc, a->argv);
	path = cli_db_path(cli_arg(a, "db"));
	s = cli_open_store_existing(path);
	where = cli_where(path);
	/* --all is the pattern '*'. */
	if (every)
		cli_expand_names(s, where, 1, (char *const[]){ "*" }, &all);
	else
		cli_expand_names(s, where, a->argc, a->argv, &all);
	if (all.skipped)
		rc = EXIT_CANCELED;

	for (size_t i = 0; i < all.n; i++) {
		/* With the breaker's own saved settings (see store_manual). */
		struct store_manual m = { .name = all.v[i], .kind = STORE_RESET };
		struct store_result r;

		switch ((op = store_manual(s, &m, &r))) {
		case STORE_OK:
			break;
		case STORE_NOTFOUND:
			/* --all on an empty file keeps its "*": nothing to reset */
			if (every)
				break;
			if (!quiet)
				cli_warn_unknown(s, where, all.v[i], 0, NULL, NULL);
			rc = EXIT_CANCELED;
			break;
		default:
			cli_change_failed(s, where, op);
		}
	}
	cli_names_free(&all);
	store_close(s);
	free(where);
	free(path);
	return rc;
}

static const struct cmd_option reset_options[] = {
	{ 0, "all", NULL, "every breaker in the state file" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 'q', "quiet", NULL, "no warning for a NAME that does not exist" },
	{ 0 },
};

const struct cmd_entry cmd_reset_entry = {
	.name = "reset",
	.usage = "[--db PATH] [-q] (--all | NAME|PATTERN...)",
	.summary = "close breakers by hand (counters cleared, totals kept)",
	.options = reset_options,
	.max_operands = -1,
	.help = "A quoted PATTERN ('api-*') resets the breakers whose names it matches, as\n"
		"the shell would (fnmatch(3)). An unknown NAME, or a PATTERN that matches\n"
		"none, is reported after the others are reset; the exit status is then 125.\n",
	.exec = reset_exec,
};
