package engine

import (
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// commandFiles returns the file accesses of one simple command: its
// redirections, and the arguments the catalogue types as paths. A program
// the catalogue does not know may read any argument that looks like a path.
func commandFiles(c *shell.Command, call *catalog.Call) []fileAccess {
	var out []fileAccess
	via := "`" + c.Text + "`"
	for _, r := range c.Redirects {
		if r.Target.Dynamic && len(r.Target.Values) == 0 && !strings.HasPrefix(r.Op, "<<") {
			// < "$DIR/.env", xargs -a /proc/$PPID/environ: whatever the
			// expansion is, the literal part is what is read or written.
			if cand, ok := dynamicCandidate(r.Target.Raw); ok {
				if r.Read {
					out = append(out, fileAccess{raw: cand, access: policy.AccessRead, cwds: c.Cwds, glob: strings.Contains(cand, "*"), via: r.Op + " redirection in " + via})
				}
				if r.Write {
					out = append(out, fileAccess{raw: cand, access: policy.AccessWrite, cwds: c.Cwds, glob: strings.Contains(cand, "*"), via: r.Op + " redirection in " + via, redirect: true})
				}
			}
			continue
		}
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
	name := rowName(call)
	switch name {
	case "git":
		return append(out, gitFiles(c, call)...)
	case "tar":
		return append(out, tarFiles(c)...)
	case "dd":
		for _, w := range c.Args {
			v := firstValue(w)
			if in, ok := strings.CutPrefix(v, "if="); ok {
				out = append(out, fileAccess{raw: in, access: policy.AccessRead, cwds: c.Cwds, via: via})
			}
			if of, ok := strings.CutPrefix(v, "of="); ok {
				out = append(out, fileAccess{raw: of, access: policy.AccessWrite, cwds: c.Cwds, via: via})
			}
		}
		return out
	case "":
		// Anything else may read an argument that looks like a path; a
		// bare word is a subcommand or a name (vault secrets list).
		var pathy []shell.Word
		for _, w := range c.Args {
			if v := firstValue(w); strings.ContainsAny(v, "/.~") || w.Glob {
				pathy = append(pathy, w)
			}
		}
		return append(out, argAccesses(c, pathy, policy.AccessRead)...)
	}
	inPlace := call.Has(catalog.InPlace) || name == "awk" && optValue(call, "-i") == "inplace"
	for _, a := range call.Args {
		var accesses []policy.Access
		switch a.Kind {
		case catalog.Read, catalog.Script:
			accesses = []policy.Access{policy.AccessRead}
			if inPlace && a.Opt == nil {
				accesses = append(accesses, policy.AccessWrite)
			}
		case catalog.Write, catalog.Delete, catalog.Device:
			accesses = []policy.Access{policy.AccessWrite}
		case catalog.ReadWrite:
			accesses = []policy.Access{policy.AccessRead, policy.AccessWrite}
		case catalog.Maybe:
			if v := a.Value; strings.ContainsAny(v, "/.~") {
				accesses = []policy.Access{policy.AccessRead}
			}
		}
		for _, acc := range accesses {
			out = append(out, argAccesses(c, []shell.Word{argWord(c, a)}, acc)...)
		}
	}
	return out
}

// optValue returns the value given to the option named name, or "".
func optValue(call *catalog.Call, name string) string {
	for _, a := range call.Args {
		if a.Opt != nil && firstName(a.Opt.Names) == name {
			return a.Value
		}
	}
	return ""
}

// rowName is the canonical name of the call's program row, "" when unknown.
func rowName(call *catalog.Call) string {
	if call.Prog == nil {
		return ""
	}
	return call.Prog.Name()
}

// argWord is the shell word of a typed argument: the word itself, or for
// an attached option value (-oFILE, --out=FILE) a word of that value.
func argWord(c *shell.Command, a catalog.Arg) shell.Word {
	w := c.Args[a.Index]
	if !a.Attached {
		return w
	}
	return shell.Word{Raw: a.Value, Values: []string{a.Value}, Glob: w.Glob}
}

// argAccesses treats each argument (and the value of --opt=value, and the
// file of @file) as a possible path.
func argAccesses(c *shell.Command, args []shell.Word, access policy.Access) []fileAccess {
	var out []fileAccess
	for _, w := range args {
		if w.Dynamic && len(w.Values) == 0 {
			// cat "$DIR/.env": whatever DIR is, a file named .env is read.
			if cand, ok := dynamicCandidate(w.Raw); ok {
				out = append(out, fileAccess{raw: cand, access: access, cwds: c.Cwds, glob: strings.Contains(cand, "*"), via: "`" + c.Text + "`"})
			}
			continue
		}
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
			if _, file, ok := strings.Cut(v, "=@"); ok {
				v = file // gh api -F body=@FILE, curl -F f=@FILE
			}
			v = strings.TrimPrefix(v, "@")
			if v == "-" || strings.Contains(v, "://") || isNumber(v) {
				continue
			}
			out = append(out, fileAccess{raw: v, access: access, cwds: c.Cwds, glob: w.Glob, via: "`" + c.Text + "`"})
		}
	}
	return out
}

// dynamicCandidate turns a word whose value cannot be known into a glob
// of the paths it can name: quotes removed, each expansion ($X, ${X},
// $(...), `...`) a "*", and the shell's own process ids under /proc a pid
// (/proc/$$/cwd/.env is the session's .env). It reports false when no
// literal part is left to match.
func dynamicCandidate(raw string) (string, bool) {
	var b strings.Builder
	lit := false
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		switch {
		case ch == '"' || ch == '\'':
		case ch == '`':
			j := strings.IndexByte(raw[i+1:], '`')
			if j < 0 {
				return "", false
			}
			b.WriteByte('*')
			i += j + 1
		case ch == '$' && i+1 < len(raw):
			pid := strings.HasSuffix(b.String(), "/proc/")
			switch n := raw[i+1]; {
			case n == '(' || n == '{':
				close := byte(')')
				if n == '{' {
					close = '}'
				}
				depth := 0
				j := i + 1
				for ; j < len(raw); j++ {
					if raw[j] == n {
						depth++
					} else if raw[j] == close {
						depth--
						if depth == 0 {
							break
						}
					}
				}
				if j >= len(raw) {
					return "", false
				}
				name := raw[i+2 : j]
				i = j
				if pid && (name == "PPID" || name == "BASHPID") {
					b.WriteByte('1')
				} else {
					b.WriteByte('*')
				}
			case n == '$' || n == '!':
				i++
				if pid {
					b.WriteByte('1')
				} else {
					b.WriteByte('*')
				}
			default:
				j := i + 1
				for j < len(raw) && isIdentByte(raw[j]) {
					j++
				}
				name := raw[i+1 : j]
				i = j - 1
				if pid && (name == "PPID" || name == "BASHPID") {
					b.WriteByte('1')
				} else {
					b.WriteByte('*')
				}
			}
		default:
			b.WriteByte(ch)
			if ch != '/' && ch != '*' {
				lit = true
			}
		}
	}
	cand := b.String()
	for strings.Contains(cand, "**") {
		cand = strings.ReplaceAll(cand, "**", "*")
	}
	return cand, lit && cand != "" && !strings.HasSuffix(cand, "/*")
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

// gitFiles: git subcommands that print file contents read their path
// arguments (git show HEAD:.env, git log -p -- .env); option values typed
// as paths are read or written like any other.
func gitFiles(c *shell.Command, call *catalog.Call) []fileAccess {
	var out []fileAccess
	for _, a := range call.Args {
		v := a.Value
		access := policy.AccessRead
		switch a.Kind {
		case catalog.RevPath:
			v = revPath(v)
		case catalog.Read:
		case catalog.Write:
			access = policy.AccessWrite
		default:
			continue
		}
		w := argWord(c, a)
		// A pathspec is a glob to git (git log -p -- '**/.env*').
		glob := w.Glob || a.Kind == catalog.RevPath && strings.ContainsAny(v, "*?[")
		out = append(out, fileAccess{raw: strings.TrimPrefix(v, "./"), access: access, cwds: c.Cwds, glob: glob, via: "`" + c.Text + "`"})
	}
	return out
}

// revPath returns the path of REV:PATH (HEAD:.env), :PATH and :N:PATH
// (the index, at a merge stage), or v itself.
func revPath(v string) string {
	if rest, ok := strings.CutPrefix(v, ":"); ok {
		if len(rest) > 2 && rest[0] >= '0' && rest[0] <= '3' && rest[1] == ':' {
			return rest[2:]
		}
		return rest
	}
	if _, p, ok := strings.Cut(v, ":"); ok && p != "" {
		return p
	}
	return v
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
	var archive, dir *shell.Word
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
			if i+1 < len(c.Args) {
				dir = &c.Args[i+1]
			}
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
	} else if dir != nil {
		// Extracting writes into -C DIR (tar xf x.tar -C .github/workflows).
		out = append(out, argAccesses(c, []shell.Word{*dir}, policy.AccessWrite)...)
	}
	return out
}
