package shell

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// arg is one resolved word of a simple command.
type arg struct {
	w Word
	// bare is true when the word is made only of unquoted expansions, so
	// that an empty value yields no field at all ($EMPTY cmd runs cmd).
	bare bool
	// off and end locate the word in the frame source; off < 0 when the
	// word was made up (xargs input, a field split from a value).
	off, end int
	// plain is true when the value is the word as written.
	plain bool
}

// lit returns the one static value of x.
func (x *arg) lit() (string, bool) {
	if x.w.Dynamic || len(x.w.Values) != 1 {
		return "", false
	}
	return x.w.Values[0], true
}

// callCtx is what all commands found in one simple command share.
type callCtx struct {
	fr      frame
	pos     syntax.Pos
	ce      *syntax.CallExpr
	assigns []Assign
	redirs  []Redirect
	in      *input // effective stdin
	cwds    []string
	written string
	wrote   bool // written computed
	src     string
}

// call analyses a simple command: its words are resolved, wrappers are
// unwrapped and the commands are reported, then the substitutions inside
// its words are walked.
func (a *analyzer) call(s *syntax.Stmt, ce *syntax.CallExpr, fr frame) {
	cc := callCtx{fr: fr, pos: ce.Pos(), ce: ce, in: fr.in, src: fr.src, assigns: fr.assigns}
	if len(ce.Assigns) > 0 {
		cc.assigns = make([]Assign, 0, len(fr.assigns)+len(ce.Assigns))
		cc.assigns = append(cc.assigns, fr.assigns...)
		for _, as := range ce.Assigns {
			if as.Name != nil {
				cc.assigns = append(cc.assigns, Assign{Name: as.Name.Value, Value: a.assignValue(as.Value, fr.src)})
			}
		}
	}
	if len(s.Redirs) > 0 {
		var in *input
		cc.redirs, in = a.redirects(s.Redirs, fr)
		if in != nil {
			cc.in = in
		}
	}
	if len(ce.Args) == 0 {
		if len(cc.redirs) > 0 {
			a.emitRedirOnly(s.Pos(), fr, "", cc.redirs)
		}
		a.emitInherited(s, ce, fr)
	} else {
		mark := len(a.args)
		for _, w := range ce.Args {
			a.appendArgs(w, fr.src)
		}
		words := a.args[mark:len(a.args):len(a.args)]
		if len(words) > 0 {
			a.unwrap(&cc, words, fr.via)
		} else if len(cc.redirs) > 0 {
			a.emitRedirOnly(s.Pos(), fr, "", cc.redirs)
		}
		a.args = a.args[:mark]
	}
	for _, as := range ce.Assigns {
		a.assignSubsts(as, fr)
	}
	for _, w := range ce.Args {
		a.wordSubsts(w, fr)
	}
	a.redirSubsts(s.Redirs, fr)
}

// inheritedVars are variables every shell already exports: a bare
// PATH=/tmp/x:$PATH changes what the following commands run, so it is
// reported as a command (with no program) whose Assigns carry it.
var inheritedVars = []string{"PATH"}

func (a *analyzer) emitInherited(s *syntax.Stmt, ce *syntax.CallExpr, fr frame) {
	var as []Assign
	for _, x := range ce.Assigns {
		if x.Name != nil && contains(inheritedVars, x.Name.Value) && !a.full() {
			as = append(as, Assign{Name: x.Name.Value, Value: a.assignValue(x.Value, fr.src)})
		}
	}
	if len(as) == 0 {
		return
	}
	line, col := fr.position(s.Pos())
	text := ""
	if off, end := int(ce.Pos().Offset()), int(ce.End().Offset()); off >= 0 && off <= end && end <= len(fr.src) {
		text = fr.src[off:end]
	}
	a.cmds = append(a.cmds, Command{Via: fr.via, Assigns: as, Cwds: a.cwds, Text: text, Written: text, Line: line, Col: col})
}

// assignValue resolves the value of NAME=value (tilde and known
// variables; no field splitting).
func (a *analyzer) assignValue(w *syntax.Word, src string) Word {
	if w == nil {
		return Word{Values: a.one("")}
	}
	off, end := int(w.Pos().Offset()), int(w.End().Offset())
	raw := ""
	if off >= 0 && off <= end && end <= len(src) {
		raw = src[off:end]
	}
	r := a.resolve(w, modeAssign)
	return Word{Raw: raw, Values: a.values(r.vals), Dynamic: r.dyn, Subst: r.subst, Refs: r.refs}
}

// appendArgs resolves w and appends its fields to a.args: usually one,
// none for an unquoted expansion that is empty, several when the one
// value of an unquoted expansion splits into fields.
func (a *analyzer) appendArgs(w *syntax.Word, src string) {
	off, end := int(w.Pos().Offset()), int(w.End().Offset())
	raw := ""
	if off >= 0 && off <= end && end <= len(src) {
		raw = src[off:end]
	}
	if v, glob, ok := plainWord(w); ok {
		a.args = append(a.args, arg{
			w:     Word{Raw: raw, Values: a.one(v), Glob: glob},
			off:   off,
			end:   end,
			plain: v == raw,
		})
		return
	}
	r := a.resolve(w, modeArg)
	word := Word{Raw: raw, Dynamic: r.dyn, Glob: r.glob, Subst: r.subst, Refs: r.refs}
	if len(r.vals) == 1 && strings.IndexByte(r.vals[0], sepByte) >= 0 {
		// One value split into fields by an unquoted expansion: each
		// field is an argument of its own, written as the whole word.
		for _, f := range strings.Split(r.vals[0], sep) {
			if f == "" {
				continue
			}
			fw := word
			fw.Values = a.one(f)
			a.args = append(a.args, arg{w: fw, off: -1})
		}
		return
	}
	if len(r.vals) == 1 && r.vals[0] == "" && r.bare && !r.dyn {
		return // an empty unquoted expansion is no field
	}
	if r.brace && len(r.vals) > 1 && !r.dyn {
		// Brace expansion makes fields: {cat,.env} runs cat .env.
		for _, v := range r.vals {
			fw := word
			fw.Values = a.one(v)
			a.args = append(a.args, arg{w: fw, off: -1})
		}
		return
	}
	word.Values = a.values(r.vals)
	a.args = append(a.args, arg{w: word, bare: r.bare, off: off, end: end})
}

// redirects converts the redirections of a statement and returns the
// stdin they give, if any. Substitutions in targets and here-doc bodies
// are walked.
func (a *analyzer) redirects(rs []*syntax.Redirect, fr frame) ([]Redirect, *input) {
	out := make([]Redirect, 0, len(rs))
	var in *input
	for _, r := range rs {
		rd := Redirect{Op: r.Op.String()}
		if r.N != nil {
			rd.Fd = r.N.Value
		}
		stdin := r.N == nil || r.N.Value == "0"
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			quoted := docQuoted(r.Word)
			text, dyn := a.docText(r.Hdoc, fr.src, quoted)
			raw := ""
			if r.Hdoc != nil {
				raw = a.slice(fr.src, r.Hdoc.Pos(), r.Hdoc.End())
				if d := delimiter(r.Word); d != "" {
					raw = strings.TrimSuffix(raw, d)
				}
			}
			rd.Target = Word{Raw: raw, Values: a.one(text), Dynamic: dyn}
			if stdin {
				in = &input{kind: "here-doc", text: &Text{Value: text, Dynamic: dyn}}
			}
		case syntax.WordHdoc:
			raw := a.slice(fr.src, r.Word.Pos(), r.Word.End())
			res := a.resolve(r.Word, modeAssign)
			text, dyn := "", res.dyn || len(res.vals) != 1
			if len(res.vals) > 0 {
				text = res.vals[0]
			}
			if dyn {
				text = dropNUL(raw)
			}
			text += "\n"
			rd.Target = Word{Raw: raw, Values: a.one(text), Dynamic: dyn, Subst: res.subst, Refs: res.refs}
			if stdin {
				in = &input{kind: "here-string", text: &Text{Value: text, Dynamic: dyn}}
			}
		default:
			mark := len(a.args)
			a.appendArgs(r.Word, fr.src)
			if len(a.args) > mark {
				t := a.args[mark].w
				if len(a.args) > mark+1 { // split target: ambiguous redirect
					t.Dynamic = true
					t.Values = nil
				}
				rd.Target = t
			} else {
				rd.Target = Word{Raw: a.slice(fr.src, r.Word.Pos(), r.Word.End()), Dynamic: true}
			}
			a.args = a.args[:mark]
			rd.Read, rd.Write = redirAccess(r.Op, rd.Target)
			if stdin && (r.Op == syntax.RdrIn || r.Op == syntax.RdrInOut) {
				in = &input{kind: "file"}
			}
		}
		out = append(out, rd)
	}
	return out, in
}

// redirSubsts walks the substitutions in redirection targets and in
// unquoted here-doc bodies.
func (a *analyzer) redirSubsts(rs []*syntax.Redirect, fr frame) {
	for _, r := range rs {
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			if !docQuoted(r.Word) {
				a.wordSubsts(r.Hdoc, fr)
			}
		default:
			a.wordSubsts(r.Word, fr)
		}
	}
}

// redirAccess tells whether a redirection reads or writes its target.
// fd duplications (2>&1, <&0, >&-) touch no file; >&word with a word that
// is not a number is bash's &> and writes the file.
func redirAccess(op syntax.RedirOperator, t Word) (read, write bool) {
	switch op {
	case syntax.RdrIn:
		return true, false
	case syntax.RdrInOut:
		return true, true
	case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.AppClob,
		syntax.RdrAll, syntax.RdrAllClob, syntax.AppAll, syntax.AppAllClob:
		return false, true
	case syntax.DplIn, syntax.DplOut:
		if !t.Dynamic && len(t.Values) == 1 && isFd(t.Values[0]) {
			return false, false
		}
		if op == syntax.DplIn {
			return true, false
		}
		return false, true
	}
	return false, false
}

// isFd reports whether s is an fd duplication target: digits, "-", or
// digits followed by "-" (move).
func isFd(s string) bool {
	if s == "-" {
		return true
	}
	s = strings.TrimSuffix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// docQuoted reports whether a here-doc delimiter is quoted, which makes
// the body literal.
func docQuoted(w *syntax.Word) bool {
	if w == nil {
		return false
	}
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.SglQuoted, *syntax.DblQuoted:
			return true
		case *syntax.Lit:
			if strings.IndexByte(p.Value, '\\') >= 0 {
				return true
			}
		}
	}
	return false
}

// written returns the simple command as written, re-printed from its raw
// words with single spaces.
func (a *analyzer) written(cc *callCtx) string {
	if cc.wrote {
		return cc.written
	}
	cc.wrote = true
	ce := cc.ce
	src := cc.src
	// Fast path: the words are separated by single spaces in the source.
	start := int(ce.Pos().Offset())
	end := int(ce.End().Offset())
	if start >= 0 && start <= end && end <= len(src) {
		s := src[start:end]
		n := len(ce.Assigns) + len(ce.Args)
		if strings.Count(s, " ") == n-1 && !strings.ContainsAny(s, "\t\n\\") && singleSpaced(ce, src) {
			cc.written = s
			return s
		}
	}
	var b strings.Builder
	for _, as := range ce.Assigns {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.slice(src, as.Pos(), as.End()))
	}
	for _, w := range ce.Args {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.slice(src, w.Pos(), w.End()))
	}
	cc.written = b.String()
	return cc.written
}

// singleSpaced reports whether each word of ce starts one byte after the
// previous one ends.
func singleSpaced(ce *syntax.CallExpr, src string) bool {
	prev := -1
	check := func(from, to syntax.Pos) bool {
		i := int(from.Offset())
		if prev >= 0 && (i != prev+1 || prev >= len(src) || src[prev] != ' ') {
			return false
		}
		prev = int(to.Offset())
		return true
	}
	for _, as := range ce.Assigns {
		if !check(as.Pos(), as.End()) {
			return false
		}
	}
	for _, w := range ce.Args {
		if !check(w.Pos(), w.End()) {
			return false
		}
	}
	return true
}

// emit reports words[0] as the program, run with words[1:].
func (a *analyzer) emit(cc *callCtx, words []arg, via []string, prog string) {
	if a.full() {
		return
	}
	line, col := cc.fr.position(cc.pos)
	c := Command{
		Program:   prog,
		Name:      finalWord(words[0].w),
		Via:       via,
		Assigns:   cc.assigns,
		Redirects: cc.redirs,
		Cwds:      cc.cwdSet(a),
		Written:   a.written(cc),
		Line:      line,
		Col:       col,
	}
	if len(words) > 1 {
		c.Args = make([]Word, len(words)-1)
		for i := range words[1:] {
			c.Args[i] = finalWord(words[i+1].w)
		}
	}
	if in := cc.in; in != nil {
		c.StdinFromPipe = in.pipe
		if in.text != nil {
			c.Stdin = in.text
		}
	}
	c.Text = commandText(prog, words, cc.src)
	a.cmds = append(a.cmds, c)
	switch prog {
	case "cd", "pushd":
		a.cd(words[1:])
	}
}

// emitDynamic reports a command whose program cannot be known statically,
// with words[0] (if any) as the program word and the rest as arguments.
func (a *analyzer) emitDynamic(cc *callCtx, words []arg, via []string, label string) {
	if a.full() {
		return
	}
	line, col := cc.fr.position(cc.pos)
	if label != "" {
		via = appendVia(via, label)
	}
	c := Command{
		Dynamic:   true,
		Via:       via,
		Assigns:   cc.assigns,
		Redirects: cc.redirs,
		Cwds:      cc.cwdSet(a),
		Written:   a.written(cc),
		Line:      line,
		Col:       col,
	}
	if len(words) > 0 {
		c.Name = finalWord(words[0].w)
		if len(words) > 1 {
			c.Args = make([]Word, len(words)-1)
			for i := range words[1:] {
				c.Args[i] = finalWord(words[i+1].w)
			}
		}
	}
	if in := cc.in; in != nil {
		c.StdinFromPipe = in.pipe
		c.Stdin = in.text
	}
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[i].w.Raw)
	}
	c.Text = b.String()
	a.cmds = append(a.cmds, c)
}

// finalWord turns the internal field separators of a multi-valued word
// back into spaces.
func finalWord(w Word) Word {
	for i, v := range w.Values {
		if strings.IndexByte(v, sepByte) >= 0 {
			vs := make([]string, len(w.Values))
			copy(vs, w.Values)
			for j := i; j < len(vs); j++ {
				vs[j] = strings.ReplaceAll(vs[j], sep, " ")
			}
			w.Values = vs
			return w
		}
	}
	return w
}

// commandText prints prog and the args for Command.Text.
func commandText(prog string, words []arg, src string) string {
	// Fast path: every word is written plainly, single-spaced, and the
	// program word is its own base name.
	if words[0].plain && words[0].off >= 0 && words[0].w.Raw == prog {
		ok := true
		for i := 1; i < len(words); i++ {
			p, q := &words[i-1], &words[i]
			if !q.plain || q.off < 0 || q.off != p.end+1 || p.end >= len(src) || src[p.end] != ' ' || !safeText(q.w.Values[0], q.w.Glob) {
				ok = false
				break
			}
		}
		last := words[len(words)-1].end
		if ok && last <= len(src) && words[0].off <= last {
			return src[words[0].off:last]
		}
	}
	var b strings.Builder
	b.WriteString(prog)
	for i := 1; i < len(words); i++ {
		w := &words[i].w
		if w.Dynamic || len(w.Values) == 0 {
			if w.Raw == "" {
				continue
			}
			b.WriteByte(' ')
			b.WriteString(w.Raw)
			continue
		}
		b.WriteByte(' ')
		writeQuoted(&b, strings.ReplaceAll(w.Values[0], sep, " "), w.Glob)
	}
	return b.String()
}

// safeText reports whether v can be printed in Text without quotes.
func safeText(v string, glob bool) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ' ', '\t', '\n', '\'', '"', '\\', '$', '`', ';', '&', '|', '<', '>', '(', ')', '#', 0:
			return false
		case '*', '?', '[':
			if !glob {
				return false
			}
		case '~':
			if i == 0 {
				return false
			}
		}
	}
	return true
}

// writeQuoted writes v, single-quoted when it is not safe bare.
func writeQuoted(b *strings.Builder, v string, glob bool) {
	if safeText(v, glob) {
		b.WriteString(v)
		return
	}
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(v, "'", `'\''`))
	b.WriteByte('\'')
}

// quoteWords joins the values of words into a script that parses back to
// the same words, for wrappers that pass their arguments to a shell.
func quoteWords(words []arg) (string, bool) {
	var b strings.Builder
	for i := range words {
		v, ok := words[i].lit()
		if !ok {
			return "", false
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		writeQuoted(&b, v, false)
	}
	return b.String(), true
}

// joinValues joins the static values of words with spaces, as eval and
// watch do before running them through a shell.
func joinValues(words []arg) (string, bool) {
	if len(words) == 1 {
		return words[0].lit()
	}
	var b strings.Builder
	for i := range words {
		v, ok := words[i].lit()
		if !ok {
			return "", false
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v)
	}
	return b.String(), true
}

// cwdSet returns the working directories of the commands of cc.
func (cc *callCtx) cwdSet(a *analyzer) []string {
	if cc.cwds != nil {
		return cc.cwds
	}
	return a.cwds
}

// cd adds the directory of a literal cd or pushd to the candidate working
// directories of every later command.
func (a *analyzer) cd(words []arg) {
	if len(a.cwds) == 0 {
		return
	}
	i := 0
	for i < len(words) {
		v, ok := words[i].lit()
		if !ok || len(v) < 2 || v[0] != '-' {
			break
		}
		if v == "--" {
			i++
			break
		}
		i++
	}
	var targets []string
	if i >= len(words) {
		if a.opts.Home == "" {
			return
		}
		targets = []string{a.opts.Home}
	} else {
		w := &words[i].w
		if w.Glob {
			return
		}
		for _, v := range w.Values {
			if v == "-" {
				targets = append(targets, a.oldcwds...) // cd -: back to $OLDPWD
				continue
			}
			if v == "" || strings.IndexByte(v, sepByte) >= 0 {
				continue
			}
			if len(v) > 0 && v[0] == '+' && words[i].off >= 0 {
				continue // pushd +N rotates the stack
			}
			targets = append(targets, v)
		}
	}
	prev := a.cwds
	a.cwds = addCwds(a.cwds, targets)
	a.oldcwds = joinCwds(a.oldcwds, nil, prev)
}

// addCwds returns cwds with the targets, resolved against every current
// directory, added; it never modifies cwds.
func addCwds(cwds, targets []string) []string { return joinCwds(cwds, cwds, targets) }

// joinCwds returns out with every target, resolved against every base
// directory (CleanPath: /proc/self/cwd/.. is the parent of the base), added
// once; it never modifies out in place.
func joinCwds(out, bases, targets []string) []string {
	n := len(out)
	add := func(d string) {
		for _, c := range out {
			if c == d {
				return
			}
		}
		if len(out) >= maxCwds {
			return
		}
		if len(out) == n {
			out = append(make([]string, 0, n+len(targets)), out...)
		}
		out = append(out, d)
	}
	for _, t := range targets {
		switch {
		case path.IsAbs(t) && (len(bases) == 0 || !strings.Contains(t, "proc")):
			add(CleanPath("", t))
			continue
		case len(bases) == 0:
			continue
		}
		for _, b := range bases {
			add(CleanPath(b, t))
		}
	}
	return out
}

// baseName is the program name of a word value: its last path element.
func baseName(v string) string {
	// A Windows path (Git Bash runs "C:\Program Files\Git\bin\git.exe").
	if i := strings.LastIndexAny(v, "/\\"); i >= 0 && i < len(v)-1 {
		return v[i+1:]
	}
	return v
}

// redirText prints redirections for the Text of a redirect-only command.
func redirText(rs []Redirect) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(r.Fd)
		b.WriteString(r.Op)
		switch r.Op {
		case "<<", "<<-":
			continue
		}
		b.WriteString(r.Target.Raw)
	}
	return b.String()
}

// staticRaw returns raw when it needs no quote removal or expansion.
func staticRaw(raw string) (string, bool) {
	if strings.ContainsAny(raw, "$`\\'\"*?[{~") {
		return "", false
	}
	return dropNUL(raw), true
}

// delimiter returns a here-doc delimiter without its quotes.
func delimiter(w *syntax.Word) string {
	if w == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(strings.ReplaceAll(p.Value, "\\", ""))
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if l, ok := q.(*syntax.Lit); ok {
					b.WriteString(l.Value)
				}
			}
		}
	}
	return b.String()
}
