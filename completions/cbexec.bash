# bash completion for cbexec(1).
# Works alone; uses _command_offset from bash-completion, when loaded, to
# complete the wrapped command with that command's own completion.

_cbexec_subcommands='run status reset history metrics check record trip bypass delete config'

# Breaker options: every one takes an argument except --syslog,
# --preserve-status and --foreground.
_cbexec_settings='--failure-threshold --recovery-timeout --success-threshold
	--half-open-max-calls --timeout --kill-after --signal --preserve-status
	--foreground --open-exit-code --success-exit
	--ignore-exit --window --failure-rate --min-calls --slow-call --slow-call-rate
	--backoff --max-recovery-timeout --jitter --fallback --fallback-on --on-open
	--on-half-open --on-close --on-change --max-concurrent --max-wait --syslog
	--history-limit --on-store-error --lock-timeout'

# What --signal offers: the names kill -l prints, without SIG.
_cbexec_signals='HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS'

# Options of each subcommand; "run" is also the form without a subcommand.
_cbexec_options()
{
	case $1 in
	run) echo "-n --name --db --config -q --quiet -h --help -f -r -s -t $_cbexec_settings" ;;
	check | record) echo "-n --name --db --config -q --quiet -h --help -f -r -s -t $_cbexec_settings" ;;
	config) echo "-n --name --config -h --help -f -r -s -t $_cbexec_settings" ;;
	status) echo '--json --names --nagios --critical -o --columns --no-headers --db -h --help' ;;
	reset) echo '--all --db -q --quiet -h --help' ;;
	history) echo '--json --limit --since --db -h --help' ;;
	metrics) echo '--output --db -h --help' ;;
	trip) echo '--for --reason --db -q --quiet -h --help' ;;
	bypass) echo '--reason --db -q --quiet -h --help' ;;
	delete) echo '--db -q --quiet -h --help' ;;
	esac
}

# What the argument of an option is: file, name, command, policy, signal,
# fallback-on, text, or
# nothing when the option takes none.
_cbexec_argkind()
{
	case $1 in
	--db | --config | --output) echo file ;;
	-n | --name) echo name ;;
	--fallback | --on-open | --on-half-open | --on-close | --on-change) echo command ;;
	--on-store-error) echo policy ;;
	--signal) echo signal ;;
	-o | --columns) echo columns ;;
	--critical) echo name ;;
	--fallback-on) echo fallback-on ;;
	-f | -r | -s | -t | --failure-threshold | --recovery-timeout | --success-threshold | \
	--half-open-max-calls | --timeout | --kill-after | --open-exit-code | --success-exit | \
	--ignore-exit | --window | --failure-rate | --min-calls | --slow-call | --slow-call-rate | \
	--backoff | --max-recovery-timeout | --jitter | --max-concurrent | --max-wait | \
	--history-limit | --lock-timeout | --limit | --since | --for | --reason)
		echo text ;;
	esac
}

# Names of the known breakers, from the state file given by an earlier --db,
# else CBEXEC_DB or the default. Uses the cbexec being completed.
_cbexec_names()
{
	local exe=${_cbexec_words[0]} db='' i w
	for ((i = 1; i < _cbexec_cword; i++)); do
		w=${_cbexec_words[i]}
		case $w in
		--) break ;;
		--db) db=${_cbexec_words[i + 1]} ;;
		--db=*) db=${w#--db=} ;;
		esac
	done
	# shellcheck disable=SC2088 # a literal ~ the shell has not expanded yet
	[[ $exe == "~/"* ]] && exe=$HOME/${exe#"~/"}
	# shellcheck disable=SC2088
	[[ $db == "~/"* ]] && db=$HOME/${db#"~/"}
	type -P -- "$exe" >/dev/null 2>&1 || exe=cbexec
	if [[ -n $db ]]; then
		"$exe" status --names --db "$db" 2>/dev/null
	else
		"$exe" status --names 2>/dev/null
	fi
}

# Completes the argument of an option of the given kind.
_cbexec_complete_arg()
{
	local kind=$1 cur=$2
	case $kind in
	file)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	name) mapfile -t COMPREPLY < <(compgen -W "$(_cbexec_names)" -- "$cur") ;;
	command) mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u) ;;
	policy) mapfile -t COMPREPLY < <(compgen -W 'run fail local' -- "$cur") ;;
	signal) mapfile -t COMPREPLY < <(compgen -W "$_cbexec_signals" -- "$cur") ;;
	fallback-on) mapfile -t COMPREPLY < <(compgen -W 'rejected failure any' -- "$cur") ;;
	columns)
		# A comma-separated list: complete the column after the last comma.
		local done=${cur%"${cur##*,}"} c
		for c in name state failures calls ok failed rejected last-failure retry period reason; do
			[[ $c == "${cur##*,}"* ]] && COMPREPLY+=("$done$c")
		done
		compopt -o nospace 2>/dev/null
		;;
	*) COMPREPLY=() ;; # durations, counts, text: nothing to offer
	esac
}

_cbexec()
{
	COMPREPLY=()
	# Join "--opt" "=" "value", which bash splits at COMP_WORDBREAKS, back into
	# one word; _cbexec_start[j] is where word j starts in COMP_WORDS.
	local -a _cbexec_words=() _cbexec_start=()
	local _cbexec_cword=0 i j=-1 join=0 w
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if ((join)); then
			_cbexec_words[j]+=$w
			join=0
		elif [[ $w == = && $j -ge 0 && ${_cbexec_words[j]} == --* &&
			${_cbexec_words[j]} != *=* ]]; then
			_cbexec_words[j]+='='
			join=1
		else
			((j++))
			_cbexec_words[j]=$w
			_cbexec_start[j]=$i
		fi
		((i == COMP_CWORD)) && _cbexec_cword=$j
	done
	local cword=$_cbexec_cword cur=${_cbexec_words[_cbexec_cword]}

	# The subcommand, or the run form without one.
	local sub=run first=1
	if ((cword > 1)) && [[ " $_cbexec_subcommands " == *" ${_cbexec_words[1]} "* ]]; then
		sub=${_cbexec_words[1]}
		first=2
	fi

	# Walk the words before the cursor: skip option arguments, find where the
	# command starts in the run form, count positional arguments.
	local kind='' cmd=-1 npos=0 opt
	for ((i = first; i < cword; i++)); do
		w=${_cbexec_words[i]}
		if [[ -n $kind ]]; then
			kind=''
			continue
		fi
		case $w in
		--)
			[[ $sub == run ]] && { cmd=$((i + 1)); break; }
			;;
		--*=*) ;;
		--*) kind=$(_cbexec_argkind "$w") ;;
		-?*)
			# A cluster such as -qf3 or -qn: an option that takes an
			# argument ends it, and takes the next word if it is last.
			for ((opt = 1; opt < ${#w}; opt++)); do
				case ${w:opt:1} in
				n | f | r | s | t | o)
					((opt == ${#w} - 1)) && kind=$(_cbexec_argkind "-${w:opt:1}")
					break
					;;
				esac
			done
			;;
		*)
			if [[ $sub == run ]]; then
				cmd=$i
				break
			fi
			((npos++))
			;;
		esac
	done

	# The first word that is not an option starts the command.
	if [[ $sub == run && $cmd -lt 0 && -z $kind && $cur != -* ]] && ((cword > 1)); then
		cmd=$cword
	fi

	# Inside the wrapped command: hand over to its own completion.
	if ((cmd >= 0 && cmd <= cword)); then
		if declare -F _command_offset >/dev/null; then
			_command_offset "${_cbexec_start[cmd]}"
		elif ((cmd == cword)); then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return 0
	fi

	# The argument of the previous option.
	if [[ -n $kind ]]; then
		_cbexec_complete_arg "$kind" "$cur"
		return 0
	fi

	case $cur in
	--*=*)
		# --opt=value: complete the value; bash replaces only the part
		# after "=" when "=" is a word break.
		local prefix=${cur%%=*}=
		_cbexec_complete_arg "$(_cbexec_argkind "${cur%%=*}")" "${cur#*=}"
		if [[ $COMP_WORDBREAKS != *=* ]]; then
			COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
		fi
		return 0
		;;
	-*)
		local opts
		opts=$(_cbexec_options "$sub")
		((cword == 1)) && opts+=' -V --version'
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return 0
		;;
	esac

	# A positional argument.
	if ((cword == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "$_cbexec_subcommands" -- "$cur")
		return 0
	fi
	case $sub in
	status | reset | metrics | trip | bypass | delete)
		mapfile -t COMPREPLY < <(compgen -W "$(_cbexec_names)" -- "$cur")
		;;
	history | config)
		((npos == 0)) &&
			mapfile -t COMPREPLY < <(compgen -W "$(_cbexec_names)" -- "$cur")
		;;
	record)
		((npos == 0)) && mapfile -t COMPREPLY < <(compgen -W 'success failure ignored' -- "$cur")
		;;
	esac
	return 0
}

complete -F _cbexec cbexec
