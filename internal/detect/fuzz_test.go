package detect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

var fuzzEvents = []record.Event{
	hookEvent("f1", "s", 0, record.AuditEventV1{Tool: "WebFetch", URL: "https://x.example/a", Decision: "ask", RuleID: "web.default", ToolUseID: "t1"}),
	hookEvent("f2", "s", time.Second, record.AuditEventV1{Tool: "Read", Path: "/home/dev/app/.env", Decision: "deny", RuleID: "paths.secrets", ToolUseID: "t2"}),
	{ID: "f3", Source: record.SourceOTLP, Kind: "tool_result", SessionID: "s", Time: testBase.Add(2 * time.Minute), Attrs: map[string]any{"tool_use_id": "t9", "cost_usd": 1.5}},
}

// FuzzParse feeds arbitrary rule files to Parse. Seeds are the built-in
// pack and the bad files of TestParse_Bad. Properties: Parse never panics;
// it returns a Set or a *policy.Errors of located errors naming the file;
// a Set it returns evaluates events without panicking.
func FuzzParse(f *testing.F) {
	files, err := BuiltinFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, data := range files {
		f.Add(data)
	}
	f.Add([]byte(goodRule))
	f.Add([]byte("rules:\n  - id: s\n    title: T\n    severity: low\n    sequence:\n      within: 1m\n      steps:\n        - if: event.kind == \"a\"\n          bind: {p: event.path}\n        - if: event.path == vars.p\n"))
	f.Add([]byte("rules: [{id: a, title: T, severity: low, threshold: {if: 'true', window: 1m, sum: 'event.attrs.x', at_least: 2}}]"))
	f.Add([]byte("rules: &a\n  - *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse(nil, "fuzz.yaml", data)
		if err != nil {
			var errs *policy.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *policy.Errors: %v", err, err)
			}
			if len(errs.List) == 0 || len(errs.List) > policy.MaxErrors {
				t.Fatalf("%d errors listed", len(errs.List))
			}
			for _, e := range errs.List {
				if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Fatalf("error without file: %q", e.Error())
				}
			}
			_ = errs.Pretty()
			if set != nil {
				t.Fatal("Set returned with errors")
			}
			return
		}
		// Evaluate on a few events of each source rather than the tests:
		// running the pack's 51 tests made each execution 50 times slower.
		_ = set.Evaluate(fuzzEvents, Options{})
		_ = set.MaxWindow()
	})
}
