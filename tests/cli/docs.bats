#!/usr/bin/env bats
# The manual pages, the shell completions and the install target agree with
# the program: lint clean, every option documented and completed, all installed.

bats_require_minimum_version 1.5.0

SUBCOMMANDS='run status reset history metrics check record trip bypass delete config'

setup() {
	root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	cd "$root"
	db=$BATS_TEST_TMPDIR/s.db
	export XDG_STATE_HOME=$BATS_TEST_TMPDIR/state
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	unset CBEXEC_DB CBEXEC_CONFIG CBEXEC_DISABLE
}

# mandoc -Tlint prints nothing, or only STYLE messages (a cross-reference to
# a page not installed on this machine, such as cbexec.conf(5), is one).
lint_clean() {
	local out status=0
	out=$(mandoc -Tlint "$1" 2>/dev/null) || status=$?
	if [ "$status" -gt 1 ] || printf '%s\n' "$out" | grep -v ': STYLE: ' | grep -q .; then
		printf 'mandoc -Tlint %s (exit %s):\n%s\n' "$1" "$status" "$out"
		return 1
	fi
}

# The long options printed by `cbexec [SUBCOMMAND] --help`, one per line.
help_options() {
	local out
	out=$(./cbexec "$@" --help 2>&1) || {
		printf 'cbexec %s --help failed:\n%s\n' "$*" "$out"
		return 1
	}
	printf '%s\n' "$out" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# The long options documented with .Fl in cbexec(1), one per line.
man_options() {
	grep -E '^\.' man/cbexec.1 | grep -oE 'Fl \\?-[a-z][a-z0-9-]*' |
		sed -E 's/^Fl \\?-/--/' | sort -u
}

# Asks the bash completion for the words after `$@`; the last argument is the
# word being completed. Prints COMPREPLY one per line.
complete_bash() {
	bash -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_cbexec
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$root/completions/cbexec.bash" "$@"
}

@test "cbexec.1 is mandoc -Tlint clean" {
	lint_clean man/cbexec.1
}

@test "cbexec.conf.5 is mandoc -Tlint clean" {
	lint_clean man/cbexec.conf.5
}

@test "every long option of cbexec --help is documented in cbexec.1" {
	local documented missing='' sub opt n=0
	documented=$(man_options)
	for sub in '' $SUBCOMMANDS; do
		# shellcheck disable=SC2086
		for opt in $(help_options $sub); do
			n=$((n + 1))
			grep -qxF -- "$opt" <<<"$documented" || missing+=" ${sub:-cbexec}:$opt"
		done
	done
	[ "$n" -gt 0 ] || { echo 'no long options found in any --help'; return 1; }
	[ -z "$missing" ] || { echo "not in cbexec.1:$missing"; return 1; }
}

@test "every key cbexec config prints is documented in cbexec.conf.5" {
	local key missing='' n=0
	: >"$BATS_TEST_TMPDIR/empty.ini"
	for key in $(./cbexec config --config "$BATS_TEST_TMPDIR/empty.ini" | cut -d' ' -f1); do
		n=$((n + 1))
		grep -qE "Ic $key Ns =" man/cbexec.conf.5 ||
			missing+=" $key"
	done
	[ "$n" -ge 20 ] || { echo "only $n keys printed by cbexec config"; return 1; }
	[ -z "$missing" ] || { echo "not in cbexec.conf.5:$missing"; return 1; }
}

@test "--version names cbexec's version, the SQLite in use and the hiredis linked in" {
	run ./cbexec --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^cbexec\ [0-9]+\.[0-9]+\.[0-9]+\ \(SQLite\ ([0-9.]+),\ (hiredis\ ([0-9.]+)\ \(no\ TLS\)|no\ Redis\ support)\)$ ]]
	[ "${BASH_REMATCH[1]}" = "$(sqlite3 :memory: 'select sqlite_version()')" ]
	if [ -n "${BASH_REMATCH[3]}" ] && pkg-config --exists hiredis; then
		[ "${BASH_REMATCH[3]}" = "$(pkg-config --modversion hiredis)" ]
	fi
	run ./cbexec -V
	[ "$status" -eq 0 ]
	[[ "$output" == "cbexec "* ]]
}

@test "cbexec with no arguments prints usage on stderr and exits 125" {
	run --separate-stderr ./cbexec
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	[[ "$stderr" == "usage: cbexec "* ]]
}

@test "every long option of cbexec --help is offered by the completions" {
	local known missing='' sub opt
	# everything the bash completion offers after -- for any subcommand
	known=$(for sub in $SUBCOMMANDS; do complete_bash cbexec "$sub" --; done
		complete_bash cbexec --)
	for sub in '' $SUBCOMMANDS; do
		# shellcheck disable=SC2086
		for opt in $(help_options $sub); do
			grep -qxF -- "$opt" <<<"$known" || missing+=" bash:$opt"
			grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" completions/_cbexec || missing+=" zsh:$opt"
			grep -qE -- "-l ${opt#--}( |$)" completions/cbexec.fish || missing+=" fish:$opt"
		done
	done
	[ -z "$missing" ] || { echo "not completed:$missing"; return 1; }
}

@test "bash completion offers the subcommands after 'cbexec '" {
	run complete_bash cbexec ''
	[ "$status" -eq 0 ]
	for sub in $SUBCOMMANDS; do
		grep -qxF "$sub" <<<"$output" || { echo "missing $sub in: $output"; return 1; }
	done
}

@test "bash completion offers the options of status after 'cbexec status --'" {
	run complete_bash cbexec status --
	[ "$status" -eq 0 ]
	for opt in --json --names --db --help; do
		grep -qxF -- "$opt" <<<"$output" || { echo "missing $opt in: $output"; return 1; }
	done
	! grep -qxF -- --timeout <<<"$output"
}

@test "bash completion offers breaker names after 'cbexec reset '" {
	./cbexec --db "$db" -n alpha -- true
	# from a --db earlier on the line, with the cbexec as typed
	run complete_bash ./cbexec reset --db "$db" ''
	[ "$status" -eq 0 ]
	[ "$output" = alpha ]
	run complete_bash ./cbexec --db "$db" -n al
	[ "$output" = alpha ]
	# from CBEXEC_DB, with the cbexec found in PATH
	export PATH="$root:$PATH" CBEXEC_DB="$db"
	run complete_bash cbexec reset ''
	[ "$status" -eq 0 ]
	[ "$output" = alpha ]
}

@test "bash completion offers breaker names to every command that takes them" {
	local sub
	./cbexec --db "$db" -n alpha -- true
	./cbexec --db "$db" -n beta -- true
	export PATH="$root:$PATH" CBEXEC_DB="$db"
	for sub in status reset history trip bypass delete; do
		run complete_bash cbexec "$sub" 'al'
		[ "$output" = alpha ] || { echo "$sub: '$output'"; return 1; }
	done
	for sub in run check record config; do
		run complete_bash cbexec "$sub" -n b
		[ "$output" = beta ] || { echo "$sub -n: '$output'"; return 1; }
	done
}

@test "zsh and fish completions read breaker names from the state file" {
	grep -q 'status --names' completions/_cbexec
	./cbexec --db "$db" -n alpha -- true
	export PATH="$root:$PATH" CBEXEC_DB="$db"
	run fish -c 'source completions/cbexec.fish; complete -C "cbexec reset "'
	[[ "$output" == *alpha* ]]
	run fish -c 'source completions/cbexec.fish; complete -C "cbexec -n "'
	[[ "$output" == *alpha* ]]
}

@test "bash completion offers no files for a duration and commands after --" {
	touch "$BATS_TEST_TMPDIR/30s-file"
	cd "$BATS_TEST_TMPDIR"
	run complete_bash cbexec -n x --timeout ''
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run complete_bash cbexec -n x --db 30
	[ "$output" = 30s-file ]
	run complete_bash cbexec -n x -- ech
	grep -qxF echo <<<"$output"
	run complete_bash cbexec -n x -f 3 ech
	grep -qxF echo <<<"$output"
}

@test "zsh completion parses" {
	zsh -n completions/_cbexec
}

@test "fish completion parses and offers the subcommands" {
	fish --no-execute completions/cbexec.fish
	run fish -c 'source completions/cbexec.fish; complete -C "cbexec st"'
	[ "$status" -eq 0 ]
	[ "$(cut -f1 <<<"$output")" = status ]
}

@test "make install puts everything in place and make uninstall removes it" {
	local dest=$BATS_TEST_TMPDIR/dest f
	local files="usr/bin/cbexec usr/share/man/man1/cbexec.1 usr/share/man/man5/cbexec.conf.5
		usr/share/bash-completion/completions/cbexec usr/share/zsh/site-functions/_cbexec
		usr/share/fish/vendor_completions.d/cbexec.fish"
	run make -s -C "$root" install DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	for f in $files; do
		[ -f "$dest/$f" ] || { echo "not installed: $f"; return 1; }
	done
	[ -x "$dest/usr/bin/cbexec" ]
	cmp man/cbexec.1 "$dest/usr/share/man/man1/cbexec.1"
	run make -s -C "$root" uninstall DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	for f in $files; do
		[ ! -e "$dest/$f" ] || { echo "left behind: $f"; return 1; }
	done
}

# The literal blocks of cbexec(1), as text, one block after another.
man_literals() {
	awk '/^\.Bd -literal/ { on = 1; next } /^\.Ed/ { on = 0; print "@@"; next } on' man/cbexec.1 |
		sed -e 's/\\e/\\/g'
}

@test "the systemd service and timer in cbexec.1 pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	local dir=$BATS_TEST_TMPDIR/units bin=$BATS_TEST_TMPDIR/bin unit
	mkdir -p "$dir" "$bin"
	ln -s "$root/cbexec" "$bin/cbexec"
	ln -s /bin/true "$bin/upstream-sync"
	# Each "# /etc/systemd/system/NAME" line starts a unit file; the block ends at @@.
	man_literals | awk -v dir="$dir" -v bin="$bin" '
		/^# \/etc\/systemd\/system\// { n = split($2, p, "/"); f = dir "/" p[n]; next }
		/^@@$/ { f = ""; next }
		f != "" { gsub("/usr/local/bin", bin); print > f }'
	[ -f "$dir/upstream-sync.service" ]
	[ -f "$dir/upstream-sync.timer" ]
	grep -qx 'SuccessExitStatus=75' "$dir/upstream-sync.service"
	grep -q '^StateDirectory=' "$dir/upstream-sync.service"
	run systemd-analyze verify "$dir/upstream-sync.service" "$dir/upstream-sync.timer"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# Every crontab line that calls cbexec, from README.md and cbexec(1), with the
# PATH set earlier in its block (or empty): "PATH<TAB>line".
crontab_lines() {
	{
		awk '/^```crontab/ { on = 1; path = ""; next } /^```/ { on = 0 } on' README.md
		echo @@
		man_literals
	} | awk '
		/^@@$/ { path = ""; next }
		/^PATH=/ { path = substr($0, 6); next }
		/cbexec/ { print path "\t" $0 }' | grep -E $'^[^\t]*\t([0-9*/,-]+ +){5}'
}

@test "every crontab line in README and cbexec.1 finds cbexec under cron's PATH" {
	local path line n=0 bad=''
	while IFS=$'\t' read -r path line; do
		n=$((n + 1))
		# Debian's cron sets PATH=/usr/bin:/bin; make install puts cbexec in /usr/local/bin.
		case ":${path:-/usr/bin:/bin}:" in
		*:/usr/local/bin:*) ;;
		*) grep -qE '(^| )/[^ ]*/cbexec ' <<<"$line" || bad+="$line"$'\n' ;;
		esac
	done < <(crontab_lines)
	[ "$n" -ge 3 ] || { echo "found only $n crontab lines"; return 1; }
	[ -z "$bad" ] || { printf 'cbexec not on cron'"'"'s PATH in:\n%s' "$bad"; return 1; }
}

@test "README's try-it line works in a root shell without sudo" {
	[ "$(id -u)" -eq 0 ] || skip "the case is a root shell"
	local fake=$BATS_TEST_TMPDIR/fakebin line
	mkdir -p "$fake"
	# apt-get and make are stand-ins that log: the packages are here and the
	# binary is built; what is tested is that the line runs through without sudo.
	printf '#!/bin/sh\necho "$(basename "$0") $*" >>"%s/log"\n' "$BATS_TEST_TMPDIR" >"$fake/apt-get"
	cp "$fake/apt-get" "$fake/make"
	chmod +x "$fake/apt-get" "$fake/make"
	PATH=$fake:/usr/bin:/bin command -v sudo >/dev/null && skip "sudo is installed"
	line=$(awk '/^```sh/ { getline; print; exit }' README.md)
	[[ $line == *'$(command -v sudo) apt-get'* ]]
	run env PATH="$fake:/usr/bin:/bin" HOME="$BATS_TEST_TMPDIR" TMPDIR="$BATS_TEST_TMPDIR" \
		bash -c "$line"
	grep -q '^apt-get update' "$BATS_TEST_TMPDIR/log"
	grep -q '^apt-get install -y build-essential' "$BATS_TEST_TMPDIR/log"
	grep -q '^make' "$BATS_TEST_TMPDIR/log"
	[ "$(grep -c '^exit ' <<<"$output")" -eq 3 ]
	grep -qx 'exit 75' <<<"$output"
	[ "$status" -eq 2 ] # status: a breaker is open
}

@test "every key of status --json and history --json is in cbexec.1's JSON OUTPUT" {
	local keys documented missing='' k
	./cbexec --db "$db" -n j -f 1 -- false || true
	keys=$(./cbexec status --json --db "$db" |
		python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)[0]))')
	keys+=$'\n'$(./cbexec history --json --db "$db" j |
		python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)[0]))')
	documented=$(sed -n '/^\.Sh JSON OUTPUT/,/^\.Sh /p' man/cbexec.1 | grep -oE 'Li [a-z_]+( , [a-z_]+)*' |
		sed -e 's/^Li //' -e 's/ , /\n/g')
	[ "$(wc -l <<<"$keys")" -ge 25 ]
	for k in $keys; do
		grep -qxF "$k" <<<"$documented" || missing+=" $k"
	done
	[ -z "$missing" ] || { echo "not documented:$missing"; return 1; }
}
