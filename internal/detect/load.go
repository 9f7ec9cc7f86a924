package detect

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/yamlfile"
	"github.com/wardenhq/warden/internal/yamltree"
)

// MaxFileSize bounds a rule file and a session fixture file.
const MaxFileSize = 4 << 20

// Set is a loaded, validated set of rules.
type Set struct {
	Rules []*Rule
	// Warnings are findings that do not invalidate the set (a
	// suppression that has expired).
	Warnings []policy.Warning
}

// Rule returns the rule with id, or nil.
func (s *Set) Rule(id string) *Rule {
	for _, r := range s.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// LoadDir loads every rule file (*.yaml, *.yml) in dir and below. Problems
// come back as one *policy.Errors listing each at file:line:col.
func LoadDir(dir string) (*Set, error) {
	return LoadFS(os.DirFS(dir), ".", dir)
}

// LoadFS loads every rule file under root in fsys; display prefixes the
// file names in errors and Rule.File.
func LoadFS(fsys fs.FS, root, display string) (*Set, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load rules %s: %w", display, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load rules %s: no rule files (*.yaml) found", display)
	}
	sort.Strings(files)
	l := &loader{fsys: fsys, display: display, root: root}
	for _, f := range files {
		data, err := readLimited(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("load rules %s: %w", filepath.Join(display, f), err)
		}
		l.file(f, data)
	}
	return l.result()
}

// Parse loads one rule file's contents; name is used in errors. Fixture
// files the tests name are read from fsys relative to name's directory
// (nil fsys: tests may not name fixture files).
func Parse(fsys fs.FS, name string, data []byte) (*Set, error) {
	l := &loader{fsys: fsys}
	l.file(name, data)
	return l.result()
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxFileSize)
	}
	return data, nil
}

type loader struct {
	fsys     fs.FS
	display  string
	root     string
	errs     []policy.Error
	warnings []policy.Warning
	rules    []*Rule
	ids      map[string]string // rule id → where it was defined
}

func (l *loader) result() (*Set, error) {
	if len(l.errs) > 0 {
		sort.SliceStable(l.errs, func(i, j int) bool {
			a, b := l.errs[i], l.errs[j]
			if a.File != b.File {
				return a.File < b.File
			}
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		e := &policy.Errors{List: l.errs}
		if len(e.List) > policy.MaxErrors {
			e.More = len(e.List) - policy.MaxErrors
			e.List = e.List[:policy.MaxErrors]
		}
		return nil, e
	}
	return &Set{Rules: l.rules, Warnings: l.warnings}, nil
}

// fileDecoder decodes one rule file.
type fileDecoder struct {
	l     *loader
	name  string // display name
	rel   string // name within the loader's fsys
	lines []string
}

func (l *loader) file(rel string, data []byte) {
	name := rel
	if l.display != "" {
		under := rel
		if l.root != "" && l.root != "." {
			under = strings.TrimPrefix(rel, l.root+"/")
		}
		name = filepath.Join(l.display, under)
	}
	d := &fileDecoder{l: l, name: name, rel: rel, lines: strings.Split(string(data), "\n")}
	root, err := yamlfile.Document(data, "a rule file")
	if err != nil {
		line, msg := yamltree.ErrorLine(err)
		d.errAt(line, 0, "", "%s", msg)
		return
	}
	if root == nil {
		d.errAt(0, 0, "", "empty rule file (a rule file is a mapping with a rules: list; see `warden rules show builtin`)")
		return
	}
	d.mapping(root, "", map[string]func(k, v *yaml.Node){
		"rules": func(_, v *yaml.Node) {
			if !d.kind(v, yaml.SequenceNode, "rules", "a list of rules") {
				return
			}
			for i, n := range v.Content {
				d.rule(n, fmt.Sprintf("rules[%d]", i))
			}
		},
	}, "rules")
}

func (d *fileDecoder) errAt(line, col int, path, format string, args ...any) {
	src := ""
	if line > 0 && line <= len(d.lines) {
		src = d.lines[line-1]
	}
	d.l.errs = append(d.l.errs, policy.Error{File: d.name, Line: line, Col: col, Path: path, Msg: fmt.Sprintf(format, args...), Source: src})
}

func (d *fileDecoder) err(n *yaml.Node, path, format string, args ...any) {
	d.errAt(n.Line, n.Column, path, format, args...)
}

func (d *fileDecoder) kind(n *yaml.Node, k yaml.Kind, path, want string) bool {
	if n.Kind == yaml.AliasNode {
		d.err(n, path, "aliases are not supported in rule files")
		return false
	}
	if n.Kind != k {
		d.err(n, path, "want %s, got %s", want, kindName(n))
		return false
	}
	return true
}

// mapping decodes a mapping strictly: every key must be in fields, none
// repeated, and the required ones present.
func (d *fileDecoder) mapping(n *yaml.Node, path string, fields map[string]func(k, v *yaml.Node), required ...string) bool {
	if !d.kind(n, yaml.MappingNode, path, "a mapping") {
		return false
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		fn, ok := fields[k.Value]
		switch {
		case !ok:
			hint := ""
			if s := policy.Suggest(k.Value, names); s != "" && policy.EditDistance(k.Value, s) <= max(2, len(k.Value)/3) {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				hint = " (known: " + strings.Join(names, ", ") + ")"
			}
			d.err(k, p, "unknown field %q%s", k.Value, hint)
		case seen[k.Value]:
			d.err(k, p, "duplicate field %q", k.Value)
		default:
			seen[k.Value] = true
			fn(k, v)
		}
	}
	ok := true
	for _, r := range required {
		if !seen[r] {
			d.err(n, path, "missing required field %q", r)
			ok = false
		}
	}
	return ok
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *fileDecoder) str(n *yaml.Node, path string, dst *string) bool {
	if !d.kind(n, yaml.ScalarNode, path, "a string") {
		return false
	}
	if n.Style == 0 && (n.Tag == "!!null" || n.Tag == "!!bool") {
		d.err(n, path, "want a string, got %s (quote it)", kindName(n))
		return false
	}
	*dst = n.Value
	return true
}

func (d *fileDecoder) nonEmpty(n *yaml.Node, path string, dst *string) bool {
	if !d.str(n, path, dst) {
		return false
	}
	if strings.TrimSpace(*dst) == "" {
		d.err(n, path, "must not be empty")
		return false
	}
	return true
}

func (d *fileDecoder) strList(n *yaml.Node, path string, dst *[]string) bool {
	if !d.kind(n, yaml.SequenceNode, path, "a list of strings") {
		return false
	}
	ok := true
	for i, c := range n.Content {
		var s string
		if !d.nonEmpty(c, fmt.Sprintf("%s[%d]", path, i), &s) {
			ok = false
			continue
		}
		*dst = append(*dst, s)
	}
	return ok
}

func (d *fileDecoder) duration(n *yaml.Node, path string, dst *time.Duration) bool {
	var s string
	if !d.str(n, path, &s) {
		return false
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.err(n, path, "invalid duration %q (want a positive Go duration such as 60s, 10m or 24h)", s)
		return false
	}
	*dst = v
	return true
}

func (d *fileDecoder) boolean(n *yaml.Node, path string, dst *bool) bool {
	if !d.kind(n, yaml.ScalarNode, path, "true or false") {
		return false
	}
	if n.Tag != "!!bool" {
		d.err(n, path, "want true or false, got %q", n.Value)
		return false
	}
	*dst = n.Value == "true"
	return true
}

func (d *fileDecoder) integer(n *yaml.Node, path string, dst *int) bool {
	if !d.kind(n, yaml.ScalarNode, path, "an integer") {
		return false
	}
	v, err := strconv.Atoi(n.Value)
	if n.Tag != "!!int" || err != nil {
		d.err(n, path, "want an integer, got %q", n.Value)
		return false
	}
	*dst = v
	return true
}

func (d *fileDecoder) number(n *yaml.Node, path string, dst *float64) bool {
	if !d.kind(n, yaml.ScalarNode, path, "a number") {
		return false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if (n.Tag != "!!int" && n.Tag != "!!float") || err != nil {
		d.err(n, path, "want a number, got %q", n.Value)
		return false
	}
	*dst = v
	return true
}

// expr compiles the CEL expression in n, reporting compile problems at
// their place in the file.
func (d *fileDecoder) expr(n *yaml.Node, path string, want *cel.Type, dst **program) (string, bool) {
	var src string
	if !d.nonEmpty(n, path, &src) {
		return "", false
	}
	prg, issues := compile(src, want)
	for _, is := range issues {
		line, col := n.Line, n.Column
		switch n.Style {
		case yaml.LiteralStyle, yaml.FoldedStyle:
			line += is.Line
			col = 0
			if line-1 < len(d.lines) {
				text := d.lines[line-1]
				col = len(text) - len(strings.TrimLeft(text, " \t")) + is.Col + 1
			}
		case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
			line += is.Line - 1
			col += is.Col + 1
		default:
			line += is.Line - 1
			col += is.Col
		}
		d.errAt(line, col, path, "%s", is.Msg)
	}
	*dst = prg
	return src, prg != nil
}

var ruleIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

func (d *fileDecoder) rule(n *yaml.Node, path string) {
	r := &Rule{File: d.name, Line: n.Line, GroupBy: "session"}
	var kinds []string
	var idNode *yaml.Node
	ok := d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"id": func(_, v *yaml.Node) {
			idNode = v
			if d.nonEmpty(v, join(path, "id"), &r.ID) && !ruleIDPattern.MatchString(r.ID) {
				d.err(v, join(path, "id"), "invalid rule id %q (lower-case letters, digits, '.', '_' and '-', at most 128)", r.ID)
			}
		},
		"title":       func(_, v *yaml.Node) { d.nonEmpty(v, join(path, "title"), &r.Title) },
		"description": func(_, v *yaml.Node) { d.str(v, join(path, "description"), &r.Description) },
		"tags":        func(_, v *yaml.Node) { d.strList(v, join(path, "tags"), &r.Tags) },
		"severity": func(_, v *yaml.Node) {
			if d.nonEmpty(v, join(path, "severity"), &r.Severity) && !slices.Contains(Severities, r.Severity) {
				d.err(v, join(path, "severity"), "unknown severity %q (want one of %s)", r.Severity, strings.Join(Severities, ", "))
			}
		},
		"group_by": func(_, v *yaml.Node) {
			if d.nonEmpty(v, join(path, "group_by"), &r.GroupBy) && !slices.Contains(GroupKeys, r.GroupBy) {
				d.err(v, join(path, "group_by"), "unknown group_by %q (want one of %s)", r.GroupBy, strings.Join(GroupKeys, ", "))
			}
		},
		"match": func(_, v *yaml.Node) {
			kinds = append(kinds, "match")
			r.Match = &Match{}
			r.Match.If, _ = d.expr(v, join(path, "match"), cel.BoolType, &r.Match.prg)
		},
		"sequence": func(_, v *yaml.Node) {
			kinds = append(kinds, "sequence")
			r.Sequence = d.sequence(v, join(path, "sequence"))
		},
		"threshold": func(_, v *yaml.Node) {
			kinds = append(kinds, "threshold")
			r.Threshold = d.threshold(v, join(path, "threshold"))
		},
		"absence": func(_, v *yaml.Node) {
			kinds = append(kinds, "absence")
			r.Absence = d.absence(v, join(path, "absence"))
		},
		"baseline": func(_, v *yaml.Node) {
			kinds = append(kinds, "baseline")
			r.Baseline = d.baseline(v, join(path, "baseline"))
		},
		"response": func(_, v *yaml.Node) { d.response(v, join(path, "response"), &r.Response) },
		"suppress": func(_, v *yaml.Node) {
			if d.kind(v, yaml.SequenceNode, join(path, "suppress"), "a list of suppressions") {
				for i, c := range v.Content {
					d.suppression(c, fmt.Sprintf("%s.suppress[%d]", path, i), r)
				}
			}
		},
		"tests": func(_, v *yaml.Node) {
			if d.kind(v, yaml.SequenceNode, join(path, "tests"), "a list of tests") {
				for i, c := range v.Content {
					if t, ok := d.test(c, fmt.Sprintf("%s.tests[%d]", path, i)); ok {
						r.Tests = append(r.Tests, t)
					}
				}
			}
		},
	}, "id", "title", "severity")
	switch {
	case len(kinds) == 0:
		d.err(n, path, "a rule needs one of match, sequence, threshold, absence or baseline")
		ok = false
	case len(kinds) > 1:
		d.err(n, path, "a rule has one of match, sequence, threshold, absence or baseline, not %s", strings.Join(kinds, " and "))
		ok = false
	default:
		r.Kind = kinds[0]
	}
	if !d.baselineFits(n, path, r) {
		ok = false
	}
	if r.ID != "" && idNode != nil {
		if d.l.ids == nil {
			d.l.ids = map[string]string{}
		}
		if at, dup := d.l.ids[r.ID]; dup {
			d.err(idNode, join(path, "id"), "duplicate rule id %q (first defined at %s)", r.ID, at)
			ok = false
		} else {
			d.l.ids[r.ID] = fmt.Sprintf("%s:%d", d.name, idNode.Line)
		}
	}
	if ok {
		d.l.rules = append(d.l.rules, r)
	}
}

func (d *fileDecoder) sequence(n *yaml.Node, path string) *Sequence {
	s := &Sequence{}
	d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"within": func(_, v *yaml.Node) { d.duration(v, join(path, "within"), &s.Within) },
		"steps": func(_, v *yaml.Node) {
			if !d.kind(v, yaml.SequenceNode, join(path, "steps"), "a list of steps") {
				return
			}
			if len(v.Content) < 2 {
				d.err(v, join(path, "steps"), "a sequence needs at least 2 steps (use match for one)")
			}
			bound := map[string]bool{}
			for i, c := range v.Content {
				sp := fmt.Sprintf("%s.steps[%d]", path, i)
				var st Step
				var ifNode *yaml.Node
				d.mapping(c, sp, map[string]func(k, v *yaml.Node){
					"name": func(_, v *yaml.Node) { d.str(v, join(sp, "name"), &st.Name) },
					"if": func(_, v *yaml.Node) {
						ifNode = v
						st.If, _ = d.expr(v, join(sp, "if"), cel.BoolType, &st.prg)
					},
					"bind": func(_, v *yaml.Node) {
						if !d.kind(v, yaml.MappingNode, join(sp, "bind"), "a mapping of names to string expressions") {
							return
						}
						st.Bind = map[string]string{}
						for j := 0; j+1 < len(v.Content); j += 2 {
							k, e := v.Content[j], v.Content[j+1]
							bp := join(join(sp, "bind"), k.Value)
							if !ruleIDPattern.MatchString(k.Value) || strings.ContainsAny(k.Value, ".-") {
								d.err(k, bp, "invalid name %q (lower-case letters, digits and _)", k.Value)
								continue
							}
							var b binding
							b.name = k.Value
							st.Bind[k.Value], _ = d.expr(e, bp, cel.StringType, &b.prg)
							st.bind = append(st.bind, b)
						}
					},
				}, "if")
				if ifNode != nil {
					for _, name := range varRefs(st.If) {
						if !bound[name] {
							d.err(ifNode, join(sp, "if"), "vars.%s is not bound by an earlier step (bind: {%s: ...})", name, name)
						}
					}
				}
				for name := range st.Bind {
					bound[name] = true
				}
				s.Steps = append(s.Steps, st)
			}
		},
	}, "within", "steps")
	return s
}

var varRefPattern = regexp.MustCompile(`\bvars\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']*)["']\s*\])`)

// varRefs lists the vars an expression names.
func varRefs(expr string) []string {
	var out []string
	for _, m := range varRefPattern.FindAllStringSubmatch(expr, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}

func (d *fileDecoder) threshold(n *yaml.Node, path string) *Threshold {
	t := &Threshold{}
	d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"if":       func(_, v *yaml.Node) { t.If, _ = d.expr(v, join(path, "if"), cel.BoolType, &t.prg) },
		"window":   func(_, v *yaml.Node) { d.duration(v, join(path, "window"), &t.Window) },
		"count":    func(_, v *yaml.Node) { d.integer(v, join(path, "count"), &t.Count) },
		"distinct": func(_, v *yaml.Node) { t.Distinct, _ = d.expr(v, join(path, "distinct"), cel.StringType, &t.distinct) },
		"sum":      func(_, v *yaml.Node) { t.Sum, _ = d.expr(v, join(path, "sum"), cel.DoubleType, &t.sum) },
		"at_least": func(_, v *yaml.Node) { d.number(v, join(path, "at_least"), &t.AtLeast) },
	}, "if", "window")
	switch {
	case t.Sum != "" && (t.Count != 0 || t.Distinct != ""):
		d.err(n, path, "a threshold is a count (count, optionally distinct) or a sum (sum, at_least), not both")
	case t.Sum != "" && t.AtLeast <= 0:
		d.err(n, path, "a sum threshold needs at_least > 0")
	case t.Sum == "" && t.AtLeast != 0:
		d.err(n, path, "at_least goes with sum; a count threshold uses count")
	case t.Sum == "" && t.Count < 2:
		d.err(n, path, "a count threshold needs count >= 2 (use match for one event)")
	}
	return t
}

func (d *fileDecoder) baseline(n *yaml.Node, path string) *Baseline {
	b := &Baseline{Decisions: []string{"deny", "ask"}}
	d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"decisions": func(_, v *yaml.Node) {
			b.Decisions = nil
			if !d.strList(v, join(path, "decisions"), &b.Decisions) {
				return
			}
			if len(b.Decisions) == 0 {
				d.err(v, join(path, "decisions"), "must list at least one decision (%s)", strings.Join(BaselineDecisions, ", "))
			}
			for i, dec := range b.Decisions {
				if !slices.Contains(BaselineDecisions, dec) {
					d.err(v.Content[i], fmt.Sprintf("%s.decisions[%d]", path, i), "unknown decision %q (want one of %s)", dec, strings.Join(BaselineDecisions, ", "))
				}
			}
		},
		"window":    func(_, v *yaml.Node) { d.duration(v, join(path, "window"), &b.Window) },
		"period":    func(_, v *yaml.Node) { d.duration(v, join(path, "period"), &b.Period) },
		"factor":    func(_, v *yaml.Node) { d.number(v, join(path, "factor"), &b.Factor) },
		"min_count": func(_, v *yaml.Node) { d.integer(v, join(path, "min_count"), &b.MinCount) },
	}, "window", "period", "factor", "min_count")
	switch {
	case b.Window <= 0 || b.Period <= 0:
		// Reported by duration or as missing.
	case b.Window < time.Minute:
		d.err(n, path, "a baseline window must be at least 1m")
	case b.Period%b.Window != 0:
		d.err(n, path, "a baseline period must be a whole number of windows (%s is not a multiple of %s)", b.Period, b.Window)
	case b.Period/b.Window > MaxBaselineWindows:
		d.err(n, path, "a baseline period holds at most %d windows (%s / %s is %d)", MaxBaselineWindows, b.Period, b.Window, b.Period/b.Window)
	}
	if b.Factor != 0 && b.Factor <= 1 {
		d.err(n, path, "a baseline factor must be above 1 (it is how many times the mean fires), got %v", b.Factor)
	}
	if b.MinCount < 0 || b.MinCount == 0 && slices.Contains(nodeKeys(n), "min_count") {
		d.err(n, path, "a baseline min_count must be at least 1")
	}
	return b
}

// baselineFits checks what a baseline rule cannot combine with: it counts
// decisions across the fleet per policy rule, repository or team, so it
// has no session to quarantine or MCP server to revoke; and the keys only
// it can count by.
func (d *fileDecoder) baselineFits(n *yaml.Node, path string, r *Rule) bool {
	switch {
	case r.Baseline == nil && (r.GroupBy == GroupRule || r.GroupBy == GroupTeam):
		d.err(n, join(path, "group_by"), "group_by %q is for baseline rules only", r.GroupBy)
	case r.Baseline != nil && !slices.Contains(BaselineGroupKeys, r.GroupBy):
		d.err(n, join(path, "group_by"), "a baseline rule counts decisions per %s: set group_by to one of them", strings.Join(BaselineGroupKeys, ", "))
	case r.Baseline != nil && (r.Response.Quarantine || r.Response.RevokeMCPServer):
		d.err(n, join(path, "response"), "a baseline rule is about a group across the fleet: it can notify, not quarantine or revoke")
	default:
		return true
	}
	return false
}

func nodeKeys(n *yaml.Node) []string {
	var keys []string
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
	}
	return keys
}

func (d *fileDecoder) absence(n *yaml.Node, path string) *Absence {
	a := &Absence{Within: DefaultAbsenceWithin}
	d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"trigger": func(_, v *yaml.Node) { a.Trigger, _ = d.expr(v, join(path, "trigger"), cel.BoolType, &a.trigger) },
		"expect":  func(_, v *yaml.Node) { a.Expect, _ = d.expr(v, join(path, "expect"), cel.BoolType, &a.expect) },
		"within":  func(_, v *yaml.Node) { d.duration(v, join(path, "within"), &a.Within) },
		"join": func(_, v *yaml.Node) {
			if d.strList(v, join(path, "join"), &a.Join) {
				for i, f := range a.Join {
					if !slices.Contains(stringFields, f) {
						d.err(v.Content[i], fmt.Sprintf("%s.join[%d]", path, i), "cannot join on %q (want a string field of event: %s)", f, strings.Join(stringFields, ", "))
					}
				}
			}
		},
	}, "trigger", "expect")
	return a
}

func (d *fileDecoder) response(n *yaml.Node, path string, r *Response) {
	d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"quarantine": func(_, v *yaml.Node) { d.boolean(v, join(path, "quarantine"), &r.Quarantine) },
		"notify":     func(_, v *yaml.Node) { d.boolean(v, join(path, "notify"), &r.Notify) },
		"revoke_mcp_server": func(_, v *yaml.Node) {
			d.boolean(v, join(path, "revoke_mcp_server"), &r.RevokeMCPServer)
		},
	})
}

func (d *fileDecoder) suppression(n *yaml.Node, path string, r *Rule) {
	var s Suppression
	var expNode *yaml.Node
	ok := d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"when":   func(_, v *yaml.Node) { s.When, _ = d.expr(v, join(path, "when"), cel.BoolType, &s.prg) },
		"owner":  func(_, v *yaml.Node) { d.nonEmpty(v, join(path, "owner"), &s.Owner) },
		"reason": func(_, v *yaml.Node) { d.nonEmpty(v, join(path, "reason"), &s.Reason) },
		"expires": func(_, v *yaml.Node) {
			expNode = v
			var str string
			if d.nonEmpty(v, join(path, "expires"), &str) {
				day, err := policy.ParseDate(str)
				if err != nil {
					d.err(v, join(path, "expires"), "%v", err)
					return
				}
				s.Expires = day.End()
			}
		},
	}, "when", "owner", "reason", "expires")
	if ok && s.prg != nil && !s.Expires.IsZero() {
		_ = expNode
		r.Suppress = append(r.Suppress, s)
	}
}

// WarnExpired adds a warning for every suppression that has expired by
// now: it no longer silences anything and should be removed or renewed.
func (s *Set) WarnExpired(now time.Time) {
	for _, r := range s.Rules {
		for i, x := range r.Suppress {
			if !now.Before(x.Expires) {
				s.Warnings = append(s.Warnings, policy.Warning{File: r.File, Line: r.Line,
					Path: fmt.Sprintf("%s.suppress[%d]", r.ID, i),
					Msg:  fmt.Sprintf("suppression owned by %s expired on %s; remove or renew it", x.Owner, x.Expires.Add(-time.Nanosecond).Format(policy.DateLayout))})
			}
		}
	}
}

func (d *fileDecoder) test(n *yaml.Node, path string) (Test, bool) {
	t := Test{Line: n.Line}
	want := false
	var base time.Time
	ok := d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"name": func(_, v *yaml.Node) { d.nonEmpty(v, join(path, "name"), &t.Name) },
		"events": func(_, v *yaml.Node) {
			if !d.kind(v, yaml.SequenceNode, join(path, "events"), "a list of events") {
				return
			}
			for i, c := range v.Content {
				if evs, ok := d.testEvent(c, fmt.Sprintf("%s.events[%d]", path, i), i); ok {
					t.Events = append(t.Events, evs...)
				}
			}
		},
		"fixture": func(_, v *yaml.Node) {
			if !d.nonEmpty(v, join(path, "fixture"), &t.Fixture) {
				return
			}
			if d.l.fsys == nil {
				d.err(v, join(path, "fixture"), "fixture files are not available here")
				return
			}
			p := path2(d.rel, t.Fixture)
			data, err := readLimited(d.l.fsys, p)
			if err != nil {
				d.err(v, join(path, "fixture"), "read fixture %s: %v", t.Fixture, err)
				return
			}
			evs, err := ParseFixture(data)
			if err != nil {
				d.err(v, join(path, "fixture"), "fixture %s: %v", t.Fixture, err)
				return
			}
			t.Events = append(t.Events, evs...)
		},
		"watermark": func(_, v *yaml.Node) {
			var dur time.Duration
			if d.duration(v, join(path, "watermark"), &dur) {
				base = testBase.Add(dur)
			}
		},
		"want": func(_, v *yaml.Node) {
			want = true
			if v.Kind == yaml.ScalarNode {
				d.integer(v, join(path, "want"), &t.Want)
				return
			}
			d.mapping(v, join(path, "want"), map[string]func(k, v *yaml.Node){
				"alerts": func(_, v *yaml.Node) { d.integer(v, join(path, "want.alerts"), &t.Want) },
				"events": func(_, v *yaml.Node) { d.strList(v, join(path, "want.events"), &t.WantEvents) },
			}, "alerts")
		},
	}, "name", "want")
	if t.Want < 0 {
		d.err(n, path, "want must not be negative")
		ok = false
	}
	if len(t.Events) == 0 && t.Fixture == "" && ok {
		d.err(n, path, "a test needs events or a fixture")
		ok = false
	}
	t.Watermark = base
	t.Fixture = strings.TrimSpace(t.Fixture)
	return t, ok && want
}

func path2(rel, name string) string {
	return path.Clean(path.Join(path.Dir(filepath.ToSlash(rel)), filepath.ToSlash(name)))
}

// testBase is the time inline test events count from: `at: 90s` is 90
// seconds after it.
var testBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxTestRepeat bounds an inline test event's repeat.
const MaxTestRepeat = 1000

// testEvent decodes an inline test event: the fields of Event (source,
// kind, tool, decision, command, path, ...) plus at (an offset from the
// test's start, such as 30s), id (default e1, e2, ...) and session
// (default s1). A hook event carries its fields in an audit record.
// repeat: N makes N copies, every (default 1s) apart, with ids ID, ID.2,
// ... ID.N: the volume a threshold or baseline rule needs.
func (d *fileDecoder) testEvent(n *yaml.Node, path string, i int) ([]record.Event, bool) {
	if !d.kind(n, yaml.MappingNode, path, "an event mapping") {
		return nil, false
	}
	repeat, every := 1, time.Second
	var a record.AuditEventV1
	e := record.Event{ID: fmt.Sprintf("e%d", i+1), Source: record.SourceHook, SessionID: "s1", Time: testBase}
	str := func(dst *string) func(k, v *yaml.Node) {
		return func(k, v *yaml.Node) { d.str(v, join(path, k.Value), dst) }
	}
	var attrs, resource map[string]any
	ok := d.mapping(n, path, map[string]func(k, v *yaml.Node){
		"id":      str(&e.ID),
		"source":  str(&e.Source),
		"kind":    str(&e.Kind),
		"session": str(&e.SessionID),
		"user":    str(&a.User),
		"at": func(k, v *yaml.Node) {
			var dur time.Duration
			var s string
			if d.str(v, join(path, "at"), &s) {
				if s == "0" || s == "0s" {
					return
				}
				if d.duration(v, join(path, "at"), &dur) {
					e.Time = testBase.Add(dur)
				}
			}
		},
		"device":          str(&a.Host),
		"repository":      str(&a.Repository),
		"branch":          str(&a.Branch),
		"cwd":             str(&a.Cwd),
		"tier":            str(&a.Tier),
		"permission_mode": str(&a.PermissionMode),
		"tool":            str(&a.Tool),
		"tool_use_id":     str(&a.ToolUseID),
		"decision":        str(&a.Decision),
		"rule_id":         str(&a.RuleID),
		"exception":       str(&a.Exception),
		"failure":         str(&a.Failure),
		"command":         str(&a.Command),
		"path":            str(&a.Path),
		"url":             str(&a.URL),
		"mcp_server":      str(&a.MCPServer),
		"mcp_tool":        str(&a.MCPTool),
		"error":           str(&a.Error),
		"hook_source":     str(&a.Source),
		"file_path":       str(&a.FilePath),
		"observed_only":   func(k, v *yaml.Node) { d.boolean(v, join(path, k.Value), &a.ObservedOnly) },
		"unverified": func(k, v *yaml.Node) {
			var reason string
			if d.str(v, join(path, k.Value), &reason) {
				if !slices.Contains(record.UnverifiedReasons, reason) {
					d.err(v, join(path, k.Value), "unverified %q: want one of %s", reason, strings.Join(record.UnverifiedReasons, ", "))
					return
				}
				e.Verification = &record.Verification{Reason: reason}
			}
		},
		"verified": func(k, v *yaml.Node) {
			var ok bool
			if d.boolean(v, join(path, k.Value), &ok) && ok {
				e.Verification = &record.Verification{Verified: true}
			}
		},
		"attrs":    func(k, v *yaml.Node) { attrs = d.anyMap(v, join(path, k.Value)) },
		"resource": func(k, v *yaml.Node) { resource = d.anyMap(v, join(path, k.Value)) },
		"repeat": func(k, v *yaml.Node) {
			if d.integer(v, join(path, k.Value), &repeat) && (repeat < 1 || repeat > MaxTestRepeat) {
				d.err(v, join(path, k.Value), "repeat must be between 1 and %d", MaxTestRepeat)
			}
		},
		"every": func(k, v *yaml.Node) { d.duration(v, join(path, k.Value), &every) },
	}, "kind")
	switch e.Source {
	case record.SourceHook:
		a.Schema, a.EventID, a.Time, a.HookEvent, a.SessionID = record.SchemaAuditV1, e.ID, e.Time, e.Kind, e.SessionID
		if a.Decision == "" {
			a.Decision = record.DecisionNone
		}
		e.UserID, e.Tool, e.Decision, e.Audit = a.User, a.Tool, a.Decision, &a
		e.Attrs, e.Resource = attrs, resource
	case record.SourceOTLP:
		if attrs == nil {
			attrs = map[string]any{}
		}
		set := func(k, v string) {
			if v != "" {
				attrs[k] = v
			}
		}
		set("tool_use_id", a.ToolUseID)
		set("decision", a.Decision)
		set("tool_name", a.Tool)
		set("permission_mode", a.PermissionMode)
		set("server_name", a.MCPServer)
		e.UserID, e.Tool, e.Decision, e.Attrs, e.Resource = a.User, a.Tool, a.Decision, attrs, resource
		if a.Repository != "" || a.Host != "" || a.Tier != "" || a.Command != "" || a.Path != "" || a.RuleID != "" {
			d.err(n, path, "an otlp event carries no repository, device, tier, command, path or rule_id (Claude Code's telemetry has none); put them on the session's hook events")
			ok = false
		}
	default:
		d.err(n, path, "source %q: want hook or otlp", e.Source)
		ok = false
	}
	if !ok || repeat < 1 || repeat > MaxTestRepeat {
		return nil, false
	}
	out := []record.Event{e}
	for j := 2; j <= repeat; j++ {
		c := e
		c.ID = fmt.Sprintf("%s.%d", e.ID, j)
		c.Time = e.Time.Add(time.Duration(j-1) * every)
		if e.Audit != nil {
			a := *e.Audit
			a.EventID, a.Time = c.ID, c.Time
			c.Audit = &a
		}
		if e.Attrs != nil {
			c.Attrs = maps.Clone(e.Attrs)
		}
		out = append(out, c)
	}
	return out, true
}

// anyMap decodes a mapping of scalars (and nested values) to JSON-like Go
// values: numbers as float64, as stored events hold them.
func (d *fileDecoder) anyMap(n *yaml.Node, path string) map[string]any {
	if !d.kind(n, yaml.MappingNode, path, "a mapping") {
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.err(n, path, "%v", err)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		d.err(n, path, "%v", err)
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		d.err(n, path, "%v", err)
		return nil
	}
	return m
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	}
	return "a string"
}
