package cli

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/store"
)

// TestScanCmd_Report sends scan results to a real server: with the
// enrolled device's credential (stored verified, per device), with an
// ingest token when not enrolled (unverified), and refuses clearly when
// there is no server or no credential, when the device was revoked, and
// when the credential would go to a server it was not enrolled with.
func TestScanCmd_Report(t *testing.T) {
	url, st := startWarden(t)
	repo := scanRepo(t, "done-when.txtar")
	home := t.TempDir()
	enrollEnv := map[string]string{"HOME": home, "TOK": enrollToken(t, st)}
	if code, stdout, stderr := runCLI(t, enrollEnv, "", "enroll", "--server", url, "--token-env", "TOK", "--name", "scan-laptop"); code != ExitOK {
		t.Fatalf("enroll: exit %d\n%s%s", code, stdout, stderr)
	}
	devices, err := st.ListDevices(context.Background())
	if err != nil || len(devices) != 1 {
		t.Fatalf("devices %+v %v", devices, err)
	}
	dev := devices[0]
	ingest, tok, err := server.NewToken(rand.Reader, "ci", []string{record.ScopeIngest}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	read, rtok, _ := server.NewToken(rand.Reader, "reader", []string{record.ScopeRead}, time.Now())
	if err := st.CreateToken(context.Background(), rtok); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout string
		stderr []string
	}{
		{name: "EnrolledDevice", env: map[string]string{"HOME": home},
			args: []string{"scan", "--report", "--format", "json", repo}, code: ExitFailure, // high findings
			stdout: `"rule_id": "WS131"`, stderr: []string{"Reported to " + url + " as device " + dev.ID, "high"}},
		{name: "IngestTokenNotEnrolled", env: map[string]string{"HOME": t.TempDir(), "WARDEN_SERVER": url, "WARDEN_TOKEN": ingest},
			args: []string{"scan", "--report", "--fail-on", "none", repo}, code: ExitOK,
			stderr: []string{"as token tok_", "unverified"}},
		{name: "TokenFlag", env: map[string]string{"HOME": t.TempDir()},
			args: []string{"scan", "--report", "--server", strings.TrimPrefix(url, "http://"), "--token", ingest, "--fail-on", "none", repo}, code: ExitOK,
			stderr: []string{"Reported to " + url}},
		{name: "NoServer", env: map[string]string{"HOME": t.TempDir()},
			args: []string{"scan", "--report", repo}, code: ExitUsage, stderr: []string{"no server to report to", "warden enroll"}},
		{name: "NoCredential", env: map[string]string{"HOME": t.TempDir()},
			args: []string{"scan", "--report", "--server", url, repo}, code: ExitUsage,
			stderr: []string{"no credential for " + url, "warden enroll --server", "--scope ingest"}},
		{name: "CredentialStaysWithItsServer", env: map[string]string{"HOME": home},
			args: []string{"scan", "--report", "--server", "http://127.0.0.1:9", repo}, code: ExitUsage,
			stderr: []string{"enrolled with " + url, "sent to no other server"}},
		{name: "ReadScope", env: map[string]string{"HOME": t.TempDir()},
			args: []string{"scan", "--report", "--server", url, "--token", read, "--fail-on", "none", repo}, code: ExitFailure,
			stderr: []string{"403", "ingest scope"}},
		{name: "ServerDown", env: map[string]string{"HOME": t.TempDir()},
			args: []string{"scan", "--report", "--server", "127.0.0.1:9", "--token", ingest, "--fail-on", "none", repo}, code: ExitFailure,
			stderr: []string{"no Warden server answers at http://127.0.0.1:9"}},
		{name: "TokenWithoutReport", env: map[string]string{"HOME": t.TempDir()},
			args: []string{"scan", "--token", ingest, repo}, code: ExitUsage, stderr: []string{"--token is for --report"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.env, "", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}

	// The device's report is stored under the device, with every finding
	// located; the token's under the token, unverified.
	scans, err := st.ListScans(context.Background(), store.ScanFilter{DeviceID: dev.ID})
	if err != nil || len(scans) != 1 {
		t.Fatalf("device scans %+v %v, want 1", scans, err)
	}
	got := scans[0]
	if !got.Verified || got.Report.Repository == "" || got.Report.WardenVersion == "" || got.Report.Tier == "" {
		t.Errorf("device scan %+v", got)
	}
	want := map[string]bool{"WS101": false, "WS111": false, "WS131": false}
	for _, f := range got.Report.Findings {
		if _, ok := want[f.RuleID]; ok && f.File != "" && f.Line > 0 {
			want[f.RuleID] = true
		}
	}
	for id, ok := range want {
		if !ok {
			t.Errorf("reported findings lack %s with file and line: %+v", id, got.Report.Findings)
		}
	}
	status := map[string]string{}
	for _, c := range got.Report.Checks {
		status[c.RuleID] = c.Status
	}
	if status["WS101"] != record.ScanFail || status["WS121"] != record.ScanPass || status["WS201"] != "" {
		t.Errorf("reported checks %v: want WS101 failed, WS121 passed, no machine check in a repository scan", status)
	}
	all, _ := st.ListScans(context.Background(), store.ScanFilter{})
	unverified := 0
	for _, s := range all {
		if !s.Verified && strings.HasPrefix(s.Reporter, "tok_") {
			unverified++
		}
	}
	if len(all) != 2 || unverified != 1 {
		t.Errorf("scans %+v: want the device's and the ingest token's (one row: same token, host and repository)", all)
	}

	t.Run("RevokedDevice", func(t *testing.T) {
		// Through the API, as an admin does: the server forgets the
		// credential at once.
		admin, atok, _ := server.NewToken(rand.Reader, "admin", []string{record.ScopeAdmin}, time.Now())
		if err := st.CreateToken(context.Background(), atok); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", url+"/api/v1/devices/"+dev.ID+"/revoke", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %v %v", resp, err)
		}
		resp.Body.Close()
		code, _, stderr := runCLI(t, map[string]string{"HOME": home}, "", "scan", "--report", "--fail-on", "none", repo)
		if code != ExitFailure || !strings.Contains(stderr, "no longer accepts device "+dev.ID) || !strings.Contains(stderr, "warden enroll --force") {
			t.Errorf("revoked device: exit %d\n%s", code, stderr)
		}
	})
}

// TestWireReport_Bounds: a report of a hostile repository is cut to the
// server's limits, most severe findings kept, and still validates.
func TestWireReport_Bounds(t *testing.T) {
	rep := scanReportWith(record.MaxScanFindings+50, strings.Repeat("\x00é", 4000))
	body, omitted, err := wireReport(rep, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > server.MaxScanBodyBytes {
		t.Errorf("body %d bytes, more than %d", len(body), server.MaxScanBodyBytes)
	}
	got, err := server.DecodeScanReport(body)
	if err != nil {
		t.Fatalf("the server refuses the bounded report: %v", err)
	}
	if omitted < 50 || len(got.Findings)+omitted != record.MaxScanFindings+50 {
		t.Errorf("kept %d, omitted %d of %d", len(got.Findings), omitted, record.MaxScanFindings+50)
	}
	if got.Findings[0].Severity != "critical" {
		t.Errorf("first kept finding is %s, want the critical one", got.Findings[0].Severity)
	}
}

func scanReportWith(n int, evidence string) *scan.Report {
	rep := &scan.Report{Tool: "warden", Version: "test", Repo: "/tmp/x", Policy: "baseline", Tier: "standard"}
	for i := range n {
		sev := scan.SeverityLow
		if i == n-1 {
			sev = scan.SeverityCritical
		}
		rep.Findings = append(rep.Findings, scan.Finding{RuleID: "WS101", Severity: sev, Message: "m", File: "f", Line: i + 1, Evidence: evidence})
	}
	return rep
}
