package shell

import (
	"mvdan.cc/sh/v3/syntax"
)

// wordSubsts walks the command and process substitutions inside a word,
// reporting the commands they run.
func (a *analyzer) wordSubsts(w *syntax.Word, fr frame) {
	if w == nil {
		return
	}
	a.partSubsts(w.Parts, fr)
}

func (a *analyzer) partSubsts(parts []syntax.WordPart, fr frame) {
	for _, p := range parts {
		if a.truncated {
			return
		}
		switch p := p.(type) {
		case *syntax.DblQuoted:
			a.partSubsts(p.Parts, fr)
		case *syntax.CmdSubst:
			sfr := fr
			sfr.in = nil
			sfr.via = appendVia(fr.via, viaSubst)
			a.substStmts(p.Stmts, sfr)
		case *syntax.ProcSubst:
			sfr := fr
			sfr.in = nil
			label := "<(...)"
			if p.Op == syntax.CmdOut {
				label = ">(...)"
			}
			sfr.via = appendVia(fr.via, label)
			a.substStmts(p.Stmts, sfr)
		case *syntax.ParamExp:
			if p.NestedParam != nil {
				a.partSubsts([]syntax.WordPart{p.NestedParam}, fr)
			}
			if p.Index != nil {
				a.arithmSubsts(p.Index, fr)
			}
			if p.Slice != nil {
				a.arithmSubsts(p.Slice.Offset, fr)
				a.arithmSubsts(p.Slice.Length, fr)
			}
			if p.Repl != nil {
				a.wordSubsts(p.Repl.Orig, fr)
				a.wordSubsts(p.Repl.With, fr)
			}
			if p.Exp != nil {
				a.wordSubsts(p.Exp.Word, fr)
			}
		case *syntax.ArithmExp:
			a.arithmSubsts(p.X, fr)
		case *syntax.BraceExp:
			for _, e := range p.Elems {
				a.wordSubsts(e, fr)
			}
		}
	}
}

// substStmts walks the statements of a substitution one nesting level down.
func (a *analyzer) substStmts(stmts []*syntax.Stmt, fr frame) {
	fr.nest++
	if fr.nest > maxBracketDepth {
		if len(stmts) > 0 {
			a.dynamicAt(stmts[0].Pos(), fr, viaTooDeep, "")
		}
		return
	}
	a.stmts(stmts, fr)
}

// assignSubsts walks the substitutions of an assignment.
func (a *analyzer) assignSubsts(as *syntax.Assign, fr frame) {
	if as == nil {
		return
	}
	if as.Index != nil {
		a.arithmSubsts(as.Index, fr)
	}
	a.wordSubsts(as.Value, fr)
	if as.Array != nil {
		for _, el := range as.Array.Elems {
			if el.Index != nil {
				a.arithmSubsts(el.Index, fr)
			}
			a.wordSubsts(el.Value, fr)
		}
	}
}

// arithmSubsts walks the substitutions inside an arithmetic expression.
func (a *analyzer) arithmSubsts(x syntax.ArithmExpr, fr frame) {
	for x != nil {
		fr.nest++
		if fr.nest > maxBracketDepth {
			a.dynamicAt(x.Pos(), fr, viaTooDeep, "")
			return
		}
		switch n := x.(type) {
		case *syntax.Word:
			a.wordSubsts(n, fr)
			return
		case *syntax.BinaryArithm:
			a.arithmSubsts(n.X, fr)
			x = n.Y
		case *syntax.UnaryArithm:
			x = n.X
		case *syntax.ParenArithm:
			x = n.X
		case *syntax.FlagsArithm:
			x = n.X
		default:
			return
		}
	}
}

// testSubsts walks the substitutions inside a [[ ]] expression.
func (a *analyzer) testSubsts(x syntax.TestExpr, fr frame) {
	for x != nil {
		fr.nest++
		if fr.nest > maxBracketDepth {
			a.dynamicAt(x.Pos(), fr, viaTooDeep, "")
			return
		}
		switch n := x.(type) {
		case *syntax.Word:
			a.wordSubsts(n, fr)
			return
		case *syntax.BinaryTest:
			a.testSubsts(n.X, fr)
			x = n.Y
		case *syntax.UnaryTest:
			x = n.X
		case *syntax.ParenTest:
			x = n.X
		default:
			return
		}
	}
}
