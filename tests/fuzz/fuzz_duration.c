/* libFuzzer target for parse_duration and duration_format: ranges hold, formatting round-trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define DAY_MS 86400000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copies data into a NUL-terminated string; the parsers take C strings. */
static char *cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* duration_format(ms) must parse back to ms. */
static void check_format(int64_t ms)
{
	char buf[32];
	int64_t back = -1;
	enum parse_err e = PARSE_OK;

	duration_format(ms, buf, sizeof(buf));
	if (parse_duration(buf, 0, INT64_MAX, &back, &e) != 0 || back != ms)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = cstring(data, size);
	int64_t ms = -1, ranged = -1;
	enum parse_err e = PARSE_OK;

	if (parse_duration(s, 0, INT64_MAX, &ms, &e) == 0) {
		if (ms < 0)
			abort();
		check_format(ms);
		/* The same text within the settings' usual range: accepted iff in range. */
		int r = parse_duration(s, 1, 365 * DAY_MS, &ranged, &e);
		if ((r == 0) != (ms >= 1 && ms <= 365 * DAY_MS))
			abort();
		if (r == 0 && ranged != ms)
			abort();
	} else {
		if (e == PARSE_OK || ms != -1)
			abort();
		/* Refused without a range is refused within one too. */
		if (parse_duration(s, 1, 365 * DAY_MS, &ranged, &e) == 0)
			abort();
	}
	/* Any non-negative value formats and parses back. */
	if (size >= sizeof(int64_t)) {
		int64_t v;

		memcpy(&v, data, sizeof(v));
		check_format(v & INT64_MAX);
	}
	free(s);
	return 0;
}
