/* libFuzzer target for redis_url_parse: any location is parsed or refused, and a refusal never
 * quotes the password. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redis-conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

static bool unusual(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80 || strchr("!$^*~|`\\", *p))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redis_url u;
	char *s = malloc(size + 1), err[512], marker[64];

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (redis_url_parse(s, &u, err, sizeof(err)) == 0) {
		if (u.tls || u.db < 0 || u.connect_timeout_ms < 1 || u.timeout_ms < 1 ||
		    !terminated(u.user, sizeof(u.user)) ||
		    !terminated(u.password, sizeof(u.password)) ||
		    !terminated(u.prefix, sizeof(u.prefix)) || !terminated(u.path, sizeof(u.path)))
			abort();
		if (u.kind == REDIS_TCP &&
		    (!*u.server.host || u.server.port < 1 || u.server.port > 65535))
			abort();
		if (u.kind == REDIS_UNIX && (u.path[0] != '/' || strlen(u.path) > 107))
			abort();
		if (u.kind == REDIS_SENTINEL &&
		    (u.nsentinels < 1 || u.nsentinels > REDIS_SENTINELS_MAX || !*u.master))
			abort();
		if (*u.user && !*u.password)
			abort();
		if (strchr(u.prefix, '{') || strchr(u.prefix, '}'))
			abort();
		/* The marker name is the local path and 16 hex digits. */
		if (redis_marker_path(&u, "/s/b.db", marker, sizeof(marker)) != 0 ||
		    strlen(marker) != strlen("/s/redis-down-") + 16)
			abort();
	} else {
		/* Whatever of a password was read before the refusal is not in it.
		 * Only a password with a character that no message uses is looked
		 * for: "dis://" occurs in "redis://HOST" by chance. */
		if (!*err || !terminated(err, sizeof(err)))
			abort();
		if (unusual(u.password) && strstr(err, u.password))
			abort();
	}
	free(s);
	return 0;
}
