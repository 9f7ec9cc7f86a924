package engine

import (
	"strings"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// dataPrograms never read their arguments as files: echo prints them, ls
// and stat show names and metadata, mkdir/touch/rm create or remove without
// reading. Their arguments are data, which is what keeps `echo .env` or
// `git commit -m "cat .env"` from being flagged.
var dataPrograms = set("echo", "printf", "true", "false", "test", "[", "[[", ":", "sleep", "date",
	"kill", "pkill", "pgrep", "which", "type", "command", "hash", "export", "unset", "alias",
	"unalias", "cd", "pushd", "popd", "dirs", "set", "shopt", "read", "exit", "return", "mkdir",
	"rmdir", "touch", "chmod", "chown", "chgrp", "ls", "ll", "la", "dir", "stat", "du", "df", "basename",
	"dirname", "realpath", "readlink", "mktemp", "seq", "yes", "nproc", "uname", "whoami", "id",
	"hostname", "ps", "top", "htop", "jobs", "wait", "history", "clear", "tput", "local", "declare",
	"typeset", "readonly", "let", "eval", "exec", "trap", "shift", "getopts", "umask", "ulimit",
	"go", "cargo", "rustc", "rustup", "npm", "pnpm", "yarn", "bun", "make", "cmake", "ninja", "mvn", "gradle",
	"javac", "java", "tsc", "eslint", "prettier", "black", "ruff", "mypy", "pytest", "tox", "nox",
	"gofmt", "goimports", "golangci-lint", "staticcheck", "clippy-driver", "rustfmt", "jest", "vitest",
	"mocha", "rm", "git", "gh", "docker", "kubectl", "helm", "terraform", "tofu", "pulumi", "watch", "timeout",
	"nice", "nohup", "time", "env", "xargs", "find", "fd", "tree", "file", "wc", "lsof", "whereis",
	"code", "open", "xdg-open", "say", "notify-send", "tmux", "screen")

// Programs whose first positional argument is a pattern or program text,
// not a file (unless given with -e/-f).
var patternFirst = set("grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "gawk", "mawk", "nawk", "perl", "jq", "yq")

// recursiveReaders read whole directory trees when given a recursive flag.
var recursiveReaders = map[string]byte{"grep": 'r', "egrep": 'r', "fgrep": 'r', "cp": 'r', "zip": 'r', "scp": 'r', "rsync": 'r'}

// commandFiles returns the file accesses of one simple command: its
// redirections, and the arguments it reads or writes.
func commandFiles(c *shell.Command) []fileAccess {
	var out []fileAccess
	via := "`" + c.Text + "`"
	for _, r := range c.Redirects {
		for _, v := range wordValues(r.Target) {
			if r.Read {
				out = append(out, fileAccess{raw: v, access: policy.AccessRead, cwds: c.Cwds, glob: r.Target.Glob, via: r.Op + " redirection in " + via})
			}
			if r.Write {
				out = append(out, fileAccess{raw: v, access: policy.AccessWrite, cwds: c.Cwds, glob: r.Target.Glob, via: r.Op + " redirection in " + via, redirect: true})
			}
		}
	}
	if c.Program == "" || c.Dynamic {
		// A dynamic program may read any of its arguments.
		if c.Dynamic {
			out = append(out, argAccesses(c, c.Args, policy.AccessRead)...)
		}
		return out
	}
	prog := normProgram(c.Program)
	args := c.Args
	switch {
	case prog == "git":
		return append(out, gitFiles(c)...)
	case prog == "tar":
		return append(out, tarFiles(c)...)
	case prog == "tee":
		return append(out, argAccesses(c, args, policy.AccessWrite)...)
	case prog == "cp" || prog == "mv" || prog == "install" || prog == "ln" || prog == "rsync" || prog == "scp":
		return append(out, copyFiles(c, prog)...)
	case prog == "dd":
		for _, w := range args {
			v := firstValue(w)
			if in, ok := strings.CutPrefix(v, "if="); ok {
				out = append(out, fileAccess{raw: in, access: policy.AccessRead, cwds: c.Cwds, via: via})
			}
			if of, ok := strings.CutPrefix(v, "of="); ok {
				out = append(out, fileAccess{raw: of, access: policy.AccessWrite, cwds: c.Cwds, via: via})
			}
		}
		return out
	case prog == "touch" || prog == "rm" || prog == "truncate" || prog == "mkdir" || prog == "rmdir" || prog == "unlink" || prog == "shred":
		// These change the named files without reading them.
		return append(out, argAccesses(c, args, policy.AccessWrite)...)
	case prog == "source" || prog == ".":
		if len(args) > 0 {
			out = append(out, argAccesses(c, args[:1], policy.AccessRead)...)
		}
		return out
	case patternFirst[prog]:
		pa := parsePatternArgs(prog, args)
		out = append(out, argAccesses(c, pa.operands, policy.AccessRead)...)
		out = append(out, argAccesses(c, pa.files, policy.AccessRead)...)
		if (prog == "sed" || prog == "perl") && hasInPlace(argv(c)) {
			out = append(out, argAccesses(c, pa.operands, policy.AccessWrite)...)
		}
		return out
	case dataPrograms[prog]:
		return out
	case readerPrograms[prog] || interpreterPrograms[prog] || shellPrograms[prog]:
		return append(out, argAccesses(c, args, policy.AccessRead)...)
	}
	// Anything else may read an argument that looks like a path; a bare
	// word is a subcommand or a name (vault secrets list).
	var pathy []shell.Word
	for _, w := range args {
		if v := firstValue(w); strings.ContainsAny(v, "/.~") || w.Glob {
			pathy = append(pathy, w)
		}
	}
	return append(out, argAccesses(c, pathy, policy.AccessRead)...)
}

// readerPrograms read the files named by their arguments.
var readerPrograms = set("cat", "tac", "nl", "less", "more", "most", "head", "tail", "base64", "base32",
	"basenc", "xxd", "od", "hexdump", "hd", "strings", "cut", "paste", "sort", "uniq", "diff", "diff3",
	"sdiff", "cmp", "comm", "md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum",
	"cksum", "b2sum", "sum", "bat", "batcat", "view", "vim", "vi", "nvim", "nano", "emacs", "ed", "ex",
	"pico", "micro", "openssl", "gpg", "age", "zip", "gzip", "gunzip", "bzip2", "xz", "zstd", "7z", "cpio",
	"iconv", "dos2unix", "unix2dos", "fold", "fmt", "pr", "column", "rev", "expand", "unexpand", "split",
	"csplit", "shuf", "look", "xclip", "xsel", "pbcopy", "wl-copy", "uuencode", "zcat", "bzcat", "xzcat",
	"lz4", "sqlite3", "file", "exiftool", "qrencode", "ln", "sops", "envsubst", "dotenv")

// interpreterPrograms run the script file they are given.
var interpreterPrograms = set("python", "node", "ruby", "perl", "php", "deno", "bun", "lua", "Rscript", "pwsh", "powershell", "osascript", "tclsh", "ts-node", "tsx")

func hasInPlace(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		// -i, -i.bak, --in-place, and clusters such as -pi or -ni.
		if strings.HasPrefix(a, "--in-place") || len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'i') {
			return true
		}
	}
	return false
}

// patternArgs are the operands of a pattern-first program (grep, sed, awk,
// jq...), read from its arguments.
type patternArgs struct {
	operands []shell.Word // the files (or, recursive, directories) it reads
	files    []shell.Word // pattern or program files (-f FILE, --file=FILE, jq --slurpfile NAME FILE)
	include  []string     // --include globs: a recursive read covers only these names
	exclude  []string     // --exclude/--exclude-dir globs: a recursive read skips these
}

// Options of pattern-first programs whose next word is data, not a path
// (-e PATTERN, awk -v var=value, jq --arg NAME VALUE), by how many words.
// They differ by program: grep's -v is a flag, awk's takes a value.
var (
	commonDataOpts  = map[string]int{"-e": 1, "--regexp": 1, "--expression": 1}
	patternDataOpts = map[string]map[string]int{
		"grep": {"-m": 1, "--max-count": 1, "-A": 1, "-B": 1, "-C": 1, "--label": 1},
		"rg":   {"-m": 1, "--max-count": 1, "-A": 1, "-B": 1, "-C": 1, "-g": 1, "--glob": 1, "-t": 1, "--type": 1},
		"awk":  {"-v": 1, "-F": 1},
		"jq":   {"--arg": 2, "--argjson": 2, "--indent": 1},
		"yq":   {"--arg": 2, "--argjson": 2, "--indent": 1},
	}
)

// parsePatternArgs reads the arguments of a pattern-first program: option
// values are never paths (grep -e .env src/ searches for the text .env),
// -f/--file name files, --include/--exclude narrow a recursive read, and the
// first operand is the pattern or program unless -e or -f gave it.
func parsePatternArgs(prog string, args []shell.Word) patternArgs {
	switch prog {
	case "egrep", "fgrep":
		prog = "grep"
	case "gawk", "mawk", "nawk":
		prog = "awk"
	}
	var pa patternArgs
	explicit, skippedPattern, dashdash := false, false, false
	for _, w := range args {
		switch v := firstValue(w); {
		case v == "-e" || v == "-f" || strings.HasPrefix(v, "--regexp") || strings.HasPrefix(v, "--file") || strings.HasPrefix(v, "--expression") ||
			strings.HasPrefix(v, "-e") && len(v) > 2 && !strings.HasPrefix(v, "--"):
			explicit = true
		case v == "--":
		}
	}
	for i := 0; i < len(args); i++ {
		w := args[i]
		v := firstValue(w)
		if !dashdash && strings.HasPrefix(v, "-") && len(v) > 1 {
			if v == "--" {
				dashdash = true
				continue
			}
			name, val, hasVal := strings.Cut(v, "=")
			switch {
			case name == "-f" || name == "--file" || name == "--exclude-from" || name == "--include-from":
				if hasVal {
					pa.files = append(pa.files, shell.Word{Raw: val, Values: []string{val}})
				} else if i+1 < len(args) {
					pa.files = append(pa.files, args[i+1])
					i++
				}
			case name == "--slurpfile" || name == "--rawfile":
				if i+2 < len(args) {
					pa.files = append(pa.files, args[i+2])
					i += 2
				}
			case name == "--include" || name == "--exclude" || name == "--exclude-dir" || name == "--include-dir":
				if !hasVal && i+1 < len(args) {
					val = firstValue(args[i+1])
					i++
				}
				val = strings.Trim(val, `'"`)
				if name == "--include" {
					pa.include = append(pa.include, val)
				} else {
					pa.exclude = append(pa.exclude, val)
				}
			case !hasVal && commonDataOpts[name] > 0:
				i += commonDataOpts[name]
			case !hasVal && patternDataOpts[prog][name] > 0:
				i += patternDataOpts[prog][name]
			}
			continue // other options and their attached values are not paths
		}
		if !skippedPattern && !explicit {
			skippedPattern = true
			continue
		}
		pa.operands = append(pa.operands, w)
	}
	return pa
}

// argAccesses treats each argument (and the value of --opt=value, and the
// file of @file) as a possible path.
func argAccesses(c *shell.Command, args []shell.Word, access policy.Access) []fileAccess {
	var out []fileAccess
	for _, w := range args {
		for _, v := range wordValues(w) {
			if v == "" || v == "-" || v == "--" {
				continue
			}
			if strings.HasPrefix(v, "-") {
				if _, val, ok := strings.Cut(v, "="); ok && val != "" {
					v = val
				} else {
					continue
				}
			}
			v = strings.TrimPrefix(v, "@")
			if strings.Contains(v, "://") || isNumber(v) {
				continue
			}
			out = append(out, fileAccess{raw: v, access: access, cwds: c.Cwds, glob: w.Glob, via: "`" + c.Text + "`"})
		}
	}
	return out
}

func wordValues(w shell.Word) []string {
	if len(w.Values) > 0 {
		return w.Values
	}
	if w.Dynamic {
		return nil
	}
	return []string{w.Raw}
}

// copyFiles: every operand but the last is read, the last is written
// (or the -t/--target-directory operand).
func copyFiles(c *shell.Command, prog string) []fileAccess {
	var ops []shell.Word
	var target *shell.Word
	for i := 0; i < len(c.Args); i++ {
		v := firstValue(c.Args[i])
		switch {
		case v == "-t" && i+1 < len(c.Args):
			target = &c.Args[i+1]
			i++
		case strings.HasPrefix(v, "--target-directory="):
			w := shell.Word{Raw: v, Values: []string{strings.TrimPrefix(v, "--target-directory=")}}
			target = &w
		case strings.HasPrefix(v, "-") && len(v) > 1:
		default:
			ops = append(ops, c.Args[i])
		}
	}
	if target == nil && len(ops) > 1 {
		target = &ops[len(ops)-1]
		ops = ops[:len(ops)-1]
	}
	var out []fileAccess
	read := policy.AccessRead
	out = append(out, argAccesses(c, ops, read)...)
	if prog == "mv" {
		out = append(out, argAccesses(c, ops, policy.AccessWrite)...) // the source disappears
	}
	if target != nil {
		out = append(out, argAccesses(c, []shell.Word{*target}, policy.AccessWrite)...)
	}
	return out
}

// gitFiles: git subcommands that print file contents read their path
// arguments (git show HEAD:.env, git diff -- .env); the rest leave files be.
func gitFiles(c *shell.Command) []fileAccess {
	args := argv(c)
	sub, _ := subcommand(args, "-C", "-c", "--git-dir", "--work-tree", "--namespace")
	switch sub {
	case "show", "diff", "log", "blame", "annotate", "cat-file", "grep", "archive", "format-patch", "difftool":
	default:
		return nil
	}
	var out []fileAccess
	after := false
	for i, w := range c.Args {
		v := firstValue(w)
		if v == sub && !after {
			after = true
			continue
		}
		if !after || strings.HasPrefix(v, "-") {
			continue
		}
		if _, p, ok := strings.Cut(v, ":"); ok && p != "" {
			v = p // rev:path
		}
		out = append(out, fileAccess{raw: v, access: policy.AccessRead, cwds: c.Cwds, glob: c.Args[i].Glob, via: "`" + c.Text + "`"})
	}
	return out
}

func isNumber(s string) bool {
	return strings.ContainsAny(s, "0123456789") && strings.Trim(s, "0123456789.:") == ""
}

// tarFiles reads tar's operands: the archive of -f (or f in an old-style
// first argument such as czf) is written when creating and read otherwise;
// the member operands are read when creating.
func tarFiles(c *shell.Command) []fileAccess {
	args := argv(c)
	create := tarCreates(args)
	var archive *shell.Word
	var members []shell.Word
	for i := 0; i < len(c.Args); i++ {
		a := args[i]
		switch {
		case i == 0 && !strings.HasPrefix(a, "-") && a != "" && strings.Trim(a, "AcdrtuxzjJvfpPkWOSmlhoZ") == "":
			if strings.ContainsRune(a, 'f') && i+1 < len(c.Args) {
				archive = &c.Args[i+1]
				i++
			}
		case a == "-f" || a == "--file":
			if i+1 < len(c.Args) {
				archive = &c.Args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--file="):
			w := shell.Word{Raw: a, Values: []string{strings.TrimPrefix(a, "--file=")}}
			archive = &w
		case a == "-C" || a == "--directory":
			i++
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.HasSuffix(a, "f") && i+1 < len(c.Args):
			archive = &c.Args[i+1]
			i++
		case strings.HasPrefix(a, "-"):
		default:
			members = append(members, c.Args[i])
		}
	}
	var out []fileAccess
	if archive != nil && firstValue(*archive) != "-" {
		access := policy.AccessRead
		if create {
			access = policy.AccessWrite
		}
		out = append(out, argAccesses(c, []shell.Word{*archive}, access)...)
	}
	if create {
		out = append(out, argAccesses(c, members, policy.AccessRead)...)
	}
	return out
}
