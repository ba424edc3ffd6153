/* Parsers for everything a user types: numbers, durations, exit-code lists, names. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

/*
 * Every parser here is strict in the way OpenBSD's strtonum(3) is, and stricter:
 * no leading or trailing white space, no '+', no base prefixes, and a number that
 * does not fit is "too large" or "too small", never wrapped or clamped (util-linux
 * flock -E once turned 600 into 88). On error the output is left untouched and
 * *err says why; parse_strerror() turns that into a phrase meant to follow the
 * quoted value: "\"5x\" is not a duration".
 * Characters are classified by explicit ranges, not <ctype.h>, so the locale
 * cannot change what is accepted.
 */

const char *parse_strerror(enum parse_err e)
{
	switch (e) {
	case PARSE_OK:
		break;
	case PARSE_NOT_NUMBER:
		return "is not a whole number";
	case PARSE_NOT_DURATION:
		return "is not a duration";
	case PARSE_NOT_DECIMAL:
		return "is not a decimal number";
	case PARSE_NOT_EXITLIST:
		return "is not a list of exit codes";
	case PARSE_EXIT_ABOVE_255:
		return "contains an exit code above 255";
	case PARSE_RANGE_BACKWARDS:
		return "contains a range that ends before it starts";
	case PARSE_TRAILING_COMMA:
		return "ends with a comma";
	case PARSE_NOT_BOOL:
		return "is not a boolean (true/false, yes/no, on/off, 1/0)";
	case PARSE_TOO_SMALL:
		return "is too small";
	case PARSE_TOO_FINE:
		return "is finer than a millisecond";
	case PARSE_TOO_LARGE:
		return "is too large";
	case PARSE_NAME_EMPTY:
		return "is empty";
	case PARSE_NAME_TOO_LONG:
		return "is longer than 128 characters";
	case PARSE_NAME_BAD_CHARACTER:
		return "contains a character other than A-Z a-z 0-9 . _ : -";
	case PARSE_NOT_SIGNAL:
		return "is not a signal name or number";
	}
	return "is not valid";
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Reads a run of decimal digits at *p. Returns 0 and advances *p, -1 if there is
 * no digit, or 1 if the value does not fit in a uint64_t (the digits are consumed
 * anyway so that the caller can say "too large" rather than "not a number").
 */
static int digits(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	bool overflow = false;

	if (!is_digit(*s))
		return -1;
	for (; is_digit(*s); s++) {
		if (__builtin_mul_overflow(v, 10u, &v) ||
		    __builtin_add_overflow(v, (unsigned)(*s - '0'), &v))
			overflow = true;
	}
	*p = s;
	*out = v;
	return overflow ? 1 : 0;
}

int parse_number(const char *s, int64_t min, int64_t max, int64_t *out, enum parse_err *err)
{
	const char *p = s;
	bool negative = false;
	uint64_t mag;
	int64_t v;
	int r;

	if (*p == '-') {
		negative = true;
		p++;
	}
	r = digits(&p, &mag);
	if (r < 0 || *p != '\0') {
		*err = PARSE_NOT_NUMBER;
		return -1;
	}
	if (negative) {
		/* -2^63 is the one magnitude with no positive int64_t counterpart. */
		if (r > 0 || mag > (uint64_t)INT64_MAX + 1) {
			*err = PARSE_TOO_SMALL;
			return -1;
		}
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (r > 0 || mag > (uint64_t)INT64_MAX) {
			*err = PARSE_TOO_LARGE;
			return -1;
		}
		v = (int64_t)mag;
	}
	if (v < min) {
		*err = PARSE_TOO_SMALL;
		return -1;
	}
	if (v > max) {
		*err = PARSE_TOO_LARGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* Units in the only order they may appear in: each one smaller than the last. */
static const struct {
	const char *name;
	int64_t ms;
} units[] = {
	{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
};
#define UNITS_COUNT (sizeof(units) / sizeof(units[0]))

/* The unit at *p, longest match first so that "ms" is not read as "m"; -1 if none. */
static int unit_at(const char *p)
{
	int found = -1;
	size_t best = 0;

	for (size_t i = 0; i < UNITS_COUNT; i++) {
		size_t n = strlen(units[i].name);
		if (n > best && strncmp(p, units[i].name, n) == 0) {
			found = (int)i;
			best = n;
		}
	}
	return found;
}

int parse_duration(const char *s, int64_t min_ms, int64_t max_ms, int64_t *out_ms,
		   enum parse_err *err)
{
	const char *p = s;
	int64_t total = 0;
	uint64_t n;
	int r, u, next_unit = 0;
	bool overflow = false, fine = false;

	/*
	 * NUMBER UNIT pairs with units strictly decreasing (so each unit at most
	 * once), or one bare NUMBER of seconds. The last number may have a decimal
	 * fraction, as timeout(1) allows: 1.5s, 0.25, 1h1.5m. The value must be a
	 * whole number of milliseconds, computed exactly in integers: 1.0005s is
	 * refused rather than rounded. The whole string is checked for syntax before
	 * precision and overflow are reported, so "99999999999999999999x" is "not a
	 * duration", not "too large".
	 */
	for (;;) {
		uint64_t frac = 0, scale = 1;
		int64_t unit_ms, part;
		bool fraction = false;

		r = digits(&p, &n);
		if (r < 0) {
			/* No number, or a unit not followed by one. */
			*err = PARSE_NOT_DURATION;
			return -1;
		}
		if (*p == '.') {
			const char *f = ++p, *last;

			while (is_digit(*p))
				p++;
			if (p == f) {
				*err = PARSE_NOT_DURATION;
				return -1;
			}
			/* Trailing zeros say nothing; past 10 significant digits no
			 * unit (1d is 2^10 3^3 5^5 ms) can give whole milliseconds. */
			for (last = p; last > f && last[-1] == '0'; last--)
				;
			if (last - f > 10) {
				fine = true;
			} else {
				for (const char *q = f; q < last; q++) {
					frac = frac * 10 + (uint64_t)(*q - '0');
					scale *= 10;
				}
			}
			fraction = true;
		}
		if (*p == '\0' && next_unit == 0) {
			unit_ms = 1000; /* bare seconds */
		} else {
			u = unit_at(p);
			if (u < next_unit) {
				/* No unit, or one out of order or repeated. */
				*err = PARSE_NOT_DURATION;
				return -1;
			}
			p += strlen(units[u].name);
			next_unit = u + 1;
			unit_ms = units[u].ms;
		}
		if (fraction && *p != '\0') {
			/* 1.5h30m: a fraction belongs to the last, smallest part. */
			*err = PARSE_NOT_DURATION;
			return -1;
		}
		if (r > 0 || __builtin_mul_overflow(n, unit_ms, &part) ||
		    __builtin_add_overflow(total, part, &total))
			overflow = true;
		/* frac < 10^10 and unit_ms <= 86400000: the product fits. */
		if (frac * (uint64_t)unit_ms % scale != 0)
			fine = true;
		else if (__builtin_add_overflow(total, (int64_t)(frac * (uint64_t)unit_ms / scale),
						&total))
			overflow = true;
		if (*p == '\0')
			break;
	}
	if (fine) {
		*err = PARSE_TOO_FINE;
		return -1;
	}
	if (overflow || total > max_ms) {
		*err = PARSE_TOO_LARGE;
		return -1;
	}
	if (total < min_ms) {
		*err = PARSE_TOO_SMALL;
		return -1;
	}
	*out_ms = total;
	return 0;
}

int parse_factor(const char *s, double min, double max, double *out, enum parse_err *err)
{
	const char *p = s;
	char *end;
	double v;
	size_t ndigits = 0, ndots = 0;

	/*
	 * Only -?D+(.D+)? is accepted. strtod alone would also take leading space, '+',
	 * hexadecimal, exponents, "inf" and "nan", none of which a user means here.
	 * strtod uses the locale's decimal point; cbexec never calls setlocale, so it is
	 * always '.'.
	 */
	if (*p == '-')
		p++;
	for (const char *q = p; *q != '\0'; q++) {
		if (is_digit(*q))
			ndigits++;
		else if (*q == '.' && q != p && is_digit(q[1]))
			ndots++;
		else
			ndots = 2; /* anything else: refuse below */
	}
	if (ndigits == 0 || ndots > 1) {
		*err = PARSE_NOT_DECIMAL;
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || isnan(v)) {
		*err = PARSE_NOT_DECIMAL;
		return -1;
	}
	/* ERANGE with a huge result is overflow; with a tiny one, a value near 0 that
	 * the range check below judges. */
	if (isinf(v) || v > max) {
		*err = v < 0 ? PARSE_TOO_SMALL : PARSE_TOO_LARGE;
		return -1;
	}
	if (v < min) {
		*err = PARSE_TOO_SMALL;
		return -1;
	}
	*out = v;
	return 0;
}

/* One exit code in a list: 0-255, digits only. Returns -1 and sets *err if not. */
static int exitcode_at(const char **p, int *out, enum parse_err *err)
{
	uint64_t v;
	int r = digits(p, &v);

	if (r < 0) {
		*err = PARSE_NOT_EXITLIST;
		return -1;
	}
	if (r > 0 || v > 255) {
		*err = PARSE_EXIT_ABOVE_255;
		return -1;
	}
	*out = (int)v;
	return 0;
}

int parse_exitlist(const char *s, struct exitset *out, enum parse_err *err)
{
	struct exitset set;
	const char *p = s;

	memset(&set, 0, sizeof(set));
	/* The empty list is a real value: --ignore-exit "" ignores nothing. */
	while (*p != '\0') {
		int lo, hi;

		if (exitcode_at(&p, &lo, err) < 0)
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (exitcode_at(&p, &hi, err) < 0)
				return -1;
			if (hi < lo) {
				*err = PARSE_RANGE_BACKWARDS;
				return -1;
			}
		}
		for (int c = lo; c <= hi; c++)
			exitset_add(&set, c);
		if (*p == ',') {
			p++;
			if (*p == '\0') {
				*err = PARSE_TRAILING_COMMA;
				return -1;
			}
		} else if (*p != '\0') {
			*err = PARSE_NOT_EXITLIST;
			return -1;
		}
	}
	*out = set;
	return 0;
}

int parse_bool(const char *s, bool *out, enum parse_err *err)
{
	/* Case-insensitive, as in git-config(1): config files are written by hand. */
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	*err = PARSE_NOT_BOOL;
	return -1;
}

/* The signals by name, the first of a number the one it is written back as. */
static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },	  { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },	 { "TRAP", SIGTRAP },	  { "ABRT", SIGABRT },
	{ "IOT", SIGABRT },	 { "BUS", SIGBUS },	  { "FPE", SIGFPE },
	{ "KILL", SIGKILL },	 { "USR1", SIGUSR1 },	  { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE },	  { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },	 { "CHLD", SIGCHLD },	  { "CONT", SIGCONT },
	{ "STOP", SIGSTOP },	 { "TSTP", SIGTSTP },	  { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU },	 { "URG", SIGURG },	  { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ },	 { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH },	 { "SYS", SIGSYS },
#ifdef SIGSTKFLT
	{ "STKFLT", SIGSTKFLT },
#endif
#ifdef SIGIO
	{ "IO", SIGIO },
#endif
#ifdef SIGPOLL
	{ "POLL", SIGPOLL },
#endif
#ifdef SIGPWR
	{ "PWR", SIGPWR },
#endif
#ifdef SIGCLD
	{ "CLD", SIGCLD },
#endif
};
#define SIGNAL_NAMES (sizeof(signal_names) / sizeof(signal_names[0]))

/* The highest signal number kill(2) takes here. */
static int signal_max(void)
{
#ifdef SIGRTMAX
	return SIGRTMAX;
#else
	return NSIG - 1;
#endif
}

/* A number of at most three digits in [min, max], the whole of s. */
static bool small_number(const char *s, int min, int max, int *out)
{
	int n = 0, k = 0;

	for (; is_digit(s[k]) && k < 3; k++)
		n = n * 10 + (s[k] - '0');
	if (k == 0 || s[k] != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

int parse_signal(const char *s, int *out, enum parse_err *err)
{
	const char *name = s;
	int n;

	/* Numbers as kill(2) takes them; 0 sends nothing and would only wait. */
	if (is_digit(*s)) {
		if (!small_number(s, 1, signal_max(), &n))
			goto bad;
		*out = n;
		return 0;
	}
	/* Case-insensitive, with or without SIG, as kill(1) in bash: config
	 * files and command lines are written by hand. */
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < SIGNAL_NAMES; i++) {
		if (strcasecmp(name, signal_names[i].name) == 0) {
			*out = signal_names[i].sig;
			return 0;
		}
	}
#if defined(SIGRTMIN) && defined(SIGRTMAX)
	/* RTMIN, RTMIN+N, RTMAX, RTMAX-N; the bounds are known only at run time. */
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		bool min = strncasecmp(name, "RTMIN", 5) == 0;
		int span = SIGRTMAX - SIGRTMIN;

		if (name[5] == '\0') {
			*out = min ? SIGRTMIN : SIGRTMAX;
			return 0;
		}
		if (name[5] == (min ? '+' : '-') && small_number(name + 6, 1, span, &n)) {
			*out = min ? SIGRTMIN + n : SIGRTMAX - n;
			return 0;
		}
	}
#endif
bad:
	*err = PARSE_NOT_SIGNAL;
	return -1;
}

void signal_format(int sig, char *buf, size_t len)
{
	for (size_t i = 0; i < SIGNAL_NAMES; i++) {
		if (signal_names[i].sig == sig) {
			snprintf(buf, len, "%s", signal_names[i].name);
			return;
		}
	}
#if defined(SIGRTMIN) && defined(SIGRTMAX)
	if (sig == SIGRTMIN) {
		snprintf(buf, len, "RTMIN");
		return;
	}
	if (sig > SIGRTMIN && sig <= SIGRTMAX) {
		snprintf(buf, len, "RTMIN+%d", sig - SIGRTMIN);
		return;
	}
#endif
	snprintf(buf, len, "%d", sig);
}

static bool name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

int parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int name_check(const char *s, enum parse_err *err)
{
	/* strnlen: a huge argument is refused without walking all of it. */
	size_t n = strnlen(s, NAME_MAX_LEN + 1);

	if (n == 0) {
		*err = PARSE_NAME_EMPTY;
		return -1;
	}
	if (n > NAME_MAX_LEN) {
		*err = PARSE_NAME_TOO_LONG;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!name_char((unsigned char)s[i])) {
			*err = PARSE_NAME_BAD_CHARACTER;
			return -1;
		}
	}
	return 0;
}

bool exitset_has(const struct exitset *set, int code)
{
	if (code < 0 || code > 255)
		return false;
	return (set->bits[code / 8] >> (code % 8)) & 1;
}

/* Codes outside 0-255 are ignored: no process can exit with one. */
void exitset_add(struct exitset *set, int code)
{
	if (code < 0 || code > 255)
		return;
	set->bits[code / 8] |= (uint8_t)(1u << (code % 8));
}

/*
 * Appends ",lo" or ",lo-hi" (no comma when *used is 0) at buf + *used. An item
 * that does not fit is left out whole, never cut in the middle of a number, and
 * false is returned so that the caller stops.
 */
static bool append_item(char *buf, size_t len, size_t *used, int lo, int hi)
{
	const char *sep = *used == 0 ? "" : ",";
	int n;

	if (lo == hi)
		n = snprintf(buf + *used, len - *used, "%s%d", sep, lo);
	else
		n = snprintf(buf + *used, len - *used, "%s%d-%d", sep, lo, hi);
	if (n < 0 || (size_t)n >= len - *used) {
		buf[*used] = '\0';
		return false;
	}
	*used += (size_t)n;
	return true;
}

/*
 * Runs of three or more codes become ranges ("2-5"); a pair stays "2,3", which is
 * as short as "2-3" and reads more plainly. The longest possible output (codes in
 * a present, present, absent pattern) is under 700 bytes; a shorter buffer gets
 * the leading items that fit whole.
 */
void exitset_format(const struct exitset *set, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (int c = 0; c <= 255;) {
		int end = c;

		if (!exitset_has(set, c)) {
			c++;
			continue;
		}
		while (end < 255 && exitset_has(set, end + 1))
			end++;
		if (end - c >= 2) {
			if (!append_item(buf, len, &used, c, end))
				return;
		} else {
			for (int k = c; k <= end; k++)
				if (!append_item(buf, len, &used, k, k))
					return;
		}
		c = end + 1;
	}
}

/* Largest unit first, zero parts left out: 1d2h, 1h30m, 250ms; 0 is "0s".
 * 32 bytes hold any int64_t ("-106751991167d23h47m16s854ms" is 28). */
void duration_format(int64_t ms, char *buf, size_t len)
{
	/* uint64_t so that even INT64_MIN has a magnitude. */
	uint64_t rest = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	/* Never produced by the parser; shown rather than hidden if it ever occurs. */
	if (ms < 0)
		used += (size_t)snprintf(buf, len, "-");
	for (size_t i = 0; i < UNITS_COUNT && used < len; i++) {
		uint64_t q = rest / (uint64_t)units[i].ms;
		int n;

		if (q == 0)
			continue;
		rest %= (uint64_t)units[i].ms;
		n = snprintf(buf + used, len - used, "%llu%s", (unsigned long long)q,
			     units[i].name);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}
