package policy

import (
	"fmt"
	"sort"
	"strings"
)

// MaxErrors caps how many errors one Parse or Validate reports; the rest are
// counted in Errors.More.
const MaxErrors = 50

// Error is one problem in a policy file, located at the key or value it is
// about. Line and Col are 1-based; 0 means unknown (for example in a Policy
// built in Go rather than parsed).
type Error struct {
	File string
	Line int
	Col  int
	// Path is the field path ("tiers[1].commands.classes.egres"); "" for
	// problems with the document as a whole.
	Path string
	Msg  string
	// Source is the text of line Line, for Pretty; "" when unknown.
	Source string
}

// Error returns "file:line:col: path: message".
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(location(e.File, e.Line, e.Col))
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Pretty returns Error() followed, when the source line is known, by that
// line and a caret under the column (cel-go and mvdan/sh style).
func (e Error) Pretty() string {
	s := e.Error()
	if e.Source == "" || e.Line == 0 {
		return s
	}
	gutter := fmt.Sprintf("%5d | ", e.Line)
	var caret strings.Builder
	caret.WriteString(strings.Repeat(" ", len(gutter)-2))
	caret.WriteString("| ")
	// Keep tabs so the caret lines up under tab-indented text.
	col := 1
	for _, r := range e.Source {
		if col >= e.Col {
			break
		}
		if r == '\t' {
			caret.WriteByte('\t')
		} else {
			caret.WriteByte(' ')
		}
		col++
	}
	caret.WriteByte('^')
	return s + "\n" + gutter + e.Source + "\n" + caret.String()
}

func location(file string, line, col int) string {
	if file == "" {
		file = "<policy>"
	}
	switch {
	case line == 0:
		return file + ": "
	case col == 0:
		return fmt.Sprintf("%s:%d: ", file, line)
	default:
		return fmt.Sprintf("%s:%d:%d: ", file, line, col)
	}
}

// Errors is every problem found in one policy, sorted by position. Parse,
// LoadFile and Validate return it as their error (use errors.As to get it).
type Errors struct {
	List []Error
	// More counts errors found beyond MaxErrors and not listed.
	More int
}

// Error lists every error on its own line.
func (e *Errors) Error() string {
	lines := make([]string, 0, len(e.List)+1)
	for _, x := range e.List {
		lines = append(lines, x.Error())
	}
	if e.More > 0 {
		lines = append(lines, fmt.Sprintf("too many errors (%d more not shown)", e.More))
	}
	return strings.Join(lines, "\n")
}

// Pretty lists every error with its source line and a caret.
func (e *Errors) Pretty() string {
	lines := make([]string, 0, len(e.List)+1)
	for _, x := range e.List {
		lines = append(lines, x.Pretty())
	}
	if e.More > 0 {
		lines = append(lines, fmt.Sprintf("too many errors (%d more not shown)", e.More))
	}
	return strings.Join(lines, "\n")
}

// Warning is a finding that does not make a policy invalid, such as an
// exception that expires soon. It is located like an Error.
type Warning struct {
	File   string
	Line   int
	Col    int
	Path   string
	Msg    string
	Source string
}

// String returns "file:line:col: path: message".
func (w Warning) String() string { return Error(w).Error() }

// Pretty returns String() with the source line and a caret.
func (w Warning) Pretty() string { return Error(w).Pretty() }

// errorList collects errors while decoding and validating.
type errorList struct {
	file  string
	meta  *meta
	list  []Error
	paths map[string]bool // paths that already have an error, to avoid cascades
}

func newErrorList(file string, m *meta) *errorList {
	return &errorList{file: file, meta: m, paths: map[string]bool{}}
}

// at adds an error at an explicit position.
func (l *errorList) at(p Pos, path, format string, args ...any) {
	l.list = append(l.list, Error{File: l.file, Line: p.Line, Col: p.Col, Path: path, Msg: fmt.Sprintf(format, args...)})
	if path != "" {
		l.paths[path] = true
	}
}

// add adds an error about the value at path, located through the policy's
// recorded positions (the value's own, else the nearest enclosing one).
func (l *errorList) add(path, format string, args ...any) {
	if l.has(path) {
		return
	}
	l.at(l.meta.valuePos(path), path, format, args...)
}

// key adds an error about a mapping key (unknown class, duplicate id).
func (l *errorList) key(path, format string, args ...any) {
	if l.has(path) {
		return
	}
	l.at(l.meta.keyPos(path), path, format, args...)
}

// has reports whether path or one of its parents already has an error.
func (l *errorList) has(path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if l.paths[p] {
			return true
		}
	}
	return false
}

// result sorts, caps and attaches source lines; nil when there are none.
func (l *errorList) result() error {
	if len(l.list) == 0 {
		return nil
	}
	sort.SliceStable(l.list, func(i, j int) bool {
		a, b := l.list[i], l.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	errs := &Errors{List: l.list}
	if len(errs.List) > MaxErrors {
		errs.More = len(errs.List) - MaxErrors
		errs.List = errs.List[:MaxErrors]
	}
	for i := range errs.List {
		errs.List[i].Source = l.meta.line(errs.List[i].Line)
	}
	return errs
}

// parentPath strips the last element of a field path:
// "a.b[2].c" → "a.b[2]" → "a.b" → "a" → "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}
