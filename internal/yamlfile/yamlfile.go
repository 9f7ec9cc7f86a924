// Package yamlfile parses YAML with go.yaml.in/yaml/v3 into the trees of
// internal/yamltree. It is the one package of the hook's dependencies
// that links the YAML library, and warden-hook does not import it: warden
// passes Parse and First to the policy loader and the engine.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/yamltree"
)

// Document returns the root node of the single document in data (nil when
// there is none); what names the file in the error for a second document
// ("a policy file"). It converts a panic inside the YAML parser into an
// error: policy and rule files are untrusted input.
func Document(data []byte, what string) (root *yaml.Node, err error) {
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

// Parse is Document as a yamltree.Node (a yamltree.Parse).
func Parse(data []byte, what string) (*yamltree.Node, error) {
	root, err := Document(data, what)
	if err != nil || root == nil {
		return nil, err
	}
	return Tree(root), nil
}

// First parses the first document of data as yaml.Unmarshal into a Node
// does (a later document is not read): its document node, whose Content
// is empty for an empty input.
func First(data []byte) (doc *yamltree.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	if n.Kind == 0 {
		return &yamltree.Node{Kind: yamltree.DocumentNode}, nil
	}
	return Tree(&n), nil
}

// Tree converts a yaml.Node and everything under it. Each node is
// converted once, so an alias refers to the very node its anchor is.
func Tree(n *yaml.Node) *yamltree.Node {
	return (&converter{done: map[*yaml.Node]*yamltree.Node{}}).node(n)
}

type converter struct{ done map[*yaml.Node]*yamltree.Node }

func (c *converter) node(n *yaml.Node) *yamltree.Node {
	if n == nil {
		return nil
	}
	if t, ok := c.done[n]; ok {
		return t
	}
	t := &yamltree.Node{Kind: kinds[n.Kind], Style: style(n.Style), Tag: n.ShortTag(), Value: n.Value,
		Anchor: n.Anchor, Line: n.Line, Column: n.Column}
	c.done[n] = t
	t.Alias = c.node(n.Alias)
	if len(n.Content) > 0 {
		t.Content = make([]*yamltree.Node, len(n.Content))
		for i, child := range n.Content {
			t.Content[i] = c.node(child)
		}
	}
	return t
}

var kinds = map[yaml.Kind]yamltree.Kind{
	yaml.DocumentNode: yamltree.DocumentNode,
	yaml.SequenceNode: yamltree.SequenceNode,
	yaml.MappingNode:  yamltree.MappingNode,
	yaml.ScalarNode:   yamltree.ScalarNode,
	yaml.AliasNode:    yamltree.AliasNode,
}

func style(s yaml.Style) yamltree.Style {
	var out yamltree.Style
	for _, p := range [...]struct {
		from yaml.Style
		to   yamltree.Style
	}{
		{yaml.TaggedStyle, yamltree.TaggedStyle}, {yaml.DoubleQuotedStyle, yamltree.DoubleQuotedStyle},
		{yaml.SingleQuotedStyle, yamltree.SingleQuotedStyle}, {yaml.LiteralStyle, yamltree.LiteralStyle},
		{yaml.FoldedStyle, yamltree.FoldedStyle}, {yaml.FlowStyle, yamltree.FlowStyle},
	} {
		if s&p.from != 0 {
			out |= p.to
		}
	}
	return out
}

// Get returns the value of key in the mapping m, nil when m is not a
// mapping or has no such key.
func Get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
