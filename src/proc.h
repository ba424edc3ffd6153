/* Is a process still the one we knew? Liveness of lease owners, from /proc. */
#ifndef CBEXEC_PROC_H
#define CBEXEC_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Field 22 of /proc/PID/stat (clock ticks after boot), or -1 if unavailable.
 * With the pid it names one process even after the pid is reused. */
int64_t proc_start_time(pid_t pid);

/* False when pid is gone, a zombie, or now a different process (its start time
 * differs from start_time); true when it exists but cannot be examined. */
bool proc_alive(pid_t pid, int64_t start_time);

/* The inode of /proc/self/ns/pid, or 0 if unknown: pids are only comparable
 * between processes of the same pid namespace. */
uint64_t proc_pid_namespace(void);

#endif
