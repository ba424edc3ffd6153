/* What every subcommand shares: option parsing, the state file path, usage errors. */
#ifndef CBEXEC_CLI_H
#define CBEXEC_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd.h"
#include "options.h"
#include "store.h"

#define CLI_MAX_SETTINGS 64

/* The options of commands that act on one breaker with settings: run, check, record, config. */
struct cli_breaker_args {
	const char *name;
	const char *db;
	const char *config;
	bool quiet;
	int nset; /* settings given on the command line, applied after the config */
	struct {
		const struct setting *setting;
		const char *value;
	} set[CLI_MAX_SETTINGS];
};

/* The arguments of one command, as cli_parse() found them. */
#define CLI_MAX_OPTIONS 16
struct args {
	const struct cmd_entry *entry;
	const char *value[CLI_MAX_OPTIONS]; /* by index into entry->options; NULL: not given */
	char *joined[CLI_MAX_OPTIONS];	    /* a list option's values joined, owned */
	int argc;			    /* the operands, options taken out */
	char **argv;
	/* For commands with settings: the settings given, and name, db, config
	 * and quiet from the options of those names. */
	struct cli_breaker_args breaker;
};

/*
 * Parses argv (argv[0] is the command's name) as e declares: options and operands
 * in any order, "--" ending options, and for a command entry the first operand
 * ending them too. Long options may be cut to a unique prefix and take their
 * argument as "--opt=V" or "--opt V"; short ones cluster ("-qf3"). -h and --help
 * print e's help and exit 0; bad usage exits 125, with the nearest option for an
 * unknown one.
 */
void cli_parse(const struct cmd_entry *e, int argc, char **argv, struct args *a);
void cli_args_free(struct args *a);
/* The value of the option with this long name, or NULL if not given. */
const char *cli_arg(const struct args *a, const char *option);
bool cli_flag(const struct args *a, const char *option);

/* options_init, then the configuration for a->name, then the command line. Exits 125
 * on a configuration error or bad value. */
void cli_load_options(const struct cli_breaker_args *a, struct options *o);

/* --db, else $CBEXEC_DB, else $XDG_STATE_HOME/cbexec/breakers.db, else
 * $HOME/.local/state/cbexec/breakers.db, else $STATE_DIRECTORY/breakers.db
 * (its first path), else the same under the home directory of the password
 * database. NULL if none applies. Caller frees. */
char *cli_find_db_path(const char *db);
/* The host's own state file: cli_find_db_path with --db and CBEXEC_DB left
 * out, where on_store_error = local falls back to and a Redis store keeps its
 * "server down" marker. NULL if none applies. Caller frees. */
char *cli_local_db_path(void);
/* on_store_error = local (run, check): true when o's policy is local, path is
 * a Redis store and the host has a state file of its own; then warns once,
 * naming the (masked) store, problem and the local file, and replaces *path
 * and *where (cli_where's) by the local file's, for the caller to open. */
bool cli_use_local(const struct options *o, char **path, char **where, const char *problem);
/* cli_find_db_path, exiting 125 with a message when there is no path. */
char *cli_db_path(const char *db);
/* The location fit to print (store_location_mask), for messages. Caller frees. */
char *cli_where(const char *path);
/* A call of breaker name under o (run, record): the breaker made if unknown,
 * with o's settings and history limit; the rest zero. */
void cli_call(struct store_call *c, const char *name, const struct options *o);
/* Opens the store at path (mode STORE_CREATE) or exits 125 with the (masked)
 * location and the problem. */
struct store *cli_open_store(const char *path);
/* Opens the store of breakers that exist (reset, delete), creating nothing, or
 * exits 125: a mistyped path must not leave a new state file behind. */
struct store *cli_open_store_existing(const char *path);
/* Opens the store read-only (creating nothing) or exits: missing_exit if the
 * file does not exist, 125 on any other problem. */
struct store *cli_open_store_readonly(const char *path, int missing_exit);
/* For the calls (run, check): store_open with the host's own state file as
 * local, so that a Redis server found down is skipped for a while (see
 * store_open); the cli_open_store* functions open without that marker. */
int cli_store_open(struct store **sp, const char *path, enum store_mode mode, char *err,
		   size_t errlen);
/* Exits 125 if any name is not a valid breaker name. */
void cli_check_names(int n, char *const *names);

/* An operand with * ? or [ is a pattern: no breaker name holds those. */
bool cli_is_pattern(const char *operand);
/* Exits 125 if an operand is neither a valid name nor a pattern. */
void cli_check_names_or_patterns(int n, char *const *operands);
/* The breaker names the operands stand for: a pattern (fnmatch(3)) is replaced by
 * the existing names it matches, in name order; one that matches none is kept, to
 * be reported as an unknown name. A matching row that cannot be understood is left
 * out with a warning, and skipped says so. Exits 125 on a store error. Free with
 * cli_names_free(). */
struct cli_names {
	char **v;
	size_t n, cap;
	bool skipped;
};
void cli_expand_names(struct store *s, const char *path, int n, char *const *operands,
		      struct cli_names *out);
void cli_names_add(struct cli_names *ns, const char *name);
void cli_names_free(struct cli_names *ns);
/* "cbexec: warning: no breaker "qdrnat"; did you mean "qdrant"?" with the nearest
 * existing name not among skip[], and then what, if not NULL ("made it, tripped").
 * Exits 125 on a store error. */
void cli_warn_unknown(struct store *s, const char *path, const char *name, int nskip,
		      char *const *skip, const char *then);

/* cbexec's own error, ending it: "cbexec: MESSAGE" on stderr and exit code, or,
 * when the command's plugin_option was given (see cmd_entry),
 * "CBEXEC UNKNOWN - MESSAGE" on stdout and exit 3, as a monitoring plugin. Usage
 * errors and the errors of the functions here that exit go the same way. */
_Noreturn void cli_fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exits 125 (through cli_fatal) if what was written to standard output did not
 * all reach it: a command whose output is its answer must not exit 0 then. */
void cli_check_stdout(void);

_Noreturn void cli_usage_error(const struct cmd_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_print_usage(const struct cmd_entry *e, FILE *out);
/* Prints "--help" for e: usage, summary, its options and its help text. */
void cli_help(const struct cmd_entry *e);
/* The option lines of e's --help, the settings among them if e takes them. */
void cli_print_options(const struct cmd_entry *e, FILE *out);

/* One line per breaker setting: "-f, --failure-threshold N  help (default 5)". */
void cli_print_settings_help(FILE *out);

/* The one line a rejected call prints on stderr, naming the breaker, why, and when.
 * An open breaker whose retry time has come is rejected only when its lock could
 * not be had: the line says the probe waits for the lock. */
void cli_explain_rejection(const char *name, const struct options *o,
			   const struct breaker_state *st, enum breaker_reject why, int64_t now_ms);

/* CBEXEC_DISABLE set to anything but "" or "0": the kill switch. */
bool cli_disabled(void);

/* Exits 125 unless r is a --reason that trip and bypass accept: up to
 * CLI_REASON_MAX bytes of valid UTF-8, no control characters. */
#define CLI_REASON_MAX 200
void cli_check_reason(const struct cmd_entry *e, const char *r);

/* Exits 125 for a change by hand (trip, bypass, reset, delete) whose store
 * operation returned rc: a server that did not answer may still make it,
 * and the message says so. */
_Noreturn void cli_change_failed(struct store *s, const char *where, int rc);

/* For trip and bypass: applies m (its name set to each of names) to each named
 * breaker, one operation each. An unknown name is made, with a warning (unless
 * quiet) that ends in done ("tripped"), as often a typo as a plan. Exits 125 on
 * a store error: a change by hand never falls back to another store. */
void cli_update_by_hand(const char *db, bool quiet, int n, char *const *names,
			const struct store_manual *m, const char *done);

/* RFC 3339 UTC, "2026-11-22T15:04:05Z", or "-" for 0. */
void cli_format_time(int64_t ms, char *buf, size_t len);

#endif
