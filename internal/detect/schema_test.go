package detect

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const docsSchema = "../../docs/rules.schema.json"

func mustSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	data, err := os.ReadFile(docsSchema)
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const id = "https://raw.githubusercontent.com/wardenhq/warden/main/docs/rules.schema.json"
	if err := c.AddResource(id, doc); err != nil {
		tb.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		tb.Fatalf("compile schema: %v", err)
	}
	return sch
}

// plain converts YAML to the JSON values the validator takes (dates and
// times stay strings, as an editor sees them).
func plain(tb testing.TB, data []byte) any {
	tb.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		tb.Fatal(err)
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Tag == "!!timestamp" {
			n.Tag = "!!str"
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&n)
	var v any
	if err := n.Decode(&v); err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestSchema_Builtin: every built-in rule file is valid under the
// published schema.
func TestSchema_Builtin(t *testing.T) {
	sch := mustSchema(t)
	files, err := BuiltinFiles()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := sch.Validate(plain(t, data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSchema_Invalid: the schema refuses what the loader refuses for
// structure.
func TestSchema_Invalid(t *testing.T) {
	sch := mustSchema(t)
	for name, src := range map[string]string{
		"UnknownField": strings.Replace(goodRule, "title", "titel", 1),
		"TwoKinds":     goodRule + "    threshold: {if: 'true', window: 1m, count: 2}\n",
		"BadSeverity":  strings.Replace(goodRule, "low", "urgent", 1),
		"SumAndCount":  "rules:\n  - {id: x, title: T, severity: low, threshold: {if: 'true', window: 1m, count: 2, sum: '1.0', at_least: 1}}\n",
	} {
		if err := sch.Validate(plain(t, []byte(src))); err == nil {
			t.Errorf("%s: schema accepted it", name)
		}
		if _, err := Parse(nil, "r.yaml", []byte(src)); err == nil {
			t.Errorf("%s: loader accepted it", name)
		}
	}
}
