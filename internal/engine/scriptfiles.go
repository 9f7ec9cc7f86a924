package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// Code a command runs from files. The easiest way around a command-level
// guard is to write the command into a file and run the file, so when a
// Bash command runs code that sits in a file Warden can read, the engine
// reads it and decides what it would run exactly as if it were inline:
//
//   - a shell script run by path (./deploy.sh), by a shell (bash deploy.sh)
//     or sourced (source env.sh, . env.sh);
//   - a program file given to an interpreter (python x.py, node x.js, ruby,
//     perl, php, ts-node, tsx, deno run, bun), inspected like a one-liner;
//   - a package script run by name (npm run build, npm test, yarn, pnpm,
//     bun run), with the pre and post scripts around it, and the project's
//     own lifecycle scripts on npm install (packagejson.go);
//   - a Makefile recipe and the prerequisites it makes (makefile.go);
//   - just and Task recipes (justfile.go, taskfile.go).
//
// Each command read this way is decided by decideCommand with a Via label
// naming the file and line ("scripts/deploy.sh:12"), and the reasons of the
// rules it matches end with "at scripts/deploy.sh:12". A file that does not
// exist gets no opinion (the command fails and runs nothing); one that
// exists but cannot be read whole or parsed asks, like a program that
// cannot be known. Reading is bounded per file, per decision and in nesting
// depth, and nothing is kept across decisions: the hook is a new process
// per call.

// Bounds on the files read for one decision.
const (
	maxCodeFile  = 128 << 10 // bytes of one file
	maxCodeBytes = 512 << 10 // bytes of every file read for one decision
	maxCodeFiles = 64        // files read for one decision
)

// errBudget: the files a command runs exceed what one decision may read.
var errBudget = errors.New("the files it runs exceed what Warden reads for one decision")

// fileState is what one decision has read and decided from files.
type fileState struct {
	bytes   int64
	reads   map[string]fileRead // by absolute path
	decided map[string]bool     // entries (file, target, cwd) already decided
	located map[*unit]bool      // units whose reasons already name a file
}

type fileRead struct {
	data []byte
	err  error
}

func (d *decision) fileState() *fileState {
	if d.files == nil {
		d.files = &fileState{reads: map[string]fileRead{}, decided: map[string]bool{}, located: map[*unit]bool{}}
	}
	return d.files
}

// once reports whether the entry key (a file, what in it runs, and where)
// is decided for the first time in this decision. Deciding it again adds
// nothing, and a file that runs itself (a script sourcing itself, a target
// depending on itself) stops here.
func (d *decision) once(key string) bool {
	st := d.fileState()
	if st.decided[key] {
		return false
	}
	st.decided[key] = true
	return true
}

// readFile reads the file at the absolute path p within the decision's
// budget. The error is fs.ErrNotExist for a missing file, wraps
// ErrFileTooLarge (with the head of the file) for a large one, and is
// errBudget when the decision has read too much already.
func (e *Engine) readFile(d *decision, p string) ([]byte, error) {
	st := d.fileState()
	if r, ok := st.reads[p]; ok {
		return r.data, r.err
	}
	if len(st.reads) >= maxCodeFiles || st.bytes >= maxCodeBytes {
		return nil, errBudget
	}
	limit := int64(maxCodeFile)
	if rest := maxCodeBytes - st.bytes; rest < limit {
		limit = rest
	}
	data, err := e.fs.ReadFile(p, limit)
	if errors.Is(err, ErrFileTooLarge) && limit < maxCodeFile {
		err = errBudget
	}
	st.bytes += int64(len(data))
	st.reads[p] = fileRead{data, err}
	d.note("file", "read %s: %d bytes, err %v", p, len(data), err)
	return data, err
}

// readCode reads a file that c runs, after checking the read against the
// path rules (running secrets/x.sh reads a secret). It reports false, after
// asking where the file exists but cannot be read whole, when there is
// nothing to decide; what names what the file is ("the script", "the
// Makefile") for the reason.
func (e *Engine) readCode(d *decision, u *unit, c *shell.Command, p, what string, env *pathEnv) ([]byte, bool) {
	e.checkFile(d, u, fileAccess{raw: p, access: policy.AccessRead, via: "`" + c.Text + "`, which runs it"})
	data, err := e.readFile(d, p)
	switch {
	case err == nil:
		return data, true
	case errors.Is(err, fs.ErrNotExist):
		return nil, false
	}
	e.cannotRead(d, u, c, what+" "+shownPath(p, env), err)
	return nil, false
}

// cannotRead asks about a command that runs a file Warden cannot read or
// parse: what it would run cannot be known.
func (e *Engine) cannotRead(d *decision, u *unit, c *shell.Command, what string, err error) {
	why := err.Error()
	switch {
	case errors.Is(err, ErrFileTooLarge):
		why = fmt.Sprintf("it is larger than the %d KiB Warden reads", maxCodeFile>>10)
	case errors.Is(err, errBudget):
		why = fmt.Sprintf("the files it runs exceed the %d files or %d KiB Warden reads for one command", maxCodeFiles, maxCodeBytes>>10)
	}
	d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("`%s` runs %s, which Warden cannot read or parse, so what it runs cannot be known: %s", c.Text, what, why))
}

// tooDeep asks about a file reached through more nested files than the
// engine follows.
func (e *Engine) tooDeep(d *decision, u *unit, c *shell.Command, what string) {
	d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("`%s` runs %s through more than %d nested files or scripts, so what it runs cannot be known", c.Text, what, maxCodeDepth))
}

// decideFrom decides commands read from a file as if they were inline:
// each is labelled with where it comes from, first in its Via and then at
// the end of every reason found in it ("at Makefile:12"), and, when that
// command reaches further files, in theirs ("at x.sh:3, run from
// Makefile:12").
func (e *Engine) decideFrom(d *decision, cmds []shell.Command, env *pathEnv, depth int, where func(*shell.Command) string) {
	st := d.fileState()
	for i := range cmds {
		sub := &cmds[i]
		at := where(sub)
		sub.Via = append([]string{at}, sub.Via...)
		from := len(d.units)
		e.decideCommand(d, sub, cmds, env, depth)
		for _, u := range d.units[from:] {
			suffix := " at " + at
			if st.located[u] {
				suffix = ", run from " + at
			}
			st.located[u] = true
			for j := range u.findings {
				u.findings[j].reason += suffix
			}
		}
	}
}

// shownPath is p as reasons show it: relative to the repository root when
// inside it, else absolute.
func shownPath(p string, env *pathEnv) string {
	if rel, ok := cutDir(p, env.root()); ok && rel != "" {
		return rel
	}
	return p
}

// codeAt locates needle in code read from the file src, as " at src:LINE"
// (" at src" when it cannot be found verbatim, e.g. a decoded literal); ""
// for code from the command line (src "").
func codeAt(src, code, needle string) string {
	if src == "" {
		return ""
	}
	i := strings.Index(code, needle)
	if i < 0 {
		if f := strings.Fields(needle); len(f) > 0 {
			i = strings.Index(code, f[0])
		}
	}
	if i < 0 {
		return " at " + src
	}
	return fmt.Sprintf(" at %s:%d", src, 1+strings.Count(code[:i], "\n"))
}
