#!/usr/bin/env bats
# The Redis store's semantics (issue 17), against a real redis-server: the
# commands behave as on a file, counts are exact across processes, "hosts"
# (processes in other pid namespaces) share one breaker without waiting on
# each other, one probe and one hook per transition, the server's clock for
# every host, a server killed and restarted mid-run, and the generation rule
# across delete. One server for the file (setup_file, a unix socket, TCP off),
# each test on its own key prefix; the test that kills a server starts its own.

bats_require_minimum_version 1.5.0
load helpers

# Bats 1.8 cannot skip from setup_file: without a server each test skips in setup.
setup_file() {
	if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
		redis_start
		export RSOCK=$REDIS_SOCK RURL=$REDIS_URL
	fi
}

teardown_file() {
	redis_stop_all
}

setup() {
	cbexec_setup
	redis_need
	"$CBEXEC" --version | grep -q hiredis ||
		skip "cbexec was built without Redis support (make REDIS=0)"
	# The file's server: each test's breakers under its own prefix.
	pfx="t${BATS_TEST_NUMBER}:"
	db="$RURL?prefix=$pfx"
	out="$BATS_TEST_TMPDIR/out"
	mkdir -p "$out"
	hosts=()
}

teardown() {
	local h
	# Each host's init, and with it every process left in its namespace.
	for h in "${hosts[@]}"; do
		kill -KILL "$h" 2>/dev/null || true
	done
	redis_stop_all
}

# rcli ARG...: redis-cli against the file's server.
rcli() { redis-cli -s "$RSOCK" "$@"; }

# hget NAME FIELD: a field of the breaker's hash, on the server itself.
hget() { rcli hget "$pfx{$1}" "$2"; }

# server_ms: the server's clock, in ms.
server_ms() { rcli time | awk 'NR == 1 { s = $1 } NR == 2 { printf "%.0f\n", s * 1000 + int($1 / 1000) }'; }

# ms: this host's monotonic clock in ms, to time a call.
ms() { awk '{ printf "%.0f\n", $1 * 1000 }' /proc/uptime; }

# ---- hosts: each a pid namespace (with its own /proc) whose init is a sleep
# that never ends by itself (teardown kills it by PID), so that a slow machine
# keeps its hosts for the whole test

hosts_need() {
	command -v nsenter >/dev/null || skip "nsenter is not installed (util-linux)"
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		skip "unshare --pid --fork --mount-proc is not allowed here (needs root or user namespaces)"
}

# host_start N: host N; $host_N_pid, in a file, is its init's pid (ours).
host_start() {
	local u
	# Not a job of the test's shell, so that a test's `wait` does not wait for it.
	(
		unshare --pid --fork --mount-proc sleep infinity </dev/null >/dev/null 2>&1 3>&- &
		echo $! >"$BATS_TEST_TMPDIR/unshare$1"
	)
	u=$(cat "$BATS_TEST_TMPDIR/unshare$1")
	wait_for 5 host_init "$u" "$1"
	hosts+=("$(cat "$BATS_TEST_TMPDIR/host$1")")
}

host_init() {
	local p
	p=$(ps -o pid= --ppid "$1" | tr -d ' ')
	[ -n "$p" ] && echo "$p" >"$BATS_TEST_TMPDIR/host$2"
}

# on N ARG...: cbexec ARG... on host N, on the test's breakers.
on() {
	local h=$1
	shift
	nsenter -t "$(cat "$BATS_TEST_TMPDIR/host$h")" -p -m --wd="$PWD" -- "$CBEXEC" --db "$db" "$@"
}

# child_of PID: the one child of PID (nsenter's cbexec, cbexec's command).
child_of() { ps -o pid= --ppid "$1" | tr -d ' '; }

# lines FILE: how many lines FILE has (0 if there is none).
lines() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }
at_least() { [ "$(lines "$1")" -ge "$2" ]; }

# files DIR REGEX N: DIR holds at least N files whose names match REGEX.
files() { [ "$(ls "$1" | grep -c -E "$2")" -ge "$3" ]; }

# ---- 1. the commands, as on a file

# mask: what differs between two runs of the same sequence: times, durations,
# generations (the Redis store's come from a counter shared by all breakers).
mask() {
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/TIME/g' \
		-e 's/"generation":[0-9]+/"generation":G/g' \
		-e 's/"call_duration_seconds_sum":[0-9.]+/"call_duration_seconds_sum":D/g' \
		-e 's/in [0-9]+(ms|s)/in N/g' -e 's/[0-9]+(ms|s) ago/N ago/g' \
		-e 's/ +/ /g'
}

# note LOG WHAT CMD...: runs CMD, writes WHAT, its status, stdout and stderr to LOG.
note() {
	local log=$1 what=$2 rc=0
	shift 2
	"$@" >"$log.o" 2>"$log.e" || rc=$?
	{
		echo "== $what: $rc"
		cat "$log.o"
		sed 's/^/E: /' "$log.e"
	} >>"$log"
}

# sequence DB LOG: one breaker's life, every command on DB.
sequence() {
	local d=$1 log=$2 i
	c() { "$CBEXEC" --db "$d" "$@"; }
	s() { "$CBEXEC" "$1" --db "$d" "${@:2}"; }
	: >"$log"
	note "$log" fail1 c -n a -f 2 -r 2s -- sh -c 'echo out; exit 3'
	note "$log" fail2 c -n a -f 2 -r 2s -- sh -c 'exit 3'
	note "$log" rejected c -n a -f 2 -r 2s -- echo never
	note "$log" check-open s check -n a -f 2 -r 2s
	note "$log" status-open s status -o name,state,failures,calls,failed,rejected,reason
	note "$log" nagios-open s status --nagios
	note "$log" json-open s status --json
	# The open period: a bounded wait for check to admit (it changes nothing).
	for ((i = 0; i < 100; i++)); do
		s check -q -n a -f 2 -r 2s && break
		sleep 0.05
	done
	note "$log" probe c -n a -f 2 -r 2s -- true
	note "$log" json-closed s status --json a
	note "$log" record1 s record -n a -f 2 -r 2s failure
	note "$log" record2 s record -n a -f 2 -r 2s failure
	note "$log" rejected2 c -n a -f 2 -r 2s -- true
	note "$log" trip s trip --for 1h --reason 'maintenance window' a
	note "$log" held c -n a -f 2 -r 2s -- true
	note "$log" json-tripped s status --json
	note "$log" bypass s bypass --reason 'vendor says ok' a
	note "$log" bypassed c -n a -f 2 -r 2s -- sh -c 'exit 4'
	note "$log" status-bypass s status -o name,state,calls,failed,rejected
	note "$log" reset s reset a
	note "$log" json-reset s status --json
	note "$log" nagios-closed s status --nagios
	note "$log" history s history --json
	note "$log" metrics-families sh -c '"$0" metrics --db "$1" | sed -n "s/^# TYPE //p"' "$CBEXEC" "$d"
	note "$log" metrics-calls sh -c '"$0" metrics --db "$1" | grep "^cbexec_calls_total"' "$CBEXEC" "$d"
	note "$log" record-b s record -n b -f 1 failure
	note "$log" names s status --names
	note "$log" pattern s status --json 'b*'
	note "$log" pattern-none s status 'z*'
	note "$log" history-all s history
	note "$log" history-limit s history --json --limit 2
	note "$log" history-since s history --since 1h b
	note "$log" reset-all s reset --all
	note "$log" status-all s status -o name,state,calls,failed,rejected,reason
	note "$log" delete-b s delete b
	note "$log" delete s delete a
	note "$log" delete-again s delete a
	note "$log" status-deleted s status a
	note "$log" history-deleted s history a
}

@test "run, check, record, status, history, trip, bypass, reset, delete, metrics: as on a file" {
	# Both stores at once: the open periods pass together.
	sequence "$BATS_TEST_TMPDIR/s.db" "$out/sqlite" &
	local p1=$!
	sequence "$db" "$out/redis" &
	local p2=$!
	wait "$p1"
	wait "$p2"
	mask <"$out/sqlite" >"$out/sqlite.m"
	mask <"$out/redis" >"$out/redis.m"
	diff -u "$out/sqlite.m" "$out/redis.m"
	# What the sequence must have shown (on both, since they are equal).
	run cat "$out/redis"
	echo "$output"
	[[ "$output" == *"== fail1: 3"$'\n'"out"$'\n'"== fail2: 3"$'\n'"E: cbexec: a: closed -> open: 2 consecutive failures, last exit 3"* ]]
	[[ "$output" == *"== rejected: 75"$'\n'"E: cbexec: a: circuit open after 2 consecutive failures, last exit 3; next try in "* ]]
	[[ "$output" == *"== check-open: 75"* ]]
	[[ "$output" == *"== nagios-open: 2"$'\n'"CBEXEC CRITICAL - 1 open: a;"* ]]
	[[ "$output" == *"== probe: 0"$'\n'"E: cbexec: a: open -> half_open: recovery timeout elapsed"$'\n'"E: cbexec: a: half_open -> closed: probe succeeded"* ]]
	[[ "$output" == *"== rejected2: 75"* ]]
	[[ "$output" == *"== held: 75"* ]]
	[[ "$output" == *"== bypassed: 4"* ]]
	[[ "$output" == *"== nagios-closed: 0"* ]]
	[[ "$output" == *"== status-deleted: 3"* ]]
	[[ "$output" == *"cbexec_calls_total{name=\"a\"} 6"* ]]
	grep -q '^cbexec_breaker_state gauge$' "$out/redis"
	# The server holds nothing of the deleted breaker, and the counter alone.
	run rcli --scan --pattern "$pfx*"
	[ "$output" = "${pfx}generation" ]
	[[ "$(cat "$out/redis.m")" == *"== reset-all: 0"*"== status-all: 0"$'\n'"NAME STATE CALLS FAILED REJECTED REASON"$'\n'"a closed 6 5 3 -"$'\n'"b closed 1 1 0 -"* ]]
}

@test "the server's hash is the breaker: status reads what a call wrote there" {
	run -1 cb -n a -f 1 -r 1h -- false
	[ "$(hget a state)" = 1 ]
	[ "$(hget a total_failures)" = 1 ]
	[ "$(rcli sismember "${pfx}breakers" a)" = 1 ]
	[ "$(rcli llen "$pfx{a}:history")" = 1 ]
	# The open period is the server's: retry_at is its now + 1 h.
	local now retry
	now=$(server_ms)
	retry=$(hget a retry_at)
	[ $((retry - now)) -le 3600000 ]
	[ $((retry - now)) -gt 3590000 ]
	# A change made on the server is what status shows.
	rcli hset "$pfx{a}" total_failures 41 >/dev/null
	[ "$(field a total_failures)" = 41 ]
	# Another prefix, another breaker; another db, another again.
	run -3 "$CBEXEC" status --db "$RURL?prefix=other:" --names
	[[ "$output" == *'no breakers under the prefix "other:"'* ]]
	run -0 "$CBEXEC" --db "unix://$RSOCK?db=3&prefix=$pfx" -n a -- true
	[ "$(rcli -n 3 hget "$pfx{a}" total_calls)" = 1 ]
	[ "$(hget a total_calls)" = 1 ]
}

# ---- 2. counts

# outcome P I: call I of process P exits 3 when (P*1000+I) % 3 == 0, else 0.
outcome() { echo $((($1 * 1000 + $2) % 3 == 0 ? 3 : 0)); }

# worker P N ARGS...: N calls by process P; "expected actual" to $out/rc.P.
worker() {
	local p=$1 n=$2 i x rc
	shift 2
	for ((i = 0; i < n; i++)); do
		x=$(outcome "$p" "$i")
		rc=0
		cb "$@" -- sh -c "exit $x" 2>>"$out/err.$p" || rc=$?
		echo "$x $rc" >>"$out/rc.$p"
	done
}

@test "32 processes x 25 calls on one breaker: every call counted exactly" {
	local p i fails=0
	for ((p = 0; p < 32; p++)); do
		worker "$p" 25 -n shared -f 100000 &
	done
	wait
	for ((p = 0; p < 32; p++)); do
		for ((i = 0; i < 25; i++)); do
			[ "$(outcome "$p" "$i")" -eq 0 ] || fails=$((fails + 1))
		done
	done
	[ "$(cat "$out"/rc.* | wc -l)" -eq 800 ]
	[ "$(awk '$1 != $2' "$out"/rc.* | wc -l)" -eq 0 ]
	[ -z "$(cat "$out"/err.*)" ]
	[ "$(field shared total_calls)" -eq 800 ]
	[ "$(field shared total_failures)" -eq "$fails" ]
	[ "$(field shared total_successes)" -eq $((800 - fails)) ]
	[ "$(field shared total_rejected)" -eq 0 ]
	[ "$(hget shared total_calls)" -eq 800 ]
	# No call left a lease behind.
	[ "$(rcli zcard "$pfx{shared}:leases")" -eq 0 ]
}

# ---- 3. hosts: nothing held during a call

@test "hosts: a long call on one host does not delay another's; --max-concurrent 1 rejects it at once" {
	hosts_need
	host_start 1
	host_start 2
	local t0 t
	# Host 1's call holds the one slot of the bulkhead for as long as it runs.
	on 1 -n h --max-concurrent 1 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" 3>&- &
	local p=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	# Host 2's call of the same breaker, without a bulkhead, is not held up.
	t0=$(ms)
	run -0 on 2 -n h -- echo ran
	t=$(($(ms) - t0))
	echo "host 2's call took ${t}ms"
	[ "$output" = ran ]
	[ "$t" -lt 1000 ]
	# With a bulkhead of 1, host 2 is turned away at once: host 1's slot is
	# a lease on the server that host 2 cannot judge dead.
	t0=$(ms)
	run --separate-stderr on 2 -n h --max-concurrent 1 -- echo never
	t=$(($(ms) - t0))
	echo "status $status; ${t}ms; stderr: $stderr"
	[ "$status" -eq 75 ]
	[ -z "$output" ]
	[[ "$stderr" == *"h: "*"concurren"* ]]
	[ "$t" -lt 1000 ]
	# Host 1's lease is on the server, in host 1's name (its pid namespace).
	local ns1 member
	ns1=$(stat -L -c %i "/proc/$(cat "$BATS_TEST_TMPDIR/host1")/ns/pid")
	member=$(rcli zrange "$pfx{h}:leases" 0 -1)
	echo "lease: $member; host 1's pid namespace: $ns1"
	[ "$(rcli zcard "$pfx{h}:leases")" -eq 1 ]
	[[ "$member" == *"|"*":$ns1:"* ]]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait "$p"
	[ "$(rcli zcard "$pfx{h}:leases")" -eq 0 ]
	# Host 1's call ended: host 2 is admitted under the bulkhead.
	run -0 on 2 -n h --max-concurrent 1 -- echo ran
	[ "$(field h total_calls)" -eq 3 ]
	[ "$(field h total_rejected)" -eq 1 ]
}

# ---- 4. one probe

# open_and_wait NAME ARGS...: opens NAME by one failure and waits (bounded)
# for its open period to pass, asking check (which changes nothing).
open_and_wait() {
	local n=$1
	shift
	cb -n "$n" -f 1 "$@" -- false 2>/dev/null || true
	[ "$(field "$n" state)" = open ]
	wait_for 8 sub check -q -n "$n" -f 1 "$@"
}

@test "hosts: exactly one probe admitted among 16 simultaneous callers from 4 hosts" {
	hosts_need
	local h k p
	for h in 1 2 3 4; do host_start "$h"; done
	open_and_wait p -r 1s
	# 16 callers, 4 a host, held at a start line and let go together; the
	# one admitted holds its probe until the test says go.
	for h in 1 2 3 4; do
		for k in 1 2 3 4; do
			(
				wait_for 10 test -e "$BATS_TEST_TMPDIR/start"
				rc=0
				on "$h" -n p -f 1 -r 1s --on-half-open "echo $h.$k >>'$out/half'" -- \
					sh -c 'echo "$1" >>"$2/admitted"; shift 2; '"$HOLD" sh "$h.$k" "$out" \
					"$BATS_TEST_TMPDIR/h" 2>"$out/err.$h.$k" || rc=$?
				echo "$rc" >"$out/rc.$h.$k"
			) 3>&- &
		done
	done
	touch "$BATS_TEST_TMPDIR/start"
	# 15 are turned away while the probe runs.
	wait_for 15 files "$out" '^rc\.' 15
	[ "$(lines "$out/admitted")" -eq 1 ]
	[ "$(cat "$out"/rc.* | grep -c '^75$')" -eq 15 ]
	[ "$(grep -l 'probe already running' "$out"/err.* | wc -l)" -eq 15 ]
	[ "$(lines "$out/half")" -eq 1 ]
	[ "$(rcli zcard "$pfx{p}:leases")" -eq 1 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
	[ "$(cat "$out"/rc.* | grep -c '^0$')" -eq 1 ]
	[ "$(field p state)" = closed ]
	[ "$(field p total_rejected)" -eq 15 ]
	[ "$(rcli lrange "$pfx{p}:history" 0 -1 | grep -c 'recovery timeout elapsed')" -eq 1 ]
	[ "$(rcli zcard "$pfx{p}:leases")" -eq 0 ]
}

# probe_killed HOST: a probe of breaker k on HOST, its cbexec SIGKILLed (and
# its command) while it holds the half-open slot.
probe_killed() {
	on "$1" -n k -f 1 -r 1s -t 1s --kill-after 1s -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/k" 2>/dev/null 3>&- &
	local n=$! c cmd
	wait_for 5 test -s "$BATS_TEST_TMPDIR/k.pid"
	c=$(child_of "$n")
	cmd=$(child_of "$c")
	[ -n "$c" ]
	[ -n "$cmd" ]
	kill -KILL "$c" "$cmd"
	wait_for 5 gone "$c"
	wait "$n" || true
	rm -f "$BATS_TEST_TMPDIR/k.pid"
	[ "$(field k state)" = half_open ]
	[ "$(rcli zcard "$pfx{k}:leases")" -eq 1 ]
}

@test "hosts: a SIGKILLed probe's slot is freed by its host's next call, and on others when its lease expires" {
	hosts_need
	host_start 1
	host_start 2
	open_and_wait k -r 1s
	probe_killed 1
	# Host 2 cannot know that host 1's process is gone: the slot is taken.
	run --separate-stderr on 2 -n k -f 1 -r 1s -- true
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"probe already running"* ]]
	# Host 1 can: its next call frees the slot, probes and closes.
	run --separate-stderr on 1 -n k -f 1 -r 1s -- true
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"half_open -> closed"* ]]
	[ "$(rcli zcard "$pfx{k}:leases")" -eq 0 ]
	# Again, and now host 2 waits out the lease: --timeout 1s and --kill-after
	# 1s bound the run, and 60 s of slack follow. The lease's score says so;
	# the test moves it back (as the server's clock would pass) rather than wait.
	open_and_wait k -r 1s
	probe_killed 1
	local now score member
	now=$(server_ms)
	member=$(rcli zrange "$pfx{k}:leases" 0 -1)
	score=$(rcli zscore "$pfx{k}:leases" "$member")
	score=${score%.*}
	echo "lease expires in $((score - now))ms"
	[ $((score - now)) -le 62000 ]
	[ $((score - now)) -gt 55000 ]
	run on 2 -n k -f 1 -r 1s -- false
	[ "$status" -eq 75 ]
	rcli zadd "$pfx{k}:leases" xx "$((now - 1))" "$member" >/dev/null
	run --separate-stderr on 2 -n k -f 1 -r 1s -- true
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"half_open -> closed"* ]]
	[ "$(rcli zcard "$pfx{k}:leases")" -eq 0 ]
}

# ---- 5. one hook

@test "--on-open runs exactly once among 32 processes failing together" {
	hosts_need
	local h k
	for h in 1 2 3; do host_start "$h"; done
	# All 32 admitted while closed, then let fail together: one opens.
	for k in $(seq 32); do
		h=$((k % 4))
		if [ "$h" -eq 0 ]; then
			cb -n o -f 1 -r 1h --on-open "echo $k >>'$out/opened'" -- \
				sh -c 'echo $$ >"$1.$2.pid"; i=0; while [ ! -e "$1.go" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; exit 9' \
				sh "$BATS_TEST_TMPDIR/o" "$k" 2>"$out/err.$k" 3>&- &
		else
			on "$h" -n o -f 1 -r 1h --on-open "echo $k >>'$out/opened'" -- \
				sh -c 'echo $$ >"$1.$2.pid"; i=0; while [ ! -e "$1.go" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; exit 9' \
				sh "$BATS_TEST_TMPDIR/o" "$k" 2>"$out/err.$k" 3>&- &
		fi
	done
	wait_for 15 files "$BATS_TEST_TMPDIR" '^o\..*\.pid$' 32
	touch "$BATS_TEST_TMPDIR/o.go"
	wait
	run cat "$out/opened"
	echo "hooks: $output"
	[ "${#lines[@]}" -eq 1 ]
	[ "$(cat "$out"/err.* | grep -c 'closed -> open')" -eq 1 ]
	[ "$(field o total_opens)" -eq 1 ]
	[ "$(field o total_failures)" -eq 32 ]
	[ "$(rcli llen "$pfx{o}:history")" -eq 1 ]
}

# ---- 6. one clock

# iso MS: the UTC time of MS as status --json prints it.
iso() { date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%SZ; }

@test "hosts with clocks 10 minutes apart agree on the open period: the server's" {
	command -v faketime >/dev/null || skip "faketime is not installed (apt-get install faketime)"
	local t0 retry now
	t0=$(server_ms)
	# A host 10 minutes behind opens the breaker for 4 s.
	run --separate-stderr cb_step -10m -n c -f 1 -r 4s \
		--on-open "echo \$CBEXEC_RETRY_AFTER >'$out/retry_after'" -- false
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"closed -> open"* ]]
	# Its hook hears the server's 4 s, not 10 minutes more.
	wait_for 5 test -s "$out/retry_after"
	[ "$(cat "$out/retry_after")" -ge 3 ]
	[ "$(cat "$out/retry_after")" -le 4 ]
	now=$(server_ms)
	retry=$(hget c retry_at)
	echo "retry_at $retry, server now $now (before the call: $t0)"
	[ "$retry" -ge $((t0 + 4000)) ]
	[ "$retry" -le $((now + 4000)) ]
	[ "$(hget c state_changed_at)" -ge "$t0" ]
	[ "$(hget c state_changed_at)" -le "$now" ]
	# Every host reads the same retry time and history, the server's.
	local json_real json_behind json_ahead
	json_real=$(field c retry_at)
	json_behind=$(step -10m status --json --db "$db" c | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["retry_at"])')
	json_ahead=$(step +10m status --json --db "$db" c | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["retry_at"])')
	echo "retry_at: $json_real / $json_behind / $json_ahead"
	[ "$json_real" = "$(iso "$retry")" ]
	[ "$json_behind" = "$json_real" ]
	[ "$json_ahead" = "$json_real" ]
	[ "$(step +10m history --json --db "$db" c)" = "$(step -10m history --json --db "$db" c)" ]
	# A host 10 minutes ahead is turned away, told the server's time left.
	run --separate-stderr cb_step +10m -n c -f 1 -r 4s -- echo never
	echo "$stderr"
	[ "$status" -eq 75 ]
	[ -z "$output" ]
	[[ "$stderr" =~ next\ try\ in\ [0-4]s$ ]]
	run --separate-stderr cb_step -10m -n c -f 1 -r 4s -- echo never
	[ "$status" -eq 75 ]
	[[ "$stderr" =~ next\ try\ in\ [0-4]s$ ]]
	# The tables say the same: the retry seconds away, the failure just now.
	run -2 step +10m status --db "$db" -o name,state,last-failure,retry c
	echo "$output"
	[[ "${lines[1]}" =~ ^c\ +open\ +[0-9]s\ ago\ +in\ [0-4]s$ ]]
	run -2 step -10m status --db "$db" -o name,state,last-failure,retry c
	echo "$output"
	[[ "${lines[1]}" =~ ^c\ +open\ +[0-9]s\ ago\ +in\ [0-4]s$ ]]
	# And the host behind is let in once the server's 4 s have passed.
	wait_for 8 step -10m check --db "$db" -q -n c -f 1 -r 4s
	[ "$(server_ms)" -ge "$retry" ]
	run --separate-stderr cb_step -10m -n c -f 1 -r 4s -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"half_open -> closed"* ]]
}

# ---- 7. the server killed and restarted

# lane P: calls until 10 after the file "up" appears (200 at most); per call
# "expected actual stderr-lines" to $out/rc.P, its stderr kept in $out/err.P.
lane() {
	local p=$1 i x rc after=0
	for ((i = 0; i < 200 && after < 10; i++)); do
		x=$(outcome "$p" "$i")
		rc=0
		cb -n r -f 100000 -- sh -c "sleep 0.01; exit $x" 2>"$out/e.$p" || rc=$?
		echo "$x $rc $(wc -l <"$out/e.$p")" >>"$out/rc.$p"
		cat "$out/e.$p" >>"$out/err.$p"
		[ ! -e "$out/up" ] || after=$((after + 1))
	done
}

# calls: how many calls the lanes have made.
calls() { cat "$out"/rc.* 2>/dev/null | wc -l; }
calls_ge() { [ "$(calls)" -ge "$1" ]; }

# stat NAME: the calls of command NAME since the server started (INFO commandstats).
cmdstat() { redis_cli kill -- info commandstats | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p"; }

@test "Redis SIGKILLed and restarted mid-run: every call keeps its status, the counts survive (appendonly, fsync always)" {
	# A server of its own, so that the others' tests keep theirs.
	redis_start kill --appendonly yes --appendfsync always
	db="$REDIS_URL?prefix=$pfx"
	local p pids=() before down total clean
	for p in 0 1 2 3; do
		lane "$p" 3>&- &
		pids+=($!)
	done
	wait_for 10 calls_ge 20
	before=$(redis_cli kill -- hget "$pfx{r}" total_calls)
	kill -KILL "$REDIS_PID"
	wait_for 5 gone "$REDIS_PID"
	# Calls go on while it is down: each runs its command unprotected.
	down=$(calls)
	wait_for 10 calls_ge $((down + 8))
	redis_launch kill "$REDIS_DIR/kill.conf" --appendonly yes --appendfsync always
	touch "$out/up"
	for p in "${pids[@]}"; do wait "$p"; done
	total=$(calls)
	clean=$(cat "$out"/rc.* | awk '$3 == 0' | wc -l)
	echo "calls $total, $clean without a warning; $before counted before the kill"
	# Every call exited with its command's status.
	[ "$(cat "$out"/rc.* | awk '$1 != $2' | wc -l)" -eq 0 ]
	grep -q 'running the command without the breaker' "$out"/err.*
	# What was counted before the kill survived it; a call that warned may or
	# may not have been counted, one that did not was counted once.
	local n
	n=$(redis_cli kill -- hget "$pfx{r}" total_calls)
	echo "total_calls $n"
	[ "$n" -ge "$before" ]
	[ "$n" -ge "$clean" ]
	[ "$n" -le "$total" ]
	[ "$clean" -lt "$total" ]
	[ "$clean" -gt 40 ]
	# A server gone (refused, closed) is no server that does not answer:
	# nothing marked it down, and the calls after the restart were counted.
	[ "$(cat "$out"/err.* | grep -c 'not tried')" -eq 0 ]
	[ "$(find "$XDG_STATE_HOME" -name 'redis-down-*' | wc -l)" -eq 0 ]
	# (A call that started before the restart may end after it, warned.)
	local f
	for f in "$out"/rc.*; do
		[ "$(tail -n 5 "$f" | awk '$3 != 0' | wc -l)" -eq 0 ]
	done
	[ "$n" -ge $((before + 20)) ]
	# The restarted server knew no script: the first calls sent them (NOSCRIPT,
	# then EVAL), and later calls find them by their SHA1 again.
	local eval evalsha
	eval=$(cmdstat eval)
	evalsha=$(cmdstat evalsha)
	echo "eval $eval, evalsha $evalsha"
	[ "$eval" -ge 1 ]
	[ "$evalsha" -gt "$eval" ]
	run -0 cb -n r -f 100000 -- true
	[ "$(cmdstat eval)" -eq "$eval" ]
	[ "$(cmdstat evalsha)" -ge $((evalsha + 2)) ]
	[ "$(redis_cli kill -- zcard "$pfx{r}:leases")" -eq 0 ]
	# A server that does not answer: a pipelined read (status) says so, and
	# leaves no marker (only calls heed and set it); a call (run) marks it
	# down, and the next call does not wait.
	kill -STOP "$REDIS_PID"
	run -125 "$CBEXEC" status --db "$db&timeout=200ms" r
	echo "$output"
	[[ "$output" == *"no answer within 200ms (timeout= in the URL)"* ]]
	[ "$(find "$XDG_STATE_HOME" -name 'redis-down-*' | wc -l)" -eq 0 ]
	run -0 "$CBEXEC" --db "$db&timeout=200ms" -n r -- true
	ls "$XDG_STATE_HOME/cbexec" | grep -q redis-down
	run --separate-stderr cb -n r -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"not tried: it did not answer"* ]]
	kill -CONT "$REDIS_PID"
}

# ---- 8. generations across delete

@test "a call admitted before delete does not drive the breaker made again, nor runs its hook" {
	local g_old p rc
	# x: generation 1 made, 2 tripped, 3 reset (closed).
	run -0 cb -n x -- true
	run -0 sub trip x
	run -0 sub reset x
	g_old=$(hget x generation)
	[ "$g_old" -eq 3 ]
	# A call admitted now, in generation 3, that will fail once let go.
	cb -n x -f 1 --on-open "echo old >>'$out/opened'" -- sh -c "$HOLD; exit 9" sh \
		"$BATS_TEST_TMPDIR/h" 2>"$out/err.old" 3>&- &
	p=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	# Another breaker takes a generation from the counter (now 2); delete
	# raises the counter to x's 3, so the x made again starts at 4, not 3.
	run -0 cb -n y -- true
	run -0 sub delete x
	[ "$(rcli exists "$pfx{x}")" -eq 0 ]
	[ "$(rcli get "${pfx}generation")" -eq "$g_old" ]
	run -0 cb -n x -f 1 --on-open "echo new >>'$out/opened'" -- true
	[ "$(hget x generation)" -gt "$g_old" ]
	# The old call fails: counted in the totals, no transition, no hook.
	touch "$BATS_TEST_TMPDIR/h.go"
	rc=0
	wait "$p" || rc=$?
	[ "$rc" -eq 9 ]
	cat "$out/err.old"
	[ ! -e "$out/opened" ]
	[ "$(grep -c -- '->' "$out/err.old")" -eq 0 ]
	[ "$(field x state)" = closed ]
	[ "$(field x consecutive_failures)" -eq 0 ]
	[ "$(field x total_opens)" -eq 0 ]
	[ "$(field x total_failures)" -eq 1 ]
	[ "$(field x total_calls)" -eq 2 ]
	[ "$(rcli llen "$pfx{x}:history")" -eq 0 ]
	# Its breaker not made again, the old call's outcome makes it, closed.
	rm -f "$BATS_TEST_TMPDIR/h.pid" "$BATS_TEST_TMPDIR/h.go"
	cb -n w -f 1 --on-open "echo w >>'$out/opened'" -- sh -c "$HOLD; exit 9" sh \
		"$BATS_TEST_TMPDIR/h" 2>"$out/err.w" 3>&- &
	p=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	g_old=$(hget w generation)
	run -0 sub delete w
	touch "$BATS_TEST_TMPDIR/h.go"
	rc=0
	wait "$p" || rc=$?
	[ "$rc" -eq 9 ]
	[ ! -e "$out/opened" ]
	[ "$(hget w generation)" -gt "$g_old" ]
	[ "$(field w state)" = closed ]
	[ "$(field w total_failures)" -eq 1 ]
	[ "$(field w total_opens)" -eq 0 ]
}

@test "a probe admitted before delete does not close the breaker made again and half-open" {
	local p
	open_and_wait q -r 1s
	# The old breaker's probe, held.
	cb -n q -f 1 -r 1s -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/old" 2>/dev/null 3>&- &
	p=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/old.pid"
	[ "$(field q state)" = half_open ]
	run -0 sub delete q
	# q made again, opened, and half-open with a probe of its own running.
	open_and_wait q -r 1s
	cb -n q -f 1 -r 1s -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/new" 2>/dev/null 3>&- &
	local p2=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/new.pid"
	[ "$(field q state)" = half_open ]
	# The old probe succeeds: q stays half-open, its own probe's slot taken.
	touch "$BATS_TEST_TMPDIR/old.go"
	wait "$p"
	[ "$(field q state)" = half_open ]
	[ "$(rcli zcard "$pfx{q}:leases")" -eq 1 ]
	run cb -n q -f 1 -r 1s -- true
	[ "$status" -eq 75 ]
	# Its own probe closes it.
	touch "$BATS_TEST_TMPDIR/new.go"
	wait "$p2"
	[ "$(field q state)" = closed ]
	[ "$(rcli lrange "$pfx{q}:history" 0 -1 | grep -c 'probe succeeded')" -eq 1 ]
}

# ---- the bulkhead across hosts

# scripts_run: how many scripts the file's server has run (EVALSHA and EVAL).
scripts_run() {
	rcli info commandstats | awk -F'[:=,]' '/^cmdstat_eval(sha)?:/ { n += $3 } END { print n + 0 }'
}
scripts_run_ge() { [ "$(scripts_run)" -ge "$1" ]; }

@test "hosts: --max-wait waits for another host's slot and is admitted when it ends, counted once" {
	hosts_need
	host_start 1
	host_start 2
	on 1 -n m --max-concurrent 1 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" 3>&- &
	local p=$! t0 t rc=0
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	on 2 -n m --max-concurrent 1 --max-wait 8s -- sh -c 'echo ran >"$1"' sh "$out/second" \
		2>"$out/err.second" 3>&- &
	local p2=$!
	# It waits, asking again and again: not admitted, not counted as rejected.
	wait_for 5 scripts_run_ge $(($(scripts_run) + 4))
	[ "$(rcli zcard "$pfx{m}:leases")" -eq 1 ]
	[ ! -e "$out/second" ]
	[ "$(field m total_rejected)" -eq 0 ]
	t0=$(ms)
	touch "$BATS_TEST_TMPDIR/h.go"
	wait "$p"
	wait "$p2" || rc=$?
	t=$(($(ms) - t0))
	echo "admitted ${t}ms after the slot was freed; stderr: $(cat "$out/err.second")"
	[ "$rc" -eq 0 ]
	[ "$(cat "$out/second")" = ran ]
	[ "$t" -lt 3000 ]
	[ "$(field m total_calls)" -eq 2 ]
	[ "$(field m total_rejected)" -eq 0 ]
	[ "$(rcli zcard "$pfx{m}:leases")" -eq 0 ]
}

@test "hosts: a SIGKILLed call's bulkhead slot is freed by its host's next call, uncounted as a rejection" {
	hosts_need
	host_start 1
	host_start 2
	on 1 -n b --max-concurrent 1 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/b" 2>/dev/null 3>&- &
	local n=$! c cmd
	wait_for 5 test -s "$BATS_TEST_TMPDIR/b.pid"
	c=$(child_of "$n")
	cmd=$(child_of "$c")
	kill -KILL "$c" "$cmd"
	wait_for 5 gone "$c"
	wait "$n" || true
	[ "$(rcli zcard "$pfx{b}:leases")" -eq 1 ]
	# Host 2 cannot free it: rejected, counted.
	run -75 on 2 -n b --max-concurrent 1 -- true
	[ "$(field b total_rejected)" -eq 1 ]
	# Host 1 frees it and is admitted; its call is no rejection.
	run -0 on 1 -n b --max-concurrent 1 -- echo ran
	[ "$output" = ran ]
	[ "$(field b total_rejected)" -eq 1 ]
	[ "$(field b total_calls)" -eq 1 ]
	[ "$(rcli zcard "$pfx{b}:leases")" -eq 0 ]
}

@test "a dead call's slot at the end of the open period: freed, one transition, one hook, no rejection counted" {
	local a cmd
	# A call holds the bulkhead's one slot; a recorded failure opens the breaker.
	"$CBEXEC" --db "$db" -n e -f 1 -r 1s --max-concurrent 1 -- sh -c "$HOLD" sh \
		"$BATS_TEST_TMPDIR/e" 2>/dev/null 3>&- &
	a=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/e.pid"
	run -0 sub record -n e -f 1 -r 1s failure
	[ "$(field e state)" = open ]
	# Its cbexec dies; the lease stays on the server.
	cmd=$(child_of "$a")
	kill -KILL "$a" "$cmd"
	wait_for 5 gone "$a"
	wait "$a" || true
	[ "$(rcli zcard "$pfx{e}:leases")" -eq 1 ]
	wait_for 8 sub check -q -n e -f 1 -r 1s --max-concurrent 1
	# The first try goes half-open and meets the dead slot; the retry frees it.
	run --separate-stderr cb -n e -f 1 -r 1s --max-concurrent 1 \
		--on-half-open "echo h >>'$out/half'" --on-close "echo c >>'$out/close'" -- true
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(lines "$out/half")" -eq 1 ]
	[ "$(lines "$out/close")" -eq 1 ]
	[ "$(echo "$stderr" | grep -c 'open -> half_open')" -eq 1 ]
	[ "$(field e state)" = closed ]
	[ "$(field e total_rejected)" -eq 0 ]
	[ "$(rcli lrange "$pfx{e}:history" 0 -1 | grep -c 'recovery timeout elapsed')" -eq 1 ]
	[ "$(rcli zcard "$pfx{e}:leases")" -eq 0 ]
}

# ---- the issue's own words: CBEXEC_DB=redis://127.0.0.1:PORT/0 shared by hosts

@test "CBEXEC_DB=redis://127.0.0.1:PORT/0: a breaker opened on one host turns another host away" {
	hosts_need
	redis_tcp_start tcp
	export CBEXEC_DB="redis://127.0.0.1:$REDIS_PORT/0"
	host_start 1
	host_start 2
	local h1 h2
	h1=$(cat "$BATS_TEST_TMPDIR/host1")
	h2=$(cat "$BATS_TEST_TMPDIR/host2")
	# Host 1 sees the dependency fail three times: the breaker opens.
	for i in 1 2 3; do
		run -1 nsenter -t "$h1" -p -m -- "$CBEXEC" -n qdrant -f 3 -r 1h -- false
	done
	# Host 2 never called it, and is turned away at once, told why.
	run --separate-stderr -75 nsenter -t "$h2" -p -m -- "$CBEXEC" -n qdrant -f 3 -r 1h -- \
		touch "$BATS_TEST_TMPDIR/ran"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$stderr" == *'qdrant: circuit open after 3 consecutive failures'* ]]
	# Both hosts read the one breaker on the server, and no state file was made.
	run -2 nsenter -t "$h2" -p -m -- "$CBEXEC" status --names
	[ "$output" = qdrant ]
	[ "$(redis-cli -p "$REDIS_PORT" -h 127.0.0.1 HGET 'cbexec:{qdrant}' total_failures)" = 3 ]
	[ "$(redis-cli -p "$REDIS_PORT" -h 127.0.0.1 HGET 'cbexec:{qdrant}' total_rejected)" = 1 ]
	[ ! -e "$XDG_STATE_HOME/cbexec/breakers.db" ]
	# A reset from host 2 closes it for host 1.
	run -0 nsenter -t "$h2" -p -m -- "$CBEXEC" reset qdrant
	run -0 nsenter -t "$h1" -p -m -- "$CBEXEC" -n qdrant -f 3 -r 1h -- true
}
