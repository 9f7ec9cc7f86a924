package engine

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// A small Makefile reader: enough of GNU make to know what `make TARGET`
// runs, and to say so when it cannot know. It reads
//
//   - rules `targets: prerequisites [| order-only] [; recipe]` (and `::`),
//     followed by tab-indented recipe lines, with `\` continuations; the
//     `@`, `-` and `+` prefixes of recipe lines are dropped; pattern rules
//     (`%.o: %.c`) and static pattern rules (`objs: %.o: %.c`) apply to
//     targets with no rule of their own, and `.DEFAULT` to the rest;
//   - variables defined with `=`, `:=`, `::=`, `?=`, `+=`, `!=` and
//     `define`, with `override` and `export`, and target-specific ones;
//     `$(VAR)`, `${VAR}`, `$V`, `$$`, substitution references
//     (`$(SRCS:.c=.o)`), the automatic variables ($@ $< $^ $+ $? $* $| and
//     their D and F forms), MAKE, CURDIR, MAKECMDGOALS and the other usual
//     built-ins, and variables given on the command line (make X=1);
//   - the text functions (subst, patsubst, strip, findstring, filter,
//     filter-out, sort, word, wordlist, words, firstword, lastword, dir,
//     notdir, suffix, basename, addsuffix, addprefix, join, abspath, if, or,
//     and, foreach, call, value, origin, flavor, info, warning, error) and
//     wildcard (through the engine's FS);
//   - conditionals, without evaluating them: the lines of every branch are
//     read, and a variable assigned in a branch may hold each value;
//   - include, -include and sinclude of files it can name.
//
// What it cannot evaluate makes what depends on it "cannot be known":
// $(shell ...) (its output is pasted into the recipe before the shell reads
// it), $(eval ...), $(file ...), a variable assigned earlier in the same
// Bash command (make pastes the environment's value the same way),
// .RECIPEPREFIX, a SHELL that is not a shell, a line that is none of the
// above. Commands of $(shell ...) and != in variable definitions run while
// the Makefile is read, whatever the target: they are decided too.

const (
	maxMakeRules    = 256 // rules one make command runs
	maxMakeVariants = 16  // expansions of one text (variables with several values)
	maxMakeDepth    = 64  // nested references followed in one expansion
	maxMakeIncludes = 16  // included files
	maxMakeLines    = 20000
	maxMakeWork     = 100000  // expansions, in all
	maxMakeText     = 1 << 20 // bytes of one expanded text
)

// makeLine is a line of a Makefile, as shown in reasons.
type makeLine struct {
	text string
	file string // the file as shown
	line int
}

func (l makeLine) at() string { return fmt.Sprintf("%s:%d", l.file, l.line) }

// makeRule is one rule: explicit (targets), pattern (%), or static pattern.
type makeRule struct {
	pos     makeLine
	target  string   // a pattern rule's target pattern ("%.o"); "" for explicit rules
	prereqs []string // expanded when read; patterns for pattern rules
	recipe  []makeLine
	err     error // the prerequisites cannot be known
}

// makeValue is one possible value of a variable.
type makeValue struct {
	text      string
	recursive bool  // expanded when used (=), else already expanded (:=)
	err       error // the value cannot be known
}

// makefile is what the reader knows of a Makefile and what it includes.
type makefile struct {
	dir       string // CURDIR
	goals     []string
	rules     map[string][]*makeRule // explicit targets
	patterns  []*makeRule
	order     []string // explicit targets in the order read
	vars      map[string][]makeValue
	cmdline   map[string]bool // variables given on the command line: final
	assigned  map[string]bool // variables the same Bash command assigns
	immediate []makeLine      // $(shell) and != commands run while reading
	includes  []makeLine      // files to include, expanded, relative to dir
	files     []string        // MAKEFILE_LIST
	problem   error           // the whole Makefile cannot be known
	oneShell  bool
	glob      func(pattern string) []string // wildcard, relative to dir

	// parse state
	cond    int  // conditional nesting
	inRule  bool // recipe lines may follow
	current []*makeRule
	lines   int
	work    int // expansions done
}

func newMakefile(dir string, goals []string, glob func(string) []string) *makefile {
	return &makefile{dir: dir, goals: goals, rules: map[string][]*makeRule{}, vars: map[string][]makeValue{},
		cmdline: map[string]bool{}, assigned: map[string]bool{}, glob: glob}
}

// makeError is a construct the reader cannot evaluate, located.
type makeError struct {
	at  makeLine
	why string
}

func (e *makeError) Error() string { return e.at.at() + ": " + e.why }

func (m *makefile) fail(at makeLine, format string, args ...any) error {
	return &makeError{at, fmt.Sprintf(format, args...)}
}

// parse reads one Makefile (the main one or an included one) into m.
func (m *makefile) parse(data []byte, file string) {
	m.files = append(m.files, file)
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	m.inRule, m.current = false, nil
	for i := 0; i < len(lines) && m.problem == nil; i++ {
		m.lines++
		if m.lines > maxMakeLines {
			m.problem = m.fail(makeLine{file: file, line: i + 1}, "the makefiles are too long to read")
			return
		}
		at := makeLine{file: file, line: i + 1}
		raw := lines[i]
		if m.inRule && strings.HasPrefix(raw, "\t") {
			// A recipe line: the shell gets it, continuations included.
			text := raw[1:]
			for continued(text) && i+1 < len(lines) {
				i++
				text += "\n" + strings.TrimPrefix(lines[i], "\t")
			}
			at.text = text
			for _, r := range m.current {
				r.recipe = append(r.recipe, at)
			}
			continue
		}
		text := raw
		for continued(text) && i+1 < len(lines) {
			i++
			text = text[:len(text)-1] + " " + strings.TrimLeft(lines[i], " \t")
		}
		raw = strings.TrimLeft(text, " \t")
		text = strings.TrimRight(stripMakeComment(raw), " \t")
		if text == "" {
			continue
		}
		at.text = text
		if strings.HasPrefix(text, "define ") || text == "define" || strings.HasPrefix(text, "override define ") || strings.HasPrefix(text, "export define ") {
			// define NAME [op] ... endef: a multi-line value.
			var body []string
			depth := 1
			for i+1 < len(lines) {
				i++
				l := strings.TrimSpace(lines[i])
				if l == "endef" || strings.HasPrefix(l, "endef ") {
					if depth--; depth == 0 {
						break
					}
				} else if strings.HasPrefix(l, "define ") {
					depth++
				}
				body = append(body, lines[i])
			}
			head := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(text, "override "), "export "), "define"))
			name, op := head, "="
			for _, o := range []string{":::=", "::=", ":=", "?=", "+=", "!=", "="} {
				if n, ok := strings.CutSuffix(head, o); ok {
					name, op = strings.TrimSpace(n), o
					break
				}
			}
			m.assign(at, name, op, strings.Join(body, "\n"))
			m.inRule = false
			continue
		}
		if m.directive(at, text) {
			continue
		}
		m.ruleOrAssign(at, text, raw)
	}
}

// continued reports a line ending in an odd number of backslashes.
func continued(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// stripMakeComment removes a # comment (not \#, and not inside $(...)).
func stripMakeComment(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(', '{':
			if i > 0 && s[i-1] == '$' || depth > 0 {
				depth++
			}
		case ')', '}':
			if depth > 0 {
				depth--
			}
		case '#':
			if depth == 0 {
				return s[:i]
			}
		}
	}
	return s
}

// directive handles conditionals, include and the other directives.
func (m *makefile) directive(at makeLine, text string) bool {
	word, rest, _ := strings.Cut(text, " ")
	if i := strings.IndexByte(word, '\t'); i >= 0 {
		word, rest = word[:i], text[i+1:]
	}
	rest = strings.TrimSpace(rest)
	switch word {
	case "ifeq", "ifneq", "ifdef", "ifndef":
		m.cond++
		return true
	case "else":
		return true // else ifeq ...: still the same conditional
	case "endif":
		if m.cond > 0 {
			m.cond--
		}
		return true
	case "include", "-include", "sinclude":
		if strings.ContainsAny(rest, "=:") && word == "include" && !strings.Contains(rest, "$") {
			return false // include: x (a rule for a target named include)
		}
		names, err := m.expand(rest, nil, &at, 0)
		if err != nil {
			m.problem = err
			return true
		}
		for _, v := range names {
			for _, f := range strings.Fields(v) {
				m.includes = append(m.includes, makeLine{text: f, file: at.file, line: at.line})
			}
		}
		m.inRule = false
		return true
	case "vpath", "unexport", "undefine", "load", "-load":
		m.inRule = false
		return true
	case "export", "override", "private":
		if rest == "" || !strings.ContainsAny(rest, "=") {
			m.inRule = false
			return true // export NAME: exports, sets nothing
		}
		m.ruleOrAssign(at, rest, rest)
		return true
	}
	if strings.HasPrefix(text, "$(") || strings.HasPrefix(text, "${") {
		// A line that is only an expansion: $(info ...) prints; $(eval
		// ...) or a call that may eval defines rules Warden cannot see.
		inner := strings.TrimLeft(text[2:], " ")
		for _, f := range []string{"info ", "warning ", "error "} {
			if strings.HasPrefix(inner, f) {
				return true
			}
		}
		if !strings.ContainsAny(stripRefs(text), ":=") {
			m.problem = m.fail(at, "%s defines what the Makefile runs as it is read, which Warden cannot follow", firstField(text))
			return true
		}
	}
	return false
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

// stripRefs blanks $(...) and ${...} references, leaving the text around them.
func stripRefs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
			if j := matchClose(s, i+1); j > 0 {
				i = j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// matchClose returns the index of the bracket closing s[open], or -1.
func matchClose(s string, open int) int {
	o := s[open]
	c := byte(')')
	if o == '{' {
		c = '}'
	}
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case o:
			depth++
		case c:
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// ruleOrAssign reads a line that is a variable assignment or a rule; text
// is the line without its comment, raw with it (a rule's `; recipe` keeps
// its #, which the shell reads).
func (m *makefile) ruleOrAssign(at makeLine, text, raw string) {
	// The first of ":", "=" and the assignment operators outside
	// references decides what the line is.
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '$' && i+1 < len(text) && (text[i+1] == '(' || text[i+1] == '{'):
			if j := matchClose(text, i+1); j > 0 {
				i = j
			}
		case c == '=':
			op := "="
			if i > 0 && strings.ContainsRune("?+!", rune(text[i-1])) {
				op = text[i-1 : i+1]
				i--
			}
			m.assignLine(at, strings.TrimSpace(text[:i]), op, strings.TrimLeft(text[i+len(op):], " \t"))
			return
		case c == ':':
			for _, op := range []string{":::=", "::=", ":="} {
				if strings.HasPrefix(text[i:], op) {
					m.assignLine(at, strings.TrimSpace(text[:i]), op, strings.TrimLeft(text[i+len(op):], " \t"))
					return
				}
			}
			rest := text[i+1:]
			if j := byteOutsideRefs(rest, ';'); j >= 0 {
				rest = rest[:j] + raw[i+1+j:]
			}
			m.rule(at, text[:i], strings.TrimPrefix(rest, ":"))
			return
		}
	}
	m.problem = m.fail(at, "a line that is neither a rule nor a variable (%q)", firstField(text))
}

// assignLine handles NAME op VALUE, with override/export prefixes.
func (m *makefile) assignLine(at makeLine, name, op, value string) {
	m.inRule = false
	for {
		n, ok := strings.CutPrefix(name, "override ")
		if !ok {
			n, ok = strings.CutPrefix(name, "export ")
		}
		if !ok {
			n, ok = strings.CutPrefix(name, "private ")
		}
		if !ok {
			break
		}
		name = strings.TrimSpace(n)
	}
	names, err := m.expand(name, nil, &at, 0)
	if err != nil {
		m.problem = err
		return
	}
	for _, n := range names {
		m.assign(at, strings.TrimSpace(n), op, value)
	}
}

// assign gives the variable name a value by op.
func (m *makefile) assign(at makeLine, name, op, value string) {
	switch name {
	case ".RECIPEPREFIX":
		m.problem = m.fail(at, ".RECIPEPREFIX changes how recipes are written")
		return
	case "SHELL":
		f := strings.Fields(value + " x")
		sh := path.Base(f[0])
		if sh == "env" {
			sh = path.Base(f[1])
		}
		if p := catalog.Builtin().Lookup(sh); p == nil || p.Lang != "sh" {
			m.problem = m.fail(at, "recipes run with SHELL=%s, not a shell Warden reads", value)
			return
		}
	}
	if m.cmdline[name] {
		return // command-line variables override the Makefile's
	}
	var vals []makeValue
	switch op {
	case "=", "?=":
		vals = []makeValue{{text: value, recursive: true}}
		if op == "?=" && m.assigned[name] {
			// The environment's value wins, and the command sets it.
			vals = append(vals, makeValue{err: m.fail(at, "%s takes the value the same command gives it, pasted into the recipe", name)})
		}
	case ":=", "::=", ":::=":
		vs, err := m.expand(value, nil, &at, 0)
		if err != nil {
			vals = []makeValue{{err: err}}
		}
		for _, v := range vs {
			vals = append(vals, makeValue{text: v})
		}
	case "!=":
		// The value is the output of a command run now.
		cmds, err := m.expand(value, nil, &at, 0)
		for _, c := range cmds {
			m.immediate = append(m.immediate, makeLine{text: c, file: at.file, line: at.line})
		}
		if err == nil {
			err = m.fail(at, "%s is set to the output of a command (!=), which cannot be known before it runs", name)
		}
		vals = []makeValue{{err: err}}
	case "+=":
		old := m.vars[name]
		if len(old) == 0 {
			vals = []makeValue{{text: value, recursive: true}}
			break
		}
		add, err := m.expand(value, nil, &at, 0)
		for _, o := range old {
			switch {
			case o.err != nil || err != nil && !o.recursive:
				vals = append(vals, makeValue{err: errors.Join(o.err, err)})
			case o.recursive:
				vals = append(vals, makeValue{text: o.text + " " + value, recursive: true})
			default:
				for _, a := range add {
					vals = append(vals, makeValue{text: o.text + " " + a})
				}
			}
		}
		if m.cond > 0 {
			vals = append(old, vals...)
		}
	}
	if m.cond > 0 || op == "?=" {
		// Either value may hold: a branch may not be taken, ?= may not set.
		vals = append(slices.Clone(m.vars[name]), vals...)
	}
	if len(vals) > maxMakeVariants {
		vals = []makeValue{{err: m.fail(at, "%s may hold too many values to follow", name)}}
	}
	m.vars[name] = vals
}

// rule reads `targets: rest`, where rest is the prerequisites (with an
// optional static pattern and `; recipe`) or a target-specific variable.
func (m *makefile) rule(at makeLine, targets, rest string) {
	recipe := ""
	if j := byteOutsideRefs(rest, ';'); j >= 0 {
		rest, recipe = rest[:j], rest[j+1:]
	}
	if recipe == "" && byteOutsideRefs(rest, '=') >= 0 {
		// targets: VAR = value, a target-specific variable: it may hold
		// either value wherever it is used.
		if name, op, value := splitAssign(rest); name != "" {
			saved, inRule := m.cond, m.inRule
			m.cond = 1
			m.assignLine(at, name, op, value)
			m.cond, m.inRule = saved, inRule
			return
		}
	}
	ts, err := m.expand(targets, nil, &at, 0)
	if err != nil {
		m.problem = err
		return
	}
	var tnames []string
	for _, t := range ts {
		tnames = append(tnames, strings.Fields(t)...)
	}
	static := ""
	if k := byteOutsideRefs(rest, ':'); k >= 0 {
		static, rest = strings.TrimSpace(rest[:k]), rest[k+1:]
	}
	rest = strings.Replace(rest, "|", " ", 1)
	ps, perr := m.expand(rest, nil, &at, 0)
	var prereqs []string
	for _, p := range ps {
		prereqs = append(prereqs, strings.Fields(p)...)
	}
	m.current = m.current[:0]
	m.inRule = true
	for _, t := range tnames {
		r := &makeRule{pos: at, prereqs: prereqs, err: perr}
		switch {
		case static != "":
			// objs: %.o: %.c: each target gets the pattern's prerequisites.
			stem, ok := patternStem(static, t)
			if !ok {
				continue
			}
			r.prereqs = nil
			for _, p := range prereqs {
				r.prereqs = append(r.prereqs, strings.Replace(p, "%", stem, 1))
			}
			m.addRule(t, r)
		case strings.Contains(t, "%"):
			r.target = t
			m.patterns = append(m.patterns, r)
		default:
			m.addRule(t, r)
		}
		m.current = append(m.current, r)
	}
	if recipe != "" {
		line := at
		line.text = strings.TrimLeft(recipe, " \t")
		for _, r := range m.current {
			r.recipe = append(r.recipe, line)
		}
	}
	for _, t := range tnames {
		if t == ".ONESHELL" {
			m.oneShell = true
		}
	}
}

func (m *makefile) addRule(t string, r *makeRule) {
	if _, ok := m.rules[t]; !ok {
		m.order = append(m.order, t)
	}
	m.rules[t] = append(m.rules[t], r)
}

// splitAssign splits "NAME op value"; name is "" when s is not one.
func splitAssign(s string) (name, op, value string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
			if j := matchClose(s, i+1); j > 0 {
				i = j
				continue
			}
		}
		if s[i] != '=' {
			continue
		}
		op, start := "=", i
		if i > 0 && strings.ContainsRune("?+!:", rune(s[i-1])) {
			start = i - 1
			for start > 0 && s[start-1] == ':' {
				start--
			}
			op = s[start : i+1]
		}
		return strings.TrimSpace(s[:start]), op, strings.TrimLeft(s[i+1:], " \t")
	}
	return "", "", ""
}

func byteOutsideRefs(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
			if j := matchClose(s, i+1); j > 0 {
				i = j
				continue
			}
		}
		if s[i] == b {
			return i
		}
	}
	return -1
}

// patternStem matches name against a pattern with one %, returning the stem.
func patternStem(pattern, name string) (string, bool) {
	pre, suf, ok := strings.Cut(pattern, "%")
	if !ok {
		return "", pattern == name
	}
	if len(name) < len(pre)+len(suf) || !strings.HasPrefix(name, pre) || !strings.HasSuffix(name, suf) {
		return "", false
	}
	return name[len(pre) : len(name)-len(suf)], true
}

// defaultGoal is what make runs with no target: .DEFAULT_GOAL, else the
// first target that is not special or a pattern.
func (m *makefile) defaultGoal() (string, error) {
	if vs := m.vars[".DEFAULT_GOAL"]; len(vs) > 0 {
		g, err := m.expandValue(".DEFAULT_GOAL", nil, 0)
		if err != nil {
			return "", err
		}
		if f := strings.Fields(strings.Join(g, " ")); len(f) > 0 {
			return f[0], nil
		}
	}
	for _, t := range m.order {
		if !strings.HasPrefix(t, ".") || strings.Contains(t, "/") {
			return t, nil
		}
	}
	return "", nil
}

// step is one recipe make runs for a target, with its automatic variables.
type makeStep struct {
	rule *makeRule
	auto map[string]string
}

// plan returns the recipes make runs for goals, prerequisites first; an
// error says what cannot be known about them.
func (m *makefile) plan(goals []string) ([]makeStep, error) {
	var steps []makeStep
	seen := map[string]bool{}
	var visit func(t string, depth int) error
	visit = func(t string, depth int) error {
		if seen[t] {
			return nil
		}
		seen[t] = true
		if len(seen) > maxMakeRules || depth > maxMakeDepth {
			return fmt.Errorf("it makes more than %d targets or nests them more than %d deep", maxMakeRules, maxMakeDepth)
		}
		rules, auto := m.rulesFor(t)
		for _, r := range rules {
			if r.err != nil {
				return r.err
			}
			for _, p := range r.prereqs {
				if err := visit(p, depth+1); err != nil {
					return err
				}
			}
		}
		for _, r := range rules {
			if len(r.recipe) > 0 {
				a := auto(r)
				steps = append(steps, makeStep{r, a})
			}
		}
		return nil
	}
	for _, g := range goals {
		if err := visit(g, 0); err != nil {
			return steps, err
		}
	}
	return steps, nil
}

// rulesFor returns the rules that make target t: its own, else every
// pattern rule that matches it (Warden does not check which would apply),
// else .DEFAULT's; and the automatic variables of each.
func (m *makefile) rulesFor(t string) ([]*makeRule, func(*makeRule) map[string]string) {
	rules := m.rules[t]
	auto := func(r *makeRule) map[string]string {
		stem := ""
		if r.target != "" {
			stem, _ = patternStem(r.target, t)
		}
		return autoVars(t, stem, r.prereqs)
	}
	if slices.ContainsFunc(rules, func(r *makeRule) bool { return len(r.recipe) > 0 }) {
		return rules, auto
	}
	var out []*makeRule
	out = append(out, rules...)
	for _, p := range m.patterns {
		stem, ok := patternStem(p.target, t)
		if !ok || len(p.recipe) == 0 {
			continue
		}
		r := *p
		r.prereqs = nil
		for _, q := range p.prereqs {
			r.prereqs = append(r.prereqs, strings.Replace(q, "%", stem, 1))
		}
		out = append(out, &r)
	}
	if len(out) == 0 && !strings.HasPrefix(t, ".") {
		// No rule at all: .DEFAULT's recipe, if any (for a file that
		// exists make runs nothing, but Warden does not check).
		out = append(out, m.rules[".DEFAULT"]...)
	}
	return out, auto
}

func autoVars(target, stem string, prereqs []string) map[string]string {
	first := ""
	if len(prereqs) > 0 {
		first = prereqs[0]
	}
	uniq := uniq(slices.Clone(prereqs))
	a := map[string]string{
		"@": target, "<": first, "^": strings.Join(uniq, " "), "+": strings.Join(prereqs, " "),
		"?": strings.Join(uniq, " "), "*": stem, "|": "",
	}
	for k, v := range map[string]string{"@": target, "<": first, "*": stem} {
		a[k+"D"], a[k+"F"] = path.Dir(v), path.Base(v)
		if v == "" {
			a[k+"D"], a[k+"F"] = "", ""
		}
	}
	a["^D"], a["^F"] = dirsOf(uniq), basesOf(uniq)
	return a
}

func dirsOf(ws []string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = path.Dir(w)
	}
	return strings.Join(out, " ")
}

func basesOf(ws []string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = path.Base(w)
	}
	return strings.Join(out, " ")
}

// recipeLine returns the texts a recipe line runs (one per variant), with
// its @, - and + prefixes dropped; always reports whether it runs under
// make -n (a + prefix or a $(MAKE) reference).
func (m *makefile) recipeLine(l makeLine, auto map[string]string) (texts []string, always bool, err error) {
	text := strings.TrimLeft(l.text, " \t")
	for len(text) > 0 && strings.ContainsRune("@-+", rune(text[0])) {
		always = always || text[0] == '+'
		text = strings.TrimLeft(text[1:], " \t")
	}
	always = always || strings.Contains(text, "$(MAKE)") || strings.Contains(text, "${MAKE}")
	texts, err = m.expand(text, auto, nil, 0)
	return texts, always, err
}

// builtinMakeVars are make's own variables, as far as a recipe sees them.
var builtinMakeVars = map[string]string{
	"MAKE": "make", "MAKEFLAGS": "", "MFLAGS": "", "MAKELEVEL": "0", "SHELL": "/bin/sh", ".SHELLFLAGS": "-c",
	"RM": "rm -f", "CC": "cc", "CXX": "g++", "CPP": "cc -E", "AR": "ar", "AS": "as", "LD": "ld", "FC": "f77",
	"LEX": "lex", "YACC": "yacc", "ARFLAGS": "rv", "MAKE_VERSION": "4.4", "MAKE_COMMAND": "make",
}

// expand expands the make references in s: one text per variant (several
// when a variable may hold several values). auto holds the automatic
// variables of a recipe (nil elsewhere); immediate, when set, is where s is
// read, and $(shell ...) commands met are recorded as run there.
func (m *makefile) expand(s string, auto map[string]string, immediate *makeLine, depth int) ([]string, error) {
	if depth > maxMakeDepth {
		return nil, errors.New("variables refer to each other too deeply to follow")
	}
	if m.work++; m.work > maxMakeWork {
		return nil, errors.New("the Makefile takes too much expanding to follow")
	}
	out := []string{""}
	lit := func(t string) {
		for i := range out {
			out[i] += t
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			j := strings.IndexByte(s[i:], '$')
			if j < 0 {
				lit(s[i:])
				break
			}
			lit(s[i : i+j])
			i += j - 1
			continue
		}
		if i+1 >= len(s) {
			break // a lone $ at the end expands to nothing
		}
		var vs []string
		var err error
		switch c := s[i+1]; c {
		case '$':
			vs = []string{"$"}
			i++
		case '(', '{':
			j := matchClose(s, i+1)
			if j < 0 {
				return nil, errors.New("unbalanced " + string(c) + " in a make reference")
			}
			vs, err = m.reference(s[i+2:j], auto, immediate, depth+1)
			i = j
		default:
			vs, err = m.variable(string(c), auto, depth+1)
			i++
		}
		if err != nil {
			return nil, err
		}
		if out, err = crossJoin(out, vs); err != nil {
			return nil, err
		}
		if len(out[0]) > maxMakeText {
			return nil, errors.New("a line expands to too much text to follow")
		}
	}
	return out, nil
}

// crossJoin appends each of vs to each of out.
func crossJoin(out, vs []string) ([]string, error) {
	if len(vs) == 1 {
		for i := range out {
			out[i] += vs[0]
		}
		return out, nil
	}
	if len(out)*len(vs) > maxMakeVariants {
		return nil, fmt.Errorf("a line may expand to more than %d different commands", maxMakeVariants)
	}
	next := make([]string, 0, len(out)*len(vs))
	for _, o := range out {
		for _, v := range vs {
			next = append(next, o+v)
		}
	}
	return next, nil
}

// reference expands the inside of $(...): a function call, a substitution
// reference, or a (possibly computed) variable name.
func (m *makefile) reference(inner string, auto map[string]string, immediate *makeLine, depth int) ([]string, error) {
	if name, args, ok := cutFunction(inner); ok {
		return m.function(name, args, auto, immediate, depth)
	}
	if k := byteOutsideRefs(inner, ':'); k > 0 && strings.Contains(inner[k:], "=") {
		// $(VAR:from=to)
		vals, err := m.reference(inner[:k], auto, immediate, depth)
		if err != nil {
			return nil, err
		}
		from, to, _ := strings.Cut(inner[k+1:], "=")
		if !strings.Contains(from, "%") {
			from, to = "%"+from, "%"+to
		}
		for i, v := range vals {
			vals[i] = patsubst(from, to, v)
		}
		return vals, nil
	}
	names, err := m.expand(inner, auto, immediate, depth)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		vs, err := m.variable(strings.TrimSpace(n), auto, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	if len(out) > maxMakeVariants {
		return nil, fmt.Errorf("a reference may expand to more than %d different values", maxMakeVariants)
	}
	return out, nil
}

// makeFunctions are the functions the reader knows by name; the ones it
// cannot evaluate are listed with why.
var makeFunctions = map[string]string{
	"subst": "", "patsubst": "", "strip": "", "findstring": "", "filter": "", "filter-out": "", "sort": "",
	"word": "", "wordlist": "", "words": "", "firstword": "", "lastword": "", "dir": "", "notdir": "",
	"suffix": "", "basename": "", "addsuffix": "", "addprefix": "", "join": "", "abspath": "", "if": "",
	"or": "", "and": "", "foreach": "", "call": "", "value": "", "origin": "", "flavor": "", "info": "",
	"warning": "", "error": "", "wildcard": "",
	"shell":    "$(shell ...) pastes the output of a command into the text, which cannot be known before it runs",
	"eval":     "$(eval ...) defines Makefile text as it runs, which Warden cannot follow",
	"file":     "$(file ...) reads or writes a file as it runs, which Warden cannot follow",
	"realpath": "$(realpath ...) depends on the file system as it runs",
	"guile":    "$(guile ...) runs Guile code",
	"let":      "$(let ...) is not read by Warden",
	"intcmp":   "$(intcmp ...) is not read by Warden",
}

// cutFunction splits "name args" when name is a make function.
func cutFunction(inner string) (string, string, bool) {
	i := strings.IndexAny(inner, " \t")
	if i <= 0 {
		return "", "", false
	}
	if _, ok := makeFunctions[inner[:i]]; !ok {
		return "", "", false
	}
	return inner[:i], strings.TrimLeft(inner[i+1:], " \t"), true
}

// splitArgs splits function arguments on the commas outside references,
// into at most n parts (n <= 0: all).
func splitArgs(s string, n int) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '$':
			if i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
				if j := matchClose(s, i+1); j > 0 {
					i = j
				}
			}
		case '(', '{':
			if j := matchClose(s, i); j > 0 {
				i = j
			}
		case ',':
			if n <= 0 || len(out) < n-1 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// function evaluates $(name args).
func (m *makefile) function(name, args string, auto map[string]string, immediate *makeLine, depth int) ([]string, error) {
	if why := makeFunctions[name]; why != "" {
		if name == "shell" && immediate != nil {
			cmds, err := m.expand(args, auto, immediate, depth)
			for _, c := range cmds {
				m.immediate = append(m.immediate, makeLine{text: c, file: immediate.file, line: immediate.line})
			}
			if err != nil {
				return nil, err
			}
		}
		if immediate != nil {
			return nil, m.fail(*immediate, "%s", why)
		}
		return nil, errors.New(why)
	}
	ex := func(s string) ([]string, error) { return m.expand(s, auto, immediate, depth) }
	switch name {
	case "if", "or", "and":
		// Without evaluating conditions: any branch may be the value.
		parts := splitArgs(args, 3)
		if name == "if" && len(parts) > 1 {
			parts = parts[1:]
		}
		var out []string
		for _, p := range parts {
			vs, err := ex(p)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
		if name == "if" && len(parts) == 1 {
			out = append(out, "")
		}
		if len(out) > maxMakeVariants {
			return nil, fmt.Errorf("$(%s ...) may expand to more than %d different values", name, maxMakeVariants)
		}
		return uniq(out), nil
	case "foreach":
		parts := splitArgs(args, 3)
		if len(parts) != 3 {
			return nil, errors.New("$(foreach ...) needs three arguments")
		}
		vars, err := ex(parts[0])
		if err != nil {
			return nil, err
		}
		lists, err := ex(parts[1])
		if err != nil {
			return nil, err
		}
		var out []string
		for _, v := range vars {
			for _, list := range lists {
				acc := []string{""}
				for k, word := range strings.Fields(list) {
					saved, had := m.vars[strings.TrimSpace(v)]
					m.vars[strings.TrimSpace(v)] = []makeValue{{text: word}}
					vs, err := ex(parts[2])
					if had {
						m.vars[strings.TrimSpace(v)] = saved
					} else {
						delete(m.vars, strings.TrimSpace(v))
					}
					if err != nil {
						return nil, err
					}
					if k > 0 {
						acc, _ = crossJoin(acc, []string{" "})
					}
					if acc, err = crossJoin(acc, vs); err != nil {
						return nil, err
					}
				}
				out = append(out, acc...)
			}
		}
		return out, nil
	case "call":
		parts := splitArgs(args, 0)
		fns, err := ex(parts[0])
		if err != nil {
			return nil, err
		}
		var out []string
		for _, fn := range fns {
			saved := map[string][]makeValue{}
			for k, a := range parts {
				key := fmt.Sprint(k)
				if k == 0 {
					a = fn
				}
				vs, err := ex(a)
				if err != nil {
					return nil, err
				}
				if old, ok := m.vars[key]; ok {
					saved[key] = old
				}
				vals := make([]makeValue, len(vs))
				for i, v := range vs {
					vals[i] = makeValue{text: v}
				}
				m.vars[key] = vals
			}
			vs, err := m.variable(strings.TrimSpace(fn), auto, depth)
			for k := range parts {
				key := fmt.Sprint(k)
				if old, ok := saved[key]; ok {
					m.vars[key] = old
				} else {
					delete(m.vars, key)
				}
			}
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
		return out, nil
	case "value":
		var out []string
		names, err := ex(args)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			for _, v := range m.vars[strings.TrimSpace(n)] {
				if v.err != nil {
					return nil, v.err
				}
				out = append(out, v.text)
			}
		}
		if len(out) == 0 {
			out = []string{""}
		}
		return out, nil
	case "info", "warning", "error":
		return []string{""}, nil
	}
	// The text functions: evaluate on every variant of their arguments.
	n := map[string]int{"subst": 3, "patsubst": 3, "findstring": 2, "filter": 2, "filter-out": 2, "word": 2,
		"wordlist": 3, "addsuffix": 2, "addprefix": 2, "join": 2}[name]
	if n == 0 {
		n = 1
	}
	parts := splitArgs(args, n)
	if len(parts) != n {
		return nil, fmt.Errorf("$(%s ...) needs %d arguments", name, n)
	}
	combos := [][]string{{}}
	for _, p := range parts {
		vs, err := ex(p)
		if err != nil {
			return nil, err
		}
		var next [][]string
		for _, c := range combos {
			for _, v := range vs {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		if len(next) > maxMakeVariants {
			return nil, fmt.Errorf("$(%s ...) may expand to more than %d different values", name, maxMakeVariants)
		}
		combos = next
	}
	var out []string
	for _, a := range combos {
		if m.textFunctionSize(name, a) > maxMakeText {
			return nil, fmt.Errorf("$(%s ...) expands to too much text to follow", name)
		}
		out = append(out, m.textFunction(name, a))
	}
	return out, nil
}

// textFunctionSize bounds the length of what a text function returns.
func (m *makefile) textFunctionSize(name string, a []string) int {
	n := 0
	for _, s := range a {
		n += len(s)
	}
	last := a[len(a)-1]
	switch name {
	case "subst":
		if a[0] != "" {
			n += strings.Count(last, a[0]) * len(a[1])
		}
	case "patsubst", "addprefix", "addsuffix":
		n += (strings.Count(last, " ") + 1) * len(a[len(a)-2])
	case "abspath":
		n += (strings.Count(last, " ") + 1) * (len(m.dir) + 1)
	}
	return n
}

// textFunction evaluates a function of text on expanded arguments.
func (m *makefile) textFunction(name string, a []string) string {
	words := func(s string) []string { return strings.Fields(s) }
	mapWords := func(s string, f func(string) string) string {
		ws := words(s)
		for i, w := range ws {
			ws[i] = f(w)
		}
		return strings.Join(ws, " ")
	}
	switch name {
	case "subst":
		if a[0] == "" {
			return a[2]
		}
		return strings.ReplaceAll(a[2], a[0], a[1])
	case "patsubst":
		return patsubst(a[0], a[1], a[2])
	case "strip":
		return strings.Join(words(a[0]), " ")
	case "findstring":
		if strings.Contains(a[1], a[0]) {
			return a[0]
		}
		return ""
	case "filter", "filter-out":
		pats := words(a[0])
		var out []string
		for _, w := range words(a[1]) {
			hit := slices.ContainsFunc(pats, func(p string) bool { _, ok := patternStem(p, w); return ok })
			if hit == (name == "filter") {
				out = append(out, w)
			}
		}
		return strings.Join(out, " ")
	case "sort":
		ws := words(a[0])
		slices.Sort(ws)
		return strings.Join(slices.Compact(ws), " ")
	case "word", "wordlist":
		ws := words(a[len(a)-1])
		from, to := atoiMake(a[0]), atoiMake(a[0])
		if name == "wordlist" {
			to = atoiMake(a[1])
		}
		if from < 1 {
			from = 1
		}
		if to > len(ws) {
			to = len(ws)
		}
		if from > to {
			return ""
		}
		return strings.Join(ws[from-1:to], " ")
	case "words":
		return fmt.Sprint(len(words(a[0])))
	case "firstword", "lastword":
		ws := words(a[0])
		if len(ws) == 0 {
			return ""
		}
		if name == "firstword" {
			return ws[0]
		}
		return ws[len(ws)-1]
	case "dir":
		return mapWords(a[0], func(w string) string {
			if i := strings.LastIndexByte(w, '/'); i >= 0 {
				return w[:i+1]
			}
			return "./"
		})
	case "notdir":
		return mapWords(a[0], func(w string) string { return w[strings.LastIndexByte(w, '/')+1:] })
	case "suffix", "basename":
		return mapWords(a[0], func(w string) string {
			i := strings.LastIndexByte(w, '.')
			if i < 0 || strings.LastIndexByte(w, '/') > i {
				if name == "suffix" {
					return ""
				}
				return w
			}
			if name == "suffix" {
				return w[i:]
			}
			return w[:i]
		})
	case "addsuffix":
		return mapWords(a[1], func(w string) string { return w + a[0] })
	case "addprefix":
		return mapWords(a[1], func(w string) string { return a[0] + w })
	case "join":
		x, y := words(a[0]), words(a[1])
		out := make([]string, max(len(x), len(y)))
		for i := range out {
			if i < len(x) {
				out[i] = x[i]
			}
			if i < len(y) {
				out[i] += y[i]
			}
		}
		return strings.Join(out, " ")
	case "abspath":
		return mapWords(a[0], func(w string) string {
			if !strings.HasPrefix(w, "/") {
				w = m.dir + "/" + w
			}
			return path.Clean(w)
		})
	case "wildcard":
		var out []string
		for _, p := range words(a[0]) {
			if m.glob != nil {
				out = append(out, m.glob(p)...)
			}
		}
		return strings.Join(out, " ")
	case "origin", "flavor":
		return "file"
	}
	return ""
}

func atoiMake(s string) int {
	n := 0
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' || n > 1<<20 {
			return n
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// patsubst replaces, in each word of text matching pattern, the stem into
// replacement.
func patsubst(pattern, replacement, text string) string {
	ws := strings.Fields(text)
	for i, w := range ws {
		stem, ok := patternStem(pattern, w)
		if !ok {
			continue
		}
		if strings.Contains(replacement, "%") {
			ws[i] = strings.Replace(replacement, "%", stem, 1)
		} else {
			ws[i] = replacement
		}
	}
	return strings.Join(ws, " ")
}

// variable returns the values of the variable name.
func (m *makefile) variable(name string, auto map[string]string, depth int) ([]string, error) {
	if auto != nil {
		if v, ok := auto[name]; ok {
			return []string{v}, nil
		}
	}
	if _, ok := m.vars[name]; ok {
		return m.expandValue(name, auto, depth)
	}
	switch name {
	case "CURDIR":
		return []string{m.dir}, nil
	case "MAKECMDGOALS":
		return []string{strings.Join(m.goals, " ")}, nil
	case "MAKEFILE_LIST":
		return []string{strings.Join(m.files, " ")}, nil
	}
	if v, ok := builtinMakeVars[name]; ok {
		return []string{v}, nil
	}
	if m.assigned[name] {
		return nil, fmt.Errorf("$(%s) takes the value the same command gives it, pasted into the recipe", name)
	}
	if validShellName(name) {
		// From the environment: the shell sees the same unknown value.
		return []string{"${" + name + "}"}, nil
	}
	return []string{""}, nil
}

// expandValue returns the values of a defined variable.
func (m *makefile) expandValue(name string, auto map[string]string, depth int) ([]string, error) {
	var out []string
	for _, v := range m.vars[name] {
		switch {
		case v.err != nil:
			return nil, v.err
		case v.recursive:
			vs, err := m.expand(v.text, auto, nil, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		default:
			out = append(out, v.text)
		}
	}
	out = uniq(out)
	if len(out) > maxMakeVariants {
		return nil, fmt.Errorf("$(%s) may hold more than %d different values", name, maxMakeVariants)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out, nil
}

func validShellName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

// makeCall is what a make command line asks for.
type makeCall struct {
	dir    string   // -C, relative to the cwd
	files  []string // -f
	goals  []string
	vars   map[string]string // VAR=value
	dryRun bool              // -n, -q, -t: recipes do not run (but + and $(MAKE) lines do)
}

// parseMakeCall reads make's arguments.
func parseMakeCall(c *shell.Command) makeCall {
	mc := makeCall{vars: map[string]string{}}
	args := argv(c)
	value := func(i *int, a, short, long string) (string, bool) {
		switch {
		case a == short || a == long:
			if *i+1 < len(args) {
				*i++
				return args[*i], true
			}
			return "", false
		case short != "" && strings.HasPrefix(a, short) && !strings.HasPrefix(a, "--"):
			return a[len(short):], true
		case long != "" && strings.HasPrefix(a, long+"="):
			return a[len(long)+1:], true
		}
		return "", false
	}
	dashdash := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if v, ok := value(&i, a, "-C", "--directory"); ok {
			mc.dir = path.Join(mc.dir, v)
			if strings.HasPrefix(v, "/") {
				mc.dir = v
			}
			continue
		}
		if v, ok := value(&i, a, "-f", "--file"); ok {
			mc.files = append(mc.files, path.Join(mc.dir, v))
			if strings.HasPrefix(v, "/") {
				mc.files[len(mc.files)-1] = v
			}
			continue
		}
		if v, ok := value(&i, a, "", "--makefile"); ok {
			mc.files = append(mc.files, v)
			continue
		}
		if _, ok := value(&i, a, "-I", "--include-dir"); ok {
			continue
		}
		if _, ok := value(&i, a, "-o", "--old-file"); ok {
			continue
		}
		if _, ok := value(&i, a, "-W", "--what-if"); ok {
			continue
		}
		if _, ok := value(&i, a, "", "--eval"); ok {
			continue // makeOutside decides its recipe lines
		}
		switch {
		case a == "--":
			dashdash = true
		case !dashdash && strings.HasPrefix(a, "-") && len(a) > 1:
			switch {
			case a == "--just-print" || a == "--dry-run" || a == "--recon" || a == "--question" || a == "--touch":
				mc.dryRun = true
			case !strings.HasPrefix(a, "--") && strings.ContainsAny(a[1:], "nqt"):
				mc.dryRun = true
			case (a == "-j" || a == "-l") && i+1 < len(args) && atoiMake(args[i+1]) > 0:
				i++ // -j 4
			}
		case strings.Contains(a, "=") && !strings.HasPrefix(a, "="):
			name, val, _ := strings.Cut(a, "=")
			mc.vars[strings.TrimRight(strings.TrimSpace(name), ":?+!")] = val
		default:
			mc.goals = append(mc.goals, a)
		}
	}
	return mc
}

// assignedNames are the variables the same Bash command assigns (prefix
// assignments, export NAME=...): make pastes their values into recipes.
func assignedNames(c *shell.Command, all []shell.Command) map[string]bool {
	out := map[string]bool{}
	for _, a := range c.Assigns {
		out[a.Name] = true
	}
	for i := range all {
		switch all[i].Program {
		case "export", "declare", "typeset", "readonly", "local", "env":
			for _, a := range argv(&all[i]) {
				if name, _, ok := strings.Cut(a, "="); ok {
					out[name] = true
				}
			}
		}
		for _, a := range all[i].Assigns {
			out[a.Name] = true
		}
	}
	return out
}

// makeRecipes decides what `make` runs: the recipes of the goals and the
// prerequisites they make, and the commands the Makefile runs as it is read.
// (A makefile named by -f or -C outside the repository, and --eval, are
// makeOutside's.)
func (e *Engine) makeRecipes(d *decision, u *unit, c *shell.Command, call *catalog.Call, all []shell.Command, env *pathEnv, depth int) {
	if rowName(call) != "make" {
		return
	}
	mc := parseMakeCall(c)
	for _, cwd := range cwdsOf(c, env) {
		dir := cwd
		if mc.dir != "" {
			dir = env.resolve(mc.dir, cwd)
		}
		var found []string
		for _, f := range mc.files {
			found = append(found, env.resolve(f, cwd))
		}
		if len(found) == 0 {
			for _, f := range []string{"GNUmakefile", "makefile", "Makefile"} {
				if _, err := e.fs.Lstat(path.Join(dir, f)); err == nil {
					found = append(found, path.Join(dir, f)) // make reads the first of its default names
					break
				}
			}
		}
		if len(found) == 0 || !d.once("make\x00"+strings.Join(found, "\x00")+"\x00"+dir+"\x00"+c.Text) {
			continue
		}
		if _, in := cutDir(found[0], env.root()); !in && len(mc.files) == 0 && mc.dir == "" {
			d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("`%s` runs the makefile %s, outside the repository", c.Text, found[0]))
		}
		if depth >= maxCodeDepth {
			e.tooDeep(d, u, c, "the makefile "+shownPath(found[0], env))
			continue
		}
		e.runMakefiles(d, u, c, all, env, depth, dir, found, mc)
	}
}

// runMakefiles reads the makefiles (and what they include) and decides
// what make runs from them.
func (e *Engine) runMakefiles(d *decision, u *unit, c *shell.Command, all []shell.Command, env *pathEnv, depth int, dir string, files []string, mc makeCall) {
	glob := func(pattern string) []string {
		if !strings.HasPrefix(pattern, "/") {
			pattern = dir + "/" + pattern
		}
		ms, _ := e.fs.Glob(pattern)
		for i, p := range ms {
			if rel, ok := cutDir(p, dir); ok && rel != "" {
				ms[i] = rel
			}
		}
		return ms
	}
	m := newMakefile(dir, mc.goals, glob)
	m.assigned = assignedNames(c, all)
	for name, v := range mc.vars {
		m.vars[name] = []makeValue{{text: v, recursive: true}}
		m.cmdline[name] = true
	}
	read := func(p string, required bool) bool {
		data, ok := e.readCode(d, u, c, p, "the makefile", env)
		if !ok {
			return !required
		}
		m.parse(data, shownPath(p, env))
		return true
	}
	for _, p := range files {
		if !read(p, false) {
			return
		}
	}
	for i := 0; i < len(m.includes) && m.problem == nil; i++ {
		if i >= maxMakeIncludes {
			e.cannotRead(d, u, c, "the makefiles "+strings.Join(m.files, ", "), fmt.Errorf("they include more than %d files", maxMakeIncludes))
			return
		}
		p := m.includes[i].text
		if !strings.HasPrefix(p, "/") {
			p = path.Join(dir, p)
		}
		read(p, false)
	}
	if len(m.files) == 0 {
		return
	}
	if m.problem != nil {
		e.cannotRead(d, u, c, "the makefile "+m.files[0], m.problem)
		return
	}
	// What the Makefile runs as it is read runs whatever the goal.
	for _, l := range m.immediate {
		if !e.makeShell(d, u, c, env, depth, dir, l, l.text) {
			return
		}
	}
	goals := mc.goals
	if len(goals) == 0 {
		g, err := m.defaultGoal()
		if err != nil {
			e.cannotRead(d, u, c, "the default goal of "+m.files[0], err)
			return
		}
		if g == "" {
			return
		}
		goals = []string{g}
	}
	steps, err := m.plan(goals)
	for _, st := range steps {
		if !e.makeRecipe(d, u, c, env, depth, dir, m, st, mc.dryRun) {
			return
		}
	}
	if err != nil {
		e.cannotRead(d, u, c, "the targets "+strings.Join(goals, " ")+" of "+m.files[0], err)
	}
}

// makeRecipe decides the recipe of one step; false when the decision's
// budget is spent.
func (e *Engine) makeRecipe(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, dir string, m *makefile, st makeStep, dryRun bool) bool {
	var script []string // .ONESHELL: the recipe is one script
	first := makeLine{}
	for _, l := range st.rule.recipe {
		texts, always, err := m.recipeLine(l, st.auto)
		if dryRun && !always {
			continue
		}
		if err != nil {
			e.cannotRead(d, u, c, "the recipe at "+l.at(), err)
			continue
		}
		if !m.oneShell {
			for _, t := range texts {
				if !e.makeShell(d, u, c, env, depth, dir, l, t) {
					return false
				}
			}
			continue
		}
		if first.file == "" {
			first, script = l, []string{""}
		}
		if script, err = crossJoin(script, prefixed("\n", texts)); err != nil {
			e.cannotRead(d, u, c, "the recipe at "+l.at(), err)
			return true
		}
	}
	for _, t := range script {
		if !e.makeShell(d, u, c, env, depth, dir, first, strings.TrimPrefix(t, "\n")) {
			return false
		}
	}
	return true
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// makeShell decides one shell command make runs, written at l; false when
// the decision's budget is spent.
func (e *Engine) makeShell(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, dir string, l makeLine, text string) bool {
	an := shell.Analyze(text, shell.Options{Cwd: dir, Home: env.home, Repo: env.repo})
	if an.ParseError != nil {
		e.cannotRead(d, u, c, "the recipe at "+l.at(), fmt.Errorf("it does not parse as Bash: %w", an.ParseError))
	}
	if !e.spend(d, u, c, l.file, len(an.Commands)) {
		return false
	}
	e.decideFrom(d, c, an.Commands, env, depth+1, func(sc *shell.Command) string {
		return fmt.Sprintf("%s:%d", l.file, l.line+max(sc.Line, 1)-1)
	})
	return true
}
