/* "Did you mean": the known word nearest to a mistyped one, for keys, options, commands, names. */
#ifndef CBEXEC_SUGGEST_H
#define CBEXEC_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

/* Words this long or longer are never compared (breaker names stop at 128). */
#define SUGGEST_MAX_LEN 160

struct suggest {
	char word[SUGGEST_MAX_LEN]; /* folded */
	size_t len, limit, best_d;
	bool usable; /* false: the word is empty or too long to suggest for */
};

/* Starts a search for the word nearest to word, at most max_edits away (fewer for
 * short words). Case and '-' against '_' do not count as edits. */
void suggest_init(struct suggest *s, const char *word, size_t max_edits);
/* True if candidate is nearer than every one before it (ties go to the earlier):
 * the caller keeps it as the best so far. */
bool suggest_consider(struct suggest *s, const char *candidate);

#endif
