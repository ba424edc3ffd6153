/* "Did you mean": the known word nearest to a mistyped one, for keys, options, commands, names. */
#include <stdint.h>
#include <string.h>

#include "suggest.h"

/* Lower case, '-' as '_': so "Failure-Treshold" is compared as "failure_treshold". */
static char fold(char c)
{
	if (c == '-')
		return '_';
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/*
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions,
 * each edit costing 1) between a and b, both shorter than SUGGEST_MAX_LEN; b is
 * folded here, a already is.
 */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == fold(b[j - 1]) ? 0 : 1;
			size_t d = prev[j] + 1;

			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == fold(b[j - 2]) &&
			    a[i - 2] == fold(b[j - 1]) && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

void suggest_init(struct suggest *s, const char *word, size_t max_edits)
{
	size_t n = strnlen(word, SUGGEST_MAX_LEN);

	memset(s, 0, sizeof(*s));
	s->best_d = SIZE_MAX;
	if (n == 0 || n >= SUGGEST_MAX_LEN)
		return; /* no known word is that long, so none can be close */
	for (size_t i = 0; i < n; i++)
		s->word[i] = fold(word[i]);
	s->len = n;
	/* Fewer edits for short words: otherwise "on" would suggest "on_open"
	 * and "max" nearly anything. */
	s->limit = n / 2 < max_edits ? n / 2 : max_edits;
	s->usable = true;
}

bool suggest_consider(struct suggest *s, const char *candidate)
{
	size_t lb = strnlen(candidate, SUGGEST_MAX_LEN), d;

	if (!s->usable || lb >= SUGGEST_MAX_LEN)
		return false;
	if ((lb > s->len ? lb - s->len : s->len - lb) > s->limit)
		return false;
	d = distance(s->word, s->len, candidate, lb);
	if (d > s->limit || d >= s->best_d)
		return false;
	s->best_d = d;
	return true;
}
