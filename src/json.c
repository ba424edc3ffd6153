/*
 * JSON out of the store. SQLite is used here as the JSON library, on no file:
 * the objects are the json_object() expressions the state file's queries once
 * evaluated on its rows, now evaluated on bound (named) parameters on an
 * in-memory connection, so that escaping stays SQLite's and a Redis store
 * prints the same bytes as a file. The connection is opened on first use, once
 * per command.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "json.h"

#define RFC3339(p) "strftime('%Y-%m-%dT%H:%M:%SZ', " p " / 1000, 'unixepoch')"
#define STATE_NAME(p)                                                                              \
	"CASE " p " WHEN 0 THEN 'closed' WHEN 1 THEN 'open' WHEN 2 THEN 'half_open' END"

static const char status_sql[] =
	"SELECT json_object('name', :name, "
	"'state', " STATE_NAME(
		":state") ", "
			  "'mode', CASE :mode WHEN 0 THEN 'normal' WHEN 1 THEN 'tripped' WHEN 2 "
			  "THEN 'bypass' END, "
			  "'mode_reason', nullif(cbexec_text(:mode_reason), ''), "
			  "'reason', cbexec_text(:reason), "
			  "'generation', :generation, "
			  "'consecutive_failures', :consecutive_failures, "
			  "'failure_threshold', :failure_threshold, "
			  "'consecutive_successes', :consecutive_successes, "
			  "'success_threshold', :success_threshold, "
			  "'half_open_max_calls', :half_open_max_calls, "
			  "'total_calls', :total_calls, "
			  "'total_successes', :total_successes, "
			  "'total_failures', :total_failures, "
			  "'total_ignored', :total_ignored, "
			  "'total_rejected', :total_rejected, "
			  "'total_timeouts', :total_timeouts, "
			  "'total_slow', :total_slow, "
			  "'total_opens', :total_opens, "
			  "'call_duration_seconds_sum', :total_duration / 1000.0, "
			  "'call_duration_count', :total_timed_calls, "
			  "'last_success_at', CASE WHEN :last_success_at > 0 THEN " RFC3339(
				  ":last_success_at") " END, "
						      "'last_exit_code', nullif(:last_exit, -1), "
						      "'last_failure_at', CASE WHEN "
						      ":last_failure_at > 0 THEN " RFC3339(
							      ":last_failure_at") " END, "
										  "'state_changed_"
										  "at', CASE WHEN "
										  ":state_changed_"
										  "at > 0 "
										  "THEN " RFC3339(
											  ":state_"
											  "changed_"
											  "at") " E"
												"ND"
												", "
												"'r"
												"et"
												"ry"
												"_a"
												"t'"
												", "
												"CA"
												"SE"
												" W"
												"HE"
												"N "
												":s"
												"ta"
												"te"
												" ="
												" 1"
												" A"
												"ND"
												" :"
												"re"
												"tr"
												"y_"
												"at"
												" >"
												" 0"
												" T"
												"HE"
												"N"
												" " RFC3339(
													":retry_at") " END, "
														     "'recovery_timeout_seconds', "
														     ":recovery_timeout / 1000.0, "
														     "'open_period_seconds', :open_period / "
														     "1000.0)";

/* The name too, so that the merged list of every breaker and one breaker's
 * list read alike. */
static const char event_sql[] = "SELECT json_object('time', " RFC3339(
	":time") ", "
		 "'name', :breaker, 'from', " STATE_NAME(":from_state") ", 'to', " STATE_NAME(
			 ":to_state") ", 'reason', cbexec_text(:reason))";

enum status_param {
	P_NAME,
	P_STATE,
	P_MODE,
	P_MODE_REASON,
	P_REASON,
	P_GENERATION,
	P_CONSECUTIVE_FAILURES,
	P_FAILURE_THRESHOLD,
	P_CONSECUTIVE_SUCCESSES,
	P_SUCCESS_THRESHOLD,
	P_HALF_OPEN_MAX_CALLS,
	P_TOTAL_CALLS,
	P_TOTAL_SUCCESSES,
	P_TOTAL_FAILURES,
	P_TOTAL_IGNORED,
	P_TOTAL_REJECTED,
	P_TOTAL_TIMEOUTS,
	P_TOTAL_SLOW,
	P_TOTAL_OPENS,
	P_TOTAL_DURATION,
	P_TOTAL_TIMED_CALLS,
	P_LAST_SUCCESS_AT,
	P_LAST_EXIT,
	P_LAST_FAILURE_AT,
	P_STATE_CHANGED_AT,
	P_RETRY_AT,
	P_RECOVERY_TIMEOUT,
	P_OPEN_PERIOD,
	P_STATUS_COUNT
};

static const char *const status_param[P_STATUS_COUNT] = {
	":name",
	":state",
	":mode",
	":mode_reason",
	":reason",
	":generation",
	":consecutive_failures",
	":failure_threshold",
	":consecutive_successes",
	":success_threshold",
	":half_open_max_calls",
	":total_calls",
	":total_successes",
	":total_failures",
	":total_ignored",
	":total_rejected",
	":total_timeouts",
	":total_slow",
	":total_opens",
	":total_duration",
	":total_timed_calls",
	":last_success_at",
	":last_exit",
	":last_failure_at",
	":state_changed_at",
	":retry_at",
	":recovery_timeout",
	":open_period",
};

enum event_param {
	E_TIME,
	E_BREAKER,
	E_FROM,
	E_TO,
	E_REASON,
	P_EVENT_COUNT
};

static const char *const event_param[P_EVENT_COUNT] = {
	":time", ":breaker", ":from_state", ":to_state", ":reason",
};

static struct {
	sqlite3 *db;
	sqlite3_stmt *status, *event;
	int status_index[P_STATUS_COUNT], event_index[P_EVENT_COUNT];
	char err[256];
} json;

/* cbexec_text(x): x with bytes that are not UTF-8 replaced by U+FFFD, so that
 * the JSON of a damaged or hand-edited breaker is still valid UTF-8. */
static void sql_text(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	const char *in = (const char *)sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	char *out;

	(void)argc;
	if (!in) {
		sqlite3_result_null(c);
		return;
	}
	if (!(out = sqlite3_malloc64(3 * (sqlite3_uint64)len + 1))) {
		sqlite3_result_error_nomem(c);
		return;
	}
	len = text_utf8_repair(in, len, out);
	sqlite3_result_text64(c, out, len, sqlite3_free, SQLITE_UTF8);
}

static int fail(void)
{
	snprintf(json.err, sizeof(json.err), "JSON: %s",
		 json.db ? sqlite3_errmsg(json.db) : "out of memory");
	return -1;
}

/* A statement and the index of each of its named parameters. */
static int prepare(const char *sql, sqlite3_stmt **q, const char *const *names, int *index, int n)
{
	if (sqlite3_prepare_v2(json.db, sql, -1, q, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < n; i++)
		index[i] = sqlite3_bind_parameter_index(*q, names[i]);
	return 0;
}

static int json_begin(void)
{
	if (json.db)
		return 0;
	if (sqlite3_open_v2(":memory:", &json.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY,
			    NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(json.db, "cbexec_text", 1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
				       sql_text, NULL, NULL, NULL) != SQLITE_OK ||
	    prepare(status_sql, &json.status, status_param, json.status_index, P_STATUS_COUNT) <
		    0 ||
	    prepare(event_sql, &json.event, event_param, json.event_index, P_EVENT_COUNT) < 0) {
		fail();
		json_end();
		return -1;
	}
	return 0;
}

void json_end(void)
{
	sqlite3_finalize(json.status);
	sqlite3_finalize(json.event);
	sqlite3_close(json.db);
	json.status = json.event = NULL;
	json.db = NULL;
}

const char *json_errmsg(void)
{
	return json.err[0] ? json.err : "JSON: unknown error";
}

/* Steps q and prints its one text column. */
static int print(FILE *out, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		fputs((const char *)sqlite3_column_text(q, 0), out);
	else
		fail();
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : -1;
}

int json_status(FILE *out, const char *name, const struct breaker_state *st,
		const struct breaker_settings *saved)
{
	sqlite3_stmt *q;
	const int *ix = json.status_index;

	if (json_begin() < 0)
		return -1;
	q = json.status;
	sqlite3_bind_text(q, ix[P_NAME], name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, ix[P_STATE], (int)st->state);
	sqlite3_bind_int(q, ix[P_MODE], (int)st->mode);
	sqlite3_bind_text(q, ix[P_MODE_REASON], st->mode_reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, ix[P_REASON], st->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, ix[P_GENERATION], st->generation);
	sqlite3_bind_int64(q, ix[P_CONSECUTIVE_FAILURES], st->consecutive_failures);
	sqlite3_bind_int64(q, ix[P_FAILURE_THRESHOLD], saved->failure_threshold);
	sqlite3_bind_int64(q, ix[P_CONSECUTIVE_SUCCESSES], st->consecutive_successes);
	sqlite3_bind_int64(q, ix[P_SUCCESS_THRESHOLD], saved->success_threshold);
	sqlite3_bind_int64(q, ix[P_HALF_OPEN_MAX_CALLS], saved->half_open_max_calls);
	sqlite3_bind_int64(q, ix[P_TOTAL_CALLS], st->totals.calls);
	sqlite3_bind_int64(q, ix[P_TOTAL_SUCCESSES], st->totals.successes);
	sqlite3_bind_int64(q, ix[P_TOTAL_FAILURES], st->totals.failures);
	sqlite3_bind_int64(q, ix[P_TOTAL_IGNORED], st->totals.ignored);
	sqlite3_bind_int64(q, ix[P_TOTAL_REJECTED], st->totals.rejected);
	sqlite3_bind_int64(q, ix[P_TOTAL_TIMEOUTS], st->totals.timeouts);
	sqlite3_bind_int64(q, ix[P_TOTAL_SLOW], st->totals.slow);
	sqlite3_bind_int64(q, ix[P_TOTAL_OPENS], st->totals.opens);
	sqlite3_bind_int64(q, ix[P_TOTAL_DURATION], st->totals.duration_ms_sum);
	sqlite3_bind_int64(q, ix[P_TOTAL_TIMED_CALLS], st->totals.timed_calls);
	sqlite3_bind_int64(q, ix[P_LAST_SUCCESS_AT], st->last_success_at_ms);
	sqlite3_bind_int(q, ix[P_LAST_EXIT], st->last_exit);
	sqlite3_bind_int64(q, ix[P_LAST_FAILURE_AT], st->last_failure_at_ms);
	sqlite3_bind_int64(q, ix[P_STATE_CHANGED_AT], st->state_changed_at_ms);
	sqlite3_bind_int64(q, ix[P_RETRY_AT], st->retry_at_ms);
	sqlite3_bind_int64(q, ix[P_RECOVERY_TIMEOUT], saved->recovery_timeout_ms);
	sqlite3_bind_int64(q, ix[P_OPEN_PERIOD], st->open_period_ms);
	return print(out, q);
}

int json_event(FILE *out, const struct store_event *e)
{
	sqlite3_stmt *q;
	const int *ix = json.event_index;

	if (json_begin() < 0)
		return -1;
	q = json.event;
	sqlite3_bind_int64(q, ix[E_TIME], e->time_ms);
	sqlite3_bind_text(q, ix[E_BREAKER], e->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, ix[E_FROM], (int)e->from);
	sqlite3_bind_int(q, ix[E_TO], (int)e->to);
	sqlite3_bind_text(q, ix[E_REASON], e->reason ? e->reason : "", -1, SQLITE_STATIC);
	return print(out, q);
}
