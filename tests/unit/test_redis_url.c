/* Unit tests for redis_url_parse: every form of location, and every refusal. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "redis-conn.h"
#include "tap.h"

static struct redis_url u;
static char err[512];

static int parse(const char *url)
{
	err[0] = '\0';
	return redis_url_parse(url, &u, err, sizeof(err));
}

/* url is refused, with a message holding want and never the secret. */
static void refused(const char *url, const char *want, const char *secret)
{
	int r = parse(url);

	ok(r < 0 && strstr(err, want) && !(secret && strstr(err, secret)), "%s refused: %s", url,
	   err);
}

static void test_tcp(void)
{
	ok(parse("redis://127.0.0.1") == 0 && u.kind == REDIS_TCP &&
		   strcmp(u.server.host, "127.0.0.1") == 0 && u.server.port == REDIS_DEFAULT_PORT &&
		   u.db == 0 && strcmp(u.prefix, "cbexec:") == 0 && u.connect_timeout_ms == 50 &&
		   u.timeout_ms == 500 && !*u.user && !*u.password && !u.tls,
	   "redis://127.0.0.1: the defaults");
	ok(parse("redis://cache.example:6380/3") == 0 && u.server.port == 6380 && u.db == 3 &&
		   strcmp(u.server.host, "cache.example") == 0,
	   "host, port and db");
	ok(parse("redis://h/") == 0 && u.db == 0, "a bare / is db 0");
	ok(parse("redis://[::1]:7000/1") == 0 && strcmp(u.server.host, "::1") == 0 &&
		   u.server.port == 7000 && u.db == 1,
	   "an IPv6 address in brackets");
	ok(parse("redis://:s3cret@h") == 0 && !*u.user && strcmp(u.password, "s3cret") == 0,
	   ":password@ is the default user's password");
	ok(parse("redis://app:pa%40ss%3Aw%2Fd@h:1/2") == 0 && strcmp(u.user, "app") == 0 &&
		   strcmp(u.password, "pa@ss:w/d") == 0 && u.server.port == 1 && u.db == 2,
	   "user:password@, percent-decoded");
	ok(parse("redis://:p@ss/w:rd@h:6390") == 0 && strcmp(u.password, "p@ss/w:rd") == 0 &&
		   strcmp(u.server.host, "h") == 0 && u.server.port == 6390,
	   "an unencoded @, / or : stays in the password (the last @ ends it)");
	ok(parse("redis://h?prefix=jobs:&connect_timeout=20ms&timeout=1.5s&db=4") == 0 &&
		   strcmp(u.prefix, "jobs:") == 0 && u.connect_timeout_ms == 20 &&
		   u.timeout_ms == 1500 && u.db == 4,
	   "options: prefix, timeouts as durations, db");
	ok(parse("redis://h?timeout=2") == 0 && u.timeout_ms == 2000, "bare seconds");
	ok(parse("redis://h?user=app&password=x%26y") == 0 && strcmp(u.user, "app") == 0 &&
		   strcmp(u.password, "x&y") == 0,
	   "user= and password= options");
	/* store_is_redis() takes the scheme in any case: so does the parser. */
	ok(parse("REDIS://h:7000/1") == 0 && u.kind == REDIS_TCP && u.server.port == 7000 &&
		   u.db == 1,
	   "the scheme in capitals");
	ok(parse("Unix:///tmp/r.sock") == 0 && u.kind == REDIS_UNIX, "unix:// in any case");
}

static void test_unix(void)
{
	ok(parse("unix:///run/redis/redis.sock") == 0 && u.kind == REDIS_UNIX &&
		   strcmp(u.path, "/run/redis/redis.sock") == 0 && u.db == 0,
	   "unix:///path");
	ok(parse("unix:///tmp/r%20s.sock?db=2&password=pw") == 0 &&
		   strcmp(u.path, "/tmp/r s.sock") == 0 && u.db == 2 &&
		   strcmp(u.password, "pw") == 0,
	   "unix:// with db= and password=, the path percent-decoded");
	ok(parse("unix://app:pw@/tmp/r.sock") == 0 && strcmp(u.user, "app") == 0 &&
		   strcmp(u.path, "/tmp/r.sock") == 0,
	   "unix://user:password@/path");
	refused("unix://tmp/r.sock", "absolute path", NULL);
	refused("unix://", "absolute path", NULL);
	refused("unix:///tmp/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock",
		"longer than 107", NULL);
	refused("unix:///tmp/r.sock?sentinelMasterId=m", "redis-sentinel://", NULL);
}

static void test_sentinel(void)
{
	ok(parse("redis-sentinel://s1,s2:26380,[::1]/2?sentinelMasterId=mymaster") == 0 &&
		   u.kind == REDIS_SENTINEL && u.nsentinels == 3 &&
		   strcmp(u.sentinels[0].host, "s1") == 0 &&
		   u.sentinels[0].port == REDIS_DEFAULT_SENTINEL_PORT &&
		   u.sentinels[1].port == 26380 && strcmp(u.sentinels[2].host, "::1") == 0 &&
		   u.db == 2 && strcmp(u.master, "mymaster") == 0,
	   "sentinels with and without ports, db, master");
	ok(parse("redis-sentinel://:pw@127.0.0.1:5000?sentinelMasterId=m") == 0 &&
		   strcmp(u.password, "pw") == 0 && u.nsentinels == 1,
	   "the password is the master's");
	refused("redis-sentinel://s1,s2", "sentinelMasterId", NULL);
	refused("redis-sentinel://a,b,c,d,e,f,g,h,i?sentinelMasterId=m", "more than 8", NULL);
	refused("redis-sentinel://a,,b?sentinelMasterId=m", "no host", NULL);
	refused("redis-sentinel://a?sentinelMasterId=m%20x", "master name", NULL);
	refused("redis://a,b", "redis-sentinel://", NULL);
}

static void test_refusals(void)
{
	refused("rediss://h", "no TLS", NULL);
	refused("http://h", "not a Redis URL", NULL);
	refused("redis://", "no host", NULL);
	refused("redis://h:0", "out of range", NULL);
	refused("redis://h:65536", "out of range", NULL);
	refused("redis://h:x", "not a number", NULL);
	refused("redis://app:hunter2", "port is not a number", "hunter2");
	refused("redis://:hunt?er2@h", "not a name or an address", "hunt");
	refused("redis://:pw@h?s3cr@t", "percent-encoded", "s3cr");
	refused("redis://h:", "missing", NULL);
	refused("redis://h/x", "not a number", NULL);
	refused("redis://h/-1", "database", NULL);
	refused("redis://h/1?db=1", "twice", NULL);
	refused("redis://h?timout=1s", "did you mean timeout=", NULL);
	refused("redis://h?zzz=1", "unknown option", NULL);
	refused("redis://h?timeout", "no value", NULL);
	refused("redis://h?timeout=", "empty", NULL);
	refused("redis://h?timeout=1s&timeout=2s", "twice", NULL);
	refused("redis://h?timeout=0", "timeout= is too small (1ms to 10m)", NULL);
	refused("redis://h?timeout=5x", "not a duration", NULL);
	refused("redis://h?timeout=11m", "too large", NULL);
	refused("redis://h?connect_timeout=2m", "too large", NULL);
	refused("redis://h?timeout=1s&", "empty option", NULL);
	refused("redis://h?prefix=a{b}", "brace", NULL);
	refused("redis://h?prefix=a%20b", "space", NULL);
	refused("redis://h?prefix=%zz", "%-escape", NULL);
	refused("redis://h?password=%00", "%-escape", NULL);
	refused("redis://s3cret@h", "the user has no password", "s3cret");
	refused("redis://@h", "nothing before the @", NULL);
	refused("redis://app@h?user=app&password=x", "user is given twice", NULL);
	refused("redis://:@h", "empty", NULL);
	refused("redis://h?user=app", "no password", NULL);
	ok(parse("redis://app@h?password=x") == 0 && strcmp(u.user, "app") == 0 &&
		   strcmp(u.password, "x") == 0,
	   "user@ with password=");
	refused("redis://:hunter2@h?password=other", "twice", "hunter2");
	refused("redis://:hunter2@h?password_file=/x", "twice", "hunter2");
	refused("redis://:hunter2@h:99999", "out of range", "hunter2");
	refused("redis://:hunter2@h?tmeout=1", "did you mean", "hunter2");
	refused("redis://:hunter2@ho$t", "not a name or an address", "hunter2");
	refused("redis://:secret@h?timeout=secret", "not a duration", "secret");
	refused("redis://:hunter2@h#frag", "#", "hunter2");
	refused("redis://h%41", "not a name or an address", NULL);
	refused("redis://[::1", "not closed", NULL);
	refused("redis://[::1]x", "after the ]", NULL);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0 ||
	    chmod(path, mode) < 0) {
		perror(path);
		exit(1);
	}
}

static void test_password_file(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], f[300], url[400];

	snprintf(dir, sizeof(dir), "%s/test_redis_url.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(f, sizeof(f), "%s/pw", dir);
	snprintf(url, sizeof(url), "redis://app@h:6380/0?password_file=%s", f);

	write_file(f, "s3cret\n", 0600);
	ok(parse(url) == 0 && strcmp(u.password, "s3cret") == 0 && strcmp(u.user, "app") == 0,
	   "password_file=: its line, without the newline");
	write_file(f, "s3cret\r\n", 0640);
	ok(parse(url) == 0 && strcmp(u.password, "s3cret") == 0,
	   "a CRLF ending is not part of it; group-readable is allowed");
	write_file(f, "s3cret", 0400);
	ok(parse(url) == 0 && strcmp(u.password, "s3cret") == 0, "no final newline");
	write_file(f, "s3cret\n", 0604);
	refused(url, "readable by others", "s3cret");
	write_file(f, "s3cret\n", 0620);
	refused(url, "writable by group", "s3cret");
	write_file(f, "s3cret\nmore\n", 0600);
	refused(url, "more than one line", "s3cret");
	write_file(f, "\n", 0600);
	refused(url, "is empty", NULL);
	unlink(f);
	refused(url, "No such file", NULL);
	snprintf(url, sizeof(url), "redis://app:x@h?password_file=%s", f);
	refused(url, "given twice", NULL);
	snprintf(url, sizeof(url), "redis://app@h?password_file=%s", f);
	if (mkdir(f, 0700) == 0) {
		refused(url, "not a regular file", NULL);
		rmdir(f);
	}
	rmdir(dir);
}

static void test_marker(void)
{
	char a[256], b[256], c[256];
	struct redis_url v;

	parse("redis://10.0.0.1:6380/0");
	redis_marker_path(&u, "/s/b.db", a, sizeof(a));
	parse("redis://10.0.0.1:6380/5?timeout=1s");
	redis_marker_path(&u, "/s/b.db", b, sizeof(b));
	v = u;
	parse("redis://10.0.0.1:6381/0");
	redis_marker_path(&u, "/s/b.db", c, sizeof(c));
	ok(strncmp(a, "/s/redis-down-", 14) == 0 && strlen(a) == 14 + 16,
	   "the marker is beside the local file: %s", a);
	redis_marker_path(&u, "b.db", c, sizeof(c));
	ok(strncmp(c, "redis-down-", 11) == 0, "a relative local file: %s", c);
	redis_marker_path(&u, "/s/b.db", c, sizeof(c));
	ok(strcmp(a, b) == 0 && strcmp(a, c) != 0, "one marker per server, whatever the db");
	ok(redis_marker_path(&v, "/s/b.db", a, 20) < 0, "a marker path too long is refused");
}

int main(void)
{
	test_tcp();
	test_unix();
	test_sentinel();
	test_refusals();
	test_password_file();
	test_marker();
	return tap_done();
}
