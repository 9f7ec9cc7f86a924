package policy

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/wardenhq/warden/internal/yamltree"
)

// Validate checks the policy and returns an *Errors listing every problem
// found (up to MaxErrors), each located in the file when the policy was
// parsed, or nil. Parse and LoadFile call it.
func (p *Policy) Validate() error {
	l := newErrorList(p.File, p.meta)
	p.validate(l)
	return l.result()
}

// validID accepts ids and names: a letter or digit, then letters, digits,
// '.', '_' and '-'.
func validID(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i, c := range s {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", c)) {
			return false
		}
	}
	return true
}

// validator carries the state of one Validate run.
type validator struct {
	p *Policy
	l *errorList
}

func (p *Policy) validate(l *errorList) {
	v := &validator{p: p, l: l}
	m := p.meta
	switch {
	case p.Version == 0 && !m.written("version"):
		l.add("version", "required field is missing (write version: %d)", FormatVersion)
	case p.Version != FormatVersion:
		l.add("version", "unsupported version %d (this build reads version %d)", p.Version, FormatVersion)
	}
	v.required("name", p.Name)
	v.required("revision", p.Revision)

	seen := map[string]int{}
	for i, t := range p.Tiers {
		at := fmt.Sprintf("tiers[%d]", i)
		switch {
		case t.Name == "":
			l.add(at+".name", "required field is missing")
		case !validID(t.Name):
			l.add(at+".name", "invalid tier name %q (letters, digits, '.', '_', '-')", t.Name)
		default:
			if j, dup := seen[t.Name]; dup {
				l.add(at+".name", "duplicate tier %q (also tiers[%d])", t.Name, j)
			} else {
				seen[t.Name] = i
			}
		}
	}
	if len(p.Tiers) == 0 && !l.has("tiers") {
		l.add("tiers", "at least one tier is required")
	}
	switch {
	case p.DefaultTier == "":
		l.add("default_tier", "required field is missing (name one of the tiers)")
	case p.tierIndex(p.DefaultTier) < 0 && len(p.Tiers) > 0:
		l.add("default_tier", "unknown tier %q (tiers: %s)", p.DefaultTier, strings.Join(p.TierNames(), ", "))
	}

	v.settings("settings", p.Settings)
	v.rules("", p.Rules)
	for i, t := range p.Tiers {
		at := fmt.Sprintf("tiers[%d]", i)
		if t.Failure != "" && t.Failure != FailureClosed && t.Failure != FailureOpen {
			l.add(at+".failure", "unknown failure mode %q (want closed or open)", t.Failure)
		}
		for k, parent := range t.Inherits {
			if p.tierIndex(parent) < 0 {
				l.add(fmt.Sprintf("%s.inherits[%d]", at, k), "unknown tier %q (tiers: %s)", parent, strings.Join(p.TierNames(), ", "))
			}
		}
		v.settings(at+".settings", t.Settings)
		v.rules(at, t.Rules)
	}
	v.cycles()
	v.exceptions()
	v.repositories()
}

func (v *validator) required(path, val string) {
	if strings.TrimSpace(val) == "" {
		v.l.add(path, "required field is missing")
	}
}

// decision checks a rule's decision: it must be written and not none.
func (v *validator) decision(path string, d Verdict) {
	if d != None {
		return
	}
	if v.p.meta.written(path) {
		v.l.add(path, "decision none has no effect here (want deny, ask or allow)")
	} else {
		v.l.add(path, "required field is missing (deny, ask or allow)")
	}
}

// cycles reports each inheritance cycle once, at the inherits entry that
// closes it.
func (v *validator) cycles() {
	tiers := v.p.Tiers
	state := make([]int, len(tiers)) // 0 unvisited, 1 on the stack, 2 done
	var stack []int
	var visit func(i int)
	visit = func(i int) {
		state[i] = 1
		stack = append(stack, i)
		for k, parent := range tiers[i].Inherits {
			j := v.p.tierIndex(parent)
			switch {
			case j < 0:
			case state[j] == 1:
				start := slices.Index(stack, j)
				var names []string
				for _, s := range stack[start:] {
					names = append(names, tiers[s].Name)
				}
				names = append(names, parent)
				v.l.add(fmt.Sprintf("tiers[%d].inherits[%d]", i, k), "inheritance cycle: %s", strings.Join(names, " -> "))
			case state[j] == 0:
				visit(j)
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
	}
	for i := range tiers {
		if state[i] == 0 {
			visit(i)
		}
	}
}

func (v *validator) rules(prefix string, r Rules) {
	l := v.l
	perm := join(prefix, "permissions")
	for _, list := range []struct {
		name  string
		rules []string
	}{{"deny", r.Permissions.Deny}, {"ask", r.Permissions.Ask}, {"allow", r.Permissions.Allow}} {
		for i, raw := range list.rules {
			if _, err := ParseNativeRule(raw); err != nil {
				l.add(fmt.Sprintf("%s.%s[%d]", perm, list.name, i), "%v", err)
			}
		}
	}

	cmds := join(prefix, "commands")
	classes := make([]string, 0, len(r.Commands.Classes))
	for c := range r.Commands.Classes {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		if !slices.Contains(Classes, c) {
			l.key(cmds+".classes."+c, "%s", unknownClass(c))
		}
	}
	for i := range r.Commands.Members {
		v.member(fmt.Sprintf("%s.members[%d]", cmds, i), &r.Commands.Members[i])
	}

	ids := map[string]int{}
	for i, pr := range r.Paths {
		at := fmt.Sprintf("%s[%d]", join(prefix, "paths"), i)
		v.id(at+".id", pr.ID, "path rule", ids, i)
		if pr.Access == "" {
			l.add(at+".access", "required field is missing (read, write or any)")
		}
		v.decision(at+".decision", pr.Decision)
		if len(pr.Patterns) == 0 {
			l.add(at+".patterns", "required field is missing (at least one path pattern)")
		}
		for k, pat := range pr.Patterns {
			if err := checkRulePattern(pat); err != nil {
				l.add(fmt.Sprintf("%s.patterns[%d]", at, k), "%v", err)
			}
		}
		for k, pat := range pr.Except {
			if err := checkRulePattern(pat); err != nil {
				l.add(fmt.Sprintf("%s.except[%d]", at, k), "%v", err)
			}
		}
	}

	mcp := join(prefix, "mcp")
	names := map[string]int{}
	for i, s := range r.MCP.Servers {
		at := fmt.Sprintf("%s.servers[%d]", mcp, i)
		switch {
		case s.Name == "":
			l.add(at+".name", "required field is missing")
		case !validMCPName(s.Name):
			l.add(at+".name", "invalid MCP server name %q (letters, digits, '-', '_'; no \"__\")", s.Name)
		default:
			if j, dup := names[s.Name]; dup {
				l.add(at+".name", "duplicate MCP server %q (also servers[%d])", s.Name, j)
			} else {
				names[s.Name] = i
			}
		}
		if s.URL != "" && len(s.Command) > 0 {
			l.add(at+".url", "set url (remote server) or command (local server), not both")
		}
		if s.URL != "" {
			if err := checkServerURL(s.URL); err != nil {
				l.add(at+".url", "%v", err)
			}
		}
		for k, w := range s.Command {
			if strings.TrimSpace(w) == "" {
				l.add(fmt.Sprintf("%s.command[%d]", at, k), "empty command word")
			}
		}
		for k, w := range s.WriteWords {
			if strings.TrimSpace(w) == "" {
				l.add(fmt.Sprintf("%s.write_words[%d]", at, k), "empty write word")
			}
		}
		tools := make([]string, 0, len(s.Tools))
		for t := range s.Tools {
			tools = append(tools, t)
		}
		sort.Strings(tools)
		for _, t := range tools {
			tp := at + ".tools." + t
			if !validMCPToolName(t) {
				l.key(tp, "invalid MCP tool name %q", t)
			}
			if kind := s.Tools[t]; kind != "read" && kind != "write" {
				l.add(tp, "unknown tool kind %q (want read or write)", kind)
			}
		}
	}

	web := join(prefix, "web")
	for _, list := range []struct {
		name  string
		hosts []string
	}{{"allow", r.Web.Allow}, {"ask", r.Web.Ask}, {"deny", r.Web.Deny}} {
		for i, h := range list.hosts {
			if err := checkHost(h); err != nil {
				l.add(fmt.Sprintf("%s.%s[%d]", web, list.name, i), "%v", err)
			}
		}
	}

	conds := map[string]int{}
	for i, c := range r.Conditions {
		at := fmt.Sprintf("%s[%d]", join(prefix, "conditions"), i)
		v.id(at+".id", c.ID, "condition", conds, i)
		v.decision(at+".decision", c.Decision)
		v.required(at+".reason", c.Reason)
		for k, t := range c.Tools {
			if err := checkTool(t); err != nil {
				l.add(fmt.Sprintf("%s.tools[%d]", at, k), "%v", err)
			}
		}
		if strings.TrimSpace(c.When) == "" {
			l.add(at+".when", "required field is missing (a CEL expression over action)")
			continue
		}
		v.condition(at+".when", c.When)
	}
}

func unknownClass(c string) string {
	msg := fmt.Sprintf("unknown command class %q", c)
	if s := suggest(c, Classes); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + " (want one of " + strings.Join(Classes, ", ") + ")"
}

// id checks an id within one section: required, well-formed, unique.
func (v *validator) id(path, id, what string, seen map[string]int, i int) {
	switch {
	case id == "":
		v.l.add(path, "required field is missing (the %s id)", what)
	case !validID(id):
		v.l.add(path, "invalid %s id %q (letters, digits, '.', '_', '-')", what, id)
	default:
		if j, dup := seen[id]; dup {
			v.l.add(path, "duplicate %s id %q (also %s[%d])", what, id, parentPath(parentPath(path)), j)
		} else {
			seen[id] = i
		}
	}
}

func checkServerURL(s string) error {
	u, err := url.Parse(strings.ReplaceAll(s, "*", "x"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("invalid server url %q (want http(s)://host/path, '*' allowed)", s)
	}
	return nil
}

// condition compiles a CEL expression and reports each issue where it is in
// the file: exactly for single-line and literal-block (|) expressions, at
// the expression's start otherwise.
func (v *validator) condition(path, expr string) {
	if ConditionChecker == nil {
		return
	}
	for _, is := range ConditionChecker(expr) {
		pos, exact := v.celPos(path, expr, is)
		msg := is.Msg
		if !exact {
			msg = fmt.Sprintf("%d:%d: %s", is.Line, is.Col+1, msg)
		}
		v.l.at(pos, path, "invalid condition: %s", msg)
	}
}

func (v *validator) celPos(path, expr string, is ConditionIssue) (Pos, bool) {
	m := v.p.meta
	start := m.valuePos(path)
	if m == nil || start.Line == 0 {
		return start, false
	}
	lines := strings.Split(expr, "\n")
	if is.Line < 1 || is.Line > len(lines) {
		return start, false
	}
	exprLine := lines[is.Line-1]
	switch m.styles[path] {
	case 0, yamltree.SingleQuotedStyle, yamltree.DoubleQuotedStyle:
		if len(strings.TrimRight(expr, "\n")) != len(lines[0]) {
			return start, false
		}
		col := start.Col
		if m.styles[path] != 0 {
			col++ // the opening quote
		}
		src := m.line(start.Line)
		if col-1 > len(src) || !strings.HasPrefix(src[col-1:], exprLine) {
			return start, false
		}
		return Pos{start.Line, col + is.Col}, true
	case yamltree.LiteralStyle:
		// Content starts on the line after the "|" indicator.
		line := start.Line + is.Line
		src := m.line(line)
		if exprLine == "" || !strings.HasSuffix(src, exprLine) {
			return start, false
		}
		return Pos{line, len(src) - len(exprLine) + is.Col + 1}, true
	}
	return start, false
}

func (v *validator) exceptions() {
	p, l := v.p, v.l
	var rulesets []*Ruleset
	var defined map[string]bool
	ids := map[string]int{}
	for i, e := range p.Exceptions {
		at := fmt.Sprintf("exceptions[%d]", i)
		v.id(at+".id", e.ID, "exception", ids, i)
		v.required(at+".owner", e.Owner)
		v.required(at+".reason", e.Reason)
		if e.Expires.IsZero() {
			l.add(at+".expires", "required field is missing (YYYY-MM-DD): every exception has an end date")
		}
		if e.Decision == None && !p.meta.written(at+".decision") {
			l.add(at+".decision", "required field is missing (the weaker decision the exception grants)")
		}
		for k, t := range e.Tiers {
			if p.tierIndex(t) < 0 {
				l.add(fmt.Sprintf("%s.tiers[%d]", at, k), "unknown tier %q (tiers: %s)", t, strings.Join(p.TierNames(), ", "))
			}
		}
		for k, g := range e.Repositories {
			if !doublestar.ValidatePattern(g) || !doublestar.ValidatePattern(NormalizeRemote(g)) {
				l.add(fmt.Sprintf("%s.repositories[%d]", at, k), "invalid repository glob %q", g)
			}
		}
		if e.Rule == "" {
			l.add(at+".rule", "required field is missing (a rule id such as commands.egress or paths.secrets)")
			continue
		}
		if IsBuiltinRule(e.Rule) {
			if e.Decision == Deny {
				l.add(at+".decision", "decision deny does not loosen rule %s (want ask, allow or none)", e.Rule)
			}
			continue
		}
		if rulesets == nil {
			rulesets = p.rulesets()
			defined = map[string]bool{}
			for _, rs := range rulesets {
				for id := range rs.Rules() {
					defined[id] = true
				}
			}
		}
		if !defined[e.Rule] {
			msg := fmt.Sprintf("unknown rule %q", e.Rule)
			all := append(RuleIDs(p), BuiltinRuleIDs...)
			if s := suggest(e.Rule, all); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			l.add(at+".rule", "%s", msg)
			continue
		}
		var known []string
		for _, t := range e.Tiers {
			if p.tierIndex(t) >= 0 {
				known = append(known, t)
			}
		}
		if len(e.Tiers) > 0 && len(known) == 0 {
			continue // unknown tiers are reported above
		}
		strongest, found := None, false
		for _, rs := range rulesets {
			if len(known) > 0 && !slices.Contains(known, rs.Tier) {
				continue
			}
			if d, ok := rs.Rules()[e.Rule]; ok {
				strongest, found = Max(strongest, d), true
			}
		}
		switch {
		case !found:
			l.add(at+".rule", "rule %q is not part of tiers %s", e.Rule, strings.Join(known, ", "))
		case e.Decision >= strongest:
			l.add(at+".decision", "decision %s is not weaker than rule %s's %s", e.Decision, e.Rule, strongest)
		}
	}
}

func (v *validator) repositories() {
	p, l := v.p, v.l
	for i, r := range p.Repositories {
		at := fmt.Sprintf("repositories[%d]", i)
		if r.Path == "" && r.Remote == "" {
			l.add(at, "give path or remote (or both) to match repositories")
		}
		if r.Path != "" && !doublestar.ValidatePattern(r.Path) {
			l.add(at+".path", "invalid path glob %q", r.Path)
		}
		if r.Remote != "" && !doublestar.ValidatePattern(NormalizeRemote(r.Remote)) {
			l.add(at+".remote", "invalid remote glob %q", r.Remote)
		}
		switch {
		case r.Tier == "":
			l.add(at+".tier", "required field is missing")
		case p.tierIndex(r.Tier) < 0:
			l.add(at+".tier", "unknown tier %q (tiers: %s)", r.Tier, strings.Join(p.TierNames(), ", "))
		}
	}
}

// ExpiryWarning is how far ahead Warnings reports exceptions about to expire.
const ExpiryWarning = 14 * 24 * time.Hour

// Warnings reports findings that do not make the policy invalid, as of now:
// exceptions that expire within ExpiryWarning, exceptions that have expired
// (they no longer apply), and MCP servers bound by name only (no url or
// command), which a look-alike server could borrow.
func (p *Policy) Warnings(now time.Time) []Warning {
	var ws []Warning
	warn := func(path, format string, args ...any) {
		pos := p.meta.valuePos(path)
		ws = append(ws, Warning{
			File: p.File, Line: pos.Line, Col: pos.Col, Path: path,
			Msg: fmt.Sprintf(format, args...), Source: p.meta.line(pos.Line),
		})
	}
	for i, e := range p.Exceptions {
		if e.Expires.IsZero() {
			continue
		}
		at := fmt.Sprintf("exceptions[%d].expires", i)
		left := e.Expires.End().Sub(now)
		switch {
		case left <= 0:
			warn(at, "exception %q expired on %s and no longer applies; remove or renew it", e.ID, e.Expires)
		case left <= ExpiryWarning:
			days := int(math.Ceil(left.Hours() / 24))
			warn(at, "exception %q expires in %d day(s), at the end of %s (owner %s)", e.ID, days, e.Expires, e.Owner)
		}
	}
	check := func(prefix string, r Rules) {
		for i, s := range r.MCP.Servers {
			if s.URL == "" && len(s.Command) == 0 {
				warn(fmt.Sprintf("%s.servers[%d]", join(prefix, "mcp"), i),
					"MCP server %q is approved by name only; set url or command so a look-alike cannot borrow the name", s.Name)
			}
		}
	}
	check("", p.Rules)
	for i, t := range p.Tiers {
		check(fmt.Sprintf("tiers[%d]", i), t.Rules)
	}
	sort.SliceStable(ws, func(i, j int) bool {
		if ws[i].Line != ws[j].Line {
			return ws[i].Line < ws[j].Line
		}
		return ws[i].Col < ws[j].Col
	})
	return ws
}
