# bash completion for cronq(1)                             -*- shell-script -*-
# SPDX-License-Identifier: ISC

# Job and group names come from the daemon the command line names; a
# daemon that does not answer just gives no names.
_cronq_jobs()
{
	_cronq_names ls
}

_cronq_groups()
{
	_cronq_names groups
}

# The "name" fields of `cronq --json $1`.
_cronq_names()
{
	local -a g=()
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		--socket | --host | --token | --cacert)
			g+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
			;;
		esac
	done
	cronq "${g[@]}" --json "$1" 2>/dev/null |
		sed -n 's/^[[:space:]]*"name":[[:space:]]*"\([^"]*\)".*/\1/p'
}

_cronq()
{
	local cur prev words cword
	_init_completion || return

	local commands="add rm ls show pause resume history rollback edit validate import trigger stop runs logs notifications why next groups status top token audit version help"
	local i cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--socket | --host | --token | --cacert) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		--socket | --cacert) _filedir; return ;;
		--host | --token) return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --socket --host --token --cacert --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	case $cmd in
	add)
		case $prev in
		--concurrency) COMPREPLY=($(compgen -W "allow forbid replace" -- "$cur")); return ;;
		--catchup) COMPREPLY=($(compgen -W "skip once all" -- "$cur")); return ;;
		--user | -u) COMPREPLY=($(compgen -u -- "$cur")); return ;;
		--workdir | -w) _filedir -d; return ;;
		--tz | --timezone)
			COMPREPLY=($(cd /usr/share/zoneinfo 2>/dev/null && compgen -f -- "$cur"))
			return ;;
		-f | --file) _filedir '@(yaml|yml)'; return ;;
		--read-only-path | --read-write-path) _filedir -d; return ;;
		--ioprio) COMPREPLY=($(compgen -W "idle best-effort realtime" -- "$cur")); return ;;
		--rlimit)
			compopt -o nospace 2>/dev/null
			COMPREPLY=($(compgen -W "cpu= memory= nofile= nproc= fsize= core=" -- "$cur"))
			return ;;
		--seccomp-default) COMPREPLY=($(compgen -W "deny-list none" -- "$cur")); return ;;
		--seccomp-action) COMPREPLY=($(compgen -W "errno kill" -- "$cur")); return ;;
		-s | --schedule | --timeout | --retries | --env | -e | --nice | \
		--memory-max | --pids-max | --cpu-max | --seccomp-deny | \
		--seccomp-allow) return ;;
		esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--file --schedule --tz --timeout --retries --concurrency --catchup --user --env --workdir --nice --ioprio --rlimit --private-tmp --protect-system --no-network --read-only-path --read-write-path --memory-max --pids-max --cpu-max --seccomp-default --seccomp-action --seccomp-deny --seccomp-allow --replace --detach --help" -- "$cur"))
		;;
	validate)
		[[ $prev == --dir ]] && { _filedir -d; return; }
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--dir --help" -- "$cur")) ||
			_filedir '@(yaml|yml)'
		;;
	import)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--system --help" -- "$cur")) ||
			_filedir
		;;
	rm | pause | resume | rollback | edit)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--detach --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur"))
		;;
	show | history)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur"))
		;;
	token)
		if [[ $prev == token ]]; then
			COMPREPLY=($(compgen -W "create ls revoke" -- "$cur"))
		elif [[ $prev == --scope ]]; then
			COMPREPLY=($(compgen -W "read read,trigger read,trigger,write read,trigger,write,admin" -- "$cur"))
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--scope --expires --name --help" -- "$cur"))
		fi
		;;
	audit)
		case $prev in
		--job) COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur")); return ;;
		--status) COMPREPLY=($(compgen -W "denied 2xx 4xx 5xx 401 403 429" -- "$cur")); return ;;
		--since | --until | --principal | --limit) return ;;
		esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--since --until --job --principal --status --limit --help" -- "$cur"))
		;;
	trigger)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--wait --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur"))
		;;
	logs)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--follow --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur"))
		;;
	runs)
		case $prev in
		--state) COMPREPLY=($(compgen -W "queued running retrying succeeded failed timed_out cancelled lost skipped" -- "$cur")); return ;;
		--limit | -n) return ;;
		esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--state --limit --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur"))
		;;
	notifications)
		case $prev in --limit | -n) return ;; esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--limit --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur"))
		;;
	groups)
		if [[ $prev == groups ]]; then
			COMPREPLY=($(compgen -W "ls set reset" -- "$cur"))
		elif [[ $prev == set || $prev == reset ]]; then
			COMPREPLY=($(compgen -W "$(_cronq_groups)" -- "$cur"))
		fi
		;;
	why)
		case $prev in --at | -n) return ;; esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--at --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_cronq_jobs)" -- "$cur"))
		;;
	next)
		case $prev in
		--tz)
			COMPREPLY=($(cd /usr/share/zoneinfo 2>/dev/null && compgen -f -- "$cur"))
			return ;;
		--from | -n) return ;;
		esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--explain --tz --from -n --help" -- "$cur"))
		;;
	top)
		case $prev in -d | -n) return ;; esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "-b --no-color -d -n --help" -- "$cur"))
		;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		;;
	*)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--help" -- "$cur"))
		;;
	esac
} &&
	complete -F _cronq cronq
