/* Unit tests for the state path rules (statepath.c's judges) and for escape.c. */
#include <string.h>
#include <sys/stat.h>

#include "escape.h"
#include "statepath.h"
#include "tap.h"

static struct stat dir_of(uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_uid = uid;
	st.st_gid = gid;
	st.st_mode = S_IFDIR | mode;
	return st;
}

static struct stat file_of(uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st = dir_of(uid, gid, mode);

	st.st_mode = S_IFREG | mode;
	return st;
}

static void test_dirs(void)
{
	struct stat d;

	d = dir_of(0, 0, 0755);
	ok(statepath_judge_dir(&d, 1000, false, false, STATEPATH_WRITE) == STATEPATH_OK,
	   "root's 0755 directory: fine for anyone");
	d = dir_of(1000, 1000, 0700);
	ok(statepath_judge_dir(&d, 1000, false, true, STATEPATH_WRITE) == STATEPATH_OK,
	   "the caller's own directory");
	d = dir_of(0, 0, 01777);
	ok(statepath_judge_dir(&d, 1000, false, false, STATEPATH_WRITE) == STATEPATH_OK,
	   "sticky /tmp on the way");
	ok(statepath_judge_dir(&d, 1000, false, true, STATEPATH_WRITE) == STATEPATH_DIR_SHARED,
	   "sticky /tmp as the file's directory: refused");
	ok(statepath_judge_dir(&d, 1000, false, true, STATEPATH_READ) == STATEPATH_DIR_SHARED,
	   "... for readers too");
	d = dir_of(0, 0, 0777);
	ok(statepath_judge_dir(&d, 1000, false, false, STATEPATH_READ) == STATEPATH_DIR_OPEN,
	   "0777 without sticky bit on the way: refused, even to readers");
	d = dir_of(1001, 1001, 0755);
	ok(statepath_judge_dir(&d, 1000, false, false, STATEPATH_WRITE) == STATEPATH_DIR_OWNER,
	   "another user's directory: refused to writers");
	ok(statepath_judge_dir(&d, 0, false, false, STATEPATH_WRITE) == STATEPATH_DIR_OWNER,
	   "... and to root (a user's HOME under sudo -E)");
	ok(statepath_judge_dir(&d, 1000, false, false, STATEPATH_READ) == STATEPATH_OK,
	   "... but not to readers");
	ok(statepath_judge_dir(&d, 1000, false, false, STATEPATH_UPDATE) == STATEPATH_DIR_OWNER,
	   "... and to UPDATE, a writer that creates nothing");
	d = dir_of(1001, 50, 02770);
	ok(statepath_judge_dir(&d, 1000, true, true, STATEPATH_WRITE) == STATEPATH_OK,
	   "a 2770 group directory of the caller's group");
	ok(statepath_judge_dir(&d, 1000, false, true, STATEPATH_WRITE) == STATEPATH_DIR_OWNER,
	   "... not for a user outside the group");
	d = dir_of(1001, 50, 0770);
	ok(statepath_judge_dir(&d, 1000, true, true, STATEPATH_WRITE) == STATEPATH_DIR_OWNER,
	   "a group directory without the set-group-ID bit is not the shared setup");
	d = file_of(0, 0, 0644);
	ok(statepath_judge_dir(&d, 0, false, false, STATEPATH_READ) == STATEPATH_NOT_DIR,
	   "a file on the way");
}

static void test_files(void)
{
	struct stat d = dir_of(1000, 1000, 0700), f;
	struct stat g = dir_of(1001, 50, 02770);

	f = file_of(1000, 1000, 0600);
	ok(statepath_judge_file(&f, &d, 1000, false, STATEPATH_WRITE) == STATEPATH_OK,
	   "the caller's 0600 file");
	f = file_of(1000, 1000, 0666);
	ok(statepath_judge_file(&f, &d, 1000, false, STATEPATH_WRITE) == STATEPATH_FILE_OPEN,
	   "writable by others: refused");
	ok(statepath_judge_file(&f, &d, 1000, false, STATEPATH_READ) == STATEPATH_FILE_OPEN,
	   "... to readers too");
	f = file_of(1001, 1001, 0644);
	ok(statepath_judge_file(&f, &d, 1000, false, STATEPATH_WRITE) == STATEPATH_FILE_OWNER,
	   "another user's file: refused to writers");
	ok(statepath_judge_file(&f, &d, 1000, false, STATEPATH_READ) == STATEPATH_OK,
	   "... not to readers");
	ok(statepath_judge_file(&f, &d, 1000, false, STATEPATH_UPDATE) == STATEPATH_FILE_OWNER,
	   "... but to UPDATE (reset, delete): it writes");
	f = file_of(1000, 1000, 0600);
	ok(statepath_judge_file(&f, &d, 0, false, STATEPATH_WRITE) == STATEPATH_OK,
	   "root on a file owned by its directory's owner");
	f = file_of(1001, 1001, 0600);
	ok(statepath_judge_file(&f, &d, 0, false, STATEPATH_WRITE) == STATEPATH_FILE_OWNER,
	   "root on a file owned by someone else than its directory's owner");
	f = file_of(1001, 50, 0660);
	ok(statepath_judge_file(&f, &g, 1000, true, STATEPATH_WRITE) == STATEPATH_OK,
	   "a group member on the shared file");
	f = file_of(1001, 51, 0660);
	ok(statepath_judge_file(&f, &g, 1000, true, STATEPATH_WRITE) == STATEPATH_FILE_OWNER,
	   "a file of another group in the shared directory");
	f = file_of(0, 0, 0666);
	f.st_mode = S_IFCHR | 0666;
	ok(statepath_judge_file(&f, &d, 0, false, STATEPATH_WRITE) == STATEPATH_NOT_REGULAR,
	   "a device node");
	f.st_mode = S_IFLNK | 0777;
	ok(statepath_judge_file(&f, &d, 0, false, STATEPATH_READ) == STATEPATH_SYMLINK,
	   "a symbolic link");
}

static void test_escape(void)
{
	char out[ESCAPE_SIZE(64)];

	ok(strcmp(escape_text("plain text", out, sizeof(out)), "plain text") == 0, "plain text");
	ok(strcmp(escape_text("a\033[31mb", out, sizeof(out)), "a\\033[31mb") == 0,
	   "an escape sequence: ESC escaped");
	ok(strcmp(escape_text("a\nb\tc\\", out, sizeof(out)), "a\\nb\\tc\\\\") == 0,
	   "newline, tab, backslash");
	ok(strcmp(escape_text("caf\xc3\xa9", out, sizeof(out)), "caf\xc3\xa9") == 0, "UTF-8 kept");
	ok(strcmp(escape_text("x\xff\xfe", out, sizeof(out)), "x\\377\\376") == 0,
	   "bytes that are not UTF-8 escaped");
	ok(strcmp(escape_text("\xc2\x9b", out, sizeof(out)), "\\302\\233") == 0,
	   "a C1 control (CSI) escaped");
	ok(strcmp(escape_text("\x7f", out, sizeof(out)), "\\177") == 0, "DEL escaped");
	ok(strcmp(escape_text("abc\033", out, 5), "abc") == 0, "cut at a whole escape");

	ok(text_utf8_valid("caf\xc3\xa9"), "valid UTF-8");
	ok(!text_utf8_valid("bad\xff\xfe"), "0xff is never UTF-8");
	ok(!text_utf8_valid("\xc0\xaf"), "an overlong form");
	ok(!text_utf8_valid("\xed\xa0\x80"), "a surrogate");
	ok(!text_utf8_valid("\xf4\x90\x80\x80"), "past U+10FFFF");
	ok(!text_utf8_valid("\xe2\x82"), "a cut sequence");
	ok(text_has_control("a\x1b"), "ESC is a control");
	ok(text_has_control("\xc2\x85"), "NEL is a control");
	ok(!text_has_control("gone fishing \xe2\x9c\x93"), "no control");
	ok(text_utf8_repair("a\xff"
			    "b",
			    3, out) == 5 &&
		   strcmp(out, "a\xef\xbf\xbd"
			       "b") == 0,
	   "repair: U+FFFD for a stray byte");
}

int main(void)
{
	test_dirs();
	test_files();
	test_escape();
	return tap_done();
}
