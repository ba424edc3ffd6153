/* Unit tests of the pure state machine, driven by a fake clock. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "breaker.h"
#include "tap.h"

static struct breaker_settings set;
static struct breaker_state st;
static struct breaker_env env;

static void fresh(void)
{
	breaker_settings_init(&set);
	env.now_ms = 1000000;
	env.boot_ms = 5000;
	env.boot_id = 42;
	env.jitter = 0;
	breaker_state_init(&st, &set, env.now_ms);
}

/* Time passing: both clocks move. A clock step moves env.now_ms alone. */
static void tick(int64_t ms)
{
	env.now_ms += ms;
	env.boot_ms += ms;
}

/* One admitted call with the given outcome, as the store would run it. */
static bool call(enum breaker_outcome outcome, int exit_code, bool *transitioned)
{
	struct breaker_decision d;
	struct breaker_transition tr;
	struct breaker_call c = { 0 };

	breaker_admit(&st, &set, &env, &d);
	if (!d.admitted)
		return false;
	c.outcome = outcome;
	c.exit_code = exit_code;
	c.generation = d.generation;
	c.bypassed = d.bypassed;
	if (d.probe && st.probes_inflight)
		st.probes_inflight--; /* the store drops the lease */
	if (st.calls_inflight)
		st.calls_inflight--;
	bool t = breaker_record(&st, &set, &env, &c, &tr);
	if (transitioned)
		*transitioned = t || d.transitioned;
	return true;
}

static void test_full_cycle(void)
{
	struct breaker_decision d;

	fresh();
	for (int i = 0; i < 4; i++)
		call(OUTCOME_FAILURE, 7, NULL);
	ok(st.state == BREAKER_CLOSED, "closed after 4 of 5 failures");
	call(OUTCOME_FAILURE, 7, NULL);
	ok(st.state == BREAKER_OPEN, "open after 5 consecutive failures");
	ok(strcmp(st.reason, "5 consecutive failures, last exit 7") == 0, "reason: %s", st.reason);
	ok(st.retry_at_ms == env.now_ms + 30000, "retry 30s after opening");
	ok(st.totals.opens == 1, "one open counted");

	int64_t rejected = st.totals.rejected;
	ok(!call(OUTCOME_SUCCESS, 0, NULL), "rejected while open");
	ok(st.totals.rejected == rejected + 1, "rejection counted");

	tick(29999);
	ok(!call(OUTCOME_SUCCESS, 0, NULL), "still rejected 1ms before the timeout");
	tick(1);
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.probe && d.transitioned, "first call after the timeout is a probe");
	ok(st.state == BREAKER_HALF_OPEN, "half-open");
	ok(strcmp(d.transition.reason, "recovery timeout elapsed") == 0, "half-open reason");

	struct breaker_decision d2;
	breaker_admit(&st, &set, &env, &d2);
	ok(!d2.admitted && d2.reject == REJECT_HALF_OPEN_FULL, "second call rejected: slot taken");

	struct breaker_call c = { .outcome = OUTCOME_SUCCESS, .generation = d.generation };
	struct breaker_transition tr;
	st.probes_inflight = 0;
	ok(breaker_record(&st, &set, &env, &c, &tr), "probe success transitions");
	ok(st.state == BREAKER_CLOSED && tr.from == BREAKER_HALF_OPEN, "closed again");
	ok(strcmp(tr.reason, "probe succeeded") == 0, "close reason");
	ok(st.consecutive_failures == 0, "failures cleared");
}

static void test_probe_failure_reopens(void)
{
	bool t;

	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	int64_t gen = st.generation;
	tick(30000);
	call(OUTCOME_FAILURE, 3, &t);
	ok(st.state == BREAKER_OPEN && t, "failed probe reopens");
	ok(strcmp(st.reason, "probe failed, exit 3") == 0, "reason: %s", st.reason);
	ok(st.retry_at_ms == env.now_ms + 30000, "new recovery period");
	ok(st.generation == gen + 2, "two transitions, two generations");
}

static void test_stale_outcome(void)
{
	struct breaker_decision slow, d;
	struct breaker_transition tr;

	fresh();
	set.failure_threshold = 2;
	breaker_admit(&st, &set, &env, &slow); /* a slow call starts while closed */
	call(OUTCOME_FAILURE, 1, NULL);
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "opened while the slow call ran");
	struct breaker_call c = { .outcome = OUTCOME_SUCCESS, .generation = slow.generation };
	int64_t successes = st.totals.successes;
	ok(!breaker_record(&st, &set, &env, &c, &tr), "stale success drives no transition");
	ok(st.state == BREAKER_OPEN, "still open");
	ok(st.totals.successes == successes + 1, "but counts in the totals");

	/* a stale failure in a later closed generation does not count either */
	tick(30000);
	breaker_admit(&st, &set, &env, &d);
	c.generation = d.generation;
	st.probes_inflight = 0;
	breaker_record(&st, &set, &env, &c, &tr);
	ok(st.state == BREAKER_CLOSED, "closed by the probe");
	c.outcome = OUTCOME_FAILURE;
	c.generation = slow.generation;
	breaker_record(&st, &set, &env, &c, &tr);
	ok(st.consecutive_failures == 0, "stale failure not counted as consecutive");
}

static void test_ignored(void)
{
	struct breaker_decision d;
	struct breaker_transition tr;

	fresh();
	set.failure_threshold = 1;
	for (int i = 0; i < 10; i++)
		call(OUTCOME_IGNORED, 3, NULL);
	ok(st.state == BREAKER_CLOSED && st.totals.ignored == 10, "ignored never trips");
	call(OUTCOME_FAILURE, 1, NULL);
	tick(30000);
	breaker_admit(&st, &set, &env, &d);
	struct breaker_call c = { .outcome = OUTCOME_IGNORED, .generation = d.generation };
	st.probes_inflight = 0;
	ok(!breaker_record(&st, &set, &env, &c, &tr), "ignored probe: no transition");
	ok(st.state == BREAKER_HALF_OPEN, "stays half-open");
	ok(call(OUTCOME_SUCCESS, 0, NULL), "slot free again for the next probe");
	ok(st.state == BREAKER_CLOSED, "and it closes");
}

static void test_success_threshold_and_slots(void)
{
	struct breaker_decision a, b, c3;

	fresh();
	set.failure_threshold = 1;
	set.success_threshold = 2;
	set.half_open_max_calls = 2;
	call(OUTCOME_FAILURE, 1, NULL);
	tick(30000);
	breaker_admit(&st, &set, &env, &a);
	breaker_admit(&st, &set, &env, &b);
	breaker_admit(&st, &set, &env, &c3);
	ok(a.probe && b.probe && !c3.admitted, "two probe slots, third rejected");
	st.probes_inflight = 0;
	struct breaker_transition tr;
	struct breaker_call c = { .outcome = OUTCOME_SUCCESS, .generation = a.generation };
	ok(!breaker_record(&st, &set, &env, &c, &tr), "one success of two: still half-open");
	ok(breaker_record(&st, &set, &env, &c, &tr) && st.state == BREAKER_CLOSED, "second closes");
	ok(strcmp(tr.reason, "2 probes succeeded") == 0, "reason: %s", tr.reason);
}

static void test_failure_rate(void)
{
	fresh();
	set.failure_threshold = 0;
	set.window_calls = 10;
	set.failure_rate = 50;
	set.min_calls = 10;
	for (int i = 0; i < 9; i++)
		call(i % 2 ? OUTCOME_SUCCESS : OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_CLOSED, "5 of 9 failed: below min_calls, closed");
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "6 of 10 failed: open at min_calls");
	fresh();
	set.failure_threshold = 0;
	set.window_calls = 10;
	set.failure_rate = 50;
	set.min_calls = 10;
	for (int i = 0; i < 6; i++)
		call(OUTCOME_SUCCESS, 0, NULL);
	for (int i = 0; i < 3; i++)
		call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_CLOSED, "3 of 9 failed: closed");
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_CLOSED, "4 of 10 failed (40%%): closed");
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "5 of the last 10 failed (50%%): open");
	ok(strstr(st.reason, "failure rate 50% over the last 10 calls") != NULL, "reason: %s",
	   st.reason);

	fresh();
	set.failure_threshold = 0;
	set.window_calls = 0;
	set.window_ms = 60000;
	set.failure_rate = 50;
	set.min_calls = 4;
	call(OUTCOME_FAILURE, 1, NULL);
	call(OUTCOME_FAILURE, 1, NULL);
	tick(61000); /* those two fall out of the window */
	call(OUTCOME_SUCCESS, 0, NULL);
	call(OUTCOME_SUCCESS, 0, NULL);
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_CLOSED, "time window forgets old failures (1 of 3)");
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "2 of 4 in the last minute: open");
}

static void test_slow_calls(void)
{
	struct breaker_decision d;
	struct breaker_transition tr;

	fresh();
	set.failure_threshold = 0;
	set.window_calls = 4;
	set.slow_call_rate = 75;
	set.min_calls = 4;
	for (int i = 0; i < 4; i++) {
		breaker_admit(&st, &set, &env, &d);
		struct breaker_call c = { .outcome = OUTCOME_SUCCESS,
					  .generation = d.generation,
					  .slow = i > 0 };
		breaker_record(&st, &set, &env, &c, &tr);
	}
	ok(st.state == BREAKER_OPEN, "3 slow of 4 successes opens");
	ok(st.totals.slow == 3, "slow calls counted");
}

static void test_backoff_and_jitter(void)
{
	fresh();
	set.failure_threshold = 1;
	set.backoff = 2;
	set.max_recovery_timeout_ms = 100000;
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.open_period_ms == 30000, "first period 30s");
	int64_t expect[] = { 60000, 100000, 100000 };
	for (int i = 0; i < 3; i++) {
		tick(st.retry_at_ms - env.now_ms);
		call(OUTCOME_FAILURE, 1, NULL);
		ok(st.open_period_ms == expect[i] && st.retry_at_ms == env.now_ms + expect[i],
		   "period after %d failed probes: %lld", i + 1, (long long)st.open_period_ms);
	}
	tick(st.retry_at_ms - env.now_ms);
	call(OUTCOME_SUCCESS, 0, NULL);
	ok(st.state == BREAKER_CLOSED && st.open_period_ms == 30000, "back to the base on close");
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.retry_at_ms == env.now_ms + 30000, "next open uses the base");

	fresh();
	set.failure_threshold = 1;
	set.jitter = 10;
	env.jitter = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.retry_at_ms == env.now_ms + 33000, "+10%% jitter");
	fresh();
	set.failure_threshold = 1;
	set.jitter = 10;
	env.jitter = -1;
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.retry_at_ms == env.now_ms + 27000, "-10%% jitter");
}

static void test_clock_backwards(void)
{
	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	env.now_ms -= 24 * 3600 * 1000; /* the clock was set back a day */
	env.boot_ms += 10000;
	ok(!call(OUTCOME_SUCCESS, 0, NULL), "not elapsed after the clock went back");
	ok(st.retry_at_ms == env.now_ms + 20000, "retry restated as 20s from the new now");
	ok(breaker_retry_in(&st, &env) == 20000, "the boot clock decides within a boot");
	tick(20000);
	ok(call(OUTCOME_SUCCESS, 0, NULL) && st.state == BREAKER_CLOSED, "recovers on time");

	/* A wall clock set forward is time passed for the wall clock: one probe. */
	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	env.now_ms += 20000;
	env.boot_ms += 1000;
	ok(breaker_retry_in(&st, &env) == 10000, "the earlier clock decides");
	env.now_ms += 2 * 3600 * 1000;
	ok(breaker_retry_in(&st, &env) == 0, "clock set forward 2h: due");

	/* After a reboot the boot clock means nothing: the wall clock decides,
	 * and a clock set back stretches no period beyond its length. */
	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	env.boot_id = 43;
	env.boot_ms = 100;
	env.now_ms += 10000;
	ok(breaker_retry_in(&st, &env) == 20000, "another boot: the wall clock decides");
	env.now_ms -= 24 * 3600 * 1000;
	ok(breaker_retry_in(&st, &env) == 30000, "another boot, clock set back: one period");
	ok(!call(OUTCOME_SUCCESS, 0, NULL), "still rejected");
	ok(st.boot_id == 43 && st.retry_boot_ms == 100 + 30000, "anchored on the new boot");
	env.boot_ms += 30000;
	ok(call(OUTCOME_SUCCESS, 0, NULL) && st.state == BREAKER_CLOSED, "recovers a period later");
}

/* Issue 13 item 7: a hold set by hand lasts as asked, whatever its length. */
static void test_long_hold(void)
{
	struct breaker_transition tr;
	struct breaker_decision d;
	int64_t day = 24 * 3600 * 1000;

	fresh();
	breaker_trip(&st, &env, day, "maintenance", &tr);
	tick(60000);
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_HELD,
	   "a day's hold: rejected after a minute, held by hand");
	ok(st.retry_at_ms == env.now_ms + day - 60000, "retry time not pulled in: %lld",
	   (long long)(st.retry_at_ms - env.now_ms));
	tick(day - 60000 - 1);
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted, "still held 1ms before the day is over");
	tick(1);
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.probe, "a probe once the day is over");

	/* the same after a reboot, on the wall clock alone */
	fresh();
	breaker_trip(&st, &env, day, NULL, &tr);
	env.boot_id = 0;
	env.now_ms += 60000;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && breaker_retry_in(&st, &env) == day - 60000,
	   "no boot clock: the hold still lasts the day");
}

/* Issue 13 item 8: manual commands that change nothing record nothing. */
static void test_manual_noop(void)
{
	struct breaker_transition tr;
	int64_t gen;

	fresh();
	ok(breaker_trip(&st, &env, 0, "db", &tr), "first trip changes the breaker");
	gen = st.generation;
	ok(!breaker_trip(&st, &env, 0, "db", &tr), "same trip again: nothing changes");
	ok(st.totals.opens == 1 && st.generation == gen, "no open, no generation");
	ok(breaker_trip(&st, &env, 0, "disk", &tr), "another reason: a renewal");
	ok(tr.from == BREAKER_OPEN && tr.to == BREAKER_OPEN && st.totals.opens == 1 &&
		   st.generation == gen,
	   "a renewal counts no open and keeps the generation");
	ok(strcmp(st.mode_reason, "disk") == 0 && strcmp(st.reason, "tripped by hand: disk") == 0,
	   "the renewal's reason is kept");
	ok(breaker_trip(&st, &env, 5000, "disk", &tr) && st.mode == BREAKER_NORMAL &&
		   breaker_retry_in(&st, &env) == 5000 && st.totals.opens == 1,
	   "a hold given to a tripped breaker: renewal with a retry time");
	tick(1000);
	ok(breaker_trip(&st, &env, 5000, "disk", &tr) && breaker_retry_in(&st, &env) == 5000 &&
		   st.totals.opens == 1 && st.generation == gen,
	   "the same hold again: renewed from now, no open");

	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	gen = st.generation;
	ok(breaker_trip(&st, &env, 0, NULL, &tr) && st.totals.opens == 1 && st.generation == gen,
	   "tripping a breaker that opened by itself counts no second open");

	fresh();
	ok(breaker_bypass(&st, "x", &tr), "first bypass changes the mode");
	ok(!breaker_bypass(&st, "x", &tr), "second bypass: nothing changes");
	ok(breaker_bypass(&st, "y", &tr) && strcmp(st.mode_reason, "y") == 0,
	   "bypass with another reason: a change");
}

/* Issue 13 item 11: a count window smaller than min_calls still counts. */
static void test_min_calls_window(void)
{
	fresh();
	set.failure_threshold = 0;
	set.window_calls = 5;
	set.failure_rate = 50;
	ok(breaker_min_calls(&set) == 5, "min_calls in force: the window size");
	for (int i = 0; i < 2; i++)
		call(OUTCOME_SUCCESS, 0, NULL);
	for (int i = 0; i < 2; i++)
		call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_CLOSED, "4 calls of a 5-call window: not yet");
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "3 of 5 failed: opens although min_calls is 10");
	set.window_calls = 0;
	set.window_ms = 60000;
	ok(breaker_min_calls(&set) == 10, "a time window keeps min_calls");
}

static void test_manual(void)
{
	struct breaker_transition tr;
	struct breaker_decision d;

	fresh();
	ok(breaker_trip(&st, &env, 0, "maintenance", &tr), "trip");
	ok(st.state == BREAKER_OPEN && st.mode == BREAKER_TRIPPED, "forced open");
	ok(strcmp(tr.reason, "tripped by hand: maintenance") == 0, "reason: %s", tr.reason);
	tick(365LL * 24 * 3600 * 1000);
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_TRIPPED, "still rejected a year later");
	ok(breaker_reset(&st, &set, &env, &tr) && st.state == BREAKER_CLOSED, "reset closes");
	ok(strcmp(tr.reason, "reset by hand") == 0 && st.mode == BREAKER_NORMAL, "reset reason");

	breaker_trip(&st, &env, 5000, NULL, &tr);
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_HELD, "trip --for: open, held by hand");
	tick(5000);
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.probe, "trip --for: probe after the duration");
	{
		struct breaker_call c = { .outcome = OUTCOME_FAILURE,
					  .exit_code = 1,
					  .generation = d.generation };

		breaker_record(&st, &set, &env, &c, &tr);
	}
	breaker_admit(&st, &set, &env, &d);
	ok(st.state == BREAKER_OPEN && d.reject == REJECT_OPEN,
	   "a failed probe after a hold opens as any open does, not held");

	fresh();
	set.failure_threshold = 1;
	breaker_bypass(&st, "testing", &tr);
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "bypass still records the transition");
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.bypassed, "bypass admits while open");
	int64_t fails = st.totals.failures;
	call(OUTCOME_SUCCESS, 0, NULL);
	ok(st.state == BREAKER_OPEN && st.totals.failures == fails,
	   "bypassed outcome drives nothing");
}

/* Review item 9: a hold is state (st.held), not a reading of the reason. */
static void test_hold_is_state(void)
{
	struct breaker_transition tr;
	struct breaker_decision d;
	struct breaker_state before;

	fresh();
	ok(!st.held, "a new breaker is not held");
	breaker_trip(&st, &env, 5000, "deploy", &tr);
	ok(st.held && st.mode == BREAKER_NORMAL, "trip --for holds");
	tick(1000);
	before = st;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_HELD, "rejected as held");
	ok(st.held, "the hold survives a rejection");
	st.totals.rejected = before.totals.rejected;
	ok(memcmp(&st, &before, sizeof(st)) == 0,
	   "and the rejection changes nothing but the count");
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_HELD, "a second rejection: still held");
	tick(4000);
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.probe && st.state == BREAKER_HALF_OPEN, "the probe goes at the end");
	ok(!st.held, "the hold ends on the probe");
	{
		struct breaker_call c = { .outcome = OUTCOME_FAILURE,
					  .exit_code = 1,
					  .generation = d.generation };

		st.probes_inflight = 0;
		ok(breaker_record(&st, &set, &env, &c, &tr) && st.state == BREAKER_OPEN && !st.held,
		   "the probe fails: open again, not held");
	}
	ok(strncmp(st.reason, "probe failed", 12) == 0, "reason: %s", st.reason);

	/* the text alone decides nothing: an automatic open that reads like a hold */
	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	snprintf(st.reason, sizeof(st.reason), "tripped by hand: forged");
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_OPEN && !st.held,
	   "an automatic open whose reason reads \"tripped by hand\" is not held");

	/* a hold given to a breaker that opened by itself: a renewal, held */
	ok(breaker_trip(&st, &env, 5000, NULL, &tr) && tr.from == tr.to && st.held,
	   "trip --for on an automatic open holds it");
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_HELD, "and it is rejected as held");

	/* every other way out of a hold */
	ok(breaker_trip(&st, &env, 0, NULL, &tr) && !st.held && st.mode == BREAKER_TRIPPED,
	   "trip without --for ends the hold: tripped until reset");
	breaker_admit(&st, &set, &env, &d);
	ok(d.reject == REJECT_TRIPPED, "rejected as tripped");
	ok(breaker_trip(&st, &env, 5000, NULL, &tr) && st.held && st.mode == BREAKER_NORMAL,
	   "trip --for on a tripped breaker: held again");
	ok(breaker_reset(&st, &set, &env, &tr) && !st.held && st.state == BREAKER_CLOSED,
	   "reset ends the hold");
	breaker_trip(&st, &env, 5000, NULL, &tr);
	breaker_bypass(&st, NULL, &tr);
	ok(st.held, "bypass leaves the hold");
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.bypassed, "and admits through it");
}

static void test_concurrency(void)
{
	struct breaker_decision d;

	fresh();
	set.max_concurrent = 2;
	st.calls_inflight = 2;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_CONCURRENCY, "cap reached: rejected");
	st.calls_inflight = 1;
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted, "below the cap: admitted");
}

/* Whenever the leases do not matter, admission is the same whatever is in flight. */
static void test_leases_matter(void)
{
	struct breaker_decision d0, d;
	struct breaker_state saved;
	struct breaker_transition tr;
	bool agree = true;

	fresh();
	ok(!breaker_leases_matter(&st, &set, &env), "closed, no cap: leases do not matter");
	st.calls_inflight = 1000;
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && !d.probe, "closed, no cap: admitted whatever is in flight");
	st.calls_inflight = 0;
	set.failure_threshold = 1;
	set.max_concurrent = 1;
	ok(breaker_leases_matter(&st, &set, &env), "closed with a cap: leases matter");
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	ok(!breaker_leases_matter(&st, &set, &env), "open and waiting: they do not");
	for (int64_t step = 0; step < 40000; step += 1000) {
		tick(1000);
		if (breaker_leases_matter(&st, &set, &env))
			break;
		saved = st;
		breaker_admit(&st, &set, &env, &d0);
		st = saved;
		st.calls_inflight = 5;
		st.probes_inflight = 5;
		breaker_admit(&st, &set, &env, &d);
		st = saved;
		agree = agree && !d0.admitted && !d.admitted && d0.reject == d.reject;
	}
	ok(agree, "while they do not, a call is rejected the same way at any load");
	ok(breaker_leases_matter(&st, &set, &env), "recovery elapsed: they matter again");
	st.calls_inflight = 1;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_CONCURRENCY && d.transitioned,
	   "half-open, cap full: rejected by the cap");

	fresh();
	breaker_trip(&st, &env, 0, NULL, &tr);
	ok(!breaker_leases_matter(&st, &set, &env), "tripped: they do not");
	breaker_bypass(&st, NULL, &tr);
	ok(breaker_leases_matter(&st, &set, &env), "bypassed: the cap still counts");
	set.max_concurrent = 1;
	st.calls_inflight = 1;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_CONCURRENCY, "bypass does not lift the cap");

	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	env.now_ms -= 24 * 3600 * 1000; /* the clock was set back a day */
	ok(!breaker_leases_matter(&st, &set, &env), "clock set back: still waiting");
	env.boot_ms += 30000;
	ok(breaker_leases_matter(&st, &set, &env),
	   "clock set back, open period over by the boot clock: admission is due");
}

/* store_admit writes only a count when a rejection changes nothing else: the
 * clocks read a millisecond apart must not restate the retry time. */
static void test_rejection_changes_only_the_count(void)
{
	struct breaker_decision d;
	struct breaker_state before;

	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "open after one failure");
	tick(2000);
	env.boot_ms += 1; /* read a moment after the wall clock */
	before = st;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_OPEN, "rejected while open");
	ok(st.totals.rejected == before.totals.rejected + 1, "the rejection is counted");
	st.totals.rejected = before.totals.rejected;
	ok(memcmp(&st, &before, sizeof(st)) == 0, "and nothing else changes");
	env.now_ms -= 90 * 60 * 1000; /* set back 90 minutes: restated on the boot clock */
	breaker_admit(&st, &set, &env, &d);
	ok(st.retry_at_ms == before.retry_at_ms - 90 * 60 * 1000 - 1,
	   "a step of the wall clock restates the retry time: %lld",
	   (long long)(st.retry_at_ms - before.retry_at_ms));
}

/* Last success and the call durations: totals, kept whatever the generation. */
static void test_success_time_and_durations(void)
{
	struct breaker_decision d;
	struct breaker_transition tr;
	struct breaker_call c = { 0 };

	fresh();
	set.failure_threshold = 1;
	ok(st.last_success_at_ms == 0 && st.totals.timed_calls == 0, "none at first");
	call(OUTCOME_SUCCESS, 0, NULL);
	ok(st.last_success_at_ms == env.now_ms, "a success is dated");
	ok(st.totals.timed_calls == 0, "an outcome without a duration is not timed");
	breaker_admit(&st, &set, &env, &d);
	c.outcome = OUTCOME_FAILURE;
	c.exit_code = 1;
	c.generation = d.generation;
	c.timed = true;
	c.duration_ms = 1500;
	tick(10);
	breaker_record(&st, &set, &env, &c, &tr);
	ok(st.last_success_at_ms == env.now_ms - 10, "a failure leaves the success time");
	ok(st.totals.timed_calls == 1 && st.totals.duration_ms_sum == 1500, "a timed call adds");
	/* a stale outcome (older generation) still counts its time */
	c.outcome = OUTCOME_SUCCESS;
	c.duration_ms = 250;
	breaker_record(&st, &set, &env, &c, &tr);
	ok(st.state == BREAKER_OPEN, "a stale success does not close");
	ok(st.totals.timed_calls == 2 && st.totals.duration_ms_sum == 1750,
	   "but its duration is counted: %lld", (long long)st.totals.duration_ms_sum);
	ok(st.last_success_at_ms == env.now_ms, "and its time");
	/* saturation, and a negative duration adds nothing */
	st.totals.duration_ms_sum = INT64_MAX - 100;
	st.totals.timed_calls = INT64_MAX;
	c.duration_ms = 1000;
	breaker_record(&st, &set, &env, &c, &tr);
	ok(st.totals.duration_ms_sum == INT64_MAX && st.totals.timed_calls == INT64_MAX,
	   "sum and count saturate");
	st.totals.duration_ms_sum = 5;
	c.duration_ms = -3;
	breaker_record(&st, &set, &env, &c, &tr);
	ok(st.totals.duration_ms_sum == 5, "a negative duration adds nothing");
}

/* Without the lock only a breaker that reads open decides, and says why. */
static void test_unlocked_reject(void)
{
	struct breaker_transition tr;

	fresh();
	ok(breaker_unlocked_reject(&st) == REJECT_NONE, "unlocked: closed decides nothing");
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	ok(breaker_unlocked_reject(&st) == REJECT_OPEN, "unlocked: open rejects");
	breaker_bypass(&st, "drill", &tr);
	ok(breaker_unlocked_reject(&st) == REJECT_NONE, "unlocked: bypassed decides nothing");
	breaker_trip(&st, &env, 0, NULL, &tr);
	ok(breaker_unlocked_reject(&st) == REJECT_TRIPPED, "unlocked: tripped rejects as tripped");
	breaker_trip(&st, &env, 3600000, NULL, &tr);
	ok(breaker_unlocked_reject(&st) == REJECT_HELD, "unlocked: a hold rejects as a hold");
}

int main(void)
{
	test_full_cycle();
	test_probe_failure_reopens();
	test_stale_outcome();
	test_ignored();
	test_success_threshold_and_slots();
	test_failure_rate();
	test_slow_calls();
	test_backoff_and_jitter();
	test_clock_backwards();
	test_rejection_changes_only_the_count();
	test_unlocked_reject();
	test_long_hold();
	test_manual_noop();
	test_min_calls_window();
	test_manual();
	test_hold_is_state();
	test_concurrency();
	test_leases_matter();
	test_success_time_and_durations();
	return tap_done();
}
