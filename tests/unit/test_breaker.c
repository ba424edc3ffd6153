/* Unit tests of the pure state machine, driven by a fake clock. */
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
	env.jitter = 0;
	breaker_state_init(&st, &set, env.now_ms);
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
	c.probe = d.probe;
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

	env.now_ms += 29999;
	ok(!call(OUTCOME_SUCCESS, 0, NULL), "still rejected 1ms before the timeout");
	env.now_ms += 1;
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.probe && d.transitioned, "first call after the timeout is a probe");
	ok(st.state == BREAKER_HALF_OPEN, "half-open");
	ok(strcmp(d.transition.reason, "recovery timeout elapsed") == 0, "half-open reason");

	struct breaker_decision d2;
	breaker_admit(&st, &set, &env, &d2);
	ok(!d2.admitted && d2.reject == REJECT_HALF_OPEN_FULL, "second call rejected: slot taken");

	struct breaker_call c = { .outcome = OUTCOME_SUCCESS,
				  .generation = d.generation,
				  .probe = true };
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
	env.now_ms += 30000;
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
	env.now_ms += 30000;
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
	env.now_ms += 30000;
	breaker_admit(&st, &set, &env, &d);
	struct breaker_call c = { .outcome = OUTCOME_IGNORED,
				  .generation = d.generation,
				  .probe = true };
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
	env.now_ms += 30000;
	breaker_admit(&st, &set, &env, &a);
	breaker_admit(&st, &set, &env, &b);
	breaker_admit(&st, &set, &env, &c3);
	ok(a.probe && b.probe && !c3.admitted, "two probe slots, third rejected");
	st.probes_inflight = 0;
	struct breaker_transition tr;
	struct breaker_call c = { .outcome = OUTCOME_SUCCESS,
				  .generation = a.generation,
				  .probe = true };
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
	env.now_ms += 61000; /* those two fall out of the window */
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
		env.now_ms = st.retry_at_ms;
		call(OUTCOME_FAILURE, 1, NULL);
		ok(st.open_period_ms == expect[i] && st.retry_at_ms == env.now_ms + expect[i],
		   "period after %d failed probes: %lld", i + 1, (long long)st.open_period_ms);
	}
	env.now_ms = st.retry_at_ms;
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
	ok(!call(OUTCOME_SUCCESS, 0, NULL), "not elapsed after the clock went back");
	ok(st.retry_at_ms == env.now_ms + 30000, "retry pulled back to one period from now");
	env.now_ms += 30000;
	ok(call(OUTCOME_SUCCESS, 0, NULL) && st.state == BREAKER_CLOSED, "recovers a period later");
}

static void test_manual(void)
{
	struct breaker_transition tr;
	struct breaker_decision d;

	fresh();
	ok(breaker_trip(&st, &env, 0, "maintenance", &tr), "trip");
	ok(st.state == BREAKER_OPEN && st.mode == BREAKER_FORCED_OPEN, "forced open");
	ok(strcmp(tr.reason, "tripped by hand: maintenance") == 0, "reason: %s", tr.reason);
	env.now_ms += 365LL * 24 * 3600 * 1000;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_FORCED, "still rejected a year later");
	ok(breaker_reset(&st, &set, &env, &tr) && st.state == BREAKER_CLOSED, "reset closes");
	ok(strcmp(tr.reason, "reset by hand") == 0 && st.mode == BREAKER_NORMAL, "reset reason");

	breaker_trip(&st, &env, 5000, NULL, &tr);
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_OPEN, "trip --for: open");
	env.now_ms += 5000;
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.probe, "trip --for: probe after the duration");

	fresh();
	set.failure_threshold = 1;
	breaker_bypass(&st, &env, "testing", &tr);
	call(OUTCOME_FAILURE, 1, NULL);
	ok(st.state == BREAKER_OPEN, "bypass still records the transition");
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && d.bypassed, "bypass admits while open");
	int64_t fails = st.totals.failures;
	call(OUTCOME_SUCCESS, 0, NULL);
	ok(st.state == BREAKER_OPEN && st.totals.failures == fails,
	   "bypassed outcome drives nothing");
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
	ok(!breaker_leases_matter(&st, &set, env.now_ms), "closed, no cap: leases do not matter");
	st.calls_inflight = 1000;
	breaker_admit(&st, &set, &env, &d);
	ok(d.admitted && !d.probe, "closed, no cap: admitted whatever is in flight");
	st.calls_inflight = 0;
	set.max_concurrent = 1;
	ok(breaker_leases_matter(&st, &set, env.now_ms), "closed with a cap: leases matter");
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	ok(!breaker_leases_matter(&st, &set, env.now_ms), "open and waiting: they do not");
	for (int64_t step = 0; step < 40000; step += 1000) {
		env.now_ms += 1000;
		if (breaker_leases_matter(&st, &set, env.now_ms))
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
	ok(breaker_leases_matter(&st, &set, env.now_ms), "recovery elapsed: they matter again");
	st.calls_inflight = 1;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_CONCURRENCY && d.transitioned,
	   "half-open, cap full: rejected by the cap");

	fresh();
	breaker_trip(&st, &env, 0, NULL, &tr);
	ok(!breaker_leases_matter(&st, &set, env.now_ms), "tripped: they do not");
	breaker_bypass(&st, &env, NULL, &tr);
	ok(breaker_leases_matter(&st, &set, env.now_ms), "bypassed: the cap still counts");
	set.max_concurrent = 1;
	st.calls_inflight = 1;
	breaker_admit(&st, &set, &env, &d);
	ok(!d.admitted && d.reject == REJECT_CONCURRENCY, "bypass does not lift the cap");

	fresh();
	set.failure_threshold = 1;
	call(OUTCOME_FAILURE, 1, NULL);
	env.now_ms -= 24 * 3600 * 1000; /* the clock was set back a day */
	ok(!breaker_leases_matter(&st, &set, env.now_ms), "clock set back: still waiting");
	st.open_period_ms = 0;
	ok(breaker_leases_matter(&st, &set, env.now_ms),
	   "clock set back, no open period: admission is due, so they matter");
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
	test_manual();
	test_concurrency();
	test_leases_matter();
	return tap_done();
}
