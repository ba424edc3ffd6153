/* Unit tests for src/store.c's location helpers: which locations are Redis, and
 * a location made fit to print, with no password left in it. */
#include <string.h>

/* store.c whole, the backends stubbed: the helpers are pure, the rest of it
 * dispatches to backends this test does not link. */
#include "store.c"
#include "tap.h"

int store_sqlite_open(struct store **sp, const char *path, enum store_mode mode, char *err,
		      size_t errlen)
{
	(void)sp, (void)path, (void)mode, (void)err, (void)errlen;
	return STORE_ERR;
}

#ifdef CBEXEC_REDIS
int store_redis_open(struct store **sp, const char *url, enum store_mode mode, const char *local,
		     char *err, size_t errlen)
{
	(void)sp, (void)url, (void)mode, (void)local, (void)err, (void)errlen;
	return STORE_ERR;
}
#endif

static void mask_is(const char *in, const char *want)
{
	char buf[256];

	store_location_mask(in, buf, sizeof(buf));
	ok(strcmp(buf, want) == 0, "%s -> %s (got %s)", in, want, buf);
}

int main(void)
{
	char small[12];

	ok(store_is_redis("redis://127.0.0.1:7000/0"), "redis:// is Redis");
	ok(store_is_redis("rediss://h/0"), "rediss:// is Redis");
	ok(store_is_redis("unix:///run/redis.sock"), "unix:// is Redis");
	ok(store_is_redis("redis-sentinel://h1,h2/0?sentinelMasterId=m"),
	   "redis-sentinel:// is Redis");
	ok(store_is_redis("REDIS://h"), "a scheme in any case");
	ok(!store_is_redis("/var/lib/cbexec/breakers.db"), "an absolute path is a file");
	ok(!store_is_redis("breakers.db"), "a relative path is a file");
	ok(!store_is_redis("redis:/x"), "redis:/x is a relative path");
	ok(!store_is_redis("./redis://x"), "./redis://x is a path");
	ok(!store_is_redis(""), "an empty location is not Redis");

	mask_is("redis://cbexec:s3cret@db.example:6380/2", "redis://cbexec:***@db.example:6380/2");
	mask_is("redis://:s3cret@127.0.0.1/0", "redis://:***@127.0.0.1/0");
	mask_is("redis://s3cret@127.0.0.1/0", "redis://***@127.0.0.1/0");
	mask_is("redis://u:p@ss@h/0", "redis://u:***@h/0");
	mask_is("redis://u:@h", "redis://u:***@h");
	mask_is("unix:///run/redis.sock?db=3&password=s3cret",
		"unix:///run/redis.sock?db=3&password=***");
	mask_is("redis://h/0?password=s3cret&timeout=1s", "redis://h/0?password=***&timeout=1s");
	mask_is("redis-sentinel://h1,h2/0?sentinelMasterId=m&sentinelPassword=x&prefix=cb:",
		"redis-sentinel://h1,h2/0?sentinelMasterId=m&sentinelPassword=***&prefix=cb:");
	mask_is("redis://u:p@h/0?PASSWORD=q", "redis://u:***@h/0?PASSWORD=***");
	mask_is("redis://127.0.0.1:7000/0", "redis://127.0.0.1:7000/0");
	/* The user information ends at the last @: a password with ? or # in it
	 * stays hidden, and an @ in the query hides more than it must. */
	mask_is("redis://:pa#ss@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0");
	mask_is("redis://:pa?ss@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0");
	mask_is("redis://pa?ss@h/0", "redis://***@h/0");
	mask_is("redis://u:pa?s:s@h/0", "redis://u:***@h/0");
	mask_is("redis://h/0?pass=s3cret", "redis://h/0?pass=***");
	mask_is("redis://u@h/0?password_file=/etc/cbexec/pw&password=x",
		"redis://***@h/0?password_file=/etc/cbexec/pw&password=***");
	mask_is("redis://h/0?prefix=a@b", "redis://***@b");
	mask_is("unix:///tmp/r.sock", "unix:///tmp/r.sock");
	mask_is("/home/u/.local/state/cbexec/user:pw@x.db",
		"/home/u/.local/state/cbexec/user:pw@x.db");
	mask_is("breakers.db", "breakers.db");

	store_location_mask("redis://u:secretpassword@h", small, sizeof(small));
	ok(strlen(small) == sizeof(small) - 1 && !strstr(small, "secret"),
	   "a short buffer is cut, never overrun, and shows no password (got %s)", small);
	store_location_mask("redis://u:p@h", small, 1);
	ok(small[0] == '\0', "a buffer of one byte holds the empty string");
	return tap_done();
}
