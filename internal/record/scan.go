package record

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SchemaScanV1 tags a ScanReportV1.
const SchemaScanV1 = "warden.scan.v1"

// ScanSeverities are the severities a reported finding may have, weakest
// first (the names of package scan's Severity).
var ScanSeverities = []string{"info", "low", "medium", "high", "critical"}

// Limits of a ScanReportV1, in bytes unless said otherwise. A report is
// written by a machine that may be compromised and its evidence is taken
// from scanned repositories: every field is bounded, and the server
// refuses a report past any of them rather than storing part of it.
const (
	MaxScanFindings     = 1000
	MaxScanChecks       = 200
	MaxScanTitleBytes   = 256
	MaxScanErrors       = 50
	MaxScanRuleIDBytes  = 32
	MaxScanMessageBytes = 1024
	MaxScanFileBytes    = 1024
	MaxScanEvidence     = 2048
	MaxScanErrorBytes   = 512
	MaxScanHostBytes    = 255
	MaxScanRepoBytes    = 1024
	MaxScanVersionBytes = 64
	MaxScanPolicyBytes  = 256
	MaxScanTierBytes    = 64
	// MaxScanLine bounds a finding's line and column.
	MaxScanLine = 10_000_000
)

// ScanReportV1 is what `warden scan --report` sends to POST /api/v1/scans:
// the result of one scan of a repository and, or, the machine. It is a wire
// type of its own, not package scan's Report, so that what leaves the
// machine is exactly these fields.
type ScanReportV1 struct {
	Schema string `json:"schema"` // SchemaScanV1
	// Host is the scanning machine's host name.
	Host string `json:"host"`
	// Repository is the scanned repository (its origin remote when it has
	// one, else its root directory); "" for a machine-only scan.
	Repository string `json:"repository,omitempty"`
	// WardenVersion is the version of the warden binary that scanned.
	WardenVersion string `json:"warden_version"`
	// Policy, PolicyRevision and Tier are what the scan judged against.
	Policy         string          `json:"policy,omitempty"`
	PolicyRevision string          `json:"policy_revision,omitempty"`
	Tier           string          `json:"tier,omitempty"`
	Machine        bool            `json:"machine"`
	ScannedAt      time.Time       `json:"scanned_at"`
	Findings       []ScanFindingV1 `json:"findings"`
	// Checks are the checks the scan ran, each passed or failed, so that
	// the server can count what passed as well as what failed.
	Checks []ScanCheckV1 `json:"checks,omitempty"`
	// Errors are checks that could not run.
	Errors []string `json:"errors,omitempty"`
}

// ScanFindingV1 is one finding of a ScanReportV1.
type ScanFindingV1 struct {
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"` // one of ScanSeverities
	Message  string `json:"message"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	// Evidence is text from a scanned file: hostile data.
	Evidence string `json:"evidence,omitempty"`
}

// Statuses of a ScanCheckV1.
const (
	ScanPass = "pass"
	ScanFail = "fail"
)

// ScanCheckV1 is one check a scan ran.
type ScanCheckV1 struct {
	RuleID string `json:"rule_id"`
	Title  string `json:"title"`
	// Severity is the check's default severity (a finding may be graded
	// up or down).
	Severity string `json:"severity"`
	Status   string `json:"status"` // ScanPass or ScanFail
}

// scanRuleID reports whether s has the shape of a check's ID (WS101,
// QC07, ...): a letter, then letters, digits, '.', '_' or '-'.
func scanRuleID(s string) bool {
	for i, c := range []byte(s) {
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')) {
			return false
		}
	}
	return s != ""
}

// Validate reports every way r breaks the schema or a limit (at most 20,
// joined), naming the field: a server calls it on every report.
func (r *ScanReportV1) Validate() error {
	var errs []error
	add := func(format string, a ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	text := func(field, v string, limit int, required bool) {
		switch {
		case required && strings.TrimSpace(v) == "":
			add("%s is required", field)
		case len(v) > limit:
			add("%s is %d bytes, more than %d", field, len(v), limit)
		case !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0:
			add("%s is not UTF-8 text without NUL bytes", field)
		}
	}
	if r.Schema != SchemaScanV1 {
		add("schema %q, want %q", Truncate(r.Schema, 64), SchemaScanV1)
	}
	text("host", r.Host, MaxScanHostBytes, true)
	text("repository", r.Repository, MaxScanRepoBytes, false)
	text("warden_version", r.WardenVersion, MaxScanVersionBytes, true)
	text("policy", r.Policy, MaxScanPolicyBytes, false)
	text("policy_revision", r.PolicyRevision, MaxScanPolicyBytes, false)
	text("tier", r.Tier, MaxScanTierBytes, false)
	if r.Repository == "" && !r.Machine {
		add("a report names a repository, or is of the machine (machine: true)")
	}
	if r.ScannedAt.IsZero() || r.ScannedAt.Year() < 2000 || r.ScannedAt.Year() > 2200 {
		add("scanned_at is required, an RFC 3339 time")
	}
	if len(r.Findings) > MaxScanFindings {
		add("%d findings, more than %d", len(r.Findings), MaxScanFindings)
	} else {
		for i := range r.Findings {
			f := &r.Findings[i]
			p := fmt.Sprintf("findings[%d].", i)
			if len(f.RuleID) > MaxScanRuleIDBytes || !scanRuleID(f.RuleID) {
				add("%srule_id %q is not a check ID (letters, digits, . _ -; at most %d bytes)", p, Truncate(f.RuleID, 40), MaxScanRuleIDBytes)
			}
			if !slices.Contains(ScanSeverities, f.Severity) {
				add("%sseverity %q, want one of %s", p, Truncate(f.Severity, 40), strings.Join(ScanSeverities, ", "))
			}
			text(p+"message", f.Message, MaxScanMessageBytes, true)
			text(p+"file", f.File, MaxScanFileBytes, false)
			text(p+"evidence", f.Evidence, MaxScanEvidence, false)
			if f.Line < 0 || f.Line > MaxScanLine || f.Column < 0 || f.Column > MaxScanLine {
				add("%sline and column are 0 to %d", p, MaxScanLine)
			}
		}
	}
	if len(r.Checks) > MaxScanChecks {
		add("%d checks, more than %d", len(r.Checks), MaxScanChecks)
	} else {
		for i, c := range r.Checks {
			p := fmt.Sprintf("checks[%d].", i)
			if len(c.RuleID) > MaxScanRuleIDBytes || !scanRuleID(c.RuleID) {
				add("%srule_id %q is not a check ID", p, Truncate(c.RuleID, 40))
			}
			if !slices.Contains(ScanSeverities, c.Severity) {
				add("%sseverity %q, want one of %s", p, Truncate(c.Severity, 40), strings.Join(ScanSeverities, ", "))
			}
			if c.Status != ScanPass && c.Status != ScanFail {
				add("%sstatus %q, want %s or %s", p, Truncate(c.Status, 40), ScanPass, ScanFail)
			}
			text(p+"title", c.Title, MaxScanTitleBytes, false)
		}
	}
	if len(r.Errors) > MaxScanErrors {
		add("%d errors, more than %d", len(r.Errors), MaxScanErrors)
	} else {
		for i, e := range r.Errors {
			text(fmt.Sprintf("errors[%d]", i), e, MaxScanErrorBytes, true)
		}
	}
	return errors.Join(errs...)
}

// Bound cuts r's free-text fields to the limits Validate checks (marking
// each cut) and keeps the first MaxScanFindings findings, most severe
// first, so that an honest client's report of a hostile repository is
// accepted; it returns how many findings it left out.
func (r *ScanReportV1) Bound() (omitted int) {
	r.Host = boundText(r.Host, MaxScanHostBytes)
	r.Repository = boundText(r.Repository, MaxScanRepoBytes)
	r.WardenVersion = boundText(r.WardenVersion, MaxScanVersionBytes)
	r.Policy = boundText(r.Policy, MaxScanPolicyBytes)
	r.PolicyRevision = boundText(r.PolicyRevision, MaxScanPolicyBytes)
	r.Tier = boundText(r.Tier, MaxScanTierBytes)
	if len(r.Findings) > MaxScanFindings {
		slices.SortStableFunc(r.Findings, func(a, b ScanFindingV1) int {
			return slices.Index(ScanSeverities, b.Severity) - slices.Index(ScanSeverities, a.Severity)
		})
		omitted = len(r.Findings) - MaxScanFindings
		r.Findings = r.Findings[:MaxScanFindings]
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Message = boundText(f.Message, MaxScanMessageBytes)
		f.File = boundText(f.File, MaxScanFileBytes)
		f.Evidence = boundText(f.Evidence, MaxScanEvidence)
	}
	if len(r.Errors) > MaxScanErrors {
		r.Errors = r.Errors[:MaxScanErrors]
	}
	for i := range r.Errors {
		r.Errors[i] = boundText(r.Errors[i], MaxScanErrorBytes)
	}
	return omitted
}

// boundText makes s valid UTF-8 without NUL bytes (each becomes U+FFFD),
// then cuts it to n bytes.
func boundText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	return Truncate(s, n)
}

// Passed returns how many of r's checks passed per severity (every
// severity of ScanSeverities present).
func (r *ScanReportV1) Passed() map[string]int {
	m := make(map[string]int, len(ScanSeverities))
	for _, s := range ScanSeverities {
		m[s] = 0
	}
	for _, c := range r.Checks {
		if c.Status == ScanPass {
			m[c.Severity]++
		}
	}
	return m
}

// Counts returns how many findings r has per severity (every severity of
// ScanSeverities present, zero or not).
func (r *ScanReportV1) Counts() map[string]int {
	m := make(map[string]int, len(ScanSeverities))
	for _, s := range ScanSeverities {
		m[s] = 0
	}
	for _, f := range r.Findings {
		m[f.Severity]++
	}
	return m
}

// DeviceScan is the latest scan report the server holds for one reporter
// (an enrolled device, or the token a machine that is not enrolled
// reported with), host and repository.
type DeviceScan struct {
	// Reporter is the device ID of a device credential, else the ID of
	// the token the report came with.
	Reporter string `json:"reporter"`
	// DeviceID is the reporting device's ID, "" for a token.
	DeviceID string `json:"device_id,omitempty"`
	// Verified is true when the report came with a device credential: the
	// device is who sent it (its content is still the device's word).
	Verified   bool         `json:"verified"`
	ReceivedAt time.Time    `json:"received_at"`
	Report     ScanReportV1 `json:"report"`
}

// DeviceActivity is what the stored signed audit of one device shows.
// Only events whose envelope names the device and whose signature is its
// key's count (record.Verification.Link): forged envelopes are nobody's.
type DeviceActivity struct {
	DeviceID string `json:"device_id"`
	// Verified and Unverified count its chained events by verification
	// (Unverified: chain gaps, forks, revoked, device mismatch).
	Verified   int64 `json:"verified"`
	Unverified int64 `json:"unverified"`
	// LastSeen is the time of its latest stored event (zero when none is
	// stored, or retention deleted them).
	LastSeen time.Time `json:"last_seen,omitzero"`
	// LastContact is when its credential last posted audit or a scan
	// report, and Version the Warden version its client then named.
	LastContact time.Time `json:"last_contact,omitzero"`
	Version     string    `json:"version,omitempty"`
	// Host, Policy, PolicyVersion and Tier are those of its latest stored
	// event (the policy revision its hook is using).
	Host          string `json:"host,omitempty"`
	Policy        string `json:"policy,omitempty"`
	PolicyVersion string `json:"policy_version,omitempty"`
	Tier          string `json:"tier,omitempty"`
}
