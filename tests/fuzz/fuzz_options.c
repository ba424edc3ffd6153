/* libFuzzer target for options_set and options_format: whatever is accepted formats back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* First byte picks the setting, the rest is the value. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options o;
	const struct setting *s;
	char *value, err[128], before[4096], buf[4096], again[4096];

	if (size == 0)
		return 0;
	s = &settings[data[0] % settings_count];
	value = malloc(size);
	if (value == NULL)
		abort();
	memcpy(value, data + 1, size - 1);
	value[size - 1] = '\0';

	options_init(&o);
	options_format(&o, s, before, sizeof(before));
	err[0] = '\0';
	if (options_set(&o, s, value, "fuzz:1", err, sizeof(err)) == 0) {
		/* Accepted: the formatted value is accepted too and formats the same. */
		options_format(&o, s, buf, sizeof(buf));
		if (options_set(&o, s, buf, "fuzz:2", err, sizeof(err)) != 0)
			abort();
		options_format(&o, s, again, sizeof(again));
		if (strcmp(buf, again) != 0)
			abort();
	} else {
		/* Refused: a one-line message that starts with the quoted value, and
		 * neither the value nor its origin changed. */
		if (err[0] != '"' || strchr(err, '\n') != NULL)
			abort();
		options_format(&o, s, buf, sizeof(buf));
		if (strcmp(before, buf) != 0 || strcmp(o.origin[s - settings], "built-in") != 0)
			abort();
	}
	/* Lookups never crash on any text. */
	setting_find(value);
	setting_closest(value);
	options_free(&o);
	free(value);
	return 0;
}
