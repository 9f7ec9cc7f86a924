package shell

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// pathOutput evaluates a command substitution that computes a path from
// what the analysis knows, so that a path built with it resolves like a
// literal one: pwd (every candidate working directory), git rev-parse
// --show-toplevel (Options.Repo, when every working directory is inside
// it), and dirname, basename, realpath and readlink -f of static
// arguments. It returns every candidate output, without the final newline.
func (a *analyzer) pathOutput(stmts []*syntax.Stmt) ([]string, bool) {
	if dir, ok := a.cdThenPwd(stmts); ok {
		return []string{dir}, true
	}
	if len(stmts) != 1 {
		return nil, false
	}
	s := stmts[0]
	c, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || s.Negated || s.Background || s.Coprocess || len(s.Redirs) > 0 || len(c.Assigns) > 0 || len(c.Args) == 0 {
		return nil, false
	}
	name, _, ok := plainWord(c.Args[0])
	if !ok {
		return nil, false
	}
	switch name {
	case "pwd", "git", "dirname", "basename", "realpath", "readlink", "mktemp":
	default:
		return nil, false // the common case: not a path command
	}
	args := make([][]string, 0, len(c.Args)-1)
	for _, w := range c.Args[1:] {
		r := a.resolve(w, modeArg)
		if r.dyn || r.glob || len(r.vals) == 0 {
			return nil, false
		}
		for _, v := range r.vals {
			if v == "" || strings.IndexByte(v, sepByte) >= 0 {
				return nil, false // no field, or several: not worth modelling
			}
		}
		args = append(args, r.vals)
	}
	opts, ops := splitOpts(args)
	switch name {
	case "mktemp":
		return mktempOutput(opts, ops)
	case "pwd":
		for _, o := range opts {
			if o != "-L" && o != "-P" {
				return nil, false
			}
		}
		if len(ops) > 0 || len(a.cwds) == 0 {
			return nil, false
		}
		return append([]string(nil), a.cwds...), true
	case "git":
		if len(args) != 2 || len(args[0]) != 1 || len(args[1]) != 1 ||
			args[0][0] != "rev-parse" || args[1][0] != "--show-toplevel" {
			return nil, false
		}
		return a.toplevel()
	case "dirname":
		if len(opts) > 0 || len(ops) != 1 {
			return nil, false
		}
		return mapValues(ops[0], dirname), true
	case "basename":
		if len(opts) > 0 || len(ops) == 0 || len(ops) > 2 {
			return nil, false
		}
		suffix := ""
		if len(ops) == 2 {
			if len(ops[1]) != 1 {
				return nil, false
			}
			suffix = ops[1][0]
		}
		return mapValues(ops[0], func(v string) string { return basename(v, suffix) }), true
	case "realpath", "readlink":
		canon := name == "realpath"
		for _, o := range opts {
			switch o {
			case "-f", "-e", "-m", "--canonicalize", "--canonicalize-existing", "--canonicalize-missing":
				canon = true
			case "-s", "-q", "-L", "-P", "-n", "-v", "--strip", "--no-symlinks", "--quiet", "--logical", "--physical", "--no-newline", "--silent", "--verbose":
			default:
				return nil, false
			}
		}
		if !canon || len(ops) != 1 || len(a.cwds) == 0 {
			return nil, false
		}
		// Lexically: whoever uses the path follows its links anyway.
		var out []string
		for _, cwd := range a.cwds {
			for _, v := range ops[0] {
				if len(out) == maxValues {
					return out, true
				}
				out = appendNew(out, CleanPath(cwd, v))
			}
		}
		return out, true
	}
	return nil, false
}

// cdThenPwd evaluates $(cd DIR && pwd) and $(cd DIR; pwd): DIR resolved
// against the one working directory, the way scripts find a directory.
func (a *analyzer) cdThenPwd(stmts []*syntax.Stmt) (string, bool) {
	var x, y *syntax.Stmt
	switch {
	case len(stmts) == 2:
		x, y = stmts[0], stmts[1]
	case len(stmts) == 1:
		b, ok := stmts[0].Cmd.(*syntax.BinaryCmd)
		if !ok || b.Op != syntax.AndStmt {
			return "", false
		}
		x, y = b.X, b.Y
	default:
		return "", false
	}
	cd, ok1 := x.Cmd.(*syntax.CallExpr)
	pwd, ok2 := y.Cmd.(*syntax.CallExpr)
	if !ok1 || !ok2 || len(cd.Args) != 2 || len(pwd.Args) != 1 || len(x.Redirs)+len(y.Redirs) > 0 {
		return "", false
	}
	if n, _, ok := plainWord(cd.Args[0]); !ok || n != "cd" {
		return "", false
	}
	if n, _, ok := plainWord(pwd.Args[0]); !ok || n != "pwd" {
		return "", false
	}
	r := a.resolve(cd.Args[1], modeArg)
	if r.dyn || r.glob || len(r.vals) != 1 || r.vals[0] == "" {
		return "", false
	}
	dir := r.vals[0]
	if !path.IsAbs(dir) {
		if len(a.cwds) != 1 {
			return "", false
		}
		dir = path.Join(a.cwds[0], dir)
	}
	return path.Clean(dir), true
}

// toplevel is the output of git rev-parse --show-toplevel: the repository
// root, when every candidate working directory is inside it.
func (a *analyzer) toplevel() ([]string, bool) {
	repo := a.opts.Repo
	if repo == "" || len(a.cwds) == 0 {
		return nil, false
	}
	repo = path.Clean(repo)
	for _, c := range a.cwds {
		if c != repo && !strings.HasPrefix(c, strings.TrimSuffix(repo, "/")+"/") {
			return nil, false
		}
	}
	return []string{repo}, true
}

// splitOpts separates options from operands (all operands after "--").
// Arguments with several candidate values are operands.
func splitOpts(args [][]string) (opts []string, ops [][]string) {
	for i, a := range args {
		if len(a) == 1 && a[0] == "--" {
			return opts, append(ops, args[i+1:]...)
		}
		if len(a) == 1 && len(a[0]) > 1 && a[0][0] == '-' {
			opts = append(opts, a[0])
			continue
		}
		ops = append(ops, a)
	}
	return opts, ops
}

func mapValues(vals []string, f func(string) string) []string {
	var out []string
	for _, v := range vals {
		out = appendNew(out, f(v))
	}
	return out
}

func appendNew(list []string, v string) []string {
	if contains(list, v) {
		return list
	}
	return append(list, v)
}

// dirname is POSIX dirname: trailing slashes do not count.
func dirname(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if s == "" {
			return "."
		}
		return "/"
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "."
	}
	d := strings.TrimRight(t[:i], "/")
	if d == "" {
		return "/"
	}
	return d
}

// basename is POSIX basename, removing suffix unless it is the whole name.
func basename(s, suffix string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if s == "" {
			return ""
		}
		return "/"
	}
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		t = t[i+1:]
	}
	if suffix != "" && t != suffix {
		t = strings.TrimSuffix(t, suffix)
	}
	return t
}

// mktempOutput is the name mktemp prints: a fresh name in /tmp (GNU's
// tmp.XXXXXXXXXX, or the template given). The X's stand for the random
// part; -p DIR and --suffix are not modelled.
func mktempOutput(opts []string, ops [][]string) ([]string, bool) {
	template := "tmp.XXXXXXXXXX"
	for _, o := range opts {
		switch o {
		case "-d", "--directory", "-q", "--quiet", "-u", "--dry-run", "-t":
		default:
			return nil, false // -p DIR, --suffix: not modelled
		}
	}
	if len(ops) > 1 {
		return nil, false
	}
	if len(ops) == 1 {
		if len(ops[0]) != 1 {
			return nil, false
		}
		template = ops[0][0]
		if strings.HasPrefix(template, "/") {
			return []string{template}, true
		}
		if strings.Contains(template, "/") {
			return nil, false // relative to the working directory: rare
		}
	}
	return []string{"/tmp/" + template}, true
}
