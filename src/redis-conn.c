/* A connection to the Redis server of a location: Sentinel, AUTH, SELECT, timeouts, the down
 * marker, EVALSHA. */
#ifdef CBEXEC_REDIS

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#include "clock.h"
#include "redis-conn.h"
#include "statepath.h"
#include "store.h"
#include "xmalloc.h"

/*
 * What a call can lose to the server, and how it is bounded:
 *
 * 1. Connecting waits at most connect_timeout (hiredis polls the non-blocking
 *    connect). A host name is resolved before that, by getaddrinfo(3), which
 *    no timeout of ours bounds: the man page says to give addresses (or names
 *    in /etc/hosts) for a server the jobs must not wait for.
 * 2. Every request waits at most timeout for its reply (SO_RCVTIMEO and
 *    SO_SNDTIMEO, set by redisSetTimeout). A stopped or blackholed server
 *    still accepts connections (the kernel completes them), so this is the
 *    bound that matters most.
 * 3. A request that timed out or lost its connection may have run: it is
 *    never sent again. Only NOSCRIPT, which says the script did not run, is
 *    answered by sending the script itself (EVAL).
 * 4. A timeout makes the marker fresh: for REDIS_DOWN_MS every call on the
 *    host gives up on the server at once (STORE_DOWN), so that a blackholed
 *    server costs one timeout per interval, not one per call. A refused
 *    connection costs nothing and marks nothing: the next call tries again,
 *    and finds a restarted server at once.
 */

struct redis_conn {
	redisContext *ctx;
	struct redis_url u;
	char marker[PATH_MAX]; /* "" = none */
	bool marker_stale;     /* one is there, old: removed once the server answers */
	bool probing;	       /* asking sentinels: one that times out marks nothing */
	bool timed_out;	       /* a connection or request of this open timed out */
};

static struct timeval tv_ms(int64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
			      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/*
 * The marker. Its mtime says when the server was last found down. It is
 * judged as the state file is (statepath.h): no symbolic link on the way,
 * nothing owned by another user, so that nobody else can make this host's
 * calls skip the server. A marker dated more than REDIS_DOWN_MS ahead comes
 * from a clock that was set back: not fresh, or one step of the clock would
 * silence the server for as long as the step.
 */
static bool marker_fresh(const char *path, int64_t *age_ms, bool *stale)
{
	struct statepath sp;
	int64_t m, age;
	bool fresh = false;

	*stale = false;
	if (statepath_open(path, STATEPATH_UPDATE, &sp) == 0) {
		m = (int64_t)sp.st.st_mtim.tv_sec * 1000 + sp.st.st_mtim.tv_nsec / 1000000;
		age = clock_wall_ms() - m;
		fresh = age < REDIS_DOWN_MS && age > -REDIS_DOWN_MS;
		*stale = !fresh;
		*age_ms = age < 0 ? 0 : age;
	}
	statepath_close(&sp);
	return fresh;
}

static void marker_touch(const char *path)
{
	struct statepath sp;

	/* Created 0600 by descriptor with its directories (0700), never through a
	 * symbolic link; an existing one is dated now. A marker that cannot be
	 * made costs only the next call's timeout, so nothing is said. */
	if (statepath_open(path, STATEPATH_WRITE, &sp) == 0)
		(void)futimens(sp.fd, NULL);
	statepath_close(&sp);
}

static void marker_remove(struct redis_conn *c)
{
	struct statepath sp;
	int64_t age = 0;
	bool stale;

	if (!c->marker_stale)
		return;
	c->marker_stale = false;
	/* Judged again: another process may have found the server down since. */
	if (marker_fresh(c->marker, &age, &stale) || !stale)
		return;
	if (statepath_open(c->marker, STATEPATH_UPDATE, &sp) == 0)
		(void)unlinkat(sp.dirfd, sp.base, 0);
	statepath_close(&sp);
}

/* After a request timed out: makes the marker fresh (see redis_conn_open). */
static void mark_down(struct redis_conn *c)
{
	if (c && *c->marker)
		marker_touch(c->marker);
}

/* Whether the error on ctx was a timeout (rather than a refusal or a reset). */
static bool timed_out(const redisContext *ctx, int saved_errno)
{
	return ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
					    saved_errno == ETIMEDOUT || saved_errno == EINPROGRESS);
}

/* A failed request or connection: STORE_DOWN (a timeout marks the server
 * down), with what happened in err. */
static int io_fail(struct redis_conn *c, const redisContext *ctx, int saved_errno, bool connecting,
		   const char *what, char *err, size_t errlen)
{
	if (timed_out(ctx, saved_errno)) {
		c->timed_out = true;
		if (!c->probing)
			mark_down(c);
		snprintf(err, errlen, "%s: no answer within %lldms (%s= in the URL)", what,
			 (long long)(connecting ? c->u.connect_timeout_ms : c->u.timeout_ms),
			 connecting ? "connect_timeout" : "timeout");
	} else if (ctx->err == REDIS_ERR_EOF || saved_errno == EPIPE || saved_errno == ECONNRESET) {
		/* A restart, or maxclients: the server's reason is lost with
		 * the connection. */
		snprintf(err, errlen,
			 "%s: the server closed the connection (restarted, or at maxclients?)",
			 what);
	} else {
		snprintf(err, errlen, "%s: %s", what, ctx->errstr);
	}
	return STORE_DOWN;
}

/* Errors that say the server cannot serve now but will (a restart loading
 * its data, a script running too long, a replica without its master): the
 * request did not run. */
static bool transient_error(const redisReply *r)
{
	static const char *const codes[] = { "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t n = strlen(codes[i]);

		if (r->len >= n && strncmp(r->str, codes[i], n) == 0 &&
		    (r->len == n || r->str[n] == ' '))
			return true;
	}
	return false;
}

/* A server that closed the connection makes the write raise SIGPIPE, which
 * would kill a cbexec that does not ignore it (only run and record do): a
 * status against a server at maxclients died of it, exit 141. Blocked around
 * every write, and a SIGPIPE it raised taken back, so that the request fails
 * with EPIPE instead. */
static void pipe_block(sigset_t *old)
{
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, old);
}

static void pipe_restore(const sigset_t *old)
{
	sigset_t pipe, pending;

	if (sigismember(old, SIGPIPE))
		return;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
		(void)sigtimedwait(&pipe, NULL, &(struct timespec){ 0 });
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* One request on ctx: its reply, or NULL with rc and err. An error reply is a
 * reply: the caller judges it. */
static redisReply *request(struct redis_conn *c, redisContext *ctx, const char *what, int argc,
			   const char **argv, const size_t *argvlen, int *rc, char *err,
			   size_t errlen)
{
	sigset_t old;
	redisReply *r;
	int saved;

	pipe_block(&old);
	errno = 0;
	r = redisCommandArgv(ctx, argc, argv, argvlen);
	saved = errno;
	pipe_restore(&old);
	if (!r) {
		*rc = io_fail(c, ctx, saved, false, what, err, errlen);
		return NULL;
	}
	return r;
}

static redisContext *connect_to(struct redis_conn *c, const char *host, int port, const char *path,
				int *rc, char *err, size_t errlen)
{
	struct timeval ct = tv_ms(c->u.connect_timeout_ms);
	redisContext *ctx;
	char what[PATH_MAX + 16];
	int saved;

	if (path)
		snprintf(what, sizeof(what), "connect to %s", path);
	else
		snprintf(what, sizeof(what), "connect to %s:%d", host, port);
	errno = 0;
	ctx = path ? redisConnectUnixWithTimeout(path, ct)
		   : redisConnectWithTimeout(host, port, ct);
	saved = errno;
	if (!ctx) {
		*rc = redis_fail(err, errlen, "out of memory");
		return NULL;
	}
	if (ctx->err) {
		*rc = io_fail(c, ctx, saved, true, what, err, errlen);
		redisFree(ctx);
		return NULL;
	}
	if (redisSetTimeout(ctx, tv_ms(c->u.timeout_ms)) != REDIS_OK) {
		*rc = redis_fail(err, errlen, "cannot set the timeout: %s", ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

const char *redis_conn_acl_hint(const char *reply, size_t len)
{
	static const char noscript_acl[] = "can't run this command";

	if ((len >= 6 && strncmp(reply, "NOPERM", 6) == 0) ||
	    memmem(reply, len, noscript_acl, sizeof(noscript_acl) - 1))
		return "; give the Redis user the ACL in cbexec(1), REDIS";
	return "";
}

/* An error reply to a request of the handshake, said plainly. */
static int refused(const redisReply *r, const char *what, char *err, size_t errlen)
{
	if (transient_error(r)) {
		snprintf(err, errlen, "%s: %.*s", what, (int)(r->len > 200 ? 200 : r->len), r->str);
		return STORE_DOWN;
	}
	return redis_fail(err, errlen, "%s refused: %.*s%s", what,
			  (int)(r->len > 200 ? 200 : r->len), r->str,
			  redis_conn_acl_hint(r->str, r->len));
}

/* AUTH and SELECT on a fresh connection to the server. */
static int handshake(struct redis_conn *c, char *err, size_t errlen)
{
	const struct redis_url *u = &c->u;
	const char *argv[3];
	char db[16];
	redisReply *r;
	int rc = 0;

	if (*u->password) {
		int n = 0;

		argv[n++] = "AUTH";
		if (*u->user)
			argv[n++] = u->user;
		argv[n++] = u->password;
		if (!(r = request(c, c->ctx, "AUTH", n, argv, NULL, &rc, err, errlen)))
			return rc;
		if (r->type == REDIS_REPLY_ERROR) {
			/* The reply names no password: "WRONGPASS invalid
			 * username-password pair or user is disabled." */
			rc = refused(r, *u->user ? "AUTH (user and password)" : "AUTH (password)",
				     err, errlen);
			freeReplyObject(r);
			return rc;
		}
		freeReplyObject(r);
	}
	if (u->db != 0) {
		snprintf(db, sizeof(db), "%d", u->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if (!(r = request(c, c->ctx, "SELECT", 2, argv, NULL, &rc, err, errlen)))
			return rc;
		if (r->type == REDIS_REPLY_ERROR) {
			rc = refused(r, "SELECT", err, errlen);
			freeReplyObject(r);
			return rc;
		}
		freeReplyObject(r);
	}
	return 0;
}

/*
 * Sentinel: each sentinel in turn is asked for the master's address; the
 * first that answers names the server. That server must then say it is a
 * master (ROLE): during a failover a sentinel may still name the old one,
 * now a replica, whose data a write must not go to. A sentinel that does
 * not answer costs its own timeouts, so a list of sentinels bounds a call
 * by their number times connect_timeout + timeout.
 */
static int sentinel_resolve(struct redis_conn *c, struct redis_endpoint *master, char *err,
			    size_t errlen)
{
	const struct redis_url *u = &c->u;
	const char *argv[] = { "SENTINEL", "get-master-addr-by-name", u->master };
	char why[256] = "";
	int rc = STORE_DOWN;

	c->probing = true;
	c->timed_out = false;
	for (int i = 0; i < u->nsentinels; i++) {
		const struct redis_endpoint *s = &u->sentinels[i];
		redisContext *ctx;
		redisReply *r;
		int64_t port;
		int one = STORE_DOWN;
		char *end;

		if (!(ctx = connect_to(c, s->host, s->port, NULL, &one, why, sizeof(why)))) {
			if (one == STORE_ERR) {
				c->probing = false;
				return redis_fail(err, errlen, "%s", why);
			}
			continue;
		}
		r = request(c, ctx, "SENTINEL get-master-addr-by-name", 3, argv, NULL, &one, why,
			    sizeof(why));
		redisFree(ctx);
		if (!r)
			continue;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    r->element[1]->type == REDIS_REPLY_STRING &&
		    r->element[0]->len < sizeof(master->host)) {
			errno = 0;
			port = strtoll(r->element[1]->str, &end, 10);
			if (!errno && *end == '\0' && port > 0 && port <= 65535) {
				memcpy(master->host, r->element[0]->str, r->element[0]->len);
				master->host[r->element[0]->len] = '\0';
				master->port = (int)port;
				freeReplyObject(r);
				c->probing = false;
				return 0;
			}
		}
		if (r->type == REDIS_REPLY_NIL) {
			snprintf(why, sizeof(why), "sentinel %s:%d knows no master named %s",
				 s->host, s->port, u->master);
			rc = STORE_ERR;
		} else if (r->type == REDIS_REPLY_ERROR) {
			snprintf(why, sizeof(why), "sentinel %s:%d: %.*s", s->host, s->port,
				 (int)(r->len > 160 ? 160 : r->len), r->str);
			rc = STORE_ERR;
		} else {
			snprintf(why, sizeof(why), "sentinel %s:%d gave an unexpected reply",
				 s->host, s->port);
			rc = STORE_ERR;
		}
		freeReplyObject(r);
	}
	c->probing = false;
	/* Only when every sentinel failed, and one by a timeout, is the
	 * location marked down: one dead sentinel of three is what Sentinel is for. */
	if (rc == STORE_DOWN && c->timed_out)
		mark_down(c);
	snprintf(err, errlen, "no sentinel named the master %s (last: %s)", u->master, why);
	return rc;
}

static int check_master(struct redis_conn *c, const struct redis_endpoint *m, char *err,
			size_t errlen)
{
	const char *argv[] = { "ROLE" };
	redisReply *r;
	int rc = 0;

	if (!(r = request(c, c->ctx, "ROLE", 1, argv, NULL, &rc, err, errlen)))
		return rc;
	if (r->type == REDIS_REPLY_ERROR) {
		rc = refused(r, "ROLE", err, errlen);
	} else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
		   r->element[0]->type != REDIS_REPLY_STRING ||
		   strcmp(r->element[0]->str, "master") != 0) {
		/* A failover under way: the sentinel still names the old master. */
		rc = redis_fail(err, errlen,
				"%s:%d, named by the sentinels as master %s, is not a master (a "
				"failover in progress?)",
				m->host, m->port, c->u.master);
	}
	freeReplyObject(r);
	return rc;
}

/* Connects c to its server (through Sentinel to the current primary, which
 * must say it is one), authenticates and selects the db: 0 with c->ctx set,
 * or redis_conn_open's codes with err and c->ctx NULL (nothing to free). */
static int connect_server(struct redis_conn *c, char *err, size_t errlen)
{
	struct redis_endpoint m;
	int rc = 0;

	c->ctx = NULL;
	switch (c->u.kind) {
	case REDIS_TCP:
		c->ctx = connect_to(c, c->u.server.host, c->u.server.port, NULL, &rc, err, errlen);
		break;
	case REDIS_UNIX:
		c->ctx = connect_to(c, NULL, 0, c->u.path, &rc, err, errlen);
		break;
	case REDIS_SENTINEL:
		if ((rc = sentinel_resolve(c, &m, err, errlen)) != 0)
			break;
		c->ctx = connect_to(c, m.host, m.port, NULL, &rc, err, errlen);
		break;
	}
	if (c->ctx && (rc = handshake(c, err, errlen)) == 0 && c->u.kind == REDIS_SENTINEL)
		rc = check_master(c, &m, err, errlen);
	if (c->ctx && rc == 0)
		return 0;
	if (c->ctx)
		redisFree(c->ctx);
	c->ctx = NULL;
	return rc ? rc : STORE_ERR;
}

int redis_conn_open(struct redis_conn **cp, const struct redis_url *u, const char *marker,
		    char *err, size_t errlen)
{
	struct redis_conn *c;
	int64_t age = 0;
	int rc = 0;

	*cp = NULL;
	if (u->tls)
		return redis_fail(err, errlen, "TLS is not supported by this cbexec's hiredis");
	c = xcalloc(1, sizeof(*c));
	c->u = *u;
	if (marker) {
		if (strlen(marker) >= sizeof(c->marker)) {
			redis_conn_close(c);
			return redis_fail(err, errlen, "the marker's path is too long");
		}
		snprintf(c->marker, sizeof(c->marker), "%s", marker);
		if (marker_fresh(marker, &age, &c->marker_stale)) {
			double left = (double)(REDIS_DOWN_MS - age) / 1000;

			snprintf(err, errlen,
				 "not tried: it did not answer a call of this host %.1fs ago; "
				 "cbexec tries it again in %.1fs, or at once after rm %s",
				 (double)age / 1000, left < 0.1 ? 0.1 : left, marker);
			redis_conn_close(c);
			return STORE_DOWN;
		}
	}
	if ((rc = connect_server(c, err, errlen)) != 0)
		goto bad;
	/* A request had its answer: the server is up. Without one (no AUTH, no
	 * SELECT) the first script's reply says so. */
	if (*u->password || u->db != 0 || u->kind == REDIS_SENTINEL)
		marker_remove(c);
	*cp = c;
	return 0;
bad:
	redis_conn_close(c);
	return rc;
}

void redis_conn_close(struct redis_conn *c)
{
	if (!c)
		return;
	if (c->ctx)
		redisFree(c->ctx);
	/* The password is not left in freed memory. */
	explicit_bzero(c->u.password, sizeof(c->u.password));
	free(c);
}

struct redisContext *redis_conn_context(struct redis_conn *c)
{
	return c->ctx;
}

const struct redis_url *redis_conn_url(const struct redis_conn *c)
{
	return &c->u;
}

struct redisReply *redis_conn_command(struct redis_conn *c, const char *what, int argc,
				      const char **argv, int *rc, char *err, size_t errlen)
{
	*rc = 0;
	return request(c, c->ctx, what, argc, argv, NULL, rc, err, errlen);
}

struct redisReply *redis_conn_get_reply(struct redis_conn *c, const char *what, int *rc, char *err,
					size_t errlen)
{
	sigset_t old;
	void *r = NULL;
	int saved, got;

	*rc = 0;
	/* The first read of a pipeline writes the requests appended before it. */
	pipe_block(&old);
	errno = 0;
	got = redisGetReply(c->ctx, &r);
	saved = errno;
	pipe_restore(&old);
	if (got != REDIS_OK || !r) {
		*rc = io_fail(c, c->ctx, saved, false, what, err, errlen);
		return NULL;
	}
	return r;
}

static bool noscript(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && r->len >= 8 && strncmp(r->str, "NOSCRIPT", 8) == 0;
}

struct redisReply *redis_conn_eval(struct redis_conn *c, const struct redis_script *s, int nkeys,
				   int argc, const char *const *argv, const size_t *argvlen,
				   int *rc, char *err, size_t errlen)
{
	const char **av;
	size_t *al;
	char nk[16];
	redisReply *r;
	char what[96];

	*rc = 0;
	av = xreallocarray(NULL, (size_t)argc + 3, sizeof(*av));
	al = xreallocarray(NULL, (size_t)argc + 3, sizeof(*al));
	snprintf(nk, sizeof(nk), "%d", nkeys);
	av[0] = "EVALSHA";
	av[1] = s->sha1;
	av[2] = nk;
	for (int i = 0; i < argc; i++) {
		av[i + 3] = argv[i];
		al[i + 3] = argvlen ? argvlen[i] : strlen(argv[i]);
	}
	al[0] = strlen(av[0]);
	al[1] = strlen(av[1]);
	al[2] = strlen(av[2]);
	snprintf(what, sizeof(what), "script %s", s->name);
	r = request(c, c->ctx, what, argc + 3, av, al, rc, err, errlen);
	if (r && noscript(r)) {
		/* The server does not know the script (restarted, SCRIPT FLUSH, a
		 * promoted replica): nothing ran, so sending its source is safe. */
		freeReplyObject(r);
		av[0] = "EVAL";
		av[1] = s->source;
		al[0] = strlen(av[0]);
		al[1] = strlen(av[1]);
		r = request(c, c->ctx, what, argc + 3, av, al, rc, err, errlen);
	}
	free(av);
	free(al);
	if (!r)
		return NULL;
	if (r->type == REDIS_REPLY_ERROR) {
		*rc = transient_error(r) ? STORE_DOWN : STORE_ERR;
		snprintf(err, errlen, "%s: %.*s%s", what, (int)(r->len > 300 ? 300 : r->len),
			 r->str, redis_conn_acl_hint(r->str, r->len));
		freeReplyObject(r);
		return NULL;
	}
	marker_remove(c);
	return r;
}

const char *store_redis_version(void)
{
	static char v[64];

	if (!*v)
		snprintf(v, sizeof(v), "hiredis %d.%d.%d (no TLS)", HIREDIS_MAJOR, HIREDIS_MINOR,
			 HIREDIS_PATCH);
	return v;
}

/* TCP keepalive (hiredis's: probes after 15 s idle), so that a NAT or a
 * firewall between host and server keeps the connection of a call whose
 * command runs for minutes. Not for a unix socket, which has no TCP options
 * (hiredis would mark the context failed). A failure to set it costs only
 * that protection: the context is left usable. */
void redis_conn_keepalive(struct redis_conn *c)
{
	if (c->ctx->connection_type != REDIS_CONN_TCP)
		return;
	if (redisEnableKeepAlive(c->ctx) != REDIS_OK) {
		c->ctx->err = 0;
		c->ctx->errstr[0] = '\0';
	}
}

/*
 * Between admit and record the command ran, for any time: a server with
 * `timeout N` closes idle clients, a NAT forgets the connection, a server
 * restarts. With no request outstanding nothing may arrive, so a descriptor
 * that is readable (EOF, or bytes out of step), hung up or in error is a
 * connection the server no longer serves: it is replaced by a new one
 * (through Sentinel again, to the current primary) before the request is
 * sent, which is safe since nothing was sent on it. A connection that dies
 * in flight is still caught by the request, and not resent.
 */
int redis_conn_revive(struct redis_conn *c, char *err, size_t errlen)
{
	struct pollfd p = { .fd = c->ctx->fd, .events = POLLIN };
	redisContext *old = c->ctx;
	int n, rc = 0;

	do
		n = poll(&p, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n == 0 && c->ctx->err == 0)
		return 0;
	if ((rc = connect_server(c, err, errlen)) != 0) {
		/* The old context stays, so that what follows fails as on a
		 * lost connection instead of meeting none. */
		c->ctx = old;
		return rc;
	}
	redisFree(old);
	redis_conn_keepalive(c);
	return 0;
}

#endif
