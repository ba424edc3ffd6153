/*
 * The differential test of src/breaker.c against its Lua twin (src/lua/): the
 * same random events, with random settings, outcomes, timeouts, slow calls,
 * stale generations and time steps, go through the C machine (with a model of
 * the Redis store's leases, history and generation counter) and through the
 * scripts on a redis-server of its own, and every field of the state, the
 * decision and the transition is compared after every step, both as the
 * script returns it and as the hash then holds it.
 *
 * The scripts run as shipped except for their first part, clock.lua, replaced
 * by one that takes the time from the last argument. CBEXEC_DIFF_SEED=N
 * repeats a run; the seed is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <hiredis.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "breaker.h"
#include "redis-scripts.h"
#include "tap.h"

#define SEQUENCES    50
#define STEPS	     120
#define OWNER	     "1:4026531836:4242:777"
#define HISTORY_KEEP 8
#define MAX_LEASES   1024
#define BASE_MS	     INT64_C(1796000000000)

static const char test_clock[] = "local function server_now()\n"
				 "\treturn tonumber(ARGV[#ARGV])\n"
				 "end\n";

static redisContext *rc;
static pid_t server_pid;
static char dir[64], sock[128];
static char *shipped_sha1[6];

struct variant {
	const struct redis_script *script;
	char sha1[41];
};
enum {
	V_ADMIT,
	V_RECORD,
	V_RELEASE,
	V_MANUAL,
	V_READ,
	V_DELETE,
	V_COUNT
};
static struct variant variants[V_COUNT] = {
	{ &redis_script_admit, "" },  { &redis_script_record, "" }, { &redis_script_release, "" },
	{ &redis_script_manual, "" }, { &redis_script_read, "" },   { &redis_script_delete, "" },
};

/* ---- the server ---- */

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

static void server_stop(void)
{
	char p[192];

	if (rc)
		redisFree(rc);
	rc = NULL;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	if (dir[0]) {
		snprintf(p, sizeof(p), "%s/redis.log", dir);
		unlink(p);
		unlink(sock);
		rmdir(dir);
		dir[0] = '\0';
	}
}

static int server_start(void)
{
	const char *tmp = getenv("TMPDIR");
	char log[192];
	struct timeval tv = { 5, 0 };

	snprintf(dir, sizeof(dir), "%s/cbexec-diff.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return -1;
	}
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	snprintf(log, sizeof(log), "%s/redis.log", dir);
	if ((server_pid = fork()) < 0)
		return -1;
	if (server_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock,
		       "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no",
		       (char *)NULL);
		_exit(127);
	}
	/* Polled, 5 s at most. */
	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if ((rc = redisConnectUnixWithTimeout(sock, tv)) && !rc->err)
			return 0;
		if (rc)
			redisFree(rc);
		rc = NULL;
		if (waitpid(server_pid, NULL, WNOHANG) == server_pid) {
			server_pid = 0;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* ---- calling the scripts ---- */

static int load_variants(void)
{
	size_t clock_len = strlen(redis_lua_clock);

	for (int i = 0; i < V_COUNT; i++) {
		const char *src = variants[i].script->source;
		char *body;
		redisReply *r;

		if (strncmp(src, redis_lua_clock, clock_len) != 0)
			return -1;
		if (!(body = malloc(strlen(test_clock) + strlen(src) + 1)))
			return -1;
		strcpy(body, test_clock);
		strcat(body, src + clock_len);
		r = redisCommand(rc, "SCRIPT LOAD %s", body);
		free(body);
		if (!r || r->type != REDIS_REPLY_STRING) {
			if (r && r->type == REDIS_REPLY_ERROR)
				printf("# SCRIPT LOAD %s: %s\n", variants[i].script->name, r->str);
			freeReplyObject(r);
			return -1;
		}
		snprintf(variants[i].sha1, sizeof(variants[i].sha1), "%s", r->str);
		freeReplyObject(r);
		r = redisCommand(rc, "SCRIPT LOAD %s", src);
		if (!r || r->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			return -1;
		}
		shipped_sha1[i] = strdup(r->str);
		freeReplyObject(r);
	}
	return 0;
}

struct args {
	int n;
	const char *v[40];
	char buf[40][320];
};

static void arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->buf[a->n], sizeof(a->buf[a->n]), fmt, ap);
	va_end(ap);
	a->v[a->n] = a->buf[a->n];
	a->n++;
}

static const char *name;

/* EVALSHA of the test variant: the keys of the breaker `name`, then args, then
 * the time (the test clock's argument). */
static redisReply *eval(int v, struct args *a, int64_t now)
{
	struct args full;
	const char *argv[48];
	redisReply *r;

	full.n = 0;
	arg(&full, "EVALSHA");
	arg(&full, "%s", variants[v].sha1);
	arg(&full, "5");
	arg(&full, "cbexec:{%s}", name);
	arg(&full, "cbexec:{%s}:leases", name);
	arg(&full, "cbexec:{%s}:history", name);
	arg(&full, "cbexec:breakers");
	arg(&full, "cbexec:generation");
	for (int i = 0; i < full.n; i++)
		argv[i] = full.v[i];
	for (int i = 0; i < a->n; i++)
		argv[full.n + i] = a->v[i];
	snprintf(full.buf[full.n], sizeof(full.buf[0]), "%lld", (long long)now);
	argv[full.n + a->n] = full.buf[full.n];
	r = redisCommandArgv(rc, full.n + a->n + 1, argv, NULL);
	if (r && r->type == REDIS_REPLY_ERROR)
		printf("# %s: %s\n", variants[v].script->name, r->str);
	return r;
}

/* ARGV[1..17]: the name, the settings, the history limit, the jitter draw. */
static void common_args(struct args *a, const struct breaker_settings *s, double jitter)
{
	a->n = 0;
	arg(a, "%s", name);
	arg(a, "%u", s->failure_threshold);
	arg(a, "%lld", (long long)s->recovery_timeout_ms);
	arg(a, "%u", s->success_threshold);
	arg(a, "%u", s->half_open_max_calls);
	arg(a, "%u", s->window_calls);
	arg(a, "%lld", (long long)s->window_ms);
	arg(a, "%u", s->failure_rate);
	arg(a, "%u", s->min_calls);
	arg(a, "%lld", (long long)s->slow_call_ms);
	arg(a, "%u", s->slow_call_rate);
	arg(a, "%.17g", s->backoff);
	arg(a, "%lld", (long long)s->max_recovery_timeout_ms);
	arg(a, "%u", s->jitter);
	arg(a, "%u", s->max_concurrent);
	arg(a, "%d", HISTORY_KEEP);
	arg(a, "%.17g", jitter);
}

/* ---- the model: breaker.c plus what the Redis store keeps around it ---- */

struct lease {
	int64_t id, generation, expires;
	bool probe;
};

struct event {
	int64_t time;
	int from, to;
	char reason[BREAKER_REASON_MAX];
};

struct model {
	bool exists;
	struct breaker_state st; /* as stored */
	struct breaker_settings saved;
	struct lease leases[MAX_LEASES];
	int nleases;
	int64_t lease_seq;
	struct event history[HISTORY_KEEP];
	int nhistory; /* newest first */
};

static struct model m;
static int64_t gen_counter;
static char failure[1024];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
}

static void add_event(int64_t now, const struct breaker_transition *tr)
{
	memmove(&m.history[1], &m.history[0], sizeof(m.history[0]) * (HISTORY_KEEP - 1));
	m.history[0].time = now;
	m.history[0].from = tr->from;
	m.history[0].to = tr->to;
	snprintf(m.history[0].reason, sizeof(m.history[0].reason), "%s", tr->reason);
	if (m.nhistory < HISTORY_KEEP)
		m.nhistory++;
}

static void prune(int64_t now)
{
	int j = 0;

	for (int i = 0; i < m.nleases; i++)
		if (m.leases[i].expires > now)
			m.leases[j++] = m.leases[i];
	m.nleases = j;
}

static void count(struct breaker_state *st)
{
	st->calls_inflight = (uint32_t)m.nleases;
	st->probes_inflight = 0;
	for (int i = 0; i < m.nleases; i++)
		if (m.leases[i].probe && m.leases[i].generation == st->generation)
			st->probes_inflight++;
}

static void keep_saved(struct breaker_settings *saved, const struct breaker_settings *set)
{
	breaker_settings_init(saved);
	saved->failure_threshold = set->failure_threshold;
	saved->success_threshold = set->success_threshold;
	saved->recovery_timeout_ms = set->recovery_timeout_ms;
	saved->half_open_max_calls = set->half_open_max_calls;
	saved->max_concurrent = set->max_concurrent;
}

static void create(const struct breaker_settings *set, int64_t now)
{
	breaker_state_init(&m.st, set, now);
	m.st.generation = ++gen_counter;
	keep_saved(&m.saved, set);
	m.exists = true;
	m.lease_seq = 0;
}

/* ---- comparing ---- */

static const char *rstr(const redisReply *r, size_t i)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return r->element[i]->str;
}

static long long rnum(const redisReply *r, size_t i)
{
	const char *s = rstr(r, i);

	return s ? strtoll(s, NULL, 10) : LLONG_MIN;
}

#define CMP(what, got, want)                                                                       \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (g_ != w_)                                                                      \
			fail("%s: Lua %lld, C %lld", what, g_, w_);                                \
	} while (0)

/* The breaker's fields, from name/value pairs (a reply's, or HGETALL's), against st. */
static void compare_fields(const char *where, redisReply *const *el, size_t n,
			   const struct breaker_state *st, const struct breaker_settings *saved)
{
	uint8_t wbuf[WINDOW_ENCODED_MAX];
	size_t wlen = window_encode(&st->window, wbuf, sizeof(wbuf));
	const struct {
		const char *f;
		long long v;
	} nums[] = {
		{ "state", st->state },
		{ "mode", st->mode },
		{ "held", st->held },
		{ "generation", st->generation },
		{ "consecutive_failures", st->consecutive_failures },
		{ "consecutive_successes", st->consecutive_successes },
		{ "state_changed_at", st->state_changed_at_ms },
		{ "retry_at", st->retry_at_ms },
		{ "retry_boot", st->retry_boot_ms },
		{ "boot_id", st->boot_id },
		{ "open_length", st->open_length_ms },
		{ "open_period", st->open_period_ms },
		{ "last_failure_at", st->last_failure_at_ms },
		{ "last_success_at", st->last_success_at_ms },
		{ "last_exit", st->last_exit },
		{ "total_calls", st->totals.calls },
		{ "total_successes", st->totals.successes },
		{ "total_failures", st->totals.failures },
		{ "total_ignored", st->totals.ignored },
		{ "total_rejected", st->totals.rejected },
		{ "total_timeouts", st->totals.timeouts },
		{ "total_slow", st->totals.slow },
		{ "total_opens", st->totals.opens },
		{ "total_timed_calls", st->totals.timed_calls },
		{ "total_duration", st->totals.duration_ms_sum },
		{ "failure_threshold", saved->failure_threshold },
		{ "success_threshold", saved->success_threshold },
		{ "recovery_timeout", saved->recovery_timeout_ms },
		{ "half_open_max_calls", saved->half_open_max_calls },
		{ "max_concurrent", saved->max_concurrent },
	};
	size_t seen = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		const char *f = el[i]->str, *v = el[i + 1]->str;
		size_t vlen = el[i + 1]->len;
		char what[96];

		snprintf(what, sizeof(what), "%s %s", where, f);
		if (strcmp(f, "lease_seq") == 0)
			continue;
		seen++;
		if (strcmp(f, "reason") == 0) {
			if (strcmp(v, st->reason) != 0)
				fail("%s: Lua \"%s\", C \"%s\"", what, v, st->reason);
			continue;
		}
		if (strcmp(f, "mode_reason") == 0) {
			if (strcmp(v, st->mode_reason) != 0)
				fail("%s: Lua \"%s\", C \"%s\"", what, v, st->mode_reason);
			continue;
		}
		if (strcmp(f, "window") == 0) {
			if (vlen != wlen || memcmp(v, wbuf, wlen) != 0)
				fail("%s: %zu bytes differ from C's %zu", what, vlen, wlen);
			continue;
		}
		for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++)
			if (strcmp(f, nums[k].f) == 0) {
				CMP(what, strtoll(v, NULL, 10), nums[k].v);
				goto next;
			}
		fail("%s: a field C does not know", what);
	next:;
	}
	if (seen != sizeof(nums) / sizeof(nums[0]) + 3)
		fail("%s: %zu fields, C has %zu", where, seen, sizeof(nums) / sizeof(nums[0]) + 3);
}

/* The reply's head and state against what the C side did. */
static void compare_reply(const char *op, redisReply *r, bool created, bool transitioned,
			  const struct breaker_transition *tr, const struct breaker_decision *d,
			  int64_t lease, const struct breaker_state *st,
			  const struct breaker_settings *saved)
{
	char what[64];
	size_t n;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 16) {
		fail("%s: no reply", op);
		return;
	}
	if (strcmp(rstr(r, 0), "ok") != 0) {
		fail("%s: status %s (%s)", op, rstr(r, 0), rstr(r, 6));
		return;
	}
#define H(i, label, want)                                                                          \
	do {                                                                                       \
		snprintf(what, sizeof(what), "%s %s", op, label);                                  \
		CMP(what, rnum(r, i), want);                                                       \
	} while (0)
	H(2, "created", created);
	H(3, "transitioned", transitioned);
	if (transitioned) {
		H(4, "from", tr->from);
		H(5, "to", tr->to);
		if (strcmp(rstr(r, 6), tr->reason) != 0)
			fail("%s transition reason: Lua \"%s\", C \"%s\"", op, rstr(r, 6),
			     tr->reason);
	}
	if (d) {
		H(7, "admitted", d->admitted);
		H(8, "probe", d->probe);
		H(9, "bypassed", d->bypassed);
		H(10, "reject", d->reject);
		H(11, "decision generation", d->generation);
		H(12, "lease", lease);
		H(13, "calls_inflight", st->calls_inflight);
		H(14, "probes_inflight", st->probes_inflight);
	}
#undef H
	n = (size_t)rnum(r, 15);
	if (16 + 2 * n > r->elements) {
		fail("%s: short reply", op);
		return;
	}
	compare_fields(op, r->element + 16, 2 * n, st, saved);
}

/* The hash and the history as stored, against the model. */
static void compare_stored(void)
{
	char key[128];
	redisReply *r;

	snprintf(key, sizeof(key), "cbexec:{%s}", name);
	r = redisCommand(rc, "HGETALL %s", key);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		fail("HGETALL failed");
	} else if (!m.exists) {
		if (r->elements != 0)
			fail("the hash exists; C has no breaker");
	} else {
		compare_fields("stored", r->element, r->elements, &m.st, &m.saved);
	}
	freeReplyObject(r);

	snprintf(key, sizeof(key), "cbexec:{%s}:history", name);
	r = redisCommand(rc, "LRANGE %s 0 -1", key);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		fail("LRANGE failed");
	} else if ((int)r->elements != m.nhistory) {
		fail("history: Lua %zu events, C %d", r->elements, m.nhistory);
	} else {
		for (int i = 0; i < m.nhistory; i++) {
			char want[BREAKER_REASON_MAX + 64];

			snprintf(want, sizeof(want), "%lld|%d|%d|%s", (long long)m.history[i].time,
				 m.history[i].from, m.history[i].to, m.history[i].reason);
			if (strcmp(r->element[i]->str, want) != 0)
				fail("history %d: Lua \"%s\", C \"%s\"", i, r->element[i]->str,
				     want);
		}
	}
	freeReplyObject(r);

	snprintf(key, sizeof(key), "cbexec:{%s}:leases", name);
	r = redisCommand(rc, "ZCARD %s", key);
	if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != m.nleases)
		fail("leases: Lua %lld, C %d", r ? r->integer : -1, m.nleases);
	freeReplyObject(r);
}

/* ---- random events ---- */

static uint64_t rng;

static uint32_t rnd(uint32_t n) /* uniform enough in [0, n) */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static double rnd_unit(void) /* [-1, 1] */
{
	return (double)rnd(2000001) / 1000000.0 - 1.0;
}

static void random_settings(struct breaker_settings *s)
{
	static const double backoffs[] = { 1.0, 1.5, 2.0, 3.0, 1.2345678901234567 };

	breaker_settings_init(s);
	s->failure_threshold = rnd(4) ? 1 + rnd(5) : 0;
	s->recovery_timeout_ms = 1 + rnd(60000);
	s->success_threshold = 1 + rnd(3);
	s->half_open_max_calls = 1 + rnd(3);
	switch (rnd(3)) {
	case 1:
		s->window_calls = 1 + rnd(rnd(5) ? 20 : 1000);
		break;
	case 2:
		s->window_ms = rnd(2) ? 1000 + rnd(120000) : 1 + rnd(100);
		break;
	}
	s->failure_rate = rnd(3) ? rnd(101) : 0;
	s->min_calls = 1 + rnd(12);
	s->slow_call_ms = rnd(2) ? 100 + rnd(5000) : 0;
	s->slow_call_rate = rnd(3) ? 0 : rnd(101);
	s->backoff = backoffs[rnd(5)];
	s->max_recovery_timeout_ms = 1 + rnd(rnd(2) ? 600000 : 3600000);
	s->jitter = rnd(2) ? rnd(101) : 0;
	s->max_concurrent = rnd(3) ? 0 : 1 + rnd(3);
}

static const char *random_reason(void)
{
	static char longer[301];
	static const char *const reasons[] = {
		"", "", "maintenance", "deploy | 42", "ticket OPS-7", longer
	};

	if (!longer[0]) {
		memset(longer, 'x', 300);
		longer[150] = '|';
	}
	return reasons[rnd(6)];
}

static struct breaker_settings set;
static int64_t now;

/* What the run went through, so that a run that missed a path says so. */
enum {
	SEEN_REJECT = 0,       /* + enum breaker_reject */
	SEEN_HALF_OPEN = 6,    /* open -> half-open by admission */
	SEEN_PROBE_CLOSED = 7, /* half-open -> closed */
	SEEN_PROBE_FAILED = 8, /* half-open -> open */
	SEEN_RATE_OPEN = 9,    /* closed -> open by a window rule */
	SEEN_STALE = 10,       /* an outcome of an older generation */
	SEEN_BYPASSED = 11,    /* admitted by bypass */
	SEEN_COUNT
};
static const char *const seen_name[SEEN_COUNT] = {
	"admission",	       "open rejection",      "tripped rejection", "held rejection",
	"half-open rejection", "bulkhead rejection",  "half-open",	   "probe closing",
	"probe failing",       "window rule opening", "stale outcome",	   "bypassed admission",
};
static int seen[SEEN_COUNT];
static int64_t recent_generation[4];

static void step_admit(void)
{
	struct breaker_state st;
	struct breaker_settings dset = set, rsaved;
	struct breaker_decision d;
	struct breaker_env env = { now, 0, 0, rnd_unit() };
	bool recorded = rnd(8) == 0, waiting = rnd(6) == 0, created = false, write;
	int64_t lease_ms = 1 + rnd(rnd(2) ? 5000 : 120000), lease = 0;
	struct args a;
	redisReply *r;

	common_args(&a, &set, env.jitter);
	arg(&a, "%d", recorded);
	arg(&a, "%d", waiting);
	arg(&a, "%lld", (long long)lease_ms);
	arg(&a, "%s", OWNER);
	arg(&a, "0");
	r = eval(V_ADMIT, &a, now);

	if (!m.exists) {
		create(&set, now);
		created = true;
	}
	keep_saved(&rsaved, &set);
	st = m.st;
	st.calls_inflight = st.probes_inflight = 0;
	if (recorded)
		dset.max_concurrent = 0;
	if (breaker_leases_matter(&st, &dset, &env)) {
		prune(now);
		count(&st);
	}
	breaker_admit(&st, &dset, &env, &d);
	write = created ||
		(recorded ? d.transitioned : !(waiting && d.reject == REJECT_CONCURRENCY));
	if (write) {
		if (!recorded && d.admitted && (d.probe || set.max_concurrent) &&
		    m.nleases < MAX_LEASES) {
			lease = ++m.lease_seq;
			m.leases[m.nleases++] =
				(struct lease){ lease, d.generation, now + lease_ms, d.probe };
		}
		m.st = st;
		m.saved = rsaved;
		if (d.transitioned)
			add_event(now, &d.transition);
	}
	if (d.admitted)
		recent_generation[rnd(4)] = d.generation;
	seen[SEEN_REJECT + d.reject]++;
	seen[SEEN_HALF_OPEN] += d.transitioned;
	seen[SEEN_BYPASSED] += d.bypassed;
	compare_reply("admit", r, created, d.transitioned, &d.transition, &d, lease, &st, &rsaved);
	/* The members come with a rejection the leases made, and only then. */
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 16) {
		size_t extra = r->elements - 16 - 2 * (size_t)rnum(r, 15);
		bool leased = d.reject == REJECT_CONCURRENCY || d.reject == REJECT_HALF_OPEN_FULL;

		CMP("admit members", extra, leased ? (size_t)m.nleases : 0);
	}
	freeReplyObject(r);
}

static void step_record(void)
{
	struct breaker_call call = { 0 };
	struct breaker_transition tr = { 0 };
	struct breaker_env env = { now, 0, 0, rnd_unit() };
	struct breaker_state st;
	bool created = false, transitioned;
	int64_t lease = 0;
	struct args a;
	redisReply *r;

	call.outcome = (enum breaker_outcome)rnd(3);
	/* Probes that succeed, or the half-open state would rarely close. */
	if (m.st.state == BREAKER_HALF_OPEN && rnd(3))
		call.outcome = OUTCOME_SUCCESS;
	call.exit_code = rnd(5) ? (int)rnd(3) : -1;
	call.timed_out = rnd(8) == 0;
	if (call.timed_out)
		call.exit_code = 124;
	call.slow = rnd(4) == 0;
	call.bypassed = rnd(10) == 0;
	call.timed = rnd(5) != 0;
	call.duration_ms = call.timed ? (int64_t)rnd(10000) - 10 : 0;
	/* The current generation mostly; else one admitted earlier, or stale. */
	switch (rnd(4)) {
	case 0:
		call.generation = recent_generation[rnd(4)];
		break;
	case 1:
		call.generation = m.st.generation - 1 - rnd(3);
		break;
	default:
		call.generation = m.exists ? m.st.generation : gen_counter + 1;
	}
	if (m.nleases && rnd(2))
		lease = m.leases[rnd((uint32_t)m.nleases)].id;
	else if (rnd(8) == 0)
		lease = 1000 + rnd(10); /* someone else's, or gone */

	common_args(&a, &set, env.jitter);
	arg(&a, "%d", (int)call.outcome);
	arg(&a, "%d", call.exit_code);
	arg(&a, "%d", call.timed_out);
	arg(&a, "%d", call.slow);
	arg(&a, "%d", call.bypassed);
	arg(&a, "%lld", (long long)call.generation);
	arg(&a, "%d", call.timed);
	arg(&a, "%lld", (long long)call.duration_ms);
	arg(&a, "%lld", (long long)lease);
	arg(&a, "%s", OWNER);
	r = eval(V_RECORD, &a, now);

	if (!m.exists) {
		create(&set, now);
		created = true;
	}
	keep_saved(&m.saved, &set);
	if (lease) {
		for (int i = 0; i < m.nleases; i++)
			if (m.leases[i].id == lease) {
				m.leases[i] = m.leases[--m.nleases];
				break;
			}
		prune(now);
	}
	st = m.st;
	st.calls_inflight = st.probes_inflight = 0;
	seen[SEEN_STALE] += call.generation != st.generation;
	transitioned = breaker_record(&st, &set, &env, &call, &tr);
	if (transitioned && tr.from == BREAKER_HALF_OPEN)
		seen[tr.to == BREAKER_CLOSED ? SEEN_PROBE_CLOSED : SEEN_PROBE_FAILED]++;
	if (transitioned && tr.from == BREAKER_CLOSED && strstr(tr.reason, "rate "))
		seen[SEEN_RATE_OPEN]++;
	m.st = st;
	if (transitioned)
		add_event(now, &tr);
	compare_reply("record", r, created, transitioned, &tr, NULL, 0, &st, &m.saved);
	freeReplyObject(r);
}

static void step_manual(void)
{
	struct breaker_settings builtin;
	struct breaker_transition tr = { 0 };
	struct breaker_env env = { now, 0, 0, 0 };
	struct breaker_state st;
	int kind = (int)rnd(3);
	int64_t for_ms = rnd(2) ? 0 : 1 + rnd(rnd(2) ? 60000 : 3600000);
	const char *why = random_reason();
	bool created = false, changed;
	struct args a;
	redisReply *r;
	static const char *const kinds[] = { "reset", "trip", "bypass" };

	breaker_settings_init(&builtin);
	common_args(&a, &builtin, 0);
	arg(&a, "%d", kind);
	arg(&a, "%lld", (long long)for_ms);
	arg(&a, "%s", why);
	r = eval(V_MANUAL, &a, now);

	if (!m.exists) {
		if (kind == 0) {
			if (!r || r->type != REDIS_REPLY_ARRAY || !rstr(r, 0) ||
			    strcmp(rstr(r, 0), "notfound") != 0)
				fail("reset of an unknown breaker: not \"notfound\"");
			freeReplyObject(r);
			return;
		}
		create(&builtin, now);
		created = true;
	}
	st = m.st;
	st.calls_inflight = st.probes_inflight = 0;
	if (kind == 0)
		changed = breaker_reset(&st, &m.saved, &env, &tr);
	else if (kind == 1)
		changed = breaker_trip(&st, &env, for_ms, why, &tr);
	else
		changed = breaker_bypass(&st, why, &tr);
	if (kind == 0 || changed || created) {
		m.st = st;
		if (changed)
			add_event(now, &tr);
	}
	compare_reply(kinds[kind], r, created, changed, &tr, NULL, 0, &st, &m.saved);
	freeReplyObject(r);
}

static void step_delete(void)
{
	struct args a = { 0 };
	redisReply *r;

	arg(&a, "%s", name);
	r = eval(V_DELETE, &a, now);
	if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != (m.exists ? 1 : 0))
		fail("delete: Lua %lld, C %d",
		     r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1, m.exists);
	freeReplyObject(r);
	if (m.exists && m.st.generation > gen_counter)
		gen_counter = m.st.generation;
	memset(&m, 0, sizeof(m));
}

static void step_read(void)
{
	struct breaker_state st;
	struct args a = { 0 };
	redisReply *r;

	arg(&a, "%s", name);
	r = eval(V_READ, &a, now);
	if (!m.exists) {
		if (!r || !rstr(r, 0) || strcmp(rstr(r, 0), "notfound") != 0)
			fail("read of an unknown breaker: not \"notfound\"");
		freeReplyObject(r);
		return;
	}
	st = m.st;
	st.calls_inflight = st.probes_inflight = 0;
	for (int i = 0; i < m.nleases; i++)
		if (m.leases[i].expires > now) {
			st.calls_inflight++;
			if (m.leases[i].probe && m.leases[i].generation == st.generation)
				st.probes_inflight++;
		}
	compare_reply("read", r, false, false, NULL, NULL, 0, &st, &m.saved);
	CMP("read calls_inflight", rnum(r, 13), st.calls_inflight);
	CMP("read probes_inflight", rnum(r, 14), st.probes_inflight);
	freeReplyObject(r);
}

static void time_step(void)
{
	switch (rnd(10)) {
	case 0:
		break;
	case 1:
		now += set.recovery_timeout_ms + rnd(2000); /* past the open period */
		break;
	case 2:
		now -= rnd(3000); /* the server's clock set back */
		break;
	case 3:
		now += rnd(600000);
		break;
	default:
		now += rnd(rnd(2) ? 50 : 3000);
	}
}

static int run_sequence(int seq)
{
	static char namebuf[32];

	snprintf(namebuf, sizeof(namebuf), "b%d", seq);
	name = namebuf;
	memset(&m, 0, sizeof(m));
	memset(recent_generation, 0, sizeof(recent_generation));
	random_settings(&set);
	for (int i = 0; i < STEPS && !failure[0]; i++) {
		uint32_t what = rnd(100);

		time_step();
		if (rnd(50) == 0)
			random_settings(&set); /* the caller's settings changed */
		if (what < 47)
			step_admit();
		else if (what < 89)
			step_record();
		else if (what < 95)
			step_manual();
		else if (what < 98)
			step_read();
		else
			step_delete();
		if (!failure[0])
			compare_stored();
		if (failure[0]) {
			printf("# sequence %d step %d (time %lld): %s\n", seq, i, (long long)now,
			       failure);
			return -1;
		}
	}
	return 0;
}

/* The shipped admit, on the server's own TIME: it runs, and its time is now. */
static void shipped_clock(void)
{
	const char *argv[48];
	struct args a;
	struct timespec ts;
	redisReply *r;
	long long t;

	name = "shipped";
	breaker_settings_init(&set);
	common_args(&a, &set, 0);
	arg(&a, "0");
	arg(&a, "0");
	arg(&a, "1000");
	arg(&a, "%s", OWNER);
	arg(&a, "0");
	argv[0] = "EVALSHA";
	argv[1] = shipped_sha1[V_ADMIT];
	argv[2] = "5";
	argv[3] = "cbexec:{shipped}";
	argv[4] = "cbexec:{shipped}:leases";
	argv[5] = "cbexec:{shipped}:history";
	argv[6] = "cbexec:breakers";
	argv[7] = "cbexec:generation";
	for (int i = 0; i < a.n; i++)
		argv[8 + i] = a.v[i];
	r = redisCommandArgv(rc, 8 + a.n, argv, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	t = rnum(r, 1);
	ok(t != LLONG_MIN && llabs((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t) < 5000,
	   "the shipped admit runs on the server's TIME (%lld)", t);
	ok(strcmp(redis_script_admit.sha1, shipped_sha1[V_ADMIT]) == 0,
	   "the SHA-1 made at build time is the server's");
	freeReplyObject(r);
}

int main(void)
{
	const char *env = getenv("CBEXEC_DIFF_SEED");
	unsigned long long seed;
	struct timespec t0, t1;
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!on_path("redis-server")) {
		printf("1..0 # SKIP redis-server not found\n");
		return 0;
	}
	if (server_start() < 0) {
		printf("not ok 1 - redis-server starts on a unix socket in %s\n", dir);
		server_stop();
		printf("1..1\n");
		return 1;
	}
	ok(load_variants() == 0, "the scripts load, each beginning with clock.lua");
	seed = env && *env ? strtoull(env, NULL, 10) : (unsigned long long)time(NULL);
	printf("# seed %llu (CBEXEC_DIFF_SEED=%llu repeats this run)\n", seed, seed);
	rng = seed * 2654435761u + 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	now = BASE_MS;
	for (int s = 0; s < SEQUENCES; s++) {
		failure[0] = '\0';
		if (run_sequence(s) < 0)
			failed++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(failed == 0,
	   "%d random sequences of %d steps: C and Lua agree on every field (%d differ)", SEQUENCES,
	   STEPS, failed);
	printf("# %d steps in %lld ms\n", SEQUENCES * STEPS,
	       (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	for (int i = 0; i < SEEN_COUNT; i++)
		ok(seen[i] > 0, "the run went through %s (%d)", seen_name[i], seen[i]);
	shipped_clock();
	server_stop();
	return tap_done();
}
