package settings

import (
	"fmt"
	"sort"
	"strings"
)

// Kinds of report findings.
const (
	// KindHookOnly: the rule (or one pattern of it) is not in the managed
	// settings at all; only `warden hook` enforces it.
	KindHookOnly = "hook-only"
	// KindPartial: native rules cover part of the rule; the hook enforces
	// the rest.
	KindPartial = "partial"
	// KindStricter: the native form covers slightly more than the rule,
	// because native rules have no exceptions; reported so nobody is
	// surprised by a refusal.
	KindStricter = "stricter"
	// KindNote: something about the compiled settings worth knowing.
	KindNote = "note"
)

// Finding is one line of a compile report.
type Finding struct {
	// Rule is the rule id (commands.egress, paths.secrets, web.default,
	// mcp.servers.NAME, conditions.ID, ...) or a topic (telemetry).
	Rule   string `json:"rule"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Report says what a compilation could not put into managed settings, so
// that nothing is dropped silently.
type Report struct {
	Policy   string    `json:"policy"`
	Revision string    `json:"revision"`
	Tier     string    `json:"tier"`
	Rules    int       `json:"native_rules"`
	Deny     int       `json:"deny"`
	Ask      int       `json:"ask"`
	Allow    int       `json:"allow"`
	Findings []Finding `json:"findings"`
}

func (r *Report) add(rule, kind, detail string) {
	r.Findings = append(r.Findings, Finding{Rule: rule, Kind: kind, Detail: detail})
}

var kindOrder = map[string]int{KindHookOnly: 0, KindPartial: 1, KindStricter: 2, KindNote: 3}

func (r *Report) sort() {
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if kindOrder[a.Kind] != kindOrder[b.Kind] {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		return a.Rule < b.Rule
	})
}

// Count returns how many findings are of kind.
func (r *Report) Count(kind string) int {
	n := 0
	for _, f := range r.Findings {
		if f.Kind == kind {
			n++
		}
	}
	return n
}

// Text is the report as printed by `warden compile` and written to
// ReportFile.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Warden compile report: policy %s revision %s, tier %s\n", r.Policy, r.Revision, r.Tier)
	fmt.Fprintf(&b, "Native permission rules: %d (deny %d, ask %d, allow %d)\n", r.Rules, r.Deny, r.Ask, r.Allow)
	sections := []struct{ kind, title string }{
		{KindHookOnly, "Enforced by the hook only (Claude Code's native rules cannot express them):"},
		{KindPartial, "Compiled in part (the hook enforces the rest):"},
		{KindStricter, "Compiled more strictly than the policy (native rules have no exceptions):"},
		{KindNote, "Notes:"},
	}
	for _, s := range sections {
		if r.Count(s.kind) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", s.title)
		for _, f := range r.Findings {
			if f.Kind == s.kind {
				fmt.Fprintf(&b, "  %s: %s\n", f.Rule, f.Detail)
			}
		}
	}
	return b.String()
}
