/* The baseline wrapper: fork, exec, wait, pass the status on, and nothing else. */
#include <err.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid;
	int status;

	if (argc < 2)
		errx(125, "usage: bare COMMAND [ARG...]");
	pid = fork();
	if (pid < 0)
		err(125, "fork");
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		err(125, "waitpid");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
