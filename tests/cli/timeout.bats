#!/usr/bin/env bats
# timeout(1)'s habits under --timeout: --signal, --preserve-status, --foreground.

bats_require_minimum_version 1.5.0
load helpers

setup() { cbexec_setup; }

# A command that writes "TERM" to $1 when it gets SIGTERM and then goes on
# (only KILL ends it); its PID is in $1.pid.
# shellcheck disable=SC2016
STUBBORN='echo $$ >"$1.pid"; trap "echo TERM >\"\$1\"" TERM; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done'

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

@test "--signal KILL: a command that traps TERM still dies; 124, or 137 with --preserve-status" {
	local start
	# --kill-after stays at 10s: the KILL that ends it in time is --signal's
	start=$(date +%s%N)
	run cb -n a -t 200ms --signal KILL -- sh -c "$STUBBORN" sh "$BATS_TEST_TMPDIR/a"
	[ "$status" -eq 124 ]
	[ "$(ms_since "$start")" -lt 5000 ]
	[ ! -e "$BATS_TEST_TMPDIR/a" ] # never saw a TERM
	wait_for 5 gone "$(cat "$BATS_TEST_TMPDIR/a.pid")"

	start=$(date +%s%N)
	run cb -n a -t 200ms --signal SIGKILL --preserve-status -- \
		sh -c "$STUBBORN" sh "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 137 ]
	[ "$(ms_since "$start")" -lt 5000 ]
	[ ! -e "$BATS_TEST_TMPDIR/b" ]
	[ "$(field a total_timeouts)" -eq 2 ]
	[ "$(field a total_failures)" -eq 2 ]
}

@test "--signal takes names with or without SIG, any case, and numbers; the command gets that one" {
	# shellcheck disable=SC2016
	local catch='trap "echo USR1 >\"\$1\"; exit 5" USR1; trap "echo TERM >\"\$1\"; exit 6" TERM; sleep 10 & wait'
	run cb -n a -t 200ms --signal usr1 --preserve-status -- sh -c "$catch" sh "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 5 ]
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = USR1 ]
	run cb -n a -t 200ms --signal 10 --preserve-status -- sh -c "$catch" sh "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 5 ]
	# the default stays TERM
	run cb -n a -t 200ms --preserve-status -- sh -c "$catch" sh "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 6 ]
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = TERM ]
	run -0 "$CBEXEC" config --signal SIGrtmin+1
	grep -qx $'signal = RTMIN+1\tcommand line' <<<"$output"
}

@test "--preserve-status: a command that traps TERM and exits 3 gives 3, still counted as a timeout" {
	# shellcheck disable=SC2016
	local trap3='trap "exit 3" TERM; sleep 10 & wait'
	run cb -n a -t 200ms --preserve-status -- sh -c "$trap3"
	[ "$status" -eq 3 ]
	[ "$(field a total_timeouts)" -eq 1 ]
	[ "$(field a total_failures)" -eq 1 ]
	[ "$(field a last_exit_code)" -eq 3 ]
	# a timeout is a failure even when its status is a success exit
	run cb -n a -t 200ms --preserve-status --success-exit 0,3 -- sh -c "$trap3"
	[ "$status" -eq 3 ]
	[ "$(field a total_failures)" -eq 2 ]
	# without it, 124 as before
	run cb -n a -t 200ms -- sh -c "$trap3"
	[ "$status" -eq 124 ]
	# no timeout: --preserve-status changes nothing
	run cb -n a -t 10s --preserve-status -- sh -c 'exit 4'
	[ "$status" -eq 4 ]
	[ "$(field a total_timeouts)" -eq 3 ]
}

@test "--preserve-status after --kill-after's SIGKILL gives 137" {
	run cb -n a -t 200ms --kill-after 200ms --preserve-status -- \
		sh -c "$STUBBORN" sh "$BATS_TEST_TMPDIR/s"
	[ "$status" -eq 137 ]
	[ "$(cat "$BATS_TEST_TMPDIR/s")" = TERM ]
	[ "$(field a total_timeouts)" -eq 1 ]
}

@test "--foreground: the command keeps cbexec's process group under --timeout" {
	local cbpid cbpgrp cpid cpgrp
	# cbexec's PID and group through the command's parent
	# shellcheck disable=SC2016
	read -r cpid cpgrp cbpid cbpgrp < <(cb -n a -t 10s --foreground -- \
		sh -c 'printf "%s %s " $(cut -d" " -f1,5 /proc/$$/stat); cut -d" " -f1,5 /proc/$PPID/stat')
	[ "$cpid" != "$cpgrp" ]
	[ "$cpgrp" = "$cbpgrp" ]
	[ "$cbpid" != "$cpid" ]
	# without it, a group of its own (the test above would catch a regression)
	# shellcheck disable=SC2016
	read -r cpid cpgrp cbpid cbpgrp < <(cb -n a -t 10s -- \
		sh -c 'printf "%s %s " $(cut -d" " -f1,5 /proc/$$/stat); cut -d" " -f1,5 /proc/$PPID/stat')
	[ "$cpid" = "$cpgrp" ]
	[ "$cpgrp" != "$cbpgrp" ]
}

@test "--foreground: the timeout signals the command only; what it started survives" {
	local child survived
	run cb -n a -t 300ms --foreground -- sh -c 'sleep 30 >/dev/null 2>&1 & echo $! >"$0"; wait' "$BATS_TEST_TMPDIR/pid"
	child=$(cat "$BATS_TEST_TMPDIR/pid")
	survived=0
	gone "$child" || survived=1
	kill "$child" 2>/dev/null || true
	[ "$status" -eq 124 ]
	[ "$(field a total_timeouts)" -eq 1 ]
	[ "$survived" -eq 1 ] || { echo "the command's child $child was signalled too"; return 1; }
	wait_for 5 gone "$child"
}

@test "--foreground with --kill-after: the SIGKILL goes to the command" {
	run cb -n a -t 200ms --kill-after 200ms --foreground -- sh -c "$STUBBORN" sh "$BATS_TEST_TMPDIR/f"
	[ "$status" -eq 124 ]
	[ "$(cat "$BATS_TEST_TMPDIR/f")" = TERM ]
	wait_for 5 gone "$(cat "$BATS_TEST_TMPDIR/f.pid")"
}

@test "bad --signal values exit 125 and run nothing" {
	local bad
	for bad in BOGUS 0 -9 65 SIG SIGSIGTERM 'TERM ' '' RTMIN+99 9x; do
		run --separate-stderr cb -n a -t 1s --signal "$bad" -- touch "$BATS_TEST_TMPDIR/ran"
		[ "$status" -eq 125 ] || { echo "--signal '$bad' exited $status"; return 1; }
		[[ "$stderr" == "cbexec: --signal: "*" is not a signal name or number"* ]]
	done
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	[ ! -e "$db" ] # refused before the state file is opened
}

@test "signal, preserve_status and foreground as config keys" {
	mkdir -p "$XDG_CONFIG_HOME/cbexec"
	printf '[a]\nsignal = SIGKILL\npreserve_status = true\nforeground = yes\n' \
		>"$XDG_CONFIG_HOME/cbexec/config.ini"
	run -0 "$CBEXEC" config a
	grep -q $'^signal = KILL\t' <<<"$output"
	grep -q $'^preserve_status = true\t' <<<"$output"
	grep -q $'^foreground = true\t' <<<"$output"
	run cb -n a -t 200ms -- sh -c "$STUBBORN" sh "$BATS_TEST_TMPDIR/c"
	[ "$status" -eq 137 ]
	[ ! -e "$BATS_TEST_TMPDIR/c" ]
	printf '[a]\nsignal = TERMINATE\n' >"$XDG_CONFIG_HOME/cbexec/config.ini"
	run --separate-stderr cb -n a -t 1s -- true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"config.ini:2: signal: \"TERMINATE\" is not a signal name or number"* ]]
}

@test "completions: signal names after --signal, the choices of --fallback-on" {
	local root
	root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	# bash, as docs.bats drives it
	run -0 bash -c 'source "$1"; COMP_WORDS=(cbexec -n a --signal K); COMP_CWORD=4
		_cbexec; printf "%s\n" "${COMPREPLY[@]}"' _ "$root/completions/cbexec.bash"
	[ "$output" = KILL ]
	run -0 bash -c 'source "$1"; COMP_WORDS=(cbexec -n a --fallback-on ""); COMP_CWORD=4
		_cbexec; printf "%s\n" "${COMPREPLY[@]}"' _ "$root/completions/cbexec.bash"
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "any failure rejected " ]
	# the word after --signal's argument is the command again
	run -0 bash -c 'source "$1"; COMP_WORDS=(cbexec -n a --signal KILL --preserve-status sleep); COMP_CWORD=6
		_cbexec; printf "%s\n" "${COMPREPLY[@]}"' _ "$root/completions/cbexec.bash"
	grep -qx sleep <<<"$output"
	# fish
	run -0 fish -c "source '$root/completions/cbexec.fish'; complete -C 'cbexec -n a --signal TE'"
	[ "${output%%$'\t'*}" = TERM ]
	run -0 fish -c "source '$root/completions/cbexec.fish'; complete -C 'cbexec -n a --fallback-on f'"
	[ "${output%%$'\t'*}" = failure ]
	# zsh: the same list, in the --signal spec
	local sig
	for sig in TERM KILL INT HUP USR1; do
		grep -qE -- "'--signal=\[[^]]*\]:signal:\(([A-Z0-9]+ )*$sig( [A-Z0-9]+)*\)'" \
			"$root/completions/_cbexec" || { echo "zsh: no $sig"; return 1; }
	done
	grep -qF -- "--fallback-on=[when the fallback runs]:when:(rejected failure any)" "$root/completions/_cbexec"
}
