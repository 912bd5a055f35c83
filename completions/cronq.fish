# fish completion for cronq(1)
# SPDX-License-Identifier: ISC

set -l cronq_cmds add rm ls show pause resume history rollback edit validate import trigger stop runs logs why next status top version help

function __cronq_jobs
    cronq --json ls 2>/dev/null | string match -rg '^\s*"name":\s*"([^"]*)"'
end

complete -c cronq -f
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -l json -d 'Print JSON'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -l socket -r -F -d 'Daemon socket'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -l host -x -d 'Remote daemon URL'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -l token -x -d 'Bearer token'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -l cacert -r -F -d 'CA certificates'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -s h -l help -d 'Show the commands'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -s V -l version -d 'Show the version'

complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a add -d 'Add a job'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a rm -d 'Remove a job'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a ls -d 'List jobs'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a show -d 'Show a job'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a pause -d 'Stop scheduling a job'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a resume -d 'Schedule a paused job again'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a history -d 'List versions of a job'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a rollback -d 'Restore an earlier version of a job'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a edit -d 'Edit your jobs as YAML'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a validate -d 'Check job files offline'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a import -d 'Turn a crontab into a job file'
complete -c cronq -n "__fish_seen_subcommand_from validate" -l dir -r -a '(__fish_complete_directories)' -d 'Job directory'
complete -c cronq -n "__fish_seen_subcommand_from import" -l system -d 'System crontab format'
complete -c cronq -n "__fish_seen_subcommand_from add" -s f -l file -r -d 'A job in YAML'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a trigger -d 'Start a run now'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a stop -d 'Stop a run'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a runs -d 'List runs'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a logs -d 'Print a run\'s output'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a why -d 'Explain schedule slots'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a next -d 'Next fire times'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a status -d 'Summarise the daemon'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a top -d 'Watch and steer the daemon live'
complete -c cronq -n '__fish_seen_subcommand_from top' -s b -d 'Plain listing'
complete -c cronq -n '__fish_seen_subcommand_from top' -l no-color -d 'No colours'
complete -c cronq -n '__fish_seen_subcommand_from top' -s d -r -d 'Seconds between listings'
complete -c cronq -n '__fish_seen_subcommand_from top' -s n -r -d 'Number of listings'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a version -d 'Print the versions'
complete -c cronq -n "not __fish_seen_subcommand_from $cronq_cmds" -a help -d 'Show a command\'s usage'

complete -c cronq -n "__fish_seen_subcommand_from rm show pause resume history rollback edit trigger logs runs why" -a '(__cronq_jobs)'
complete -c cronq -n "__fish_seen_subcommand_from help" -a "$cronq_cmds"

complete -c cronq -n "__fish_seen_subcommand_from add" -l replace -d 'Replace a job of that name'
complete -c cronq -n "__fish_seen_subcommand_from add" -s s -l schedule -x -d 'Cron expression'
complete -c cronq -n "__fish_seen_subcommand_from add" -l tz -l timezone -x -d 'Time zone'
complete -c cronq -n "__fish_seen_subcommand_from add" -l timeout -x -d 'Run time limit'
complete -c cronq -n "__fish_seen_subcommand_from add" -l retries -x -d 'Extra attempts'
complete -c cronq -n "__fish_seen_subcommand_from add" -l concurrency -x -a 'allow forbid replace' -d 'Overlap policy'
complete -c cronq -n "__fish_seen_subcommand_from add" -l catchup -x -a 'skip once all' -d 'Missed slots policy'
complete -c cronq -n "__fish_seen_subcommand_from add" -s u -l user -x -a '(__fish_complete_users)' -d 'User to run as'
complete -c cronq -n "__fish_seen_subcommand_from add" -s e -l env -x -d 'Environment variable K=V'
complete -c cronq -n "__fish_seen_subcommand_from add" -s w -l workdir -x -a '(__fish_complete_directories)' -d 'Working directory'
complete -c cronq -n "__fish_seen_subcommand_from trigger" -l wait -d 'Wait for the last attempt'
complete -c cronq -n "__fish_seen_subcommand_from logs" -s f -l follow -d 'Follow the output'
complete -c cronq -n "__fish_seen_subcommand_from runs" -l state -x -a 'queued running retrying succeeded failed timed_out cancelled lost skipped' -d 'Run state'
complete -c cronq -n "__fish_seen_subcommand_from runs" -s n -l limit -x -d 'How many'
complete -c cronq -n "__fish_seen_subcommand_from why" -l at -x -d 'Time'
complete -c cronq -n "__fish_seen_subcommand_from why" -s n -x -d 'How many'
