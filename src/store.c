/* The store's front: the backend chosen by the location's scheme, the
 * operations dispatched to it, and the location made fit to print. */
#include <stdio.h>
#include <string.h>

#include "store.h"

/* Every backend's struct store begins with its struct store_base. */
static const struct store_ops *ops(const struct store *s)
{
	return ((const struct store_base *)(const void *)s)->ops;
}

static const char *const redis_schemes[] = { "redis://", "rediss://", "unix://",
					     "redis-sentinel://" };

/* Does s begin with lower (lower case), in any case? Compared by hand, in
 * ASCII, since every call asks and a libc function more is a relocation more
 * at start. */
static bool ascii_prefix(const char *s, const char *lower)
{
	for (; *lower; s++, lower++)
		if (*s != *lower && !(*s >= 'A' && *s <= 'Z' && *s - 'A' + 'a' == *lower))
			return false;
	return true;
}

/* The length of location's Redis scheme with its "://", or 0 for a path. A
 * scheme is case-insensitive (RFC 3986). */
static size_t redis_scheme(const char *location)
{
	for (size_t i = 0; i < sizeof(redis_schemes) / sizeof(*redis_schemes); i++)
		if (ascii_prefix(location, redis_schemes[i]))
			return strlen(redis_schemes[i]);
	return 0;
}

bool store_is_redis(const char *location)
{
	return redis_scheme(location) != 0;
}

/*
 * A password can sit in two places of a Redis URL: the user information
 * (redis://user:PASS@host, redis://:PASS@host; and redis://PASS@host, which
 * redis-cli reads as a password) and a query parameter whose name holds
 * "pass" (password=, a mistyped pass=; not password_file=, a path that must
 * show when it is wrong). Both become ***. The user information
 * ends at the last @ of the whole location, not at the first ? or #: a
 * password may hold those, badly escaped, and a host never holds an @. What
 * this hides of a query that holds an @ is better hidden than a password
 * shown. A file path is printed as it is.
 */
void store_location_mask(const char *location, char *buf, size_t len)
{
	const char *p, *auth, *end, *at, *colon;
	size_t o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
#define PUT(s, n)                                                                                  \
	do {                                                                                       \
		size_t n_ = (n);                                                                   \
		if (o + n_ >= len)                                                                 \
			n_ = len - 1 - o;                                                          \
		memcpy(buf + o, (s), n_);                                                          \
		o += n_;                                                                           \
		buf[o] = '\0';                                                                     \
	} while (0)
	if (!redis_scheme(location)) {
		PUT(location, strlen(location));
		return;
	}
	auth = location + redis_scheme(location);
	at = strrchr(auth, '@');
	PUT(location, (size_t)(auth - location));
	if (at) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon && !memchr(auth, '?', (size_t)(colon - auth)) &&
		    !memchr(auth, '#', (size_t)(colon - auth)))
			PUT(auth, (size_t)(colon + 1 - auth));
		PUT("***", 3);
		p = at;
	} else {
		p = auth;
	}
	end = p + strcspn(p, "?#");
	PUT(p, (size_t)(end - p));
	/* The query: name=value pairs after ? separated by &. */
	for (p = end; *p;) {
		size_t n = strcspn(p + 1, "&#") + 1, key;
		const char *eq = memchr(p + 1, '=', n - 1);
		bool secret = false;

		if (eq) {
			key = (size_t)(eq - (p + 1));
			for (size_t i = 0; i + 4 <= key; i++)
				if (ascii_prefix(p + 1 + i, "pass"))
					secret = true;
			/* password_file= names a file, no secret: a wrong path must show. */
			if (key == 13 && ascii_prefix(p + 1, "password_file"))
				secret = false;
		}
		if (secret) {
			PUT(p, (size_t)(eq + 1 - p));
			PUT("***", 3);
		} else {
			PUT(p, n);
		}
		p += n;
	}
#undef PUT
}

int store_open(struct store **sp, const char *location, enum store_mode mode, const char *local,
	       char *err, size_t errlen)
{
	*sp = NULL;
	if (store_is_redis(location)) {
#ifdef CBEXEC_REDIS
		return store_redis_open(sp, location, mode, local, err, errlen);
#else
		(void)local;
		snprintf(err, errlen,
			 "this cbexec was built without Redis support; give a state file path, "
			 "or use a cbexec built with hiredis");
		return STORE_ERR;
#endif
	}
	return store_sqlite_open(sp, location, mode, err, errlen);
}

#ifndef CBEXEC_REDIS
const char *store_redis_version(void)
{
	return "no Redis support";
}
#endif

void store_close(struct store *s)
{
	if (s)
		ops(s)->close(s);
}

const char *store_errmsg(const struct store *s)
{
	return ops(s)->errmsg(s);
}

void store_set_lock_timeout(struct store *s, int64_t ms)
{
	ops(s)->set_lock_timeout(s, ms);
}

int store_now(struct store *s, struct breaker_env *env)
{
	return ops(s)->now(s, env);
}

int store_snapshot_begin(struct store *s)
{
	return ops(s)->snapshot_begin(s);
}

void store_snapshot_end(struct store *s)
{
	ops(s)->snapshot_end(s);
}

int store_admit(struct store *s, const struct store_call *c, struct store_result *r)
{
	return ops(s)->admit(s, c, r);
}

int store_record(struct store *s, const struct store_call *c, struct store_result *r)
{
	return ops(s)->record(s, c, r);
}

int store_release(struct store *s, const char *name, int64_t lease)
{
	return ops(s)->release(s, name, lease);
}

int store_manual(struct store *s, const struct store_manual *m, struct store_result *r)
{
	return ops(s)->manual(s, m, r);
}

int store_read(struct store *s, const char *name, int64_t now_ms, struct breaker_state *st,
	       struct breaker_settings *saved)
{
	return ops(s)->read(s, name, now_ms, st, saved);
}

int store_read_now(struct store *s, const char *name, struct breaker_env *env,
		   struct breaker_state *st, struct breaker_settings *saved)
{
	int rc;

	if (ops(s)->read_now)
		return ops(s)->read_now(s, name, env, st, saved);
	if ((rc = store_now(s, env)) != STORE_OK)
		return rc;
	return store_read(s, name, env->now_ms, st, saved);
}

int store_each(struct store *s, store_each_fn fn, void *ctx)
{
	return ops(s)->each(s, fn, ctx);
}

int store_history(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
		  store_event_fn fn, void *ctx)
{
	return ops(s)->history(s, name, limit, since_ms, fn, ctx);
}

int store_delete(struct store *s, const char *name)
{
	return ops(s)->delete (s, name);
}
