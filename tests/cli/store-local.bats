#!/usr/bin/env bats
# on_store_error = local: a Redis store that fails gives way to the host's own
# state file (the path cbexec uses without --db and CBEXEC_DB), so that each
# host still protects itself; manual commands and readers never fall back. The
# Redis location here can never work (a socket nobody listens on), with or
# without Redis support in the build.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cbexec_setup
	redis="unix://$BATS_TEST_TMPDIR/none.sock"
	local_db="$XDG_STATE_HOME/cbexec/breakers.db"
}

# local_config: the user's configuration file says on_store_error = local.
local_config() {
	mkdir -p "$XDG_CONFIG_HOME/cbexec"
	printf '[defaults]\non_store_error = local\n' >"$XDG_CONFIG_HOME/cbexec/config.ini"
	chmod 600 "$XDG_CONFIG_HOME/cbexec/config.ini"
}

@test "local: a call runs on the host's own file, with one warning naming both" {
	run --separate-stderr "$CBEXEC" --db "$redis" --on-store-error local -n a -- sh -c 'echo ran; exit 3'
	echo "status $status; stdout: $output; stderr: $stderr"
	[ "$status" -eq 3 ]
	[ "$output" = ran ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "cbexec: warning: $redis: "*"; using the host's own state file $local_db (on_store_error = local)" ]]
	# counted there: the call is the breaker's first failure
	db=$local_db
	[ "$(field a total_calls)" = 1 ]
	[ "$(field a consecutive_failures)" = 1 ]
}

@test "local: the host's own breaker opens and rejects while the store is away" {
	export CBEXEC_DB=$redis
	for _ in 1 2; do
		run -1 "$CBEXEC" --on-store-error local -f 2 -n a -- false
	done
	run --separate-stderr "$CBEXEC" --on-store-error local -f 2 -n a -- sh -c 'echo ran'
	echo "status $status; stdout: $output; stderr: $stderr"
	[ "$status" -eq 75 ]
	[ -z "$output" ]
	[[ "$stderr" == *"a: circuit open after"* ]]
	# check reads the same file, and says so as run does
	run --separate-stderr "$CBEXEC" check --on-store-error local -f 2 -n a
	[ "$status" -eq 75 ]
	[[ "${stderr_lines[0]}" == "cbexec: warning: $redis: "*"; using the host's own state file $local_db (on_store_error = local)" ]]
	db=$local_db
	[ "$(field a state)" = open ]
}

@test "local from the configuration file; a password in the location is never printed" {
	local_config
	run --separate-stderr "$CBEXEC" --db "$redis?db=2&password=s3cret" -n a -- true
	echo "status $status; stderr: $stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == "cbexec: warning: $redis?db=2&password=***: "* ]]
	[[ "$stderr" != *s3cret* ]]
	[ -f "$local_db" ]
}

@test "run and fail with a Redis store that fails: unprotected or 125, the host's file untouched" {
	run --separate-stderr "$CBEXEC" --db "$redis" -n a -- sh -c 'echo ran; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = ran ]
	[[ "$stderr" == "cbexec: warning: $redis: "*"; running the command without the breaker" ]]
	run --separate-stderr "$CBEXEC" --db "$redis" --on-store-error fail -n a -- sh -c 'echo ran'
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	[[ "$stderr" == "cbexec: $redis: "*"; not running the command (on_store_error = fail)" ]]
	[ ! -e "$local_db" ]
}

@test "local on a file store is run: a refused file costs a warning and the call runs" {
	printf 'not a database at all, but long enough to be read as one...\n%.0s' {1..80} >"$db"
	run --separate-stderr cb --on-store-error local -n a -- sh -c 'echo ran; exit 5'
	echo "status $status; stderr: $stderr"
	[ "$status" -eq 5 ]
	[ "$output" = ran ]
	[[ "$stderr" == "cbexec: warning: $db: "*"; running the command without the breaker" ]]
	[ ! -e "$local_db" ]
}

@test "manual commands and readers never fall back: 125 (3 for status --nagios), nothing made" {
	local_config
	for c in "trip a" "bypass a" "reset a" "delete a" "status" "history" "metrics"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$CBEXEC" $c --db "$redis?password=s3cret"
		echo "$c: status $status; stderr: $stderr"
		[ "$status" -eq 125 ]
		[[ "$stderr" == "cbexec: $redis?password=***: "* ]]
		[[ "$stderr" != *s3cret* ]]
	done
	run -3 "$CBEXEC" status --nagios --db "$redis"
	[[ "$output" == "CBEXEC UNKNOWN - $redis: "* ]]
	[ ! -e "$local_db" ]
}

@test "record never falls back either: 125" {
	run --separate-stderr "$CBEXEC" record --db "$redis" --on-store-error local -n a failure
	[ "$status" -eq 125 ]
	[[ "$stderr" == "cbexec: $redis: "* ]]
	[ ! -e "$local_db" ]
}

@test "on_store_error takes run, fail and local, and nothing else" {
	run -0 "$CBEXEC" config --on-store-error LOCAL a
	grep -qx $'on_store_error = local\tcommand line' <<<"$output"
	run -125 "$CBEXEC" config --on-store-error later a
	[[ "$output" == *'"later" is none of run, fail and local'* ]]
}
