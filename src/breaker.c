/* The circuit breaker state machine: pure, no I/O, time passed in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"

/*
 * Invariants this module keeps:
 *
 * 1. Every state change goes through change_state(), which bumps the
 *    generation, clears the window, the probe-success count and the hold,
 *    and stamps state_changed_at.
 * 2. An outcome of a call admitted in an older generation, or admitted only
 *    because of bypass, changes the totals and nothing else: a slow success
 *    that started before the trip never closes an open breaker.
 * 3. Only breaker_admit() moves OPEN to HALF_OPEN, and the call that moves it
 *    takes the first probe slot in the same event, so the store's one
 *    transaction covers both and no stampede of probes gets through.
 * 4. At most half_open_max_calls probes of the current generation are
 *    admitted at once; the store counts live probe leases into
 *    probes_inflight before each event.
 * 5. A breaker tripped by hand without a duration admits nothing until
 *    reset; a bypassed breaker admits everything the concurrency cap allows.
 *    One tripped with a duration is held (st->held, set only by trip, never
 *    read from a reason's text) until the state changes (its first probe),
 *    a reset, or a trip without a duration.
 * 6. A retry time is kept on two clocks, the wall clock and the boot clock
 *    of the boot that set it (which no one can step), and is due when the
 *    earlier of the two says so: a wall clock set back never stretches an
 *    open period; one set forward may end it early, which costs one probe
 *    (the cap on probes is kept by leases, which go by the boot clock).
 *    After a reboot the wall clock alone decides, and the period still never
 *    lasts longer than its length as set (open_length: the jittered period,
 *    or trip's --for) from now. Nothing else shortens a retry time: a hold
 *    set by hand lasts as asked.
 * 7. The open period grows by the backoff factor only when a probe fails,
 *    is capped by max_recovery_timeout, and returns to recovery_timeout when
 *    the breaker opens from closed.
 * 8. A manual command that changes nothing records nothing: re-tripping an
 *    open breaker is no new open (no generation, no open counted), and
 *    tripping or bypassing again with the same settings writes nothing.
 */

static const char *const state_names[] = { "closed", "open", "half_open" };

/* The start of the reason breaker_trip() writes. */
static const char by_hand[] = "tripped by hand";

/* How far the two clocks may disagree about a retry time before admission
 * restates it: more than the microseconds between reading them, less than
 * anything a person or a probe would notice. */
#define RESTATE_SLACK_MS 1000
/* Counters saturate: a total read back at its maximum from a damaged file
 * stays there rather than overflow (undefined for int64_t). */
static void count_one(int64_t *v)
{
	if (*v < INT64_MAX)
		(*v)++;
}

/* The same for a sum: a negative duration (impossible on a monotonic clock)
 * adds nothing. */
static void add_saturated(int64_t *v, int64_t n)
{
	if (n <= 0)
		return;
	*v = *v > INT64_MAX - n ? INT64_MAX : *v + n;
}

static uint32_t count_u32(uint32_t v)
{
	return v < UINT32_MAX ? v + 1 : v;
}

const char *breaker_state_name(enum breaker_state_kind k)
{
	return (unsigned)k < 3 ? state_names[k] : "unknown";
}

/* The settings table (options.c) holds the defaults; this copy, which the
 * store uses for every row it reads, saves parsing them there each time, and
 * tests/unit/test_options.c holds the two equal. */
void breaker_settings_init(struct breaker_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->failure_threshold = 5;
	set->recovery_timeout_ms = 30 * 1000;
	set->success_threshold = 1;
	set->half_open_max_calls = 1;
	set->min_calls = 10;
	set->backoff = 1.0;
	set->max_recovery_timeout_ms = 3600 * 1000;
}

void breaker_state_init(struct breaker_state *st, const struct breaker_settings *set,
			int64_t now_ms)
{
	memset(st, 0, sizeof(*st));
	st->state = BREAKER_CLOSED;
	st->mode = BREAKER_NORMAL;
	st->generation = 1;
	st->state_changed_at_ms = now_ms;
	st->open_period_ms = set->recovery_timeout_ms;
	st->last_exit = -1;
	window_configure(&st->window, set->window_calls, set->window_ms);
}

static void change_state(struct breaker_state *st, enum breaker_state_kind to, int64_t now_ms,
			 const char *reason, struct breaker_transition *tr)
{
	tr->from = st->state;
	tr->to = to;
	snprintf(tr->reason, sizeof(tr->reason), "%s", reason);
	snprintf(st->reason, sizeof(st->reason), "%s", reason);
	st->state = to;
	st->held = false;
	st->generation++;
	st->consecutive_successes = 0;
	st->state_changed_at_ms = now_ms;
	st->retry_at_ms = 0;
	window_clear(&st->window);
}

static int64_t max_period(const struct breaker_settings *set)
{
	return set->max_recovery_timeout_ms > set->recovery_timeout_ms
		       ? set->max_recovery_timeout_ms
		       : set->recovery_timeout_ms;
}

static int64_t jittered(int64_t period, const struct breaker_settings *set,
			const struct breaker_env *env)
{
	double j = env->jitter < -1 ? -1 : env->jitter > 1 ? 1 : env->jitter;
	int64_t delta = (int64_t)((double)period * set->jitter / 100.0 * j);

	return period + delta > 0 ? period + delta : 0;
}

/* The retry time `in` ms from now on both clocks (invariant 6). The length is
 * the caller's to set: a renewal moves the retry time but not the length. */
static void set_retry(struct breaker_state *st, const struct breaker_env *env, int64_t in)
{
	st->retry_at_ms = env->now_ms + in;
	st->retry_boot_ms = env->boot_ms + in;
	st->boot_id = env->boot_id;
}

static void open_breaker(struct breaker_state *st, const struct breaker_settings *set,
			 const struct breaker_env *env, const char *reason,
			 struct breaker_transition *tr)
{
	if (st->state == BREAKER_HALF_OPEN) {
		double grown = (double)st->open_period_ms * (set->backoff >= 1 ? set->backoff : 1);
		int64_t cap = max_period(set);

		if (st->open_period_ms < set->recovery_timeout_ms)
			grown = (double)set->recovery_timeout_ms * set->backoff;
		st->open_period_ms = grown >= (double)cap ? cap : (int64_t)grown;
	} else {
		st->open_period_ms = set->recovery_timeout_ms;
	}
	change_state(st, BREAKER_OPEN, env->now_ms, reason, tr);
	set_retry(st, env, jittered(st->open_period_ms, set, env));
	st->open_length_ms = st->retry_at_ms - env->now_ms;
	count_one(&st->totals.opens);
}

/* Invariant 6. */
enum breaker_reject breaker_unlocked_reject(const struct breaker_state *st)
{
	if (st->mode == BREAKER_BYPASS || st->state != BREAKER_OPEN)
		return REJECT_NONE;
	if (st->mode == BREAKER_TRIPPED)
		return REJECT_TRIPPED;
	return st->held ? REJECT_HELD : REJECT_OPEN;
}

int64_t breaker_retry_in(const struct breaker_state *st, const struct breaker_env *env)
{
	int64_t left = st->retry_at_ms - env->now_ms;

	if (st->boot_id != 0 && st->boot_id == env->boot_id &&
	    st->retry_boot_ms - env->boot_ms < left)
		left = st->retry_boot_ms - env->boot_ms;
	if (left > st->open_length_ms)
		left = st->open_length_ms;
	return left > 0 ? left : 0;
}

bool breaker_leases_matter(const struct breaker_state *st, const struct breaker_settings *set,
			   const struct breaker_env *env)
{
	(void)set;
	if (st->mode == BREAKER_BYPASS)
		return true;
	if (st->mode == BREAKER_TRIPPED)
		return false;
	/* Closed admits every call but those the cap holds back. */
	if (st->state == BREAKER_CLOSED)
		return set->max_concurrent != 0;
	return st->state != BREAKER_OPEN || breaker_retry_in(st, env) == 0;
}

uint32_t breaker_min_calls(const struct breaker_settings *set)
{
	if (set->window_calls && set->window_calls < set->min_calls)
		return set->window_calls;
	return set->min_calls;
}

void breaker_admit(struct breaker_state *st, const struct breaker_settings *set,
		   const struct breaker_env *env, struct breaker_decision *d)
{
	memset(d, 0, sizeof(*d));

	if (st->mode == BREAKER_TRIPPED) {
		d->reject = REJECT_TRIPPED;
	} else if (st->state == BREAKER_OPEN) {
		int64_t left = breaker_retry_in(st, env);

		/* Restated on this boot's clocks, so that status and the rejection
		 * message read the retry time the machine goes by, and a retry time
		 * carried over a reboot is measured by the new boot's clock. Only
		 * when it moved, though: the two clocks are read microseconds apart,
		 * and a restatement of a millisecond would make every rejection a
		 * write of the whole row instead of a count (store_admit). */
		if (st->boot_id != env->boot_id ||
		    llabs(env->now_ms + left - st->retry_at_ms) > RESTATE_SLACK_MS)
			set_retry(st, env, left);
		if (left == 0) {
			change_state(st, BREAKER_HALF_OPEN, env->now_ms, "recovery timeout elapsed",
				     &d->transition);
			d->transitioned = true;
			st->probes_inflight = 0; /* older leases belong to the old generation */
		} else {
			d->reject = st->held ? REJECT_HELD : REJECT_OPEN;
		}
	}
	if (st->state == BREAKER_HALF_OPEN && d->reject == REJECT_NONE) {
		if (st->probes_inflight < set->half_open_max_calls)
			d->probe = true;
		else
			d->reject = REJECT_HALF_OPEN_FULL;
	}

	if (d->reject != REJECT_NONE && st->mode == BREAKER_BYPASS) {
		d->bypassed = true;
		d->probe = false;
		d->reject = REJECT_NONE;
	}
	/* The cap holds for every call let through, bypassed ones too. A call the
	 * breaker turns away anyway is told why (open), not that the cap is full:
	 * that is also what lets breaker_leases_matter() say false while open. */
	if (d->reject == REJECT_NONE && set->max_concurrent &&
	    st->calls_inflight >= set->max_concurrent) {
		d->reject = REJECT_CONCURRENCY;
		d->probe = false;
		d->bypassed = false;
	}
	d->admitted = d->reject == REJECT_NONE;
	d->generation = st->generation;
	if (!d->admitted)
		count_one(&st->totals.rejected);
	if (d->probe)
		st->probes_inflight++;
	if (d->admitted)
		st->calls_inflight++;
}

static void describe_exit(const struct breaker_call *call, char *buf, size_t len)
{
	if (call->timed_out)
		snprintf(buf, len, "timed out");
	else if (call->exit_code < 0)
		snprintf(buf, len, "recorded by hand");
	else
		snprintf(buf, len, "exit %d", call->exit_code);
}

static void describe_window(const struct breaker_settings *set, char *buf, size_t len)
{
	if (set->window_calls) {
		snprintf(buf, len, "the last %u calls", set->window_calls);
	} else {
		long long s = (long long)(set->window_ms / 1000);

		snprintf(buf, len, "the last %llds", s);
	}
}

/* The CLOSED-state trip rules, in the order a person would name them. */
static bool should_open(const struct breaker_state *st, const struct breaker_settings *set,
			const struct breaker_env *env, const struct breaker_call *call,
			char *reason, size_t len)
{
	char what[64], span[64];
	struct window_sums s;

	describe_exit(call, what, sizeof(what));
	if (set->failure_threshold && st->consecutive_failures >= set->failure_threshold) {
		snprintf(reason, len, "%u consecutive failures, last %s", st->consecutive_failures,
			 what);
		return true;
	}
	if (st->window.kind == WINDOW_NONE)
		return false;
	s = window_sums(&st->window, env->now_ms);
	if (s.calls == 0 || s.calls < breaker_min_calls(set))
		return false;
	describe_window(set, span, sizeof(span));
	if (set->failure_rate &&
	    (uint64_t)s.failures * 100 >= (uint64_t)set->failure_rate * s.calls) {
		snprintf(reason, len, "failure rate %u%% over %s (%u of %u)",
			 (unsigned)((uint64_t)s.failures * 100 / s.calls), span, s.failures,
			 s.calls);
		return true;
	}
	if (set->slow_call_rate &&
	    (uint64_t)s.slow * 100 >= (uint64_t)set->slow_call_rate * s.calls) {
		snprintf(reason, len, "slow-call rate %u%% over %s (%u of %u)",
			 (unsigned)((uint64_t)s.slow * 100 / s.calls), span, s.slow, s.calls);
		return true;
	}
	return false;
}

bool breaker_record(struct breaker_state *st, const struct breaker_settings *set,
		    const struct breaker_env *env, const struct breaker_call *call,
		    struct breaker_transition *tr)
{
	char reason[BREAKER_REASON_MAX], what[64];
	bool failure = call->outcome == OUTCOME_FAILURE;

	count_one(&st->totals.calls);
	switch (call->outcome) {
	case OUTCOME_SUCCESS:
		count_one(&st->totals.successes);
		st->last_success_at_ms = env->now_ms;
		break;
	case OUTCOME_FAILURE:
		count_one(&st->totals.failures);
		st->last_failure_at_ms = env->now_ms;
		break;
	case OUTCOME_IGNORED:
		count_one(&st->totals.ignored);
		break;
	}
	if (call->timed_out)
		count_one(&st->totals.timeouts);
	if (call->slow)
		count_one(&st->totals.slow);
	if (call->timed) {
		count_one(&st->totals.timed_calls);
		add_saturated(&st->totals.duration_ms_sum, call->duration_ms);
	}
	if (call->exit_code >= 0)
		st->last_exit = call->exit_code;

	/* Invariant 2. */
	if (call->generation != st->generation || call->bypassed ||
	    call->outcome == OUTCOME_IGNORED)
		return false;

	st->consecutive_failures = failure ? count_u32(st->consecutive_failures) : 0;
	if (st->state == BREAKER_CLOSED) {
		window_configure(&st->window, set->window_calls, set->window_ms);
		if (st->window.kind != WINDOW_NONE)
			window_add(&st->window, env->now_ms, failure, call->slow);
		if (!should_open(st, set, env, call, reason, sizeof(reason)))
			return false;
		open_breaker(st, set, env, reason, tr);
		return true;
	}
	if (st->state == BREAKER_HALF_OPEN) {
		if (failure) {
			describe_exit(call, what, sizeof(what));
			snprintf(reason, sizeof(reason), "probe failed, %s", what);
			open_breaker(st, set, env, reason, tr);
			return true;
		}
		st->consecutive_successes = count_u32(st->consecutive_successes);
		if (st->consecutive_successes < set->success_threshold)
			return false;
		if (set->success_threshold > 1)
			snprintf(reason, sizeof(reason), "%u probes succeeded",
				 set->success_threshold);
		else
			snprintf(reason, sizeof(reason), "probe succeeded");
		change_state(st, BREAKER_CLOSED, env->now_ms, reason, tr);
		st->open_period_ms = set->recovery_timeout_ms;
		return true;
	}
	return false;
}

bool breaker_reset(struct breaker_state *st, const struct breaker_settings *set,
		   const struct breaker_env *env, struct breaker_transition *tr)
{
	bool changed = st->state != BREAKER_CLOSED || st->mode != BREAKER_NORMAL;

	st->mode = BREAKER_NORMAL;
	st->held = false;
	st->mode_reason[0] = '\0';
	st->consecutive_failures = 0;
	st->open_period_ms = set->recovery_timeout_ms;
	if (!changed) {
		window_clear(&st->window);
		return false;
	}
	change_state(st, BREAKER_CLOSED, env->now_ms, "reset by hand", tr);
	return true;
}

bool breaker_trip(struct breaker_state *st, const struct breaker_env *env, int64_t for_ms,
		  const char *why, struct breaker_transition *tr)
{
	enum breaker_mode mode = for_ms > 0 ? BREAKER_NORMAL : BREAKER_TRIPPED;
	char reason[BREAKER_REASON_MAX];

	if (!why)
		why = "";
	if (st->state == BREAKER_OPEN && st->mode == mode && mode == BREAKER_TRIPPED &&
	    strcmp(st->mode_reason, why) == 0)
		return false; /* invariant 8: tripped already, as asked */
	if (*why)
		snprintf(reason, sizeof(reason), "%s: %s", by_hand, why);
	else
		snprintf(reason, sizeof(reason), "%s", by_hand);
	if (st->state == BREAKER_OPEN) {
		/* A renewal: the calls turned away go on being turned away, so
		 * no new generation and no open; the history says what changed. */
		tr->from = tr->to = BREAKER_OPEN;
		snprintf(tr->reason, sizeof(tr->reason), "%s", reason);
		snprintf(st->reason, sizeof(st->reason), "%s", reason);
		st->retry_at_ms = 0;
	} else {
		change_state(st, BREAKER_OPEN, env->now_ms, reason, tr);
		count_one(&st->totals.opens);
	}
	snprintf(st->mode_reason, sizeof(st->mode_reason), "%s", why);
	st->mode = mode;
	st->held = for_ms > 0;
	st->open_length_ms = for_ms > 0 ? for_ms : 0;
	if (for_ms > 0)
		set_retry(st, env, for_ms);
	return true;
}

bool breaker_bypass(struct breaker_state *st, const char *why, struct breaker_transition *tr)
{
	if (!why)
		why = "";
	if (st->mode == BREAKER_BYPASS && strcmp(st->mode_reason, why) == 0)
		return false; /* invariant 8: bypassed already, as asked */
	st->mode = BREAKER_BYPASS;
	snprintf(st->mode_reason, sizeof(st->mode_reason), "%s", why);
	tr->from = tr->to = st->state;
	if (*why)
		snprintf(tr->reason, sizeof(tr->reason), "bypass by hand: %s", why);
	else
		snprintf(tr->reason, sizeof(tr->reason), "bypass by hand");
	return true;
}
