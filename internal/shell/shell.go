// Package shell turns a Bash command string into every simple command it
// would run, statically, using mvdan.cc/sh/v3/syntax as the parser.
//
// It knows shell semantics (lists, pipelines, substitutions, here-docs,
// nested `bash -c` strings, eval, wrappers such as sudo or xargs, cd, literal
// variable assignments, the output of echo, printf and of the commands that
// compute paths: pwd, git rev-parse --show-toplevel, dirname, basename,
// realpath) but nothing about policy: it never decides whether a command is
// dangerous. The engine does that with the Commands it returns.
// It never executes anything.
package shell

// Options tune an analysis. The zero value is usable.
type Options struct {
	// Cwd is the absolute directory the script starts in; relative cd targets
	// resolve against it. Empty means unknown.
	Cwd string
	// Home expands ~ and $HOME. Empty leaves them dynamic.
	Home string
	// Repo is the root of the git repository Cwd is in, the output of
	// $(git rev-parse --show-toplevel). Empty leaves it dynamic.
	Repo string
	// Env holds other variables whose values are known (for example USER).
	Env map[string]string
	// MaxDepth bounds nested shells (bash -c, eval, here-docs fed to a shell).
	// Zero means 8. Beyond it the nested script is reported as a Dynamic command.
	MaxDepth int
}

// Analysis is the result of Analyze.
type Analysis struct {
	// Commands lists every simple command that could run, in source order,
	// including those nested in substitutions, functions and -c strings.
	Commands []Command
	// ParseError is set when the script (or a nested one) does not parse;
	// Commands then holds what could be recovered, possibly nothing.
	ParseError error
}

// Command is one simple command after wrappers are unwrapped.
type Command struct {
	// Program is the base name of the program that runs ("curl" for
	// /usr/bin/curl or c\url); empty when Dynamic.
	Program string
	// Args are the arguments after the program (Argv[1:]).
	Args []Word
	// Name is the program word as written (for /usr/bin/curl, "/usr/bin/curl").
	Name Word
	// Dynamic is true when the program cannot be known statically
	// ($X with X unknown, $(...) as program, eval or bash -c of a
	// non-literal string, nesting deeper than MaxDepth).
	Dynamic bool
	// Via lists the wrappers and contexts this command was reached through,
	// outermost first: "sudo", "env", "xargs", "find -exec", "bash -c",
	// "eval", "here-doc", "pipe", "$(...)", "function f", "watch", ...
	//
	// Labels used: a wrapper's base name ("sudo", "nohup", "busybox");
	// "SHELL -c" for -c strings, with the shell as written ("sh -c");
	// "SHELL here-doc", "SHELL here-string" and "SHELL pipe" for a script a
	// shell reads on stdin; "sudo -s", "sudo -i", "su -c", "runuser -c",
	// "script -c", "flock -c", "env -S", "eval", "watch", "parallel",
	// "trap", "alias NAME"; "find -exec" (or -execdir, -ok, -okdir);
	// "$(...)" (also for backticks), "<(...)", ">(...)"; "function NAME",
	// "time", "coproc". A Command with no Program carrying redirections
	// names the compound they are attached to: "group", "subshell", "if",
	// "while", "until", "for", "select", "case", "((...))", "[[...]]",
	// "exec". A Dynamic command's last label may give the reason: "parse
	// error", "max depth", "analysis budget", "nesting too deep", "script
	// too large", "truncated" or "internal error".
	Via []string
	// Assigns are the prefix assignments (FOO=1 in FOO=1 rm -rf /) and
	// those of env (env FOO=1 cmd), outermost first, with env -u NAME as
	// an assignment that unsets.
	Assigns []Assign
	// Redirects are the file redirections applied to this command.
	Redirects []Redirect
	// Stdin describes a here-doc, here-string or literal pipe feeding this
	// command, when its text is statically known (for interpreters).
	Stdin *Text
	// StdinFromPipe is true when another command's output is piped in.
	StdinFromPipe bool
	// Cwds are the absolute working directories the command may run in
	// (more than one after a cd whose taking effect depends on control flow).
	// Empty when Options.Cwd is empty.
	Cwds []string
	// Text is the command re-printed from its words, for reasons and rules:
	// Program followed by each argument's first value (Raw when Dynamic),
	// single-spaced, quoted only where a value needs it.
	Text string
	// Written is the whole simple command as written, prefix assignments
	// and wrappers included, re-printed from its raw words with single
	// spaces ("sudo -u root  rm -rf /" is "sudo -u root rm -rf /"). Commands
	// reached through find -exec, xargs or a wrapper share the Written of
	// the simple command that contains them; nested scripts (bash -c,
	// eval) have the Written of their own simple command.
	Written string
	// Line and Col locate the command in the outermost script (1-based).
	Line, Col int
}

// Assign is one environment assignment made for a command.
type Assign struct {
	Name  string
	Value Word
	// Unset is true for env -u NAME: the variable is removed.
	Unset bool
}

// Text is statically known input text (a here-doc body or literal pipe).
type Text struct {
	Value   string
	Dynamic bool // parts of it were not statically known
}

// Word is one argument as the shell would expand it, as far as can be known.
type Word struct {
	// Raw is the word as written in the source.
	Raw string
	// Values are the possible literal values after quote removal, ~ and known
	// variable expansion, brace expansion and echo/printf substitutions.
	// Usually one. Empty when Dynamic and nothing could be resolved.
	Values []string
	// Dynamic is true when some part cannot be known statically.
	Dynamic bool
	// Glob is true when the word contains unquoted glob characters (* ? [).
	Glob bool
	// Subst is true when the word contains a command or process substitution.
	Subst bool
	// Refs are the variables the word reads by another name: the target
	// of ${!name} or of a nameref (declare -n r=GITHUB_TOKEN; "$r").
	Refs []string
}

// Redirect is one redirection of a command.
type Redirect struct {
	Op     string // as written: <, >, >>, <>, &>, &>>, >|, <<<, <<, <<-
	Fd     string // explicit fd or "" (2 in 2>file)
	Read   bool   // the target file is read (<, <>)
	Write  bool   // the target file is written (>, >>, &>, <>, >|)
	Target Word   // the file; for here-docs and here-strings, Values hold the text
}
