#!/usr/bin/env bats
# cbexec trip: open breakers by hand, until reset or for a while.

load helpers

setup() {
	cbexec_setup
	db="$BATS_TEST_TMPDIR/s.db"
}

@test "a tripped breaker rejects with the reason and stays open past its recovery timeout" {
	cb -n a -r 200ms -- true
	run sub trip --reason 'planned maintenance' a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(field a state)" = open ]
	[ "$(field a mode)" = tripped ]
	run cb -n a -r 200ms -- true
	[ "$status" -eq 75 ]
	[ "$output" = "cbexec: a: circuit tripped by hand (planned maintenance); open until cbexec reset" ]
	# a year on, far past any recovery timeout
	run cb_at 31536000 -n a -r 200ms -- true
	[ "$status" -eq 75 ]
	[ "$(field a state)" = open ]
	[ "$(field a total_calls)" -eq 1 ]
	[ "$(field a total_rejected)" -eq 2 ]
}

@test "reset ends a trip" {
	sub trip a 2>/dev/null
	run cb -n a -- true
	[ "$status" -eq 75 ]
	[ "$output" = "cbexec: a: circuit tripped by hand; open until cbexec reset" ]
	sub reset a
	run cb -n a -- true
	[ "$status" -eq 0 ]
}

@test "trip --for 300ms rejects, then admits a probe after 300ms" {
	# 300ms is short; the machine being slow would only make the first
	# rejection fail, which --for 5m then tests without any race.
	cb -n b -- true
	sub trip --for 5m b
	run cb_at 299 -n b -- true
	[ "$status" -eq 75 ]
	run cb_at 301 -n b -- true
	[ "$status" -eq 0 ]

	cb -n a -- true
	sub trip --for 300ms a
	run cb -n a -- true
	[ "$status" -eq 75 ]
	[[ "$output" == "cbexec: a: circuit open (tripped by hand); next try in "* ]]
	run cb_at 1 -n a -- true
	[ "$status" -eq 0 ]
	[[ "$output" == *"open -> half_open"* ]]
	[ "$(field a state)" = closed ]
}

@test "trip --for: a failed probe opens for the recovery timeout" {
	cb -n a -- true
	sub trip --for=200ms a
	run cb_at 1 -n a -r 10s -- false
	[ "$status" -eq 1 ]
	[ "$(field a state)" = open ]
	run cb_at 2 -n a -r 10s -- true
	[ "$status" -eq 75 ]
}

@test "trip is recorded in the history and counts as an opening" {
	cb -n a -- true
	sub trip --reason 'disk full' a
	run sub history a
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"  closed -> open  tripped by hand: disk full" ]]
	[ "$(field a total_opens)" -eq 1 ]
	[ "$(field a mode_reason)" = 'disk full' ]
}

@test "trip takes several names, and makes unknown ones with a warning" {
	cb -n a -- true
	run sub trip a b c
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = 'cbexec: warning: no breaker "b" (made it, tripped)' ]
	[ "${lines[1]}" = 'cbexec: warning: no breaker "c" (made it, tripped)' ]
	for n in a b c; do
		[ "$(field $n state)" = open ]
		run cb -n $n -- true
		[ "$status" -eq 75 ]
	done
}

@test "trip over a bypass replaces it" {
	cb -n a -- true
	sub bypass a
	sub trip a
	[ "$(field a mode)" = tripped ]
	run cb -n a -- true
	[ "$status" -eq 75 ]
}

@test "a 200-byte reason is accepted, 201 bytes are not" {
	cb -n a -- true
	r200=$(printf 'x%.0s' $(seq 200))
	run sub trip --reason "$r200" a
	[ "$status" -eq 0 ]
	[ "$(field a mode_reason)" = "$r200" ]
	run sub trip --reason "${r200}y" a
	[ "$status" -eq 125 ]
	[[ "$output" == *"--reason is longer than 200 bytes"* ]]
	[ "$(field a mode_reason)" = "$r200" ]
}

@test "trip: bad input exits 125 with a message and changes nothing" {
	cb -n a -- true
	for args in "" "--for 0 a" "--for abc a" "--for -1s a" "--for 366d a" "--for" \
		"--bogus a" "-f 1s a" "a bad/name"; do
		run sub trip $args
		[ "$status" -eq 125 ] || { echo "args: $args"; false; }
		[[ "$output" == cbexec:* ]] || { echo "args: $args: $output"; false; }
	done
	run sub trip --reason $'two\nlines' a
	[ "$status" -eq 125 ]
	[[ "$output" == *"--reason contains a control character"* ]]
	run sub trip --reason $'a\tb' a
	[ "$status" -eq 125 ]
	run sub trip --reason $'\033[31mred' a
	[ "$status" -eq 125 ]
	[ "$(field a state)" = closed ]
	run sub status --names
	[ "$output" = a ]
}

@test "trip --help" {
	run "$CBEXEC" trip --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec trip [--for DUR] [--reason TEXT] [--db PATH] [-q] NAME..." ]]
}
