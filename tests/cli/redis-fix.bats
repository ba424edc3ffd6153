#!/usr/bin/env bats
# The Redis store's defects found by review, each kept fixed: a connection the
# server dropped while the command ran, SIGPIPE on cbexec's own requests,
# replies a broken server may give, a mistyped db or prefix, counts kept once.
# One server for the file (setup_file), each test under a prefix of its own.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
	redis_start fix
	export RSOCK=$REDIS_SOCK
}

teardown_file() {
	redis_stop_all
}

setup() {
	cbexec_setup
	[ -n "${RSOCK:-}" ] || skip "no redis-server (apt-get install redis-server redis-tools)"
	P="t$BATS_TEST_NUMBER:"
	db="unix://$RSOCK?prefix=$P"
}

teardown() {
	# The server is the file's: what a test changed of its settings goes back.
	if [ -n "${fake:-}" ]; then
		kill "$fake" 2>/dev/null || true
		wait_for 5 gone "$fake" || true
	fi
	if [ -n "${holder:-}" ]; then
		kill "$holder" 2>/dev/null || true
		wait_for 5 gone "$holder" || true
	fi
	rcli config set timeout 0 >/dev/null || true
	rcli config set maxclients 10000 >/dev/null || true
	redis_stop_all
}

rcli() { redis-cli -s "$RSOCK" "$@"; }

# conns: the connections the server has accepted, the one that asks included.
conns() { rcli info stats | awk -F: '/^total_connections_received:/ { print $2 + 0 }'; }

# dropped_and_replaced BEFORE: since conns printed BEFORE, the call made
# exactly two connections (conns's own is the third): its first, which the
# server closed as idle, and the one that replaced it. A call the server
# leaves alone makes one, so a drop that did not happen fails here.
dropped_and_replaced() {
	local after
	after=$(conns)
	echo "connections: $1 -> $after"
	[ $((after - $1)) -eq 3 ]
}

# jfield NAME KEY: a field of status --json on the test's prefix.
jfield() {
	"$CBEXEC" status --json --db "$db" "$1" |
		"$PY" -c 'import json,sys; v=json.load(sys.stdin)[0][sys.argv[1]]; print("null" if v is None else v)' "$2"
}

@test "an outcome is recorded after the server closed the idle connection (timeout 1)" {
	local before
	rcli config set timeout 1
	before=$(conns)
	# The call holds a lease (max-concurrent) while the server drops the
	# client that took it; record must come back on a new connection.
	run --separate-stderr "$CBEXEC" --db "$db" -n idle --max-concurrent 2 -- sleep 3
	dropped_and_replaced "$before"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jfield idle total_calls)" -eq 1 ]
	[ "$(jfield idle total_successes)" -eq 1 ]
	[ "$(rcli zcard "${P}{idle}:leases")" -eq 0 ]
}

@test "a probe's outcome closes the breaker after the server dropped the connection" {
	sub trip --for 1s probe
	[ "$(jfield probe state)" = open ]
	# Once the open period is over, the next call is the probe.
	wait_for 5 "$CBEXEC" check -q --db "$db" -n probe
	local before
	rcli config set timeout 1
	before=$(conns)
	run --separate-stderr "$CBEXEC" --db "$db" -n probe -- sh -c 'sleep 3'
	dropped_and_replaced "$before"
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"not recorded"* ]]
	[ "$(jfield probe state)" = closed ]
	[ "$(rcli zcard "${P}{probe}:leases")" -eq 0 ]
}

@test "a TCP connection has keepalive on while the command runs" {
	command -v ss >/dev/null || skip "ss is not installed (apt-get install iproute2)"
	redis_tcp_start tcp
	"$CBEXEC" --db "$REDIS_URL/0?prefix=$P" -n ka -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	pid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	out=$(ss -tnoH state established "( dport = :$REDIS_PORT )")
	touch "$BATS_TEST_TMPDIR/h.go"
	wait "$pid"
	[[ "$out" == *"timer:(keepalive"* ]]
}

@test "readers against a server at maxclients fail with a message, not SIGPIPE" {
	"$CBEXEC" --db "$db" -n full -- true
	# One client held open, the limit set to it: the server answers every
	# new connection with an error and closes it.
	"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
open(sys.argv[2], "w").close(); time.sleep(20)' "$RSOCK" "$BATS_TEST_TMPDIR/held" &
	holder=$!
	wait_for 5 test -e "$BATS_TEST_TMPDIR/held"
	rcli config set maxclients 1
	for cmd in "status" "status full" "history" "history full" "check -n full" "metrics"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$CBEXEC" $cmd --db "$db"
		echo "$cmd: $status $stderr"
		[ "$status" -ne 141 ]
		[[ "$stderr" == "cbexec: "* ]]
	done
}

# damage NAME FIELD VALUE: FIELD of breaker NAME's hash set to VALUE by hand.
damage() { rcli hset "${P}{$1}" "$2" "$3" >/dev/null; }

@test "a hash the client would refuse is refused by the scripts before they write" {
	local n=0 f v
	# Values the C decoder refuses that Lua's tonumber and a length check took.
	while read -r f v; do
		n=$((n + 1))
		"$CBEXEC" --db "$db" -n "b$n" --max-concurrent 2 -- true
		case $v in
		ff) v=$(printf 'bad \377 byte') ;;
		surrogate) v=$(printf '\355\240\200') ;;
		overlong) v=$(printf '\300\257') ;;
		esac
		damage "b$n" "$f" "$v"
		before=$(rcli hgetall "${P}{b$n}" | md5sum)
		# A call: warned, run without the breaker, nothing written.
		run --separate-stderr "$CBEXEC" --db "$db" -n "b$n" --max-concurrent 2 -- true
		echo "$f=$v: $status $stderr"
		[ "$status" -eq 0 ]
		[[ "$stderr" == *"field $f "* ]]
		[ "$(rcli zcard "${P}{b$n}:leases")" -eq 0 ]
		# A trip: refused, no history written, the hash as it was.
		run --separate-stderr "$CBEXEC" trip --db "$db" "b$n"
		[ "$status" -ne 0 ]
		[[ "$stderr" == *"field $f "* ]]
		[ "$(rcli llen "${P}{b$n}:history")" -eq 0 ]
		[ "$(rcli hgetall "${P}{b$n}" | md5sum)" = "$before" ]
	done <<-'LIST'
		reason ff
		mode_reason surrogate
		reason overlong
		held 0x1
		consecutive_failures 1e3
		total_calls 5.0
		state_changed_at 253402300800000
		last_failure_at 253402300800000
		open_period 253402300800000
	LIST
}

# broken_server SOCK COUNT: a server that answers every request with a
# script's reply head whose field count is COUNT and no fields after it.
broken_server() {
	"$PY" -c 'import os, socket, sys
path, count = sys.argv[1], sys.argv[2].encode()
head = [b"ok", b"0"] + [b"0"] * 13 + [count]
reply = b"*%d\r\n" % len(head) + b"".join(b"$%d\r\n%s\r\n" % (len(e), e) for e in head)
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
open(path + ".ready", "w").close()
s.settimeout(20)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        while c.recv(65536):
            c.sendall(reply)
    except OSError:
        pass
    c.close()' "$1" "$2" </dev/null >/dev/null 2>&1 3>&- &
	fake=$!
	wait_for 5 test -e "$1.ready"
}

@test "a reply whose field count the reply cannot hold is refused, not read past" {
	local c
	for c in -1 9223372036854775807 18446744073709551615 8 x; do
		rm -f "$BATS_TEST_TMPDIR/fake.sock" "$BATS_TEST_TMPDIR/fake.sock.ready"
		broken_server "$BATS_TEST_TMPDIR/fake.sock" "$c"
		run --separate-stderr "$CBEXEC" --db "unix://$BATS_TEST_TMPDIR/fake.sock" -n b \
			-- sh -c 'exit 7'
		echo "$c: $status $stderr"
		[ "$status" -eq 7 ]
		[[ "$stderr" == *"an unexpected reply from the Redis server; running the command without the breaker"* ]]
		run --separate-stderr "$CBEXEC" status --db "unix://$BATS_TEST_TMPDIR/fake.sock" b
		echo "$c: $status $stderr"
		[ "$status" -lt 126 ]
		kill "$fake"
		wait "$fake" || true
		fake=
	done
}

@test "readers of a db or prefix without breakers say so (UNKNOWN), as for a missing file" {
	"$CBEXEC" --db "$db" -n here -- true
	for loc in "unix://$RSOCK?db=5&prefix=$P" "unix://$RSOCK?prefix=typo$P"; do
		run --separate-stderr "$CBEXEC" status --db "$loc"
		[ "$status" -eq 3 ]
		[[ "$stderr" == "cbexec: "*"no breakers under the prefix"*"check db and prefix="* ]]
		run --separate-stderr "$CBEXEC" status --nagios --db "$loc"
		[ "$status" -eq 3 ]
		run --separate-stderr "$CBEXEC" history --db "$loc"
		[ "$status" -eq 125 ]
		[[ "$stderr" == *"no breakers under the prefix"* ]]
		run --separate-stderr "$CBEXEC" reset --db "$loc" here
		[ "$status" -eq 125 ]
		[[ "$stderr" == *"no breakers under the prefix"* ]]
		# check admits an unknown breaker, as run would.
		run --separate-stderr "$CBEXEC" check --db "$loc" -n here
		[ "$status" -eq 0 ]
		# Nothing was made there.
		[ "$(rcli -n 5 dbsize)" -eq 0 ]
	done
	run --separate-stderr "$CBEXEC" status --db "$db"
	[ "$status" -eq 0 ]
	# A store whose breakers were all deleted is still a store: "0 open".
	"$CBEXEC" delete --db "$db" here
	run --separate-stderr "$CBEXEC" status --nagios --db "$db"
	[ "$status" -eq 0 ]
}

# dead_lease NAME ARGS...: a call of NAME (with ARGS) SIGKILLed while it holds
# its lease: a slot of this host's that only its owner's death frees.
dead_lease() {
	local name=$1 pid
	shift
	rm -f "$BATS_TEST_TMPDIR/d.pid"
	"$CBEXEC" --db "$db" -n "$name" "$@" -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/d" &
	pid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/d.pid"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	# The command dies with its monitor (PR_SET_PDEATHSIG).
	wait_for 5 gone "$(cat "$BATS_TEST_TMPDIR/d.pid")"
}

@test "a rejection after dead owners' slots were freed is counted once, waiting too" {
	# L: a call admitted while closed, still running, holding a slot.
	"$CBEXEC" --db "$db" -n w --max-concurrent 1 -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/l" &
	lpid=$!
	wait_for 5 test -s "$BATS_TEST_TMPDIR/l.pid"
	sub trip --for 1s w
	wait_for 5 "$CBEXEC" check -q --db "$db" -n w
	# D: the half-open breaker's probe (beside L, under a bulkhead of 2), killed.
	dead_lease w --max-concurrent 2
	[ "$(jfield w state)" = half_open ]
	[ "$(jfield w total_rejected)" -eq 0 ]
	# The call waits at a bulkhead of 1: first turned away by D's probe slot
	# (half-open full: counted), then, D freed, by L's slot while it waits
	# (counted back), then once more when the wait is over (counted).
	run --separate-stderr "$CBEXEC" --db "$db" -n w --max-concurrent 1 --max-wait 300ms -- true
	[ "$status" -eq 75 ]
	touch "$BATS_TEST_TMPDIR/l.go"
	wait "$lpid"
	[ "$(jfield w total_rejected)" -eq 1 ]
	# D's slot is gone, L's given back.
	[ "$(rcli zcard "${P}{w}:leases")" -eq 0 ]
}

# failing_proxy SOCK N: a unix socket that passes the first N requests of each
# connection on to the file's server and answers the others with an error, as
# a server that fails between two requests would.
failing_proxy() {
	"$PY" -c 'import socket, sys
path, server, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def end(b, i):
    # The end of the RESP value at b[i:], or None if it is not whole yet.
    if i >= len(b): return None
    j = b.find(b"\r\n", i)
    if j < 0: return None
    t, v = b[i:i+1], b[i+1:j]
    if t in b"+-:": return j + 2
    if t == b"$":
        k = int(v)
        return j + 2 if k < 0 else (j + 4 + k if len(b) >= j + 4 + k else None)
    if t == b"*":
        k, p = int(v), j + 2
        for _ in range(max(k, 0)):
            p = end(b, p)
            if p is None: return None
        return p
    raise ValueError(t)
def whole(c, buf):
    while True:
        e = end(buf, 0)
        if e is not None: return buf[:e], buf[e:]
        d = c.recv(65536)
        if not d: return None, b""
        buf += d
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
open(path + ".ready", "w").close()
s.settimeout(20)
while True:
    c, _ = s.accept()
    up = socket.socket(socket.AF_UNIX); up.connect(server)
    buf, seen = b"", 0
    while True:
        req, buf = whole(c, buf)
        if req is None: break
        seen += 1
        if seen > n:
            c.sendall(b"-ERR injected by the test\r\n")
            continue
        up.sendall(req)
        rep, _ = whole(up, b"")
        c.sendall(rep)
    c.close(); up.close()' "$1" "$RSOCK" "$2" </dev/null >/dev/null 2>&1 3>&- &
	fake=$!
	wait_for 5 test -e "$1.ready"
}

@test "when the retry after freeing dead owners' slots fails, the first answer stands" {
	"$CBEXEC" --db "$db" -n f --max-concurrent 1 -- true
	dead_lease f --max-concurrent 1
	failing_proxy "$BATS_TEST_TMPDIR/p.sock" 1
	# The first try (through to the server) is turned away by D's slot and
	# counts it; the retry, D freed, meets an error.
	run --separate-stderr "$CBEXEC" --db "unix://$BATS_TEST_TMPDIR/p.sock?prefix=$P" -n f \
		--max-concurrent 1 -- touch "$BATS_TEST_TMPDIR/ran"
	echo "$stderr"
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[[ "$stderr" == *"warning: "*"injected by the test"*"first try"* ]]
	[ "$(jfield f total_rejected)" -eq 1 ]
	[ "$(jfield f total_calls)" -eq 1 ]
}

# calls CMD: how many times the server ran CMD since the last CONFIG RESETSTAT,
# from a client or inside a script.
calls() {
	rcli info commandstats | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p" |
		grep . || echo 0
}

@test "check asks the server once: the read's reply carries the server's time" {
	"$CBEXEC" --db "$db" -n c -- true
	"$CBEXEC" check --db "$db" -n c # the read script is known to the server
	rcli config resetstat
	run --separate-stderr "$CBEXEC" check --db "$db" -n c
	[ "$status" -eq 0 ]
	# One script, which reads TIME itself; no TIME, EXISTS or EVAL besides.
	[ "$(calls evalsha)" -eq 1 ]
	[ "$(calls time)" -eq 1 ]
	[ "$(calls exists)" -eq 0 ]
	[ "$(calls eval)" -eq 0 ]
	sub trip --for 1h c
	run --separate-stderr "$CBEXEC" check --db "$db" -n c
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"next try in 59m"* || "$stderr" == *"next try in 1h"* ]]
	run --separate-stderr "$CBEXEC" check --db "$db" -n unknown
	[ "$status" -eq 0 ]
}
