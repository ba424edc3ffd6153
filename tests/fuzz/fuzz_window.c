/* libFuzzer target for window_decode, the one decoder of bytes read back from disk: any blob is
 * refused or decodes to a window that encodes and decodes again to the same window. */
#include <stdlib.h>
#include <string.h>

#include "window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct window first, second;
static uint8_t buf[WINDOW_ENCODED_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;

	if (window_decode(&first, data, size) != 0) {
		/* A refusal leaves nothing behind that a caller could mistake for data. */
		if (first.kind != WINDOW_NONE || first.count != 0 || first.calls != 0)
			abort();
		return 0;
	}
	if (first.kind == WINDOW_CALLS && (first.size == 0 || first.size > WINDOW_MAX_CALLS ||
					   first.head >= first.size || first.count > first.size))
		abort();
	/* Every field that decides the length survives, so the length does too. */
	n = window_encode(&first, buf, sizeof(buf));
	if (n == 0 || n > WINDOW_ENCODED_MAX || n != size)
		abort();
	/* decode zeroes the whole struct first, padding included, so memcmp is fair. */
	if (window_decode(&second, buf, n) != 0 || memcmp(&first, &second, sizeof(first)) != 0)
		abort();
	/* What a decoded window is then used for must be safe whatever it held. */
	(void)window_sums(&second, 0);
	window_add(&second, (int64_t)size * 1000, size & 1, size & 2);
	(void)window_sums(&second, INT64_MAX);
	return 0;
}
