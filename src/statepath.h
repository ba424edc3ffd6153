/* The state file's path, walked and judged before SQLite opens it: who may own what. */
#ifndef CBEXEC_STATEPATH_H
#define CBEXEC_STATEPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

enum statepath_mode {
	STATEPATH_WRITE,  /* may create directories and the file; ownership checked */
	STATEPATH_READ,	  /* creates nothing; anyone who can read may read */
	STATEPATH_UPDATE, /* writes an existing file: creates nothing; ownership checked */
};

enum statepath_error {
	STATEPATH_OK,
	STATEPATH_MISSING,     /* READ, UPDATE: the file or a directory does not exist */
	STATEPATH_SYMLINK,     /* a component is a symbolic link */
	STATEPATH_NOT_DIR,     /* a component is not a directory */
	STATEPATH_DIR_OPEN,    /* a directory writable by others, not sticky */
	STATEPATH_DIR_SHARED,  /* the file's directory is writable by others, sticky or not */
	STATEPATH_DIR_OWNER,   /* a directory owned by another user (not root) */
	STATEPATH_NOT_REGULAR, /* the state file (or its -wal/-shm) is not a regular file */
	STATEPATH_FILE_OWNER,  /* the state file (or its -wal/-shm) is another user's */
	STATEPATH_FILE_OPEN,   /* the state file is writable by others */
	STATEPATH_CHANGED,     /* the file was replaced while SQLite opened it */
	STATEPATH_SYSTEM,      /* a system call failed with sys_errno */
};

struct statepath {
	int dirfd;	 /* the directory that holds the file (O_PATH) */
	int fd;		 /* the state file, read-only, kept to compare with SQLite's */
	struct stat st;	 /* of fd */
	struct stat dir; /* of dirfd */
	bool created;	 /* the file was made by this call */
	const char *base;
	const char *path; /* as given to statepath_open */
	enum statepath_error error;
	int sys_errno;
	enum {
		STATEPATH_OP_OPEN,
		STATEPATH_OP_MKDIR,
		STATEPATH_OP_CREATE,
	} op;		      /* what failed with sys_errno */
	uid_t owner;	      /* the owner named by DIR_OWNER or FILE_OWNER */
	mode_t mode;	      /* the mode named by DIR_OPEN, DIR_SHARED, FILE_OPEN */
	char where[PATH_MAX]; /* the component the error is about */
};

/* Pure judges over stat(2) results, for the unit tests and statepath_open.
 * in_group: the caller is a member of st's group. holds_file: st is the
 * directory that holds the state file. */
enum statepath_error statepath_judge_dir(const struct stat *st, uid_t caller, bool in_group,
					 bool holds_file, enum statepath_mode mode);
enum statepath_error statepath_judge_file(const struct stat *st, const struct stat *dir,
					  uid_t caller, bool in_group, enum statepath_mode mode);

/* Walks path from / with openat(O_NOFOLLOW), judging each component and, in
 * WRITE mode, creating missing directories (0700) and the file (0600, or 0660
 * in a group-shared directory) with modes set by fchmod. Returns 0, or -1 with
 * sp->error set; statepath_close is needed either way. */
int statepath_open(const char *path, enum statepath_mode mode, struct statepath *sp);
/* After SQLite has opened the file by name: 0 if the name still leads to the
 * file that was judged, else -1 with sp->error = STATEPATH_CHANGED. */
int statepath_recheck(struct statepath *sp);
void statepath_close(struct statepath *sp);
/* What went wrong and what to do, for a message that starts with the path. */
void statepath_describe(const struct statepath *sp, char *buf, size_t len);

#endif
