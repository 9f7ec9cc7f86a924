package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/console"
	"github.com/wardenhq/warden/internal/record"
)

// hostileDeviceName is printable, so enrollment takes it, and tries to
// break out of an attribute.
const hostileDeviceName = `"><img src=x onerror=document.title='pwned'>`

// hostileRepo is a repository name a scan report may carry.
const hostileRepo = `<script>document.title="pwned"</script>` + "\u202E" + "\x1b[31mred"

// enrollNamed enrolls a device with name through the API.
func (ts *testServer) enrollNamed(seed byte, name string) *testDevice {
	ts.t.Helper()
	key := deviceKey(seed)
	r := ts.do("POST", EnrollPath, ts.newToken(record.ScopeEnroll), enrollBody(name, key), "Content-Type", "application/json")
	if r.status != http.StatusOK {
		ts.t.Fatalf("enroll: %d %s", r.status, r.body)
	}
	var res EnrollResponse
	r.json(ts.t, &res)
	return &testDevice{id: res.DeviceID, credential: res.Credential, key: key}
}

// TestConsole_Devices drives the devices pages over HTTP on both
// backends: the list and a device's page show its evidence, hook health,
// policy revision and scan posture, hostile strings escaped; an admin
// revokes after confirming (and the credential then fails); a read
// sign-in sees no revoke form and is refused with 403.
func TestConsole_Devices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backend) {
		ts := startServer(t, withStore(bk.open(t)))
		dev := ts.enrollNamed(1, hostileDeviceName)
		quiet := ts.enrollNamed(2, "quiet-box")

		// Signed audit from dev: two verified events, then one whose
		// predecessor never arrived (chain gap).
		for i, id := range []string{"da1", "da2"} {
			ev := newAudit(id, "dsess", t0.Add(time.Duration(i)*time.Second))
			ev.Host, ev.Policy, ev.PolicyVersion, ev.Tier = "devbox", "acme", "2026.12", "standard"
			if r := ts.postAudit(dev.credential, dev.sign(t, ev)); r.status != http.StatusOK {
				t.Fatalf("audit: %d %s", r.status, r.body)
			}
		}
		dev.seq++ // skip one: the next event's predecessor is missing
		dev.prev = strings.Repeat("0", 64)
		gap := newAudit("da3", "dsess", t0.Add(3*time.Second))
		gap.Host, gap.Policy, gap.PolicyVersion = "devbox", "acme", "2026.12"
		if r := ts.postAudit(dev.credential, dev.sign(t, gap)); r.status != http.StatusOK {
			t.Fatalf("audit: %d %s", r.status, r.body)
		}

		if v := ts.verifications("dsess"); len(v) != 3 {
			t.Fatalf("stored verifications %+v, want 3", v)
		}
		rep := scanReport("devbox", hostileRepo)
		rep.Checks = []record.ScanCheckV1{
			{RuleID: "WS101", Severity: "high", Status: record.ScanFail}, {RuleID: "WS121", Severity: "high", Status: record.ScanPass},
			{RuleID: "WS142", Severity: "low", Status: record.ScanPass},
		}
		if r := ts.do("POST", ScansPath, dev.credential, mustJSON(t, rep), "Content-Type", "application/json"); r.status != http.StatusOK {
			t.Fatalf("scan report: %d %s", r.status, r.body)
		}
		other := scanReport("ci-runner-9", "https://github.com/acme/web.git")
		if r := ts.do("POST", ScansPath, ts.tokens[record.ScopeIngest], mustJSON(t, other), "Content-Type", "application/json"); r.status != http.StatusOK {
			t.Fatalf("token scan report: %d %s", r.status, r.body)
		}
		for _, h := range []struct{ host, session string }{{"devbox", "nodec-1"}, {"stray-host", "nodec-2"}} {
			if _, err := ts.store.RecordAlert(context.Background(), record.AlertHit{Rule: console.NoDecisionRule,
				Title: "A tool ran with no Warden decision", Severity: "high", GroupBy: "session", Group: h.session,
				SessionID: h.session, Device: h.host, EventIDs: []string{h.session + "-e1"}, First: t0, Last: t0,
				Fingerprint: "fp-" + h.session}); err != nil {
				t.Fatal(err)
			}
		}

		admin, read := newBrowser(t, ts), newBrowser(t, ts)
		admin.signIn(ts.tokens[record.ScopeAdmin])
		read.signIn(ts.tokens[record.ScopeRead])
		devURL := "/devices/" + dev.id
		tests := []struct {
			name    string
			b       *browser
			method  string
			path    string
			form    url.Values
			status  int
			want    []string
			notWant []string
		}{
			{name: "ListAdmin", b: admin, method: "GET", path: "/devices", status: http.StatusOK,
				want: []string{`id="devices"`, `aria-current="page">Devices`, "&#34;&gt;&lt;img src=x", dev.id, quiet.id, "acme 2026.12",
					"No Warden decision for 1 tool call(s)", "no signed audit received", "v0.9.0",
					"2 high", "Scans from machines that are not enrolled", "ci-runner-9", "stray-host · nodec-2"}},
			{name: "DeviceAdmin", b: admin, method: "GET", path: devURL, status: http.StatusOK,
				want: []string{`id="revoke-link"`, "2 verified", "1 unverified", "WS101", ".claude/settings.json:5", "Bash(*)",
					"&lt;script&gt;document.title=", `\u202E`, "␛[31mred", "/sessions/nodec-1", "devbox"}},
			{name: "DeviceRead", b: read, method: "GET", path: devURL, status: http.StatusOK, want: []string{"WS101"}, notWant: []string{"revoke-link", "revoke-form"}},
			{name: "ConfirmRead", b: read, method: "GET", path: devURL + "/revoke", status: http.StatusForbidden, want: []string{"Admin scope required"}},
			{name: "RevokeRead", b: read, method: "POST", path: devURL + "/revoke", form: url.Values{"confirm": {"yes"}}, status: http.StatusForbidden},
			{name: "BadID", b: admin, method: "GET", path: "/devices/laptop", status: http.StatusBadRequest},
			{name: "UnknownID", b: admin, method: "GET", path: "/devices/dev_00000000000000aa", status: http.StatusNotFound, want: []string{"No such device"}},
			{name: "ListParams", b: admin, method: "GET", path: "/devices?x=1", status: http.StatusBadRequest},
			{name: "ConfirmAdmin", b: admin, method: "GET", path: devURL + "/revoke", status: http.StatusOK,
				want: []string{`id="revoke-form"`, `name="confirm"`, "required", "cannot be undone"}},
			{name: "RevokeUnconfirmed", b: admin, method: "POST", path: devURL + "/revoke", form: url.Values{}, status: http.StatusBadRequest,
				want: []string{"Confirmation required"}},
			{name: "RevokeUnknown", b: admin, method: "POST", path: "/devices/dev_00000000000000aa/revoke", form: url.Values{"confirm": {"yes"}}, status: http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.b.t = t
				var r response
				if tt.method == "POST" {
					r = tt.b.post(tt.path, tt.form)
				} else {
					r = tt.b.get(tt.path)
				}
				body := string(r.body)
				if r.status != tt.status {
					t.Fatalf("%s %s: %d, want %d\n%s", tt.method, tt.path, r.status, tt.status, body)
				}
				for _, w := range tt.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, w := range append(tt.notWant, "<script>", "<img", "\u202E", "\x1b") {
					if strings.Contains(body, w) {
						t.Errorf("page contains %q", w)
					}
				}
			})
		}
		if d, err := ts.store.Device(context.Background(), dev.id); err != nil || d.Revoked() {
			t.Fatalf("refused revocations revoked the device: %+v %v", d, err)
		}

		admin.t = t
		r := admin.post(devURL+"/revoke", url.Values{"confirm": {"yes"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != devURL+"?done=revoked" {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		page := string(admin.get(devURL + "?done=revoked").body)
		if !strings.Contains(page, `id="notice"`) || !strings.Contains(page, "revoked</span> at") || strings.Contains(page, "revoke-link") {
			t.Errorf("device page after revocation:\n%s", page)
		}
		if r := ts.do("POST", ScansPath, dev.credential, mustJSON(t, rep), "Content-Type", "application/json"); r.status != http.StatusUnauthorized {
			t.Errorf("the revoked device's credential still reports: %d %s", r.status, r.body)
		}
		if r := ts.postAudit(dev.credential, dev.sign(t, newAudit("da9", "dsess", t0))); r.status != http.StatusUnauthorized {
			t.Errorf("the revoked device's credential still ships audit: %d", r.status)
		}
	})
}
