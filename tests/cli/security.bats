#!/usr/bin/env bats
# The state file is trusted only where it is safe: path checks, read-only
# readers, hostile contents, monitoring as another user (cbexec(1) SECURITY).

bats_require_minimum_version 1.5.0

load helpers

B=cbexec-test-b # a second unprivileged user, made here when run as root
C=cbexec-test-c # a third, for the group-shared setup
G=cbexec-test-g

setup() {
	cbexec_setup
	# A directory every user may traverse: $BATS_TEST_TMPDIR's parents are private.
	base=$(mktemp -d /tmp/cbexec-security.XXXXXX)
	chmod 755 "$base"
}

teardown() {
	[ -n "${reader_pid:-}" ] && kill "$reader_pid" 2>/dev/null || true
	rm -rf "$base"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to act as a second user"
	getent group "$G" >/dev/null || groupadd -r "$G"
	getent passwd "$B" >/dev/null || useradd -M -r -N -g "$G" -s /usr/sbin/nologin "$B"
	getent passwd "$C" >/dev/null || useradd -M -r -N -g "$G" -s /usr/sbin/nologin "$C"
}

# as USER GROUP COMMAND...: run as another user, with no supplementary groups,
# and a configuration directory it may look into (the test's own is private).
as() {
	local u=$1 g=$2
	shift 2
	XDG_CONFIG_HOME="$base/xdg" setpriv --reuid="$u" --regid="$g" --clear-groups -- "$@"
}

# refused_but_runs PATH: a call on PATH warns once and still runs its command.
refused_but_runs() {
	run --separate-stderr "$CBEXEC" --db "$1" -n a -- echo ran
	echo "status $status; stdout $output; stderr $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "cbexec: warning: $1: "*"; running the command without the breaker" ]]
}

@test "a symbolic link on the path is refused, and nothing is made behind it" {
	mkdir "$base/real"
	ln -s real "$base/link"
	refused_but_runs "$base/link/sub/s.db"
	[[ "$stderr" == *"$base/link is a symbolic link"* ]]
	[ -z "$(ls -A "$base/real")" ]
	# The state file itself a link: the file it points to stays as it was.
	echo data >"$base/real/victim"
	ln -s real/victim "$base/s.db"
	refused_but_runs "$base/s.db"
	[[ "$stderr" == *"$base/s.db: it is a symbolic link"* ]]
	[ "$(cat "$base/real/victim")" = data ]
	[ "$(ls -A "$base/real")" = victim ]
	# on_store_error = fail: not run
	run --separate-stderr "$CBEXEC" --db "$base/s.db" --on-store-error fail -n a -- echo ran
	[ "$status" -eq 125 ]
	[ -z "$output" ]
}

@test "root follows no path another user controls" {
	need_root
	# B's directory in a sticky one, and B's link into a root-only directory.
	mkdir -m 700 "$base/private"
	mkdir -m 1777 "$base/tmp"
	mkdir "$base/tmp/cb"
	chown "$B" "$base/tmp/cb"
	as "$B" "$G" ln -s "$base/private" "$base/tmp/cb/x"
	refused_but_runs "$base/tmp/cb/x/y/s.db"
	[[ "$stderr" == *"$base/tmp/cb belongs to $B"* ]]
	[ -z "$(ls -A "$base/private")" ]
	# A directory of B's own, even without a link.
	refused_but_runs "$base/tmp/cb/y/s.db"
	[ "$(ls -A "$base/tmp/cb")" = x ]
	# A directory open to all without the sticky bit.
	mkdir -m 777 "$base/open"
	chmod 777 "$base/open"
	refused_but_runs "$base/open/d/s.db"
	[[ "$stderr" == *"$base/open is writable by every user and not sticky"* ]]
	[ -z "$(ls -A "$base/open")" ]
}

@test "a state file planted by another user is refused, with the owner named" {
	need_root
	"$CBEXEC" --db "$base/src/s.db" -n a -- true
	"$CBEXEC" trip --db "$base/src/s.db" --reason 'gone fishing' a 2>/dev/null
	sqlite3 "$base/src/s.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	# In a sticky world-writable directory (/tmp), as in the README of old.
	mkdir -m 1777 "$base/tmp"
	chmod 1777 "$base/tmp"
	cp "$base/src/s.db" "$base/tmp/s.db"
	chown "$B" "$base/tmp/s.db"
	chmod 666 "$base/tmp/s.db"
	refused_but_runs "$base/tmp/s.db"
	[[ "$stderr" == *"$base/tmp is writable by every user (mode 1777)"* ]]
	[[ "$stderr" != *"gone fishing"* ]]
	# In a directory of the caller's: the file's owner decides.
	mkdir -m 755 "$base/mine"
	cp "$base/src/s.db" "$base/mine/s.db"
	chown "$B" "$base/mine/s.db"
	chmod 644 "$base/mine/s.db"
	refused_but_runs "$base/mine/s.db"
	[[ "$stderr" == *"$base/mine/s.db: it belongs to $B (uid $(id -u "$B")), not to you"* ]]
	# The caller's own file, writable by all.
	chown root "$base/mine/s.db"
	chmod 666 "$base/mine/s.db"
	refused_but_runs "$base/mine/s.db"
	[[ "$stderr" == *"$base/mine/s.db: it is writable by every user (mode 0666)"* ]]
	# A -wal planted beside the caller's file.
	chmod 600 "$base/mine/s.db"
	touch "$base/mine/s.db-wal"
	chown "$B" "$base/mine/s.db-wal"
	refused_but_runs "$base/mine/s.db"
	[[ "$stderr" == *"$base/mine/s.db-wal belongs to $B"* ]]
}

@test "root with a user's HOME leaves nothing in it" {
	need_root
	mkdir -m 755 "$base/home"
	chown "$B" "$base/home"
	unset XDG_STATE_HOME
	HOME="$base/home" refused_but_runs "$base/home/.local/state/cbexec/breakers.db"
	run --separate-stderr env HOME="$base/home" "$CBEXEC" -n a -- echo ran
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[[ "$stderr" == *"$base/home belongs to $B"* ]]
	[ -z "$(ls -A "$base/home")" ]
	# The user's own calls then work as ever.
	run as "$B" "$G" env HOME="$base/home" "$CBEXEC" -n a -- true
	[ "$status" -eq 0 ]
	[ "$(stat -c %U "$base/home/.local/state/cbexec/breakers.db")" = "$B" ]
	[ "$(stat -c %a "$base/home/.local/state/cbexec")" = 700 ]
}

@test "a device node or a FIFO as --db: refused, nothing created" {
	if [ "$(id -u)" -eq 0 ]; then
		rm -f /dev/null-journal /dev/null-wal /dev/null-shm
	fi
	refused_but_runs /dev/null
	[[ "$stderr" == *"/dev/null: it is not a regular file"* ]]
	[ ! -e /dev/null-journal ]
	[ ! -e /dev/null-wal ]
	[ ! -e /dev/null-shm ]
	[ -c /dev/null ]
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	refused_but_runs "$BATS_TEST_TMPDIR/fifo"
	[[ "$stderr" == *"fifo: it is not a regular file"* ]]
	run --separate-stderr "$CBEXEC" status --db /dev/null
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"not a regular file"* ]]
}

@test "readers on a missing state file: status exits 3, nothing is created" {
	missing="$BATS_TEST_TMPDIR/nosuchdir/breakers.db"
	run --separate-stderr "$CBEXEC" status --db "$missing"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[[ "$stderr" == "cbexec: $missing: no state file: $BATS_TEST_TMPDIR/nosuchdir does not exist"* ]]
	run --separate-stderr "$CBEXEC" status --json --db "$missing" a
	[ "$status" -eq 3 ]
	run --separate-stderr "$CBEXEC" metrics --db "$missing"
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	run --separate-stderr "$CBEXEC" history --db "$missing" a
	[ "$status" -eq 125 ]
	run --separate-stderr "$CBEXEC" check --db "$missing" -n a
	[ "$status" -eq 0 ]
	run --separate-stderr "$CBEXEC" config a
	[ "$status" -eq 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/nosuchdir" ]
	# The default path, and the completion's listing of names.
	run --separate-stderr "$CBEXEC" status
	[ "$status" -eq 3 ]
	run --separate-stderr "$CBEXEC" status --names
	[ "$status" -eq 3 ]
	[ ! -e "$XDG_STATE_HOME" ]
	# A file that exists but holds nothing yet is not a state file to readers.
	mkdir "$BATS_TEST_TMPDIR/d"
	: >"$BATS_TEST_TMPDIR/d/empty.db"
	run --separate-stderr "$CBEXEC" status --db "$BATS_TEST_TMPDIR/d/empty.db"
	[ "$status" -eq 125 ]
	[ "$(ls -A "$BATS_TEST_TMPDIR/d")" = empty.db ]
	[ ! -s "$BATS_TEST_TMPDIR/d/empty.db" ]
}

@test "a reader that may read but not write: nobody runs every reader, and writes nothing" {
	need_root
	mkdir -m 755 "$base/ro"
	db="$base/ro/s.db"
	cb -n a -- false || true
	cb -n b -- true
	chmod 644 "$db" "$db-wal" "$db-shm"
	before=$(ls -l --time-style=full-iso "$base/ro"; sha256sum "$db" "$db-wal")
	run as nobody nogroup "$CBEXEC" status --db "$db"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "a "* ]]
	run as nobody nogroup "$CBEXEC" status --json --db "$db" a
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["total_failures"])')" -eq 1 ]
	run as nobody nogroup "$CBEXEC" metrics --db "$db"
	[ "$status" -eq 0 ]
	[[ "$output" == *'cbexec_calls_total{name="a"} 1'* ]]
	run as nobody nogroup "$CBEXEC" history --db "$db" a
	[ "$status" -eq 0 ]
	run as nobody nogroup "$CBEXEC" check --db "$db" -n a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# A writer that is not the owner is refused, and its command runs.
	run --separate-stderr as nobody nogroup "$CBEXEC" --db "$db" -n a -- echo ran
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[[ "$stderr" == *"$db: it belongs to root (uid 0), not to you"* ]]
	[ "$(ls -l --time-style=full-iso "$base/ro"; sha256sum "$db" "$db-wal")" = "$before" ]
	# Without a readable -shm and no right to make one, the message says what is needed.
	chmod 600 "$db-shm"
	run --separate-stderr as nobody nogroup "$CBEXEC" status --db "$db"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"needs its -wal and -shm to exist and be readable"* ]]
}

@test "group-shared: a 2770 directory of the group, a writer and a reader in it" {
	need_root
	mkdir "$base/shared"
	chgrp "$G" "$base/shared"
	chmod 2770 "$base/shared"
	db="$base/shared/s.db"
	run as "$B" "$G" "$CBEXEC" --db "$db" -n a -- false
	[ "$status" -eq 1 ]
	[ "$(stat -c '%a %U %G' "$db")" = "660 $B $G" ]
	[ "$(stat -c '%a %G' "$db-wal")" = "660 $G" ]
	[ "$(stat -c '%a %G' "$db-shm")" = "660 $G" ]
	# Another member writes to the file B made, and reads it.
	run as "$C" "$G" "$CBEXEC" record --db "$db" -n a failure
	[ "$status" -eq 0 ]
	run as "$C" "$G" "$CBEXEC" status --json --db "$db" a
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["consecutive_failures"])')" -eq 2 ]
	run as "$C" "$G" "$CBEXEC" metrics --db "$db"
	[ "$status" -eq 0 ]
	# Outside the group: nothing to read.
	run --separate-stderr as nobody nogroup "$CBEXEC" status --db "$db"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"Permission denied"* ]]
}

@test "group-shared: -wal and -shm made anew by another member do not lock the first out" {
	need_root
	mkdir "$base/shared"
	chgrp "$G" "$base/shared"
	chmod 2770 "$base/shared"
	db="$base/shared/s.db"
	as "$B" "$G" "$CBEXEC" --db "$db" -n a -- true
	# B's own sqlite3 is the last connection: its close deletes -wal and -shm,
	# and C's next call makes them, as C's.
	as "$B" "$G" sqlite3 "$db" 'select count(*) from breakers' >/dev/null
	[ ! -e "$db-wal" ]
	as "$C" "$G" "$CBEXEC" --db "$db" -n a -- true
	[ "$(stat -c '%U %G' "$db" "$db-wal" "$db-shm")" = "$B $G
$C $G
$C $G" ]
	run --separate-stderr as "$B" "$G" "$CBEXEC" --db "$db" -n a -- false
	echo "stderr: $stderr"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$(field a total_calls)" -eq 3 ]
	# A companion of another group is still another user's. (Root's reader
	# above gave -wal and -shm to the file's owner: SQLite does that for root.)
	chown "$C:nogroup" "$db-shm"
	run --separate-stderr as "$B" "$G" "$CBEXEC" --db "$db" -n a -- echo ran
	[ "$output" = ran ]
	[[ "$stderr" == *"$db-shm belongs to $C "*", not to you"* ]]
}

@test "a paused reader beside 300 calls: the WAL stays bounded" {
	# Enough breakers that status fills a pipe (64 KiB) and blocks writing it.
	names=$(printf 'b%04d ' $(seq 1000))
	sub trip $names 2>/dev/null
	mkfifo "$BATS_TEST_TMPDIR/pipe"
	exec 7<>"$BATS_TEST_TMPDIR/pipe" # held open, never read
	# 3>&-: bats waits for whatever holds its fd 3.
	"$CBEXEC" status --db "$db" >"$BATS_TEST_TMPDIR/pipe" 3>&- &
	reader_pid=$!
	for _ in $(seq 100); do
		[[ "$(cat /proc/$reader_pid/wchan 2>/dev/null)" == *pipe_write* ]] && break
		sleep 0.05
	done
	[[ "$(cat /proc/$reader_pid/wchan)" == *pipe_write* ]]
	for _ in $(seq 300); do
		"$CBEXEC" --db "$db" -n x -- true
	done
	size=$(stat -c %s "$db-wal")
	echo "WAL: $size bytes"
	[ "$size" -lt 1048576 ]
	kill "$reader_pid"
	reader_pid=
	exec 7>&-
}

@test "a WAL grown beside a held snapshot is cut back when it restarts" {
	cb -n x -- true
	mkfifo "$BATS_TEST_TMPDIR/sql"
	# sqlite3 holding a read transaction open until its input ends.
	sqlite3 "$db" <"$BATS_TEST_TMPDIR/sql" >/dev/null 3>&- &
	reader_pid=$!
	exec 8>"$BATS_TEST_TMPDIR/sql"
	echo "BEGIN; SELECT count(*) FROM breakers;" >&8
	echo ".system touch $BATS_TEST_TMPDIR/reading" >&8
	for _ in $(seq 100); do
		[ -e "$BATS_TEST_TMPDIR/reading" ] && break
		sleep 0.05
	done
	[ -e "$BATS_TEST_TMPDIR/reading" ]
	names=$(printf 'g%04d ' $(seq 400))
	sub trip $names 2>/dev/null
	grown=$(stat -c %s "$db-wal")
	echo "grown: $grown"
	[ "$grown" -gt 1048576 ]
	exec 8>&-
	wait "$reader_pid" || true
	reader_pid=
	for _ in $(seq 40); do
		"$CBEXEC" --db "$db" -n x -- true
	done
	size=$(stat -c %s "$db-wal")
	echo "after: $size"
	[ "$size" -le 1048576 ]
}

# edit SQL: a fresh copy of the pristine file with SQL applied to it.
edit() {
	rm -f "$db" "$db-wal" "$db-shm"
	cp "$BATS_TEST_TMPDIR/pristine.db" "$db"
	sqlite3 "$db" "$1"
}

pristine() {
	cb -n good -- true
	cb -n bad -- true
	# NOT NULL dropped from the schema, so that NULLs can be edited in too.
	sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	schema=$(sqlite3 "$db" "SELECT sql FROM sqlite_schema WHERE name = 'breakers'" |
		sed 's/ NOT NULL//g; s/CREATE TABLE breakers/CREATE TABLE b2/')
	sqlite3 "$db" "$schema; INSERT INTO b2 SELECT * FROM breakers; DROP TABLE breakers;
		ALTER TABLE b2 RENAME TO breakers; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	cp "$db" "$BATS_TEST_TMPDIR/pristine.db"
}

# sane: cbexec ended by itself (no sanitizer abort, no signal).
sane() {
	echo "status $status: $output; stderr: ${stderr:-}"
	[ "$status" -lt 126 ]
}

@test "hand-edited rows: named once, skipped by listings, calls run unprotected" {
	pristine
	for e in "state = 9" "state = -1" "mode = 3" "state = 'open'" "state = NULL" \
		"generation = -1" "generation = 9223372036854775807" \
		"consecutive_failures = -5" "consecutive_failures = 9223372036854775807" \
		"total_calls = -1" "total_calls = 'many'" "total_calls = 1.5" "total_calls = NULL" \
		"total_failures = -9223372036854775808" "retry_at = -9223372036854775808" \
		"open_period = 9223372036854775807" "state_changed_at = -1" "last_exit = 100000" \
		"last_failure_at = 'x'" "reason = X'FFFE'" "reason = CAST(X'FFFE' AS TEXT)" "reason = NULL" \
		"mode_reason = X'C0AF'" "window = 'text'" "recovery_timeout = -1" \
		"failure_threshold = 4294967296" "history_seq = -1"; do
		echo "edit: $e"
		edit "UPDATE breakers SET $e WHERE name = 'bad'"
		run --separate-stderr "$CBEXEC" --db "$db" -n bad -- echo ran
		sane
		[ "$status" -eq 0 ]
		[ "$output" = ran ]
		[[ "$stderr" == *"breaker bad: column "*"; running the command without the breaker" ]]
		[ "${#stderr_lines[@]}" -eq 1 ]
		run --separate-stderr "$CBEXEC" check --db "$db" -n bad
		sane
		[ "$status" -eq 0 ]
		for c in "record -n bad failure" "trip bad" "bypass bad" "reset bad" "history bad"; do
			run --separate-stderr "$CBEXEC" ${c%% *} --db "$db" ${c#* }
			sane
			[ "$status" -eq 125 ]
			[[ "$stderr" == *"breaker bad: column"* ]]
		done
		run --separate-stderr "$CBEXEC" status --db "$db"
		sane
		[ "$status" -eq 3 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ "${lines[1]}" == "good "* ]]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"breaker bad: column"*"; skipped" ]]
		run --separate-stderr "$CBEXEC" status --db "$db" bad good
		[ "$status" -eq 3 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ "${lines[1]}" == "good "* ]]
		run --separate-stderr "$CBEXEC" status --json --db "$db"
		[ "$status" -eq 3 ]
		[ "$(echo "$output" | "$PY" -c 'import json,sys; print([b["name"] for b in json.load(sys.stdin)])')" = "['good']" ]
		run --separate-stderr "$CBEXEC" metrics --db "$db"
		sane
		[ "$status" -eq 0 ]
		[[ "$output" == *'name="good"'* ]]
		[[ "$output" != *'name="bad"'* ]]
		[ -z "$(grep -E '^[^#].* -' <<<"$output")" ]
		run --separate-stderr "$CBEXEC" reset --all --db "$db"
		sane
		[ "$status" -eq 125 ]
		[[ "$stderr" == *"breaker bad: column"*"; skipped" ]]
		# The way out that the message names.
		run --separate-stderr "$CBEXEC" delete --db "$db" bad
		[ "$status" -eq 0 ]
		run "$CBEXEC" status --db "$db"
		[ "$status" -eq 0 ]
	done
}

@test "extreme values that are valid: no overflow anywhere, counters saturate" {
	pristine
	max=9223372036854775807
	for e in "total_calls = $max, total_failures = $max, total_successes = $max, total_opens = $max, total_rejected = $max, total_ignored = $max, total_timeouts = $max, total_slow = $max" \
		"consecutive_failures = 4294967295, consecutive_successes = 4294967295, failure_threshold = 4294967295" \
		"state = 1, retry_at = 506804601599998, open_period = 253402300799999, recovery_timeout = 253402300799999" \
		"state = 2, generation = 4611686018427380000, consecutive_successes = 4294967295" \
		"state = 1, retry_at = 0, state_changed_at = 253402300799999, last_failure_at = 253402300799999" \
		"history_seq = 4611686018427380000"; do
		echo "edit: $e"
		edit "UPDATE breakers SET $e WHERE name = 'bad'"
		for c in "--db $db -n bad -- true" "--db $db -n bad -- false" \
			"check --db $db -n bad" "record --db $db -n bad failure" \
			"record --db $db -n bad success" "status --db $db" "status --json --db $db" \
			"metrics --db $db" "history --db $db bad" "trip --db $db bad" \
			"bypass --db $db bad" "reset --db $db bad" "reset --all --db $db"; do
			run --separate-stderr "$CBEXEC" $c
			echo "cbexec $c"
			sane
			[[ "$stderr" != *"column"* ]]
		done
		run "$CBEXEC" metrics --db "$db"
		[ -z "$(grep -E '^[^#].* -' <<<"$output")" ]
	done
	edit "UPDATE breakers SET total_calls = $max WHERE name = 'bad'"
	cb -n bad -- true
	[ "$(field bad total_calls)" = "$max" ]
}

@test "control bytes from the state file are printed escaped" {
	cb -n a -- true
	sub trip --reason 'gone fishing' a 2>/dev/null
	sqlite3 "$db" "UPDATE breakers SET mode_reason = 'x' || char(27) || '[2J' WHERE name = 'a';
		UPDATE history SET reason = 'tripped' || char(27) || ']0;owned' || char(7) || char(10) || 'fake line' WHERE breaker = 'a'"
	run --separate-stderr cb -n a -- true
	[ "$status" -eq 75 ]
	[ "$stderr" = 'cbexec: a: circuit tripped by hand (x\033[2J); open until cbexec reset' ]
	run --separate-stderr sub history a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'tripped\033]0;owned\a\nfake line' ]]
	[[ "$output" != *$'\033'* ]]
	# JSON escapes them its own way, and stays JSON.
	run sub status --json a
	[ "$(echo "$output" | "$PY" -c 'import json,sys; print(repr(json.load(sys.stdin)[0]["mode_reason"]))')" = "'x\\x1b[2J'" ]
	# Bytes that are not UTF-8 in the history: the JSON is still UTF-8.
	sqlite3 "$db" "UPDATE history SET reason = CAST(X'626164FFFE' AS TEXT) WHERE breaker = 'a'"
	run sub history --json a
	[ "$status" -eq 0 ]
	echo "$output" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))[0]["reason"])'
	run sub history a
	[[ "$output" == *'bad\377\376' ]]
}

@test "--reason must be valid UTF-8 without control characters" {
	for cmd in trip bypass; do
		run --separate-stderr sub $cmd --reason $'bad\xff\xfe' a
		[ "$status" -eq 125 ]
		[[ "$stderr" == *"--reason is not valid UTF-8"* ]]
		run --separate-stderr sub $cmd --reason $'a\e[31mred' a
		[ "$status" -eq 125 ]
		[[ "$stderr" == *"--reason contains a control character"* ]]
		run --separate-stderr sub $cmd --reason $'a\u0085b' a
		[ "$status" -eq 125 ]
	done
	[ ! -e "$db" ]
	run sub trip --reason 'café ✓' a
	[ "$status" -eq 0 ]
	[ "$(field a mode_reason)" = 'café ✓' ]
	sub status --json | "$PY" -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))'
}
