#!/usr/bin/env bats
# cbexec record: outcomes of work cbexec cannot wrap, moving the breaker as a call's would.

load helpers

setup() {
	cbexec_setup
	db="$BATS_TEST_TMPDIR/s.db"
}

@test "record success makes an unknown breaker and counts the call" {
	run sub record -n a success
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(field a state)" = closed ]
	[ "$(field a total_calls)" -eq 1 ]
	[ "$(field a total_successes)" -eq 1 ]
	[ "$(field a last_exit_code)" = null ]
}

@test "record failure opens the breaker at its threshold, with the transition line" {
	sub record -n a -f 3 failure
	run sub record -n a -f 3 failure
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
	[ "$(field a consecutive_failures)" -eq 2 ]
	run sub record -n a -f 3 failure
	[ "$status" -eq 0 ]
	[ "$output" = "cbexec: a: closed -> open: 3 consecutive failures, last recorded by hand" ]
	[ "$(field a state)" = open ]
	run cb -n a -f 3 -- true
	[ "$status" -eq 75 ]
	run sub history a
	[[ "$output" == *"closed -> open  3 consecutive failures, last recorded by hand" ]]
}

@test "a recorded success clears the consecutive failures" {
	sub record -n a -f 3 failure
	sub record -n a -f 3 failure
	sub record -n a -f 3 success
	[ "$(field a consecutive_failures)" -eq 0 ]
	sub record -n a -f 3 failure
	[ "$(field a state)" = closed ]
}

@test "while open, a recorded outcome counts in the totals only" {
	sub record -q -n a -f 1 -r 10s failure
	sub record -n a -f 1 -r 10s success
	sub record -n a -f 1 -r 10s failure
	[ "$(field a state)" = open ]
	[ "$(field a total_calls)" -eq 3 ]
	[ "$(field a total_successes)" -eq 1 ]
	[ "$(field a total_failures)" -eq 2 ]
	[ "$(field a consecutive_failures)" -eq 1 ]
	[ "$(field a total_rejected)" -eq 0 ]
	[ "$(sub history a | wc -l)" -eq 1 ]
}

@test "after the open period a recorded success is a probe's and closes" {
	sub record -q -n a -f 1 -r 200ms failure
	run sub_at 1 record -n a -f 1 -r 200ms success
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "cbexec: a: open -> half_open: recovery timeout elapsed" ]
	[ "${lines[1]}" = "cbexec: a: half_open -> closed: probe succeeded" ]
	[ "$(field a state)" = closed ]
	[ "$(sub history a | wc -l)" -eq 3 ]
}

@test "after the open period a recorded failure is a failed probe and opens again" {
	sub record -q -n a -f 1 -r 30s failure
	run sub_at 31 record -n a -f 1 -r 30s failure
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "cbexec: a: half_open -> open: probe failed, recorded by hand" ]
	[ "$(field a state)" = open ]
	run sub_at 60 check -n a -r 30s
	[ "$status" -eq 75 ]
}

@test "a recorded outcome does not steal a running probe's decision" {
	cb -n a -f 1 -r 200ms -- false || true
	cb_at 1 -n a -f 1 -r 200ms -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	sub_at 1 record -n a -f 1 -r 200ms failure
	[ "$(field a state)" = half_open ]
	[ "$(field a total_failures)" -eq 2 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
	[ "$(field a state)" = closed ]
}

@test "record ignored counts and moves nothing" {
	sub record -n a -f 2 failure
	run sub record -n a -f 2 ignored
	[ "$status" -eq 0 ]
	[ "$(field a total_ignored)" -eq 1 ]
	[ "$(field a consecutive_failures)" -eq 1 ]
	sub record -q -n a -f 2 failure
	[ "$(field a state)" = open ]
}

@test "a tripped breaker only counts recorded outcomes" {
	sub trip a
	sub record -n a success
	[ "$(field a state)" = open ]
	[ "$(field a total_successes)" -eq 1 ]
}

@test "record runs hooks for the transition it makes; -q drops the line" {
	run sub record -q -n a -f 1 --on-open "echo \"\$CBEXEC_NAME \$CBEXEC_TO\" >'$BATS_TEST_TMPDIR/hook'" failure
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(cat "$BATS_TEST_TMPDIR/hook")" = "a open" ]
}

@test "CBEXEC_DISABLE=1 records nothing" {
	CBEXEC_DISABLE=1 run sub record -n a failure
	[ "$status" -eq 0 ]
	[ ! -e "$db" ]
}

@test "record: bad input exits 125 with a message" {
	for args in "" "-n a" "-n a maybe" "-n a success extra" "success" "-n a -f x failure" \
		"--bogus -n a success" "-n a SUCCESS"; do
		run sub record $args
		[ "$status" -eq 125 ] || { echo "args: $args"; false; }
		[[ "$output" == cbexec:* ]] || { echo "args: $args: $output"; false; }
	done
	run sub record -n 'bad name' success
	[ "$status" -eq 125 ]
	[ ! -e "$db" ]
}

@test "record --help: the usage names every outcome record takes" {
	run "$CBEXEC" record --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec record [--db PATH] [--config PATH] [BREAKER OPTIONS] -n NAME success|failure|ignored" ]]
	run "$CBEXEC" --help
	[[ "$output" == *"cbexec record [--db PATH] [--config PATH] [BREAKER OPTIONS] -n NAME success|failure|ignored"* ]]
}

@test "record spreads retry times by --jitter, as run does" {
	for i in $(seq 8); do sub record -n "j$i" -f 1 -r 1000s --jitter 50 failure 2>/dev/null; done
	n=$(sub status --json | "$PY" -c 'import json,sys; print(len({b["retry_at"] for b in json.load(sys.stdin)}))')
	[ "$n" -ge 3 ]
}
