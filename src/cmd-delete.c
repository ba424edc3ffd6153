/* cbexec delete: forget breakers, their leases and their history. */
#include <stdlib.h>

#include "cli.h"
#include "exitcodes.h"

static int delete_exec(const struct args *a)
{
	bool quiet = cli_flag(a, "quiet");
	char *const *argv = a->argv;
	int argc = a->argc;
	struct store *s;
	char *path, *where;
	int rc = 0, op;

	cli_check_names(argc, argv);
	path = cli_db_path(cli_arg(a, "db"));
	s = cli_open_store_existing(path);
	where = cli_where(path);

	/* An unknown name is reported after the others are deleted, as reset does:
	 * "delete a b" with a gone already still leaves b gone. */
	for (int i = 0; i < argc; i++) {
		switch ((op = store_delete(s, argv[i]))) {
		case STORE_OK:
			break;
		case STORE_NOTFOUND:
			if (!quiet)
				cli_warn_unknown(s, where, argv[i], 0, NULL, NULL);
			rc = EXIT_CANCELED;
			break;
		default:
			cli_change_failed(s, where, op);
		}
	}
	store_close(s);
	free(where);
	free(path);
	return rc;
}

static const struct cmd_option delete_options[] = {
	{ 0, "db", "PATH", "the state file, or a Redis URL (cbexec(1), REDIS)" },
	{ 'q', "quiet", NULL, "no warning for a NAME that does not exist" },
	{ 0 },
};

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.usage = "[--db PATH] [-q] NAME...",
	.summary = "forget breakers, their leases and their history",
	.options = delete_options,
	.min_operands = 1,
	.max_operands = -1,
	.missing = "name the breakers to delete",
	.help = "A call that is running keeps going; its outcome, if it ends after the\n"
		"delete, makes the breaker anew. An unknown NAME is reported after the\n"
		"others are deleted, and the exit status is then 125.\n",
	.exec = delete_exec,
};
