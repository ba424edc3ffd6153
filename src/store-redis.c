/* The Redis store: each operation one Lua script (src/lua/), the state machine's twin. */
#ifdef CBEXEC_REDIS
#include <err.h>
#include <errno.h>
#include <hiredis.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "escape.h"
#include "options.h"
#include "parse.h"
#include "proc.h"
#include "redis-conn.h"
#include "redis-scripts.h"
#include "store.h"

/*
 * One breaker is the hash PREFIX{NAME} (the fields of struct breaker_state,
 * the window as window_encode()'s bytes, the settings remembered with it),
 * the zset PREFIX{NAME}:leases (member "ID|probe|generation|owner", scored by
 * its expiry in ms of the server's clock) and the list PREFIX{NAME}:history
 * (newest first, "time|from|to|reason", trimmed to the history limit); all
 * under one hash tag. PREFIX"breakers" is the set of names, PREFIX"generation"
 * the counter new breakers take their generation from. src/lua/machine.lua
 * holds the arguments and the reply every script shares.
 *
 * Every change runs on the server in one script, with the server's TIME:
 * nothing is read here, decided, and written back, so no lock is held and no
 * update is lost, and the hosts of a fleet share one clock. What only a host
 * can know, whether a lease's owner still runs, is judged here: the scripts
 * hand back the leases behind a rejection, and a host frees those of its own
 * dead processes (same boot, same pid namespace, the pid gone or reused) and
 * asks once more. Other hosts' leases expire by their score.
 */

#define NKEYS	  5
#define MAX_ARGS  (NKEYS + 32)
#define ARG_BYTES 320
/* The reply's head, before the breaker's fields (machine.lua's reply()). */
#define HEAD	  16

struct store {
	struct store_base base;
	struct redis_conn *conn;
	char prefix[64];
	char owner[128]; /* this process as a lease owner: BOOTID:PIDNS:PID:STARTTIME */
	int64_t boot_id;
	uint64_t pidns;
	char err[768];
};

/* The arguments of one script call: the keys of a breaker, then ARGV. */
struct call_args {
	int n;
	const char *v[MAX_ARGS];
	size_t len[MAX_ARGS];
	char buf[MAX_ARGS][ARG_BYTES];
};

static void add(struct call_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct call_args *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->n >= MAX_ARGS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(a->buf[a->n], ARG_BYTES, fmt, ap);
	va_end(ap);
	a->v[a->n] = a->buf[a->n];
	a->len[a->n] = n < 0 ? 0 : n >= ARG_BYTES ? ARG_BYTES - 1 : (size_t)n;
	a->n++;
}

/* An argument too long for the buffers (a reason, a lease member): by reference. */
static void add_str(struct call_args *a, const char *s)
{
	if (a->n >= MAX_ARGS)
		return;
	a->v[a->n] = s;
	a->len[a->n] = strlen(s);
	a->n++;
}

static void add_keys(struct store *s, struct call_args *a, const char *name)
{
	a->n = 0;
	add(a, "%s{%s}", s->prefix, name);
	add(a, "%s{%s}:leases", s->prefix, name);
	add(a, "%s{%s}:history", s->prefix, name);
	add(a, "%sbreakers", s->prefix);
	add(a, "%sgeneration", s->prefix);
}

/* ARGV[1..17]: the name, the settings, the history limit, the jitter draw. */
static void add_common(struct store *s, struct call_args *a, const char *name,
		       const struct breaker_settings *set, uint32_t history_limit, double jitter)
{
	add_keys(s, a, name);
	add_str(a, name);
	add(a, "%u", set->failure_threshold);
	add(a, "%lld", (long long)set->recovery_timeout_ms);
	add(a, "%u", set->success_threshold);
	add(a, "%u", set->half_open_max_calls);
	add(a, "%u", set->window_calls);
	add(a, "%lld", (long long)set->window_ms);
	add(a, "%u", set->failure_rate);
	add(a, "%u", set->min_calls);
	add(a, "%lld", (long long)set->slow_call_ms);
	add(a, "%u", set->slow_call_rate);
	add(a, "%.17g", set->backoff);
	add(a, "%lld", (long long)set->max_recovery_timeout_ms);
	add(a, "%u", set->jitter);
	add(a, "%u", set->max_concurrent);
	add(a, "%u", history_limit ? history_limit : OPTIONS_HISTORY_LIMIT);
	add(a, "%.17g", jitter);
}

/* A request that did not come back in time has marked the server down for
 * this host (redis_conn_eval), so that the next calls do not each wait the
 * timeout; a lost connection or a busy server has not: the next call finds
 * a restarted server at once. */
static redisReply *eval(struct store *s, const struct redis_script *script, struct call_args *a,
			int *rc)
{
	redisReply *r = redis_conn_eval(s->conn, script, NKEYS, a->n, a->v, a->len, rc, s->err,
					sizeof(s->err));

	if (!r && *rc == 0)
		*rc = STORE_ERR;
	return r;
}

static const char *element(const redisReply *r, size_t i)
{
	if (r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return r->element[i]->str;
}

static int64_t element_num(const redisReply *r, size_t i)
{
	const char *v = element(r, i);

	return v ? strtoll(v, NULL, 10) : 0;
}

/* How many field and value pairs follow the reply's head (element 15), or -1
 * for a count that is not a number or that the reply's elements cannot
 * hold: a broken server must not make us read past element[]. */
static int64_t reply_pairs(const redisReply *r)
{
	const char *v = element(r, 15);
	long long n;
	char *end;

	if (!v || r->elements < HEAD)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < 0 || (unsigned long long)n > (r->elements - HEAD) / 2)
		return -1;
	return n;
}

/* ---- the hash's fields ---- */

/* What a field of the hash may hold: the SQLite store's column ranges. */
#define TIME_MAX	INT64_C(253402300799999)
#define GENERATION_MAX	(INT64_C(1) << 62)
/* The bounds machine.lua's load() applies where a double cannot hold C's
 * int64 ones, so that a hash status reads is one a call accepts too. */
#define COUNT_MAX_LUA	(INT64_C(1) << 62)
#define BOOT_ID_MAX_LUA (INT64_C(1) << 53)

enum field_kind {
	F_INT,
	F_TEXT,
	F_WINDOW
};

/* The hash's fields, by name: indexes of fields[] and the cases of set_field(). */
enum field_id {
	H_STATE,
	H_MODE,
	H_HELD,
	H_GENERATION,
	H_CONSECUTIVE_FAILURES,
	H_CONSECUTIVE_SUCCESSES,
	H_STATE_CHANGED_AT,
	H_RETRY_AT,
	H_RETRY_BOOT,
	H_BOOT_ID,
	H_OPEN_LENGTH,
	H_OPEN_PERIOD,
	H_LAST_FAILURE_AT,
	H_LAST_SUCCESS_AT,
	H_LAST_EXIT,
	H_REASON,
	H_MODE_REASON,
	H_TOTAL_CALLS,
	H_TOTAL_SUCCESSES,
	H_TOTAL_FAILURES,
	H_TOTAL_IGNORED,
	H_TOTAL_REJECTED,
	H_TOTAL_TIMEOUTS,
	H_TOTAL_SLOW,
	H_TOTAL_OPENS,
	H_TOTAL_TIMED_CALLS,
	H_TOTAL_DURATION,
	H_WINDOW,
	H_FAILURE_THRESHOLD,
	H_SUCCESS_THRESHOLD,
	H_RECOVERY_TIMEOUT,
	H_HALF_OPEN_MAX_CALLS,
	H_MAX_CONCURRENT,
	NFIELDS
};

static const struct field {
	const char *name;
	enum field_kind kind;
	int64_t lo, hi;
} fields[] = {
	[H_STATE] = { "state", F_INT, BREAKER_CLOSED, BREAKER_HALF_OPEN },
	[H_MODE] = { "mode", F_INT, BREAKER_NORMAL, BREAKER_BYPASS },
	[H_HELD] = { "held", F_INT, 0, 1 },
	[H_GENERATION] = { "generation", F_INT, 0, GENERATION_MAX },
	[H_CONSECUTIVE_FAILURES] = { "consecutive_failures", F_INT, 0, UINT32_MAX },
	[H_CONSECUTIVE_SUCCESSES] = { "consecutive_successes", F_INT, 0, UINT32_MAX },
	[H_STATE_CHANGED_AT] = { "state_changed_at", F_INT, 0, TIME_MAX },
	[H_RETRY_AT] = { "retry_at", F_INT, 0, 2 * TIME_MAX },
	[H_RETRY_BOOT] = { "retry_boot", F_INT, 0, 2 * TIME_MAX },
	[H_BOOT_ID] = { "boot_id", F_INT, -BOOT_ID_MAX_LUA, BOOT_ID_MAX_LUA },
	[H_OPEN_LENGTH] = { "open_length", F_INT, 0, TIME_MAX },
	[H_OPEN_PERIOD] = { "open_period", F_INT, 0, TIME_MAX },
	[H_LAST_FAILURE_AT] = { "last_failure_at", F_INT, 0, TIME_MAX },
	[H_LAST_SUCCESS_AT] = { "last_success_at", F_INT, 0, TIME_MAX },
	[H_LAST_EXIT] = { "last_exit", F_INT, -1, 255 },
	[H_REASON] = { "reason", F_TEXT, 0, 0 },
	[H_MODE_REASON] = { "mode_reason", F_TEXT, 0, 0 },
	[H_TOTAL_CALLS] = { "total_calls", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_SUCCESSES] = { "total_successes", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_FAILURES] = { "total_failures", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_IGNORED] = { "total_ignored", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_REJECTED] = { "total_rejected", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_TIMEOUTS] = { "total_timeouts", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_SLOW] = { "total_slow", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_OPENS] = { "total_opens", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_TIMED_CALLS] = { "total_timed_calls", F_INT, 0, COUNT_MAX_LUA },
	[H_TOTAL_DURATION] = { "total_duration", F_INT, 0, COUNT_MAX_LUA },
	[H_WINDOW] = { "window", F_WINDOW, 0, 0 },
	[H_FAILURE_THRESHOLD] = { "failure_threshold", F_INT, 0, UINT32_MAX },
	[H_SUCCESS_THRESHOLD] = { "success_threshold", F_INT, 0, UINT32_MAX },
	[H_RECOVERY_TIMEOUT] = { "recovery_timeout", F_INT, 0, TIME_MAX },
	[H_HALF_OPEN_MAX_CALLS] = { "half_open_max_calls", F_INT, 0, UINT32_MAX },
	[H_MAX_CONCURRENT] = { "max_concurrent", F_INT, 0, UINT32_MAX },
};
_Static_assert(sizeof(fields) / sizeof(fields[0]) == NFIELDS, "a field without its entry");

static void set_field(enum field_id f, int64_t v, const char *text, size_t len, bool with_window,
		      struct breaker_state *st, struct breaker_settings *saved)
{
	switch (f) {
	case H_STATE:
		st->state = (enum breaker_state_kind)v;
		break;
	case H_MODE:
		st->mode = (enum breaker_mode)v;
		break;
	case H_HELD:
		st->held = v != 0;
		break;
	case H_GENERATION:
		st->generation = v;
		break;
	case H_CONSECUTIVE_FAILURES:
		st->consecutive_failures = (uint32_t)v;
		break;
	case H_CONSECUTIVE_SUCCESSES:
		st->consecutive_successes = (uint32_t)v;
		break;
	case H_STATE_CHANGED_AT:
		st->state_changed_at_ms = v;
		break;
	case H_RETRY_AT:
		st->retry_at_ms = v;
		break;
	case H_RETRY_BOOT:
		st->retry_boot_ms = v;
		break;
	case H_BOOT_ID:
		st->boot_id = v;
		break;
	case H_OPEN_LENGTH:
		st->open_length_ms = v;
		break;
	case H_OPEN_PERIOD:
		st->open_period_ms = v;
		break;
	case H_LAST_FAILURE_AT:
		st->last_failure_at_ms = v;
		break;
	case H_LAST_SUCCESS_AT:
		st->last_success_at_ms = v;
		break;
	case H_LAST_EXIT:
		st->last_exit = (int)v;
		break;
	case H_REASON:
		snprintf(st->reason, sizeof(st->reason), "%s", text);
		break;
	case H_MODE_REASON:
		snprintf(st->mode_reason, sizeof(st->mode_reason), "%s", text);
		break;
	case H_TOTAL_CALLS:
		st->totals.calls = v;
		break;
	case H_TOTAL_SUCCESSES:
		st->totals.successes = v;
		break;
	case H_TOTAL_FAILURES:
		st->totals.failures = v;
		break;
	case H_TOTAL_IGNORED:
		st->totals.ignored = v;
		break;
	case H_TOTAL_REJECTED:
		st->totals.rejected = v;
		break;
	case H_TOTAL_TIMEOUTS:
		st->totals.timeouts = v;
		break;
	case H_TOTAL_SLOW:
		st->totals.slow = v;
		break;
	case H_TOTAL_OPENS:
		st->totals.opens = v;
		break;
	case H_TOTAL_TIMED_CALLS:
		st->totals.timed_calls = v;
		break;
	case H_TOTAL_DURATION:
		st->totals.duration_ms_sum = v;
		break;
	/* A window that cannot be read is a cleared one, as in the SQLite store:
	 * it only feeds the rate rules. */
	case H_WINDOW:
		if (with_window)
			window_decode(&st->window, (const uint8_t *)text, len);
		break;
	case H_FAILURE_THRESHOLD:
		saved->failure_threshold = (uint32_t)v;
		break;
	case H_SUCCESS_THRESHOLD:
		saved->success_threshold = (uint32_t)v;
		break;
	case H_RECOVERY_TIMEOUT:
		saved->recovery_timeout_ms = v;
		break;
	case H_HALF_OPEN_MAX_CALLS:
		saved->half_open_max_calls = (uint32_t)v;
		break;
	case H_MAX_CONCURRENT:
		saved->max_concurrent = (uint32_t)v;
		break;
	case NFIELDS: /* no field: -Wswitch names any H_ left without its case */
		break;
	}
}

static int invalid(struct store *s, const char *name, const char *field, const char *why)
{
	char q[ESCAPE_SIZE(64)], f[ESCAPE_SIZE(32)];

	/* The field's name may come from the hash itself: escaped as the name is. */
	escape_text(name, q, sizeof(q));
	escape_text(field, f, sizeof(f));
	snprintf(s->err, sizeof(s->err),
		 "breaker %s: field %.40s %.80s; its hash on the Redis server was edited or "
		 "damaged (cbexec delete forgets the breaker)",
		 q, f, why);
	return STORE_INVALID;
}

/* Fills st and saved from n name/value elements (HGETALL's, or a reply's),
 * every field checked first: a hash edited by hand is refused whole, by name. */
static int decode_fields(struct store *s, const char *name, redisReply *const *el, size_t n,
			 bool with_window, struct breaker_state *st, struct breaker_settings *saved)
{
	bool seen[NFIELDS] = { false };

	memset(st, 0, sizeof(*st));
	breaker_settings_init(saved);
	for (size_t i = 0; i + 1 < n; i += 2) {
		const redisReply *k = el[i], *v = el[i + 1];
		size_t f;
		int64_t num = 0;

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			return invalid(s, name, "?", "is not a string");
		for (f = 0; f < NFIELDS && strcmp(k->str, fields[f].name) != 0; f++)
			;
		if (f == NFIELDS)
			continue; /* lease_seq, or a field of a newer cbexec */
		if (fields[f].kind == F_INT) {
			char *end;

			errno = 0;
			num = strtoll(v->str, &end, 10);
			if (errno || end == v->str || *end || num < fields[f].lo ||
			    num > fields[f].hi)
				return invalid(s, name, k->str, "is not an integer in its range");
		} else if (fields[f].kind == F_TEXT &&
			   (v->len >= BREAKER_REASON_MAX || strlen(v->str) != v->len ||
			    !text_utf8_valid(v->str))) {
			return invalid(s, name, k->str, "is not UTF-8 text of up to 255 bytes");
		}
		seen[f] = true;
		set_field((enum field_id)f, num, v->str, v->len, with_window, st, saved);
	}
	for (size_t f = 0; f < NFIELDS; f++)
		if (!seen[f])
			return invalid(s, name, fields[f].name, "is missing");
	return STORE_OK;
}

/* The reply every script but release and delete gives (machine.lua's reply()). */
static int decode_reply(struct store *s, const char *name, const redisReply *r, bool with_window,
			struct store_result *res, struct breaker_settings *saved)
{
	struct breaker_settings unused;
	const char *status = element(r, 0);
	int64_t n;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!status || r->elements < HEAD) {
		snprintf(s->err, sizeof(s->err), "an unexpected reply from the Redis server");
		return STORE_ERR;
	}
	res->env.now_ms = element_num(r, 1);
	if (strcmp(status, "notfound") == 0)
		return STORE_NOTFOUND;
	if (strcmp(status, "invalid") == 0)
		return invalid(s, name, element(r, 6) ? element(r, 6) : "?",
			       "is not what cbexec writes");
	n = reply_pairs(r);
	if (strcmp(status, "ok") != 0 || n < 0) {
		snprintf(s->err, sizeof(s->err), "an unexpected reply from the Redis server");
		return STORE_ERR;
	}
	rc = decode_fields(s, name, r->element + HEAD, 2 * (size_t)n, with_window, &res->after,
			   saved ? saved : &unused);
	if (rc != STORE_OK)
		return rc;
	res->created = element_num(r, 2) != 0;
	res->transitioned = element_num(r, 3) != 0;
	res->transition.from = (enum breaker_state_kind)element_num(r, 4);
	res->transition.to = (enum breaker_state_kind)element_num(r, 5);
	snprintf(res->transition.reason, sizeof(res->transition.reason), "%s",
		 element(r, 6) ? element(r, 6) : "");
	res->decision.admitted = element_num(r, 7) != 0;
	res->decision.probe = element_num(r, 8) != 0;
	res->decision.bypassed = element_num(r, 9) != 0;
	res->decision.reject = (enum breaker_reject)element_num(r, 10);
	res->decision.generation = element_num(r, 11);
	res->decision.transitioned = res->transitioned;
	res->decision.transition = res->transition;
	res->lease = element_num(r, 12);
	res->after.calls_inflight = (uint32_t)element_num(r, 13);
	res->after.probes_inflight = (uint32_t)element_num(r, 14);
	return STORE_OK;
}

/* The lease members after the breaker's fields (of a reply decode_reply took). */
static size_t members_at(const redisReply *r)
{
	int64_t n = reply_pairs(r);

	return n < 0 ? r->elements : HEAD + 2 * (size_t)n;
}

/* Whether a lease member is one of this host's processes that no longer runs:
 * same boot, same pid namespace, and the pid gone or now another process. */
static bool lease_dead_here(const struct store *s, const char *member, bool *probe,
			    int64_t *generation)
{
	long long id, gen, boot, pid, start;
	unsigned long long ns;
	int p;

	if (sscanf(member, "%lld|%d|%lld|%lld:%llu:%lld:%lld", &id, &p, &gen, &boot, &ns, &pid,
		   &start) != 7)
		return false;
	*probe = p == 1;
	*generation = gen;
	if (boot == 0 || boot != s->boot_id || ns == 0 || ns != s->pidns)
		return false;
	return pid > 0 && pid <= INT32_MAX && !proc_alive((pid_t)pid, start);
}

/* ---- the operations ---- */

static void redis_close(struct store *s)
{
	if (!s)
		return;
	redis_conn_close(s->conn);
	free(s);
}

static const char *redis_errmsg(const struct store *s)
{
	return s->err[0] ? s->err : "unknown error";
}

/* No lock: every change is one script on the server, which runs them one at a time. */
static void redis_set_lock_timeout(struct store *s, int64_t ms)
{
	(void)s;
	(void)ms;
}

/* The server's TIME: the clock of every change this store makes. */
static int redis_now(struct store *s, struct breaker_env *env)
{
	const char *argv[] = { "TIME" };
	redisReply *r;
	int rc = STORE_OK;

	if (!(r = redis_conn_command(s->conn, "TIME", 1, argv, &rc, s->err, sizeof(s->err))))
		return rc;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		env->now_ms = strtoll(r->element[0]->str, NULL, 10) * 1000 +
			      strtoll(r->element[1]->str, NULL, 10) / 1000;
		env->boot_ms = 0;
		env->boot_id = 0;
	} else if (r->type == REDIS_REPLY_ERROR) {
		/* NOPERM, say: the server's reason, not "unexpected". */
		snprintf(s->err, sizeof(s->err), "TIME: %.300s%s", r->str,
			 redis_conn_acl_hint(r->str, r->len));
		rc = STORE_ERR;
	} else {
		snprintf(s->err, sizeof(s->err), "TIME: an unexpected reply from the Redis server");
		rc = STORE_ERR;
	}
	freeReplyObject(r);
	return rc;
}

/* A Redis server gives no snapshot across requests; each read is one request
 * (a script, or a pipeline whose replies may straddle another client's write). */
static int redis_snapshot_begin(struct store *s)
{
	(void)s;
	return STORE_OK;
}

static void redis_snapshot_end(struct store *s)
{
	(void)s;
}

static int admit_once(struct store *s, const struct store_call *c, bool retry,
		      const char *const *dead, size_t ndead, struct store_result *res,
		      redisReply **rp)
{
	struct call_args a;
	int rc;

	add_common(s, &a, c->name, c->settings, c->history_limit, c->jitter);
	add(&a, "%d", c->recorded);
	add(&a, "%d", c->waiting);
	add(&a, "%lld", (long long)c->lease_ms);
	add_str(&a, s->owner);
	add(&a, "%d", retry);
	for (size_t i = 0; i < ndead && a.n < MAX_ARGS; i++)
		add_str(&a, dead[i]);
	if (!(*rp = eval(s, &redis_script_admit, &a, &rc)))
		return rc;
	return decode_reply(s, c->name, *rp, false, res, NULL);
}

static int redis_admit(struct store *s, const struct store_call *c, struct store_result *res)
{
	const char *dead[MAX_ARGS];
	struct store_result first;
	redisReply *r = NULL, *r2 = NULL;
	size_t ndead = 0;
	bool counted;
	int rc;

	if ((rc = admit_once(s, c, false, NULL, 0, res, &r)) != STORE_OK)
		goto out;
	if (res->decision.reject != REJECT_CONCURRENCY &&
	    res->decision.reject != REJECT_HALF_OPEN_FULL)
		goto out;
	/* Turned away by leases: those of this host's dead processes are freed
	 * here, and the call asks once more. */
	for (size_t i = members_at(r); i < r->elements && ndead < MAX_ARGS - NKEYS - 24; i++) {
		const char *m = element(r, i);
		int64_t gen;
		bool probe;

		if (m && lease_dead_here(s, m, &probe, &gen))
			dead[ndead++] = m;
	}
	if (ndead == 0)
		goto out;
	/* The retry counts back the rejection the first try wrote, if it wrote one. */
	counted = res->created ||
		  (c->recorded ? res->transitioned
			       : !(c->waiting && res->decision.reject == REJECT_CONCURRENCY));
	first = *res;
	if ((rc = admit_once(s, c, counted, dead, ndead, res, &r2)) != STORE_OK) {
		/* The first try committed its answer (a rejection, counted): it
		 * stands, rather than a store error that would run the call
		 * unprotected. The dead owners' slots stay until they expire. */
		warnx("warning: the Redis server: %s; the call is answered as its first try "
		      "was, before the slots of this host's ended calls were freed",
		      s->err);
		*res = first;
		rc = STORE_OK;
		goto out;
	}
	/* A change the first try made is this caller's: its hooks run. */
	if (first.transitioned && !res->transitioned) {
		res->transitioned = true;
		res->transition = first.transition;
		res->decision.transitioned = true;
		res->decision.transition = first.transition;
	}
	res->created = res->created || first.created;
out:
	freeReplyObject(r);
	freeReplyObject(r2);
	return rc;
}

static int redis_record(struct store *s, const struct store_call *c, struct store_result *res)
{
	const struct breaker_call *call = c->call;
	struct call_args a;
	redisReply *r;
	int rc;

	add_common(s, &a, c->name, c->settings, c->history_limit, c->jitter);
	add(&a, "%d", (int)call->outcome);
	add(&a, "%d", call->exit_code);
	add(&a, "%d", call->timed_out);
	add(&a, "%d", call->slow);
	add(&a, "%d", call->bypassed);
	add(&a, "%lld", (long long)call->generation);
	add(&a, "%d", call->timed);
	add(&a, "%lld", (long long)call->duration_ms);
	add(&a, "%lld", (long long)c->lease);
	add_str(&a, s->owner);
	/* The command ran meanwhile, long enough for the server to drop us. */
	if ((rc = redis_conn_revive(s->conn, s->err, sizeof(s->err))) != 0)
		return rc;
	if (!(r = eval(s, &redis_script_record, &a, &rc)))
		return rc;
	rc = decode_reply(s, c->name, r, false, res, NULL);
	freeReplyObject(r);
	return rc;
}

static int redis_release(struct store *s, const char *name, int64_t lease)
{
	struct call_args a;
	redisReply *r;
	int rc;

	if (lease == 0)
		return STORE_OK;
	add_keys(s, &a, name);
	add_str(&a, name);
	add(&a, "%lld", (long long)lease);
	add_str(&a, s->owner);
	if ((rc = redis_conn_revive(s->conn, s->err, sizeof(s->err))) != 0)
		return rc;
	if (!(r = eval(s, &redis_script_release, &a, &rc)))
		return rc;
	freeReplyObject(r);
	return STORE_OK;
}

static int redis_manual(struct store *s, const struct store_manual *m, struct store_result *res)
{
	struct breaker_settings builtin;
	struct call_args a;
	redisReply *r;
	int rc;

	/* A breaker made by hand gets the built-in settings until a call brings its own. */
	breaker_settings_init(&builtin);
	add_common(s, &a, m->name, &builtin, 0, 0);
	add(&a, "%d", m->kind == STORE_RESET ? 0 : m->kind == STORE_TRIP ? 1 : 2);
	add(&a, "%lld", (long long)m->for_ms);
	add_str(&a, m->reason ? m->reason : "");
	if (!(r = eval(s, &redis_script_manual, &a, &rc)))
		return rc;
	rc = decode_reply(s, m->name, r, false, res, NULL);
	freeReplyObject(r);
	return rc;
}

/* The server's clock says which leases have expired; its time comes back in env. */
static int redis_read_now(struct store *s, const char *name, struct breaker_env *env,
			  struct breaker_state *st, struct breaker_settings *saved)
{
	struct store_result res;
	struct call_args a;
	redisReply *r;
	int rc;

	add_keys(s, &a, name);
	add_str(&a, name);
	if (!(r = eval(s, &redis_script_read, &a, &rc)))
		return rc;
	rc = decode_reply(s, name, r, true, &res, saved);
	if (rc == STORE_OK) {
		/* Live leases, as the SQLite store counts them: this host's dead
		 * owners left out. */
		for (size_t i = members_at(r); i < r->elements; i++) {
			const char *m = element(r, i);
			int64_t gen;
			bool probe;

			if (!m || !lease_dead_here(s, m, &probe, &gen))
				continue;
			if (res.after.calls_inflight)
				res.after.calls_inflight--;
			if (probe && gen == res.after.generation && res.after.probes_inflight)
				res.after.probes_inflight--;
		}
		*st = res.after;
	}
	/* As redis_now: the wall clock alone. */
	if (rc == STORE_OK || rc == STORE_NOTFOUND || rc == STORE_INVALID) {
		memset(env, 0, sizeof(*env));
		env->now_ms = res.env.now_ms;
	}
	freeReplyObject(r);
	return rc;
}

static int redis_read(struct store *s, const char *name, int64_t now_ms, struct breaker_state *st,
		      struct breaker_settings *saved)
{
	struct breaker_env env;

	(void)now_ms;
	return redis_read_now(s, name, &env, st, saved);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads a pipelined reply; a lost server is STORE_DOWN. */
static int pipeline_reply(struct store *s, redisReply **r)
{
	int rc;

	if (!(*r = redis_conn_get_reply(s->conn, "reading the breakers", &rc, s->err,
					sizeof(s->err))))
		return rc;
	if ((*r)->type == REDIS_REPLY_ERROR) {
		snprintf(s->err, sizeof(s->err), "the Redis server: %.300s%s", (*r)->str,
			 redis_conn_acl_hint((*r)->str, (*r)->len));
		freeReplyObject(*r);
		*r = NULL;
		return STORE_ERR;
	}
	return STORE_OK;
}

/* The index, sorted by name: SMEMBERS. names points into *set. */
static int index_names(struct store *s, redisReply **set, const char ***names, size_t *n)
{
	redisContext *ctx = redis_conn_context(s->conn);
	int rc;

	*names = NULL;
	*n = 0;
	if (redisAppendCommand(ctx, "SMEMBERS %sbreakers", s->prefix) != REDIS_OK)
		return STORE_ERR;
	if ((rc = pipeline_reply(s, set)) != STORE_OK)
		return rc;
	if ((*set)->type != REDIS_REPLY_ARRAY) {
		snprintf(s->err, sizeof(s->err), "an unexpected reply from the Redis server");
		return STORE_ERR;
	}
	if ((*set)->elements == 0)
		return STORE_OK;
	if (!(*names = calloc((*set)->elements, sizeof(**names)))) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return STORE_ERR;
	}
	for (size_t i = 0; i < (*set)->elements; i++)
		if ((*set)->element[i]->type == REDIS_REPLY_STRING)
			(*names)[(*n)++] = (*set)->element[i]->str;
	qsort(*names, *n, sizeof(**names), name_cmp);
	return STORE_OK;
}

/* The replies of a pipeline of n requests, all of them read even after a
 * failure, so that the connection stays in step. */
static int pipeline_collect(struct store *s, redisReply **replies, size_t n)
{
	int rc = STORE_OK;

	for (size_t i = 0; i < n; i++) {
		int one;

		replies[i] = NULL;
		if (rc == STORE_DOWN)
			continue;
		if ((one = pipeline_reply(s, &replies[i])) != STORE_OK)
			rc = one;
	}
	return rc;
}

static int redis_each(struct store *s, store_each_fn fn, void *ctx)
{
	redisContext *rctx = redis_conn_context(s->conn);
	redisReply *set = NULL, **rows = NULL;
	const char **names = NULL;
	size_t n = 0;
	int rc;

	if ((rc = index_names(s, &set, &names, &n)) != STORE_OK || n == 0)
		goto out;
	if (!(rows = calloc(n, sizeof(*rows)))) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		rc = STORE_ERR;
		goto out;
	}
	/* One pipeline: 10 000 breakers are one round trip's worth of waiting. */
	for (size_t i = 0; i < n; i++)
		redisAppendCommand(rctx, "HGETALL %s{%s}", s->prefix, names[i]);
	if ((rc = pipeline_collect(s, rows, n)) != STORE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct breaker_state st;
		struct breaker_settings saved;
		const char *name = names[i];
		enum parse_err why;
		bool good;

		/* A row that cannot be understood is passed on without its state,
		 * for the caller to name and skip: one bad row must not hide the
		 * others. */
		if (name_check(name, &why) < 0) {
			snprintf(s->err, sizeof(s->err),
				 "a breaker with an invalid name in the Redis index (edited or "
				 "damaged)");
			name = "";
			good = false;
		} else if (rows[i]->type != REDIS_REPLY_ARRAY || rows[i]->elements == 0) {
			/* Deletes remove the name in the same script: a hash gone
			 * from under its name was evicted or removed by hand. */
			char q[ESCAPE_SIZE(64)];

			escape_text(name, q, sizeof(q));
			snprintf(s->err, sizeof(s->err),
				 "breaker %s: its hash is gone from the Redis server, its name "
				 "left in the index: evicted (see maxmemory-policy in cbexec(1)) "
				 "or removed by hand (cbexec delete forgets the name)",
				 q);
			good = false;
		} else {
			good = decode_fields(s, name, rows[i]->element, rows[i]->elements, false,
					     &st, &saved) == STORE_OK;
		}
		if (fn(name, good ? &st : NULL, good ? &saved : NULL, ctx) != 0)
			break;
	}
out:
	for (size_t i = 0; rows && i < n; i++)
		freeReplyObject(rows[i]);
	free(rows);
	free(names);
	freeReplyObject(set);
	return rc;
}

struct event {
	const char *name;
	int64_t time;
	size_t seq; /* within its breaker: higher is newer */
	enum breaker_state_kind from, to;
	const char *reason;
};

/* "time|from|to|reason" */
static bool event_parse(const char *name, const char *v, size_t seq, struct event *e)
{
	long long t;
	int from, to, used = 0;

	if (sscanf(v, "%lld|%d|%d|%n", &t, &from, &to, &used) != 3 || used == 0 || from < 0 ||
	    from > 2 || to < 0 || to > 2)
		return false;
	e->name = name;
	e->time = t;
	e->seq = seq;
	e->from = (enum breaker_state_kind)from;
	e->to = (enum breaker_state_kind)to;
	e->reason = v + used;
	return true;
}

/* Oldest first: by time, then name, then order within the breaker. */
static int event_cmp(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;
	int c;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int redis_history(struct store *s, const char *name, uint32_t limit, int64_t since_ms,
			 store_event_fn fn, void *ctx)
{
	redisContext *rctx = redis_conn_context(s->conn);
	redisReply *set = NULL, **lists = NULL;
	const char **names = NULL, *one[1] = { name };
	struct event *ev = NULL;
	size_t n = 0, nev = 0, cap = 0, first;
	int rc = STORE_OK;

	if (name) {
		names = one;
		n = 1;
	} else if ((rc = index_names(s, &set, &names, &n)) != STORE_OK || n == 0) {
		goto out;
	}
	if (!(lists = calloc(n, sizeof(*lists)))) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		rc = STORE_ERR;
		goto out;
	}
	/* The newest `limit` of each breaker are all that the newest `limit`
	 * of them all can hold. */
	for (size_t i = 0; i < n; i++)
		redisAppendCommand(rctx, "LRANGE %s{%s}:history 0 %lld", s->prefix, names[i],
				   limit ? (long long)limit - 1 : -1LL);
	if ((rc = pipeline_collect(s, lists, n)) != STORE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const redisReply *l = lists[i];

		if (l->type != REDIS_REPLY_ARRAY)
			continue;
		for (size_t k = 0; k < l->elements; k++) {
			struct event e;

			if (l->element[k]->type != REDIS_REPLY_STRING ||
			    !event_parse(names[i], l->element[k]->str, l->elements - k, &e) ||
			    e.time < since_ms)
				continue;
			if (nev == cap) {
				struct event *grown;

				cap = cap ? 2 * cap : 64;
				if (!(grown = realloc(ev, cap * sizeof(*ev)))) {
					snprintf(s->err, sizeof(s->err), "out of memory");
					rc = STORE_ERR;
					goto out;
				}
				ev = grown;
			}
			ev[nev++] = e;
		}
	}
	if (nev)
		qsort(ev, nev, sizeof(*ev), event_cmp);
	first = limit && nev > limit ? nev - limit : 0;
	for (size_t i = first; i < nev; i++) {
		struct store_event e = { ev[i].name, ev[i].time, ev[i].from, ev[i].to,
					 ev[i].reason };

		if (fn(&e, ctx) != 0)
			break;
	}
out:
	for (size_t i = 0; lists && i < n; i++)
		freeReplyObject(lists[i]);
	free(lists);
	free(ev);
	if (names != one)
		free(names);
	freeReplyObject(set);
	return rc;
}

static int redis_delete(struct store *s, const char *name)
{
	struct call_args a;
	redisReply *r;
	int rc;

	add_keys(s, &a, name);
	add_str(&a, name);
	if (!(r = eval(s, &redis_script_delete, &a, &rc)))
		return rc;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? STORE_OK : STORE_NOTFOUND;
	freeReplyObject(r);
	return rc;
}

static const struct store_ops redis_ops = {
	.close = redis_close,
	.errmsg = redis_errmsg,
	.set_lock_timeout = redis_set_lock_timeout,
	.now = redis_now,
	.snapshot_begin = redis_snapshot_begin,
	.snapshot_end = redis_snapshot_end,
	.admit = redis_admit,
	.record = redis_record,
	.release = redis_release,
	.manual = redis_manual,
	.read = redis_read,
	.each = redis_each,
	.history = redis_history,
	.delete = redis_delete,
	.read_now = redis_read_now,
};

/*
 * Whether anything of cbexec's is under the prefix, in the db: a reader of
 * a mistyped ?db=5 or prefix= must not answer "0 open" (exit 0) for ever, as
 * a missing state file does not. The first breaker made sets both keys, and
 * a delete leaves the counter, so a store once used stays found. One round
 * trip, for readers and resets only: a call creates what it needs.
 */
static int store_exists(struct store *s, char *err, size_t errlen)
{
	char gen[sizeof(s->prefix) + 16], idx[sizeof(s->prefix) + 16];
	const char *argv[] = { "EXISTS", gen, idx };
	redisReply *r;
	int rc = STORE_OK;

	snprintf(gen, sizeof(gen), "%sgeneration", s->prefix);
	snprintf(idx, sizeof(idx), "%sbreakers", s->prefix);
	if (!(r = redis_conn_command(s->conn, "EXISTS", 3, argv, &rc, err, errlen)))
		return rc;
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
		snprintf(
			err, errlen,
			"no breakers under the prefix \"%s\" in db %d on that server; check db and "
			"prefix= in the location",
			s->prefix, redis_conn_url(s->conn)->db);
		rc = STORE_NOTFOUND;
	} else if (r->type != REDIS_REPLY_INTEGER) {
		snprintf(err, errlen, "EXISTS: %.300s%s",
			 r->type == REDIS_REPLY_ERROR ? r->str : "an unexpected reply",
			 r->type == REDIS_REPLY_ERROR ? redis_conn_acl_hint(r->str, r->len) : "");
		rc = STORE_ERR;
	}
	freeReplyObject(r);
	return rc;
}

int store_redis_open(struct store **sp, const char *url, enum store_mode mode, const char *local,
		     char *err, size_t errlen)
{
	struct redis_url *u;
	struct breaker_env env = { 0 };
	char marker[PATH_MAX + 32];
	struct store *s;
	int rc;

	*sp = NULL;
	if (!(u = calloc(1, sizeof(*u))) || !(s = calloc(1, sizeof(*s)))) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return STORE_ERR;
	}
	s->base.ops = &redis_ops;
	if (redis_url_parse(url, u, err, errlen) < 0) {
		rc = STORE_ERR;
		goto fail;
	}
	/* No marker when there is no host file to keep it beside, or no room
	 * for its name: every call then tries the server. */
	if (!local || redis_marker_path(u, local, marker, sizeof(marker)) < 0)
		marker[0] = '\0';
	if ((rc = redis_conn_open(&s->conn, u, marker[0] ? marker : NULL, err, errlen)) != 0)
		goto fail;
	redis_conn_keepalive(s->conn);
	snprintf(s->prefix, sizeof(s->prefix), "%s", u->prefix);
	/* Opening creates nothing on the server, whatever the mode; a reader
	 * or a reset finds out whether anything is there to read. */
	if ((mode == STORE_READONLY || mode == STORE_EXISTING) &&
	    (rc = store_exists(s, err, errlen)) != STORE_OK) {
		redis_conn_close(s->conn);
		goto fail;
	}
	explicit_bzero(u->password, sizeof(u->password));
	clock_now(&env);
	s->boot_id = env.boot_id;
	s->pidns = proc_pid_namespace();
	snprintf(s->owner, sizeof(s->owner), "%lld:%llu:%ld:%lld", (long long)s->boot_id,
		 (unsigned long long)s->pidns, (long)getpid(),
		 (long long)proc_start_time(getpid()));
	free(u);
	*sp = s;
	return STORE_OK;
fail:
	explicit_bzero(u->password, sizeof(u->password));
	free(u);
	free(s);
	return rc == STORE_DOWN || rc == STORE_NOTFOUND ? rc : STORE_ERR;
}

#endif
