#!/usr/bin/env bats
# cbexec status: tables that fit, columns, JSON, Nagios exit codes and the --nagios line.

load helpers
bats_require_minimum_version 1.5.0

setup() { cbexec_setup; }

@test "status exit codes follow Nagios" {
	cb -n ok -- true
	run sub status
	[ "$status" -eq 0 ]
	cb -n bad -f 1 -r 200ms -- false || true
	run sub status
	[ "$status" -eq 2 ]
	run sub status ok
	[ "$status" -eq 0 ]
	run sub status nosuch
	[ "$status" -eq 3 ]
	[[ "$output" == *"nosuch: no such breaker"* ]]
	cb_at 1 -n bad -f 1 -r 200ms -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	run sub status
	[ "$status" -eq 1 ]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
}

@test "status table names each breaker with its state and counts" {
	cb -n alpha -- true
	cb -n beta -f 1 -- sh -c 'exit 7' || true
	run sub status
	[[ "${lines[0]}" == NAME* ]]
	[[ "$output" == *alpha*closed* ]]
	[[ "$output" == *beta*open*1/1* ]]
}

@test "status --json carries the documented fields" {
	cb -n alpha -f 1 -- sh -c 'exit 7' || true
	run sub status --json
	[ "$status" -eq 2 ]
	echo "$output" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
assert len(v) == 1, v
b = v[0]
for k in ("name","state","consecutive_failures","failure_threshold","total_calls",
          "total_successes","total_failures","total_rejected","last_exit_code",
          "last_failure_at","state_changed_at","retry_at"):
    assert k in b, k
assert b["state"] == "open" and b["last_exit_code"] == 7
import re
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["retry_at"]), b["retry_at"]
'
}

@test "status --names lists names only" {
	cb -n b -- true
	cb -n a -- true
	run sub status --names
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "colour only on a terminal, and not when NO_COLOR is set and not empty" {
	command -v script >/dev/null || skip "script(1) is not installed"
	cb -n a -- true
	run sub status
	[[ "$output" != *$'\033'* ]]
	# script(1) gives the command a terminal as its standard output.
	run script -qec "'$CBEXEC' status --db '$db'" /dev/null
	[[ "$output" == *$'\033['*closed* ]]
	NO_COLOR= run script -qec "'$CBEXEC' status --db '$db'" /dev/null
	[[ "$output" == *$'\033['*closed* ]]
	NO_COLOR=1 run script -qec "'$CBEXEC' status --db '$db'" /dev/null
	[[ "$output" == *closed* ]]
	[[ "$output" != *$'\033'* ]]
}

# nagios: runs status --nagios; checks the one line's shape and perfdata against
# the exit status, and leaves its parts in $word, $text, $perf.
nagios() {
	run --separate-stderr sub status --nagios "$@"
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
	local re='^CBEXEC (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*)( \| (.*))?$'
	[[ "$output" =~ $re ]]
	word=${BASH_REMATCH[1]}
	text=${BASH_REMATCH[2]}
	perf=${BASH_REMATCH[4]}
	case $word in OK) [ "$status" -eq 0 ] ;; WARNING) [ "$status" -eq 1 ] ;;
	CRITICAL) [ "$status" -eq 2 ] ;; UNKNOWN) [ "$status" -eq 3 ] ;; esac
	# 'label'=value[UOM];[warn];[crit];[min];[max], separated by spaces
	if [ -n "$perf" ]; then
		for p in $perf; do [[ "$p" =~ ^[a-z_]+=[0-9]+\;\;\;0$ ]]; done
	fi
}

@test "status --nagios: OK, WARNING for half-open, CRITICAL for open, with perfdata" {
	cb -n a -- true
	cb -n b -- true
	nagios
	[ "$word" = OK ]
	[ "$text" = "0 open; 0 half-open; 2 closed" ]
	[ "$perf" = "open=0;;;0 half_open=0;;;0 closed=2;;;0 tripped=0;;;0 bypassed=0;;;0" ]
	cb -n b -f 1 -r 200ms -- false || true
	nagios
	[ "$word" = CRITICAL ]
	[ "$text" = "1 open: b; 0 half-open; 1 closed" ]
	[[ "$perf" == "open=1;;;0 half_open=0;;;0 closed=1;;;0 "* ]]
	cb_at 1 -n b -f 1 -r 200ms -- sh -c "$HOLD" sh "$BATS_TEST_TMPDIR/h" &
	wait_for 5 test -s "$BATS_TEST_TMPDIR/h.pid"
	nagios
	[ "$word" = WARNING ]
	[ "$text" = "0 open; 1 half-open: b; 1 closed" ]
	[[ "$perf" == "open=0;;;0 half_open=1;;;0 "* ]]
	touch "$BATS_TEST_TMPDIR/h.go"
	wait
	nagios a
	[ "$word" = OK ]
	[ "$text" = "0 open; 0 half-open; 1 closed" ]
}

@test "status --nagios: tripped and bypassed breakers, their reasons escaped, the list bounded" {
	cb -n a -- true
	sub trip -q qdrant --reason 'maintenance | window'
	sub bypass -q vendor --reason 'flaky'
	nagios
	[ "$word" = CRITICAL ]
	[ "$text" = '1 open: qdrant (tripped: maintenance \174 window); 0 half-open; 2 closed' ]
	[ "$perf" = "open=1;;;0 half_open=0;;;0 closed=2;;;0 tripped=1;;;0 bypassed=1;;;0" ]
	sub trip -q vendor --reason "$(printf 'x%.0s' {1..150})"
	nagios vendor
	[[ "$text" == "1 open: vendor (tripped: $(printf 'x%.0s' {1..60})...); 0 half-open; 0 closed" ]]
	sub trip -q o1 o2 o3 o4 o5 o6 o7
	nagios
	[[ "$text" == "9 open: "*" and 4 more; 0 half-open; 1 closed" ]]
	[ "${#output}" -lt 400 ]
}

@test "status --nagios --critical: only those breakers make CRITICAL, the others WARNING" {
	cb -n db -- true
	cb -n cache -f 1 -- false || true
	nagios --critical db
	[ "$word" = WARNING ]
	[ "$text" = "1 open: cache; 0 half-open; 1 closed" ]
	nagios --critical 'db,ca*'
	[ "$word" = CRITICAL ]
	# given again, the lists add up
	nagios --critical db --critical cache
	[ "$word" = CRITICAL ]
	sub trip -q db
	nagios --critical=db
	[ "$word" = CRITICAL ]
	# the critical breaker first, so that the bound never hides it
	[ "$text" = "2 open: db (tripped), cache; 0 half-open; 0 closed" ]
	run -125 --separate-stderr sub status --critical db
	[[ "$stderr" == *"--critical is for --nagios"* ]]
}

@test "status --nagios: cbexec's own errors are UNKNOWN lines, exit 3, nothing created" {
	missing="$BATS_TEST_TMPDIR/nosuchdir/breakers.db"
	run --separate-stderr "$CBEXEC" status --nagios --db "$missing"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
	[[ "$output" == "CBEXEC UNKNOWN - $missing: no state file: "* ]]
	[ ! -e "$BATS_TEST_TMPDIR/nosuchdir" ]
	# one line whatever the path holds
	run --separate-stderr "$CBEXEC" status --nagios --db "$BATS_TEST_TMPDIR/a|b"$'\n''c/s.db'
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "CBEXEC UNKNOWN - $BATS_TEST_TMPDIR/a\174b\012c/s.db: no state file: "* ]]
	cb -n a -- true
	nagios 'bad name'
	[ "$word" = UNKNOWN ]
	[[ "$text" == 'breaker name "bad name" contains a character other than'* ]]
	nagios nosuch a
	[ "$word" = UNKNOWN ]
	[ "$text" = "nosuch: no such breaker; 0 open; 0 half-open; 1 closed" ]
	nagios --critical 'a;b'
	[ "$word" = UNKNOWN ]
	# a bad option is UNKNOWN even before --nagios, or with --nagios abbreviated
	run --separate-stderr sub status --bogus --nag
	[ "$status" -eq 3 ]
	[ "$output" = "CBEXEC UNKNOWN - unknown option --bogus" ]
	nagios --json
	[ "$word" = UNKNOWN ]
	printf 'not a database at all, not even close to one\n%.0s' {1..100} >"$BATS_TEST_TMPDIR/junk.db"
	run --separate-stderr "$CBEXEC" status --nagios --db "$BATS_TEST_TMPDIR/junk.db"
	[ "$status" -eq 3 ]
	[[ "$output" == "CBEXEC UNKNOWN - $BATS_TEST_TMPDIR/junk.db: "* ]]
}

# widths FILE: the display width of each line, as a list
widths() { "$PY" -c 'import sys; print(" ".join(str(len(l.rstrip("\n"))) for l in open(sys.argv[1], encoding="utf-8")))' "$1"; }

@test "the table fits 80 columns: a 128-character name ends in an ellipsis, columns aligned" {
	long=$(printf 'n%.0s' {1..128})
	cb -n "$long" -- true
	cb -n short -f 1 -- false || true
	sub trip -q tripped --reason 'maintenance until 23:00'
	LC_ALL=C.UTF-8 sub status >"$BATS_TEST_TMPDIR/out" || true
	for w in $(widths "$BATS_TEST_TMPDIR/out"); do [ "$w" -le 80 ]; done
	grep -q '^nnnnnnnn*… ' "$BATS_TEST_TMPDIR/out"
	# every column starts where its header does
	header=$(head -1 "$BATS_TEST_TMPDIR/out")
	for col in STATE FAILURES RETRY; do
		pre=${header%%"$col"*}
		while IFS= read -r l; do
			"$PY" -c 'import sys; l=sys.argv[1]; n=int(sys.argv[2]); assert l[n-1] == " " and l[n] != " ", (l, n)' "$l" "${#pre}"
		done < <(tail -n +2 "$BATS_TEST_TMPDIR/out")
	done
	grep -q '^short  *open  *1/1 ' "$BATS_TEST_TMPDIR/out"
	# not a terminal, no COLUMNS: 80; in the C locale the ellipsis is "..."
	LC_ALL=C COLUMNS= sub status >"$BATS_TEST_TMPDIR/out" || true
	for w in $(widths "$BATS_TEST_TMPDIR/out"); do [ "$w" -le 80 ]; done
	grep -q '^nnnnnnnn*\.\.\. ' "$BATS_TEST_TMPDIR/out"
	# $COLUMNS when it is wider: the name whole, and the reason
	COLUMNS=300 sub status >"$BATS_TEST_TMPDIR/out" || true
	grep -q "^$long closed " "$BATS_TEST_TMPDIR/out"
	grep -q '^tripped .* maintenance until 23:00$' "$BATS_TEST_TMPDIR/out"
	[ "$(head -1 "$BATS_TEST_TMPDIR/out")" = "$(printf '%-128s STATE          FAILURES CALLS FAILED REJECTED LAST-FAILURE RETRY    REASON' NAME)" ]
	# narrow: whole columns left out from the right, never a wrapped row
	COLUMNS=40 sub status >"$BATS_TEST_TMPDIR/out" || true
	for w in $(widths "$BATS_TEST_TMPDIR/out"); do [ "$w" -le 40 ]; done
	[ "$(head -1 "$BATS_TEST_TMPDIR/out")" = "NAME     STATE          FAILURES CALLS" ]
}

@test "status shows the reason of a trip, of a bypass and of an open, escaped" {
	cb -n auto -f 1 -- sh -c 'exit 7' || true
	sub trip -q t --reason 'disk full'
	sub bypass -q b --reason 'vendor says ok'
	run -2 sub status -o name,reason
	[ "${lines[0]}" = "NAME REASON" ]
	[ "${lines[1]}" = "auto 1 consecutive failures, last exit 7" ]
	[ "${lines[2]}" = "b    vendor says ok" ]
	[ "${lines[3]}" = "t    disk full" ]
	sqlite3 "$db" "UPDATE breakers SET mode_reason = 'a' || char(27) || '[31mred' WHERE name = 't'"
	run -2 sub status -o reason t
	[ "${lines[1]}" = 'a\033[31mred' ]
}

@test "status --columns and --no-headers choose what the table shows" {
	cb -n a -- true
	cb -n b -f 1 -- false || true
	run -2 sub status --columns state,name,calls
	[ "${lines[0]}" = "STATE  NAME CALLS" ]
	[ "${lines[1]}" = "closed a        1" ]
	[ "${lines[2]}" = "open   b        1" ]
	run -2 sub status -o name,ok,period --no-headers
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "a 1 -" ]
	[ "${lines[1]}" = "b 0 30s" ]
	run -0 sub status -oname --no-headers a
	[ "$output" = a ]
}

@test "status --columns: an unknown column is a usage error naming the valid ones" {
	cb -n a -- true
	run -125 --separate-stderr sub status -o name,stat
	[[ "$stderr" == 'cbexec: --columns: unknown column "stat"; did you mean "state"? (columns: name, state, failures, calls, ok, failed, rejected, last-failure, retry, period, reason)'* ]]
	[ -z "$output" ]
	run -125 --separate-stderr sub status -o name,
	[[ "$stderr" == *'unknown column ""'* ]]
	run -125 --separate-stderr sub status --json -o name
	[[ "$stderr" == *"--columns is for the table; not with --json"* ]]
}

@test "status --nagios stays one line: a pattern over a damaged row, --nagios=1" {
	cb -n svc1 -- true
	cb -n svc3 -- true
	sqlite3 "$db" "UPDATE breakers SET state = 7 WHERE name = 'svc3'"
	run --separate-stderr sub status --nagios 'svc*'
	[ "$status" -eq 3 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "CBEXEC UNKNOWN - "* ]]
	run --separate-stderr sub status --nagios=1
	[ "$status" -eq 3 ]
	[ -z "$stderr" ]
	[ "$output" = "CBEXEC UNKNOWN - option --nagios takes no argument" ]
}
