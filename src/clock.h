/* The clocks cbexec reads: wall for dates, boot for shared deadlines, monotonic for waits. */
#ifndef CBEXEC_CLOCK_H
#define CBEXEC_CLOCK_H

#include <stdint.h>

#include "breaker.h"

/* Fills env's now_ms, boot_ms and boot_id; leaves jitter alone. */
void clock_now(struct breaker_env *env);
/* CLOCK_MONOTONIC in ms: for waits and elapsed times within one process. */
int64_t clock_mono_ms(void);

#endif
