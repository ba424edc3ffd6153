/* The clocks cbexec reads (wall for dates, boot for shared deadlines, monotonic for
 * waits) and the chance it draws: what struct breaker_env hands the machine. */
#ifndef CBEXEC_CLOCK_H
#define CBEXEC_CLOCK_H

#include <stdint.h>

#include "breaker.h"

/* Fills env's now_ms, boot_ms and boot_id; leaves jitter alone. */
void clock_now(struct breaker_env *env);
/* CLOCK_MONOTONIC in ms: for waits and elapsed times within one process. */
int64_t clock_mono_ms(void);
/* CLOCK_REALTIME in ms since the epoch: for readers that date what they show. */
int64_t clock_wall_ms(void);
/* Sleeps ms milliseconds (less if a signal arrives: callers poll again). */
void clock_sleep_ms(int64_t ms);
/* Whole seconds from now_ms until then_ms, rounded up: "next try in 1s" rather
 * than "in 0s" while anything is left; 0 once then_ms has come. */
int64_t clock_secs_until(int64_t now_ms, int64_t then_ms);
/* Uniform in [-1, 1], for breaker_env.jitter; seeded on first use. */
double clock_jitter(void);

#endif
