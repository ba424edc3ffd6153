/* libFuzzer target for name_check, against a plain reference of the rule "1-128 of A-Z a-z 0-9 . _
 * : -". */
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool reference(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > NAME_MAX_LEN)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	enum parse_err e = PARSE_OK;
	int r;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	r = name_check(s, &e);
	if ((r == 0) != reference(s))
		abort();
	if (r != 0 && e == PARSE_OK)
		abort();
	free(s);
	return 0;
}
