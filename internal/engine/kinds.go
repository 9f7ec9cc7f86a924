package engine

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// Exec vectors: the arguments, options and environment variables through
// which a command makes another program run code. Where the code is
// literal it is analysed like bash -c and decided on what it does; where
// it is not, or is a file or library Warden cannot see, the call asks.

// parse types c's arguments by the catalogue.
func (e *Engine) parse(c *shell.Command) catalog.Call {
	if c.Program == "" || c.Dynamic {
		return catalog.Call{Exec: -1, DashDash: -1}
	}
	return catalog.Parse(e.catalog().Lookup(c.Program), c.Program, argv(c))
}

// nested decides text as Bash run by c, each of its commands a unit of its own.
func (e *Engine) nested(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, label, text string) {
	if depth >= maxCodeDepth {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, "scripts nested too deeply to analyse: "+label)
		return
	}
	d.vector(label)
	an := shell.Analyze(text, shell.Options{Cwd: firstCwd(c, env), Home: env.home})
	if an.ParseError != nil {
		d.match(u, policy.Ask, policy.RuleParseError, fmt.Sprintf("%s runs shell code that does not parse: %v", label, an.ParseError))
	}
	for i := range an.Commands {
		sub := &an.Commands[i]
		sub.Via = append(append(append([]string(nil), c.Via...), label), sub.Via...)
		e.decideCommand(d, sub, an.Commands, env, depth+1)
	}
}

// kinds decides the arguments whose kind runs or hides code.
func (e *Engine) kinds(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, depth int) {
	quoted := "`" + c.Text + "`"
	var shellWords []string // consecutive Shell operands form one command
	flush := func() {
		if len(shellWords) > 0 {
			e.nested(d, u, c, env, depth, call.Path, joinShellWords(shellWords))
			shellWords = nil
		}
	}
	for _, a := range call.Args {
		w := c.Args[a.Index]
		dynamic := w.Dynamic && len(w.Values) == 0 && !a.Attached
		if a.Kind != catalog.Shell || a.Opt != nil {
			flush()
		}
		if a.Opt == nil && call.Prog != nil && call.Prog.Lang == "vim" && strings.HasPrefix(a.Value, "+") {
			// vim +'!cmd', ex +'r !cmd': a command run at start-up.
			e.toolCommand(d, u, c, env, depth, call, a.Value[1:])
			continue
		}
		if a.Kind == catalog.Read && a.Value == "-" && a.Opt != nil && strings.Contains(a.Opt.Names, "--files-from") && c.Stdin != nil && !c.Stdin.Dynamic {
			// tar -cf x.tar -T - <<< ~/.ssh/id_ed25519: the names are on standard input.
			for _, line := range strings.Split(c.Stdin.Value, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					e.checkFile(d, u, fileAccess{raw: line, access: policy.AccessRead, cwds: c.Cwds, via: "standard input of " + quoted})
				}
			}
		}
		switch a.Kind {
		case catalog.Shell:
			if dynamic {
				d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs a shell command that cannot be known before it runs: %s", call.Path, quoted))
				continue
			}
			if a.Opt == nil {
				shellWords = append(shellWords, a.Value)
				continue
			}
			label := call.Path + " " + firstName(a.Opt.Names)
			// tar --checkpoint-action=exec=CMD
			v, _ := strings.CutPrefix(a.Value, "exec=")
			if helperOption(a.Opt.Names) {
				d.helperVector(label)
				if an := shell.Analyze(v, shell.Options{}); len(an.Commands) > 1 {
					d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s is a helper program, given a command list (%s): %s", label, v, quoted))
				}
			}
			e.nested(d, u, c, env, depth, label, v)
		case catalog.ToolCmd:
			if dynamic {
				d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs a command that cannot be known before it runs: %s", call.Path, quoted))
				continue
			}
			e.toolCommand(d, u, c, env, depth, call, a.Value)
		case catalog.Opaque:
			if a.Value != "" || dynamic {
				d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s %s makes it run code Warden cannot see (%s): %s",
					call.Path, optName(a), a.Value, quoted))
			}
		case catalog.Config:
			e.configItem(d, u, c, env, depth, call, a.Value, optName(a) == "--config-env")
		case catalog.Mount:
			if src := mountSource(a.Value); src != "" {
				fa := fileAccess{raw: src, access: policy.AccessRead, cwds: c.Cwds, via: call.Path + " mounts it into a container in " + quoted}
				e.checkFile(d, u, fa)
				e.mountHolds(d, u, fa, env.resolve(src, firstCwd(c, env)), env)
			}
		case catalog.Assign:
			raw := a.Value
			if dynamic {
				raw = w.Raw // export LD_PRELOAD=/tmp/x:$X: the name is still known
			}
			name, val, ok := strings.Cut(raw, "=")
			if !ok {
				if secretName(name) && call.Prog != nil && call.Prog.Name() == "docker" {
					d.match(u, policy.Deny, "commands."+policy.ClassSecretVariable, fmt.Sprintf("%s passes the secret variable %s into a container (%s): %s",
						call.Path, name, policy.ClassSecretVariable, quoted))
				}
				continue
			}
			value := shell.Word{Raw: val, Values: []string{val}, Dynamic: w.Dynamic}
			if dynamic {
				value.Values = nil
			}
			e.assignment(d, u, c, env, depth, shell.Assign{Name: name, Value: value})
		case catalog.Script:
			// node --import 'data:text/javascript,CODE': the code is inline.
			if code, ok := dataURLCode(a.Value); ok && call.Prog != nil && call.Prog.Lang != "" {
				e.decideCode(d, u, c, call, env, depth, code, "")
				d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("%s %s runs code given inline as a data: URL: %s", call.Path, optName(a), quoted))
				continue
			}
			// cmake -P /dev/stdin <<< CODE, make -f /dev/stdin <<M: the
			// script is the here-document, which is known.
			if stdinPath(a.Value) && c.Stdin != nil && !c.Stdin.Dynamic && call.Prog != nil {
				e.stdinScript(d, u, c, call, env, depth, c.Stdin.Value)
				continue
			}
			// python manage.py migrate: a script the catalogue knows is
			// decided as that program.
			if p := e.catalog().Lookup(path.Base(a.Value)); p != nil && a.Opt == nil {
				e.execArgs(d, c, env, depth, a.Index, call.Path)
			}
			// cmake -P /tmp/x.cmake, gradle --init-script /tmp/i.gradle: a
			// file of code from outside the project, given to a tool.
			if a.Opt != nil && a.Value != "" {
				if p := env.resolve(a.Value, firstCwd(c, env)); outsideRepo(p, env) {
					d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s %s runs code from %s, outside the repository, which Warden cannot see: %s", call.Path, optName(a), p, quoted))
				}
			}
		case catalog.Remote:
			if a.Opt != nil && isRemoteSpec(a.Value) && e.rs.Classes[policy.ClassEgress] != policy.None {
				d.match(u, e.rs.Classes[policy.ClassEgress], "commands."+policy.ClassEgress, fmt.Sprintf("%s %s %s is another machine (%s): %s", call.Path, optName(a), a.Value, policy.ClassEgress, quoted))
			}
		}
	}
	flush()
	if call.Has(catalog.Configured) {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs the diff, textconv or signature program named in git configuration, which Warden cannot see: %s", call.Path, quoted))
	}
	switch rowName(call) {
	case "mvn":
		e.mavenExec(d, u, c, env, depth, call)
	case "git":
		for _, a := range call.Args {
			// git clone 'ext::sh -c cmd': the ext transport runs a command.
			if cmd, ok := strings.CutPrefix(a.Value, "ext::"); ok && a.Opt == nil {
				e.nested(d, u, c, env, depth, call.Path+" ext::", extCommand(cmd))
			}
		}
	case "make":
		// make CC='...' all, make SHELL=/tmp/x: variables the recipes run.
		for _, a := range call.Args {
			if name, val, ok := strings.Cut(a.Value, "="); ok && a.Opt == nil && validShellName(name) {
				e.assignment(d, u, c, env, depth, shell.Assign{Name: name, Value: shell.Word{Raw: val, Values: []string{val}}})
			}
		}
	case "gpg":
		for _, o := range call.Opts {
			if strings.Contains(o.Names, "--export-secret") {
				// Exporting secret keys reads the private key store.
				e.checkFile(d, u, fileAccess{raw: "~/.gnupg/private-keys-v1.d", access: policy.AccessRead, cwds: c.Cwds, via: quoted})
			}
		}
	case "fd":
		if call.Exec >= 0 {
			// fd PATTERN -x cmd hands the files whose names match to cmd.
			for _, a := range call.Args {
				if a.Opt == nil && a.Kind == catalog.Data {
					name := strings.ReplaceAll(strings.Trim(a.Value, "^$"), `\.`, ".")
					if !strings.ContainsAny(name, `\()[]{}+*?|`) {
						e.checkFile(d, u, fileAccess{raw: name, access: policy.AccessRead, cwds: c.Cwds, via: "files found by " + quoted})
					}
					break
				}
			}
		}
	}
	if call.Exec >= 0 {
		e.execArgs(d, c, env, depth, call.Exec, call.Path)
	}
	if call.Row != nil && call.Row.Stdin == catalog.Shell && c.Stdin != nil {
		if c.Stdin.Dynamic {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s reads a command that cannot be known before it runs: %s", call.Path, quoted))
		} else {
			e.nested(d, u, c, env, depth, call.Path+" stdin", c.Stdin.Value)
		}
	}
	if call.Row != nil && call.Row.Stdin == catalog.RevPath && c.Stdin != nil && !c.Stdin.Dynamic {
		for _, line := range strings.Fields(c.Stdin.Value) {
			e.checkFile(d, u, fileAccess{raw: revPath(line), access: policy.AccessRead, cwds: c.Cwds, via: "standard input of " + quoted})
		}
	}
	if rowName(call) == "make" {
		e.makeOutside(d, u, c, call, env, depth)
	}
	if call.Row != nil && call.Row.Stdin == catalog.ToolCmd && c.Stdin != nil && !c.Stdin.Dynamic {
		for _, line := range strings.Split(c.Stdin.Value, "\n") {
			e.toolCommand(d, u, c, env, depth, call, line)
		}
	}
}

// makeOutside: a makefile from outside the repository (make -f /tmp/x.mk,
// make -C /tmp/build) runs recipes Warden cannot see; make --eval's
// recipe lines are decided as Bash.
func (e *Engine) makeOutside(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, depth int) {
	quoted := "`" + c.Text + "`"
	for _, a := range call.Args {
		if a.Opt == nil {
			continue
		}
		switch firstName(a.Opt.Names) {
		case "-C": // -f is a Script option: judged with the others
			p := env.resolve(a.Value, firstCwd(c, env))
			if _, in := cutDir(p, env.root()); !in {
				d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("make runs a makefile from %s, outside the repository, whose recipes Warden cannot see: %s", p, quoted))
			}
		case "--eval":
			for _, line := range strings.Split(a.Value, "\n") {
				switch {
				case strings.HasPrefix(line, "\t"):
					e.nested(d, u, c, env, depth, "make --eval recipe", strings.TrimLeft(line, "\t@-+"))
				case strings.Contains(line, ":") && strings.Contains(line, ";"):
					// target: ; recipe on one line
					_, recipe, _ := strings.Cut(line[strings.IndexByte(line, ':'):], ";")
					e.nested(d, u, c, env, depth, "make --eval recipe", strings.TrimLeft(strings.TrimSpace(recipe), "@-+"))
				}
				for rest := line; ; {
					i := strings.Index(rest, "$(shell ")
					if i < 0 {
						break
					}
					j := strings.LastIndexByte(rest, ')')
					if j <= i {
						break
					}
					e.nested(d, u, c, env, depth, "make --eval $(shell)", rest[i+len("$(shell "):j])
					rest = rest[j+1:]
				}
			}
		}
	}
}

// execArgs decides c.Args[i:] as a command of its own, run by c.
func (e *Engine) execArgs(d *decision, c *shell.Command, env *pathEnv, depth int, i int, label string) {
	if depth >= maxCodeDepth {
		d.match(d.newUnit(), policy.Ask, policy.RuleDynamicProgram, "commands nested too deeply to analyse: "+label)
		return
	}
	words := c.Args[i:]
	name := words[0]
	prog := firstValue(name)
	if (name.Dynamic && len(name.Values) == 0) || prog == "" {
		d.match(d.newUnit(), policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs a program that cannot be known before it runs: %s", label, name.Raw))
		return
	}
	if strings.ContainsAny(prog, " \t\n;|&") {
		// One word holding a whole command line: run through a shell by
		// most launchers; analyse it as one.
		vals := make([]string, len(words))
		for j, w := range words {
			vals[j] = firstValue(w)
		}
		e.nested(d, d.newUnit(), c, env, depth, label, strings.Join(vals, " "))
		return
	}
	if strings.Contains(prog, "/") && !systemBin(prog) {
		if p := env.resolve(prog, firstCwd(c, env)); outsideRepo(p, env) {
			d.match(d.newUnit(), policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs the program file %s, outside the project, whose code Warden cannot see: `%s`", label, prog, c.Text))
		}
	}
	// The words are analysed again as a command line, so that a wrapper
	// among them is unwrapped (cmake -E env X=1 curl ...).
	var b strings.Builder
	for j, w := range words {
		if j > 0 {
			b.WriteByte(' ')
		}
		if !w.Dynamic && len(w.Values) == 1 {
			b.WriteString("'" + strings.ReplaceAll(w.Values[0], "'", `'\''`) + "'")
		} else {
			b.WriteString(w.Raw)
		}
	}
	e.launched(d, c, env, depth, label, b.String())
}

// launched decides a command line that c starts (a launcher's command,
// an unknown program's argument): like nested, but not an exec vector,
// so a program of the project it names is ordinary.
func (e *Engine) launched(d *decision, c *shell.Command, env *pathEnv, depth int, label, text string) {
	an := shell.Analyze(text, shell.Options{Cwd: firstCwd(c, env), Home: env.home})
	if an.ParseError != nil {
		d.match(d.newUnit(), policy.Ask, policy.RuleParseError, fmt.Sprintf("%s runs a command that does not parse: %v", label, an.ParseError))
	}
	for i := range an.Commands {
		sub := &an.Commands[i]
		sub.Via = append(append(append([]string(nil), c.Via...), label), sub.Via...)
		sub.Assigns = append(append([]shell.Assign(nil), c.Assigns...), sub.Assigns...)
		e.decideCommand(d, sub, an.Commands, env, depth+1)
	}
}

// viaShell reports a command reached through a shell's -c string or a
// script it reads (GIT_PAGER='sh -c id').
func viaShell(c *shell.Command) bool {
	for _, v := range c.Via {
		if strings.HasSuffix(v, " -c") || strings.HasSuffix(v, " here-doc") || strings.HasSuffix(v, " here-string") {
			return true
		}
	}
	return false
}

// outsideRepo reports a path outside the repository (or cwd), temporary
// directories included: code run from there is not the project's.
func outsideRepo(p string, env *pathEnv) bool {
	_, in := cutDir(p, env.root())
	return !in
}

// systemBin reports a program path in the system's own directories.
func systemBin(p string) bool {
	for _, d := range []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin", "/opt/homebrew/bin", "/usr/libexec", "/usr/lib/git-core"} {
		if _, in := cutDir(path.Clean(p), d); in {
			return true
		}
	}
	return false
}

// helperOption reports options whose value names the program a tool runs
// for a protocol (git --upload-pack, rsync -e): never a command list.
func helperOption(names string) bool {
	for _, n := range []string{"pack", "rsh", "rsync-path", "--exec"} {
		if strings.Contains(names, n) {
			return true
		}
	}
	return false
}

// hasCodeArg reports inline code or a -c command among a call's arguments.
func hasCodeArg(call *catalog.Call) bool {
	for _, a := range call.Args {
		if a.Kind == catalog.Code || a.Kind == catalog.Shell {
			return true
		}
	}
	return false
}

// joinShellWords joins operands a program runs as one shell command
// (git submodule foreach git pull), dropping tmux key names.
func joinShellWords(words []string) string {
	var out []string
	for _, w := range words {
		switch w {
		case "Enter", "C-m", "C-j", "KPEnter", "\\;":
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

func firstName(names string) string {
	n, _, _ := strings.Cut(names, " ")
	return n
}

func optName(a catalog.Arg) string {
	if a.Opt == nil {
		return "operand"
	}
	return firstName(a.Opt.Names)
}

// mountSource returns the host side of a volume, mount or secret
// specification: SRC:DST[:opts], or type=bind,src=SRC,... / source=SRC.
func mountSource(v string) string {
	if strings.Contains(v, "=") {
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			switch strings.ToLower(k) {
			case "src", "source", "from-file", "from-env-file":
				return val
			}
		}
		if k, val, ok := strings.Cut(v, "="); ok && !strings.Contains(k, ",") && !strings.Contains(val, "=") {
			return val // kubectl --from-file=key=path has its path last
		}
		return ""
	}
	src, _, _ := strings.Cut(v, ":")
	if src == "" || !strings.ContainsAny(src, "/.~$") {
		return "" // a named volume
	}
	return src
}

// mountHolds: mounting a directory hands over every protected file below
// it (docker run -v ~/:/host mounts ~/.ssh): each path rule pattern anchored
// at home or the root that lies below dir is read.
func (e *Engine) mountHolds(d *decision, u *unit, fa fileAccess, dir string, env *pathEnv) {
	if dir == "/" || dir == "" {
		dir = "/"
	}
	for i := range e.paths().rules {
		r := &e.paths().rules[i]
		if !r.applies(policy.AccessRead) {
			continue
		}
		for _, pt := range r.patterns {
			if pt.anchor != atHome && pt.anchor != atRoot {
				continue
			}
			inst := pt.instantiate(dir, env)
			if _, below := cutDir(inst, dir); below && inst != dir && r.matches(&target{path: inst}, env) {
				d.match(u, r.rule.Decision, "paths."+r.rule.ID, fmt.Sprintf("%s: %s holds %s (%s by %s)", ruleReason(r.rule), dir, inst, accessPast(fa.access), fa.via))
				return
			}
		}
	}
}

// extCommand turns git's ext:: transport command into a command line:
// arguments split at unescaped spaces, "% " a space inside an argument.
func extCommand(cmd string) string {
	var words []string
	var cur strings.Builder
	for i := 0; i < len(cmd); i++ {
		switch {
		case cmd[i] == '%' && i+1 < len(cmd):
			i++
			cur.WriteByte(cmd[i])
		case cmd[i] == ' ':
			words = append(words, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(cmd[i])
		}
	}
	words = append(words, cur.String())
	for i, w := range words {
		words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(words, " ")
}

// mavenExec: mvn exec:exec runs -Dexec.executable with -Dexec.args.
func (e *Engine) mavenExec(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, call *catalog.Call) {
	exe, args := "", ""
	for _, a := range call.Args {
		if k, v, ok := strings.Cut(a.Value, "="); ok && a.Kind == catalog.Config {
			switch k {
			case "exec.executable":
				exe = v
			case "exec.args":
				args = v
			}
		}
	}
	if exe != "" {
		e.nested(d, u, c, env, depth, "mvn exec:exec", exe+" "+args)
	}
}

// toolCommand decides a command in a tool's own language (vim -c, gdb -ex,
// sqlite3 dot-commands, screen -X): its shell escapes are Bash.
func (e *Engine) toolCommand(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, call *catalog.Call, text string) {
	label := call.Path
	if call.Prog != nil && call.Prog.Lang == "sql" || rowName(call) == "sqlite3" {
		e.sqlCommand(d, u, c, env, depth, call, text)
	}
	t := strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(t, `\!`); ok {
		t = "!" + rest // psql and mysql: \! cmd runs cmd
	}
	t = strings.TrimLeft(t, ":+")
	t = strings.TrimSpace(strings.TrimPrefix(t, "silent"))
	t = strings.TrimSpace(strings.TrimPrefix(t, "exe "))
	low := strings.ToLower(t)
	for _, p := range []string{"!", "shell ", "sh ", "platform shell ", ".shell ", ".system ", "system ", "stuff ", "r !", "w !", "read !", "write !", "exec "} {
		if rest, ok := strings.CutPrefix(low, p); ok {
			code := t[len(t)-len(rest):]
			code = strings.Trim(strings.TrimSpace(code), `"'`)
			code = strings.ReplaceAll(code, `\n`, "\n")
			code = strings.ReplaceAll(code, "^M", "\n")
			e.nested(d, u, c, env, depth, label, code)
			return
		}
	}
	if i := strings.Index(low, "system("); i >= 0 {
		for _, lit := range stringLiterals(t[i:]) {
			e.nested(d, u, c, env, depth, label+" system()", lit)
			break
		}
	}
	for _, p := range []string{"call system(", "system(", "py ", "py3 ", "python", "pyfile", "lua ", "luafile", "perl ", "ruby ", "script ",
		"source ", "so ", ".load ", ".read ", "pipe ", "| ", "|", ".once |", ".output |", ".import |", "guile"} {
		if strings.HasPrefix(low, p) || strings.Contains(low, "system(") {
			d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("%s runs code Warden cannot see (%s): `%s`", label, t, c.Text))
			return
		}
	}
	if strings.HasPrefix(low, ".output ") || strings.HasPrefix(low, ".once ") || strings.HasPrefix(low, ".save ") || strings.HasPrefix(low, ".backup ") {
		f := strings.TrimSpace(t[strings.IndexByte(t, ' '):])
		e.checkFile(d, u, fileAccess{raw: strings.Trim(f, `"'`), access: policy.AccessWrite, cwds: c.Cwds, via: label + " in `" + c.Text + "`"})
	}
}

// sqlFileCommands are client meta-commands whose first argument is a file
// the client reads (and runs as SQL): sqlite3 .read/.import, psql \i,
// mysql source.
var sqlFileCommands = []string{".read", ".import", ".open", `\i`, `\ir`, `\include`, `\include_relative`, "source", `\.`}

// sqlWrites are the statements that change a database.
var sqlWrites = []string{"delete", "drop", "update", "insert", "alter", "truncate", "replace", "create", "grant", "revoke", "merge", "upsert", "vacuum", "attach"}

// sqlCommand decides SQL and client meta-commands: files the client or
// the database engine reads (read_csv('~/.aws/credentials'), .import
// .env t, \i .env), commands it runs (COPY ... TO PROGRAM 'cmd'), URLs it
// writes to, and statements that change data.
func (e *Engine) sqlCommand(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, call *catalog.Call, text string) {
	quoted := "`" + c.Text + "`"
	via := call.Path + " in " + quoted
	for _, stmt := range strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == '\n' }) {
		stmt = strings.TrimSpace(stmt)
		low := strings.ToLower(stmt)
		fields := strings.Fields(stmt)
		if len(fields) == 0 {
			continue
		}
		if slices.Contains(sqlFileCommands, strings.ToLower(fields[0])) && len(fields) > 1 {
			e.checkFile(d, u, fileAccess{raw: strings.Trim(fields[1], `"'`), access: policy.AccessRead, cwds: c.Cwds, via: via})
		}
		if i := strings.Index(low, "program "); i >= 0 && (strings.Contains(low, "copy") || strings.Contains(low, "\\copy")) {
			if lits := sqlLiterals(stmt[i:]); len(lits) > 0 {
				e.nested(d, u, c, env, depth, call.Path+" COPY PROGRAM", lits[0])
			}
		}
		if w := strings.ToLower(strings.TrimLeft(fields[0], "(")); slices.Contains(sqlWrites, w) {
			if v := e.rs.Classes[policy.ClassDatabase]; v != policy.None {
				d.match(u, v, "commands."+policy.ClassDatabase, fmt.Sprintf("%s runs %s, which changes a database (%s): %s", call.Path, strings.ToUpper(w), policy.ClassDatabase, quoted))
			}
		}
		for _, lit := range sqlLiterals(stmt) {
			switch {
			case strings.Contains(lit, "://"):
				if v := e.rs.Classes[policy.ClassEgress]; v != policy.None && !strings.HasPrefix(lit, "file://") {
					d.match(u, v, "commands."+policy.ClassEgress, fmt.Sprintf("%s reaches %s from SQL (egress): %s", call.Path, lit, quoted))
				}
			case strings.ContainsAny(lit, "/~") || strings.HasPrefix(lit, "."):
				// read_csv('~/.aws/credentials'), file('.env', ...): the
				// engine reads local files named in SQL.
				e.checkFile(d, u, fileAccess{raw: lit, access: policy.AccessRead, cwds: c.Cwds, via: via})
			}
		}
	}
}

// sqlLiterals returns the single-quoted string literals of a SQL text.
func sqlLiterals(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i+1:], '\'')
		if j < 0 {
			return out
		}
		out = append(out, s[i+1:i+1+j])
		s = s[i+j+2:]
	}
}

// execKey is a configuration key whose value makes a tool run a program.
type execKey struct {
	// pattern: a key, a "prefix.*" or "*.suffix" or "a.*.b" form.
	pattern string
	// opaque: the value names a file, directory or setting Warden cannot
	// follow (include.path, core.hooksPath): ask.
	opaque bool
}

// gitExecKeys are git configuration keys that run programs or load code.
var gitExecKeys = []execKey{
	{pattern: "core.pager"}, {pattern: "core.editor"}, {pattern: "core.sshcommand"}, {pattern: "core.fsmonitor"},
	{pattern: "core.askpass"}, {pattern: "core.gitproxy"}, {pattern: "credential.helper"}, {pattern: "credential.*.helper"},
	{pattern: "diff.external"}, {pattern: "diff.*.textconv"}, {pattern: "diff.*.command"}, {pattern: "merge.*.driver"},
	{pattern: "filter.*.clean"}, {pattern: "filter.*.smudge"}, {pattern: "filter.*.process"}, {pattern: "gpg.program"},
	{pattern: "gpg.*.program"}, {pattern: "sequence.editor"}, {pattern: "alias.*"}, {pattern: "pager.*"},
	{pattern: "interactive.difffilter"}, {pattern: "uploadpack.packobjectshook"}, {pattern: "remote.*.uploadpack"},
	{pattern: "remote.*.receivepack"}, {pattern: "difftool.*.cmd"}, {pattern: "mergetool.*.cmd"}, {pattern: "web.browser"},
	{pattern: "browser.*.cmd"}, {pattern: "man.*.cmd"}, {pattern: "sendemail.smtpserver"}, {pattern: "sendemail.tocmd"},
	{pattern: "sendemail.cccmd"}, {pattern: "ssh.variant"},
	{pattern: "core.hookspath", opaque: true}, {pattern: "include.path", opaque: true}, {pattern: "includeif.*.path", opaque: true},
	{pattern: "init.templatedir", opaque: true}, {pattern: "core.worktree", opaque: true}, {pattern: "url.*.insteadof", opaque: true},
	{pattern: "protocol.allow", opaque: true}, {pattern: "protocol.*.allow", opaque: true}, {pattern: "core.attributesfile", opaque: true},
	// cargo --config and ssh -o keys that run programs.
	{pattern: "build.rustc-wrapper"}, {pattern: "build.rustc-workspace-wrapper"}, {pattern: "build.rustc"},
	{pattern: "target.*.runner"}, {pattern: "target.*.linker"}, {pattern: "linker"},
	{pattern: "cmake_*_compiler_launcher"}, {pattern: "cmake_*_linker_launcher"}, {pattern: "cmake_*_compiler"},
	{pattern: "proxycommand"}, {pattern: "localcommand"}, {pattern: "knownhostscommand"}, {pattern: "pkcs11provider", opaque: true},
}

// lookupExecKey returns the exec key that key (lower-cased) matches. A
// "*" in the middle of a pattern matches anything, dots included
// (url.https://git.example/.insteadof).
func lookupExecKey(key string) (execKey, bool) {
	parts := strings.Split(key, ".")
	for _, k := range gitExecKeys {
		if pre, suf, ok := strings.Cut(k.pattern, "*"); ok && pre != "" && suf != "" &&
			strings.HasPrefix(key, pre) && strings.HasSuffix(key, suf) && len(key) > len(pre)+len(suf) {
			return k, true
		}
		ps := strings.Split(k.pattern, ".")
		if len(ps) == 2 && ps[1] == "*" && len(parts) >= 2 && parts[0] == ps[0] {
			return k, true
		}
		if len(ps) != len(parts) {
			continue
		}
		ok := true
		for i := range ps {
			if ps[i] != "*" && ps[i] != parts[i] {
				ok = false
				break
			}
		}
		if ok {
			return k, true
		}
	}
	return execKey{}, false
}

// configItem decides one key=value configuration item (git -c, cargo
// --config, ssh -o): a key that runs a program has its value analysed as
// Bash; one that points at code Warden cannot see asks.
func (e *Engine) configItem(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, call *catalog.Call, kv string, fromEnv bool) {
	kv = strings.TrimSpace(kv)
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		key, val, _ = strings.Cut(kv, " ") // ssh -o "ProxyCommand cmd"
	}
	key = strings.ToLower(strings.TrimSpace(key))
	val = unquotePair(strings.TrimSpace(val))
	k, exec := lookupExecKey(key)
	if !exec {
		return
	}
	quoted := "`" + c.Text + "`"
	label := call.Path + " " + key
	if fromEnv {
		// git --config-env=core.pager=VAR: VAR set by this command is known.
		for _, as := range c.Assigns {
			if as.Name == val && !as.Unset && len(as.Value.Values) == 1 && !as.Value.Dynamic {
				fromEnv, val = false, as.Value.Values[0]
			}
		}
	}
	if strings.HasPrefix(key, "cmake_") {
		val = strings.ReplaceAll(val, ";", " ") // a CMake list is a command line
	}
	switch {
	case fromEnv:
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s takes %s from an environment variable, so the program it runs cannot be known: %s", call.Path, key, quoted))
	case k.opaque:
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s=%s makes it run code Warden cannot see: %s", key, val, quoted))
	case strings.HasPrefix(key, "alias."):
		if code, ok := strings.CutPrefix(val, "!"); ok {
			d.helperVector(label)
			e.nested(d, u, c, env, depth, label, code)
		}
	case key == "core.fsmonitor" && (val == "true" || val == "false" || val == ""):
	case key == "credential.helper" || strings.HasSuffix(key, ".helper"):
		if code, ok := strings.CutPrefix(val, "!"); ok {
			e.nested(d, u, c, env, depth, label, code)
		} else if strings.ContainsAny(val, "/ ") {
			e.nested(d, u, c, env, depth, label, val)
		}
	default:
		d.helperVector(label)
		e.nested(d, u, c, env, depth, label, val)
	}
}

// unquotePair removes one pair of matching outer quotes ('x' or "x").
func unquotePair(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// gitConfigWrite decides `git config KEY VALUE`: a key that runs a program
// is stored for a later call, so it asks even when the code looks
// harmless now, and its code is decided as well.
func (e *Engine) gitConfigWrite(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, call *catalog.Call) {
	if call.Has(catalog.ListOnly) {
		return
	}
	var ops []string
	for _, a := range call.Args {
		if a.Opt == nil {
			ops = append(ops, a.Value)
		}
	}
	if len(ops) < 2 {
		return // git config KEY reads it
	}
	key := strings.ToLower(ops[0])
	if _, ok := lookupExecKey(key); !ok {
		return
	}
	d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("git config stores %s, which makes later git commands run `%s`: `%s`", key, ops[1], c.Text))
	e.configItem(d, u, c, env, depth, call, key+"="+ops[1], false)
}

// gitConfigPersists: git config core.hooksPath DIR makes every later
// commit, checkout and push run the programs in DIR.
func gitConfigPersists(call *catalog.Call) string {
	if !strings.HasPrefix(call.Path, "git config") || call.Has(catalog.ListOnly) {
		return ""
	}
	ops := 0
	for _, a := range call.Args {
		if a.Opt == nil {
			if ops == 0 && strings.ToLower(a.Value) != "core.hookspath" && !strings.HasPrefix(strings.ToLower(a.Value), "init.templatedir") {
				return ""
			}
			ops++
		}
	}
	if ops < 2 {
		return ""
	}
	return "git config sets a hooks or template directory whose programs run on later git commands"
}

// envKind is how an environment variable's value affects what runs.
type envKind uint8

const (
	envShell     envKind = iota + 1 // the value is a command line run by the program (PAGER, GIT_EDITOR)
	envOpaque                       // the value loads code Warden cannot see (LD_PRELOAD, BASH_ENV)
	envFlags                        // the value is options, some of which load code (NODE_OPTIONS)
	envPath                         // a search path: code outside the project asks (PYTHONPATH)
	envGitConfig                    // GIT_CONFIG_KEY_n / VALUE_n pairs
	envCode                         // the value is code in a language (LUA_INIT, PERL5DB); @FILE names a file
	envPrompt                       // a prompt string: its command substitutions run (PS4 under -x)
	envSearch                       // PATH: where programs are found
)

// envVars are the variables that make the next program run other code.
var envVars = []struct {
	names string
	kind  envKind
	// flags are the options that load code, for envFlags; for envCode,
	// the program whose language the code is in.
	flags string
}{
	{names: "PAGER GIT_PAGER MANPAGER SYSTEMD_PAGER EDITOR VISUAL GIT_EDITOR GIT_SEQUENCE_EDITOR SUDO_EDITOR SYSTEMD_EDITOR " +
		"LESSOPEN LESSCLOSE GIT_SSH_COMMAND GIT_SSH GIT_PROXY_COMMAND GIT_EXTERNAL_DIFF GIT_ASKPASS SSH_ASKPASS PROMPT_COMMAND " +
		"BROWSER RSYNC_RSH CVS_RSH CC CXX FC LD AR GIT_DIFF_OPTS FZF_DEFAULT_COMMAND " +
		// Cargo and rustc run these programs (a runner wraps every binary cargo runs).
		"RUSTC RUSTDOC RUSTC_LINKER CARGO_BUILD_RUSTC CARGO_BUILD_RUSTDOC CARGO_TARGET_*_RUNNER CARGO_TARGET_*_LINKER", kind: envShell},
	{names: "LD_PRELOAD LD_AUDIT DYLD_INSERT_LIBRARIES BASH_ENV ENV PYTHONSTARTUP " +
		"PYTHONHOME RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_BUILD_RUSTC_WRAPPER CARGO_TARGET_DIR_RUNNER GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM " +
		"GIT_CONFIG_PARAMETERS GIT_TEMPLATE_DIR GIT_EXEC_PATH NPM_CONFIG_SCRIPT_SHELL NPM_CONFIG_REGISTRY NPM_CONFIG_NODE_OPTIONS " +
		"NPM_CONFIG_ONLOAD_SCRIPT YARN_RC_FILENAME PIP_INDEX_URL PIP_EXTRA_INDEX_URL ZDOTDIR INPUTRC " +
		// Runtimes that load a library, profile or init file named here:
		// .NET startup hooks and profilers, glibc's iconv modules, R and
		// PHP start-up files, Lua's module paths, exported bash functions.
		"DOTNET_STARTUP_HOOKS CORECLR_PROFILER_PATH* COR_PROFILER_PATH* DOTNET_ADDITIONAL_DEPS GCONV_PATH " +
		"R_PROFILE R_PROFILE_USER R_ENVIRON R_ENVIRON_USER PHPRC PHP_INI_SCAN_DIR LUA_PATH* LUA_CPATH* " +
		"NODE_REPL_EXTERNAL_MODULE GIT_CONFIG HGRCPATH BASH_FUNC_* PYTHONUSERBASE", kind: envOpaque},
	{names: "LUA_INIT LUA_INIT_5_*", kind: envCode, flags: "lua"},
	{names: "PERL5DB", kind: envCode, flags: "perl"},
	{names: "PS4 PS1 PS2 PS0", kind: envPrompt},
	{names: "PATH", kind: envSearch},
	{names: "NODE_OPTIONS", kind: envFlags, flags: "-r --require --import --loader --experimental-loader -e --eval -p --print"},
	{names: "PERL5OPT", kind: envFlags, flags: "-M -m -d -I"},
	{names: "RUBYOPT", kind: envFlags, flags: "-r -I"},
	{names: "GOFLAGS", kind: envFlags, flags: "-toolexec -exec -vettool -overlay"},
	{names: "JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS MAVEN_OPTS GRADLE_OPTS", kind: envFlags, flags: "-javaagent -agentpath -agentlib"},
	{names: "PYTHONPATH NODE_PATH PERL5LIB RUBYLIB LD_LIBRARY_PATH DYLD_LIBRARY_PATH DYLD_FRAMEWORK_PATH", kind: envPath},
	{names: "GIT_CONFIG_KEY_*", kind: envGitConfig},
}

// envKindOf returns how name affects what runs (0: it does not).
func envKindOf(name string) (envKind, string) {
	u := strings.ToUpper(name)
	for _, v := range envVars {
		found := false
		catalog.Each(v.names, func(n string) {
			if pre, suf, ok := strings.Cut(n, "*"); ok && len(u) >= len(pre)+len(suf) && strings.HasPrefix(u, pre) && strings.HasSuffix(u, suf) || n == u {
				found = true
			}
		})
		if found {
			return v.kind, v.flags
		}
	}
	return 0, ""
}

// assignments decides the environment a command gets: prefix assignments,
// env NAME=value, export NAME=value.
func (e *Engine) assignments(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int) {
	for i, as := range c.Assigns {
		if strings.HasPrefix(strings.ToUpper(as.Name), "GIT_CONFIG_KEY_") {
			// GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.pager GIT_CONFIG_VALUE_0=...
			n := as.Name[len("GIT_CONFIG_KEY_"):]
			for _, v := range c.Assigns[i:] {
				if strings.EqualFold(v.Name, "GIT_CONFIG_VALUE_"+n) {
					call := catalog.Call{Path: "git (GIT_CONFIG_" + n + ")"}
					e.configItem(d, u, c, env, depth, &call, firstValue(as.Value)+"="+firstValue(v.Value), v.Value.Dynamic && len(v.Value.Values) == 0)
				}
			}
			continue
		}
		e.assignment(d, u, c, env, depth, as)
	}
}

// assignment decides one NAME=value given to a command.
func (e *Engine) assignment(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, as shell.Assign) {
	quoted := "`" + c.Text + "`"
	if as.Name == "*" && as.Unset {
		// env -i claude: the nested agent starts without Warden's settings.
		if p := e.catalog().Lookup(c.Program); p != nil && p.Name() == "claude" {
			if v := e.rs.Classes[policy.ClassWardenTamper]; v != policy.None {
				d.match(u, v, "commands."+policy.ClassWardenTamper, fmt.Sprintf("env -i starts %s without Warden's and telemetry's settings (%s): %s", c.Program, policy.ClassWardenTamper, quoted))
			}
		}
		return
	}
	if tamperVar(as.Name) {
		verb := "overrides"
		if as.Unset {
			verb = "removes"
		}
		if v := e.rs.Classes[policy.ClassWardenTamper]; v != policy.None {
			d.match(u, v, "commands."+policy.ClassWardenTamper, fmt.Sprintf("%s %s, a setting of Warden or its telemetry, for %s (%s)",
				verb, as.Name, quoted, policy.ClassWardenTamper))
		}
		return
	}
	if as.Unset {
		return
	}
	if n := strings.ToUpper(as.Name); n == "SHELL" || n == "MAKESHELL" || n == "CONFIG_SHELL" {
		unit0 := u
		// The shell a tool runs its commands with.
		if v := firstValue(as.Value); strings.Contains(v, "/") && !systemBin(v) {
			d.match(unit0, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s=%s makes %s run its commands with a program Warden cannot see", as.Name, v, quoted))
		}
		return
	}
	kind, flags := envKindOf(as.Name)
	if kind == 0 {
		return
	}
	if kind == envSearch {
		e.searchPath(d, u, c, env, as)
		return
	}
	val := firstValue(as.Value)
	if as.Value.Dynamic && len(as.Value.Values) == 0 {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s=%s makes %s run code that cannot be known before it runs", as.Name, as.Value.Raw, quoted))
		return
	}
	label := as.Name + "=" + val
	switch kind {
	case envShell:
		code := strings.TrimLeft(val, "|") // LESSOPEN='|cmd %s'
		if strings.TrimSpace(code) != "" {
			d.helperVector(as.Name)
			e.nested(d, u, c, env, depth, as.Name, code)
		}
	case envOpaque:
		if val != "" {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s makes %s load code Warden cannot see", label, quoted))
		}
	case envCode:
		if file, ok := strings.CutPrefix(val, "@"); ok {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s makes %s run the file %s first, whose code Warden cannot see", label, quoted, file))
		} else if p := e.catalog().Lookup(flags); p != nil && strings.TrimSpace(val) != "" {
			e.decideCode(d, u, c, &catalog.Call{Path: as.Name, Prog: p, Row: p}, env, depth, val, "")
			d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("%s makes %s run %s code first", label, quoted, flags))
		}
	case envPrompt:
		// Prompts are expanded like a double-quoted word: only command
		// substitutions run, and the shell analysis decides them.
		if strings.Contains(val, "$(") || strings.Contains(val, "`") {
			e.nested(d, u, c, env, depth, as.Name, ": "+val)
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs a command each time the shell prints the prompt, for %s", as.Name, quoted))
		}
	case envFlags:
		if p := e.catalog().Lookup("node"); strings.EqualFold(as.Name, "NODE_OPTIONS") && p != nil {
			for _, field := range strings.Fields(val) {
				_, v, _ := strings.Cut(field, "=")
				if code, ok := dataURLCode(v); ok {
					e.decideCode(d, u, c, &catalog.Call{Path: as.Name, Prog: p, Row: p}, env, depth, code, "")
				}
			}
		}
		if f := loadsCode(as.Name, val, flags); f != "" {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s makes %s load code Warden cannot see (%s)", label, quoted, f))
		}
	case envPath:
		for _, dir := range strings.Split(val, ":") {
			if dir == "" {
				continue
			}
			if p := env.resolve(dir, firstCwd(c, env)); !systemLibDir(p) && (outsideWorkspace(p, env) || strings.HasPrefix(p, "/tmp") || strings.HasPrefix(p, "/var/tmp") || strings.HasPrefix(p, "/dev/shm")) {
				d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s makes %s load code from %s, outside the project", label, quoted, p))
				break
			}
		}
	}
}

// stdinPath reports the names of standard input as a file.
func stdinPath(p string) bool {
	return p == "/dev/stdin" || p == "/dev/fd/0" || p == "/proc/self/fd/0"
}

// stdinScript decides a script given on standard input as a file: shell
// code and makefile recipes as shell, other languages as code.
func (e *Engine) stdinScript(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, depth int, text string) {
	switch {
	case call.Prog.Lang == "sh":
		e.nested(d, u, c, env, depth, call.Path+" /dev/stdin", text)
	case rowName(call) == "make":
		var recipes []string
		for _, line := range strings.Split(text, "\n") {
			if r, ok := strings.CutPrefix(line, "\t"); ok {
				recipes = append(recipes, strings.TrimLeft(r, "@-+"))
			}
		}
		e.nested(d, u, c, env, depth, call.Path+" recipe", strings.Join(recipes, "\n"))
		if strings.Contains(text, "$(shell") || strings.Contains(text, "include") {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s reads a makefile on standard input whose functions Warden does not follow: `%s`", call.Path, c.Text))
		}
	case call.Prog.Lang != "":
		e.decideCode(d, u, c, call, env, depth, text, "")
		d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("%s runs %s code given on standard input: `%s`", call.Path, call.Prog.Lang, c.Text))
	default:
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs a script given on standard input: `%s`", call.Path, c.Text))
	}
}

// dataURLCode returns the code a data: URL carries (data:text/javascript,
// CODE or ;base64,...), as Node's --import and --loader accept it.
func dataURLCode(v string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), "data:")
	if !ok {
		return "", false
	}
	meta, body, ok := strings.Cut(rest, ",")
	if !ok {
		return "", false
	}
	if strings.HasSuffix(meta, ";base64") {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	if u, err := url.PathUnescape(body); err == nil {
		return u, true
	}
	return body, true
}

// toolchainBins are directories installers put programs in, searched
// ahead of the system's by ordinary set-ups (PATH=~/.cargo/bin:$PATH).
var toolchainBins = []string{"~/.cargo/bin", "~/.local/bin", "~/go/bin", "~/.bun/bin", "~/.deno/bin", "~/.npm-global/bin",
	"~/.yarn/bin", "~/.pyenv/shims", "~/.pyenv/bin", "~/.rbenv/shims", "~/.nvm", "~/.volta/bin", "~/.asdf/shims", "~/.local/share/mise/shims",
	"~/.dotnet/tools", "~/.rustup", "/usr/local", "/opt", "/snap/bin", "/usr/lib", "/nix", "~/.nix-profile/bin"}

// searchPath decides PATH=DIR:...: a directory outside the project and
// the usual tool directories, searched by the command, can hold a program
// of the same name as the one named (PATH=/tmp/evil:$PATH git status runs
// /tmp/evil/git). A project directory is the project's own code.
func (e *Engine) searchPath(d *decision, u *unit, c *shell.Command, env *pathEnv, as shell.Assign) {
	val := as.Value.Raw
	if len(as.Value.Values) == 1 && !as.Value.Dynamic {
		val = as.Value.Values[0]
	}
	val = unquotePair(val)
	for _, dir := range strings.Split(val, ":") {
		for _, h := range []string{"$HOME", "${HOME}"} {
			if rest, ok := strings.CutPrefix(dir, h); ok && (rest == "" || rest[0] == '/') {
				dir = "~" + rest
			}
		}
		if dir == "" || strings.HasPrefix(dir, "$") {
			continue // $PATH itself, or a value the analysis cannot know
		}
		p := env.resolve(dir, firstCwd(c, env))
		if systemBin(p) || !outsideRepo(p, env) || toolchainDir(p, env) {
			continue
		}
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s=%s makes `%s` look for its programs in %s first, where any program of the same name runs instead", as.Name, val, c.Text, p))
		return
	}
}

func toolchainDir(p string, env *pathEnv) bool {
	for _, t := range toolchainBins {
		if _, in := cutDir(p, env.resolve(t, "/")); in {
			return true
		}
	}
	return false
}

// loadsCode returns the option in an options variable's value that loads
// code: a whole word (-r, --require=x, -Mmod), or for prompt variables a
// command substitution.
func loadsCode(name, val, flags string) string {
	if strings.HasPrefix(strings.ToUpper(name), "PS") {
		for _, f := range strings.Fields(flags) {
			if strings.Contains(val, f) {
				return f
			}
		}
		return ""
	}
	for _, field := range strings.Fields(val) {
		for _, f := range strings.Fields(flags) {
			short := len(f) == 2 && !strings.HasPrefix(field, "--")
			if field == f || strings.HasPrefix(field, f+"=") || strings.HasPrefix(field, f+":") || short && strings.HasPrefix(field, f) {
				return f
			}
		}
	}
	return ""
}

// systemLibDir reports the system's own library directories.
func systemLibDir(p string) bool {
	for _, d := range []string{"/usr", "/lib", "/lib32", "/lib64", "/opt/homebrew", "/System/Library", "/Library/Frameworks"} {
		if _, in := cutDir(p, d); in {
			return true
		}
	}
	return false
}

// definedFunction reports a shell function the analysed script defines
// (its body's commands carry "function NAME"): a call of it is no unknown
// program (die 'cannot find curl' prints a message).
func definedFunction(all []shell.Command, name string) bool {
	label := "function " + name
	for i := range all {
		for _, v := range all[i].Via {
			if v == label {
				return true
			}
		}
	}
	return false
}

// expandGitAlias returns c with a git alias defined for the call (-c
// alias.NAME=VALUE, GIT_CONFIG_KEY_n=alias.NAME) replaced by its value, so
// that git -c alias.nuke=reset nuke --hard is decided as git reset --hard.
// Shell aliases (VALUE starting with !) are judged as configuration.
func expandGitAlias(c *shell.Command) *shell.Command {
	if c.Program != "git" {
		return c
	}
	args := argv(c)
	aliases := gitAliases(args)
	for i, as := range c.Assigns {
		n, ok := strings.CutPrefix(strings.ToUpper(as.Name), "GIT_CONFIG_KEY_")
		if !ok || !strings.HasPrefix(strings.ToLower(firstValue(as.Value)), "alias.") {
			continue
		}
		for _, v := range c.Assigns[i:] {
			if strings.EqualFold(v.Name, "GIT_CONFIG_VALUE_"+n) {
				if aliases == nil {
					aliases = map[string]string{}
				}
				aliases[strings.ToLower(firstValue(as.Value)[len("alias."):])] = firstValue(v.Value)
			}
		}
	}
	if len(aliases) == 0 {
		return c
	}
	call := catalog.Parse(catalog.Builtin().Lookup("git"), "git", args)
	for _, a := range call.Args {
		if a.Opt != nil {
			continue
		}
		def, ok := aliases[a.Value]
		if !ok || strings.HasPrefix(def, "!") || call.Path != "git" {
			return c
		}
		words := strings.Fields(def)
		out := *c
		out.Args = make([]shell.Word, 0, len(c.Args)+len(words))
		out.Args = append(out.Args, c.Args[:a.Index]...)
		for _, w := range words {
			out.Args = append(out.Args, shell.Word{Raw: w, Values: []string{w}})
		}
		out.Args = append(out.Args, c.Args[a.Index+1:]...)
		return &out
	}
	return c
}

// unknownProgram: a program the catalogue does not know gets no opinion,
// unless an argument carries a command Warden would act on: a program name
// followed by its arguments (mywrapper wget URL), or a string that parses as
// such a command (mytool --run 'cat .env'). The operands a policy member
// leaves untyped (maybe) get the same guess.
func (e *Engine) unknownProgram(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, depth int) {
	if c.Program == "" || c.Dynamic || depth >= maxCodeDepth || d.noGuess {
		return
	}
	who := "unknown program " + c.Program
	guess := func(int) bool { return true }
	if call.Known() {
		var maybe map[int]bool
		for _, a := range call.Args {
			if a.Kind == catalog.Maybe && !a.Attached {
				if maybe == nil {
					maybe = map[int]bool{}
				}
				maybe[a.Index] = true
			}
		}
		if maybe == nil {
			return
		}
		who = "program " + c.Program + ", whose arguments the policy leaves untyped,"
		guess = func(i int) bool { return maybe[i] }
	}
	quoted := "`" + c.Text + "`"
	for i := 0; i+1 < len(c.Args); i++ {
		w := c.Args[i]
		v := firstValue(w)
		if !guess(i) || v == "" || strings.HasPrefix(v, "-") || strings.ContainsAny(v, " =") {
			continue
		}
		p := e.catalog().Lookup(path.Base(v))
		if p == nil {
			continue
		}
		if f, ok := e.probe(d, func(sd *decision) { e.execArgs(sd, c, env, depth, i, c.Program) }); ok {
			d.match(u, policy.Ask, policy.RuleUnknownProgramArg, fmt.Sprintf("%s is given the command `%s` as arguments, which Warden would %s (%s): %s",
				who, argText(c.Args[i:]), f.verdict, f.reason, quoted))
			return
		}
	}
	for i, w := range c.Args {
		if !guess(i) {
			continue
		}
		for _, v := range wordValues(w) {
			if _, val, ok := strings.Cut(v, "="); ok && strings.HasPrefix(v, "-") {
				v = val
			}
			if !strings.ContainsAny(strings.TrimSpace(v), " \t") {
				continue // a command has arguments: wget|curl is a pattern
			}
			if f, ok := e.probe(d, func(sd *decision) { e.nested(sd, sd.newUnit(), c, env, depth, c.Program+" argument", v) }); ok {
				d.match(u, policy.Ask, policy.RuleUnknownProgramArg, fmt.Sprintf("%s is given an argument that is a command Warden would %s (`%s`: %s): %s",
					who, f.verdict, v, f.reason, quoted))
				return
			}
		}
	}
}

// probe decides what run would add in a scratch decision, without the
// unknown-program guess, and returns its strongest finding when it is ask
// or deny.
func (e *Engine) probe(d *decision, run func(sd *decision)) (finding, bool) {
	sd := &decision{e: e, a: d.a, noGuess: true}
	run(sd)
	if sd.lacks != "" {
		d.lacks = sd.lacks
	}
	var best finding
	for _, su := range sd.units {
		if f := su.strongest(); f.verdict > best.verdict {
			best = f
		}
	}
	if best.verdict < policy.Ask {
		return best, false
	}
	d.trace = append(d.trace, sd.trace...)
	return best, true
}

func argText(words []shell.Word) string {
	vals := make([]string, len(words))
	for i, w := range words {
		vals[i] = firstValue(w)
	}
	return strings.Join(vals, " ")
}

// hiddenCode: a command run through an exec vector that runs a program or
// script file Warden cannot see (core.pager='sh ./x.sh', GIT_EDITOR=/tmp/e)
// asks: the vector exists to run exactly such code.
func (e *Engine) hiddenCode(d *decision, u *unit, c *shell.Command, call *catalog.Call) {
	if c.Program == "" || c.Dynamic || !d.inVector(c) {
		return
	}
	via := c.Via[len(c.Via)-1]
	if !d.envVector(c) {
		// Tool escapes, commands of subcommands, interpreter code and code
		// read from files: a program or script of the project is ordinary;
		// one from outside it is code Warden cannot see.
		env := &pathEnv{cwd: d.a.Cwd, home: d.a.Home, repo: d.a.Repo}
		outside := func(p string) bool { return outsideRepo(env.resolve(p, firstCwd(c, env)), env) }
		if name := firstValue(c.Name); strings.Contains(name, "/") && !systemBin(name) && outside(name) {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs the program file %s, outside the project, whose code Warden cannot see: `%s`", via, name, c.Text))
			return
		}
		for _, a := range call.Args {
			if a.Kind == catalog.Script && a.Value != "" && a.Value != "-" && outside(a.Value) {
				d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs the script %s, outside the project, whose code Warden cannot see: `%s`", via, a.Value, c.Text))
				return
			}
		}
		return
	}
	if name := firstValue(c.Name); strings.Contains(name, "/") && !systemBin(name) {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs the program file %s, whose code Warden cannot see: `%s`", via, name, c.Text))
		return
	}
	if d.envVector(c) && viaShell(c) {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs a shell: no pager, editor or helper needs one: `%s`", via, c.Text))
		return
	}
	if call.Prog != nil && (call.Prog.Lang == "sh" && !hasCodeArg(call) || call.Prog.Lang != "" && hasCodeArg(call)) && d.envVector(c) {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s starts %s, a shell or interpreter: no pager, editor or helper needs one: `%s`", via, c.Program, c.Text))
		return
	}
	for _, a := range call.Args {
		if a.Kind == catalog.Script && a.Value != "" && a.Value != "-" && e.catalog().Lookup(path.Base(a.Value)) == nil {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s runs the script %s, whose code Warden cannot see: `%s`", via, a.Value, c.Text))
			return
		}
	}
}
