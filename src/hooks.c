/* Transition side effects: the stderr line, syslog, and the on-* hook commands. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "escape.h"
#include "exitcodes.h"
#include "hooks.h"
#include "runner.h"
#include "xmalloc.h"

/* A hook this process started whose process group may still have members. */
struct hook {
	pid_t pid;	   /* also its process group's id: it is a session leader */
	bool reaped;	   /* the hook's shell has ended; what it started may not have */
	const char *which; /* "on-open", ...: a literal */
	char *name;
};

/* Usually one or two per process; `reset --all` may start one or two per breaker. */
static struct hook *hooks;
static size_t nhooks, hooks_cap;

/* The hook's environment, formatted before fork so the child only copies it. */
struct hook_env {
	const char *name, *from, *to, *reason;
	char failures[16], last_exit[16], retry_after[24];
};

static void track(pid_t pid, const char *which, const char *name)
{
	if (nhooks == hooks_cap) {
		hooks_cap = hooks_cap ? hooks_cap * 2 : 4;
		hooks = xreallocarray(hooks, hooks_cap, sizeof(*hooks));
	}
	hooks[nhooks].pid = pid;
	hooks[nhooks].reaped = false;
	hooks[nhooks].which = which;
	hooks[nhooks].name = xstrdup(name);
	nhooks++;
}

static _Noreturn void run_hook(const char *cmd, const struct hook_env *e)
{
	int fd;

	/* A session of its own: a Ctrl-C meant for the command, or the terminal
	 * going away, does not cut a hook short; and hooks_wait() can stop the
	 * hook and everything it started with one kill of the group. */
	setsid();
	fd = open("/dev/null", O_RDONLY);
	if (fd == -1)
		close(STDIN_FILENO);
	else if (fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	/* cbexec's stdout carries the command's output, often into a pipe that
	 * a hook's "breaker opened" would corrupt; stderr is where cbexec's own
	 * lines go and where logs collect them. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	runner_restore_sigpipe();
	/* Values go in the environment, never into the shell text: a reason
	 * holds a user's --reason and must not be parsed as shell. */
	if (setenv("CBEXEC_NAME", e->name, 1) || setenv("CBEXEC_FROM", e->from, 1) ||
	    setenv("CBEXEC_TO", e->to, 1) || setenv("CBEXEC_REASON", e->reason, 1) ||
	    setenv("CBEXEC_FAILURES", e->failures, 1) ||
	    setenv("CBEXEC_LAST_EXIT", e->last_exit, 1) ||
	    setenv("CBEXEC_RETRY_AFTER", e->retry_after, 1)) {
		warn("%s: hook environment", e->name);
		_exit(EXIT_CANNOT_EXEC);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	warn("%s: hook: /bin/sh", e->name);
	_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

static void start_hook(const char *cmd, const char *which, const struct hook_env *e)
{
	pid_t pid;

	if (!cmd || !*cmd)
		return;
	pid = fork();
	if (pid == -1) {
		warn("%s: %s hook not run", e->name, which);
		return;
	}
	if (pid == 0)
		run_hook(cmd, e);
	track(pid, which, e->name);
}

static void log_transition(int priority, const char *name, const char *what)
{
	static bool opened;

	if (!opened) {
		openlog("cbexec", LOG_PID, LOG_USER);
		opened = true;
	}
	syslog(priority, "%s: %s", name, what);
}

void hooks_transition(const struct options *o, const char *name, bool quiet,
		      const struct breaker_transition *tr, const struct breaker_state *after,
		      int64_t now_ms)
{
	char what[ESCAPE_SIZE(BREAKER_REASON_MAX) + 64], reason[ESCAPE_SIZE(BREAKER_REASON_MAX)];
	struct hook_env e;

	memset(&e, 0, sizeof(e));
	e.name = name;
	e.from = breaker_state_name(tr->from);
	e.to = breaker_state_name(tr->to);
	e.reason = tr->reason;
	if (tr->reason[0])
		snprintf(what, sizeof(what), "%s -> %s: %s", e.from, e.to,
			 escape_text(tr->reason, reason, sizeof(reason)));
	else
		snprintf(what, sizeof(what), "%s -> %s", e.from, e.to);
	if (!quiet)
		warnx("%s: %s", name, what);
	if (o->syslog)
		log_transition(tr->to == BREAKER_OPEN ? LOG_WARNING : LOG_NOTICE, name, what);

	snprintf(e.failures, sizeof(e.failures), "%u", after->consecutive_failures);
	if (after->last_exit >= 0)
		snprintf(e.last_exit, sizeof(e.last_exit), "%d", after->last_exit);
	/* Empty when no retry time applies: not open, or tripped until reset. */
	if (tr->to == BREAKER_OPEN && after->mode != BREAKER_TRIPPED && after->retry_at_ms > 0)
		snprintf(e.retry_after, sizeof(e.retry_after), "%lld",
			 (long long)clock_secs_until(now_ms, after->retry_at_ms));

	/* A probe's call makes two changes (to half-open, then to closed or
	 * open): the second one's hooks wait for the first one's, so that a
	 * receiver hears them in order. The command already ran meanwhile. */
	if (nhooks > 0)
		hooks_wait(HOOKS_WAIT_MS);
	switch (tr->to) {
	case BREAKER_OPEN:
		start_hook(o->on_open, "on-open", &e);
		break;
	case BREAKER_HALF_OPEN:
		start_hook(o->on_half_open, "on-half-open", &e);
		break;
	case BREAKER_CLOSED:
		start_hook(o->on_close, "on-close", &e);
		break;
	}
	start_hook(o->on_change, "on-change", &e);
}

static void report(const struct hook *h, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		warnx("%s: %s hook exited %d", h->name, h->which, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		warnx("%s: %s hook killed by signal %d", h->name, h->which, WTERMSIG(status));
}

static void format_ms(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
}

/* Does the hook's process group still have a member we could stop? A pgid is
 * not given to a new process while its group has members, and the group is
 * looked at every few milliseconds, so a reused id is not a practical risk. */
static bool group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0;
}

void hooks_wait(int64_t max_ms)
{
	int64_t deadline = clock_mono_ms() + (max_ms > 0 ? max_ms : 0), pause = 1;
	size_t left = nhooks;
	char after[32];
	int status;

	/* Polling with WNOHANG, pid by pid: waiting on SIGCHLD would tangle with
	 * runner.c, and wait(-1) could reap a process that is not a hook. A hook
	 * is done when its shell has ended and so has everything it started in
	 * its group: `sleep 9 &` outlives the shell and holds cbexec's stderr,
	 * which cron, a pipe or `$(...)` wait on, so it is waited for too. */
	while (left > 0) {
		for (size_t i = 0; i < nhooks; i++) {
			pid_t w;

			if (hooks[i].pid <= 0)
				continue;
			if (!hooks[i].reaped) {
				w = waitpid(hooks[i].pid, &status, WNOHANG);
				if (w == 0 || (w == -1 && errno == EINTR))
					continue;
				if (w == hooks[i].pid)
					report(&hooks[i], status);
				/* else ECHILD: reaped by the kernel because the
				 * caller ignored SIGCHLD; no status to report. */
				hooks[i].reaped = true;
			}
			if (group_alive(hooks[i].pid))
				continue;
			hooks[i].pid = 0;
			left--;
		}
		if (left == 0 || clock_mono_ms() >= deadline)
			break;
		clock_sleep_ms(pause);
		pause = pause < 10 ? pause * 2 : 10;
	}

	/* A hook left running would hold cbexec's stderr open, and cron, a
	 * `$(...)` or a pipe waits for that to close, not for cbexec: the job
	 * would hang on its alert. So a hook past its time is stopped, group
	 * and all (it is a session leader, its pgid is its pid). A process that
	 * left the group (setsid, setpgid: a daemon) is beyond reach. */
	format_ms(max_ms > 0 ? max_ms : 0, after, sizeof(after));
	for (size_t i = 0; i < nhooks; i++) {
		if (hooks[i].pid > 0) {
			if (hooks[i].reaped)
				warnx("%s: %s hook left processes running after %s; stopped them",
				      hooks[i].name, hooks[i].which, after);
			else
				warnx("%s: %s hook still running after %s; stopped it",
				      hooks[i].name, hooks[i].which, after);
			kill(-hooks[i].pid, SIGKILL);
			if (!hooks[i].reaped) {
				kill(hooks[i].pid, SIGKILL); /* had it not yet called setsid()? */
				waitpid(hooks[i].pid, &status, 0);
			}
		}
		free(hooks[i].name);
	}
	free(hooks);
	hooks = NULL;
	nhooks = hooks_cap = 0;
}
