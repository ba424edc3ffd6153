/* Transition side effects: stderr line, syslog, and the on-* hook commands. */
#ifndef CBEXEC_HOOKS_H
#define CBEXEC_HOOKS_H

#include <stdint.h>

#include "breaker.h"
#include "options.h"

/* Reports a transition this process made: stderr (unless quiet), syslog if asked,
 * and starts the matching hooks without waiting for them. tr is a change of
 * state (tr->from != tr->to), as run and record make; a change of mode by hand
 * (bypass, a trip renewal) goes to the history only and never comes here. */
void hooks_transition(const struct options *o, const char *name, bool quiet,
		      const struct breaker_transition *tr, const struct breaker_state *after,
		      int64_t now_ms);
/* How long cbexec waits for its running hooks: before it starts those of a later
 * change of state, and again before it exits. */
#define HOOKS_WAIT_MS 5000

/* Waits for started hooks, at most max_ms in all; reports failures on stderr. A hook
 * still running then is killed with its process group, and that is reported too. */
void hooks_wait(int64_t max_ms);

#endif
