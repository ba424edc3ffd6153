#!/usr/bin/env bats
# cbexec status and reset: tables, JSON, Nagios exit codes.

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
	sleep 0.3
	cb -n bad -f 1 -r 200ms -- sleep 2 &
	sleep 0.4
	run sub status
	[ "$status" -eq 1 ]
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

@test "reset closes with counters cleared and totals kept" {
	cb -n a -f 1 -- false || true
	run sub reset a
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
	[ "$(field a consecutive_failures)" -eq 0 ]
	[ "$(field a total_failures)" -eq 1 ]
	run cb -n a -f 1 -- true
	[ "$status" -eq 0 ]
}

@test "reset --all and its errors" {
	cb -n a -f 1 -- false || true
	cb -n b -f 1 -- false || true
	run sub reset --all
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
	[ "$(field b state)" = closed ]
	run sub reset
	[ "$status" -eq 125 ]
	run sub reset --all a
	[ "$status" -eq 125 ]
	run sub reset nosuch
	[ "$status" -eq 125 ]
	[ "$output" = 'cbexec: warning: no breaker "nosuch"' ]
	run sub reset 'bad name'
	[ "$status" -eq 125 ]
}
