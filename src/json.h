/* JSON out of the store: a breaker's status object and a history event, the
 * same bytes whichever store they were read from. */
#ifndef CBEXEC_JSON_H
#define CBEXEC_JSON_H

#include <stdio.h>

#include "breaker.h"
#include "store.h"

/* Prints the status object of breaker name (as status --json shows it, no
 * newline): its state st and the settings saved with it. -1 on an error
 * (out of memory), with a message from json_errmsg(). */
int json_status(FILE *out, const char *name, const struct breaker_state *st,
		const struct breaker_settings *saved);
/* Prints one history event as history --json shows it, no newline. */
int json_event(FILE *out, const struct store_event *e);
const char *json_errmsg(void);
/* Closes what the first json_* opened; the next one opens it again. */
void json_end(void);

#endif
