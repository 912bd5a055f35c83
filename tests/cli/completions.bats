#!/usr/bin/env bats
# The bash, zsh and fish completions offer every command and every option
# that `cronq help` documents, so an option cannot ship without them; and
# each file at least parses in its shell where that shell is installed.

setup() {
	: "${CRONQ:=$top_builddir/cronq}"
	C="${top_srcdir:-.}/completions"
}

# The commands `cronq help` lists, one per line.
commands() {
	"$CRONQ" help 2>&1 | sed -n 's/^  \([a-z]\+\) .*/\1/p'
}

# The options (--long and -x) in the usage line of command $1.
options() {
	"$CRONQ" help "$1" 2>&1 | sed -n '1p' |
		grep -oE '(^|[[ |])--?[a-z][a-z-]*' | sed 's/^[[ |]//' | sort -u
}

@test "every command is completed in bash, zsh and fish" {
	n=0
	for c in $(commands); do
		n=$((n + 1))
		grep -Eq "^[[:space:]]*local commands=\".*\\b$c\\b" "$C/cronq.bash" ||
			{ echo "bash lacks $c"; false; }
		grep -Eq "^[[:space:]]*'$c:" "$C/_cronq" ||
			{ echo "zsh lacks $c"; false; }
		grep -Eq "^set -l cronq_cmds .*\\b$c\\b" "$C/cronq.fish" ||
			{ echo "fish lacks $c"; false; }
	done
	[ "$n" -ge 20 ]
}

@test "every documented option is completed in bash, zsh and fish" {
	n=0
	for c in $(commands); do
		for o in $(options "$c"); do
			n=$((n + 1))
			grep -Fq -- "$o" "$C/cronq.bash" ||
				{ echo "bash lacks $c $o"; false; }
			grep -Eq -- "'(\\([^)]*\\))?(\\*)?$o(\\[|=)|[{,]$o[,}]" "$C/_cronq" ||
				{ echo "zsh lacks $c $o"; false; }
			case $o in
			--*) want="-l ${o#--}( |$)" ;;
			*) want="-s ${o#-}( |$)" ;;
			esac
			grep -E "__fish_seen_subcommand_from [^\"']*\\b$c\\b" "$C/cronq.fish" |
				grep -Eq -- "$want" ||
				{ echo "fish lacks $c $o"; false; }
		done
	done
	[ "$n" -ge 50 ]
}

@test "the completion files parse in their shells" {
	bash -n "$C/cronq.bash"
	if command -v zsh >/dev/null; then zsh -n "$C/_cronq"; fi
	if command -v fish >/dev/null; then fish -n "$C/cronq.fish"; fi
}
