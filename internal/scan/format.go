package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Formats are the output formats.
var Formats = []string{"text", "json", "sarif"}

// Write writes the report in format.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "json":
		return writeJSON(w, r)
	case "sarif":
		return WriteSARIF(w, r)
	}
	return fmt.Errorf("unknown format %q: want %s", format, strings.Join(Formats, ", "))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// clean makes untrusted text safe for a terminal and for one line:
// control characters (escape sequences, line breaks) are shown escaped.
func clean(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '\t' || !unicode.IsControl(r) {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "\\x%02x", r)
	}
	return b.String()
}

// WriteText writes the report for people: one block per finding, then the
// checklist.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	target := r.Repo
	if r.Machine {
		if target != "" {
			target += " and "
		}
		target += "this machine"
	}
	fmt.Fprintf(&b, "warden scan of %s (policy %s, tier %s)\n\n", clean(target), clean(r.Policy), clean(r.Tier))
	helped := map[string]bool{}
	for _, f := range r.Findings {
		loc := ""
		if f.File != "" {
			loc = clean(f.File)
			if f.Line > 0 {
				loc += fmt.Sprintf(":%d:%d", f.Line, f.Col)
			}
			loc += ": "
		}
		fmt.Fprintf(&b, "%s%s %s: %s\n", loc, strings.ToUpper(f.Severity.String()), f.RuleID, clean(f.Message))
		if f.Evidence != "" {
			for _, ln := range strings.Split(f.Evidence, "\n") {
				fmt.Fprintf(&b, "    | %s\n", clean(ln))
			}
		}
		if ch := CheckByID(f.RuleID); ch != nil && !helped[f.RuleID] {
			helped[f.RuleID] = true // once per check: the same fix for every finding
			fmt.Fprintf(&b, "    fix: %s\n", ch.Help)
		}
		b.WriteString("\n")
	}
	counts := map[Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	var parts []string
	for s := SeverityCritical; s >= SeverityInfo; s-- {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(parts) == 0 {
		b.WriteString("No findings.\n")
	} else {
		fmt.Fprintf(&b, "%d findings: %s\n", len(r.Findings), strings.Join(parts, ", "))
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "not checked: %s\n", clean(e))
	}
	if len(r.Checklist) > 0 {
		b.WriteString("\nChecklist\n")
		src := ""
		for _, it := range r.Checklist {
			if it.Source != src {
				src = it.Source
				fmt.Fprintf(&b, "  %s\n", src)
			}
			fmt.Fprintf(&b, "  [%-7s] %s %s\n            %s\n", it.Status, it.ID, it.Text, clean(it.Evidence))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SARIF 2.1.0 document types: only what Warden writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool                `json:"tool"`
	OriginalURIBaseID map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
	Results           []sarifResult            `json:"results"`
	Invocations       []sarifInvocation        `json:"invocations"`
	Properties        map[string]any           `json:"properties,omitempty"`
}

// sarifInvocation records that the scan ran, and the checks that could not.
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           map[string]any  `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// uriEscape percent-encodes what a relative URI reference cannot hold.
func uriEscape(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		ch := p[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("-._~/!$&'()*+,;=:@", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// WriteSARIF writes the report as a SARIF 2.1.0 log: every check of the
// table as a rule, every finding as a result. Repository files are
// relative to %SRCROOT% (the scanned repository); machine files are
// absolute file URIs.
func WriteSARIF(w io.Writer, r *Report) error {
	drv := sarifDriver{Name: "warden", Version: r.Version, InformationURI: "https://github.com/wardenhq/warden/blob/main/docs/scan.md"}
	index := map[string]int{}
	for i, ch := range checks {
		index[ch.ID] = i
		drv.Rules = append(drv.Rules, sarifRule{
			ID: ch.ID, Name: ch.Name,
			ShortDescription:     sarifText{ch.Title},
			FullDescription:      sarifText{ch.Title + " (" + string(ch.Scope) + " check)"},
			Help:                 sarifText{ch.Help + " Source: " + ch.Seed + "."},
			DefaultConfiguration: sarifRuleConfig{Level: ch.Severity.SARIFLevel()},
			Properties:           map[string]any{"category": string(ch.Category), "scope": string(ch.Scope), "severity": ch.Severity.String(), "tags": []string{"security", string(ch.Category)}},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, Results: []sarifResult{}}
	if r.Repo != "" {
		run.OriginalURIBaseID = map[string]sarifArtifact{"SRCROOT": {URI: fileURI(r.Repo) + "/"}}
	}
	run.Properties = map[string]any{"policy": r.Policy, "tier": r.Tier}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, e := range r.Errors {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{"not checked: " + e}})
	}
	run.Invocations = []sarifInvocation{inv}
	for _, f := range r.Findings {
		res := sarifResult{RuleID: f.RuleID, RuleIndex: index[f.RuleID], Level: f.Severity.SARIFLevel(), Message: sarifText{f.Message},
			Properties: map[string]any{"severity": f.Severity.String()}}
		if f.Evidence != "" {
			res.Properties["evidence"] = f.Evidence
		}
		if f.File != "" {
			loc := sarifLocation{}
			if strings.HasPrefix(f.File, "/") {
				loc.PhysicalLocation.ArtifactLocation = sarifArtifactLocation{URI: fileURI(f.File)}
			} else {
				loc.PhysicalLocation.ArtifactLocation = sarifArtifactLocation{URI: uriEscape(f.File), URIBaseID: "SRCROOT"}
			}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Col}
			}
			res.Locations = []sarifLocation{loc}
		}
		run.Results = append(run.Results, res)
	}
	doc := sarifLog{Schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	return writeJSON(w, doc)
}

func fileURI(abs string) string { return "file://" + uriEscape(abs) }
