/* cbexec record: an outcome of work cbexec could not wrap, recorded as if a call had ended. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "exitcodes.h"
#include "hooks.h"
#include "runner.h"

/*
 * "As if a call admitted just now had ended with it": first the admission the
 * call would have had, then its outcome, in two operations as run makes them.
 * The admission is what lets a breaker used only through check and record
 * recover: the recorded outcome of the first call after the open period is a
 * probe, which closes the breaker or opens it again. Recording into an open
 * breaker without it would move nothing, and check would admit every call for
 * ever after.
 *
 * Of the admission only a change of state is written (open -> half-open):
 * the call has already ended, so it takes no lease and counts no rejection
 * (store_call.recorded).
 */

static int parse_outcome(const char *s, enum breaker_outcome *out)
{
	if (strcmp(s, "success") == 0)
		*out = OUTCOME_SUCCESS;
	else if (strcmp(s, "failure") == 0)
		*out = OUTCOME_FAILURE;
	else if (strcmp(s, "ignored") == 0)
		*out = OUTCOME_IGNORED;
	else
		return -1;
	return 0;
}

static int record_exec(const struct args *args)
{
	struct cli_breaker_args a = args->breaker;
	struct options o;
	struct breaker_call call = { 0 };
	struct store_call c;
	struct store_result r;
	struct store *s;
	char *path, *where;

	/* A dead reader of our stderr must cost a message, not the hooks. */
	runner_ignore_sigpipe();
	if (parse_outcome(args->argv[0], &call.outcome) < 0)
		cli_usage_error(&cmd_record_entry,
				"outcome \"%s\" is not success, failure or ignored", args->argv[0]);
	if (!a.name)
		cli_usage_error(&cmd_record_entry, "no breaker name given (-n NAME)");
	if (cli_disabled())
		return 0; /* the kill switch: no config, no state */
	cli_load_options(&a, &o);
	path = cli_db_path(a.db);
	where = cli_where(path);
	s = cli_open_store(path);
	store_set_lock_timeout(s, o.lock_timeout_ms);

	cli_call(&c, a.name, &o);
	c.recorded = true;
	if (store_admit(s, &c, &r) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
	if (r.transitioned)
		hooks_transition(&o, a.name, a.quiet, &r.transition, &r.after, r.env.now_ms);

	/* A call the breaker would have rejected still happened: it counts in the
	 * totals, but as a call of no generation it moves nothing (invariant 2 of
	 * breaker.c). */
	call.exit_code = -1; /* "recorded by hand" in reasons */
	call.bypassed = r.decision.bypassed;
	call.generation = r.decision.admitted ? r.decision.generation : 0;
	cli_call(&c, a.name, &o);
	c.call = &call;
	/* An outcome may open the breaker: jitter spreads its retry time, as for run. */
	if (o.breaker.jitter)
		c.jitter = clock_jitter();
	if (store_record(s, &c, &r) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
	if (r.transitioned)
		hooks_transition(&o, a.name, a.quiet, &r.transition, &r.after, r.env.now_ms);

	store_close(s);
	hooks_wait(HOOKS_WAIT_MS);
	free(where);
	free(path);
	options_free(&o);
	return 0;
}

static const struct cmd_option record_options[] = {
	{ 'n', "name", "NAME", "the breaker (created if unknown)" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 0, "config", "PATH", "read this file instead of the default ones" },
	{ 'q', "quiet", NULL, "no transition lines on stderr" },
	{ 0 },
};

const struct cmd_entry cmd_record_entry = {
	.name = "record",
	.usage = "[--db PATH] [--config PATH] [BREAKER OPTIONS] -n NAME success|failure|ignored",
	.summary = "record an outcome of NAME as if a call admitted just now had ended with it",
	.options = record_options,
	.settings = true,
	.min_operands = 1,
	.max_operands = 1,
	.missing = "no outcome given (success, failure or ignored)",
	.help = "Give the breaker options that run uses for NAME.\n"
		"\n"
		"The outcome is success, failure or ignored. It moves the breaker as a\n"
		"call's would, with transition lines and hooks: after the open period the\n"
		"recorded outcome is a probe's. When a call would be rejected now (open,\n"
		"tripped, half-open with its slots taken) the outcome only counts in the\n"
		"totals. CBEXEC_DISABLE=1 records nothing. Exit 0, or 125 on an error.\n",
	.exec = record_exec,
};
