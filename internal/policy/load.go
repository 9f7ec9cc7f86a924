package policy

import (
	"reflect"

	"github.com/wardenhq/warden/internal/yamltree"
)

// MaxFileSize bounds the size of a policy file.
const MaxFileSize = 4 << 20

// Decode decodes and validates one policy document: data is the
// document (errors quote its lines), root and parseErr what a YAML parser
// made of it (yamlfile.Parse: the root node, nil for an empty document).
// internal/policyfile.Parse does both; the YAML parser lives there so that
// warden-hook, which links this package, links no YAML library. name is
// the file name used in errors and kept as Policy.File. Decoding is
// strict: unknown keys, duplicate keys and values of the wrong kind are
// errors. On failure the error is an *Errors listing every problem found
// (up to MaxErrors), sorted by position, and the Policy is nil.
func Decode(name string, data []byte, root *yamltree.Node, parseErr error) (*Policy, error) {
	p, l := decode(name, data, root, parseErr)
	if p != nil {
		p.validate(l)
	}
	if err := l.result(); err != nil {
		return nil, err
	}
	return p, nil
}

// decode builds a Policy from the document, collecting problems in the
// returned list; the Policy is nil when the document is not a YAML mapping.
func decode(name string, data []byte, root *yamltree.Node, parseErr error) (p *Policy, l *errorList) {
	m := newMeta(data)
	l = newErrorList(name, m)
	if parseErr != nil {
		line, msg := yamltree.ErrorLine(parseErr)
		l.at(Pos{Line: line}, "", "%s", msg)
		return nil, l
	}
	if root == nil {
		l.at(Pos{}, "", "empty policy file (start from `warden policy show baseline`)")
		return nil, l
	}
	if root.Kind != yamltree.MappingNode {
		l.at(Pos{root.Line, root.Column}, "", "a policy is a mapping of fields (version, name, tiers, ...), got %s", kindName(root))
		return nil, l
	}
	p = &Policy{File: name, meta: m}
	d := &decoder{errs: l, meta: m, expanded: map[*yamltree.Node]bool{}}
	d.value(root, reflect.ValueOf(p).Elem(), "")
	return p, l
}
