/* The SQLite store: a state file behind store.h's operations; the only module
 * that speaks SQL (json.c uses SQLite on no file, as its JSON library). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "escape.h"
#include "options.h"
#include "parse.h"
#include "proc.h"
#include "statepath.h"
#include "store.h"

/*
 * Schema 2 (PRAGMA user_version = 2, PRAGMA application_id = STORE_APP_ID).
 *
 * - breakers: one row per breaker name: the persisted fields of struct
 *   breaker_state, the window as window_encode()'s blob, the settings last
 *   used (for status), and history_seq, the seq of its newest history event.
 * - history: transitions per breaker keyed by (breaker, seq), WITHOUT ROWID so
 *   that one breaker's events are one range of the key: trimming after an
 *   insert deletes "seq <= newest - limit", usually one row, whatever the
 *   length of the history.
 * - leases: calls in flight that hold a probe slot or a concurrency slot.
 *   AUTOINCREMENT so that an id is never reused: a call whose lease expired
 *   and was dropped must not release someone else's lease when it ends.
 *
 * - meta: numbers of the file as a whole; "generation_floor" is the highest
 *   generation of any breaker deleted, so that a breaker made again under the
 *   same name starts above it and no call admitted before the delete can
 *   drive the new one.
 *
 * Times are ms since the epoch, durations ms, all INTEGER. Deadlines shared
 * between processes (breakers.retry_at, leases.expires_at) have a twin on the
 * boot clock (retry_boot, expires_boot: ms of CLOCK_BOOTTIME) with the boot_id
 * it belongs to, which decides while the boot is the same (breaker.c,
 * invariant 6); 0 there means the wall clock alone.
 *
 * Schema 1 had neither the twins, nor open_length, last_success_at, the
 * call durations (total_timed_calls, total_duration in ms) and held, nor meta;
 * migrate() adds them in one transaction.
 */

#define STORE_SCHEMA_VERSION	 2
#define STORE_APP_ID		 0x63626578 /* "cbex": tells our file from another program's */
#define STORE_BUSY_TIMEOUT_MS	 10000
/* WAL pages (frames) after which a write checkpoints and truncates the WAL;
 * see checkpoint_due, and bench/README.md for how the number was chosen. */
#define STORE_WAL_TRUNCATE_PAGES 32
/* Bytes a WAL is cut back to when it restarts; see open_writer. */
#define STORE_JOURNAL_LIMIT	 "1048576"

#define META_SQL		 "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);"

/* Schema 1 to 2: every step keeps what schema 1 had. The open length of a
 * breaker open today is what its retry time and its opening say. Schema 1 told
 * a hold (trip --for) by its reason alone: only trip wrote one starting so, and
 * a trip without --for set mode 1. This is the one place that reads it. */
static const char migrate_sql[] =
	"ALTER TABLE breakers ADD COLUMN retry_boot INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE breakers ADD COLUMN boot_id INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE breakers ADD COLUMN open_length INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE breakers ADD COLUMN last_success_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE breakers ADD COLUMN total_timed_calls INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE breakers ADD COLUMN total_duration INTEGER NOT NULL DEFAULT 0;"
	"UPDATE breakers SET open_length = max(retry_at - state_changed_at, 0) WHERE state = 1;"
	"ALTER TABLE breakers ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
	"UPDATE breakers SET held = 1 WHERE state = 1 AND mode = 0 AND "
	"substr(reason, 1, 15) = 'tripped by hand';"
	"ALTER TABLE leases ADD COLUMN expires_boot INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE leases ADD COLUMN boot_id INTEGER NOT NULL DEFAULT 0;" META_SQL;

static const char schema_sql[] =
	"CREATE TABLE breakers ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" state INTEGER NOT NULL,"
	" mode INTEGER NOT NULL,"
	" generation INTEGER NOT NULL,"
	" consecutive_failures INTEGER NOT NULL,"
	" consecutive_successes INTEGER NOT NULL,"
	" state_changed_at INTEGER NOT NULL,"
	" retry_at INTEGER NOT NULL,"
	" open_period INTEGER NOT NULL,"
	" last_failure_at INTEGER NOT NULL,"
	" last_exit INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" mode_reason TEXT NOT NULL,"
	" total_calls INTEGER NOT NULL,"
	" total_successes INTEGER NOT NULL,"
	" total_failures INTEGER NOT NULL,"
	" total_ignored INTEGER NOT NULL,"
	" total_rejected INTEGER NOT NULL,"
	" total_timeouts INTEGER NOT NULL,"
	" total_slow INTEGER NOT NULL,"
	" total_opens INTEGER NOT NULL,"
	" window BLOB,"
	" failure_threshold INTEGER NOT NULL,"
	" success_threshold INTEGER NOT NULL,"
	" recovery_timeout INTEGER NOT NULL,"
	" half_open_max_calls INTEGER NOT NULL,"
	" max_concurrent INTEGER NOT NULL,"
	" history_seq INTEGER NOT NULL,"
	" retry_boot INTEGER NOT NULL DEFAULT 0,"
	" boot_id INTEGER NOT NULL DEFAULT 0,"
	" open_length INTEGER NOT NULL DEFAULT 0,"
	" last_success_at INTEGER NOT NULL DEFAULT 0,"
	" total_timed_calls INTEGER NOT NULL DEFAULT 0,"
	" total_duration INTEGER NOT NULL DEFAULT 0,"
	" held INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE history ("
	" breaker TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" time INTEGER NOT NULL,"
	" from_state INTEGER NOT NULL,"
	" to_state INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" PRIMARY KEY (breaker, seq)"
	") WITHOUT ROWID;"
	"CREATE TABLE leases ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" breaker TEXT NOT NULL,"
	" pid INTEGER NOT NULL,"
	" start_time INTEGER NOT NULL,"
	" pidns INTEGER NOT NULL," /* pids only compare within one pid namespace */
	" generation INTEGER NOT NULL,"
	" probe INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" expires_boot INTEGER NOT NULL DEFAULT 0,"
	" boot_id INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX leases_breaker ON leases (breaker);" META_SQL;

/* The columns of breakers after name, in the order of enum column. */
#define BREAKER_COLUMNS                                                                            \
	"state, mode, generation, consecutive_failures, consecutive_successes, "                   \
	"state_changed_at, retry_at, open_period, last_failure_at, last_exit, reason, "            \
	"mode_reason, total_calls, total_successes, total_failures, total_ignored, "               \
	"total_rejected, total_timeouts, total_slow, total_opens, window, failure_threshold, "     \
	"success_threshold, recovery_timeout, half_open_max_calls, max_concurrent, history_seq, "  \
	"retry_boot, boot_id, open_length, last_success_at, total_timed_calls, total_duration, "   \
	"held"

enum column {
	C_STATE,
	C_MODE,
	C_GENERATION,
	C_CONSECUTIVE_FAILURES,
	C_CONSECUTIVE_SUCCESSES,
	C_STATE_CHANGED_AT,
	C_RETRY_AT,
	C_OPEN_PERIOD,
	C_LAST_FAILURE_AT,
	C_LAST_EXIT,
	C_REASON,
	C_MODE_REASON,
	C_TOTAL_CALLS,
	C_TOTAL_SUCCESSES,
	C_TOTAL_FAILURES,
	C_TOTAL_IGNORED,
	C_TOTAL_REJECTED,
	C_TOTAL_TIMEOUTS,
	C_TOTAL_SLOW,
	C_TOTAL_OPENS,
	C_WINDOW,
	C_FAILURE_THRESHOLD,
	C_SUCCESS_THRESHOLD,
	C_RECOVERY_TIMEOUT,
	C_HALF_OPEN_MAX_CALLS,
	C_MAX_CONCURRENT,
	C_HISTORY_SEQ,
	C_RETRY_BOOT,
	C_BOOT_ID,
	C_OPEN_LENGTH,
	C_LAST_SUCCESS_AT,
	C_TOTAL_TIMED_CALLS,
	C_TOTAL_DURATION,
	C_HELD,
	C_COUNT
};

/* The live-lease test, as an SQL function so that pruning is one DELETE. */
#define LEASE_ALIVE "cbexec_lease_alive(pid, start_time, pidns)"
/* Whether a lease's time is up, by the boot clock when it is this boot's (so a
 * wall clock set forward frees no slot), else by the wall clock. Parameters
 * ?7 wall, ?8 boot clock, ?9 boot id: numbered apart from each query's own. */
#define LEASE_EXPIRED                                                                              \
	"(CASE WHEN boot_id <> 0 AND boot_id = ?9 THEN expires_boot <= ?8 ELSE expires_at <= ?7 "  \
	"END)"

enum query {
	Q_BEGIN,
	Q_BEGIN_IMMEDIATE,
	Q_COMMIT,
	Q_LOAD,
	Q_INSERT,
	Q_UPDATE,
	Q_COUNT_REJECTED,
	Q_EACH,
	Q_LEASE_RELEASE,
	Q_LEASE_PRUNE,
	Q_LEASE_COUNT,
	Q_LEASE_COUNT_LIVE,
	Q_LEASE_TAKE,
	Q_HISTORY_ADD,
	Q_HISTORY_TRIM,
	Q_HISTORY_LIST,
	Q_HISTORY_ALL,
	Q_DELETE_BREAKER,
	Q_DELETE_LEASES,
	Q_DELETE_HISTORY,
	Q_FLOOR_GET,
	Q_FLOOR_RAISE,
	Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN",
	/* Takes the write lock first: a deferred BEGIN that reads then writes can
	 * fail with SQLITE_BUSY that no busy handler can wait out. */
	[Q_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_LOAD] = "SELECT " BREAKER_COLUMNS " FROM breakers WHERE name = ?1",
	[Q_INSERT] =
		"INSERT INTO breakers (name, " BREAKER_COLUMNS ") VALUES (?1, ?2, "
		"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
		"?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)",
	/* In place: INSERT OR REPLACE deleted and re-inserted the row and its
	 * name's index entry, two or more WAL pages where this writes one. The
	 * parameters are Q_INSERT's. */
	[Q_UPDATE] = "UPDATE breakers SET state = ?2, mode = ?3, generation = ?4, "
		     "consecutive_failures = ?5, consecutive_successes = ?6, "
		     "state_changed_at = ?7, retry_at = ?8, open_period = ?9, "
		     "last_failure_at = ?10, last_exit = ?11, reason = ?12, mode_reason = ?13, "
		     "total_calls = ?14, total_successes = ?15, total_failures = ?16, "
		     "total_ignored = ?17, total_rejected = ?18, total_timeouts = ?19, "
		     "total_slow = ?20, total_opens = ?21, window = ?22, failure_threshold = ?23, "
		     "success_threshold = ?24, recovery_timeout = ?25, half_open_max_calls = ?26, "
		     "max_concurrent = ?27, history_seq = ?28, retry_boot = ?29, boot_id = ?30, "
		     "open_length = ?31, last_success_at = ?32, total_timed_calls = ?33, "
		     "total_duration = ?34, held = ?35 WHERE name = ?1",
	/* An increment, not a value read earlier: exact in a transaction of its
	 * own, whatever other processes wrote since the decision was read. */
	[Q_COUNT_REJECTED] =
		"UPDATE breakers SET total_rejected = total_rejected + ?2 WHERE name = ?1",
	[Q_EACH] = "SELECT name, " BREAKER_COLUMNS " FROM breakers ORDER BY name",
	[Q_LEASE_RELEASE] = "DELETE FROM leases WHERE id = ?1 AND breaker = ?2",
	[Q_LEASE_PRUNE] = "DELETE FROM leases WHERE breaker = ?1 AND (" LEASE_EXPIRED " OR "
			  "NOT " LEASE_ALIVE ")",
	[Q_LEASE_COUNT] = "SELECT count(*), coalesce(sum(probe AND generation = ?2), 0) "
			  "FROM leases WHERE breaker = ?1",
	[Q_LEASE_COUNT_LIVE] =
		"SELECT count(*), coalesce(sum(probe AND generation = ?2), 0) "
		"FROM leases WHERE breaker = ?1 AND NOT " LEASE_EXPIRED " AND " LEASE_ALIVE,
	[Q_LEASE_TAKE] = "INSERT INTO leases (breaker, pid, start_time, pidns, generation, probe, "
			 "expires_at, expires_boot, boot_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			 "?8, ?9)",
	[Q_HISTORY_ADD] = "INSERT INTO history (breaker, seq, time, from_state, to_state, reason) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_HISTORY_TRIM] = "DELETE FROM history WHERE breaker = ?1 AND seq <= ?2",
	/* The newest ?2 at or after ?3, printed oldest first. One breaker's
	 * events are one range of the primary key, in seq order; every
	 * breaker's are merged by time (a scan: no index on time costs every
	 * write), name and seq breaking ties. */
	[Q_HISTORY_LIST] = "SELECT breaker, time, from_state, to_state, reason FROM (SELECT * "
			   "FROM history WHERE breaker = ?1 AND time >= ?3 ORDER BY seq DESC "
			   "LIMIT ?2) ORDER BY seq",
	[Q_HISTORY_ALL] = "SELECT breaker, time, from_state, to_state, reason FROM (SELECT * "
			  "FROM history WHERE time >= ?3 ORDER BY time DESC, breaker DESC, seq "
			  "DESC LIMIT ?2) ORDER BY time, breaker, seq",
	[Q_DELETE_BREAKER] = "DELETE FROM breakers WHERE name = ?1",
	[Q_DELETE_LEASES] = "DELETE FROM leases WHERE breaker = ?1",
	[Q_DELETE_HISTORY] = "DELETE FROM history WHERE breaker = ?1",
	[Q_FLOOR_GET] = "SELECT value FROM meta WHERE key = 'generation_floor'",
	[Q_FLOOR_RAISE] = "INSERT INTO meta (key, value) SELECT 'generation_floor', generation "
			  "FROM breakers WHERE name = ?1 ON CONFLICT (key) DO UPDATE SET value = "
			  "max(value, excluded.value)",
};

struct store {
	struct store_base base; /* first: see store.h */
	sqlite3 *db;
	bool snapshot;		     /* inside store_snapshot_begin: reads share its transaction */
	sqlite3_stmt *stmt[Q_COUNT]; /* prepared on first use */
	int64_t lock_timeout_ms;
	int wal_frames; /* in the WAL after the last commit, from wal_hook */
	char err[512];
};

/*
 * One read-modify-write of one breaker, in one BEGIN IMMEDIATE transaction
 * (store_update), its callback deciding: how every operation that changes a
 * breaker is built. STORE_BUSY (nothing done) when another process holds the
 * write lock past the lock timeout.
 */
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

static const struct store_ops sqlite_ops;
static void sqlite_close(struct store *s);
static void sqlite_set_lock_timeout(struct store *s, int64_t ms);

const char *store_sqlite_version(void)
{
	return sqlite3_libversion();
}

static const char *sqlite_errmsg(const struct store *s)
{
	return s->err[0] ? s->err : "unknown error";
}

/* Keeps SQLite's message for the caller, who prefixes the path. */
static void note_error(struct store *s)
{
	int code = sqlite3_errcode(s->db) & 0xff;

	if (code == SQLITE_BUSY && s->lock_timeout_ms % 1000 == 0)
		snprintf(s->err, sizeof(s->err),
			 "%s: another process held the state file locked for over %lld s",
			 sqlite3_errmsg(s->db), (long long)(s->lock_timeout_ms / 1000));
	else if (code == SQLITE_BUSY)
		snprintf(s->err, sizeof(s->err),
			 "%s: another process held the state file locked for over %lld ms",
			 sqlite3_errmsg(s->db), (long long)s->lock_timeout_ms);
	else
		snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(s->db));
}

static sqlite3_stmt *query(struct store *s, enum query id)
{
	if (!s->stmt[id] && sqlite3_prepare_v3(s->db, query_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					       &s->stmt[id], NULL) != SQLITE_OK) {
		note_error(s);
		return NULL;
	}
	return s->stmt[id];
}

/* Steps q to the end (it must return no rows, or its rows are not wanted). */
static int run(struct store *s, sqlite3_stmt *q)
{
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		note_error(s);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int run_query(struct store *s, enum query id)
{
	sqlite3_stmt *q = query(s, id);

	return q ? run(s, q) : -1;
}

/* Ends a failed transaction; the message already noted stays. SQLite rolls some
 * errors back itself, hence the autocommit test. */
static int abort_txn(struct store *s)
{
	for (int i = 0; i < Q_COUNT; i++)
		if (s->stmt[i])
			sqlite3_reset(s->stmt[i]);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->snapshot = false;
	return STORE_ERR;
}

/* The BEGIN of a read: none inside a snapshot, which is already one. */
static int begin_read(struct store *s)
{
	return s->snapshot ? 0 : run_query(s, Q_BEGIN);
}

/* ROLLBACK of a transaction that wrote nothing on purpose; its failure is not an error. */
static void end_read(struct store *s)
{
	if (!s->snapshot && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* One read transaction around the reads between them (read, each, history),
 * so that what a reader prints is one snapshot. End it before printing: an
 * open read transaction keeps the WAL from being checkpointed, and a paused
 * pager would hold it for as long as it likes. */
static int sqlite_snapshot_begin(struct store *s)
{
	if (run_query(s, Q_BEGIN) < 0)
		return abort_txn(s);
	s->snapshot = true;
	return STORE_OK;
}

static void sqlite_snapshot_end(struct store *s)
{
	s->snapshot = false;
	end_read(s);
}

/* Ends a read transaction with the COMMIT that writes will need anyway: one
 * statement prepared per process instead of a ROLLBACK prepared per call. */
static void end_admit_read(struct store *s)
{
	if (run_query(s, Q_COMMIT) < 0)
		end_read(s);
}

static int wal_hook(void *arg, sqlite3 *db, const char *dbname, int frames)
{
	struct store *s = arg;

	(void)db;
	(void)dbname;
	s->wal_frames = frames;
	return SQLITE_OK;
}

/*
 * Called after every write. Each cbexec is usually the state file's only
 * connection, and SQLite rebuilds the WAL index of a lone connection from the
 * WAL file, forgetting how much of it was already checkpointed: a passive
 * checkpoint (SQLite's autocheckpoint) then backfills but the log is restarted
 * only by the next write of the same process, and a call that writes once (a
 * rejection, an outcome) never restarts it, so the WAL grew with every such call
 * and every process read all of it back. A TRUNCATE checkpoint backfills and
 * empties the file at once. It runs without the busy handler: if another
 * process is writing or still reads old frames, this one does not wait, the
 * backfill it could do is done, and a later write tries again.
 */
static void checkpoint_due(struct store *s)
{
	if (s->wal_frames < STORE_WAL_TRUNCATE_PAGES)
		return;
	s->wal_frames = 0;
	sqlite3_busy_handler(s->db, NULL, NULL);
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite_set_lock_timeout(s, s->lock_timeout_ms);
}

static int commit(struct store *s)
{
	if (run_query(s, Q_COMMIT) < 0)
		return -1;
	checkpoint_due(s);
	return 0;
}

static void bind_text(sqlite3_stmt *q, int i, const char *v)
{
	sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
}

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
	snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

static int64_t clamp_u32(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : v;
}

/*
 * What decode_row accepts. Times up to the end of year 9999 and durations as
 * long, so that a time plus a duration, or the difference of two times, never
 * overflows int64_t; counters that the machine increments end below their
 * type's maximum (or saturate there, see breaker.c).
 */
#define ROW_TIME_MAX	   INT64_C(253402300799999)
#define ROW_COUNTER_MAX	   INT64_MAX
#define ROW_GENERATION_MAX (INT64_C(1) << 62) /* generation, history_seq: incremented */

/* The columns' names, for the message about a row that cannot be used. */
static const char *const column_name[C_COUNT] = {
	"state",
	"mode",
	"generation",
	"consecutive_failures",
	"consecutive_successes",
	"state_changed_at",
	"retry_at",
	"open_period",
	"last_failure_at",
	"last_exit",
	"reason",
	"mode_reason",
	"total_calls",
	"total_successes",
	"total_failures",
	"total_ignored",
	"total_rejected",
	"total_timeouts",
	"total_slow",
	"total_opens",
	"window",
	"failure_threshold",
	"success_threshold",
	"recovery_timeout",
	"half_open_max_calls",
	"max_concurrent",
	"history_seq",
	"retry_boot",
	"boot_id",
	"open_length",
	"last_success_at",
	"total_timed_calls",
	"total_duration",
	"held",
};

static const struct {
	int64_t lo, hi;
} column_range[C_COUNT] = {
	[C_STATE] = { BREAKER_CLOSED, BREAKER_HALF_OPEN },
	[C_MODE] = { BREAKER_NORMAL, BREAKER_BYPASS },
	[C_GENERATION] = { 0, ROW_GENERATION_MAX },
	[C_CONSECUTIVE_FAILURES] = { 0, UINT32_MAX },
	[C_CONSECUTIVE_SUCCESSES] = { 0, UINT32_MAX },
	[C_STATE_CHANGED_AT] = { 0, ROW_TIME_MAX },
	[C_RETRY_AT] = { 0, 2 * ROW_TIME_MAX },
	[C_OPEN_PERIOD] = { 0, ROW_TIME_MAX },
	[C_LAST_FAILURE_AT] = { 0, ROW_TIME_MAX },
	[C_LAST_EXIT] = { -1, 255 },
	[C_TOTAL_CALLS] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_SUCCESSES] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_FAILURES] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_IGNORED] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_REJECTED] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_TIMEOUTS] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_SLOW] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_OPENS] = { 0, ROW_COUNTER_MAX },
	[C_FAILURE_THRESHOLD] = { 0, UINT32_MAX },
	[C_SUCCESS_THRESHOLD] = { 0, UINT32_MAX },
	[C_RECOVERY_TIMEOUT] = { 0, ROW_TIME_MAX },
	[C_HALF_OPEN_MAX_CALLS] = { 0, UINT32_MAX },
	[C_MAX_CONCURRENT] = { 0, UINT32_MAX },
	[C_HISTORY_SEQ] = { 0, ROW_GENERATION_MAX },
	[C_RETRY_BOOT] = { 0, 2 * ROW_TIME_MAX },
	[C_BOOT_ID] = { 0, INT64_MAX },
	[C_OPEN_LENGTH] = { 0, ROW_TIME_MAX },
	[C_LAST_SUCCESS_AT] = { 0, ROW_TIME_MAX },
	[C_TOTAL_TIMED_CALLS] = { 0, ROW_COUNTER_MAX },
	[C_TOTAL_DURATION] = { 0, ROW_COUNTER_MAX },
	[C_HELD] = { 0, 1 },
};

static void row_invalid(struct store *s, const char *name, int col, const char *why)
{
	char q[ESCAPE_SIZE(64)];

	escape_text(name, q, sizeof(q));
	snprintf(s->err, sizeof(s->err),
		 "breaker %s: column %s %s; the state file was edited or damaged "
		 "(cbexec delete forgets the breaker)",
		 q, column_name[col], why);
}

/* Type and range of every column of q's row from base: 0, or -1 with a message. */
static int check_row(struct store *s, sqlite3_stmt *q, int base, const char *name)
{
	for (int c = 0; c < C_COUNT; c++) {
		int type = sqlite3_column_type(q, base + c);
		const char *text;

		if (c == C_WINDOW) {
			if (type != SQLITE_BLOB && type != SQLITE_NULL) {
				row_invalid(s, name, c, "is not a blob");
				return -1;
			}
		} else if (c == C_REASON || c == C_MODE_REASON) {
			if (type != SQLITE_TEXT) {
				row_invalid(s, name, c, "is not text");
				return -1;
			}
			text = (const char *)sqlite3_column_text(q, base + c);
			if (!text || sqlite3_column_bytes(q, base + c) >= BREAKER_REASON_MAX ||
			    strlen(text) != (size_t)sqlite3_column_bytes(q, base + c) ||
			    !text_utf8_valid(text)) {
				row_invalid(s, name, c, "is not UTF-8 text of up to 255 bytes");
				return -1;
			}
		} else {
			int64_t v = sqlite3_column_int64(q, base + c);
			char why[96];

			if (type != SQLITE_INTEGER) {
				row_invalid(s, name, c, "is not an integer");
				return -1;
			}
			if (v < column_range[c].lo || v > column_range[c].hi) {
				snprintf(why, sizeof(why), "holds %lld, outside %lld..%lld",
					 (long long)v, (long long)column_range[c].lo,
					 (long long)column_range[c].hi);
				row_invalid(s, name, c, why);
				return -1;
			}
		}
	}
	return 0;
}

/* Fills st, saved and *seq from the row whose columns start at base; the window
 * only if with_window, as only admission and outcomes need it. Every column is
 * checked first: a row edited by hand or damaged is refused whole, by name. */
static int decode_row(struct store *s, sqlite3_stmt *q, int base, const char *name,
		      bool with_window, struct breaker_state *st, struct breaker_settings *saved,
		      int64_t *seq)
{
	const void *blob;

	if (check_row(s, q, base, name) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->state = (enum breaker_state_kind)sqlite3_column_int(q, base + C_STATE);
	st->mode = (enum breaker_mode)sqlite3_column_int(q, base + C_MODE);
	st->generation = sqlite3_column_int64(q, base + C_GENERATION);
	st->consecutive_failures =
		(uint32_t)clamp_u32(sqlite3_column_int64(q, base + C_CONSECUTIVE_FAILURES));
	st->consecutive_successes =
		(uint32_t)clamp_u32(sqlite3_column_int64(q, base + C_CONSECUTIVE_SUCCESSES));
	st->state_changed_at_ms = sqlite3_column_int64(q, base + C_STATE_CHANGED_AT);
	st->retry_at_ms = sqlite3_column_int64(q, base + C_RETRY_AT);
	st->open_period_ms = sqlite3_column_int64(q, base + C_OPEN_PERIOD);
	st->last_failure_at_ms = sqlite3_column_int64(q, base + C_LAST_FAILURE_AT);
	st->last_exit = sqlite3_column_int(q, base + C_LAST_EXIT);
	copy_text(st->reason, sizeof(st->reason), sqlite3_column_text(q, base + C_REASON));
	copy_text(st->mode_reason, sizeof(st->mode_reason),
		  sqlite3_column_text(q, base + C_MODE_REASON));
	st->totals.calls = sqlite3_column_int64(q, base + C_TOTAL_CALLS);
	st->totals.successes = sqlite3_column_int64(q, base + C_TOTAL_SUCCESSES);
	st->totals.failures = sqlite3_column_int64(q, base + C_TOTAL_FAILURES);
	st->totals.ignored = sqlite3_column_int64(q, base + C_TOTAL_IGNORED);
	st->totals.rejected = sqlite3_column_int64(q, base + C_TOTAL_REJECTED);
	st->totals.timeouts = sqlite3_column_int64(q, base + C_TOTAL_TIMEOUTS);
	st->totals.slow = sqlite3_column_int64(q, base + C_TOTAL_SLOW);
	st->totals.opens = sqlite3_column_int64(q, base + C_TOTAL_OPENS);
	/* A blob we cannot read leaves a cleared window: the window only feeds the rate
	 * rules, and losing it costs less than refusing the breaker. */
	if (with_window) {
		blob = sqlite3_column_blob(q, base + C_WINDOW);
		window_decode(&st->window, blob ? blob : (const void *)"",
			      (size_t)sqlite3_column_bytes(q, base + C_WINDOW));
	}

	breaker_settings_init(saved);
	saved->failure_threshold =
		(uint32_t)clamp_u32(sqlite3_column_int64(q, base + C_FAILURE_THRESHOLD));
	saved->success_threshold =
		(uint32_t)clamp_u32(sqlite3_column_int64(q, base + C_SUCCESS_THRESHOLD));
	saved->recovery_timeout_ms = sqlite3_column_int64(q, base + C_RECOVERY_TIMEOUT);
	saved->half_open_max_calls =
		(uint32_t)clamp_u32(sqlite3_column_int64(q, base + C_HALF_OPEN_MAX_CALLS));
	saved->max_concurrent =
		(uint32_t)clamp_u32(sqlite3_column_int64(q, base + C_MAX_CONCURRENT));
	*seq = sqlite3_column_int64(q, base + C_HISTORY_SEQ);
	st->retry_boot_ms = sqlite3_column_int64(q, base + C_RETRY_BOOT);
	st->boot_id = sqlite3_column_int64(q, base + C_BOOT_ID);
	st->open_length_ms = sqlite3_column_int64(q, base + C_OPEN_LENGTH);
	st->last_success_at_ms = sqlite3_column_int64(q, base + C_LAST_SUCCESS_AT);
	st->totals.timed_calls = sqlite3_column_int64(q, base + C_TOTAL_TIMED_CALLS);
	st->totals.duration_ms_sum = sqlite3_column_int64(q, base + C_TOTAL_DURATION);
	st->held = sqlite3_column_int(q, base + C_HELD) != 0;
	return 0;
}

/* STORE_OK with the row, STORE_NOTFOUND, STORE_INVALID, or STORE_ERR. */
static int load(struct store *s, const char *name, struct breaker_state *st,
		struct breaker_settings *saved, int64_t *seq)
{
	sqlite3_stmt *q = query(s, Q_LOAD);
	int rc, ret;

	if (!q)
		return STORE_ERR;
	bind_text(q, 1, name);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		ret = decode_row(s, q, 0, name, true, st, saved, seq) == 0 ? STORE_OK
									   : STORE_INVALID;
	else if (rc == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else {
		note_error(s);
		ret = STORE_ERR;
	}
	sqlite3_reset(q);
	return ret;
}

/* A new row is inserted, an existing one updated in place. */
static int save(struct store *s, const char *name, bool insert, const struct breaker_state *st,
		const struct breaker_settings *set, int64_t seq)
{
	sqlite3_stmt *q = query(s, insert ? Q_INSERT : Q_UPDATE);
	uint8_t window[WINDOW_ENCODED_MAX];
	size_t wlen;

	if (!q)
		return -1;
		/* Parameter ?N holds column N - 2; ?1 is the name. */
#define B(col) ((col) + 2)
	bind_text(q, 1, name);
	sqlite3_bind_int(q, B(C_STATE), (int)st->state);
	sqlite3_bind_int(q, B(C_MODE), (int)st->mode);
	sqlite3_bind_int64(q, B(C_GENERATION), st->generation);
	sqlite3_bind_int64(q, B(C_CONSECUTIVE_FAILURES), st->consecutive_failures);
	sqlite3_bind_int64(q, B(C_CONSECUTIVE_SUCCESSES), st->consecutive_successes);
	sqlite3_bind_int64(q, B(C_STATE_CHANGED_AT), st->state_changed_at_ms);
	sqlite3_bind_int64(q, B(C_RETRY_AT), st->retry_at_ms);
	sqlite3_bind_int64(q, B(C_OPEN_PERIOD), st->open_period_ms);
	sqlite3_bind_int64(q, B(C_LAST_FAILURE_AT), st->last_failure_at_ms);
	sqlite3_bind_int(q, B(C_LAST_EXIT), st->last_exit);
	bind_text(q, B(C_REASON), st->reason);
	bind_text(q, B(C_MODE_REASON), st->mode_reason);
	sqlite3_bind_int64(q, B(C_TOTAL_CALLS), st->totals.calls);
	sqlite3_bind_int64(q, B(C_TOTAL_SUCCESSES), st->totals.successes);
	sqlite3_bind_int64(q, B(C_TOTAL_FAILURES), st->totals.failures);
	sqlite3_bind_int64(q, B(C_TOTAL_IGNORED), st->totals.ignored);
	sqlite3_bind_int64(q, B(C_TOTAL_REJECTED), st->totals.rejected);
	sqlite3_bind_int64(q, B(C_TOTAL_TIMEOUTS), st->totals.timeouts);
	sqlite3_bind_int64(q, B(C_TOTAL_SLOW), st->totals.slow);
	sqlite3_bind_int64(q, B(C_TOTAL_OPENS), st->totals.opens);
	wlen = window_encode(&st->window, window, sizeof(window));
	sqlite3_bind_blob(q, B(C_WINDOW), window, (int)wlen, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, B(C_FAILURE_THRESHOLD), set->failure_threshold);
	sqlite3_bind_int64(q, B(C_SUCCESS_THRESHOLD), set->success_threshold);
	sqlite3_bind_int64(q, B(C_RECOVERY_TIMEOUT), set->recovery_timeout_ms);
	sqlite3_bind_int64(q, B(C_HALF_OPEN_MAX_CALLS), set->half_open_max_calls);
	sqlite3_bind_int64(q, B(C_MAX_CONCURRENT), set->max_concurrent);
	sqlite3_bind_int64(q, B(C_HISTORY_SEQ), seq);
	sqlite3_bind_int64(q, B(C_RETRY_BOOT), st->retry_boot_ms);
	sqlite3_bind_int64(q, B(C_BOOT_ID), st->boot_id);
	sqlite3_bind_int64(q, B(C_OPEN_LENGTH), st->open_length_ms);
	sqlite3_bind_int64(q, B(C_LAST_SUCCESS_AT), st->last_success_at_ms);
	sqlite3_bind_int64(q, B(C_TOTAL_TIMED_CALLS), st->totals.timed_calls);
	sqlite3_bind_int64(q, B(C_TOTAL_DURATION), st->totals.duration_ms_sum);
	sqlite3_bind_int(q, B(C_HELD), st->held);
#undef B
	return run(s, q);
}

/* The clocks for LEASE_EXPIRED. */
static void bind_clocks(sqlite3_stmt *q, const struct breaker_env *env)
{
	sqlite3_bind_int64(q, 7, env->now_ms);
	sqlite3_bind_int64(q, 8, env->boot_ms);
	sqlite3_bind_int64(q, 9, env->boot_id);
}

/* Counts this breaker's leases into st: every one, or only the live ones. */
static int count_leases(struct store *s, const char *name, const struct breaker_env *env,
			bool live_only, struct breaker_state *st)
{
	sqlite3_stmt *q = query(s, live_only ? Q_LEASE_COUNT_LIVE : Q_LEASE_COUNT);
	int rc;

	if (!q)
		return -1;
	bind_text(q, 1, name);
	sqlite3_bind_int64(q, 2, st->generation);
	if (live_only)
		bind_clocks(q, env);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		st->calls_inflight = (uint32_t)clamp_u32(sqlite3_column_int64(q, 0));
		st->probes_inflight = (uint32_t)clamp_u32(sqlite3_column_int64(q, 1));
	} else {
		note_error(s);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Deletes the lease being released and the dead ones; returns how many, or -1. */
static int drop_leases(struct store *s, const struct store_txn *t)
{
	sqlite3_stmt *q;
	int dropped = 0;

	if (t->release_lease) {
		if (!(q = query(s, Q_LEASE_RELEASE)))
			return -1;
		sqlite3_bind_int64(q, 1, t->release_lease);
		bind_text(q, 2, t->name);
		if (run(s, q) < 0)
			return -1;
		dropped += sqlite3_changes(s->db);
	}
	if (!(q = query(s, Q_LEASE_PRUNE)))
		return -1;
	bind_text(q, 1, t->name);
	bind_clocks(q, &t->env);
	if (run(s, q) < 0)
		return -1;
	return dropped + sqlite3_changes(s->db);
}

static int take_lease(struct store *s, struct store_txn *t)
{
	sqlite3_stmt *q = query(s, Q_LEASE_TAKE);
	pid_t pid = getpid();

	if (!q)
		return -1;
	bind_text(q, 1, t->name);
	sqlite3_bind_int64(q, 2, pid);
	sqlite3_bind_int64(q, 3, proc_start_time(pid));
	sqlite3_bind_int64(q, 4, (int64_t)proc_pid_namespace());
	sqlite3_bind_int64(q, 5, t->lease_generation);
	sqlite3_bind_int(q, 6, t->lease_probe);
	sqlite3_bind_int64(q, 7, t->lease_expires_ms);
	/* The same deadline on the boot clock, which decides within this boot. */
	sqlite3_bind_int64(q, 8, t->lease_expires_ms - t->env.now_ms + t->env.boot_ms);
	sqlite3_bind_int64(q, 9, t->env.boot_id);
	if (run(s, q) < 0)
		return -1;
	t->lease_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int add_history(struct store *s, const struct store_txn *t, int64_t seq)
{
	sqlite3_stmt *q = query(s, Q_HISTORY_ADD);
	int64_t limit = t->history_limit ? t->history_limit : OPTIONS_HISTORY_LIMIT;

	if (!q)
		return -1;
	bind_text(q, 1, t->name);
	sqlite3_bind_int64(q, 2, seq);
	sqlite3_bind_int64(q, 3, t->env.now_ms);
	sqlite3_bind_int(q, 4, (int)t->transition.from);
	sqlite3_bind_int(q, 5, (int)t->transition.to);
	bind_text(q, 6, t->transition.reason);
	if (run(s, q) < 0)
		return -1;
	/* A range of the primary key: one row when the limit is unchanged. */
	if (!(q = query(s, Q_HISTORY_TRIM)))
		return -1;
	bind_text(q, 1, t->name);
	sqlite3_bind_int64(q, 2, seq - limit);
	return run(s, q);
}

/* A new breaker starts above every generation deleted from this file. */
static int seed_generation(struct store *s, struct breaker_state *st)
{
	sqlite3_stmt *q = query(s, Q_FLOOR_GET);
	int rc;

	if (!q)
		return -1;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_int64(q, 0) >= st->generation)
		st->generation = sqlite3_column_int64(q, 0) + 1;
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		note_error(s);
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* STORE_BUSY when the write lock could not be had in the lock timeout. */
static int busy_or_error(struct store *s)
{
	bool busy = (sqlite3_errcode(s->db) & 0xff) == SQLITE_BUSY;

	abort_txn(s);
	return busy ? STORE_BUSY : STORE_ERR;
}

static void sqlite_set_lock_timeout(struct store *s, int64_t ms)
{
	s->lock_timeout_ms = ms;
	sqlite3_busy_timeout(s->db, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

static int store_update(struct store *s, struct store_txn *t, store_fn fn, void *ctx)
{
	struct breaker_state st;
	struct breaker_settings saved;
	int64_t seq = 0;
	int rc, dropped;

	t->lease_id = 0;
	t->created = false;
	/* Prepared before the write lock, so that others wait less; a failure
	 * shows again where the statement is used. */
	query(s, Q_LOAD);
	query(s, Q_UPDATE);
	query(s, Q_COMMIT);
	if (run_query(s, Q_BEGIN_IMMEDIATE) < 0)
		return busy_or_error(s);
	/* Only now: a time read before the wait for the lock would date this
	 * transaction in the past by as long as the wait. */
	clock_now(&t->env);
	rc = load(s, t->name, &st, &saved, &seq);
	if (rc == STORE_ERR || rc == STORE_INVALID)
		return abort_txn(s);
	if (rc == STORE_NOTFOUND) {
		if (!t->create) {
			end_read(s);
			return STORE_NOTFOUND;
		}
		if (t->settings)
			saved = *t->settings;
		else
			breaker_settings_init(&saved);
		breaker_state_init(&st, &saved, t->env.now_ms);
		if (seed_generation(s, &st) < 0)
			return abort_txn(s);
		t->created = true;
	}
	/* A call turned away by an open breaker neither reads nor prunes leases:
	 * two statements fewer on the path that must be cheapest. Dead leases
	 * wait for the next call that needs the count. */
	dropped = 0;
	if (t->release_lease ||
	    breaker_leases_matter(&st, t->settings ? t->settings : &saved, &t->env)) {
		if ((dropped = drop_leases(s, t)) < 0 ||
		    count_leases(s, t->name, &t->env, false, &st) < 0)
			return abort_txn(s);
	}

	t->saved = &saved;
	fn(&st, t, ctx);
	t->saved = NULL;

	if (t->write) {
		if (t->transitioned)
			seq++;
		if (save(s, t->name, t->created, &st, t->settings ? t->settings : &saved, seq) < 0)
			return abort_txn(s);
		if (t->take_lease && take_lease(s, t) < 0)
			return abort_txn(s);
		if (t->transitioned && add_history(s, t, seq) < 0)
			return abort_txn(s);
	}
	if (t->write || dropped > 0) {
		if (commit(s) < 0) {
			t->lease_id = 0;
			return abort_txn(s);
		}
	} else {
		end_read(s);
	}
	return STORE_OK;
}

/* Adds n to total_rejected in a write transaction of its own; STORE_NOTFOUND
 * if the row went away since it was read. */
static int count_rejected(struct store *s, const char *name, int64_t n)
{
	sqlite3_stmt *q = query(s, Q_COUNT_REJECTED);

	if (!q)
		return STORE_ERR;
	bind_text(q, 1, name);
	sqlite3_bind_int64(q, 2, n);
	if (run(s, q) < 0)
		return busy_or_error(s);
	if (sqlite3_changes(s->db) == 0)
		return STORE_NOTFOUND;
	checkpoint_due(s);
	return STORE_OK;
}

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
static int update_admit(struct store *s, struct store_txn *t, store_fn fn, void *ctx)
{
	struct breaker_state st, before;
	struct breaker_settings saved;
	struct store_txn r;
	int64_t seq, rejected;
	int rc;

	/* A file we cannot write fails at admission, before the command runs. */
	if (sqlite3_db_readonly(s->db, "main") != 0)
		return store_update(s, t, fn, ctx);
	if (run_query(s, Q_BEGIN) < 0)
		return abort_txn(s);
	clock_now(&t->env);
	rc = load(s, t->name, &st, &saved, &seq);
	if (rc == STORE_ERR || rc == STORE_INVALID)
		return abort_txn(s);
	if (rc == STORE_NOTFOUND ||
	    breaker_leases_matter(&st, t->settings ? t->settings : &saved, &t->env)) {
		end_admit_read(s);
		return store_update(s, t, fn, ctx);
	}
	memcpy(&before, &st, sizeof(st));
	r = *t;
	fn(&st, &r, ctx);
	end_admit_read(s);
	if (!r.write) {
		*t = r;
		return STORE_OK;
	}
	if (!r.take_lease && !r.transitioned) {
		/* Bytes compared, so that no change to the row goes unseen: only
		 * when nothing but the rejection count moved is the read enough. */
		rejected = st.totals.rejected - before.totals.rejected;
		st.totals.rejected = before.totals.rejected;
		st.calls_inflight = before.calls_inflight;
		st.probes_inflight = before.probes_inflight;
		if (memcmp(&st, &before, sizeof(st)) == 0) {
			rc = rejected > 0 ? count_rejected(s, t->name, rejected) : STORE_OK;
			if (rc == STORE_ERR || rc == STORE_BUSY)
				return rc;
			if (rc == STORE_OK) {
				*t = r;
				return STORE_OK;
			}
		}
	}
	return store_update(s, t, fn, ctx);
}

/* The transaction of a call's operation (admit, record). */
static void call_txn(struct store_txn *t, const struct store_call *c)
{
	memset(t, 0, sizeof(*t));
	t->name = c->name;
	t->create = true;
	t->settings = c->settings;
	t->history_limit = c->history_limit;
	t->env.jitter = c->jitter;
}

struct op_ctx {
	const struct store_call *c;
	struct store_result *r;
	const struct store_manual *m;
};

/*
 * A call's admission. May run twice (see update_admit), so it sets all it
 * decides each time. A recorded call's admission (cbexec record: the call
 * has ended) has no bulkhead to wait at and writes only a change of state:
 * it takes no lease and counts no rejection.
 */
static void admit_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct op_ctx *ctx = vctx;
	const struct store_call *c = ctx->c;
	struct store_result *r = ctx->r;
	struct breaker_settings set = *c->settings;

	if (c->recorded)
		set.max_concurrent = 0;
	r->env = t->env;
	breaker_admit(st, &set, &r->env, &r->decision);
	r->after = *st;
	if (c->recorded && !r->decision.transitioned)
		return;
	if (c->waiting && r->decision.reject == REJECT_CONCURRENCY)
		return; /* t->write stays false: nothing counted while we wait */
	t->write = true;
	t->transitioned = r->decision.transitioned;
	t->transition = r->decision.transition;
	if (!c->recorded && r->decision.admitted && (r->decision.probe || set.max_concurrent)) {
		t->take_lease = true;
		t->lease_probe = r->decision.probe;
		t->lease_generation = r->decision.generation;
		t->lease_expires_ms = r->env.now_ms + c->lease_ms;
	}
}

/* What every operation that ran a transaction hands back. */
static void txn_result(const struct store_txn *t, struct store_result *r)
{
	r->transitioned = t->transitioned;
	r->transition = t->transition;
	r->lease = t->lease_id;
	r->created = t->created;
}

static int sqlite_admit(struct store *s, const struct store_call *c, struct store_result *r)
{
	struct op_ctx ctx = { c, r, NULL };
	struct store_txn t;
	int rc;

	/* r is filled by the callback and txn_result: no 4 KiB memset on the
	 * path of every call. */
	call_txn(&t, c);
	if ((rc = update_admit(s, &t, admit_cb, &ctx)) == STORE_OK)
		txn_result(&t, r);
	return rc;
}

static void record_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct op_ctx *ctx = vctx;

	ctx->r->env = t->env;
	t->transitioned =
		breaker_record(st, ctx->c->settings, &ctx->r->env, ctx->c->call, &t->transition);
	t->write = true;
	ctx->r->after = *st;
}

static int sqlite_record(struct store *s, const struct store_call *c, struct store_result *r)
{
	struct op_ctx ctx = { c, r, NULL };
	struct store_txn t;
	int rc;

	call_txn(&t, c);
	t.release_lease = c->lease;
	if ((rc = store_update(s, &t, record_cb, &ctx)) == STORE_OK)
		txn_result(&t, r);
	return rc;
}

/* Writes nothing: the store drops the lease being released. */
static void release_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	(void)st;
	(void)vctx;
	t->write = false;
}

static int sqlite_release(struct store *s, const char *name, int64_t lease)
{
	struct store_txn t = { 0 };

	if (!lease)
		return STORE_OK;
	t.name = name;
	t.release_lease = lease;
	return store_update(s, &t, release_cb, NULL);
}

static void manual_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct op_ctx *ctx = vctx;
	const struct store_manual *m = ctx->m;

	ctx->r->env = t->env;
	switch (m->kind) {
	case STORE_RESET:
		/* With the breaker's own saved settings: the open period set back
		 * is the recovery timeout its calls gave (-r 1h), not the built-in
		 * one, until a call brings settings anew. */
		t->transitioned = breaker_reset(st, t->saved, &t->env, &t->transition);
		t->write = true;
		break;
	case STORE_TRIP:
		/* Invariant 8 of breaker.c: a trip that changes nothing writes nothing. */
		t->write = breaker_trip(st, &t->env, m->for_ms, m->reason, &t->transition);
		t->transitioned = t->write;
		break;
	case STORE_BYPASS:
		/* The state does not change, but the mode does: the "closed ->
		 * closed" event in the history says when and why bypass began. A
		 * second bypass with the same reason changes nothing and writes
		 * nothing. */
		t->write = breaker_bypass(st, m->reason, &t->transition);
		t->transitioned = t->write;
		break;
	}
	ctx->r->after = *st;
}

static int sqlite_manual(struct store *s, const struct store_manual *m, struct store_result *r)
{
	struct op_ctx ctx = { NULL, r, m };
	struct store_txn t = { 0 };
	int rc;

	memset(r, 0, sizeof(*r));
	/* Trip and bypass make an unknown breaker, with the built-in settings:
	 * tripping or bypassing a breaker before its first call is how
	 * maintenance is announced ahead. A call brings its own settings. */
	t.name = m->name;
	t.create = m->kind != STORE_RESET;
	if ((rc = store_update(s, &t, manual_cb, &ctx)) == STORE_OK)
		txn_result(&t, r);
	return rc;
}

static int sqlite_now(struct store *s, struct breaker_env *env)
{
	(void)s;
	clock_now(env);
	return STORE_OK;
}

static int sqlite_read(struct store *s, const char *name, int64_t now_ms, struct breaker_state *st,
		       struct breaker_settings *saved)
{
	struct breaker_settings unused;
	struct breaker_env env;
	int64_t seq;
	int rc;

	if (begin_read(s) < 0)
		return abort_txn(s);
	clock_now(&env);
	env.now_ms = now_ms;
	rc = load(s, name, st, saved ? saved : &unused, &seq);
	if (rc == STORE_OK && count_leases(s, name, &env, true, st) < 0)
		rc = STORE_ERR;
	if (rc == STORE_ERR)
		return abort_txn(s);
	/* A bad row (STORE_INVALID) is not a failed transaction: a snapshot goes on. */
	end_read(s);
	return rc;
}

/* Ends a read that stepped q's rows: rc is the last sqlite3_step's, SQLITE_DONE
 * when every row was read or the caller stopped early on purpose. */
static int end_rows(struct store *s, sqlite3_stmt *q, int rc)
{
	if (rc != SQLITE_DONE) {
		note_error(s);
		return abort_txn(s);
	}
	sqlite3_reset(q);
	end_read(s);
	return STORE_OK;
}

static int sqlite_each(struct store *s, store_each_fn fn, void *ctx)
{
	struct breaker_state st;
	struct breaker_settings saved;
	sqlite3_stmt *q;
	int64_t seq;
	int rc;

	if (begin_read(s) < 0 || !(q = query(s, Q_EACH)))
		return abort_txn(s);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		enum parse_err why;
		bool good;

		/* A row that cannot be understood is passed on without its state,
		 * for the caller to name and skip: one bad row must not hide the
		 * others. */
		if (!name || name_check(name, &why) < 0) {
			snprintf(s->err, sizeof(s->err),
				 "a breaker with an invalid name in the state file (edited or "
				 "damaged)");
			name = "";
			good = false;
		} else {
			good = decode_row(s, q, 1, name, false, &st, &saved, &seq) == 0;
		}
		if (fn(name, good ? &st : NULL, good ? &saved : NULL, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return end_rows(s, q, rc);
}

/* LIMIT -1 is SQLite's "no limit". */
static int64_t history_limit(uint32_t limit)
{
	return limit ? (int64_t)limit : -1;
}

/* The name unless every breaker's. */
static int history_query(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
			 enum query one, enum query all, sqlite3_stmt **qp)
{
	if (!(*qp = query(s, name ? one : all)))
		return STORE_ERR;
	if (name)
		bind_text(*qp, 1, name);
	sqlite3_bind_int64(*qp, 2, history_limit(limit));
	sqlite3_bind_int64(*qp, 3, since_ms);
	return STORE_OK;
}

static int sqlite_history(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
			  store_event_fn fn, void *ctx)
{
	sqlite3_stmt *q;
	int rc;

	if (begin_read(s) < 0)
		return abort_txn(s);
	if (history_query(s, name, limit, since_ms, Q_HISTORY_LIST, Q_HISTORY_ALL, &q) != STORE_OK)
		return abort_txn(s);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_event e;

		e.name = (const char *)sqlite3_column_text(q, 0);
		e.time_ms = sqlite3_column_int64(q, 1);
		e.from = (enum breaker_state_kind)sqlite3_column_int(q, 2);
		e.to = (enum breaker_state_kind)sqlite3_column_int(q, 3);
		e.reason = (const char *)sqlite3_column_text(q, 4);
		if (!e.name)
			e.name = "";
		if (!e.reason)
			e.reason = "";
		if (fn(&e, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return end_rows(s, q, rc);
}

static int delete_rows(struct store *s, enum query id, const char *name)
{
	sqlite3_stmt *q = query(s, id);

	if (!q)
		return -1;
	bind_text(q, 1, name);
	return run(s, q);
}

static int sqlite_delete(struct store *s, const char *name)
{
	if (run_query(s, Q_BEGIN_IMMEDIATE) < 0 || delete_rows(s, Q_FLOOR_RAISE, name) < 0 ||
	    delete_rows(s, Q_DELETE_BREAKER, name) < 0)
		return abort_txn(s);
	if (sqlite3_changes(s->db) == 0) {
		end_read(s);
		return STORE_NOTFOUND;
	}
	if (delete_rows(s, Q_DELETE_LEASES, name) < 0 ||
	    delete_rows(s, Q_DELETE_HISTORY, name) < 0 || commit(s) < 0)
		return abort_txn(s);
	return STORE_OK;
}

/* cbexec_lease_alive(pid, start_time, pidns): is the lease owner still running? */
static void sql_lease_alive(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	int64_t pid = sqlite3_value_int64(argv[0]);
	int64_t start = sqlite3_value_int64(argv[1]);
	uint64_t ns = (uint64_t)sqlite3_value_int64(argv[2]), own = proc_pid_namespace();

	(void)argc;
	/* A pid from another pid namespace (another container) means nothing here:
	 * such a lease lives until it expires. */
	if (ns && own && ns != own)
		sqlite3_result_int(c, 1);
	else
		sqlite3_result_int(c, pid > 0 && pid <= INT32_MAX && proc_alive((pid_t)pid, start));
}

struct header {
	int64_t version, app_id, objects;
};

/* One integer from a one-row statement, or -1. */
static int scalar(struct store *s, const char *sql, int64_t *v)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		note_error(s);
		return -1;
	}
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*v = sqlite3_column_int64(q, 0);
	else
		note_error(s);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Reads the schema version, application id and schema size: a read, so that a
 * file that is not ours is never written. Plain PRAGMAs read the file header
 * alone; only a file whose header is blank has its schema counted, since that
 * costs parsing the whole schema (done once per process anyway, but later).
 */
static int read_header(struct store *s, struct header *h)
{
	h->objects = 0;
	if (scalar(s, "PRAGMA application_id", &h->app_id) < 0 ||
	    scalar(s, "PRAGMA user_version", &h->version) < 0)
		return -1;
	if (h->app_id == 0 && h->version == 0)
		return scalar(s, "SELECT count(*) FROM sqlite_schema", &h->objects);
	return 0;
}

static bool header_empty(const struct header *h)
{
	return h->version == 0 && h->app_id == 0 && h->objects == 0;
}

/* STORE_OK if h describes a store this build reads. */
static int header_check(struct store *s, const struct header *h)
{
	if (h->app_id != STORE_APP_ID) {
		snprintf(s->err, sizeof(s->err),
			 "a SQLite database of another program, not a cbexec state file");
		return STORE_ERR;
	}
	if (h->version > STORE_SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err),
			 "written by a newer cbexec (schema %lld); upgrade cbexec",
			 (long long)h->version);
		return STORE_ERR;
	}
	if (h->version < 1) {
		snprintf(s->err, sizeof(s->err), "unknown schema version %lld",
			 (long long)h->version);
		return STORE_ERR;
	}
	return STORE_OK;
}

/* PRAGMA journal_mode = WAL reads the header and then writes it: a read
 * transaction upgraded to a write, which SQLite fails at once with SQLITE_BUSY,
 * without the busy handler, while another connection holds the write lock. That
 * happens when several processes find a new file together, so the pragma is
 * retried here as the busy handler would retry it; it runs once per file. */
static int set_wal(struct store *s)
{
	int rc, waited = 0;

	while ((rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL)) ==
		       SQLITE_BUSY &&
	       waited < STORE_BUSY_TIMEOUT_MS) {
		sqlite3_sleep(10);
		waited += 10;
	}
	return rc == SQLITE_OK ? 0 : -1;
}

/* Creates schema 1 in an empty database; another process may be doing the same. */
static int create_schema(struct store *s)
{
	struct header h;
	char sql[128];

	/* WAL lets readers and the one writer proceed together, and costs one fsync
	 * per checkpoint instead of per transaction. The mode is persistent in the
	 * file, so it is set here once rather than on every open; it cannot change
	 * inside a transaction, hence before BEGIN. */
	if (set_wal(s) < 0 || run_query(s, Q_BEGIN_IMMEDIATE) < 0)
		goto fail;
	if (read_header(s, &h) < 0)
		goto fail;
	if (header_empty(&h)) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
			 STORE_APP_ID, STORE_SCHEMA_VERSION);
		if (sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
	} else if (header_check(s, &h) != STORE_OK) {
		return abort_txn(s);
	}
	if (run_query(s, Q_COMMIT) < 0)
		return abort_txn(s);
	return STORE_OK;
fail:
	note_error(s);
	return abort_txn(s);
}

/* Brings a schema-1 file to schema 2 in one transaction; another process may be
 * doing the same, so the version is read again under the write lock. */
static int migrate(struct store *s)
{
	struct header h;
	char sql[64];

	if (run_query(s, Q_BEGIN_IMMEDIATE) < 0 || read_header(s, &h) < 0)
		goto fail;
	if (h.version == 1) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
		if (sqlite3_exec(s->db, migrate_sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
	}
	if (run_query(s, Q_COMMIT) < 0)
		return abort_txn(s);
	return STORE_OK;
fail:
	note_error(s);
	return abort_txn(s);
}

/* The path judged by statepath.c (see its rules), then SQLite on the same
 * name with SQLITE_OPEN_NOFOLLOW, then the name checked to still lead to the
 * judged file. STORE_NOTFOUND when a reader finds no file. */
static int open_checked(struct store *s, const char *path, enum statepath_mode mode)
{
	struct statepath sp;
	int flags = SQLITE_OPEN_NOFOLLOW |
		    (mode == STATEPATH_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	int ret = STORE_ERR;

	if (statepath_open(path, mode, &sp) < 0) {
		if (sp.error == STATEPATH_MISSING)
			ret = STORE_NOTFOUND;
		statepath_describe(&sp, s->err, sizeof(s->err));
		goto out;
	}
	/* Without CREATE: the file exists now. SQLite opens it here, not lazily. */
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		if (s->db)
			note_error(s);
		else
			snprintf(s->err, sizeof(s->err), "out of memory");
		goto out;
	}
	if (statepath_recheck(&sp) < 0) {
		statepath_describe(&sp, s->err, sizeof(s->err));
		goto out;
	}
	ret = STORE_OK;
out:
	statepath_close(&sp);
	return ret;
}

/* Per connection, so on every open. */
static int add_functions(struct store *s)
{
	if (sqlite3_create_function_v2(s->db, "cbexec_lease_alive", 3,
				       SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, sql_lease_alive, NULL,
				       NULL, NULL) != SQLITE_OK) {
		note_error(s);
		return -1;
	}
	return 0;
}

/*
 * Before SQLite's first use, for a process that is one short call: cbexec has
 * one thread and its children (the command, hooks) never use SQLite, so no
 * mutexes; no memory statistics; no page-cache block allocated up front
 * (pages are malloc'ed as read: a call reads a few). Debian's SQLite has no
 * lookaside (SQLITE_OMIT_LOOKASIDE), so there is none to tune. Effects are
 * measured in bench/README.md. A failure (SQLite already initialised) keeps
 * the defaults.
 */
static void configure_sqlite(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

/* The opening every mode shares: a store with SQLite on the judged
 * path. On failure *sp is NULL and err says why; the code is open_checked's. */
static int open_new(struct store **sp, const char *path, enum statepath_mode mode, char *err,
		    size_t errlen)
{
	struct store *s;
	int rc;

	*sp = NULL;
	configure_sqlite();
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "out of memory");
		return STORE_ERR;
	}
	s->base.ops = &sqlite_ops;
	if ((rc = open_checked(s, path, mode)) != STORE_OK) {
		snprintf(err, errlen, "%s", sqlite_errmsg(s));
		sqlite_close(s);
		return rc;
	}
	*sp = s;
	return STORE_OK;
}

/* STORE_CREATE and STORE_EXISTING: mode STATEPATH_WRITE or _UPDATE. Opens
 * (creating missing directories 0700 and the file, 0600 or 0660 in a
 * group-shared directory: see statepath.h) and migrates the schema. Never
 * changes a breaker and never rewrites a file that is not a cbexec store. */
static int open_writer(struct store **sp, const char *path, enum statepath_mode mode, char *err,
		       size_t errlen)
{
	struct store *s;
	struct header h;
	int rc;

	*sp = NULL;
	/* A file we may only read opens read-only, and the first write reports it. */
	if ((rc = open_new(&s, path, mode, err, errlen)) != STORE_OK)
		return rc;
	sqlite_set_lock_timeout(s, STORE_BUSY_TIMEOUT_MS);
	/* Every call is a new process, usually the only connection, and by default
	 * the last connection's close checkpoints the WAL into the database and
	 * deletes it: four fsyncs per call (WAL, directory, WAL, database) and -wal
	 * and -shm made anew by the next call. Left in place, the WAL is
	 * checkpointed and truncated by the write that takes it past
	 * STORE_WAL_TRUNCATE_PAGES frames instead (checkpoint_due; one call in
	 * about 32). The bound is small because each new process that finds the
	 * WAL alone reads all of it back (SQLite's WAL recovery, ~6500
	 * instructions a frame). Durability is that of synchronous = NORMAL below;
	 * a copy of the state file must take -wal with it. The hook replaces
	 * SQLite's autocheckpoint. Left in place, -wal and -shm also let readers
	 * without write access read. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(s->db, wal_hook, s);
	/* Nothing that could write runs before the header says the file is ours.
	 * One read transaction, so that the values come from one snapshot even
	 * while another process is creating the schema. */
	rc = run_query(s, Q_BEGIN) < 0 ? -1 : read_header(s, &h);
	end_read(s);
	if (rc < 0)
		goto fail;
	if (header_empty(&h))
		rc = create_schema(s);
	else if ((rc = header_check(s, &h)) == STORE_OK && h.version < STORE_SCHEMA_VERSION)
		rc = migrate(s);
	if (rc != STORE_OK)
		goto fail;
	/* A power loss may lose the last commits but never corrupts a WAL
	 * database. journal_size_limit: a WAL that grew while a reader held a
	 * snapshot (a paused pager, a stopped process) is cut back to this size
	 * the next time it restarts, instead of keeping its largest size. */
	if (sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA journal_size_limit = " STORE_JOURNAL_LIMIT, NULL, NULL,
			 NULL) != SQLITE_OK) {
		note_error(s);
		goto fail;
	}
	if (add_functions(s) < 0)
		goto fail;
	*sp = s;
	return STORE_OK;
fail:
	snprintf(err, errlen, "%s", sqlite_errmsg(s));
	sqlite_close(s);
	return STORE_ERR;
}

/* For readers: opens read-only, creates nothing, needs no write access (see
 * SECURITY in cbexec(1)). STORE_NOTFOUND if the file does not exist. */
static int open_readonly(struct store **sp, const char *path, char *err, size_t errlen)
{
	struct store *s;
	struct header h;
	int rc;

	*sp = NULL;
	if ((rc = open_new(&s, path, STATEPATH_READ, err, errlen)) != STORE_OK)
		return rc;
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	rc = STORE_ERR;
	if (run_query(s, Q_BEGIN) < 0 || read_header(s, &h) < 0) {
		/* SQLite 3.22 and later read a WAL database without write access
		 * when its -shm and -wal exist and are readable; a writer leaves
		 * both in place (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE). */
		if ((sqlite3_errcode(s->db) & 0xff) == SQLITE_CANTOPEN ||
		    (sqlite3_errcode(s->db) & 0xff) == SQLITE_READONLY)
			snprintf(s->err, sizeof(s->err),
				 "cannot read the state file: a reader that may not write the "
				 "directory needs its -wal and -shm to exist and be readable "
				 "(any writing cbexec call leaves them)");
		end_read(s);
		goto fail;
	}
	end_read(s);
	if (header_empty(&h)) {
		snprintf(s->err, sizeof(s->err), "an empty file, not yet a cbexec state file");
		goto fail;
	}
	if (header_check(s, &h) != STORE_OK)
		goto fail;
	/* The queries are the new schema's. A reader that may write the file
	 * brings it up to date as the first writer would (the migration changes
	 * no breaker), so that monitoring keeps working across an upgrade; one
	 * that may not waits for a writer. */
	if (h.version < STORE_SCHEMA_VERSION) {
		struct store *w;
		char werr[16];

		sqlite_close(s);
		if (open_writer(&w, path, STATEPATH_UPDATE, werr, sizeof(werr)) == STORE_OK) {
			sqlite_close(w);
			return open_readonly(sp, path, err, errlen);
		}
		snprintf(err, errlen,
			 "written by an older cbexec (schema %lld); the next call that writes "
			 "(run, record, reset) brings it up to date",
			 (long long)h.version);
		return STORE_ERR;
	}
	if (add_functions(s) < 0)
		goto fail;
	*sp = s;
	return STORE_OK;
fail:
	snprintf(err, errlen, "%s", sqlite_errmsg(s));
	sqlite_close(s);
	return rc;
}

static void sqlite_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

int store_sqlite_open(struct store **sp, const char *path, enum store_mode mode, char *err,
		      size_t errlen)
{
	switch (mode) {
	case STORE_CREATE:
		return open_writer(sp, path, STATEPATH_WRITE, err, errlen);
	case STORE_EXISTING:
		return open_writer(sp, path, STATEPATH_UPDATE, err, errlen);
	case STORE_READONLY:
	case STORE_PEEK:
		break;
	}
	return open_readonly(sp, path, err, errlen);
}

static const struct store_ops sqlite_ops = {
	.close = sqlite_close,
	.errmsg = sqlite_errmsg,
	.set_lock_timeout = sqlite_set_lock_timeout,
	.now = sqlite_now,
	.snapshot_begin = sqlite_snapshot_begin,
	.snapshot_end = sqlite_snapshot_end,
	.admit = sqlite_admit,
	.record = sqlite_record,
	.release = sqlite_release,
	.manual = sqlite_manual,
	.read = sqlite_read,
	.each = sqlite_each,
	.history = sqlite_history,
	.delete = sqlite_delete,
};
