#!/usr/bin/env bats
# The state file as src/store-sqlite.c reads it: rows, schema versions and files of
# other programs that this cbexec refuses, never repairs, and runs the command
# past (fail-open) unless on_store_error = fail.

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

# refused_run WHY: a call of breaker a warns once, naming the file and saying
# WHY, runs the command and keeps its exit status; with --on-store-error fail
# it exits 125 and does not run it.
refused_run() {
	run --separate-stderr cb -n a -- sh -c 'echo ran; exit 7'
	echo "status $status; stdout: $output; stderr: $stderr"
	[ "$status" -eq 7 ]
	[ "$output" = ran ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "cbexec: warning: $db: "*"$1"*"; running the command without the breaker" ]]
	run --separate-stderr cb --on-store-error fail -n a -- sh -c 'echo ran'
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	[[ "$stderr" == "cbexec: $db: "*"$1"* ]]
}

# row NAME: the breaker's state, mode and history length, as sqlite3 sees them.
row() {
	sqlite3 "$db" "SELECT state, mode, generation, total_calls,
		(SELECT count(*) FROM history WHERE breaker = '$1')
		FROM breakers WHERE name = '$1'"
}

@test "an invalid state in a row: refused, the row untouched, other breakers unharmed" {
	cb -n a -- true
	cb -n b -- true
	sqlite3 "$db" "UPDATE breakers SET state = 7 WHERE name = 'a'"
	before=$(row a)
	refused_run "breaker a: column state holds 7, outside 0..2"
	run sub reset a
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: $db: breaker a: column state holds 7"* ]]
	run sub trip a
	[ "$status" -eq 125 ]
	# status names it and says UNKNOWN, as for any breaker it cannot read
	run sub status a
	[ "$status" -eq 3 ]
	[ "$(row a)" = "$before" ]
	run cb -n b -- true
	[ "$status" -eq 0 ]
	[ "$(field b total_calls)" -eq 2 ]
}

@test "an invalid mode in a row, a negative state, a held of 2: refused the same way" {
	cb -n a -- true
	sqlite3 "$db" "UPDATE breakers SET mode = 9 WHERE name = 'a'"
	before=$(row a)
	refused_run "breaker a: column mode holds 9, outside 0..2"
	[ "$(row a)" = "$before" ]
	sqlite3 "$db" "UPDATE breakers SET mode = 0, state = -1 WHERE name = 'a'"
	before=$(row a)
	refused_run "breaker a: column state holds -1, outside 0..2"
	[ "$(row a)" = "$before" ]
	sqlite3 "$db" "UPDATE breakers SET state = 1, held = 2 WHERE name = 'a'"
	refused_run "breaker a: column held holds 2, outside 0..1"
}

@test "a state file of a newer schema (user_version 99): refused, left as it is" {
	cb -n a -f 1 -- false || true
	sqlite3 "$db" "PRAGMA user_version = 99"
	before=$(row a)
	refused_run "written by a newer cbexec (schema 99); upgrade cbexec"
	for c in "reset a" "trip a" "bypass a" "delete a" "status" "history a"; do
		run sub $c
		echo "$c: $status $output"
		[ "$status" -eq 125 ]
		[[ "$output" == *"cbexec: $db: written by a newer cbexec (schema 99); upgrade cbexec"* ]]
	done
	[ "$(sqlite3 "$db" 'PRAGMA user_version')" -eq 99 ]
	[ "$(row a)" = "$before" ]
}

@test "our application id with schema version 0: refused as unknown" {
	cb -n a -- true
	sqlite3 "$db" "PRAGMA user_version = 0"
	refused_run "unknown schema version 0"
	[ "$(sqlite3 "$db" 'PRAGMA user_version')" -eq 0 ]
}

@test "another program's database with an application id of its own: refused, untouched" {
	# A populated file that is not ours by its header, even at our schema version.
	sqlite3 "$db" "PRAGMA application_id = 1234; PRAGMA user_version = 1;
		CREATE TABLE breakers (name TEXT); INSERT INTO breakers VALUES ('a')"
	sum=$(sha256sum <"$db")
	refused_run "a SQLite database of another program, not a cbexec state file"
	run sub status
	[ "$status" -eq 125 ]
	run sub reset --all
	[ "$status" -eq 125 ]
	[ "$(sha256sum <"$db")" = "$sum" ]
	[ "$(sqlite3 "$db" 'PRAGMA application_id')" -eq 1234 ]
}
