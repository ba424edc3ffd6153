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
	[ "$(grep -c '^family ' <<<"$parsed")" -eq 12 ]
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
        assert line.startswith(cur + "{"), (cur, line)
assert len(seen) == 12, seen
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
	[[ "${lines[0]}" == "usage: cbexec metrics [--db PATH] [NAME|PATTERN...]" ]]
}
