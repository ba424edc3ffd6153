/* Unit tests for src/suggest.c: the nearest word for "did you mean", its limits and ties. */
#include <string.h>

#include "suggest.h"
#include "tap.h"

/* The candidate suggest_consider() keeps for word, or NULL. */
static const char *nearest(const char *word, size_t max_edits, const char *const *cands)
{
	const char *best = NULL;
	struct suggest s;

	suggest_init(&s, word, max_edits);
	for (; *cands; cands++)
		if (suggest_consider(&s, *cands))
			best = *cands;
	return best;
}

static void near_is(const char *word, size_t max, const char *const *cands, const char *want)
{
	const char *got = nearest(word, max, cands);

	if (want == NULL)
		ok(got == NULL, "nothing near \"%s\" (got %s)", word, got ? got : "none");
	else
		ok(got != NULL && strcmp(got, want) == 0, "\"%s\" -> \"%s\" (got %s)", word, want,
		   got ? got : "none");
}

int main(void)
{
	static const char *const commands[] = { "run",	   "status", "reset",  "history",
						"metrics", "check",  "record", "trip",
						"bypass",  "delete", "config", NULL };
	static const char *const names[] = { "qdrant", "api-a", "api-b", "web", NULL };
	static const char *const ties[] = { "abcd", "abce", NULL };
	char longword[SUGGEST_MAX_LEN + 10];

	near_is("stauts", 2, commands, "status"); /* a transposition is one edit */
	near_is("histroy", 2, commands, "history");
	near_is("delte", 2, commands, "delete");
	near_is("resett", 2, commands, "reset");
	near_is("statsu", 2, commands, "status");
	near_is("frobnicate", 2, commands, NULL);
	near_is("stxxxs", 2, commands, NULL); /* three edits, over the limit of two */
	near_is("rn", 2, commands, "run");    /* short words: one edit at most */
	near_is("x", 2, commands, NULL);
	near_is("qdrnat", 3, names, "qdrant");
	near_is("QDRANT", 3, names, "qdrant"); /* case is no edit */
	near_is("api_a", 3, names, "api-a");   /* nor '_' for '-' */
	near_is("api-c", 3, names, "api-a");   /* ties go to the earlier */
	near_is("abcf", 3, ties, "abcd");
	near_is("", 3, names, NULL);
	memset(longword, 'a', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	near_is(longword, 3, names, NULL);
	return tap_done();
}
