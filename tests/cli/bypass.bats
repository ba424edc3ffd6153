#!/usr/bin/env bats
# cbexec bypass: every call admitted until reset, outcomes still counted.

load helpers

setup() {
	cbexec_setup
	db="$BATS_TEST_TMPDIR/s.db"
}

@test "a bypassed breaker admits calls past its threshold and still counts them" {
	cb -n a -f 2 -- true
	run sub bypass --reason 'incident 42' a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(field a mode)" = bypass ]
	for i in 1 2 3 4 5; do
		run cb -n a -f 2 -- sh -c 'exit 3'
		[ "$status" -eq 3 ]
	done
	[ "$(field a total_calls)" -eq 6 ]
	[ "$(field a total_failures)" -eq 5 ]
	[ "$(field a total_rejected)" -eq 0 ]
	[ "$(field a total_opens)" -eq 1 ]
	# the state says what the breaker would do
	[ "$(field a state)" = open ]
	run sub check -n a
	[ "$status" -eq 0 ]
}

@test "reset ends a bypass" {
	cb -n a -f 1 -- true
	sub bypass a
	cb -n a -f 1 -- false || true
	run cb -n a -f 1 -- true
	[ "$status" -eq 0 ]
	sub reset a
	[ "$(field a mode)" = normal ]
	cb -n a -f 1 -- false || true
	run cb -n a -f 1 -- true
	[ "$status" -eq 75 ]
}

@test "bypass of a tripped breaker admits calls" {
	cb -n a -- true
	sub trip a
	sub bypass a
	run cb -n a -- true
	[ "$status" -eq 0 ]
}

@test "bypass is kept in the history with its reason" {
	cb -n a -- true
	sub bypass --reason 'incident 42' a
	run sub history a
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"  closed -> closed  bypass by hand: incident 42" ]]
	[ "$(field a mode_reason)" = 'incident 42' ]
}

@test "bypass takes several names, and makes unknown ones with a warning" {
	cb -n a -- true
	run sub bypass a b
	[ "$status" -eq 0 ]
	[ "$output" = 'cbexec: warning: no breaker "b" (made it, bypassed)' ]
	[ "$(field a mode)" = bypass ]
	[ "$(field b mode)" = bypass ]
}

@test "bypass: bad input exits 125 with a message and changes nothing" {
	cb -n a -- true
	for args in "" "--bogus a" "--reason" "--for 1s a" "a b@d"; do
		run sub bypass $args
		[ "$status" -eq 125 ] || { echo "args: $args"; false; }
		[[ "$output" == cbexec:* ]] || { echo "args: $args: $output"; false; }
	done
	run sub bypass --reason $'x\ny' a
	[ "$status" -eq 125 ]
	run sub bypass --reason "$(printf 'x%.0s' $(seq 201))" a
	[ "$status" -eq 125 ]
	[ "$(field a mode)" = normal ]
	run sub status --names
	[ "$output" = a ]
}

@test "bypass --help" {
	run "$CBEXEC" bypass --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec bypass [--reason TEXT] [--db PATH] [-q] NAME..." ]]
}
