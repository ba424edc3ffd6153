/* libFuzzer target for parse_number and parse_factor: ranges hold, agreement with strtoll. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* True if s is -?[0-9]+, the only form parse_number may accept. */
static bool plain_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void check_number(const char *s, int64_t min, int64_t max)
{
	int64_t v = 0;
	enum parse_err e = PARSE_OK;
	char buf[32];

	if (parse_number(s, min, max, &v, &e) != 0) {
		if (e == PARSE_OK)
			abort();
		return;
	}
	if (v < min || v > max || !plain_integer(s))
		abort();
	/* strtoll agrees on every string we accept. */
	errno = 0;
	if (strtoll(s, NULL, 10) != v || errno != 0)
		abort();
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	int64_t back;
	if (parse_number(buf, min, max, &back, &e) != 0 || back != v)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = cstring(data, size);
	int64_t wide;
	enum parse_err e;
	double f;

	check_number(s, INT64_MIN, INT64_MAX);
	check_number(s, 0, 255);
	check_number(s, 1, 1000000);
	check_number(s, -5, 5);

	/* Accepted by the full range exactly when strtoll parses all of a plain integer. */
	if (plain_integer(s)) {
		char *end;
		errno = 0;
		long long ll = strtoll(s, &end, 10);
		int r = parse_number(s, INT64_MIN, INT64_MAX, &wide, &e);
		if ((r == 0) != (errno == 0 && *end == '\0'))
			abort();
		if (r == 0 && ll != wide)
			abort();
	}

	if (parse_factor(s, 1, 100, &f, &e) == 0) {
		if (!isfinite(f) || f < 1 || f > 100)
			abort();
	} else if (e == PARSE_OK) {
		abort();
	}
	free(s);
	return 0;
}
