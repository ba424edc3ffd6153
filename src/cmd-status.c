/* cbexec status: every breaker's state and counts, for people, scripts and health checks. */
#include <err.h>
#include <fnmatch.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "cli.h"
#include "clock.h"
#include "escape.h"
#include "exitcodes.h"
#include "json.h"
#include "suggest.h"
#include "xmalloc.h"

/*
 * The table's columns, named in --columns as in the header, in lower case.
 * Widths come from the content; the truncatable ones give way, REASON first
 * and then NAME, when the row is wider than the terminal.
 */
enum col {
	COL_NAME,
	COL_STATE,
	COL_FAILURES,
	COL_CALLS,
	COL_OK,
	COL_FAILED,
	COL_REJECTED,
	COL_LAST_FAILURE,
	COL_RETRY,
	COL_PERIOD,
	COL_REASON,
	COL_COUNT
};

static const struct column {
	const char *key; /* as --columns names it */
	const char *header;
	bool right; /* numbers are right-aligned */
	int min;    /* a truncatable column may shrink to this; 0: never cut */
	bool shown; /* in the default set */
} columns[COL_COUNT] = {
	[COL_NAME] = { "name", "NAME", false, 8, true },
	[COL_STATE] = { "state", "STATE", false, 0, true },
	[COL_FAILURES] = { "failures", "FAILURES", false, 0, true },
	[COL_CALLS] = { "calls", "CALLS", true, 0, true },
	[COL_OK] = { "ok", "OK", true, 0, false },
	[COL_FAILED] = { "failed", "FAILED", true, 0, true },
	[COL_REJECTED] = { "rejected", "REJECTED", true, 0, true },
	[COL_LAST_FAILURE] = { "last-failure", "LAST-FAILURE", false, 0, true },
	[COL_RETRY] = { "retry", "RETRY", false, 0, true },
	[COL_PERIOD] = { "period", "PERIOD", false, 0, false },
	[COL_REASON] = { "reason", "REASON", false, 8, true },
};

/* One table row, its cells formatted and escaped, kept until the widths are known. */
struct row {
	char *cell[COL_COUNT];
	enum breaker_state_kind state;
};

/* An open or half-open breaker, as the Nagios line names it. */
struct named {
	char *name;
	char *note; /* "tripped: maintenance", or NULL */
	bool critical;
};

/* How many breakers of one state the Nagios line names before "and K more". */
#define NAGIOS_NAMES  5
/* The bytes of a reason the Nagios line quotes before cutting it. */
#define NAGIOS_REASON 60

/* What one pass over the breakers prints and learns. */
struct view {
	enum {
		VIEW_TABLE,
		VIEW_NAMES,
		VIEW_NAGIOS,
		VIEW_JSON
	} print;
	int64_t now;
	int health;    /* Nagios: 0 all closed, 1 some half-open and none open, 2 some open */
	bool unknown;  /* a breaker named or listed could not be read */
	char *problem; /* for --nagios: the first thing that made it unknown */
	FILE *out;     /* a buffer, written out once the read transaction is over */
	struct store *s;
	const char *path;
	const char **names; /* the breakers read */
	size_t n, cap;
	struct row *rows; /* the table */
	size_t nrows, caprows;
	/* --nagios */
	struct cli_names critical; /* --critical, patterns as given */
	struct named *listed[2];   /* open, half-open */
	size_t nlisted[2], caplisted[2];
	long count[3]; /* by state: closed, open, half-open */
	long tripped, bypassed;
};

static const char *state_label(const struct breaker_state *st)
{
	if (st->mode == BREAKER_TRIPPED)
		return "open (tripped)";
	if (st->mode == BREAKER_BYPASS)
		return st->state == BREAKER_CLOSED ? "closed (bypass)"
		       : st->state == BREAKER_OPEN ? "open (bypass)"
						   : "half-open (bypass)";
	return st->state == BREAKER_CLOSED ? "closed"
	       : st->state == BREAKER_OPEN ? "open"
					   : "half-open";
}

static const char *state_colour(enum breaker_state_kind state)
{
	return state == BREAKER_CLOSED ? "\033[32m"
	       : state == BREAKER_OPEN ? "\033[31m"
				       : "\033[33m";
}

static char *retry_text(const struct breaker_state *st, int64_t now)
{
	char in[32];

	if (st->state != BREAKER_OPEN)
		return xstrdup("-");
	if (st->mode == BREAKER_TRIPPED)
		return xstrdup("on reset");
	if (st->retry_at_ms <= now)
		return xstrdup("now");
	duration_format(clock_secs_until(now, st->retry_at_ms) * 1000, in, sizeof(in));
	return xasprintf("in %s", in);
}

/* "45s ago", "12m ago", "5h ago", "3d ago": the table is read by people, who
 * want the age; status --json has the time itself. */
static char *age_text(int64_t at, int64_t now)
{
	int64_t s = (now - at) / 1000;

	if (at <= 0)
		return xstrdup("-");
	if (s < 0)
		s = 0;
	if (s < 120)
		return xasprintf("%llds ago", (long long)s);
	if (s < 120 * 60)
		return xasprintf("%lldm ago", (long long)(s / 60));
	if (s < 48 * 3600)
		return xasprintf("%lldh ago", (long long)(s / 3600));
	return xasprintf("%lldd ago", (long long)(s / 86400));
}

/* What REASON shows: the reason given to trip or bypass, else why it is not closed. */
static const char *reason_of(const struct breaker_state *st)
{
	if (st->mode != BREAKER_NORMAL && st->mode_reason[0])
		return st->mode_reason;
	if (st->state != BREAKER_CLOSED || st->mode != BREAKER_NORMAL)
		return st->reason[0] ? st->reason : "-";
	return "-";
}

static char *escaped(const char *text)
{
	char buf[ESCAPE_SIZE(BREAKER_REASON_MAX)];

	return xstrdup(escape_text(text, buf, sizeof(buf)));
}

static void add_row(struct view *v, const char *name, const struct breaker_state *st,
		    const struct breaker_settings *saved)
{
	struct row *r;
	char period[32];

	if (v->nrows == v->caprows) {
		v->caprows = v->caprows ? 2 * v->caprows : 16;
		v->rows = xreallocarray(v->rows, v->caprows, sizeof(*v->rows));
	}
	r = &v->rows[v->nrows++];
	r->state = st->state;
	r->cell[COL_NAME] = xstrdup(name);
	r->cell[COL_STATE] = xstrdup(state_label(st));
	r->cell[COL_FAILURES] =
		xasprintf("%u/%u", st->consecutive_failures, saved->failure_threshold);
	r->cell[COL_CALLS] = xasprintf("%lld", (long long)st->totals.calls);
	r->cell[COL_OK] = xasprintf("%lld", (long long)st->totals.successes);
	r->cell[COL_FAILED] = xasprintf("%lld", (long long)st->totals.failures);
	r->cell[COL_REJECTED] = xasprintf("%lld", (long long)st->totals.rejected);
	r->cell[COL_LAST_FAILURE] = age_text(st->last_failure_at_ms, v->now);
	r->cell[COL_RETRY] = retry_text(st, v->now);
	duration_format(st->open_period_ms, period, sizeof(period));
	r->cell[COL_PERIOD] = xstrdup(st->state == BREAKER_OPEN ? period : "-");
	/* Reasons come from the state file: printed escaped. */
	r->cell[COL_REASON] = escaped(reason_of(st));
}

/* Display columns of valid UTF-8 (escape_text leaves nothing else): wcwidth in a
 * UTF-8 locale, one per character otherwise. */
static bool utf8_locale;

static int text_width(const char *s, size_t *cut, int max)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned c = *p;
		int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, cw = 1;

		for (int i = 1; i < n; i++)
			if (!p[i])
				n = i; /* never past the end, whatever the bytes */
		if (n > 1 && utf8_locale) {
			wchar_t wc = (wchar_t)(c & (0xff >> (n + 1)));

			for (int i = 1; i < n; i++)
				wc = (wc << 6) | (p[i] & 0x3f);
			cw = wcwidth(wc);
			if (cw < 0)
				cw = 1;
		}
		if (cut && w + cw > max)
			break;
		w += cw;
		p += n;
		if (cut)
			*cut = (size_t)(p - (const unsigned char *)s);
	}
	return w;
}

static const char *ellipsis(void)
{
	return utf8_locale ? "\xe2\x80\xa6" : "...";
}

/* Prints s in width columns: padded, or cut with the ellipsis. */
static void print_cell(FILE *out, const char *s, int width, bool right, bool last)
{
	int w = text_width(s, NULL, 0), ew = utf8_locale ? 1 : 3;
	size_t cut = 0;

	if (w > width) {
		if (width > ew)
			text_width(s, &cut, width - ew);
		fprintf(out, "%.*s%s", (int)cut, s, width > ew ? ellipsis() : "");
		/* a wide character that did not fit leaves a column to pad */
		w = text_width(s, &cut, width - ew) + (width > ew ? ew : 0);
		for (; !last && w < width; w++)
			fputc(' ', out);
		return;
	}
	if (right)
		fprintf(out, "%*s%s", width - w, "", s);
	else if (last)
		fputs(s, out);
	else
		fprintf(out, "%s%*s", s, width - w, "");
}

/* TIOCGWINSZ on stdout, else $COLUMNS (watch(1) sets it), else 80. */
static int terminal_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	char *end;
	long n;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && *env) {
		n = strtol(env, &end, 10);
		if (*end == '\0' && n > 0 && n <= 10000)
			return (int)n;
	}
	return 80;
}

/* Takes up to the excess off column i, not below floor; returns the new total. */
static int shrink(int *width, int i, int floor, int total, int term)
{
	int cut = total - term;

	if (i < 0 || cut <= 0 || width[i] <= floor)
		return total;
	if (cut > width[i] - floor)
		cut = width[i] - floor;
	width[i] -= cut;
	return total - cut;
}

/* A NAME this wide is kept while REASON can still give way. */
#define NAME_KEPT 16

/*
 * The widths that fit: each column as wide as its widest cell or header. If the
 * row is wider than the terminal, the wider of REASON and NAME gives way, down to
 * REASON's minimum and NAME_KEPT; then REASON is left out, NAME gets back what
 * that freed and shrinks to its minimum. Columns that still do not fit are left out from the right,
 * whole, rather than wrapped or cut in the middle. A width of 0 leaves a column out.
 */
static void fit(const struct view *v, const int *sel, int nsel, int *width, bool headers, int term)
{
	int total = -1, name = -1, reason = -1;

	for (int i = 0; i < nsel; i++) {
		width[i] = headers ? text_width(columns[sel[i]].header, NULL, 0) : 0;
		for (size_t r = 0; r < v->nrows; r++) {
			int w = text_width(v->rows[r].cell[sel[i]], NULL, 0);

			if (w > width[i])
				width[i] = w;
		}
		if (width[i] == 0)
			width[i] = 1;
		total += width[i] + 1;
		if (sel[i] == COL_NAME && name < 0)
			name = i;
		if (sel[i] == COL_REASON && reason < 0)
			reason = i;
	}
	int natural = name >= 0 ? width[name] : 0;

	/* The wider of NAME and REASON gives a column, until both are at their floor. */
	while (total > term) {
		bool r = reason >= 0 && width[reason] > columns[COL_REASON].min;
		bool nm = name >= 0 && width[name] > NAME_KEPT;

		if (!r && !nm)
			break;
		width[r && (!nm || width[reason] >= width[name]) ? reason : name]--;
		total--;
	}
	if (total > term && reason >= 0 && nsel > 1) {
		total -= width[reason] + 1;
		width[reason] = 0;
		if (name >= 0) {
			int back = term - total;

			if (back > natural - width[name])
				back = natural - width[name];
			if (back > 0) {
				width[name] += back;
				total += back;
			}
		}
	}
	total = shrink(width, name, columns[COL_NAME].min, total, term);
	for (int i = nsel - 1; i > 0 && total > term; i--) {
		total -= width[i] ? width[i] + 1 : 0;
		width[i] = 0;
	}
}

static void print_table(struct view *v, const int *sel, int nsel, bool headers, bool colour)
{
	int width[COL_COUNT], last = nsel - 1;

	fit(v, sel, nsel, width, headers, terminal_width());
	while (last > 0 && width[last] == 0)
		last--;
	for (size_t r = 0; r < v->nrows + (headers ? 1 : 0); r++) {
		const struct row *row = headers ? (r ? &v->rows[r - 1] : NULL) : &v->rows[r];
		bool first = true;

		for (int i = 0; i <= last; i++) {
			const char *s = row ? row->cell[sel[i]] : columns[sel[i]].header;
			bool tint = row && colour && sel[i] == COL_STATE;

			if (width[i] == 0)
				continue;
			if (!first)
				fputc(' ', v->out);
			first = false;
			if (tint)
				fputs(state_colour(row->state), v->out);
			/* The last column is not padded: no trailing blanks. */
			print_cell(v->out, s, width[i], columns[sel[i]].right, i == last && !tint);
			if (tint)
				fputs("\033[0m", v->out);
		}
		fputc('\n', v->out);
	}
}

/* --columns LIST: names as in the header, lower case, comma-separated. */
static _Noreturn void unknown_column(const struct args *a, const char *word)
{
	char valid[256] = "", q[256];
	const char *best = NULL;
	struct suggest sg;
	size_t used = 0;

	suggest_init(&sg, word, 3);
	for (int c = 0; c < COL_COUNT; c++) {
		if (suggest_consider(&sg, columns[c].key))
			best = columns[c].key;
		used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s", c ? ", " : "",
					 columns[c].key);
	}
	options_quote(word, q, sizeof(q));
	if (best)
		cli_usage_error(a->entry,
				"--columns: unknown column %s; did you mean \"%s\"? (columns: %s)",
				q, best, valid);
	cli_usage_error(a->entry, "--columns: unknown column %s (columns: %s)", q, valid);
}

/* --columns LIST: the keys, comma-separated; a column may come twice, as in lsblk. */
static int parse_columns(const struct args *a, const char *list, int *sel)
{
	int n = 0;

	if (!list) {
		for (int c = 0; c < COL_COUNT; c++)
			if (columns[c].shown)
				sel[n++] = c;
		return n;
	}
	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");
		char word[64];
		int c = 0;

		snprintf(word, sizeof(word), "%.*s",
			 (int)(len < sizeof(word) ? len : sizeof(word) - 1), p);
		while (c < COL_COUNT &&
		       !(strlen(columns[c].key) == len && strcmp(word, columns[c].key) == 0))
			c++;
		if (c == COL_COUNT)
			unknown_column(a, word);
		if (n == COL_COUNT)
			cli_usage_error(a->entry, "--columns: more than %d columns", COL_COUNT);
		sel[n++] = c;
		p += len;
		if (*p == '\0')
			break;
	}
	return n;
}

static bool is_critical(const struct view *v, const char *name)
{
	for (size_t i = 0; i < v->critical.n; i++)
		if (cli_is_pattern(v->critical.v[i]) ? fnmatch(v->critical.v[i], name, 0) == 0
						     : strcmp(v->critical.v[i], name) == 0)
			return true;
	return false;
}

/* "qdrant (tripped: maintenance)": the reason cut at a character and escaped,
 * '|' too, which would start the performance data. */
static char *nagios_note(const struct breaker_state *st)
{
	const char *what = st->mode == BREAKER_TRIPPED	? "tripped"
			   : st->mode == BREAKER_BYPASS ? "bypassed"
							: NULL;
	char cut[NAGIOS_REASON + 1], buf[ESCAPE_SIZE(NAGIOS_REASON) + 4], out[4 * sizeof(buf)];
	size_t n = strlen(st->mode_reason), o = 0;

	if (!what)
		return NULL;
	if (!st->mode_reason[0])
		return xstrdup(what);
	if (n > NAGIOS_REASON) {
		n = NAGIOS_REASON;
		while (n > 0 && ((unsigned char)st->mode_reason[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(cut, st->mode_reason, n);
	cut[n] = '\0';
	escape_text(cut, buf, sizeof(buf));
	for (const char *c = buf; *c && o + 5 < sizeof(out); c++) {
		if (*c == '|') {
			memcpy(out + o, "\\174", 4);
			o += 4;
		} else {
			out[o++] = *c;
		}
	}
	out[o] = '\0';
	return xasprintf("%s: %s%s", what, out, n < strlen(st->mode_reason) ? "..." : "");
}

static void add_named(struct view *v, const char *name, const struct breaker_state *st)
{
	int k = st->state == BREAKER_OPEN ? 0 : 1;
	struct named *e;

	if (v->nlisted[k] == v->caplisted[k]) {
		v->caplisted[k] = v->caplisted[k] ? 2 * v->caplisted[k] : 8;
		v->listed[k] = xreallocarray(v->listed[k], v->caplisted[k], sizeof(**v->listed));
	}
	e = &v->listed[k][v->nlisted[k]++];
	e->name = xstrdup(name);
	e->note = nagios_note(st);
	e->critical = is_critical(v, name);
}

/* Rows are kept as formatted text until all are read; a row that cannot be
 * understood is named and skipped, and makes the health UNKNOWN. */
static int show(const char *name, const struct breaker_state *st,
		const struct breaker_settings *saved, void *ctx)
{
	struct view *v = ctx;

	if (!st) {
		if (v->print == VIEW_NAGIOS) {
			if (!v->problem)
				v->problem = xasprintf("%s: %s", v->path, store_errmsg(v->s));
		} else {
			warnx("%s: %s; skipped", v->path, store_errmsg(v->s));
		}
		v->unknown = true;
		return 0;
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		v->names = xreallocarray(v->names, v->cap, sizeof(*v->names));
	}
	v->names[v->n++] = xstrdup(name);
	if (v->print == VIEW_NAGIOS) {
		v->count[st->state]++;
		v->tripped += st->mode == BREAKER_TRIPPED;
		v->bypassed += st->mode == BREAKER_BYPASS;
		if (st->state != BREAKER_CLOSED)
			add_named(v, name, st);
		/* Open breakers not named by --critical only warn. */
		if (st->state == BREAKER_OPEN && (v->critical.n == 0 || is_critical(v, name)))
			v->health = STATUS_CRITICAL;
		else if (st->state != BREAKER_CLOSED && v->health == STATUS_OK)
			v->health = STATUS_WARNING;
		return 0;
	}
	if (st->state == BREAKER_OPEN)
		v->health = STATUS_CRITICAL;
	else if (st->state == BREAKER_HALF_OPEN && v->health == STATUS_OK)
		v->health = STATUS_WARNING;
	if (v->print == VIEW_JSON) {
		/* Printed from the state read, as every store's would be. */
		if (v->n > 1)
			fputc(',', v->out);
		if (json_status(v->out, name, st, saved) < 0)
			cli_fatal(EXIT_CANCELED, "%s", json_errmsg());
	} else if (v->print == VIEW_NAMES)
		fprintf(v->out, "%s\n", name);
	else if (v->print == VIEW_TABLE)
		add_row(v, name, st, saved);
	return 0;
}

/* "2 open: a (tripped: x), b and 3 more": critical ones first, so that
 * the bound never hides them. */
static void nagios_list(FILE *out, struct named *e, size_t n, const char *what)
{
	size_t shown = 0;

	fprintf(out, "%zu %s", n, what);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			if (e[i].critical != (pass == 0) || shown == NAGIOS_NAMES) {
				continue;
			}
			fprintf(out, "%s%s", shown ? ", " : ": ", e[i].name);
			if (e[i].note)
				fprintf(out, " (%s)", e[i].note);
			shown++;
		}
	}
	if (n > shown)
		fprintf(out, " and %zu more", n - shown);
}

static void print_nagios(struct view *v, int code)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

	fprintf(v->out, "CBEXEC %s - ", word[code]);
	if (v->problem)
		fprintf(v->out, "%s; ", v->problem);
	nagios_list(v->out, v->listed[0], v->nlisted[0], "open");
	fputs("; ", v->out);
	nagios_list(v->out, v->listed[1], v->nlisted[1], "half-open");
	/* Performance data as the plugin guidelines have it: 'label'=value;warn;crit;min */
	fprintf(v->out,
		"; %ld closed | open=%ld;;;0 half_open=%ld;;;0 closed=%ld;;;0 tripped=%ld;;;0 "
		"bypassed=%ld;;;0\n",
		v->count[BREAKER_CLOSED], v->count[BREAKER_OPEN], v->count[BREAKER_HALF_OPEN],
		v->count[BREAKER_CLOSED], v->tripped, v->bypassed);
}

static void split_list(const struct args *a, const char *list, struct cli_names *out)
{
	memset(out, 0, sizeof(*out));
	if (!list)
		return;
	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");
		char *w = xasprintf("%.*s", (int)len, p);

		if (len == 0)
			cli_usage_error(a->entry, "--critical: an empty name in the list");
		cli_check_names_or_patterns(1, &w);
		cli_names_add(out, w);
		free(w);
		p += len;
		if (*p == '\0')
			break;
	}
}

static int status_exec(const struct args *a)
{
	bool json = cli_flag(a, "json"), names_only = cli_flag(a, "names");
	bool nagios = cli_flag(a, "nagios"), colour;
	const char *nocolour, *cols = cli_arg(a, "columns");
	struct view v = { 0 };
	struct breaker_env env;
	struct cli_names names;
	struct store *s;
	char *path, *where, **argv, *text = NULL;
	size_t len = 0;
	int argc, rc, sel[COL_COUNT], nsel = 0, code;

	if (nagios && (json || names_only))
		cli_usage_error(a->entry, "--nagios is one line of its own; not with --%s",
				json ? "json" : "names");
	if (cli_flag(a, "critical") && !nagios)
		cli_usage_error(a->entry, "--critical is for --nagios");
	if ((cols || cli_flag(a, "no-headers")) && (json || names_only || nagios))
		cli_usage_error(a->entry, "--%s is for the table; not with --%s",
				cols ? "columns" : "no-headers",
				nagios ? "nagios"
				: json ? "json"
				       : "names");
	if (!json && !names_only && !nagios)
		nsel = parse_columns(a, cols, sel);
	split_list(a, cli_arg(a, "critical"), &v.critical);
	cli_check_names_or_patterns(a->argc, a->argv);
	path = cli_db_path(cli_arg(a, "db"));
	/* A missing file is UNKNOWN, never an empty table that says all is well. */
	s = cli_open_store_readonly(path, STATUS_UNKNOWN);
	where = cli_where(path);
	v.s = s;
	v.path = where;
	/* The store's clock: a Redis store's is the server's. */
	if (store_now(s, &env) != STORE_OK)
		cli_fatal(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
	v.now = env.now_ms;
	if (!(v.out = open_memstream(&text, &len)))
		cli_fatal(EXIT_CANCELED, "out of memory");
	/* Read everything, then print: see store_snapshot_begin. */
	if (store_snapshot_begin(s) != STORE_OK)
		cli_fatal(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
	/* Patterns become the names they match; one that matches none is unknown. */
	cli_expand_names(s, where, a->argc, a->argv, &names);
	if (names.skipped) {
		v.unknown = true;
		if (nagios)
			v.problem = xasprintf("%s: a breaker that matches cannot be read", where);
	}
	argc = (int)names.n;
	argv = names.v;

	v.print = nagios ? VIEW_NAGIOS : names_only ? VIEW_NAMES : json ? VIEW_JSON : VIEW_TABLE;
	/* --json: one object per breaker read; a row that failed the checks stays out. */
	if (v.print == VIEW_JSON)
		fputc('[', v.out);
	if (a->argc == 0 && store_each(s, show, &v) != STORE_OK)
		cli_fatal(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
	for (int i = 0; i < argc; i++) {
		struct breaker_state st;
		struct breaker_settings saved;

		rc = store_read(s, argv[i], v.now, &st, &saved);
		if (rc == STORE_NOTFOUND) {
			if (!nagios)
				warnx("%s: no such breaker", argv[i]);
			else if (!v.problem)
				v.problem = xasprintf("%s: no such breaker", argv[i]);
			v.unknown = true;
		} else if (rc == STORE_INVALID) {
			show(argv[i], NULL, NULL, &v);
		} else if (rc != STORE_OK) {
			cli_fatal(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
		} else {
			show(argv[i], &st, &saved, &v);
		}
	}
	if (v.print == VIEW_JSON)
		fputs("]\n", v.out);
	store_snapshot_end(s);
	store_close(s);
	json_end();

	/* The read transaction is over: now the table, the line. */
	code = v.unknown ? STATUS_UNKNOWN : v.health;
	if (v.print == VIEW_TABLE) {
		/* no-color.org: an empty NO_COLOR is as good as unset. */
		nocolour = getenv("NO_COLOR");
		colour = isatty(STDOUT_FILENO) && (nocolour == NULL || *nocolour == '\0');
		/* LC_CTYPE only, for the width of a reason and the ellipsis: numbers are
		 * parsed in the C locale (parse.c). */
		setlocale(LC_CTYPE, "");
		utf8_locale = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
		print_table(&v, sel, nsel, !cli_flag(a, "no-headers"), colour);
	} else if (v.print == VIEW_NAGIOS) {
		print_nagios(&v, code);
	}
	if (fclose(v.out) == EOF)
		cli_fatal(EXIT_CANCELED, "out of memory");
	fwrite(text, 1, len, stdout);
	free(text);
	for (size_t i = 0; i < v.n; i++)
		free((char *)v.names[i]);
	free(v.names);
	for (size_t r = 0; r < v.nrows; r++)
		for (int c = 0; c < COL_COUNT; c++)
			free(v.rows[r].cell[c]);
	free(v.rows);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < v.nlisted[k]; i++) {
			free(v.listed[k][i].name);
			free(v.listed[k][i].note);
		}
		free(v.listed[k]);
	}
	free(v.problem);
	cli_names_free(&v.critical);
	cli_names_free(&names);
	free(where);
	free(path);
	if (fflush(stdout) == EOF || ferror(stdout))
		cli_fatal(EXIT_CANCELED, "standard output");
	return code;
}

static const struct cmd_option status_options[] = {
	{ 0, "json", NULL, "a JSON array, one object per breaker" },
	{ 0, "names", NULL, "breaker names only, one per line" },
	{ 0, "nagios", NULL, "one line for Nagios/Icinga; own errors UNKNOWN (3)" },
	{ 0, "critical", "LIST", "with --nagios: only these (NAME|PATTERN,...) make CRITICAL" },
	{ 'o', "columns", "LIST", "the table's columns, comma-separated (see below)" },
	{ 0, "no-headers", NULL, "the table without its header line" },
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 0 },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json | --names | --nagios [--critical LIST] | [-o LIST] [--no-headers]] "
		 "[--db PATH] [NAME|PATTERN...]",
	.summary = "show breakers; exit 0 all closed, 1 some half-open, 2 some open, 3 unknown "
		   "name, no state file or no breakers on the Redis server",
	.options = status_options,
	.max_operands = -1,
	.help = "Every breaker, or those named; a quoted PATTERN ('api-*') matches names as\n"
		"the shell would (fnmatch(3)), and one that matches none is unknown.\n"
		"Columns: name, state, failures, calls, ok, failed, rejected, last-failure,\n"
		"retry, period, reason; all but ok and period by default. The table fits the\n"
		"terminal (else $COLUMNS, else 80): reason, then name, are cut with an ellipsis.\n"
		"With --nagios, open breakers not in --critical make WARNING, not CRITICAL.\n",
	.plugin_option = "nagios",
	.list_option = "critical",
	.exec = status_exec,
};
