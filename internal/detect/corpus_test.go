package detect_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/otlp"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/testenv"
)

// TestBuiltin_BenignCorpusQuiet replays each file of the benign corpus
// (testdata/corpus/benign) as one session, in every tier of the baseline:
// every case is decided by the baseline policy, recorded as Warden's hook
// would record it (PreToolUse with its decision and rule), and, unless
// denied, followed by the PostToolUse and Claude Code's tool_result that
// say it ran. The built-in pack must raise no alert: ordinary work, even
// a lot of it, is not an incident.
func TestBuiltin_BenignCorpusQuiet(t *testing.T) {
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../testdata/corpus/benign/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no benign corpus: %v", err)
	}
	p := policy.Baseline()
	tiers := []string{""}
	for _, tr := range p.Tiers {
		tiers = append(tiers, tr.Name)
	}
	cases := 0
	for _, tier := range tiers {
		rs, err := p.Ruleset(tier)
		if err != nil {
			t.Fatal(err)
		}
		eng := engine.New(rs, engine.Options{FS: engine.NoFS{}, Conditions: condition.NewEvaluator(rs)})
		for _, f := range files {
			cs, err := fixture.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			session := fmt.Sprintf("%s/%s", tier, filepath.Base(f))
			evs := replay(eng, session, tier, cs)
			cases += len(cs)
			for _, a := range set.Evaluate(evs, detect.Options{}) {
				t.Errorf("tier %q, %s: rule %s fired on benign work: events %v", tier, filepath.Base(f), a.Rule, a.EventIDs)
			}
		}
	}
	if cases < 500 {
		t.Errorf("replayed %d cases, want the whole benign corpus", cases)
	}
}

// replay turns fixture cases into the events of one session, 20 seconds
// apart.
func replay(eng *engine.Engine, session, tier string, cases []fixture.Case) []record.Event {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var out []record.Event
	for i, c := range cases {
		at := start.Add(time.Duration(i) * 20 * time.Second)
		in := &hookproto.Input{HookEventName: "PreToolUse", ToolName: c.Input.ToolName, ToolInput: c.Input.ToolInput,
			Cwd: c.Input.Cwd, PermissionMode: c.Input.PermissionMode}
		act := hook.ActionFromInput(in, fixture.DefaultHome)
		if act.Repo == "" {
			act.Repo = act.Cwd
		}
		d := eng.Decide(act)
		id := fmt.Sprintf("%s-%d", c.ID, i)
		a := record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: id + "-pre", Time: at, HookEvent: "PreToolUse",
			SessionID: session, ToolUseID: id, User: "dev", Host: "laptop", Repository: "git@example.com:acme/app.git",
			Cwd: act.Cwd, PermissionMode: c.Input.PermissionMode, Tool: act.Tool, Command: record.NormalizeCommand(act.Command),
			Path: act.Path, URL: act.URL, MCPServer: act.MCPServer, MCPTool: act.MCPTool,
			Decision: d.Verdict.String(), RuleID: d.RuleID, Tier: tier}
		if a.PermissionMode == "" {
			a.PermissionMode = "default"
		}
		out = append(out, record.Event{ID: a.EventID, Source: record.SourceHook, Kind: a.HookEvent, Time: at,
			SessionID: session, UserID: a.User, Tool: a.Tool, Decision: a.Decision, Audit: &a})
		if a.Decision == record.DecisionDeny {
			continue
		}
		post := a
		post.EventID, post.HookEvent, post.Time, post.Decision, post.RuleID = id+"-post", "PostToolUse", at.Add(5*time.Second), record.DecisionNone, ""
		out = append(out, record.Event{ID: post.EventID, Source: record.SourceHook, Kind: post.HookEvent, Time: post.Time,
			SessionID: session, UserID: post.User, Tool: post.Tool, Decision: post.Decision, Audit: &post})
		tool := a.Tool
		if strings.HasPrefix(tool, "mcp__") {
			tool = "mcp_tool"
		}
		out = append(out, record.Event{ID: id + "-result", Source: record.SourceOTLP, Kind: "tool_result",
			Time: at.Add(5 * time.Second), SessionID: session, Tool: tool,
			Attrs: map[string]any{"tool_use_id": id, "tool_name": tool, "success": true}})
	}
	return out
}

// TestBuiltin_AttackCorpusFires is the benign test's control: the same
// replay of the attack corpus must raise alerts, so that the quiet above
// is the pack telling benign work apart and not a replay that cannot
// fire.
func TestBuiltin_AttackCorpusFires(t *testing.T) {
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../testdata/corpus/attack/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no attack corpus: %v", err)
	}
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(rs, engine.Options{FS: engine.NoFS{}, Conditions: condition.NewEvaluator(rs)})
	fired := map[string]int{}
	for _, f := range files {
		cs, err := fixture.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range set.Evaluate(replay(eng, filepath.Base(f), "", cs), detect.Options{}) {
			fired[a.Rule]++
		}
	}
	for _, rule := range []string{"paths.sensitive-blocks", "warden.tamper", "chain.denied-retry", "chain.untrusted-to-privileged"} {
		if fired[rule] == 0 {
			t.Errorf("rule %s never fired on the attack corpus (fired: %v)", rule, fired)
		}
	}
	t.Logf("alerts on the attack corpus replay: %v", fired)
}

// TestBuiltin_RealTelemetry runs the pack over the real client's captured
// telemetry (shared/fixtures/otlp, Claude Code 2.1.330, no Warden hook in
// that session): the tool results carry the tool_use_id the absence rule
// joins on, so protection.no-decision fires for each of them, and nothing
// else fires on an ordinary session.
func TestBuiltin_RealTelemetry(t *testing.T) {
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	b := sharedFixture(t, "otlp/logs-http-json.json")
	var data logspb.LogsData
	if err := protojson.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	events, err := otlp.NewDecoder(otlp.Options{}).Logs(&data)
	if err != nil {
		t.Fatal(err)
	}
	results := 0
	var last time.Time
	for _, e := range events {
		if e.Kind == "tool_result" {
			results++
		}
		if e.Time.After(last) {
			last = e.Time
		}
	}
	if results == 0 {
		t.Fatal("the capture has no tool_result")
	}
	fired := map[string]int{}
	for _, a := range set.Evaluate(events, detect.Options{Watermark: last.Add(2 * time.Minute)}) {
		fired[a.Rule]++
	}
	if fired["protection.no-decision"] != results || len(fired) != 1 {
		t.Errorf("fired %v; want protection.no-decision once per tool_result (%d) and nothing else", fired, results)
	}
}

// sharedFixture reads a file of shared/fixtures (the real client's
// captures: $WARDEN_FIXTURES, else the first shared/fixtures above the
// working directory), skipping locally and failing under CI when missing.
func sharedFixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	dir := os.Getenv("WARDEN_FIXTURES")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, "shared", "fixtures")); err == nil && fi.IsDir() {
				dir = filepath.Join(d, "shared", "fixtures")
				break
			}
		}
	}
	if dir == "" {
		testenv.Missing(tb, "shared/fixtures not found; set WARDEN_FIXTURES to run")
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
