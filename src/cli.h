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

/* Parses argv (argv[0] is the command name) up to the first non-option or "--";
 * handles -h by printing e's usage and exiting 0. Returns the index of the first
 * argument left. Bad usage exits 125. */
int cli_parse_breaker_args(const struct cmd_entry *e, int argc, char **argv,
			   struct cli_breaker_args *a);
/* options_init, then the configuration for a->name, then the command line. Exits 125
 * on a configuration error or bad value. */
void cli_load_options(const struct cli_breaker_args *a, struct options *o);

/* --db, else $CBEXEC_DB, else $XDG_STATE_HOME/cbexec/breakers.db, else
 * ~/.local/state/cbexec/breakers.db. Caller frees. */
char *cli_db_path(const char *db);
/* Opens the store or exits 125 with the path and the problem. */
struct store *cli_open_store(const char *path);
/* Opens the store read-only (creating nothing) or exits: missing_exit if the
 * file does not exist, 125 on any other problem. */
struct store *cli_open_store_readonly(const char *path, int missing_exit);
/* Exits 125 if any name is not a valid breaker name. */
void cli_check_names(int n, char *const *names);

_Noreturn void cli_usage_error(const struct cmd_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_print_usage(const struct cmd_entry *e, FILE *out);
/* Prints "--help" for e: usage, summary, and the lines given. */
void cli_help(const struct cmd_entry *e, const char *options_text);

/* One line per breaker setting: "-f, --failure-threshold N  help (default 5)". */
void cli_print_settings_help(FILE *out);

/* The one line a rejected call prints on stderr, naming the breaker, why, and when. */
void cli_explain_rejection(const char *name, const struct options *o,
			   const struct breaker_state *st, enum breaker_reject why, int64_t now_ms);

/* CBEXEC_DISABLE set to anything but "" or "0": the kill switch. */
bool cli_disabled(void);

/* Exits 125 unless r is a --reason that trip and bypass accept: up to
 * CLI_REASON_MAX bytes of valid UTF-8, no control characters. */
#define CLI_REASON_MAX 200
void cli_check_reason(const struct cmd_entry *e, const char *r);

/* For trip and bypass: applies fn to each named breaker, one transaction each,
 * with env->now_ms set for it. An unknown name is made, with a warning that
 * ends in done ("tripped"), as often a typo as a plan. Exits 125 on a store
 * error. */
void cli_update_by_hand(const char *db, int n, char *const *names, struct breaker_env *env,
			store_fn fn, void *ctx, const char *done);

int64_t cli_now_ms(void);
/* RFC 3339 UTC, "2026-11-22T15:04:05Z", or "-" for 0. */
void cli_format_time(int64_t ms, char *buf, size_t len);

#endif
