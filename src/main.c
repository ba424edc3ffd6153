/* cbexec: run a command under a named circuit breaker kept in SQLite. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "exitcodes.h"
#include "store.h"
#include "suggest.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,	    &cmd_status_entry, &cmd_reset_entry,  &cmd_history_entry,
	&cmd_metrics_entry, &cmd_check_entry,  &cmd_record_entry, &cmd_trip_entry,
	&cmd_bypass_entry,  &cmd_delete_entry, &cmd_config_entry, NULL,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: cbexec [run] [OPTIONS] -n NAME [--] COMMAND [ARG...]\n");
	for (const struct cmd_entry *const *e = cmd_table + 1; *e; e++)
		fprintf(out, "       cbexec %s %s\n", (*e)->name, (*e)->usage);
	fprintf(out, "       cbexec -h | --help | -V | --version\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nRun COMMAND under the circuit breaker NAME, whose state is shared through a\n"
	       "SQLite file by every process that names it.\n\nCommands:\n");
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		printf("  %-8s %s\n", (*e)->name, (*e)->summary);
	printf("\nOptions of run (the breaker options are also config keys, with _ for -):\n");
	cli_print_options(&cmd_run_entry, stdout);
	printf("\nExit status: the command's own; 75 rejected; 124 timed out; 125 cbexec error;\n"
	       "126 cannot execute; 127 not found; 128+N killed by signal N. See cbexec(1).\n");
}

static int dispatch(const struct cmd_entry *e, int argc, char **argv)
{
	struct args a;
	int rc;

	cli_parse(e, argc, argv, &a);
	rc = e->exec(&a);
	cli_args_free(&a);
	return rc;
}

static _Noreturn void unknown_command(const char *word)
{
	const char *best = NULL;
	struct suggest sg;
	char q[256];

	/* Two edits at most: "stauts", "delte", "histroy". */
	suggest_init(&sg, word, 2);
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		if (suggest_consider(&sg, (*e)->name))
			best = (*e)->name;
	options_quote(word, q, sizeof(q));
	if (best)
		errx(EXIT_CANCELED, "unknown command %s; did you mean \"%s\"?", q, best);
	errx(EXIT_CANCELED, "unknown command %s (to run a program: cbexec -n NAME -- PROGRAM)", q);
}

int main(int argc, char **argv)
{
	/* err(3) and warnx(3) prefix this: "cbexec: ", whatever name the binary
	 * was started by (a symbolic link, a path, exec -a). */
	program_invocation_short_name = "cbexec";
	if (argc < 2) {
		usage(stderr);
		return EXIT_CANCELED;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		help();
		cli_check_stdout();
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		/* "cbexec 0.1.0 (SQLite 3.40.1, hiredis 0.14.1 (no TLS))", or
		 * "..., no Redis support)": what a bug report needs to know. */
		printf("cbexec %s (SQLite %s, %s)\n", CBEXEC_VERSION, store_sqlite_version(),
		       store_redis_version());
		cli_check_stdout();
		return 0;
	}
	/*
	 * A subcommand is recognised only as the first argument, so that
	 * "cbexec -n x -- status" and "cbexec -n x status" run a program called
	 * status. A first argument that is neither a subcommand nor an option
	 * cannot start a run either, since the run form needs -n before its
	 * COMMAND: it is a mistyped subcommand, named as such.
	 */
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		if (strcmp(argv[1], (*e)->name) == 0)
			return dispatch(*e, argc - 1, argv + 1);
	if (argv[1][0] != '-')
		unknown_command(argv[1]);
	return dispatch(&cmd_run_entry, argc, argv);
}
