/* cbexec trip: open breakers by hand, until reset or for a while. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"

/* As recovery_timeout: 1ms..365d. */
#define FOR_MIN_MS 1
#define FOR_MAX_MS (365LL * 24 * 3600 * 1000)

struct trip_ctx {
	int64_t for_ms; /* 0 = until reset */
	const char *reason;
};

static void trip_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct trip_ctx *ctx = vctx;

	/* Invariant 8 of breaker.c: a trip that changes nothing writes nothing. */
	t->write = breaker_trip(st, &t->env, ctx->for_ms, ctx->reason, &t->transition);
	t->transitioned = t->write;
}

static int trip_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trip_ctx ctx = { 0 };
	const char *db = NULL, *why;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_duration(optarg, FOR_MIN_MS, FOR_MAX_MS, &ctx.for_ms, &why) < 0)
				cli_usage_error(&cmd_trip_entry, "--for \"%s\" %s (1ms-365d)",
						optarg, why);
			break;
		case 'r':
			cli_check_reason(&cmd_trip_entry, optarg);
			ctx.reason = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			cli_help(&cmd_trip_entry, NULL);
			return 0;
		default:
			cli_usage_error(&cmd_trip_entry, "unknown option or missing argument: %s",
					argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cli_usage_error(&cmd_trip_entry, "name the breakers to trip");
	cli_check_names(argc, argv);
	cli_update_by_hand(db, argc, argv, trip_cb, &ctx, "tripped");
	return 0;
}

const struct cmd_entry cmd_trip_entry = {
	.name = "trip",
	.usage = "[--for DUR] [--reason TEXT] [--db PATH] NAME...",
	.summary = "open breakers by hand, until reset or for DUR",
	.help = "Options:\n"
		"      --for DUR        open for DUR (1ms-365d), then probe as usual;\n"
		"                       without it no call is admitted until cbexec reset\n"
		"      --reason TEXT    shown to rejected calls, in status and in history\n"
		"                       (up to 200 bytes, no control characters)\n"
		"      --db PATH        the state file\n"
		"  -h, --help           this help\n"
		"\n"
		"An unknown NAME is created, tripped, with a warning. The change is kept in\n"
		"the history; hooks run only for changes made by calls (run, record).\n"
		"Tripping an open breaker is no new open; the same trip again changes\n"
		"nothing, and a new --for (from now) or --reason renews the hold.\n"
		"Prints nothing on success.\n",
	.exec = trip_exec,
};
