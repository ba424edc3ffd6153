#!/usr/bin/env bats
# tests/run itself: a crashed, aborted or short test program fails the run,
# and skips are counted as skips.

bats_require_minimum_version 1.5.0

RUNNER="$BATS_TEST_DIRNAME/../run"

# fake NAME LINES...: a test program that prints LINES, then runs the last
# argument as shell (for an exit or an abort)
fake() {
	local f="$BATS_TEST_TMPDIR/$1" last=${*: -1}
	shift
	{
		echo '#!/bin/sh'
		for l in "${@:1:$#-1}"; do printf "echo '%s'\n" "$l"; done
		echo "$last"
	} > "$f"
	chmod +x "$f"
}

runner() { CBEXEC_UNIT_ONLY=1 run "$RUNNER" "$@"; }

@test "tests/run: a program that prints ok 1 and then aborts fails the run" {
	fake abort 'ok 1 - fine' 'kill -ABRT $$'
	runner "$BATS_TEST_TMPDIR/abort"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not ok - $BATS_TEST_TMPDIR/abort: killed by signal 6"* ]]
	[ "${lines[-1]}" = "1 passed, 1 failed, 0 skipped" ]
}

@test "tests/run: a short plan, no plan, or a bad exit with every test ok fails the run" {
	fake short '1..3' 'ok 1 - a' 'exit 0'
	fake noplan 'ok 1 - a' 'exit 0'
	fake badexit 'ok 1 - a' '1..1' 'exit 3'
	fake good 'ok 1 - a' 'ok 2 - b' '1..2' 'exit 0'
	runner "$BATS_TEST_TMPDIR/short" "$BATS_TEST_TMPDIR/noplan" "$BATS_TEST_TMPDIR/badexit" \
		"$BATS_TEST_TMPDIR/good"
	[ "$status" -ne 0 ]
	[[ "$output" == *"short: planned 3 tests, ran 1"* ]]
	[[ "$output" == *"noplan: no plan"* ]]
	[[ "$output" == *"badexit: exited 3 without a failed test"* ]]
	[ "${lines[-1]}" = "5 passed, 3 failed, 0 skipped" ]
}

@test "tests/run: skips count as skipped, a plan may come first or last, failures fail" {
	fake skips '1..3' 'ok 1 - a' 'ok 2 - b # skip no network' 'ok 3 - c # SKIP' 'exit 0'
	runner "$BATS_TEST_TMPDIR/skips"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "1 passed, 0 failed, 2 skipped" ]
	fake fails 'ok 1 - a' 'not ok 2 - b' '1..2' 'exit 1'
	runner "$BATS_TEST_TMPDIR/skips" "$BATS_TEST_TMPDIR/fails"
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "2 passed, 1 failed, 2 skipped" ]
}
