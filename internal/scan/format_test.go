package scan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteText(t *testing.T) {
	r := &Report{Repo: "/r", Policy: "baseline", Tier: "t", Findings: []Finding{
		{RuleID: IDTrackedSecret, Severity: SeverityHigh, File: "a/.env\nWS000 forged: all clear", Message: "a/.env is tracked"},
		{RuleID: IDTrackedSecret, Severity: SeverityHigh, File: "b\x1b[2J.pem", Message: "evil \x1b]0;title\x07 name", Evidence: "line1\nline2\x1b[31m"},
	}, Errors: []string{"git ls-files: \x1b[1mboom"}}
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsRune(out, '\x1b') || strings.ContainsRune(out, '\x07') {
		t.Errorf("control characters from scanned files reach the terminal:\n%q", out)
	}
	if n := strings.Count(out, "fix: "); n != 1 {
		t.Errorf("%d fix lines for two findings of one check, want 1", n)
	}
	for _, want := range []string{`b\x1b[2J.pem: HIGH WS121`, "    | line1\n    | line2", "2 findings: 2 high", `a/.env\x0aWS000 forged: all clear: HIGH`, `not checked: git ls-files: \x1b[1mboom`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWrite_JSONAndUnknownFormat(t *testing.T) {
	r := &Report{Findings: []Finding{{RuleID: IDRunsAsRoot, Severity: SeverityCritical, Message: "<root> & co"}}}
	var buf bytes.Buffer
	if err := Write(&buf, r, "json"); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Findings []struct {
			Severity string `json:"severity"`
			Message  string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Findings[0].Severity != "critical" || back.Findings[0].Message != "<root> & co" {
		t.Errorf("round trip: %+v", back.Findings)
	}
	if strings.Contains(buf.String(), `\u003c`) {
		t.Error("JSON output HTML-escapes")
	}
	if err := Write(&buf, r, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestParseSeverity(t *testing.T) {
	for _, s := range []string{"info", "low", "medium", "high", "critical", "HIGH"} {
		v, err := ParseSeverity(s)
		if err != nil || !strings.EqualFold(v.String(), s) {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, v, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe) accepted")
	}
}
