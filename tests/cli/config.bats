#!/usr/bin/env bats
# Configuration files: which are read, section precedence, errors, safety checks,
# cbexec config's origins, CBEXEC_DISABLE and on_store_error.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cbexec_setup
	user="$XDG_CONFIG_HOME/cbexec/config.ini"
	ran="$BATS_TEST_TMPDIR/ran"
}

teardown() {
	[ -z "${base:-}" ] || rm -rf "$base"
}

# conf FILE: the file from stdin, 0644, its directory made.
conf() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
	chmod 644 "$1"
}

# setting KEY ARGS...: "value<TAB>origin" of KEY from cbexec config ARGS.
setting() {
	local out
	out=$("$CBEXEC" config "${@:2}") || return
	printf '%s\n' "$out" | sed -n "s/^$1 = //p"
}

# fails N ARGS...: N runs of false under the breaker, ARGS before --.
fails() {
	local i
	for ((i = 0; i < $1; i++)); do cb -q "${@:2}" -- false || true; done
}

# A call that would leave a trace if it ran.
touch_ran() { cb "$@" -- touch "$ran"; }

# with_etc FILE COMMAND...: COMMAND in a private mount namespace whose /etc is the
# real one with FILE as /etc/cbexec.conf (mode $etc_mode, else 644), in an
# overlay: the real /etc is never written.
with_etc() {
	local up="$BATS_TEST_TMPDIR/etc-up" work="$BATS_TEST_TMPDIR/etc-work"
	mkdir -p "$up" "$work"
	install -m "${etc_mode:-644}" "$1" "$up/cbexec.conf"
	unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc &&
		shift 2 && exec "$@"' sh "$up" "$work" "${@:2}"
}

need_etc_overlay() {
	[ -e /etc/cbexec.conf ] && skip "/etc/cbexec.conf exists on this machine"
	echo >"$BATS_TEST_TMPDIR/probe"
	with_etc "$BATS_TEST_TMPDIR/probe" true 2>/dev/null ||
		skip "no mount namespace with overlayfs here: /etc/cbexec.conf not testable"
}

# --- which files --------------------------------------------------------------

# nobody_setup: as root, a directory $base every user may traverse, and in it
# $nb, where nobody may make its state file. Other users cannot reach
# $BATS_TEST_TMPDIR.
nobody_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root, to act as nobody"
	base=$(mktemp -d /tmp/cbexec-config.XXXXXX)
	chmod 755 "$base"
	nb="$base/nb"
	mkdir "$nb"
	chown nobody:nogroup "$nb"
}

# as_nobody COMMAND...: COMMAND as nobody, no supplementary groups.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

@test "a default configuration file we may not read is left out with a warning; the job runs" {
	nobody_setup
	# root's HOME for a job run as nobody: ~/.config is behind a 0700 home.
	mkdir -m 700 "$base/home"
	conf "$base/home/.config/cbexec/config.ini" <<-EOF
		[defaults]
		failure_threshold = 1
	EOF
	f="$base/home/.config/cbexec/config.ini"
	warning="cbexec: warning: $f: Permission denied; going on without its settings"
	# Behind a directory nobody may not search there may be no file at all:
	# nothing is said, or every cron run would mail the warning.
	for cmd in "--db $nb/s.db -n a -- echo ran" "check --db $nb/s.db -n a" "config a"; do
		# shellcheck disable=SC2086
		run --separate-stderr as_nobody env -u XDG_CONFIG_HOME HOME="$base/home" "$CBEXEC" $cmd
		[ "$status" -eq 0 ] || { echo "$cmd: $status $stderr"; false; }
		[ -z "$stderr" ] || { echo "$cmd: $stderr"; false; }
	done
	[ "${lines[0]}" = $'failure_threshold = 5\tbuilt-in' ]
	# A readable home, the file itself 0600 and root's.
	chmod 755 "$base/home"
	chmod 600 "$f"
	for i in 1 2; do
		run --separate-stderr as_nobody env -u XDG_CONFIG_HOME HOME="$base/home" \
			"$CBEXEC" --db "$nb/s.db" -n b -- sh -c 'echo ran; exit 3'
		# failure_threshold 1 was not applied: the second call runs too.
		[ "$status" -eq 3 ]
		[ "$output" = ran ]
		[ "$stderr" = "$warning" ]
	done
}

@test "a configuration file named by --config or CBEXEC_CONFIG must be readable" {
	nobody_setup
	conf "$base/c.ini" <<-EOF
		[defaults]
		failure_threshold = 1
	EOF
	chmod 600 "$base/c.ini"
	run --separate-stderr as_nobody "$CBEXEC" --db "$nb/s.db" --config "$base/c.ini" -n a -- touch "$nb/ran"
	[ "$status" -eq 125 ]
	[ "$stderr" = "cbexec: $base/c.ini: Permission denied" ]
	run --separate-stderr as_nobody env CBEXEC_CONFIG="$base/c.ini" "$CBEXEC" --db "$nb/s.db" -n a -- touch "$nb/ran"
	[ "$status" -eq 125 ]
	run --separate-stderr as_nobody env CBEXEC_CONFIG="$base/c.ini" "$CBEXEC" check --db "$nb/s.db" -n a
	[ "$status" -eq 125 ]
	[ ! -e "$nb/ran" ]
}

@test "a mode 0600 /etc/cbexec.conf: another user's job runs without it, with a warning" {
	need_etc_overlay
	nobody_setup
	conf "$BATS_TEST_TMPDIR/etc.conf" <<-EOF
		[defaults]
		failure_threshold = 1
	EOF
	etc_mode=600 run --separate-stderr with_etc "$BATS_TEST_TMPDIR/etc.conf" setpriv \
		--reuid=nobody --regid=nogroup --clear-groups -- env XDG_CONFIG_HOME="$base/xdg" \
		"$CBEXEC" --db "$nb/s.db" -n a -- echo ran
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[ "$stderr" = "cbexec: warning: /etc/cbexec.conf: Permission denied; going on without its settings" ]
	# root reads it as before
	etc_mode=600 run with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" config
	[ "${lines[0]}" = $'failure_threshold = 1\t/etc/cbexec.conf:2' ]
}

@test "no configuration file: every setting is built-in, nothing else is needed" {
	run "$CBEXEC" config
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 32 ]
	[ "$(printf '%s\n' "$output" | grep -vc $'\tbuilt-in$')" -eq 0 ]
	[ "${lines[0]}" = $'failure_threshold = 5\tbuilt-in' ]
	[ "${lines[30]}" = $'on_store_error = run\tbuilt-in' ]
	# and a run works with no file anywhere
	run cb -n a -- true
	[ "$status" -eq 0 ]
}

@test "the user file \$XDG_CONFIG_HOME/cbexec/config.ini is read and applies to runs" {
	conf "$user" <<-EOF
		[defaults]
		failure_threshold = 2
	EOF
	[ "$(setting failure_threshold a)" = "2	$user:2" ]
	fails 1 -n a
	[ "$(field a state)" = closed ]
	fails 1 -n a
	[ "$(field a state)" = open ]
}

@test "without XDG_CONFIG_HOME the user file is ~/.config/cbexec/config.ini" {
	unset XDG_CONFIG_HOME
	conf "$HOME/.config/cbexec/config.ini" <<-EOF
		[defaults]
		jitter = 9
	EOF
	[ "$(setting jitter)" = "9	$HOME/.config/cbexec/config.ini:2" ]
}

@test "a relative XDG_CONFIG_HOME is ignored in favour of ~/.config" {
	cd "$BATS_TEST_TMPDIR"
	export XDG_CONFIG_HOME=rel
	conf rel/cbexec/config.ini <<-EOF
		[defaults]
		jitter = 1
	EOF
	conf "$HOME/.config/cbexec/config.ini" <<-EOF
		[defaults]
		jitter = 2
	EOF
	[ "$(setting jitter)" = "2	$HOME/.config/cbexec/config.ini:2" ]
}

@test "--config PATH replaces the default files" {
	conf "$user" <<-EOF
		[defaults]
		failure_threshold = 9
		jitter = 5
	EOF
	conf "$BATS_TEST_TMPDIR/c.ini" <<-EOF
		[defaults]
		failure_threshold = 2
	EOF
	[ "$(setting failure_threshold --config "$BATS_TEST_TMPDIR/c.ini")" = "2	$BATS_TEST_TMPDIR/c.ini:2" ]
	# not merged: the user file's jitter is gone
	[ "$(setting jitter --config "$BATS_TEST_TMPDIR/c.ini")" = "0	built-in" ]
	fails 2 -n a --config "$BATS_TEST_TMPDIR/c.ini"
	[ "$(field a state)" = open ]
}

@test "CBEXEC_CONFIG replaces the default files, and --config beats it" {
	conf "$user" <<-EOF
		[defaults]
		jitter = 5
	EOF
	conf "$BATS_TEST_TMPDIR/env.ini" <<-EOF
		[defaults]
		failure_threshold = 2
	EOF
	conf "$BATS_TEST_TMPDIR/opt.ini" <<-EOF
		; opt
		[defaults]
		failure_threshold = 3
	EOF
	export CBEXEC_CONFIG="$BATS_TEST_TMPDIR/env.ini"
	[ "$(setting failure_threshold)" = "2	$CBEXEC_CONFIG:2" ]
	[ "$(setting jitter)" = "0	built-in" ]
	fails 2 -n a
	[ "$(field a state)" = open ]
	[ "$(setting failure_threshold --config "$BATS_TEST_TMPDIR/opt.ini")" = "3	$BATS_TEST_TMPDIR/opt.ini:3" ]
}

@test "a missing --config file is an error: 125, the file named, nothing run, no state" {
	run touch_ran --config "$BATS_TEST_TMPDIR/nope.ini" -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $BATS_TEST_TMPDIR/nope.ini: No such file or directory" ]
	[ ! -e "$ran" ]
	[ ! -e "$db" ]
	run "$CBEXEC" config --config "$BATS_TEST_TMPDIR/nope.ini"
	[ "$status" -eq 125 ]
}

@test "a missing CBEXEC_CONFIG file is an error, even when the user file exists" {
	conf "$user" <<-EOF
		[defaults]
		jitter = 5
	EOF
	CBEXEC_CONFIG="$BATS_TEST_TMPDIR/nope.ini" run touch_ran -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $BATS_TEST_TMPDIR/nope.ini: No such file or directory" ]
	[ ! -e "$ran" ]
	[ ! -e "$db" ]
}

@test "a directory given as --config is refused" {
	mkdir "$BATS_TEST_TMPDIR/d"
	run touch_ran --config "$BATS_TEST_TMPDIR/d" -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $BATS_TEST_TMPDIR/d: is a directory, not a file" ]
	[ ! -e "$ran" ]
}

@test "/etc/cbexec.conf is read first and the user file overrides it" {
	need_etc_overlay
	conf "$BATS_TEST_TMPDIR/etc.conf" <<-EOF
		[defaults]
		failure_threshold = 7
		jitter = 3
	EOF
	conf "$user" <<-EOF
		[defaults]
		failure_threshold = 2
	EOF
	run with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" config a
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nfailure_threshold = 2\t'"$user:2"$'\n'* ]] ||
		[[ "$output" == $'failure_threshold = 2\t'"$user:2"$'\n'* ]]
	[[ "$output" == *$'\njitter = 3\t/etc/cbexec.conf:3\n'* ]]
	with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" --db "$db" -q -n a -- false || true
	with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" --db "$db" -q -n a -- false || true
	[ "$(field a state)" = open ]
	# --config replaces /etc/cbexec.conf too
	conf "$BATS_TEST_TMPDIR/c.ini" <<-EOF
		[x]
	EOF
	run with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" config --config "$BATS_TEST_TMPDIR/c.ini" a
	[[ "$output" == *$'\njitter = 0\tbuilt-in\n'* ]]
	[ ! -e /etc/cbexec.conf ]
}

@test "a [NAME] in /etc/cbexec.conf beats [defaults] in the user file" {
	need_etc_overlay
	conf "$BATS_TEST_TMPDIR/etc.conf" <<-EOF
		[a]
		failure_threshold = 2
	EOF
	conf "$user" <<-EOF
		[defaults]
		failure_threshold = 9
	EOF
	run with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" config a
	[ "${lines[0]}" = $'failure_threshold = 2\t/etc/cbexec.conf:2' ]
	run with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" config b
	[ "${lines[0]}" = $'failure_threshold = 9\t'"$user:2" ]
}

@test "a bad /etc/cbexec.conf is an error too" {
	need_etc_overlay
	conf "$BATS_TEST_TMPDIR/etc.conf" <<-EOF
		[defaults]
		jiter = 3
	EOF
	run with_etc "$BATS_TEST_TMPDIR/etc.conf" "$CBEXEC" --db "$db" -n a -- touch "$ran"
	[ "$status" -eq 125 ]
	[ "$output" = 'cbexec: /etc/cbexec.conf:2: unknown key "jiter" (did you mean "jitter"?)' ]
	[ ! -e "$ran" ]
}

# --- precedence, one step at a time ---------------------------------------------

@test "precedence: [defaults] beats built-in" {
	conf "$user" <<-EOF
		; comment
		[defaults]
		failure_threshold = 2
	EOF
	[ "$(setting failure_threshold a)" = "2	$user:3" ]
	[ "$(setting failure_threshold)" = "2	$user:3" ]
	[ "$(setting recovery_timeout a)" = "30s	built-in" ]
	fails 2 -n a
	[ "$(field a state)" = open ]
}

@test "precedence: a matching glob section beats [defaults], a glob that does not match does not" {
	conf "$user" <<-EOF
		[api-*]
		failure_threshold = 2
		[defaults]
		failure_threshold = 4
	EOF
	[ "$(setting failure_threshold api-search)" = "2	$user:2" ]
	[ "$(setting failure_threshold db)" = "4	$user:4" ]
	# no name: [defaults] only
	[ "$(setting failure_threshold)" = "4	$user:4" ]
	fails 2 -n api-search
	fails 2 -n db
	[ "$(field api-search state)" = open ]
	[ "$(field db state)" = closed ]
}

@test "precedence: of two matching globs the later in the file wins" {
	conf "$user" <<-EOF
		[api-*]
		failure_threshold = 4
		jitter = 1
		[*-eu]
		failure_threshold = 2
		[defaults]
		failure_threshold = 8
	EOF
	[ "$(setting failure_threshold api-eu)" = "2	$user:5" ]
	[ "$(setting jitter api-eu)" = "1	$user:3" ]
	[ "$(setting failure_threshold api-us)" = "4	$user:2" ]
	[ "$(setting failure_threshold db-eu)" = "2	$user:5" ]
	fails 2 -n api-eu
	[ "$(field api-eu state)" = open ]
	# the other order: [api-*] is later and wins
	conf "$user" <<-EOF
		[*-eu]
		failure_threshold = 2
		[api-*]
		failure_threshold = 4
	EOF
	[ "$(setting failure_threshold api-eu)" = "4	$user:4" ]
}

@test "glob sections are fnmatch patterns: * ? and [classes]" {
	conf "$user" <<-EOF
		[api-[0-9]*]
		jitter = 1
		[db?]
		jitter = 2
		[cache-[!a-m]]
		jitter = 3
	EOF
	[ "$(setting jitter api-1x)" = "1	$user:2" ]
	[ "$(setting jitter api-x1)" = "0	built-in" ]
	[ "$(setting jitter db2)" = "2	$user:4" ]
	[ "$(setting jitter db)" = "0	built-in" ]
	[ "$(setting jitter db22)" = "0	built-in" ]
	[ "$(setting jitter cache-z)" = "3	$user:6" ]
	[ "$(setting jitter cache-b)" = "0	built-in" ]
}

@test "section names are kept whole, up to the 128 characters of a breaker name" {
	n=$(printf 'n%.0s' {1..128})
	conf "$user" <<-EOF
		[$n]
		jitter = 3
		[${n:0:60}*]
		jitter = 4
	EOF
	[ "$(setting jitter "$n")" = "3	$user:2" ]
	[ "$(setting jitter "${n:0:61}")" = "4	$user:4" ]
	# inih alone would cut both at 49 characters
	[ "$(setting jitter "${n:0:49}")" = "0	built-in" ]
	conf "$user" <<-EOF
		[${n}x]
		jitter = 3
	EOF
	run "$CBEXEC" config
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: $user:1: invalid section name \"nnn"*"...\": is longer than 128 characters "* ]]
}

@test "precedence: [NAME] beats a matching glob, wherever it is in the file" {
	conf "$user" <<-EOF
		[api-search]
		failure_threshold = 2
		[api-*]
		failure_threshold = 4
		[defaults]
		failure_threshold = 6
	EOF
	[ "$(setting failure_threshold api-search)" = "2	$user:2" ]
	[ "$(setting failure_threshold api-billing)" = "4	$user:4" ]
	fails 2 -n api-search
	fails 2 -n api-billing
	[ "$(field api-search state)" = open ]
	[ "$(field api-billing state)" = closed ]
}

@test "precedence: the command line beats [NAME]" {
	conf "$user" <<-EOF
		[a]
		failure_threshold = 4
	EOF
	[ "$(setting failure_threshold a)" = "4	$user:2" ]
	[ "$(setting failure_threshold -f 2 a)" = "2	command line" ]
	[ "$(setting failure_threshold -n a --failure-threshold=2)" = "2	command line" ]
	fails 2 -n a -f 2
	[ "$(field a state)" = open ]
	# and without it, [a] applies again: 4 failures are needed
	fails 2 -n b
	cb -q -n b -- true
	fails 3 -n b
	[ "$(field b state)" = closed ]
}

@test "a section may repeat; the later line wins, and the origin is that line" {
	conf "$user" <<-EOF
		[a]
		failure_threshold = 4
		[defaults]
		jitter = 1
		[a]
		failure_threshold = 2
		failure-threshold = 3
	EOF
	[ "$(setting failure_threshold a)" = "3	$user:7" ]
}

@test "an empty command value removes one set at a lower level" {
	conf "$user" <<-EOF
		[defaults]
		fallback = echo cached
		[a]
		fallback =
	EOF
	[ "$(setting fallback b)" = "echo cached	$user:2" ]
	[ "$(setting fallback a)" = "	$user:4" ]
	sub trip a b
	run cb -n b -- true
	[ "$status" -eq 0 ]
	[[ "$output" == *cached* ]]
	run cb -n a -- true
	[ "$status" -eq 75 ]
	[[ "$output" != *cached* ]]
}

# --- errors ---------------------------------------------------------------------

@test "unknown key: FILE:LINE, the closest key suggested, 125, nothing run, no state" {
	conf "$user" <<-EOF
		[defaults]
		jitter = 1

		failre_threshold = 3
	EOF
	run touch_ran -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $user:4: unknown key \"failre_threshold\" (did you mean \"failure_threshold\"?)" ]
	[ ! -e "$ran" ]
	[ ! -e "$db" ]
	run "$CBEXEC" config a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $user:4: unknown key \"failre_threshold\" (did you mean \"failure_threshold\"?)" ]
}

@test "unknown key with nothing close: no suggestion" {
	conf "$BATS_TEST_TMPDIR/c.ini" <<-EOF
		[a]
		colour = blue
	EOF
	run touch_ran --config "$BATS_TEST_TMPDIR/c.ini" -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $BATS_TEST_TMPDIR/c.ini:2: unknown key \"colour\"" ]
	[ ! -e "$ran" ]
}

@test "values that do not parse: each reported with its line, 125, nothing run" {
	c="$BATS_TEST_TMPDIR/c.ini"
	conf "$c" <<-EOF
		[defaults]
		timeout = soon
		failure_threshold = -3
		success_threshold = 5x
		min_calls = 99999999999999999999999
		backoff = 0.5
		on_store_error = maybe
		syslog = perhaps
		open_exit_code = 256
	EOF
	run touch_ran --config "$c" -n a
	[ "$status" -eq 125 ]
	[ "${lines[0]}" = "cbexec: $c:2: timeout: \"soon\" is not a duration (e.g. 250ms, 30s, 5m, 1h30m, 1d)" ]
	[[ "${lines[1]}" == "cbexec: $c:3: failure_threshold: \"-3\" "* ]]
	[[ "${lines[2]}" == "cbexec: $c:4: success_threshold: \"5x\" "* ]]
	[[ "${lines[3]}" == "cbexec: $c:5: min_calls: \"99999999999999999999999\" "* ]]
	[ "${lines[4]}" = "cbexec: $c:6: backoff: \"0.5\" is too small (at least 1)" ]
	[ "${lines[5]}" = "cbexec: $c:7: on_store_error: \"maybe\" is none of run, fail and local" ]
	[[ "${lines[6]}" == "cbexec: $c:8: syslog: \"perhaps\" "* ]]
	[ "${lines[7]}" = "cbexec: $c:9: open_exit_code: \"256\" is too large (at most 255)" ]
	[ "${#lines[@]}" -eq 8 ]
	[ ! -e "$ran" ]
	[ ! -e "$db" ]
}

@test "an error in a section for another breaker stops this one too" {
	conf "$user" <<-EOF
		[a]
		jitter = 1
		[other]
		timeout = 5 minutes
	EOF
	run touch_ran -n a
	[ "$status" -eq 125 ]
	[[ "$output" == "cbexec: $user:4: timeout: \"5 minutes\" is not a duration"* ]]
	[ ! -e "$ran" ]
}

@test "invalid section names: FILE:LINE, what is wrong, 125, nothing run" {
	conf "$user" <<-EOF
		[bad name!]
		jitter = 1
		[api-[0-9]
		jitter = 1
		[]
		[defaults
		[ok] trailing
	EOF
	run touch_ran -n a
	[ "$status" -eq 125 ]
	[ "${lines[0]}" = "cbexec: $user:1: invalid section name \"bad name!\": contains a character other than A-Z a-z 0-9 . _ : - (sections are [defaults], [NAME] and globs like [api-*])" ]
	[ "${lines[1]}" = "cbexec: $user:3: invalid section name \"api-[0-9\": has a [ without a closing ] (sections are [defaults], [NAME] and globs like [api-*])" ]
	[[ "${lines[2]}" == "cbexec: $user:5: invalid section name \"\": "* ]]
	[ "${lines[3]}" = "cbexec: $user:6: section header has no closing ]" ]
	[ "${lines[4]}" = "cbexec: $user:7: text after the ] of a section header" ]
	[ "${#lines[@]}" -eq 5 ]
	[ ! -e "$ran" ]
}

@test "a key outside a section and an indented continuation line are errors" {
	conf "$user" <<-EOF
		jitter = 1
		[a]
		on_open = echo one
		 two
	EOF
	run touch_ran -n a
	[ "$status" -eq 125 ]
	[ "${lines[0]}" = "cbexec: $user:1: \"jitter\" is set outside a section (put it under [defaults] or [NAME])" ]
	[[ "${lines[1]}" == "cbexec: $user:4: indented line would continue the value of \"on_open\"; "* ]]
	[ ! -e "$ran" ]
}

@test "a 400-character hook command arrives whole, in cbexec config and when it runs" {
	url="https://hooks.example.com/services/T0000/B0000/$(printf 'x%.0s' {1..340})"
	hook="echo $url > $BATS_TEST_TMPDIR/hook"
	conf "$user" <<-EOF
		[defaults]
		on_open = $hook
		jitter = 4
	EOF
	[ "$(wc -c <"$user")" -gt 420 ]
	[ "${#hook}" -ge 400 ]
	[ "$(setting on_open a)" = "$hook	$user:2" ]
	# the line after the long one keeps its number
	[ "$(setting jitter a)" = "4	$user:3" ]
	cb -q -n a -f 1 -- false || true
	[ "$(field a state)" = open ]
	[ "$(cat "$BATS_TEST_TMPDIR/hook")" = "$url" ]
}

@test "a 5000-character command is shown whole by cbexec config" {
	long="echo $(printf 'y%.0s' {1..5000})"
	conf "$user" <<-EOF
		[defaults]
		fallback = $long
	EOF
	[ "$(setting fallback)" = "$long	$user:2" ]
	[ "$(setting on_close --on-close "$long")" = "$long	command line" ]
}

@test "a line longer than 65536 bytes is refused, naming the limit" {
	c="$BATS_TEST_TMPDIR/c.ini"
	{
		echo '[defaults]'
		printf 'fallback = echo %s\n' "$(head -c 70000 /dev/zero | tr '\0' z)"
	} >"$c"
	chmod 644 "$c"
	run touch_ran --config "$c" -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $c:2: line is longer than 65536 characters" ]
	[ ! -e "$ran" ]
}

@test "binary junk as configuration: 125, messages with line numbers, no crash" {
	c="$BATS_TEST_TMPDIR/junk.ini"
	"$PY" -c 'import random,sys; random.seed(4); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(20000)))' >"$c"
	chmod 644 "$c"
	run touch_ran --config "$c" -n a
	[ "$status" -eq 125 ]
	[ ! -e "$ran" ]
	[[ "${lines[0]}" == "cbexec: $c:1: "* ]]
	# 50 errors shown, then a count of the rest
	[ "${#lines[@]}" -eq 51 ]
	[[ "${lines[50]}" =~ ^"cbexec: $c: "[0-9]+" more errors not shown"$ ]]
	[ "$(printf '%s\n' "$output" | grep -vc "^cbexec: $c:")" -eq 0 ]
	# an executable too
	cp /bin/true "$BATS_TEST_TMPDIR/bin.ini"
	chmod 644 "$BATS_TEST_TMPDIR/bin.ini"
	run touch_ran --config "$BATS_TEST_TMPDIR/bin.ini" -n a
	[ "$status" -eq 125 ]
	[[ "${lines[0]}" == "cbexec: $BATS_TEST_TMPDIR/bin.ini:1: "* ]]
	[ ! -e "$ran" ]
}

# --- safety -----------------------------------------------------------------------

@test "a configuration file writable by its group is refused" {
	conf "$user" <<-EOF
		[defaults]
		jitter = 1
	EOF
	chmod 664 "$user"
	run touch_ran -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $user: writable by group or others; run chmod go-w $user" ]
	[ ! -e "$ran" ]
	[ ! -e "$db" ]
	chmod 644 "$user"
	run touch_ran -n a
	[ "$status" -eq 0 ]
	[ -e "$ran" ]
}

@test "a configuration file writable by others is refused" {
	c="$BATS_TEST_TMPDIR/c.ini"
	conf "$c" <<-EOF
		[defaults]
		jitter = 1
	EOF
	chmod 646 "$c"
	run touch_ran --config "$c" -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $c: writable by group or others; run chmod go-w $c" ]
	[ ! -e "$ran" ]
}

@test "a configuration file owned by another user is refused" {
	conf "$user" <<-EOF
		[defaults]
		jitter = 1
	EOF
	chown nobody "$user"
	run touch_ran -n a
	[ "$status" -eq 125 ]
	[ "$output" = "cbexec: $user: owned by uid $(id -u nobody), not by you or root" ]
	[ ! -e "$ran" ]
	CBEXEC_CONFIG="$user" run "$CBEXEC" config
	[ "$status" -eq 125 ]
}

# --- cbexec config -----------------------------------------------------------------

@test "cbexec config: built-in, FILE:LINE and command line origins, lines counted right" {
	url="https://example.com/$(printf 'u%.0s' {1..300})"
	mkdir -p "$(dirname "$user")"
	{
		printf '\xef\xbb\xbf; a comment, with a byte order mark\r\n'
		printf '\r\n'
		printf '# another\r\n'
		printf '[defaults]\r\n'
		printf '  jitter = 7   ; why\r\n'
		printf 'on_open = curl %s\r\n' "$url"
		printf '[a]\n'
		printf 'timeout=5s\n'
		printf 'success-exit = 0,24\n'
	} >"$user"
	chmod 644 "$user"
	run "$CBEXEC" config -r 1m a
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 32 ]
	[ "${lines[0]}" = $'failure_threshold = 5\tbuilt-in' ]
	[ "${lines[1]}" = $'recovery_timeout = 1m\tcommand line' ]
	[ "${lines[4]}" = $'timeout = 5s\t'"$user:8" ]
	[ "${lines[10]}" = $'success_exit = 0,24\t'"$user:9" ]
	[ "${lines[19]}" = $'jitter = 7\t'"$user:5" ]
	[ "${lines[22]}" = $'on_open = curl '"$url"$'\t'"$user:6" ]
	# without a name, [a] does not apply
	run "$CBEXEC" config
	[ "${lines[4]}" = $'timeout = 0\tbuilt-in' ]
	[ "${lines[19]}" = $'jitter = 7\t'"$user:5" ]
}

@test "cbexec config takes the name from -n too, and checks it" {
	conf "$user" <<-EOF
		[a]
		jitter = 3
	EOF
	[ "$(setting jitter -n a)" = "3	$user:2" ]
	run "$CBEXEC" config 'bad name'
	[ "$status" -eq 125 ]
}

# --- CBEXEC_DISABLE ----------------------------------------------------------------

@test "CBEXEC_DISABLE=1 runs the command directly: no state file, exit status passes through" {
	CBEXEC_DISABLE=1 run cb -n a -f 1 -- sh -c 'echo ran; exit 6'
	[ "$status" -eq 6 ]
	[ "$output" = ran ]
	[ ! -e "$db" ]
	[ ! -d "$XDG_STATE_HOME" ]
	# nor does it read the configuration, or need a name
	conf "$user" <<-EOF
		[defaults]
		nonsense = 1
	EOF
	CBEXEC_DISABLE=1 run "$CBEXEC" -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[ ! -d "$XDG_STATE_HOME" ]
}

@test "CBEXEC_DISABLE=1 runs through an open breaker and leaves its state unchanged" {
	sub trip a
	sum=$(cat "$db"* | sha256sum)
	CBEXEC_DISABLE=1 run touch_ran -n a
	[ "$status" -eq 0 ]
	[ -e "$ran" ]
	[ "$(cat "$db"* | sha256sum)" = "$sum" ]
	[ "$(field a total_calls)" -eq 0 ]
	# 0 and empty do not disable
	rm "$ran"
	CBEXEC_DISABLE=0 run touch_ran -n a
	[ "$status" -eq 75 ]
	CBEXEC_DISABLE= run touch_ran -n a
	[ "$status" -eq 75 ]
	[ ! -e "$ran" ]
}

# --- on_store_error -------------------------------------------------------------------

damage() {
	head -c 8192 /dev/urandom >"$db"
	sum=$(sha256sum <"$db")
}

@test "on_store_error=run (default): a damaged state file costs one warning, the command runs" {
	damage
	run --separate-stderr cb -n a -- sh -c 'echo ran; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = ran ]
	[ "$stderr" = "cbexec: warning: $db: file is not a database; running the command without the breaker" ]
	[ "$(sha256sum <"$db")" = "$sum" ]
}

@test "on_store_error=fail in a config file: 125, the command not run, the file unchanged" {
	damage
	conf "$user" <<-EOF
		[a]
		on_store_error = fail
	EOF
	run --separate-stderr touch_ran -n a
	[ "$status" -eq 125 ]
	[ "$stderr" = "cbexec: $db: file is not a database; not running the command (on_store_error = fail)" ]
	[ ! -e "$ran" ]
	[ "$(sha256sum <"$db")" = "$sum" ]
	# another breaker keeps the default
	run touch_ran -n b
	[ "$status" -eq 0 ]
	[ -e "$ran" ]
	[ "$(sha256sum <"$db")" = "$sum" ]
}

@test "--on-store-error on the command line, either way, beats the config file" {
	damage
	run touch_ran -n a --on-store-error fail
	[ "$status" -eq 125 ]
	[ ! -e "$ran" ]
	conf "$user" <<-EOF
		[defaults]
		on_store_error = fail
	EOF
	run --separate-stderr touch_ran -n a --on-store-error=run
	[ "$status" -eq 0 ]
	[ -e "$ran" ]
	[[ "$stderr" == "cbexec: warning: $db: "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(sha256sum <"$db")" = "$sum" ]
}

@test "on_store_error with a state directory that cannot be made" {
	echo file >"$BATS_TEST_TMPDIR/f"
	db="$BATS_TEST_TMPDIR/f/sub/s.db"
	run --separate-stderr cb -n a -- sh -c 'echo ran; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = ran ]
	[ "$stderr" = "cbexec: warning: $db: $BATS_TEST_TMPDIR/f is not a directory; running the command without the breaker" ]
	run --separate-stderr touch_ran -n a --on-store-error fail
	[ "$status" -eq 125 ]
	[ "$stderr" = "cbexec: $db: $BATS_TEST_TMPDIR/f is not a directory; not running the command (on_store_error = fail)" ]
	[ ! -e "$ran" ]
	[ "$(cat "$BATS_TEST_TMPDIR/f")" = file ]
}
