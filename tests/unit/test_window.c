/* Unit tests for src/window.c: shapes, sums, wrap-around, and every branch of window_decode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "window.h"

#define MIN_MS 60000

static struct window w, back;
static uint8_t buf[WINDOW_ENCODED_MAX];

static bool sums_are(const struct window *win, int64_t now, uint32_t calls, uint32_t failures,
		     uint32_t slow)
{
	struct window_sums s = window_sums(win, now);

	return s.calls == calls && s.failures == failures && s.slow == slow;
}

/* Little-endian, as window.c writes its blobs. */
static uint8_t *put(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

/* The 14-byte header: format, kind, size, span. */
static uint8_t *header(uint8_t *p, uint64_t format, uint64_t kind, uint64_t size, uint64_t span)
{
	p = put(p, format, 1);
	p = put(p, kind, 1);
	p = put(p, size, 4);
	return put(p, span, 8);
}

/* A refused blob leaves the window empty, never half-filled. */
static void refused(const uint8_t *blob, size_t len, const char *what)
{
	memset(&back, 0x5a, sizeof(back));
	ok(window_decode(&back, blob, len) == -1 && back.kind == WINDOW_NONE && back.calls == 0 &&
		   back.count == 0,
	   "refused: %s", what);
}

static void roundtrip(const struct window *win, const char *what)
{
	size_t n = window_encode(win, buf, sizeof(buf));

	memset(&back, 0x5a, sizeof(back));
	ok(n > 0 && window_decode(&back, buf, n) == 0 && back.kind == win->kind &&
		   back.size == win->size && back.span_ms == win->span_ms &&
		   back.head == win->head && back.count == win->count && back.calls == win->calls &&
		   back.failures == win->failures && back.slow == win->slow &&
		   memcmp(back.ring, win->ring, win->count) == 0 &&
		   memcmp(back.buckets, win->buckets, sizeof(back.buckets)) == 0,
	   "round trip: %s (%zu bytes)", what, n);
}

static void test_configure(void)
{
	memset(&w, 0, sizeof(w));
	window_configure(&w, 0, 0);
	ok(w.kind == WINDOW_NONE, "no calls, no span: no window");
	window_add(&w, 1000, true, true);
	ok(sums_are(&w, 1000, 0, 0, 0), "no window counts nothing");

	window_configure(&w, 10, 0);
	ok(w.kind == WINDOW_CALLS && w.size == 10 && w.span_ms == 0, "--window 10: count window");
	window_configure(&w, 10, MIN_MS);
	ok(w.kind == WINDOW_CALLS && w.span_ms == 0, "a count beats a span given with it");
	window_configure(&w, WINDOW_MAX_CALLS + 5, 0);
	ok(w.size == WINDOW_MAX_CALLS, "a count past the ring is cut to %d", WINDOW_MAX_CALLS);
	window_configure(&w, 0, MIN_MS);
	ok(w.kind == WINDOW_TIME && w.span_ms == MIN_MS && w.size == 0, "--window 1m: time window");

	window_configure(&w, 4, 0);
	window_add(&w, 0, true, false);
	window_add(&w, 0, false, true);
	window_configure(&w, 4, 0);
	ok(sums_are(&w, 0, 2, 1, 1), "the same shape again keeps the outcomes");
	window_configure(&w, 5, 0);
	ok(sums_are(&w, 0, 0, 0, 0) && w.count == 0 && w.head == 0, "a new size starts empty");
	window_add(&w, 0, true, false);
	window_configure(&w, 0, MIN_MS);
	ok(sums_are(&w, 0, 0, 0, 0), "a new kind starts empty");
}

static void test_count_window(void)
{
	memset(&w, 0, sizeof(w));
	window_configure(&w, 3, 0);
	window_add(&w, 0, true, false);
	window_add(&w, 0, true, true);
	ok(sums_are(&w, 0, 2, 2, 1) && w.count == 2 && w.head == 2, "two outcomes of three");
	window_add(&w, 0, false, false);
	ok(sums_are(&w, 0, 3, 2, 1) && w.count == 3 && w.head == 0, "full: head wraps to 0");
	window_add(&w, 0, false, false);
	ok(sums_are(&w, 0, 3, 1, 1), "the fourth outcome pushes out the first failure");
	window_add(&w, 0, false, false);
	ok(sums_are(&w, 0, 3, 0, 0), "the fifth pushes out the slow failure");
	for (int i = 0; i < 3000; i++)
		window_add(&w, 0, i % 3 == 0, i % 2 == 0);
	/* the last three: i = 2997 (fail, not slow), 2998 (slow), 2999 (neither) */
	ok(sums_are(&w, 0, 3, 1, 1), "running sums stay exact after many wraps");
	ok(sums_are(&w, 1LL << 50, 3, 1, 1), "a count window ignores time");

	window_clear(&w);
	ok(w.kind == WINDOW_CALLS && w.size == 3 && sums_are(&w, 0, 0, 0, 0) && w.count == 0,
	   "clear empties the ring and keeps its shape");
}

static void test_time_window(void)
{
	const int64_t t0 = 1700000000000LL; /* a multiple of the 1 s bucket width */

	memset(&w, 0, sizeof(w));
	window_configure(&w, 0, MIN_MS);
	window_add(&w, t0, true, false);
	window_add(&w, t0 + 500, false, true);
	window_add(&w, t0 + 30000, true, true);
	ok(sums_are(&w, t0 + 30000, 3, 2, 2), "three outcomes within the minute");
	ok(sums_are(&w, t0 + 59999, 3, 2, 2), "all still inside the span just before it ends");
	ok(sums_are(&w, t0 + 60000, 1, 1, 1), "a minute on, the first second's bucket has left");
	ok(sums_are(&w, t0 + 90000, 0, 0, 0), "90 s on, nothing is left");
	window_add(&w, t0 + 120000, false, false);
	ok(sums_are(&w, t0 + 120000, 1, 0, 0), "a bucket reused after the span starts from zero");
	ok(sums_are(&w, t0 - 3600000, 2, 1, 1),
	   "a clock an hour back still counts the buckets it finds in its future");

	window_clear(&w);
	ok(w.kind == WINDOW_TIME && w.span_ms == MIN_MS && sums_are(&w, t0 + 120000, 0, 0, 0),
	   "clear empties the buckets and keeps the span");

	/* A span under WINDOW_BUCKETS ms still has buckets 1 ms wide. */
	memset(&w, 0, sizeof(w));
	window_configure(&w, 0, 10);
	window_add(&w, 5, true, false);
	ok(sums_are(&w, 5, 1, 1, 0) && sums_are(&w, 15, 0, 0, 0), "a 10 ms span works");
}

static void test_roundtrip(void)
{
	memset(&w, 0, sizeof(w));
	window_configure(&w, 0, 0);
	roundtrip(&w, "no window");
	ok(window_encode(&w, buf, sizeof(buf)) == 14, "no window is the 14-byte header");

	window_configure(&w, 5, 0);
	roundtrip(&w, "empty count window");
	window_add(&w, 0, true, false);
	window_add(&w, 0, false, true);
	roundtrip(&w, "count window, partly filled");
	for (int i = 0; i < 7; i++)
		window_add(&w, 0, i % 2 == 0, i % 3 == 0);
	roundtrip(&w, "count window, full and wrapped");

	window_configure(&w, WINDOW_MAX_CALLS, 0);
	for (int i = 0; i < WINDOW_MAX_CALLS + 10; i++)
		window_add(&w, 0, true, true);
	roundtrip(&w, "the largest count window, full");
	ok(window_encode(&w, buf, sizeof(buf)) <= WINDOW_ENCODED_MAX,
	   "the largest blob fits WINDOW_ENCODED_MAX");

	window_configure(&w, 0, MIN_MS);
	for (int i = 0; i < 200; i++)
		window_add(&w, 1700000000000LL + i * 700, i % 4 == 0, i % 5 == 0);
	roundtrip(&w, "time window with every bucket used");
	ok(window_encode(&w, buf, WINDOW_ENCODED_MAX - 1) == 0,
	   "encode refuses a buffer smaller than WINDOW_ENCODED_MAX");
}

static void test_malformed(void)
{
	uint8_t b[WINDOW_ENCODED_MAX + 8], *p;
	size_t n;

	memset(b, 0, sizeof(b));
	refused(b, 0, "empty blob");
	header(b, 1, WINDOW_NONE, 0, 0);
	refused(b, 13, "short: 13 bytes of a 14-byte header");
	ok(window_decode(&back, b, 14) == 0 && back.kind == WINDOW_NONE,
	   "the header alone is none");
	refused(b, 15, "no window followed by a stray byte");

	header(b, 0, WINDOW_NONE, 0, 0);
	refused(b, 14, "format 0");
	header(b, 2, WINDOW_NONE, 0, 0);
	refused(b, 14, "format 2, newer than this cbexec");
	header(b, 1, 3, 0, 0);
	refused(b, 14, "unknown kind 3");
	header(b, 1, 255, 0, 0);
	refused(b, 14, "unknown kind 255");

	/* Count windows. */
	p = header(b, 1, WINDOW_CALLS, 0, 0);
	p = put(p, 0, 4);
	p = put(p, 0, 4);
	refused(b, (size_t)(p - b), "count window of size 0");
	p = header(b, 1, WINDOW_CALLS, WINDOW_MAX_CALLS + 1, 0);
	p = put(p, 0, 4);
	p = put(p, 0, 4);
	refused(b, (size_t)(p - b), "count window larger than the ring");
	p = header(b, 1, WINDOW_CALLS, 0xffffffffu, 0);
	refused(b, sizeof(b), "count window of size 2^32-1");
	header(b, 1, WINDOW_CALLS, 5, 0);
	refused(b, 14, "count window with no head or count");
	refused(b, 21, "count window cut inside its count");
	p = header(b, 1, WINDOW_CALLS, 5, 0);
	p = put(p, 5, 4); /* head == size */
	p = put(p, 0, 4);
	refused(b, (size_t)(p - b), "head past the ring");
	p = header(b, 1, WINDOW_CALLS, 5, 0);
	p = put(p, 0, 4);
	p = put(p, 6, 4); /* count > size */
	memset(p, 1, 6);
	refused(b, (size_t)(p - b) + 6, "count past the window's size");
	p = header(b, 1, WINDOW_CALLS, 5, 0);
	p = put(p, 1, 4); /* head 1 with 3 of 5 filled: add() never leaves that */
	p = put(p, 3, 4);
	memset(p, 1, 3);
	refused(b, (size_t)(p - b) + 3, "a ring not yet full whose head is not its count");
	p = header(b, 1, WINDOW_CALLS, 3, 0);
	p = put(p, 1, 4); /* full: any head is fine */
	p = put(p, 3, 4);
	memset(p, 1, 3);
	ok(window_decode(&back, b, (size_t)(p - b) + 3) == 0 && back.head == 1,
	   "a full ring may have its head anywhere");
	p = header(b, 1, WINDOW_CALLS, 5, 0);
	p = put(p, 3, 4);
	p = put(p, 3, 4);
	memcpy(p, "\x01\x04\x02", 3);
	refused(b, (size_t)(p - b) + 3, "a ring byte with a bit window_add never sets");
	p = header(b, 1, WINDOW_CALLS, 5, 0);
	p = put(p, 3, 4);
	p = put(p, 3, 4);
	memset(p, 1, 3);
	n = (size_t)(p - b);
	refused(b, n + 2, "fewer ring bytes than the count");
	refused(b, n + 4, "more ring bytes than the count");
	ok(window_decode(&back, b, n + 3) == 0 && back.count == 3 && back.failures == 3 &&
		   back.calls == 3,
	   "the same blob with exactly count bytes decodes, sums rebuilt from the ring");
	p[0] = 2; /* slow, not failed */
	ok(window_decode(&back, b, n + 3) == 0 && back.failures == 2 && back.slow == 1,
	   "ring bytes give failures and slow calls apart");

	/* Time windows. */
	p = header(b, 1, WINDOW_TIME, 0, MIN_MS);
	memset(p, 0, WINDOW_BUCKETS * 20);
	n = (size_t)(p - b) + WINDOW_BUCKETS * 20;
	ok(window_decode(&back, b, n) == 0 && back.kind == WINDOW_TIME && back.span_ms == MIN_MS,
	   "an all-zero time window decodes");
	put(b + 14 + 8, 1, 4);	/* bucket 0: 1 call... */
	put(b + 14 + 12, 2, 4); /* ...and 2 failures */
	refused(b, n, "a bucket with more failures than calls");
	put(b + 14 + 12, 0, 4);
	put(b + 14 + 16, 2, 4);
	refused(b, n, "a bucket with more slow calls than calls");
	put(b + 14 + 16, 1, 4);
	ok(window_decode(&back, b, n) == 0 && back.buckets[0].calls == 1 &&
		   back.buckets[0].slow == 1,
	   "a bucket of one slow call decodes");
	refused(b, n - 1, "time window one byte short");
	refused(b, n + 1, "time window one byte long");
	refused(b, 14, "time window with no buckets");
	header(b, 1, WINDOW_TIME, 0, 0);
	refused(b, n, "time window of span 0");
	header(b, 1, WINDOW_TIME, 0, (uint64_t)-MIN_MS);
	refused(b, n, "time window of negative span");

	/* Garbage. */
	memset(b, 0xff, sizeof(b));
	refused(b, sizeof(b), "all 0xff");
	srand(16);
	for (int i = 0; i < 8; i++) {
		size_t len = (size_t)rand() % sizeof(b);

		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t)rand();
		b[0] = 1; /* past the version check, into the kinds */
		b[1] = (uint8_t)(1 + i % 2);
		refused(b, len, "random bytes behind a valid format and kind");
	}
}

int main(void)
{
	test_configure();
	test_count_window();
	test_time_window();
	test_roundtrip();
	test_malformed();
	return tap_done();
}
