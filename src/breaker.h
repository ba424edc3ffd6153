/* The circuit breaker state machine: pure, no I/O, time passed in. */
#ifndef CBEXEC_BREAKER_H
#define CBEXEC_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "window.h"

enum breaker_state_kind {
	BREAKER_CLOSED = 0,
	BREAKER_OPEN = 1,
	BREAKER_HALF_OPEN = 2
};

/* Manual overrides that persist until reset. */
enum breaker_mode {
	BREAKER_NORMAL = 0,
	BREAKER_TRIPPED = 1, /* tripped without --for: no probes until reset */
	BREAKER_BYPASS = 2,  /* every call admitted, outcomes still recorded */
};

enum breaker_outcome {
	OUTCOME_SUCCESS,
	OUTCOME_FAILURE,
	OUTCOME_IGNORED, /* an --ignore-exit code, or the caller interrupted the call */
};

enum breaker_reject {
	REJECT_NONE,
	REJECT_OPEN,	       /* open, recovery timeout not yet elapsed */
	REJECT_TRIPPED,	       /* tripped by hand */
	REJECT_HELD,	       /* open by trip --for, its duration not yet over */
	REJECT_HALF_OPEN_FULL, /* half-open, every probe slot taken */
	REJECT_CONCURRENCY,    /* --max-concurrent calls already running */
};

/* What the machine needs of the settings; the rest live in struct options. */
struct breaker_settings {
	uint32_t failure_threshold; /* consecutive failures that open; 0 = rule off */
	int64_t recovery_timeout_ms;
	uint32_t success_threshold;
	uint32_t half_open_max_calls;
	uint32_t window_calls; /* count window: the last N outcomes, or 0 */
	int64_t window_ms;     /* time window: outcomes in the last DUR, or 0 */
	uint32_t failure_rate; /* percent; 0 = rule off */
	uint32_t min_calls;
	int64_t slow_call_ms;	 /* 0 = no call is slow */
	uint32_t slow_call_rate; /* percent; 0 = rule off */
	double backoff;		 /* open period multiplier per failed probe, >= 1 */
	int64_t max_recovery_timeout_ms;
	uint32_t jitter;	 /* percent */
	uint32_t max_concurrent; /* 0 = unlimited */
};

struct breaker_totals {
	int64_t calls; /* outcomes recorded, of any kind */
	int64_t successes;
	int64_t failures;
	int64_t ignored;
	int64_t rejected;
	int64_t timeouts;
	int64_t slow;
	int64_t opens; /* transitions to open */
	/* Calls whose running time was measured (run, not record), and the sum
	 * of those times: a Prometheus summary's _count and _sum. */
	int64_t timed_calls;
	int64_t duration_ms_sum;
};

#define BREAKER_REASON_MAX 256

struct breaker_state {
	enum breaker_state_kind state;
	enum breaker_mode mode;
	/* Open because trip --for said so: until the hold ends, the open is no
	 * failure of the dependency. Cleared by every change of state. */
	bool held;
	int64_t generation;
	uint32_t consecutive_failures;
	uint32_t consecutive_successes;
	int64_t state_changed_at_ms;
	int64_t retry_at_ms;		      /* when open: first time a probe may go, wall clock */
	int64_t retry_boot_ms;		      /* the same on the boot clock of boot boot_id */
	int64_t boot_id;		      /* the boot retry_boot_ms belongs to; 0 = none */
	int64_t open_length_ms;		      /* the whole open period as set: jittered or --for */
	int64_t open_period_ms;		      /* the open period in force (grows with backoff) */
	int64_t last_failure_at_ms;	      /* 0 = never */
	int64_t last_success_at_ms;	      /* 0 = never */
	int last_exit;			      /* -1 = none yet */
	char reason[BREAKER_REASON_MAX];      /* why the breaker is in its state */
	char mode_reason[BREAKER_REASON_MAX]; /* --reason given to trip/bypass */
	struct breaker_totals totals;
	struct window window;
	/* Filled by the store from live leases before each event. */
	uint32_t probes_inflight; /* probes of the current generation */
	uint32_t calls_inflight;  /* every leased call, for max_concurrent */
};

/*
 * Time and chance, handed in so the machine stays pure. The wall clock dates
 * events and is what people read; the boot clock (CLOCK_BOOTTIME, which counts
 * suspend and is never set) measures deadlines shared between processes, and
 * only within the boot that set them, told by boot_id.
 */
struct breaker_env {
	int64_t now_ms;	 /* wall clock, ms since the epoch */
	int64_t boot_ms; /* boot clock, ms since boot */
	int64_t boot_id; /* this boot, from its boot id; 0 = unknown: wall clock only */
	double jitter;	 /* uniform in [-1, 1] */
};

struct breaker_transition {
	enum breaker_state_kind from, to;
	char reason[BREAKER_REASON_MAX];
};

struct breaker_decision {
	bool admitted;
	bool probe;    /* admitted into a half-open slot */
	bool bypassed; /* would have been rejected; admitted by bypass mode */
	enum breaker_reject reject;
	int64_t generation; /* stamp for the outcome */
	bool transitioned;
	struct breaker_transition transition;
};

struct breaker_call {
	enum breaker_outcome outcome;
	int exit_code; /* what the caller exits with: status, 124, 126, 127, 128+N */
	bool timed_out;
	bool slow;
	bool bypassed;
	int64_t generation;  /* from the decision that admitted it */
	bool timed;	     /* duration_ms was measured: false for an outcome recorded by hand */
	int64_t duration_ms; /* how long the command ran (CLOCK_MONOTONIC) */
};

void breaker_state_init(struct breaker_state *st, const struct breaker_settings *set,
			int64_t now_ms);
void breaker_settings_init(struct breaker_settings *set);
const char *breaker_state_name(enum breaker_state_kind k);

void breaker_admit(struct breaker_state *st, const struct breaker_settings *set,
		   const struct breaker_env *env, struct breaker_decision *d);
/*
 * Whether the calls in flight (st->calls_inflight, st->probes_inflight) can
 * change what breaker_admit() decides now. While open and waiting, or tripped,
 * every call is turned away whatever runs, and while closed with no
 * max_concurrent every call is let through, so the store need not count leases.
 */
bool breaker_leases_matter(const struct breaker_state *st, const struct breaker_settings *set,
			   const struct breaker_env *env);
/* ms until an open breaker's retry time (0 if due), as breaker_admit() judges it. */
int64_t breaker_retry_in(const struct breaker_state *st, const struct breaker_env *env);
/* For a call that could not have the state file's lock (cbexec(1) Locks): the
 * last committed state alone decides, and only a breaker that reads open turns
 * the call away, telling why (REJECT_TRIPPED, REJECT_HELD or REJECT_OPEN). A
 * closed, half-open or bypassed one gives REJECT_NONE: no decision without the
 * lock. */
enum breaker_reject breaker_unlocked_reject(const struct breaker_state *st);
/* The min_calls in force: a count window smaller than min_calls would never
 * fill, so its size is the minimum (as resilience4j does). */
uint32_t breaker_min_calls(const struct breaker_settings *set);
bool breaker_record(struct breaker_state *st, const struct breaker_settings *set,
		    const struct breaker_env *env, const struct breaker_call *call,
		    struct breaker_transition *tr);
bool breaker_reset(struct breaker_state *st, const struct breaker_settings *set,
		   const struct breaker_env *env, struct breaker_transition *tr);
/* Both return whether anything changed; false: the breaker already was so, and
 * nothing (totals, generation, history) records the command. A re-trip that
 * changes the hold or the reason is a renewal: it changes the breaker but is
 * no new open (tr->from == tr->to, no open counted, same generation). */
bool breaker_trip(struct breaker_state *st, const struct breaker_env *env, int64_t for_ms,
		  const char *why, struct breaker_transition *tr);
bool breaker_bypass(struct breaker_state *st, const char *why, struct breaker_transition *tr);

#endif
