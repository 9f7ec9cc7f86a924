package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// varTable records the literal values assigned to each variable anywhere in
// the scripts analysed so far (the top-level script and the nested ones),
// regardless of control flow: a variable gets every value it may hold.
type varTable struct {
	m map[string]*varEntry
	// anyDyn is set when some statement may assign any variable (source,
	// eval of a dynamic string, declare "$x=..."): every lookup is then
	// Dynamic, keeping its known candidates.
	anyDyn bool
	// refs are the namerefs: declare -n NAME=TARGET.
	refs map[string]string
	// arrays are the elements of arrays assigned once with NAME=(...) and
	// never otherwise ("${a[@]}" is then known); nil elements mark an
	// array whose contents are not modelled.
	arrays map[string][]*syntax.Word
}

// varEntry is one variable's assignments and, once resolved, its values.
type varEntry struct {
	srcs  []varSrc
	dyn   bool // assigned a value that is never literal (read, ((i++)))
	state uint8
	vals  []string
	vdyn  bool
}

// varSrc is one assigned value: a word resolved in mode.
type varSrc struct {
	w    *syntax.Word
	mode resolveMode
}

const (
	stateNew uint8 = iota
	stateBusy
	stateDone
)

// lookup returns the candidate values of a variable and whether it may
// hold something else.
func (a *analyzer) lookup(name string) ([]string, bool) {
	if v, ok := a.positional[name]; ok {
		return []string{v}, false
	}
	if !validName(name) {
		return nil, true // $1, $@, $?, $$ ...
	}
	vt := a.varTable()
	if t, ok := vt.refs[name]; ok && t != name && a.refDepth < 8 {
		a.refDepth++
		defer func() { a.refDepth-- }()
		return a.lookup(t)
	}
	e := vt.m[name]
	if name == "PWD" && e == nil {
		if len(a.cwds) == 0 {
			return nil, true
		}
		return a.cwds, vt.anyDyn
	}
	if name == "OLDPWD" && e == nil && len(a.oldcwds) > 0 {
		return a.oldcwds, vt.anyDyn
	}
	if e == nil {
		v, ok := a.opts.Env[name]
		switch {
		case ok:
			return []string{v}, vt.anyDyn
		case name == "HOME" && a.opts.Home != "":
			return []string{a.opts.Home}, vt.anyDyn
		case name == "IFS":
			// The default: cat$IFS.env splits into cat .env.
			return []string{" \t\n"}, vt.anyDyn
		}
		return nil, true
	}
	switch e.state {
	case stateDone:
		return e.vals, e.vdyn || vt.anyDyn
	case stateBusy:
		return nil, true // defined in terms of itself: PATH=$PATH:/x
	}
	e.state = stateBusy
	var vals []string
	dyn := e.dyn
	add := func(v string) {
		if len(vals) == maxValues {
			dyn = true
			return
		}
		if !contains(vals, v) {
			vals = append(vals, v)
		}
	}
	if v, ok := a.opts.Env[name]; ok {
		add(v)
	}
	if name == "HOME" && a.opts.Home != "" {
		add(a.opts.Home)
	}
	if name == "PWD" {
		for _, c := range a.cwds {
			add(c)
		}
	}
	for _, src := range e.srcs {
		r := a.resolve(src.w, src.mode)
		if r.dyn {
			dyn = true
		}
		for _, v := range r.vals {
			if src.mode != modeArg {
				add(v)
				continue
			}
			// for-loop items split into fields.
			for _, f := range strings.Split(v, sep) {
				if f != "" || !r.bare {
					add(f)
				}
			}
		}
	}
	if len(e.srcs) == 0 && len(vals) == 0 {
		dyn = true
	}
	e.vals, e.vdyn, e.state = vals, dyn, stateDone
	return vals, dyn || vt.anyDyn
}

// varTable returns the table, collecting the scripts parsed so far the
// first time.
func (a *analyzer) varTable() *varTable {
	if a.vars == nil {
		a.vars = &varTable{m: map[string]*varEntry{}}
		a.collect(a.top)
		for _, stmts := range a.scripts {
			a.collect(stmts)
		}
	}
	return a.vars
}

// addScript records the statements of a nested script: their assignments
// join the table (if built), and resolved values are recomputed.
func (a *analyzer) addScript(stmts []*syntax.Stmt) {
	a.scripts = append(a.scripts, stmts)
	if a.vars == nil {
		return
	}
	a.collect(stmts)
	for _, e := range a.vars.m {
		e.state, e.vals = stateNew, nil
	}
}

func (a *analyzer) entry(name string) *varEntry {
	e := a.vars.m[name]
	if e == nil {
		e = &varEntry{}
		a.vars.m[name] = e
	}
	return e
}

func (a *analyzer) addSrc(name string, w *syntax.Word, mode resolveMode) {
	if !validName(name) {
		return
	}
	e := a.entry(name)
	if len(e.srcs) >= maxValues {
		e.dyn = true
		return
	}
	e.srcs = append(e.srcs, varSrc{w: w, mode: mode})
}

func (a *analyzer) setDyn(name string) {
	if validName(name) {
		a.entry(name).dyn = true
	}
}

// collect records the assignments made anywhere in stmts.
func (a *analyzer) collect(stmts []*syntax.Stmt) {
	for _, s := range stmts {
		syntax.Walk(s, a.collectNode)
	}
}

func (a *analyzer) collectNode(n syntax.Node) bool {
	switch n := n.(type) {
	case *syntax.Stmt:
		a.collectRead(n)
	case *syntax.Assign:
		if n.Name == nil {
			if n.Value != nil {
				if v, _, ok := plainWord(n.Value); !ok || strings.IndexByte(v, '=') >= 0 {
					a.vars.anyDyn = true // declare "$x=1" or declare "x=1"
				}
			}
			return true
		}
		name := n.Name.Value
		if n.Append {
			a.setDyn(name)
		}
		a.noteArray(name, n)
		switch {
		case n.Array != nil:
			for _, el := range n.Array.Elems {
				if el.Value != nil {
					a.addSrc(name, el.Value, modeAssign)
				}
			}
		case n.Value != nil:
			a.addSrc(name, n.Value, modeAssign)
		case !n.Naked:
			a.addSrc(name, nil, modeAssign) // X=
		}
	case *syntax.ForClause:
		if it, ok := n.Loop.(*syntax.WordIter); ok && it.Name != nil {
			if len(it.Items) == 0 {
				a.setDyn(it.Name.Value) // for x; do: the positional parameters
			}
			for _, w := range it.Items {
				a.addSrc(it.Name.Value, w, modeArg)
			}
		}
	case *syntax.BinaryArithm:
		switch n.Op {
		case syntax.Assgn, syntax.AddAssgn, syntax.SubAssgn, syntax.MulAssgn,
			syntax.QuoAssgn, syntax.RemAssgn, syntax.AndAssgn, syntax.OrAssgn,
			syntax.XorAssgn, syntax.ShlAssgn, syntax.ShrAssgn:
			if w, ok := n.X.(*syntax.Word); ok {
				a.setDyn(w.Lit())
			}
		}
	case *syntax.UnaryArithm:
		if n.Op == syntax.Inc || n.Op == syntax.Dec {
			if w, ok := n.X.(*syntax.Word); ok {
				a.setDyn(w.Lit())
			}
		}
	case *syntax.ParamExp:
		if n.Param != nil && n.Exp != nil && (n.Exp.Op == syntax.AssignUnset || n.Exp.Op == syntax.AssignUnsetOrNull) {
			a.addSrc(n.Param.Value, n.Exp.Word, modeAssign)
		}
	case *syntax.DeclClause:
		if n.Variant != nil && n.Variant.Value != "export" && n.Variant.Value != "readonly" {
			for _, as := range n.Args {
				if as.Naked && as.Name == nil && as.Value != nil {
					if v, _, ok := plainWord(as.Value); ok && strings.HasPrefix(v, "-") && strings.ContainsAny(v, "n") {
						a.namerefs(n)
					}
				}
			}
		}
	case *syntax.CallExpr:
		a.collectCall(n)
	}
	return true
}

// noteArray records the elements of NAME=(...); a second assignment of
// any kind, an append or an indexed element makes them unknown.
func (a *analyzer) noteArray(name string, n *syntax.Assign) {
	if a.vars.arrays == nil {
		a.vars.arrays = map[string][]*syntax.Word{}
	}
	if _, seen := a.vars.arrays[name]; seen || n.Array == nil || n.Append || n.Index != nil {
		a.vars.arrays[name] = []*syntax.Word{nil}
		return
	}
	els := make([]*syntax.Word, 0, len(n.Array.Elems))
	for _, el := range n.Array.Elems {
		if el.Index != nil || el.Value == nil {
			a.vars.arrays[name] = []*syntax.Word{nil}
			return
		}
		els = append(els, el.Value)
	}
	a.vars.arrays[name] = els
}

// arrayValue returns "${name[@]}" (fields joined by sep) or "${name[*]}"
// (joined by IFS's first character) when the array is known.
func (a *analyzer) arrayValue(name, index string) (string, bool) {
	els, ok := a.varTable().arrays[name]
	if !ok || a.vars.anyDyn {
		return "", false
	}
	if e := a.vars.m[name]; e != nil && e.dyn {
		return "", false
	}
	vals := make([]string, 0, len(els))
	for _, w := range els {
		if w == nil {
			return "", false
		}
		r := a.resolve(w, modeAssign)
		if r.dyn || len(r.vals) != 1 {
			return "", false
		}
		vals = append(vals, r.vals[0])
	}
	if index == "@" {
		return strings.Join(vals, sep), true
	}
	join := " "
	if ifs, dyn := a.lookup("IFS"); len(ifs) == 1 && !dyn {
		join = ifs[0][:min(1, len(ifs[0]))]
	}
	return strings.Join(vals, join), true
}

// namerefs records declare -n NAME=TARGET; a reference whose target is
// not a plain name may refer to any variable.
func (a *analyzer) namerefs(n *syntax.DeclClause) {
	for _, as := range n.Args {
		if as.Name == nil {
			continue
		}
		target, _, ok := plainWord(as.Value)
		if as.Value == nil || !ok || !validName(target) {
			a.vars.anyDyn = true
			continue
		}
		if a.vars.refs == nil {
			a.vars.refs = map[string]string{}
		}
		a.vars.refs[as.Name.Value] = target
	}
}

// indirect returns the variables an expansion reads by another name: the
// candidates of ${!name}, or a nameref's target.
func (a *analyzer) indirect(pe *syntax.ParamExp) []string {
	if pe.Param == nil {
		return nil
	}
	if pe.Excl {
		vals, _ := a.lookup(pe.Param.Value)
		var out []string
		for _, v := range vals {
			if validName(v) {
				out = append(out, v)
			}
		}
		return out
	}
	if t, ok := a.varTable().refs[pe.Param.Value]; ok {
		return []string{t}
	}
	return nil
}

// collectRead records read [-r] NAME <<'X' (or <<< 'text'): NAME holds
// the first line of a literal here-document, still marked as possibly
// something else, as read sets variables when it runs.
func (a *analyzer) collectRead(s *syntax.Stmt) {
	c, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(c.Args) < 2 {
		return
	}
	var words []string
	for _, w := range c.Args {
		v, _, ok := plainWord(w)
		if !ok {
			return
		}
		words = append(words, v)
	}
	if words[0] != "read" {
		return
	}
	var names []string
	for _, w := range words[1:] {
		switch {
		case w == "-r":
		case strings.HasPrefix(w, "-"):
			return // -a, -d, -n...: not modelled
		default:
			names = append(names, w)
		}
	}
	if len(names) != 1 {
		return
	}
	for _, r := range s.Redirs {
		var text string
		switch {
		case (r.Op == syntax.Hdoc || r.Op == syntax.DashHdoc) && r.Hdoc != nil:
			v, ok := hdocLiteral(r.Hdoc)
			if !ok {
				return
			}
			text = v
		case r.Op == syntax.WordHdoc && r.Word != nil:
			v, _, ok := plainWord(r.Word)
			if !ok {
				return
			}
			text = v
		default:
			continue
		}
		line, _, _ := strings.Cut(text, "\n")
		line = strings.TrimSpace(line)
		a.addSrc(names[0], &syntax.Word{Parts: []syntax.WordPart{&syntax.Lit{Value: line}}}, modeAssign)
	}
}

// hdocLiteral returns a here-document's text when it has no expansions.
func hdocLiteral(w *syntax.Word) (string, bool) {
	var b strings.Builder
	for _, p := range w.Parts {
		l, ok := p.(*syntax.Lit)
		if !ok {
			return "", false
		}
		b.WriteString(l.Value)
	}
	return b.String(), true
}

// collectCall marks the variables set by builtins such as read, and
// notes builtins that may set any variable.
func (a *analyzer) collectCall(c *syntax.CallExpr) {
	if len(c.Args) == 0 {
		return
	}
	name, _, ok := plainWord(c.Args[0])
	if !ok {
		return
	}
	switch name {
	case "read", "mapfile", "readarray", "getopts", "printf", "let":
		if name == "mapfile" || name == "readarray" {
			a.setDyn("MAPFILE")
		}
		if name == "read" {
			a.setDyn("REPLY")
		}
		for _, w := range c.Args[1:] {
			if v, _, ok := plainWord(w); ok {
				if i := strings.IndexAny(v, "=+-*/%[("); i > 0 && name == "let" {
					v = v[:i]
				}
				a.setDyn(v)
			}
		}
	case "unset":
		for _, w := range c.Args[1:] {
			if v, _, ok := plainWord(w); ok && !strings.HasPrefix(v, "-") {
				a.addSrc(v, nil, modeAssign) // unset: empty
			}
		}
	case "source", ".", "export", "declare", "typeset", "local", "readonly":
		a.vars.anyDyn = true
	}
}

// validName reports whether s is a shell variable name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
