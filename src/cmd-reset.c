/* cbexec reset: close breakers by hand, clearing their counters but not their totals. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"
#include "xmalloc.h"

struct reset_ctx {
	struct breaker_settings set;
	struct breaker_env env;
};

static void reset_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct reset_ctx *ctx = vctx;

	t->transitioned = breaker_reset(st, &ctx->set, &ctx->env, &t->transition);
	t->write = true;
}

struct names {
	char **v;
	size_t n, cap;
	struct store *listing; /* store_each is listing them: a NULL st is a bad row */
	const char *path;
	bool skipped;
};

static int add_name(const char *name, const struct breaker_state *st,
		    const struct breaker_settings *saved, void *vctx)
{
	struct names *ns = vctx;

	(void)saved;
	/* A row that cannot be understood is left for a person (cbexec delete),
	 * and the others are reset. */
	if (ns->listing && !st) {
		warnx("%s: %s; not reset", ns->path, store_errmsg(ns->listing));
		ns->skipped = true;
		return 0;
	}
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		char **v = realloc(ns->v, ns->cap * sizeof(*v));

		if (!v)
			err(EXIT_CANCELED, "out of memory");
		ns->v = v;
	}
	ns->v[ns->n++] = xstrdup(name);
	return 0;
}

static int reset_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct names all = { 0 };
	struct reset_ctx ctx;
	const char *db = NULL;
	bool every = false;
	struct store *s;
	char *path;
	int c, rc = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			every = true;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			cli_help(&cmd_reset_entry, NULL);
			return 0;
		default:
			cli_usage_error(&cmd_reset_entry, "unknown option or missing argument: %s",
					argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (every == (argc > 0))
		cli_usage_error(&cmd_reset_entry, every ? "--all takes no names"
							: "name the breakers to reset, or --all");
	cli_check_names(argc, argv);
	path = cli_db_path(db);
	s = cli_open_store(path);
	if (every) {
		all.listing = s;
		all.path = path;
		if (store_each(s, add_name, &all) != STORE_OK)
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
		all.listing = NULL;
		if (all.skipped)
			rc = EXIT_CANCELED;
	} else {
		for (int i = 0; i < argc; i++)
			add_name(argv[i], NULL, NULL, &all);
	}

	/* The machine's reset needs no settings of the breaker: the open period it
	 * sets back is set again from the caller's settings when it next opens. */
	breaker_settings_init(&ctx.set);
	for (size_t i = 0; i < all.n; i++) {
		struct store_txn t = { 0 };

		ctx.env.now_ms = cli_now_ms();
		ctx.env.jitter = 0;
		t.name = all.v[i];
		t.now_ms = ctx.env.now_ms;
		switch (store_update(s, &t, reset_cb, &ctx)) {
		case STORE_OK:
			break;
		case STORE_NOTFOUND:
			warnx("%s: no such breaker", all.v[i]);
			rc = EXIT_CANCELED;
			break;
		default:
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
		}
		free(all.v[i]);
	}
	free(all.v);
	store_close(s);
	free(path);
	return rc;
}

const struct cmd_entry cmd_reset_entry = {
	.name = "reset",
	.usage = "[--db PATH] (--all | NAME...)",
	.summary = "close breakers by hand (counters cleared, totals kept)",
	.help = "Options:\n"
		"      --all        every breaker in the state file\n"
		"      --db PATH    the state file\n"
		"  -h, --help       this help\n",
	.exec = reset_exec,
};
