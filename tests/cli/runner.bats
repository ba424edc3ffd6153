#!/usr/bin/env bats
# How cbexec starts the command (runner.c): vfork, exec errors, signal state,
# process groups, death with cbexec, SIGPIPE; and the fail-open doors around it
# (no HOME, a dead stderr, cbexec's own failures).

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

teardown() {
	# a command or hook a failing test left behind
	for f in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
	[ -z "${nb:-}" ] || rm -rf "$nb"
}

# deadpipe COMMAND...: runs COMMAND with stdout and stderr on a pipe whose
# reader has already gone, and prints its status (-N if killed by signal N).
# Python gives the child SIGPIPE at its default, as a shell would.
deadpipe() {
	"$PY" -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
print(subprocess.run(sys.argv[1:], stdout=w, stderr=w).returncode)' "$@"
}

# sigline FIELD: that line of /proc/self/status as the command sees it
sigline() { awk -v f="$1:" '$1 == f { print $2 }' /proc/self/status; }

# waitfor FILE: a bounded wait (5 s) for FILE to exist and not be empty
waitfor() {
	for _ in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# as_user UID COMMAND...: runs COMMAND as UID, for limits root ignores; with no
# XDG_CONFIG_HOME, which is under this test's private directory
as_user() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to become another user"
	setpriv --reuid "$1" --regid "$1" --clear-groups env -u XDG_CONFIG_HOME "${@:2}"
}
as_other() { as_user 65534 "$@"; }

@test "SIGPIPE: with stderr a dead pipe, a rejected call still runs its fallback" {
	sub trip a
	run deadpipe "$CBEXEC" --db "$db" -n a --fallback "echo fb > '$BATS_TEST_TMPDIR/fb'" -- true
	[ "$output" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/fb")" = fb ]
	[ "$(field a total_rejected)" -eq 1 ]
}

@test "SIGPIPE: with stderr a dead pipe, a damaged state file still runs the command" {
	head -c 8192 /dev/urandom > "$db"
	run deadpipe "$CBEXEC" --db "$db" -n a -- sh -c "touch '$BATS_TEST_TMPDIR/ran'; exit 3"
	[ "$output" = 3 ]
	[ -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "SIGPIPE: with stderr a dead pipe, the call that opens runs its on-open hook" {
	run deadpipe "$CBEXEC" --db "$db" -n a -f 1 --on-open "touch '$BATS_TEST_TMPDIR/hook'" -- false
	[ "$output" = 1 ]
	[ -e "$BATS_TEST_TMPDIR/hook" ]
	[ "$(field a state)" = open ]
	# record opens too, and its hooks run as well
	sub reset a
	run deadpipe "$CBEXEC" record --db "$db" -n a -f 1 --on-open "touch '$BATS_TEST_TMPDIR/hook2'" failure
	[ "$output" = 0 ]
	[ -e "$BATS_TEST_TMPDIR/hook2" ]
}

@test "SIGPIPE: the command, fallback and hooks get the disposition cbexec was started with" {
	bit=$((1 << 12)) # SIGPIPE is 13
	m=$(cb -n a -- awk '$1 == "SigIgn:" { print $2 }' /proc/self/status)
	[ $((16#$m & bit)) -eq 0 ]
	m=$(sh -c 'trap "" PIPE; exec "$@"' sh "$CBEXEC" --db "$db" -n a -- \
		awk '$1 == "SigIgn:" { print $2 }' /proc/self/status)
	[ $((16#$m & bit)) -ne 0 ]
	sub trip b
	cb -n b --fallback "awk '\$1 == \"SigIgn:\" { print \$2 }' /proc/self/status > '$BATS_TEST_TMPDIR/fb'" -- true
	[ $((16#$(cat "$BATS_TEST_TMPDIR/fb") & bit)) -eq 0 ]
	cb -n c -f 1 --on-open "awk '\$1 == \"SigIgn:\" { print \$2 }' /proc/self/status > '$BATS_TEST_TMPDIR/hk'" -- false || true
	[ $((16#$(cat "$BATS_TEST_TMPDIR/hk") & bit)) -eq 0 ]
}

@test "a command killed by SIGPIPE because its reader left is neutral; other SIGPIPEs fail" {
	run bash -c '"$0" --db "$1" -n p -- yes | head -1; echo "status ${PIPESTATUS[0]}"' "$CBEXEC" "$db"
	[ "${lines[0]}" = y ]
	[ "${lines[1]}" = "status 141" ]
	[ "$(field p total_ignored)" -eq 1 ]
	[ "$(field p total_failures)" -eq 0 ]
	[ "$(field p consecutive_failures)" -eq 0 ]
	# a SIGPIPE that is not about cbexec's reader says nothing of the kind
	run -141 cb -n p -- sh -c 'kill -PIPE $$'
	[ "$(field p total_failures)" -eq 1 ]
}

@test "no HOME: the first path of STATE_DIRECTORY holds the state file" {
	run env -u HOME -u XDG_STATE_HOME STATE_DIRECTORY="$BATS_TEST_TMPDIR/sd:$BATS_TEST_TMPDIR/other" \
		"$CBEXEC" -n job -- echo ran
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[ -s "$BATS_TEST_TMPDIR/sd/breakers.db" ]
	[ ! -e "$BATS_TEST_TMPDIR/other" ]
	# HOME, when set, comes first: one file for a user's cron, shell and units
	STATE_DIRECTORY="$BATS_TEST_TMPDIR/sd2" env -u XDG_STATE_HOME "$CBEXEC" -n job -- true
	[ -s "$HOME/.local/state/cbexec/breakers.db" ]
	[ ! -e "$BATS_TEST_TMPDIR/sd2" ]
}

@test "no HOME: the password database's home directory, else a store error that runs the command" {
	# nobody's home is /nonexistent in Debian: found, and unusable
	home=$(getent passwd 65534 | cut -d: -f6)
	run -0 as_other env -u HOME -u XDG_STATE_HOME -u STATE_DIRECTORY "$CBEXEC" -n job -- echo ran
	[[ "$output" == *"warning: $home/.local/state/cbexec/breakers.db: "*"running the command without the breaker"* ]]
	[ "${lines[-1]}" = ran ]
	# a user the password database does not know: no path at all
	if getent passwd 54321; then skip "uid 54321 is known to the password database here"; fi
	run as_user 54321 env -u HOME -u XDG_STATE_HOME -u STATE_DIRECTORY "$CBEXEC" -n job -- sh -c 'echo ran; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == *"warning: no state file: HOME is not set"*"running the command without the breaker"* ]]
	[ "${lines[-1]}" = ran ]
	run as_user 54321 env -u HOME -u XDG_STATE_HOME -u STATE_DIRECTORY "$CBEXEC" -n job --on-store-error fail -- echo ran
	[ "$status" -eq 125 ]
	[[ "$output" != *ran* ]]
	# check asks what run would do: admit, with the same warning
	run as_user 54321 env -u HOME -u XDG_STATE_HOME -u STATE_DIRECTORY "$CBEXEC" check -n job
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: no state file: HOME is not set"*"admitting without the breaker"* ]]
}

@test "under ulimit -n 4 the store cannot open, and the command still runs" {
	run sh -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; ulimit -n 4; exec "$0" --db "$1" -n a -- sh -c "echo ran; exit 6"' \
		"$CBEXEC" "$db"
	[ "$status" -eq 6 ]
	[[ "$output" == *"running the command without the breaker"* ]]
	[ "${lines[-1]}" = ran ]
}

@test "cbexec's own failure to start the command (fork EAGAIN) exits 125 and counts nothing" {
	nb=$(mktemp -d /tmp/cbexec-nproc.XXXXXX)
	chmod 755 "$nb"
	[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$nb"
	: > "$nb/c.ini"
	opts=(--db "$nb/s.db" --config "$nb/c.ini" -n a --max-concurrent 1 -f 1)
	run -0 as_other "$CBEXEC" "${opts[@]}" -- true
	# ulimit -u 1: this user may have no second process, so cbexec's vfork
	# fails (and so would LeakSanitizer's thread at exit in SANITIZE=1)
	run as_other env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		bash -c 'ulimit -u 1 && exec "$@"' bash "$CBEXEC" "${opts[@]}" -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot start true: "*"; this call is not counted"* ]]
	json=$("$CBEXEC" status --json --db "$nb/s.db" a)
	[[ "$json" == *'"total_calls":1,'* ]]
	[[ "$json" == *'"total_failures":0,'* ]]
	[[ "$json" == *'"state":"closed"'* ]]
	# the slot it took was given back: the next call is not turned away
	run -0 as_other "$CBEXEC" "${opts[@]}" -- true
}

@test "a SIGKILLed cbexec takes its command with it; the next --max-concurrent 1 call runs" {
	"$CBEXEC" --db "$db" -n a --max-concurrent 1 -- \
		sh -c 'echo $$ > "$0"; exec sleep 38' "$BATS_TEST_TMPDIR/cmd.pid" &
	pid=$!
	waitfor "$BATS_TEST_TMPDIR/cmd.pid"
	cmd=$(cat "$BATS_TEST_TMPDIR/cmd.pid")
	kill -KILL "$pid"
	wait "$pid" || true
	for _ in $(seq 100); do gone "$cmd" && break; sleep 0.05; done
	gone "$cmd"
	run cb -n a --max-concurrent 1 -- true
	[ "$status" -eq 0 ]
}

@test "exec errors: 127 for no such file (ENOENT), 126 for the rest (ENOTDIR too, as timeout(1)), each a failure" {
	touch "$BATS_TEST_TMPDIR/file"
	run -127 cb -n a -- "$BATS_TEST_TMPDIR/nope"
	[[ "$output" == *"No such file or directory"* ]]
	run -126 cb -n a -- "$BATS_TEST_TMPDIR/file/sub"
	[[ "$output" == *"Not a directory"* ]]
	run -126 cb -n a -- "$BATS_TEST_TMPDIR/file"
	[[ "$output" == *"Permission denied"* ]]
	run -126 cb -n a -- "$BATS_TEST_TMPDIR"
	run -127 cb -n a -- no-such-command-anywhere
	[ "$(field a total_failures)" -eq 5 ]
}

@test "the command gets the signal mask and ignored signals cbexec was started with" {
	# as the caller left them: nothing blocked here, what the shell ignores
	want_blk=$(sigline SigBlk)
	want_ign=$(sigline SigIgn)
	[ "$(cb -n a -- awk '$1 == "SigBlk:" { print $2 }' /proc/self/status)" = "$want_blk" ]
	[ "$(cb -n a -- awk '$1 == "SigIgn:" { print $2 }' /proc/self/status)" = "$want_ign" ]
	# a SIGUSR2 the caller blocked stays blocked, and only it
	m=$("$PY" -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.execv(sys.argv[1], sys.argv[1:])' "$CBEXEC" --db "$db" -n a -t 10s -- \
		awk '$1 == "SigBlk:" { print $2 }' /proc/self/status)
	[ $((16#$m)) -eq $((1 << 11)) ]
	# SIGINT and SIGQUIT ignored by the caller (a background job) stay ignored
	m=$(sh -c 'trap "" INT QUIT; exec "$@"' sh "$CBEXEC" --db "$db" -n a -- \
		awk '$1 == "SigIgn:" { print $2 }' /proc/self/status)
	[ $((16#$m & 6)) -eq 6 ]
	m=$(cb -n a -- awk '$1 == "SigIgn:" { print $2 }' /proc/self/status)
	[ $((16#$m & 6)) -eq $((16#$want_ign & 6)) ]
}

@test "under --timeout the command leads a process group of its own; without, it shares cbexec's" {
	read -r cpid cpgrp < <(cb -n a -t 10s -- sh -c 'cut -d" " -f1,5 /proc/$$/stat')
	[ "$cpid" = "$cpgrp" ]
	read -r cpid cpgrp < <(cb -n a -- sh -c 'cut -d" " -f1,5 /proc/$$/stat')
	[ "$cpid" != "$cpgrp" ]
	[ "$cpgrp" = "$(cut -d' ' -f5 /proc/$$/stat)" ]
}
