/* Unit tests for src/parse.c: every accepted and refused form, and the overflow edges. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

#define DAY_MS 86400000LL

/* s with control characters escaped, so that a test line stays one TAP line. */
static const char *esc(const char *s)
{
	static char bufs[4][96];
	static int next;
	char *b = bufs[next++ % 4];
	size_t n = 0;

	for (; *s != '\0' && n < sizeof(bufs[0]) - 6; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(b + n, 6, "\\x%02x", c);
		else
			b[n++] = (char)c;
	}
	b[n] = '\0';
	return b;
}

/* Expects s to parse to want within [min, max]. */
static void number_ok(const char *s, int64_t min, int64_t max, int64_t want)
{
	int64_t got = -12345;
	enum parse_err e = PARSE_OK;
	int r = parse_number(s, min, max, &got, &e);

	ok(r == 0 && got == want, "number \"%s\" -> %lld (got %lld, r=%d)", esc(s), (long long)want,
	   (long long)got, r);
}

/* Expects s to be refused with the error whose phrase is why, leaving the output alone. */
static void number_bad(const char *s, int64_t min, int64_t max, const char *why)
{
	int64_t got = -12345;
	enum parse_err e = PARSE_OK;
	int r = parse_number(s, min, max, &got, &e);

	ok(r == -1 && e != PARSE_OK && strcmp(parse_strerror(e), why) == 0 && got == -12345,
	   "number \"%s\" refused: %s (got %s)", esc(s), why, parse_strerror(e));
}

static void dur_ok(const char *s, int64_t want)
{
	int64_t got = -12345;
	enum parse_err e = PARSE_OK;
	int r = parse_duration(s, 0, INT64_MAX, &got, &e);

	ok(r == 0 && got == want, "duration \"%s\" -> %lld ms (got %lld)", esc(s), (long long)want,
	   (long long)got);
}

static void dur_bad_range(const char *s, int64_t min, int64_t max, const char *why)
{
	int64_t got = -12345;
	enum parse_err e = PARSE_OK;
	int r = parse_duration(s, min, max, &got, &e);

	ok(r == -1 && e != PARSE_OK && strcmp(parse_strerror(e), why) == 0 && got == -12345,
	   "duration \"%s\" refused: %s (got %s)", esc(s), why, parse_strerror(e));
}

static void dur_bad(const char *s, const char *why)
{
	dur_bad_range(s, 0, INT64_MAX, why);
}

static void dur_fmt(int64_t ms, const char *want)
{
	char buf[64];
	int64_t back = -1;
	enum parse_err e;

	duration_format(ms, buf, sizeof(buf));
	ok(strcmp(buf, want) == 0, "duration_format(%lld) = \"%s\" (got \"%s\")", (long long)ms,
	   want, buf);
	ok(parse_duration(buf, 0, INT64_MAX, &back, &e) == 0 && back == ms,
	   "\"%s\" parses back to %lld", buf, (long long)ms);
}

static void factor_ok(const char *s, double want)
{
	double got = -1;
	enum parse_err e = PARSE_OK;

	ok(parse_factor(s, 1, 100, &got, &e) == 0 && got == want, "factor \"%s\" -> %g", esc(s),
	   want);
}

static void factor_bad(const char *s, const char *why)
{
	double got = -1;
	enum parse_err e = PARSE_OK;
	int r = parse_factor(s, 1, 100, &got, &e);

	ok(r == -1 && e != PARSE_OK && strcmp(parse_strerror(e), why) == 0 && got == -1,
	   "factor \"%s\" refused: %s (got %s)", esc(s), why, parse_strerror(e));
}

/* Expects s to parse and format back as canon. */
static void list_ok(const char *s, const char *canon)
{
	struct exitset set, back;
	enum parse_err e = PARSE_OK;
	char buf[1024];

	memset(&set, 0xaa, sizeof(set));
	if (parse_exitlist(s, &set, &e) != 0) {
		ok(0, "exit list \"%s\" accepted (refused: %s)", s, parse_strerror(e));
		return;
	}
	exitset_format(&set, buf, sizeof(buf));
	ok(strcmp(buf, canon) == 0, "exit list \"%s\" formats as \"%s\" (got \"%s\")", s, canon,
	   buf);
	ok(parse_exitlist(buf, &back, &e) == 0 && memcmp(&set, &back, sizeof(set)) == 0,
	   "\"%s\" reparses to the same set", buf);
}

static void list_bad(const char *s, const char *why)
{
	struct exitset set;
	enum parse_err e = PARSE_OK;
	int r;

	memset(&set, 0xaa, sizeof(set));
	r = parse_exitlist(s, &set, &e);
	ok(r == -1 && e != PARSE_OK && strcmp(parse_strerror(e), why) == 0 && set.bits[0] == 0xaa,
	   "exit list \"%s\" refused: %s (got %s)", esc(s), why, parse_strerror(e));
}

static void bool_is(const char *s, int want)
{
	bool b = !want;
	enum parse_err e = PARSE_OK;
	int r = parse_bool(s, &b, &e);

	if (want < 0)
		ok(r == -1 && e == PARSE_NOT_BOOL, "bool \"%s\" refused", esc(s));
	else
		ok(r == 0 && b == (bool)want, "bool \"%s\" -> %s", s, want ? "true" : "false");
}

static void name_is(const char *label, const char *s, const char *why)
{
	enum parse_err e = PARSE_OK;
	int r = name_check(s, &e);

	if (why == NULL)
		ok(r == 0, "name %s accepted", label);
	else
		ok(r == -1 && e != PARSE_OK && strcmp(parse_strerror(e), why) == 0,
		   "name %s refused: %s (got %s)", label, why, parse_strerror(e));
}

static void test_numbers(void)
{
	number_ok("0", 0, 10, 0);
	number_ok("5", 0, 10, 5);
	number_ok("10", 0, 10, 10);
	number_ok("007", 0, 10, 7); /* decimal, not octal */
	number_ok("-0", 0, 10, 0);
	number_ok("-3", -5, 5, -3);
	number_ok("1000000", 0, 1000000, 1000000);
	number_ok("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
	number_ok("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
	number_ok("-0009223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);

	const char *nw = "is not a whole number";
	number_bad("abc", 0, 10, nw);
	number_bad("", 0, 10, nw);
	number_bad(" 5", 0, 10, nw);
	number_bad("5 ", 0, 10, nw);
	number_bad("5x", 0, 10, nw);
	number_bad("+", 0, 10, nw);
	number_bad("+5", 0, 10, nw);
	number_bad("-", 0, 10, nw);
	number_bad("--5", 0, 10, nw);
	number_bad("0x10", 0, 100, nw);
	number_bad("1.0", 0, 10, nw);
	number_bad("1e3", 0, 10000, nw);
	number_bad("5\n", 0, 10, nw);

	number_bad("-3", 0, 10, "is too small");
	number_bad("0", 1, 10, "is too small");
	number_bad("11", 0, 10, "is too large");
	number_bad("1000001", 0, 1000000, "is too large");
	number_bad("9223372036854775808", INT64_MIN, INT64_MAX, "is too large");
	number_bad("99999999999999999999999", INT64_MIN, INT64_MAX, "is too large");
	number_bad("-9223372036854775809", INT64_MIN, INT64_MAX, "is too small");
	number_bad("-99999999999999999999999", INT64_MIN, INT64_MAX, "is too small");
	/* 2^64 wraps to 0 in a careless uint64_t parser. */
	number_bad("18446744073709551616", 0, 10, "is too large");
	number_bad("18446744073709551617", 0, 10, "is too large");
}

static void test_durations(void)
{
	const char *nd = "is not a duration";

	dur_ok("0", 0);
	dur_ok("5", 5000); /* bare seconds */
	dur_ok("0s", 0);
	dur_ok("0ms", 0);
	dur_ok("250ms", 250);
	dur_ok("30s", 30000);
	dur_ok("5m", 300000);
	dur_ok("2h", 7200000);
	dur_ok("1d", DAY_MS);
	dur_ok("1h30m", 5400000);
	dur_ok("2m500ms", 120500);
	dur_ok("1d2h3m4s5ms", DAY_MS + 2 * 3600000 + 3 * 60000 + 4000 + 5);
	dur_ok("1d5ms", DAY_MS + 5);
	dur_ok("90m", 5400000); /* a part may exceed the next unit */
	dur_ok("0h5m", 300000);
	dur_ok("007s", 7000);

	/* Decimals, as timeout(1) takes them: exact to the millisecond. */
	dur_ok("1.5s", 1500);
	dur_ok("0.25", 250); /* bare seconds */
	dur_ok("1.5", 1500);
	dur_ok("1.5h", 5400000);
	dur_ok("0.5d", DAY_MS / 2);
	dur_ok("1h1.5m", 3690000);
	dur_ok("1.001s", 1001);
	dur_ok("0.001", 1);
	dur_ok("2.000000000000000000000s", 2000); /* trailing zeros are no precision */
	dur_ok("1.0ms", 1);
	dur_ok("0.0000003125d", 27); /* ten places, still whole ms */
	dur_bad("0.0000000001d", "is finer than a millisecond");
	dur_bad("0.00000000001d", "is finer than a millisecond");
	dur_bad("1.5ms", "is finer than a millisecond");
	dur_bad("1.0005s", "is finer than a millisecond");
	dur_bad("0.0001", "is finer than a millisecond");
	dur_bad("1.00000000000000000001s", "is finer than a millisecond");
	dur_bad("0.0000001m", "is finer than a millisecond");
	dur_bad("1.5h30m", nd); /* a fraction only in the last part */
	dur_bad("1.s", nd);
	dur_bad(".5s", nd);
	dur_bad("1.", nd);
	dur_bad("1..5s", nd);
	dur_bad("1.5.5s", nd);
	dur_bad("1,5s", nd);
	dur_bad("1.5e3", nd);
	dur_bad("1.5x", nd);
	dur_bad("1.00000000000001x", nd); /* syntax before precision */
	dur_bad("106751991167d7h12m55.808s", "is too large");
	dur_ok("106751991167d7h12m55.807s", INT64_MAX);

	dur_bad("", nd);
	dur_bad("5x", nd);
	dur_bad("-1s", nd);
	dur_bad("-1", nd);
	dur_bad("+1s", nd);
	dur_bad("s", nd);
	dur_bad("ms", nd);
	dur_bad(" 5s", nd);
	dur_bad("5s ", nd);
	dur_bad("1h 30m", nd);
	dur_bad("1s1h", nd);  /* wrong order */
	dur_bad("1ms1s", nd); /* wrong order */
	dur_bad("1m1m", nd);  /* repeated */
	dur_bad("1s2s", nd);  /* repeated */
	dur_bad("1h30", nd);  /* trailing number with no unit */
	dur_bad("5mss", nd);
	dur_bad("5S", nd); /* units are lower case */
	dur_bad("1w", nd);
	dur_bad("5sec", nd);
	dur_bad("1hm", nd);
	dur_bad("99999999999999999999999x", nd); /* syntax before size */

	/* Overflow edges: INT64_MAX ms is 106751991167d7h12m55s807ms. */
	dur_ok("9223372036854775807ms", INT64_MAX);
	dur_ok("106751991167d", 106751991167LL * DAY_MS);
	dur_ok("106751991167d7h12m55s807ms", INT64_MAX);
	dur_ok("9223372036854775s", 9223372036854775000LL);
	dur_ok("9223372036854775", 9223372036854775000LL);
	const char *tl = "is too large";
	dur_bad("9223372036854775808ms", tl);
	dur_bad("9223372036854775807s", tl); /* multiply overflows */
	dur_bad("9223372036854775807", tl);  /* bare seconds, multiply overflows */
	dur_bad("9223372036854776s", tl);
	dur_bad("106751991168d", tl);
	dur_bad("106751991167d8h", tl);		   /* add overflows */
	dur_bad("106751991167d7h12m55s808ms", tl); /* add overflows by one */
	dur_bad("99999999999999999999999999d", tl);
	dur_bad("18446744073709551616ms", tl); /* 2^64 */
	dur_bad("1d18446744073709551616ms", tl);

	/* Ranges as the settings use them. */
	int64_t y = 365 * DAY_MS, got = -1;
	enum parse_err e;
	ok(parse_duration("365d", 1, y, &got, &e) == 0 && got == y, "365d within 1ms..365d");
	ok(parse_duration("1ms", 1, y, &got, &e) == 0 && got == 1, "1ms within 1ms..365d");
	dur_bad_range("0", 1, y, "is too small");
	dur_bad_range("0ms", 1, y, "is too small");
	dur_bad_range("365d1ms", 1, y, "is too large");
	dur_bad_range("366d", 1, y, "is too large");
	dur_bad_range("999s", 1000000, y, "is too small");

	dur_fmt(0, "0s");
	dur_fmt(1, "1ms");
	dur_fmt(250, "250ms");
	dur_fmt(1000, "1s");
	dur_fmt(30000, "30s");
	dur_fmt(60000, "1m");
	dur_fmt(5400000, "1h30m");
	dur_fmt(DAY_MS + 2 * 3600000, "1d2h");
	dur_fmt(DAY_MS + 1, "1d1ms");
	dur_fmt(120500, "2m500ms");
	dur_fmt(365 * DAY_MS, "365d");
	dur_fmt(INT64_MAX, "106751991167d7h12m55s807ms");

	char buf[32];
	duration_format(-1500, buf, sizeof(buf));
	ok(strcmp(buf, "-1s500ms") == 0, "negative durations are shown with a sign (%s)", buf);
	duration_format(INT64_MIN, buf, sizeof(buf));
	ok(strcmp(buf, "-106751991167d7h12m55s808ms") == 0, "INT64_MIN formats (%s)", buf);
	duration_format(5400000, buf, 4);
	ok(strlen(buf) == 3, "a short buffer is cut and terminated (%s)", buf);
	buf[0] = 'x';
	duration_format(5, buf, 0);
	ok(buf[0] == 'x', "a zero-length buffer is not written");
}

static void test_factors(void)
{
	factor_ok("1", 1);
	factor_ok("2", 2);
	factor_ok("1.5", 1.5);
	factor_ok("100", 100);
	factor_ok("100.0", 100);
	factor_ok("01.25", 1.25);

	const char *nd = "is not a decimal number";
	factor_bad("", nd);
	factor_bad("abc", nd);
	factor_bad(" 2", nd);
	factor_bad("2 ", nd);
	factor_bad("+2", nd);
	factor_bad("2x", nd);
	factor_bad("1.", nd);
	factor_bad(".5", nd);
	factor_bad("1.2.3", nd);
	factor_bad("1..2", nd);
	factor_bad("1e2", nd);
	factor_bad("0x2", nd);
	factor_bad("nan", nd);
	factor_bad("inf", nd);
	factor_bad("infinity", nd);
	factor_bad("-", nd);
	factor_bad("-.5", nd);
	factor_bad("1,5", nd);

	factor_bad("0.5", "is too small");
	factor_bad("0", "is too small");
	factor_bad("-2", "is too small");
	factor_bad("100.01", "is too large");
	/* 400 digits: strtod says HUGE_VAL */
	char big[402];
	memset(big, '9', 400);
	big[400] = '\0';
	factor_bad(big, "is too large");
	big[0] = '-';
	factor_bad(big, "is too small");

	double d;
	enum parse_err e;
	ok(parse_factor("-1.5", -2, 2, &d, &e) == 0 && d == -1.5, "negative factor when min < 0");
}

static void test_exitlists(void)
{
	list_ok("", "");
	list_ok("0", "0");
	list_ok("255", "255");
	list_ok("0,2-5,255", "0,2-5,255");
	list_ok("2-3", "2,3");
	list_ok("2-4", "2-4");
	list_ok("5-5", "5");
	list_ok("0-255", "0-255");
	list_ok("3,1,2", "1-3");
	list_ok("1,1,1", "1");
	list_ok("1-10,5-20", "1-20");
	list_ok("007", "7");
	list_ok("0,1,3,4,6", "0,1,3,4,6");

	const char *nl = "is not a list of exit codes";
	list_bad(",", nl);
	list_bad(",1", nl);
	list_bad("1,,2", nl);
	list_bad("1,", "ends with a comma");
	list_bad("1, 2", nl);
	list_bad(" 1", nl);
	list_bad("1 ", nl);
	list_bad("a", nl);
	list_bad("-1", nl);
	list_bad("1-", nl);
	list_bad("1--2", nl);
	list_bad("1-2-3", nl);
	list_bad("1;2", nl);
	list_bad("+1", nl);
	list_bad("256", "contains an exit code above 255");
	list_bad("0-256", "contains an exit code above 255");
	list_bad("99999999999999999999999", "contains an exit code above 255");
	list_bad("5-2", "contains a range that ends before it starts");

	struct exitset s;
	memset(&s, 0, sizeof(s));
	exitset_add(&s, -1);
	exitset_add(&s, 256);
	ok(!exitset_has(&s, -1) && !exitset_has(&s, 256) && !exitset_has(&s, 0),
	   "codes outside 0-255 are neither added nor found");
	exitset_add(&s, 255);
	ok(exitset_has(&s, 255) && !exitset_has(&s, 254), "exitset_add/has at 255");

	/* The longest output: present, present, absent, repeated. */
	char buf[1024];
	memset(&s, 0, sizeof(s));
	for (int c = 0; c <= 255; c++)
		if (c % 3 != 2)
			exitset_add(&s, c);
	exitset_format(&s, buf, sizeof(buf));
	ok(strlen(buf) < 700, "worst-case list fits in 700 bytes (%zu)", strlen(buf));
	struct exitset back;
	enum parse_err e;
	ok(parse_exitlist(buf, &back, &e) == 0 && memcmp(&s, &back, sizeof(s)) == 0,
	   "worst-case list reparses");

	/* A short buffer gets whole items only. */
	memset(&s, 0, sizeof(s));
	exitset_add(&s, 1);
	exitset_add(&s, 200);
	exitset_format(&s, buf, 4);
	ok(strcmp(buf, "1") == 0, "cut list drops the item that does not fit (\"%s\")", buf);
	exitset_format(&s, buf, 6);
	ok(strcmp(buf, "1,200") == 0, "exact-fit buffer (\"%s\")", buf);
	exitset_format(&s, buf, 1);
	ok(buf[0] == '\0', "one-byte buffer gets the empty string");
}

static void test_bools(void)
{
	const char *yes[] = { "true", "yes", "on", "1", "TRUE", "Yes", "On" };
	const char *no[] = { "false", "no", "off", "0", "FALSE", "No", "OFF" };
	const char *bad[] = { "",      "2",	"y",	 "n",	    "t", "f",
			      "truee", " true", "true ", "enabled", "01" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		bool_is(yes[i], 1);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		bool_is(no[i], 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bool_is(bad[i], -1);
}

static void test_names(void)
{
	char n128[130], n129[131];
	const char *badc = "contains a character other than A-Z a-z 0-9 . _ : -";

	memset(n128, 'a', 128);
	n128[128] = '\0';
	memset(n129, 'a', 129);
	n129[129] = '\0';

	name_is("qdrant", "qdrant", NULL);
	name_is("a", "a", NULL);
	name_is("with all classes", "Az09._:-", NULL);
	name_is("of 128 characters", n128, NULL);
	name_is("of 129 characters", n129, "is longer than 128 characters");
	name_is("empty", "", "is empty");
	name_is("with a double quote", "a\"b", badc);
	name_is("with a single quote", "a'b", badc);
	name_is("with a semicolon", "a;b", badc);
	name_is("with a newline", "a\nb", badc);
	name_is("with a slash", "a/b", badc);
	name_is("with a backslash", "a\\b", badc);
	name_is("with a space", "a b", badc);
	name_is("with a tab", "a\tb", badc);
	name_is("with a percent", "a%b", badc);
	name_is("with UTF-8 e-acute", "caf\xc3\xa9", badc);
	name_is("with a Latin-1 byte", "caf\xe9", badc);
	name_is("with DEL", "a\x7f", badc);
	name_is("with an escape", "a\x1b[31m", badc);
	name_is("that is only dots", "..", NULL); /* names are rows, not files */

	/* A long name is refused without reading it to the end. */
	size_t big = 1 << 20;
	char *huge = malloc(big + 1);
	if (huge != NULL) {
		memset(huge, 'a', big);
		huge[big] = '\0';
		name_is("of 1 MiB", huge, "is longer than 128 characters");
		free(huge);
	}
}

/* want is the signal, or -1 for a refusal; canon what signal_format() writes back. */
static void signal_is(const char *text, int want, const char *canon)
{
	enum parse_err e = PARSE_OK;
	int got = -7;
	char buf[32] = "";
	int r = parse_signal(text, &got, &e);

	if (want < 0) {
		ok(r == -1 && e == PARSE_NOT_SIGNAL && got == -7, "signal \"%s\" refused", text);
		return;
	}
	signal_format(got, buf, sizeof(buf));
	ok(r == 0 && got == want && strcmp(buf, canon) == 0,
	   "signal \"%s\" is %d, written %s (got %d, %s)", text, want, canon, got, buf);
}

static void test_signals(void)
{
	char rt[16], num[16];

	signal_is("TERM", SIGTERM, "TERM");
	signal_is("SIGTERM", SIGTERM, "TERM");
	signal_is("term", SIGTERM, "TERM");
	signal_is("SigKill", SIGKILL, "KILL");
	signal_is("9", SIGKILL, "KILL");
	signal_is("15", SIGTERM, "TERM");
	signal_is("1", SIGHUP, "HUP");
	signal_is("INT", SIGINT, "INT");
	signal_is("usr1", SIGUSR1, "USR1");
	signal_is("IOT", SIGABRT, "ABRT"); /* an alias, written as the usual name */
	signal_is("CLD", SIGCHLD, "CHLD");
	signal_is("RTMIN", SIGRTMIN, "RTMIN");
	signal_is("SIGRTMIN+2", SIGRTMIN + 2, "RTMIN+2");
	snprintf(rt, sizeof(rt), "RTMIN+%d", SIGRTMAX - SIGRTMIN);
	signal_is("RTMAX", SIGRTMAX, rt);
	snprintf(num, sizeof(num), "%d", SIGRTMAX);
	signal_is(num, SIGRTMAX, rt);
	snprintf(rt, sizeof(rt), "RTMIN+%d", SIGRTMAX - 1 - SIGRTMIN);
	signal_is("rtmax-1", SIGRTMAX - 1, rt);
	const char *bad[] = { "",	 "0",	     "00",	    "-9",	  "+9",
			      "9 ",	 " 9",	     "SIG",	    "SIGSIGTERM", "TERMX",
			      "KILLx",	 "1000",     "99999999999", "RTMIN+",	  "RTMIN-1",
			      "RTMAX+1", "RTMIN+99", "kill -9",	    "9x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		signal_is(bad[i], -1, NULL);
	snprintf(num, sizeof(num), "%d", SIGRTMAX + 1);
	signal_is(num, -1, NULL);
}

/* Every refusal has its own phrase: a caller that shows parse_strerror() never
 * shows two different errors the same way, nor the fallback for an unknown code. */
static void test_errors(void)
{
	const char *seen[PARSE_NOT_SIGNAL + 1] = { NULL };
	bool distinct = true;

	for (int e = PARSE_NOT_NUMBER; e <= PARSE_NOT_SIGNAL; e++) {
		seen[e] = parse_strerror((enum parse_err)e);
		for (int k = PARSE_NOT_NUMBER; k < e; k++)
			if (strcmp(seen[k], seen[e]) == 0)
				distinct = false;
		ok(strcmp(seen[e], "is not valid") != 0 && seen[e][0] != '\0',
		   "error %d has a phrase: %s", e, seen[e]);
	}
	ok(distinct, "every error has a phrase of its own");
	ok(strcmp(parse_strerror(PARSE_TOO_LARGE), "is too large") == 0, "too large reads so");
}

int main(void)
{
	test_errors();
	test_numbers();
	test_durations();
	test_factors();
	test_exitlists();
	test_bools();
	test_names();
	test_signals();
	return tap_done();
}
