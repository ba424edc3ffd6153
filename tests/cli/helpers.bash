# Shared setup for the CLI tests: a private state file, config and HOME per test.
CBEXEC="$BATS_TEST_DIRNAME/../../cbexec"
PY=/usr/bin/python3

cbexec_setup() {
	db="$BATS_TEST_TMPDIR/s.db"
	export HOME="$BATS_TEST_TMPDIR/home"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg"
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/state"
	mkdir -p "$HOME"
	unset CBEXEC_DB CBEXEC_CONFIG CBEXEC_DISABLE NO_COLOR
}

cb() { "$CBEXEC" --db "$db" "$@"; }

# field NAME KEY: one field of one breaker from status --json
field() {
	"$CBEXEC" status --json --db "$db" "$1" |
		"$PY" -c 'import json,sys; v=json.load(sys.stdin)[0][sys.argv[1]]; print("null" if v is None else v)' "$2"
}

# sub COMMAND ARGS...: a subcommand against the test's state file
sub() { "$CBEXEC" "$1" --db "$db" "${@:2}"; }

# gone PID: the process has ended (a zombie counts: in some sandboxes init
# does not reap orphans).
gone() {
	local s
	s=$(ps -o stat= -p "$1" || true)
	[ -z "$s" ] || [ "${s#Z}" != "$s" ]
}

# group_gone PGID: every process of the group has ended.
group_gone() {
	! ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# at SECONDS ARGS...: cbexec with the wall clock SECONDS ahead (libfaketime),
# so that tests of recovery periods neither sleep nor race a busy machine.
# Only the wall clock moves: the monotonic one that times the command is real,
# and so is the boot clock, which libfaketime would otherwise start at the
# faked wall time. cbexec takes a retry time as due by the earlier of the two
# clocks, so a wall clock moved ahead lets the probe in.
# cb_at and sub_at are cb and sub, SECONDS ahead.
at() {
	local s=$1
	shift
	# ASan must come first among the libraries; libfaketime preloads before it.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "+${s}s" "$CBEXEC" "$@"
}
cb_at() { at "$1" --db "$db" "${@:2}"; }
sub_at() { at "$1" "$2" --db "$db" "${@:3}"; }

# wait_for SECONDS CMD...: polls CMD every 0.05 s until it succeeds; fails if it
# has not within SECONDS. Tests wait for a file, a process or a state this way,
# never with a bare sleep that a busy machine can outrun.
wait_for() {
	local tries
	tries=$(awk -v s="$1" 'BEGIN { printf "%d", s * 20 + 0.5 }')
	shift
	while ! "$@"; do
		if [ "$tries" -le 0 ]; then
			echo "wait_for: timed out: $*" >&2
			return 1
		fi
		tries=$((tries - 1))
		sleep 0.05
	done
}

# HOLD: a command for cbexec to run that stays running until the test lets it
# go, so that a test can act while a call holds its lease without racing a
# fixed sleep. It writes its PID to FILE.pid, then waits for FILE.go (10 s at
# most, so a failed test leaves nothing running):
#   cb -n a -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
#   wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"   # the call is running
#   touch "$BATS_TEST_TMPDIR/h.go"; wait           # it ends with status 0
# shellcheck disable=SC2016
HOLD='echo $$ >"$1.pid"; i=0; while [ ! -e "$1.go" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done'
# step OFFSET ARGS...: cbexec with the wall clock set OFFSET away ("-90m",
# "+2h"), as a person or NTP sets it: at with any offset, backwards too.
# cb_step is cb under step.
step() {
	local off=$1
	shift
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$off" "$CBEXEC" "$@"
}
cb_step() { step "$1" --db "$db" "${@:2}"; }

# Redis servers for the Redis tests, each the test's own: never Redis's well-known port,
# never one started by anyone else, never stopped by name.
#   redis_start [NAME] [ARG...]      a server on a unix socket (TCP off: port 0)
#   redis_tcp_start [NAME] [ARG...]  a server on 127.0.0.1 and a free port
#   redis_sentinel_start NAME MASTER_PORT [MASTER_NAME]
#                                    a sentinel (TCP) watching 127.0.0.1:MASTER_PORT
#   redis_stop [NAME]                stops the server by its PID (a stopped one too)
#   redis_stop_all                   stops every server of the test (or of the
#                                    file, from teardown_file): call it from teardown
#   redis_cli [NAME] -- ARG...       redis-cli against server NAME
# Each start sets REDIS_NAME, REDIS_PID, REDIS_URL (unix://SOCK or
# redis://127.0.0.1:PORT), and REDIS_SOCK or REDIS_PORT, for the server just
# started, and remembers them as files in $REDIS_DIR/NAME.{pid,sock,port}.
# ARGs go to redis-server after its configuration ("--requirepass pw",
# "--enable-debug-command local"). Servers started from setup_file live in
# $BATS_FILE_TMPDIR, those of a test in $BATS_TEST_TMPDIR. Without
# redis-server the test is skipped, with a message saying what to install.
redis_dir() {
	REDIS_DIR="${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/redis"
	# A unix socket's path is at most 107 bytes; a long TMPDIR makes one elsewhere.
	if [ ${#REDIS_DIR} -gt 80 ]; then
		if [ ! -e "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/redis-short" ]; then
			mktemp -d /tmp/cbexec-redis.XXXXXX >"${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/redis-short"
		fi
		REDIS_DIR=$(cat "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/redis-short")
	fi
	mkdir -p "$REDIS_DIR"
}

redis_need() {
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
		skip "redis-server or redis-cli is not installed (apt-get install redis-server redis-tools)"
}

# redis_ping NAME: the server answers (PONG, or a refusal that only a running
# server gives: a password or an ACL it wants).
redis_ping() {
	local out
	out=$(redis_cli "$1" -- ping 2>&1) || true
	case $out in
	PONG | *NOAUTH* | *NOPERM* | *WRONGPASS*) return 0 ;;
	esac
	return 1
}

# redis_launch NAME CONF ARG...: starts redis-server CONF ARG... in the
# background and waits (10 s at most) for it to answer; fails with its log if
# it does not, or if it exits first.
redis_launch() {
	local name=$1 conf=$2 pid tries=200
	shift 2
	# Every descriptor redirected, bats's fd 3 too, or bats would wait for the server.
	redis-server "$conf" "$@" >"$REDIS_DIR/$name.log" 2>&1 </dev/null 3>&- &
	pid=$!
	echo "$pid" >"$REDIS_DIR/$name.pid"
	while ! redis_ping "$name"; do
		if gone "$pid" || [ "$tries" -le 0 ]; then
			echo "redis_start: server $name did not start:" >&2
			cat "$REDIS_DIR/$name.log" >&2
			redis_stop "$name"
			return 1
		fi
		tries=$((tries - 1))
		sleep 0.05
	done
	REDIS_NAME=$name REDIS_PID=$pid
}

redis_start() {
	local name=${1:-redis}
	[ $# -eq 0 ] || shift
	redis_need
	redis_dir
	local sock="$REDIS_DIR/$name.sock" conf="$REDIS_DIR/$name.conf"
	mkdir -p "$REDIS_DIR/$name.data"
	cat >"$conf" <<-CONF
		port 0
		unixsocket $sock
		unixsocketperm 700
		save ""
		appendonly no
		daemonize no
		dir $REDIS_DIR/$name.data
	CONF
	echo "$sock" >"$REDIS_DIR/$name.sock.path"
	rm -f "$REDIS_DIR/$name.port"
	redis_launch "$name" "$conf" "$@" || return 1
	REDIS_SOCK=$sock REDIS_URL="unix://$sock" REDIS_PORT=
}

# A port nothing listens on now, on 127.0.0.1: found by binding to port 0.
redis_free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# redis_tcp_conf NAME PORT: the configuration of a TCP server (or sentinel).
redis_tcp_conf() {
	mkdir -p "$REDIS_DIR/$1.data"
	cat >"$REDIS_DIR/$1.conf" <<-CONF
		port $2
		bind 127.0.0.1
		save ""
		appendonly no
		daemonize no
		dir $REDIS_DIR/$1.data
	CONF
	echo "$2" >"$REDIS_DIR/$1.port"
	rm -f "$REDIS_DIR/$1.sock.path"
}

# redis_tcp_launch NAME EXTRA-CONF ARG...: a free port found at run time; if
# another process takes it before the server binds it, another port.
redis_tcp_launch() {
	local name=$1 extra=$2 port try
	shift 2
	for try in 1 2 3; do
		port=$(redis_free_port)
		redis_tcp_conf "$name" "$port"
		printf '%s\n' "$extra" >>"$REDIS_DIR/$name.conf"
		if redis_launch "$name" "$REDIS_DIR/$name.conf" "$@" 2>"$REDIS_DIR/$name.err"; then
			REDIS_PORT=$port REDIS_URL="redis://127.0.0.1:$port" REDIS_SOCK=
			return 0
		fi
		grep -q "Address already in use" "$REDIS_DIR/$name.log" || break
	done
	cat "$REDIS_DIR/$name.err" >&2
	return 1
}

redis_tcp_start() {
	local name=${1:-redis}
	[ $# -eq 0 ] || shift
	redis_need
	redis_dir
	redis_tcp_launch "$name" "" "$@"
}

redis_sentinel_start() {
	local name=$1 mport=$2 master=${3:-cbexec}
	redis_need
	command -v redis-sentinel >/dev/null ||
		skip "redis-sentinel is not installed (apt-get install redis-sentinel)"
	redis_dir
	# Quick to decide in a test: down after 500 ms, failover within 5 s.
	redis_tcp_launch "$name" "sentinel monitor $master 127.0.0.1 $mport 1
sentinel down-after-milliseconds $master 500
sentinel failover-timeout $master 5000
sentinel parallel-syncs $master 1" --sentinel
}

# redis_cli [NAME] -- ARG...: redis-cli against server NAME (default: the last started).
redis_cli() {
	local name=${REDIS_NAME:-redis}
	if [ "$1" != "--" ]; then
		name=$1
		shift
	fi
	[ "$1" != "--" ] || shift
	redis_dir
	if [ -e "$REDIS_DIR/$name.port" ]; then
		redis-cli -h 127.0.0.1 -p "$(cat "$REDIS_DIR/$name.port")" "$@"
	else
		redis-cli -s "$(cat "$REDIS_DIR/$name.sock.path")" "$@"
	fi
}

redis_stop() {
	local name=${1:-${REDIS_NAME:-redis}} pid
	redis_dir
	[ -e "$REDIS_DIR/$name.pid" ] || return 0
	pid=$(cat "$REDIS_DIR/$name.pid")
	# A test may have stopped it (SIGSTOP): it must run to act on SIGTERM.
	kill -CONT "$pid" 2>/dev/null || true
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_for 5 gone "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_for 5 gone "$pid"
	fi
	rm -f "$REDIS_DIR/$name.pid"
}

redis_stop_all() {
	local f
	redis_dir
	for f in "$REDIS_DIR"/*.pid; do
		[ -e "$f" ] || continue
		f=${f##*/}
		redis_stop "${f%.pid}"
	done
	if [ -e "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/redis-short" ]; then
		rm -rf "$REDIS_DIR"
		rm -f "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/redis-short"
	fi
}
