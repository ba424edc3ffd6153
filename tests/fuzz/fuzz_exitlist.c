/* libFuzzer target for parse_exitlist and exitset_format: the formatted list reparses to the same
 * set. */
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

/* exitset_format(set) must reparse to set, and be canonical: formatting again is a fixed point. */
static void check_roundtrip(const struct exitset *set)
{
	char buf[1024], again[1024];
	struct exitset back;
	enum parse_err e = PARSE_OK;

	exitset_format(set, buf, sizeof(buf));
	if (strlen(buf) >= 700)
		abort();
	if (parse_exitlist(buf, &back, &e) != 0 || memcmp(set, &back, sizeof(back)) != 0)
		abort();
	exitset_format(&back, again, sizeof(again));
	if (strcmp(buf, again) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = cstring(data, size);
	struct exitset set, untouched;
	enum parse_err e = PARSE_OK;

	memset(&set, 0x5a, sizeof(set));
	untouched = set;
	if (parse_exitlist(s, &set, &e) == 0) {
		check_roundtrip(&set);
		/* Only digits, '-' and ',' can make up an accepted list. */
		for (const char *p = s; *p != '\0'; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == ','))
				abort();
	} else if (e == PARSE_OK || memcmp(&set, &untouched, sizeof(set)) != 0) {
		abort();
	}
	/* The first 32 bytes as a raw set: any set formats and reparses. */
	if (size >= sizeof(set.bits)) {
		memcpy(set.bits, data, sizeof(set.bits));
		check_roundtrip(&set);
	}
	free(s);
	return 0;
}
