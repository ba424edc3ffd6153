/* What every subcommand shares: option parsing, the state file path, usage errors. */
#include <err.h>
#include <errno.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "config.h"
#include "escape.h"
#include "exitcodes.h"
#include "suggest.h"
#include "xmalloc.h"

/*
 * One parser for every command, driven by its cmd_entry. An option is found as
 * one of three kinds: declared by the entry (an index into e->options), one of
 * the breaker settings (for entries with settings), or the implied --help.
 */
enum opt_kind {
	OPT_DECLARED,
	OPT_SETTING,
	OPT_HELP
};

struct opt {
	enum opt_kind kind;
	size_t i; /* into e->options or settings[] */
	const char *name;
	int shortopt;
	bool has_arg;
};

static bool opt_at(const struct cmd_entry *e, size_t k, struct opt *o)
{
	size_t nopts = 0;

	while (e->options && e->options[nopts].name)
		nopts++;
	if (k < nopts) {
		const struct cmd_option *d = &e->options[k];

		*o = (struct opt){ OPT_DECLARED, k, d->name, d->shortopt, d->arg != NULL };
		return true;
	}
	k -= nopts;
	if (e->settings && k < settings_count) {
		const struct setting *st = &settings[k];

		*o = (struct opt){ OPT_SETTING, k, st->option, st->shortopt, st->type != SET_BOOL };
		return true;
	}
	k -= e->settings ? settings_count : 0;
	if (k == 0) {
		*o = (struct opt){ OPT_HELP, 0, "help", 'h', false };
		return true;
	}
	return false;
}

static _Noreturn void opt_unknown_long(const struct cmd_entry *e, const char *word, size_t len)
{
	char name[SUGGEST_MAX_LEN], q[256];
	const char *best = NULL;
	struct suggest sg;
	struct opt o;

	snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1),
		 word);
	suggest_init(&sg, name, 3);
	for (size_t k = 0; opt_at(e, k, &o); k++)
		if (suggest_consider(&sg, o.name))
			best = o.name;
	options_quote(name, q, sizeof(q));
	if (best)
		cli_usage_error(e, "unknown option --%.*s; did you mean --%s?",
				(int)(strlen(q) - 2), q + 1, best);
	cli_usage_error(e, "unknown option --%.*s", (int)(strlen(q) - 2), q + 1);
}

/* The long option word names (up to len): exact, else a unique prefix, as getopt_long. */
static struct opt opt_long(const struct cmd_entry *e, const char *word, size_t len)
{
	struct opt o, found;
	int matches = 0;

	if (len == 0)
		cli_usage_error(e, "unknown option %s", word - 2);
	for (size_t k = 0; opt_at(e, k, &o); k++) {
		if (strncmp(o.name, word, len) != 0)
			continue;
		if (o.name[len] == '\0')
			return o;
		found = o;
		matches++;
	}
	if (matches == 1)
		return found;
	if (matches > 1)
		cli_usage_error(e, "option --%.*s is ambiguous; write it in full", (int)len, word);
	opt_unknown_long(e, word, len);
}

static struct opt opt_short(const struct cmd_entry *e, char c)
{
	struct opt o;

	for (size_t k = 0; opt_at(e, k, &o); k++)
		if (o.shortopt == c)
			return o;
	if (c > 0x20 && c < 0x7f)
		cli_usage_error(e, "unknown option -%c", c);
	cli_usage_error(e, "unknown option -\\x%02x", (unsigned char)c);
}

static void opt_take(const struct cmd_entry *e, const struct opt *o, const char *value,
		     struct args *a)
{
	struct cli_breaker_args *b = &a->breaker;

	switch (o->kind) {
	case OPT_HELP:
		cli_help(e);
		cli_check_stdout();
		exit(0);
	case OPT_DECLARED:
		if (e->list_option && strcmp(e->list_option, o->name) == 0 && a->value[o->i] &&
		    value) {
			char *both = xasprintf("%s,%s", a->value[o->i], value);

			free(a->joined[o->i]);
			a->value[o->i] = a->joined[o->i] = both;
			break;
		}
		a->value[o->i] = value ? value : "";
		break;
	case OPT_SETTING:
		if (b->nset == CLI_MAX_SETTINGS)
			cli_usage_error(e, "too many options");
		b->set[b->nset].setting = &settings[o->i];
		b->set[b->nset].value = value ? value : "true";
		b->nset++;
		break;
	}
}

/*
 * A monitoring plugin's errors are read by the monitoring system, which shows
 * standard output and maps exit 3 to UNKNOWN (125 would be "out of bounds").
 * The command that is such a plugin (status --nagios) turns this on, and the
 * few places that end cbexec on its own errors consult it.
 */
static bool plugin_mode;

static _Noreturn void vfatal(int code, const char *fmt, va_list ap)
{
	if (plugin_mode) {
		char msg[1024];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		/* One line, as the plugin guidelines want: a control character (a
		 * newline in a path) or a '|', which would start the performance
		 * data, is written in octal as ls -b would. */
		printf("CBEXEC UNKNOWN - ");
		for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
			if (*c == '|' || *c < 0x20 || *c == 0x7f)
				printf("\\%03o", *c);
			else
				putchar(*c);
		}
		putchar('\n');
		fflush(stdout);
		exit(STATUS_UNKNOWN);
	}
	vwarnx(fmt, ap);
	exit(code);
}

void cli_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfatal(code, fmt, ap);
}

void cli_check_stdout(void)
{
	/* Buffered: a full disk or a closed pipe shows here, not at printf. */
	if (fflush(stdout) == EOF)
		cli_fatal(EXIT_CANCELED, "standard output: %s", strerror(errno));
	if (ferror(stdout))
		cli_fatal(EXIT_CANCELED, "standard output: write error");
}

/* The entry's plugin option among the options, as a whole word or a unique
 * prefix, before "--": found before parsing, so that a bad option before it
 * is already reported the plugin's way. */
static bool plugin_wanted(const struct cmd_entry *e, int argc, char **argv)
{
	if (!e->plugin_option)
		return false;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *w = argv[i];
		/* --nagios=1 is the plugin's option too: its error is the plugin's. */
		size_t len = strcspn(w, "="), matches = 0;
		struct opt o;

		if (strncmp(w, "--", 2) != 0 || len == 2)
			continue;
		for (size_t k = 0; opt_at(e, k, &o); k++)
			if (strncmp(o.name, w + 2, len - 2) == 0)
				matches++;
		if (matches == 1 && strncmp(e->plugin_option, w + 2, len - 2) == 0)
			return true;
	}
	return false;
}

void cli_parse(const struct cmd_entry *e, int argc, char **argv, struct args *a)
{
	bool options = true;
	int i;

	plugin_mode = plugin_wanted(e, argc, argv);
	memset(a, 0, sizeof(*a));
	a->entry = e;
	for (size_t k = 0; e->options && e->options[k].name; k++)
		if (k >= CLI_MAX_OPTIONS)
			abort(); /* a cmd_entry declares more than struct args holds */
	a->argv = xmalloc(((size_t)argc + 1) * sizeof(*a->argv));
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		struct opt o;

		if (!options || w[0] != '-' || w[1] == '\0') {
			a->argv[a->argc++] = argv[i];
			/* run's COMMAND: its own options are not cbexec's */
			if (e->command)
				options = false;
			continue;
		}
		if (strcmp(w, "--") == 0) {
			options = false;
			continue;
		}
		if (w[1] == '-') {
			const char *eq = strchr(w + 2, '=');
			size_t len = eq ? (size_t)(eq - (w + 2)) : strlen(w + 2);

			o = opt_long(e, w + 2, len);
			if (!o.has_arg && eq)
				cli_usage_error(e, "option --%s takes no argument", o.name);
			if (o.has_arg && !eq && i + 1 == argc)
				cli_usage_error(e, "option --%s needs an argument", o.name);
			opt_take(e, &o, o.has_arg ? (eq ? eq + 1 : argv[++i]) : NULL, a);
			continue;
		}
		/* A cluster: -qf3, -q -f 3. An option with an argument ends it. */
		for (const char *c = w + 1; *c; c++) {
			o = opt_short(e, *c);
			if (!o.has_arg) {
				opt_take(e, &o, NULL, a);
				continue;
			}
			if (c[1] == '\0' && i + 1 == argc)
				cli_usage_error(e, "option -%c needs an argument", *c);
			opt_take(e, &o, c[1] ? c + 1 : argv[++i], a);
			break;
		}
	}
	a->argv[a->argc] = NULL;
	if (a->argc < e->min_operands)
		cli_usage_error(e, "%s", e->missing ? e->missing : "too few arguments");
	if (e->max_operands >= 0 && a->argc > e->max_operands)
		cli_usage_error(e, "unexpected argument: %s", a->argv[e->max_operands]);
	if (e->settings) {
		struct cli_breaker_args *b = &a->breaker;

		b->name = cli_arg(a, "name");
		b->db = cli_arg(a, "db");
		b->config = cli_arg(a, "config");
		b->quiet = cli_flag(a, "quiet");
		if (b->name)
			cli_check_names(1, (char *const *)&b->name);
	}
}

void cli_args_free(struct args *a)
{
	for (size_t k = 0; k < CLI_MAX_OPTIONS; k++)
		free(a->joined[k]);
	free(a->argv);
	a->argv = NULL;
}

/* A command asking for an option it did not declare is a bug, caught by abort()
 * in the first test that reaches it; commands with settings may ask for name,
 * db, config and quiet whether they declare them or not. */
const char *cli_arg(const struct args *a, const char *option)
{
	for (size_t k = 0; a->entry->options && a->entry->options[k].name; k++)
		if (strcmp(a->entry->options[k].name, option) == 0)
			return a->value[k];
	if (a->entry->settings)
		return NULL; /* name, db, config, quiet: asked for by every settings command */
	abort();
}

bool cli_flag(const struct args *a, const char *option)
{
	return cli_arg(a, option) != NULL;
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

/* The default path, that of no --db and no CBEXEC_DB. */
static char *default_db_path(void)
{
	const struct passwd *pw;
	const char *env;

	if ((env = getenv("XDG_STATE_HOME")) && *env == '/')
		return xasprintf("%s/cbexec/breakers.db", env);
	if ((env = getenv("HOME")) && *env)
		return xasprintf("%s/.local/state/cbexec/breakers.db", env);
	/* No HOME: a system service (systemd sets HOME only with User=), or a
	 * stripped environment. The directory systemd made for the service's
	 * state (StateDirectory=) comes first: it is the one place a sandboxed
	 * service surely may write. Several are separated by colons; the first
	 * is the unit's own. */
	if ((env = getenv("STATE_DIRECTORY")) && *env == '/') {
		size_t n = strcspn(env, ":");

		return xasprintf("%.*s/breakers.db", (int)n, env);
	}
	if ((pw = getpwuid(getuid())) && pw->pw_dir && *pw->pw_dir == '/')
		return xasprintf("%s/.local/state/cbexec/breakers.db", pw->pw_dir);
	return NULL;
}

char *cli_find_db_path(const char *db)
{
	const char *env;

	if (db && *db)
		return xstrdup(db);
	if ((env = getenv("CBEXEC_DB")) && *env)
		return xstrdup(env);
	return default_db_path();
}

char *cli_local_db_path(void)
{
	return default_db_path();
}

bool cli_use_local(const struct options *o, char **path, char **where, const char *problem)
{
	char *local;

	if (o->on_store_error != ON_STORE_ERROR_LOCAL || !store_is_redis(*path) ||
	    !(local = cli_local_db_path()))
		return false;
	warnx("warning: %s: %s; using the host's own state file %s (on_store_error = local)",
	      *where, problem, local);
	free(*path);
	free(*where);
	*path = local;
	*where = cli_where(local);
	return true;
}

char *cli_where(const char *path)
{
	/* Each *** follows a : = or @ of its own and replaces what was there,
	 * perhaps nothing: at most 4 bytes for each of the location's. */
	size_t len = 4 * strlen(path) + 4;
	char *buf = xmalloc(len);

	store_location_mask(path, buf, len);
	return buf;
}

char *cli_db_path(const char *db)
{
	char *path = cli_find_db_path(db);

	if (!path)
		cli_fatal(EXIT_CANCELED, "cannot find the state file: HOME is not set and no home "
					 "directory is known; use --db PATH or CBEXEC_DB");
	return path;
}

/*
 * The store a command opened. Commands leave through errx(3) on an error and
 * let the kernel release the file and its locks; held here, the store stays
 * reachable until then, which is what LeakSanitizer checks at exit (with the
 * pointer only in a register, make test SANITIZE=1 reported it lost).
 */
static struct store *opened;

void cli_call(struct store_call *c, const char *name, const struct options *o)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->settings = &o->breaker;
	c->history_limit = o->history_limit;
}

int cli_store_open(struct store **sp, const char *path, enum store_mode mode, char *err,
		   size_t errlen)
{
	char *local = store_is_redis(path) ? cli_local_db_path() : NULL;
	int rc = store_open(sp, path, mode, local, err, errlen);

	free(local);
	return rc;
}

/*
 * The other commands open a Redis store without the host's "server down"
 * marker: the marker spares unattended calls a timeout each, but an operator's
 * trip, reset or status must try the server (and a command that answers with
 * its state must not answer "not tried" for seconds after some job's timeout).
 */
static int open_unmarked(const char *path, enum store_mode mode, char *err, size_t errlen)
{
	return store_open(&opened, path, mode, NULL, err, errlen);
}

/* rc of a store_open: exits unless STORE_OK, missing_exit if there is no file. */
static void open_result(int rc, const char *path, const char *err, int missing_exit)
{
	char *where;

	if (rc == STORE_OK)
		return;
	where = cli_where(path);
	if (rc == STORE_NOTFOUND && store_is_redis(path))
		cli_fatal(missing_exit, "%s: %s", where, err);
	if (rc == STORE_NOTFOUND)
		cli_fatal(missing_exit, "%s: no state file: %s; check the path (--db, CBEXEC_DB)",
			  where, err);
	cli_fatal(EXIT_CANCELED, "%s: %s", where, err);
}

struct store *cli_open_store(const char *path)
{
	char err[512];

	open_result(open_unmarked(path, STORE_CREATE, err, sizeof(err)), path, err, EXIT_CANCELED);
	return opened;
}

struct store *cli_open_store_existing(const char *path)
{
	char err[512];

	open_result(open_unmarked(path, STORE_EXISTING, err, sizeof(err)), path, err,
		    EXIT_CANCELED);
	return opened;
}

struct store *cli_open_store_readonly(const char *path, int missing_exit)
{
	char err[512];

	open_result(open_unmarked(path, STORE_READONLY, err, sizeof(err)), path, err, missing_exit);
	return opened;
}

void cli_check_names(int n, char *const *names)
{
	enum parse_err why;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		if (name_check(names[i], &why) < 0) {
			char q[256];

			options_quote(names[i], q, sizeof(q));
			if (plugin_mode)
				cli_fatal(EXIT_CANCELED, "breaker name %s %s", q,
					  parse_strerror(why));
			warnx("breaker name %s %s", q, parse_strerror(why));
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
	if (plugin_mode)
		vfatal(EXIT_CANCELED, fmt, ap);
	vwarnx(fmt, ap);
	va_end(ap);
	cli_print_usage(e, stderr);
	fprintf(stderr, "Try 'cbexec %s --help' for more.\n", e->name);
	exit(EXIT_CANCELED);
}

void cli_help(const struct cmd_entry *e)
{
	cli_print_usage(e, stdout);
	printf("%s\n\nOptions:\n", e->summary);
	cli_print_options(e, stdout);
	if (e->help)
		printf("\n%s", e->help);
	printf("\nSee cbexec(1) for exit statuses and details.\n");
}

static void print_option(FILE *out, int shortopt, const char *name, const char *arg,
			 const char *help, int width)
{
	char left[64];

	snprintf(left, sizeof(left), "%c%c%s--%s%s%s", shortopt ? '-' : ' ',
		 shortopt ? shortopt : ' ', shortopt ? ", " : "  ", name, arg ? " " : "",
		 arg ? arg : "");
	fprintf(out, "  %-*s %s\n", width, left, help);
}

void cli_print_options(const struct cmd_entry *e, FILE *out)
{
	int width = e->settings ? 32 : 16;

	for (size_t k = 0; e->options && e->options[k].name; k++) {
		const struct cmd_option *o = &e->options[k];
		int w = 6 + (int)strlen(o->name) + (o->arg ? 1 + (int)strlen(o->arg) : 0);

		if (w + 2 > width)
			width = w + 2;
	}
	for (size_t k = 0; e->options && e->options[k].name; k++) {
		const struct cmd_option *o = &e->options[k];

		print_option(out, o->shortopt, o->name, o->arg, o->help, width);
	}
	print_option(out, 'h', "help", NULL, "this help", width);
	if (e->settings) {
		fprintf(out, "Breaker options (also config keys, with _ for -):\n");
		cli_print_settings_help(out);
	}
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

_Noreturn void cli_change_failed(struct store *s, const char *where, int rc)
{
	/* The request went and got no answer in time: the server may yet run it,
	 * and an operator must not take the 125 for "nothing happened". */
	if (rc == STORE_DOWN)
		errx(EXIT_CANCELED,
		     "%s: %s; the change may still be made once the server answers: check with "
		     "cbexec status",
		     where, store_errmsg(s));
	errx(EXIT_CANCELED, "%s: %s", where, store_errmsg(s));
}

void cli_update_by_hand(const char *db, bool quiet, int n, char *const *names,
			const struct store_manual *m, const char *done)
{
	char *path = cli_db_path(db), *where = cli_where(path), then[64];
	struct store *s = cli_open_store(path);
	int rc;

	snprintf(then, sizeof(then), "made it, %s", done);
	for (int i = 0; i < n; i++) {
		struct store_manual one = *m;
		struct store_result r;

		one.name = names[i];
		if ((rc = store_manual(s, &one, &r)) != STORE_OK)
			cli_change_failed(s, where, rc);
		/* The names of this command are no suggestion: they are made now. */
		if (r.created && !quiet)
			cli_warn_unknown(s, where, names[i], n, names, then);
	}
	store_close(s);
	free(where);
	free(path);
}

bool cli_is_pattern(const char *operand)
{
	return strpbrk(operand, "*?[") != NULL;
}

/* A pattern is made of name characters and fnmatch's * ? [ ] ! ^, so that it
 * too is safe to print, and not longer than a name could be matched by. */
static bool pattern_check(const char *p)
{
	size_t n = strnlen(p, 4 * NAME_MAX_LEN + 1);

	if (n > 4 * NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("._:-*?[]!^", c)))
			return false;
	}
	return true;
}

void cli_check_names_or_patterns(int n, char *const *operands)
{
	bool bad = false;

	for (int i = 0; i < n; i++) {
		char q[256];

		if (!cli_is_pattern(operands[i])) {
			cli_check_names(1, &operands[i]);
		} else if (!pattern_check(operands[i])) {
			options_quote(operands[i], q, sizeof(q));
			if (plugin_mode)
				cli_fatal(EXIT_CANCELED,
					  "pattern %s has a character other than "
					  "A-Z a-z 0-9 . _ : - * ? [ ] ! ^",
					  q);
			warnx("pattern %s has a character other than A-Z a-z 0-9 . _ : - * ? [ ] ! "
			      "^",
			      q);
			bad = true;
		}
	}
	if (bad)
		exit(EXIT_CANCELED);
}

void cli_names_add(struct cli_names *ns, const char *name)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->v = xreallocarray(ns->v, ns->cap, sizeof(*ns->v));
	}
	ns->v[ns->n++] = xstrdup(name);
}

void cli_names_free(struct cli_names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

struct match_ctx {
	const char *pattern;
	struct cli_names *out;
	size_t found;
	struct store *s;
	const char *path;
};

static int match_name(const char *name, const struct breaker_state *st,
		      const struct breaker_settings *saved, void *vctx)
{
	struct match_ctx *m = vctx;

	(void)saved;
	/* Names hold no '/' and no '\\': no fnmatch flag would change a match. */
	if (fnmatch(m->pattern, name, 0) != 0)
		return 0;
	m->found++;
	/* One row that cannot be understood (store_each hands it over without a
	 * state) must not take the others with it: it is left for a person. */
	if (!st) {
		/* A plugin says it on its one line (the caller sees skipped). */
		if (!plugin_mode)
			warnx("%s: %s; skipped", m->path, store_errmsg(m->s));
		m->out->skipped = true;
		return 0;
	}
	cli_names_add(m->out, name);
	return 0;
}

void cli_expand_names(struct store *s, const char *path, int n, char *const *operands,
		      struct cli_names *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		struct match_ctx m = { operands[i], out, 0, s, path };

		if (!cli_is_pattern(operands[i])) {
			cli_names_add(out, operands[i]);
			continue;
		}
		if (store_each(s, match_name, &m) != STORE_OK)
			cli_fatal(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
		if (m.found == 0)
			cli_names_add(out, operands[i]);
	}
}

struct nearest_ctx {
	struct suggest sg;
	int nskip;
	char *const *skip;
	char best[NAME_MAX_LEN + 1];
};

static int nearest_name(const char *name, const struct breaker_state *st,
			const struct breaker_settings *saved, void *vctx)
{
	struct nearest_ctx *c = vctx;

	(void)st;
	(void)saved;
	for (int i = 0; i < c->nskip; i++)
		if (strcmp(c->skip[i], name) == 0)
			return 0;
	if (suggest_consider(&c->sg, name))
		snprintf(c->best, sizeof(c->best), "%s", name);
	return 0;
}

void cli_warn_unknown(struct store *s, const char *path, const char *name, int nskip,
		      char *const *skip, const char *then)
{
	struct nearest_ctx c = { .nskip = nskip, .skip = skip };
	char q[256];

	/* Up to 3 edits, as for config keys; a pattern suggests nothing. */
	if (!cli_is_pattern(name)) {
		suggest_init(&c.sg, name, 3);
		if (store_each(s, nearest_name, &c) != STORE_OK)
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
	}
	options_quote(name, q, sizeof(q));
	if (c.best[0])
		warnx("warning: no breaker %s; did you mean \"%s\"?%s%s%s", q, c.best,
		      then ? " (" : "", then ? then : "", then ? ")" : "");
	else
		warnx("warning: no breaker %s%s%s%s", q, then ? " (" : "", then ? then : "",
		      then ? ")" : "");
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
		return "run|fail|local";
	case SET_SIGNAL:
		return "SIG";
	case SET_FALLBACK_ON:
		return "WHEN";
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
	char in[64], next[32], reason[ESCAPE_SIZE(BREAKER_REASON_MAX)];
	int64_t left;

	switch (why) {
	case REJECT_TRIPPED:
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
		left = clock_secs_until(now_ms, st->retry_at_ms);
		/* The open period is over, so the next call probes: this one was
		 * turned away only because the lock a probe's slot needs is held
		 * (run, with a stopped writer). "next try in 0s" would read as a
		 * promise that this very call could have run. */
		if (left == 0) {
			snprintf(in, sizeof(in), "a probe is due once the state file is unlocked");
		} else {
			duration_format(left * 1000, next, sizeof(next));
			snprintf(in, sizeof(in), "next try in %s", next);
		}
		/* A hold's reason is a sentence of its own ("tripped by hand: ..."); an
		 * automatic open's reason says what it came after. */
		escape_text(st->reason, reason, sizeof(reason));
		if (why == REJECT_HELD)
			warnx("%s: circuit open (%s); %s", name, reason, in);
		else
			warnx("%s: circuit open after %s; %s", name, reason, in);
		break;
	}
}
