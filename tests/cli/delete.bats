#!/usr/bin/env bats
# cbexec delete: forget breakers, their leases and their history.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cbexec_setup
	db="$BATS_TEST_TMPDIR/s.db"
}

@test "delete forgets the breaker and its history, and leaves the others" {
	cb -n a -f 1 -- false || true
	cb -n b -f 1 -- false || true
	run sub delete a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sub status a
	[ "$status" -eq 3 ]
	run sub history a
	[ "$status" -eq 125 ]
	run sub status --names
	[ "$output" = b ]
	[ "$(sub history b | wc -l)" -eq 1 ]
}

@test "a deleted name starts afresh" {
	cb -n a -f 1 -- false || true
	sub delete a
	run cb -n a -f 1 -- true
	[ "$status" -eq 0 ]
	[ "$(field a total_calls)" -eq 1 ]
	[ "$(field a state)" = closed ]
	run sub history a
	[ -z "$output" ]
}

@test "delete drops the leases: a running call of a deleted breaker holds no slot" {
	cb -n a --max-concurrent 1 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	run sub check -n a --max-concurrent 1
	[ "$status" -eq 75 ]
	sub delete a
	run sub check -n a --max-concurrent 1
	[ "$status" -eq 0 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
}

@test "several names; an unknown one is reported after the others are deleted" {
	cb -n a -- true
	cb -n b -- true
	run sub delete a nosuch b
	[ "$status" -eq 125 ]
	[ "$output" = 'cbexec: warning: no breaker "nosuch"' ]
	run sub status --names
	[ -z "$output" ]
}

@test "delete: bad input exits 125 with a message and deletes nothing" {
	cb -n a -- true
	for args in "" "--bogus a" "--db" "a bad,name"; do
		run sub delete $args
		[ "$status" -eq 125 ] || { echo "args: $args"; false; }
		[[ "$output" == cbexec:* ]] || { echo "args: $args: $output"; false; }
	done
	run sub status --names
	[ "$output" = a ]
}

@test "delete on a missing state file: 125, nothing made" {
	path="$BATS_TEST_TMPDIR/newdir/x.db"
	run --separate-stderr "$CBEXEC" delete a --db "$path"
	[ "$status" -eq 125 ]
	[ "$stderr" = "cbexec: $path: no state file: $BATS_TEST_TMPDIR/newdir does not exist; check the path (--db, CBEXEC_DB)" ]
	[ ! -e "$BATS_TEST_TMPDIR/newdir" ]
	run --separate-stderr "$CBEXEC" delete -q a --db "$db"
	[ "$status" -eq 125 ]
	[ "$stderr" = "cbexec: $db: no state file: it does not exist yet (no call has written it); check the path (--db, CBEXEC_DB)" ]
	[ ! -e "$db" ]
	[ ! -e "$db-wal" ]
	[ ! -e "$db-shm" ]
}

@test "delete --help" {
	run "$CBEXEC" delete --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec delete [--db PATH] [-q] NAME..." ]]
}
