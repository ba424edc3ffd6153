/* Every breaker setting, described once: option name, config key, type, range, default. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "suggest.h"
#include "window.h"

/*
 * The table below is the single description of each setting: the command line
 * parser, the config reader, --help and `cbexec config` all read it, and
 * options_init() sets the defaults by parsing each defval through options_set(),
 * so a default is written once, in the form a user would write it.
 *
 * Error messages: options_set() writes the quoted value and what is wrong with it,
 * with the accepted range when that helps, e.g.
 *	"abc" is not a whole number
 *	"2000000" is too large (at most 1000000)
 * and leaves the prefix to the caller, which knows whether the value came from
 * --failure-threshold or from FILE:LINE: failure_threshold.
 */

#define SEC	  1000LL
#define DAY	  (86400 * SEC)
#define COUNT_MAX 1000000
#define DUR_MAX	  OPTIONS_DURATION_MAX_MS
/* A number's text, for a default in the table that a constant also names. */
#define STR(x)	  #x
#define XSTR(x)	  STR(x)

/* For SET_WINDOW, min and max bound the time window; a count window is 1..WINDOW_MAX_CALLS. */
const struct setting settings[] = {
	[S_FAILURE_THRESHOLD] = { "failure_threshold", "failure-threshold", 'f', SET_COUNT, 0,
				  COUNT_MAX, "5", "consecutive failures that open (0: rule off)" },
	[S_RECOVERY_TIMEOUT] = { "recovery_timeout", "recovery-timeout", 'r', SET_DURATION, 1,
				 DUR_MAX, "30s", "how long open lasts before a probe" },
	[S_SUCCESS_THRESHOLD] = { "success_threshold", "success-threshold", 's', SET_COUNT, 1,
				  COUNT_MAX, "1",
				  "successful probes that close (timeout's -s is --signal)" },
	[S_HALF_OPEN_MAX_CALLS] = { "half_open_max_calls", "half-open-max-calls", 0, SET_COUNT, 1,
				    COUNT_MAX, "1", "probes allowed at once when half-open" },
	[S_TIMEOUT] = { "timeout", "timeout", 't', SET_DURATION, 0, DUR_MAX, "0",
			"kill the command after DUR (0: none)" },
	[S_KILL_AFTER] = { "kill_after", "kill-after", 0, SET_DURATION, 0, DUR_MAX, "10s",
			   "SIGKILL this long after the timeout's signal" },
	/* No -s: that has always been --success-threshold. */
	[S_SIGNAL] = { "signal", "signal", 0, SET_SIGNAL, 0, 0, "TERM",
		       "the signal the timeout sends" },
	[S_PRESERVE_STATUS] = { "preserve_status", "preserve-status", 0, SET_BOOL, 0, 1, "false",
				"on timeout exit as the command did, not 124" },
	[S_FOREGROUND] = { "foreground", "foreground", 0, SET_BOOL, 0, 1, "false",
			   "timeout signals the command only, in the caller's group" },
	[S_OPEN_EXIT_CODE] = { "open_exit_code", "open-exit-code", 0, SET_COUNT, 0, 255, "75",
			       "exit status when the call is rejected" },
	[S_SUCCESS_EXIT] = { "success_exit", "success-exit", 0, SET_EXITLIST, 0, 255, "0",
			     "exit codes that count as success" },
	[S_IGNORE_EXIT] = { "ignore_exit", "ignore-exit", 0, SET_EXITLIST, 0, 255, "",
			    "exit codes that count as neither" },
	[S_WINDOW] = { "window", "window", 0, SET_WINDOW, 1 * SEC, DUR_MAX, "0",
		       "rate window: N calls or DUR (0: none)" },
	[S_FAILURE_RATE] = { "failure_rate", "failure-rate", 0, SET_PERCENT, 0, 100, "0",
			     "failure percentage in the window that opens (0: off)" },
	[S_MIN_CALLS] = { "min_calls", "min-calls", 0, SET_COUNT, 1, COUNT_MAX, "10",
			  "calls in the window before a rate counts" },
	[S_SLOW_CALL] = { "slow_call", "slow-call", 0, SET_DURATION, 0, DUR_MAX, "0",
			  "a call longer than DUR is slow (0: off)" },
	[S_SLOW_CALL_RATE] = { "slow_call_rate", "slow-call-rate", 0, SET_PERCENT, 0, 100, "0",
			       "slow-call percentage in the window that opens (0: off)" },
	[S_BACKOFF] = { "backoff", "backoff", 0, SET_FACTOR, 1, 100, "1",
			"open period multiplier after a failed probe" },
	[S_MAX_RECOVERY_TIMEOUT] = { "max_recovery_timeout", "max-recovery-timeout", 0,
				     SET_DURATION, 1, DUR_MAX, "1h",
				     "longest open period backoff may reach" },
	[S_JITTER] = { "jitter", "jitter", 0, SET_PERCENT, 0, 100, "0",
		       "randomise the open period by up to this percent" },
	[S_FALLBACK] = { "fallback", "fallback", 0, SET_COMMAND, 0, 0, "",
			 "shell command run instead when rejected (--fallback-on)" },
	[S_FALLBACK_ON] = { "fallback_on", "fallback-on", 0, SET_FALLBACK_ON, 0, 2, "rejected",
			    "when the fallback runs: rejected, failure or any" },
	[S_ON_OPEN] = { "on_open", "on-open", 0, SET_COMMAND, 0, 0, "",
			"shell command run when the breaker opens" },
	[S_ON_HALF_OPEN] = { "on_half_open", "on-half-open", 0, SET_COMMAND, 0, 0, "",
			     "shell command run when it goes half-open" },
	[S_ON_CLOSE] = { "on_close", "on-close", 0, SET_COMMAND, 0, 0, "",
			 "shell command run when it closes" },
	[S_ON_CHANGE] = { "on_change", "on-change", 0, SET_COMMAND, 0, 0, "",
			  "shell command run on every transition" },
	[S_MAX_CONCURRENT] = { "max_concurrent", "max-concurrent", 0, SET_COUNT, 0, COUNT_MAX, "0",
			       "calls allowed to run at once (0: unlimited)" },
	[S_MAX_WAIT] = { "max_wait", "max-wait", 0, SET_DURATION, 0, DUR_MAX, "0",
			 "wait this long for a concurrency slot" },
	/* A flag with no argument on the command line, a boolean in config files. */
	[S_SYSLOG] = { "syslog", "syslog", 0, SET_BOOL, 0, 1, "false",
		       "also report transitions to syslog" },
	[S_HISTORY_LIMIT] = { "history_limit", "history-limit", 0, SET_COUNT, 1, COUNT_MAX,
			      XSTR(OPTIONS_HISTORY_LIMIT), "transitions kept per breaker" },
	[S_ON_STORE_ERROR] = { "on_store_error", "on-store-error", 0, SET_POLICY, 0, 2, "run",
			       "if the store fails: run, fail, or local (the host's own file)" },
	[S_LOCK_TIMEOUT] = { "lock_timeout", "lock-timeout", 0, SET_DURATION, 0, 3600 * SEC, "10s",
			     "wait this long for the lock on the state file" },
};

#define SETTINGS_LEN (sizeof(settings) / sizeof(settings[0]))
_Static_assert(SETTINGS_LEN == S_COUNT, "settings[] and enum setting_id disagree");
_Static_assert(SETTINGS_LEN <= sizeof(((struct options *)0)->origin) /
				       sizeof(((struct options *)0)->origin[0]),
	       "struct options has too few origin slots");

const size_t settings_count = SETTINGS_LEN;

/*
 * Not owned: options_free() recognises this address and leaves it alone, so that
 * options_init() never allocates and cannot fail.
 */
static char builtin_origin[] = "built-in";

/* How a value is kept in struct options; the setting's type says how it is written. */
enum slot_kind {
	K_U32,
	K_INT,
	K_I64,
	K_DOUBLE,
	K_EXITSET,
	K_STRING,
	K_BOOL,
	K_POLICY,
	K_WINDOW,
	K_SIGNAL,
	K_FALLBACK_ON
};

struct slot {
	enum slot_kind kind;
	void *p;
};

/* Typed constructors, so that the compiler checks each field's type below. */
static struct slot u32(uint32_t *p)
{
	return (struct slot){ K_U32, p };
}
static struct slot i32(int *p)
{
	return (struct slot){ K_INT, p };
}
static struct slot i64(int64_t *p)
{
	return (struct slot){ K_I64, p };
}
static struct slot dbl(double *p)
{
	return (struct slot){ K_DOUBLE, p };
}
static struct slot xset(struct exitset *p)
{
	return (struct slot){ K_EXITSET, p };
}
static struct slot str(char **p)
{
	return (struct slot){ K_STRING, p };
}
static struct slot boolean(bool *p)
{
	return (struct slot){ K_BOOL, p };
}
static struct slot policy(enum store_error_policy *p)
{
	return (struct slot){ K_POLICY, p };
}
static struct slot win(struct breaker_settings *p)
{
	return (struct slot){ K_WINDOW, p };
}
static struct slot sig(int *p)
{
	return (struct slot){ K_SIGNAL, p };
}
static struct slot fallback_on(enum fallback_on *p)
{
	return (struct slot){ K_FALLBACK_ON, p };
}

/* Where setting id lives in o. */
static struct slot slot_of(struct options *o, enum setting_id id)
{
	struct breaker_settings *b = &o->breaker;

	assert(id < S_COUNT); /* s was not an element of settings[] */
	switch (id) {
	case S_FAILURE_THRESHOLD:
		return u32(&b->failure_threshold);
	case S_RECOVERY_TIMEOUT:
		return i64(&b->recovery_timeout_ms);
	case S_SUCCESS_THRESHOLD:
		return u32(&b->success_threshold);
	case S_HALF_OPEN_MAX_CALLS:
		return u32(&b->half_open_max_calls);
	case S_TIMEOUT:
		return i64(&o->timeout_ms);
	case S_KILL_AFTER:
		return i64(&o->kill_after_ms);
	case S_SIGNAL:
		return sig(&o->timeout_signal);
	case S_PRESERVE_STATUS:
		return boolean(&o->preserve_status);
	case S_FOREGROUND:
		return boolean(&o->foreground);
	case S_OPEN_EXIT_CODE:
		return i32(&o->open_exit_code);
	case S_SUCCESS_EXIT:
		return xset(&o->success_exit);
	case S_IGNORE_EXIT:
		return xset(&o->ignore_exit);
	case S_WINDOW:
		return win(b);
	case S_FAILURE_RATE:
		return u32(&b->failure_rate);
	case S_MIN_CALLS:
		return u32(&b->min_calls);
	case S_SLOW_CALL:
		return i64(&b->slow_call_ms);
	case S_SLOW_CALL_RATE:
		return u32(&b->slow_call_rate);
	case S_BACKOFF:
		return dbl(&b->backoff);
	case S_MAX_RECOVERY_TIMEOUT:
		return i64(&b->max_recovery_timeout_ms);
	case S_JITTER:
		return u32(&b->jitter);
	case S_FALLBACK:
		return str(&o->fallback);
	case S_FALLBACK_ON:
		return fallback_on(&o->fallback_on);
	case S_ON_OPEN:
		return str(&o->on_open);
	case S_ON_HALF_OPEN:
		return str(&o->on_half_open);
	case S_ON_CLOSE:
		return str(&o->on_close);
	case S_ON_CHANGE:
		return str(&o->on_change);
	case S_MAX_CONCURRENT:
		return u32(&b->max_concurrent);
	case S_MAX_WAIT:
		return i64(&o->max_wait_ms);
	case S_SYSLOG:
		return boolean(&o->syslog);
	case S_HISTORY_LIMIT:
		return u32(&o->history_limit);
	case S_ON_STORE_ERROR:
		return policy(&o->on_store_error);
	case S_LOCK_TIMEOUT:
		return i64(&o->lock_timeout_ms);
	case S_COUNT:
		break;
	}
	abort(); /* unreachable: every id has a case */
}

/* A parsed value, before it is stored. */
struct value {
	int64_t n;	/* counts, percents, durations, policy */
	uint32_t calls; /* window: count window size, or 0 */
	double f;
	bool b;
	struct exitset set;
	char *s; /* command text, owned; NULL to unset */
};

/*
 * The value as it should appear inside a message: in double quotes, quotes and
 * backslashes escaped, every byte outside printable ASCII as \xHH, and long values
 * cut short, so that a value with a newline, an escape sequence or a stray C1
 * byte cannot forge or garble a line.
 */
void options_quote(const char *v, char *buf, size_t len)
{
	const size_t shown = 40;
	size_t used = 0, i;

	if (len < 8) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	buf[used++] = '"';
	for (i = 0; v[i] != '\0' && i < shown; i++) {
		unsigned char c = (unsigned char)v[i];
		char esc[5];
		size_t n;

		if (c == '"' || c == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			n = (size_t)snprintf(esc, sizeof(esc), "%c", c);
		if (used + n + 5 > len) /* keep room for ...", and NUL */
			break;
		memcpy(buf + used, esc, n);
		used += n;
	}
	if (v[i] != '\0') {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used++] = '"';
	buf[used] = '\0';
}

static void fail(char *err, size_t errlen, const char *value, const char *what, const char *hint)
{
	char q[64];

	if (err == NULL || errlen == 0)
		return;
	options_quote(value, q, sizeof(q));
	snprintf(err, errlen, "%s %s%s%s", q, what, hint[0] != '\0' ? " " : "", hint);
}

/* "(at least 1)", "(at most 365d)": how to fix a value out of range. */
static void range_hint(const struct setting *s, enum parse_err perr, char *buf, size_t len)
{
	bool small = perr == PARSE_TOO_SMALL;
	int64_t bound = small ? s->min : s->max;
	char b[32];

	if (!small && perr != PARSE_TOO_LARGE) {
		buf[0] = '\0';
		return;
	}
	if (s->type == SET_DURATION)
		duration_format(bound, b, sizeof(b));
	else
		snprintf(b, sizeof(b), "%" PRId64, bound);
	snprintf(buf, len, "(at %s %s)", small ? "least" : "most", b);
}

/* Parses text as setting s wants it; on error fills err. */
static int parse_value(const struct setting *s, const char *text, struct value *v, char *err,
		       size_t errlen)
{
	/* perr is why a parser refused text; what, when set, is a refusal of
	 * options.c's own and overrides it. */
	enum parse_err perr = PARSE_OK;
	const char *what = NULL;
	char hint[64] = "";
	int r = -1;

	memset(v, 0, sizeof(*v));
	switch (s->type) {
	case SET_COUNT:
	case SET_PERCENT:
		r = parse_number(text, s->min, s->max, &v->n, &perr);
		break;
	case SET_DURATION:
		r = parse_duration(text, s->min, s->max, &v->n, &perr);
		if (r < 0 && perr == PARSE_NOT_DURATION)
			snprintf(hint, sizeof(hint), "(e.g. 250ms, 30s, 5m, 1h30m, 1d)");
		break;
	case SET_FACTOR:
		r = parse_factor(text, (double)s->min, (double)s->max, &v->f, &perr);
		break;
	case SET_EXITLIST:
		r = parse_exitlist(text, &v->set, &perr);
		/* An empty ignore list ignores nothing; an empty success list would
		 * count every call a failure and trip the breaker on a healthy
		 * dependency, which no one means. */
		if (r == 0 && s == &settings[S_SUCCESS_EXIT] && *text == '\0') {
			what = "is empty: no exit status would be a success";
			r = -1;
		}
		if (r < 0)
			snprintf(hint, sizeof(hint), "(e.g. 0,2-5,255)");
		break;
	case SET_BOOL:
		r = parse_bool(text, &v->b, &perr);
		break;
	case SET_POLICY:
		/* Case-insensitive like the booleans: config files are written by hand. */
		if (strcasecmp(text, "run") == 0) {
			v->n = ON_STORE_ERROR_RUN;
			r = 0;
		} else if (strcasecmp(text, "fail") == 0) {
			v->n = ON_STORE_ERROR_FAIL;
			r = 0;
		} else if (strcasecmp(text, "local") == 0) {
			v->n = ON_STORE_ERROR_LOCAL;
			r = 0;
		} else {
			what = "is none of run, fail and local";
		}
		break;
	case SET_SIGNAL: {
		int n;

		r = parse_signal(text, &n, &perr);
		if (r == 0)
			v->n = n;
		else
			snprintf(hint, sizeof(hint), "(e.g. TERM, INT, KILL, 9; see kill -l)");
		break;
	}
	case SET_FALLBACK_ON:
		if (strcasecmp(text, "rejected") == 0)
			v->n = FALLBACK_ON_REJECTED;
		else if (strcasecmp(text, "failure") == 0)
			v->n = FALLBACK_ON_FAILURE;
		else if (strcasecmp(text, "any") == 0)
			v->n = FALLBACK_ON_ANY;
		else
			what = "is none of rejected, failure, any";
		r = what ? -1 : 0;
		break;
	case SET_COMMAND:
		if (text[0] == '\0')
			return 0; /* unsets */
		v->s = strdup(text);
		if (v->s == NULL) {
			what = "cannot be stored: out of memory";
			break;
		}
		return 0;
	case SET_WINDOW: {
		/* Bare digits count calls; a unit makes it a time window; any zero is none. */
		const char *p = text;
		int64_t ms;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p != text && *p == '\0') {
			r = parse_number(text, 0, WINDOW_MAX_CALLS, &v->n, &perr);
			if (r == 0) {
				v->calls = (uint32_t)v->n;
				v->n = 0;
			} else if (perr == PARSE_TOO_LARGE) {
				snprintf(hint, sizeof(hint), "(at most %d calls)",
					 WINDOW_MAX_CALLS);
			}
			break;
		}
		r = parse_duration(text, 0, s->max, &ms, &perr);
		if (r == 0 && ms != 0 && ms < s->min) {
			perr = PARSE_TOO_SMALL;
			r = -1;
		}
		if (r == 0) {
			v->n = ms;
		} else if (perr == PARSE_NOT_DURATION) {
			what = "is neither a number of calls nor a duration";
			snprintf(hint, sizeof(hint), "(e.g. 100 or 10m)");
		} else {
			snprintf(hint, sizeof(hint), "(a time window is 1s to 365d)");
		}
		break;
	}
	}
	if (r == 0)
		return 0;
	if (hint[0] == '\0')
		range_hint(s, perr, hint, sizeof(hint));
	fail(err, errlen, text, what != NULL ? what : parse_strerror(perr), hint);
	return -1;
}

/* Stores a parsed value, taking ownership of v->s. */
static void store_value(struct options *o, const struct setting *s, struct value *v)
{
	struct slot slot = slot_of(o, (enum setting_id)(s - settings));

	switch (slot.kind) {
	case K_U32:
		*(uint32_t *)slot.p = (uint32_t)v->n;
		break;
	case K_INT:
		*(int *)slot.p = (int)v->n;
		break;
	case K_I64:
		*(int64_t *)slot.p = v->n;
		break;
	case K_DOUBLE:
		*(double *)slot.p = v->f;
		break;
	case K_EXITSET:
		*(struct exitset *)slot.p = v->set;
		break;
	case K_STRING:
		free(*(char **)slot.p);
		*(char **)slot.p = v->s;
		v->s = NULL;
		break;
	case K_BOOL:
		*(bool *)slot.p = v->b;
		break;
	case K_POLICY:
		*(enum store_error_policy *)slot.p = (enum store_error_policy)v->n;
		break;
	case K_SIGNAL:
		*(int *)slot.p = (int)v->n;
		break;
	case K_FALLBACK_ON:
		*(enum fallback_on *)slot.p = (enum fallback_on)v->n;
		break;
	case K_WINDOW: {
		/* One window at a time: setting either shape clears the other. */
		struct breaker_settings *b = slot.p;

		b->window_calls = v->calls;
		b->window_ms = v->n;
		break;
	}
	}
}

static void origin_free(char *origin)
{
	if (origin != builtin_origin)
		free(origin);
}

void options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < SETTINGS_LEN; i++) {
		struct value v;
		char err[128];

		/* A default that does not parse is a bug in the table above. */
		if (parse_value(&settings[i], settings[i].defval, &v, err, sizeof(err)) < 0)
			abort();
		store_value(o, &settings[i], &v);
		o->origin[i] = builtin_origin;
	}
}

void options_free(struct options *o)
{
	free(o->fallback);
	free(o->on_open);
	free(o->on_half_open);
	free(o->on_close);
	free(o->on_change);
	o->fallback = o->on_open = o->on_half_open = o->on_close = o->on_change = NULL;
	for (size_t i = 0; i < SETTINGS_LEN; i++) {
		origin_free(o->origin[i]);
		o->origin[i] = NULL;
	}
}

/* Compares keys treating '-' and '_' as the same character. */
static bool key_equal(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char ca = *a == '-' ? '_' : *a;
		char cb = *b == '-' ? '_' : *b;

		if (ca != cb)
			return false;
	}
	return *a == *b;
}

const struct setting *setting_find(const char *key)
{
	if (key == NULL)
		return NULL;
	for (size_t i = 0; i < SETTINGS_LEN; i++)
		if (key_equal(key, settings[i].key))
			return &settings[i];
	return NULL;
}

const struct setting *setting_closest(const char *key)
{
	const struct setting *best = NULL;
	struct suggest sg;

	if (key == NULL)
		return NULL;
	suggest_init(&sg, key, 3);
	for (size_t i = 0; i < SETTINGS_LEN; i++)
		if (suggest_consider(&sg, settings[i].key))
			best = &settings[i];
	return best;
}

int options_set(struct options *o, const struct setting *s, const char *value, const char *origin,
		char *err, size_t errlen)
{
	size_t i = (size_t)(s - settings);
	struct value v;
	char *owned;

	if (parse_value(s, value, &v, err, errlen) < 0)
		return -1;
	/* NULL origin means built-in, as for the defaults. */
	if (origin == NULL || strcmp(origin, builtin_origin) == 0) {
		owned = builtin_origin;
	} else if ((owned = strdup(origin)) == NULL) {
		free(v.s);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	store_value(o, s, &v);
	origin_free(o->origin[i]);
	o->origin[i] = owned;
	return 0;
}

/*
 * The shortest exact decimal for a factor: %.15g unless that does not read back
 * as the same double (then %.17g, which always does).
 */
static void factor_format(double f, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", f);
	if (strtod(buf, NULL) != f)
		snprintf(buf, len, "%.17g", f);
}

const char *options_command(const struct options *o, const struct setting *s)
{
	/* slot_of() takes a mutable struct only to serve store_value(); nothing is written. */
	struct slot slot = slot_of((struct options *)o, (enum setting_id)(s - settings));

	return slot.kind == K_STRING ? *(char *const *)slot.p : NULL;
}

void options_format(const struct options *o, const struct setting *s, char *buf, size_t len)
{
	/* slot_of() takes a mutable struct only to serve store_value(); nothing is written. */
	struct slot slot = slot_of((struct options *)o, (enum setting_id)(s - settings));

	if (len == 0)
		return;
	switch (slot.kind) {
	case K_U32:
		snprintf(buf, len, "%" PRIu32, *(const uint32_t *)slot.p);
		break;
	case K_INT:
		snprintf(buf, len, "%d", *(const int *)slot.p);
		break;
	case K_I64:
		/* Every int64_t setting is a duration. "0" rather than "0s": there 0
		 * means off, and the defaults are written so. */
		duration_format(*(const int64_t *)slot.p, buf, len);
		if (*(const int64_t *)slot.p == 0)
			snprintf(buf, len, "0");
		break;
	case K_DOUBLE:
		factor_format(*(const double *)slot.p, buf, len);
		break;
	case K_EXITSET:
		exitset_format(slot.p, buf, len);
		break;
	case K_STRING: {
		const char *cmd = options_command(o, s);

		snprintf(buf, len, "%s", cmd != NULL ? cmd : "");
		break;
	}
	case K_BOOL:
		snprintf(buf, len, "%s", *(const bool *)slot.p ? "true" : "false");
		break;
	case K_POLICY:
		switch (*(const enum store_error_policy *)slot.p) {
		case ON_STORE_ERROR_FAIL:
			snprintf(buf, len, "fail");
			break;
		case ON_STORE_ERROR_LOCAL:
			snprintf(buf, len, "local");
			break;
		default:
			snprintf(buf, len, "run");
			break;
		}
		break;
	case K_SIGNAL:
		signal_format(*(const int *)slot.p, buf, len);
		break;
	case K_FALLBACK_ON: {
		static const char *const words[] = { "rejected", "failure", "any" };

		snprintf(buf, len, "%s", words[*(const enum fallback_on *)slot.p]);
		break;
	}
	case K_WINDOW: {
		const struct breaker_settings *b = slot.p;

		if (b->window_calls > 0)
			snprintf(buf, len, "%" PRIu32, b->window_calls);
		else if (b->window_ms > 0)
			duration_format(b->window_ms, buf, len);
		else
			snprintf(buf, len, "0");
		break;
	}
	}
}
