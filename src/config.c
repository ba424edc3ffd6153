/* Configuration files (libinih): which files, which sections apply, where each value came from. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "xmalloc.h"

/*
 * How a configuration is read:
 *
 * 1. Each file is opened once and checked on the open descriptor (regular file,
 *    owned by root or us, not writable by group or others), so it cannot be swapped
 *    between the check and the read.
 * 2. It is parsed once into a list of entries (section, setting, value, origin).
 *    Every entry is validated as it is read, whatever its section, by applying it
 *    to a scratch struct options: a typo under [some-other-breaker] is caught
 *    today, not on the day that breaker first runs. Every error in every file is
 *    reported before config_load() gives up.
 * 3. Only if there was no error at all are the entries applied, level by level
 *    over all files: [defaults], then the globs matching the name, then [NAME];
 *    within a level, in file order, so a later file or a later line wins.
 *
 * libinih as shipped by Debian (55) is built with INI_HANDLER_LINENO 0, a line
 * buffer of 200 bytes, sections cut at 49 characters and at the first ']', and
 * multi-line continuation on. Rather than patch around it with its runtime knobs
 * (a Debian addition: upstream builds have compile-time constants, so relying on
 * them would not build elsewhere), our reader function (line_read) sees every line
 * first, whole, and decides what inih is shown:
 *   - a "key = value" line, without its indentation, when it fits inih's buffer;
 *   - a stand-in "\x01=\x01" for one that does not (a hook with a webhook URL is
 *     easily 300 characters), its key and value kept aside, split the way inih
 *     would have split it;
 *   - an empty line for everything else: blank lines, comments, section headers
 *     (tracked here, whole, so [a-very-long-breaker-name] and [api-[0-9]*] work)
 *     and lines refused with a message.
 * inih therefore never sees a cut line, never sees an indented line (so never
 * continues a value), and calls the handler synchronously for the line just read,
 * so the reader's line count is the handler's line number.
 */

/* Files, in the order their values are applied. */
#define SYSTEM_CONFIG "/etc/cbexec.conf"
/* Longer lines are refused: no setting needs more, and it bounds what one line costs. */
#define LINE_MAX_LEN  65536
/* Binary junk would otherwise print an error for every line it has. */
#define ERRORS_SHOWN  50
/* Keys, sections and values quoted in messages are cut to this many bytes. */
#define QUOTE_MAX     60

enum section_kind {
	SEC_INVALID, /* reported; its entries are validated but never applied */
	SEC_DEFAULTS,
	SEC_GLOB,
	SEC_NAME,
};

struct entry {
	enum section_kind kind;
	char *section; /* the glob or the name; owned */
	const struct setting *setting;
	char *value;  /* owned */
	char *origin; /* "FILE:LINE", owned */
};

struct config {
	struct entry *v;
	size_t n, cap;
	int errors;
	struct options scratch; /* values are validated by storing them here */
};

/* The state of one file being read; line_read() and pair_found() share it. */
struct reader {
	struct config *c;
	FILE *f;
	const char *label;
	char *buf; /* the line just read, by getline */
	size_t bufcap;
	int lineno;
	int errors, hidden; /* errors in this file; how many were not printed */
	char *section;	    /* the current section, owned; NULL before the first */
	enum section_kind kind;
	char *prev_key; /* the last key in this section, owned: inih would continue it */
	/* The key line just read, split as inih splits it; name and value point into buf. */
	bool pair, stand_in;
	const char *name, *value;
};

static void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	options_init(&c->scratch);
}

static void config_free(struct config *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].section);
		free(c->v[i].value);
		free(c->v[i].origin);
	}
	free(c->v);
	options_free(&c->scratch);
}

/* s in double quotes for a message, cut after QUOTE_MAX bytes (control bytes never get this far).
 */
static const char *quoted(const char *s, char *buf, size_t len)
{
	size_t n = strnlen(s, QUOTE_MAX + 1);

	if (n > QUOTE_MAX)
		snprintf(buf, len, "\"%.*s...\"", QUOTE_MAX, s);
	else
		snprintf(buf, len, "\"%s\"", s);
	return buf;
}

/* "cbexec: FILE:LINE: message", counted; after ERRORS_SHOWN in one file only counted. */
__attribute__((format(printf, 2, 3))) static void line_error(struct reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	r->c->errors++;
	if (++r->errors > ERRORS_SHOWN) {
		r->hidden++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s:%d: %s", r->label, r->lineno, msg);
}

static bool name_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == ':' || ch == '-';
}

/*
 * A glob can match some breaker name: name characters, * and ?, and [...] classes
 * of name characters (negated by a leading !). A stray ] or !, or a [ left open,
 * is refused rather than left to fnmatch(3), which would take it literally and
 * so silently match nothing.
 */
static int glob_check(const char *s, const char **why)
{
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (name_char(ch) || ch == '*' || ch == '?')
			continue;
		if (ch == ']') {
			*why = "has a ] without an opening [";
			return -1;
		}
		if (ch == '!') {
			*why = "has a ! outside [...] (it negates a class: [!0-9])";
			return -1;
		}
		if (ch != '[') {
			*why = "contains a character other than A-Z a-z 0-9 . _ : - and * ? [ ] !";
			return -1;
		}
		size_t j = i + 1;

		if (s[j] == '!')
			j++;
		if (s[j] == ']') {
			*why = "has an empty [ ]";
			return -1;
		}
		for (; s[j] != ']'; j++) {
			if (s[j] == '\0') {
				*why = "has a [ without a closing ]";
				return -1;
			}
			if (!name_char((unsigned char)s[j])) {
				*why = "has a character other than A-Z a-z 0-9 . _ : - inside "
				       "[...]";
				return -1;
			}
		}
		i = j;
	}
	return 0;
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* What kind of section s is, or SEC_INVALID with *why set. */
static enum section_kind section_classify(const char *s, const char **why)
{
	enum parse_err perr;

	if (strcmp(s, "defaults") == 0)
		return SEC_DEFAULTS;
	if (is_glob(s))
		return glob_check(s, why) < 0 ? SEC_INVALID : SEC_GLOB;
	if (name_check(s, &perr) < 0) {
		*why = parse_strerror(perr);
		return SEC_INVALID;
	}
	return SEC_NAME;
}

/* inih's whitespace, less the control characters line_read() has already refused. */
static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static char *rstrip(char *s)
{
	char *p = s + strlen(s);

	while (p > s && blank(p[-1]))
		*--p = '\0';
	return s;
}

static char *lskip(char *s)
{
	while (blank(*s))
		s++;
	return s;
}

/*
 * inih's find_chars_or_comment(): the first of chars (if any), or the start of
 * an inline comment, a ';' right after whitespace; else the terminating NUL.
 */
static char *find_chars_or_comment(char *s, const char *chars)
{
	bool was_space = false;

	while (*s != '\0' && !(chars != NULL && strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = blank(*s);
		s++;
	}
	return s;
}

/*
 * Splits "name = value ; comment" in place exactly as inih does: the name ends
 * at the first '=' or ':', the value loses an inline comment and its surrounding
 * whitespace. Returns false if there is no '=' or ':' before a comment.
 */
static bool pair_split(char *s, const char **name, const char **value)
{
	char *end = find_chars_or_comment(s, "=:");
	char *v;

	if (*end != '=' && *end != ':')
		return false;
	*end = '\0';
	*name = rstrip(s);
	v = end + 1;
	*find_chars_or_comment(v, NULL) = '\0';
	*value = rstrip(lskip(v));
	return true;
}

/* A "[section]" line, s starting at the '['. */
static void section_start(struct reader *r, char *s)
{
	char q[QUOTE_MAX + 8];
	const char *why = NULL;
	char *end;

	/* To the last ']', not the first as inih does, so that [api-[0-9]*] is one glob. */
	*find_chars_or_comment(s, NULL) = '\0';
	rstrip(s);
	end = strrchr(s, ']');
	free(r->section);
	free(r->prev_key);
	r->prev_key = NULL;
	/* Until the header is right, what follows is checked but never applied. */
	r->section = xstrdup("");
	r->kind = SEC_INVALID;
	if (end == NULL) {
		line_error(r, "section header has no closing ]");
		return;
	}
	if (end[1] != '\0') {
		line_error(r, "text after the ] of a section header");
		return;
	}
	*end = '\0';
	free(r->section);
	r->section = xstrdup(s + 1);
	r->kind = section_classify(r->section, &why);
	if (r->kind == SEC_INVALID)
		line_error(r,
			   "invalid section name %s: %s (sections are [defaults], [NAME] and "
			   "globs like [api-*])",
			   quoted(r->section, q, sizeof(q)), why);
}

/* A setting read from key = value in the current section: validated now, kept for later. */
static void entry_add(struct reader *r, const char *key, const char *value)
{
	const struct setting *s = setting_find(key), *near;
	char q[QUOTE_MAX + 8], msg[256];
	struct config *c = r->c;
	char *origin;

	if (s == NULL) {
		if ((near = setting_closest(key)) != NULL)
			line_error(r, "unknown key %s (did you mean \"%s\"?)",
				   quoted(key, q, sizeof(q)), near->key);
		else
			line_error(r, "unknown key %s", quoted(key, q, sizeof(q)));
		return;
	}
	origin = xasprintf("%s:%d", r->label, r->lineno);
	if (options_set(&c->scratch, s, value, origin, msg, sizeof(msg)) < 0) {
		line_error(r, "%s: %s", s->key, msg);
		free(origin);
		return;
	}
	if (r->kind == SEC_INVALID) {
		free(origin);
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n++] = (struct entry){ r->kind, xstrdup(r->section), s, xstrdup(value), origin };
}

/*
 * Decides what inih is shown of the line in r->buf (len bytes from getline):
 * writes it to str (num bytes, inih's buffer), newline included, and sets
 * r->pair when it is a key line whose handler call comes next.
 */
static void line_take(struct reader *r, size_t len, char *str, size_t num)
{
	char *line = r->buf, *start;
	const char *name, *value;
	char q[QUOTE_MAX + 8];

	strcpy(str, "\n");
	if (len > LINE_MAX_LEN) {
		line_error(r, "line is longer than %d characters", LINE_MAX_LEN);
		return;
	}
	if (memchr(line, '\0', len) != NULL) {
		line_error(r, "line contains a NUL byte; is this a text file?");
		return;
	}
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	/* A UTF-8 byte order mark, as inih allows. */
	if (r->lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	/*
	 * Control bytes are junk in a file of keys, numbers and shell commands, and
	 * refusing them here means that no value can forge the stand-in below, nor
	 * put escape sequences into our messages. A tab is whitespace.
	 */
	for (const char *p = line; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			line_error(r, "line contains the control character 0x%02x", ch);
			return;
		}
	}
	start = lskip(rstrip(line));
	if (*start == '\0' || *start == ';' || *start == '#')
		return;

	/*
	 * inih takes an indented line after a key as more of that key's value and
	 * calls the handler again with the same key, which looks just like the key
	 * written twice. Joining lines has no good meaning for a shell command (a
	 * newline separates commands), so continuation is refused. An indented line
	 * that is a setting of its own is taken as one: indenting keys is common.
	 */
	bool continues = start > line && r->prev_key != NULL;

	if (*start == '[' && !continues) {
		section_start(r, start);
		return;
	}

	/* Copied before pair_split() cuts start up; inih is shown the line as written. */
	size_t n = strlen(start);
	bool fits = n + 2 <= num;

	if (fits) {
		memcpy(str, start, n);
		memcpy(str + n, "\n", 2);
	}
	if (!pair_split(start, &name, &value) || (continues && setting_find(name) == NULL)) {
		strcpy(str, "\n");
		if (continues)
			line_error(r,
				   "indented line would continue the value of %s; multi-line "
				   "values are not supported (write the value on one line)",
				   quoted(r->prev_key, q, sizeof(q)));
		else
			line_error(r,
				   "syntax error: expected KEY = VALUE, [SECTION] or a ; comment");
		return;
	}
	if (r->section == NULL) {
		strcpy(str, "\n");
		line_error(r, "%s is set outside a section (put it under [defaults] or [NAME])",
			   quoted(name, q, sizeof(q)));
		return;
	}
	r->pair = true;
	r->name = name;
	r->value = value;
	free(r->prev_key);
	r->prev_key = name[0] != '\0' ? xstrdup(name) : NULL; /* as inih's prev_name */
	if (!fits) {
		/* The handler takes name and value from r; \x01 cannot come from the file. */
		r->stand_in = true;
		strcpy(str, "\x01=\x01\n");
	}
}

/* The ini_reader: one whole line per call, so inih's line count is ours. */
static char *line_read(char *str, int num, void *stream)
{
	struct reader *r = stream;
	ssize_t len;

	r->pair = r->stand_in = false;
	/* Room for the stand-in; every inih build offers at least 200. */
	if (num < 8)
		return NULL;
	len = getline(&r->buf, &r->bufcap, r->f);
	if (len < 0) {
		if (ferror(r->f)) {
			warn("%s", r->label);
			r->c->errors++;
		}
		return NULL;
	}
	r->lineno++;
	line_take(r, (size_t)len, str, (size_t)num);
	return str;
}

/* inih's handler, for the key line line_read() has just read and split. */
#if INI_HANDLER_LINENO
static int pair_found(void *user, const char *section, const char *name, const char *value,
		      int lineno)
#else
static int pair_found(void *user, const char *section, const char *name, const char *value)
#endif
{
	struct reader *r = user;

#if INI_HANDLER_LINENO
	(void)lineno; /* the same as r->lineno */
#endif
	/* Always "": section headers are tracked by the reader, whole. */
	(void)section;
	if (!r->pair) {
		/* Cannot happen: inih is shown no line it could continue or misread. */
		line_error(r, "cannot parse this line");
		return 1;
	}
	r->pair = false;
	if (r->stand_in) {
		name = r->name;
		value = r->value;
	}
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* The fuzzer checks that long lines are split exactly as inih splits short ones. */
	else if (strcmp(name, r->name) != 0 || strcmp(value, r->value) != 0)
		abort();
#endif
	entry_add(r, name, value);
	/* Errors are reported and counted as they are found; inih need not stop. */
	return 1;
}

/* Reads one file's entries into c, reporting every problem it has. */
static void config_parse(struct config *c, FILE *f, const char *label)
{
	struct reader r = { .c = c, .f = f, .label = label };
	int ret = ini_parse_stream(line_read, &r, pair_found, &r);

	if (ret > 0) {
		/* Nothing inih is shown should fail; if it does, say where. */
		r.lineno = ret;
		line_error(&r, "syntax error");
	} else if (ret < 0) {
		warnx("%s: cannot parse: out of memory", label);
		c->errors++;
	}
	if (r.hidden > 0)
		warnx("%s: %d more errors not shown", label, r.hidden);
	free(r.buf);
	free(r.section);
	free(r.prev_key);
}

/*
 * Opens a configuration file and checks it on the open descriptor, so that
 * what is checked is what is read. NULL if it cannot be used (reported, and
 * counted as an error) or, when !must_exist, if it is not there (not an error)
 * or we may not read it (a warning).
 */
static FILE *config_open(struct config *c, const char *path, bool must_exist)
{
	struct stat st;
	int fd, bad = 0;
	FILE *f;

	/* O_NONBLOCK: a FIFO named by --config must not hang open(); regular files ignore it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (!must_exist && (errno == ENOENT || errno == ENOTDIR))
			return NULL;
		/* A default file we may not read is someone else's: a job run as
		 * nobody with root's HOME, or a 0600 /etc/cbexec.conf. Stopping
		 * the job for it would let a file we cannot even see break it.
		 * A file named by --config or CBEXEC_CONFIG was meant to be read. */
		if (!must_exist && errno == EACCES) {
			struct stat seen;

			/* Said only of a file that is there: behind a directory we
			 * may not search (nobody's job with root's HOME) there may be
			 * none, and a warning at every call of a cron job is mail. */
			if (stat(path, &seen) == 0)
				warnx("warning: %s: %s; going on without its settings", path,
				      strerror(EACCES));
			return NULL;
		}
		warn("%s", path);
		c->errors++;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		warn("%s", path);
		bad = 1;
	} else if (!S_ISREG(st.st_mode)) {
		warnx("%s: %s", path,
		      S_ISDIR(st.st_mode) ? "is a directory, not a file" : "is not a regular file");
		bad = 1;
	} else {
		/* Settings name commands to run: whoever can change the file can run them as us. */
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			warnx("%s: owned by uid %ju, not by you or root", path,
			      (uintmax_t)st.st_uid);
			bad = 1;
		}
		if (st.st_mode & (S_IWGRP | S_IWOTH)) {
			warnx("%s: writable by group or others; run chmod go-w %s", path, path);
			bad = 1;
		}
	}
	if (bad || (f = fdopen(fd, "r")) == NULL) {
		if (!bad)
			warn("%s", path);
		close(fd);
		c->errors++;
		return NULL;
	}
	return f;
}

static void config_read_file(struct config *c, const char *path, bool must_exist)
{
	FILE *f = config_open(c, path, must_exist);

	if (f == NULL)
		return;
	config_parse(c, f, path);
	fclose(f);
}

/* $XDG_CONFIG_HOME/cbexec/config.ini, else ~/.config/cbexec/config.ini; NULL if neither. */
static char *config_user_path(void)
{
	const char *env;

	/* The XDG spec says to ignore a relative XDG_CONFIG_HOME. */
	if ((env = getenv("XDG_CONFIG_HOME")) && *env == '/')
		return xasprintf("%s/cbexec/config.ini", env);
	if ((env = getenv("HOME")) && *env)
		return xasprintf("%s/.config/cbexec/config.ini", env);
	return NULL;
}

static int apply_level(const struct config *c, struct options *o, const char *name,
		       enum section_kind kind)
{
	char msg[256];

	for (size_t i = 0; i < c->n; i++) {
		const struct entry *e = &c->v[i];

		if (e->kind != kind)
			continue;
		if (kind == SEC_GLOB && fnmatch(e->section, name, 0) != 0)
			continue;
		if (kind == SEC_NAME && strcmp(e->section, name) != 0)
			continue;
		/* It was valid in the scratch options, so only memory can fail here. */
		if (options_set(o, e->setting, e->value, e->origin, msg, sizeof(msg)) < 0) {
			warnx("%s: %s: %s", e->origin, e->setting->key, msg);
			return -1;
		}
	}
	return 0;
}

/* [defaults], then matching globs, then [NAME]: each level over all files in order. */
static int config_apply(const struct config *c, struct options *o, const char *name)
{
	if (apply_level(c, o, name, SEC_DEFAULTS) < 0)
		return -1;
	if (name == NULL)
		return 0;
	if (apply_level(c, o, name, SEC_GLOB) < 0 || apply_level(c, o, name, SEC_NAME) < 0)
		return -1;
	return 0;
}

int config_load(struct options *o, const char *name, const char *explicit_path)
{
	struct config c;
	const char *env;
	int ret = -1;

	if ((explicit_path == NULL || *explicit_path == '\0') && (env = getenv("CBEXEC_CONFIG")) &&
	    *env)
		explicit_path = env;
	config_init(&c);
	if (explicit_path != NULL && *explicit_path != '\0') {
		config_read_file(&c, explicit_path, true);
	} else {
		char *user = config_user_path();

		config_read_file(&c, SYSTEM_CONFIG, false);
		if (user != NULL)
			config_read_file(&c, user, false);
		free(user);
	}
	if (c.errors == 0)
		ret = config_apply(&c, o, name);
	config_free(&c);
	return ret;
}

int config_parse_stream(FILE *f, const char *label, struct options *o, const char *name)
{
	struct config c;
	int ret = -1;

	config_init(&c);
	config_parse(&c, f, label);
	if (c.errors == 0)
		ret = config_apply(&c, o, name);
	config_free(&c);
	return ret;
}
