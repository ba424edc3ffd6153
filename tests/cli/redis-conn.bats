#!/usr/bin/env bats
# The connection to a Redis store: URLs and their errors, passwords, the ACL,
# timeouts and the down marker, an unreachable server, the failure policy,
# Sentinel failover. Every server is the test's own (helpers.bash:
# redis_start and friends), stopped by its PID in teardown.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	cbexec_setup
	local_db="$XDG_STATE_HOME/cbexec/breakers.db"
}

teardown() {
	redis_stop_all
}

with_redis() {
	"$CBEXEC" --version | grep -q 'hiredis' || skip "cbexec was built without Redis support (REDIS=0)"
}

# elapsed CMD...: runs CMD; its status in $rc, its stdout and stderr in $out
# and $err, its wall time in $ms.
elapsed() {
	local t0 t1
	t0=$(date +%s%N)
	rc=0
	"$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	out=$(cat "$BATS_TEST_TMPDIR/out")
	err=$(cat "$BATS_TEST_TMPDIR/err")
	echo "[$ms ms, status $rc] $*: $err"
}

# markers: how many "server down" markers this host has.
markers() {
	find "$XDG_STATE_HOME/cbexec" -maxdepth 1 -name 'redis-down-*' 2>/dev/null | wc -l
}

marker() {
	find "$XDG_STATE_HOME/cbexec" -maxdepth 1 -name 'redis-down-*'
}

# The ACL of cbexec(1), REDIS, for a user cbexec with password s3cret: every
# command the scripts and store-redis.c send, +role for Sentinel. The test
# below checks that the man page says it word for word.
ACL_COMMANDS='+evalsha +eval +time +smembers +hgetall +lrange +select +role +del +exists +get +hget +hincrby +hset +incr +lpush +ltrim +sadd +set +srem +zadd +zrange +zrangebyscore +zrem +zremrangebyscore'
ACL_KEYS='~cbexec:*'

# acl_set NAME [COMMANDS]: user cbexec (password s3cret) with COMMANDS
# (default: all of ACL_COMMANDS) on ACL_KEYS, on server NAME.
acl_set() {
	# shellcheck disable=SC2086
	[ "$(redis_cli "$1" -- ACL SETUSER cbexec reset on '>s3cret' "$ACL_KEYS" ${2-$ACL_COMMANDS})" = OK ]
}

# every_command URL: every command of cbexec against URL, stopping at the
# first that fails, as $bad; 0 when all did what they should.
every_command() {
	local u=$1
	bad=
	elapsed "$CBEXEC" --db "$u" -n a -f 2 -- false
	[ "$rc" -eq 1 ] && [ -z "$err" ] || { bad="run (a failure)"; return 1; }
	elapsed "$CBEXEC" --db "$u" -n a -f 2 -- false
	[ "$rc" -eq 1 ] && [[ "$err" == "cbexec: a: closed -> open: "* ]] || { bad="run (the failure that opens)"; return 1; }
	elapsed "$CBEXEC" --db "$u" -n a -f 2 -- true
	[ "$rc" -eq 75 ] || { bad="run (rejected)"; return 1; }
	elapsed "$CBEXEC" --db "$u" -n b --max-concurrent 1 -- true
	[ "$rc" -eq 0 ] && [ -z "$err" ] || { bad="run --max-concurrent"; return 1; }
	# status: 2 for an open breaker
	elapsed "$CBEXEC" status --db "$u"
	[ "$rc" -eq 2 ] && [[ "$out" == *open* ]] || { bad=status; return 1; }
	elapsed "$CBEXEC" status --json --db "$u" a
	[ "$rc" -eq 2 ] && [[ "$out" == *'"state":"open"'* ]] || { bad="status NAME"; return 1; }
	elapsed "$CBEXEC" history --db "$u"
	[ "$rc" -eq 0 ] && [[ "$out" == *"closed -> open"* ]] || { bad=history; return 1; }
	elapsed "$CBEXEC" metrics --db "$u"
	[ "$rc" -eq 0 ] && [[ "$out" == *'cbexec_breaker_state{name="a",state="open"} 1'* ]] || { bad=metrics; return 1; }
	elapsed "$CBEXEC" trip --db "$u" c
	[ "$rc" -eq 0 ] || { bad=trip; return 1; }
	elapsed "$CBEXEC" bypass --db "$u" c
	[ "$rc" -eq 0 ] || { bad=bypass; return 1; }
	elapsed "$CBEXEC" reset --db "$u" a
	[ "$rc" -eq 0 ] || { bad=reset; return 1; }
	elapsed "$CBEXEC" reset --all --db "$u"
	[ "$rc" -eq 0 ] || { bad="reset --all"; return 1; }
	for n in a b c; do
		elapsed "$CBEXEC" delete --db "$u" "$n"
		[ "$rc" -eq 0 ] || { bad="delete $n"; return 1; }
	done
	elapsed "$CBEXEC" status --db "$u"
	[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || { bad="status after delete"; return 1; }
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

@test "a bad Redis URL: 125 saying what is wrong, the job still runs, the password never printed" {
	with_redis
	local url want
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	# Port 1: nothing is ever asked of it, since every URL here is refused first.
	while IFS='|' read -r url want; do
		run --separate-stderr "$CBEXEC" status --db "$url"
		echo "status: $url: $status: $output $stderr"
		[ "$status" -eq 125 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "cbexec: "*"$want"* ]]
		[[ "$output$stderr" != *hunter2* ]]
		run --separate-stderr "$CBEXEC" trip --db "$url" a
		[ "$status" -eq 125 ]
		[[ "$stderr" == *"$want"* ]]
		[[ "$output$stderr" != *hunter2* ]]
		run --separate-stderr "$CBEXEC" --db "$url" -n a -- sh -c 'echo ran; exit 7'
		[ "$status" -eq 7 ]
		[ "$output" = ran ]
		[[ "$stderr" == "cbexec: warning: "*"$want"*"; running the command without the breaker" ]]
		[[ "$stderr" != *hunter2* ]]
	done <<-'URLS'
		redis://:hunter2@127.0.0.1:1/0?timout=1s|did you mean timeout=?
		redis://:hunter2@127.0.0.1:99999/0|the port is out of range
		redis://app:hunter2@127.0.0.1:1/x|the database is not a number
		redis://:hunter2@127.0.0.1:1?timeout=0|timeout= is too small
		redis://:hunter2@127.0.0.1:1?connect_timeout=5x|connect_timeout= is not a duration
		redis://:hunter2@127.0.0.1:1/0?db=1|the database is given twice
		rediss://:hunter2@127.0.0.1:1|has no TLS
		redis-sentinel://:hunter2@127.0.0.1:1|needs ?sentinelMasterId=NAME
		unix://relative/redis.sock?password=hunter2|takes an absolute path
		redis://:hunter2@127.0.0.1:1?password=hunter2|the password is given twice
		redis://hunter2@127.0.0.1:1|the user has no password
		redis://:hunter2@127.0.0.1:1?prefix=a{b}|prefix= holds a brace
		REDIS://:hunter2@127.0.0.1:1/0?timeout=1x|timeout= is not a duration
	URLS
	# The password shows as *** where the location is named.
	run --separate-stderr "$CBEXEC" status --db 'redis://app:hunter2@127.0.0.1:1/x'
	[[ "$stderr" == "cbexec: redis://app:***@127.0.0.1:1/x: "* ]]
	# Nothing was made for a location that could not be used: no file, no marker.
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/cwd")" ]
	[ ! -e "$XDG_STATE_HOME" ]
}

@test "password_file=: refused while others may read it, used once only its owner can" {
	with_redis
	redis_start r --requirepass 'Pa55;word'
	local pw="$BATS_TEST_TMPDIR/pw"
	printf 'Pa55;word\n' >"$pw"
	chmod 0644 "$pw"
	run --separate-stderr "$CBEXEC" status --db "unix://$REDIS_SOCK?password_file=$pw"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"readable by others; run chmod o-rwx $pw"* ]]
	[[ "$output$stderr" != *'Pa55;word'* ]]
	chmod 0600 "$pw"
	run --separate-stderr "$CBEXEC" --db "unix://$REDIS_SOCK?password_file=$pw" -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run "$CBEXEC" status --db "unix://$REDIS_SOCK?password_file=$pw" a
	[ "$status" -eq 0 ]
	[ "$(redis_cli -- -a 'Pa55;word' --no-auth-warning HGET 'cbexec:{a}' total_calls)" = 1 ]
	# With a user: user@host takes its password from the file.
	redis_cli -- -a 'Pa55;word' --no-auth-warning ACL SETUSER app on '>fr0m-file' '~*' '+@all'
	printf 'fr0m-file\n' >"$pw"
	run --separate-stderr "$CBEXEC" status --db "unix://app@$REDIS_SOCK?password_file=$pw" a
	[ "$status" -eq 0 ]
	[[ "$output" == *"a "*closed* ]]
}

@test "a wrong password: 125 for readers and manual commands, the job runs, no password printed" {
	with_redis
	redis_start r --requirepass right-one
	local url="unix://$REDIS_SOCK?password=Wr0ng-one"
	run --separate-stderr "$CBEXEC" status --db "$url"
	[ "$status" -eq 125 ]
	[[ "$stderr" == "cbexec: unix://$REDIS_SOCK?password=***: AUTH (password) refused: WRONGPASS"* ]]
	[[ "$output$stderr" != *Wr0ng-one* ]]
	[[ "$output$stderr" != *right-one* ]]
	run --separate-stderr "$CBEXEC" trip --db "$url" a
	[ "$status" -eq 125 ]
	[[ "$stderr" == *WRONGPASS* ]]
	[[ "$stderr" != *Wr0ng-one* ]]
	# on_store_error=run: the command runs and its status is kept.
	run --separate-stderr "$CBEXEC" --db "$url" -n a -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	[[ "$stderr" == *WRONGPASS*"; running the command without the breaker" ]]
	[[ "$stderr" != *Wr0ng-one* ]]
	# A refusal is not an outage: no marker, and nothing reached the server.
	[ "$(markers)" -eq 0 ]
	[ "$(redis_cli -- -a right-one --no-auth-warning DBSIZE)" = 0 ]
	# The right password: the server is reached, and has no breakers yet (as a
	# missing state file: UNKNOWN).
	run "$CBEXEC" status --db "unix://$REDIS_SOCK?password=right-one"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no breakers under the prefix"* ]]
	# A user the server does not know, the same way.
	run --separate-stderr "$CBEXEC" status --db "unix://nobody:right-one@$REDIS_SOCK"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"AUTH (user and password) refused: WRONGPASS"* ]]
	[[ "$stderr" != *right-one* ]]
}

@test "the ACL of cbexec(1) is enough for every command, and reaches nothing else" {
	with_redis
	redis_start r
	# The man page gives this ACL, word for word (its lines joined).
	sed -e 's/ *\\e$//' "$BATS_TEST_DIRNAME/../../man/cbexec.1" | tr '\n' ' ' | tr -s ' ' |
		grep -qF "redis-cli ACL SETUSER cbexec reset on '>PASSWORD' '$ACL_KEYS' $ACL_COMMANDS .Ed"
	acl_set r
	redis_cli -- SET other-key untouched
	# db 1, so that SELECT is needed too; the scripts loaded by EVAL first.
	redis_cli -- SCRIPT FLUSH
	every_command "unix://cbexec:s3cret@$REDIS_SOCK?db=1" || {
		echo "failed: $bad"
		false
	}
	# Once more, the scripts known to the server now (EVALSHA alone).
	every_command "unix://cbexec:s3cret@$REDIS_SOCK?db=1" || {
		echo "failed: $bad"
		false
	}
	[ "$(redis_cli -- -n 1 SMEMBERS cbexec:breakers)" = "" ]
	# The user reaches no other key and no other command.
	run redis_cli -- --user cbexec --pass s3cret --no-auth-warning GET other-key
	[[ "$output" == *NOPERM* ]]
	run redis_cli -- --user cbexec --pass s3cret --no-auth-warning FLUSHALL
	[[ "$output" == *NOPERM* ]]
	run redis_cli -- --user cbexec --pass s3cret --no-auth-warning CONFIG SET appendonly no
	[[ "$output" == *NOPERM* ]]
	[ "$(redis_cli -- GET other-key)" = untouched ]
}

@test "the ACL is minimal: without any one of its commands, some command of cbexec fails" {
	with_redis
	redis_start r
	local c without
	# All of them: every command works (so that what fails below is the
	# missing command's doing).
	acl_set r
	every_command "unix://cbexec:s3cret@$REDIS_SOCK?db=1" || {
		echo "failed with the whole ACL: $bad"
		false
	}
	for c in $ACL_COMMANDS; do
		# ROLE is asked of the primary that Sentinel names (the failover test).
		[ "$c" != +role ] || continue
		without=" $ACL_COMMANDS "
		without=${without/ $c / }
		redis_cli -- FLUSHALL >/dev/null
		redis_cli -- SCRIPT FLUSH >/dev/null
		acl_set r "$without"
		if every_command "unix://cbexec:s3cret@$REDIS_SOCK?db=1"; then
			echo "cbexec needs no $c"
			false
		fi
		echo "without $c: $bad fails"
	done
}

@test "a user without the ACL: a clear error naming cbexec(1), 125 for readers and changes, the job runs" {
	with_redis
	redis_start r
	# EVALSHA and EVAL, but not the commands the scripts run.
	acl_set r '+evalsha +eval +time'
	local url="unix://cbexec:s3cret@$REDIS_SOCK"
	run --separate-stderr "$CBEXEC" --db "$url" -n a -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[[ "$stderr" == "cbexec: warning: unix://cbexec:***@$REDIS_SOCK: "*"the ACL in cbexec(1)"*"; running the command without the breaker" ]]
	[[ "$stderr" != *s3cret* ]]
	run --separate-stderr "$CBEXEC" trip --db "$url" a
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"the ACL in cbexec(1)"* ]]
	# Nothing of the index either.
	acl_set r '+evalsha +eval'
	local cmd
	for cmd in status history metrics; do
		run --separate-stderr "$CBEXEC" "$cmd" --db "$url"
		echo "$cmd: $status: $stderr"
		[ "$status" -eq 125 ]
		[[ "$stderr" == *NOPERM*"the ACL in cbexec(1)"* ]]
	done
	# Other keys than the prefix's: the key pattern is the ACL's too.
	ACL_KEYS='~other:*' acl_set r
	run --separate-stderr "$CBEXEC" status --db "$url" a
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"no permissions to access one of the keys"*"the ACL in cbexec(1)"* ]]
	# A refusal is not an outage.
	[ "$(markers)" -eq 0 ]
}

@test "Redis stopped (SIGSTOP): each call waits at most the timeout and runs; the marker spares the next" {
	with_redis
	redis_start r
	local url="unix://$REDIS_SOCK?timeout=500ms"
	run "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	kill -STOP "$REDIS_PID"
	elapsed "$CBEXEC" --db "$url" -n a -- sh -c 'echo ran; exit 3'
	[ "$rc" -eq 3 ]
	[ "$out" = ran ]
	[ "$ms" -ge 450 ]
	[ "$ms" -lt 1500 ]
	[[ "$err" == *"no answer within 500ms (timeout= in the URL); running the command without the breaker" ]]
	[ "$(markers)" -eq 1 ]
	# The next calls do not wait: the marker says the server is down.
	elapsed "$CBEXEC" --db "$url" -n a -- sh -c 'exit 4'
	[ "$rc" -eq 4 ]
	[ "$ms" -lt 400 ]
	[[ "$err" == *"not tried: it did not answer a call of this host "*"s ago; cbexec tries it again in "*"s, or at once after rm $(marker)"* ]]
	# Readers and changes by hand try the server whatever the marker (an
	# operator's command is never "not tried"), wait the timeout, and exit 125;
	# they neither heed nor refresh the marker.
	touch -d '-2 seconds' "$(marker)"
	elapsed "$CBEXEC" status --db "$url" a
	[ "$rc" -eq 125 ]
	[ "$ms" -ge 450 ]
	[[ "$err" == *"no answer within 500ms"* ]]
	[[ "$err" != *"not tried"* ]]
	elapsed "$CBEXEC" trip --db "$url" a
	[ "$rc" -eq 125 ]
	[ "$ms" -ge 450 ]
	[[ "$err" != *"not tried"* ]]
	# The trip was sent and may yet be made: the operator is told to look.
	[[ "$err" == *"; the change may still be made once the server answers: check with cbexec status" ]]
	[ "$(stat -c %Y "$(marker)")" -lt "$(date +%s)" ]
	# 6 s later (the wall clock moved ahead) the server is tried again: one more
	# timeout, and the marker is fresh again.
	elapsed at 6 --db "$url" -n a -- true
	[ "$rc" -eq 0 ]
	[ "$ms" -ge 450 ]
	[[ "$err" == *"no answer within 500ms"* ]]
	# Removing the marker: tried at once.
	rm "$(marker)"
	elapsed "$CBEXEC" --db "$url" -n a -- true
	[ "$rc" -eq 0 ]
	[ "$ms" -ge 450 ]
	[ "$(markers)" -eq 1 ]
	kill -CONT "$REDIS_PID"
	# The server is back: with the marker stale the server is asked, and a
	# call that it answers removes the marker.
	rm "$(marker)"
	run --separate-stderr "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	kill -STOP "$REDIS_PID"
	elapsed "$CBEXEC" --db "$url" -n a -- true
	kill -CONT "$REDIS_PID"
	[ "$(markers)" -eq 1 ]
	run --separate-stderr at 6 --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(markers)" -eq 0 ]
	# The calls whose requests were lost are not counted: total_calls counts
	# the records, and each call made while the server was stopped lost its
	# admit, ran unprotected and sent no record (an admit the resumed server
	# ran late counts nothing). That leaves one call before the stop and one
	# after each of the two restarts of it.
	[ "$(redis_cli -- HGET 'cbexec:{a}' total_calls)" -eq 3 ]
}

@test "Redis restarted during a call: the command's status kept, no marker, the next call counted" {
	with_redis
	redis_start r
	local url="unix://$REDIS_SOCK" pid
	"$CBEXEC" --db "$url" -n a -- sh -c "$HOLD; exit 6" sh "$BATS_TEST_TMPDIR/h" \
		2>"$BATS_TEST_TMPDIR/held.err" &
	pid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	# The connection the call holds is closed under it; the server is back
	# before the call records its outcome.
	redis_stop r
	redis_start r
	touch "$BATS_TEST_TMPDIR/h.go"
	local rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/held.err"
	[ "$rc" -eq 6 ]
	# The call found its connection closed before it sent the outcome, so it
	# reconnected and recorded it (nothing had been sent: safe), silently.
	[ ! -s "$BATS_TEST_TMPDIR/held.err" ]
	[ "$(redis_cli -- HGET 'cbexec:{a}' total_calls)" = 1 ]
	[ "$(redis_cli -- HGET 'cbexec:{a}' last_exit)" = 6 ]
	# Not an outage: the next call goes to the server at once, and counts.
	[ "$(markers)" -eq 0 ]
	run --separate-stderr "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(redis_cli -- HGET 'cbexec:{a}' total_calls)" = 2 ]
}

@test "a server that closes the connection (maxclients reached): 125 with a message, not death by SIGPIPE" {
	with_redis
	redis_start r --maxclients 1
	local url="unix://$REDIS_SOCK" pid cmd i
	run "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	# One client holds the only connection the server takes (10 s at most).
	redis_cli -- BLPOP nothing 10 >/dev/null 2>&1 3>&- &
	pid=$!
	# Until then a PING is answered; after, it is refused (with the server's
	# reason or a reset connection, whichever wins the race).
	wait_for 10 sh -c "! redis-cli -s '$REDIS_SOCK' PING 2>&1 | grep -qx PONG"
	# The server accepts, says why and closes: whether its reply or the
	# closed socket comes first is a race, so each reader is asked thrice.
	for cmd in status history metrics "trip a" "reset a"; do
		for i in 1 2 3; do
			# shellcheck disable=SC2086
			elapsed "$CBEXEC" $cmd --db "$url"
			[ "$rc" -eq 125 ]
			[[ "$err" == *"max number of clients reached"* || "$err" == *"the server closed the connection"* ]]
		done
	done
	elapsed "$CBEXEC" --db "$url" -n a -- sh -c 'exit 4'
	[ "$rc" -eq 4 ]
	[[ "$err" == *"; running the command without the breaker" ]]
	# Not an outage: no marker.
	[ "$(markers)" -eq 0 ]
	kill "$pid"
	wait "$pid" || true
}

@test "a busy server (a script running too long) is not an outage: no marker" {
	with_redis
	redis_start r --busy-reply-threshold 50
	local url="unix://$REDIS_SOCK" pid
	run "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	# A script of someone else's that runs until SCRIPT KILL (10 s at most).
	redis_cli -- EVAL "local t = redis.call('TIME')[1] + 10 while redis.call('TIME')[1] + 0 < t do end" 0 \
		>/dev/null 2>&1 3>&- &
	pid=$!
	wait_for 5 sh -c "redis-cli -s '$REDIS_SOCK' PING 2>&1 | grep -q BUSY"
	elapsed "$CBEXEC" --db "$url" -n a -- sh -c 'exit 3'
	[ "$rc" -eq 3 ]
	[[ "$err" == *BUSY* ]]
	[ "$(markers)" -eq 0 ]
	redis_cli -- SCRIPT KILL
	wait "$pid" || true
	run --separate-stderr "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(redis_cli -- HGET 'cbexec:{a}' total_calls)" = 2 ]
}

@test "the marker is one per server: another server's calls are not skipped" {
	with_redis
	redis_start one
	local one=$REDIS_SOCK one_pid=$REDIS_PID
	redis_start two
	local two=$REDIS_SOCK
	kill -STOP "$one_pid"
	elapsed "$CBEXEC" --db "unix://$one?timeout=200ms" -n a -- true
	[ "$rc" -eq 0 ]
	[ "$(markers)" -eq 1 ]
	run --separate-stderr "$CBEXEC" --db "unix://$two" -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run "$CBEXEC" status --db "unix://$two" a
	[ "$status" -eq 0 ]
	# Another database or prefix of the same server shares the marker.
	elapsed "$CBEXEC" --db "unix://$one?db=3&prefix=x:" -n a -- true
	[ "$rc" -eq 0 ]
	[ "$ms" -lt 400 ]
	[[ "$err" == *"not tried"* ]]
	kill -CONT "$one_pid"
}

@test "a marker that is a symbolic link, or another user's, is not believed" {
	with_redis
	redis_start r
	kill -STOP "$REDIS_PID"
	run "$CBEXEC" --db "unix://$REDIS_SOCK?timeout=200ms" -n a -- true
	kill -CONT "$REDIS_PID"
	[ "$status" -eq 0 ]
	local m
	m=$(marker)
	[ -n "$m" ]
	rm "$m"
	touch "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$m"
	run --separate-stderr "$CBEXEC" --db "unix://$REDIS_SOCK" -n a -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"not tried"* ]]
	# Nor a fresh one of another user's (only root can make one here).
	[ "$(id -u)" -eq 0 ] || skip "not root: cannot give the marker to another user"
	rm "$m"
	touch "$m"
	chown 65534 "$m"
	run --separate-stderr "$CBEXEC" --db "unix://$REDIS_SOCK" -n a -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"not tried"* ]]
	# The same file of the caller's is believed (the test can fail).
	chown 0 "$m"
	touch "$m"
	run --separate-stderr "$CBEXEC" --db "unix://$REDIS_SOCK" -n a -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"not tried"* ]]
}

@test "an unreachable server (nothing listens on the port): the job runs at once, nothing marked" {
	with_redis
	local port url
	port=$(redis_free_port)
	url="redis://:hunter2@127.0.0.1:$port/0"
	elapsed "$CBEXEC" --db "$url" -n a -- sh -c 'echo ran; exit 5'
	[ "$rc" -eq 5 ]
	[ "$out" = ran ]
	[ "$ms" -lt 400 ]
	[ "$err" = "cbexec: warning: redis://:***@127.0.0.1:$port/0: connect to 127.0.0.1:$port: Connection refused; running the command without the breaker" ]
	# A refusal is fast: it marks nothing, so a server that comes back is used at once.
	[ "$(markers)" -eq 0 ]
	elapsed "$CBEXEC" status --db "$url"
	[ "$rc" -eq 125 ]
	[[ "$err" != *hunter2* ]]
	elapsed "$CBEXEC" reset --db "$url" a
	[ "$rc" -eq 125 ]
	[ "$(markers)" -eq 0 ]
}

@test "a server that accepts no connection: the call waits connect_timeout, then runs" {
	with_redis
	# A listening socket whose backlog is full: the kernel answers no SYN.
	"$PY" - "$BATS_TEST_TMPDIR/port" <<-'PY' 3>&- &
		import os, socket, sys, time
		l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
		port = l.getsockname()[1]
		fill = []
		for i in range(4):
		    c = socket.socket(); c.setblocking(False)
		    try: c.connect(("127.0.0.1", port))
		    except BlockingIOError: pass
		    fill.append(c)
		open(sys.argv[1] + ".tmp", "w").write(str(port))
		os.rename(sys.argv[1] + ".tmp", sys.argv[1])
		time.sleep(10)
	PY
	local pypid=$! port
	wait_for 5 test -s "$BATS_TEST_TMPDIR/port"
	port=$(cat "$BATS_TEST_TMPDIR/port")
	elapsed "$CBEXEC" --db "redis://127.0.0.1:$port/0?connect_timeout=300ms" -n a -- true
	kill "$pypid"
	[ "$rc" -eq 0 ]
	[ "$ms" -ge 250 ]
	[ "$ms" -lt 1200 ]
	[[ "$err" == *"connect to 127.0.0.1:$port: no answer within 300ms (connect_timeout= in the URL)"* ]]
	[ "$(markers)" -eq 1 ]
}

@test "on_store_error=fail, server stopped: 125 after the timeout, the command not run" {
	with_redis
	redis_start r
	local url="unix://$REDIS_SOCK?timeout=300ms"
	kill -STOP "$REDIS_PID"
	elapsed "$CBEXEC" --db "$url" --on-store-error fail -n a -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$rc" -eq 125 ]
	[ "$ms" -ge 250 ]
	[ "$ms" -lt 1200 ]
	[[ "$err" == *"no answer within 300ms"*"; not running the command (on_store_error = fail)" ]]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	# The next call: refused at once.
	elapsed "$CBEXEC" --db "$url" --on-store-error fail -n a -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$rc" -eq 125 ]
	[ "$ms" -lt 400 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	elapsed "$CBEXEC" check --db "$url" --on-store-error fail -n a
	[ "$rc" -eq 125 ]
	kill -CONT "$REDIS_PID"
}

@test "on_store_error=local, server stopped: the host's own file; changes by hand 125, never local" {
	with_redis
	redis_start r
	local url="unix://$REDIS_SOCK?timeout=300ms"
	export CBEXEC_DB=$url
	run "$CBEXEC" -n a -- true
	[ "$status" -eq 0 ]
	kill -STOP "$REDIS_PID"
	elapsed "$CBEXEC" --on-store-error local -f 2 -n a -- false
	[ "$rc" -eq 1 ]
	[ "$ms" -lt 1200 ]
	[[ "$err" == "cbexec: warning: unix://$REDIS_SOCK?timeout=300ms: "*"no answer within 300ms"*"; using the host's own state file $local_db (on_store_error = local)" ]]
	# The next ones at once (the marker), still on the host's file, which opens.
	elapsed "$CBEXEC" --on-store-error local -f 2 -n a -- false
	[ "$rc" -eq 1 ]
	[ "$ms" -lt 400 ]
	[[ "$err" == *"not tried"*"using the host's own state file"* ]]
	elapsed "$CBEXEC" --on-store-error local -f 2 -n a -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$rc" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[ "$(sub status --json --db "$local_db" a | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])')" = open ]
	# Changes by hand never fall back: 125, the host's file untouched, even
	# with on_store_error = local in the configuration file.
	mkdir -p "$XDG_CONFIG_HOME/cbexec"
	printf '[defaults]\non_store_error = local\n' >"$XDG_CONFIG_HOME/cbexec/config.ini"
	chmod 600 "$XDG_CONFIG_HOME/cbexec/config.ini"
	local before cmd
	before=$("$CBEXEC" status --json --db "$local_db" || true)
	for cmd in "reset a" "trip a" "bypass a" "delete a" "trip b" "reset --all"; do
		# shellcheck disable=SC2086
		elapsed "$CBEXEC" $cmd
		[ "$rc" -eq 125 ]
		[[ "$err" == *"no answer within 300ms"* ]]
		[[ "$err" != *"host's own state file"* ]]
	done
	# The same breakers, in the same states, in the host's file.
	[ "$("$CBEXEC" status --json --db "$local_db" || true)" = "$before" ]
	[[ "$before" == *'"name":"a"'*'"state":"open"'* ]]
	kill -CONT "$REDIS_PID"
	# The server back, its breaker is the one used again, untouched by the outage.
	rm "$(marker)"
	run --separate-stderr "$CBEXEC" --on-store-error local -f 2 -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(redis_cli -- HGET 'cbexec:{a}' total_calls)" = 2 ]
}

# reads_a URL: status of breaker a works (its stderr in $BATS_TEST_TMPDIR/reads_a).
reads_a() {
	local rc=0
	"$CBEXEC" status --db "$1" a >/dev/null 2>"$BATS_TEST_TMPDIR/reads_a" || rc=$?
	[ "$rc" -eq 2 ] # open
}

@test "Sentinel: the breaker follows the primary through a failover, with the ACL of cbexec(1)" {
	with_redis
	redis_tcp_start primary
	local pport=$REDIS_PORT
	redis_tcp_start replica --replicaof 127.0.0.1 "$pport"
	acl_set primary
	acl_set replica
	wait_for 10 sh -c "redis-cli -h 127.0.0.1 -p $pport INFO replication | grep -q 'slave0:.*state=online'"
	redis_sentinel_start s1 "$pport" cbexec
	local sport=$REDIS_PORT dead
	# The sentinel knows the replica before the primary dies.
	wait_for 15 sh -c "redis-cli -h 127.0.0.1 -p $sport SENTINEL replicas cbexec | grep -qx 'slave'"
	dead=$(redis_free_port)
	# A dead sentinel first: the next one answers.
	local url="redis-sentinel://cbexec:s3cret@127.0.0.1:$dead,127.0.0.1:$sport/0?sentinelMasterId=cbexec&timeout=300ms"
	run "$CBEXEC" --db "$url" -n a -f 2 -- false
	[ "$status" -eq 1 ]
	run --separate-stderr "$CBEXEC" --db "$url" -n a -f 2 -- false
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"closed -> open"* ]]
	run "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 75 ]
	# The replica has it all before the primary dies.
	[ "$(redis_cli primary -- WAIT 1 5000)" = 1 ]
	local t0
	t0=$(date +%s%N)
	redis_stop primary
	# Meanwhile each call waits at most a timeout or two, and runs.
	elapsed "$CBEXEC" --db "$url" -n b -- true
	[ "$rc" -eq 0 ]
	[ "$ms" -lt 1500 ]
	# The sentinel promotes the replica; the breaker is still open there.
	wait_for 20 reads_a "$url" || {
		cat "$BATS_TEST_TMPDIR/reads_a"
		false
	}
	echo "served by the promoted replica $((($(date +%s%N) - t0) / 1000000)) ms after the primary was stopped"
	[ "$(redis_cli replica -- ROLE | head -1)" = master ]
	run --separate-stderr "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"circuit open"* ]]
	run --separate-stderr "$CBEXEC" reset --db "$url" a
	[ "$status" -eq 0 ]
	run --separate-stderr "$CBEXEC" --db "$url" -n a -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(redis_cli replica -- HGET 'cbexec:{a}' state)" = 0 ]
}

@test "Sentinel: an unknown master name is an error, not an outage" {
	with_redis
	redis_tcp_start primary
	local pport=$REDIS_PORT
	redis_sentinel_start s1 "$pport" cbexec
	run --separate-stderr "$CBEXEC" status --db "redis-sentinel://127.0.0.1:$REDIS_PORT/0?sentinelMasterId=other"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"knows no master named other"* ]]
	[ "$(markers)" -eq 0 ]
}

@test "README's fleet set-up works as written, the server's name and password aside" {
	with_redis
	redis_tcp_start r
	acl_set r
	local block line n=0
	# The sh block under "## One breaker for a fleet", its lines in order.
	block=$(awk '/^## One breaker for a fleet/ { f = 1 } f && /^```sh/ { on = 1; next }
		on && /^```/ { exit } on' "$BATS_TEST_DIRNAME/../../README.md")
	[[ "$block" == *'password_file=$HOME/.cbexec-redis.pw'* ]]
	# Only the server's address and the password differ from the README's; the
	# dependency is a command that fails, so that the breaker has something to say.
	block=${block//redis.internal/127.0.0.1:$REDIS_PORT}
	block=${block//the-password/s3cret}
	block=${block//curl -fsS http:\/\/qdrant:6333\/healthz/false}
	run env PATH="$(dirname "$CBEXEC"):$PATH" bash -c "cd \"\$HOME\"; $block"
	echo "$output"
	# The last line, status, exits 0: one breaker, closed after one failure.
	[ "$status" -eq 0 ]
	[[ "$output" == *qdrant*closed* ]]
	[ "$(stat -c %a "$HOME/.cbexec-redis.pw")" = 600 ]
	[ "$(redis_cli -- HGET 'cbexec:{qdrant}' total_failures)" = 1 ]
	# Nothing of it went to a state file: the breaker is the server's alone.
	[ ! -e "$XDG_STATE_HOME/cbexec/breakers.db" ]
}
