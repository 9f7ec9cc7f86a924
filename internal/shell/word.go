package shell

import (
	"regexp"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// sep marks, inside a resolved value, a field boundary made by an unquoted
// expansion ($X with X="a b"). Bash strings cannot hold NUL bytes, so the
// marker cannot clash with real text; NUL bytes in literals are dropped.
const (
	sep     = "\x00"
	sepByte = 0
)

// resolveMode says which expansions apply to a word.
type resolveMode uint8

const (
	// modeArg is a command argument: brace expansion, tilde, field
	// splitting of unquoted expansions, globbing.
	modeArg resolveMode = iota
	// modeAssign is an assignment value or here-string: tilde only.
	modeAssign
	// modeDoc is an unquoted here-doc body: expansions and \$ \` \\ only.
	modeDoc
)

// wres is a resolved word.
type wres struct {
	vals  []string
	dyn   bool
	glob  bool
	subst bool
	bare  bool
	// brace: an unquoted brace expansion made the values, so they are
	// separate fields ({cat,.env} is the two words cat .env), not
	// alternatives.
	brace bool
	// refs: variables read by another name (Word.Refs).
	refs []string
}

// plainWord returns the value of a word that needs no expansion: one
// unquoted literal without special characters, one single-quoted string,
// or one double-quoted literal without backslashes. glob reports unquoted
// glob characters.
func plainWord(w *syntax.Word) (v string, glob, ok bool) {
	if len(w.Parts) != 1 {
		return "", false, false
	}
	switch p := w.Parts[0].(type) {
	case *syntax.Lit:
		s := p.Value
		if s == "" {
			return "", false, false
		}
		if s[0] == '~' {
			return "", false, false
		}
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '\\', '{', 0:
				return "", false, false
			case '*', '?':
				glob = true
			case '[':
				if strings.IndexByte(s[i:], ']') > 0 {
					glob = true
				}
			}
		}
		return s, glob, true
	case *syntax.SglQuoted:
		if p.Dollar || strings.IndexByte(p.Value, 0) >= 0 {
			return "", false, false
		}
		return p.Value, false, true
	case *syntax.DblQuoted:
		if p.Dollar {
			return "", false, false
		}
		if len(p.Parts) == 0 {
			return "", false, true
		}
		if len(p.Parts) != 1 {
			return "", false, false
		}
		l, isLit := p.Parts[0].(*syntax.Lit)
		if !isLit || strings.IndexByte(l.Value, '\\') >= 0 || strings.IndexByte(l.Value, 0) >= 0 {
			return "", false, false
		}
		return l.Value, false, true
	}
	return "", false, false
}

// resolve expands a word statically into its candidate values.
func (a *analyzer) resolve(w *syntax.Word, mode resolveMode) wres {
	r := wres{bare: true}
	if w == nil {
		r.vals = []string{""}
		r.bare = false
		return r
	}
	if mode == modeArg {
		// SplitBraces rewrites the word it is given (and drops positions),
		// so it works on a copy: the tree stays as parsed.
		wc := *w
		if syntax.SplitBraces(&wc) {
			w = &wc
		}
	}
	cur := [][]byte{nil}
	a.parts(&r, &cur, w.Parts, mode, false, true)
	r.vals = cstrings(cur)
	return r
}

// parts resolves word parts into the candidates cur.
func (a *analyzer) parts(r *wres, cur *[][]byte, parts []syntax.WordPart, mode resolveMode, quoted, first bool) {
	for i, part := range parts {
		switch p := part.(type) {
		case *syntax.Lit:
			s := p.Value
			switch {
			case mode == modeDoc:
				s = unescapeDoc(s)
			case quoted:
				s = unescapeDbl(s)
			default:
				home := ""
				if first && i == 0 && strings.HasPrefix(s, "~") {
					var ok bool
					home, s, ok = a.tilde(r, s)
					if !ok {
						*cur = nil
						continue
					}
				}
				var g bool
				s, g = unescapeLit(s)
				if g && mode == modeArg {
					r.glob = true
				}
				s = home + s
			}
			if s != "" {
				r.bare = false
			}
			a.appendAll(r, cur, s)
		case *syntax.SglQuoted:
			r.bare = false
			s := p.Value
			if p.Dollar {
				s = ansiC(s)
			}
			a.appendAll(r, cur, dropNUL(s))
		case *syntax.DblQuoted:
			r.bare = false
			a.parts(r, cur, p.Parts, mode, true, false)
		case *syntax.ParamExp:
			alts, dyn := a.param(p)
			r.refs = append(r.refs, a.indirect(p)...)
			if dyn {
				r.dyn = true
			}
			n := 0
			for _, v := range alts {
				n += len(v)
			}
			if !a.spend(n) {
				r.dyn = true
				*cur = nil
				continue
			}
			a.product(r, cur, a.splitMark(r, alts, mode, quoted))
		case *syntax.CmdSubst:
			r.subst = true
			if outs, ok := a.pathOutput(p.Stmts); ok {
				a.product(r, cur, a.splitMark(r, outs, mode, quoted))
				continue
			}
			out, ok := a.substOutput(p.Stmts)
			if !ok {
				r.dyn = true
				*cur = nil
				continue
			}
			a.product(r, cur, a.splitMark(r, []string{strings.TrimRight(out, "\n")}, mode, quoted))
		case *syntax.ProcSubst:
			r.subst = true
			r.dyn = true
			*cur = nil
		case *syntax.ArithmExp:
			if n, ok := a.arithm(p.X); ok {
				a.appendAll(r, cur, strconv.Itoa(n))
				continue
			}
			r.dyn = true
			*cur = nil
		case *syntax.ExtGlob:
			if mode == modeArg && !quoted {
				r.glob = true
				r.bare = false
				// .@(env|envrc) matches .env or .envrc: each alternative
				// is a candidate glob, decided like a literal one.
				a.product(r, cur, extglobAlts(p.Op.String(), p.Pattern.Value))
				continue
			}
			r.bare = false
			a.appendAll(r, cur, p.Op.String()+p.Pattern.Value+")")
		case *syntax.BraceExp:
			r.bare = false
			a.product(r, cur, a.brace(r, p, mode))
		default:
			r.dyn = true
			*cur = nil
		}
	}
}

// appendAll appends s to every candidate.
func (a *analyzer) appendAll(r *wres, cur *[][]byte, s string) {
	if s == "" {
		return
	}
	c := *cur
	if !a.spend(len(c) * len(s)) {
		r.dyn = true
		*cur = nil
		return
	}
	for i := range c {
		c[i] = append(c[i], s...)
	}
}

// product replaces the candidates with every candidate followed by every
// alternative, capped at maxValues (the word is then Dynamic).
func (a *analyzer) product(r *wres, cur *[][]byte, alts []string) {
	c := *cur
	if len(c) == 0 {
		return
	}
	if len(alts) == 0 {
		*cur = nil
		return
	}
	if len(alts) == 1 {
		a.appendAll(r, cur, alts[0])
		return
	}
	n := len(c) * len(alts)
	if n > maxValues {
		r.dyn = true
		n = maxValues
	}
	out := make([][]byte, 0, n)
	for _, x := range c {
		for _, y := range alts {
			if len(out) == maxValues {
				break
			}
			if !a.spend(len(x) + len(y)) {
				r.dyn = true
				*cur = out
				return
			}
			b := make([]byte, 0, len(x)+len(y))
			out = append(out, append(append(b, x...), y...))
		}
	}
	*cur = out
}

// cstrings converts candidates to strings.
func cstrings(c [][]byte) []string {
	if len(c) == 0 {
		return nil
	}
	out := make([]string, len(c))
	for i, b := range c {
		out[i] = string(b)
	}
	return out
}

// spend takes n bytes from the value budget, reporting whether it had them.
func (a *analyzer) spend(n int) bool {
	if n < 0 || a.valueBytes+n > maxValueBytes {
		a.valueBytes = maxValueBytes
		return false
	}
	a.valueBytes += n
	return true
}

// splitMark prepares the values of an expansion: unquoted in an argument,
// IFS whitespace becomes field boundaries and glob characters glob.
func (a *analyzer) splitMark(r *wres, alts []string, mode resolveMode, quoted bool) []string {
	if quoted || mode != modeArg {
		return alts
	}
	ifs := " \t\n"
	if vals, dyn := a.lookup("IFS"); len(vals) == 1 && !dyn {
		ifs = vals[0] // IFS=,; $c splits c at commas
	}
	isSep := func(r rune) bool { return strings.ContainsRune(ifs, r) }
	var out []string
	for i, v := range alts {
		if strings.ContainsAny(v, "*?[") {
			r.glob = true
		}
		if ifs == "" || !strings.ContainsAny(v, ifs) {
			if out != nil {
				out[i] = v
			}
			continue
		}
		if out == nil {
			out = make([]string, len(alts))
			copy(out, alts[:i])
		}
		out[i] = strings.Join(strings.FieldsFunc(v, isSep), sep)
		if isSep(rune(v[0])) {
			out[i] = sep + out[i]
		}
		if isSep(rune(v[len(v)-1])) {
			out[i] += sep
		}
	}
	if out == nil {
		return alts
	}
	return out
}

// tilde expands a leading ~ or ~/ with Options.Home, ~+ with the working
// directory and ~- with the previous one; other forms (~user) are Dynamic.
// It returns the expansion and the rest of the literal.
func (a *analyzer) tilde(r *wres, s string) (string, string, bool) {
	prefix, rest := s, ""
	if i := strings.IndexByte(s, '/'); i >= 0 {
		prefix, rest = s[:i], s[i:]
	}
	switch prefix {
	case "~":
		vals, dyn := a.lookup("HOME")
		if dyn || len(vals) != 1 {
			r.dyn = true
			if len(vals) == 0 {
				return "", "", false
			}
		}
		return vals[0], rest, true
	case "~+":
		if len(a.cwds) == 1 {
			return a.cwds[0], rest, true
		}
	case "~-":
		if len(a.oldcwds) == 1 {
			return a.oldcwds[0], rest, true
		}
	}
	if user := prefix[1:]; user != "" && validUserName(user) {
		// ~user: the home of a user this analysis cannot look up. Bash
		// leaves the word literal when the user does not exist, so the
		// literal is a candidate; the word stays Dynamic because it may
		// expand to that home, which a path resolver can place.
		r.dyn = true
		return prefix, rest, true
	}
	r.dyn = true
	return "", "", false
}

// validUserName reports a POSIX-portable user name (letters, digits, '.',
// '_', '-', not starting with '-').
func validUserName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}

// brace expands one brace expression into its alternatives.
func (a *analyzer) brace(r *wres, b *syntax.BraceExp, mode resolveMode) []string {
	r.brace = true
	if b.Sequence {
		return seqValues(r, b)
	}
	var out []string
	for _, e := range b.Elems {
		cur := [][]byte{nil}
		a.parts(r, &cur, e.Parts, mode, false, false)
		for _, v := range cstrings(cur) {
			if len(out) == maxValues {
				r.dyn = true
				return out
			}
			out = append(out, v)
		}
	}
	return out
}

// seqValues expands {x..y[..incr]} lazily, stopping at maxValues.
func seqValues(r *wres, b *syntax.BraceExp) []string {
	if len(b.Elems) < 2 {
		r.dyn = true
		return nil
	}
	fromLit, toLit := b.Elems[0].Lit(), b.Elems[1].Lit()
	from, err1 := strconv.ParseInt(fromLit, 10, 64)
	to, err2 := strconv.ParseInt(toLit, 10, 64)
	chars := false
	if err1 != nil || err2 != nil {
		if len(fromLit) != 1 || len(toLit) != 1 {
			r.dyn = true
			return nil
		}
		chars = true
		from, to = int64(fromLit[0]), int64(toLit[0])
	}
	width := 0
	if !chars && (leadingZero(fromLit) || leadingZero(toLit)) {
		width = max(len(fromLit), len(toLit))
	}
	incr := int64(1)
	if len(b.Elems) > 2 {
		n, _ := strconv.ParseInt(b.Elems[2].Lit(), 10, 64)
		if n < 0 {
			n = -n
		}
		if n > 0 {
			incr = n
		}
	}
	var out []string
	for i, n := 0, from; ; i++ {
		if from <= to && n > to || from > to && n < to {
			break
		}
		if i == maxValues {
			r.dyn = true
			break
		}
		var s string
		switch {
		case chars:
			s = string(rune(n))
		default:
			s = strconv.FormatInt(n, 10)
			if width > 0 {
				neg := strings.HasPrefix(s, "-")
				s = strings.TrimPrefix(s, "-")
				for len(s) < width {
					s = "0" + s
				}
				if neg {
					s = "-" + s
				}
			}
		}
		out = append(out, s)
		var next int64
		if from <= to {
			next = n + incr
		} else {
			next = n - incr
		}
		if next > n != (from <= to) || next == n { // overflow
			break
		}
		n = next
	}
	return out
}

func leadingZero(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return len(s) > 1 && s[0] == '0'
}

// unescapeLit removes the backslashes of an unquoted literal and reports
// unescaped glob characters.
func unescapeLit(s string) (string, bool) {
	glob := false
	simple := true
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', 0:
			simple = false
		case '*', '?':
			glob = true
		case '[':
			if strings.IndexByte(s[i:], ']') > 0 {
				glob = true
			}
		}
	}
	if simple {
		return s, glob
	}
	glob = false
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case 0:
			continue
		case '\\':
			if i+1 < len(s) {
				i++
				if s[i] != '\n' && s[i] != 0 {
					b.WriteByte(s[i])
				}
			}
			continue
		case '*', '?':
			glob = true
		case '[':
			if strings.IndexByte(s[i:], ']') > 0 {
				glob = true
			}
		}
		b.WriteByte(c)
	}
	return b.String(), glob
}

// unescapeDbl removes the backslashes that escape $ ` " \ and newline
// inside double quotes.
func unescapeDbl(s string) string {
	return unescapeSet(s, "$`\"\\\n")
}

// unescapeDoc removes the backslashes that escape $ ` \ and newline in an
// unquoted here-doc body.
func unescapeDoc(s string) string {
	return unescapeSet(s, "$`\\\n")
}

func unescapeSet(s, set string) string {
	if strings.IndexByte(s, '\\') < 0 && strings.IndexByte(s, 0) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			continue
		}
		if c == '\\' && i+1 < len(s) && strings.IndexByte(set, s[i+1]) >= 0 {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ansiC expands a $'...' string.
func ansiC(s string) string {
	out, _ := unescapeC(s, false)
	if i := strings.IndexByte(out, 0); i >= 0 {
		out = out[:i]
	}
	return out
}

func dropNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, sep, "")
}

// param resolves a parameter expansion into its candidate values: the
// variable (or, for ${!name}, the variable name holds), then a slice,
// replacement, case change, prefix or suffix removal or @ transform
// applied to each known value. Anything else is not static.
func (a *analyzer) param(pe *syntax.ParamExp) ([]string, bool) {
	if pe.Param != nil && pe.Index != nil && !pe.Excl && !pe.Length && pe.Slice == nil && pe.Repl == nil && pe.Exp == nil {
		// "${cmd[@]}", "${p[*]}" of an array assigned once.
		if w, ok := pe.Index.(*syntax.Word); ok && (w.Lit() == "@" || w.Lit() == "*") {
			if v, ok := a.arrayValue(pe.Param.Value, w.Lit()); ok {
				return []string{v}, false
			}
		}
		return nil, true
	}
	if pe.Param == nil || pe.Length || pe.Width || pe.IsSet ||
		pe.Index != nil || pe.Names != 0 ||
		pe.Flags != nil || pe.NestedParam != nil || len(pe.Modifiers) > 0 ||
		pe.Split != syntax.OptUnset || pe.GlobSubst != syntax.OptUnset || pe.RcExpand != syntax.OptUnset {
		return nil, true
	}
	vals, dyn := a.lookup(pe.Param.Value)
	if pe.Excl {
		// ${!v}: the variable whose name v holds.
		if dyn || len(vals) == 0 {
			return nil, true
		}
		var out []string
		for _, n := range vals {
			if !validName(n) {
				return nil, true
			}
			v, d := a.lookup(n)
			out, dyn = union(out, v), dyn || d
		}
		vals = out
	}
	if pe.Slice != nil || pe.Repl != nil {
		if len(vals) == 0 {
			return nil, true
		}
		out := make([]string, 0, len(vals))
		for _, v := range vals {
			r, ok := a.sliceReplace(pe, v)
			if !ok {
				return nil, true
			}
			out = append(out, r)
		}
		return out, dyn
	}
	if pe.Exp == nil {
		return vals, dyn
	}
	switch pe.Exp.Op {
	case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AssignUnset, syntax.AssignUnsetOrNull:
		d := a.resolve(pe.Exp.Word, modeAssign)
		return union(vals, d.vals), dyn || d.dyn
	case syntax.AlternateUnset, syntax.AlternateUnsetOrNull:
		d := a.resolve(pe.Exp.Word, modeAssign)
		return union([]string{""}, d.vals), dyn || d.dyn
	case syntax.ErrorUnset, syntax.ErrorUnsetOrNull:
		return vals, dyn
	}
	if len(vals) == 0 {
		return nil, true
	}
	arg := ""
	if pe.Exp.Word != nil {
		lit, _, ok := plainWord(pe.Exp.Word)
		if !ok {
			return nil, true
		}
		arg = lit
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		r, ok := transform(pe.Exp.Op, arg, v)
		if !ok {
			return nil, true
		}
		out = append(out, r)
	}
	return out, dyn
}

// sliceReplace applies ${v:off:len} or ${v/pat/rep} to one value.
func (a *analyzer) sliceReplace(pe *syntax.ParamExp, v string) (string, bool) {
	if pe.Slice != nil {
		off, ok := arithmEval(pe.Slice.Offset, 0)
		if !ok {
			return "", false
		}
		if off < 0 {
			off += len(v)
		}
		if off < 0 || off > len(v) {
			return "", off > len(v)
		}
		v = v[off:]
		if pe.Slice.Length != nil {
			n, ok := arithmEval(pe.Slice.Length, 0)
			if !ok {
				return "", false
			}
			if n < 0 {
				n += len(v)
			}
			if n < 0 {
				return "", false
			}
			v = v[:min(n, len(v))]
		}
		return v, true
	}
	pat, _, ok := plainWord(pe.Repl.Orig)
	if !ok {
		return "", false
	}
	with := ""
	if pe.Repl.With != nil {
		if with, _, ok = plainWord(pe.Repl.With); !ok {
			return "", false
		}
	}
	anchor := byte(0)
	if pat != "" && (pat[0] == '#' || pat[0] == '%') {
		anchor, pat = pat[0], pat[1:]
	}
	re, ok := globRegexp(pat)
	if !ok || pat == "" {
		return "", false
	}
	switch anchor {
	case '#':
		re = "^(?:" + re + ")"
	case '%':
		re = "(?:" + re + ")$"
	}
	rx, err := regexp.Compile(re)
	if err != nil {
		return "", false
	}
	lit := strings.ReplaceAll(with, "$", "$$")
	if pe.Repl.All && anchor == 0 {
		return rx.ReplaceAllString(v, lit), true
	}
	loc := rx.FindStringIndex(v)
	if loc == nil {
		return v, true
	}
	return v[:loc[0]] + with + v[loc[1]:], true
}

// transform applies a case change, prefix or suffix removal or @ operator
// with a literal argument to one value.
func transform(op syntax.ParExpOperator, arg, v string) (string, bool) {
	switch op {
	case syntax.UpperFirst, syntax.LowerFirst, syntax.UpperAll, syntax.LowerAll:
		if arg != "" && arg != "?" {
			return "", false
		}
		up := op == syntax.UpperFirst || op == syntax.UpperAll
		conv := strings.ToLower
		if up {
			conv = strings.ToUpper
		}
		if op == syntax.UpperAll || op == syntax.LowerAll {
			return conv(v), true
		}
		if v == "" {
			return v, true
		}
		return conv(v[:1]) + v[1:], true
	case syntax.RemSmallPrefix, syntax.RemLargePrefix, syntax.RemSmallSuffix, syntax.RemLargeSuffix:
		re, ok := globRegexp(arg)
		if !ok {
			return "", false
		}
		rx, err := regexp.Compile("^(?:" + re + ")$")
		if err != nil {
			return "", false
		}
		prefix := op == syntax.RemSmallPrefix || op == syntax.RemLargePrefix
		large := op == syntax.RemLargePrefix || op == syntax.RemLargeSuffix
		for i := 0; i <= len(v); i++ {
			n := i
			if large {
				n = len(v) - i
			}
			if prefix && rx.MatchString(v[:n]) {
				return v[n:], true
			}
			if !prefix && rx.MatchString(v[len(v)-n:]) {
				return v[:len(v)-n], true
			}
		}
		return v, true
	case syntax.OtherParamOps:
		switch arg {
		case "L":
			return strings.ToLower(v), true
		case "U":
			return strings.ToUpper(v), true
		case "u":
			if v == "" {
				return v, true
			}
			return strings.ToUpper(v[:1]) + v[1:], true
		case "E":
			return ansiC(v), true
		case "Q", "P", "A", "a", "K", "k":
			return "", false
		}
	}
	return "", false
}

// globRegexp turns a shell pattern of literals, * and ? into a regular
// expression; bracket classes and extended globs are not modelled.
func globRegexp(pat string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*':
			b.WriteString("(?s:.*?)")
		case '?':
			b.WriteString("(?s:.)")
		case '[', '\\':
			return "", false
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), true
}

// extglobAlts returns the globs an extended glob stands for: @(a|b) and
// +(a|b) each alternative, ?(a|b) and *(a|b) also nothing, !(...) any
// name. Nested groups are any name.
func extglobAlts(op, pat string) []string {
	if op == "!(" || strings.ContainsAny(pat, "()") {
		return []string{"*"}
	}
	alts := strings.Split(pat, "|")
	if op == "?(" || op == "*(" {
		alts = append(alts, "")
	}
	if len(alts) > maxValues {
		return []string{"*"}
	}
	return alts
}

// union returns the distinct values of x and y, capped at maxValues.
func union(x, y []string) []string {
	out := make([]string, 0, min(len(x)+len(y), maxValues))
	for _, vs := range [2][]string{x, y} {
		for _, v := range vs {
			if len(out) == maxValues {
				return out
			}
			if !contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// arithm evaluates an arithmetic expression made only of decimal number
// literals, + - * and parentheses; anything else is not static.
func (a *analyzer) arithm(x syntax.ArithmExpr) (int, bool) {
	return arithmEval(x, 0)
}

func arithmEval(x syntax.ArithmExpr, depth int) (int, bool) {
	if depth > 32 {
		return 0, false
	}
	switch x := x.(type) {
	case *syntax.Word:
		l := x.Lit()
		if l == "" || len(l) > 18 {
			return 0, false
		}
		n := 0
		for i := 0; i < len(l); i++ {
			if l[i] < '0' || l[i] > '9' || i == 0 && l[i] == '0' && len(l) > 1 {
				return 0, false
			}
			n = n*10 + int(l[i]-'0')
		}
		return n, true
	case *syntax.BinaryArithm:
		switch x.Op {
		case syntax.Add, syntax.Sub, syntax.Mul:
			l, ok1 := arithmEval(x.X, depth+1)
			r, ok2 := arithmEval(x.Y, depth+1)
			if !ok1 || !ok2 {
				return 0, false
			}
			switch x.Op {
			case syntax.Add:
				return l + r, true
			case syntax.Sub:
				return l - r, true
			}
			return l * r, true
		}
	case *syntax.ParenArithm:
		return arithmEval(x.X, depth+1)
	case *syntax.UnaryArithm:
		if x.Op == syntax.Plus || x.Op == syntax.Minus {
			n, ok := arithmEval(x.X, depth+1)
			if x.Op == syntax.Minus {
				n = -n
			}
			return n, ok
		}
	}
	return 0, false
}

// substOutput evaluates a command substitution statically when it is a
// single echo, printf or cat of a here-doc with literal arguments.
func (a *analyzer) substOutput(stmts []*syntax.Stmt) (string, bool) {
	if len(stmts) != 1 {
		return "", false
	}
	return a.staticOutput(stmts[0])
}

// staticOutput returns what a statement writes to stdout when it is known
// without running anything: echo or printf of literals, cat of a here-doc
// or here-string, or such a command piped through cat.
func (a *analyzer) staticOutput(s *syntax.Stmt) (string, bool) {
	if a.substDepth >= maxSubstDepth || s.Negated || s.Background || s.Coprocess {
		return "", false
	}
	a.substDepth++
	defer func() { a.substDepth-- }()
	switch c := s.Cmd.(type) {
	case *syntax.BinaryCmd:
		if c.Op != syntax.Pipe || len(s.Redirs) > 0 || !a.isPlainCat(c.Y) {
			return "", false
		}
		return a.staticOutput(c.X)
	case *syntax.CallExpr:
		if len(c.Assigns) > 0 || len(c.Args) == 0 {
			return "", false
		}
		if name, _, ok := plainWord(c.Args[0]); ok && name != "echo" && name != "printf" && name != "cat" {
			return "", false // the common case: not a command whose output is known
		}
		args := make([]string, 0, len(c.Args))
		for _, w := range c.Args {
			r := a.resolve(w, modeArg)
			if r.dyn || r.glob || len(r.vals) != 1 {
				return "", false
			}
			if strings.IndexByte(r.vals[0], sepByte) >= 0 {
				for _, f := range strings.Split(r.vals[0], sep) {
					if f != "" {
						args = append(args, f)
					}
				}
				continue
			}
			if r.bare && r.vals[0] == "" {
				continue
			}
			args = append(args, r.vals[0])
		}
		if len(args) == 0 {
			return "", false
		}
		switch args[0] {
		case "echo":
			if len(s.Redirs) > 0 {
				return "", false
			}
			return echoOutput(args[1:]), true
		case "printf":
			if len(s.Redirs) > 0 {
				return "", false
			}
			return printfOutput(args[1:])
		case "cat":
			if len(args) > 2 || len(args) == 2 && args[1] != "-" || len(s.Redirs) != 1 {
				return "", false
			}
			r := s.Redirs[0]
			if r.N != nil && r.N.Value != "0" {
				return "", false
			}
			switch r.Op {
			case syntax.Hdoc, syntax.DashHdoc:
				text, dyn := a.docText(r.Hdoc, "", docQuoted(r.Word))
				return text, !dyn
			case syntax.WordHdoc:
				res := a.resolve(r.Word, modeAssign)
				if res.dyn || len(res.vals) != 1 {
					return "", false
				}
				return res.vals[0] + "\n", true
			}
		}
	}
	return "", false
}

// isPlainCat reports whether s is a bare "cat", which copies stdin.
func (a *analyzer) isPlainCat(s *syntax.Stmt) bool {
	c, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(s.Redirs) > 0 || len(c.Assigns) > 0 || len(c.Args) != 1 {
		return false
	}
	v, _, ok := plainWord(c.Args[0])
	return ok && v == "cat"
}

// echoOutput is what bash's echo writes for args.
func echoOutput(args []string) string {
	newline, escapes := true, false
	for len(args) > 0 {
		f := args[0]
		if len(f) < 2 || f[0] != '-' || strings.Trim(f[1:], "neE") != "" {
			break
		}
		for _, c := range f[1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	out := strings.Join(args, " ")
	if escapes {
		var stopped bool
		out, stopped = unescapeC(out, true)
		if stopped {
			newline = false
		}
		if i := strings.IndexByte(out, 0); i >= 0 {
			out = out[:i]
		}
	}
	if newline {
		out += "\n"
	}
	return out
}

// printfOutput is what printf FORMAT ARGS writes, reusing the format while
// arguments remain as printf does.
func printfOutput(args []string) (string, bool) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-v") {
		return "", false
	}
	format, rest := args[0], args[1:]
	var b strings.Builder
	for range 1000 {
		n, ok := printfOnce(&b, format, rest)
		if !ok || b.Len() > 1<<20 {
			return "", false
		}
		if n == 0 || n >= len(rest) {
			break
		}
		rest = rest[n:]
	}
	s := b.String()
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s, true
}

// docText returns the text of a here-doc body. Unquoted bodies expand
// parameters and substitutions; those not known statically are kept as
// written and make the text Dynamic.
func (a *analyzer) docText(w *syntax.Word, src string, quoted bool) (string, bool) {
	if w == nil {
		return "", false
	}
	if quoted {
		var b strings.Builder
		for _, p := range w.Parts {
			if l, ok := p.(*syntax.Lit); ok {
				b.WriteString(l.Value)
			}
		}
		return dropNUL(b.String()), false
	}
	var b strings.Builder
	dyn := false
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok {
			b.WriteString(dropNUL(unescapeDoc(l.Value)))
			continue
		}
		r := wres{bare: true}
		cur := [][]byte{nil}
		a.parts(&r, &cur, []syntax.WordPart{p}, modeDoc, true, false)
		if r.dyn || len(cur) != 1 {
			dyn = true
			if src != "" {
				b.WriteString(dropNUL(a.slice(src, p.Pos(), p.End())))
			}
			continue
		}
		b.Write(cur[0])
	}
	return b.String(), dyn
}
