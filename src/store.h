/* The state file: the only module that speaks SQL. */
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
	STORE_BUSY = -2, /* store_update: the write lock was not had within the lock timeout */
	STORE_DOWN = -3, /* the server did not answer in time, or is marked down */
};

struct store;

/* Opens (creating missing directories 0700 and the file, 0600 or 0660 in a
 * group-shared directory: see statepath.h) and migrates the schema. Never
 * changes a breaker and never rewrites a file that is not a cbexec store. On
 * failure returns STORE_ERR with a message in err. */
int store_open(struct store **sp, const char *path, char *err, size_t errlen);
/* store_open for commands that only change breakers that exist (reset,
 * delete): creates nothing, and STORE_NOTFOUND if the file does not exist. */
int store_open_existing(struct store **sp, const char *path, char *err, size_t errlen);
/* For readers: opens read-only, creates nothing, needs no write access (see
 * SECURITY in cbexec(1)). STORE_NOTFOUND if the file does not exist. */
int store_open_readonly(struct store **sp, const char *path, char *err, size_t errlen);
void store_close(struct store *s);
/* How long a write waits for another process's write lock; 10 s at open. */
void store_set_lock_timeout(struct store *s, int64_t ms);
const char *store_sqlite_version(void);
const char *store_redis_version(void);
const char *store_errmsg(const struct store *s);

/* One read transaction around the reads between them (store_read, store_each,
 * the JSON and history reads), so that what a reader prints is one snapshot.
 * End it before printing: an open read transaction keeps the WAL from being
 * checkpointed, and a paused pager would hold it for as long as it likes. */
int store_snapshot_begin(struct store *s);
void store_snapshot_end(struct store *s);

/* One read-modify-write of one breaker, in one BEGIN IMMEDIATE transaction.
 * STORE_BUSY (nothing done) when another process holds the write lock past the
 * lock timeout: the caller may still store_read() the breaker. */
struct store_txn {
	const char *name;
	bool create; /* make the breaker if missing; else STORE_NOTFOUND */
	/* The clocks, read by the store once it holds the write lock, so that a
	 * wait for the lock never dates the change in the past; the caller sets
	 * only jitter. The callback uses these. */
	struct breaker_env env;
	const struct breaker_settings *settings; /* remembered with the row; may be NULL */
	uint32_t history_limit;			 /* events kept; 0: OPTIONS_HISTORY_LIMIT */
	int64_t release_lease;			 /* lease to drop before the callback, 0 = none */
	/* set by the callback */
	bool write; /* false: nothing is written */
	bool take_lease;
	bool lease_probe;
	int64_t lease_generation;
	int64_t lease_expires_ms;
	bool transitioned;
	struct breaker_transition transition;
	/* set by the store */
	/* The settings remembered with the row (t->settings for a row made
	 * now); valid during the callback only. */
	const struct breaker_settings *saved;
	int64_t lease_id;
	bool created; /* the breaker was made by this transaction */
};
typedef void (*store_fn)(struct breaker_state *st, struct store_txn *t, void *ctx);
int store_update(struct store *s, struct store_txn *t, store_fn fn, void *ctx);

/*
 * store_update for a decision that usually writes nothing (admission): fn runs
 * first on the row as a read transaction sees it, when the calls in flight
 * cannot change its decision (breaker_leases_matter). If fn changed nothing,
 * nothing is written; if it only counted rejections, they are added to the
 * row in one small write; anything else (a missing row, a transition, a lease
 * to take, another change, a read-only file) ends the read and store_update
 * redoes the whole decision under the write lock, so fn may run twice.
 * STORE_BUSY as store_update.
 */
int store_admit(struct store *s, struct store_txn *t, store_fn fn, void *ctx);

/* Reads one breaker without writing; live leases counted into st.
 * STORE_INVALID, with store_errmsg, for a row that fails the checks. */
int store_read(struct store *s, const char *name, int64_t now_ms, struct breaker_state *st,
	       struct breaker_settings *saved);

typedef int (*store_each_fn)(const char *name, const struct breaker_state *st,
			     const struct breaker_settings *saved, void *ctx);
/* Every breaker in name order; stops early if fn returns non-zero. For listings:
 * st has no window and no in-flight counts, which only admission needs. A row
 * that fails the checks comes with st and saved NULL and the problem in
 * store_errmsg, for the caller to report and skip. */
int store_each(struct store *s, store_each_fn fn, void *ctx);

/* JSON built by SQLite's JSON functions, so escaping is SQLite's. */
int store_status_json(struct store *s, const char *const *names, int n, FILE *out);

/* History: the newest `limit` events (0 = all) at or after since_ms
 * (INT64_MIN = all), oldest first; of breaker `name`, or with name NULL of
 * every breaker, merged by time. An unknown name has no events: a caller that
 * must tell it from a quiet breaker store_reads it in the same snapshot. */
int store_history_json(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
		       FILE *out);

struct store_event {
	const char *name;
	int64_t time_ms;
	enum breaker_state_kind from, to;
	const char *reason;
};
typedef int (*store_event_fn)(const struct store_event *e, void *ctx);
int store_history(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
		  store_event_fn fn, void *ctx);

/* Forgets a breaker, its leases and its history. */
int store_delete(struct store *s, const char *name);

#endif
