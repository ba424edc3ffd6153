/* libFuzzer target: any bytes as a configuration file must parse or be refused, never crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

/*
 * The input goes through the same reader and libinih as a real file, by
 * fmemopen(3); only config_open()'s ownership and permission checks are
 * skipped. Built with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, config.c also
 * aborts if its own split of a key line (used for lines too long for libinih)
 * ever differs from libinih's, so the fuzzer checks that the two agree.
 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *null = fopen("/dev/null", "w");

	(void)argc;
	(void)argv;
	/*
	 * Every bad input prints diagnostics through warnx(3), that is through the
	 * stderr stream. The sanitizers write to descriptor 2 directly, so swapping
	 * the stream silences the noise and keeps the crash reports.
	 */
	if (null != NULL && getenv("FUZZ_VERBOSE") == NULL)
		stderr = null;
	return 0;
}

/* Applies the input for one breaker name; every error path frees what it took. */
static void run(const uint8_t *data, size_t size, const char *name)
{
	struct options o;
	FILE *f;

	/* fmemopen(3) wants a size of at least 1, and a const-less buffer it only reads. */
	f = fmemopen((void *)data, size, "r");
	if (f == NULL)
		return;
	options_init(&o);
	config_parse_stream(f, "fuzz.ini", &o, name);
	options_free(&o);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* A name that a seed's globs and [NAME] sections match, and no name: [defaults] only. */
	run(data, size, "api-1");
	run(data, size, NULL);
	return 0;
}
