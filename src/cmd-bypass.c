/* cbexec bypass: admit every call of breakers by hand, outcomes still counted, until reset. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"

/* As trip's --reason. */
#define REASON_MAX 200

struct bypass_ctx {
	struct breaker_env env;
	const char *reason;
};

static void bypass_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct bypass_ctx *ctx = vctx;

	/* The state does not change, but the mode does: the "closed -> closed"
	 * event in the history says when and why bypass began. */
	t->transitioned = breaker_bypass(st, &ctx->env, ctx->reason, &t->transition);
	t->write = true;
}

/* The reason reaches stderr lines, status tables and history one per line:
 * a control character (a newline, an escape sequence) would break all three. */
static void check_reason(const char *r)
{
	if (strlen(r) > REASON_MAX)
		cli_usage_error(&cmd_bypass_entry, "--reason is longer than %d bytes", REASON_MAX);
	for (const unsigned char *p = (const unsigned char *)r; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			cli_usage_error(&cmd_bypass_entry, "--reason contains a control character");
}

static int bypass_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bypass_ctx ctx = { 0 };
	const char *db = NULL;
	struct store *s;
	char *path;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			check_reason(optarg);
			ctx.reason = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			cli_help(&cmd_bypass_entry, NULL);
			return 0;
		default:
			cli_usage_error(&cmd_bypass_entry, "unknown option or missing argument: %s",
					argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cli_usage_error(&cmd_bypass_entry, "name the breakers to bypass");
	cli_check_names(argc, argv);
	path = cli_db_path(db);
	s = cli_open_store(path);

	for (int i = 0; i < argc; i++) {
		struct breaker_state st;
		struct breaker_settings saved;
		struct store_txn t = { 0 };
		int known;

		ctx.env.now_ms = cli_now_ms();
		ctx.env.jitter = 0;
		known = store_read(s, argv[i], ctx.env.now_ms, &st, &saved);
		if (known == STORE_ERR)
			errx(EXIT_USAGE, "%s: %s", path, store_errmsg(s));
		/* Made with the built-in settings if unknown, so that a breaker can be
		 * bypassed before the first call of a job that must not be stopped. */
		t.name = argv[i];
		t.create = true;
		t.now_ms = ctx.env.now_ms;
		if (store_update(s, &t, bypass_cb, &ctx) != STORE_OK)
			errx(EXIT_USAGE, "%s: %s", path, store_errmsg(s));
		if (known == STORE_NOTFOUND)
			warnx("%s: new breaker (no call has used this name yet), bypassed", argv[i]);
	}
	store_close(s);
	free(path);
	return 0;
}

const struct cmd_entry cmd_bypass_entry = {
	.name = "bypass",
	.usage = "[--reason TEXT] [--db PATH] NAME...",
	.summary = "admit every call of the breakers until reset, outcomes still counted",
	.help = "Options:\n"
		"      --reason TEXT    shown in status and in history\n"
		"                       (up to 200 bytes, no control characters)\n"
		"      --db PATH        the state file\n"
		"  -h, --help           this help\n"
		"\n"
		"Calls the breaker would reject are admitted and counted in the totals, but\n"
		"their outcomes do not move it; a closed breaker still opens on failures, so\n"
		"status shows what it would do. An unknown NAME is created, bypassed, with a\n"
		"warning. End bypass with cbexec reset. Prints nothing on success.\n",
	.exec = bypass_exec,
};
