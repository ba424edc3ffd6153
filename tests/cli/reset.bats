#!/usr/bin/env bats
# cbexec reset: close breakers by hand, counters cleared, totals kept; exit 0 or 125.

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

# open NAME...: each breaker opened by one failure.
open() {
	for n in "$@"; do cb -q -n "$n" -f 1 -- false || true; done
}

@test "reset closes with counters cleared and totals kept" {
	cb -n a -f 1 -- false || true
	run sub reset a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(field a state)" = closed ]
	[ "$(field a consecutive_failures)" -eq 0 ]
	[ "$(field a total_failures)" -eq 1 ]
	run cb -n a -f 1 -- true
	[ "$status" -eq 0 ]
}

@test "reset keeps the breaker's own open period, not the built-in 30 s" {
	cb -q -n a -f 1 -r 1h -- false || true
	[ "$(field a open_period_seconds)" = 3600.0 ]
	sub reset a
	[ "$(field a state)" = closed ]
	[ "$(field a open_period_seconds)" = 3600.0 ]
	"$CBEXEC" metrics --db "$db" | grep -qx 'cbexec_open_period_seconds{name="a"} 3600.000'
}

@test "reset on a missing state file: 125, the path once, nothing made" {
	mkdir "$BATS_TEST_TMPDIR/d"
	for path in "$BATS_TEST_TMPDIR/newdir/x.db" "$BATS_TEST_TMPDIR/d/x.db"; do
		for args in "typo" "--all"; do
			run --separate-stderr "$CBEXEC" reset $args --db "$path"
			[ "$status" -eq 125 ]
			[ -z "$output" ]
			[[ "$stderr" == "cbexec: $path: no state file: "*"; check the path (--db, CBEXEC_DB)" ]]
		done
	done
	[[ "$stderr" == *": no state file: it does not exist yet"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/newdir" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/d")" ]
}

@test "reset writes one history line; resetting a closed breaker writes none" {
	open a
	sub reset a
	run sub history a
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *"  open -> closed  reset by hand" ]]
	run sub reset a
	[ "$status" -eq 0 ]
	[ "$(sub history a | wc -l)" -eq 2 ]
	[ "$(field a state)" = closed ]
}

@test "reset closes a half-open breaker, totals kept" {
	cb -n a -f 1 -r 30s -s 2 -- false || true
	cb_at 31 -n a -f 1 -r 30s -s 2 -- true
	[ "$(field a state)" = half_open ]
	sub_at 31 reset a
	[ "$(field a state)" = closed ]
	[ "$(field a total_successes)" -eq 1 ]
}

@test "reset of several names resets those and no other" {
	open a b c d
	run sub reset a c d
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
	[ "$(field b state)" = open ]
	[ "$(field c state)" = closed ]
	[ "$(field d state)" = closed ]
}

@test "reset --all closes every breaker in the file" {
	open a b
	cb -n c -- true
	run sub reset --all
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(field a state)" = closed ]
	[ "$(field b state)" = closed ]
	[ "$(field c state)" = closed ]
	run sub status
	[ "$status" -eq 0 ]
}

@test "reset --all of a file with no breaker succeeds and does nothing" {
	cb -n a -- true
	sub delete a
	run sub reset --all
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(sub status --json)" = "[]" ]
}

@test "an unknown name is reported, 125, after the others are reset" {
	open a b
	run sub reset a nosuch b
	[ "$status" -eq 125 ]
	[ "$output" = 'cbexec: warning: no breaker "nosuch"' ]
	[ "$(field a state)" = closed ]
	[ "$(field b state)" = closed ]
	# ...and is not created by the attempt
	run sub status nosuch
	[ "$status" -eq 3 ]
}

@test "a bad name: 125 before anything is reset" {
	open a
	run sub reset a 'bad name'
	[ "$status" -eq 125 ]
	[ "$output" = 'cbexec: breaker name "bad name" contains a character other than A-Z a-z 0-9 . _ : -' ]
	[ "$(field a state)" = open ]
	run sub reset ''
	[ "$status" -eq 125 ]
	[ "$output" = 'cbexec: breaker name "" is empty' ]
	run sub reset "$(printf 'x%.0s' $(seq 129))"
	[ "$status" -eq 125 ]
	[[ "$output" == *" is longer than 128 characters" ]]
}

@test "usage errors: no name, --all with names, an unknown option: 125" {
	open a
	run sub reset
	[ "$status" -eq 125 ]
	[[ "${lines[0]}" == "cbexec: name the breakers to reset, or --all" ]]
	run sub reset --all a
	[ "$status" -eq 125 ]
	[[ "${lines[0]}" == "cbexec: --all takes no names" ]]
	run sub reset --bogus a
	[ "$status" -eq 125 ]
	[[ "${lines[0]}" == "cbexec: unknown option --bogus" ]]
	[[ "$output" == *"usage: cbexec reset "* ]]
	[ "$(field a state)" = open ]
}

@test "reset --help: usage on stdout, exit 0, nothing reset" {
	open a
	run --separate-stderr sub reset --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "usage: cbexec reset [--db PATH] [-q] (--all | NAME|PATTERN...)" ]
	[[ "$output" == *"--all"* ]]
	run "$CBEXEC" reset -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec reset "* ]]
	[ "$(field a state)" = open ]
}
