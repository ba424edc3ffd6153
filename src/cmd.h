/* The subcommand table: one file per subcommand, each exporting one entry. */
#ifndef CBEXEC_CMD_H
#define CBEXEC_CMD_H

struct cmd_entry {
	const char *name;
	const char *usage;		    /* arguments after the name, for usage lines */
	const char *summary;		    /* one line for --help */
	const char *help;		    /* option lines for --help, or NULL */
	int (*exec)(int argc, char **argv); /* argv[0] is the subcommand name */
};

extern const struct cmd_entry cmd_run_entry, cmd_status_entry, cmd_reset_entry, cmd_history_entry,
	cmd_metrics_entry, cmd_check_entry, cmd_record_entry, cmd_trip_entry, cmd_bypass_entry,
	cmd_delete_entry, cmd_config_entry;

extern const struct cmd_entry *const cmd_table[];

#endif
