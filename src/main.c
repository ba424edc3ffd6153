/* cbexec: run a command under a named circuit breaker kept in SQLite. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "exitcodes.h"
#include "store.h"

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
	printf("\nOptions of run (also config keys, with _ for -):\n"
	       "  -n, --name NAME                  the breaker (A-Z a-z 0-9 . _ : -, 1-128)\n"
	       "      --db PATH                    the state file\n"
	       "      --config PATH                the configuration file\n"
	       "  -q, --quiet                      no transition lines on stderr\n");
	cli_print_settings_help(stdout);
	printf("\nExit status: the command's own; 75 rejected; 124 timed out; 125 cbexec error;\n"
	       "126 cannot execute; 127 not found; 128+N killed by signal N. See cbexec(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_CANCELED;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("cbexec %s (SQLite %s)\n", CBEXEC_VERSION, store_sqlite_version());
		return 0;
	}
	/* A subcommand is recognised only as the first argument, so that
	 * "cbexec -n x -- status" runs a program called status. */
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		if (strcmp(argv[1], (*e)->name) == 0)
			return (*e)->exec(argc - 1, argv + 1);
	return cmd_run_entry.exec(argc, argv);
}
