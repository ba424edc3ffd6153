#!/usr/bin/env bats
# cbexec metrics: the Prometheus text exposition format, checked by a real parser.

load helpers

setup() {
	cbexec_setup
	db="$BATS_TEST_TMPDIR/s.db"
}

# promparse: reads the exposition on stdin with prometheus_client's parser and
# prints "family type sample{labels} value" lines, sorted, for the assertions.
promparse() {
	"$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append("family %s %s" % (f.name, f.type))
    for s in f.samples:
        lab = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        out.append("%s{%s} %.15g" % (s.name, lab, s.value))
print("\n".join(sorted(out)))
'
}

counters="calls successes failures ignored timeouts slow_calls rejected opens"

@test "an empty state file gives HELP and TYPE lines only, and parses" {
	sub trip a
	sub delete a
	run sub metrics
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[ -z "$(grep -v '^# ' <<<"$output")" ]
	parsed=$(sub metrics | promparse)
	[ "$(grep -c '^family ' <<<"$parsed")" -eq 17 ]
	[ -z "$(grep -v '^family ' <<<"$parsed")" ]
}

@test "every family once, HELP and TYPE first, samples grouped" {
	cb -n a -- true
	cb -n b -f 1 -- false || true
	run sub metrics
	[ "$status" -eq 0 ]
	# each family's HELP and TYPE appear once, and its samples follow before the next family
	echo "$output" | "$PY" -c '
import sys
seen, cur = set(), None
for line in sys.stdin.read().splitlines():
    if line.startswith("# HELP "):
        name = line.split()[2]
        assert name not in seen, name
        seen.add(name)
        cur = name
    elif line.startswith("# TYPE "):
        assert line.split()[2] == cur, line
    else:
        # the samples of a summary are its _sum and _count
        assert any(line.startswith(cur + sfx + "{") for sfx in ("", "_sum", "_count")), (cur, line)
assert len(seen) == 17, seen
'
}

@test "one sample per breaker per counter, values from the totals" {
	cb -n a -- true
	cb -n a -- true
	cb -n a --ignore-exit 3 -- sh -c 'exit 3' || true
	# These sleeps are the behaviour: a timeout and a slow call are elapsed time.
	cb -n b -f 2 -t 100ms -- sleep 1 || true
	cb -n b -f 2 --slow-call 10ms -- sh -c 'sleep 0.05; exit 1' || true
	cb -n b -f 2 -- true || true
	run sub metrics
	[ "$status" -eq 0 ]
	parsed=$(sub metrics | promparse)
	for c in $counters; do
		grep -qx "family cbexec_$c counter" <<<"$parsed"
		[ "$(grep -c "^cbexec_${c}_total{name=a} " <<<"$parsed")" -eq 1 ]
		[ "$(grep -c "^cbexec_${c}_total{name=b} " <<<"$parsed")" -eq 1 ]
	done
	grep -qx 'cbexec_calls_total{name=a} 3' <<<"$parsed"
	grep -qx 'cbexec_successes_total{name=a} 2' <<<"$parsed"
	grep -qx 'cbexec_ignored_total{name=a} 1' <<<"$parsed"
	grep -qx 'cbexec_failures_total{name=a} 0' <<<"$parsed"
	grep -qx 'cbexec_failures_total{name=b} 2' <<<"$parsed"
	grep -qx 'cbexec_timeouts_total{name=b} 1' <<<"$parsed"
	grep -qx 'cbexec_slow_calls_total{name=b} 1' <<<"$parsed"
	grep -qx 'cbexec_opens_total{name=b} 1' <<<"$parsed"
	grep -qx 'cbexec_rejected_total{name=b} 1' <<<"$parsed"
	grep -qx 'cbexec_consecutive_failures{name=b} 2' <<<"$parsed"
	grep -qx 'family cbexec_consecutive_failures gauge' <<<"$parsed"
}

@test "the state gauge has one sample per state, 1 for the current one" {
	cb -n a -- true
	cb -n b -f 1 -- false || true
	parsed=$(sub metrics | promparse)
	grep -qx 'family cbexec_breaker_state gauge' <<<"$parsed"
	grep -qx 'cbexec_breaker_state{name=a,state=closed} 1' <<<"$parsed"
	grep -qx 'cbexec_breaker_state{name=a,state=open} 0' <<<"$parsed"
	grep -qx 'cbexec_breaker_state{name=a,state=half_open} 0' <<<"$parsed"
	grep -qx 'cbexec_breaker_state{name=b,state=closed} 0' <<<"$parsed"
	grep -qx 'cbexec_breaker_state{name=b,state=open} 1' <<<"$parsed"
	grep -qx 'cbexec_breaker_state{name=b,state=half_open} 0' <<<"$parsed"
	[ "$(grep -c '^cbexec_breaker_state{' <<<"$parsed")" -eq 6 ]
}

@test "state-change time and open period are gauges in seconds" {
	before=$(date +%s)
	cb -n b -f 1 -r 1500ms -- false || true
	after=$(date +%s)
	parsed=$(sub metrics | promparse)
	grep -qx 'family cbexec_state_changed_timestamp_seconds gauge' <<<"$parsed"
	grep -qx 'family cbexec_open_period_seconds gauge' <<<"$parsed"
	grep -qx 'cbexec_open_period_seconds{name=b} 1.5' <<<"$parsed"
	t=$(sed -n 's/^cbexec_state_changed_timestamp_seconds{name=b} //p' <<<"$parsed")
	"$PY" -c 'import sys; b,t,a = map(float, sys.argv[1:]); assert b <= t <= a + 1, (b,t,a)' \
		"$before" "$t" "$after"
	grep -Eq '^cbexec_open_period_seconds\{name="b"\} 1\.500$' <<<"$(sub metrics)"
}

@test "names with every allowed character appear as label values unchanged" {
	cb -n 'A-z.0_9:x' -- true
	run sub metrics
	[[ "$output" == *'cbexec_calls_total{name="A-z.0_9:x"} 1'* ]]
	sub metrics | promparse | grep -qx 'cbexec_calls_total{name=A-z.0_9:x} 1'
}

@test "a tripped breaker counts as an opening" {
	sub trip a
	parsed=$(sub metrics | promparse)
	grep -qx 'cbexec_opens_total{name=a} 1' <<<"$parsed"
	grep -qx 'cbexec_breaker_state{name=a,state=open} 1' <<<"$parsed"
}

@test "metrics: bad input exits 125 with a message, and a bad file prints nothing" {
	cb -n a -- true
	run sub metrics extra
	[ "$status" -eq 125 ]
	[[ "$output" == *"extra: no such breaker"* ]]
	run sub metrics --bogus
	[ "$status" -eq 125 ]
	[[ "$output" == cbexec:* ]]
	run "$CBEXEC" metrics --db
	[ "$status" -eq 125 ]
	echo 'not a database, a note' >"$BATS_TEST_TMPDIR/note.txt"
	run "$CBEXEC" metrics --db "$BATS_TEST_TMPDIR/note.txt"
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: $BATS_TEST_TMPDIR/note.txt: "* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/note.txt")" = 'not a database, a note' ]
}

@test "metrics --help" {
	run "$CBEXEC" metrics -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: cbexec metrics [--output FILE] [--db PATH] [NAME|PATTERN...]" ]]
	[[ "$output" == *cbexec_breaker_mode* ]]
	[[ "$output" == *cbexec_last_success_timestamp_seconds* ]]
}

@test "the mode gauge has one sample per mode, 1 for the current one" {
	cb -n a -- true
	sub trip b
	sub trip --for 1h c
	sub bypass d
	parsed=$(sub metrics | promparse)
	grep -qx 'family cbexec_breaker_mode gauge' <<<"$parsed"
	[ "$(grep -c '^cbexec_breaker_mode{' <<<"$parsed")" -eq 12 ]
	for w in a:normal b:tripped c:normal d:bypass; do
		n=${w%%:*} m=${w#*:}
		for k in normal tripped bypass; do
			v=0
			[ "$k" = "$m" ] && v=1
			grep -qx "cbexec_breaker_mode{mode=$k,name=$n} $v" <<<"$parsed" ||
				{ echo "$n $k: want $v"; false; }
		done
	done
}

# since T: the gauge of breaker $2 in family $1 lies in [T, now + 1].
in_window() {
	t=$(sub metrics | promparse | sed -n "s/^$1{name=$2} //p")
	"$PY" -c 'import sys, time; b, t = map(float, sys.argv[1:]); assert b <= t <= time.time() + 1, (b, t)' \
		"$3" "$t"
}

@test "last success and last failure: 0 until they happen, then their time" {
	cb -n a -- true
	parsed=$(sub metrics | promparse)
	grep -qx 'family cbexec_last_success_timestamp_seconds gauge' <<<"$parsed"
	grep -qx 'family cbexec_last_failure_timestamp_seconds gauge' <<<"$parsed"
	grep -qx 'cbexec_last_failure_timestamp_seconds{name=a} 0' <<<"$parsed"
	sub trip b
	parsed=$(sub metrics | promparse)
	grep -qx 'cbexec_last_success_timestamp_seconds{name=b} 0' <<<"$parsed"
	grep -qx 'cbexec_last_failure_timestamp_seconds{name=b} 0' <<<"$parsed"
	before=$(date +%s)
	cb -n c -- true
	cb -n c -- false || true
	in_window cbexec_last_success_timestamp_seconds c "$before"
	in_window cbexec_last_failure_timestamp_seconds c "$before"
	# an hour later by the wall clock, a success moves only the success time
	f=$(sub metrics | promparse | sed -n 's/^cbexec_last_failure_timestamp_seconds{name=c} //p')
	cb_at 3600 -n c -- true
	in_window cbexec_last_failure_timestamp_seconds c "$f"
	s=$(sub metrics | promparse | sed -n 's/^cbexec_last_success_timestamp_seconds{name=c} //p')
	"$PY" -c 'import sys; s, b = map(float, sys.argv[1:]); assert s >= b + 3600, (s, b)' "$s" "$before"
	# status --json says the same
	[[ "$(field c last_success_at)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
	[ "$(field b last_success_at)" = null ]
}

@test "the retry time is there while open, and not when closed or tripped until reset" {
	cb -n closed -- true
	before=$(date +%s)
	cb -n open -f 1 -r 90s -- false || true
	sub trip tripped
	sub trip --for 2h held
	parsed=$(sub metrics | promparse)
	grep -qx 'family cbexec_retry_timestamp_seconds gauge' <<<"$parsed"
	[ "$(grep -c '^cbexec_retry_timestamp_seconds{' <<<"$parsed")" -eq 2 ]
	r=$(sed -n 's/^cbexec_retry_timestamp_seconds{name=open} //p' <<<"$parsed")
	h=$(sed -n 's/^cbexec_retry_timestamp_seconds{name=held} //p' <<<"$parsed")
	"$PY" -c 'import sys, time; b, r, h = map(float, sys.argv[1:]); n = time.time()
assert b + 90 <= r <= n + 91, (b, r, n)
assert b + 7200 <= h <= n + 7201, (b, h, n)' "$before" "$r" "$h"
	# half-open after the period: no retry time any more
	cb_at 100 -n open -f 1 -r 90s -- true
	[ -z "$(sub metrics | grep '^cbexec_retry_timestamp_seconds{name="open"}')" ]
}

@test "call durations: a summary of the commands' running times; record adds none" {
	# The sleep is the behaviour: a duration is elapsed time.
	cb -n a -- sleep 0.3
	cb -n a -- true
	sub record -q -n a success
	parsed=$(sub metrics | promparse)
	grep -qx 'family cbexec_call_duration_seconds summary' <<<"$parsed"
	grep -qx 'cbexec_call_duration_seconds_count{name=a} 2' <<<"$parsed"
	grep -qx 'cbexec_calls_total{name=a} 3' <<<"$parsed"
	sum=$(sed -n 's/^cbexec_call_duration_seconds_sum{name=a} //p' <<<"$parsed")
	"$PY" -c 'import sys; s = float(sys.argv[1]); assert 0.3 <= s < 5, s' "$sum"
	[ "$(field a call_duration_count)" -eq 2 ]
	"$PY" -c 'import sys; assert float(sys.argv[1]) == float(sys.argv[2])' \
		"$(field a call_duration_seconds_sum)" "$sum"
	# a breaker that never ran a command has the samples, at 0
	sub trip b
	sub metrics | grep -qx 'cbexec_call_duration_seconds_sum{name="b"} 0.000'
	sub metrics | grep -qx 'cbexec_call_duration_seconds_count{name="b"} 0'
}

@test "promtool check metrics finds no fault with every family present" {
	command -v promtool >/dev/null || skip "promtool not installed (Debian: prometheus)"
	cb -n a -- true
	cb -n b -f 1 -- false || true
	sub trip c
	sub trip --for 1h d
	sub bypass e
	cb -n 'A-z.0_9:x' -- true
	run sub metrics --output "$BATS_TEST_TMPDIR/cbexec.prom"
	[ "$status" -eq 0 ]
	run promtool check metrics <"$BATS_TEST_TMPDIR/cbexec.prom"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(grep -c '^# TYPE ' "$BATS_TEST_TMPDIR/cbexec.prom")" -eq 17 ]
}

@test "--output writes FILE whole, mode 0644 whatever the umask, by a rename" {
	cb -n a -- true
	out="$BATS_TEST_TMPDIR/tf/cbexec.prom"
	mkdir "$BATS_TEST_TMPDIR/tf"
	echo old >"$out"
	ino=$(stat -c %i "$out")
	run sh -c 'umask 077; "$0" metrics --db "$1" --output "$2"' "$CBEXEC" "$db" "$out"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(stat -c %a "$out")" = 644 ]
	# a new file renamed over the old, not the old one rewritten in place
	[ "$(stat -c %i "$out")" != "$ino" ]
	[ "$(cat "$out")" = "$(sub metrics)" ]
	# no temporary file left beside it
	[ "$(ls -A "$BATS_TEST_TMPDIR/tf")" = cbexec.prom ]
	# a relative name writes in the working directory
	(cd "$BATS_TEST_TMPDIR/tf" && "$CBEXEC" metrics --db "$db" --output rel.prom)
	[ "$(cat "$BATS_TEST_TMPDIR/tf/rel.prom")" = "$(sub metrics)" ]
}

@test "--output: every error exits 125 and leaves the old FILE and no temporary file" {
	cb -n a -- true
	dir="$BATS_TEST_TMPDIR/tf"
	mkdir "$dir" "$dir/adir"
	echo old >"$dir/cbexec.prom"
	# an unknown name: the file is not replaced by one with fewer breakers
	run sub metrics --output "$dir/cbexec.prom" a nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == *"nosuch: no such breaker"* ]]
	[ "$(cat "$dir/cbexec.prom")" = old ]
	# a state file that cannot be read
	run "$CBEXEC" metrics --db "$BATS_TEST_TMPDIR/none.db" --output "$dir/cbexec.prom"
	[ "$status" -eq 125 ]
	[ "$(cat "$dir/cbexec.prom")" = old ]
	# a directory that does not exist
	run sub metrics --output "$dir/nodir/cbexec.prom"
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: --output $dir/nodir/cbexec.prom: "* ]]
	# the rename fails: FILE is a directory
	run sub metrics --output "$dir/adir"
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: --output $dir/adir: "* ]]
	[ -d "$dir/adir" ]
	# the write fails part way (a file size limit, as a full disk would):
	# nothing is renamed. 40 KiB lets SQLite's 32 KiB -shm be, and 60
	# breakers make some 70 KB of metrics.
	sub trip -q $(seq -f 'b%02g' 60)
	run bash -c 'trap "" XFSZ; ulimit -f 40; exec "$0" metrics --db "$1" --output "$2"' \
		"$CBEXEC" "$db" "$dir/cbexec.prom"
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: --output $dir/cbexec.prom: writing "* ]]
	run sub metrics --output "$dir/"
	[ "$status" -eq 125 ]
	run sub metrics --output ''
	[ "$status" -eq 125 ]
	[ "$(ls -A "$dir" | sort | tr '\n' ' ')" = "adir cbexec.prom " ]
	[ "$(cat "$dir/cbexec.prom")" = old ]
}

@test "--output never replaces what is not a regular file: a FIFO or a device stays" {
	cb -n a -- true
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	run sub metrics --output "$BATS_TEST_TMPDIR/fifo"
	[ "$status" -eq 125 ]
	[[ "$output" == *"not a regular file"* ]]
	[ -p "$BATS_TEST_TMPDIR/fifo" ]
	[ -z "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '.fifo.*')" ]
}
