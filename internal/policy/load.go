package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the size of a policy file.
const MaxFileSize = 4 << 20

// LoadFile reads, decodes and validates the policy file at path. Problems in
// the document come back as *Errors (every one found, located as
// path:line:col); I/O problems as a wrapped error.
func LoadFile(path string) (*Policy, error) {
	data, err := readPolicyFile(path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes and validates one policy document; name is the file name
// used in errors and kept as Policy.File. Decoding is strict: unknown keys,
// duplicate keys and values of the wrong kind are errors. On failure the
// error is an *Errors listing every problem found (up to MaxErrors), sorted
// by position, and the Policy is nil.
func Parse(name string, data []byte) (*Policy, error) {
	p, l := decode(name, data)
	if p != nil {
		p.validate(l)
	}
	if err := l.result(); err != nil {
		return nil, err
	}
	return p, nil
}

// decode builds a Policy from data, collecting problems in the returned
// list; the Policy is nil when the document is not a YAML mapping.
func decode(name string, data []byte) (p *Policy, l *errorList) {
	m := newMeta(data)
	l = newErrorList(name, m)
	root, err := ParseYAMLDocument(data, "a policy file")
	if err != nil {
		line, msg := YAMLErrorLine(err)
		l.at(Pos{Line: line}, "", "%s", msg)
		return nil, l
	}
	if root == nil {
		l.at(Pos{}, "", "empty policy file (start from `warden policy show baseline`)")
		return nil, l
	}
	if root.Kind != yaml.MappingNode {
		l.at(Pos{root.Line, root.Column}, "", "a policy is a mapping of fields (version, name, tiers, ...), got %s", kindName(root))
		return nil, l
	}
	p = &Policy{File: name, meta: m}
	d := &decoder{errs: l, meta: m, expanded: map[*yaml.Node]bool{}}
	d.value(root, reflect.ValueOf(p).Elem(), "")
	return p, l
}

// ParseYAMLDocument returns the root node of the single document in data
// (nil when there is none); what names the file in the error for a second
// document ("a policy file"). It converts a panic inside the YAML parser
// into an error: policy and rule files are untrusted input. The detection
// rule loader shares it.
func ParseYAMLDocument(data []byte, what string) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("yaml: line %d: %s holds one YAML document, found another", extra.Line, what)
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// YAMLErrorLine splits "yaml: line 3: msg" into 3 and "invalid YAML: msg"
// (0 when the error names no line).
func YAMLErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, text, ok := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); ok && err == nil {
			return n, "invalid YAML: " + text
		}
	}
	return 0, "invalid YAML: " + msg
}
