package engine

import (
	"maps"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

// TestEngine_PausedRuleset: under a paused tier's ruleset only Warden's
// self-protection denies: pausing or resuming Warden (by its command or
// by the server's API), killing it, and any access to its state; the
// rest of the policy (force pushes, secrets, egress) has no opinion.
// Outside a pause the same admin commands and API calls are
// warden-tamper too, so the agent cannot lift or set a pause itself.
func TestEngine_PausedRuleset(t *testing.T) {
	p := policy.Baseline()
	rs, err := p.Ruleset("low-risk")
	if err != nil {
		t.Fatal(err)
	}
	const state = "/home/dev/.local/state/warden"
	paused := New(policy.PausedRuleset(rs, state), Options{FS: NoFS{}})
	// Outside a pause, on a tier that lets network programs run: the
	// admin API calls are still denied, as warden-tamper.
	open := *rs
	open.Classes = maps.Clone(rs.Classes)
	open.Classes[policy.ClassEgress] = policy.None
	normal := New(&open, Options{FS: NoFS{}})
	tamper := "commands." + policy.ClassWardenTamper
	for _, tc := range []struct {
		tool, arg string
		paused    string // rule of the paused deny, "" no opinion
		normal    string // rule of the deny outside a pause, "" other or none
	}{
		{"Bash", "warden policy pause --tier ci --until 2h --reason x", tamper, tamper},
		{"Bash", "warden policy resume --tier ci --reason x", tamper, tamper},
		{"Bash", "/usr/local/bin/warden policy resume --tier ci", tamper, tamper},
		{"Bash", `curl -X POST -H "Authorization: Bearer $T" https://warden.acme.example/api/v1/pauses/resume -d '{"tier":"ci"}'`, tamper, tamper},
		{"Bash", `curl -X POST http://127.0.0.1:8080/api/v1/overlays -d @pause.json`, tamper, tamper},
		{"Bash", `wget --method=DELETE https://warden/api/v1/overlays/3`, tamper, tamper},
		{"Bash", "pkill -f warden-hook", tamper, tamper},
		{"Bash", "cat ~/.local/state/warden/device.key", "paths." + policy.PauseStateRule, ""},
		{"Bash", "echo '{}' > ~/.local/state/warden/pause-cache.json", "paths.warden", ""},
		{"Read", state + "/device.key", "paths." + policy.PauseStateRule, ""},
		{"Bash", "git push --force origin main", "", ""},
		{"Read", "/home/dev/app/.env", "", ""},
		{"Bash", "curl https://example.com", "", ""},
		{"Bash", "curl https://warden.acme.example/api/v1/sessions", "", ""},
		{"Bash", "grep -rn /api/v1/overlays internal/", "", ""},
		{"Bash", "warden policy show", "", ""},
	} {
		a := Action{Tool: tc.tool, Cwd: "/home/dev/app", Home: "/home/dev", Repo: "/home/dev/app"}
		if tc.tool == "Bash" {
			a.Command = tc.arg
		} else {
			a.Path = tc.arg
		}
		d := paused.Decide(a)
		if tc.paused == "" {
			if d.Verdict == policy.Deny && policy.IsPausedRule(d.RuleID) {
				t.Errorf("paused %s %q: deny by %s, want no pause-surviving deny", tc.tool, tc.arg, d.RuleID)
			}
		} else if d.Verdict != policy.Deny || d.RuleID != tc.paused {
			t.Errorf("paused %s %q: %v by %s (%s), want deny by %s", tc.tool, tc.arg, d.Verdict, d.RuleID, d.Reason, tc.paused)
		}
		if tc.normal != "" {
			if d := normal.Decide(a); d.Verdict != policy.Deny || d.RuleID != tc.normal {
				t.Errorf("unpaused %s %q: %v by %s, want deny by %s", tc.tool, tc.arg, d.Verdict, d.RuleID, tc.normal)
			}
		}
	}
}
