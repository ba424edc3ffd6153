/*
 * A connection to the Redis server a location names: the URL, Sentinel,
 * authentication, timeouts, and running the store's Lua scripts. Only this
 * module and store-redis.c include hiredis.
 */
#ifndef CBEXEC_REDIS_CONN_H
#define CBEXEC_REDIS_CONN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REDIS_SENTINELS_MAX	    8
/* The ports a URL without one means: Redis's and Sentinel's own. */
#define REDIS_DEFAULT_PORT	    6379
#define REDIS_DEFAULT_SENTINEL_PORT 26379

enum redis_kind {
	REDIS_TCP,	/* redis://[[user]:password@]host[:port][/db][?options] */
	REDIS_UNIX,	/* unix:///path/redis.sock[?db=N&options] */
	REDIS_SENTINEL, /* redis-sentinel://h1[:26379][,h2...][/db]?sentinelMasterId=NAME */
};

struct redis_endpoint {
	char host[256];
	int port;
};

/* A location, parsed; no I/O (tests/unit/test_redis_url.c). */
struct redis_url {
	enum redis_kind kind;
	bool tls;		      /* rediss:// */
	struct redis_endpoint server; /* REDIS_TCP */
	char path[PATH_MAX];	      /* REDIS_UNIX */
	struct redis_endpoint sentinels[REDIS_SENTINELS_MAX];
	int nsentinels;
	char master[128];   /* sentinelMasterId */
	char user[128];	    /* "" = the default user */
	char password[512]; /* from the URL or password_file=; "" = none */
	int db;
	char prefix[64];	    /* key prefix, "cbexec:" by default */
	int64_t connect_timeout_ms; /* connect_timeout=, default 50 ms */
	int64_t timeout_ms;	    /* timeout= (each request), default 500 ms */
};

/* Parses url; on failure -1 with a message (never the password) in err.
 * Reads password_file= (which must not be readable by others). The parser
 * lives in redis-url.c, which needs no hiredis, so that the unit tests link
 * it alone. */
/* Writes the message into err and returns -1 (STORE_ERR): the one way this
 * module and redis-url.c fail. */
int redis_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int redis_url_parse(const char *url, struct redis_url *u, char *err, size_t errlen);
/* The "server down" marker for u beside the host's own state file local:
 * "redis-down-" + 16 hex digits of a hash of the server's address (host:port,
 * socket path, or sentinels and master name) in local's directory, so that
 * one server's outage does not stop calls to another, and every location of
 * one server (other db, prefix, timeouts) shares it. -1 if it is too long. */
int redis_marker_path(const struct redis_url *u, const char *local, char *buf, size_t len);

struct redis_conn;

/* Connects (through Sentinel to its current primary, which must say it is
 * one), authenticates, selects db. Returns 0, or STORE_DOWN when the server
 * did not answer within the timeouts or refused the connection, or STORE_ERR
 * (a wrong password, a refused ACL, not a primary) with err. marker, if not
 * NULL, is a host-local file that says the server was found down: while it is
 * fresh (REDIS_DOWN_MS) the connection is not tried (STORE_DOWN at once), and
 * a timeout of any request on the connection makes it fresh again, so that a
 * blackholed server costs one timeout per interval, not one per call. */
#define REDIS_DOWN_MS 5000
int redis_conn_open(struct redis_conn **cp, const struct redis_url *u, const char *marker,
		    char *err, size_t errlen);
void redis_conn_close(struct redis_conn *c);
/* The hiredis context, for pipelined reads: redisAppendCommand, then
 * redis_conn_get_reply. */
struct redisContext *redis_conn_context(struct redis_conn *c);
/* One command (no reply to parse beyond hiredis's), or the next reply of a
 * pipeline, with SIGPIPE held off as for every request: the reply (an error
 * reply is one; freeReplyObject it), or NULL with rc STORE_DOWN and err. Only
 * a timeout marks the server down; a lost connection or a refusal is not an
 * outage. */
struct redisReply *redis_conn_command(struct redis_conn *c, const char *what, int argc,
				      const char **argv, int *rc, char *err, size_t errlen);
struct redisReply *redis_conn_get_reply(struct redis_conn *c, const char *what, int *rc, char *err,
					size_t errlen);
const struct redis_url *redis_conn_url(const struct redis_conn *c);

/* What to add to a server's error reply that says the user's ACL forbids a
 * command or a key (NOPERM, or a script's "can't run this command"): "" for
 * any other reply. The server names neither the ACL cbexec needs nor, from
 * a script, the command. */
const char *redis_conn_acl_hint(const char *reply, size_t len);

/* A Lua script of the store; sha1 is its SHA-1 in hex, computed at build time. */
struct redis_script {
	const char *name;
	const char *source;
	const char *sha1;
};

/* EVALSHA, then EVAL with the source on NOSCRIPT (the server forgot it: a
 * restart, SCRIPT FLUSH, a promoted replica). Never resends a request that may
 * have run. Returns the reply (freeReplyObject it), or NULL with rc set to
 * STORE_DOWN (timeout, connection lost) or STORE_ERR and the message in err. */
struct redisReply *redis_conn_eval(struct redis_conn *c, const struct redis_script *s, int nkeys,
				   int argc, const char *const *argv, const size_t *argvlen,
				   int *rc, char *err, size_t errlen);

/* TCP keepalive on the connection (nothing for a unix socket). */
void redis_conn_keepalive(struct redis_conn *c);
/* Before a request sent after a long pause (record, release after the
 * command ran): a connection the server closed meanwhile is replaced by a
 * new one. 0, or redis_conn_open's codes with err. */
int redis_conn_revive(struct redis_conn *c, char *err, size_t errlen);

#endif
