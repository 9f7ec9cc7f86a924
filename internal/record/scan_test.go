package record

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func validScan() ScanReportV1 {
	return ScanReportV1{Schema: SchemaScanV1, Host: "h", Repository: "r", WardenVersion: "v1", ScannedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Findings: []ScanFindingV1{{RuleID: "WS101", Severity: "high", Message: "m", File: "f", Line: 1}},
		Checks:   []ScanCheckV1{{RuleID: "WS101", Severity: "high", Status: ScanFail}, {RuleID: "WS121", Severity: "high", Status: ScanPass}}}
}

func TestScanReportV1_Validate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*ScanReportV1)
		want   string // "" for valid
	}{
		{"Valid", func(*ScanReportV1) {}, ""},
		{"MachineOnly", func(r *ScanReportV1) { r.Repository, r.Machine = "", true }, ""},
		{"NoFindings", func(r *ScanReportV1) { r.Findings = nil }, ""},
		{"Schema", func(r *ScanReportV1) { r.Schema = "x" }, "schema"},
		{"NoScope", func(r *ScanReportV1) { r.Repository = "" }, "machine: true"},
		{"NoTime", func(r *ScanReportV1) { r.ScannedAt = time.Time{} }, "scanned_at"},
		{"InvalidUTF8", func(r *ScanReportV1) { r.Repository = "\xff" }, "repository is not UTF-8"},
		{"RuleIDDigitFirst", func(r *ScanReportV1) { r.Findings[0].RuleID = "1WS" }, "rule_id"},
		{"RuleIDSpace", func(r *ScanReportV1) { r.Findings[0].RuleID = "WS 1" }, "rule_id"},
		{"SeverityCase", func(r *ScanReportV1) { r.Findings[0].Severity = "HIGH" }, "severity"},
		{"NoMessage", func(r *ScanReportV1) { r.Findings[0].Message = "" }, "message is required"},
		{"LineTooLarge", func(r *ScanReportV1) { r.Findings[0].Line = MaxScanLine + 1 }, "line and column"},
		{"CheckStatus", func(r *ScanReportV1) { r.Checks[1].Status = "skipped" }, "checks[1].status"},
		{"TooManyChecks", func(r *ScanReportV1) { r.Checks = make([]ScanCheckV1, MaxScanChecks+1) }, "checks, more than"},
		{"EmptyError", func(r *ScanReportV1) { r.Errors = []string{""} }, "errors[0] is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validScan()
			tt.mutate(&r)
			err := r.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestScanReportV1_Bound: whatever a scanned repository put in the
// free-text fields, Bound makes a report that validates, keeping the most
// severe findings.
func TestScanReportV1_Bound(t *testing.T) {
	r := validScan()
	hostile := strings.Repeat("\x00\xffé\u202E", 5000)
	r.Host, r.Repository, r.Policy = hostile, hostile, hostile
	r.Findings = nil
	for i := range MaxScanFindings + 10 {
		sev := "low"
		if i >= MaxScanFindings {
			sev = "critical"
		}
		r.Findings = append(r.Findings, ScanFindingV1{RuleID: "WS101", Severity: sev, Message: hostile, File: hostile, Evidence: hostile})
	}
	r.Errors = make([]string, MaxScanErrors+5)
	for i := range r.Errors {
		r.Errors[i] = hostile
	}
	if n := r.Bound(); n != 10 {
		t.Errorf("Bound left out %d findings, want 10", n)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("bounded report does not validate: %v", err)
	}
	for i := range 10 {
		if r.Findings[i].Severity != "critical" {
			t.Fatalf("finding %d is %s: the critical ones must be kept first", i, r.Findings[i].Severity)
		}
	}
	if !utf8.ValidString(r.Findings[0].Evidence) || !strings.Contains(r.Findings[0].Evidence, "…[") {
		t.Errorf("evidence %q: want valid UTF-8 with the cut marked", r.Findings[0].Evidence[:40])
	}
}
