/* Unit tests for src/options.c: the settings table, defaults, setting and formatting values. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "tap.h"

#define SEC 1000LL
#define DAY (86400 * SEC)

/* The spec's table, in its order. */
static const char *const spec_keys[] = {
	"failure_threshold",
	"recovery_timeout",
	"success_threshold",
	"half_open_max_calls",
	"timeout",
	"kill_after",
	"signal",
	"preserve_status",
	"foreground",
	"open_exit_code",
	"success_exit",
	"ignore_exit",
	"window",
	"failure_rate",
	"min_calls",
	"slow_call",
	"slow_call_rate",
	"backoff",
	"max_recovery_timeout",
	"jitter",
	"fallback",
	"fallback_on",
	"on_open",
	"on_half_open",
	"on_close",
	"on_change",
	"max_concurrent",
	"max_wait",
	"syslog",
	"history_limit",
	"on_store_error",
	"lock_timeout",
};
#define SPEC_KEYS (sizeof(spec_keys) / sizeof(spec_keys[0]))

static const struct setting *must_find(const char *key)
{
	const struct setting *s = setting_find(key);

	if (s == NULL) {
		printf("Bail out! no setting %s\n", key);
		exit(1);
	}
	return s;
}

static size_t index_of(const struct setting *s)
{
	return (size_t)(s - settings);
}

/* Sets key to value and expects it to format back as canon. */
static void set_ok(struct options *o, const char *key, const char *value, const char *canon)
{
	const struct setting *s = must_find(key);
	char err[256] = "", buf[256];
	int r = options_set(o, s, value, "test:1", err, sizeof(err));

	options_format(o, s, buf, sizeof(buf));
	ok(r == 0 && strcmp(buf, canon) == 0 && strcmp(o->origin[index_of(s)], "test:1") == 0,
	   "%s = \"%s\" reads back as \"%s\" (got \"%s\"%s%s)", key, value, canon, buf,
	   r ? ", error: " : "", r ? err : "");
}

/* Expects key = value to be refused with exactly msg, leaving value and origin alone. */
static void set_bad(struct options *o, const char *key, const char *value, const char *msg)
{
	const struct setting *s = must_find(key);
	char err[256] = "", before[256], after[256];
	char *origin_before = o->origin[index_of(s)];
	int r;

	options_format(o, s, before, sizeof(before));
	r = options_set(o, s, value, "test:2", err, sizeof(err));
	options_format(o, s, after, sizeof(after));
	ok(r == -1 && strcmp(err, msg) == 0, "%s refuses with '%s' (got '%s')", key, msg, err);
	ok(strcmp(before, after) == 0 && o->origin[index_of(s)] == origin_before,
	   "%s unchanged after a refused value", key);
}

static void test_table(void)
{
	ok(settings_count == SPEC_KEYS, "%zu settings, as in the spec", settings_count);
	ok(settings_count <= sizeof(((struct options *)0)->origin) / sizeof(char *),
	   "every setting has an origin slot");
	for (size_t i = 0; i < settings_count && i < SPEC_KEYS; i++) {
		const struct setting *s = &settings[i];
		char opt[64];
		size_t j;

		ok(strcmp(s->key, spec_keys[i]) == 0, "settings[%zu] is %s", i, spec_keys[i]);
		for (j = 0; s->key[j] != '\0' && j < sizeof(opt) - 1; j++)
			opt[j] = s->key[j] == '_' ? '-' : s->key[j];
		opt[j] = '\0';
		ok(strcmp(s->option, opt) == 0, "%s's option is %s", s->key, opt);
		ok(s->help != NULL && s->help[0] != '\0' && s->defval != NULL,
		   "%s has help text and a default", s->key);
	}
	ok(must_find("failure_threshold")->shortopt == 'f' &&
		   must_find("recovery_timeout")->shortopt == 'r' &&
		   must_find("success_threshold")->shortopt == 's' &&
		   must_find("timeout")->shortopt == 't',
	   "short options -f -r -s -t");
	int shorts = 0;
	for (size_t i = 0; i < settings_count; i++)
		shorts += settings[i].shortopt != 0;
	ok(shorts == 4, "no other short options");
}

static void test_defaults(void)
{
	struct options o;

	options_init(&o);
	ok(o.breaker.failure_threshold == 5, "failure_threshold 5");
	ok(o.breaker.recovery_timeout_ms == 30 * SEC, "recovery_timeout 30s");
	ok(o.breaker.success_threshold == 1, "success_threshold 1");
	ok(o.breaker.half_open_max_calls == 1, "half_open_max_calls 1");
	ok(o.timeout_ms == 0, "timeout none");
	ok(o.kill_after_ms == 10 * SEC, "kill_after 10s");
	ok(o.timeout_signal == SIGTERM, "signal TERM");
	ok(!o.preserve_status && !o.foreground, "preserve_status and foreground off");
	ok(o.open_exit_code == 75, "open_exit_code 75");
	ok(exitset_has(&o.success_exit, 0) && !exitset_has(&o.success_exit, 1),
	   "success_exit is 0 alone");
	struct exitset empty;
	memset(&empty, 0, sizeof(empty));
	ok(memcmp(&o.ignore_exit, &empty, sizeof(empty)) == 0, "ignore_exit empty");
	ok(o.breaker.window_calls == 0 && o.breaker.window_ms == 0, "no window");
	ok(o.breaker.failure_rate == 0, "failure_rate off");
	ok(o.breaker.min_calls == 10, "min_calls 10");
	ok(o.breaker.slow_call_ms == 0, "slow_call off");
	ok(o.breaker.slow_call_rate == 0, "slow_call_rate off");
	ok(o.breaker.backoff == 1.0, "backoff 1");
	ok(o.breaker.max_recovery_timeout_ms == 3600 * SEC, "max_recovery_timeout 1h");
	ok(o.breaker.jitter == 0, "jitter 0");
	ok(o.fallback == NULL && o.on_open == NULL && o.on_half_open == NULL &&
		   o.on_close == NULL && o.on_change == NULL,
	   "no fallback, no hooks");
	ok(o.fallback_on == FALLBACK_ON_REJECTED, "fallback_on rejected");
	ok(o.breaker.max_concurrent == 0, "max_concurrent unlimited");
	ok(o.max_wait_ms == 0, "max_wait 0");
	ok(!o.syslog, "syslog off");
	ok(o.history_limit == 1000, "history_limit 1000");
	ok(o.lock_timeout_ms == 10000, "lock_timeout 10s");
	ok(o.on_store_error == ON_STORE_ERROR_RUN, "on_store_error run");

	/* breaker_settings_init() is the pure module's copy of these defaults,
	 * for the store's rows: it must say what the table says. */
	struct breaker_settings b;
	breaker_settings_init(&b);
	/* Both start from memset, so the bytes compare every field, new ones too. */
	ok(memcmp(&b, &o.breaker, sizeof(b)) == 0,
	   "breaker_settings_init() gives the table's defaults");

	for (size_t i = 0; i < settings_count; i++) {
		char buf[256];

		options_format(&o, &settings[i], buf, sizeof(buf));
		ok(strcmp(buf, settings[i].defval) == 0, "default %s = \"%s\" round-trips (\"%s\")",
		   settings[i].key, settings[i].defval, buf);
		ok(o.origin[i] != NULL && strcmp(o.origin[i], "built-in") == 0,
		   "%s's origin is built-in", settings[i].key);
	}
	for (size_t i = settings_count; i < sizeof(o.origin) / sizeof(o.origin[0]); i++)
		ok(o.origin[i] == NULL, "origin slot %zu unused", i);
	options_free(&o);
	options_free(&o); /* twice is harmless: everything was reset */
	ok(1, "options_free twice");
}

static void test_find(void)
{
	ok(setting_find("failure_threshold") == &settings[0], "find by key");
	ok(setting_find("failure-threshold") == &settings[0], "find by option name");
	ok(setting_find("half-open_max-calls") == must_find("half_open_max_calls"),
	   "dashes and underscores mix");
	ok(setting_find("failure_thresholdx") == NULL, "no prefix match (longer)");
	ok(setting_find("failure_threshol") == NULL, "no prefix match (shorter)");
	ok(setting_find("Failure_Threshold") == NULL, "keys are case-sensitive");
	ok(setting_find("") == NULL, "empty key");
	ok(setting_find(NULL) == NULL, "NULL key");
	ok(setting_find("name") == NULL && setting_find("db") == NULL,
	   "non-setting options are not settings");
	for (size_t i = 0; i < settings_count; i++)
		ok(setting_find(settings[i].key) == &settings[i] &&
			   setting_find(settings[i].option) == &settings[i],
		   "find %s both ways", settings[i].key);
}

static void closest_is(const char *key, const char *want)
{
	const struct setting *s = setting_closest(key);

	if (want == NULL)
		ok(s == NULL, "nothing close to \"%s\" (got %s)", key ? key : "(NULL)",
		   s ? s->key : "none");
	else
		ok(s != NULL && strcmp(s->key, want) == 0, "\"%s\": did you mean %s? (got %s)", key,
		   want, s ? s->key : "none");
}

static void test_closest(void)
{
	closest_is("failure_treshold", "failure_threshold");
	closest_is("failure-treshold", "failure_threshold");
	closest_is("Failure_Threshold", "failure_threshold");
	closest_is("failure_thresholds", "failure_threshold");
	closest_is("tmeout", "timeout");
	closest_is("timout", "timeout");
	closest_is("tiemout", "timeout");
	closest_is("sylog", "syslog");
	closest_is("hisotry_limit", "history_limit");
	closest_is("recovery_timout", "recovery_timeout");
	closest_is("max_recovery_timout", "max_recovery_timeout");
	closest_is("on_opne", "on_open");
	closest_is("on_closed", "on_close");
	closest_is("windw", "window");
	closest_is("windows", "window");
	closest_is("backof", "backoff");
	closest_is("jiter", "jitter");
	closest_is("ignore_exits", "ignore_exit");
	closest_is("max_concurency", "max_concurrent");
	closest_is("on_store_eror", "on_store_error");
	closest_is("kill_afer", "kill_after");

	closest_is("on", NULL);
	closest_is("x", NULL);
	closest_is("max", NULL);
	closest_is("color", NULL);
	closest_is("verbose", NULL);
	closest_is("", NULL);
	closest_is(NULL, NULL);
	char longkey[200];
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	closest_is(longkey, NULL);
}

static void test_set(void)
{
	struct options o;

	options_init(&o);

	/* counts */
	set_ok(&o, "failure_threshold", "0", "0");
	set_ok(&o, "failure-threshold", "1000000", "1000000");
	ok(o.breaker.failure_threshold == 1000000, "failure_threshold stored");
	set_bad(&o, "failure_threshold", "abc", "\"abc\" is not a whole number");
	set_bad(&o, "failure_threshold", "", "\"\" is not a whole number");
	set_bad(&o, "failure_threshold", "-3", "\"-3\" is too small (at least 0)");
	set_bad(&o, "failure_threshold", "1000001", "\"1000001\" is too large (at most 1000000)");
	set_bad(&o, "failure_threshold", "99999999999999999999",
		"\"99999999999999999999\" is too large (at most 1000000)");
	set_bad(&o, "success_threshold", "0", "\"0\" is too small (at least 1)");
	set_ok(&o, "success_threshold", "3", "3");
	ok(o.breaker.success_threshold == 3, "success_threshold stored");
	set_ok(&o, "half_open_max_calls", "2", "2");
	ok(o.breaker.half_open_max_calls == 2, "half_open_max_calls stored");
	set_ok(&o, "open_exit_code", "0", "0");
	set_ok(&o, "open_exit_code", "255", "255");
	ok(o.open_exit_code == 255, "open_exit_code stored");
	set_bad(&o, "open_exit_code", "256", "\"256\" is too large (at most 255)");
	set_ok(&o, "min_calls", "20", "20");
	ok(o.breaker.min_calls == 20, "min_calls stored");
	set_ok(&o, "max_concurrent", "4", "4");
	ok(o.breaker.max_concurrent == 4, "max_concurrent stored");
	set_ok(&o, "history_limit", "50", "50");
	ok(o.history_limit == 50, "history_limit stored");
	set_bad(&o, "history_limit", "0", "\"0\" is too small (at least 1)");

	/* percents */
	set_ok(&o, "failure_rate", "50", "50");
	ok(o.breaker.failure_rate == 50, "failure_rate stored");
	set_bad(&o, "failure_rate", "101", "\"101\" is too large (at most 100)");
	set_bad(&o, "failure_rate", "50%", "\"50%\" is not a whole number");
	set_ok(&o, "slow_call_rate", "100", "100");
	ok(o.breaker.slow_call_rate == 100, "slow_call_rate stored");
	set_ok(&o, "jitter", "10", "10");
	ok(o.breaker.jitter == 10, "jitter stored");

	/* durations */
	set_ok(&o, "recovery_timeout", "90", "1m30s");
	ok(o.breaker.recovery_timeout_ms == 90 * SEC, "recovery_timeout stored");
	set_ok(&o, "recovery_timeout", "1ms", "1ms");
	set_ok(&o, "recovery_timeout", "365d", "365d");
	set_bad(&o, "recovery_timeout", "0", "\"0\" is too small (at least 1ms)");
	set_bad(&o, "recovery_timeout", "366d", "\"366d\" is too large (at most 365d)");
	set_bad(&o, "recovery_timeout", "9223372036854775807s",
		"\"9223372036854775807s\" is too large (at most 365d)");
	set_bad(&o, "recovery_timeout", "5x",
		"\"5x\" is not a duration (e.g. 250ms, 30s, 5m, 1h30m, 1d)");
	set_ok(&o, "recovery_timeout", "1.5s", "1s500ms");
	set_bad(&o, "recovery_timeout", "1.5ms", "\"1.5ms\" is finer than a millisecond");
	set_ok(&o, "timeout", "1h30m", "1h30m");
	ok(o.timeout_ms == 5400 * SEC, "timeout stored");
	set_ok(&o, "timeout", "0", "0");
	set_ok(&o, "timeout", "0s", "0");
	set_ok(&o, "kill_after", "250ms", "250ms");
	ok(o.kill_after_ms == 250, "kill_after stored");
	set_ok(&o, "slow_call", "2s", "2s");
	ok(o.breaker.slow_call_ms == 2 * SEC, "slow_call stored");
	set_ok(&o, "max_recovery_timeout", "1d2h", "1d2h");
	ok(o.breaker.max_recovery_timeout_ms == 26 * 3600 * SEC, "max_recovery_timeout stored");
	set_ok(&o, "max_wait", "5s", "5s");
	ok(o.max_wait_ms == 5 * SEC, "max_wait stored");

	/* factor */
	set_ok(&o, "backoff", "2", "2");
	ok(o.breaker.backoff == 2.0, "backoff stored");
	set_ok(&o, "backoff", "1.5", "1.5");
	set_ok(&o, "backoff", "1.1", "1.1");
	set_ok(&o, "backoff", "100", "100");
	set_bad(&o, "backoff", "0.5", "\"0.5\" is too small (at least 1)");
	set_bad(&o, "backoff", "101", "\"101\" is too large (at most 100)");
	set_bad(&o, "backoff", "nan", "\"nan\" is not a decimal number");
	set_bad(&o, "backoff", "inf", "\"inf\" is not a decimal number");
	{
		const struct setting *s = must_find("backoff");
		char err[128], buf[64];
		double before;

		options_set(&o, s, "1.23456789012345678901", "t", err, sizeof(err));
		before = o.breaker.backoff;
		options_format(&o, s, buf, sizeof(buf));
		options_set(&o, s, buf, "t", err, sizeof(err));
		ok(o.breaker.backoff == before, "a long factor formats to the same double (%s)",
		   buf);
	}

	/* exit lists */
	set_ok(&o, "success_exit", "0,2-5,255", "0,2-5,255");
	ok(exitset_has(&o.success_exit, 4) && !exitset_has(&o.success_exit, 1),
	   "success_exit stored");
	set_ok(&o, "ignore_exit", "3", "3");
	ok(exitset_has(&o.ignore_exit, 3), "ignore_exit stored");
	set_ok(&o, "ignore_exit", "", "");
	ok(!exitset_has(&o.ignore_exit, 3), "ignore_exit emptied");
	set_bad(&o, "success_exit", "0,", "\"0,\" ends with a comma (e.g. 0,2-5,255)");
	set_bad(&o, "success_exit", "0, 1",
		"\"0, 1\" is not a list of exit codes (e.g. 0,2-5,255)");
	set_bad(&o, "success_exit", "300",
		"\"300\" contains an exit code above 255 (e.g. 0,2-5,255)");

	/* window */
	set_ok(&o, "window", "100", "100");
	ok(o.breaker.window_calls == 100 && o.breaker.window_ms == 0, "count window stored");
	set_ok(&o, "window", "10m", "10m");
	ok(o.breaker.window_calls == 0 && o.breaker.window_ms == 600 * SEC,
	   "time window replaces the count window");
	set_ok(&o, "window", "1", "1");
	ok(o.breaker.window_calls == 1 && o.breaker.window_ms == 0,
	   "count window replaces the time window");
	set_ok(&o, "window", "1000", "1000");
	set_ok(&o, "window", "1s", "1s");
	set_ok(&o, "window", "365d", "365d");
	set_ok(&o, "window", "0", "0");
	ok(o.breaker.window_calls == 0 && o.breaker.window_ms == 0, "0 is no window");
	set_ok(&o, "window", "5m", "5m");
	set_ok(&o, "window", "0s", "0");
	ok(o.breaker.window_calls == 0 && o.breaker.window_ms == 0, "0s is no window too");
	set_bad(&o, "window", "1001", "\"1001\" is too large (at most 1000 calls)");
	set_bad(&o, "window", "500ms", "\"500ms\" is too small (a time window is 1s to 365d)");
	set_bad(&o, "window", "366d", "\"366d\" is too large (a time window is 1s to 365d)");
	set_bad(&o, "window", "abc",
		"\"abc\" is neither a number of calls nor a duration (e.g. 100 or 10m)");
	set_bad(&o, "window", "",
		"\"\" is neither a number of calls nor a duration (e.g. 100 or 10m)");
	set_bad(&o, "window", "-5",
		"\"-5\" is neither a number of calls nor a duration (e.g. 100 or 10m)");

	/* commands */
	set_ok(&o, "fallback", "echo 'cached' ; exit 0", "echo 'cached' ; exit 0");
	ok(o.fallback != NULL && strcmp(o.fallback, "echo 'cached' ; exit 0") == 0,
	   "fallback stored");
	set_ok(&o, "fallback", "echo other", "echo other");
	set_ok(&o, "fallback", "", "");
	ok(o.fallback == NULL, "empty fallback unsets");
	set_ok(&o, "on_open", "notify open", "notify open");
	ok(o.on_open != NULL && strcmp(o.on_open, "notify open") == 0, "on_open stored");
	set_ok(&o, "on_half_open", "a", "a");
	ok(o.on_half_open != NULL && strcmp(o.on_half_open, "a") == 0, "on_half_open stored");
	set_ok(&o, "on_close", "b", "b");
	ok(o.on_close != NULL && strcmp(o.on_close, "b") == 0, "on_close stored");
	set_ok(&o, "on_change", "printf '%s\\n' \"$CBEXEC_TO\"", "printf '%s\\n' \"$CBEXEC_TO\"");
	ok(o.on_change != NULL && o.on_change[0] == 'p', "on_change stored");

	/* bool and policy */
	set_ok(&o, "syslog", "yes", "true");
	ok(o.syslog, "syslog stored");
	set_ok(&o, "syslog", "OFF", "false");
	set_ok(&o, "syslog", "1", "true");
	set_bad(&o, "syslog", "maybe",
		"\"maybe\" is not a boolean (true/false, yes/no, on/off, 1/0)");
	set_ok(&o, "on_store_error", "fail", "fail");
	ok(o.on_store_error == ON_STORE_ERROR_FAIL, "on_store_error stored");
	set_ok(&o, "on_store_error", "Run", "run");
	ok(o.on_store_error == ON_STORE_ERROR_RUN, "on_store_error back to run");
	set_bad(&o, "on_store_error", "ignore", "\"ignore\" is none of run, fail and local");
	set_ok(&o, "signal", "SIGKILL", "KILL");
	ok(o.timeout_signal == SIGKILL, "signal stored");
	set_ok(&o, "signal", "2", "INT");
	set_bad(&o, "signal", "TERMINATE",
		"\"TERMINATE\" is not a signal name or number (e.g. TERM, INT, KILL, 9; see kill "
		"-l)");
	set_bad(&o, "signal", "0",
		"\"0\" is not a signal name or number (e.g. TERM, INT, KILL, 9; see kill -l)");
	set_ok(&o, "preserve_status", "yes", "true");
	set_ok(&o, "foreground", "on", "true");
	ok(o.preserve_status && o.foreground, "preserve_status and foreground stored");
	set_ok(&o, "fallback_on", "failure", "failure");
	ok(o.fallback_on == FALLBACK_ON_FAILURE, "fallback_on stored");
	set_ok(&o, "fallback_on", "ANY", "any");
	set_ok(&o, "fallback_on", "rejected", "rejected");
	set_bad(&o, "fallback_on", "always", "\"always\" is none of rejected, failure, any");

	/* every setting's origin is now "test:1" and owned; options_free must free them */
	options_free(&o);
	ok(1, "options_free after setting everything (ASan checks for leaks)");
}

static void test_messages(void)
{
	struct options o;
	const struct setting *s = must_find("failure_threshold");
	char err[256];

	options_init(&o);
	set_bad(&o, "failure_threshold", "a\nb", "\"a\\x0ab\" is not a whole number");
	set_bad(&o, "failure_threshold", "\x1b[31mred", "\"\\x1b[31mred\" is not a whole number");
	set_bad(&o, "failure_threshold", "say \"hi\"", "\"say \\\"hi\\\"\" is not a whole number");
	set_bad(&o, "failure_threshold", "a\\b", "\"a\\\\b\" is not a whole number");
	set_bad(&o, "failure_threshold", "caf\xc3\xa9\x9b",
		"\"caf\\xc3\\xa9\\x9b\" is not a whole number");
	set_bad(&o, "failure_threshold", "0123456789012345678901234567890123456789TAIL",
		"\"0123456789012345678901234567890123456789...\" is not a whole number");

	/* A short or missing error buffer is never overrun. */
	memset(err, 'x', sizeof(err));
	ok(options_set(&o, s, "abc", "t", err, 5) == -1 && err[4] == '\0' && err[5] == 'x',
	   "error cut to a 5-byte buffer (\"%s\")", err);
	ok(options_set(&o, s, "abc", "t", NULL, 0) == -1, "NULL error buffer");
	ok(options_set(&o, s, "abc", "t", err, 0) == -1 && err[5] == 'x',
	   "zero-length error buffer");

	/* Origins: copied, replaced, NULL meaning built-in. */
	char origin[] = "/etc/cbexec.conf:3";
	ok(options_set(&o, s, "7", origin, err, sizeof(err)) == 0, "set with a file origin");
	origin[0] = 'X';
	ok(strcmp(o.origin[0], "/etc/cbexec.conf:3") == 0, "origin is copied");
	ok(options_set(&o, s, "8", "command line", err, sizeof(err)) == 0 &&
		   strcmp(o.origin[0], "command line") == 0,
	   "later origin replaces the earlier one");
	ok(options_set(&o, s, "9", NULL, err, sizeof(err)) == 0 &&
		   strcmp(o.origin[0], "built-in") == 0,
	   "NULL origin is built-in");

	/* A short output buffer is cut, not overrun. */
	char buf[4];
	options_set(&o, must_find("fallback"), "a long command", "t", err, sizeof(err));
	options_format(&o, must_find("fallback"), buf, sizeof(buf));
	ok(strcmp(buf, "a l") == 0, "options_format cuts to the buffer (\"%s\")", buf);
	/* options_command() gives the whole text, for cbexec config. */
	ok(strcmp(options_command(&o, must_find("fallback")), "a long command") == 0,
	   "options_command gives the whole command");
	options_set(&o, must_find("fallback"), "", "t", err, sizeof(err));
	ok(options_command(&o, must_find("fallback")) == NULL, "options_command: NULL when unset");
	ok(options_command(&o, must_find("jitter")) == NULL, "options_command: NULL for a number");

	options_free(&o);
}

int main(void)
{
	test_table();
	test_defaults();
	test_find();
	test_closest();
	test_set();
	test_messages();
	return tap_done();
}
