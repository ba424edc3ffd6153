/* What every subcommand shares: option parsing, the state file path, usage errors. */
#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "escape.h"
#include "exitcodes.h"
#include "xmalloc.h"

enum {
	OPT_DB = 1000,
	OPT_CONFIG,
	OPT_SETTING = 2000
};

int cli_parse_breaker_args(const struct cmd_entry *e, int argc, char **argv,
			   struct cli_breaker_args *a)
{
	struct option longopts[CLI_MAX_SETTINGS + 8];
	char shortopts[64] = "+n:qhV";
	size_t n = 0, sl = strlen(shortopts);
	int c;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting *s = &settings[i];
		bool flag = s->type == SET_BOOL;

		longopts[n++] = (struct option){ s->option, flag ? no_argument : required_argument,
						 NULL, OPT_SETTING + (int)i };
		if (s->shortopt) {
			shortopts[sl++] = (char)s->shortopt;
			if (!flag)
				shortopts[sl++] = ':';
		}
	}
	shortopts[sl] = '\0';
	longopts[n++] = (struct option){ "name", required_argument, NULL, 'n' };
	longopts[n++] = (struct option){ "quiet", no_argument, NULL, 'q' };
	longopts[n++] = (struct option){ "db", required_argument, NULL, OPT_DB };
	longopts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct setting *s = NULL;

		switch (c) {
		case 'n':
			a->name = optarg;
			continue;
		case 'q':
			a->quiet = true;
			continue;
		case OPT_DB:
			a->db = optarg;
			continue;
		case OPT_CONFIG:
			a->config = optarg;
			continue;
		case 'h':
			cli_help(e, NULL);
			exit(0);
		case 'V':
			printf("cbexec %s (SQLite %s)\n", CBEXEC_VERSION, store_sqlite_version());
			exit(0);
		case '?':
			if (optopt)
				cli_usage_error(e, "unknown or incomplete option -%c", optopt);
			cli_usage_error(e, "unknown option or missing argument: %s",
					argv[optind - 1]);
		default:
			break;
		}
		if (c >= OPT_SETTING)
			s = &settings[c - OPT_SETTING];
		for (size_t i = 0; !s && i < settings_count; i++)
			if (settings[i].shortopt == c)
				s = &settings[i];
		if (!s)
			cli_usage_error(e, "unexpected option");
		if (a->nset == CLI_MAX_SETTINGS)
			cli_usage_error(e, "too many options");
		a->set[a->nset].setting = s;
		a->set[a->nset].value = s->type == SET_BOOL ? "true" : optarg;
		a->nset++;
	}
	if (a->name) {
		const char *why;

		if (name_check(a->name, &why) < 0) {
			char q[256];

			options_quote(a->name, q, sizeof(q));
			errx(EXIT_CANCELED, "breaker name %s %s", q, why);
		}
	}
	return optind;
}

void cli_load_options(const struct cli_breaker_args *a, struct options *o)
{
	char err[512];
	int bad = 0;

	options_init(o);
	if (config_load(o, a->name, a->config) < 0)
		exit(EXIT_CANCELED);
	for (int i = 0; i < a->nset; i++) {
		const struct setting *s = a->set[i].setting;

		if (options_set(o, s, a->set[i].value, "command line", err, sizeof(err)) < 0) {
			warnx("--%s: %s", s->option, err);
			bad = 1;
		}
	}
	if (bad)
		exit(EXIT_CANCELED);
}

char *cli_db_path(const char *db)
{
	const char *env;

	if (db && *db)
		return xstrdup(db);
	if ((env = getenv("CBEXEC_DB")) && *env)
		return xstrdup(env);
	if ((env = getenv("XDG_STATE_HOME")) && *env == '/')
		return xasprintf("%s/cbexec/breakers.db", env);
	if ((env = getenv("HOME")) && *env)
		return xasprintf("%s/.local/state/cbexec/breakers.db", env);
	errx(EXIT_CANCELED,
	     "cannot find the state file: HOME is not set; use --db PATH or CBEXEC_DB");
}

/*
 * The store a command opened. Commands leave through errx(3) on an error and
 * let the kernel release the file and its locks; held here, the store stays
 * reachable until then, which is what LeakSanitizer checks at exit (with the
 * pointer only in a register, make test SANITIZE=1 reported it lost).
 */
static struct store *opened;

struct store *cli_open_store(const char *path)
{
	char err[512];

	if (store_open(&opened, path, err, sizeof(err)) != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", path, err);
	return opened;
}

struct store *cli_open_store_readonly(const char *path, int missing_exit)
{
	char err[512];
	int rc = store_open_readonly(&opened, path, err, sizeof(err));

	if (rc == STORE_NOTFOUND)
		errx(missing_exit, "%s: no state file: %s; check the path (--db, CBEXEC_DB)", path,
		     err);
	if (rc != STORE_OK)
		errx(EXIT_CANCELED, "%s: %s", path, err);
	return opened;
}

void cli_check_names(int n, char *const *names)
{
	const char *why;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		if (name_check(names[i], &why) < 0) {
			char q[256];

			options_quote(names[i], q, sizeof(q));
			warnx("breaker name %s %s", q, why);
			bad = 1;
		}
	}
	if (bad)
		exit(EXIT_CANCELED);
}

void cli_print_usage(const struct cmd_entry *e, FILE *out)
{
	if (strcmp(e->name, "run") == 0)
		fprintf(out, "usage: cbexec [run] %s\n", e->usage);
	else
		fprintf(out, "usage: cbexec %s %s\n", e->name, e->usage);
}

void cli_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	cli_print_usage(e, stderr);
	fprintf(stderr, "Try 'cbexec %s --help' for more.\n", e->name);
	exit(EXIT_CANCELED);
}

void cli_help(const struct cmd_entry *e, const char *options_text)
{
	cli_print_usage(e, stdout);
	printf("%s\n", e->summary);
	if (options_text)
		printf("\n%s", options_text);
	else if (e->help)
		printf("\n%s", e->help);
	printf("\nSee cbexec(1) for exit statuses and details.\n");
}

bool cli_disabled(void)
{
	const char *v = getenv("CBEXEC_DISABLE");

	return v && *v && strcmp(v, "0") != 0;
}

/* The reason reaches stderr lines, status tables and history one per line:
 * a control character (a newline, an escape sequence) would break all three. */
void cli_check_reason(const struct cmd_entry *e, const char *r)
{
	if (strlen(r) > CLI_REASON_MAX)
		cli_usage_error(e, "--reason is longer than %d bytes", CLI_REASON_MAX);
	/* Valid UTF-8, so that every JSON output that carries it is too. */
	if (!text_utf8_valid(r))
		cli_usage_error(e, "--reason is not valid UTF-8; give it in a UTF-8 locale");
	if (text_has_control(r))
		cli_usage_error(e, "--reason contains a control character");
}

void cli_update_by_hand(const char *db, int n, char *const *names, struct breaker_env *env,
			store_fn fn, void *ctx, const char *done)
{
	char *path = cli_db_path(db);
	struct store *s = cli_open_store(path);

	for (int i = 0; i < n; i++) {
		struct store_txn t = { 0 };

		env->now_ms = cli_now_ms();
		env->jitter = 0;
		/* Made with the built-in settings if unknown: tripping or
		 * bypassing a breaker before its first call is how maintenance
		 * is announced ahead. A call brings its own settings. */
		t.name = names[i];
		t.create = true;
		t.now_ms = env->now_ms;
		if (store_update(s, &t, fn, ctx) != STORE_OK)
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
		if (t.created)
			warnx("%s: new breaker (no call has used this name yet), %s", names[i],
			      done);
	}
	store_close(s);
	free(path);
}

int64_t cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_format_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *setting_meta(const struct setting *s)
{
	switch (s->type) {
	case SET_COUNT:
		return "N";
	case SET_DURATION:
		return "DUR";
	case SET_PERCENT:
		return "PCT";
	case SET_FACTOR:
		return "FACTOR";
	case SET_EXITLIST:
		return "LIST";
	case SET_COMMAND:
		return "CMD";
	case SET_BOOL:
		return NULL;
	case SET_WINDOW:
		return "N|DUR";
	case SET_POLICY:
		return "run|fail";
	}
	return NULL;
}

void cli_print_settings_help(FILE *out)
{
	for (size_t i = 0; i < settings_count; i++) {
		const struct setting *s = &settings[i];
		const char *meta = setting_meta(s);
		char left[64];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", s->shortopt ? '-' : ' ',
			 s->shortopt ? s->shortopt : ' ', s->shortopt ? ", " : "  ", s->option,
			 meta ? " " : "", meta ? meta : "");
		fprintf(out, "  %-32s %s", left, s->help);
		if (s->defval && *s->defval)
			fprintf(out, " (default %s)", s->defval);
		fputc('\n', out);
	}
}

void cli_explain_rejection(const char *name, const struct options *o,
			   const struct breaker_state *st, enum breaker_reject why, int64_t now_ms)
{
	char in[32], reason[ESCAPE_SIZE(BREAKER_REASON_MAX)];

	switch (why) {
	case REJECT_FORCED:
		/* Reasons come from the state file: printed escaped. */
		if (st->mode_reason[0])
			warnx("%s: circuit tripped by hand (%s); open until cbexec reset", name,
			      escape_text(st->mode_reason, reason, sizeof(reason)));
		else
			warnx("%s: circuit tripped by hand; open until cbexec reset", name);
		break;
	case REJECT_HALF_OPEN_FULL:
		warnx("%s: circuit half-open, probe already running; next try when it ends", name);
		break;
	case REJECT_CONCURRENCY:
		warnx("%s: %u calls already running (max-concurrent %u)", name, st->calls_inflight,
		      o->breaker.max_concurrent);
		break;
	default:
		/* whole seconds, rounded up: "next try in 1s" rather than "in 0s" */
		duration_format(st->retry_at_ms > now_ms
					? (st->retry_at_ms - now_ms + 999) / 1000 * 1000
					: 0,
				in, sizeof(in));
		escape_text(st->reason, reason, sizeof(reason));
		if (strncmp(st->reason, "tripped", 7) == 0)
			warnx("%s: circuit open (%s); next try in %s", name, reason, in);
		else
			warnx("%s: circuit open after %s; next try in %s", name, reason, in);
		break;
	}
}
