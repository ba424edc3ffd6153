#!/usr/bin/env bats
# cbexec history: changes of state, oldest first, for people and as JSON; bounded.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cbexec_setup
	db="$BATS_TEST_TMPDIR/s.db"
}

time_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

@test "history prints each change: UTC time, from -> to, reason" {
	cb -n a -f 2 -- sh -c 'exit 7' || true
	cb -n a -f 2 -- sh -c 'exit 7' || true
	sub reset a
	run sub history a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^${time_re}\ \ closed\ -\>\ open\ \ 2\ consecutive\ failures,\ last\ exit\ 7$ ]]
	[[ "${lines[1]}" =~ ^${time_re}\ \ open\ -\>\ closed\ \ reset\ by\ hand$ ]]
}

@test "history spells half_open as the transition lines do, and keeps the whole cycle in order" {
	cb -n a -f 1 -r 200ms -- false || true
	cb_at 1 -n a -f 1 -r 200ms -- true
	run sub history a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"  closed -> open  1 consecutive failures, last exit 1" ]]
	[[ "${lines[1]}" == *"  open -> half_open  recovery timeout elapsed" ]]
	[[ "${lines[2]}" == *"  half_open -> closed  probe succeeded" ]]
}

@test "history of a breaker that never changed state is empty" {
	cb -n a -- true
	run sub history a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sub history --json a
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 0 ]
}

@test "--limit N keeps the newest N" {
	for i in 1 2 3; do
		cb -n a -f 1 -- false || true
		sub reset a
	done
	run sub history --limit 2 a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"closed -> open"* ]]
	[[ "${lines[1]}" == *"open -> closed  reset by hand" ]]
	run sub history --limit=1 a
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"reset by hand" ]]
}

@test "--json is an array of {time, from, to, reason}, oldest first" {
	cb -n a -f 1 -- sh -c 'exit 3' || true
	sub trip --reason 'planned "work"' a
	run sub history --json a
	[ "$status" -eq 0 ]
	echo "$output" | "$PY" -c '
import json, re, sys
v = json.load(sys.stdin)
assert len(v) == 2, v
for e in v:
    assert set(e) >= {"time", "from", "to", "reason"}, e
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]), e
assert v[0]["from"] == "closed" and v[0]["to"] == "open", v[0]
assert v[0]["reason"] == "1 consecutive failures, last exit 3", v[0]
assert v[1]["reason"] == "tripped by hand: planned \"work\"", v[1]
'
	run sub history --json --limit 1 a
	[ "$(echo "$output" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 1 ]
}

@test "history stays bounded by --history-limit after many more changes" {
	for i in $(seq 10); do
		sub record -q -f 1 --history-limit 5 -n a failure
		sub reset a
	done
	sub record -q -f 1 --history-limit 5 -n a failure
	run sub history a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[[ "${lines[4]}" == *"closed -> open  1 consecutive failures, last recorded by hand" ]]
	run sub history --json a
	[ "$(echo "$output" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 5 ]
}

@test "history of an unknown breaker is an error" {
	cb -n a -- true
	run sub history nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == *"cbexec: nosuch: no such breaker"* ]]
	run sub history --json nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == *"nosuch: no such breaker"* ]]
}

@test "history: bad input exits 125 with a message" {
	cb -n a -- true
	for args in "--limit 0 a" "--limit 1000001 a" "--limit abc a" "--limit -3 a" \
		"--limit 5x a" "a b" "--bogus a" "--limit" "--since abc" "--since -1h a" \
		"--since 5x" "--since"; do
		run sub history $args
		[ "$status" -eq 125 ] || { echo "args: $args"; false; }
		[[ "$output" == cbexec:* ]] || { echo "args: $args: $output"; false; }
	done
	run sub history 'bad name'
	[ "$status" -eq 125 ]
	[[ "$output" == *"bad name"* ]]
	run sub history --limit 1000000 a
	[ "$status" -eq 0 ]
}

@test "history --help" {
	run "$CBEXEC" history --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec history [--json] [--limit N] [--since DUR] [--db PATH] [NAME]" ]]
	[[ "$output" == *--limit* ]]
	[[ "$output" == *--since* ]]
}

# Three changes an hour apart by the wall clock: a opens, b opens, a is reset.
three_changes() {
	cb -q -n a -f 1 -- false || true
	cb_at 3600 -q -n b -f 1 -- false || true
	sub_at 7200 reset -q a
}

@test "history without a name merges every breaker's changes by time, the name second" {
	three_changes
	run sub history
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^${time_re}\ \ a\ \ closed\ -\>\ open\ \ 1\ consecutive\ failures,\ last\ exit\ 1$ ]]
	[[ "${lines[1]}" =~ ^${time_re}\ \ b\ \ closed\ -\>\ open\ \ 1\ consecutive ]]
	[[ "${lines[2]}" =~ ^${time_re}\ \ a\ \ open\ -\>\ closed\ \ reset\ by\ hand$ ]]
	# the times ascend
	[ "$(cut -d' ' -f1 <<<"$output" | sort -c && echo sorted)" = sorted ]
	# one breaker's history keeps its form, without the name
	run sub history a
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^${time_re}\ \ open\ -\>\ closed\ \ reset\ by\ hand$ ]]
}

@test "history without a name: --limit keeps the newest N of the merged list" {
	three_changes
	run sub history --limit 2
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"  b  closed -> open  "* ]]
	[[ "${lines[1]}" == *"  a  open -> closed  reset by hand" ]]
	run sub history --limit 1
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"  a  open -> closed  reset by hand" ]]
}

@test "--since DUR keeps the changes of the last DUR, with a name or without, text or JSON" {
	three_changes
	# read at +7300 s: an hour back reaches the reset only, two hours the last two
	run sub_at 7300 history --since 1h
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"  a  open -> closed  reset by hand" ]]
	run sub_at 7300 history --since 2h
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"  b  closed -> open  "* ]]
	run sub_at 7300 history --since 1.5h a
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ ^${time_re}\ \ open\ -\>\ closed ]]
	run sub_at 7300 history a --since 1m
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sub_at 7300 history --since 3h
	[ "${#lines[@]}" -eq 3 ]
	run sub_at 7300 history --json --since 2h
	echo "$output" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
assert [(e["name"], e["to"]) for e in v] == [("b", "open"), ("a", "closed")], v
'
	run sub_at 7300 history --json --since 2h --limit 1 a
	[ "$(echo "$output" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["to"])')" = closed ]
}

@test "history --json without a name: one array, oldest first, every object named" {
	three_changes
	run sub history --json
	[ "$status" -eq 0 ]
	echo "$output" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
assert [(e["name"], e["from"], e["to"]) for e in v] == [
    ("a", "closed", "open"), ("b", "closed", "open"), ("a", "open", "closed")], v
assert [e["time"] for e in v] == sorted(e["time"] for e in v), v
for e in v:
    assert set(e) == {"time", "name", "from", "to", "reason"}, e
'
	run sub history --json a
	echo "$output" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
assert len(v) == 2 and all(e["name"] == "a" for e in v), v
'
}

@test "history without a name of a file with no changes prints nothing; no file is an error" {
	cb -n a -- true
	run sub history
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sub history --json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	run --separate-stderr "$CBEXEC" history --db "$BATS_TEST_TMPDIR/none.db"
	[ "$status" -eq 125 ]
	# the path once, at the start
	[ "$stderr" = "cbexec: $BATS_TEST_TMPDIR/none.db: no state file: it does not exist yet (no call has written it); check the path (--db, CBEXEC_DB)" ]
	[ ! -e "$BATS_TEST_TMPDIR/none.db" ]
	# a deleted breaker's changes go with it
	sub trip b
	sub delete -q b
	run sub history
	[ -z "$output" ]
}
