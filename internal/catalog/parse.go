package catalog

import "strings"

// Arg is one typed argument of a Call.
type Arg struct {
	// Index is the argument's position in the argv given to Parse.
	Index int
	Kind  Kind
	// Value is the argument's value: the word itself for an operand or a
	// separate option value, the attached part for -oVALUE or --opt=VALUE.
	Value string
	// Attached is true when Value is only part of the word at Index.
	Attached bool
	// Opt is the option this is the value of; nil for an operand.
	Opt *Opt
	// Name is the second word of a Value2 option (jq --arg NAME VALUE).
	Name string
}

// Hit is a class a call belongs to, with why.
type Hit struct {
	Class string
	Why   string
}

// Call is one parsed command.
type Call struct {
	// Prog is the program's row; nil when the catalogue does not know it.
	Prog *Program
	// Row is the deepest subcommand row reached (Prog when none).
	Row *Program
	// Path is the program and subcommand words as written: "git submodule foreach".
	Path string
	// Args are the typed operands and option values, in order. Option
	// words themselves are not listed; their marks are in Marks.
	Args []Arg
	// Opts are the options given, in order.
	Opts []*Opt
	// Marks is the union of the marks of the options given.
	Marks Mark
	// Classes are the classes of the rows on the path and of the options given.
	Classes []Hit
	// Exec is the index in argv of the program of an Exec operand, or -1.
	Exec int
	// Operands counts the operands after the subcommand path.
	Operands int
	// DashDash is the index in argv of the "--" that ended the options, or -1.
	DashDash int
}

// Known reports whether the catalogue describes the program.
func (c *Call) Known() bool { return c.Prog != nil }

// Has reports whether an option with mark m was given.
func (c *Call) Has(m Mark) bool { return c.Marks&m != 0 }

// Of returns the values of the arguments of kind k.
func (c *Call) Of(k Kind) []Arg {
	var out []Arg
	for _, a := range c.Args {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

// Parse types argv (the arguments after the program name) by the row p.
// A nil p parses nothing: every argument is Maybe.
func Parse(p *Program, name string, argv []string) Call {
	c := Call{Prog: p, Row: p, Path: name, Exec: -1, DashDash: -1}
	if p == nil {
		for i, a := range argv {
			c.Args = append(c.Args, Arg{Index: i, Kind: Maybe, Value: a})
		}
		c.Operands = len(argv)
		return c
	}
	ps := parser{c: &c, argv: argv, rows: []*Program{p}, execAt: -1}
	ps.run()
	ps.classes()
	return c
}

// classes puts the call in the classes of its rows (where their
// conditions hold), of its options and of its task operands.
func (ps *parser) classes() {
	c := ps.c
	var hits []Hit
	for _, r := range ps.rows {
		cls := r.Class
		switch {
		case cls == "":
		case r.Requires != 0 && c.Marks&r.Requires != r.Requires:
		case r.Unless != 0 && c.Marks&r.Unless != 0:
		case r.NeedsOperand && r == c.Row && c.Operands == 0:
		default:
			hits = append(hits, Hit{cls, r.Why})
		}
		hits = append(hits, r.Extra...)
	}
	if r := c.Row; r.Bare != "" && c.Operands == 0 && ps.onlyListing() {
		hits = append(hits, Hit{r.Bare, r.Name() + " with no arguments: " + r.Why})
	}
	hits = append(hits, c.Classes...) // the options', in order
	for _, r := range ps.rows {
		for _, t := range r.Tasks {
			for _, a := range c.Args {
				if a.Opt == nil && a.Kind == Data && matchTask(t.Names, a.Value) {
					hits = append(hits, Hit{t.Class, t.Why + ": " + a.Value})
				}
			}
		}
	}
	c.Classes = hits
}

// onlyListing reports a call whose options, if any, all only list
// (export -p, printenv -0): set -a or env -i is not a bare call.
func (ps *parser) onlyListing() bool {
	for _, o := range ps.c.Opts {
		if o.Mark&ListOnly == 0 {
			return false
		}
	}
	for _, a := range ps.argv {
		if a != "--" && strings.HasPrefix(a, "-") && len(ps.c.Opts) == 0 {
			return false // an option the row does not describe
		}
	}
	return true
}

// matchTask reports whether v is one of names; a name ending in "*"
// matches a prefix.
func matchTask(names, v string) bool {
	found := false
	Each(names, func(n string) {
		if p, ok := strings.CutSuffix(n, "*"); ok && strings.HasPrefix(v, p) || n == v {
			found = true
		}
	})
	return found
}

type parser struct {
	c    *Call
	argv []string
	rows []*Program // the path of rows, outermost first
	ops  []int      // operand indices at the current row
	stop bool       // an Exec value was reached: the rest is its command
	// execNext: a "--" was read and the row runs a command: the next
	// operand starts it (execAt is its index in ops, -1 before).
	execNext bool
	execAt   int
}

// hasExec reports a row that runs a command from its operands.
func (ps *parser) hasExec() bool {
	ops := ps.row().Operands
	for _, k := range ops.Lead {
		if k == Exec {
			return true
		}
	}
	return ops.Rest == Exec
}

// dashDashAfter reports a "--" in argv after index i.
func (ps *parser) dashDashAfter(i int) bool {
	for _, a := range ps.argv[i+1:] {
		if a == "--" {
			return true
		}
	}
	return false
}

func (ps *parser) row() *Program { return ps.rows[len(ps.rows)-1] }

// findOpt looks an option name up in the current row, then its ancestors
// (global options of git or npm also appear after the subcommand).
func (ps *parser) findOpt(name string) *Opt {
	for i := len(ps.rows) - 1; i >= 0; i-- {
		r := ps.rows[i]
		for j := range r.Opts {
			if Has(r.Opts[j].Names, name) {
				return &r.Opts[j]
			}
		}
	}
	return nil
}

func (ps *parser) run() {
	c, argv := ps.c, ps.argv
	options := true
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" && (options || c.DashDash < 0 && ps.hasExec()) {
			// kubectl exec POD -- cmd: the "--" after an operand of a
			// launcher still separates its command.
			options = false
			c.DashDash = i
			ps.execNext = ps.hasExec()
			continue
		}
		if options && len(a) > 1 && (a[0] == '-' || a[0] == '+' && ps.findOpt(a) != nil) {
			// +x: declare and set turn attributes off with a plus.
			if i = ps.option(i); ps.stop {
				break
			}
			continue
		}
		// An operand: a subcommand, or typed by the row.
		if len(ps.ops) == 0 {
			if sub := ps.sub(a); sub != nil {
				ps.rows = append(ps.rows, sub)
				c.Row = sub
				c.Path += " " + a
				options = true
				continue
			}
		}
		if ps.execNext {
			// chamber exec SERVICE -- cmd: the command starts after "--".
			ps.execAt = len(ps.ops)
			ps.execNext = false
		}
		ps.ops = append(ps.ops, i)
		if k := ps.operandKind(len(ps.ops)-1, -1); k == Exec {
			if options && ps.dashDashAfter(i) {
				// The command comes after a later "--"; this is an
				// argument of the launcher (a profile, a service).
				continue
			}
			c.Exec = i
			break
		}
		if ps.row().Style == POSIX {
			options = false
		}
	}
	ps.typeOperands()
}

// findPrefix returns the one long option of the rows on the path that
// name abbreviates, or nil when none or several do.
func (ps *parser) findPrefix(name string) *Opt {
	var found *Opt
	for i := len(ps.rows) - 1; i >= 0; i-- {
		r := ps.rows[i]
		for j := range r.Opts {
			o := &r.Opts[j]
			match := false
			Each(o.Names, func(n string) {
				if strings.HasPrefix(n, "--") && strings.HasPrefix(n, name) {
					match = true
				}
			})
			if match {
				if found != nil && found != o {
					return nil // ambiguous: the program refuses it
				}
				found = o
			}
		}
	}
	return found
}

// sub returns the subcommand of the current row named a.
func (ps *parser) sub(a string) *Program {
	r := ps.row()
	for _, subs := range [2][]Program{r.Subs, r.Also} {
		for i := range subs {
			if Has(subs[i].Names, a) {
				return &subs[i]
			}
		}
	}
	return nil
}

// option parses the option word at i and returns the index of the last
// word it consumed.
func (ps *parser) option(i int) int {
	a := ps.argv[i]
	if a[0] == '+' {
		o := ps.findOpt(a)
		ps.given(o)
		if o.Arg == Value && i+1 < len(ps.argv) {
			ps.value(o, i+1, ps.argv[i+1], false)
			return i + 1
		}
		return i
	}
	style := ps.row().Style
	if style == GNU {
		style = ps.rows[0].Style // go vet -vettool=x: subcommands take the program's option style
	}
	if o := ps.findOpt(a); o != nil && !strings.HasPrefix(a, "--") && len(a) > 2 {
		style = Words // a multi-letter option spelt with one dash (zip -TT, gdb -ex)
	}
	if strings.HasPrefix(a, "--") || style == Words {
		name, val, eq := strings.Cut(a, "=")
		o := ps.findOpt(name)
		if o == nil && style == Words {
			// java -javaagent:agent.jar: a value after a colon.
			if n, v, colon := strings.Cut(a, ":"); colon {
				if co := ps.findOpt(n); co != nil && co.Arg != Flag {
					o, val, eq = co, v, true
				}
			}
		}
		if o == nil && style == Words && !eq {
			o = ps.findOpt(a)
		}
		if o == nil && style == Words && !strings.HasPrefix(a, "--") && len(a) > 2 {
			// cmake -DKEY=VALUE, java -Dx=y: a short option's value attached.
			if so := ps.findOpt(a[:2]); so != nil && so.Arg != Flag {
				ps.given(so)
				ps.value(so, i, a[2:], true)
				return i
			}
		}
		if o == nil && strings.HasPrefix(name, "--") && len(name) > 3 {
			// getopt_long and git take a unique prefix: rm --rec is --recursive.
			o = ps.findPrefix(name)
		}
		if o == nil {
			return i
		}
		ps.given(o)
		switch {
		case eq && o.Arg != Flag:
			ps.value(o, i, val, true)
		case o.Arg == Value && i+1 < len(ps.argv):
			ps.value(o, i+1, ps.argv[i+1], false)
			return i + 1
		case o.Arg == Value2 && i+2 < len(ps.argv):
			ps.value(o, i+2, ps.argv[i+2], false)
			ps.c.Args[len(ps.c.Args)-1].Name = ps.argv[i+1]
			return i + 2
		}
		return i
	}
	// A cluster of short options: -rf, -oFILE, -o FILE.
	for j := 1; j < len(a); j++ {
		o := ps.findOpt("-" + a[j:j+1])
		if o == nil {
			continue
		}
		ps.given(o)
		switch o.Arg {
		case Attached:
			if j+1 < len(a) {
				ps.value(o, i, a[j+1:], true)
			}
			return i
		case Value, Value2:
			if j+1 < len(a) {
				ps.value(o, i, a[j+1:], true)
				return i
			}
			if o.Arg == Value2 && i+2 < len(ps.argv) {
				ps.value(o, i+2, ps.argv[i+2], false)
				ps.c.Args[len(ps.c.Args)-1].Name = ps.argv[i+1]
				return i + 2
			}
			if i+1 < len(ps.argv) {
				ps.value(o, i+1, ps.argv[i+1], false)
				return i + 1
			}
			return i
		}
	}
	return i
}

func (ps *parser) given(o *Opt) {
	ps.c.Opts = append(ps.c.Opts, o)
	ps.c.Marks |= o.Mark
	if o.Class != "" {
		ps.c.Classes = append(ps.c.Classes, Hit{o.Class, o.Why})
	}
}

func (ps *parser) value(o *Opt, i int, v string, attached bool) {
	k := o.Kind
	if k == Unset {
		k = Data
	}
	ps.c.Args = append(ps.c.Args, Arg{Index: i, Kind: k, Value: v, Attached: attached, Opt: o})
	if k == Exec && !attached {
		// python -m MODULE ARGS: the module and what follows is a command.
		ps.c.Exec = i
		ps.stop = true
	}
}

// operandKind is the kind of operand n of the current row, when there
// are total operands (-1: not yet known, Last not applied).
func (ps *parser) operandKind(n, total int) Kind {
	ops := ps.row().Operands
	if ps.execAt >= 0 {
		// After "--" the operand at execAt is the command; those before
		// it are the launcher's own.
		if n == ps.execAt {
			return Exec
		}
		return Data
	}
	lead := ops.Lead
	if ops.LeadUnless != 0 && ps.c.Marks&ops.LeadUnless != 0 {
		lead = nil
	}
	if n < len(lead) {
		return lead[n]
	}
	if ops.Last != Unset && total >= len(lead)+2 && n == total-1 {
		return ops.Last
	}
	if ops.Rest == Unset {
		return Data
	}
	return ops.Rest
}

// typeOperands types the operands once all options are known (grep's
// pattern is an operand only when no -e was given, wherever -e stands).
func (ps *parser) typeOperands() {
	c := ps.c
	c.Operands = len(ps.ops)
	args := make([]Arg, 0, len(c.Args)+len(ps.ops))
	for n, i := range ps.ops {
		k := ps.operandKind(n, len(ps.ops))
		args = append(args, Arg{Index: i, Kind: k, Value: ps.argv[i]})
	}
	// Keep argv order: option values and operands interleaved.
	c.Args = mergeByIndex(c.Args, args)
}

func mergeByIndex(a, b []Arg) []Arg {
	if len(a) == 0 {
		return b
	}
	out := make([]Arg, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].Index <= b[0].Index {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}
