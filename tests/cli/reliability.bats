#!/usr/bin/env bats
# Reliability (issue 7): many processes at once, SIGKILL at any moment, damaged
# or unusable state files, hostile input, and memory errors under valgrind.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cbexec_setup
	out="$BATS_TEST_TMPDIR/out"
	mkdir -p "$out"
}

# Undo what would keep bats from removing the test's directory.
teardown() {
	if [ -n "${mnt:-}" ]; then umount "$mnt" 2>/dev/null || true; fi
	if [ -n "${immutable:-}" ]; then chattr -i $immutable 2>/dev/null || true; fi
}

# outcome P I: the exit status of call I of process P, 0 or 3, fixed so that
# the totals are known: every third call (counted over all processes) fails.
outcome() { echo $(( ($1 * 1000 + $2) % 3 == 0 ? 3 : 0 )); }

# worker P N NAME ARGS...: N calls of NAME by process P; "expected actual"
# exit statuses to $out/rc.P, cbexec's stderr to $out/err.P.
worker() {
	local p=$1 n=$2 name=$3 i x rc
	shift 3
	for ((i = 0; i < n; i++)); do
		x=$(outcome "$p" "$i")
		rc=0
		cb -n "$name" "$@" -- sh -c "exit $x" 2>>"$out/err.$p" || rc=$?
		echo "$x $rc" >>"$out/rc.$p"
	done
}

# expected_failures P0 P1 N: failing calls of processes P0..P1, N calls each.
expected_failures() {
	local p i f=0
	for ((p = $1; p <= $2; p++)); do
		for ((i = 0; i < $3; i++)); do
			[ "$(outcome "$p" "$i")" -eq 0 ] || f=$((f + 1))
		done
	done
	echo "$f"
}

# no_lock_errors: no process said "locked" or "busy", and every one wrote its
# exit statuses.
no_lock_errors() {
	! grep -i -e locked -e busy "$out"/err.* /dev/null
}

@test "24 processes x 25 calls on one breaker: exact totals, statuses pass through" {
	local p
	for ((p = 0; p < 24; p++)); do
		worker "$p" 25 shared -f 100000 &
	done
	wait
	fails=$(expected_failures 0 23 25)
	[ "$fails" -gt 0 ]
	[ "$(cat "$out"/rc.* | wc -l)" -eq 600 ]
	# Every call ran and its status came back unchanged.
	[ "$(awk '$1 != $2' "$out"/rc.* | wc -l)" -eq 0 ]
	[ "$(field shared total_calls)" -eq 600 ]
	[ "$(field shared total_failures)" -eq "$fails" ]
	[ "$(field shared total_successes)" -eq $((600 - fails)) ]
	[ "$(field shared total_rejected)" -eq 0 ]
	[ "$(field shared state)" = closed ]
	no_lock_errors
	[ "$(cat "$out"/err.*)" = "" ]
}

@test "24 processes x 25 calls tripping and closing one breaker: history chains" {
	local p
	for ((p = 0; p < 24; p++)); do
		worker "$p" 25 flappy -f 2 -r 20ms &
	done
	wait
	[ "$(cat "$out"/rc.* | wc -l)" -eq 600 ]
	rejected=$(awk '$2 == 75' "$out"/rc.* | wc -l)
	admitted=$(awk '$2 != 75' "$out"/rc.* | wc -l)
	# An admitted call's status is its command's.
	[ "$(awk '$2 != 75 && $1 != $2' "$out"/rc.* | wc -l)" -eq 0 ]
	[ "$(field flappy total_rejected)" -eq "$rejected" ]
	[ "$(field flappy total_calls)" -eq "$admitted" ]
	[ $((rejected + admitted)) -eq 600 ]
	opens=$(field flappy total_opens)
	sub history --json flappy >"$BATS_TEST_TMPDIR/h.json"
	# Each change starts where the last one ended, from closed; none stays in
	# place (no double open); the last ends in the state status shows; every
	# open is counted.
	run "$PY" -c '
import json, sys
h = json.load(open(sys.argv[1]))
prev = "closed"
for e in h:
    assert e["from"] == prev, (prev, e)
    assert e["to"] != e["from"], e
    prev = e["to"]
print(prev, sum(e["to"] == "open" for e in h), sum(e["to"] == "closed" for e in h))
' "$BATS_TEST_TMPDIR/h.json"
	[ "$status" -eq 0 ]
	read -r last hopens closes <<<"$output"
	[ "$last" = "$(field flappy state)" ]
	[ "$hopens" -eq "$opens" ]
	# It did trip and close again, more than once.
	[ "$opens" -ge 2 ]
	[ "$closes" -ge 2 ]
	no_lock_errors
}

# One write a call: a closed breaker admits in a read transaction and a
# rejection is one increment, here beside full updates of another row of the
# same page, by many processes at once.
@test "16 processes x 20 calls, an open and a closed breaker in one file: every call counted once" {
	local p
	cb -n shut -f 1 -r 1h -- false || true
	[ "$(field shut state)" = open ]
	for ((p = 0; p < 16; p++)); do
		if ((p % 2)); then
			worker "$p" 20 shut -f 1 -r 1h &
		else
			worker "$p" 20 fine -f 100000 &
		fi
	done
	wait
	[ "$(cat "$out"/rc.* | wc -l)" -eq 320 ]
	# The open breaker turned every call away, the closed one passed every status.
	[ "$(cat "$out"/rc.{1,3,5,7,9,11,13,15} | awk '$2 != 75' | wc -l)" -eq 0 ]
	[ "$(cat "$out"/rc.{0,2,4,6,8,10,12,14} | awk '$1 != $2' | wc -l)" -eq 0 ]
	[ "$(field shut total_rejected)" -eq 160 ]
	[ "$(field shut total_calls)" -eq 1 ]
	[ "$(field shut state)" = open ]
	fails=0
	for ((p = 0; p < 16; p += 2)); do
		fails=$((fails + $(expected_failures "$p" "$p" 20)))
	done
	[ "$(field fine total_calls)" -eq 160 ]
	[ "$(field fine total_failures)" -eq "$fails" ]
	[ "$(field fine total_rejected)" -eq 0 ]
	no_lock_errors
	[ "$(grep -v "circuit open" "$out"/err.* /dev/null)" = "" ]
}

@test "12 processes finding a new state file together, 20 times: none fails on a lock" {
	local r p
	for ((r = 0; r < 20; r++)); do
		db="$BATS_TEST_TMPDIR/new$r.db"
		for ((p = 0; p < 12; p++)); do
			cb -n a -- true 2>>"$out/err.$p" &
		done
		wait
		[ "$(field a total_calls)" -eq 12 ]
	done
	no_lock_errors
	[ "$(cat "$out"/err.*)" = "" ]
}

@test "32 processes on 32 breakers: each breaker's totals exact" {
	local p
	for ((p = 0; p < 32; p++)); do
		worker "$p" 20 "b$p" -f 100000 &
	done
	wait
	[ "$(cat "$out"/rc.* | wc -l)" -eq 640 ]
	[ "$(awk '$1 != $2' "$out"/rc.* | wc -l)" -eq 0 ]
	sub status --json >"$BATS_TEST_TMPDIR/s.json"
	for ((p = 0; p < 32; p++)); do
		echo "b$p 20 $(expected_failures "$p" "$p" 20)"
	done >"$BATS_TEST_TMPDIR/want"
	run "$PY" -c '
import json, sys
got = {b["name"]: b for b in json.load(open(sys.argv[1]))}
want = [l.split() for l in open(sys.argv[2])]
assert len(got) == len(want) == 32, (len(got), len(want))
for name, calls, fails in want:
    b = got[name]
    assert (b["total_calls"], b["total_failures"], b["total_successes"]) == \
        (int(calls), int(fails), int(calls) - int(fails)), (name, b)
' "$BATS_TEST_TMPDIR/s.json" "$BATS_TEST_TMPDIR/want"
	echo "$output"
	[ "$status" -eq 0 ]
	no_lock_errors
	[ "$(cat "$out"/err.*)" = "" ]
}

# crash_lane L N ARGS...: N calls of breaker k with ARGS, each SIGKILLed after a
# random delay (before, during or after its 0-40 ms command; one in three within
# 5 ms, while cbexec starts and admits); kills counted in $out/kills.L.
crash_lane() {
	local l=$1 n=$2 i pid
	shift 2
	for ((i = 0; i < n; i++)); do
		# Not through cb: $! must be cbexec itself, not a subshell around it.
		"$CBEXEC" --db "$db" -q -n k "$@" -- sleep "0.0$((RANDOM % 5))" \
			2>>"$out/err.$l" &
		pid=$!
		if ((RANDOM % 3 == 0)); then
			sleep "0.00$((RANDOM % 6))"
		else
			sleep "$(printf '0.%03d' $((RANDOM % 50)))"
		fi
		kill -KILL "$pid" 2>/dev/null && echo "$i" >>"$out/kills.$l"
		wait "$pid" 2>/dev/null || true
	done
}

@test "SIGKILL at random moments, 4 lanes x 15 calls: file intact, breaker works, no slot left" {
	local l
	for ((l = 0; l < 4; l++)); do
		crash_lane "$l" 15 --max-concurrent 8 &
	done
	wait
	kills=$(cat "$out"/kills.* 2>/dev/null | wc -l)
	echo "killed $kills of 60"
	# Many calls must have been killed somewhere, or this tested nothing.
	[ "$kills" -ge 15 ]
	run sqlite3 "$db" 'PRAGMA integrity_check'
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	before=$(field k total_calls)
	[ "$before" -le 60 ]
	# The slots of the killed calls are free: a cap of 1 admits the next call.
	run cb -n k --max-concurrent 1 -- sh -c 'exit 4'
	[ "$status" -eq 4 ]
	[ "$(field k total_calls)" -eq $((before + 1)) ]
	[ "$(field k total_failures)" -ge 1 ]
	[ "$(field k total_rejected)" -eq 0 ]
	run cb -n k -- true
	[ "$status" -eq 0 ]
	[ "$(field k total_calls)" -eq $((before + 2)) ]
	run sqlite3 "$db" 'PRAGMA integrity_check'
	[ "$output" = ok ]
	no_lock_errors
}

# Without a cap a closed breaker admits by reading, and the outcome is the
# call's one write: a kill at any moment loses at most that call's count.
@test "SIGKILL at random moments on the one-write path, 4 lanes x 12 calls: no finished call lost" {
	local l
	for ((l = 0; l < 4; l++)); do
		crash_lane "$l" 12 -f 100000 &
	done
	wait
	kills=$(cat "$out"/kills.* 2>/dev/null | wc -l)
	echo "killed $kills of 48"
	[ "$kills" -ge 10 ]
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]
	calls=$(field k total_calls)
	# A call that was gone when its kill came had finished, so it counts; a
	# killed one may have counted already.
	[ "$calls" -le 48 ]
	[ "$calls" -ge $((48 - kills)) ]
	run cb -n k -f 100000 -- true
	[ "$status" -eq 0 ]
	[ "$(field k total_calls)" -eq $((calls + 1)) ]
	no_lock_errors
}

@test "a probe whose cbexec is SIGKILLed frees its half-open slot" {
	cb -n p -f 1 -r 30s -- false || true
	[ "$(field p state)" = open ]
	cb_at 31 -n p -f 1 -r 30s -- sh -c 'echo $PPID $$ > "$1"; exec sleep 30' sh \
		"$BATS_TEST_TMPDIR/probe" 2>/dev/null &
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/probe" ] && break
		sleep 0.05
	done
	read -r owner cmd <"$BATS_TEST_TMPDIR/probe"
	[ "$(field p state)" = half_open ]
	# While its owner lives the one slot is taken.
	run cb_at 31 -n p -f 1 -r 30s -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"probe already running"* ]]
	kill -KILL "$owner"
	kill -KILL "$cmd"
	for i in $(seq 100); do
		gone "$owner" && break
		sleep 0.05
	done
	gone "$owner"
	# The next call is admitted as the probe and closes the breaker.
	run cb_at 32 -n p -f 1 -r 30s -- true
	[ "$status" -eq 0 ]
	[[ "$output" == *"half_open -> closed"* ]]
	[ "$(field p state)" = closed ]
	run sqlite3 "$db" 'PRAGMA integrity_check'
	[ "$output" = ok ]
}

# damaged PATH: a call on the state file PATH warns once, naming PATH, runs the
# command and passes its status through.
damaged() {
	run --separate-stderr "$CBEXEC" --db "$1" -n a -- sh -c 'echo ran; exit 7'
	echo "status $status; stdout: $output; stderr: $stderr"
	[ "$status" -eq 7 ]
	[ "$output" = ran ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "cbexec: warning: $1: "*"; running the command without the breaker" ]]
}

# a_state_file PATH: a real state file with breaker a, its WAL checkpointed
# into it and removed, so that PATH alone holds everything.
a_state_file() {
	"$CBEXEC" --db "$1" -n a -- true
	"$CBEXEC" --db "$1" -n a -- false || true
	# The last connection to close, sqlite3 removes the WAL it emptied.
	sqlite3 "$1" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	[ ! -e "$1-wal" ]
	[ "$(sqlite3 "$1" 'PRAGMA journal_mode')" = wal ]
}

@test "a file of random bytes: one warning, the command runs, the file untouched" {
	head -c 16384 /dev/urandom >"$db"
	sum=$(sha256sum <"$db")
	damaged "$db"
	[ "$(sha256sum <"$db")" = "$sum" ]
	# With on_store_error = fail: exit 125 and the command does not run.
	run --separate-stderr cb --on-store-error fail -n a -- sh -c 'echo ran'
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	[[ "$stderr" == "cbexec: $db: "*"(on_store_error = fail)" ]]
	[ "$(sha256sum <"$db")" = "$sum" ]
}

@test "a state file truncated to half: one warning, the command runs, the file untouched" {
	a_state_file "$db"
	size=$(stat -c %s "$db")
	[ "$size" -ge 8192 ]
	truncate -s $((size / 2)) "$db"
	sum=$(sha256sum <"$db")
	damaged "$db"
	[ "$(sha256sum <"$db")" = "$sum" ]
}

@test "a foreign SQLite database: one warning, the command runs, the file untouched" {
	sqlite3 "$db" 'CREATE TABLE breakers (name TEXT); INSERT INTO breakers VALUES ("a")'
	sum=$(sha256sum <"$db")
	damaged "$db"
	[[ "$stderr" == *"not a cbexec state file"* ]]
	[ "$(sha256sum <"$db")" = "$sum" ]
	run sub status
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: $db: "* ]]
	[ "$(sha256sum <"$db")" = "$sum" ]
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM sqlite_schema')" -eq 1 ]
}

# read_only PATH MODE: PATH cannot be written, by chmod MODE or, as root, who
# writes through mode bits, by the immutable attribute (undone in teardown).
read_only() {
	if [ "$(id -u)" -ne 0 ]; then
		chmod "$2" "$1"
	else
		chattr +i "$1" 2>/dev/null || skip "root, and chattr +i does not work here"
		immutable=$1
	fi
}

@test "a read-only state file: one warning, the command runs, the file untouched" {
	a_state_file "$db"
	read_only "$db" 444
	sum=$(sha256sum <"$db")
	damaged "$db"
	[[ "$stderr" == *"readonly database"* ]]
	[ "$(sha256sum <"$db")" = "$sum" ]
}

@test "a state file in a directory that cannot be written: one warning, the command runs" {
	dir="$BATS_TEST_TMPDIR/ro"
	mkdir "$dir"
	a_state_file "$dir/s.db"
	read_only "$dir" 555
	sum=$(sha256sum <"$dir/s.db")
	# An existing file, whose -wal and -shm cannot be made beside it.
	damaged "$dir/s.db"
	[ "$(sha256sum <"$dir/s.db")" = "$sum" ]
	# A missing file that cannot be created.
	damaged "$dir/new.db"
	[[ "$stderr" == *"cannot create the state file"* ]]
	[ "$(ls -A "$dir")" = s.db ]
}

@test "a state file under a regular file: one warning, the command runs, the file untouched" {
	printf 'not a directory\n' >"$BATS_TEST_TMPDIR/reg"
	damaged "$BATS_TEST_TMPDIR/reg/sub/s.db"
	[[ "$stderr" == *"reg is not a directory"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/reg")" = "not a directory" ]
}

@test "a full disk: one warning, the command runs, the file untouched; then it recovers" {
	mnt="$BATS_TEST_TMPDIR/mnt"
	mkdir "$mnt"
	# mode=0700: a tmpfs root is 1777 by default, refused as the directory
	# of a state file (see SECURITY in cbexec(1)).
	mount -t tmpfs -o size=512k,mode=0700 tmpfs "$mnt" 2>/dev/null || {
		mnt=
		skip "cannot mount a small tmpfs here"
	}
	a_state_file "$mnt/s.db"
	head -c 1M /dev/zero >"$mnt/fill" 2>/dev/null || true
	[ "$(df --output=avail "$mnt" | tail -1)" -eq 0 ]
	sum=$(sha256sum <"$mnt/s.db")
	damaged "$mnt/s.db"
	[[ "$stderr" == *"disk"* ]]
	[ "$(sha256sum <"$mnt/s.db")" = "$sum" ]
	# A new state file on the full disk.
	damaged "$mnt/new.db"
	# With room again the breaker works and nothing was lost.
	rm "$mnt/fill"
	run "$CBEXEC" --db "$mnt/s.db" -n a -- true
	[ "$status" -eq 0 ]
	[ "$("$CBEXEC" status --json --db "$mnt/s.db" a | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["total_calls"])')" -eq 3 ]
	[ "$(sqlite3 "$mnt/s.db" 'PRAGMA integrity_check')" = ok ]
}

# refused ARGS...: cbexec ARGS exits 125 exactly (not a crash's 134 or 139),
# with a message starting "cbexec:" and nothing on standard output.
refused() {
	run --separate-stderr "$CBEXEC" "$@"
	echo "args: $*; status $status; stderr: $stderr"
	[ "$status" -eq 125 ]
	[[ "$stderr" == cbexec:* ]]
	[ -z "$output" ]
}

# nothing_created: no state file, no breaker, and no command ran.
nothing_created() {
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[ ! -e "$db" ]
	# status finds no file (UNKNOWN) and creates none either
	run sub status --names
	[ "$status" -eq 3 ]
	[ ! -e "$db" ]
}

@test "hostile breaker names: exit 125 with a message, nothing created" {
	local n names=("a'b" 'a"b' 'a;b' "a';DROP TABLE breakers;--" $'a\nb' 'a/b' '../a' \
		'é' 'a b' '' "$(printf 'x%.0s' $(seq 300))" "$(printf 'x%.0s' $(seq 129))")
	ran="$BATS_TEST_TMPDIR/ran"
	for n in "${names[@]}"; do
		refused --db "$db" -n "$n" -- touch "$ran"
		[[ "$stderr" == "cbexec: breaker name "* ]]
		refused check --db "$db" -n "$n"
		refused record --db "$db" -n "$n" failure
		refused trip --db "$db" "$n"
		refused bypass --db "$db" "$n"
		refused reset --db "$db" "$n"
		refused delete --db "$db" "$n"
		refused history --db "$db" "$n"
		refused status --db "$db" "$n"
	done
	nothing_created
	# The longest name allowed is fine.
	run cb -n "$(printf 'x%.0s' $(seq 128))" -- true
	[ "$status" -eq 0 ]
	[ "$(sub status --names)" = "$(printf 'x%.0s' $(seq 128))" ]
}

# An empty exit list is a value, not an error ("--ignore-exit ''" ignores
# nothing; see parse_exitlist), so it is not among these.
@test "overflowing, negative and empty numbers and durations: exit 125, nothing created" {
	local big=99999999999999999999 a
	ran="$BATS_TEST_TMPDIR/ran"
	for a in "-f $big" "-f 4294967296" "-f -1" "-f 5x" "-f ''" "-s $big" \
		"--half-open-max-calls $big" "--max-concurrent $big" "--open-exit-code 256" \
		"--open-exit-code $big" "--history-limit 18446744073709551617" "--window $big" \
		"--min-calls $big" "--failure-rate 101" "--jitter ''" "--backoff 1e999" \
		"--backoff ''" "-r 9999999999999999999d" "-r 99999999999999999999ms" "-r ''" \
		"-t 9999999999999999999d" "--timeout ''" "-t -1s" "--kill-after ${big}ms" \
		"--slow-call 9999999999999999999d" "--max-wait 9999999999999999999d" \
		"--max-recovery-timeout 9999999999999999999d" "--success-exit 99999" \
		"--ignore-exit $big" "--ignore-exit 1," "--on-store-error ''"; do
		eval "refused --db \"\$db\" -n a $a -- touch \"\$ran\""
		eval "refused check --db \"\$db\" -n a $a"
	done
	refused trip --db "$db" --for 9999999999999999999d a
	refused trip --db "$db" --for '' a
	refused history --db "$db" --limit "$big" a
	refused history --db "$db" --limit '' a
	nothing_created
}

@test "a configuration file of binary junk: exit 125 with a message, nothing created" {
	local i
	ran="$BATS_TEST_TMPDIR/ran"
	for i in $(seq 10); do
		head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/junk.ini"
		refused --db "$db" --config "$BATS_TEST_TMPDIR/junk.ini" -n a -- touch "$ran"
		refused check --db "$db" --config "$BATS_TEST_TMPDIR/junk.ini" -n a
	done
	printf '[a]\nfailure_threshold = 3\0junk\n' >"$BATS_TEST_TMPDIR/nul.ini"
	refused --db "$db" --config "$BATS_TEST_TMPDIR/nul.ini" -n a -- touch "$ran"
	printf '[a]\nfailure_threshold = 99999999999999999999\n' >"$BATS_TEST_TMPDIR/big.ini"
	refused --db "$db" --config "$BATS_TEST_TMPDIR/big.ini" -n a -- touch "$ran"
	printf '[*]\nrecovery_timeout = 9999999999999999999d\n' >"$BATS_TEST_TMPDIR/dur.ini"
	refused --db "$db" --config "$BATS_TEST_TMPDIR/dur.ini" -n a -- touch "$ran"
	# The user's own configuration file, read without --config.
	mkdir -p "$XDG_CONFIG_HOME/cbexec"
	head -c 4096 /dev/urandom >"$XDG_CONFIG_HOME/cbexec/config.ini"
	refused --db "$db" -n a -- touch "$ran"
	nothing_created
}

# vg ARGS...: cbexec ARGS under valgrind's memcheck; 99 if it found an error
# or a definite leak.
vg() {
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$CBEXEC" "$@"
}

@test "valgrind: run, rejection, status, reset, history are memcheck clean" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	# ASan and valgrind cannot share a process (make test SANITIZE=1).
	if nm "$CBEXEC" 2>/dev/null | grep -q __asan_init ||
		ldd "$CBEXEC" 2>/dev/null | grep -q libasan; then
		skip "cbexec is built with AddressSanitizer"
	fi
	run vg --db "$db" -n a -f 2 -- true
	[ "$status" -eq 0 ]
	run vg --db "$db" -n a -f 2 -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run vg --db "$db" -n a -f 2 -- sh -c 'exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == *"closed -> open"* ]]
	run vg --db "$db" -n a -f 2 -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"circuit open"* ]]
	run vg status --db "$db"
	[ "$status" -eq 2 ]
	run vg status --json --db "$db" a
	[ "$status" -eq 2 ]
	run vg history --db "$db" a
	[ "$status" -eq 0 ]
	run vg reset --db "$db" a
	[ "$status" -eq 0 ]
	run vg status --db "$db"
	[ "$status" -eq 0 ]
	# A store error and a usage error take their own paths out.
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/junk.db"
	run vg --db "$BATS_TEST_TMPDIR/junk.db" -n a -- sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run vg --db "$db" -n 'a;b' -- true
	[ "$status" -eq 125 ]
	run vg history --db "$db" nosuch
	[ "$status" -eq 125 ]
	run vg reset --db "$db" nosuch
	[ "$status" -eq 125 ]
	[ "$(field a total_calls)" -eq 3 ]
	[ "$(field a total_rejected)" -eq 1 ]
}

@test "the WAL stays between calls: a copy needs it, sqlite3 .backup does not" {
	cb -n a -- true
	cb -n a -- true
	[ -s "$db-wal" ]
	[ -e "$db-shm" ]
	cp "$db" "$BATS_TEST_TMPDIR/alone.db"
	cp "$db" "$BATS_TEST_TMPDIR/pair.db"
	cp "$db-wal" "$BATS_TEST_TMPDIR/pair.db-wal"
	sqlite3 "$db" ".backup '$BATS_TEST_TMPDIR/backup.db'"
	# The state file alone lacks the latest calls.
	[ -z "$("$CBEXEC" status --names --db "$BATS_TEST_TMPDIR/alone.db")" ]
	db="$BATS_TEST_TMPDIR/pair.db"
	[ "$(field a total_calls)" -eq 2 ]
	db="$BATS_TEST_TMPDIR/backup.db"
	[ "$(field a total_calls)" -eq 2 ]
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]
}

# A breaker that stays open, alone in its file: every call writes once, so a
# checkpoint that only a second write of the same process could finish would
# let the WAL grow by a page a call (it did: 5 MB after 600 calls).
@test "a breaker alone in its file, rejected 300 times: the WAL stays under 256 KiB" {
	local call rc size prev=0 max=0 shrank=0
	cb -n down -f 1 -r 1h -- false || true
	for ((call = 0; call < 300; call++)); do
		rc=0
		cb -q -n down -f 1 -r 1h -- true 2>/dev/null || rc=$?
		[ "$rc" -eq 75 ]
		size=$(stat -c %s "$db-wal")
		if ((size > max)); then max=$size; fi
		if ((size < prev)); then shrank=$((shrank + 1)); fi
		prev=$size
	done
	echo "largest WAL: $max bytes, emptied $shrank times"
	[ "$max" -lt 262144 ]
	# It was emptied again and again, not only kept from growing.
	[ "$shrank" -ge 3 ]
	[ "$(field down total_rejected)" -eq 300 ]
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]
}

