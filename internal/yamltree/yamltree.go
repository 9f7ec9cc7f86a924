// Package yamltree is a parsed YAML document as a tree of nodes, with no
// YAML parser attached. The packages the hook links (policy, engine) read
// policies, Taskfiles and pnpm workspaces through it, so that warden-hook
// need not link the YAML library: its package init alone (two regular
// expressions and a few hundred allocations) cost every hook call about a
// sixth of its instructions. internal/yamlfile parses bytes into a tree;
// the programs that parse YAML link it and pass its functions in.
package yamltree

import (
	"strconv"
	"strings"
)

// Kind is what a node is.
type Kind uint8

// The kinds of node, as YAML defines them.
const (
	DocumentNode Kind = 1 << iota
	SequenceNode
	MappingNode
	ScalarNode
	AliasNode
)

// Style is how a node was written.
type Style uint8

// The styles of node that matter to readers: a quoted scalar is a string
// whatever it looks like; a literal (|) or folded (>) scalar is a block.
const (
	TaggedStyle Style = 1 << iota
	DoubleQuotedStyle
	SingleQuotedStyle
	LiteralStyle
	FoldedStyle
	FlowStyle
)

// Node is one node of a document. An alias node's Alias is the node it
// refers to, shared: a tree with aliases is a graph, and readers bound
// how far they follow them.
type Node struct {
	Kind  Kind
	Style Style
	// Tag is the node's short tag as the parser resolved it (!!str,
	// !!int, !!null, !!map...), explicit or implied.
	Tag   string
	Value string
	// Anchor is the node's &anchor name, if any.
	Anchor string
	Alias  *Node
	// Content is a document's root, a sequence's items or a mapping's
	// keys and values in turn.
	Content      []*Node
	Line, Column int
}

// ShortTag is the node's resolved short tag.
func (n *Node) ShortTag() string { return n.Tag }

// Parse parses the single YAML document in data into its root node (nil
// for an empty document); what names the file in the error for a second
// document. internal/yamlfile.Parse is the implementation.
type Parse func(data []byte, what string) (*Node, error)

// ErrorLine splits a parser error "yaml: line 3: msg" into 3 and
// "invalid YAML: msg" (0 when the error names no line).
func ErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, text, ok := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); ok && err == nil {
			return n, "invalid YAML: " + text
		}
	}
	return 0, "invalid YAML: " + msg
}
