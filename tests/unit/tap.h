/* A minimal TAP producer for the unit tests; tests/run counts the lines. */
#ifndef CBEXEC_TAP_H
#define CBEXEC_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
	do {                                                                                       \
		int tap_ok_ = !!(cond);                                                            \
		++tap_n;                                                                           \
		if (tap_ok_) {                                                                     \
			printf("ok %d - ", tap_n);                                                 \
		} else {                                                                           \
			++tap_failed;                                                              \
			printf("not ok %d - ", tap_n);                                             \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!tap_ok_)                                                                      \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
