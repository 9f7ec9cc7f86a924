package cli

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/testenv"
)

var peerReport = flag.String("peer-report", "", "write the peer-suite disagreements, by class, to this file")

// peerCase is one labelled case of another guard's test suite
// (shared/peer-suites/README.md). They are read from shared/ at test time
// and never copied into this repository.
type peerCase struct {
	Peer    string `json:"peer"`
	Source  string `json:"source"`
	Command string `json:"command"`
	Verdict string `json:"peer_verdict"`
	Note    string `json:"note"`
}

// contextFree keeps the cases whose label does not depend on a peer's
// configuration: dcg's whole-evaluator tiers (corpus, e2e fixtures,
// scenarios, hook JSON), and cc-safety-net rows without env, cwd, args,
// template or strict context.
func contextFree(c peerCase) bool {
	if c.Peer == "destructive_command_guard" {
		return strings.HasPrefix(c.Note, "tier=corpus") || strings.HasPrefix(c.Note, "tier=e2e-fixture") ||
			strings.HasPrefix(c.Note, "tier=scenario") || strings.HasPrefix(c.Note, "input_kind=hook_json")
	}
	for _, s := range []string{"env ", "cwd=", "args=", "template", "strict"} {
		if strings.Contains(c.Note, s) {
			return false
		}
	}
	return true
}

func peerSuiteDir(t *testing.T) string {
	dir := filepath.Join(repoRoot(t), "..", "shared", "peer-suites")
	if _, err := os.Stat(dir); err != nil {
		testenv.Missing(t, fmt.Sprintf("peer suites not found at %s: CI must have shared/ beside the checkout", dir))
	}
	return dir
}

func loadPeer(t *testing.T, path string) []peerCase {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []peerCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var c peerCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// peerDecide decides a peer case: commands as Bash tool calls in the
// fixture directory; dcg's raw hook-JSON cases through the hook decoder.
func peerDecide(eng *engine.Engine, c peerCase) string {
	if strings.HasPrefix(c.Note, "input_kind=hook_json") {
		// Raw hook stdin: Warden fails closed on input it cannot decode.
		in, err := hookproto.Decode(strings.NewReader(c.Command))
		if err != nil {
			return "deny"
		}
		return eng.Decide(hook.ActionFromInput(in, fixture.DefaultHome)).Verdict.String()
	}
	fc := fixture.Case{Input: fixture.Input{ToolName: "Bash", ToolInput: map[string]any{"command": c.Command}, Cwd: fixture.DefaultCwd}}
	return eng.Decide(CaseAction(fc)).Verdict.String()
}

// agrees maps a peer label onto the baseline: a peer block is met by deny
// or ask, a peer allow only by allow or no opinion.
func agrees(peerVerdict, actual string) bool {
	flagged := actual == "deny" || actual == "ask"
	return flagged == (peerVerdict == "block")
}

// TestPeerSuites measures the baseline against the two open guards'
// labels and keeps the agreement from regressing.
func TestPeerSuites(t *testing.T) {
	dir := peerSuiteDir(t)
	eng := baselineEngine(t)
	floors := map[string]float64{"destructive_command_guard.jsonl": 86.5, "cc-safety-net.jsonl": 81.5}
	var report strings.Builder
	for file, floor := range floors {
		cases := loadPeer(t, filepath.Join(dir, file))
		total, agree := 0, 0
		classes := map[string][]string{}
		for _, c := range cases {
			if !contextFree(c) {
				continue
			}
			total++
			actual := peerDecide(eng, c)
			if agrees(c.Verdict, actual) {
				agree++
				continue
			}
			dec := eng.Decide(CaseAction(fixture.Case{Input: fixture.Input{ToolName: "Bash", ToolInput: map[string]any{"command": c.Command}, Cwd: fixture.DefaultCwd}}))
			key := fmt.Sprintf("peer %s, warden %s (%s)", c.Verdict, actual, disagreementClass(c, dec))
			classes[key] = append(classes[key], c.Command)
		}
		share := 100 * float64(agree) / float64(total)
		t.Logf("%s: %d/%d context-free cases agree (%.1f%%)", file, agree, total, share)
		fmt.Fprintf(&report, "## %s: %d/%d agree (%.1f%%)\n\n", file, agree, total, share)
		keys := make([]string, 0, len(classes))
		for k := range classes {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if a, b := len(classes[keys[i]]), len(classes[keys[j]]); a != b {
				return a > b
			}
			return keys[i] < keys[j] // a stable report, to diff between runs
		})
		for _, k := range keys {
			fmt.Fprintf(&report, "- %d × %s\n", len(classes[k]), k)
			for i, cmd := range classes[k] {
				if i == 5 {
					break
				}
				fmt.Fprintf(&report, "    - `%s`\n", strings.ReplaceAll(cmd, "\n", "⏎"))
			}
		}
		report.WriteString("\n")
		if share < floor {
			t.Errorf("%s: agreement %.1f%% fell below %.1f%%", file, share, floor)
		}
	}
	if *peerReport != "" {
		if err := os.WriteFile(*peerReport, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Patterns that group the peer cases Warden leaves silent, for the report;
// docs/peer-suites.md says, class by class, which are deliberate.
var (
	gitDiscard   = regexp.MustCompile(`(?i)\bgit\b.*\b(reset|checkout|restore|clean|stash|branch|switch|rebase|merge|worktree|tag|rm)\b`)
	localDelete  = regexp.MustCompile(`(?i)\b(rm|shred|unlink|rmdir|find|rmtree|rm_rf|remove-item)\b`)
	interpreters = regexp.MustCompile(`^\s*(python3?|node|ruby|perl|php)\b`)
)

// disagreementClass names why Warden and a peer differ: raw hook input that
// Warden refuses to decode; Warden's rule when Warden is stricter; otherwise
// what the silent command is.
func disagreementClass(c peerCase, d engine.Decision) string {
	if strings.HasPrefix(c.Note, "input_kind=hook_json") {
		return "hook input Warden cannot decide (fails closed)"
	}
	if d.RuleID != "" {
		return d.RuleID
	}
	cmd := c.Command
	switch {
	case gitDiscard.MatchString(cmd):
		return "git command the catalogue does not put in local-discard"
	case localDelete.MatchString(cmd):
		return "delete inside the repository or a temporary directory"
	case interpreters.MatchString(cmd):
		return "interpreter code with no shell-out, network, secret or outside delete"
	}
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return "empty"
	}
	return "other: " + filepath.Base(f[0])
}
