#!/usr/bin/env bats
# JSON out of the store (src/json.c): objects built by SQLite's json_object()
# from the state read, so that escaping is SQLite's whichever store was read.

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

@test "status --json: a reason's quotes and backslashes escaped, its UTF-8 as it is" {
	reason='say "hi" \ é ✓'
	run -0 sub trip --reason "$reason" a -q
	run -2 sub status --json a
	[[ "$output" == '[{"name":"a","state":"open","mode":"tripped","mode_reason":"say \"hi\" \\ é ✓",'* ]]
	[[ "$output" == *'"recovery_timeout_seconds":30.0,"open_period_seconds":30.0}]' ]]
	"$PY" -c 'import json,sys; v=json.loads(sys.argv[1]); assert v[0]["mode_reason"] == sys.argv[2], v' \
		"$output" "$reason"
}

@test "status --json of several breakers: one array, in the order asked, a missing one left out" {
	run -0 cb -n b -- true
	run -0 cb -n a -- true
	run -3 --separate-stderr sub status --json b zz a
	[ "$stderr" = "cbexec: zz: no such breaker" ]
	"$PY" -c 'import json,sys; v=json.loads(sys.argv[1]); assert [o["name"] for o in v] == ["b", "a"], v' \
		"$output"
	run -0 sub status --json
	"$PY" -c 'import json,sys; v=json.loads(sys.argv[1]); assert [o["name"] for o in v] == ["a", "b"], v' \
		"$output"
}

@test "history --json of a hand-edited reason that is not UTF-8: valid JSON, U+FFFD in its place" {
	run -1 cb -f 1 -n a -- false
	sqlite3 "$db" "UPDATE history SET reason = CAST(x'66ff6f0a22' AS TEXT) WHERE breaker = 'a'"
	run -0 sub history --json a
	[[ "$output" == '[{"time":"'*'","name":"a","from":"closed","to":"open","reason":"f'$'\xef\xbf\xbd''o\n\""}]' ]]
	"$PY" -c 'import json,sys; v=json.loads(sys.argv[1]); assert v[0]["reason"] == "f\ufffdo\n\"", v' \
		"$output"
}
