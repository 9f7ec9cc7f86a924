package console_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardenhq/warden/internal/console"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
)

// fleetDevice is a device enrolled through the API, signing its chain.
type fleetDevice struct {
	id, credential string
	key            ed25519.PrivateKey
	seq            uint64
	prev           string
}

// hostileScanRepository is a repository name a scan report carries.
const hostileScanRepository = `<script>document.title="pwned";window.pwned=1</script>` + "\u202E" + "\x1b[31mred"

// post sends body to path with a bearer secret and returns the status.
func (cs *consoleServer) post(tb testing.TB, path, secret, contentType string, body []byte) (int, []byte) {
	tb.Helper()
	req, _ := http.NewRequest("POST", cs.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "warden/v1.5.0") // as the shipper names itself
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

func (cs *consoleServer) enrollDevice(tb testing.TB, name string) *fleetDevice {
	tb.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	body, _ := json.Marshal(server.EnrollRequest{Name: name, PublicKey: base64.StdEncoding.EncodeToString(pub)})
	status, ans := cs.post(tb, server.EnrollPath, newSecret(tb, cs.store, "enroll-"+name[:4], record.ScopeEnroll, time.Now()), "application/json", body)
	if status != http.StatusOK {
		tb.Fatalf("enroll %q: %d %s", name, status, ans)
	}
	var res server.EnrollResponse
	if err := json.Unmarshal(ans, &res); err != nil {
		tb.Fatal(err)
	}
	return &fleetDevice{id: res.DeviceID, credential: res.Credential, key: key}
}

// audit ships n signed hook events of session from d.
func (cs *consoleServer) audit(tb testing.TB, d *fleetDevice, session, host string, n int) {
	tb.Helper()
	var body []byte
	for i := range n {
		ev := record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: fmt.Sprintf("%s-%d", session, i), Time: time.Now().UTC().Add(-time.Minute),
			HookEvent: "PreToolUse", SessionID: session, Tool: "Bash", Command: "go test ./...", Decision: record.DecisionAllow,
			User: "ana", Host: host, Policy: "acme", PolicyVersion: "2026.12", Tier: "standard"}
		line, hash, err := record.SignAudit(d.key, d.id, d.seq+1, d.prev, &ev)
		if err != nil {
			tb.Fatal(err)
		}
		d.seq, d.prev = d.seq+1, hash
		body = append(append(body, line...), '\n')
	}
	if status, ans := cs.post(tb, "/v1/audit", d.credential, server.ContentTypeNDJSON, body); status != http.StatusOK {
		tb.Fatalf("audit: %d %s", status, ans)
	}
}

func fleetScan(host, repo string) []byte {
	rep := record.ScanReportV1{Schema: record.SchemaScanV1, Host: host, Repository: repo, WardenVersion: "v1.4.0",
		Policy: "acme", PolicyRevision: "2026.12", Tier: "standard", Machine: repo == "", ScannedAt: time.Now().UTC(),
		Findings: []record.ScanFindingV1{
			{RuleID: "WS101", Severity: "high", Message: "allow rule Bash(*) lets the agent run anything", File: ".claude/settings.json", Line: 5, Column: 7, Evidence: "Bash(*)"},
			{RuleID: "WS131", Severity: "high", Message: "CI runs claude with permissions bypassed", File: ".github/workflows/claude.yml", Line: 12, Evidence: "--dangerously-skip-permissions " + hostileScanRepository},
			{RuleID: "WS142", Severity: "low", Message: "a committed git hook runs a program", File: ".githooks/pre-commit", Line: 1},
		},
		Checks: []record.ScanCheckV1{
			{RuleID: "WS101", Title: "Broad allow rule", Severity: "high", Status: record.ScanFail},
			{RuleID: "WS111", Title: "MCP server outside the catalogue", Severity: "high", Status: record.ScanPass},
			{RuleID: "WS121", Title: "Secret file tracked", Severity: "high", Status: record.ScanPass},
			{RuleID: "WS131", Title: "CI bypasses permissions", Severity: "high", Status: record.ScanFail},
			{RuleID: "WS142", Title: "Committed git hooks", Severity: "low", Status: record.ScanFail},
		},
	}
	b, _ := json.Marshal(rep)
	return b
}

// TestBrowserDevices drives the devices page in headless Chromium: seeded
// devices with signed audit, reported scans and a hook that did not fire;
// hostile device and repository names shown, never run; an admin revokes
// a device after the confirmation step, after which its credential fails;
// a read sign-in sees no revoke form and is refused with 403.
func TestBrowserDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	cs := startConsoleServer(t, t.TempDir())
	seed(t, cs.store, time.Now().UTC(), seedSpec{sessions: 6, calls: 4, span: 24 * time.Hour})
	evil := cs.enrollDevice(t, `"><img src=x onerror="document.title='pwned';window.pwned=1">`)
	laptop := cs.enrollDevice(t, "ana-laptop")
	cs.enrollDevice(t, "never-seen")
	cs.audit(t, evil, "dev-sess-1", "evilbox", 3)
	cs.audit(t, laptop, "dev-sess-2", "ana-laptop", 5)
	for _, s := range []struct {
		d          *fleetDevice
		host, repo string
	}{{evil, "evilbox", hostileScanRepository}, {laptop, "ana-laptop", "https://github.com/acme/payments.git"}, {laptop, "ana-laptop", ""}} {
		if status, ans := cs.post(t, server.ScansPath, s.d.credential, "application/json", fleetScan(s.host, s.repo)); status != http.StatusOK {
			t.Fatalf("scan report: %d %s", status, ans)
		}
	}
	if status, ans := cs.post(t, server.ScansPath, cs.tokens[record.ScopeIngest], "application/json", fleetScan("ci-runner-3", hostileScanRepository)); status != http.StatusOK {
		t.Fatalf("token scan report: %d %s", status, ans)
	}
	now := time.Now().UTC()
	if _, err := cs.store.RecordAlert(context.Background(), record.AlertHit{Rule: console.NoDecisionRule,
		Title: "A tool ran with no Warden decision", Severity: "high", GroupBy: "session", Group: "nodec-1",
		SessionID: "nodec-1", Device: "ana-laptop", EventIDs: []string{"nodec-1-e"}, First: now, Last: now, Fingerprint: "fp-nodec-1"}); err != nil {
		t.Fatal(err)
	}
	tb := newTab(t)
	base := cs.url

	noScript := func(what string) {
		tb.t.Helper()
		if title := eval[string](tb, "document.title"); strings.Contains(title, "pwned") {
			tb.t.Errorf("%s: script ran: title %q", what, title)
		}
		if eval[bool](tb, "window.pwned === 1") {
			tb.t.Errorf("%s: script ran", what)
		}
		if n := eval[int](tb, `document.querySelectorAll("main script, main img").length`); n != 0 {
			tb.t.Errorf("%s: %d script or img elements made it into the page", what, n)
		}
		text := eval[string](tb, "document.body.innerText")
		if strings.ContainsAny(text, "\u202E\x1b") {
			tb.t.Errorf("%s: a bidi override or an escape reached the page as such", what)
		}
	}

	t.Run("List", func(t *testing.T) {
		tb.t = t
		tb.signIn(base, cs.tokens[record.ScopeAdmin])
		tb.do(chromedp.Navigate(base+"/devices"), chromedp.WaitVisible(chromedp.ID("devices")))
		tb.layoutHolds("/devices")
		tb.screenshot("devices")
		tb.capture("devices-window", chromedp.CaptureScreenshot())
		if n := eval[int](tb, `document.querySelectorAll("#devices tbody tr").length`); n != 3 {
			t.Errorf("%d device rows, want 3", n)
		}
		// innerText as shown: severity badges are upper-cased by the style
		// sheet, so compare without case.
		row := eval[string](tb, fmt.Sprintf(`document.getElementById("device-%s").innerText`, laptop.id))
		for _, want := range []string{"ana-laptop", "v1.5.0", "acme 2026.12", "No Warden decision for 1 tool call(s)", "6 failing in 2 scan(s): 4 high 2 low"} {
			if !strings.Contains(strings.ToLower(row), strings.ToLower(want)) {
				t.Errorf("laptop row lacks %q:\n%s", want, row)
			}
		}
		if got := eval[string](tb, `document.getElementById("unprotected-devices").textContent`); got != "1" {
			t.Errorf("devices where protection did not apply: %s, want 1", got)
		}
		text := eval[string](tb, "document.body.innerText")
		for _, want := range []string{`"><img src=x onerror=`, "no signed audit received", "ci-runner-3", `\u202E`, "␛[31mred"} {
			if !strings.Contains(text, want) {
				t.Errorf("page text lacks %q", want)
			}
		}
		noScript("/devices")
		tb.clean("/devices")
	})

	t.Run("Device", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base+"/devices/"+evil.id), chromedp.WaitVisible(chromedp.ID("device-facts")))
		tb.layoutHolds("device page")
		tb.screenshot("device")
		text := eval[string](tb, "document.body.innerText")
		for _, want := range []string{"3 verified", "0 unverified", "v1.5.0", "by Warden v1.4.0", "WS101", "WS131", ".claude/settings.json:5", "Bash(*)", "<script>document.title=", `\u202E`} {
			if !strings.Contains(text, want) {
				t.Errorf("device page lacks %q", want)
			}
		}
		noScript("device page")
		tb.clean("device page")
	})

	t.Run("RevokeAfterConfirmation", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base+"/devices/"+evil.id), chromedp.WaitVisible(chromedp.ID("revoke-link")),
			chromedp.Click(chromedp.ID("revoke-link")), chromedp.WaitVisible(chromedp.ID("revoke-form")))
		tb.screenshot("device-revoke-confirm")
		// Unticked, the browser does not submit.
		tb.do(chromedp.Click(chromedp.CSS("#revoke-form button")), chromedp.Sleep(300*time.Millisecond))
		if !eval[bool](tb, `!!document.getElementById("revoke-form")`) {
			t.Fatal("the form was submitted without the confirmation")
		}
		if d, _ := cs.store.Device(context.Background(), evil.id); d.Revoked() {
			t.Fatal("revoked without the confirmation")
		}
		tb.do(chromedp.Click(chromedp.ID("revoke-confirm")), chromedp.Click(chromedp.CSS("#revoke-form button")),
			chromedp.WaitVisible(chromedp.ID("notice")))
		if s := eval[string](tb, `document.getElementById("device-status").textContent`); !strings.Contains(s, "revoked") {
			t.Errorf("device status after revoking: %q", s)
		}
		tb.clean("revoke")
		if status, _ := cs.post(t, server.ScansPath, evil.credential, "application/json", fleetScan("evilbox", "x")); status != http.StatusUnauthorized {
			t.Errorf("the revoked device's credential still reports: %d", status)
		}
		if status, _ := cs.post(t, "/v1/audit", evil.credential, server.ContentTypeNDJSON, []byte("{}\n")); status != http.StatusUnauthorized {
			t.Errorf("the revoked device's credential still ships audit: %d", status)
		}
	})

	t.Run("ReadScope", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".signout button")),
			chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.ID("token")))
		tb.signIn(base, cs.tokens[record.ScopeRead])
		tb.do(chromedp.Navigate(base+"/devices/"+laptop.id), chromedp.WaitVisible(chromedp.ID("device-facts")))
		if eval[bool](tb, `!!document.getElementById("revoke-link") || !!document.getElementById("revoke-form")`) {
			t.Error("a read sign-in sees the revoke action")
		}
		tb.clean("read device page")
		tb.do(chromedp.Navigate(base+"/devices/"+laptop.id+"/revoke"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if p := strings.Join(tb.take(), "\n"); !strings.Contains(p, "HTTP 403") {
			t.Errorf("the revoke page for a read sign-in: %q, want a 403", p)
		}
		if eval[bool](tb, `!!document.getElementById("revoke-form")`) {
			t.Error("a read sign-in got the revoke form")
		}
		if d, _ := cs.store.Device(context.Background(), laptop.id); d.Revoked() {
			t.Error("the laptop was revoked")
		}
	})
}
