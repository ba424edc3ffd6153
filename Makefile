# cbexec: run a command under a circuit breaker kept in SQLite.
.SUFFIXES:

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WARN = -std=c17 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
DEPCFLAGS := $(shell $(PKG_CONFIG) --cflags sqlite3 inih)
SQLITE_LIBS := $(shell $(PKG_CONFIG) --libs sqlite3)
INIH_LIBS := $(shell $(PKG_CONFIG) --libs inih)

# STATIC=1, the fast build: libsqlite3.a and libinih.a (Debian's -dev packages
# have both) linked into cbexec, which then runs about 1 M fewer instructions
# a call, most of them the dynamic loader relocating libsqlite3.so at every
# start (bench/README.md). libc stays shared: the HOME fallback looks the user
# up with getpwuid(3), which needs NSS modules loaded at run time. Not the
# default: with the shared libraries, SQLite's security fixes reach cbexec
# through the distribution without a rebuild. SQLITE_STATIC=1 is the old
# name of the same build.
ifeq ($(SQLITE_STATIC),1)
STATIC = 1
endif
ifeq ($(STATIC),1)
DEPLIBS = -Wl,-Bstatic $(SQLITE_LIBS) $(INIH_LIBS) -Wl,-Bdynamic \
	$(filter-out $(SQLITE_LIBS) $(INIH_LIBS),$(shell $(PKG_CONFIG) --static --libs sqlite3 inih))
else
DEPLIBS = $(SQLITE_LIBS) $(INIH_LIBS)
endif

# Redis support (issue 17): built when pkg-config finds hiredis, unless
# REDIS=0. libhiredis.a is linked in whatever STATIC says: a shared libhiredis
# costs every call, the SQLite ones too, about 151 000 instructions of
# relocation at start (LESSONS.md), and static it costs nothing until used.
# Debian's libhiredis-dev has the archive.
ifndef REDIS
REDIS := $(shell $(PKG_CONFIG) --exists hiredis && echo 1 || echo 0)
endif
ifeq ($(REDIS),1)
ifneq ($(shell $(PKG_CONFIG) --exists hiredis && echo 1),1)
$(error REDIS=1, but pkg-config finds no hiredis: install libhiredis-dev, or build with REDIS=0)
endif
REDIS_CFLAGS := -DCBEXEC_REDIS $(shell $(PKG_CONFIG) --cflags hiredis)
REDIS_LIBS := -Wl,-Bstatic $(shell $(PKG_CONFIG) --libs hiredis) -Wl,-Bdynamic
endif

ifeq ($(SANITIZE),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ALL_CFLAGS = $(WARN) -D_GNU_SOURCE -DCBEXEC_VERSION='"$(VERSION)"' $(DEPCFLAGS) $(REDIS_CFLAGS) $(SANFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

SRC = $(wildcard src/*.c)
OBJ = $(SRC:.c=.o)
# Modules with no I/O (statepath: its judges), linked into the unit tests.
PURE = src/breaker.o src/window.o src/parse.o src/options.o src/suggest.o src/escape.o \
	src/statepath.o
# The Redis URL parser needs no hiredis (test_redis_url).
PURE += src/redis-url.o
UNIT = $(patsubst %.c,%,$(wildcard tests/unit/test_*.c))
FUZZ = $(patsubst %.c,%,$(wildcard tests/fuzz/fuzz_*.c))

all: cbexec

cbexec: $(OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJ) $(DEPLIBS) $(REDIS_LIBS) $(LDLIBS)

%.o: %.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c $(PURE) tests/unit/tap.h
	$(CC) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) -o $@ $< $(PURE) -lm $(LDLIBS)

test: cbexec $(UNIT)
	tests/run $(UNIT)

# libFuzzer targets; FUZZTIME seconds each. They link the parsers, the settings
# table, the configuration reader (which brings libinih with it) and the window
# decoder, and the Redis URL parser.
FUZZTIME ?= 30
FUZZSRC = src/parse.c src/options.c src/suggest.c src/config.c src/xmalloc.c src/window.c \
	src/redis-url.c
tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZSRC) $(wildcard src/*.h)
	clang -std=c17 -g -O1 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
		-fsanitize=fuzzer,address,undefined $(DEPCFLAGS) -Isrc \
		-o $@ $< $(FUZZSRC) $(INIH_LIBS) -lm

fuzz: $(FUZZ)
	tests/fuzz/run $(FUZZTIME) $(FUZZ)

bench: cbexec
	bench/run

# The style lives in src/ because the top level holds only what users need.
FORMATTED = src/*.c src/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c
format:
	clang-format --style=file:src/.clang-format -i $(FORMATTED)

# Fails on any file that `make format` would change; CI runs it.
format-check:
	clang-format --style=file:src/.clang-format --dry-run --Werror $(FORMATTED)

install: cbexec
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	cp -f cbexec $(DESTDIR)$(BINDIR)/cbexec
	chmod 755 $(DESTDIR)$(BINDIR)/cbexec
	cp -f man/cbexec.1 $(DESTDIR)$(MANDIR)/man1/cbexec.1
	cp -f man/cbexec.conf.5 $(DESTDIR)$(MANDIR)/man5/cbexec.conf.5
	cp -f completions/cbexec.bash $(DESTDIR)$(BASHCOMPDIR)/cbexec
	cp -f completions/_cbexec $(DESTDIR)$(ZSHCOMPDIR)/_cbexec
	cp -f completions/cbexec.fish $(DESTDIR)$(FISHCOMPDIR)/cbexec.fish
	chmod 644 $(DESTDIR)$(MANDIR)/man1/cbexec.1 $(DESTDIR)$(MANDIR)/man5/cbexec.conf.5 \
		$(DESTDIR)$(BASHCOMPDIR)/cbexec $(DESTDIR)$(ZSHCOMPDIR)/_cbexec \
		$(DESTDIR)$(FISHCOMPDIR)/cbexec.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cbexec $(DESTDIR)$(MANDIR)/man1/cbexec.1 \
		$(DESTDIR)$(MANDIR)/man5/cbexec.conf.5 $(DESTDIR)$(BASHCOMPDIR)/cbexec \
		$(DESTDIR)$(ZSHCOMPDIR)/_cbexec $(DESTDIR)$(FISHCOMPDIR)/cbexec.fish

clean:
	rm -f cbexec src/*.o src/*.d $(UNIT) $(FUZZ) tests/fuzz/*.d

.PHONY: all test fuzz bench format format-check install uninstall clean

-include $(SRC:.c=.d)
