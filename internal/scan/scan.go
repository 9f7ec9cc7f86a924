// Package scan is Warden's configuration scanner: it checks a repository
// (its Claude Code settings, .mcp.json, tracked files, CI workflows and git
// drivers and hooks) and a machine (managed settings, bypass lockdown,
// telemetry, root, credentials in a container, the Claude Code version)
// against a policy and the seeds' checklists, and reports findings as text,
// JSON or SARIF 2.1.0.
//
// The checks are data: one table (Checks) gives each its id, title,
// severity, category, help with the fix and the guidance it comes from;
// one mechanism (Run) runs the functions the table names and locates every
// finding in its file. Everything the scanner reads comes through injectable
// probes (Probe: a file-system root, the environment, a command runner,
// the process table), so tests never depend on the machine they run on.
//
// Boundaries: scan imports policy, engine, catalog, shell and settings to
// judge what it finds by the same knowledge the hook and the compiler use;
// it makes no network calls and touches no storage. Repository content is
// hostile data: it is parsed, never executed, and shown only as evidence.
package scan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings; --fail-on compares against it.
type Severity int

// Severities, weakest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) && s >= 0 {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, error) {
	i := slices.Index(severityNames, strings.ToLower(s))
	if i < 0 {
		return 0, fmt.Errorf("unknown severity %q: want one of %s", s, strings.Join(severityNames, ", "))
	}
	return Severity(i), nil
}

// SARIFLevel maps a severity to SARIF's result level.
func (s Severity) SARIFLevel() string {
	switch {
	case s >= SeverityHigh:
		return "error"
	case s == SeverityMedium:
		return "warning"
	}
	return "note"
}

// Category groups checks.
type Category string

// Categories of checks.
const (
	CategoryPermissions Category = "permissions"
	CategoryHooks       Category = "hooks"
	CategoryMCP         Category = "mcp"
	CategorySecrets     Category = "secrets"
	CategoryCI          Category = "ci"
	CategoryGit         Category = "git"
	CategoryManaged     Category = "managed-settings"
	CategoryTelemetry   Category = "telemetry"
	CategoryIsolation   Category = "isolation"
	CategoryClient      Category = "client"
)

// Scope says what a check looks at.
type Scope string

// Scopes.
const (
	ScopeRepo    Scope = "repository"
	ScopeMachine Scope = "machine"
)

// Finding is one problem found, located when it is in a file.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// File is slash-separated and relative to the scanned repository for
	// repository findings; absolute for machine findings; "" when the
	// finding is not about a file.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"column,omitempty"`
	// Evidence is what was seen: the rule as written, the command line,
	// the diff. Taken from scanned files, it is untrusted text.
	Evidence string `json:"evidence,omitempty"`
}

// Report is the result of one scan.
type Report struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	// Repo is the scanned repository's root ("" for a machine-only scan).
	Repo string `json:"repository,omitempty"`
	// Policy and Tier are what the scan judged against.
	Policy    string    `json:"policy"`
	Revision  string    `json:"policy_revision,omitempty"`
	Tier      string    `json:"tier"`
	Machine   bool      `json:"machine"`
	Findings  []Finding `json:"findings"`
	Checklist []Item    `json:"checklist,omitempty"`
	// Errors are checks that could not run (a file that does not parse is
	// a finding; a git that cannot be started is an error here).
	Errors []string `json:"errors,omitempty"`
}

// Max returns the highest severity among the findings, and false when
// there are none.
func (r *Report) Max() (Severity, bool) {
	if len(r.Findings) == 0 {
		return 0, false
	}
	m := SeverityInfo
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m, true
}

// AtLeast reports whether a finding at or above s exists.
func (r *Report) AtLeast(s Severity) bool {
	m, ok := r.Max()
	return ok && m >= s
}

// sortFindings orders findings by file, position and rule, so output is
// deterministic.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
