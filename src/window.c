/* Sliding windows of recent outcomes, by count or by time, with O(1)-bounded cost. */
#include <string.h>

#include "window.h"

/*
 * A count window is a ring of one byte per outcome plus running sums, so adding
 * one costs the same however many calls were ever made. A time window is
 * WINDOW_BUCKETS buckets each span/WINDOW_BUCKETS wide: an outcome lands in the
 * bucket of its time, a bucket older than the span is reused, and the sums are
 * taken over the buckets still inside the span (resilience4j does the same).
 */

#define RING_FAILURE 1
#define RING_SLOW    2

void window_clear(struct window *w)
{
	enum window_kind kind = w->kind;
	uint32_t size = w->size;
	int64_t span = w->span_ms;

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->size = size;
	w->span_ms = span;
}

void window_configure(struct window *w, uint32_t calls, int64_t span_ms)
{
	enum window_kind kind = calls ? WINDOW_CALLS : span_ms ? WINDOW_TIME : WINDOW_NONE;

	if (calls > WINDOW_MAX_CALLS)
		calls = WINDOW_MAX_CALLS;
	if (kind == w->kind && calls == w->size && span_ms == w->span_ms)
		return;
	w->kind = kind;
	w->size = calls;
	w->span_ms = kind == WINDOW_TIME ? span_ms : 0;
	window_clear(w);
}

static int64_t bucket_width(const struct window *w)
{
	int64_t width = w->span_ms / WINDOW_BUCKETS;

	return width > 0 ? width : 1;
}

void window_add(struct window *w, int64_t now_ms, bool failure, bool slow)
{
	if (w->kind == WINDOW_CALLS) {
		uint8_t *slot = &w->ring[w->head];

		if (w->count == w->size) {
			w->calls--;
			w->failures -= (*slot & RING_FAILURE) != 0;
			w->slow -= (*slot & RING_SLOW) != 0;
		} else {
			w->count++;
		}
		*slot = (failure ? RING_FAILURE : 0) | (slow ? RING_SLOW : 0);
		w->calls++;
		w->failures += failure;
		w->slow += slow;
		w->head = (w->head + 1) % w->size;
	} else if (w->kind == WINDOW_TIME) {
		int64_t width = bucket_width(w);
		int64_t start = now_ms - now_ms % width;
		struct window_bucket *b = &w->buckets[(start / width) % WINDOW_BUCKETS];

		if (b->start_ms != start) {
			memset(b, 0, sizeof(*b));
			b->start_ms = start;
		}
		b->calls++;
		b->failures += failure;
		b->slow += slow;
	}
}

struct window_sums window_sums(const struct window *w, int64_t now_ms)
{
	struct window_sums s = { 0, 0, 0 };

	if (w->kind == WINDOW_CALLS) {
		s.calls = w->calls;
		s.failures = w->failures;
		s.slow = w->slow;
	} else if (w->kind == WINDOW_TIME) {
		for (int i = 0; i < WINDOW_BUCKETS; i++) {
			const struct window_bucket *b = &w->buckets[i];

			/* A clock that went backwards leaves buckets "in the future":
			 * they still count rather than vanish. */
			if (b->calls == 0 || b->start_ms <= now_ms - w->span_ms)
				continue;
			s.calls += b->calls;
			s.failures += b->failures;
			s.slow += b->slow;
		}
	}
	return s;
}

/* Little-endian fixed-width fields, so the blob does not depend on struct layout. */
static uint8_t *put(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static const uint8_t *get(const uint8_t *p, uint64_t *v, int bytes)
{
	*v = 0;
	for (int i = 0; i < bytes; i++)
		*v |= (uint64_t)*p++ << (8 * i);
	return p;
}

#define WINDOW_FORMAT 1

size_t window_encode(const struct window *w, uint8_t *buf, size_t cap)
{
	uint8_t *p = buf;

	if (cap < WINDOW_ENCODED_MAX)
		return 0;
	p = put(p, WINDOW_FORMAT, 1);
	p = put(p, (uint64_t)w->kind, 1);
	p = put(p, w->size, 4);
	p = put(p, (uint64_t)w->span_ms, 8);
	if (w->kind == WINDOW_CALLS) {
		p = put(p, w->head, 4);
		p = put(p, w->count, 4);
		memcpy(p, w->ring, w->count);
		p += w->count;
	} else if (w->kind == WINDOW_TIME) {
		for (int i = 0; i < WINDOW_BUCKETS; i++) {
			const struct window_bucket *b = &w->buckets[i];

			p = put(p, (uint64_t)b->start_ms, 8);
			p = put(p, b->calls, 4);
			p = put(p, b->failures, 4);
			p = put(p, b->slow, 4);
		}
	}
	return (size_t)(p - buf);
}

int window_decode(struct window *w, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t v, kind, size, span, head, count;

	memset(w, 0, sizeof(*w));
	if (len < 14)
		return -1;
	p = get(p, &v, 1);
	if (v != WINDOW_FORMAT)
		return -1;
	p = get(p, &kind, 1);
	p = get(p, &size, 4);
	p = get(p, &span, 8);
	if (kind == WINDOW_CALLS) {
		if (size == 0 || size > WINDOW_MAX_CALLS || end - p < 8)
			return -1;
		p = get(p, &head, 4);
		p = get(p, &count, 4);
		/* Until the ring is full, head is the count: window_add() fills it in
		 * order. A blob that says otherwise would make later sums drift. */
		if (head >= size || count > size || (count < size && head != count) ||
		    (size_t)(end - p) != count)
			return -1;
		w->kind = WINDOW_CALLS;
		w->size = (uint32_t)size;
		w->head = (uint32_t)head;
		w->count = (uint32_t)count;
		for (uint64_t i = 0; i < count; i++) {
			uint8_t r = p[i];

			if ((r & ~(RING_FAILURE | RING_SLOW)) != 0) {
				memset(w, 0, sizeof(*w));
				return -1;
			}
			w->ring[i] = r;
			w->calls++;
			w->failures += (r & RING_FAILURE) != 0;
			w->slow += (r & RING_SLOW) != 0;
		}
		return 0;
	}
	if (kind == WINDOW_TIME) {
		if ((size_t)(end - p) != WINDOW_BUCKETS * 20 || (int64_t)span <= 0)
			return -1;
		w->kind = WINDOW_TIME;
		w->span_ms = (int64_t)span;
		for (int i = 0; i < WINDOW_BUCKETS; i++) {
			struct window_bucket *b = &w->buckets[i];

			p = get(p, &v, 8);
			b->start_ms = (int64_t)v;
			p = get(p, &v, 4);
			b->calls = (uint32_t)v;
			p = get(p, &v, 4);
			b->failures = (uint32_t)v;
			p = get(p, &v, 4);
			b->slow = (uint32_t)v;
			/* Each failure or slow call is also a call; more would give a
			 * rate over 100%. */
			if (b->failures > b->calls || b->slow > b->calls) {
				memset(w, 0, sizeof(*w));
				return -1;
			}
		}
		return 0;
	}
	return kind == WINDOW_NONE && p == end ? 0 : -1;
}
