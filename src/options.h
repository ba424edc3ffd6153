/* Every breaker setting, described once: option name, config key, type, range, default. */
#ifndef CBEXEC_OPTIONS_H
#define CBEXEC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "breaker.h"
#include "parse.h"

/* The longest duration any setting (and trip --for) takes: 365 days. */
#define OPTIONS_DURATION_MAX_MS (365 * 86400 * 1000LL)
/* history_limit's default: events kept per breaker. */
#define OPTIONS_HISTORY_LIMIT	1000

enum store_error_policy {
	ON_STORE_ERROR_RUN,
	ON_STORE_ERROR_FAIL,
	/* a Redis store that fails gives way to the host's own state file; for a
	 * file store, run */
	ON_STORE_ERROR_LOCAL
};

/* When --fallback runs: on a rejected call (as always), a failed one, or both. */
enum fallback_on {
	FALLBACK_ON_REJECTED,
	FALLBACK_ON_FAILURE,
	FALLBACK_ON_ANY
};

enum setting_type {
	SET_COUNT,    /* whole number within [min, max] */
	SET_DURATION, /* DUR, within [min, max] ms */
	SET_PERCENT,  /* 0-100 */
	SET_FACTOR,   /* decimal >= 1 */
	SET_EXITLIST, /* 0,2-5 */
	SET_COMMAND,  /* shell text, may be empty to unset */
	SET_BOOL,
	SET_WINDOW,	 /* N calls or DUR */
	SET_POLICY,	 /* run | fail */
	SET_SIGNAL,	 /* TERM, SIGKILL, 9 */
	SET_FALLBACK_ON, /* rejected | failure | any */
};

struct options;

struct setting {
	const char *key;    /* config key: failure_threshold */
	const char *option; /* long option: failure-threshold */
	int shortopt;	    /* 'f', or 0 */
	enum setting_type type;
	int64_t min, max;
	const char *defval; /* built-in default, as a user would write it */
	const char *help;   /* for --help */
};

/* Indices into settings[], in the order of the table in the spec: settings[S_MIN_CALLS]. */
enum setting_id {
	S_FAILURE_THRESHOLD,
	S_RECOVERY_TIMEOUT,
	S_SUCCESS_THRESHOLD,
	S_HALF_OPEN_MAX_CALLS,
	S_TIMEOUT,
	S_KILL_AFTER,
	S_SIGNAL,
	S_PRESERVE_STATUS,
	S_FOREGROUND,
	S_OPEN_EXIT_CODE,
	S_SUCCESS_EXIT,
	S_IGNORE_EXIT,
	S_WINDOW,
	S_FAILURE_RATE,
	S_MIN_CALLS,
	S_SLOW_CALL,
	S_SLOW_CALL_RATE,
	S_BACKOFF,
	S_MAX_RECOVERY_TIMEOUT,
	S_JITTER,
	S_FALLBACK,
	S_FALLBACK_ON,
	S_ON_OPEN,
	S_ON_HALF_OPEN,
	S_ON_CLOSE,
	S_ON_CHANGE,
	S_MAX_CONCURRENT,
	S_MAX_WAIT,
	S_SYSLOG,
	S_HISTORY_LIMIT,
	S_ON_STORE_ERROR,
	S_LOCK_TIMEOUT,
	S_COUNT
};

extern const struct setting settings[];
extern const size_t settings_count;

struct options {
	struct breaker_settings breaker;
	int64_t timeout_ms; /* 0 = none */
	int64_t kill_after_ms;
	int timeout_signal;   /* sent when timeout_ms expires */
	bool preserve_status; /* on timeout, exit as the command did, not 124 */
	bool foreground;      /* under --timeout, the command stays in our process group */
	int64_t max_wait_ms;
	int open_exit_code;
	uint32_t history_limit;
	struct exitset success_exit;
	struct exitset ignore_exit;
	char *fallback;
	enum fallback_on fallback_on;
	char *on_open, *on_half_open, *on_close, *on_change;
	bool syslog;
	enum store_error_policy on_store_error;
	int64_t lock_timeout_ms; /* how long a write waits for another's lock */
	/* where each setting's value came from, indexed like settings[];
	 * "built-in", "command line", or "FILE:LINE" (owned) */
	char *origin[48];
};

void options_init(struct options *o);
void options_free(struct options *o);

/* Accepts "failure_threshold" and "failure-threshold"; NULL if unknown. */
const struct setting *setting_find(const char *key);
/* The known key nearest to an unknown one, for "did you mean"; NULL if none is close. */
const struct setting *setting_closest(const char *key);
/* Parses value into o; on error fills err and returns -1. origin is copied. */
int options_set(struct options *o, const struct setting *s, const char *value, const char *origin,
		char *err, size_t errlen);
/* v for a message: quoted, non-printable bytes as \xHH, cut at 40 characters. */
void options_quote(const char *v, char *buf, size_t len);
/* The command text of a SET_COMMAND setting, whole; NULL if unset or s is no command. */
const char *options_command(const struct options *o, const struct setting *s);
/* The value in force, as a user would write it. */
void options_format(const struct options *o, const struct setting *s, char *buf, size_t len);

#endif
