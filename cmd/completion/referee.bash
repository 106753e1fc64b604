# bash completion for referee: verbs, each verb's options, files.
# The verbs and options are read from the program's own --help, so the
# completion never lags behind a new verb or option.
# Installed by `make install` as $(DATADIR)/bash-completion/completions/referee.

_referee()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local prog=${words[0]}

	if [ "$cword" -eq 1 ]; then
		local verbs
		verbs=$("$prog" --help 2>/dev/null | awk '/^verbs:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
		COMPREPLY=($(compgen -W "$verbs --help --version" -- "$cur"))
		return
	fi
	local verb=${words[1]}
	case $prev in
	--replay) COMPREPLY=($(compgen -W "full skip" -- "$cur")); return ;;
	--device) COMPREPLY=($(compgen -W "cpu cuda" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		local opts
		opts=$("$prog" "$verb" --help 2>/dev/null | grep -oE -- '(^|[][ |,])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[][ |,]//' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
	compopt -o filenames 2>/dev/null
}
complete -F _referee referee
