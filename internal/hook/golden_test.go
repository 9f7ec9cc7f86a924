package hook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/golden"

	"github.com/wardenhq/warden/internal/policy"
)

func fixtureFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(golden.Fixtures(tb, ""), "hooks", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatal("no hook fixtures found")
	}
	return files
}

// goldenVerdicts is what the fake engine answers per fixture; unlisted
// fixtures get None. Together they exercise every answer shape.
var goldenVerdicts = map[string]policy.Verdict{
	"pretooluse-bash":                      policy.Allow,
	"pretooluse-bash-env":                  policy.Deny,
	"pretooluse-read":                      policy.Deny,
	"pretooluse-write":                     policy.Ask,
	"pretooluse-edit":                      policy.None,
	"pretooluse-notebookedit":              policy.Allow,
	"pretooluse-webfetch":                  policy.Ask,
	"pretooluse-websearch":                 policy.None,
	"pretooluse-mcp-read":                  policy.Allow,
	"pretooluse-mcp-write":                 policy.Deny,
	"pretooluse-from-managed-hook":         policy.Deny,
	"permissionrequest-mcp":                policy.Deny,
	"posttoolbatch":                        policy.Allow,
	"posttoolbatch-unknown-tool-multiedit": policy.Deny,
	"posttooluse-bash":                     policy.Deny, // recorded only: PostToolUse does not decide
}

// neverRecorded are strings of the fixtures that are content, not
// metadata: prompt text, file contents, Write content, Edit strings, tool
// responses. None may reach the audit spool.
var neverRecorded = []string{
	"WARDEN_CANARY_1234", // .env content in a Read response
	"new file",           // Write content
	`"hello"`, "earth",   // Edit and MultiEdit strings
	"print(",           // NotebookEdit source
	"buy milk",         // MCP tool arguments
	"hello from notes", // MCP response
	"run echo hi",      // the prompt
	"summarise",        // WebFetch prompt
	"nbformat",         // notebook file
	"stdout",           // Bash response
}

var (
	reEventID  = regexp.MustCompile(`"event_id":"[0-9a-f]{32}"`)
	reDuration = regexp.MustCompile(`"duration_us":[0-9]+`)
)

// TestRun_Golden runs every real hook input captured from Claude Code
// 2.1.330 through Run and compares exit code, stdout, stderr, the audit
// lines and the actions the engine was asked about with
// testdata/golden/<fixture>.txtar. Regenerate with -update.
func TestRun_Golden(t *testing.T) {
	files := fixtureFiles(t)
	seen := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		seen[name+".txtar"] = true
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dec := &fakeDecider{verdict: goldenVerdicts[name]}
			meta := testMeta
			meta.BlockConfigChange = true
			h := newHarness(t, dec, meta)
			res := h.run(string(input))

			mustJSON(t, res.stdout)
			mustAuditEvents(t, res.audit)
			audit := strings.Join(res.audit, "\n")
			for _, s := range neverRecorded {
				if strings.Contains(audit, s) {
					t.Errorf("audit records content %q:\n%s", s, audit)
				}
			}
			for i, l := range res.audit {
				l = reEventID.ReplaceAllString(l, `"event_id":"<event_id>"`)
				res.audit[i] = reDuration.ReplaceAllString(l, `"duration_us":0`)
			}
			actions, err := json.MarshalIndent(dec.seen(), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := formatTxtar(
				"Run on shared/fixtures/hooks/"+filepath.Base(file)+
					" with the fake engine answering "+goldenVerdicts[name].String()+".\n",
				"exit", strconv.Itoa(res.code)+"\n",
				"stdout", res.stdout,
				"stderr", res.stderr,
				"audit.jsonl", joinLines(res.audit),
				"actions.json", string(actions)+"\n",
			)
			golden.Compare(t, filepath.Join("testdata", "golden", name+".txtar"), got)
		})
	}
	// A golden without a fixture is stale: the fixture was renamed or removed.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.txtar"))
	for _, g := range goldens {
		if !seen[filepath.Base(g)] {
			if golden.Update() {
				os.Remove(g)
				continue
			}
			t.Errorf("%s has no fixture in shared/fixtures/hooks; remove it or run with -update", g)
		}
	}
}

// formatTxtar writes a txtar archive (golang.org/x/tools/txtar format):
// the comment, then "-- name --" and the data of each file, in order.
func formatTxtar(comment string, files ...string) []byte {
	var b bytes.Buffer
	b.WriteString(comment)
	for i := 0; i+1 < len(files); i += 2 {
		b.WriteString("-- " + files[i] + " --\n")
		data := files[i+1]
		if data != "" && !strings.HasSuffix(data, "\n") {
			data += "\n"
		}
		b.WriteString(data)
	}
	return b.Bytes()
}

func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
