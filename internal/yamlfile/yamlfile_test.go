package yamlfile

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/yamltree"
)

// TestTree: the converted tree has yaml's kinds, resolved short tags,
// styles, values and positions, and an alias refers to the very node its
// anchor names.
func TestTree(t *testing.T) {
	src := "a: &x [1, 'two', ~]\nb: *x\nc: |\n  block\nd: !!str 12\n"
	doc, err := First([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	if doc.Kind != yamltree.DocumentNode || root.Kind != yamltree.MappingNode || root.ShortTag() != "!!map" {
		t.Fatalf("document %v, root %v %s", doc.Kind, root.Kind, root.ShortTag())
	}
	seq, alias := root.Content[1], root.Content[3]
	if seq.Kind != yamltree.SequenceNode || seq.Anchor != "x" || seq.Style&yamltree.FlowStyle == 0 {
		t.Errorf("a: %+v", seq)
	}
	if alias.Kind != yamltree.AliasNode || alias.Alias != seq {
		t.Errorf("b is not an alias of a's very node: %+v", alias)
	}
	for i, want := range []struct{ tag, value string }{{"!!int", "1"}, {"!!str", "two"}, {"!!null", "~"}} {
		if n := seq.Content[i]; n.ShortTag() != want.tag || n.Value != want.value {
			t.Errorf("item %d: %s %q, want %s %q", i, n.ShortTag(), n.Value, want.tag, want.value)
		}
	}
	if c := root.Content[5]; c.Style&yamltree.LiteralStyle == 0 || c.Value != "block\n" || c.Line != 3 {
		t.Errorf("c: %+v", c)
	}
	if d := root.Content[7]; d.ShortTag() != "!!str" {
		t.Errorf("d: tag %s, want !!str", d.ShortTag())
	}
	// Every node's short tag is yaml's own.
	var y yaml.Node
	if err := yaml.Unmarshal([]byte(src), &y); err != nil {
		t.Fatal(err)
	}
	var walk func(a *yaml.Node, b *yamltree.Node)
	walk = func(a *yaml.Node, b *yamltree.Node) {
		if a.ShortTag() != b.ShortTag() || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
			t.Errorf("node at %d:%d differs: %s %q, converted %s %q", a.Line, a.Column, a.ShortTag(), a.Value, b.ShortTag(), b.Value)
			return
		}
		for i := range a.Content {
			walk(a.Content[i], b.Content[i])
		}
	}
	walk(&y, doc)
}

// TestParse: one document, none, a second one refused, a parser panic
// or error returned as an error.
func TestParse(t *testing.T) {
	if n, err := Parse(nil, "a file"); n != nil || err != nil {
		t.Errorf("empty: %v, %v", n, err)
	}
	if n, err := Parse([]byte("a: 1\n"), "a file"); err != nil || n == nil || n.Kind != yamltree.MappingNode {
		t.Errorf("one document: %v, %v", n, err)
	}
	if _, err := Parse([]byte("a: 1\n---\nb: 2\n"), "a policy file"); err == nil || !strings.Contains(err.Error(), "a policy file holds one YAML document") {
		t.Errorf("two documents: %v", err)
	}
	if _, err := First([]byte("a: [1\n")); err == nil {
		t.Error("First accepted broken YAML")
	}
	if line, msg := yamltree.ErrorLine(mustErr(Parse([]byte("a: [1\n"), "x"))); line == 0 || !strings.HasPrefix(msg, "invalid YAML: ") {
		t.Errorf("ErrorLine: %d %q", line, msg)
	}
}

func mustErr(_ *yamltree.Node, err error) error { return err }

// FuzzFirst: any input parses or fails without panicking.
func FuzzFirst(f *testing.F) {
	f.Add([]byte("a: &x [1, *x]\n"))
	f.Add([]byte("tasks:\n  b:\n    cmds: [echo]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		First(data)
		Parse(data, "x")
	})
}
