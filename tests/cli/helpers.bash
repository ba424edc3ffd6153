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
