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

/* Each returns 0, or -1 with *errstr set to a short phrase ("is not a number",
 * "is too large") that the caller puts after the option's name. */
int parse_number(const char *s, int64_t min, int64_t max, int64_t *out, const char **errstr);
/* 250ms, 30s, 5m, 2h, 1h30m, 1d, or bare seconds, the last number with a decimal
 * fraction if wanted (1.5s, 0.25, 1h1.5m) that comes to whole ms; result in ms within
 * [min, max]. */
int parse_duration(const char *s, int64_t min_ms, int64_t max_ms, int64_t *out_ms,
		   const char **errstr);
/* A decimal such as 2 or 1.5 within [min, max]. */
int parse_factor(const char *s, double min, double max, double *out, const char **errstr);
/* 0,2-5,255 */
int parse_exitlist(const char *s, struct exitset *out, const char **errstr);
/* true, false, yes, no, on, off, 1, 0 */
int parse_bool(const char *s, bool *out, const char **errstr);
/* 1-128 characters of A-Z a-z 0-9 . _ : - */
int name_check(const char *s, const char **errstr);

bool exitset_has(const struct exitset *set, int code);
void exitset_add(struct exitset *set, int code);
/* Formats back as the shortest list of codes and ranges. */
void exitset_format(const struct exitset *set, char *buf, size_t len);
/* 1h30m, 250ms, 0s */
void duration_format(int64_t ms, char *buf, size_t len);

#endif
