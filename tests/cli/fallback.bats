#!/usr/bin/env bats
# --fallback-on: the fallback for rejected calls (the default), failed ones, or both.

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

# Prints what the fallback saw and exits 42; the first line says it ran.
# shellcheck disable=SC2016
FB='echo "fallback outcome=$CBEXEC_OUTCOME exit=$CBEXEC_EXIT_CODE state=$CBEXEC_STATE failures=$CBEXEC_FAILURES last=$CBEXEC_LAST_EXIT retry=$CBEXEC_RETRY_AFTER name=$CBEXEC_NAME"; exit 42'

@test "--fallback-on failure: a failed call's fallback runs after the command; its status is cbexec's" {
	run --separate-stderr cb -n a -f 3 --fallback-on failure --fallback "$FB" -- sh -c 'echo out; exit 7'
	[ "$status" -eq 42 ]
	[ "${lines[0]}" = out ]
	[ "${lines[1]}" = "fallback outcome=failure exit=7 state=closed failures=1 last=7 retry= name=a" ]
	[ "$(field a total_failures)" -eq 1 ]
}

@test "--fallback-on failure: the outcome is recorded before the fallback runs" {
	run cb -n a -f 1 --fallback-on failure \
		--fallback "'$CBEXEC' status --db '$db' --json a | grep -o '\"total_failures\":[0-9]*'; exit 9" \
		-- false
	[ "$status" -eq 9 ]
	[ "${lines[-1]}" = '"total_failures":1' ]
}

@test "--fallback-on failure: the call that opens gives the fallback the open state and its retry time" {
	run --separate-stderr cb -n a -f 1 -r 1m --fallback-on failure --fallback "$FB" -- sh -c 'exit 3'
	[ "$status" -eq 42 ]
	[ "$output" = "fallback outcome=failure exit=3 state=open failures=1 last=3 retry=60 name=a" ]
}

@test "--fallback-on failure: a success keeps the command's status, no fallback" {
	run -0 cb -n a --fallback-on failure --fallback "touch '$BATS_TEST_TMPDIR/fb'; exit 42" -- true
	[ ! -e "$BATS_TEST_TMPDIR/fb" ]
	# an ignored exit status is no failure either
	run cb -n a --ignore-exit 3 --fallback-on failure --fallback "touch '$BATS_TEST_TMPDIR/fb'" -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[ ! -e "$BATS_TEST_TMPDIR/fb" ]
	[ "$(field a total_ignored)" -eq 1 ]
}

@test "--fallback-on failure: a rejected call exits 75 without the fallback" {
	sub trip a
	run --separate-stderr cb -n a --fallback-on failure --fallback "touch '$BATS_TEST_TMPDIR/fb'" -- true
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/fb" ]
	[[ "$stderr" == *"circuit tripped by hand"* ]]
}

@test "--fallback-on rejected (the default): a failed call keeps its status" {
	run cb -n a --fallback "touch '$BATS_TEST_TMPDIR/fb'; exit 42" -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run cb -n a --fallback-on rejected --fallback "touch '$BATS_TEST_TMPDIR/fb'; exit 42" -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	[ ! -e "$BATS_TEST_TMPDIR/fb" ]
	sub trip a
	run --separate-stderr cb -n a --fallback "$FB" -- true
	[ "$status" -eq 42 ]
	[ "$output" = "fallback outcome=rejected exit= state=open failures=2 last=7 retry= name=a" ]
}

@test "--fallback-on any: the fallback for failures and for rejections" {
	run --separate-stderr cb -n a -f 1 -r 1m --fallback-on any --fallback "$FB" -- sh -c 'exit 5'
	[ "$status" -eq 42 ]
	[ "$output" = "fallback outcome=failure exit=5 state=open failures=1 last=5 retry=60 name=a" ]
	run --separate-stderr cb -n a -f 1 -r 1m --fallback-on any --fallback "$FB" -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 42 ]
	[[ "$output" == "fallback outcome=rejected exit= state=open failures=1 last=5 retry="[1-6]*" name=a" ]]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[ "$(field a total_rejected)" -eq 1 ]
	# and a success is still the command's
	sub reset a
	run -0 cb -n a --fallback-on any --fallback "$FB" -- true
	[ -z "$output" ]
}

@test "--fallback-on failure: a timeout is a failure; CBEXEC_EXIT_CODE is 124, or the preserved status" {
	run --separate-stderr cb -n a -t 200ms --fallback-on failure --fallback "$FB" -- sleep 10
	[ "$status" -eq 42 ]
	[[ "$output" == "fallback outcome=failure exit=124 "* ]]
	run --separate-stderr cb -n a -t 200ms --preserve-status --fallback-on failure --fallback "$FB" \
		-- sh -c 'trap "exit 3" TERM; sleep 10 & wait'
	[ "$status" -eq 42 ]
	[[ "$output" == "fallback outcome=failure exit=3 "* ]]
	[ "$(field a total_timeouts)" -eq 2 ]
}

@test "--fallback-on failure: hooks of the transition run and are waited for before the fallback" {
	run --separate-stderr cb -n a -f 1 --fallback-on failure \
		--on-open "sleep 0.3; echo hook >'$BATS_TEST_TMPDIR/hook'" \
		--fallback "cat '$BATS_TEST_TMPDIR/hook'; exit 42" -- false
	[ "$status" -eq 42 ]
	[ "$output" = hook ]
}

@test "a rejected call's hooks, too, are done before the fallback replaces cbexec" {
	# open -> half-open, then turned away by --max-concurrent 1 (a call from
	# before the open holds the one slot): a transition with a hook, and a
	# rejection with a fallback
	cb -n a --max-concurrent 1 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	local held=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	sub record -q -n a -f 1 failure
	run --separate-stderr cb_at 60 -n a -f 1 --max-concurrent 1 \
		--on-half-open "sleep 0.3; echo hook >'$BATS_TEST_TMPDIR/hook'" \
		--fallback "cat '$BATS_TEST_TMPDIR/hook'; echo \"\$CBEXEC_OUTCOME\"; exit 42" -- true
	touch "$BATS_TEST_TMPDIR/h.go"
	wait "$held"
	[ "$status" -eq 42 ]
	[ "${lines[0]}" = hook ]
	[ "${lines[1]}" = rejected ]
	[[ "$stderr" == *"open -> half_open"* ]]
}

@test "--fallback-on failure with a damaged state file: the command runs unprotected, its failure gets the fallback" {
	printf 'not a database at all, just some text that is long enough\n%.0s' {1..80} >"$db"
	run --separate-stderr cb -n a --fallback-on failure --fallback "$FB" -- sh -c 'exit 6'
	[ "$status" -eq 42 ]
	[ "$output" = "fallback outcome=failure exit=6 state= failures= last= retry= name=a" ]
	[[ "$stderr" == *"running the command without the breaker"* ]]
	# on_store_error = fail: nothing ran, cbexec's own 125, no fallback
	run --separate-stderr cb -n a --on-store-error fail --fallback-on any --fallback "$FB" -- true
	[ "$status" -eq 125 ]
	[ -z "$output" ]
}

@test "--fallback-on takes rejected, failure, any, as option and config key; anything else exits 125" {
	run -0 "$CBEXEC" config --fallback-on FAILURE
	grep -qx $'fallback_on = failure\tcommand line' <<<"$output"
	mkdir -p "$XDG_CONFIG_HOME/cbexec"
	printf '[a]\nfallback_on = any\nfallback = exit 42\n' >"$XDG_CONFIG_HOME/cbexec/config.ini"
	run cb -n a -- false
	[ "$status" -eq 42 ]
	run --separate-stderr cb -n a --fallback-on always -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 125 ]
	[ "$stderr" = 'cbexec: --fallback-on: "always" is none of rejected, failure, any' ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
}
