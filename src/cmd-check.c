/* cbexec check: would a call of the breaker be admitted now? Asks, changes nothing. */
#include <err.h>
#include <stdlib.h>

#include "cli.h"
#include "clock.h"
#include "exitcodes.h"

/* A broken state file must not stop the work a script guards with check, any
 * more than it stops a wrapped command: on_store_error decides, as for run. */
static int admit_unprotected(const struct options *o, const char *path, const char *problem)
{
	if (o->on_store_error == ON_STORE_ERROR_FAIL) {
		warnx("%s: %s; not admitting (on_store_error = fail)", path, problem);
		return EXIT_CANCELED;
	}
	warnx("warning: %s: %s; admitting without the breaker", path, problem);
	return 0;
}

static int check_exec(const struct args *args)
{
	struct cli_breaker_args a = args->breaker;
	struct options o;
	struct store *s = NULL;
	struct breaker_state st;
	struct breaker_settings saved;
	struct breaker_decision d;
	struct breaker_env env;
	char err[512], *path, *where = NULL;
	int rc;

	if (!a.name)
		cli_usage_error(&cmd_check_entry, "no breaker name given (-n NAME)");
	if (cli_disabled())
		return 0; /* the kill switch: run would admit, so check does */
	cli_load_options(&a, &o);
	/* As run: no state path at all is a store error, not a stopped job. */
	if (!(path = cli_find_db_path(a.db))) {
		rc = admit_unprotected(
			&o, "no state file",
			"HOME is not set and no home directory or STATE_DIRECTORY is known; give "
			"--db PATH or set CBEXEC_DB");
		goto out;
	}
	where = cli_where(path);

again:
	/* Read-only: check asks and changes nothing, so it creates nothing
	 * either, and a user who may only read the file may ask. */
	switch (cli_store_open(&s, path, STORE_PEEK, err, sizeof(err))) {
	case STORE_OK:
		break;
	case STORE_NOTFOUND:
		/* No call has made the file yet: every breaker is born closed,
		 * and run would create the file and admit. */
		s = NULL;
		rc = 0;
		goto out;
	default:
		s = NULL;
		/* on_store_error = local, as run has it: the host's own file, read-only */
		if (cli_use_local(&o, &path, &where, err))
			goto again;
		rc = admit_unprotected(&o, where, err);
		goto out;
	}
	/* The store's clock: a Redis store's is the server's, in the read's reply. */
	rc = store_read_now(s, a.name, &env, &st, &saved);
	env.jitter = 0; /* only the open period's length is jittered, and nothing opens here */
	switch (rc) {
	case STORE_OK:
		break;
	case STORE_NOTFOUND:
		rc = 0; /* a breaker is born closed */
		goto out;
	default:
		snprintf(err, sizeof(err), "%s", store_errmsg(s));
		/* As run: a damaged breaker on the server is a store that failed too. */
		if (cli_use_local(&o, &path, &where, err)) {
			store_close(s);
			s = NULL;
			goto again;
		}
		rc = admit_unprotected(&o, where, err);
		goto out;
	}

	/* The machine's admission on a copy that is never written back: no probe
	 * slot, no lease, no rejection counted. The store filled in the leases of
	 * running calls, so a half-open breaker whose slots are all taken, or a
	 * full bulkhead, is reported as rejecting. */
	breaker_admit(&st, &o.breaker, &env, &d);
	if (d.admitted) {
		rc = 0;
	} else {
		if (!a.quiet)
			cli_explain_rejection(a.name, &o, &st, d.reject, env.now_ms);
		rc = EXIT_REJECTED;
	}
out:
	if (s)
		store_close(s);
	free(where);
	free(path);
	options_free(&o);
	return rc;
}

static const struct cmd_option check_options[] = {
	{ 'n', "name", "NAME", "the breaker" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 0, "config", "PATH", "read this file instead of the default ones" },
	{ 'q', "quiet", NULL, "do not say why a call would be rejected" },
	{ 0 },
};

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.usage = "[--db PATH] [--config PATH] [BREAKER OPTIONS] -n NAME",
	.summary = "exit 0 if a call of NAME would be admitted now, 75 if not",
	.options = check_options,
	.settings = true,
	.max_operands = 0,
	.help = "recovery_timeout, half_open_max_calls and max_concurrent decide the answer.\n"
		"Changes nothing: takes no half-open slot and counts no rejection, so callers\n"
		"that use check and record may probe a half-open breaker together. An unknown\n"
		"breaker would be admitted. Exits 75 when rejected whatever open_exit_code\n"
		"says, so that scripts can rely on it; 125 on bad input. A state file that\n"
		"cannot be read admits, with a warning, unless on_store_error = fail.\n",
	.exec = check_exec,
};
