package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// maxJSONDepth bounds nesting in the files a scan parses: a hostile
// settings file cannot exhaust the stack.
const maxJSONDepth = 64

// maxConfigSize bounds the configuration files a scan reads.
const maxConfigSize = 4 << 20

// Kind is the JSON type of a Node.
type Kind uint8

// JSON value kinds.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// Pos is a 1-based line and column in a file (columns count bytes).
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Node is one JSON value with where it starts. Objects keep their members in
// file order with the position of each key.
type Node struct {
	Kind  Kind
	Pos   Pos
	Str   string // KindString
	Bool  bool   // KindBool
	Num   string // KindNumber, as written
	Items []*Node
	// Members of an object, in file order (a repeated key appears twice;
	// Get returns the last, as encoding/json would keep it).
	Members []Member
}

// Member is one key of an object and its value.
type Member struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// Get returns the value of key in an object (the last one when the key is
// repeated), or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	for i := len(n.Members) - 1; i >= 0; i-- {
		if n.Members[i].Key == key {
			return n.Members[i].Value
		}
	}
	return nil
}

// Member returns the member named key (the last when repeated).
func (n *Node) Member(key string) (Member, bool) {
	if n == nil || n.Kind != KindObject {
		return Member{}, false
	}
	for i := len(n.Members) - 1; i >= 0; i-- {
		if n.Members[i].Key == key {
			return n.Members[i], true
		}
	}
	return Member{}, false
}

// Elems returns the items of an array; nil for anything else, nil included.
func (n *Node) Elems() []*Node {
	if n == nil || n.Kind != KindArray {
		return nil
	}
	return n.Items
}

// Strings returns the string items of an array (others skipped) with their nodes.
func (n *Node) Strings() []*Node {
	if n == nil || n.Kind != KindArray {
		return nil
	}
	var out []*Node
	for _, it := range n.Items {
		if it.Kind == KindString {
			out = append(out, it)
		}
	}
	return out
}

// lineIndex converts byte offsets to 1-based line and column.
type lineIndex []int // offsets at which each line starts

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) pos(off int) Pos {
	i := sort.Search(len(li), func(i int) bool { return li[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return Pos{Line: i + 1, Col: off - li[i] + 1}
}

// SyntaxError is a JSON file that does not parse, located.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

// ParseJSON parses one JSON document, recording where every value and key
// starts. It uses encoding/json's tokenizer (so it accepts exactly what
// Claude Code's JSON.parse-like readers and encoding/json accept, modulo
// duplicate keys, which it keeps) and Decoder.InputOffset for positions.
func ParseJSON(data []byte) (*Node, error) {
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("file larger than %d bytes", maxConfigSize)
	}
	p := &jsonParser{data: data, li: newLineIndex(data), dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	off := p.start()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, &SyntaxError{Pos: p.li.pos(off), Msg: "data after the top-level value"}
	}
	return n, nil
}

type jsonParser struct {
	data []byte
	li   lineIndex
	dec  *json.Decoder
}

// start returns the offset of the next token: InputOffset is the end of the
// previous one; skip white space and the separators the decoder consumes
// implicitly.
func (p *jsonParser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) fail(off int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Pos: p.li.pos(int(se.Offset)), Msg: se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &SyntaxError{Pos: p.li.pos(len(p.data)), Msg: "unexpected end of JSON input"}
	}
	return &SyntaxError{Pos: p.li.pos(off), Msg: err.Error()}
}

func (p *jsonParser) value(depth int) (*Node, error) {
	off := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.fail(off, err)
	}
	return p.fromToken(tok, off, depth)
}

func (p *jsonParser) fromToken(tok json.Token, off, depth int) (*Node, error) {
	n := &Node{Pos: p.li.pos(off)}
	switch t := tok.(type) {
	case nil:
		n.Kind = KindNull
	case bool:
		n.Kind, n.Bool = KindBool, t
	case json.Number:
		n.Kind, n.Num = KindNumber, string(t)
	case string:
		n.Kind, n.Str = KindString, t
	case json.Delim:
		if depth >= maxJSONDepth {
			return nil, &SyntaxError{Pos: n.Pos, Msg: fmt.Sprintf("nested deeper than %d levels", maxJSONDepth)}
		}
		switch t {
		case '[':
			n.Kind = KindArray
			for p.dec.More() {
				it, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, it)
			}
		case '{':
			n.Kind = KindObject
			for p.dec.More() {
				koff := p.start()
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.fail(koff, err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, &SyntaxError{Pos: p.li.pos(koff), Msg: "object key is not a string"}
				}
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Members = append(n.Members, Member{Key: key, KeyPos: p.li.pos(koff), Value: v})
			}
		default:
			return nil, &SyntaxError{Pos: n.Pos, Msg: fmt.Sprintf("unexpected %q", rune(t))}
		}
		end := p.start()
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.fail(end, err)
		}
	default:
		return nil, &SyntaxError{Pos: n.Pos, Msg: fmt.Sprintf("unexpected token %v", tok)}
	}
	return n, nil
}
