/* libFuzzer target for window_decode, the one decoder of bytes read back from disk: any blob is
 * refused or decodes to a window that encodes and decodes again to the same window. */
#include <stdlib.h>
#include <string.h>

#include "window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct window first, second;
static uint8_t buf[WINDOW_ENCODED_MAX];

/* A count window's running sums equal what its ring holds (1 = failed, 2 = slow,
 * as window.c stores outcomes). */
static bool sums_match_ring(const struct window *w)
{
	uint32_t failures = 0, slow = 0;

	if (w->kind != WINDOW_CALLS)
		return true;
	for (uint32_t i = 0; i < w->count; i++) {
		failures += (w->ring[i] & 1) != 0;
		slow += (w->ring[i] & 2) != 0;
	}
	return w->calls == w->count && w->failures == failures && w->slow == slow;
}

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
	/* What a decoded window is then used for must be safe whatever it held, and
	 * its sums must stay true to its outcomes as new ones push old ones out. */
	if (!sums_match_ring(&second))
		abort();
	(void)window_sums(&second, 0);
	for (size_t i = 0; i < size % 7 + 1; i++) {
		window_add(&second, (int64_t)(size + i) * 1000, (size + i) & 1, (size + i) & 2);
		if (!sums_match_ring(&second))
			abort();
	}
	(void)window_sums(&second, INT64_MAX);
	return 0;
}
