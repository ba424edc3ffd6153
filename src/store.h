/*
 * The store: where breakers live, behind one set of named operations, so that
 * the commands read straight through and a second backend has a small target.
 * store.c chooses the backend from the location: redis://, rediss://, unix://
 * and redis-sentinel:// are Redis (store-redis.c); anything else is a file path
 * (store-sqlite.c, the only module that speaks SQL). The state machine runs
 * inside the operation, in one atomic step: breaker.c for SQLite, its Lua twin
 * on the Redis server.
 */
#ifndef CBEXEC_STORE_H
#define CBEXEC_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "breaker.h"

enum {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
	STORE_INVALID = 2, /* the breaker's row fails the checks on loading */
	STORE_ERR = -1,
	STORE_BUSY = -2, /* admit/record: the write lock was not had within the lock timeout */
	STORE_DOWN = -3, /* the server did not answer in time, or is marked down: see store_open */
};

enum store_mode {
	STORE_CREATE,	/* run, record, trip, bypass: make what is missing */
	STORE_EXISTING, /* reset, delete: create nothing; STORE_NOTFOUND without a file */
	STORE_READONLY, /* status, metrics, history, completion: write nothing */
	STORE_PEEK,	/* check: write nothing, and do not ask whether the store holds
			 * anything (a Redis server: one request less), since an
			 * unknown breaker is admitted either way */
};

struct store;

/* Opens the store at location (a path or a Redis URL). local is the host's
 * own state file (the path cbexec would use without --db and CBEXEC_DB), or
 * NULL: a Redis store keeps its "server down" marker beside it. On failure
 * returns STORE_ERR (or STORE_NOTFOUND, or STORE_DOWN for a server that did
 * not answer in time or is marked down) with a message in err that never
 * holds a password. */
int store_open(struct store **sp, const char *location, enum store_mode mode, const char *local,
	       char *err, size_t errlen);
void store_close(struct store *s);
/* Whether location names a Redis store (by its scheme). */
bool store_is_redis(const char *location);
/* location fit to print: a password in it (user:PASS@, password=) becomes ***. */
void store_location_mask(const char *location, char *buf, size_t len);
/* The libraries' versions for --version: "SQLite 3.40.1", "hiredis 0.14.1 (no TLS)"
 * or "no Redis support". */
const char *store_sqlite_version(void);
const char *store_redis_version(void);
const char *store_errmsg(const struct store *s);

/* How long a write waits for another process's write lock (SQLite); 10 s at open. */
void store_set_lock_timeout(struct store *s, int64_t ms);
/* The store's clock, which dates its changes: the host's clocks for a file,
 * the server's TIME for Redis (boot_ms and boot_id 0: wall clock only). */
int store_now(struct store *s, struct breaker_env *env);

/* One snapshot around the reads between them (read, each, history) where the
 * store can give one; end it before printing (see store-sqlite.c). */
int store_snapshot_begin(struct store *s);
void store_snapshot_end(struct store *s);

/* What a call's operations (admit, record) are asked. */
struct store_call {
	const char *name;			 /* made with settings if unknown */
	const struct breaker_settings *settings; /* remembered with the breaker */
	uint32_t history_limit;			 /* events kept; 0: OPTIONS_HISTORY_LIMIT */
	double jitter;				 /* uniform in [-1, 1]; only an open reads it */
	/* admit */
	bool recorded;	  /* record's admission: the call has ended, so only a change of
			   * state is written: no lease, no rejection counted, no bulkhead */
	bool waiting;	  /* a bulkhead rejection now will be retried: count nothing */
	int64_t lease_ms; /* a lease taken lives this long from the store's now */
	/* record */
	const struct breaker_call *call;
	int64_t lease; /* the lease admit took, given back; 0 = none */
};

/* What an operation did. */
struct store_result {
	struct breaker_decision decision; /* admit */
	bool transitioned;		  /* this caller made a change of state: its hooks run */
	struct breaker_transition transition;
	struct breaker_state after; /* the breaker after the operation (window left empty) */
	struct breaker_env env;	    /* the store's clocks of the operation */
	int64_t lease;		    /* admit: the lease taken, 0 = none */
	bool created;		    /* the breaker was made by this operation */
};

/* breaker_admit() on the breaker, atomically, taking a lease when the decision
 * needs one (a probe, or max_concurrent). STORE_BUSY when the lock was not had
 * (nothing done): the caller may still store_read() the breaker. */
int store_admit(struct store *s, const struct store_call *c, struct store_result *r);
/* breaker_record() of c->call, giving c->lease back, atomically. */
int store_record(struct store *s, const struct store_call *c, struct store_result *r);
/* Gives a lease back and records nothing: cbexec could not start the command. */
int store_release(struct store *s, const char *name, int64_t lease);

enum store_manual_kind {
	STORE_RESET,  /* breaker_reset() with the breaker's saved settings; never creates */
	STORE_TRIP,   /* breaker_trip(): made with the built-in settings if unknown */
	STORE_BYPASS, /* breaker_bypass(): the same */
};
struct store_manual {
	const char *name;
	enum store_manual_kind kind;
	int64_t for_ms;	    /* trip: 0 = until reset */
	const char *reason; /* trip, bypass: may be NULL */
};
/* A change by hand: r->transitioned false when it changed nothing (nothing is
 * then written). STORE_NOTFOUND for a reset of an unknown breaker. */
int store_manual(struct store *s, const struct store_manual *m, struct store_result *r);

/* Reads one breaker without writing; live leases counted into st.
 * STORE_INVALID, with store_errmsg, for a row that fails the checks. */
int store_read(struct store *s, const char *name, int64_t now_ms, struct breaker_state *st,
	       struct breaker_settings *saved);

/* store_now, then store_read at that time, in one request where the store
 * can (a Redis read's reply carries the server's time): check's question. */
int store_read_now(struct store *s, const char *name, struct breaker_env *env,
		   struct breaker_state *st, struct breaker_settings *saved);

typedef int (*store_each_fn)(const char *name, const struct breaker_state *st,
			     const struct breaker_settings *saved, void *ctx);
/* Every breaker in name order; stops early if fn returns non-zero. For listings:
 * st has no window and no in-flight counts, which only admission needs. A row
 * that fails the checks comes with st and saved NULL and the problem in
 * store_errmsg, for the caller to report and skip. */
int store_each(struct store *s, store_each_fn fn, void *ctx);

struct store_event {
	const char *name;
	int64_t time_ms;
	enum breaker_state_kind from, to;
	const char *reason;
};
typedef int (*store_event_fn)(const struct store_event *e, void *ctx);
/* History: the newest `limit` events (0 = all) at or after since_ms
 * (INT64_MIN = all), oldest first; of breaker `name`, or with name NULL of
 * every breaker, merged by time. An unknown name has no events: a caller that
 * must tell it from a quiet breaker store_reads it in the same snapshot. */
int store_history(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
		  store_event_fn fn, void *ctx);

/* Forgets a breaker, its leases and its history; STORE_NOTFOUND if unknown. */
int store_delete(struct store *s, const char *name);

/*
 * For the backends (store.c dispatches to these): each backend's struct store
 * begins with a struct store_base.
 */
struct store_ops {
	void (*close)(struct store *s);
	const char *(*errmsg)(const struct store *s);
	void (*set_lock_timeout)(struct store *s, int64_t ms);
	int (*now)(struct store *s, struct breaker_env *env);
	int (*snapshot_begin)(struct store *s);
	void (*snapshot_end)(struct store *s);
	int (*admit)(struct store *s, const struct store_call *c, struct store_result *r);
	int (*record)(struct store *s, const struct store_call *c, struct store_result *r);
	int (*release)(struct store *s, const char *name, int64_t lease);
	int (*manual)(struct store *s, const struct store_manual *m, struct store_result *r);
	int (*read)(struct store *s, const char *name, int64_t now_ms, struct breaker_state *st,
		    struct breaker_settings *saved);
	int (*each)(struct store *s, store_each_fn fn, void *ctx);
	int (*history)(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
		       store_event_fn fn, void *ctx);
	int (*delete)(struct store *s, const char *name);
	/* store_read_now; NULL: store_now, then read */
	int (*read_now)(struct store *s, const char *name, struct breaker_env *env,
			struct breaker_state *st, struct breaker_settings *saved);
};
struct store_base {
	const struct store_ops *ops;
};
int store_sqlite_open(struct store **sp, const char *path, enum store_mode mode, char *err,
		      size_t errlen);
#ifdef CBEXEC_REDIS
int store_redis_open(struct store **sp, const char *url, enum store_mode mode, const char *local,
		     char *err, size_t errlen);
#endif

#endif
