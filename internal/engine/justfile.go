package engine

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// A small justfile reader: what `just RECIPE` runs. It reads recipes
// (`[@]name params: dependencies [&& dependencies]` followed by indented
// lines, with their attributes), assignments (`[export] name := expr`),
// aliases, settings (shell, dotenv, positional-arguments,
// working-directory), import, and expressions made of string literals,
// variables, parameters, `+` and `/`, and a few functions (env_var, env,
// quote, the directory functions). Each recipe line runs in its own shell
// (sh -cu unless `set shell` says otherwise); a recipe whose body starts
// with #! (or marked [script]) runs as one script by that interpreter.
// Dependencies run first, `&&` ones after. just pastes {{interpolations}}
// into the line before the shell reads it: one that cannot be evaluated (a
// backtick, an unknown function, a conditional, a variable the same Bash
// command sets) makes the line "cannot be known". Backticks in assignments
// run whenever the justfile is loaded: they are decided too.

// justfile is what the reader knows of a justfile.
type justfile struct {
	dir       string
	vars      map[string]justValue
	recipes   map[string]*justRecipe
	order     []string
	aliases   map[string]string
	exported  map[string]bool
	exportAll bool
	shell     []string
	dotenv    []string // files loaded (relative to dir)
	mods      bool     // modules: recipes Warden does not read
	imports   []makeLine
	immediate []makeLine // backtick commands of assignments
	assigned  map[string]bool
	problem   error
}

type justValue struct {
	text string
	err  error
}

type justRecipe struct {
	name    string
	pos     makeLine
	params  []justParam
	deps    []justDep
	after   []justDep
	body    []makeLine
	script  string // the interpreter of a [script] or #! recipe ("" for line by line)
	noCD    bool
	workDir string
}

type justParam struct {
	name     string
	def      string // expression, "" when required
	hasDef   bool
	variadic byte // '+', '*' or 0
	export   bool
}

type justDep struct {
	name string
	args []string // expressions
}

func newJustfile(dir string) *justfile {
	return &justfile{dir: dir, vars: map[string]justValue{}, recipes: map[string]*justRecipe{},
		aliases: map[string]string{}, exported: map[string]bool{}, shell: []string{"sh", "-cu"}, assigned: map[string]bool{}}
}

func (j *justfile) fail(at makeLine, format string, args ...any) error {
	return &makeError{at, fmt.Sprintf(format, args...)}
}

// parse reads one justfile (or an imported one) into j.
func (j *justfile) parse(data []byte, file string) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var cur *justRecipe
	var attrs []string
	for i := 0; i < len(lines) && j.problem == nil; i++ {
		if i >= maxMakeLines {
			j.problem = j.fail(makeLine{file: file, line: i + 1}, "the justfile is too long to read")
			return
		}
		raw := lines[i]
		at := makeLine{text: raw, file: file, line: i + 1}
		if cur != nil && (strings.HasPrefix(raw, " ") || strings.HasPrefix(raw, "\t") || strings.TrimSpace(raw) == "") {
			if strings.TrimSpace(raw) != "" || len(cur.body) > 0 {
				cur.body = append(cur.body, at)
			}
			continue
		}
		if cur != nil {
			// Trailing blank lines are not part of the body.
			for len(cur.body) > 0 && strings.TrimSpace(cur.body[len(cur.body)-1].text) == "" {
				cur.body = cur.body[:len(cur.body)-1]
			}
			dedent(cur.body)
			cur = nil
		}
		text := strings.TrimSpace(justCode(raw))
		if text == "" {
			continue
		}
		at.text = text
		word, rest, _ := strings.Cut(text, " ")
		rest = strings.TrimSpace(rest)
		switch {
		case strings.HasPrefix(text, "["):
			attrs = append(attrs, splitAttrs(text)...)
		case word == "set":
			j.setting(at, rest)
		case word == "alias":
			name, target, ok := strings.Cut(rest, ":=")
			if !ok {
				j.problem = j.fail(at, "an alias without :=")
				return
			}
			j.aliases[strings.TrimSpace(name)] = strings.TrimSpace(target)
		case word == "import" || word == "import?":
			p, err := j.eval(strings.TrimSpace(rest), nil, nil)
			if err != nil {
				j.problem = j.fail(at, "import of %s: %v", rest, err)
				return
			}
			j.imports = append(j.imports, makeLine{text: p, file: file, line: i + 1})
		case word == "mod" || word == "mod?":
			j.mods = true
		case word == "unexport":
		case word == "export" && strings.Contains(rest, ":="):
			j.assign(at, rest, true)
		case isJustAssign(text):
			j.assign(at, text, false)
		default:
			r, err := j.header(at, text, attrs)
			if err != nil {
				j.problem = err
				return
			}
			attrs = nil
			if _, dup := j.recipes[r.name]; !dup {
				j.order = append(j.order, r.name)
			}
			j.recipes[r.name] = r
			cur = r
		}
	}
	if cur != nil {
		for len(cur.body) > 0 && strings.TrimSpace(cur.body[len(cur.body)-1].text) == "" {
			cur.body = cur.body[:len(cur.body)-1]
		}
		dedent(cur.body)
	}
}

// justCode cuts a # comment off a line, outside strings and backticks.
func justCode(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == '\\' && q == '"' {
				i++
			} else if c == q {
				q = 0
			}
		case c == '\'' || c == '"' || c == '`':
			q = c
		case c == '#':
			return s[:i]
		}
	}
	return s
}

// dedent removes the indentation of the first body line from every line.
func dedent(body []makeLine) {
	if len(body) == 0 {
		return
	}
	first := body[0].text
	indent := first[:len(first)-len(strings.TrimLeft(first, " \t"))]
	for i := range body {
		body[i].text = strings.TrimPrefix(body[i].text, indent)
	}
}

func splitAttrs(text string) []string {
	var out []string
	for _, group := range strings.Split(text, "]") {
		group = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(group), "["))
		for _, a := range strings.Split(group, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// isJustAssign reports `name := expr`.
func isJustAssign(text string) bool {
	name, _, ok := strings.Cut(text, ":=")
	return ok && validJustName(strings.TrimSpace(name))
}

func validJustName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// assign reads `name := expr`: its value now (just evaluates assignments
// as it loads the justfile).
func (j *justfile) assign(at makeLine, text string, export bool) {
	name, expr, _ := strings.Cut(text, ":=")
	name = strings.TrimSpace(name)
	v, err := j.eval(strings.TrimSpace(expr), nil, &at)
	j.vars[name] = justValue{v, err}
	if export {
		j.exported[name] = true
	}
}

// setting reads `set name [:= value]`.
func (j *justfile) setting(at makeLine, rest string) {
	name, value, _ := strings.Cut(rest, ":=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch name {
	case "shell":
		sh, err := j.evalList(value)
		if err != nil || len(sh) == 0 {
			j.problem = j.fail(at, "set shell to %s, which Warden cannot read", value)
			return
		}
		j.shell = sh
	case "dotenv-load":
		if value == "" || value == "true" {
			j.dotenv = append(j.dotenv, ".env")
		}
	case "dotenv-filename", "dotenv-path":
		p, err := j.eval(value, nil, nil)
		if err != nil {
			j.problem = j.fail(at, "set %s: %v", name, err)
			return
		}
		j.dotenv = append(j.dotenv, p)
	case "export":
		j.exportAll = value == "" || value == "true"
	case "fallback":
		if value == "" || value == "true" {
			j.mods = true // recipes not found here are looked for above
		}
	}
}

// evalList evaluates a [ 'a', 'b' ] list of string literals.
func (j *justfile) evalList(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return nil, errors.New("not a list")
	}
	var out []string
	for _, item := range strings.Split(v[1:len(v)-1], ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		s, err := j.eval(item, nil, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// header reads a recipe's first line.
func (j *justfile) header(at makeLine, text string, attrs []string) (*justRecipe, error) {
	colon := -1
	for i, top := range justTopLevel(text) {
		if top && text[i] == ':' && !strings.HasPrefix(text[i:], ":=") {
			colon = i
			break
		}
	}
	if colon < 0 {
		return nil, j.fail(at, "a line that is neither a recipe, an assignment nor a setting")
	}
	words := splitJustWords(text[:colon])
	if len(words) == 0 {
		return nil, j.fail(at, "a recipe without a name")
	}
	r := &justRecipe{name: strings.TrimPrefix(words[0], "@"), pos: at}
	if !validJustName(r.name) {
		return nil, j.fail(at, "a recipe named %q", r.name)
	}
	for _, w := range words[1:] {
		p := justParam{}
		if w[0] == '+' || w[0] == '*' {
			p.variadic, w = w[0], w[1:]
		}
		if strings.HasPrefix(w, "$") {
			p.export, w = true, w[1:]
		}
		name, def, hasDef := strings.Cut(w, "=")
		p.name, p.def, p.hasDef = name, def, hasDef
		r.params = append(r.params, p)
	}
	deps, after, _ := strings.Cut(text[colon+1:], "&&")
	var err error
	if r.deps, err = parseJustDeps(deps); err != nil {
		return nil, j.fail(at, "%v", err)
	}
	if r.after, err = parseJustDeps(after); err != nil {
		return nil, j.fail(at, "%v", err)
	}
	for _, a := range attrs {
		name, arg, _ := strings.Cut(a, "(")
		arg = strings.TrimSuffix(strings.TrimSpace(arg), ")")
		switch strings.TrimSpace(name) {
		case "no-cd":
			r.noCD = true
		case "script":
			r.script = "sh"
			if arg != "" {
				v, err := j.eval(strings.Split(arg, ",")[0], nil, nil)
				if err != nil {
					return nil, j.fail(at, "[script(%s)]: %v", arg, err)
				}
				r.script = v
			}
		case "working-directory":
			v, err := j.eval(arg, nil, nil)
			if err != nil {
				return nil, j.fail(at, "[working-directory(%s)]: %v", arg, err)
			}
			r.workDir = v
		}
	}
	return r, nil
}

// splitJustWords splits on spaces outside quotes and parentheses.
func splitJustWords(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for i, top := range justTopLevel(s) {
		if top && (s[i] == ' ' || s[i] == '\t') {
			flush()
			continue
		}
		b.WriteByte(s[i])
	}
	flush()
	return out
}

// justTopLevel reports, for each byte of s, whether it stands outside
// quotes and parentheses (a quote or parenthesis itself counts as inside).
func justTopLevel(s string) []bool {
	top := make([]bool, len(s))
	var q byte
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"' || c == '`':
			q = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		default:
			top[i] = depth == 0
		}
	}
	return top
}

// parseJustDeps reads `a (b 'x') c`.
func parseJustDeps(s string) ([]justDep, error) {
	var out []justDep
	for _, w := range splitJustWords(s) {
		if strings.HasPrefix(w, "(") {
			if !strings.HasSuffix(w, ")") {
				return nil, fmt.Errorf("a dependency %q without its )", w)
			}
			parts := splitJustWords(w[1 : len(w)-1])
			if len(parts) == 0 {
				return nil, errors.New("an empty dependency ()")
			}
			out = append(out, justDep{name: parts[0], args: parts[1:]})
			continue
		}
		out = append(out, justDep{name: w})
	}
	return out, nil
}

// eval evaluates a just expression with the parameters in scope; at, when
// set, is an assignment being loaded, whose backticks run now.
func (j *justfile) eval(expr string, params map[string]justValue, at *makeLine) (string, error) {
	p := &justExprParser{j: j, s: expr, params: params, at: at}
	v, err := p.concat()
	if err != nil {
		return "", err
	}
	p.space()
	if p.i < len(p.s) {
		return "", fmt.Errorf("cannot evaluate %q", expr)
	}
	return v, nil
}

type justExprParser struct {
	j      *justfile
	s      string
	i      int
	params map[string]justValue
	at     *makeLine
	depth  int
}

func (p *justExprParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// concat: value (("+" | "/") value)*.
func (p *justExprParser) concat() (string, error) {
	if p.depth++; p.depth > maxMakeDepth {
		return "", errors.New("expressions nest too deeply to follow")
	}
	v, err := p.value()
	if err != nil {
		return "", err
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '+' && p.s[p.i] != '/' {
			return v, nil
		}
		op := p.s[p.i]
		p.i++
		w, err := p.value()
		if err != nil {
			return "", err
		}
		if op == '/' {
			v = strings.TrimSuffix(v, "/") + "/" + w
		} else {
			v += w
		}
		if len(v) > maxMakeText {
			return "", errors.New("an expression grows too large to follow")
		}
	}
}

func (p *justExprParser) value() (string, error) {
	p.space()
	if p.i >= len(p.s) {
		return "", errors.New("an expression ends early")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str(c)
	case c == '`':
		return p.backtick()
	case c == '(':
		p.i++
		v, err := p.concat()
		if err != nil {
			return "", err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return "", errors.New("a ( without its )")
		}
		p.i++
		return v, nil
	case isIdentByte(c):
		start := p.i
		for p.i < len(p.s) && (isIdentByte(p.s[p.i]) || p.s[p.i] == '-') {
			p.i++
		}
		name := p.s[start:p.i]
		if p.i < len(p.s) && p.s[p.i] == '(' {
			return p.call(name)
		}
		if name == "if" {
			return "", errors.New("a conditional expression, which Warden does not evaluate")
		}
		return p.variable(name)
	}
	return "", fmt.Errorf("cannot evaluate %q", p.s[p.i:])
}

func (p *justExprParser) str(q byte) (string, error) {
	triple := strings.HasPrefix(p.s[p.i:], strings.Repeat(string(q), 3))
	if triple {
		return "", errors.New("an indented string, which Warden does not evaluate")
	}
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		if c == q {
			p.i++
			return b.String(), nil
		}
		if c == '\\' && q == '"' && p.i+1 < len(p.s) {
			p.i++
			switch e := p.s[p.i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"':
				b.WriteByte(e)
			case '\n':
			default:
				return "", fmt.Errorf("the escape \\%c, which Warden does not evaluate", e)
			}
			continue
		}
		b.WriteByte(c)
	}
	return "", errors.New("a string without its closing quote")
}

// backtick records a command run while loading (in an assignment) and
// reports that its output cannot be known.
func (p *justExprParser) backtick() (string, error) {
	end := strings.IndexByte(p.s[p.i+1:], '`')
	if end < 0 {
		return "", errors.New("a backtick without its closing backtick")
	}
	cmd := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	if p.at != nil {
		p.j.immediate = append(p.j.immediate, makeLine{text: cmd, file: p.at.file, line: p.at.line})
	}
	return "", fmt.Errorf("the output of `%s`, which cannot be known before it runs", cmd)
}

func (p *justExprParser) variable(name string) (string, error) {
	if v, ok := p.params[name]; ok {
		return v.text, v.err
	}
	if v, ok := p.j.vars[name]; ok {
		return v.text, v.err
	}
	return "", fmt.Errorf("the variable %s is not defined", name)
}

// call evaluates the functions Warden knows; the others cannot be known.
func (p *justExprParser) call(name string) (string, error) {
	p.i++ // (
	var args []string
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			break
		}
		v, err := p.concat()
		if err != nil {
			return "", err
		}
		args = append(args, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return "", fmt.Errorf("%s( without its )", name)
		}
		p.i++
		break
	}
	switch name {
	case "env_var", "env_var_or_default", "env":
		if len(args) == 0 || !validShellName(args[0]) {
			return "", fmt.Errorf("%s() of a name Warden cannot read", name)
		}
		if p.j.assigned[args[0]] {
			return "", fmt.Errorf("%s(%q) takes the value the same command gives it, pasted into the recipe", name, args[0])
		}
		return "${" + args[0] + "}", nil
	case "quote":
		if len(args) != 1 {
			return "", errors.New("quote() takes one argument")
		}
		return shellQuote(args[0]), nil
	case "join":
		return path.Join(args...), nil
	case "justfile_directory", "source_directory":
		return p.j.dir, nil
	case "justfile", "source_file":
		return p.j.dir + "/justfile", nil
	case "os", "arch", "os_family", "num_cpus", "just_executable", "just_pid", "uuid":
		return name, nil // a value without shell syntax
	case "lowercase", "uppercase", "trim":
		if len(args) != 1 {
			return "", fmt.Errorf("%s() takes one argument", name)
		}
		switch name {
		case "lowercase":
			return strings.ToLower(args[0]), nil
		case "uppercase":
			return strings.ToUpper(args[0]), nil
		}
		return strings.TrimSpace(args[0]), nil
	}
	return "", fmt.Errorf("the function %s(), which Warden does not evaluate", name)
}

// interpolate replaces the {{expr}} of a recipe line.
func (j *justfile) interpolate(line string, params map[string]justValue) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(line, "{{")
		if i < 0 {
			b.WriteString(line)
			return b.String(), nil
		}
		if strings.HasPrefix(line[i:], "{{{{") {
			b.WriteString(line[:i] + "{{")
			line = line[i+4:]
			continue
		}
		end := strings.Index(line[i+2:], "}}")
		if end < 0 {
			return "", errors.New("a {{ without its }}")
		}
		v, err := j.eval(strings.TrimSpace(line[i+2:i+2+end]), params, nil)
		if err != nil {
			return "", err
		}
		b.WriteString(line[:i] + v)
		line = line[i+2+end+2:]
	}
}

// justStep is one recipe to run with its arguments.
type justStep struct {
	r      *justRecipe
	params map[string]justValue
}

// justCall is what a just command line asks for.
type justCall struct {
	file, dir string
	calls     []justInvocation
	overrides map[string]string
	runs      bool // false for --list, --show, --dry-run and the like
}

type justInvocation struct {
	name string
	args []shell.Word
}

// parseJustCall reads just's arguments; the recipes and their arguments
// are split once the justfile says how many each takes.
func parseJustCall(c *shell.Command) (justCall, []shell.Word) {
	jc := justCall{overrides: map[string]string{}, runs: true}
	args := argv(c)
	var rest []shell.Word
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, eq := strings.Cut(a, "=")
		switch {
		case len(rest) > 0:
			rest = append(rest, c.Args[i])
		case a == "--":
		case name == "-f" || name == "--justfile":
			if !eq && i+1 < len(args) {
				i++
				val = args[i]
			}
			jc.file = val
		case name == "-d" || name == "--working-directory":
			if !eq && i+1 < len(args) {
				i++
				val = args[i]
			}
			jc.dir = val
		case name == "--set":
			if i+2 < len(args) {
				jc.overrides[args[i+1]] = args[i+2]
				i += 2
			}
		case name == "--shell" || name == "--shell-arg" || name == "--color" || name == "--chooser" ||
			name == "--dotenv-filename" || name == "--dotenv-path" || name == "--command-color" || name == "--list-heading" ||
			name == "--list-prefix" || name == "--completions" || name == "--show" || name == "-s" || name == "--usage":
			if name == "--show" || name == "-s" || name == "--completions" || name == "--usage" {
				jc.runs = false
			}
			if !eq {
				i++
			}
		case strings.HasPrefix(a, "-"):
			switch a {
			case "-l", "--list", "--summary", "--dump", "--evaluate", "--fmt", "--init", "--edit", "-e",
				"--variables", "-h", "--help", "-V", "--version", "--choose", "--changelog", "--groups",
				"-n", "--dry-run", "--man", "--check":
				jc.runs = false
			}
		case eq && validJustName(name) && len(jc.calls) == 0:
			jc.overrides[name] = val
		default:
			rest = append(rest, c.Args[i])
		}
	}
	return jc, rest
}

// findUp returns the first of names that exists in dir or a directory
// above it, up to the repository root.
func (e *Engine) findUp(dir string, env *pathEnv, names ...string) string {
	for {
		for _, n := range names {
			p := path.Join(dir, n)
			if fi, err := e.fs.Lstat(p); err == nil && !fi.IsDir() {
				return p
			}
		}
		parent := path.Dir(dir)
		if _, in := cutDir(parent, env.root()); parent == dir || !in {
			return ""
		}
		dir = parent
	}
}

// justRecipes decides what `just` runs.
func (e *Engine) justRecipes(d *decision, u *unit, c *shell.Command, all []shell.Command, env *pathEnv, depth int) {
	if !programIs(c, "just") {
		return
	}
	jc, rest := parseJustCall(c)
	if !jc.runs {
		return
	}
	for _, cwd := range cwdsOf(c, env) {
		var p string
		if jc.file != "" {
			p = env.resolve(jc.file, cwd)
		} else {
			p = e.findUp(cwd, env, "justfile", "Justfile", "JUSTFILE", ".justfile")
		}
		if p == "" || !d.once("just\x00"+p+"\x00"+cwd+"\x00"+c.Text) {
			continue
		}
		if depth >= maxCodeDepth {
			e.tooDeep(d, u, c, "the justfile "+shownPath(p, env))
			continue
		}
		data, ok := e.readCode(d, u, c, p, "the justfile", env)
		if !ok {
			continue
		}
		dir := path.Dir(p)
		if jc.dir != "" {
			dir = env.resolve(jc.dir, cwd)
		}
		j := newJustfile(dir)
		j.assigned = assignedNames(c, all)
		for name, v := range jc.overrides {
			j.vars[name] = justValue{text: v}
		}
		shown := shownPath(p, env)
		j.parse(data, shown)
		for i := 0; i < len(j.imports) && j.problem == nil && i < maxMakeIncludes; i++ {
			ip := j.imports[i].text
			if !strings.HasPrefix(ip, "/") {
				ip = path.Join(path.Dir(p), ip)
			}
			if data, ok := e.readCode(d, u, c, ip, "the justfile", env); ok {
				j.parse(data, shownPath(ip, env))
			}
		}
		for name, v := range jc.overrides {
			j.vars[name] = justValue{text: v} // the command line wins over the file
		}
		if j.problem != nil {
			e.cannotRead(d, u, c, "the justfile "+shown, j.problem)
			continue
		}
		for _, f := range j.dotenv {
			fp := f
			if !strings.HasPrefix(fp, "/") {
				fp = path.Join(path.Dir(p), f)
			}
			if _, err := e.fs.Lstat(fp); err == nil {
				e.checkFile(d, u, fileAccess{raw: fp, access: policy.AccessRead, via: "`" + c.Text + "`, whose justfile loads it (dotenv)"})
			}
		}
		for _, l := range j.immediate {
			if !e.makeShell(d, u, c, env, depth, dir, l, l.text) {
				return
			}
		}
		steps, err := j.plan(rest, c, all)
		if err != nil {
			e.cannotRead(d, u, c, "the recipes of "+shown, err)
		}
		for _, st := range steps {
			if !e.justRecipe(d, u, c, env, depth, j, st, cwd) {
				return
			}
		}
	}
}

// plan returns the recipes just runs for the command's arguments, in order:
// dependencies first, && dependencies after.
func (j *justfile) plan(args []shell.Word, c *shell.Command, all []shell.Command) ([]justStep, error) {
	var calls []justInvocation
	if len(args) == 0 {
		if len(j.order) == 0 {
			return nil, nil
		}
		calls = append(calls, justInvocation{name: j.order[0]})
	}
	for i := 0; i < len(args); {
		name := firstValue(args[i])
		if strings.Contains(name, "::") || (j.mods && j.lookup(name) == nil) {
			return nil, fmt.Errorf("the recipe %s is in a module or a justfile Warden does not read", name)
		}
		r := j.lookup(name)
		if r == nil {
			return nil, nil // just fails: nothing runs
		}
		n := 0
		for _, p := range r.params {
			if p.variadic != 0 {
				n = len(args)
				break
			}
			n++
		}
		end := min(i+1+n, len(args))
		calls = append(calls, justInvocation{name: name, args: args[i+1 : end]})
		i = end
	}
	var steps []justStep
	seen := map[string]bool{}
	var visit func(name string, args []justValue, depth int) error
	visit = func(name string, args []justValue, depth int) error {
		r := j.lookup(name)
		if r == nil {
			return fmt.Errorf("the recipe %s is not defined", name)
		}
		key := name + "\x00" + fmt.Sprint(args)
		if seen[key] {
			return nil
		}
		seen[key] = true
		if len(seen) > maxMakeRules || depth > maxMakeDepth {
			return fmt.Errorf("it runs more than %d recipes or nests them more than %d deep", maxMakeRules, maxMakeDepth)
		}
		params := map[string]justValue{}
		for k, p := range r.params {
			switch {
			case p.variadic != 0:
				var vs []string
				var err error
				for _, a := range args[min(k, len(args)):] {
					vs = append(vs, a.text)
					err = errors.Join(err, a.err)
				}
				params[p.name] = justValue{strings.Join(vs, " "), err}
			case k < len(args):
				params[p.name] = args[k]
			case p.hasDef:
				v, err := j.eval(p.def, params, nil)
				params[p.name] = justValue{v, err}
			}
		}
		depArgs := func(dep justDep) []justValue {
			out := make([]justValue, len(dep.args))
			for k, a := range dep.args {
				v, err := j.eval(a, params, nil)
				out[k] = justValue{v, err}
			}
			return out
		}
		for _, dep := range r.deps {
			if err := visit(dep.name, depArgs(dep), depth+1); err != nil {
				return err
			}
		}
		steps = append(steps, justStep{r, params})
		for _, dep := range r.after {
			if err := visit(dep.name, depArgs(dep), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, call := range calls {
		var args []justValue
		for _, w := range call.args {
			if w.Dynamic || len(w.Values) == 0 {
				args = append(args, justValue{err: fmt.Errorf("the argument %s cannot be known before it runs", w.Raw)})
				continue
			}
			args = append(args, justValue{text: w.Values[0]})
		}
		if err := visit(call.name, args, 0); err != nil {
			return steps, err
		}
	}
	return steps, nil
}

func (j *justfile) lookup(name string) *justRecipe {
	if r, ok := j.recipes[name]; ok {
		return r
	}
	if t, ok := j.aliases[name]; ok {
		return j.recipes[t]
	}
	return nil
}

// justRecipe decides one recipe's body; false when the budget is spent.
func (e *Engine) justRecipe(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, j *justfile, st justStep, cwd string) bool {
	r := st.r
	dir := j.dir
	if r.noCD {
		dir = cwd
	}
	if r.workDir != "" {
		dir = path.Join(dir, r.workDir)
	}
	interp := r.script
	if len(r.body) > 0 && strings.HasPrefix(strings.TrimSpace(r.body[0].text), "#!") {
		interp, _ = shebang(strings.TrimSpace(r.body[0].text))
	}
	if interp == "" {
		interp = path.Base(j.shell[0])
		if interp == "env" && len(j.shell) > 1 {
			interp = path.Base(j.shell[1])
		}
		for _, l := range r.body {
			text := strings.TrimLeft(l.text, "@-")
			if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "#") {
				continue
			}
			text, err := j.interpolate(text, st.params)
			if err != nil {
				e.cannotRead(d, u, c, "the recipe "+r.name+" at "+l.at(), err)
				continue
			}
			if !e.justRun(d, u, c, env, depth, j, dir, interp, l, text) {
				return false
			}
		}
		return true
	}
	// One script: the body, interpolated.
	var b strings.Builder
	for _, l := range r.body {
		text, err := j.interpolate(l.text, st.params)
		if err != nil {
			e.cannotRead(d, u, c, "the recipe "+r.name+" at "+l.at(), err)
			return true
		}
		b.WriteString(text + "\n")
	}
	first := r.pos
	if len(r.body) > 0 {
		first = r.body[0]
	}
	return e.justRun(d, u, c, env, depth, j, dir, interp, first, b.String())
}

// justRun decides text run by the interpreter interp, written at l.
func (e *Engine) justRun(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, j *justfile, dir, interp string, l makeLine, text string) bool {
	switch lang := e.langOf(interp); {
	case lang == langShell:
		an := shell.Analyze(text, shell.Options{Cwd: dir, Home: env.home, Repo: env.repo, Env: j.exportedValues()})
		if an.ParseError != nil {
			e.cannotRead(d, u, c, "the recipe at "+l.at(), fmt.Errorf("it does not parse as Bash: %w", an.ParseError))
		}
		if !e.spend(d, u, c, l.file, len(an.Commands)) {
			return false
		}
		e.decideFrom(d, c, an.Commands, env, depth+1, func(sc *shell.Command) string {
			return fmt.Sprintf("%s:%d", l.file, l.line+max(sc.Line, 1)-1)
		})
	case codeLangs.has(lang):
		cc := *c
		cc.Program, cc.Cwds = interp, []string{dir}
		// Blank lines before the text keep its line numbers the file's.
		code := strings.Repeat("\n", max(l.line-1, 0)) + text
		p := e.catalog().Lookup(path.Base(interp))
		e.decideCode(d, u, &cc, &catalog.Call{Prog: p, Row: p}, env, depth, stripLineComments(code, lang), l.file)
	default:
		e.cannotRead(d, u, c, "the recipe at "+l.at(), fmt.Errorf("it runs with %s, which Warden does not read", interp))
	}
	return true
}

// exportedValues are the variables just exports to recipes, where known.
func (j *justfile) exportedValues() map[string]string {
	out := map[string]string{}
	for name, v := range j.vars {
		if (j.exportAll || j.exported[name]) && v.err == nil {
			out[name] = v.text
		}
	}
	return out
}
