package scan

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wardenhq/warden/internal/golden"
)

const sarifSchemaURL = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// mustSARIFSchema compiles the OASIS SARIF 2.1.0 schema committed in
// testdata (see testdata/SARIF-SCHEMA-SOURCE.md).
func mustSARIFSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	if err := c.AddResource(sarifSchemaURL, doc); err != nil {
		tb.Fatal(err)
	}
	sch, err := c.Compile(sarifSchemaURL)
	if err != nil {
		tb.Fatalf("compile SARIF schema: %v", err)
	}
	return sch
}

func validateSARIF(tb testing.TB, sch *jsonschema.Schema, data []byte) error {
	tb.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("SARIF output is not JSON: %v", err)
	}
	return sch.Validate(v)
}

// TestWriteSARIF_DoneWhen is issue 15's "done when": warden scan --format
// sarif on a repository with a broad allow rule, a project MCP server
// outside the catalogue and a CI workflow that bypasses permissions reports
// all three with file and line, in SARIF that the 2.1.0 schema accepts.
func TestWriteSARIF_DoneWhen(t *testing.T) {
	archive, err := os.ReadFile("testdata/repos/done-when.txtar")
	if err != nil {
		t.Fatal(err)
	}
	r := mustScanRepo(t, string(archive), Options{})
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(t, mustSARIFSchema(t), buf.Bytes()); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v\n%s", err, buf.String())
	}

	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		IDBroadAllow:      ".claude/settings.json:5:7",
		IDMCPUncatalogued: ".mcp.json:7:5",
		IDCIBypass:        ".github/workflows/claude.yml:12:86",
	}
	for _, res := range log.Runs[0].Results {
		w, ok := want[res.RuleID]
		if !ok {
			continue
		}
		if len(res.Locations) != 1 {
			t.Errorf("%s: %d locations, want 1", res.RuleID, len(res.Locations))
			continue
		}
		pl := res.Locations[0].PhysicalLocation
		got := pl.ArtifactLocation.URI + ":" + itoa(pl.Region.StartLine) + ":" + itoa(pl.Region.StartColumn)
		if got != w {
			t.Errorf("%s at %s, want %s", res.RuleID, got, w)
		}
		if res.Level != "error" {
			t.Errorf("%s level %s, want error", res.RuleID, res.Level)
		}
		delete(want, res.RuleID)
	}
	for id, w := range want {
		t.Errorf("%s not reported (want at %s)", id, w)
	}

	// The whole document, with the temporary directory replaced.
	out := strings.ReplaceAll(buf.String(), fileURI(r.Repo), "file:///REPO")
	golden.Compare(t, "testdata/done-when.sarif.golden", []byte(out))
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestWriteSARIF_SchemaRejects proves the schema check can fail: a result
// without a message is not SARIF.
func TestWriteSARIF_SchemaRejects(t *testing.T) {
	sch := mustSARIFSchema(t)
	r := &Report{Repo: "/r", Errors: []string{"git ls-files in /r: not a git repository"}, Findings: []Finding{{RuleID: IDBroadAllow, Severity: SeverityHigh, Message: "m", File: "a b.json", Line: 1, Col: 2}}}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(t, sch, buf.Bytes()); err != nil {
		t.Fatalf("valid report rejected: %v", err)
	}
	if !strings.Contains(buf.String(), `"text": "not checked: git ls-files in /r: not a git repository"`) {
		t.Errorf("checks that could not run are not in the invocation:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), `"uri": "a%20b.json"`) {
		t.Errorf("file name not escaped as a URI reference:\n%s", buf.String())
	}
	bad := strings.Replace(buf.String(), `"message": {`, `"note": {`, 1)
	if err := validateSARIF(t, sch, []byte(bad)); err == nil {
		t.Error("a result without a message validated")
	}
	bad = strings.Replace(buf.String(), `"version": "2.1.0"`, `"version": "2.0.0"`, 1)
	if err := validateSARIF(t, sch, []byte(bad)); err == nil {
		t.Error("version 2.0.0 validated")
	}
}

func TestWriteSARIF_MachineFindingsAbsolute(t *testing.T) {
	r := &Report{Machine: true, Findings: []Finding{
		{RuleID: IDManagedDrift, Severity: SeverityHigh, Message: "drift", File: "/etc/claude-code/managed-settings.json", Line: 1, Col: 1},
		{RuleID: IDRunsAsRoot, Severity: SeverityMedium, Message: "root"},
	}}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := validateSARIF(t, mustSARIFSchema(t), buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"uri": "file:///etc/claude-code/managed-settings.json"`) {
		t.Errorf("machine file not an absolute file URI:\n%s", buf.String())
	}
}
