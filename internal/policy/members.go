package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
)

// Catalog returns the program catalogue the engine parses commands by
// under this Ruleset: the built-in catalogue (catalog.Builtin) with a row
// for each program its members with grammar describe (ClassMember).
//
// Members layer over the built-in rows; they never remove what the
// catalogue knows. A member naming a program the catalogue has (as
// catalog.Lookup finds it: CURL, python3.12) extends a copy of that
// program's row, under all its spellings: its options come first, so they win on a shared name; its
// subcommand words select the row's subcommands, added when missing;
// its aliases are further spellings; its style and operands, when it
// gives them, replace the row's; its class is added to the row's own.
// Members of one program, in the policy or across tiers, build one row
// in the order they are merged (Ruleset).
//
// It returns catalog.Builtin() itself when no member has grammar. Build
// it once per Ruleset: the engine and the settings compiler do.
func (rs *Ruleset) Catalog() *catalog.Catalog {
	base := catalog.Builtin()
	return base.With(memberRows(base, rs.Members))
}

// memberRow is a program row being built from members.
type memberRow struct {
	row     *catalog.Program
	base    string   // the built-in row it extends ("" for a new program)
	members []string // the Commands of the members that built it
}

// memberRows builds the rows the members with grammar describe, over base.
func memberRows(base *catalog.Catalog, members []ClassMember) []catalog.Program {
	var rows []*memberRow
	byName := map[string]*memberRow{}
	byBase := map[*catalog.Program]*memberRow{}
	for i := range members {
		m := &members[i]
		words := strings.Fields(m.Command)
		if !m.HasGrammar() || len(words) == 0 {
			continue
		}
		r := byName[words[0]]
		if r == nil {
			if b := base.Lookup(words[0]); b != nil {
				if r = byBase[b]; r == nil {
					cp := *b
					r = &memberRow{row: &cp, base: b.Name()}
					byBase[b] = r
					rows = append(rows, r)
				}
			} else {
				r = &memberRow{row: &catalog.Program{Names: words[0], Operands: untyped}}
				rows = append(rows, r)
			}
			byName[words[0]] = r
		}
		r.members = append(r.members, strings.Join(words, " "))
		row := r.row
		for _, w := range words[1:] {
			row = subRow(row, w)
		}
		applyMember(row, m, r.row.Lang)
		if len(words) == 1 {
			for _, a := range m.Aliases {
				byName[a] = r
			}
		}
	}
	out := make([]catalog.Program, len(rows))
	for i, r := range rows {
		out[i] = *r.row
		label := "policy member "
		if len(r.members) > 1 {
			label = "policy members "
		}
		label += strings.Join(r.members, ", ")
		if r.base != "" {
			label = "catalogue row " + r.base + " extended by " + label
		}
		out[i].From = label
	}
	return out
}

// untyped are the operands of a row a member adds without typing them:
// maybe, as the arguments of a program the catalogue does not know (read
// when they look like a path, and a command among them is decided), not
// data: describing one option must not stop the engine looking at the
// rest.
var untyped = catalog.Operands{Rest: catalog.Maybe}

// subRow returns row's subcommand named w in a copy of row's Subs (the
// built-in rows stay as they are), taking it from Also or adding it
// (with row's style) when row has none of that name.
func subRow(row *catalog.Program, w string) *catalog.Program {
	subs := slices.Clone(row.Subs)
	row.Subs = subs
	for i := range subs {
		if hasName(subs[i].Names, w) {
			return &row.Subs[i]
		}
	}
	sub := catalog.Program{Names: w, Style: row.Style, Operands: untyped}
	for _, a := range row.Also {
		if hasName(a.Names, w) {
			sub = a
			break
		}
	}
	row.Subs = append(subs, sub)
	return &row.Subs[len(row.Subs)-1]
}

// applyMember describes row by m's grammar and class; lang is the
// program's language (catalog.Program.Lang), for code values.
func applyMember(row *catalog.Program, m *ClassMember, lang string) {
	for _, a := range m.Aliases {
		if !hasName(row.Names, a) {
			row.Names += " " + a
		}
	}
	if m.Style != "" {
		row.Style, _ = catalog.ParseStyle(m.Style) // validated; gnu otherwise
	}
	if len(m.Options) > 0 {
		opts := make([]catalog.Opt, 0, len(m.Options)+len(row.Opts))
		for _, mo := range m.Options {
			o := catalog.Opt{Names: strings.Join(mo.Names, " ")}
			if mo.Value != "" && mo.Value != "none" {
				o.Arg, o.Kind = catalog.Value, memberKind(mo.Value, lang)
			}
			if mo.Class != "" && len(mo.Names) > 0 {
				o.Class, o.Why = mo.Class, mo.Names[0]+" is in class "+mo.Class+" by the policy"
			}
			opts = append(opts, o)
		}
		row.Opts = append(opts, row.Opts...)
	}
	if !m.Operands.IsZero() {
		ops := catalog.Operands{Rest: catalog.Maybe, Last: operandKind(m.Operands.Last, lang)}
		if m.Operands.Rest != "" {
			ops.Rest = memberKind(m.Operands.Rest, lang)
		}
		for _, k := range m.Operands.Lead {
			ops.Lead = append(ops.Lead, memberKind(k, lang))
		}
		row.Operands = ops
	}
	if m.Class != "" {
		row.Extra = append(slices.Clip(row.Extra), catalog.Hit{Class: m.Class, Why: "is in class " + m.Class + " by the policy"})
	}
}

// memberKind is the catalogue kind named k. Validate rejects unknown
// names; in a Ruleset built without it, an unknown kind is Maybe (read
// when it looks like a path), never silently data. Code in a program with
// no language (lang "") is Opaque: the engine inspects code only in the
// languages it knows, and code it cannot read asks.
func memberKind(k, lang string) catalog.Kind {
	kind, ok := catalog.ParseKind(k)
	switch {
	case !ok:
		return catalog.Maybe
	case kind == catalog.Code && lang == "":
		return catalog.Opaque
	}
	return kind
}

// operandKind is memberKind, with "" left unset (the catalogue's default).
func operandKind(k, lang string) catalog.Kind {
	if k == "" {
		return catalog.Unset
	}
	return memberKind(k, lang)
}

// hasName reports whether the space-separated list holds name.
func hasName(names, name string) bool {
	found := false
	catalog.Each(names, func(n string) { found = found || n == name })
	return found
}

// member checks one commands.members entry at path at.
func (v *validator) member(at string, m *ClassMember) {
	l := v.l
	grammar := m.HasGrammar()
	switch {
	case m.Class == "" && !grammar:
		l.add(at+".class", "required field is missing (a command class, or the program's grammar: aliases, style, options, operands)")
	case m.Class != "" && !slices.Contains(Classes, m.Class):
		l.add(at+".class", "%s", unknownClass(m.Class))
	}
	words := strings.Fields(m.Command)
	if len(words) == 0 {
		l.add(at+".command", "required field is missing (a program name, optionally with subcommand words)")
		return
	}
	if !grammar {
		return
	}
	if strings.Contains(words[0], "/") {
		l.add(at+".command", "program %q is a path; name the program (the engine looks programs up by base name)", words[0])
	}
	v.memberWords(at+".command", words)
	lang := ""
	if p := catalog.Builtin().Lookup(words[0]); p != nil {
		lang = p.Lang
	}
	for k, a := range m.Aliases {
		ap := fmt.Sprintf("%s.aliases[%d]", at, k)
		switch {
		case strings.TrimSpace(a) == "":
			l.add(ap, "empty alias")
		case strings.ContainsAny(a, " \t\n/"):
			l.add(ap, "invalid alias %q (one word, not a path)", a)
		case len(words) == 1:
			own := catalog.Builtin().Lookup(words[0])
			if p := catalog.Builtin().Lookup(a); p != nil && p != own {
				l.add(ap, "alias %q is the built-in program %s; a member cannot take over another program's name", a, p.Name())
			}
		}
	}
	if m.Style != "" {
		if _, ok := catalog.ParseStyle(m.Style); !ok {
			l.add(at+".style", "unknown style %q (want %s)", m.Style, strings.Join(catalog.StyleNames(), ", "))
		}
	}
	for j, o := range m.Options {
		op := fmt.Sprintf("%s.options[%d]", at, j)
		if len(o.Names) == 0 {
			l.add(op+".names", "required field is missing (the option's spellings: [-c, --config])")
		}
		for k, n := range o.Names {
			if len(n) < 2 || n[0] != '-' || n == "--" || strings.ContainsAny(n, " \t\n=") {
				l.add(fmt.Sprintf("%s.names[%d]", op, k), "invalid option name %q (a dash and a name: -c, --config)", n)
			}
		}
		if o.Value != "" && o.Value != "none" {
			v.kind(op+".value", o.Value, true, lang)
		}
		if o.Class != "" && !slices.Contains(Classes, o.Class) {
			l.add(op+".class", "%s", unknownClass(o.Class))
		}
	}
	for k, kind := range m.Operands.Lead {
		v.kind(fmt.Sprintf("%s.operands.lead[%d]", at, k), kind, false, lang)
	}
	if m.Operands.Rest != "" {
		v.kind(at+".operands.rest", m.Operands.Rest, false, lang)
	}
	if m.Operands.Last != "" {
		v.kind(at+".operands.last", m.Operands.Last, false, lang)
	}
}

// memberWords rejects a subcommand added to a built-in row whose first
// operand the engine judges: sudo's command, ssh's host, cat's file. A
// member `sudo deploy` would make `sudo deploy curl x` hide the command
// sudo runs, and `cat deploy` would stop `cat deploy` being a read.
func (v *validator) memberWords(path string, words []string) {
	row := catalog.Builtin().Lookup(words[0])
	for i, w := range words[1:] {
		if row == nil {
			return
		}
		var next *catalog.Program
		for _, subs := range [2][]catalog.Program{row.Subs, row.Also} {
			for k := range subs {
				if next == nil && hasName(subs[k].Names, w) {
					next = &subs[k]
				}
			}
		}
		if next == nil {
			k := row.Operands.Rest
			if len(row.Operands.Lead) > 0 {
				k = row.Operands.Lead[0]
			}
			if k != catalog.Unset && k != catalog.Data {
				v.l.add(path, "a member cannot add the subcommand %q to %s: its first operand is of kind %s, which the engine judges",
					w, strings.Join(words[:i+1], " "), k)
			}
			return
		}
		row = next
	}
}

// kind checks the name of a catalogue kind; option values may also be
// none. Code needs the program's language (lang), which only a built-in
// interpreter's row has.
func (v *validator) kind(path, k string, option bool, lang string) {
	if kind, ok := catalog.ParseKind(k); ok {
		if kind == catalog.Code && lang == "" {
			v.l.add(path, "kind code is interpreter code in the program's language, which a member cannot give; write shell for Bash, or opaque for code Warden cannot see")
		}
		return
	}
	names := catalog.KindNames()
	if option {
		names = append([]string{"none"}, names...)
	}
	msg := fmt.Sprintf("unknown kind %q", k)
	if s := suggest(k, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else {
		msg += " (want one of " + strings.Join(names, ", ") + ")"
	}
	v.l.add(path, "%s", msg)
}
