#!/usr/bin/env bats
# cbexec status: tables, JSON, Nagios exit codes.

load helpers

setup() { cbexec_setup; }

@test "status exit codes follow Nagios" {
	cb -n ok -- true
	run sub status
	[ "$status" -eq 0 ]
	cb -n bad -f 1 -r 200ms -- false || true
	run sub status
	[ "$status" -eq 2 ]
	run sub status ok
	[ "$status" -eq 0 ]
	run sub status nosuch
	[ "$status" -eq 3 ]
	[[ "$output" == *"nosuch: no such breaker"* ]]
	cb_at 1 -n bad -f 1 -r 200ms -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	run sub status
	[ "$status" -eq 1 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
}

@test "status table names each breaker with its state and counts" {
	cb -n alpha -- true
	cb -n beta -f 1 -- sh -c 'exit 7' || true
	run sub status
	[[ "${lines[0]}" == NAME* ]]
	[[ "$output" == *alpha*closed* ]]
	[[ "$output" == *beta*open*1/1* ]]
}

@test "status --json carries the documented fields" {
	cb -n alpha -f 1 -- sh -c 'exit 7' || true
	run sub status --json
	[ "$status" -eq 2 ]
	echo "$output" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
assert len(v) == 1, v
b = v[0]
for k in ("name","state","consecutive_failures","failure_threshold","total_calls",
          "total_successes","total_failures","total_rejected","last_exit_code",
          "last_failure_at","state_changed_at","retry_at"):
    assert k in b, k
assert b["state"] == "open" and b["last_exit_code"] == 7
import re
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["retry_at"]), b["retry_at"]
'
}

@test "status --names lists names only" {
	cb -n b -- true
	cb -n a -- true
	run sub status --names
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "colour only on a terminal, and not when NO_COLOR is set and not empty" {
	command -v script >/dev/null || skip "script(1) is not installed"
	cb -n a -- true
	run sub status
	[[ "$output" != *$'\033'* ]]
	# script(1) gives the command a terminal as its standard output.
	run script -qec "'$CBEXEC' status --db '$db'" /dev/null
	[[ "$output" == *$'\033['*closed* ]]
	NO_COLOR= run script -qec "'$CBEXEC' status --db '$db'" /dev/null
	[[ "$output" == *$'\033['*closed* ]]
	NO_COLOR=1 run script -qec "'$CBEXEC' status --db '$db'" /dev/null
	[[ "$output" == *closed* ]]
	[[ "$output" != *$'\033'* ]]
}
