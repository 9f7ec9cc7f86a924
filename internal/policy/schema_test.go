package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/yamlfile"
	"github.com/wardenhq/warden/internal/yamltree"
)

const docsSchema = "../../docs/policy.schema.json"

func mustSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		tb.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		tb.Fatal(err)
	}
	sch, err := c.Compile(SchemaURL)
	if err != nil {
		tb.Fatalf("compile schema: %v", err)
	}
	return sch
}

// plainYAML converts a YAML document to the JSON-like values the schema
// validator takes, dates kept as strings (as an editor sees them).
func plainYAML(tb testing.TB, data []byte) any {
	tb.Helper()
	root, err := yamlfile.Parse(data, "a policy file")
	if err != nil || root == nil {
		tb.Fatalf("parse YAML: %v", err)
	}
	m := newMeta(data)
	d := &decoder{errs: newErrorList("", m), meta: m, expanded: map[*yamltree.Node]bool{}}
	v, ok := d.plain(root, "", 0)
	if !ok || len(d.errs.list) > 0 {
		tb.Fatalf("convert YAML: %v", d.errs.result())
	}
	return v
}

func TestSchema_Valid(t *testing.T) {
	sch := mustSchema(t)
	files, _ := filepath.Glob("testdata/good/*.yaml")
	inputs := map[string][]byte{"baseline.yaml": baselineYAML}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = data
	}
	for name, data := range inputs {
		t.Run(filepath.Base(name), func(t *testing.T) {
			if err := sch.Validate(plainYAML(t, data)); err != nil {
				t.Errorf("%s does not match the schema:\n%v", name, err)
			}
		})
	}
}

// TestSchema_Rejects checks the schema catches the structural mistakes an
// editor should flag as the user types.
func TestSchema_Rejects(t *testing.T) {
	sch := mustSchema(t)
	base := "version: 1\nname: n\nrevision: r\ndefault_tier: t\n"
	tests := []struct{ name, src string }{
		{"UnknownTopLevelKey", base + "tiers: [{name: t}]\ndney: [Bash]\n"},
		{"UnknownPermissionList", base + "tiers: [{name: t}]\npermissions: {dney: [Bash]}\n"},
		{"UnknownTierKey", base + "tiers: [{name: t, comands: {}}]\n"},
		{"UnknownClass", base + "tiers: [{name: t}]\ncommands: {classes: {egres: deny}}\n"},
		{"BadDecision", base + "tiers: [{name: t}]\ncommands: {classes: {egress: block}}\n"},
		{"BadNativeTool", base + "tiers: [{name: t}]\npermissions: {deny: [Fetch(x)]}\n"},
		{"HostWithScheme", base + "tiers: [{name: t}]\nweb: {allow: [\"https://go.dev\"]}\n"},
		{"ExceptionWithoutOwner", base + "tiers: [{name: t}]\nexceptions: [{id: e, rule: web.default, decision: allow, reason: r, expires: 2099-01-01}]\n"},
		{"ExceptionBadDate", base + "tiers: [{name: t}]\nexceptions: [{id: e, rule: web.default, decision: allow, owner: o, reason: r, expires: next week}]\n"},
		{"ServerURLAndCommand", base + "tiers: [{name: t}]\nmcp: {servers: [{name: s, url: \"https://x\", command: [x]}]}\n"},
		{"NoTiers", base},
		{"WrongVersion", "version: 2\nname: n\nrevision: r\ndefault_tier: t\ntiers: [{name: t}]\n"},
		{"BadSetting", base + "tiers: [{name: t, settings: {sandbx: true}}]\n"},
		{"MemberWithoutClassOrGrammar", base + "tiers: [{name: t}]\ncommands: {members: [{command: deployctl}]}\n"},
		{"MemberBadKind", base + "tiers: [{name: t}]\ncommands: {members: [{command: deployctl, operands: {rest: path}}]}\n"},
		{"MemberBadStyle", base + "tiers: [{name: t}]\ncommands: {members: [{command: deployctl, style: gnuish}]}\n"},
		{"MemberOptionWithoutDash", base + "tiers: [{name: t}]\ncommands: {members: [{command: deployctl, options: [{names: [config], value: read}]}]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sch.Validate(plainYAML(t, []byte(tt.src))); err == nil {
				t.Errorf("schema accepts:\n%s", tt.src)
			}
			if _, err := Parse("s.yaml", []byte(tt.src)); err == nil {
				t.Errorf("Validate accepts what the schema rejects:\n%s", tt.src)
			}
		})
	}
}

// TestSchema_Kinds keeps the schema's kinds those the validator accepts
// (catalog.KindNames).
func TestSchema_Kinds(t *testing.T) {
	var doc struct {
		Defs struct {
			Kind struct {
				Enum []string `json:"enum"`
			} `json:"kind"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := doc.Defs.Kind.Enum, catalog.KindNames(); !slices.Equal(got, want) {
		t.Errorf("schema $defs.kind = %v\nwant catalog.KindNames() = %v", got, want)
	}
}

// TestSchema_DocsCopy keeps docs/policy.schema.json byte-identical to the
// embedded schema (the single source). Rewrite it with -update.
func TestSchema_DocsCopy(t *testing.T) {
	if *update {
		if err := os.WriteFile(docsSchema, schemaJSON, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := os.ReadFile(docsSchema)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./internal/policy -run TestSchema_DocsCopy -update)", err)
	}
	if !bytes.Equal(docs, schemaJSON) {
		t.Errorf("%s differs from internal/policy/policy.schema.json; edit the latter and run: go test ./internal/policy -run TestSchema_DocsCopy -update", docsSchema)
	}
}
