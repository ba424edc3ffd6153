#!/usr/bin/env bats
# cbexec run: the state machine end to end, exit statuses, signals, timeouts, concurrency.

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

@test "success passes through and counts" {
	run cb -n a -- true
	[ "$status" -eq 0 ]
	[ "$(field a total_calls)" -eq 1 ]
	[ "$(field a total_successes)" -eq 1 ]
	[ "$(field a state)" = closed ]
}

@test "exit status passes through and counts as a failure" {
	run cb -n a -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	[ "$(field a total_failures)" -eq 1 ]
	[ "$(field a last_exit_code)" -eq 7 ]
}

@test "the bare form and the run subcommand are the same" {
	run "$CBEXEC" run --db "$db" -n a -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[ "$(field a total_calls)" -eq 1 ]
}

@test "a subcommand name after -- is a program to run" {
	run -127 cb -n a -- status
}

@test "arguments reach the command untouched, no shell" {
	run cb -n a -- printf '%s|' 'a b' '$HOME' '*' ';'
	[ "$status" -eq 0 ]
	[ "$output" = 'a b|$HOME|*|;|' ]
}

@test "options after the command belong to the command" {
	run cb -n a echo -n -t 5
	[ "$status" -eq 0 ]
	[ "$output" = "-n -t 5" ] || [ "$output" = "-t 5" ]
	[ "$(field a total_calls)" -eq 1 ]
}

@test "full cycle: closed -> open -> half-open -> closed" {
	for i in 1 2; do cb -n a -f 2 -r 30s -- false || true; done
	[ "$(field a state)" = open ]
	run cb_at 29 -n a -f 2 -r 30s -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$output" == *"cbexec: a: circuit open after 2 consecutive failures, last exit 1; next try in"* ]]
	run cb_at 31 -n a -f 2 -r 30s -- true
	[ "$status" -eq 0 ]
	[[ "$output" == *"open -> half_open"* ]]
	[[ "$output" == *"half_open -> closed"* ]]
	[ "$(field a state)" = closed ]
	[ "$(field a total_rejected)" -eq 1 ]
}

@test "half-open -> open on a failed probe, for a new recovery period" {
	cb -n a -f 1 -r 30s -- false || true
	run cb_at 31 -n a -f 1 -r 30s -- sh -c 'exit 4'
	[ "$status" -eq 4 ]
	[ "$(field a state)" = open ]
	[[ "$(field a reason)" == "probe failed, exit 4" ]]
	run cb_at 60 -n a -f 1 -r 30s -- true
	[ "$status" -eq 75 ]
	run cb_at 62 -n a -f 1 -r 30s -- true
	[ "$status" -eq 0 ]
}

@test "--open-exit-code changes the rejection status" {
	cb -n a -f 1 -- false || true
	run cb -n a -f 1 --open-exit-code 3 -- true
	[ "$status" -eq 3 ]
}

@test "-q silences transition lines and the rejection" {
	run cb -q -n a -f 1 -- false
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	run cb -q -n a -f 1 -- true
	[ "$status" -eq 75 ]
	[ -z "$output" ]
	run cb -n a -f 1 -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"circuit open"* ]]
}

@test "signal death gives 128+N and counts as a failure" {
	run cb -n a -- sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	[ "$(field a total_failures)" -eq 1 ]
}

@test "command not found exits 127, not executable 126, both failures" {
	run -127 cb -n a -- /nonexistent/cmd
	printf 'x' > "$BATS_TEST_TMPDIR/noexec"
	chmod 644 "$BATS_TEST_TMPDIR/noexec"
	run cb -n a -- "$BATS_TEST_TMPDIR/noexec"
	[ "$status" -eq 126 ]
	[ "$(field a total_failures)" -eq 2 ]
}

@test "--timeout: SIGTERM, exit 124, counted as a timeout and a failure" {
	start=$(date +%s%N)
	run cb -n a -t 300ms -- sleep 10
	end=$(date +%s%N)
	[ "$status" -eq 124 ]
	[ $(( (end - start) / 1000000 )) -lt 3000 ]
	[ "$(field a total_timeouts)" -eq 1 ]
	[ "$(field a total_failures)" -eq 1 ]
}

@test "--kill-after: SIGKILL for a command that ignores SIGTERM" {
	start=$(date +%s%N)
	run cb -n a -t 200ms --kill-after 300ms -- sh -c 'trap "" TERM; sleep 10'
	end=$(date +%s%N)
	[ "$status" -eq 124 ]
	[ $(( (end - start) / 1000000 )) -lt 3000 ]
}

@test "--timeout ends what the command started, not only the command" {
	run cb -n a -t 300ms -- sh -c 'sleep 30 & echo $! > "$0"; wait' "$BATS_TEST_TMPDIR/pid"
	[ "$status" -eq 124 ]
	wait_for 5 gone "$(cat "$BATS_TEST_TMPDIR/pid")"
}

@test "a command killed by a signal kills cbexec with it, for the shell to see" {
	# bash stops a script on Ctrl-C only if its child died of SIGINT; a
	# parent that is not a shell sees the signal too, not an exit status.
	run "$PY" -c 'import subprocess, sys; print(subprocess.run(sys.argv[1:]).returncode)' \
		"$CBEXEC" --db "$db" -n a -- sh -c 'kill -TERM $$'
	[ "$output" = -15 ]
	[ "$(field a total_failures)" -eq 1 ]
	run "$PY" -c 'import subprocess, sys; print(subprocess.run(sys.argv[1:]).returncode)' \
		"$CBEXEC" --db "$db" -n a -t 100ms -- sleep 5
	[ "$output" = 124 ]
}

@test "SIGTERM to cbexec reaches the command; the call counts neither way" {
	cb -n a -- true
	"$CBEXEC" --db "$db" -n a -- sh -c 'trap "echo got-term > $0; exit 143" TERM; echo $$ > "$0.pid"; sleep 10 & wait' "$BATS_TEST_TMPDIR/sig" &
	pid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/sig.pid"
	kill -TERM "$pid"
	wait "$pid" || status=$?
	[ "$status" -eq 143 ]
	[ "$(cat "$BATS_TEST_TMPDIR/sig")" = got-term ]
	[ "$(field a total_failures)" -eq 0 ]
	[ "$(field a consecutive_failures)" -eq 0 ]
	[ "$(field a total_calls)" -eq 2 ]
}

@test "SIGUSR1 is forwarded and the outcome still counts" {
	"$CBEXEC" --db "$db" -n a -- sh -c 'trap "exit 9" USR1; echo $$ > "$0"; sleep 10 & wait' "$BATS_TEST_TMPDIR/usr1.pid" &
	pid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/usr1.pid"
	kill -USR1 "$pid"
	wait "$pid" || status=$?
	[ "$status" -eq 9 ]
	[ "$(field a total_failures)" -eq 1 ]
}

@test "16 processes x 40 calls count exactly 640, no lock error" {
	for p in $(seq 16); do
		(for i in $(seq 40); do
			if [ $((i % 3)) -eq 0 ]; then c=false; else c=true; fi
			# || true: bats' set -e would end the subshell at the first false
			"$CBEXEC" --db "$db" -q -n shared -f 1000000 -- $c 2>>"$BATS_TEST_TMPDIR/err" || true
		done) &
	done
	wait
	[ "$(field shared total_calls)" -eq 640 ]
	[ "$(field shared total_failures)" -eq $((16 * 13)) ]
	[ "$(field shared total_successes)" -eq $((16 * 27)) ]
	! grep -i lock "$BATS_TEST_TMPDIR/err"
}

@test "a long-running command does not delay another cbexec on the same breaker" {
	cb -n a -- sh -c 'echo $$ > "$1"; exec sleep 5' sh "$BATS_TEST_TMPDIR/cmd" &
	pid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/cmd"
	start=$(date +%s%N)
	run cb -n a -- true
	end=$(date +%s%N)
	kill "$pid"; wait "$pid" || true
	[ "$status" -eq 0 ]
	[ $(( (end - start) / 1000000 )) -lt 2000 ]
}

@test "a SIGKILLed probe does not wedge half-open" {
	cb -n a -f 1 -r 200ms -- false || true
	# Under faketime $! is faketime's PID: the command writes its own and
	# cbexec's ($PPID), which the test kills.
	cb_at 1 -n a -f 1 -r 200ms -- sh -c 'echo $PPID $$ > "$1"; exec sleep 30' sh \
		"$BATS_TEST_TMPDIR/probe" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/probe"
	read -r owner cmd <"$BATS_TEST_TMPDIR/probe"
	[ "$(field a state)" = half_open ]
	run cb_at 1 -n a -f 1 -r 200ms -- true
	[ "$status" -eq 75 ]
	[[ "$output" == *"probe already running"* ]]
	kill -KILL "$owner"
	kill "$cmd" 2>/dev/null || true
	wait_for 5 gone "$owner"
	wait || true
	run cb_at 1 -n a -f 1 -r 200ms -- true
	[ "$status" -eq 0 ]
	[ "$(field a state)" = closed ]
}

@test "state file and directory are private" {
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/xs"
	run "$CBEXEC" -n a -- true
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$XDG_STATE_HOME/cbexec")" = 700 ]
	[ "$(stat -c %a "$XDG_STATE_HOME/cbexec/breakers.db")" = 600 ]
}

@test "CBEXEC_DB and HOME defaults are used" {
	CBEXEC_DB="$BATS_TEST_TMPDIR/env.db" "$CBEXEC" -n a -- true
	[ -s "$BATS_TEST_TMPDIR/env.db" ]
	unset XDG_STATE_HOME
	"$CBEXEC" -n a -- true
	[ -s "$HOME/.local/state/cbexec/breakers.db" ]
}

@test "bad input exits 125 with a message" {
	run "$CBEXEC"
	[ "$status" -eq 125 ]
	[[ "$output" == *usage* ]]
	run cb -n a
	[ "$status" -eq 125 ]
	run cb -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"-n NAME"* ]]
	for bad in 'a b' 'a;b' "a'b" 'a/b' 'é' "$(printf 'a\nb')" '' "$(printf 'x%.0s' $(seq 129))"; do
		run cb -n "$bad" -- true
		[ "$status" -eq 125 ]
		[[ "$output" == cbexec:* ]]
	done
	for opt in '-f abc' '-f -3' '-f 99999999999999999999' '-r 5x' '-r -1s' '-t 1.5ms' \
		'--open-exit-code 600' '--half-open-max-calls 0' '--bogus 1'; do
		run cb -n a $opt -- true
		[ "$status" -eq 125 ]
		[[ "$output" == cbexec:* ]]
	done
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "a name of 128 characters is accepted" {
	name=$(printf 'x%.0s' $(seq 128))
	run cb -n "$name" -- true
	[ "$status" -eq 0 ]
}

@test "CBEXEC_DISABLE=1 runs the command and touches no state" {
	CBEXEC_DISABLE=1 run "$CBEXEC" --db "$db" -n a -- sh -c 'exit 5'
	[ "$status" -eq 5 ]
	[ ! -e "$db" ]
}

@test "a stuck lock after the open period: the rejection says a probe waits for the lock, not 0s" {
	cb -q -n a -f 1 -r 1h -- false || true
	# Another process holds the write lock (BEGIN IMMEDIATE) until told to let go.
	"$PY" - "$db" "$BATS_TEST_TMPDIR/locked" "$BATS_TEST_TMPDIR/go" <<-'EOF' &
		import os, sqlite3, sys, time
		c = sqlite3.connect(sys.argv[1], isolation_level=None)
		c.execute("BEGIN IMMEDIATE")
		open(sys.argv[2], "w").close()
		for _ in range(200):
		    if os.path.exists(sys.argv[3]):
		        break
		    time.sleep(0.05)
	EOF
	holder=$!
	wait_for 10 test -e "$BATS_TEST_TMPDIR/locked"
	# Two hours on: the open period is over, but the probe cannot take its slot.
	run --separate-stderr cb_at 7200 -n a --lock-timeout 200ms -- touch "$BATS_TEST_TMPDIR/ran"
	touch "$BATS_TEST_TMPDIR/go"
	wait "$holder"
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[ "${stderr_lines[1]}" = "cbexec: a: circuit open after 1 consecutive failures, last exit 1; a probe is due once the state file is unlocked" ]
	[[ "$stderr" != *"next try in 0s"* ]]
	# Within the open period the line still says when.
	run --separate-stderr cb -n a -- true
	[ "$status" -eq 75 ]
	[[ "$stderr" =~ ^"cbexec: a: circuit open after 1 consecutive failures, last exit 1; next try in "(1h|59m[0-9]+s)$ ]]
}
