package engine

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// decideBash decides a Bash command: every simple command the shell could
// run is one unit, decided by its class, the files it touches, interpreter
// code it carries, native Bash(...) rules and CEL conditions.
func (e *Engine) decideBash(d *decision) {
	a := d.a
	an := shell.Analyze(a.Command, shell.Options{Cwd: a.Cwd, Home: a.Home, Repo: a.Repo})
	if a.Touches {
		t := touchesOf(e.catalog(), an, a.Cwd, a.Home)
		d.touched = &t
	}
	if an.ParseError != nil {
		u := d.newUnit()
		d.match(u, policy.Ask, policy.RuleParseError, fmt.Sprintf("the command does not parse as Bash, so what it runs cannot be known: %v", an.ParseError))
	}
	if len(an.Commands) == 0 && an.ParseError == nil {
		// An empty or comment-only command runs nothing; bare Bash rules
		// still apply.
		u := d.newUnit()
		e.nativeBash(d, u, nil, nil)
		e.conditions(d, u, nil)
		return
	}
	env := &pathEnv{cwd: a.Cwd, home: a.Home, repo: a.Repo}
	d.links = plannedLinks(an.Commands, env)
	d.secretFeeds = secretFeeds(an.Commands)
	d.gitAliases = configuredAliases(an.Commands)
	for i := range an.Commands {
		e.decideCommand(d, &an.Commands[i], an.Commands, env, 0)
	}
	e.filteredDump(d, an.Commands)
	e.pipedKill(d, an.Commands)
}

// killers signal processes named or numbered on their command line.
var killers = []string{"kill", "pkill", "killall", "skill", "slay"}

// pipedKill decides a kill fed by an earlier command that names Warden:
// pgrep -f warden-hook | xargs kill, ps | awk '/warden/{print $1}' | xargs
// kill. The process ids are computed, but what they name is plain.
func (e *Engine) pipedKill(d *decision, cmds []shell.Command) {
	v := e.rs.Classes[policy.ClassWardenTamper]
	if v == policy.None {
		return
	}
	for i := range cmds {
		k := &cmds[i]
		if !slices.Contains(killers, strings.ToLower(k.Program)) {
			continue
		}
		fed := k.StdinFromPipe
		for _, via := range k.Via {
			fed = fed || strings.HasPrefix(via, "xargs")
		}
		if !fed {
			continue
		}
		for j := 0; j < i; j++ {
			if strings.Contains(strings.ToLower(cmds[j].Text), "warden") {
				d.match(d.newUnit(), v, "commands."+policy.ClassWardenTamper, fmt.Sprintf("%s signals the processes %s finds, which name Warden (%s): `%s`",
					k.Program, "`"+cmds[j].Text+"`", policy.ClassWardenTamper, k.Text))
				return
			}
		}
	}
}

// shellJoin quotes words into one command line.
func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// bareWordLangs are languages whose commands take unquoted words as
// arguments, as a shell does.
var bareWordLangs = []string{"powershell", "tcl", "expect", "applescript", "cmake", "fish"}

// pathWords returns the words of code that look like paths: ~/..., /...,
// ./..., or a dotfile name (.env, .npmrc).
func pathWords(code string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(code, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '[' || r == ']' || r == '(' || r == ')' || r == ';' || r == '{' || r == '}' || r == '"' || r == '\''
	}) {
		if strings.HasPrefix(w, "~/") || strings.HasPrefix(w, "/") || strings.HasPrefix(w, "./") || len(w) > 1 && w[0] == '.' && w[1] != '.' {
			out = append(out, w)
		}
	}
	return out
}

// configuredAliases returns the git aliases that git config commands in
// cmds define: git config [--global] alias.NAME VALUE.
func configuredAliases(cmds []shell.Command) map[string]string {
	var out map[string]string
	for i := range cmds {
		// Most calls define no alias: the text test spares argv on the
		// hot path.
		if cmds[i].Program != "git" || !strings.Contains(strings.ToLower(cmds[i].Text), "alias.") {
			continue
		}
		args := argv(&cmds[i])
		sub, rest := subcommand(args, gitGlobalValueOpts...)
		if sub != "config" {
			continue
		}
		pos := positionals(rest)
		if len(pos) == 3 && pos[0] == "set" {
			pos = pos[1:]
		}
		if len(pos) == 2 && strings.HasPrefix(strings.ToLower(pos[0]), "alias.") {
			if out == nil {
				out = map[string]string{}
			}
			out[strings.ToLower(pos[0][len("alias."):])] = pos[1]
		}
	}
	return out
}

// withAliases gives a git command the aliases defined earlier as -c
// options, so that expandGitAlias decides git pf as git push -f.
func withAliases(c *shell.Command, aliases map[string]string) *shell.Command {
	if c.Program != "git" || len(aliases) == 0 {
		return c
	}
	sub, _ := subcommand(argv(c), gitGlobalValueOpts...)
	def, ok := aliases[strings.ToLower(sub)]
	if !ok {
		return c
	}
	out := *c
	kv := "alias." + sub + "=" + def
	out.Args = append([]shell.Word{{Raw: "-c", Values: []string{"-c"}}, {Raw: kv, Values: []string{kv}}}, c.Args...)
	return &out
}

// maxCodeDepth bounds interpreter code that shells out to commands that run
// interpreters again.
const maxCodeDepth = 4

func (e *Engine) decideCommand(d *decision, c *shell.Command, all []shell.Command, env *pathEnv, depth int) {
	u := d.newUnit()
	c = expandGitAlias(withAliases(c, d.gitAliases))
	if e.trace {
		via := ""
		if len(c.Via) > 0 {
			via = " (via " + strings.Join(c.Via, ", ") + ")"
		}
		d.note("command", "%s%s", c.Text, via)
	}
	quoted := "`" + c.Text + "`"
	call := e.parse(c)
	if e.trace && c.Program != "" {
		row := "unknown program"
		if call.Prog != nil {
			row = "catalogue row " + call.Prog.Name()
			if call.Prog.From != "" {
				row = call.Prog.From
			}
			if call.Path != c.Program {
				row += " (" + call.Path + ")"
			}
		}
		d.note("program", "%s: %s", c.Program, row)
	}
	if c.Dynamic {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("the program of %s cannot be known before it runs", quoted))
	} else if c.Name.Subst {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("the program of %s is computed by a command substitution (%s)", quoted, c.Name.Raw))
	}
	if call.Row != nil && call.Prog.Lang == "sh" && c.StdinFromPipe && c.Stdin == nil && !hasScriptArg(c) {
		d.match(u, policy.Ask, policy.RulePipeToShell, fmt.Sprintf("%s runs a script read from a pipe whose content cannot be known", quoted))
	}
	if why := rmDynamicTarget(c, &call, argv(c), all, env); why != "" {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, why)
	}
	e.assignments(d, u, c, env, depth)
	for _, h := range e.classify(d, u, c, &call, env, d.a.Branch) {
		v, ok := e.rs.Classes[h.class]
		if !ok || v == policy.None {
			d.note("class", "%s: %s (no decision for this class)", h.class, h.why)
			continue
		}
		d.match(u, v, "commands."+h.class, fmt.Sprintf("%s (%s): %s", h.why, h.class, quoted))
	}
	for _, r := range c.Redirects {
		for _, t := range wordValues(r.Target) {
			if strings.HasPrefix(t, "/dev/tcp/") || strings.HasPrefix(t, "/dev/udp/") {
				if v := e.rs.Classes[policy.ClassEgress]; v != policy.None {
					d.match(u, v, "commands."+policy.ClassEgress, fmt.Sprintf("redirection to %s opens a network connection (egress): %s", t, quoted))
				}
			}
			if r.Write && isDevice(t) {
				if v := e.rs.Classes[policy.ClassDestructive]; v != policy.None {
					d.match(u, v, "commands."+policy.ClassDestructive, fmt.Sprintf("redirection writes to device %s (destructive): %s", t, quoted))
				}
			}
		}
	}
	if p := strings.ToLower(c.Program); p == "echo" || p == "printf" || p == "tee" {
		for _, r := range c.Redirects {
			if r.Write {
				for _, t := range wordValues(r.Target) {
					attributesFilter(d, u, t, argText(c.Args), quoted)
				}
			}
		}
	}
	files := commandFiles(c, &call)
	for _, fa := range files {
		e.checkFile(d, u, fa)
	}
	e.recursiveReads(d, u, c, &call, env)
	e.findSecrets(d, u, c, all, env)
	e.xargsReads(d, u, c, &call, env)
	e.kinds(d, u, c, &call, env, depth)
	if strings.HasPrefix(call.Path, "git config") {
		e.gitConfigWrite(d, u, c, env, depth, &call)
	}
	e.interpreter(d, u, c, &call, env, depth)
	e.sourceStdin(d, u, c, env, depth)
	if call.Prog != nil && call.Prog.Lang == "sed" {
		e.sedInspect(d, u, c, env, depth)
	}
	e.filesRun(d, u, c, &call, all, env, depth)
	if !definedFunction(all, c.Program) {
		e.unknownProgram(d, u, c, &call, env, depth)
	}
	e.hiddenCode(d, u, c, &call)
	e.nativeBash(d, u, c, files)
	e.conditions(d, u, c)
}

// stdinSecretOptions are the options with which a program reads a secret
// from standard input, so that it stays out of argv and the terminal.
var stdinSecretOptions = []string{"--password-stdin", "--with-token", "--token-stdin", "--secret-stdin", "--password-from-stdin"}

// secretFeeds marks each echo/printf whose output is piped into a command
// reading a secret from standard input.
func secretFeeds(cmds []shell.Command) map[*shell.Command]bool {
	var out map[*shell.Command]bool
	for i := 0; i+1 < len(cmds); i++ {
		p := strings.ToLower(cmds[i].Program)
		next := &cmds[i+1]
		if p != "echo" && p != "printf" || !next.StdinFromPipe || next.Written != cmds[i].Written && next.Line != cmds[i].Line {
			continue
		}
		for _, a := range argv(next) {
			if slices.Contains(stdinSecretOptions, a) {
				if out == nil {
					out = map[*shell.Command]bool{}
				}
				out[&cmds[i]] = true
			}
		}
	}
	return out
}

// envDumpers print the whole environment.
var envDumpers = []string{"env", "printenv", "set", "export", "declare", "typeset", "compgen"}

// secretFilters read a dump on standard input and keep what a pattern names.
var secretFilters = []string{"grep", "egrep", "fgrep", "rg", "awk", "sed", "jq", "findstr", "select-string"}

// filteredDump: an environment dump piped into a filter whose pattern names
// a secret variable (printenv | grep AWS_SECRET_ACCESS_KEY) reads that
// variable by name: the "deny where a secret variable is named".
func (e *Engine) filteredDump(d *decision, cmds []shell.Command) {
	dump := false
	for i := range cmds {
		c := &cmds[i]
		p := strings.ToLower(c.Program)
		if slices.Contains(envDumpers, p) {
			dump = true
			continue
		}
		if !dump || !c.StdinFromPipe || !slices.Contains(secretFilters, p) {
			continue
		}
		for _, w := range c.Args {
			for _, tok := range strings.FieldsFunc(firstValue(w), func(r rune) bool { return !(r < 128 && isIdentByte(byte(r))) }) {
				if secretName(tok) && strings.Contains(tok, "_") { // a variable, not a word like token
					if v := e.rs.Classes[policy.ClassSecretVariable]; v != policy.None {
						d.match(d.newUnit(), v, "commands."+policy.ClassSecretVariable, fmt.Sprintf("the environment is dumped and filtered for the secret variable %s (%s): `%s`", tok, policy.ClassSecretVariable, c.Text))
					}
					return
				}
			}
		}
	}
}

// hasScriptArg reports a shell given a script file or -c (its stdin is then
// not the script).
func hasScriptArg(c *shell.Command) bool {
	for _, a := range argv(c) {
		if a == "-s" {
			return false
		}
		if !strings.HasPrefix(a, "-") {
			return true
		}
	}
	return false
}

// recursiveReads: a recursive read (grep -r, cp -r, tar, zip -r) of a
// directory that holds secrets reads them too. Home and its ancestors always
// do (~/.ssh); other directories are checked one level deep.
func (e *Engine) recursiveReads(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv) {
	prog := ""
	if call.Prog != nil {
		prog = call.Prog.Name()
	}
	args := argv(c)
	var dirs, incl []string
	excl := excludes(args)
	patternReads := func() {
		for _, a := range call.Args {
			switch {
			case a.Opt == nil:
				if a.Kind == catalog.Read || a.Kind == catalog.ReadWrite {
					dirs = append(dirs, a.Value)
				}
			case a.Opt.Names == "--include":
				incl = append(incl, strings.Trim(a.Value, `'"`))
			case a.Opt.Names == "--exclude --exclude-dir":
				excl = append(excl, strings.Trim(a.Value, `'"`))
			}
		}
	}
	switch {
	case prog == "tar":
		if !tarCreates(args) {
			return
		}
		for _, fa := range tarFiles(c) {
			if fa.access == policy.AccessRead {
				dirs = append(dirs, fa.raw)
			}
		}
	case prog == "rg" && call.Has(catalog.Hidden):
		patternReads()
	case prog == "grep" && call.Has(catalog.Recursive):
		patternReads()
		if len(dirs) == 0 {
			dirs = []string{"."}
		}
	case (prog == "cp" || prog == "zip" || prog == "rsync" || prog == "scp") && call.Has(catalog.Recursive):
		dirs = positionals(args)
	default:
		return
	}
	for _, dir := range dirs {
		for _, cwd := range cwdsOf(c, env) {
			p := env.resolve(dir, cwd)
			e.checkTree(d, u, p, env, c.Text, incl, excl)
		}
	}
}

// excludes returns the name globs a recursive reader is told to skip
// (tar's and rsync's --exclude).
func excludes(args []string) []string {
	var out []string
	for i, a := range args {
		for _, opt := range []string{"--exclude", "--exclude-dir"} {
			if v, ok := strings.CutPrefix(a, opt+"="); ok {
				out = append(out, strings.Trim(v, `'"`))
			} else if a == opt && i+1 < len(args) {
				out = append(out, args[i+1])
			}
		}
	}
	return out
}

func tarCreates(args []string) bool {
	for i, a := range args {
		if a == "--create" || a == "-c" || i == 0 && !strings.HasPrefix(a, "-") && strings.ContainsRune(a, 'c') ||
			strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.ContainsRune(a, 'c') {
			return true
		}
	}
	return false
}

// fixedInstances returns an instance of every read-rule pattern anchored
// at the root or the home directory: the protected files whose place does
// not depend on the repository. They depend only on the home directory, so
// they are built once per home and kept.
func (e *Engine) fixedInstances(env *pathEnv) []string {
	if v, ok := e.fixed.Load(env.home); ok {
		return v.([]string)
	}
	var out []string
	for i := range e.paths().rules {
		r := &e.paths().rules[i]
		if !r.applies(policy.AccessRead) {
			continue
		}
		for j := range r.patterns {
			if a := r.patterns[j].anchor; a == atHome || a == atRoot {
				out = append(out, r.patterns[j].instantiate("/", env))
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if e.fixedN.Add(1) <= maxFixedHomes {
		e.fixed.Store(env.home, out)
	}
	return out
}

// maxFixedHomes bounds the homes fixedInstances keeps (a server decides
// for many machines).
const maxFixedHomes = 64

// xargsReads decides a reader whose file names xargs supplies from a
// listing it cannot see (cd ~/.ssh && ls | xargs cat): any file of the
// working directory may be read, so a protected file directly in it is
// an incidental read.
func (e *Engine) xargsReads(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv) {
	row := call.Row
	if row == nil {
		row = call.Prog // a call with no arguments stays at the program's row
	}
	if !slices.ContainsFunc(c.Via, func(v string) bool { return strings.HasPrefix(v, "xargs") }) ||
		row == nil || row.Operands.Rest != catalog.Read {
		return
	}
	for _, a := range call.Of(catalog.Read) {
		if w := c.Args[a.Index]; !w.Dynamic || len(w.Values) > 0 {
			return // the files are named: they are checked as themselves
		}
	}
	fa := fileAccess{access: policy.AccessRead, incidental: true, via: "`" + c.Text + "` with file names from xargs",
		hint: "the names xargs passes cannot be known, and this directory holds it (name the files to read)"}
	for _, cwd := range cwdsOf(c, env) {
		for _, inst := range e.fixedInstances(env) {
			if path.Dir(inst) != cwd {
				continue
			}
			inc := fa
			inc.raw = inst
			if e.checkResolved(d, u, inc, inst, env, "") {
				return
			}
		}
	}
}

// excluded reports a name an exclude glob skips or no include glob covers.
func excluded(name string, incl, excl []string) bool {
	for _, x := range excl {
		if ok, _ := path.Match(x, name); ok {
			return true
		}
	}
	return len(incl) > 0 && !slices.ContainsFunc(incl, func(g string) bool { ok, _ := path.Match(g, name); return ok })
}

func cwdsOf(c *shell.Command, env *pathEnv) []string {
	if len(c.Cwds) > 0 {
		return c.Cwds
	}
	return []string{env.cwd}
}

// checkTree decides a recursive read of directory p; entries matching an
// exclude glob are skipped, and with include globs only matching entries
// are covered (grep --include='*.go' reads no .env).
func (e *Engine) checkTree(d *decision, u *unit, p string, env *pathEnv, via string, incl, excl []string) {
	fa := fileAccess{access: policy.AccessRead, via: "recursive read in " + via}
	if env.home != "" {
		if _, below := cutDir(env.home, p); below || p == env.home {
			// Reading home (or above it) reads ~/.ssh, ~/.aws and the rest.
			fa.raw = env.home + "/.ssh/id_rsa"
			if e.checkResolved(d, u, fa, fa.raw, env, "") {
				return
			}
		}
	}
	if e.checkPath(d, u, fa, p, env) {
		return
	}
	// grep -r x ~/.config/gh: a protected file below p is read, whether
	// or not it exists on this machine.
	for _, inst := range e.fixedInstances(env) {
		if _, below := cutDir(inst, p); !below || inst == p || excluded(path.Base(inst), incl, excl) {
			continue
		}
		inc := fa
		inc.raw, inc.incidental = inst, true
		if e.checkResolved(d, u, inc, inst, env, "") {
			return
		}
	}
	entries, err := e.fs.ReadDir(p)
	if err != nil {
		return
	}
	fa.incidental = true
	for _, en := range entries {
		if excluded(en.Name(), incl, excl) {
			continue
		}
		child := strings.TrimSuffix(p, "/") + "/" + en.Name()
		if e.checkResolved(d, u, fa, child, env, "") {
			return
		}
	}
}

// findSecrets: find -exec (or find piped to xargs) over files whose name
// patterns match a secret reads them.
func (e *Engine) findSecrets(d *decision, u *unit, c *shell.Command, all []shell.Command, env *pathEnv) {
	if c.Program != "find" {
		return
	}
	args := argv(c)
	runs := false
	for _, a := range args {
		if a == "-exec" || a == "-execdir" || a == "-ok" || a == "-okdir" || a == "-print0" || a == "-fprint" {
			runs = true
		}
	}
	if !runs {
		for i := range all {
			for _, v := range all[i].Via {
				if v == "xargs" {
					runs = true
				}
			}
		}
	}
	if !runs {
		return
	}
	filtered := false
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-name", "-iname", "-path", "-ipath", "-wholename":
		default:
			continue
		}
		filtered = true
		if i > 0 && (args[i-1] == "-not" || args[i-1] == "!") {
			continue // an exclusion, not what is read
		}
		for _, root := range positionalsBefore(args) {
			for _, cwd := range cwdsOf(c, env) {
				dir := env.resolve(root, cwd)
				glob := args[i+1]
				if !strings.Contains(glob, "/") {
					glob = dir + "/" + glob
				}
				e.checkFile(d, u, fileAccess{raw: glob, access: policy.AccessRead, cwds: []string{dir}, glob: true,
					via: "files found by `" + c.Text + "` and passed to a command"})
			}
		}
	}
	// Every file under the roots is passed on: the roots are read whole.
	for _, root := range positionalsBefore(args) {
		for _, cwd := range cwdsOf(c, env) {
			p := env.resolve(root, cwd)
			if filtered {
				e.checkResolved(d, u, fileAccess{access: policy.AccessRead, via: "`" + c.Text + "`"}, p, env, "")
				continue
			}
			e.checkTree(d, u, p, env, c.Text, nil, nil)
		}
	}
}

func positionalsBefore(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") || a == "(" || a == "!" {
			break
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		out = []string{"."}
	}
	return out
}

// interpreter inspects the code an interpreter runs.
func (e *Engine) interpreter(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, depth int) {
	codes, dynamic, ok := interpreterCode(c, call)
	if !ok {
		return
	}
	quoted := "`" + c.Text + "`"
	if dynamic {
		d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("%s runs code that cannot be known before it runs", quoted))
	}
	for _, code := range codes {
		e.decideCode(d, u, c, call, env, depth, code, "")
	}
}

// decideCode decides one program text c runs from what inspectCode finds
// in it. src names the file the code was read from ("" for code on the
// command line); the reasons then name the file and the line.
func (e *Engine) decideCode(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, depth int, code, src string) {
	quoted := "`" + c.Text + "`"
	f := inspectCode(code)
	if call.Prog != nil && slices.Contains(bareWordLangs, call.Prog.Lang) {
		// Get-Content .env, open .env: these languages take unquoted
		// words as arguments, so a path-like word is a path.
		f.literals = append(f.literals, pathWords(code)...)
	}
	f.literals, f.commands = uniq(f.literals), uniq(f.commands)
	if src != "" && !e.spend(d, u, c, src, len(f.literals)+len(f.commands)) {
		return
	}
	if f.network != "" {
		n := len(u.findings)
		if v := e.rs.Classes[policy.ClassEgress]; v != policy.None {
			d.match(u, v, "commands."+policy.ClassEgress, fmt.Sprintf("%s code uses the network (%s) (egress): %s", c.Program, f.network, quoted))
		}
		d.locateCode(u, n, src, code, f.network)
	}
	for _, m := range packageInstallMarkers {
		if strings.Contains(code, m) {
			n := len(u.findings)
			if v := e.rs.Classes[policy.ClassPackageInstall]; v != policy.None {
				d.match(u, v, "commands."+policy.ClassPackageInstall, fmt.Sprintf("%s code installs packages (%s) (%s): %s", c.Program, m, policy.ClassPackageInstall, quoted))
			}
			d.locateCode(u, n, src, code, m)
			break
		}
	}
	if f.envDump != "" {
		n := len(u.findings)
		if v := e.rs.Classes[policy.ClassEnvSecrets]; v != policy.None {
			d.match(u, v, "commands."+policy.ClassEnvSecrets, fmt.Sprintf("%s code prints the whole environment (%s) (%s): %s", c.Program, f.envDump, policy.ClassEnvSecrets, quoted))
		}
		d.locateCode(u, n, src, code, f.envDump)
	}
	if f.shellOut != "" {
		n := len(u.findings)
		d.match(u, policy.Ask, policy.RuleInterpreter, fmt.Sprintf("%s code runs a computed shell command (%s): %s", c.Program, f.shellOut, quoted))
		d.locateCode(u, n, src, code, f.shellOut)
	}
	switch call.Prog.Lang {
	case "awk":
		e.awkPipes(d, u, c, env, depth, code)
	case "expect", "tcl":
		e.spawns(d, u, c, env, depth, code)
	case "ruby":
		// Rake's sh "cmd" runs cmd; ruby -run -e httpd serves files.
		for _, q := range []string{`sh "`, `sh '`, `sh("`, `sh('`} {
			for part := code; ; {
				i := strings.Index(part, q)
				if i < 0 {
					break
				}
				if lits := stringLiterals(part[i+len(q)-1:]); len(lits) > 0 {
					e.nested(d, u, c, env, depth, c.Program+" sh", lits[0])
				}
				part = part[i+len(q):]
			}
		}
		if strings.TrimSpace(code) == "httpd" {
			if v := e.rs.Classes[policy.ClassEgress]; v != policy.None {
				d.match(u, v, "commands."+policy.ClassEgress, fmt.Sprintf("%s serves files to other machines (egress): %s", c.Program, quoted))
			}
		}
	case "elixir":
		// System.cmd("curl", ["-d", "@.env", URL]) runs the program with
		// those arguments; System.shell("cmd") runs a command line.
		for _, m := range []string{"System.cmd(", ":os.cmd("} {
			for part := code; ; {
				i := strings.Index(part, m)
				if i < 0 {
					break
				}
				end := strings.Index(part[i:], ")")
				if end < 0 {
					end = len(part) - i
				}
				if lits := stringLiterals(part[i : i+end]); len(lits) > 0 {
					e.nested(d, u, c, env, depth, c.Program+" "+strings.TrimSuffix(m, "("), shellJoin(lits))
				}
				part = part[i+len(m):]
			}
		}
		if i := strings.Index(code, "System.shell("); i >= 0 {
			if lits := stringLiterals(code[i:]); len(lits) > 0 {
				e.nested(d, u, c, env, depth, c.Program+" System.shell", lits[0])
			}
		}
	case "groovy":
		// "cmd".execute() runs cmd.
		for _, part := range strings.Split(code, ".execute()")[:max(0, strings.Count(code, ".execute()"))] {
			if lits := stringLiterals(part); len(lits) > 0 {
				e.nested(d, u, c, env, depth, c.Program+" execute()", lits[len(lits)-1])
			}
		}
	}
	for _, name := range secretEnvReads(code) {
		n := len(u.findings)
		if v := e.rs.Classes[policy.ClassSecretVariable]; v != policy.None {
			d.match(u, v, "commands."+policy.ClassSecretVariable, fmt.Sprintf("%s code reads the secret variable %s (%s): %s", c.Program, name, policy.ClassSecretVariable, quoted))
		}
		d.locateCode(u, n, src, code, name)
	}
	if f.deletes != "" && homeRef(code) {
		if v := e.rs.Classes[policy.ClassDestructive]; v != policy.None {
			d.match(u, v, "commands."+policy.ClassDestructive, fmt.Sprintf("%s code deletes the home directory with %s (%s): %s", c.Program, f.deletes, policy.ClassDestructive, quoted))
		}
	}
	if strings.Contains(code, "warden") && (strings.Contains(code, "kill") || strings.Contains(code, "SIGTERM") || strings.Contains(code, "SIGKILL")) {
		if v := e.rs.Classes[policy.ClassWardenTamper]; v != policy.None {
			d.match(u, v, "commands."+policy.ClassWardenTamper, fmt.Sprintf("%s code signals Warden's processes (%s): %s", c.Program, policy.ClassWardenTamper, quoted))
		}
	}
	if depth < maxCodeDepth && (strings.Contains(code, "exec(") || strings.Contains(code, "eval(")) {
		// exec('import os; os.system("cat .env")'): a literal run as code
		// is inspected as code too.
		for _, lit := range f.literals {
			if strings.ContainsAny(lit, "();") {
				e.decideCode(d, u, c, call, env, depth+1, lit, src)
			}
		}
	}
	for _, lit := range f.literals {
		n := len(u.findings)
		e.checkCodePath(d, u, c, lit, policy.AccessRead)
		if f.writes {
			e.checkCodePath(d, u, c, lit, policy.AccessWrite)
		}
		if f.deletes != "" {
			e.codeDelete(d, u, c, env, lit, f.deletes)
		}
		d.locateCode(u, n, src, code, lit)
	}
	if depth < maxCodeDepth {
		for _, cmd := range f.commands {
			an := shell.Analyze(cmd, shell.Options{Cwd: firstCwd(c, env), Home: env.home})
			if src != "" {
				e.decideCodeCommands(d, c, an.Commands, env, depth+1, src, code, cmd)
				continue
			}
			d.vector(c.Program + " code")
			for i := range an.Commands {
				sub := &an.Commands[i]
				sub.Via = append([]string{c.Program + " code"}, sub.Via...)
				e.decideCommand(d, sub, an.Commands, env, depth+1)
			}
		}
	}
}

// codeDelete classifies a literal path that interpreter code deletes
// (shutil.rmtree, FileUtils.rm_rf, fs.rmSync, os.remove).
func (e *Engine) codeDelete(d *decision, u *unit, c *shell.Command, env *pathEnv, lit, marker string) {
	lit = strings.TrimSpace(lit)
	if lit == "" || strings.ContainsAny(lit, "\n\x00 ") || !strings.ContainsAny(lit, "/~.") || len(lit) > 4096 {
		return
	}
	p := env.resolve(lit, firstCwd(c, env))
	quoted := "`" + c.Text + "`"
	class, why := "", ""
	switch {
	case isCritical(p, env):
		class, why = policy.ClassDestructive, fmt.Sprintf("%s code deletes %s%s with %s", c.Program, p, criticalName(p, env), marker)
	case outsideWorkspace(p, env):
		class, why = policy.ClassDeleteOutside, fmt.Sprintf("%s code deletes %s, outside the repository, with %s", c.Program, p, marker)
	default:
		return
	}
	if v := e.rs.Classes[class]; v != policy.None {
		d.match(u, v, "commands."+class, fmt.Sprintf("%s (%s): %s", why, class, quoted))
	}
}

// checkCodePath checks a string literal of interpreter code as a path; a
// dotfile path is also tried below home ("/.ssh/id_rsa" joined to a home
// variable at run time).
func (e *Engine) checkCodePath(d *decision, u *unit, c *shell.Command, lit string, access policy.Access) {
	lit = strings.TrimSpace(strings.TrimLeft(lit, "<>+|"))
	if lit == "" || strings.ContainsAny(lit, "\n\x00") || strings.Contains(lit, "://") || len(lit) > 4096 {
		return
	}
	via := c.Program + " code in `" + c.Text + "`"
	e.checkFile(d, u, fileAccess{raw: lit, access: access, cwds: c.Cwds, via: via})
	if strings.HasPrefix(lit, "/.") || strings.HasPrefix(lit, ".") && !strings.HasPrefix(lit, "./") && !strings.HasPrefix(lit, "..") {
		e.checkFile(d, u, fileAccess{raw: "~/" + strings.TrimLeft(lit, "/"), access: access, cwds: c.Cwds, via: via})
	}
}

// touchesOutside reports a command that reads or writes a file outside the
// repository (or cwd); the standard streams and /dev/null do not count.
func (e *Engine) touchesOutside(d *decision, c *shell.Command, files []fileAccess) bool {
	env := &pathEnv{cwd: d.a.Cwd, home: d.a.Home, repo: d.a.Repo}
	for _, fa := range files {
		for _, cwd := range cwdsOf(c, env) {
			p := env.resolve(fa.raw, cwd)
			switch {
			case p == "/dev/null" || p == "/dev/stdout" || p == "/dev/stderr" || p == "/dev/stdin" || strings.HasPrefix(p, "/dev/fd/"):
			default:
				if _, in := cutDir(p, env.root()); !in {
					return true
				}
			}
		}
	}
	return false
}

// sourceStdin: `source /dev/stdin` (or . /dev/fd/0) runs its standard input
// as a script: a here-doc or here-string is analysed, a pipe asks.
func (e *Engine) sourceStdin(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int) {
	if c.Program != "source" && c.Program != "." || len(c.Args) == 0 {
		return
	}
	switch firstValue(c.Args[0]) {
	case "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0":
	default:
		return
	}
	if c.Stdin == nil || c.Stdin.Dynamic {
		d.match(u, policy.Ask, policy.RulePipeToShell, fmt.Sprintf("`%s` runs a script read from standard input whose content cannot be known", c.Text))
		return
	}
	if depth >= maxCodeDepth {
		d.match(u, policy.Ask, policy.RuleDynamicProgram, "scripts nested too deeply to analyse")
		return
	}
	an := shell.Analyze(c.Stdin.Value, shell.Options{Cwd: firstCwd(c, env), Home: env.home})
	if an.ParseError != nil {
		d.match(u, policy.Ask, policy.RuleParseError, fmt.Sprintf("the script `%s` sources does not parse: %v", c.Text, an.ParseError))
	}
	for i := range an.Commands {
		sub := &an.Commands[i]
		sub.Via = append([]string{"source /dev/stdin"}, sub.Via...)
		e.decideCommand(d, sub, an.Commands, env, depth+1)
	}
}

// nativeBash applies Bash(...) rules to one simple command (c nil: the
// whole, empty command).
func (e *Engine) nativeBash(d *decision, u *unit, c *shell.Command, files []fileAccess) {
	for i := range e.rs.Native {
		r := &e.rs.Native[i]
		if r.Tool != "Bash" {
			continue
		}
		switch {
		case !r.HasSpecifier:
			d.match(u, r.Verdict, nativeRuleID(r), "native rule "+r.Raw+" matches every Bash command")
		case c != nil && c.Program != "" && (bashRuleMatches(r.Specifier, c.Text) || bashRuleMatches(r.Specifier, c.Written)):
			if r.Verdict == policy.Allow && e.touchesOutside(d, c, files) {
				// The client asks for a file outside the project even when
				// a Bash allow rule matches (touch /tmp/x under
				// Bash(touch *)): an explicit allow must not skip that.
				d.note("rule", "native rule %s matches, but `%s` touches files outside the project: not allowed", r.Raw, c.Text)
				continue
			}
			d.match(u, r.Verdict, nativeRuleID(r), "native rule "+r.Raw+" matches `"+c.Text+"`")
		}
	}
}

// awkPipes decides the commands awk pipes to or from: print | "cmd",
// "cmd" | getline. A shell fed by a pipe runs whatever awk prints.
func (e *Engine) awkPipes(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, code string) {
	for i := 0; i < len(code); i++ {
		if code[i] != '|' || i+1 < len(code) && code[i+1] == '|' || i > 0 && code[i-1] == '|' {
			continue
		}
		rest := strings.TrimLeft(code[i+1:], " \t&")
		if !strings.HasPrefix(rest, "\"") {
			continue
		}
		lits := stringLiterals(rest)
		if len(lits) == 0 {
			continue
		}
		cmd := lits[0]
		if f := strings.Fields(cmd); len(f) == 1 {
			if p := e.catalog().Lookup(f[0]); p != nil && p.Lang == "sh" {
				d.match(u, policy.Ask, policy.RulePipeToShell, fmt.Sprintf("awk pipes its output into %s, which runs it: `%s`", cmd, c.Text))
				continue
			}
		}
		e.nested(d, u, c, env, depth, "awk pipe", cmd)
	}
}

// spawns decides the programs expect and Tcl code starts (spawn, exec).
func (e *Engine) spawns(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, code string) {
	for _, stmt := range strings.FieldsFunc(code, func(r rune) bool { return r == ';' || r == '\n' || r == '[' || r == ']' }) {
		stmt = strings.TrimSpace(stmt)
		for _, kw := range []string{"spawn ", "exec "} {
			if rest, ok := strings.CutPrefix(stmt, kw); ok {
				e.nested(d, u, c, env, depth, strings.TrimSpace(kw), rest)
			}
		}
	}
}
