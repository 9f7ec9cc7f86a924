package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

func scanReport(host, repo string) record.ScanReportV1 {
	return record.ScanReportV1{
		Schema: record.SchemaScanV1, Host: host, Repository: repo, WardenVersion: "v0.9.0",
		Policy: "baseline", PolicyRevision: "abc123", Tier: "standard", Machine: repo == "",
		ScannedAt: t0,
		Findings: []record.ScanFindingV1{
			{RuleID: "WS101", Severity: "high", Message: "broad allow rule", File: ".claude/settings.json", Line: 5, Column: 7, Evidence: "Bash(*)"},
			{RuleID: "WS111", Severity: "high", Message: "MCP server outside the catalogue", File: ".mcp.json", Line: 7},
			{RuleID: "WS150", Severity: "medium", Message: "git filter driver"},
		},
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestScanReport posts scan reports with every kind of credential and body
// and checks what is stored and answered.
func TestScanReport(t *testing.T) {
	ts := startServer(t)
	dev := ts.enroll(1)
	ingest := ts.newToken(record.ScopeIngest)
	read := ts.newToken(record.ScopeRead)
	good := mustJSON(t, scanReport("laptop-1", "https://github.com/acme/app.git"))
	mutated := func(f func(*record.ScanReportV1)) []byte {
		r := scanReport("laptop-1", "https://github.com/acme/app.git")
		f(&r)
		return mustJSON(t, r)
	}
	tests := []struct {
		name        string
		token       string
		body        []byte
		contentType string
		status      int
		code        string
		msg         string
	}{
		{name: "DeviceCredential", token: dev.credential, body: good, status: http.StatusOK},
		{name: "IngestToken", token: ingest, body: mutated(func(r *record.ScanReportV1) { r.Host = "ci-1" }), status: http.StatusOK},
		{name: "MachineOnly", token: dev.credential, body: mutated(func(r *record.ScanReportV1) { r.Repository, r.Machine = "", true }), status: http.StatusOK},
		{name: "NoToken", body: good, status: http.StatusUnauthorized, code: EUnauthorized},
		{name: "ReadScope", token: read, body: good, status: http.StatusForbidden, code: EForbidden},
		{name: "WrongContentType", token: ingest, body: good, contentType: "text/plain", status: http.StatusUnsupportedMediaType, code: EUnsupportedMedia},
		{name: "NotJSON", token: ingest, body: []byte("{"), status: http.StatusBadRequest, code: EInvalid},
		{name: "TwoObjects", token: ingest, body: append(append([]byte{}, good...), good...), status: http.StatusBadRequest, msg: "data after the object"},
		{name: "UnknownField", token: ingest, body: []byte(`{"schema":"warden.scan.v1","owned":true}`), status: http.StatusBadRequest, msg: "unknown field"},
		{name: "UnknownSeverity", token: ingest, body: mutated(func(r *record.ScanReportV1) { r.Findings[1].Severity = "catastrophic" }), status: http.StatusBadRequest, msg: "findings[1].severity"},
		{name: "BadSchema", token: ingest, body: mutated(func(r *record.ScanReportV1) { r.Schema = "warden.scan.v2" }), status: http.StatusBadRequest, msg: "schema"},
		{name: "LongEvidence", token: ingest, body: mutated(func(r *record.ScanReportV1) {
			r.Findings[0].Evidence = strings.Repeat("x", record.MaxScanEvidence+1)
		}), status: http.StatusBadRequest, msg: "findings[0].evidence"},
		{name: "HostileRuleID", token: ingest, body: mutated(func(r *record.ScanReportV1) { r.Findings[0].RuleID = `"><script>` }), status: http.StatusBadRequest, msg: "rule_id"},
		{name: "TooManyFindings", token: ingest, body: mutated(func(r *record.ScanReportV1) {
			r.Findings = make([]record.ScanFindingV1, record.MaxScanFindings+1)
			for i := range r.Findings {
				r.Findings[i] = record.ScanFindingV1{RuleID: "WS101", Severity: "low", Message: "m"}
			}
		}), status: http.StatusBadRequest, msg: "findings, more than"},
		{name: "BadCheckStatus", token: ingest, body: mutated(func(r *record.ScanReportV1) {
			r.Checks = []record.ScanCheckV1{{RuleID: "WS101", Severity: "high", Status: "skipped"}}
		}), status: http.StatusBadRequest, msg: "checks[0].status"},
		{name: "NegativeLine", token: ingest, body: mutated(func(r *record.ScanReportV1) { r.Findings[0].Line = -1 }), status: http.StatusBadRequest, msg: "line and column"},
		{name: "NoHost", token: ingest, body: mutated(func(r *record.ScanReportV1) { r.Host = " " }), status: http.StatusBadRequest, msg: "host is required"},
		{name: "TooLarge", token: ingest, body: bytes.Repeat([]byte(" "), MaxScanBodyBytes+1), status: http.StatusRequestEntityTooLarge, code: ETooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			r := ts.do("POST", ScansPath, tt.token, tt.body, "Content-Type", ct)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && r.errorCode() != tt.code {
				t.Errorf("code %q, want %q: %s", r.errorCode(), tt.code, r.body)
			}
			if tt.msg != "" && !strings.Contains(string(r.body), tt.msg) {
				t.Errorf("answer lacks %q: %s", tt.msg, r.body)
			}
		})
	}

	// What was stored: the device's two scans, the token's one.
	r := ts.do("GET", "/api/v1/devices/"+dev.id+"/scans", read, nil)
	if r.status != http.StatusOK {
		t.Fatalf("device scans: %d %s", r.status, r.body)
	}
	var list ScanList
	r.json(t, &list)
	if len(list.Scans) != 2 {
		t.Fatalf("device scans = %d, want the repository's and the machine's: %s", len(list.Scans), r.body)
	}
	for _, s := range list.Scans {
		if s.DeviceID != dev.id || s.Reporter != dev.id || !s.Verified || s.ReceivedAt.IsZero() {
			t.Errorf("device scan %+v: want reporter and device %s, verified, with its receipt time", s, dev.id)
		}
	}
	r = ts.do("GET", ScansPath+"?limit=10", read, nil)
	list = ScanList{}
	r.json(t, &list)
	if len(list.Scans) != 3 {
		t.Fatalf("all scans = %d, want 3: %s", len(list.Scans), r.body)
	}
	var byToken *record.DeviceScan
	for i, s := range list.Scans {
		if s.Report.Host == "ci-1" {
			byToken = &list.Scans[i]
		}
	}
	if byToken == nil || byToken.Verified || byToken.DeviceID != "" || !strings.HasPrefix(byToken.Reporter, "tok_") {
		t.Errorf("the ingest token's scan = %+v; want unverified, reported by the token", byToken)
	}

	for _, c := range []struct {
		name, method, path, token string
		status                    int
	}{
		{"DeviceScansUnknown", "GET", "/api/v1/devices/dev_00000000deadbeef/scans", read, http.StatusNotFound},
		{"DeviceScansBadID", "GET", "/api/v1/devices/laptop/scans", read, http.StatusBadRequest},
		{"DeviceScansIngest", "GET", "/api/v1/devices/" + dev.id + "/scans", ingest, http.StatusForbidden},
		{"ScansBadLimit", "GET", ScansPath + "?limit=0", read, http.StatusBadRequest},
		{"ScansUnknownParam", "GET", ScansPath + "?device=x", read, http.StatusBadRequest},
		{"ScansDelete", "DELETE", ScansPath, read, http.StatusMethodNotAllowed},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := ts.do(c.method, c.path, c.token, nil); r.status != c.status {
				t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
			}
		})
	}

	// A revoked device's credential no longer reports.
	admin := ts.newToken(record.ScopeAdmin)
	if r := ts.do("POST", "/api/v1/devices/"+dev.id+"/revoke", admin, nil); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := ts.do("POST", ScansPath, dev.credential, good, "Content-Type", "application/json"); r.status != http.StatusUnauthorized {
		t.Errorf("revoked device reported: %d %s", r.status, r.body)
	}
}

// TestScanReport_Receipt checks the answer's counts and that a later report
// of the same repository replaces the earlier one.
func TestScanReport_Receipt(t *testing.T) {
	ts := startServer(t)
	dev := ts.enroll(2)
	r := ts.do("POST", ScansPath, dev.credential, mustJSON(t, scanReport("h", "repo")), "Content-Type", "application/json")
	var rc ScanReceipt
	r.json(t, &rc)
	if rc.Counts["high"] != 2 || rc.Counts["medium"] != 1 || rc.Counts["critical"] != 0 || !rc.Verified || rc.DeviceID != dev.id {
		t.Errorf("receipt %+v", rc)
	}
	later := scanReport("h", "repo")
	later.Findings = nil
	if r := ts.do("POST", ScansPath, dev.credential, mustJSON(t, later), "Content-Type", "application/json"); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var list ScanList
	ts.do("GET", "/api/v1/devices/"+dev.id+"/scans", ts.newToken(record.ScopeRead), nil).json(t, &list)
	if len(list.Scans) != 1 || len(list.Scans[0].Report.Findings) != 0 || list.Scans[0].ReceivedAt.Before(rc.ReceivedAt) {
		t.Errorf("after a clean rescan: %+v", list.Scans)
	}
}

// FuzzDecodeScanReport: whatever the body, the decoder does not panic, and
// what it accepts is within every limit and survives a round trip.
func FuzzDecodeScanReport(f *testing.F) {
	f.Add(mustJSON(f, scanReport("laptop", "https://github.com/acme/app.git")))
	f.Add(mustJSON(f, scanReport("laptop", "")))
	f.Add([]byte(`{"schema":"warden.scan.v1","host":"h","warden_version":"v","machine":true,"scanned_at":"2026-01-02T03:04:05Z","findings":null}`))
	f.Add([]byte(`{"schema":"warden.scan.v1","host":"h\u0000","findings":[{"rule_id":"A","severity":"high","message":"\u202e","line":1e99}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rep, err := DecodeScanReport(body)
		if err != nil {
			return
		}
		if err := rep.Validate(); err != nil {
			t.Fatalf("accepted a report that does not validate: %v", err)
		}
		if len(rep.Findings) > record.MaxScanFindings || len(rep.Host) > record.MaxScanHostBytes || strings.IndexByte(rep.Host, 0) >= 0 {
			t.Fatalf("accepted a report past a limit: %+v", rep)
		}
		again, err := DecodeScanReport(mustJSON(t, rep))
		if err != nil {
			t.Fatalf("re-encoded report refused: %v", err)
		}
		if len(again.Findings) != len(rep.Findings) || again.Host != rep.Host || !again.ScannedAt.Equal(rep.ScannedAt) {
			t.Fatalf("round trip changed the report: %+v != %+v", again, rep)
		}
	})
}

// TestNoteContact: a device credential's audit posts and scan reports
// stamp the device's last contact and the Warden version its User-Agent
// names; a User-Agent that is not warden/VERSION names none; a token
// that is not a device's notes nothing.
func TestNoteContact(t *testing.T) {
	ts := startServer(t)
	dev := ts.enroll(3)
	version := func() (string, bool) {
		t.Helper()
		acts, err := ts.store.DeviceActivity(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		a, ok := acts[dev.id]
		return a.Version, ok && !a.LastContact.IsZero()
	}
	if _, ok := version(); ok {
		t.Fatal("a contact before any post")
	}
	for _, tt := range []struct {
		name, ua, want string
	}{
		{"Shipper", "warden/v1.2.3", "v1.2.3"},
		{"PseudoVersion", "warden/v0.0.0-20261207120000-abcdef012345+dirty", "v0.0.0-20261207120000-abcdef012345+dirty"},
		{"NotWarden", "curl/8.5.0", ""},
		{"Hostile", `warden/<img src=x onerror=alert(1)>`, ""},
		{"TooLong", "warden/v" + strings.Repeat("9", 80), ""},
		{"Again", "warden/v1.3.0", "v1.3.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			line := dev.sign(t, newAudit("nc-"+tt.name, "nc", t0))
			if r := ts.do("POST", "/v1/audit", dev.credential, line, "Content-Type", ContentTypeNDJSON, "User-Agent", tt.ua); r.status != http.StatusOK {
				t.Fatalf("audit: %d %s", r.status, r.body)
			}
			if got, ok := version(); !ok || got != tt.want {
				t.Errorf("version %q (contact %v), want %q", got, ok, tt.want)
			}
		})
	}
	// The same version within a minute is not written again; after it,
	// it is.
	contact := func() time.Time {
		acts, _ := ts.store.DeviceActivity(context.Background())
		return acts[dev.id].LastContact
	}
	post := func(id string) {
		t.Helper()
		if r := ts.do("POST", "/v1/audit", dev.credential, dev.sign(t, newAudit(id, "nc", t0)), "Content-Type", ContentTypeNDJSON,
			"User-Agent", "warden/v1.3.0"); r.status != http.StatusOK {
			t.Fatalf("audit: %d %s", r.status, r.body)
		}
	}
	before := contact()
	post("nc-same")
	if after := contact(); !after.Equal(before) {
		t.Errorf("a post within the minute wrote the contact again (%v, then %v)", before, after)
	}
	ts.clock.Add(2 * contactEvery)
	post("nc-later")
	if after := contact(); !after.After(before) {
		t.Errorf("a post after the minute did not write the contact (%v, then %v)", before, after)
	}
	// A scan report notes the contact too.
	r := ts.do("POST", ScansPath, dev.credential, mustJSON(t, scanReport("h", "repo")), "Content-Type", "application/json", "User-Agent", "warden/v2.0.0")
	if r.status != http.StatusOK {
		t.Fatalf("scan report: %d %s", r.status, r.body)
	}
	if got, _ := version(); got != "v2.0.0" {
		t.Errorf("after a scan report: version %q, want v2.0.0", got)
	}
	// An ingest token names no device.
	ingest := ts.newToken(record.ScopeIngest)
	ts.do("POST", "/v1/audit", ingest, auditLine(t, newAudit("nc-tok", "nc", t0)), "Content-Type", ContentTypeNDJSON, "User-Agent", "warden/v9.9.9")
	acts, _ := ts.store.DeviceActivity(context.Background())
	if len(acts) != 1 {
		t.Errorf("activity %+v: an ingest token's post noted a device", acts)
	}
}
