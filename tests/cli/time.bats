#!/usr/bin/env bats
# Time (issue 13 items 7-12): holds that last, manual commands that change
# nothing, clock steps, the time of a transaction, a stuck writer, min_calls,
# generations across delete.

bats_require_minimum_version 1.5.0
load helpers

LIBFAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

setup() {
	cbexec_setup
	pids=()
}

# Stops what a test started: the commands that wait for a file are let go,
# then the pids it kept are killed.
teardown() {
	local p
	touch "$BATS_TEST_TMPDIR/stop" "$BATS_TEST_TMPDIR/go"
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
		until_true gone "$p" || kill -KILL "$p" 2>/dev/null || true
	done
}

# until_true CMD...: polls CMD for up to 10 s.
until_true() {
	local i
	for i in $(seq 200); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# state_is NAME STATE: for until_true, which needs a command, not a value.
state_is() { [ "$(field "$1" state)" = "$2" ]; }

# hold.py DB READY SECONDS: takes the write lock of DB (BEGIN IMMEDIATE),
# creates READY, keeps the lock SECONDS.
hold_script() {
	hold="$BATS_TEST_TMPDIR/hold.py"
	cat >"$hold" <<'EOF'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
c.execute("COMMIT")
EOF
}

# holder SECONDS: a process that holds the write lock of the state file for
# SECONDS; its pid in $holder once it has the lock.
holder() {
	hold_script
	"$PY" "$hold" "$db" "$BATS_TEST_TMPDIR/locked" "$1" &
	holder=$!
	pids+=("$holder")
	until_true test -e "$BATS_TEST_TMPDIR/locked"
}

@test "trip --for 3h lasts 3h: rejected calls do not pull the retry time in" {
	sub trip --for 3h a
	run cb_at 60 -n a -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"next try in 2h59m"* ]]
	# Before, the first rejection set the retry time to 30s from then.
	run cb_at 120 -n a -- true
	[ "$status" -eq 75 ]
	run cb_at 10799 -n a -- true
	[ "$status" -eq 75 ]
	run cb_at 10801 -n a -- true
	[ "$status" -eq 0 ]
	[[ "$output" == *"open -> half_open"* ]]
}

@test "re-tripping a tripped breaker counts no open and records nothing; a new reason renews" {
	sub trip --reason db a 2>/dev/null
	gen=$(field a generation)
	sub trip --reason db a
	[ "$(field a total_opens)" -eq 1 ]
	[ "$(field a generation)" -eq "$gen" ]
	[ "$(sub history a | wc -l)" -eq 1 ]
	sub trip --reason disk a
	[ "$(field a total_opens)" -eq 1 ]
	[ "$(field a generation)" -eq "$gen" ]
	[ "$(field a mode_reason)" = disk ]
	run sub history a
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *"open -> open  tripped by hand: disk" ]]
	# A breaker that opened by itself, tripped: no second open either.
	cb -n b -f 1 -- false || true
	sub trip b
	[ "$(field b total_opens)" -eq 1 ]
	[ "$(sub metrics | grep -c 'cbexec_opens_total{name="b"} 1')" -eq 1 ]
}

@test "a second bypass with the same reason adds no event" {
	cb -n a -- true
	sub bypass --reason test a
	sub bypass --reason test a
	[ "$(sub history a | wc -l)" -eq 1 ]
	sub bypass --reason other a
	[ "$(sub history a | wc -l)" -eq 2 ]
	[ "$(field a mode_reason)" = other ]
}

@test "a wall clock set back 90 minutes does not stretch a 60s open period" {
	cb -n a -f 1 -r 60s -- false || true
	run cb_step -90m -n a -f 1 -r 60s -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"next try in 1m"* || "$output" == *"next try in 59s"* ]]
	[[ "$output" != *"1h"* ]]
}

@test "a wall clock set forward 2h frees no probe slot: leases go by the boot clock" {
	cb -n p -f 1 -r 1s -- false || true
	cb_at 2 -n p -f 1 -r 1s -- sh -c 'until [ -e "$1" ]; do sleep 0.05; done' sh \
		"$BATS_TEST_TMPDIR/stop" 2>/dev/null &
	pids+=($!)
	until_true state_is p half_open
	run cb_step +2h -n p -f 1 -r 1s -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"probe already running"* ]]
	touch "$BATS_TEST_TMPDIR/stop"
	wait "${pids[0]}"
	[ "$(field p state)" = closed ]
}

@test "--max-wait 1s waits 1s although the wall clock is set back an hour meanwhile" {
	echo "+0" >"$BATS_TEST_TMPDIR/ts"
	cb -n m --max-concurrent 1 -- sh -c 'touch "$1"; until [ -e "$2" ]; do sleep 0.05; done' \
		sh "$BATS_TEST_TMPDIR/started" "$BATS_TEST_TMPDIR/stop" &
	pids+=($!)
	until_true test -e "$BATS_TEST_TMPDIR/started"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		LD_PRELOAD="$LIBFAKETIME" FAKETIME_TIMESTAMP_FILE="$BATS_TEST_TMPDIR/ts" \
		FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
		"$CBEXEC" --db "$db" -n m --max-concurrent 1 --max-wait 1s -- true \
		2>"$BATS_TEST_TMPDIR/err" &
	waiter=$!
	pids+=("$waiter")
	# Once it has the state file open it has started its wait: step the clock.
	until_true sh -c 'ls -l /proc/$1/fd 2>/dev/null | grep -q "$2"' sh "$waiter" "$db"
	echo "-1h" >"$BATS_TEST_TMPDIR/ts"
	until_true gone "$waiter"
	run wait "$waiter"
	[ "$status" -eq 75 ]
	grep -q "calls already running" "$BATS_TEST_TMPDIR/err"
	touch "$BATS_TEST_TMPDIR/stop"
}

@test "the time of an open is read after the wait for the lock: -r 1s counts from then" {
	cb -n a -- true
	hold_script
	# The command's last act: another process takes the lock for 2.5s, so
	# that the transaction recording the failure (and the open) waits for it.
	cb -n a -f 1 -r 1s -- sh -c '"$1" "$2" "$3" "$4" 2.5 & echo $! >"$5"
		until [ -e "$4" ]; do sleep 0.05; done; exit 1' sh "$PY" "$hold" "$db" \
		"$BATS_TEST_TMPDIR/locked" "$BATS_TEST_TMPDIR/holder" || true
	pids+=("$(cat "$BATS_TEST_TMPDIR/holder")")
	[ "$(field a state)" = open ]
	# Dated before the wait, the open would be over already.
	run cb -n a -f 1 -r 1s -- true
	[ "$status" -eq 75 ]
}

@test "a stopped writer: an open or tripped breaker rejects after --lock-timeout, a closed one runs" {
	cb -n open -f 1 -r 1h -- false || true
	cb -n closed -- true
	sub trip tripped 2>/dev/null
	sub trip --for 1h held 2>/dev/null
	holder 60
	kill -STOP "$holder"
	SECONDS=0
	run cb -n open --lock-timeout 200ms -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$output" == *"locked for over 200 ms"* ]]
	[[ "$output" == *"cbexec: open: circuit open after 1 consecutive failures"* ]]
	run cb -n tripped --lock-timeout 200ms -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$output" == *"tripped by hand"* ]]
	# A hold reads as a hold, not as "open after tripped by hand".
	run cb -n held --lock-timeout 200ms -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$output" == *"cbexec: held: circuit open (tripped by hand); next try in "* ]]
	# A closed breaker is admitted by a read, which the stopped writer does
	# not block; the outcome then waits --lock-timeout and is lost, with a
	# warning and the command's own status, whatever on_store_error says.
	run cb -n closed --lock-timeout 200ms -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 0 ]
	[ -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$output" == *"the outcome of this call was not recorded"* ]]
	run cb -n closed --lock-timeout 200ms --on-store-error fail -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *"the outcome of this call was not recorded"* ]]
	[ "$SECONDS" -lt 8 ]
	kill -CONT "$holder"
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null || true
	# Nothing was counted while the lock was held.
	[ "$(field open total_rejected)" -eq 0 ]
}

@test "lock_timeout is a setting: config file, cbexec config" {
	mkdir -p "$XDG_CONFIG_HOME/cbexec"
	printf '[defaults]\nlock_timeout = 250ms\n' >"$XDG_CONFIG_HOME/cbexec/config.ini"
	run "$CBEXEC" config
	[[ "$output" == *"lock_timeout = 250ms	$XDG_CONFIG_HOME/cbexec/config.ini:2"* ]]
	run cb -n a --lock-timeout 2h -- true
	[ "$status" -eq 125 ]
}

@test "a count window smaller than min_calls opens at the window size, and config says so" {
	for i in 1 2 3 4 5; do
		cb -n a -f 0 --window 5 --failure-rate 50 -- false || true
	done
	[ "$(field a state)" = open ]
	[[ "$(field a reason)" == "failure rate 100% over the last 5 calls (5 of 5)" ]]
	run "$CBEXEC" config --window 5 --failure-rate 50
	[[ "$output" == *"min_calls = 5	built-in (10, capped at the count window)"* ]]
	run "$CBEXEC" config --window 20
	[[ "$output" == *"min_calls = 10	built-in"* ]]
}

@test "a call admitted before delete does not drive the breaker made again under its name" {
	cb -n p -- true
	cb -n p -f 1 -- sh -c 'touch "$1"; until [ -e "$2" ]; do sleep 0.05; done; exit 1' sh \
		"$BATS_TEST_TMPDIR/started" "$BATS_TEST_TMPDIR/go" 2>/dev/null &
	pids+=($!)
	until_true test -e "$BATS_TEST_TMPDIR/started"
	sub delete p
	cb -n p -- true
	touch "$BATS_TEST_TMPDIR/go"
	wait "${pids[0]}" || true
	# Its failure counts in the totals of the new breaker, and moves nothing.
	[ "$(field p state)" = closed ]
	[ "$(field p consecutive_failures)" -eq 0 ]
	[ "$(field p generation)" -gt 1 ]
}

# schema1 DB NOW: a state file as a schema-1 cbexec left it: an open breaker a,
# a hold h (told by its reason alone then), a trip t and a closed c.
schema1() {
	local db=$1 now=$2
	"$PY" - "$db" "$now" <<'EOF'
import sqlite3, sys
db, now = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db, isolation_level=None)
c.executescript("""
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TABLE breakers (name TEXT PRIMARY KEY NOT NULL, state INTEGER NOT NULL,
 mode INTEGER NOT NULL, generation INTEGER NOT NULL,
 consecutive_failures INTEGER NOT NULL, consecutive_successes INTEGER NOT NULL,
 state_changed_at INTEGER NOT NULL, retry_at INTEGER NOT NULL,
 open_period INTEGER NOT NULL, last_failure_at INTEGER NOT NULL,
 last_exit INTEGER NOT NULL, reason TEXT NOT NULL, mode_reason TEXT NOT NULL,
 total_calls INTEGER NOT NULL, total_successes INTEGER NOT NULL,
 total_failures INTEGER NOT NULL, total_ignored INTEGER NOT NULL,
 total_rejected INTEGER NOT NULL, total_timeouts INTEGER NOT NULL,
 total_slow INTEGER NOT NULL, total_opens INTEGER NOT NULL, window BLOB,
 failure_threshold INTEGER NOT NULL, success_threshold INTEGER NOT NULL,
 recovery_timeout INTEGER NOT NULL, half_open_max_calls INTEGER NOT NULL,
 max_concurrent INTEGER NOT NULL, history_seq INTEGER NOT NULL);
CREATE TABLE history (breaker TEXT NOT NULL, seq INTEGER NOT NULL,
 time INTEGER NOT NULL, from_state INTEGER NOT NULL, to_state INTEGER NOT NULL,
 reason TEXT NOT NULL, PRIMARY KEY (breaker, seq)) WITHOUT ROWID;
CREATE TABLE leases (id INTEGER PRIMARY KEY AUTOINCREMENT, breaker TEXT NOT NULL,
 pid INTEGER NOT NULL, start_time INTEGER NOT NULL, pidns INTEGER NOT NULL,
 generation INTEGER NOT NULL, probe INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX leases_breaker ON leases (breaker);
PRAGMA application_id = 1667392888;
PRAGMA user_version = 1;
COMMIT;
""")
c.execute("INSERT INTO breakers VALUES ('a', 1, 0, 2, 1, 0, ?, ?, 600000, ?, 1, "
          "'1 consecutive failures, last exit 1', '', 1, 0, 1, 0, 0, 0, 0, 1, NULL, "
          "1, 1, 600000, 1, 0, 1)", (now, now + 600000, now))
c.execute("INSERT INTO history VALUES ('a', 1, ?, 0, 1, '1 consecutive failures, last exit 1')",
          (now,))
# A hold (trip --for) was told by its reason alone in schema 1; beside it
# a trip without --for (mode 1) and a closed breaker that once was held.
row = ("INSERT INTO breakers VALUES (?, ?, ?, 2, 0, 0, ?, ?, 600000, 0, -1, ?, ?, "
       "0, 0, 0, 0, 0, 0, 0, 1, NULL, 5, 1, 30000, 1, 0, 1)")
c.execute(row, ('h', 1, 0, now, now + 600000, 'tripped by hand: deploy', 'deploy'))
c.execute(row, ('t', 1, 1, now, 0, 'tripped by hand', ''))
c.execute(row, ('c', 0, 0, now, 0, 'tripped by hand', ''))
EOF
}

@test "a schema-1 state file is migrated in place and its open breaker keeps its retry time" {
	now=$(date +%s%3N)
	schema1 "$db" "$now"
	run cb -n a -r 10m -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"next try in 10m"* || "$output" == *"next try in 9m59s"* ]]
	[ "$(sqlite3 "$db" 'PRAGMA user_version')" -eq 2 ]
	# the hold is carried over as state, and only the hold
	[ "$(sqlite3 "$db" 'SELECT name, held FROM breakers ORDER BY name' | tr '\n' ' ')" = \
		"a|0 c|0 h|1 t|0 " ]
	run cb -n h -- true
	[ "$status" -eq 75 ]
	[[ "$output" == "cbexec: h: circuit open (tripped by hand: deploy); next try in "* ]]
	run cb -n t -- true
	[ "$status" -eq 75 ]
	[ "$output" = "cbexec: t: circuit tripped by hand; open until cbexec reset" ]
	# the hold ends with its first probe
	run cb_at 601 -n h -- true
	[ "$status" -eq 0 ]
	[ "$(sqlite3 "$db" "SELECT state, held FROM breakers WHERE name = 'h'")" = "0|0" ]
	[ "$(field a total_opens)" -eq 1 ]
	[ "$(sub history a | wc -l)" -eq 1 ]
	# the columns added by the migration start at "never" and 0
	[ "$(field a last_success_at)" = null ]
	[ "$(field a call_duration_count)" -eq 0 ]
	run cb_at 599 -n a -r 10m -- true
	[ "$status" -eq 75 ]
	run cb_at 601 -n a -r 10m -- true
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
	[ "$(field a call_duration_count)" -eq 1 ]
	[ "$(field a last_success_at)" != null ]
	# delete and re-create work on a migrated file
	sub delete a
	cb -n a -- true
	[ "$(field a generation)" -gt 4 ]
}

@test "a schema-1 state file read first by status, as its owner: brought up to date, all readers work" {
	schema1 "$db" "$(date +%s%3N)"
	run sub status
	[ "$status" -eq 2 ]
	[ "$(sqlite3 "$db" 'PRAGMA user_version')" -eq 2 ]
	run sub metrics
	[ "$status" -eq 0 ]
	run sub history a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "programs read half_open: the fallback's CBEXEC_STATE, a hook's CBEXEC_TO" {
	cb -n a -f 1 -r 1s -- false || true
	cb_at 2 -n a -f 1 -r 1s --on-half-open "echo \"to=\$CBEXEC_TO\" >'$BATS_TEST_TMPDIR/hook'" \
		-- sh -c 'until [ -e "$1/stop" ]; do sleep 0.05; done' sh "$BATS_TEST_TMPDIR" \
		2>/dev/null &
	pids+=($!)
	until_true state_is a half_open
	[ "$(cb_at 2 -n a -f 1 -r 1s --fallback 'echo "state=$CBEXEC_STATE"' -- true 2>/dev/null)" = \
		state=half_open ]
	touch "$BATS_TEST_TMPDIR/stop"
	wait "${pids[0]}"
	[ "$(cat "$BATS_TEST_TMPDIR/hook")" = "to=half_open" ]
}

@test "cbexec.1 spells the state programs read half_open, CBEXEC_STATE included" {
	run grep -A8 '^\.It Ev CBEXEC_STATE' "$BATS_TEST_DIRNAME/../../man/cbexec.1"
	[[ "$output" == *"Li half_open"* ]]
	[[ "$output" != *"half-open"* ]]
}
