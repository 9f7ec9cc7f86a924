package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
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
	maxCodeBytes = 256 << 10 // bytes of every file read for one decision
	maxCodeFiles = 64        // files read for one decision
	// maxCodeLookups bounds the files looked for, found or not: program
	// files name many paths that may be commands.
	maxCodeLookups = 1024
	// maxCodeItems bounds the commands and literals read from files that
	// one decision analyses: each costs tens of microseconds.
	maxCodeItems = 2000
)

// errBudget: the files a command runs exceed what one decision may read.
var errBudget = errors.New("the files it runs exceed what Warden reads for one decision")

// fileState is what one decision has read and decided from files.
type fileState struct {
	bytes   int64
	found   int                    // files read that exist
	items   int                    // commands and literals analysed
	reads   map[string]fileRead    // by absolute path, found or not
	decided map[string]bool        // entries (file, target, cwd) already decided
	located map[*unit]map[int]bool // findings whose reasons already name a file
}

type fileRead struct {
	data []byte
	err  error
}

func (d *decision) fileState() *fileState {
	if d.files == nil {
		d.files = &fileState{reads: map[string]fileRead{}, decided: map[string]bool{}, located: map[*unit]map[int]bool{}}
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
	if st.found >= maxCodeFiles || len(st.reads) >= maxCodeLookups || st.bytes >= maxCodeBytes {
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
	if !errors.Is(err, fs.ErrNotExist) {
		st.found++
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

// lacksYAML asks about a YAML file c runs that this engine has no parser
// for, and marks the decision so that the hook-only binary hands the
// call to warden, which has one.
func (e *Engine) lacksYAML(d *decision, u *unit, c *shell.Command, what string) {
	d.lacks = LacksYAML
	d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("`%s` runs %s, which is YAML, and this Warden binary does not parse YAML, so what it runs cannot be known here", c.Text, what))
}

// tooDeep asks about a file reached through more nested files than the
// engine follows.
func (e *Engine) tooDeep(d *decision, u *unit, c *shell.Command, what string) {
	d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("`%s` runs %s through more than %d nested files or scripts, so what it runs cannot be known", c.Text, what, maxCodeDepth))
}

// decideFrom decides commands read from a file that c runs as if they
// were inline: each is labelled with where it comes from, first in its Via
// (after c's own) and then at the end of every reason found in it ("at
// Makefile:12"), and, when that command reaches further files, in theirs
// ("at x.sh:3, run from Makefile:12").
func (e *Engine) decideFrom(d *decision, c *shell.Command, cmds []shell.Command, env *pathEnv, depth int, where func(*shell.Command) string) {
	for i := range cmds {
		at := where(&cmds[i])
		e.decideAt(d, c, &cmds[i], cmds, env, depth, at, func() string { return at })
	}
}

// decideCodeCommands decides the commands found in a literal of a program
// file (os.system("...")): labelled with the file, run through it as an
// exec vector like interpreter code on the command line, and located by
// the line of the literal only when something is found (finding it costs a
// scan).
func (e *Engine) decideCodeCommands(d *decision, c *shell.Command, cmds []shell.Command, env *pathEnv, depth int, src, code, literal string) {
	d.vector(src)
	for i := range cmds {
		e.decideAt(d, c, &cmds[i], cmds, env, depth, src, func() string { return codeAt(src, code, literal) })
	}
}

// decideAt decides one command read from a file that c runs: via labels
// its Via, after c's own, and at, called only when a rule matched, locates
// it for the reasons.
func (e *Engine) decideAt(d *decision, c, sub *shell.Command, all []shell.Command, env *pathEnv, depth int, via string, at func() string) {
	sub.Via = append(append(append([]string(nil), c.Via...), via), sub.Via...)
	from := len(d.units)
	e.decideCommand(d, sub, all, env, depth)
	loc := ""
	for _, u := range d.units[from:] {
		u.fromFile = true
		for j := range u.findings {
			if loc == "" {
				loc = at()
			}
			d.locateFinding(u, j, loc)
		}
	}
}

// locateFinding appends where the j-th finding of u was found to its
// reason: " at X" the first time, ", run from X" for the files that ran it.
func (d *decision) locateFinding(u *unit, j int, at string) {
	st := d.fileState()
	if st.located[u] == nil {
		st.located[u] = map[int]bool{}
	}
	if st.located[u][j] {
		u.findings[j].reason += ", run from " + at
		return
	}
	st.located[u][j] = true
	u.findings[j].reason += " at " + at
}

// locateCode locates the findings of u from index n on at needle in code
// read from the file src; code from the command line (src "") has no
// location.
func (d *decision) locateCode(u *unit, n int, src, code, needle string) {
	if src == "" || n >= len(u.findings) {
		return
	}
	at := codeAt(src, code, needle)
	for j := n; j < len(u.findings); j++ {
		d.locateFinding(u, j, at)
	}
}

// spend counts n commands or literals read from files against what one
// decision analyses; past that it asks about c, which runs them from what,
// and reports false.
func (e *Engine) spend(d *decision, u *unit, c *shell.Command, what string, n int) bool {
	st := d.fileState()
	st.items += n
	if st.items <= maxCodeItems {
		return true
	}
	d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("`%s` runs more code from %s and the files around it than Warden analyses for one command (%d commands and literals), so what it runs cannot be known", c.Text, what, maxCodeItems))
	return false
}

// shownPath is p as reasons show it: relative to the repository root when
// inside it, else absolute.
func shownPath(p string, env *pathEnv) string {
	if rel, ok := cutDir(p, env.root()); ok && rel != "" {
		return rel
	}
	return p
}

// codeAt locates needle in code read from the file src, as "src:LINE"
// ("src" when it cannot be found verbatim, e.g. a decoded literal).
func codeAt(src, code, needle string) string {
	i := strings.Index(code, needle)
	if i < 0 {
		if f := strings.Fields(needle); len(f) > 0 {
			i = strings.Index(code, f[0])
		}
	}
	if i < 0 {
		return src
	}
	return fmt.Sprintf("%s:%d", src, 1+strings.Count(code[:i], "\n"))
}

// filesRun decides the code c runs from files: the one entry point from
// decideCommand. The catalogue types the arguments: a Script operand or
// option value is a file the program runs, in the row's language.
func (e *Engine) filesRun(d *decision, u *unit, c *shell.Command, call *catalog.Call, all []shell.Command, env *pathEnv, depth int) {
	if c.Dynamic || c.Program == "" {
		return
	}
	lang := ""
	if call.Prog != nil {
		lang = call.Prog.Lang
		if call.Prog.Name() == "source" {
			lang = langShell
		}
	}
	if (lang == langShell || codeLangs.has(lang)) && !hasCodeArg(call) {
		if !slices.ContainsFunc(call.Of(catalog.Script), func(a catalog.Arg) bool { return a.Value != "-" }) {
			// bash < deploy.sh, python - < x.py: the program reads the
			// file on standard input.
			for _, r := range c.Redirects {
				if r.Op == "<" && (r.Fd == "" || r.Fd == "0") {
					e.runFiles(d, u, c, env, depth, r.Target, lang)
				}
			}
		}
		dir := ""
		for _, a := range call.Args {
			switch {
			case a.Opt != nil && lang == "ruby" && optionWord(c, a) == "-C":
				dir = a.Value // ruby -C dir x.rb runs dir/x.rb
			case a.Kind == catalog.Script:
				if call.Prog.Name() == "bun" && !looksLikeCodeFile(a.Value) {
					continue // bun dev: a package script (packagejson.go)
				}
				e.runFiles(d, u, c, env, depth, inDir(argWord(c, a), dir), lang)
			case lang == "js" && a.Opt != nil && preloads(a.Opt.Names) && isPathArg(a.Value):
				e.runFiles(d, u, c, env, depth, argWord(c, a), lang) // node -r ./setup.js
			case a.Opt == nil && (call.Path == "deno run" || call.Path == "bun run") && looksLikeCodeFile(a.Value):
				e.runFiles(d, u, c, env, depth, argWord(c, a), lang)
			}
		}
	}
	if byPath(c) {
		e.runFiles(d, u, c, env, depth, c.Name, runPath)
	}
	e.packageScripts(d, u, c, call, env, depth)
	e.makeRecipes(d, u, c, call, all, env, depth)
	e.justRecipes(d, u, c, all, env, depth)
	e.taskRecipes(d, u, c, all, env, depth)
}

// How a file is run: by a shell, by path (as its #! line says), or by an
// interpreter of one of codeLangs.
const (
	langShell = "sh"
	runPath   = ""
)

// codeLangs are the languages whose program files are inspected like a
// one-liner: the catalogue's Lang of python, node, deno, bun, ts-node,
// tsx, ruby, perl and php.
const codeLangs nameList = "python js ruby perl php"

// preloads reports the node options that load a module before the script.
func preloads(names string) bool {
	for _, n := range []string{"-r", "--require", "--import", "--loader", "--experimental-loader"} {
		if firstName(names) == n {
			return true
		}
	}
	return false
}

// optionWord is the option spelling a typed option value was given with
// (-C of -C dir or -Cdir).
func optionWord(c *shell.Command, a catalog.Arg) string {
	args := argv(c)
	switch {
	case a.Attached && a.Index < len(args):
		return strings.TrimSuffix(strings.TrimSuffix(args[a.Index], a.Value), "=")
	case a.Index > 0 && a.Index <= len(args):
		return args[a.Index-1]
	}
	return ""
}

// runFiles decides the file named by w (each of its possible values, from
// each of the command's working directories), run as lang says.
func (e *Engine) runFiles(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, w shell.Word, lang string) {
	for _, v := range w.Values {
		if v == "" || v == "-" || strings.HasPrefix(v, "/dev/") || strings.HasPrefix(v, "/proc/") {
			continue // standard input, decided as such elsewhere
		}
		for _, cwd := range cwdsOf(c, env) {
			e.runFile(d, u, c, env, depth, env.resolve(v, cwd), cwd, lang)
		}
	}
}

// runFile decides the file at p that c runs from directory cwd: as a
// shell script, as program code of lang, or (lang runPath) as its #! line
// says.
func (e *Engine) runFile(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, p, cwd, lang string) {
	if lang == runPath && systemPath(p) {
		return // an installed program: decided by its name, like any other
	}
	if !d.once("run\x00" + lang + "\x00" + p + "\x00" + cwd) {
		return
	}
	shown := shownPath(p, env)
	e.checkFile(d, u, fileAccess{raw: p, access: policy.AccessRead, via: "`" + c.Text + "`, which runs it"})
	data, err := e.readFile(d, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case lang == runPath && binary(data):
		return // a compiled program, not code Warden can read
	case err != nil:
		e.cannotRead(d, u, c, "the file "+shown, err)
		return
	case depth >= maxCodeDepth:
		e.tooDeep(d, u, c, "the file "+shown)
		return
	}
	text := string(data)
	call := &catalog.Call{Prog: e.catalog().Lookup(c.Program)}
	program := c.Program
	if lang == runPath {
		lang = langShell // with no #! line the shell runs it as a script
		if name, ok := shebang(text); ok {
			p := e.catalog().Lookup(name)
			if p == nil || p.Lang != langShell && !codeLangs.has(p.Lang) {
				return // an interpreter Warden does not read for
			}
			lang, program, call = p.Lang, name, &catalog.Call{Prog: p, Row: p}
		}
	}
	if lang != langShell {
		cc := *c
		cc.Program = program
		e.decideCode(d, u, &cc, call, env, depth, stripLineComments(text, lang), shown)
		return
	}
	an := shell.Analyze(text, shell.Options{Cwd: cwd, Home: env.home, Repo: env.repo})
	if an.ParseError != nil {
		e.cannotRead(d, u, c, "the script "+shown, fmt.Errorf("it does not parse as Bash: %w", an.ParseError))
	}
	if e.spend(d, u, c, shown, len(an.Commands)) {
		e.decideFrom(d, c, an.Commands, env, depth+1, func(sc *shell.Command) string { return fmt.Sprintf("%s:%d", shown, sc.Line) })
	}
}

// byPath reports a command whose program is named by a path (./deploy.sh,
// scripts/x.py, /tmp/x): the file is what runs. The build tools' wrapper
// scripts (gradlew, mvnw) are decided as the tool they wrap: what a build
// runs sits in its build files, beyond the hook's reach either way.
func byPath(c *shell.Command) bool {
	if c.Name.Dynamic || len(c.Name.Values) == 0 || !strings.Contains(c.Name.Values[0], "/") {
		return false
	}
	switch strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(path.Base(c.Name.Values[0]), ".bat"), ".cmd")) {
	case "gradlew", "mvnw":
		return false
	}
	return true
}

// systemDirPrefixes hold installed programs, not project code.
var systemDirPrefixes = []string{"/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/opt/", "/nix/", "/snap/", "/System/", "/Library/", "/Applications/"}

func systemPath(p string) bool {
	for _, dir := range systemDirPrefixes {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	return false
}

// binary reports content that is not text: a NUL in its first 8 KiB.
func binary(data []byte) bool {
	head := data
	if len(head) > 8<<10 {
		head = head[:8<<10]
	}
	return strings.IndexByte(string(head), 0) >= 0
}

// shebang returns the base name of the program of a #! line, looking
// through env and its options (#!/usr/bin/env -S deno run); "sh" for a
// bare #!.
func shebang(text string) (string, bool) {
	if !strings.HasPrefix(text, "#!") {
		return "", false
	}
	line, _, _ := strings.Cut(text[2:], "\n")
	f := strings.Fields(line)
	if len(f) == 0 {
		return "sh", true
	}
	prog := path.Base(f[0])
	if prog == "env" {
		prog = ""
		for i := 1; i < len(f) && prog == ""; i++ {
			switch a := f[i]; {
			case a == "-u" || a == "--unset" || a == "-C" || a == "--chdir":
				i++
			case strings.HasPrefix(a, "-") || strings.Contains(a, "="):
			default:
				prog = path.Base(a)
			}
		}
	}
	return prog, true
}

// inDir joins a relative word to dir (ruby -C dir script.rb).
func inDir(w shell.Word, dir string) shell.Word {
	if dir == "" {
		return w
	}
	out := shell.Word{Raw: w.Raw, Dynamic: w.Dynamic}
	for _, v := range w.Values {
		if !strings.HasPrefix(v, "/") {
			v = strings.TrimSuffix(dir, "/") + "/" + v
		}
		out.Values = append(out.Values, v)
	}
	return out
}

func isPathArg(a string) bool {
	return strings.HasPrefix(a, "./") || strings.HasPrefix(a, "../") || strings.HasPrefix(a, "/")
}

// looksLikeCodeFile reports an argument naming a JavaScript or TypeScript
// file rather than a subcommand or script name.
func looksLikeCodeFile(a string) bool {
	if strings.Contains(a, "/") {
		return true
	}
	for _, ext := range []string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"} {
		if strings.HasSuffix(a, ext) {
			return true
		}
	}
	return false
}

// stripLineComments blanks the lines of a program file that are whole-line
// comments in its language (# for python, ruby, perl; // for JavaScript;
// both for php), keeping line numbers, so that prose in comments ("the
// file system", "`make test`") is not read as code. Only whole lines go: a
// line that starts with the marker is a comment to the shell too, should it
// sit in a string that is run.
func stripLineComments(text, lang string) string {
	hash, slashes := lang != "js", lang == "js" || lang == "php"
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if hash && strings.HasPrefix(t, "#") || slashes && strings.HasPrefix(t, "//") {
			lines[i] = ""
			if strings.HasSuffix(l, "\n") {
				lines[i] = "\n"
			}
		}
	}
	return strings.Join(lines, "")
}

// nameSet is a set of space-separated names.
// nameList is a space-separated list of names: a constant, so that no
// hook process builds a map of it at init.
type nameList string

func (l nameList) has(name string) bool { return catalog.Has(string(l), name) }

// programIs reports whether c's program is one of names, by base name,
// case-folded and without .exe.
func programIs(c *shell.Command, names ...string) bool {
	p := strings.TrimSuffix(strings.ToLower(path.Base(c.Program)), ".exe")
	for _, n := range names {
		if p == n {
			return true
		}
	}
	return false
}

// langOf is the catalogue's language of the program name ("sh", "python",
// "js"...), "" when it knows none.
func (e *Engine) langOf(name string) string {
	if p := e.catalog().Lookup(path.Base(name)); p != nil {
		return p.Lang
	}
	return ""
}

// uniq returns ss without repeats, in order: a program file names the same
// literal many times, and each is decided once.
func uniq(ss []string) []string {
	if len(ss) < 2 {
		return ss
	}
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
