#!/usr/bin/env bats
# Hooks (hooks.c): bounded, whatever they leave running.

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

teardown() {
	[ -s "$BATS_TEST_TMPDIR/bg.pid" ] && kill -KILL "$(cat "$BATS_TEST_TMPDIR/bg.pid")" 2>/dev/null || true
}

@test "a hook's background child does not hold \$(cbexec ...) beyond the bound" {
	# The child holds the hook's stdout and stderr, cbexec's stderr, which is
	# the pipe of the $(...) here; cbexec stops it at the 5 s bound. (39 s:
	# a duration no other test uses, in case one kills sleeps by name.)
	(
		out=$("$CBEXEC" --db "$db" -n a -f 1 \
			--on-open "sleep 39 & echo \$! > '$BATS_TEST_TMPDIR/bg.pid'" -- false 2>&1) || true # set -e would end the subshell at false
		printf '%s\n' "$out" > "$BATS_TEST_TMPDIR/out.tmp"
		mv "$BATS_TEST_TMPDIR/out.tmp" "$BATS_TEST_TMPDIR/out"
	) &
	sub=$!
	for _ in $(seq 80); do
		[ -e "$BATS_TEST_TMPDIR/out" ] && break
		sleep 0.1
	done
	kill -KILL "$sub" 2>/dev/null || true
	[ -e "$BATS_TEST_TMPDIR/out" ]
	grep -q "a: on-open hook left processes running after 5s; stopped them" "$BATS_TEST_TMPDIR/out"
	gone "$(cat "$BATS_TEST_TMPDIR/bg.pid")"
	[ "$(field a state)" = open ]
}

@test "a hook's background child that ends in time is waited for, and nothing is reported" {
	run cb -n a -f 1 --on-open "(sleep 0.3; echo late > '$BATS_TEST_TMPDIR/late') &" -- false
	[ "$status" -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR/late")" = late ]
	[[ "$output" != *stopped* ]]
}
