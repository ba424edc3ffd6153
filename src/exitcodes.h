/* The exit statuses cbexec itself gives; the full contract is in runner.c and cbexec(1). */
#ifndef CBEXEC_EXITCODES_H
#define CBEXEC_EXITCODES_H

#define EXIT_REJECTED	 75  /* EX_TEMPFAIL: the breaker rejected the call */
#define EXIT_TIMEOUT	 124 /* --timeout expired, as timeout(1) */
/* cbexec itself failed (usage, configuration, store, fork, memory); timeout(1)
 * calls the same 125 EXIT_CANCELED. */
#define EXIT_CANCELED	 125
#define EXIT_CANNOT_EXEC 126 /* found but could not be executed */
#define EXIT_NOT_FOUND	 127 /* command not found */

/* cbexec status, after the Nagios plugin convention */
#define STATUS_OK	 0
#define STATUS_WARNING	 1
#define STATUS_CRITICAL	 2
#define STATUS_UNKNOWN	 3

#endif
