/* cbexec config: the settings in force for a breaker, each with where it came from. */
#include <stdio.h>

#include "cli.h"

static int config_exec(const struct args *args)
{
	struct cli_breaker_args a = args->breaker;
	struct options o;
	char value[4096];

	if (args->argc > 0) {
		if (a.name)
			cli_usage_error(&cmd_config_entry, "name one breaker at most");
		cli_check_names(1, args->argv);
		a.name = args->argv[0];
	}
	cli_load_options(&a, &o);
	/* key = value, a tab, the origin: lines that cut -f2 and grep take apart. */
	for (size_t i = 0; i < settings_count; i++) {
		const char *v = value;

		/* A command is printed whole, however long: a cut one would look valid. */
		if (settings[i].type == SET_COMMAND)
			v = options_command(&o, &settings[i]);
		else
			options_format(&o, &settings[i], value, sizeof(value));
		/* What is in force, not only what was given: a count window
		 * smaller than min_calls uses its size as the minimum. */
		if (i == S_MIN_CALLS && breaker_min_calls(&o.breaker) != o.breaker.min_calls) {
			printf("%s = %u\t%s (%s, capped at the count window)\n", settings[i].key,
			       breaker_min_calls(&o.breaker), o.origin[i], v);
			continue;
		}
		printf("%s = %s\t%s\n", settings[i].key, v != NULL ? v : "", o.origin[i]);
	}
	options_free(&o);
	cli_check_stdout();
	return 0;
}

static const struct cmd_option config_options[] = {
	{ 'n', "name", "NAME", "the breaker, as the NAME operand" },
	{ 0, "config", "PATH", "read this file instead of the default ones" },
	{ 0 },
};

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.usage = "[--config PATH] [BREAKER OPTIONS] [NAME]",
	.summary = "show the settings in force for NAME (or the defaults) and their origins",
	.options = config_options,
	.settings = true,
	.max_operands = 1,
	.help = "Breaker options given show how they combine with the configuration.\n",
	.exec = config_exec,
};
