package policy

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/yamltree"
)

// Pos is a 1-based line and column in a policy file.
type Pos struct{ Line, Col int }

// meta is what Parse remembers about the source of a Policy: where each value
// and key was written, so validation can point at it.
type meta struct {
	lines []string
	vals  map[string]Pos // field path → position of its value
	keys  map[string]Pos // field path → position of its mapping key
	// styles records how string scalars were written, to map positions
	// inside a CEL expression back to the file.
	styles map[string]yamltree.Style
}

func newMeta(data []byte) *meta {
	return &meta{
		lines:  strings.Split(string(data), "\n"),
		vals:   map[string]Pos{},
		keys:   map[string]Pos{},
		styles: map[string]yamltree.Style{},
	}
}

// valuePos is the position of the value at path, or of the nearest enclosing
// value that was written (a missing field is reported at its parent).
func (m *meta) valuePos(path string) Pos {
	if m == nil {
		return Pos{}
	}
	for p := path; ; p = parentPath(p) {
		if pos, ok := m.vals[p]; ok {
			return pos
		}
		if p == "" {
			return Pos{}
		}
	}
}

// keyPos is the position of the mapping key that introduced path, falling
// back to valuePos.
func (m *meta) keyPos(path string) Pos {
	if m != nil {
		if pos, ok := m.keys[path]; ok {
			return pos
		}
	}
	return m.valuePos(path)
}

// written reports whether the document set the field at path explicitly.
func (m *meta) written(path string) bool {
	if m == nil {
		return false
	}
	_, ok := m.keys[path]
	return ok
}

func (m *meta) line(n int) string {
	if m == nil || n < 1 || n > len(m.lines) {
		return ""
	}
	return strings.TrimRight(m.lines[n-1], "\r")
}

// maxNodes bounds the YAML nodes one document may expand to through aliases.
const maxNodes = 100_000

// decoder fills Go values from yaml.v3 nodes strictly: unknown and duplicate
// keys, wrong kinds and bad scalars are errors located at the offending node.
// It keeps going after an error so that one run reports every problem.
type decoder struct {
	errs     *errorList
	meta     *meta
	nodes    int
	expanded map[*yamltree.Node]bool // aliases being expanded, to catch self-reference
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

func kindName(n *yamltree.Node) string {
	switch n.Kind {
	case yamltree.MappingNode:
		return "a mapping"
	case yamltree.SequenceNode:
		return "a list"
	case yamltree.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

func (d *decoder) errorf(n *yamltree.Node, path, format string, args ...any) {
	d.errs.at(Pos{n.Line, n.Column}, path, format, args...)
}

// resolve follows aliases.
func (d *decoder) resolve(n *yamltree.Node, path string) (*yamltree.Node, bool) {
	for n.Kind == yamltree.AliasNode {
		if n.Alias == nil || d.expanded[n.Alias] {
			d.errorf(n, path, "alias *%s refers to the value that contains it", n.Value)
			return nil, false
		}
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errorf(n, path, "document is too large (more than %d values after expanding aliases)", maxNodes)
		}
		return nil, false
	}
	return n, true
}

func isNull(n *yamltree.Node) bool { return n.Kind == yamltree.ScalarNode && n.ShortTag() == "!!null" }

// value decodes n into v, the field at path.
func (d *decoder) value(n *yamltree.Node, v reflect.Value, path string) {
	alias := n.Kind == yamltree.AliasNode
	n, ok := d.resolve(n, path)
	if !ok {
		return
	}
	if alias {
		d.expanded[n] = true
		defer delete(d.expanded, n)
	}
	d.meta.vals[path] = Pos{n.Line, n.Column}
	if isNull(n) {
		return // an empty value leaves the zero value; Validate reports what is required
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshalerType) {
		if n.Kind != yamltree.ScalarNode {
			d.errorf(n, path, "want a single value, got %s", kindName(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yamltree.ScalarNode {
			d.errorf(n, path, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
		d.meta.styles[path] = n.Style
	case reflect.Int:
		if n.Kind != yamltree.ScalarNode || n.ShortTag() != "!!int" {
			d.errorf(n, path, "want an integer, got %s", kindName(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			d.errorf(n, path, "want an integer, got %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		if n.Kind != yamltree.ScalarNode || n.ShortTag() != "!!bool" {
			d.errorf(n, path, "want true or false, got %s", kindName(n))
			return
		}
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			d.errorf(n, path, "want true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Slice:
		d.slice(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Interface:
		x, ok := d.plain(n, path, 0)
		if ok && x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.errorf(n, path, "cannot decode into %s", v.Type())
	}
}

func (d *decoder) slice(n *yamltree.Node, v reflect.Value, path string) {
	items := n.Content
	if n.Kind == yamltree.ScalarNode && v.Type().Elem().Kind() == reflect.String && d.scalarList(path) {
		items = []*yamltree.Node{n}
	} else if n.Kind != yamltree.SequenceNode {
		d.errorf(n, path, "want a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// scalarList reports whether the list at path may be written as one scalar
// (tiers[i].inherits: "inherits: base" means ["base"]).
func (d *decoder) scalarList(path string) bool {
	return strings.HasPrefix(path, "tiers[") && strings.HasSuffix(path, "].inherits")
}

// pairs returns the key/value pairs of a mapping node, reporting non-scalar,
// merge and duplicate keys.
func (d *decoder) pairs(n *yamltree.Node, path string) [][2]*yamltree.Node {
	if n.Kind != yamltree.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", kindName(n))
		return nil
	}
	seen := map[string]int{}
	var out [][2]*yamltree.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yamltree.ScalarNode {
			d.errorf(k, path, "want a name as mapping key, got %s", kindName(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.errorf(k, path, "YAML merge keys (<<) are not supported; repeat the values or use an alias for the whole value")
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key %q (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, [2]*yamltree.Node{k, val})
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (d *decoder) mapping(n *yamltree.Node, v reflect.Value, path string) {
	if v.Type().Key().Kind() != reflect.String {
		d.errorf(n, path, "cannot decode into %s", v.Type())
		return
	}
	pairs := d.pairs(n, path)
	if pairs == nil && n.Kind != yamltree.MappingNode {
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(pairs))
	for _, kv := range pairs {
		p := join(path, kv[0].Value)
		d.meta.keys[p] = Pos{kv[0].Line, kv[0].Column}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(kv[1], elem, p)
		m.SetMapIndex(reflect.ValueOf(kv[0].Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func (d *decoder) structure(n *yamltree.Node, v reflect.Value, path string) {
	fields := fieldsOf(v.Type())
	for _, kv := range d.pairs(n, path) {
		k := kv[0].Value
		p := join(path, k)
		idx, ok := fields.byName[k]
		if !ok {
			msg := fmt.Sprintf("unknown field %q", k)
			if s := suggest(k, fields.names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += fmt.Sprintf(" (want one of %s)", strings.Join(fields.names, ", "))
			}
			d.errorf(kv[0], p, "%s", msg)
			continue
		}
		d.meta.keys[p] = Pos{kv[0].Line, kv[0].Column}
		d.value(kv[1], v.FieldByIndex(idx), p)
	}
}

// plain converts a node to plain Go values (map[string]any, []any, string,
// int, float64, bool, nil). Timestamps stay strings.
func (d *decoder) plain(n *yamltree.Node, path string, depth int) (any, bool) {
	n, ok := d.resolve(n, path)
	if !ok {
		return nil, false
	}
	if depth > 64 {
		d.errorf(n, path, "value is nested too deeply")
		return nil, false
	}
	d.meta.vals[path] = Pos{n.Line, n.Column}
	switch n.Kind {
	case yamltree.MappingNode:
		m := map[string]any{}
		for _, kv := range d.pairs(n, path) {
			p := join(path, kv[0].Value)
			d.meta.keys[p] = Pos{kv[0].Line, kv[0].Column}
			x, ok := d.plain(kv[1], p, depth+1)
			if !ok {
				return nil, false
			}
			m[kv[0].Value] = x
		}
		return m, true
	case yamltree.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			x, ok := d.plain(item, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if !ok {
				return nil, false
			}
			s = append(s, x)
		}
		return s, true
	case yamltree.ScalarNode:
		return scalarValue(n), true
	}
	d.errorf(n, path, "unexpected YAML node")
	return nil, false
}

func scalarValue(n *yamltree.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		if b, err := strconv.ParseBool(n.Value); err == nil {
			return b
		}
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return int(i)
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	}
	return n.Value
}

// structFields is the YAML view of a struct type: key → field index path,
// with ",inline" structs flattened.
type structFields struct {
	byName map[string][]int
	names  []string // sorted, for messages
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{byName: map[string][]int{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("yaml")
			if tag == "-" || !sf.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			if strings.Contains(opts, "inline") {
				walk(sf.Type, idx)
				continue
			}
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			f.byName[name] = idx
			f.names = append(f.names, name)
		}
	}
	walk(t, nil)
	sort.Strings(f.names)
	fieldCache.Store(t, f)
	return f
}

// suggest returns the candidate closest to s within edit distance 2, or "".
func suggest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Suggest returns the candidate nearest to s by edit distance, for "did
// you mean" hints outside this package (condition field names).
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }

// EditDistance is the edit distance of a and b.
func EditDistance(a, b string) int { return editDistance(a, b) }
