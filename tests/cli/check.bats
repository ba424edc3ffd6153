#!/usr/bin/env bats
# cbexec check: 0 if a call would be admitted now, 75 if not; never changes state.

load helpers

setup() {
	cbexec_setup
	db="$BATS_TEST_TMPDIR/s.db"
}

@test "an unknown breaker would be admitted, and check does not create it" {
	run sub check -n a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ ! -e "$db" ]
	cb -n b -- true
	run sub check -n a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sub status --names
	[ "$output" = b ]
}

@test "closed admits silently; open rejects with 75 and the reason" {
	cb -n a -- true
	run sub check -n a
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	cb -n a -f 1 -- sh -c 'exit 7' || true
	run sub check -n a
	[ "$status" -eq 75 ]
	[[ "$output" == "cbexec: a: circuit open after 1 consecutive failures, last exit 7; next try in "* ]]
}

@test "check changes nothing: no rejection counted, no transition, no history" {
	cb -n a -f 1 -r 30s -- false || true
	# status exits 2 for an open breaker; its output is what is compared
	before=$(sub status --json a || true)
	for i in 1 2 3; do
		run sub check -n a
		[ "$status" -eq 75 ]
	done
	[ "$(sub status --json a || true)" = "$before" ]
	[ "$(field a total_rejected)" -eq 0 ]
	run sub_at 31 check -n a -r 30s
	[ "$status" -eq 0 ]
	[ "$(field a state)" = open ]
	[ "$(sub history a | wc -l)" -eq 1 ]
}

@test "rejections exit 75 whatever --open-exit-code says" {
	cb -n a -f 1 -- false || true
	run sub check -n a --open-exit-code 3
	[ "$status" -eq 75 ]
}

@test "check does not take the only half-open slot" {
	# -s 2: after one successful probe the breaker stays half-open with its slot free
	cb -n a -f 1 -r 200ms -s 2 -- false || true
	cb_at 1 -n a -f 1 -r 200ms -s 2 -- true
	[ "$(field a state)" = half_open ]
	run sub_at 1 check -n a -s 2
	[ "$status" -eq 0 ]
	run sub_at 1 check -n a -s 2
	[ "$status" -eq 0 ]
	run cb_at 1 -n a -f 1 -r 200ms -s 2 -- true
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
}

@test "check rejects while a probe holds the half-open slot, admits when it ends" {
	cb -n a -f 1 -r 200ms -- false || true
	cb_at 1 -n a -f 1 -r 200ms -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	run sub_at 1 check -n a
	[ "$status" -eq 75 ]
	[[ "$output" == *"a: circuit half-open, probe already running"* ]]
	run sub_at 1 check -n a --half-open-max-calls 2
	[ "$status" -eq 0 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
	run sub_at 1 check -n a
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
}

@test "check honours --max-concurrent" {
	cb -n a --max-concurrent 1 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	run sub check -n a --max-concurrent 1
	[ "$status" -eq 75 ]
	[[ "$output" == *"a: 1 calls already running (max-concurrent 1)"* ]]
	run sub check -n a
	[ "$status" -eq 0 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
	run sub check -n a --max-concurrent 1
	[ "$status" -eq 0 ]
}

@test "check reads settings from the configuration file" {
	cb -n a -f 1 -r 200ms -s 2 -- false || true
	cb_at 1 -n a -f 1 -r 200ms -s 2 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	printf '[a]\nhalf_open_max_calls = 2\n' >"$BATS_TEST_TMPDIR/c.ini"
	run sub_at 1 check -n a
	[ "$status" -eq 75 ]
	run sub_at 1 check --config "$BATS_TEST_TMPDIR/c.ini" -n a
	[ "$status" -eq 0 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
}

@test "a tripped breaker is rejected with the reason; a bypassed one admitted" {
	sub trip --reason maintenance a b 2>/dev/null
	run sub check -n a
	[ "$status" -eq 75 ]
	[ "$output" = "cbexec: a: circuit tripped by hand (maintenance); open until cbexec reset" ]
	sub bypass b
	run sub check -n b
	[ "$status" -eq 0 ]
}

@test "-q keeps the exit status and drops the reason" {
	cb -n a -f 1 -- false || true
	run sub check -q -n a
	[ "$status" -eq 75 ]
	[ -z "$output" ]
}

@test "CBEXEC_DISABLE=1 admits without reading the state" {
	cb -n a -f 1 -- false || true
	CBEXEC_DISABLE=1 run sub check -n a
	[ "$status" -eq 0 ]
}

@test "an unreadable state file admits with a warning, or exits 125 with on_store_error fail" {
	echo 'not a database' >"$BATS_TEST_TMPDIR/note.txt"
	run "$CBEXEC" check --db "$BATS_TEST_TMPDIR/note.txt" -n a
	[ "$status" -eq 0 ]
	[[ "$output" == "cbexec: warning: $BATS_TEST_TMPDIR/note.txt: "*"admitting without the breaker" ]]
	run "$CBEXEC" check --db "$BATS_TEST_TMPDIR/note.txt" --on-store-error fail -n a
	[ "$status" -eq 125 ]
	[ "$(cat "$BATS_TEST_TMPDIR/note.txt")" = 'not a database' ]
}

@test "check: bad input exits 125 with a message" {
	for args in "" "a" "-n a extra" "-n" "--bogus -n a" "-n a -f abc" "-n a -r 0" \
		"-n a --half-open-max-calls 0"; do
		run sub check $args
		[ "$status" -eq 125 ] || { echo "args: $args"; false; }
		[[ "$output" == cbexec:* ]] || { echo "args: $args: $output"; false; }
	done
	run sub check -n 'bad name'
	[ "$status" -eq 125 ]
	[[ "$output" == *"bad name"* ]]
	run sub check --config "$BATS_TEST_TMPDIR/missing.ini" -n a
	[ "$status" -eq 125 ]
}

@test "check --help" {
	run "$CBEXEC" check --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec check [--db PATH] [--config PATH] [BREAKER OPTIONS] -n NAME" ]]
}
