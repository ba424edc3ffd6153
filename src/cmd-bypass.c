/* cbexec bypass: admit every call of breakers by hand, outcomes still counted, until reset. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"

struct bypass_ctx {
	const char *reason;
};

static void bypass_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct bypass_ctx *ctx = vctx;

	/* The state does not change, but the mode does: the "closed -> closed"
	 * event in the history says when and why bypass began. A second bypass
	 * with the same reason changes nothing and writes nothing. */
	t->write = breaker_bypass(st, &t->env, ctx->reason, &t->transition);
	t->transitioned = t->write;
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
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			cli_check_reason(&cmd_bypass_entry, optarg);
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
	cli_update_by_hand(db, argc, argv, bypass_cb, &ctx, "bypassed");
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
		"warning. The same bypass again records nothing. End bypass with cbexec\n"
		"reset. Prints nothing on success.\n",
	.exec = bypass_exec,
};
