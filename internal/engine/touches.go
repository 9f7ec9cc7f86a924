package engine

import (
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// Touched is what a Bash command reads, writes and runs, as the engine's
// analysis of each simple command sees it: the same shell analysis
// (wrappers, cd, nested -c strings) and the same typing of operands by the
// catalogue (commandFiles) that Decide judges paths by. It is the evidence
// of a run record, not a decision: nothing here is matched against rules.
type Touched struct {
	// Reads and Writes are the paths the command reads and writes (a path
	// both read and written in place, as by sed -i, is in both), in the
	// order written, each once. A relative path is resolved against the
	// command's working directory (after its own cd) when one is known,
	// else kept as written, cleaned. A glob stays a glob: nothing is
	// expanded.
	Reads  []string
	Writes []string
	// Unknown lists the programs the catalogue does not model (their path
	// operands are a guess: any argument that looks like a path counts as
	// read) and, as "(dynamic)", commands whose program cannot be known
	// before they run. Empty when every program is modelled.
	Unknown []string
	// Tests lists the simple commands that run a test suite (go test,
	// pytest, npm test, cargo test, ...), by the catalogue's test table
	// (catalog.RunsTests), as re-printed by the shell analysis.
	Tests []string
}

// Touches analyses a Bash command run in cwd (home expands ~) with
// Warden's built-in catalogue. It is pure: it reads no file and no
// clock, so the hook and the server analysing the same command get the
// same answer.
func Touches(command, cwd, home string) Touched {
	return touches(catalog.Builtin(), command, cwd, home)
}

// Touches is the package function with this engine's catalogue (the
// built-in one plus the policy's members).
func (e *Engine) Touches(command, cwd, home string) Touched {
	return touches(e.catalog(), command, cwd, home)
}

// dynamicProgram is Touched.Unknown's entry for a program that cannot be
// known before the command runs.
const dynamicProgram = "(dynamic)"

func touches(cat *catalog.Catalog, command, cwd, home string) Touched {
	return touchesOf(cat, shell.Analyze(command, shell.Options{Cwd: cwd, Home: home}), cwd, home)
}

// touchesOf is Touched from a command's shell analysis: Decide passes the
// one it decides by.
func touchesOf(cat *catalog.Catalog, an shell.Analysis, cwd, home string) Touched {
	var t Touched
	env := &pathEnv{cwd: cwd, home: home}
	reads, writes := map[string]bool{}, map[string]bool{}
	add := func(list *[]string, seen map[string]bool, p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			*list = append(*list, p)
		}
	}
	for i := range an.Commands {
		c := &an.Commands[i]
		call := catalog.Call{Exec: -1, DashDash: -1}
		if c.Program != "" && !c.Dynamic {
			call = catalog.Parse(cat.Lookup(c.Program), c.Program, argv(c))
		}
		switch {
		case c.Dynamic:
			if !slices.Contains(t.Unknown, dynamicProgram) {
				t.Unknown = append(t.Unknown, dynamicProgram)
			}
		case c.Program != "" && call.Prog == nil && !definedFunction(an.Commands, c.Program):
			if !slices.Contains(t.Unknown, c.Program) {
				t.Unknown = append(t.Unknown, c.Program)
			}
		}
		if c.Program != "" && !c.Dynamic && catalog.RunsTests(cat, c.Program, argv(c)) {
			t.Tests = append(t.Tests, c.Text)
		}
		files := commandFiles(c, &call)
		for _, root := range searchRoots(c, &call) {
			files = append(files, fileAccess{raw: root, access: policy.AccessRead})
		}
		revs := gitRevisions(&call)
		for _, fa := range files {
			if revs[fa.raw] && !fa.redirect {
				continue
			}
			p := touchedPath(env, fa, c)
			if p == "" || ignoredPath(p) {
				continue
			}
			switch fa.access {
			case policy.AccessRead:
				add(&t.Reads, reads, p)
			case policy.AccessWrite:
				add(&t.Writes, writes, p)
			}
		}
	}
	return t
}

// gitRevisions are the operands of a git call that name revisions, not
// files: before a "--" that ends them, or, without one, words with no
// path in them (git show HEAD, git log main). The engine reads every
// such operand as a possible path, which is right for deciding (git show
// .env is a read of .env) but would list HEAD as a file inspected.
func gitRevisions(call *catalog.Call) map[string]bool {
	if rowName(call) != "git" {
		return nil
	}
	var out map[string]bool
	for _, a := range call.Args {
		if a.Kind != catalog.RevPath || a.Opt != nil || strings.Contains(a.Value, ":") {
			continue
		}
		rev := call.DashDash >= 0 && a.Index < call.DashDash ||
			call.DashDash < 0 && !strings.ContainsAny(a.Value, "./")
		if rev {
			if out == nil {
				out = map[string]bool{}
			}
			out[strings.TrimPrefix(a.Value, "./")] = true
		}
	}
	return out
}

// searchRoots are the directories a search reads whole: find's starting
// points and the operands of grep -r (the working directory without
// one). The engine judges them file by file (recursiveReads,
// findSecrets); a record names the directory.
func searchRoots(c *shell.Command, call *catalog.Call) []string {
	switch rowName(call) {
	case "find":
		return positionalsBefore(argv(c))
	case "grep":
		if !call.Has(catalog.Recursive) {
			return nil
		}
		for _, a := range call.Args {
			if a.Opt == nil && (a.Kind == catalog.Read || a.Kind == catalog.ReadWrite) {
				return nil // commandFiles has them
			}
		}
		return []string{"."}
	}
	return nil
}

// touchedPath is fa's path resolved against the command's working
// directory: the last candidate the shell analysis gives, which is the
// one its cds lead to when they succeed (cd x && cat y reads x/y). With
// none known, a relative path is kept relative.
func touchedPath(env *pathEnv, fa fileAccess, c *shell.Command) string {
	cwd := env.cwd
	if len(fa.cwds) > 0 {
		cwd = fa.cwds[len(fa.cwds)-1]
	} else if len(c.Cwds) > 0 {
		cwd = c.Cwds[len(c.Cwds)-1]
	}
	raw := fa.raw
	if cwd == "" && !strings.HasPrefix(raw, "/") && !(strings.HasPrefix(raw, "~") && env.home != "") {
		return path.Clean(raw)
	}
	return env.resolve(raw, cwd)
}

// ignoredPath reports the pseudo-files a command reads or writes that are
// no file of the workspace: /dev/null, the standard streams.
func ignoredPath(p string) bool {
	switch p {
	case "/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero":
		return true
	}
	return strings.HasPrefix(p, "/dev/fd/") || strings.HasPrefix(p, "/proc/self/fd/")
}
