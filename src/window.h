/* Sliding windows of recent outcomes, by count or by time, with O(1)-bounded cost. */
#ifndef CBEXEC_WINDOW_H
#define CBEXEC_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WINDOW_MAX_CALLS   1000 /* largest --window N */
#define WINDOW_BUCKETS	   60	/* a time window is kept as 60 buckets */
#define WINDOW_ENCODED_MAX (32 + WINDOW_MAX_CALLS + WINDOW_BUCKETS * 20)

enum window_kind {
	WINDOW_NONE = 0,
	WINDOW_CALLS = 1,
	WINDOW_TIME = 2
};

struct window_bucket {
	int64_t start_ms;
	uint32_t calls, failures, slow;
};

struct window {
	enum window_kind kind;
	uint32_t size;			/* WINDOW_CALLS: how many outcomes */
	int64_t span_ms;		/* WINDOW_TIME: how far back */
	uint32_t head;			/* WINDOW_CALLS: next slot in ring */
	uint32_t count;			/* WINDOW_CALLS: slots filled */
	uint32_t calls, failures, slow; /* WINDOW_CALLS: sums over the ring */
	uint8_t ring[WINDOW_MAX_CALLS];
	struct window_bucket buckets[WINDOW_BUCKETS];
};

struct window_sums {
	uint32_t calls, failures, slow;
};

/* Makes w a window of the given shape; keeps its contents if the shape is unchanged. */
void window_configure(struct window *w, uint32_t calls, int64_t span_ms);
void window_clear(struct window *w);
void window_add(struct window *w, int64_t now_ms, bool failure, bool slow);
struct window_sums window_sums(const struct window *w, int64_t now_ms);

/* A stable byte encoding for the store; decode returns -1 on a malformed blob. */
size_t window_encode(const struct window *w, uint8_t *buf, size_t cap);
int window_decode(struct window *w, const uint8_t *buf, size_t len);

#endif
