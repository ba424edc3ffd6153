/* cbexec [run]: admit, run the command with nothing held, record the outcome. */
#include <err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "exitcodes.h"
#include "hooks.h"
#include "runner.h"
#include "store.h"

/* A lease outlives its call's longest possible run by this much. */
#define LEASE_SLACK_MS	   60000
/* Without --timeout a call's run is unbounded; its lease is not. */
#define LEASE_UNBOUNDED_MS 3600000

/* How long a lease taken now lives: the call's longest possible run, and slack. */
static int64_t lease_ms(const struct options *o)
{
	int64_t run = o->timeout_ms ? o->timeout_ms + o->kill_after_ms : LEASE_UNBOUNDED_MS;

	return run + LEASE_SLACK_MS;
}

/* The command under the timeout settings, with timeout(1)'s meanings. */
static void run_command(const struct options *o, char **cmd, struct runner_result *r)
{
	const struct runner_limits lim = {
		.timeout_ms = o->timeout_ms,
		.kill_after_ms = o->kill_after_ms,
		.signal = o->timeout_signal,
		.preserve_status = o->preserve_status,
		.foreground = o->foreground,
	};

	runner_run(cmd, &lim, r);
}

/* cbexec must never be the reason a job fails: by default a broken state file
 * (or none to be found) costs a warning, and the command runs without the
 * breaker, counted nowhere. */
static int run_unprotected(const struct options *o, const char *path, const char *problem,
			   char **cmd, struct runner_result *r)
{
	if (o->on_store_error == ON_STORE_ERROR_FAIL) {
		warnx("%s: %s; not running the command (on_store_error = fail)", path, problem);
		return EXIT_CANCELED;
	}
	warnx("warning: %s: %s; running the command without the breaker", path, problem);
	run_command(o, cmd, r);
	return r->exit_code;
}

/*
 * on_store_error = local: a Redis store that failed (at open or at admission)
 * gives way to the host's own state file, so that each host still protects
 * itself while the server is away (cli_use_local). False when the policy or
 * the store is not for it, or the local file fails too: then *where and
 * problem say what failed last, for run_unprotected.
 */
static bool use_local(const struct options *o, struct store **sp, char **path, char **where,
		      char *problem, size_t len)
{
	char err[512];

	if (!cli_use_local(o, path, where, problem))
		return false;
	if (*sp)
		store_close(*sp);
	*sp = NULL;
	if (store_open(sp, *path, STORE_CREATE, NULL, err, sizeof(err)) != STORE_OK) {
		snprintf(problem, len, "%s", err);
		return false;
	}
	store_set_lock_timeout(*sp, o->lock_timeout_ms);
	return true;
}

/* Has the reader of our stdout or stderr gone? Then a command killed by SIGPIPE
 * was stopped by whoever read its output (`cbexec ... | head -1`), not by the
 * dependency. poll(2) reports POLLERR on a pipe with no reader left, POLLHUP on
 * a socket shut down or a terminal hung up. */
static bool reader_gone(void)
{
	struct pollfd p[2] = { { STDOUT_FILENO, 0, 0 }, { STDERR_FILENO, 0, 0 } };

	if (poll(p, 2, 0) <= 0)
		return false;
	for (int i = 0; i < 2; i++)
		if (!(p[i].revents & POLLNVAL) && (p[i].revents & (POLLERR | POLLHUP)))
			return true;
	return false;
}

/* Why the fallback runs, if it does. */
enum fallback_why {
	FALLBACK_NONE,
	FALLBACK_REJECTED, /* the breaker turned the call away */
	FALLBACK_FAILED,   /* the command ran and its outcome was a failure */
};

/* Does --fallback-on let the fallback take a call that ended so? */
static bool fallback_takes(const struct options *o, enum fallback_why why)
{
	if (!o->fallback)
		return false;
	if (why == FALLBACK_REJECTED)
		return o->fallback_on != FALLBACK_ON_FAILURE;
	return why == FALLBACK_FAILED && o->fallback_on != FALLBACK_ON_REJECTED;
}

/* The fallback replaces cbexec, so its exit status is cbexec's. st is the state
 * after the call, or NULL if the state file could not say; exit_code the
 * command's status, or -1 if it did not run. */
static _Noreturn void run_fallback(const char *name, const struct options *o,
				   const struct breaker_state *st, int64_t now_ms,
				   enum fallback_why why, int exit_code)
{
	char buf[32];

	setenv("CBEXEC_NAME", name, 1);
	setenv("CBEXEC_OUTCOME", why == FALLBACK_REJECTED ? "rejected" : "failure", 1);
	if (exit_code >= 0)
		snprintf(buf, sizeof(buf), "%d", exit_code);
	else
		buf[0] = '\0';
	setenv("CBEXEC_EXIT_CODE", buf, 1);
	setenv("CBEXEC_STATE", st ? breaker_state_name(st->state) : "", 1);
	if (st && st->state == BREAKER_OPEN && st->mode != BREAKER_TRIPPED)
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)clock_secs_until(now_ms, st->retry_at_ms));
	else
		buf[0] = '\0';
	setenv("CBEXEC_RETRY_AFTER", buf, 1);
	if (st)
		snprintf(buf, sizeof(buf), "%u", st->consecutive_failures);
	else
		buf[0] = '\0';
	setenv("CBEXEC_FAILURES", buf, 1);
	if (st && st->last_exit >= 0)
		snprintf(buf, sizeof(buf), "%d", st->last_exit);
	else
		buf[0] = '\0';
	setenv("CBEXEC_LAST_EXIT", buf, 1);
	fflush(NULL);
	runner_exec_shell(o->fallback);
}

/*
 * The write lock is held by a process that does not let go (stopped by Ctrl-Z,
 * a debugger, a frozen cgroup). WAL readers still see the last commit: a call
 * to a breaker that reads open or tripped is turned away as it would have been,
 * uncounted, rather than run unprotected after the wait. Open whatever its
 * retry time: a probe needs the lock to take its slot, and without it every
 * waiting caller would probe at once. Anything else (closed, half-open,
 * bypassed, unreadable) falls to the store-error policy.
 */
static bool read_rejects(struct store *s, const char *name, struct store_result *res)
{
	struct breaker_state st;
	enum breaker_reject why;

	memset(res, 0, sizeof(*res));
	if (store_now(s, &res->env) != STORE_OK ||
	    store_read(s, name, res->env.now_ms, &st, NULL) != STORE_OK ||
	    (why = breaker_unlocked_reject(&st)) == REJECT_NONE)
		return false;
	res->decision.reject = why;
	res->after = st;
	/* restated as breaker_admit() would, for the message and CBEXEC_RETRY_AFTER */
	if (st.mode != BREAKER_TRIPPED)
		res->after.retry_at_ms = res->env.now_ms + breaker_retry_in(&st, &res->env);
	return true;
}

static enum breaker_outcome classify(const struct options *o, const struct runner_result *r)
{
	if (r->interrupted)
		return OUTCOME_IGNORED; /* the caller stopped it: says nothing of the dependency */
	if (r->timed_out || r->start_failed)
		return OUTCOME_FAILURE;
	if (r->term_signal == SIGPIPE && reader_gone())
		return OUTCOME_IGNORED; /* its reader left: says nothing of the dependency */
	if (exitset_has(&o->ignore_exit, r->exit_code))
		return OUTCOME_IGNORED;
	if (exitset_has(&o->success_exit, r->exit_code))
		return OUTCOME_SUCCESS;
	return OUTCOME_FAILURE;
}

static int run_exec(const struct args *args)
{
	struct cli_breaker_args a = args->breaker;
	struct options o;
	struct store *store = NULL;
	struct store_call c;
	struct store_result adm, rec;
	struct breaker_call call = { 0 };
	struct runner_result r;
	char *path = NULL, *where = NULL, **cmd, problem[512];
	enum fallback_why fallback = FALLBACK_NONE;
	const struct breaker_state *fallback_state = NULL; /* NULL: unknown */
	bool classified = false;
	int rc;
	int64_t wait_until, pause = 10, lease, now_ms = 0;

	/* First: a dead reader of our stderr must cost a message, not the call. */
	runner_ignore_sigpipe();
	cmd = args->argv;
	if (cli_disabled())
		return runner_exec(cmd); /* the kill switch: no config, no state */
	if (!a.name)
		cli_usage_error(&cmd_run_entry, "no breaker name given (-n NAME)");
	cli_load_options(&a, &o);
	path = cli_find_db_path(a.db);

	memset(&r, 0, sizeof(r));
	if (!path) {
		rc = run_unprotected(&o, "no state file",
				     "HOME is not set and no home directory or STATE_DIRECTORY is "
				     "known; give --db PATH or set CBEXEC_DB",
				     cmd, &r);
		goto out;
	}
	where = cli_where(path);
	if (cli_store_open(&store, path, STORE_CREATE, problem, sizeof(problem)) != STORE_OK &&
	    !use_local(&o, &store, &path, &where, problem, sizeof(problem))) {
		rc = run_unprotected(&o, where, problem, cmd, &r);
		goto out;
	}

	store_set_lock_timeout(store, o.lock_timeout_ms);
	/* A wait, so on the monotonic clock: a wall clock set back an hour must
	 * not make --max-wait 3s wait an hour. */
	wait_until = clock_mono_ms() + o.max_wait_ms;
	for (;;) {
		cli_call(&c, a.name, &o);
		c.waiting = clock_mono_ms() < wait_until;
		c.lease_ms = lease_ms(&o);
		rc = store_admit(store, &c, &adm);
		if (rc == STORE_BUSY && read_rejects(store, a.name, &adm)) {
			warnx("warning: %s: %s; rejecting the call uncounted, as the breaker reads "
			      "open",
			      where, store_errmsg(store));
			break;
		}
		if (rc != STORE_OK) {
			snprintf(problem, sizeof(problem), "%s", store_errmsg(store));
			if (rc != STORE_BUSY &&
			    use_local(&o, &store, &path, &where, problem, sizeof(problem)))
				continue;
			rc = run_unprotected(&o, where, problem, cmd, &r);
			goto out;
		}
		if (!c.waiting || adm.decision.reject != REJECT_CONCURRENCY)
			break;
		clock_sleep_ms(pause);
		pause = pause < 200 ? pause * 2 : 200;
	}
	lease = adm.lease;
	/* The store's time: a Redis store's is the server's. */
	now_ms = adm.env.now_ms;
	if (adm.transitioned)
		hooks_transition(&o, a.name, a.quiet, &adm.transition, &adm.after, now_ms);

	if (!adm.decision.admitted) {
		/* -q: the exit status says it, as flock -n's does */
		if (!a.quiet)
			cli_explain_rejection(a.name, &o, &adm.after, adm.decision.reject, now_ms);
		if (fallback_takes(&o, FALLBACK_REJECTED)) {
			fallback = FALLBACK_REJECTED;
			fallback_state = &adm.after;
		}
		rc = o.open_exit_code;
		goto out;
	}

	/* Nothing is held while the command runs: the admission has committed. */
	run_command(&o, cmd, &r);
	rc = r.exit_code;
	if (r.own_failure) {
		/* cbexec could not start the command: not the dependency's doing,
		 * so nothing is counted; only the slot this call took is given back. */
		if (lease &&
		    ((rc = store_release(store, a.name, lease)) == STORE_ERR || rc == STORE_DOWN))
			warnx("warning: %s: %s; this call's slot is freed once cbexec has exited",
			      where, store_errmsg(store));
		rc = r.exit_code;
		goto out;
	}

	call.outcome = classify(&o, &r);
	classified = true;
	call.exit_code = r.exit_code;
	call.timed_out = r.timed_out;
	call.slow = o.breaker.slow_call_ms && r.elapsed_ms > o.breaker.slow_call_ms;
	call.timed = true;
	call.duration_ms = r.elapsed_ms;
	call.bypassed = adm.decision.bypassed;
	call.generation = adm.decision.generation;
	cli_call(&c, a.name, &o);
	c.call = &call;
	c.lease = lease;
	/* Only an open reads it, for the length of its period; admission never
	 * opens, and jitter 0 (the default) needs no draw: no seeding, no clock. */
	if (o.breaker.jitter)
		c.jitter = clock_jitter();
	/* Once: a request that may have run is never sent again. */
	if (store_record(store, &c, &rec) != STORE_OK) {
		warnx("warning: %s: %s; the outcome of this call was not recorded", where,
		      store_errmsg(store));
	} else {
		fallback_state = &rec.after;
		now_ms = rec.env.now_ms;
		if (rec.transitioned)
			hooks_transition(&o, a.name, a.quiet, &rec.transition, &rec.after, now_ms);
	}
	if (call.outcome == OUTCOME_FAILURE && fallback_takes(&o, FALLBACK_FAILED))
		fallback = FALLBACK_FAILED;
out:
	/* A command run without the breaker (the state file failed) that failed
	 * gets its fallback too: the caller asked for one on failure, and cbexec's
	 * trouble must not take it away. */
	if (!classified && r.ran && fallback_takes(&o, FALLBACK_FAILED) &&
	    classify(&o, &r) == OUTCOME_FAILURE)
		fallback = FALLBACK_FAILED;
	if (store)
		store_close(store);
	hooks_wait(HOOKS_WAIT_MS);
	/* Last, once the outcome is recorded and the hooks are done: it replaces
	 * cbexec, and a hook left behind would be no one's to wait for. */
	if (fallback != FALLBACK_NONE)
		run_fallback(a.name, &o, fallback_state, now_ms, fallback,
			     fallback == FALLBACK_FAILED ? r.exit_code : -1);
	free(where);
	free(path);
	options_free(&o);
	runner_reraise(&r); /* a command killed by a signal: so is cbexec, for the shell */
	return rc;
}

static const struct cmd_option run_options[] = {
	{ 'n', "name", "NAME", "the breaker (A-Z a-z 0-9 . _ : -, 1-128)" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 0, "config", "PATH", "the configuration file" },
	{ 'q', "quiet", NULL, "no transition or rejection lines on stderr" },
	{ 0 },
};

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "[OPTIONS] -n NAME [--] COMMAND [ARG...]",
	.summary = "run COMMAND under the breaker NAME (the default command)",
	.options = run_options,
	.settings = true,
	.command = true,
	.min_operands = 1,
	.max_operands = -1,
	.missing = "no command given",
	.help = "Options end at the first argument that is not one, or at --: the rest is\n"
		"COMMAND and its arguments, run without a shell.\n",
	.exec = run_exec,
};
