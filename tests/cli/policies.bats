#!/usr/bin/env bats
# Breaker policies: outcome classes, rate windows, slow calls, backoff, jitter,
# fallback, hooks, the concurrency cap.

load helpers

setup() { cbexec_setup; }

@test "ignored exits never trip and count only in the totals" {
	for i in 1 2 3 4; do
		run cb -n a -f 1 --ignore-exit 3,10-12 -- sh -c 'exit 3'
		[ "$status" -eq 3 ]
	done
	cb -n a -f 1 --ignore-exit 3,10-12 -- sh -c 'exit 11' || true
	[ "$(field a state)" = closed ]
	[ "$(field a total_ignored)" -eq 5 ]
	[ "$(field a total_failures)" -eq 0 ]
}

@test "--success-exit makes other codes successes" {
	run cb -n a -f 1 --success-exit 0,1 -- false
	[ "$status" -eq 1 ]
	[ "$(field a state)" = closed ]
	[ "$(field a total_successes)" -eq 1 ]
}

@test "an empty --success-exit is refused; an empty --ignore-exit ignores nothing" {
	run cb -n a --success-exit '' -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 125 ]
	[[ "$output" == *'--success-exit: "" is empty'* ]]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	printf '[defaults]\nsuccess_exit =\n' >"$BATS_TEST_TMPDIR/c.ini"
	run cb --config "$BATS_TEST_TMPDIR/c.ini" -n a -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"c.ini:2: "*"is empty"* ]]
	run cb -n a -f 1 --ignore-exit '' -- false
	[ "$status" -eq 1 ]
	[ "$(field a state)" = open ]
}

@test "failure rate trips at the rate and not before min-calls" {
	opts="-f 0 --window 10 --failure-rate 50 --min-calls 4"
	cb -n a $opts -- false || true
	cb -n a $opts -- false || true
	cb -n a $opts -- false || true
	[ "$(field a state)" = closed ]
	cb -n a $opts -- true
	[ "$(field a state)" = open ]
	[[ "$(field a reason)" == "failure rate 75% over the last 10 calls (3 of 4)" ]]
}

@test "failure rate below the threshold does not trip" {
	opts="-f 0 --window 10 --failure-rate 50 --min-calls 4"
	for c in true true true false true false true; do cb -n a $opts -- $c || true; done
	[ "$(field a state)" = closed ]
}

@test "a time window counts the calls within it" {
	opts="-f 0 --window 1m --failure-rate 100 --min-calls 2"
	cb -n a $opts -- false || true
	cb -n a $opts -- false || true
	[ "$(field a state)" = open ]
}

@test "slow calls trip the slow-call rate" {
	opts="-f 0 --window 4 --min-calls 2 --slow-call 100ms --slow-call-rate 100"
	# These sleeps are the behaviour: a call is slow by its elapsed time.
	cb -n a $opts -- sleep 0.2
	[ "$(field a state)" = closed ]
	cb -n a $opts -- sleep 0.2
	[ "$(field a state)" = open ]
	[ "$(field a total_slow)" -eq 2 ]
}

@test "the open period doubles with --backoff 2 and returns to the base after closing" {
	opts="-f 1 -r 30s --backoff 2"
	cb -n a $opts -- false || true
	[ "$(field a open_period_seconds)" = 30.0 ]
	cb_at 31 -n a $opts -- false || true
	[ "$(field a open_period_seconds)" = 60.0 ]
	run cb_at 90 -n a $opts -- true
	[ "$status" -eq 75 ]
	cb_at 92 -n a $opts -- false || true
	[ "$(field a open_period_seconds)" = 120.0 ]
	run cb_at 211 -n a $opts -- true
	[ "$status" -eq 75 ]
	cb_at 213 -n a $opts -- true
	[ "$(field a state)" = closed ]
	cb_at 214 -n a $opts -- false || true
	[ "$(field a open_period_seconds)" = 30.0 ]
}

@test "--max-recovery-timeout caps the backoff" {
	opts="-f 1 -r 200ms --backoff 10 --max-recovery-timeout 500ms"
	cb -n a $opts -- false || true
	cb_at 1 -n a $opts -- false || true
	[ "$(field a open_period_seconds)" = 0.5 ]
}

@test "jitter spreads retry times" {
	for i in $(seq 8); do cb -n "j$i" -f 1 -r 1000s --jitter 50 -- false || true; done
	n=$(sub status --json | "$PY" -c 'import json,sys; print(len({b["retry_at"] for b in json.load(sys.stdin)}))')
	[ "$n" -ge 3 ]
}

@test "the fallback runs instead, with its output and exit status and the environment" {
	cb -n a -f 1 -- sh -c 'exit 7' || true
	run cb -n a -f 1 --fallback 'echo "fb $CBEXEC_NAME $CBEXEC_STATE $CBEXEC_FAILURES $CBEXEC_LAST_EXIT $CBEXEC_RETRY_AFTER"; exit 42' -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 42 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$output" == *"fb a open 1 7 "[0-9]* ]]
	[ "$(field a total_rejected)" -eq 1 ]
}

@test "a 300-character fallback from the config file runs whole" {
	long=$(printf 'y%.0s' $(seq 300))
	mkdir -p "$XDG_CONFIG_HOME/cbexec"
	printf '[a]\nfailure_threshold = 1\nfallback = echo %s\n' "$long" > "$XDG_CONFIG_HOME/cbexec/config.ini"
	chmod 600 "$XDG_CONFIG_HOME/cbexec/config.ini"
	cb -n a -- false || true
	run cb -n a -- true
	[ "$status" -eq 0 ]
	[ "${#output}" -ge 300 ]
	[[ "$output" == *"$long"* ]]
}

@test "hooks see the transition in their environment, values never pasted into the shell" {
	log="$BATS_TEST_TMPDIR/hook"
	cb -n a -f 1 --on-change 'printf "%s|%s|%s|%s|%s\n" "$CBEXEC_NAME" "$CBEXEC_FROM" "$CBEXEC_TO" "$CBEXEC_REASON" "$CBEXEC_LAST_EXIT" >> '"$log" -- sh -c 'exit 7' || true
	[ "$(cat "$log")" = "a|closed|open|1 consecutive failures, last exit 7|7" ]
}

@test "an on-open hook runs exactly once when 8 processes fail at once" {
	log="$BATS_TEST_TMPDIR/opened"
	# Each call lasts 0.5 s so that all eight are admitted before any fails.
	for i in $(seq 8); do
		"$CBEXEC" --db "$db" -q -n a -f 1 --on-open "echo x >> $log" -- sh -c 'sleep 0.5; exit 1' &
	done
	wait || true
	[ "$(field a state)" = open ]
	[ "$(wc -l < "$log")" -eq 1 ]
}

@test "on-close and on-half-open hooks, in the order of the changes" {
	log="$BATS_TEST_TMPDIR/h"
	opts="-f 1 -r 30s"
	cb -n a $opts -- false || true
	# The half-open hook is slower than the probe; the close hook waits for it.
	cb_at 31 -n a $opts --on-half-open "sleep 0.5; echo half >> $log" \
		--on-close "echo closed >> $log" -- true
	[ "$(cat "$log")" = "$(printf 'half\nclosed')" ]
}

@test "a probe runs while its half-open hook still does" {
	log="$BATS_TEST_TMPDIR/h"
	opts="-f 1 -r 30s"
	cb -n a $opts -- false || true
	cb_at 31 -n a $opts --on-half-open "sleep 1; echo hook >> $log" -- sh -c "echo probe >> $log"
	[ "$(cat "$log")" = "$(printf 'probe\nhook')" ]
}

@test "a hook that sleeps 60s does not hold cbexec" {
	pidf="$BATS_TEST_TMPDIR/hook.pid"
	start=$(date +%s)
	run cb -n a -f 1 --on-open "echo \$\$ > $pidf; sleep 60" -- false
	end=$(date +%s)
	[ "$status" -eq 1 ]
	[ $((end - start)) -lt 10 ]
	[[ "$output" == *"on-open hook still running after 5s; stopped it"* ]]
	# stopped with everything it started, so no pipe is left open
	gone "$(cat "$pidf")"
	group_gone "$(cat "$pidf")"
}

@test "a failing hook is reported on stderr" {
	run cb -n a -f 1 --on-open 'exit 3' -- false
	[ "$status" -eq 1 ]
	[[ "$output" == *"hook exited 3"* ]]
}

@test "a third call with --max-concurrent 2 is rejected while two run, and admitted after" {
	cb -n a --max-concurrent 2 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h1" &
	cb -n a --max-concurrent 2 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h2" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h1.pid"
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h2.pid"
	run cb -n a --max-concurrent 2 -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"2 calls already running (max-concurrent 2)"* ]]
	touch "$BATS_TEST_TMPDIR/h1.go" "$BATS_TEST_TMPDIR/h2.go"
	wait
	run cb -n a --max-concurrent 2 -- true
	[ "$status" -eq 0 ]
}

@test "--max-wait waits for a slot" {
	# The holder's 1 s is the behaviour: --max-wait outlasts it.
	cb -n a --max-concurrent 1 -- sh -c 'echo $$ > "$1"; exec sleep 1' sh "$BATS_TEST_TMPDIR/p" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/p"
	run cb -n a --max-concurrent 1 --max-wait 5s -- echo got-slot
	[ "$status" -eq 0 ]
	[ "$output" = got-slot ]
	wait
}

@test "a SIGKILLed cbexec does not leak its concurrency slot" {
	"$CBEXEC" --db "$db" -n a --max-concurrent 1 -- sh -c 'echo $$ > "$1"; exec sleep 30' sh \
		"$BATS_TEST_TMPDIR/cmd" &
	pid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/cmd"
	kill -KILL "$pid"
	wait "$pid" || true
	kill "$(cat "$BATS_TEST_TMPDIR/cmd")" 2>/dev/null || true
	run cb -n a --max-concurrent 1 -- true
	[ "$status" -eq 0 ]
}

@test "--syslog logs without disturbing the call" {
	run cb -n a -f 1 --syslog -- false
	[ "$status" -eq 1 ]
}
