/* cbexec trip: open breakers by hand, until reset or for a while. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"

/* Shorter than BREAKER_REASON_MAX with room for "tripped by hand: ". */
#define REASON_MAX 200
/* As recovery_timeout: 1ms..365d. */
#define FOR_MIN_MS 1
#define FOR_MAX_MS (365LL * 24 * 3600 * 1000)

struct trip_ctx {
	struct breaker_env env;
	int64_t for_ms; /* 0 = until reset */
	const char *reason;
};

static void trip_cb(struct breaker_state *st, struct store_txn *t, void *vctx)
{
	struct trip_ctx *ctx = vctx;

	t->transitioned = breaker_trip(st, &ctx->env, ctx->for_ms, ctx->reason, &t->transition);
	t->write = true;
}

/* The reason reaches stderr lines, status tables and history one per line:
 * a control character (a newline, an escape sequence) would break all three. */
static void check_reason(const char *r)
{
	if (strlen(r) > REASON_MAX)
		cli_usage_error(&cmd_trip_entry, "--reason is longer than %d bytes", REASON_MAX);
	for (const unsigned char *p = (const unsigned char *)r; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			cli_usage_error(&cmd_trip_entry, "--reason contains a control character");
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
	struct store *s;
	char *path;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_duration(optarg, FOR_MIN_MS, FOR_MAX_MS, &ctx.for_ms, &why) < 0)
				cli_usage_error(&cmd_trip_entry, "--for \"%s\" %s (1ms-365d)", optarg,
						why);
			break;
		case 'r':
			check_reason(optarg);
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
		/* Tripping a breaker before its first call is how maintenance is
		 * announced ahead; the breaker is made with the built-in settings
		 * until a call brings its own. */
		t.name = argv[i];
		t.create = true;
		t.now_ms = ctx.env.now_ms;
		if (store_update(s, &t, trip_cb, &ctx) != STORE_OK)
			errx(EXIT_USAGE, "%s: %s", path, store_errmsg(s));
		/* Silence on success, but a new name is as often a typo as a plan:
		 * say so, or the operator believes the real breaker is open. */
		if (known == STORE_NOTFOUND)
			warnx("%s: new breaker (no call has used this name yet), tripped", argv[i]);
	}
	store_close(s);
	free(path);
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
		"Prints nothing on success.\n",
	.exec = trip_exec,
};
