# fish completion for cbexec(1).

set -l __cbexec_subcommands run status reset history metrics check record trip bypass delete config

# Options that take an argument, without their dashes.
set -g __cbexec_argopts n name db config f r s t failure-threshold recovery-timeout \
    success-threshold half-open-max-calls timeout kill-after open-exit-code success-exit \
    ignore-exit window failure-rate min-calls slow-call slow-call-rate backoff \
    max-recovery-timeout jitter fallback on-open on-half-open on-close on-change \
    max-concurrent max-wait history-limit on-store-error lock-timeout limit for reason signal \
    fallback-on o columns critical since output

# Reads the tokens before the cursor. Prints the subcommand ("run" for the
# form without one) on the first line, then the index of the first token of
# the wrapped command, or 0 if it has not started, then the number of
# positional arguments already given.
function __cbexec_parse
    set -l tokens (commandline -opc)
    set -l sub run
    set -l i 2
    if set -q tokens[2]; and contains -- $tokens[2] run status reset history metrics check record trip bypass delete config
        set sub $tokens[2]
        set i 3
    end
    set -l skip 0
    set -l npos 0
    while test $i -le (count $tokens)
        set -l tok $tokens[$i]
        if test $skip -eq 1
            set skip 0
        else if test "$tok" = --
            if test $sub = run
                echo $sub
                echo (math $i + 1)
                echo $npos
                return
            end
        else if string match -qr -- '^--[^=]+=' $tok
            # --opt=value
        else if string match -qr -- '^--' $tok
            contains -- (string sub -s 3 -- $tok) $__cbexec_argopts; and set skip 1
        else if string match -qr -- '^-.' $tok
            # a cluster such as -qf3: an option taking an argument ends it
            for c in (string split '' -- (string sub -s 2 -- $tok))
                if contains -- $c n f r s t
                    test (string sub -s -1 -- $tok) = $c; and set skip 1
                    break
                end
            end
        else if test $sub = run
            echo $sub
            echo $i
            echo $npos
            return
        else
            set npos (math $npos + 1)
        end
        set i (math $i + 1)
    end
    echo $sub
    # the token under the cursor starts the command, unless it is an option,
    # the argument of one, or the subcommand itself
    if test $sub = run; and test $skip -eq 0; and test (count $tokens) -gt 1
        and not string match -qr -- '^-' (commandline -ct)
        echo $i
    else
        echo 0
    end
    echo $npos
end

# True while completing cbexec's own arguments for one of the given subcommands.
function __cbexec_using
    set -l p (__cbexec_parse)
    test $p[2] -eq 0; and contains -- $p[1] $argv
end

# True while completing the Nth positional argument (N = $argv[1], 0-based)
# of one of the other given subcommands; N = any for all positions.
function __cbexec_arg
    set -l p (__cbexec_parse)
    test $p[2] -eq 0; or return 1
    contains -- $p[1] $argv[2..-1]; or return 1
    test $argv[1] = any; or test $p[3] -eq $argv[1]
end

function __cbexec_first
    test (count (commandline -opc)) -eq 1
end

function __cbexec_in_command
    set -l p (__cbexec_parse)
    test $p[2] -ne 0
end

# Completes the wrapped command with its own completion.
function __cbexec_complete_command
    set -l p (__cbexec_parse)
    set -l tokens (commandline -opc)
    set -l words (string escape -- $tokens[$p[2]..-1]) (commandline -ct)
    complete -C (string join -- ' ' $words)
end

# Names of the known breakers, from the state file of an earlier --db, else
# CBEXEC_DB or the default. Uses the cbexec being completed.
function __cbexec_names
    set -l tokens (commandline -opc)
    set -l db
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --
                break
            case --db
                set -q tokens[(math $i + 1)]; and set db --db $tokens[(math $i + 1)]
            case '--db=*'
                set db --db (string replace -- --db= '' $tokens[$i])
        end
    end
    set -l exe $tokens[1]
    command -q -- $exe; or set exe cbexec
    command $exe status --names $db 2>/dev/null
end

complete -c cbexec -f

# Subcommands, in the first position only.
complete -c cbexec -n __cbexec_first -a run -d 'Run a command under a breaker (the default)'
# --columns LIST: the columns not yet in the list, after what is there.
function __cbexec_columns
    set -l cur (commandline -ct | string replace -r '^(-o|--columns=)' '')
    set -l done (string replace -r '[^,]*$' '' -- $cur)
    for c in name state failures calls ok failed rejected last-failure retry period reason
        echo $done$c
    end
end

complete -c cbexec -n __cbexec_first -a status -d 'Show breakers; exit 0-3 like a monitoring plugin'
complete -c cbexec -n __cbexec_first -a reset -d 'Close breakers and end manual modes'
complete -c cbexec -n __cbexec_first -a history -d 'Show the changes of state of a breaker, or of all'
complete -c cbexec -n __cbexec_first -a metrics -d 'Print breakers in the Prometheus text format'
complete -c cbexec -n __cbexec_first -a check -d 'Exit 0 if a call would be admitted now'
complete -c cbexec -n __cbexec_first -a record -d 'Record an outcome by hand'
complete -c cbexec -n __cbexec_first -a trip -d 'Open breakers by hand'
complete -c cbexec -n __cbexec_first -a bypass -d 'Admit every call until reset'
complete -c cbexec -n __cbexec_first -a delete -d 'Forget breakers'
complete -c cbexec -n __cbexec_first -a config -d 'Print the settings in force'

# The wrapped command, after -- or the first argument that is not an option.
complete -c cbexec -n __cbexec_in_command -xa '(__cbexec_complete_command)'

# Options shared by several subcommands.
complete -c cbexec -n '__cbexec_using run status reset history metrics check record trip bypass delete config' -s h -l help -d 'Print usage'
complete -c cbexec -n __cbexec_first -s V -l version -d 'Print the versions of cbexec and SQLite'
complete -c cbexec -n '__cbexec_using run status reset history metrics check record trip bypass delete' -l db -rF -d 'State file'
complete -c cbexec -n '__cbexec_using run check record config' -l config -rF -d 'Configuration file'
complete -c cbexec -n '__cbexec_using run check record config' -s n -l name -xa '(__cbexec_names)' -d 'Breaker name'
# -q: what each command leaves out; state-file warnings and errors always print.
complete -c cbexec -n '__cbexec_using run' -s q -l quiet -d 'No changes of state, no rejection line (warnings, errors still print)'
complete -c cbexec -n '__cbexec_using check' -s q -l quiet -d 'Do not say why a call would be rejected'
complete -c cbexec -n '__cbexec_using record' -s q -l quiet -d 'Print no changes of state'
complete -c cbexec -n '__cbexec_using reset trip bypass delete' -s q -l quiet -d 'No warning for a breaker that does not exist'

# Breaker options: durations, counts and lists have nothing to offer.
set -l b '__cbexec_using run check record config'
complete -c cbexec -n $b -s f -l failure-threshold -x -d 'Consecutive failures that open'
complete -c cbexec -n $b -s r -l recovery-timeout -x -d 'First open period (duration)'
complete -c cbexec -n $b -s s -l success-threshold -x -d 'Probe successes that close'
complete -c cbexec -n $b -l half-open-max-calls -x -d 'Probes at once'
complete -c cbexec -n $b -s t -l timeout -x -d 'Time limit of the command (duration)'
complete -c cbexec -n $b -l kill-after -x -d 'Delay from the timeout signal to SIGKILL (duration)'
complete -c cbexec -n $b -l signal -xa 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS' -d 'Signal the timeout sends'
complete -c cbexec -n $b -l preserve-status -d 'On timeout, exit as the command did, not 124'
complete -c cbexec -n $b -l foreground -d 'Under a timeout, leave the command in the process group of cbexec'
complete -c cbexec -n $b -l open-exit-code -x -d 'Exit status of a rejected call'
complete -c cbexec -n $b -l success-exit -x -d 'Exit statuses that are a success'
complete -c cbexec -n $b -l ignore-exit -x -d 'Exit statuses that are neither'
complete -c cbexec -n $b -l window -x -d 'Window of the rate rules (calls or duration)'
complete -c cbexec -n $b -l failure-rate -x -d 'Failure percentage that opens'
complete -c cbexec -n $b -l min-calls -x -d 'Outcomes before the rate rules apply'
complete -c cbexec -n $b -l slow-call -x -d 'A call longer than this is slow (duration)'
complete -c cbexec -n $b -l slow-call-rate -x -d 'Slow-call percentage that opens'
complete -c cbexec -n $b -l backoff -x -d 'Open period factor per failed probe'
complete -c cbexec -n $b -l max-recovery-timeout -x -d 'Longest open period (duration)'
complete -c cbexec -n $b -l jitter -x -d 'Random variation of the open period (percent)'
complete -c cbexec -n $b -l fallback -xa '(__fish_complete_command)' -d 'Shell command run in place of a rejected call'
complete -c cbexec -n $b -l fallback-on -xa 'rejected failure any' -d 'When the fallback runs'
complete -c cbexec -n $b -l on-open -xa '(__fish_complete_command)' -d 'Shell command run on a change to open'
complete -c cbexec -n $b -l on-half-open -xa '(__fish_complete_command)' -d 'Shell command run on a change to half-open'
complete -c cbexec -n $b -l on-close -xa '(__fish_complete_command)' -d 'Shell command run on a change to closed'
complete -c cbexec -n $b -l on-change -xa '(__fish_complete_command)' -d 'Shell command run on every change'
complete -c cbexec -n $b -l max-concurrent -x -d 'Calls that may run at once'
complete -c cbexec -n $b -l max-wait -x -d 'Wait for a free slot (duration)'
complete -c cbexec -n $b -l syslog -d 'Log changes of state to syslog'
complete -c cbexec -n $b -l history-limit -x -d 'Changes of state kept'
complete -c cbexec -n $b -l on-store-error -xa 'run fail local' -d 'When the state file cannot be used'
complete -c cbexec -n $b -l lock-timeout -x -d 'Wait for the lock on the state file (duration)'

# Options and arguments of the other subcommands.
complete -c cbexec -n '__cbexec_using status history' -l json -d 'Print JSON'
complete -c cbexec -n '__cbexec_using status' -l names -d 'Print only the names'
complete -c cbexec -n '__cbexec_using status' -l nagios -d 'One line for Nagios/Icinga; own errors UNKNOWN (3)'
complete -c cbexec -n '__cbexec_using status' -l critical -x -a '(__cbexec_names)' -d 'With --nagios: only these make CRITICAL'
complete -c cbexec -n '__cbexec_using status' -s o -l columns -x -a '(__cbexec_columns)' -d 'The table\'s columns, comma-separated'
complete -c cbexec -n '__cbexec_using status' -l no-headers -d 'The table without its header line'
complete -c cbexec -n '__cbexec_using reset' -l all -d 'Reset every breaker'
complete -c cbexec -n '__cbexec_using history' -l limit -x -d 'Changes to show'
complete -c cbexec -n '__cbexec_using history' -l since -x -d 'Only changes in the last duration'
complete -c cbexec -n '__cbexec_using metrics' -l output -rF -d 'Write this file atomically'
complete -c cbexec -n '__cbexec_using trip' -l for -x -d 'Open for this long, then probe (duration)'
complete -c cbexec -n '__cbexec_using trip bypass' -l reason -x -d 'Why'
complete -c cbexec -n '__cbexec_arg any status reset metrics trip bypass delete' -a '(__cbexec_names)'
complete -c cbexec -n '__cbexec_arg 0 history config' -a '(__cbexec_names)'
complete -c cbexec -n '__cbexec_arg 0 record' -a 'success failure ignored'
