//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/fakemodel"
)

// diffProject is the project the differential runs in: the template, with
// the text the Edit rows replace and the files the Read rows read.
func diffProject(t *testing.T, su *suite) string {
	t.Helper()
	tree := su.base.Clone()
	for _, p := range []string{"src/app.py", "README.md", ".github/workflows/ci.yml"} {
		tree[p] = appendLine(tree[p], "# "+diffOld)
	}
	tree["package.json"] = strings.Replace(tree["package.json"], `"private": true,`, `"private": true,`+"\n  \"description\": \""+diffOld+"\",", 1)
	tree["config/secret.yml"] = "token: not-a-secret\n"
	tree["config/.env"] = "DEBUG=1\n"
	dir, err := h.NewProject(context.Background(), "diff", tree)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"notes/todo.md": "- differential\n", "other.txt": "other\n"} {
		if err := h.Scratch.WriteUserFile(filepath.Join(h.Scratch.Home, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// diffInput fills the placeholders of a row's input.
func diffInput(in map[string]any, url, proj string) map[string]any {
	r := strings.NewReplacer(diffURL, url, diffHome, h.Scratch.Home, diffProj, proj)
	out := make(map[string]any, len(in))
	for k, v := range in {
		if s, ok := v.(string); ok {
			v = r.Replace(s)
		}
		out[k] = v
	}
	return out
}

// clientDecision reads the client's decision for a call made with
// diffRules, given the same call in the control session without rules.
func clientDecision(c, control *Call) string {
	switch {
	case c == nil || control == nil:
		return "missing"
	case c.Outcome == OutcomeDeniedByRule:
		return "deny"
	case c.Outcome == OutcomeNotRun && strings.Contains(c.Result, "No such tool available") && control.Outcome != OutcomeNotRun:
		// A deny rule naming a whole tool takes it out of the session.
		return "deny"
	case c.Outcome == OutcomeNeedsApproval && c.PermissionDenied != nil && c.PermissionDenied.DecisionReasonType == "rule":
		return "ask"
	case c.Outcome == OutcomeRan && control.Outcome != OutcomeRan:
		return "allow"
	case c.Outcome == control.Outcome:
		return "none"
	}
	return fmt.Sprintf("unclear (%s, control %s)", c.Outcome, control.Outcome)
}

// honoured reports whether the client carried out Warden's verdict for a
// call of the Warden session, given the control session's call.
func honoured(verdict string, c, control *Call) bool {
	if c == nil || control == nil {
		return false
	}
	switch verdict {
	case "deny":
		return c.Outcome == OutcomeDeniedByHook
	case "ask":
		return c.Outcome == OutcomeAskedByHook
	case "allow":
		return c.Outcome == OutcomeRan && c.HookVerdict() == "allow"
	}
	return c.Outcome == control.Outcome
}

// TestDifferential compares Claude Code's own permission engine with
// Warden's on the same native rules (diffRules) over diffTable. Each chunk
// of the table runs three times, in default mode: with the rules in the
// client's --settings and no hook; with no rules and no hook (the control:
// what default mode does on its own); and with no client rules but
// `warden hook` and a policy whose permissions: section holds the same
// rules. The client's decision is read from the first run against the
// control, Warden's from its audit spool, and both must be what the table
// says; rows where they differ are explained in
// docs/claude-code-differences.md (TestDiffTable_Documented).
func TestDifferential(t *testing.T) {
	su := mustSuite(t)
	proj := diffProject(t, su)
	ln, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	url := "http://" + ln.Addr()

	policy, err := h.WriteConfig("differential.yaml", diffPolicy())
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]Settings{
		"rules":   {SkipWebFetchPreflight: true, Permissions: &diffRules},
		"control": {SkipWebFetchPreflight: true},
		"warden":  HookSettings(Command(su.hook, "--policy", policy), 30),
	}
	kinds := []string{"rules", "control", "warden"}
	paths := map[string]string{}
	for _, k := range kinds {
		if paths[k], err = h.WriteSettings("differential-"+k+".json", sets[k]); err != nil {
			t.Fatal(err)
		}
	}
	var steps []fakemodel.Step
	for _, r := range diffTable {
		steps = append(steps, fakemodel.ToolUse(r.Tool, diffInput(r.Input, url, proj)))
	}
	chunks := Chunk(steps, 28)
	var bs []*batch
	for n, chunk := range chunks {
		for _, k := range kinds {
			b := &batch{opts: SessionOptions{
				Name: fmt.Sprintf("diff-%s-%d", k, n+1), Settings: paths[k], Mode: "default", Dir: proj, Env: sessionEnv, Args: sessionArgs,
				Steps: chunk,
			}}
			mustDiffMCP(t, su, b)
			bs = append(bs, b)
		}
	}
	ss := run(t, bs)

	var rows []string
	for n := range chunks {
		rules, control, warden := ss[3*n], ss[3*n+1], ss[3*n+2]
		if rules == nil || control == nil || warden == nil || rules.Transcript == nil || control.Transcript == nil || warden.Transcript == nil {
			t.Errorf("chunk %d: a session did not run", n+1)
			continue
		}
		evs, err := warden.Spool()
		if err != nil {
			t.Error(err)
			continue
		}
		for i := range chunks[n] {
			r := diffTable[n*28+i]
			cc, ctl, wc := rules.Call(i), control.Call(i), warden.Call(i)
			client := clientDecision(cc, ctl)
			verdict := "missing"
			if ev := preToolUse(evs, warden.Steps[i].ID); ev != nil {
				verdict = ev.Decision
			}
			rows = append(rows, fmt.Sprintf("%-36s client %-6s warden %-6s", r.ID, client, verdict))
			input := compactJSON(rules.Steps[i].Input)
			if client != r.Client || verdict != r.Warden {
				t.Errorf("%s: %s %s: client %s (want %s: %s), Warden %s (want %s)", r.ID, r.Tool, input,
					client, r.Client, describeCall(cc), verdict, r.Warden)
			}
			if !honoured(verdict, wc, ctl) {
				t.Errorf("%s: %s %s: Warden decided %s, yet the client %s (control: %s)", r.ID, r.Tool, input, verdict, describeCall(wc), describeCall(ctl))
			}
		}
	}
	t.Logf("differential table, %d rows:\n%s", len(rows), strings.Join(rows, "\n"))
}

// mustDiffMCP gives b's session the stub MCP servers of the MCP rows.
func mustDiffMCP(t *testing.T, su *suite, b *batch) {
	t.Helper()
	log := filepath.Join(h.Scratch.Spool, "mcp-"+b.opts.Name+".jsonl")
	cfg, err := MCPConfig(su.mcpStub, log, diffMCPServers)
	if err != nil {
		t.Fatal(err)
	}
	path, err := h.WriteConfig("mcp-"+b.opts.Name+".json", cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.opts.Args = append(slices.Clone(b.opts.Args), "--mcp-config", path)
	b.mcpLog = log
}

func describeCall(c *Call) string {
	if c == nil {
		return "no call"
	}
	s := string(c.Outcome)
	if c.PermissionDenied != nil {
		s += " (" + c.PermissionDenied.DecisionReasonType + ")"
	} else if c.ReasonType != "" {
		s += " (" + c.ReasonType + ")"
	}
	return s + ": " + head(c.Result, 160)
}
