/* The state file's path, walked and judged before SQLite opens it: who may own what. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statepath.h"

/*
 * The rules, after sshd's StrictModes and systemd-tmpfiles' "unsafe path
 * transition". SQLite opens the file, and makes its -wal and -shm beside it,
 * by name; so the names must be ones that nobody but the caller, root, or (in
 * the group-shared setup) the caller's group can change:
 *
 * 1. No component is a symbolic link.
 * 2. No directory is writable by others unless it is sticky (/tmp): in a
 *    sticky directory only an entry's owner can rename or remove it.
 * 3. The directory that holds the file is not writable by others at all,
 *    sticky or not: others could make the -wal or -shm there first.
 * 4. Writers only (WRITE and UPDATE): every directory is owned by the caller or root, or is
 *    group-shared: set-group-ID, group-writable, and of a group the caller
 *    is in (whose members trust each other with the breakers). Root is held to this
 *    too, so root never follows nor creates anything under a directory
 *    another user owns (a user's HOME under su or sudo -E): refused.
 * 5. The file is a regular file not writable by others; for writers it is
 *    the caller's, or root's file-owner is the directory's owner, or the
 *    group-shared setup applies (file of the directory's group).
 *
 * Readers (status, metrics, history, check) apply 1, 2, 3 and "regular file"
 * but not ownership: monitoring as another user is what they are for, and
 * they neither create nor write anything.
 *
 * Rules 2-4 leave only trusted users able to swap a name between this walk
 * and SQLite's open. statepath_recheck() compares the file SQLite reaches by
 * name with the one judged here, which catches a swap that happened anyway;
 * finding SQLite's own descriptor would need its private unixFile layout.
 */

#define MODE_BITS 07777

enum statepath_error statepath_judge_dir(const struct stat *st, uid_t caller, bool in_group,
					 bool holds_file, enum statepath_mode mode)
{
	bool shared = (st->st_mode & S_ISGID) && (st->st_mode & S_IWGRP) && in_group;

	if (!S_ISDIR(st->st_mode))
		return STATEPATH_NOT_DIR;
	if (holds_file && (st->st_mode & S_IWOTH))
		return STATEPATH_DIR_SHARED;
	if ((st->st_mode & S_IWOTH) && !(st->st_mode & S_ISVTX))
		return STATEPATH_DIR_OPEN;
	if (mode != STATEPATH_READ && st->st_uid != caller && st->st_uid != 0 && !shared)
		return STATEPATH_DIR_OWNER;
	return STATEPATH_OK;
}

enum statepath_error statepath_judge_file(const struct stat *st, const struct stat *dir,
					  uid_t caller, bool in_group, enum statepath_mode mode)
{
	bool shared = (dir->st_mode & S_ISGID) && st->st_gid == dir->st_gid && in_group;

	if (S_ISLNK(st->st_mode))
		return STATEPATH_SYMLINK;
	if (!S_ISREG(st->st_mode))
		return STATEPATH_NOT_REGULAR;
	if (st->st_mode & S_IWOTH)
		return STATEPATH_FILE_OPEN;
	if (mode != STATEPATH_READ && st->st_uid != caller &&
	    !(caller == 0 && st->st_uid == dir->st_uid) && !shared)
		return STATEPATH_FILE_OWNER;
	return STATEPATH_OK;
}

static bool caller_in_group(gid_t g)
{
	gid_t groups[256];
	int n;

	if (g == getegid())
		return true;
	n = getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

static int fail(struct statepath *sp, enum statepath_error e, const struct stat *st)
{
	sp->error = e;
	if (st) {
		sp->owner = st->st_uid;
		sp->mode = st->st_mode & MODE_BITS;
	}
	return -1;
}

static int fail_errno(struct statepath *sp)
{
	sp->sys_errno = errno;
	return fail(sp, STATEPATH_SYSTEM, NULL);
}

/* Appends a component to sp->where; false if the path is too long. */
static bool where_add(struct statepath *sp, const char *name)
{
	size_t n = strlen(sp->where);
	int w = snprintf(sp->where + n, sizeof(sp->where) - n, "%s%s",
			 n && sp->where[n - 1] == '/' ? "" : "/", name);

	return w >= 0 && (size_t)w < sizeof(sp->where) - n;
}

/* The directory name in cur: opened (made first if missing and allowed). */
static int open_dir(struct statepath *sp, int cur, const char *name, enum statepath_mode mode)
{
	uid_t me = geteuid();
	struct stat st;
	int fd;

	for (int tries = 0; tries < 3; tries++) {
		fd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			if (fstat(fd, &st) < 0) {
				close(fd);
				return fail_errno(sp);
			}
			enum statepath_error e = statepath_judge_dir(
				&st, me, caller_in_group(st.st_gid), false, mode);
			if (e != STATEPATH_OK) {
				close(fd);
				return fail(sp, e, &st);
			}
			return fd;
		}
		if (errno == ENOTDIR || errno == ELOOP) {
			if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				return fail(sp, STATEPATH_SYMLINK, &st);
			return fail(sp, STATEPATH_NOT_DIR, NULL);
		}
		if (errno != ENOENT)
			return fail_errno(sp);
		if (mode != STATEPATH_WRITE)
			return fail(sp, STATEPATH_MISSING, NULL);
		sp->op = STATEPATH_OP_MKDIR;
		if (mkdirat(cur, name, 0700) < 0) {
			if (errno == EEXIST)
				continue; /* made by someone else meanwhile: judge it */
			return fail_errno(sp);
		}
		/* The mode by descriptor, so that no name can be swapped between
		 * mkdir and chmod; 0700 whatever the umask. */
		fd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return fail_errno(sp);
		if (fstat(fd, &st) < 0 || fchmod(fd, 0700) < 0) {
			close(fd);
			return fail_errno(sp);
		}
		if (st.st_uid != me) {
			close(fd);
			return fail(sp, STATEPATH_DIR_OWNER, &st);
		}
		return fd;
	}
	return fail(sp, STATEPATH_CHANGED, NULL);
}

/* SQLite's companions of the file: if present they must be plain files of the
 * file's owner, or SQLite would follow or trust what someone else put there.
 * In the group-shared setup (rule 5) any member's: the last connection to
 * close deletes -wal and -shm (sqlite3(1) does), and whichever member writes
 * next makes them anew, as its own. */
static int check_companions(struct statepath *sp, enum statepath_mode mode)
{
	static const char *const suffix[] = { "-wal", "-shm", "-journal" };
	char name[NAME_MAX + 16];
	size_t n = strlen(sp->where);
	gid_t g = sp->dir.st_gid;
	bool shared = (sp->dir.st_mode & S_ISGID) && (sp->dir.st_mode & S_IWGRP) &&
		      sp->st.st_gid == g && caller_in_group(g);
	struct stat st;

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", sp->base, suffix[i]);
		if (fstatat(sp->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		snprintf(sp->where + n, sizeof(sp->where) - n, "%s", suffix[i]);
		if (S_ISLNK(st.st_mode))
			return fail(sp, STATEPATH_SYMLINK, &st);
		if (!S_ISREG(st.st_mode))
			return fail(sp, STATEPATH_NOT_REGULAR, &st);
		if (mode != STATEPATH_READ && st.st_uid != sp->st.st_uid &&
		    !(shared && st.st_gid == g))
			return fail(sp, STATEPATH_FILE_OWNER, &st);
		sp->where[n] = '\0';
	}
	return 0;
}

static int open_file(struct statepath *sp, enum statepath_mode mode)
{
	bool shared = (sp->dir.st_mode & S_ISGID) && (sp->dir.st_mode & S_IWGRP);
	mode_t create_mode = shared ? 0660 : 0600;
	struct stat st;
	enum statepath_error e;

	for (int tries = 0; tries < 3; tries++) {
		if (fstatat(sp->dirfd, sp->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return fail_errno(sp);
			if (mode != STATEPATH_WRITE)
				return fail(sp, STATEPATH_MISSING, NULL);
			sp->op = STATEPATH_OP_CREATE;
			sp->fd = openat(sp->dirfd, sp->base,
					O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
						O_NOCTTY,
					create_mode);
			if (sp->fd < 0) {
				if (errno == EEXIST)
					continue;
				return fail_errno(sp);
			}
			if (fchmod(sp->fd, create_mode) < 0 || fstat(sp->fd, &sp->st) < 0)
				return fail_errno(sp);
			sp->created = true;
			return 0;
		}
		e = statepath_judge_file(&st, &sp->dir, geteuid(), caller_in_group(st.st_gid),
					 mode);
		if (e != STATEPATH_OK)
			return fail(sp, e, &st);
		/* O_NONBLOCK: never hang on a FIFO swapped in after the fstatat. */
		sp->fd = openat(sp->dirfd, sp->base,
				O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (sp->fd < 0) {
			if (errno == ENOENT)
				continue;
			if (errno == ELOOP)
				return fail(sp, STATEPATH_SYMLINK, NULL);
			return fail_errno(sp);
		}
		if (fstat(sp->fd, &sp->st) < 0)
			return fail_errno(sp);
		if (sp->st.st_dev != st.st_dev || sp->st.st_ino != st.st_ino)
			return fail(sp, STATEPATH_CHANGED, NULL);
		return 0;
	}
	return fail(sp, STATEPATH_CHANGED, NULL);
}

int statepath_open(const char *path, enum statepath_mode mode, struct statepath *sp)
{
	char *copy = NULL, *p, *next, *cwd = NULL;
	struct stat st;
	int cur = -1, fd;
	int ret = -1;

	memset(sp, 0, sizeof(*sp));
	sp->dirfd = sp->fd = -1;
	sp->path = path;
	if (path[0] != '/') {
		if (!(cwd = getcwd(NULL, 0)))
			return fail_errno(sp);
		if (asprintf(&copy, "%s/%s", cwd, path) < 0)
			copy = NULL;
		free(cwd);
	} else {
		copy = strdup(path);
	}
	if (!copy)
		return fail_errno(sp);
	p = strrchr(copy, '/');
	if (!p[1]) {
		snprintf(sp->where, sizeof(sp->where), "%s", path);
		errno = EISDIR;
		fail_errno(sp);
		goto out;
	}
	sp->base = path + strlen(path) - strlen(p + 1);

	snprintf(sp->where, sizeof(sp->where), "/");
	if ((cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(cur, &st) < 0) {
		fail_errno(sp);
		goto out;
	}
	if ((sp->error = statepath_judge_dir(&st, geteuid(), caller_in_group(st.st_gid), false,
					     mode)) != STATEPATH_OK) {
		fail(sp, sp->error, &st);
		goto out;
	}
	/* Each directory after the first "/", up to the last "/". */
	for (char *name = copy + 1; name <= p; name = next + 1) {
		next = strchr(name, '/');
		*next = '\0';
		if (!*name || strcmp(name, ".") == 0)
			continue;
		if (!where_add(sp, name)) {
			errno = ENAMETOOLONG;
			fail_errno(sp);
			goto out;
		}
		if ((fd = open_dir(sp, cur, name, mode)) < 0)
			goto out;
		close(cur);
		cur = fd;
	}
	sp->dirfd = cur;
	cur = -1;
	/* Judged again as the file's directory, whichever name reached it ("." too). */
	if (fstat(sp->dirfd, &sp->dir) < 0) {
		fail_errno(sp);
		goto out;
	}
	if ((sp->error = statepath_judge_dir(&sp->dir, geteuid(), caller_in_group(sp->dir.st_gid),
					     true, mode)) != STATEPATH_OK) {
		fail(sp, sp->error, &sp->dir);
		goto out;
	}
	if (!where_add(sp, sp->base)) {
		errno = ENAMETOOLONG;
		fail_errno(sp);
		goto out;
	}
	if (open_file(sp, mode) < 0 || check_companions(sp, mode) < 0)
		goto out;
	ret = 0;
out:
	if (cur >= 0)
		close(cur);
	free(copy);
	return ret;
}

int statepath_recheck(struct statepath *sp)
{
	struct stat st;

	if (fstatat(sp->dirfd, sp->base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != sp->st.st_dev || st.st_ino != sp->st.st_ino)
		return fail(sp, STATEPATH_CHANGED, NULL);
	return 0;
}

void statepath_close(struct statepath *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	sp->fd = sp->dirfd = -1;
}

static void owner_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s (uid %u)", pw->pw_name, (unsigned)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

void statepath_describe(const struct statepath *sp, char *buf, size_t len)
{
	char who[128];
	/* The message starts with the path given: a refusal of that very name
	 * says "it" rather than the path a second time. */
	bool self = sp->path && strcmp(sp->where, sp->path) == 0;
	const char *w = self ? "it" : sp->where;

	owner_name(sp->owner, who, sizeof(who));
	switch (sp->error) {
	case STATEPATH_OK:
		snprintf(buf, len, "%s: no problem", sp->where);
		break;
	case STATEPATH_MISSING:
		/* The walk reached the file's directory: the file itself is what is
		 * missing, and the message already starts with its path. */
		if (sp->dirfd >= 0)
			snprintf(buf, len, "it does not exist yet (no call has written it)");
		else
			snprintf(buf, len, "%s does not exist", sp->where);
		break;
	case STATEPATH_SYMLINK:
		snprintf(buf, len,
			 "%s is a symbolic link; cbexec follows none on the state file's path: "
			 "give the real path",
			 w);
		break;
	case STATEPATH_NOT_DIR:
		snprintf(buf, len, "%s is not a directory", w);
		break;
	case STATEPATH_DIR_OPEN:
		snprintf(buf, len,
			 "%s is writable by every user and not sticky (mode %04o): anyone could "
			 "replace what lies below it; chmod o-w it or choose another path",
			 w, (unsigned)sp->mode);
		break;
	case STATEPATH_DIR_SHARED:
		snprintf(buf, len,
			 "%s is writable by every user (mode %04o), and SQLite makes the state "
			 "file's -wal and -shm there: keep the state file in a directory of its "
			 "own, such as ~/.local/state/cbexec",
			 w, (unsigned)sp->mode);
		break;
	case STATEPATH_DIR_OWNER:
		snprintf(buf, len,
			 "%s belongs to %s, not to you or root, who could redirect the state "
			 "file; use a path through your own directories (as root: run the job as "
			 "that user, or keep root's state under /var/lib)",
			 w, who);
		break;
	case STATEPATH_NOT_REGULAR:
		snprintf(buf, len, "%s is not a regular file; give the path of a state file", w);
		break;
	case STATEPATH_FILE_OWNER:
		snprintf(buf, len,
			 "%s belongs to %s, not to you: it may have been planted; remove it if "
			 "you do not know it, or share it through a group directory (see "
			 "SECURITY in cbexec(1))",
			 w, who);
		break;
	case STATEPATH_FILE_OPEN:
		snprintf(buf, len,
			 "%s is writable by every user (mode %04o): anyone could change the "
			 "breakers; chmod o-w it",
			 w, (unsigned)sp->mode);
		break;
	case STATEPATH_CHANGED:
		snprintf(buf, len, "%s was replaced while being opened; try again", w);
		break;
	case STATEPATH_SYSTEM:
		if (self)
			snprintf(buf, len, "%s%s",
				 sp->op == STATEPATH_OP_CREATE ? "cannot create the state file: "
							       : "",
				 strerror(sp->sys_errno));
		else
			snprintf(buf, len, "%s%s: %s",
				 sp->op == STATEPATH_OP_MKDIR	 ? "cannot create directory "
				 : sp->op == STATEPATH_OP_CREATE ? "cannot create the state file "
								 : "",
				 sp->where, strerror(sp->sys_errno));
		break;
	}
}
