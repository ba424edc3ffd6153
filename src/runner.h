/* Runs the wrapped command: fork, exec, signal forwarding, timeout, exit status. */
#ifndef CBEXEC_RUNNER_H
#define CBEXEC_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

/* How the command is bounded in time, with timeout(1)'s options. */
struct runner_limits {
	int64_t timeout_ms;    /* 0: none */
	int64_t kill_after_ms; /* SIGKILL this long after the signal; 0: never */
	int signal;	       /* sent when timeout_ms expires */
	bool preserve_status;  /* then exit as the command did, not 124 */
	bool foreground;       /* no process group of its own; signal the command only */
};

struct runner_result {
	int exit_code;	    /* what cbexec exits with */
	bool timed_out;	    /* --timeout expired (exit_code 124 unless preserve_status) */
	bool interrupted;   /* ended after cbexec forwarded SIGINT, SIGTERM or SIGHUP */
	bool ran;	    /* a process was started for the command (exec may have failed) */
	bool start_failed;  /* 126 or 127: the command never ran */
	bool own_failure;   /* 125: cbexec could not start it (no process); not the
			       dependency's, so nothing is recorded */
	int64_t elapsed_ms; /* CLOCK_MONOTONIC */
	int term_signal;    /* the signal that killed the command, else 0 */
};

/* Ignores SIGPIPE for cbexec itself, remembering what it was; call first. */
void runner_ignore_sigpipe(void);
/* Puts back the SIGPIPE cbexec was started with, in a child about to exec. */
void runner_restore_sigpipe(void);

/* Runs argv[0] (PATH search, no shell) and waits, within lim. */
void runner_run(char *const argv[], const struct runner_limits *lim, struct runner_result *r);
/* Call last, after recording and hooks_wait(): if the command was killed by a signal
 * (not after a timeout), cbexec dies of the same signal, as timeout(1) does, so that a
 * shell sees it; bash stops a script on Ctrl-C only when its child died of SIGINT.
 * Returns when there is nothing to do; then exit with r->exit_code. */
void runner_reraise(const struct runner_result *r);
/* Replaces cbexec with the command, for CBEXEC_DISABLE=1; returns only to say why not. */
int runner_exec(char *const argv[]);
/* Replaces cbexec with /bin/sh -c cmd (the fallback); does not return. */
_Noreturn void runner_exec_shell(const char *cmd);

#endif
