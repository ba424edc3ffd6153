/* Redis locations: redis://, unix:// and redis-sentinel:// URLs read into a struct redis_url. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "redis-conn.h"
#include "suggest.h"

/*
 * The grammar, after the URLs redis-cli, redis-py and Jedis take:
 *
 *   redis://[[user]:password@]host[:port][/db][?options]
 *   unix://[[user]:password@]/path/redis.sock[?options]
 *   redis-sentinel://[[user]:password@]h1[:26379][,h2[:port]...][/db]?sentinelMasterId=NAME
 *
 * options: db=, prefix=, connect_timeout=, timeout=, user=, password=,
 * password_file=, and sentinelMasterId= for Sentinel. Everything unknown,
 * repeated, empty or out of range is refused rather than guessed at: a
 * mistyped timeout= that fell back to a default would make every call of a
 * fleet wait longer than its owner believes.
 *
 * Messages never hold the password nor any text that may be part of it: the
 * user information ends at the last '@' before the host, so that an '@', ':'
 * or '/' left unencoded in a password stays in it instead of being quoted
 * back as a host or a port.
 */

#define DEFAULT_PREFIX	       "cbexec:"
#define CONNECT_TIMEOUT_MS     50
#define TIMEOUT_MS	       500
/* Beyond these a "timeout" no longer bounds anything a job would wait for. */
#define CONNECT_TIMEOUT_MAX_MS 60000
#define TIMEOUT_MAX_MS	       600000
#define DB_MAX		       INT32_MAX
/* struct sockaddr_un's sun_path holds 108 bytes with the terminating NUL. */
#define UNIX_PATH_MAX	       107

int redis_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Percent-decodes s[0..n) into out (size len). -1: a bad escape, a NUL, or too long. */
static int decode(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = parse_hex_digit(s[i + 1]);
			lo = parse_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= len)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* A host name or address we would pass to getaddrinfo: letters, digits, . - _,
 * or (for IPv6, given in brackets) hex digits, ':' and '.'. */
static bool host_ok(const char *h, bool bracketed)
{
	if (!*h)
		return false;
	for (const char *p = h; *p; p++) {
		char c = *p;
		bool alnum =
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (bracketed ? !(alnum || c == ':' || c == '.' || c == '%')
			      : !(alnum || c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* host[:port] or [v6]:port, s[0..n), into e. */
static int endpoint_parse(const char *s, size_t n, int defport, struct redis_endpoint *e, char *err,
			  size_t errlen)
{
	const char *end = s + n, *colon = NULL, *hs = s, *he;
	bool bracketed = false;
	char port[16];
	int64_t v;
	enum parse_err why;

	if (n == 0)
		return redis_fail(err, errlen, "no host (redis://HOST[:PORT])");
	if (*s == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return redis_fail(err, errlen,
					  "an IPv6 address opened with [ is not closed with ]");
		hs = s + 1;
		he = close;
		bracketed = true;
		if (close + 1 < end) {
			if (close[1] != ':')
				return redis_fail(err, errlen,
						  "text after the ] of an IPv6 address");
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		he = colon ? colon : end;
	}
	if ((size_t)(he - hs) >= sizeof(e->host))
		return redis_fail(err, errlen, "the host name is longer than %zu characters",
				  sizeof(e->host) - 1);
	memcpy(e->host, hs, (size_t)(he - hs));
	e->host[he - hs] = '\0';
	if (!host_ok(e->host, bracketed))
		return redis_fail(
			err, errlen,
			"the host is not a name or an address (an IPv6 address goes in [])");
	e->port = defport;
	if (colon) {
		size_t pn = (size_t)(end - colon - 1);

		if (pn == 0 || pn >= sizeof(port))
			return redis_fail(err, errlen,
					  "the port after the : is missing or too long");
		memcpy(port, colon + 1, pn);
		port[pn] = '\0';
		/* Not quoted: "user:secret" with the @host forgotten puts the
		 * password here. */
		if (parse_number(port, 1, 65535, &v, &why) < 0)
			return redis_fail(err, errlen, "the port %s (1-65535)",
					  why == PARSE_NOT_NUMBER ? "is not a number"
								  : "is out of range");
		e->port = (int)v;
	}
	return 0;
}

static int db_parse(const char *s, struct redis_url *u, char *err, size_t errlen)
{
	int64_t v;
	enum parse_err why;

	if (parse_number(s, 0, DB_MAX, &v, &why) < 0)
		return redis_fail(err, errlen, "the database %s",
				  why == PARSE_NOT_NUMBER ? "is not a number (/0, /1, ...)"
							  : "is out of range");
	u->db = (int)v;
	return 0;
}

/* The password file's contents, n bytes in buf: its one line is the password. */
static int password_line(const char *buf, size_t n, const char *path, struct redis_url *u,
			 char *err, size_t errlen)
{
	size_t len = strcspn(buf, "\n");

	if (memchr(buf, '\0', n))
		return redis_fail(err, errlen, "password_file=%s: holds a NUL byte", path);
	if (len < n && buf[len + 1] != '\0')
		return redis_fail(
			err, errlen,
			"password_file=%s: more than one line (the password is the only line)",
			path);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0)
		return redis_fail(err, errlen, "password_file=%s: is empty", path);
	if (len >= sizeof(u->password))
		return redis_fail(err, errlen,
				  "password_file=%s: the password is longer than %zu bytes", path,
				  sizeof(u->password) - 1);
	memcpy(u->password, buf, len);
	u->password[len] = '\0';
	return 0;
}

/*
 * A password file is a secret like the configuration file's db = key: it must
 * be a regular file of the caller or root that others can neither read nor
 * write; its first line is the password (a final newline is not part of it).
 */
static int password_file_read(const char *path, struct redis_url *u, char *err, size_t errlen)
{
	char buf[sizeof(u->password) + 2];
	struct stat st;
	ssize_t n;
	int fd, rc;

	/* O_NONBLOCK: a FIFO must not hang open(); a regular file ignores it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return redis_fail(err, errlen, "password_file=%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		redis_fail(err, errlen, "password_file=%s: %s", path, strerror(errno));
		goto bad;
	}
	if (!S_ISREG(st.st_mode)) {
		redis_fail(err, errlen, "password_file=%s: not a regular file", path);
		goto bad;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		redis_fail(err, errlen, "password_file=%s: owned by uid %ju, not by you or root",
			   path, (uintmax_t)st.st_uid);
		goto bad;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		redis_fail(err, errlen, "password_file=%s: %s by %s; run chmod %s %s", path,
			   st.st_mode & S_IROTH ? "readable" : "writable",
			   st.st_mode & S_IWGRP ? "group or others" : "others",
			   st.st_mode & S_IWGRP ? "g-w,o-rwx" : "o-rwx", path);
		goto bad;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		redis_fail(err, errlen, "password_file=%s: %s", path, strerror(errno));
		goto bad;
	}
	close(fd);
	buf[n] = '\0';
	rc = password_line(buf, (size_t)n, path, u, err, errlen);
	/* The secret leaves no copy behind on the stack. */
	explicit_bzero(buf, sizeof(buf));
	return rc;
bad:
	close(fd);
	return -1;
}

enum opt {
	OPT_DB,
	OPT_PREFIX,
	OPT_CONNECT_TIMEOUT,
	OPT_TIMEOUT,
	OPT_USER,
	OPT_PASSWORD,
	OPT_PASSWORD_FILE,
	OPT_MASTER,
	OPT_N,
};

static const char *const opt_names[OPT_N] = {
	[OPT_DB] = "db",
	[OPT_PREFIX] = "prefix",
	[OPT_CONNECT_TIMEOUT] = "connect_timeout",
	[OPT_TIMEOUT] = "timeout",
	[OPT_USER] = "user",
	[OPT_PASSWORD] = "password",
	[OPT_PASSWORD_FILE] = "password_file",
	[OPT_MASTER] = "sentinelMasterId",
};

static int option_find(const char *name, size_t n, enum redis_kind kind, char *err, size_t errlen)
{
	char word[SUGGEST_MAX_LEN];
	const char *best = NULL;
	struct suggest sg;

	for (int i = 0; i < OPT_N; i++)
		if (strlen(opt_names[i]) == n && memcmp(opt_names[i], name, n) == 0) {
			if (i == OPT_MASTER && kind != REDIS_SENTINEL)
				return redis_fail(
					err, errlen,
					"sentinelMasterId= belongs to redis-sentinel:// URLs");
			return i;
		}
	/* Quoted only if it could be an option's name: the rest of a password
	 * with an unencoded ? in it ends up here. */
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_') ||
		    n > 32)
			return redis_fail(
				err, errlen,
				"an option that is not NAME=VALUE after the ? (a ?, & or # in a "
				"password must be percent-encoded: %%3F, %%26, %%23)");
	snprintf(word, sizeof(word), "%.*s", (int)n, name);
	suggest_init(&sg, word, 2);
	for (int i = 0; i < OPT_N; i++)
		if ((i != OPT_MASTER || kind == REDIS_SENTINEL) &&
		    suggest_consider(&sg, opt_names[i]))
			best = opt_names[i];
	if (best)
		return redis_fail(err, errlen, "an unknown option; did you mean %s=?", best);
	return redis_fail(err, errlen,
			  "an unknown option (known: db, prefix, connect_timeout, timeout, user, "
			  "password, password_file%s)",
			  kind == REDIS_SENTINEL ? ", sentinelMasterId" : "");
}

static bool name_chars_ok(const char *s)
{
	for (const char *p = s; *p; p++) {
		char c = *p;

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '.' || c == '_' || c == '-' || c == ':'))
			return false;
	}
	return true;
}

struct seen {
	bool opt[OPT_N];
	bool db_in_path;
	bool info_user;	    /* a user before the host */
	bool info_password; /* a password before the host */
	char password_file[PATH_MAX];
};

static int option_set(struct redis_url *u, struct seen *sn, enum opt o, const char *v, char *err,
		      size_t errlen)
{
	enum parse_err why;
	int64_t ms;

	switch (o) {
	case OPT_DB:
		if (sn->db_in_path)
			return redis_fail(err, errlen, "the database is given twice (/N and db=)");
		return db_parse(v, u, err, errlen);
	case OPT_PREFIX:
		/* The keys of one breaker share the hash tag {NAME} after the
		 * prefix: a brace in the prefix would become the tag. */
		for (const char *p = v; *p; p++)
			if (*p == '{' || *p == '}' || (unsigned char)*p <= ' ' || *p == 0x7f)
				return redis_fail(
					err, errlen,
					"prefix= holds a brace, a space or a control character");
		if (strlen(v) >= sizeof(u->prefix))
			return redis_fail(err, errlen, "prefix= is longer than %zu characters",
					  sizeof(u->prefix) - 1);
		snprintf(u->prefix, sizeof(u->prefix), "%s", v);
		return 0;
	case OPT_CONNECT_TIMEOUT:
	case OPT_TIMEOUT:
		if (parse_duration(v, 1, o == OPT_TIMEOUT ? TIMEOUT_MAX_MS : CONNECT_TIMEOUT_MAX_MS,
				   &ms, &why) < 0)
			return redis_fail(err, errlen, "%s= %s (1ms to %s)", opt_names[o],
					  parse_strerror(why), o == OPT_TIMEOUT ? "10m" : "1m");
		if (o == OPT_TIMEOUT)
			u->timeout_ms = ms;
		else
			u->connect_timeout_ms = ms;
		return 0;
	case OPT_USER:
		if (sn->info_user)
			return redis_fail(err, errlen,
					  "the user is given twice (before the host and user=)");
		if (strlen(v) >= sizeof(u->user) || !name_chars_ok(v))
			return redis_fail(err, errlen, "user= is not a Redis user name");
		snprintf(u->user, sizeof(u->user), "%s", v);
		return 0;
	case OPT_PASSWORD:
		if (strlen(v) >= sizeof(u->password))
			return redis_fail(err, errlen, "password= is longer than %zu bytes",
					  sizeof(u->password) - 1);
		snprintf(u->password, sizeof(u->password), "%s", v);
		return 0;
	case OPT_PASSWORD_FILE:
		if (strlen(v) >= sizeof(sn->password_file))
			return redis_fail(err, errlen, "password_file= is too long");
		snprintf(sn->password_file, sizeof(sn->password_file), "%s", v);
		return 0;
	case OPT_MASTER:
		if (strlen(v) >= sizeof(u->master) || !name_chars_ok(v))
			return redis_fail(
				err, errlen,
				"sentinelMasterId= is not a master name (letters, digits, . _ "
				"- :)");
		snprintf(u->master, sizeof(u->master), "%s", v);
		return 0;
	case OPT_N:
		break;
	}
	return -1;
}

static int options_parse(const char *q, struct redis_url *u, struct seen *sn, char *err,
			 size_t errlen)
{
	char value[PATH_MAX];

	while (*q) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		size_t kn = eq ? (size_t)(eq - q) : n;
		int o;

		if (n == 0)
			return redis_fail(err, errlen, "an empty option (&& or a trailing &)");
		if ((o = option_find(q, kn, u->kind, err, errlen)) < 0)
			return -1;
		if (!eq)
			return redis_fail(err, errlen, "option %s has no value (%s=VALUE)",
					  opt_names[o], opt_names[o]);
		if (sn->opt[o])
			return redis_fail(err, errlen, "option %s= is given twice", opt_names[o]);
		sn->opt[o] = true;
		if (decode(eq + 1, n - kn - 1, value, sizeof(value)) < 0)
			return redis_fail(
				err, errlen,
				"option %s= is too long or holds a bad %%-escape (%%XX, not %%00)",
				opt_names[o]);
		if (!*value)
			return redis_fail(err, errlen, "option %s= is empty", opt_names[o]);
		if (option_set(u, sn, (enum opt)o, value, err, errlen) < 0)
			return -1;
		q += n;
		if (*q == '&' && !*++q)
			return redis_fail(err, errlen, "an empty option (&& or a trailing &)");
	}
	return 0;
}

/* user@, user:password@ or :password@ before the host, s[0..n). */
static int userinfo_parse(const char *s, size_t n, struct redis_url *u, struct seen *sn, char *err,
			  size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	size_t un = colon ? (size_t)(colon - s) : n;

	if (decode(s, un, u->user, sizeof(u->user)) < 0 || !name_chars_ok(u->user))
		return redis_fail(err, errlen, "the user before the @ is not a Redis user name");
	sn->info_user = *u->user != '\0';
	if (!colon) {
		/* user@host: the password comes from password= or password_file=. */
		if (!*u->user)
			return redis_fail(err, errlen,
					  "nothing before the @ (USER@, USER:PASSWORD@ or "
					  ":PASSWORD@)");
		return 0;
	}
	sn->info_password = true;
	if (decode(colon + 1, n - (size_t)(colon - s) - 1, u->password, sizeof(u->password)) < 0)
		return redis_fail(err, errlen,
				  "the password is longer than %zu bytes or holds a bad %%-escape "
				  "(%%XX, not %%00)",
				  sizeof(u->password) - 1);
	if (!*u->password)
		return redis_fail(err, errlen, "the password before the @ is empty");
	return 0;
}

int redis_url_parse(const char *url, struct redis_url *u, char *err, size_t errlen)
{
	static const struct {
		const char *scheme;
		enum redis_kind kind;
	} schemes[] = {
		{ "redis://", REDIS_TCP },
		{ "unix://", REDIS_UNIX },
		{ "redis-sentinel://", REDIS_SENTINEL },
	};
	struct seen sn = { 0 };
	const char *rest = NULL, *q, *at, *hosts, *slash, *end;
	size_t n;

	memset(u, 0, sizeof(*u));
	snprintf(u->prefix, sizeof(u->prefix), "%s", DEFAULT_PREFIX);
	u->connect_timeout_ms = CONNECT_TIMEOUT_MS;
	u->timeout_ms = TIMEOUT_MS;
	/* Case-insensitive, as store_is_redis() judges the scheme (RFC 3986): a
	 * location it sent here is never "not a Redis URL". */
	if (strncasecmp(url, "rediss://", 9) == 0)
		return redis_fail(
			err, errlen,
			"rediss:// (TLS) is not supported: this cbexec's Redis client "
			"(hiredis) has no TLS; use a unix:// socket, a trusted network, or "
			"a TLS tunnel such as stunnel or spiped");
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(url, schemes[i].scheme, strlen(schemes[i].scheme)) == 0) {
			u->kind = schemes[i].kind;
			rest = url + strlen(schemes[i].scheme);
		}
	if (!rest)
		return redis_fail(err, errlen,
				  "not a Redis URL (redis://, unix:// or redis-sentinel://)");

	q = strchr(rest, '?');
	end = q ? q : rest + strlen(rest);
	if (strchr(rest, '#'))
		return redis_fail(err, errlen, "a # in the URL (percent-encode it as %%23)");
	/* The user information ends at the last '@' before the query. */
	at = NULL;
	for (const char *p = rest; p < end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		if (userinfo_parse(rest, (size_t)(at - rest), u, &sn, err, errlen) < 0)
			return -1;
		hosts = at + 1;
	} else {
		hosts = rest;
	}

	if (u->kind == REDIS_UNIX) {
		n = (size_t)(end - hosts);
		if (n == 0 || *hosts != '/')
			return redis_fail(
				err, errlen,
				"unix:// takes an absolute path: unix:///run/redis/redis.sock");
		if (decode(hosts, n, u->path, sizeof(u->path)) < 0)
			return redis_fail(err, errlen,
					  "the socket path holds a bad %%-escape or is too long");
		if (strlen(u->path) > UNIX_PATH_MAX)
			return redis_fail(err, errlen, "the socket path is longer than %d bytes",
					  UNIX_PATH_MAX);
	} else {
		const char *h;

		slash = memchr(hosts, '/', (size_t)(end - hosts));
		if (!slash)
			slash = end;
		h = hosts;
		for (;;) {
			size_t hn = strcspn(h, ",/?");

			if (h + hn > slash)
				hn = (size_t)(slash - h);
			if (u->kind == REDIS_TCP) {
				if (h + hn < slash)
					return redis_fail(
						err, errlen,
						"several hosts are for redis-sentinel:// URLs");
				if (endpoint_parse(h, hn, REDIS_DEFAULT_PORT, &u->server, err,
						   errlen) < 0)
					return -1;
				break;
			}
			if (u->nsentinels == REDIS_SENTINELS_MAX)
				return redis_fail(err, errlen, "more than %d sentinels",
						  REDIS_SENTINELS_MAX);
			if (endpoint_parse(h, hn, REDIS_DEFAULT_SENTINEL_PORT,
					   &u->sentinels[u->nsentinels], err, errlen) < 0)
				return -1;
			u->nsentinels++;
			h += hn;
			if (h >= slash)
				break;
			h++; /* the comma */
		}
		if (slash < end && slash + 1 < end) {
			char db[16];

			n = (size_t)(end - slash - 1);
			if (n >= sizeof(db))
				return redis_fail(err, errlen,
						  "the database after / is not a number");
			memcpy(db, slash + 1, n);
			db[n] = '\0';
			if (db_parse(db, u, err, errlen) < 0)
				return -1;
			sn.db_in_path = true;
		}
	}
	if (q && options_parse(q + 1, u, &sn, err, errlen) < 0)
		return -1;
	if (sn.info_password && sn.opt[OPT_PASSWORD])
		return redis_fail(err, errlen,
				  "the password is given twice (before the host and password=)");
	if (*sn.password_file) {
		if (sn.info_password || sn.opt[OPT_PASSWORD])
			return redis_fail(
				err, errlen,
				"the password is given twice (in the URL and password_file=)");
		if (password_file_read(sn.password_file, u, err, errlen) < 0)
			return -1;
	}
	if (*u->user && !*u->password)
		/* The user is not quoted: "redis://SECRET@host" is a password
		 * put where the user goes. */
		return redis_fail(
			err, errlen,
			"the user has no password: USER:PASSWORD@, password= or password_file= "
			"(a nopass user takes any)");
	if (u->kind == REDIS_SENTINEL && !*u->master)
		return redis_fail(
			err, errlen,
			"redis-sentinel:// needs ?sentinelMasterId=NAME, the master's name in "
			"the sentinels' configuration");
	return 0;
}

/* FNV-1a, 64 bits: a name for a server's marker, not a secret. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int redis_marker_path(const struct redis_url *u, const char *local, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *slash;
	char port[16];
	int n, dn;

	switch (u->kind) {
	case REDIS_TCP:
		snprintf(port, sizeof(port), ":%d", u->server.port);
		h = fnv(fnv(fnv(h, "tcp "), u->server.host), port);
		break;
	case REDIS_UNIX:
		h = fnv(fnv(h, "unix "), u->path);
		break;
	case REDIS_SENTINEL:
		h = fnv(fnv(h, "sentinel "), u->master);
		for (int i = 0; i < u->nsentinels; i++) {
			snprintf(port, sizeof(port), ":%d", u->sentinels[i].port);
			h = fnv(fnv(fnv(h, " "), u->sentinels[i].host), port);
		}
		break;
	}
	slash = strrchr(local, '/');
	dn = slash ? (int)(slash - local + 1) : 0;
	n = snprintf(buf, len, "%.*sredis-down-%016llx", dn, local, (unsigned long long)h);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
