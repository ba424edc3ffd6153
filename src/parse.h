/* Parsers for everything a user types: numbers, durations, exit-code lists, names. */
#ifndef CBEXEC_PARSE_H
#define CBEXEC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_LEN 128

struct exitset {
	uint8_t bits[32]; /* one bit per exit status 0-255 */
};

/* Why a value was refused. Callers decide on the code; parse_strerror() gives the
 * phrase that follows the quoted value in a message. */
enum parse_err {
	PARSE_OK = 0,
	PARSE_NOT_NUMBER,	  /* "is not a whole number" */
	PARSE_NOT_DURATION,	  /* "is not a duration" */
	PARSE_NOT_DECIMAL,	  /* "is not a decimal number" */
	PARSE_NOT_EXITLIST,	  /* "is not a list of exit codes" */
	PARSE_EXIT_ABOVE_255,	  /* "contains an exit code above 255" */
	PARSE_RANGE_BACKWARDS,	  /* "contains a range that ends before it starts" */
	PARSE_TRAILING_COMMA,	  /* "ends with a comma" */
	PARSE_NOT_BOOL,		  /* "is not a boolean (true/false, ...)" */
	PARSE_TOO_SMALL,	  /* "is too small" */
	PARSE_TOO_FINE,		  /* "is finer than a millisecond" */
	PARSE_TOO_LARGE,	  /* "is too large" */
	PARSE_NAME_EMPTY,	  /* "is empty" */
	PARSE_NAME_TOO_LONG,	  /* "is longer than 128 characters" */
	PARSE_NAME_BAD_CHARACTER, /* "contains a character other than ..." */
	PARSE_NOT_SIGNAL,	  /* "is not a signal name or number" */
};

/* "is too large": the phrase a message puts after the quoted value. */
const char *parse_strerror(enum parse_err e);

/* Each returns 0, or -1 with *err set to why; the output is then left untouched. */
int parse_number(const char *s, int64_t min, int64_t max, int64_t *out, enum parse_err *err);
/* 250ms, 30s, 5m, 2h, 1h30m, 1d, or bare seconds, the last number with a decimal
 * fraction if wanted (1.5s, 0.25, 1h1.5m) that comes to whole ms; result in ms within
 * [min, max]. */
int parse_duration(const char *s, int64_t min_ms, int64_t max_ms, int64_t *out_ms,
		   enum parse_err *err);
/* A decimal such as 2 or 1.5 within [min, max]. */
int parse_factor(const char *s, double min, double max, double *out, enum parse_err *err);
/* 0,2-5,255 */
int parse_exitlist(const char *s, struct exitset *out, enum parse_err *err);
/* true, false, yes, no, on, off, 1, 0 */
int parse_bool(const char *s, bool *out, enum parse_err *err);
/* A signal as kill(1) and timeout(1) take it: TERM, SIGTERM, term, 15, RTMIN+2;
 * never 0. */
int parse_signal(const char *s, int *out, enum parse_err *err);
/* The name parse_signal() reads back, without SIG: TERM, RTMIN+2; else the number. */
void signal_format(int sig, char *buf, size_t len);
/* The value of a hex digit in either case, or -1 (boot ids, %XX in URLs). */
int parse_hex_digit(char c);
/* 1-128 characters of A-Z a-z 0-9 . _ : - */
int name_check(const char *s, enum parse_err *err);

bool exitset_has(const struct exitset *set, int code);
void exitset_add(struct exitset *set, int code);
/* Formats back as the shortest list of codes and ranges. */
void exitset_format(const struct exitset *set, char *buf, size_t len);
/* 1h30m, 250ms, 0s */
void duration_format(int64_t ms, char *buf, size_t len);

#endif
