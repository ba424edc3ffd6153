/* Runs the wrapped command: fork, exec, signal forwarding, timeout, exit status. */

/*
 * EXIT STATUS, the contract of `cbexec run` (written here once; also in the
 * EXIT STATUS section of cbexec(1), and tested in tests/cli/run.bats and
 * tests/cli/runner.bats):
 *
 *   N      the command exited with status N
 *   75     the breaker rejected the call (--open-exit-code changes it)  [cmd-run.c]
 *   124    --timeout expired, whatever the command then died of; with
 *          --preserve-status the command's own status instead (N, or 128+N
 *          if it died of signal N), still recorded as a timeout [cmd-run.c]
 *   125    cbexec itself failed: usage, configuration, the state file with
 *          on_store_error=fail [cli.c, cmd-run.c], or cbexec could not start
 *          the command for reasons of its own (no process: fork EAGAIN under
 *          ulimit -u, ENOMEM); such a call records nothing [cmd-run.c]
 *   126    the command was found but could not be executed
 *   127    the command was not found (ENOENT)
 *   128+N  the command was killed by signal N (after runner_reraise() a shell
 *          sees cbexec itself killed by N, which it also shows as 128+N); a
 *          SIGPIPE because cbexec's reader left is an ignored outcome [cmd-run.c]
 *
 * Signals. cbexec and the command stay in the caller's process group, so a
 * Ctrl-C at the terminal reaches both and job control (Ctrl-Z, fg, SIGWINCH)
 * works without cbexec acting as a shell. SIGINT SIGTERM SIGHUP SIGQUIT SIGUSR1
 * SIGUSR2 sent to cbexec are passed on to the command, except a SIGINT or
 * SIGQUIT from the terminal driver while the command is still in our group:
 * it already has its own copy, and a second one turns one Ctrl-C into two,
 * which terraform, docker compose and friends read as "skip the cleanup".
 * Signals ignored by cbexec's caller are not caught, not passed on, and stay
 * ignored in the command: that is the caller's choice (a background job of a
 * non-interactive shell ignores SIGINT).
 *
 * With --timeout the command gets a process group of its own, as under
 * timeout(1): a timeout must end everything the command started (the curl
 * under `sh -c`, the sleep in a script), or a grandchild keeps the caller's
 * pipe open and the job hangs anyway. Forwarded signals then go to that
 * whole group. The price, as with timeout(1) without --foreground: the group
 * is not the terminal's foreground group, so a command that reads from the
 * terminal is stopped, and a Ctrl-C reaches it only through cbexec.
 * --foreground (lim->foreground) chooses the other side, as timeout(1)'s:
 * the command stays in the caller's group, reads the terminal and takes its
 * signals, and the timeout signals the command alone; what it started may
 * outlive it.
 *
 * Timeout: lim->signal, SIGTERM unless --signal says otherwise (with
 * SIGCONT, so a stopped command wakes to take it), then SIGKILL
 * kill_after_ms later. A kill_after of 0 means no SIGKILL, as in timeout(1).
 *
 * SIGPIPE. cbexec ignores it for itself (runner_ignore_sigpipe), so that a
 * dead reader of its stderr costs a lost message, never the command's status,
 * the fallback or a hook; every program cbexec starts gets the disposition
 * cbexec was started with back (runner_restore_sigpipe).
 *
 * The command dies with cbexec: the child asks for SIGKILL when its parent
 * dies (PR_SET_PDEATHSIG, Linux only, as coreutils' timeout), so that a
 * SIGKILLed cbexec does not leave the command running after its lease and
 * --max-concurrent slot are gone. Limits: only the command itself is covered,
 * not what it started; the kernel clears the request when the command execs
 * a set-user-ID, set-group-ID or file-capability program (sudo), and a
 * command may change or clear it itself.
 */

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "exitcodes.h"
#include "runner.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* Set by the handlers, read and cleared by the wait loop. The handlers only
 * run inside pselect(), the one place these signals are unblocked, so the loop
 * never races with them. */
static volatile sig_atomic_t caught[NFORWARDED];
static volatile sig_atomic_t from_process[NFORWARDED]; /* sent with kill(2), not by a tty */

/* What cbexec had before runner_run, restored in the child and afterwards. */
struct saved_signals {
	sigset_t mask;
	bool installed[NFORWARDED];
	struct sigaction action[NFORWARDED];
	struct sigaction chld;
};

/* What SIGPIPE was when cbexec started, for the programs cbexec starts. */
static struct sigaction inherited_pipe;
static bool pipe_saved;

void runner_ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, &inherited_pipe) == 0)
		pipe_saved = true;
}

void runner_restore_sigpipe(void)
{
	if (pipe_saved)
		sigaction(SIGPIPE, &inherited_pipe, NULL);
}

static void on_forwarded(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	for (size_t i = 0; i < NFORWARDED; i++) {
		if (forwarded[i] != sig)
			continue;
		caught[i] = 1;
#ifdef SI_KERNEL
		if (!si || si->si_code != SI_KERNEL)
			from_process[i] = 1;
#else
		(void)si;
		from_process[i] = 1;
#endif
	}
}

/* Only there so that SIGCHLD interrupts pselect(). */
static void on_child(int sig)
{
	(void)sig;
}

static bool is_ignored(const struct sigaction *sa)
{
	return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == SIG_IGN;
}

static void signals_install(struct saved_signals *s)
{
	struct sigaction sa;
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	for (size_t i = 0; i < NFORWARDED; i++) {
		sigaction(forwarded[i], NULL, &s->action[i]);
		s->installed[i] = !is_ignored(&s->action[i]);
		if (s->installed[i])
			sigaddset(&block, forwarded[i]);
		caught[i] = from_process[i] = 0;
	}
	/* Blocked before the handlers go in and until the wait loop, so that a
	 * signal arriving between fork and wait stays pending instead of lost. */
	sigprocmask(SIG_BLOCK, &block, &s->mask);

	memset(&sa, 0, sizeof(sa));
	sa.sa_mask = block;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sa.sa_sigaction = on_forwarded;
	for (size_t i = 0; i < NFORWARDED; i++)
		if (s->installed[i])
			sigaction(forwarded[i], &sa, NULL);

	/* Even if the caller ignored SIGCHLD: with SIG_IGN the kernel would reap
	 * the command itself and its exit status would be lost. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_mask = block;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, &s->chld);
}

static void signals_restore(const struct saved_signals *s)
{
	for (size_t i = 0; i < NFORWARDED; i++)
		if (s->installed[i])
			sigaction(forwarded[i], &s->action[i], NULL);
	sigaction(SIGCHLD, &s->chld, NULL);
	sigprocmask(SIG_SETMASK, &s->mask, NULL);
}

static bool is_interrupt(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP;
}

/* Passes on what arrived since the last look. Called only while the command is
 * unreaped, so its pid cannot have been reused (a zombie takes a signal harmlessly). */
static void forward_caught(pid_t pid, bool own_group, struct runner_result *r)
{
	for (size_t i = 0; i < NFORWARDED; i++) {
		int sig = forwarded[i];
		bool by_process = from_process[i];

		if (!caught[i])
			continue;
		caught[i] = from_process[i] = 0;
		if (is_interrupt(sig))
			r->interrupted = true;
		/* The terminal sent it to the whole foreground group, so the
		 * command has it already unless it moved to a group of its own. */
		if (!by_process && (sig == SIGINT || sig == SIGQUIT) && getpgid(pid) == getpgrp())
			continue;
		kill(own_group ? -pid : pid, sig);
	}
}

/* A signal that came after the command was reaped has no one to go to; it was
 * meant to end the command (often it is the same Ctrl-C that just killed it),
 * so take it instead of letting it kill cbexec before the outcome is recorded. */
static void signals_drain(const struct saved_signals *s, struct runner_result *r)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pending, one;

	if (sigpending(&pending) == -1)
		return;
	for (size_t i = 0; i < NFORWARDED; i++) {
		int sig = forwarded[i];

		if (!s->installed[i] || sigismember(&s->mask, sig) || !sigismember(&pending, sig))
			continue;
		sigemptyset(&one);
		sigaddset(&one, sig);
		if (sigtimedwait(&one, NULL, &zero) == sig && is_interrupt(sig))
			r->interrupted = true;
	}
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ms_to_ns(int64_t ms)
{
	const int64_t cap = INT64_MAX / 4 / 1000000; /* far beyond 365 days */

	return (ms > cap ? cap : ms) * 1000000;
}

static int exec_status(int e)
{
	/* 127 only for ENOENT, as timeout(1), env(1) and bash decide: a path
	 * through something that is not a directory (ENOTDIR) names a file that
	 * is there and cannot be run, 126, like every other error. */
	return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

/*
 * The command is started with vfork(2): no copy of cbexec's page tables, and
 * none of the copy-on-write faults a fork pays (about 120 per call). The child
 * shares our memory until it execs or exits, so it only makes system calls
 * (setpgid, prctl, getppid, sigaction, sigprocmask, execve through execvp,
 * _exit): no stdio, no malloc, no setenv, nothing that takes a lock.
 *
 * It reports a failed exec through these shared variables rather than the
 * usual close-on-exec pipe: the parent resumes only once the child has exec'd
 * or exited, so by then child_errno holds the exec's errno or 0, with no read
 * to make and no file descriptor to find. That matters when cbexec is at its
 * RLIMIT_NOFILE (ulimit -n): then the state file could not be opened either,
 * and the command must still run unprotected. volatile: both are written by
 * the child behind the compiler's back.
 */
static volatile int child_errno;
static volatile sig_atomic_t child_no_group;

static _Noreturn void exec_child(char *const argv[], const struct saved_signals *s, pid_t parent,
				 bool own_group)
{
	if (own_group && setpgid(0, 0) == -1)
		child_no_group = 1;
#if defined(__linux__) && defined(PR_SET_PDEATHSIG)
	/* Die with cbexec; and if cbexec died before we asked, we are alone
	 * already: the call has no one to count it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() != parent)
		_exit(EXIT_CANCELED);
#else
	(void)parent;
#endif
	/* Our handlers back to what the caller had (SIG_IGN stays SIG_IGN, exec
	 * resets the rest), SIGPIPE to what cbexec was started with, then the
	 * mask; a signal forwarded before this point is delivered now with the
	 * command's own disposition. */
	runner_restore_sigpipe();
	signals_restore(s);
	execvp(argv[0], argv);
	child_errno = errno ? errno : ENOEXEC;
	_exit(exec_status(child_errno));
}

/* vfork in a function of its own, so that after its second return nothing of
 * runner_run's frame is live in a register the child may have reused. */
static pid_t spawn_child(char *const argv[], const struct saved_signals *s, bool own_group)
{
	pid_t parent = getpid(), pid;

	pid = vfork();
	if (pid == 0)
		exec_child(argv, s, parent, own_group);
	return pid;
}

void runner_run(char *const argv[], const struct runner_limits *lim, struct runner_result *r)
{
	int64_t timeout_ms = lim->timeout_ms, kill_after_ms = lim->kill_after_ms;
	struct saved_signals saved;
	struct timespec ts;
	sigset_t waitmask;
	int status = 0, exec_errno;
	int64_t start, now, deadline = -1, kill_at = -1, wake;
	pid_t pid, w, target;
	bool own_group = timeout_ms > 0 && !lim->foreground;

	memset(r, 0, sizeof(*r));
	signals_install(&saved);
	child_errno = 0;
	child_no_group = 0;
	start = mono_ns();
	pid = spawn_child(argv, &saved, own_group);
	if (pid == -1) {
		int e = errno;

		signals_restore(&saved);
		/* EAGAIN (ulimit -u), ENOMEM: cbexec's trouble, not the
		 * dependency's, so the caller records nothing. */
		warnx("cannot start %s: %s; this call is not counted", argv[0], strerror(e));
		r->exit_code = EXIT_CANCELED;
		r->own_failure = true;
		return;
	}
	r->ran = true;
	exec_errno = child_errno;
	if (own_group && child_no_group)
		own_group = false;
	target = own_group ? -pid : pid;

	if (timeout_ms > 0)
		deadline = start + ms_to_ns(timeout_ms);
	/* Our signals arrive only inside pselect(); one the caller had blocked
	 * stays blocked, as timeout(1) leaves it. */
	waitmask = saved.mask;
	sigdelset(&waitmask, SIGCHLD);
	for (;;) {
		forward_caught(pid, own_group, r);
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			warn("waiting for %s", argv[0]);
			status = -1;
			break;
		}
		now = mono_ns();
		if (deadline >= 0 && !r->timed_out && now >= deadline) {
			r->timed_out = true;
			kill(target, lim->signal);
			if (lim->signal != SIGKILL && lim->signal != SIGCONT)
				kill(target, SIGCONT);
			if (kill_after_ms > 0)
				kill_at = now + ms_to_ns(kill_after_ms);
		}
		if (kill_at >= 0 && now >= kill_at) {
			kill(target, SIGKILL);
			kill_at = -1;
		}
		wake = r->timed_out ? kill_at : deadline;
		if (wake >= 0) {
			ts.tv_sec = (wake - now) / 1000000000;
			ts.tv_nsec = (wake - now) % 1000000000;
			pselect(0, NULL, NULL, NULL, &ts, &waitmask);
		} else {
			pselect(0, NULL, NULL, NULL, NULL, &waitmask);
		}
	}
	r->elapsed_ms = (mono_ns() - start) / 1000000;
	r->start_failed = exec_errno != 0;
	signals_drain(&saved, r);
	signals_restore(&saved);

	if (r->start_failed) {
		/* Reported here, once, rather than by the child. */
		warnx("%s: %s", argv[0], strerror(exec_errno));
		r->exit_code = exec_status(exec_errno);
		r->timed_out = false;
	} else if (status == -1) {
		r->exit_code = EXIT_CANCELED;
	} else if (WIFSIGNALED(status)) {
		r->term_signal = WTERMSIG(status);
		r->exit_code = 128 + r->term_signal;
	} else if (WIFEXITED(status)) {
		r->exit_code = WEXITSTATUS(status);
	} else {
		r->exit_code = EXIT_CANCELED; /* stopped or continued: not asked for */
	}
	/* With --preserve-status the command's own status, 128+9 after a
	 * SIGKILL too. Without it 124, whatever the signal: timeout(1) exits
	 * 137 after any SIGKILL (it dies of it itself, with its group), which
	 * a caller cannot tell from an OOM kill; here 124 always says "timed
	 * out". */
	if (r->timed_out && !lim->preserve_status)
		r->exit_code = EXIT_TIMEOUT;
}

static bool core_dumps_off(void)
{
#if defined(__linux__) && defined(PR_SET_DUMPABLE)
	/* Also stops a core_pattern pipe, which RLIMIT_CORE does not. */
	if (prctl(PR_SET_DUMPABLE, 0) == 0)
		return true;
#endif
	struct rlimit rl = { 0, 0 };

	return setrlimit(RLIMIT_CORE, &rl) == 0;
}

void runner_reraise(const struct runner_result *r)
{
	struct sigaction sa;
	sigset_t one;
	int sig = r->term_signal;

	/* Not after a timeout: 124 is the answer then. Without a way to keep
	 * cbexec from dumping core for the command's SIGQUIT or SIGSEGV, exit
	 * with 128+N instead. */
	if (sig <= 0 || r->timed_out || !core_dumps_off())
		return;
	fflush(NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
}

int runner_exec(char *const argv[])
{
	int e;

	runner_restore_sigpipe();
	execvp(argv[0], argv);
	e = errno;
	warnx("%s: %s", argv[0], strerror(e));
	return exec_status(e);
}

_Noreturn void runner_exec_shell(const char *cmd)
{
	int e;

	runner_restore_sigpipe();
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	e = errno;
	warnx("/bin/sh: %s", strerror(e));
	fflush(NULL);
	_exit(exec_status(e));
}
