#!/usr/bin/env bats
# The connection to a Redis store: URLs and their errors, passwords, the ACL,
# timeouts and the down marker, an unreachable server, Sentinel failover.
# Every server is the test's own (helpers.bash: redis_start and friends).

bats_require_minimum_version 1.5.0

load helpers

setup() {
	cbexec_setup
}

teardown() {
	redis_stop_all
}

@test "a build without Redis support refuses a Redis location clearly" {
	if "$CBEXEC" --version | grep -q 'hiredis'; then
		skip "cbexec was built with Redis support (this is for make REDIS=0)"
	fi
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	# A reader: 125.
	run --separate-stderr "$CBEXEC" status --db 'redis://:hunter2@127.0.0.1:1/0'
	[ "$status" -eq 125 ]
	[[ "$stderr" == "cbexec: "*"without Redis support"* ]]
	[[ "$stderr" != *hunter2* ]]
	# A run: on_store_error=run, so the command runs and its status is kept.
	run --separate-stderr "$CBEXEC" --db 'redis://:hunter2@127.0.0.1:1/0' -n a -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"without Redis support"* ]]
	[[ "$stderr" != *hunter2* ]]
	# The location was not taken for a file name.
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/cwd")" ]
}
