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

struct run_ctx {
	const struct options *o;
	struct breaker_env env;
	struct breaker_decision decision;
	struct breaker_call call;
	struct breaker_state after;
	bool waiting; /* a bulkhead rejection now will be retried: do not count it */
};

static void admit_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct run_ctx *ctx = vctx;
	const struct options *o = ctx->o;

	ctx->env = t->env;
	breaker_admit(st, &o->breaker, &ctx->env, &ctx->decision);
	if (ctx->waiting && ctx->decision.reject == REJECT_CONCURRENCY)
		return; /* t->write stays false: nothing counted while we wait */
	t->write = true;
	t->transitioned = ctx->decision.transitioned;
	t->transition = ctx->decision.transition;
	if (ctx->decision.admitted && (ctx->decision.probe || o->breaker.max_concurrent)) {
		int64_t run = o->timeout_ms ? o->timeout_ms + o->kill_after_ms : LEASE_UNBOUNDED_MS;

		t->take_lease = true;
		t->lease_probe = ctx->decision.probe;
		t->lease_generation = ctx->decision.generation;
		t->lease_expires_ms = ctx->env.now_ms + run + LEASE_SLACK_MS;
	}
	ctx->after = *st;
}

static void record_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct run_ctx *ctx = vctx;

	ctx->env = t->env;
	t->transitioned =
		breaker_record(st, &ctx->o->breaker, &ctx->env, &ctx->call, &t->transition);
	t->write = true;
	ctx->after = *st;
}

static void release_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	(void)st;
	(void)vctx;
	t->write = false;
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
static bool read_rejects(struct store *s, const char *name, struct run_ctx *ctx)
{
	struct breaker_state st;
	enum breaker_reject why;

	clock_now(&ctx->env);
	if (store_read(s, name, ctx->env.now_ms, &st, NULL) != STORE_OK ||
	    (why = breaker_unlocked_reject(&st)) == REJECT_NONE)
		return false;
	memset(&ctx->decision, 0, sizeof(ctx->decision));
	ctx->decision.reject = why;
	ctx->after = st;
	/* restated as breaker_admit() would, for the message and CBEXEC_RETRY_AFTER */
	if (st.mode != BREAKER_TRIPPED)
		ctx->after.retry_at_ms = ctx->env.now_ms + breaker_retry_in(&st, &ctx->env);
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
	struct store_txn t;
	struct run_ctx ctx;
	struct runner_result r;
	char *path = NULL, **cmd;
	enum fallback_why fallback = FALLBACK_NONE;
	const struct breaker_state *fallback_state = NULL; /* NULL: unknown */
	bool classified = false;
	int rc;
	int64_t wait_until, pause = 10, lease;

	/* First: a dead reader of our stderr must cost a message, not the call. */
	runner_ignore_sigpipe();
	cmd = args->argv;
	if (cli_disabled())
		return runner_exec(cmd); /* the kill switch: no config, no state */
	if (!a.name)
		cli_usage_error(&cmd_run_entry, "no breaker name given (-n NAME)");
	cli_load_options(&a, &o);
	path = cli_find_db_path(a.db);

	memset(&ctx, 0, sizeof(ctx));
	memset(&r, 0, sizeof(r));
	ctx.o = &o;
	if (!path) {
		rc = run_unprotected(&o, "no state file",
				     "HOME is not set and no home directory or STATE_DIRECTORY is "
				     "known; give --db PATH or set CBEXEC_DB",
				     cmd, &r);
		goto out;
	}
	{
		char err[512];

		if (store_open(&store, path, err, sizeof(err)) != STORE_OK) {
			rc = run_unprotected(&o, path, err, cmd, &r);
			goto out;
		}
	}

	store_set_lock_timeout(store, o.lock_timeout_ms);
	/* A wait, so on the monotonic clock: a wall clock set back an hour must
	 * not make --max-wait 3s wait an hour. */
	wait_until = clock_mono_ms() + o.max_wait_ms;
	for (;;) {
		ctx.waiting = clock_mono_ms() < wait_until;
		cli_call_txn(&t, a.name, &o);
		rc = store_admit(store, &t, admit_cb, &ctx);
		if (rc == STORE_BUSY && read_rejects(store, a.name, &ctx)) {
			warnx("warning: %s: %s; rejecting the call uncounted, as the breaker reads "
			      "open",
			      path, store_errmsg(store));
			break;
		}
		if (rc != STORE_OK) {
			rc = run_unprotected(&o, path, store_errmsg(store), cmd, &r);
			goto out;
		}
		if (!ctx.waiting || ctx.decision.reject != REJECT_CONCURRENCY)
			break;
		clock_sleep_ms(pause);
		pause = pause < 200 ? pause * 2 : 200;
	}
	lease = t.lease_id;
	if (t.transitioned)
		hooks_transition(&o, a.name, a.quiet, &t.transition, &ctx.after, ctx.env.now_ms);

	if (!ctx.decision.admitted) {
		/* -q: the exit status says it, as flock -n's does */
		if (!a.quiet)
			cli_explain_rejection(a.name, &o, &ctx.after, ctx.decision.reject,
					      ctx.env.now_ms);
		if (fallback_takes(&o, FALLBACK_REJECTED)) {
			fallback = FALLBACK_REJECTED;
			fallback_state = &ctx.after;
		}
		rc = o.open_exit_code;
		goto out;
	}

	/* Nothing is held while the command runs: the admission has committed. */
	run_command(&o, cmd, &r);
	rc = r.exit_code;
	if (r.own_failure) {
		/* cbexec could not start the command: not the dependency's doing,
		 * so nothing is counted; only the slot this call took is given back
		 * (a callback that writes nothing; the store drops the lease). */
		memset(&t, 0, sizeof(t));
		t.name = a.name;
		t.settings = &o.breaker;
		t.release_lease = lease;
		if (lease && store_update(store, &t, release_cb, &ctx) == STORE_ERR)
			warnx("warning: %s: %s; this call's slot is freed once cbexec has exited",
			      path, store_errmsg(store));
		goto out;
	}

	ctx.call.outcome = classify(&o, &r);
	classified = true;
	ctx.call.exit_code = r.exit_code;
	ctx.call.timed_out = r.timed_out;
	ctx.call.slow = o.breaker.slow_call_ms && r.elapsed_ms > o.breaker.slow_call_ms;
	ctx.call.timed = true;
	ctx.call.duration_ms = r.elapsed_ms;
	ctx.call.bypassed = ctx.decision.bypassed;
	ctx.call.generation = ctx.decision.generation;
	cli_call_txn(&t, a.name, &o);
	/* Only an open reads it, for the length of its period; admission never
	 * opens, and jitter 0 (the default) needs no draw: no seeding, no clock. */
	if (o.breaker.jitter)
		t.env.jitter = clock_jitter();
	t.release_lease = lease;
	if (store_update(store, &t, record_cb, &ctx) != STORE_OK) {
		warnx("warning: %s: %s; the outcome of this call was not recorded", path,
		      store_errmsg(store));
	} else {
		fallback_state = &ctx.after;
		if (t.transitioned)
			hooks_transition(&o, a.name, a.quiet, &t.transition, &ctx.after,
					 ctx.env.now_ms);
	}
	if (ctx.call.outcome == OUTCOME_FAILURE && fallback_takes(&o, FALLBACK_FAILED))
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
		run_fallback(a.name, &o, fallback_state, ctx.env.now_ms, fallback,
			     fallback == FALLBACK_FAILED ? r.exit_code : -1);
	free(path);
	options_free(&o);
	runner_reraise(&r); /* a command killed by a signal: so is cbexec, for the shell */
	return rc;
}

static const struct cmd_option run_options[] = {
	{ 'n', "name", "NAME", "the breaker (A-Z a-z 0-9 . _ : -, 1-128)" },
	{ 0, "db", "PATH", "the state file" },
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
