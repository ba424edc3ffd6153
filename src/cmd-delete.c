/* cbexec delete: forget breakers, their leases and their history. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "exitcodes.h"

static int delete_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL;
	struct store *s;
	char *path;
	int c, rc = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'h':
			cli_help(&cmd_delete_entry, NULL);
			return 0;
		default:
			cli_usage_error(&cmd_delete_entry, "unknown option or missing argument: %s",
					argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cli_usage_error(&cmd_delete_entry, "name the breakers to delete");
	cli_check_names(argc, argv);
	path = cli_db_path(db);
	s = cli_open_store(path);

	/* An unknown name is reported after the others are deleted, as reset does:
	 * "delete a b" with a gone already still leaves b gone. */
	for (int i = 0; i < argc; i++) {
		switch (store_delete(s, argv[i])) {
		case STORE_OK:
			break;
		case STORE_NOTFOUND:
			warnx("%s: no such breaker", argv[i]);
			rc = EXIT_CANCELED;
			break;
		default:
			errx(EXIT_CANCELED, "%s: %s", path, store_errmsg(s));
		}
	}
	store_close(s);
	free(path);
	return rc;
}

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.usage = "[--db PATH] NAME...",
	.summary = "forget breakers, their leases and their history",
	.help = "Options:\n"
		"      --db PATH    the state file\n"
		"  -h, --help       this help\n"
		"\n"
		"A call that is running keeps going; its outcome, if it ends after the\n"
		"delete, makes the breaker anew. An unknown NAME is reported after the\n"
		"others are deleted, and the exit status is then 125.\n",
	.exec = delete_exec,
};
