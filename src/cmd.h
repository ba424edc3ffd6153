/* The subcommand table: one file per subcommand, each exporting one entry that
 * declares its options and operands; one parser in cli.c reads them for all. */
#ifndef CBEXEC_CMD_H
#define CBEXEC_CMD_H

#include <stdbool.h>

struct args;

/* One option of a subcommand, as the parser and --help see it. */
struct cmd_option {
	int shortopt;	  /* 'q', or 0 for a long option only */
	const char *name; /* the long option without "--": "json" */
	const char *arg;  /* its argument as --help shows it ("N"), NULL for a flag */
	const char *help; /* one line for --help */
};

struct cmd_entry {
	const char *name;
	const char *usage;   /* arguments after the name, for usage lines */
	const char *summary; /* one line for --help */
	/* Ends with an entry whose name is NULL; -h/--help is implied. */
	const struct cmd_option *options;
	bool settings; /* the breaker settings (options.c settings[]) are options too */
	bool command;  /* the first operand starts a command: cbexec's options end there */
	int min_operands, max_operands; /* max -1: no limit */
	const char *missing;		/* the usage error when operands are too few */
	const char *help;		/* what --help says after the options, or NULL */
	/* The option that makes the command a monitoring plugin, whose own errors
	 * are "CBEXEC UNKNOWN - ..." lines (cli_fatal), or NULL. */
	const char *plugin_option;
	/* An option whose values add up when it is given again, joined with commas
	 * ("--critical a --critical b" is "a,b"), or NULL: others keep the last. */
	const char *list_option;
	int (*exec)(const struct args *a);
};

extern const struct cmd_entry cmd_run_entry, cmd_status_entry, cmd_reset_entry, cmd_history_entry,
	cmd_metrics_entry, cmd_check_entry, cmd_record_entry, cmd_trip_entry, cmd_bypass_entry,
	cmd_delete_entry, cmd_config_entry;

extern const struct cmd_entry *const cmd_table[];

#endif
