package shell

import (
	"errors"
	"path"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// Limits that keep the work of one analysis bounded whatever the input.
const (
	defaultMaxDepth = 8
	// maxValues caps the candidate values of one word (brace expansion,
	// variables with several assignments).
	maxValues = 64
	// maxCommands caps Analysis.Commands; one Dynamic Command notes the cut.
	maxCommands = 10000
	// maxScript is the largest script analysed at all.
	maxScript = 4 << 20
	// maxNestedBytes and maxNestedParses bound the nested scripts (bash -c,
	// eval, here-docs fed to a shell) parsed in one analysis.
	maxNestedBytes  = 4 << 20
	maxNestedParses = 1000
	// maxValueBytes bounds the bytes of all resolved values together.
	maxValueBytes = 32 << 20
	// maxCwds caps the candidate working directories.
	maxCwds = 64
	// maxBracketDepth and maxKeywordDepth bound how deeply a script may
	// nest brackets or compound keywords before it is refused unparsed:
	// the parser recurses once per level and a Go stack overflow cannot be
	// recovered.
	maxBracketDepth = 1000
	maxKeywordDepth = 10000
	// maxSubstDepth bounds the nesting of command substitutions evaluated
	// statically (echo/printf/cat) while resolving one word.
	maxSubstDepth = 4
)

// Via labels that are not wrapper names.
const (
	viaSubst      = "$(...)"
	viaTruncated  = "truncated"
	viaDepth      = "max depth"
	viaBudget     = "analysis budget"
	viaUnparsable = "parse error"
	viaDynamic    = "dynamic"
	viaInternal   = "internal error"
	viaTooDeep    = "nesting too deep"
	viaTooLarge   = "script too large"
)

// Errors set as Analysis.ParseError when a script is refused unparsed.
var (
	errTooLarge = errors.New("script too large to analyse")
	errTooDeep  = errors.New("script nests too deeply to analyse")
	errInternal = errors.New("internal error while analysing script")
)

// scratch is the reusable state of Analyze: the parser, its reader, the
// analyzer and its stack of words. Nothing in it is referenced by a
// returned Analysis, and it is cleared before going back to the pool.
type scratch struct {
	p    *syntax.Parser
	rd   strings.Reader
	a    analyzer
	args []arg
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{p: syntax.NewParser(syntax.Variant(syntax.LangBash))}
}}

// Analyze parses script as Bash and returns every simple command that could
// run, statically and without executing anything. It never panics; on input
// it cannot fully analyse it reports Dynamic commands rather than fewer.
//
// A program word with several candidate values ($X assigned "curl" and
// "wget") is reported once per candidate, each as an ordinary Command; when
// the word may also hold something unknown (${X:-curl}, X from read), one
// more Command with Dynamic set stands for the rest. Variables take every
// literal value assigned anywhere in the scripts analysed, whatever the
// control flow, and cd adds to the working directories of every later
// command rather than replacing them: both over-approximate, so that what
// could run is never hidden.
func Analyze(script string, opts Options) (res Analysis) {
	sc := scratchPool.Get().(*scratch)
	sc.a = analyzer{opts: opts, sc: sc, maxDepth: opts.MaxDepth, args: sc.args[:0]}
	a := &sc.a
	if a.maxDepth <= 0 {
		a.maxDepth = defaultMaxDepth
	}
	if opts.Cwd != "" {
		a.cwds = []string{path.Clean(opts.Cwd)}
	}
	defer func() {
		if r := recover(); r != nil {
			// A bug, never expected: fail closed with a Dynamic command.
			res = Analysis{
				Commands:   append(a.cmds, Command{Dynamic: true, Via: []string{viaInternal}, Text: script, Written: script, Line: 1, Col: 1}),
				ParseError: errInternal,
			}
		}
		clear(a.args[:cap(a.args)])
		sc.args = a.args[:0]
		sc.a = analyzer{}
		sc.rd.Reset("")
		scratchPool.Put(sc)
	}()
	a.run(script)
	return Analysis{Commands: a.cmds, ParseError: a.parseErr}
}

// analyzer holds the state of one Analyze call.
type analyzer struct {
	opts     Options
	sc       *scratch
	maxDepth int
	refDepth int // nameref lookups in progress (a chain is bounded)

	cmds      []Command
	truncated bool
	parseErr  error

	// cwds is the current candidate set of working directories. Commands
	// share it, so it is replaced, never modified in place.
	cwds []string
	// oldcwds are the candidates for $OLDPWD: the working directories
	// before a cd (empty until one runs: then it is inherited, unknown).
	oldcwds []string

	// vars is built lazily on the first variable lookup; top and scripts
	// hold the statements parsed so far, for that first collection.
	vars    *varTable
	top     []*syntax.Stmt
	scripts [][]*syntax.Stmt

	nestedBytes  int
	nestedParses int
	valueBytes   int
	substDepth   int

	// strs is an arena for Word.Values: slices of it are handed out with
	// their capacity clipped, so appends never overwrite them.
	strs []string
	// args is a stack of resolved words shared by nested calls.
	args []arg
	// positional holds $0, $1, ... of the nested script being walked when
	// they are literal (bash -c 'cat "$0"' ~/.ssh/id_rsa).
	positional map[string]string
}

// frame is the context of the statements being walked.
type frame struct {
	src   string   // source of the script the nodes come from
	via   []string // wrappers and contexts so far (never appended in place)
	depth int      // nested shell depth
	nest  int      // compound nesting depth, bounded by maxBracketDepth
	pos   syntax.Pos
	in    *input // what stdin is, for the commands of this frame
	// assigns is the environment the nested script inherits from the
	// command that runs it (BASH_ENV=x bash -c 'make': make sees BASH_ENV).
	assigns []Assign
}

// input describes the standard input of commands.
type input struct {
	pipe bool   // another command's output is piped in
	text *Text  // statically known text, or nil
	kind string // "pipe", "here-doc", "here-string" or "file"
}

func (a *analyzer) run(script string) {
	if len(script) > maxScript {
		a.parseErr = errTooLarge
		a.cmds = append(a.cmds, Command{Dynamic: true, Via: []string{viaTooLarge}, Text: "", Line: 1, Col: 1, Cwds: a.cwds})
		return
	}
	if tooDeep(script) {
		a.parseErr = errTooDeep
		a.cmds = append(a.cmds, Command{Dynamic: true, Via: []string{viaTooDeep}, Text: firstLine(script), Written: firstLine(script), Line: 1, Col: 1, Cwds: a.cwds})
		return
	}
	stmts, err := a.parse(script)
	if err != nil {
		a.parseErr = err
	}
	a.top = stmts
	a.stmts(stmts, frame{src: script})
}

// parse parses src, returning the statements read before any error.
func (a *analyzer) parse(src string) ([]*syntax.Stmt, error) {
	sc := a.sc
	sc.rd.Reset(src)
	f, err := sc.p.Parse(&sc.rd, "")
	if f == nil {
		return nil, err
	}
	return f.Stmts, err
}

// full reports whether no more commands may be added, adding the note of
// the truncation the first time.
func (a *analyzer) full() bool {
	if len(a.cmds) < maxCommands {
		return false
	}
	if !a.truncated {
		a.truncated = true
		a.cmds = append(a.cmds, Command{Dynamic: true, Via: []string{viaTruncated}, Text: "more than 10000 commands", Cwds: a.cwds, Line: 1, Col: 1})
	}
	return true
}

func (a *analyzer) stmts(list []*syntax.Stmt, fr frame) {
	for _, s := range list {
		if a.truncated {
			return
		}
		a.stmt(s, fr)
	}
}

// position returns where a command at p is reported: nested scripts take
// the position of the outer command that contains them.
func (fr *frame) position(p syntax.Pos) (int, int) {
	if fr.pos.IsValid() {
		p = fr.pos
	}
	return int(p.Line()), int(p.Col())
}

func (fr frame) withVia(label string) frame {
	fr.via = appendVia(fr.via, label)
	return fr
}

// appendVia returns via with label appended, never sharing the result's
// backing array with via.
func appendVia(via []string, labels ...string) []string {
	out := make([]string, 0, len(via)+len(labels))
	out = append(out, via...)
	return append(out, labels...)
}

// stmt walks one statement. Lists and pipelines are walked iteratively
// along their left spine so that long chains do not recurse.
func (a *analyzer) stmt(s *syntax.Stmt, fr frame) {
	fr.nest++
	if fr.nest > maxBracketDepth {
		a.dynamicAt(s.Pos(), fr, viaTooDeep, "")
		return
	}
	switch c := s.Cmd.(type) {
	case nil:
		if len(s.Redirs) > 0 {
			a.redirOnly(s, fr, "")
		}
	case *syntax.CallExpr:
		a.call(s, c, fr)
	case *syntax.BinaryCmd:
		if len(s.Redirs) > 0 {
			a.redirOnly(s, fr, "list")
		}
		a.binary(c, fr)
	case *syntax.Subshell:
		fr = a.compound(s, fr, "subshell")
		a.stmts(c.Stmts, fr)
	case *syntax.Block:
		fr = a.compound(s, fr, "group")
		a.stmts(c.Stmts, fr)
	case *syntax.IfClause:
		fr = a.compound(s, fr, "if")
		for ic := c; ic != nil; ic = ic.Else {
			a.stmts(ic.Cond, fr)
			a.stmts(ic.Then, fr)
		}
	case *syntax.WhileClause:
		label := "while"
		if c.Until {
			label = "until"
		}
		fr = a.compound(s, fr, label)
		a.stmts(c.Cond, fr)
		a.stmts(c.Do, fr)
	case *syntax.ForClause:
		label := "for"
		if c.Select {
			label = "select"
		}
		fr = a.compound(s, fr, label)
		switch l := c.Loop.(type) {
		case *syntax.WordIter:
			for _, w := range l.Items {
				a.wordSubsts(w, fr)
			}
		case *syntax.CStyleLoop:
			a.arithmSubsts(l.Init, fr)
			a.arithmSubsts(l.Cond, fr)
			a.arithmSubsts(l.Post, fr)
		}
		a.stmts(c.Do, fr)
	case *syntax.CaseClause:
		fr = a.compound(s, fr, "case")
		a.wordSubsts(c.Word, fr)
		for _, it := range c.Items {
			for _, p := range it.Patterns {
				a.wordSubsts(p, fr)
			}
			a.stmts(it.Stmts, fr)
		}
	case *syntax.FuncDecl:
		label := "function"
		if c.Name != nil {
			label = "function " + c.Name.Value
		}
		fr = a.compound(s, fr, label)
		if c.Body != nil {
			a.stmt(c.Body, fr.withVia(label))
		}
	case *syntax.ArithmCmd:
		fr = a.compound(s, fr, "((...))")
		a.arithmSubsts(c.X, fr)
	case *syntax.TestClause:
		fr = a.compound(s, fr, "[[...]]")
		a.testSubsts(c.X, fr)
	case *syntax.DeclClause:
		a.decl(s, c, fr)
	case *syntax.LetClause:
		a.let(s, c, fr)
	case *syntax.TimeClause:
		fr = a.compound(s, fr, "time")
		if c.Stmt != nil {
			a.stmt(c.Stmt, fr.withVia("time"))
		}
	case *syntax.CoprocClause:
		fr = a.compound(s, fr, "coproc")
		if c.Name != nil {
			a.wordSubsts(c.Name, fr)
		}
		if c.Stmt != nil {
			a.stmt(c.Stmt, fr.withVia("coproc"))
		}
	case *syntax.TestDecl:
		fr = a.compound(s, fr, "@test")
		if c.Description != nil {
			a.wordSubsts(c.Description, fr)
		}
		if c.Body != nil {
			a.stmt(c.Body, fr)
		}
	}
}

// binary walks a && b, a || b and pipelines. The parser builds them
// left-deep, so the left spine is followed in a loop.
func (a *analyzer) binary(c *syntax.BinaryCmd, fr frame) {
	// Collect the right-hand sides from the outermost in, then walk the
	// leftmost statement and the right-hand sides in source order.
	var buf [8]*syntax.BinaryCmd
	spine := buf[:0]
	left := c
	for {
		spine = append(spine, left)
		x, ok := left.X.Cmd.(*syntax.BinaryCmd)
		if !ok || len(left.X.Redirs) > 0 || left.X.Negated {
			break
		}
		left = x
	}
	first := spine[len(spine)-1].X
	a.stmt(first, fr)
	prev := first
	var text *Text // what prev writes, when known
	textDone := false
	for i := len(spine) - 1; i >= 0; i-- {
		b := spine[i]
		yfr := fr
		if b.Op == syntax.Pipe || b.Op == syntax.PipeAll {
			if !textDone {
				text = a.pipeText(prev)
			}
			yfr.in = &input{pipe: true, kind: "pipe", text: text}
			// A bare cat passes the known text on to the next stage.
			textDone = text != nil && a.isPlainCat(b.Y)
		} else {
			textDone = false
		}
		a.stmt(b.Y, yfr)
		prev = b.Y
	}
}

// compound reports the redirections of a compound command as a Command with
// an empty Program and returns the frame for its body, whose stdin becomes
// a here-doc or here-string attached to the compound.
func (a *analyzer) compound(s *syntax.Stmt, fr frame, label string) frame {
	if len(s.Redirs) == 0 {
		return fr
	}
	redirs, in := a.redirects(s.Redirs, fr)
	a.emitRedirOnly(s.Pos(), fr, label, redirs)
	a.redirSubsts(s.Redirs, fr)
	if in != nil {
		fr.in = in
	}
	return fr
}

// redirOnly reports a statement made only of redirections (and perhaps
// assignments), such as "< .env" or "> out.txt".
func (a *analyzer) redirOnly(s *syntax.Stmt, fr frame, label string) {
	redirs, _ := a.redirects(s.Redirs, fr)
	a.emitRedirOnly(s.Pos(), fr, label, redirs)
	a.redirSubsts(s.Redirs, fr)
}

func (a *analyzer) emitRedirOnly(pos syntax.Pos, fr frame, label string, redirs []Redirect) {
	if a.full() {
		return
	}
	via := fr.via
	if label != "" {
		via = appendVia(via, label)
	}
	line, col := fr.position(pos)
	text := redirText(redirs)
	a.cmds = append(a.cmds, Command{
		Via:       via,
		Redirects: redirs,
		Cwds:      a.cwds,
		Text:      text,
		Written:   text,
		Line:      line,
		Col:       col,
	})
}

// dynamicAt reports a Command whose program cannot be known.
func (a *analyzer) dynamicAt(pos syntax.Pos, fr frame, label, text string) {
	if a.full() {
		return
	}
	line, col := fr.position(pos)
	a.cmds = append(a.cmds, Command{
		Dynamic: true,
		Via:     appendVia(fr.via, label),
		Cwds:    a.cwds,
		Text:    text,
		Written: text,
		Line:    line,
		Col:     col,
	})
}

// pipeText returns the text a statement writes to a pipe when it is
// statically known: echo or printf of literals, or cat of a here-doc.
func (a *analyzer) pipeText(s *syntax.Stmt) *Text {
	out, ok := a.staticOutput(s)
	if !ok {
		return nil
	}
	return &Text{Value: out}
}

// decl reports declare, export, local, readonly, typeset and nameref as
// commands, with their assignments as arguments.
func (a *analyzer) decl(s *syntax.Stmt, c *syntax.DeclClause, fr frame) {
	defer func() {
		for _, as := range c.Args {
			a.assignSubsts(as, fr)
		}
		a.redirSubsts(s.Redirs, fr)
	}()
	if a.full() || c.Variant == nil {
		return
	}
	redirs, _ := a.redirects(s.Redirs, fr)
	name := Word{Raw: c.Variant.Value, Values: a.one(c.Variant.Value)}
	args := make([]Word, 0, len(c.Args))
	for _, as := range c.Args {
		raw := a.slice(fr.src, as.Pos(), as.End())
		w := Word{Raw: raw}
		if as.Name != nil && as.Value != nil && as.Array == nil && as.Index == nil {
			r := a.resolve(as.Value, modeAssign)
			w.Dynamic, w.Subst = r.dyn, r.subst
			for _, v := range r.vals {
				w.Values = append(w.Values, as.Name.Value+"="+v)
			}
		} else if lit, ok := staticRaw(raw); ok {
			w.Values = a.one(lit)
		} else {
			w.Dynamic = true
		}
		args = append(args, w)
	}
	a.emitBuiltin(s, fr, name, args, redirs)
}

// let reports the let builtin with its expressions as arguments.
func (a *analyzer) let(s *syntax.Stmt, c *syntax.LetClause, fr frame) {
	defer func() {
		for _, x := range c.Exprs {
			a.arithmSubsts(x, fr)
		}
		a.redirSubsts(s.Redirs, fr)
	}()
	if a.full() {
		return
	}
	redirs, _ := a.redirects(s.Redirs, fr)
	args := make([]Word, 0, len(c.Exprs))
	for _, x := range c.Exprs {
		raw := a.slice(fr.src, x.Pos(), x.End())
		args = append(args, Word{Raw: raw, Dynamic: true})
	}
	a.emitBuiltin(s, fr, Word{Raw: "let", Values: a.one("let")}, args, redirs)
}

func (a *analyzer) emitBuiltin(s *syntax.Stmt, fr frame, name Word, args []Word, redirs []Redirect) {
	line, col := fr.position(s.Pos())
	var b strings.Builder
	b.WriteString(name.Raw)
	for _, w := range args {
		b.WriteByte(' ')
		b.WriteString(w.Raw)
	}
	written := b.String()
	a.cmds = append(a.cmds, Command{
		Program:   name.Raw,
		Name:      name,
		Args:      args,
		Via:       fr.via,
		Redirects: redirs,
		Cwds:      a.cwds,
		Text:      written,
		Written:   written,
		Line:      line,
		Col:       col,
	})
}

// one returns a one-element Values slice from the arena.
func (a *analyzer) one(v string) []string {
	n := len(a.strs)
	if cap(a.strs)-n < 1 {
		a.strs = make([]string, 0, max(16, 2*cap(a.strs)))
		n = 0
	}
	a.strs = append(a.strs, v)
	return a.strs[n : n+1 : n+1]
}

// values copies vs into the arena.
func (a *analyzer) values(vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	n := len(a.strs)
	if cap(a.strs)-n < len(vs) {
		a.strs = make([]string, 0, max(16, 2*cap(a.strs), len(vs)))
		n = 0
	}
	a.strs = append(a.strs, vs...)
	return a.strs[n : n+len(vs) : n+len(vs)]
}

// slice returns src between two positions, clamped to src.
func (a *analyzer) slice(src string, from, to syntax.Pos) string {
	i, j := int(from.Offset()), int(to.Offset())
	if i < 0 || i > len(src) {
		return ""
	}
	if j > len(src) {
		j = len(src)
	}
	if j < i {
		return ""
	}
	return src[i:j]
}

// tooDeep reports whether src nests brackets deeper than maxBracketDepth
// or compound keywords deeper than maxKeywordDepth. It ignores quotes and
// counts keywords only where a command may start, so it over-estimates
// only on pathological input.
func tooDeep(src string) bool {
	brackets, keywords := 0, 0
	cmdPos := true // a keyword here would start a command
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '(' || c == '{' || c == '[':
			brackets++
			if brackets > maxBracketDepth {
				return true
			}
			cmdPos = true
		case c == ')' || c == '}' || c == ']':
			if brackets > 0 {
				brackets--
			}
			cmdPos = false
		case c == '\n' || c == ';' || c == '&' || c == '|' || c == '!':
			cmdPos = true
		case c == ' ' || c == '\t':
		case isWordByte(c):
			j := i + 1
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			word := src[i:j]
			i = j - 1
			if !cmdPos {
				continue
			}
			switch word {
			case "if", "while", "until", "for", "select", "case", "time", "coproc", "function":
				keywords++
				if keywords > maxKeywordDepth {
					return true
				}
			case "fi", "done", "esac":
				if keywords > 0 {
					keywords--
				}
			case "then", "do", "else", "elif":
			default:
				cmdPos = false
			}
		default:
			cmdPos = false
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
