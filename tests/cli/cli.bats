#!/usr/bin/env bats
# The one argument parser (cli.c): options in any order, --, unknown commands and
# options with suggestions, --help from the declarations; typo warnings and
# patterns for manual commands; -q; decimal durations.

bats_require_minimum_version 1.5.0

load helpers

setup() { cbexec_setup; }

# Options after operands, and --db last, for every subcommand but run.
@test "options may follow operands for every subcommand but run" {
	cb -n a -f 1 -- false || true
	cb -n b -- true
	run -0 "$CBEXEC" status b --json --db "$db"
	[ "$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])' <<<"$output")" = b ]
	run "$CBEXEC" status a --names --db "$db"
	[ "$status" -eq 2 ]
	[ "$output" = a ]
	run -0 "$CBEXEC" history a --limit 1 --json --db "$db"
	[ "$("$PY" -c 'import json,sys; v=json.load(sys.stdin); print(len(v), v[0]["to"])' <<<"$output")" = "1 open" ]
	run -0 "$CBEXEC" metrics b --db "$db"
	[[ "$output" == *'cbexec_calls_total{name="b"} 1'* ]]
	[[ "$output" != *'name="a"'* ]]
	run -0 "$CBEXEC" check --db "$db" -n b -q
	run -0 "$CBEXEC" record success -n b --db "$db"
	[ "$(field b total_calls)" -eq 2 ]
	run -0 "$CBEXEC" trip b --for 1m --reason 'after operand' --db "$db"
	[ "$(field b mode_reason)" = 'after operand' ]
	run -0 "$CBEXEC" reset b --db "$db"
	[ "$(field b state)" = closed ]
	run -0 "$CBEXEC" bypass b --reason later --db "$db"
	[ "$(field b mode)" = bypass ]
	: >"$BATS_TEST_TMPDIR/empty.ini"
	run -0 "$CBEXEC" config b --config "$BATS_TEST_TMPDIR/empty.ini" -f 3
	grep -qx $'failure_threshold = 3\tcommand line' <<<"$output"
	run -0 "$CBEXEC" delete b --db "$db"
	run "$CBEXEC" status b --db "$db"
	[ "$status" -eq 3 ]
}

@test "run: options end at COMMAND, whose own options stay its own" {
	run -0 cb -n a echo --db x -q --timeout
	[ "$output" = '--db x -q --timeout' ]
	run -0 cb -n a -- echo -n
	[ "$(field a total_calls)" -eq 2 ]
	# a cluster and --opt=value
	run -0 cb -qn a --timeout=1s -f3 -- true
}

@test "-- ends the options of other subcommands too" {
	cb -n a -- true
	# "--json" after -- is an operand: a name (valid characters) that does not exist
	run "$CBEXEC" status --db "$db" -- --json
	[ "$status" -eq 3 ]
	[[ "$output" == *"--json: no such breaker"* ]]
}

@test "an unknown command is named, with the nearest subcommand" {
	run -125 --separate-stderr "$CBEXEC" stauts
	[ "$stderr" = 'cbexec: unknown command "stauts"; did you mean "status"?' ]
	[ -z "$output" ]
	run -125 --separate-stderr "$CBEXEC" histroy a --db "$db"
	[ "$stderr" = 'cbexec: unknown command "histroy"; did you mean "history"?' ]
	run -125 --separate-stderr "$CBEXEC" frobnicate
	[ "$stderr" = 'cbexec: unknown command "frobnicate" (to run a program: cbexec -n NAME -- PROGRAM)' ]
	[ ! -e "$db" ]
}

@test "a program called like a subcommand still runs after -n" {
	mkdir "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho "ran $*"\n' >"$BATS_TEST_TMPDIR/bin/status"
	printf '#!/bin/sh\necho "ran $*"\n' >"$BATS_TEST_TMPDIR/bin/stauts"
	chmod +x "$BATS_TEST_TMPDIR/bin/status" "$BATS_TEST_TMPDIR/bin/stauts"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH
	run -0 cb -n x status --json
	[ "$output" = 'ran --json' ]
	run -0 cb -n x -- status
	[ "$output" = 'ran ' ]
	run -0 cb -n x stauts
	[ "$output" = 'ran ' ]
	[ "$(field x total_calls)" -eq 3 ]
}

@test "an unknown long option gets the nearest one" {
	run -125 --separate-stderr cb --timout 5 -n a -- true
	[ "${stderr_lines[0]}" = 'cbexec: unknown option --timout; did you mean --timeout?' ]
	[[ "${stderr_lines[1]}" == 'usage: cbexec [run] '* ]]
	run -125 --separate-stderr sub status --jsn
	[ "${stderr_lines[0]}" = 'cbexec: unknown option --jsn; did you mean --json?' ]
	run -125 --separate-stderr sub history a --limt 1
	[ "${stderr_lines[0]}" = 'cbexec: unknown option --limt; did you mean --limit?' ]
	run -125 --separate-stderr sub trip a --reasno x
	[ "${stderr_lines[0]}" = 'cbexec: unknown option --reasno; did you mean --reason?' ]
	run -125 --separate-stderr sub check -n a --failure-treshold 3
	[ "${stderr_lines[0]}" = 'cbexec: unknown option --failure-treshold; did you mean --failure-threshold?' ]
	run -125 --separate-stderr sub status --frobnicate
	[ "${stderr_lines[0]}" = 'cbexec: unknown option --frobnicate' ]
	run -125 --separate-stderr sub status -x
	[ "${stderr_lines[0]}" = 'cbexec: unknown option -x' ]
	[ ! -e "$db" ]
}

@test "missing and unwanted option arguments, prefixes and ambiguity" {
	run -125 --separate-stderr sub history a --limit
	[ "${stderr_lines[0]}" = 'cbexec: option --limit needs an argument' ]
	run -125 --separate-stderr sub status --json=yes
	[ "${stderr_lines[0]}" = 'cbexec: option --json takes no argument' ]
	run -125 --separate-stderr cb -n a -f
	[ "${stderr_lines[0]}" = 'cbexec: option -f needs an argument' ]
	run -125 --separate-stderr cb -n a --failure 3 -- true
	[ "${stderr_lines[0]}" = 'cbexec: option --failure is ambiguous; write it in full' ]
	run -125 --separate-stderr sub delete
	[ "${stderr_lines[0]}" = 'cbexec: name the breakers to delete' ]
	run -125 --separate-stderr sub history a b
	[ "${stderr_lines[0]}" = 'cbexec: unexpected argument: b' ]
	# a unique prefix is the option, as with getopt_long
	run -0 cb -n a --recovery 2s --failure-r 50 -- true
	: >"$BATS_TEST_TMPDIR/empty.ini"
	run -0 "$CBEXEC" config --config "$BATS_TEST_TMPDIR/empty.ini" --recovery 2s a
	grep -qx $'recovery_timeout = 2s\tcommand line' <<<"$output"
}

@test "every subcommand's --help lists its declared options, run's settings too" {
	run -0 "$CBEXEC" run --help
	[[ "${lines[0]}" == 'usage: cbexec [run] '* ]]
	for opt in '-n, --name NAME' '--db PATH' '-q, --quiet' '-h, --help' '-t, --timeout DUR' \
		'--on-store-error run|fail' '--syslog'; do
		grep -qF -- "$opt" <<<"$output" || { echo "run --help lacks $opt"; return 1; }
	done
	run -0 "$CBEXEC" history --help
	grep -qE -- '^      --limit N +the last N changes' <<<"$output"
	run -0 "$CBEXEC" trip --help
	grep -qE -- '^  -q, --quiet +no warning' <<<"$output"
	grep -qE -- '^      --for DUR +open for DUR' <<<"$output"
	# --help wins wherever it is, and prints on stdout
	run -0 --separate-stderr "$CBEXEC" status nosuch --help
	[[ "${lines[0]}" == 'usage: cbexec status '* ]]
	[ -z "$stderr" ]
}

@test "trip and bypass of an unknown name warn with the nearest, and still make it" {
	cb -n qdrant -- true
	run -0 --separate-stderr sub trip qdrnat
	[ "$stderr" = 'cbexec: warning: no breaker "qdrnat"; did you mean "qdrant"? (made it, tripped)' ]
	[ "$(field qdrnat state)" = open ]
	[ "$(field qdrant state)" = closed ]
	run -0 --separate-stderr sub bypass qdrantt
	[ "$stderr" = 'cbexec: warning: no breaker "qdrantt"; did you mean "qdrant"? (made it, bypassed)' ]
	[ "$(field qdrantt mode)" = bypass ]
	# -q silences the warning, not the work
	run -0 --separate-stderr sub trip -q qdrnt
	[ -z "$stderr" ]
	[ "$(field qdrnt state)" = open ]
	run -0 --separate-stderr sub bypass --quiet zzz
	[ -z "$stderr" ]
}

@test "reset and delete of an unknown name warn with the nearest and exit 125" {
	cb -n qdrant -f 1 -- false || true
	run -125 --separate-stderr sub reset qdrnat qdrant
	[ "$stderr" = 'cbexec: warning: no breaker "qdrnat"; did you mean "qdrant"?' ]
	[ "$(field qdrant state)" = closed ] # the others are still reset
	run -125 --separate-stderr sub reset -q qdrnat
	[ -z "$stderr" ]
	run -125 --separate-stderr sub delete qdrnat
	[ "$stderr" = 'cbexec: warning: no breaker "qdrnat"; did you mean "qdrant"?' ]
	run -125 --separate-stderr sub delete --quiet qdrnat
	[ -z "$stderr" ]
	run -0 sub status qdrant
}

@test "status, metrics and reset take quoted patterns" {
	for n in api-a api-b apx web; do cb -n $n -f 1 -- false || true; done
	run sub status --names 'api-*'
	[ "$status" -eq 2 ]
	[ "$output" = $'api-a\napi-b' ]
	run sub status --names 'ap?-[ab]' web
	[ "$output" = $'api-a\napi-b\nweb' ]
	run -0 sub metrics 'api-*'
	[ "$(grep -c '^cbexec_calls_total' <<<"$output")" -eq 2 ]
	run -0 sub reset 'api-*'
	[ -z "$output" ]
	[ "$(field api-a state)" = closed ]
	[ "$(field api-b state)" = closed ]
	[ "$(field apx state)" = open ]
	[ "$(field web state)" = open ]
	run -0 sub status 'api-*'
}

@test "a pattern that matches nothing is an unknown name" {
	cb -n web -- true
	run sub status 'api-*'
	[ "$status" -eq 3 ]
	[[ "$output" == *'api-*: no such breaker'* ]]
	run -125 --separate-stderr sub reset 'api-*'
	[ "$stderr" = 'cbexec: warning: no breaker "api-*"' ]
	run -125 sub metrics 'api-*'
	[[ "$output" == *'api-*: no such breaker'* ]]
	# a pattern is no name: trip refuses it, and odd characters are refused
	run -125 sub trip 'api-*'
	[[ "$output" == *'contains a character other than'* ]]
	run -125 sub status 'a*;b'
	[[ "$output" == *'pattern "a*;b" has a character other than'* ]]
	run -0 sub reset --all
}

@test "-q: a rejected call prints nothing, state-file warnings and errors still print" {
	cb -n a -f 1 -- false || true
	run -75 --separate-stderr cb -q -n a -- true
	[ -z "$stderr" ]
	[ -z "$output" ]
	run -0 --separate-stderr cb -q -n a --fallback 'echo fallback' -- true
	[ "$output" = fallback ]
	[ -z "$stderr" ]
	run -0 --separate-stderr cb -q -n a --open-exit-code 0 -- true
	[ -z "$stderr" ]
	[ "$(field a total_rejected)" -eq 3 ]
	printf 'this is not an SQLite database, not at all.' >"$BATS_TEST_TMPDIR/bad.db"
	run -0 --separate-stderr "$CBEXEC" -q --db "$BATS_TEST_TMPDIR/bad.db" -n a -- true
	[[ "$stderr" == 'cbexec: warning: '*'running the command without the breaker' ]]
	run -125 --separate-stderr cb -q -n 'bad name' -- true
	[[ "$stderr" == 'cbexec: breaker name "bad name" '* ]]
}

@test "durations take decimals, exact to the millisecond" {
	: >"$BATS_TEST_TMPDIR/empty.ini"
	run -0 "$CBEXEC" config --config "$BATS_TEST_TMPDIR/empty.ini" -t 1.5s -r 0.25 \
		--max-recovery-timeout 1.5h --kill-after 1m0.5s
	grep -qx $'timeout = 1s500ms\tcommand line' <<<"$output"
	grep -qx $'recovery_timeout = 250ms\tcommand line' <<<"$output"
	grep -qx $'max_recovery_timeout = 1h30m\tcommand line' <<<"$output"
	grep -qx $'kill_after = 1m500ms\tcommand line' <<<"$output"
	run -125 --separate-stderr cb -n a -t 1.5ms -- true
	[ "$stderr" = 'cbexec: --timeout: "1.5ms" is finer than a millisecond' ]
	run -125 cb -n a -t 1.5h30m -- true
	[[ "$output" == *'"1.5h30m" is not a duration'* ]]
	run -125 sub trip a --for 0.0001s
	[[ "$output" == *'--for "0.0001s" is finer than a millisecond'* ]]
	# a real timeout of 0.3 s
	run -124 cb -n a -t 0.3 --kill-after 0.5s -- sleep 10
	[ "$(field a total_timeouts)" -eq 1 ]
}

@test "output that cannot be written is an error: --help, --version, config, a command's --help" {
	[ -w /dev/full ] || skip "no /dev/full"
	for args in --help -h --version -V config "config a" "status --help" "run --help"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$CBEXEC" $args
		[ "$status" -eq 0 ] || { echo "$args: $status"; false; }
		# shellcheck disable=SC2086
		run --separate-stderr sh -c '"$@" >/dev/full' sh "$CBEXEC" $args
		[ "$status" -eq 125 ] || { echo "$args >/dev/full: $status"; false; }
		[ "$stderr" = "cbexec: standard output: No space left on device" ] ||
			{ echo "$args: $stderr"; false; }
	done
}

@test "messages start with cbexec: whatever name cbexec was started by" {
	ln -s "$CBEXEC" "$BATS_TEST_TMPDIR/cb"
	run --separate-stderr "$BATS_TEST_TMPDIR/cb" --bogus
	[ "$status" -eq 125 ]
	[[ "${stderr_lines[0]}" == "cbexec: unknown option --bogus" ]]
	run --separate-stderr "$BATS_TEST_TMPDIR/cb" status --db "$BATS_TEST_TMPDIR/none.db"
	[ "$status" -eq 3 ]
	[[ "$stderr" == "cbexec: $BATS_TEST_TMPDIR/none.db: "* ]]
	# exec -a: argv[0] is whatever the caller wrote
	run --separate-stderr bash -c 'exec -a /opt/other/thing "$1" --bogus' sh "$CBEXEC"
	[ "$status" -eq 125 ]
	[[ "${stderr_lines[0]}" == "cbexec: unknown option --bogus" ]]
}

@test "--help says -s is --success-threshold, not timeout(1)'s signal" {
	run "$CBEXEC" --help
	[[ "$output" == *"-s, --success-threshold N"*"(timeout's -s is --signal)"* ]]
	run "$CBEXEC" run --help
	[ "$(grep -c -- "-s, --success-threshold N .*timeout's -s is --signal" <<<"$output")" -eq 1 ]
}
