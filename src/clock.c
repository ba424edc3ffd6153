/* The clocks cbexec reads (wall for dates, boot for shared deadlines, monotonic for
 * waits) and the chance it draws: what struct breaker_env hands the machine. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"

static int64_t read_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The kernel's boot id names this boot: CLOCK_BOOTTIME values compare only
 * between processes of the same boot. Its first 60 bits, as a positive number
 * that fits an SQLite INTEGER; 0 when it cannot be read (not Linux, no /proc),
 * which sends every deadline to the wall clock.
 */
static int64_t read_boot_id(void)
{
	char buf[64];
	uint64_t id = 0;
	int fd, n, digits = 0;
	ssize_t len;

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (ssize_t i = 0; i < len && digits < 15; i++) {
		if ((n = parse_hex_digit(buf[i])) < 0)
			continue; /* the dashes */
		id = id << 4 | (uint64_t)n;
		digits++;
	}
	return digits == 15 ? (int64_t)id : 0;
}

void clock_now(struct breaker_env *env)
{
	static int64_t boot_id;
	static bool known;

	if (!known) {
		boot_id = read_boot_id();
		known = true;
	}
	env->now_ms = read_ms(CLOCK_REALTIME);
	env->boot_ms = read_ms(CLOCK_BOOTTIME);
	env->boot_id = env->boot_ms > 0 ? boot_id : 0;
}

int64_t clock_mono_ms(void)
{
	return read_ms(CLOCK_MONOTONIC);
}

int64_t clock_wall_ms(void)
{
	return read_ms(CLOCK_REALTIME);
}

void clock_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int64_t clock_secs_until(int64_t now_ms, int64_t then_ms)
{
	return then_ms > now_ms ? (then_ms - now_ms + 999) / 1000 : 0;
}

double clock_jitter(void)
{
	static bool seeded;

	if (!seeded) {
		struct timespec ts;

		/* Processes started in the same microsecond still differ by pid. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		srandom((unsigned)(ts.tv_nsec ^ getpid()));
		seeded = true;
	}
	return (double)random() / RAND_MAX * 2.0 - 1.0;
}
