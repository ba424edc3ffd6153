/* cbexec [run]: admit, run the command with nothing held, record the outcome. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exitcodes.h"
#include "hooks.h"
#include "runner.h"
#include "store.h"
#include "xmalloc.h"

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

	t->transitioned =
		breaker_record(st, &ctx->o->breaker, &ctx->env, &ctx->call, &t->transition);
	t->write = true;
	ctx->after = *st;
}

static double random_jitter(void)
{
	static int seeded;

	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		srandom((unsigned)(ts.tv_nsec ^ getpid()));
		seeded = 1;
	}
	return (double)random() / RAND_MAX * 2.0 - 1.0;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* cbexec must never be the reason a job fails: by default a broken state file
 * costs a warning, and the command runs unprotected. */
static int store_failed(const struct options *o, const char *path, const char *problem, char **cmd,
			struct runner_result *r)
{
	if (o->on_store_error == ON_STORE_ERROR_FAIL) {
		warnx("%s: %s; not running the command (on_store_error = fail)", path, problem);
		return EXIT_CANCELED;
	}
	warnx("warning: %s: %s; running the command without the breaker", path, problem);
	runner_run(cmd, o->timeout_ms, o->kill_after_ms, r);
	return r->exit_code;
}

static void seconds_until(int64_t from_ms, int64_t to_ms, char *buf, size_t len)
{
	int64_t s = to_ms > from_ms ? (to_ms - from_ms + 999) / 1000 : 0;

	snprintf(buf, len, "%lld", (long long)s);
}

/* The fallback replaces cbexec, so its exit status is cbexec's. */
static _Noreturn void run_fallback(const char *name, const struct options *o,
				   const struct breaker_state *st, int64_t now_ms)
{
	char buf[32];

	setenv("CBEXEC_NAME", name, 1);
	setenv("CBEXEC_STATE", breaker_state_name(st->state), 1);
	if (st->state == BREAKER_OPEN && st->mode != BREAKER_FORCED_OPEN)
		seconds_until(now_ms, st->retry_at_ms, buf, sizeof(buf));
	else
		buf[0] = '\0';
	setenv("CBEXEC_RETRY_AFTER", buf, 1);
	snprintf(buf, sizeof(buf), "%u", st->consecutive_failures);
	setenv("CBEXEC_FAILURES", buf, 1);
	if (st->last_exit >= 0)
		snprintf(buf, sizeof(buf), "%d", st->last_exit);
	else
		buf[0] = '\0';
	setenv("CBEXEC_LAST_EXIT", buf, 1);
	fflush(NULL);
	runner_exec_shell(o->fallback);
}

static enum breaker_outcome classify(const struct options *o, const struct runner_result *r)
{
	if (r->interrupted)
		return OUTCOME_IGNORED; /* the caller stopped it: says nothing of the dependency */
	if (r->timed_out || r->start_failed)
		return OUTCOME_FAILURE;
	if (exitset_has(&o->ignore_exit, r->exit_code))
		return OUTCOME_IGNORED;
	if (exitset_has(&o->success_exit, r->exit_code))
		return OUTCOME_SUCCESS;
	return OUTCOME_FAILURE;
}

static int run_exec(int argc, char **argv)
{
	struct cli_breaker_args a;
	struct options o;
	struct store *store = NULL;
	struct store_txn t;
	struct run_ctx ctx;
	struct runner_result r;
	char *path = NULL, **cmd;
	int first, rc;
	int64_t wait_until, pause = 10, lease;

	first = cli_parse_breaker_args(&cmd_run_entry, argc, argv, &a);
	cmd = argv + first;
	if (first >= argc)
		cli_usage_error(&cmd_run_entry, "no command given");
	if (cli_disabled())
		return runner_exec(cmd); /* the kill switch: no config, no state */
	if (!a.name)
		cli_usage_error(&cmd_run_entry, "no breaker name given (-n NAME)");
	cli_load_options(&a, &o);
	path = cli_db_path(a.db);

	memset(&ctx, 0, sizeof(ctx));
	memset(&r, 0, sizeof(r));
	ctx.o = &o;
	{
		char err[512];

		if (store_open(&store, path, err, sizeof(err)) != STORE_OK) {
			rc = store_failed(&o, path, err, cmd, &r);
			goto out;
		}
	}

	wait_until = cli_now_ms() + o.max_wait_ms;
	for (;;) {
		ctx.env.now_ms = cli_now_ms();
		ctx.env.jitter = random_jitter();
		ctx.waiting = ctx.env.now_ms < wait_until;
		memset(&t, 0, sizeof(t));
		t.name = a.name;
		t.create = true;
		t.now_ms = ctx.env.now_ms;
		t.settings = &o.breaker;
		t.history_limit = o.history_limit;
		if (store_admit(store, &t, admit_cb, &ctx) != STORE_OK) {
			rc = store_failed(&o, path, store_errmsg(store), cmd, &r);
			goto out;
		}
		if (!ctx.waiting || ctx.decision.reject != REJECT_CONCURRENCY)
			break;
		sleep_ms(pause);
		pause = pause < 200 ? pause * 2 : 200;
	}
	lease = t.lease_id;
	if (t.transitioned)
		hooks_transition(&o, a.name, a.quiet, &t.transition, &ctx.after, ctx.env.now_ms);

	if (!ctx.decision.admitted) {
		cli_explain_rejection(a.name, &o, &ctx.after, ctx.decision.reject, ctx.env.now_ms);
		store_close(store);
		store = NULL;
		if (o.fallback)
			run_fallback(a.name, &o, &ctx.after, ctx.env.now_ms);
		rc = o.open_exit_code;
		goto out;
	}

	/* Nothing is held while the command runs: the admission has committed. */
	runner_run(cmd, o.timeout_ms, o.kill_after_ms, &r);
	rc = r.exit_code;

	ctx.call.outcome = classify(&o, &r);
	ctx.call.exit_code = r.exit_code;
	ctx.call.timed_out = r.timed_out;
	ctx.call.slow = o.breaker.slow_call_ms && r.elapsed_ms > o.breaker.slow_call_ms;
	ctx.call.probe = ctx.decision.probe;
	ctx.call.bypassed = ctx.decision.bypassed;
	ctx.call.generation = ctx.decision.generation;
	ctx.env.now_ms = cli_now_ms();
	ctx.env.jitter = random_jitter();
	memset(&t, 0, sizeof(t));
	t.name = a.name;
	t.create = true;
	t.now_ms = ctx.env.now_ms;
	t.settings = &o.breaker;
	t.history_limit = o.history_limit;
	t.release_lease = lease;
	if (store_update(store, &t, record_cb, &ctx) != STORE_OK)
		warnx("warning: %s: %s; the outcome of this call was not recorded", path,
		      store_errmsg(store));
	else if (t.transitioned)
		hooks_transition(&o, a.name, a.quiet, &t.transition, &ctx.after, ctx.env.now_ms);
out:
	if (store)
		store_close(store);
	hooks_wait(HOOKS_WAIT_MS);
	free(path);
	options_free(&o);
	runner_reraise(&r); /* a command killed by a signal: so is cbexec, for the shell */
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "[OPTIONS] -n NAME [--] COMMAND [ARG...]",
	.summary = "run COMMAND under the breaker NAME (the default command)",
	.exec = run_exec,
};
