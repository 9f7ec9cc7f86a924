package server

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func pauseBody(tier string, until time.Time, reason string) []byte {
	b, _ := json.Marshal(OverlayRequest{Kind: "pause", Tier: tier, Until: until, Reason: reason})
	return b
}

// enrollKey enrolls a device and returns the pause key the server
// answered with.
func (ts *testServer) enrollKey(t *testing.T) ed25519.PublicKey {
	t.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	r := ts.do("POST", EnrollPath, ts.newToken(record.ScopeEnroll), enrollBody("laptop", key), "Content-Type", "application/json")
	var res EnrollResponse
	r.json(t, &res)
	pub, err := base64.StdEncoding.DecodeString(res.ServerKey)
	if r.status != http.StatusOK || err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("enroll: %d %s (server key %q)", r.status, r.body, res.ServerKey)
	}
	return pub
}

// TestPause: an admin pauses a tier; the signed list verifies with the
// key enrollment gave, names the pause with the admin token's name, and
// the served policy's digest; the change is logged and raises a high
// alert. Lifting it empties the list, is logged with its reason and raises
// an alert too.
func TestPause(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, withStore(b.open(t)))
		read, admin, ingest := ts.tokens[record.ScopeRead], ts.tokens[record.ScopeAdmin], ts.tokens[record.ScopeIngest]
		pub := ts.enrollKey(t)

		r := ts.do("GET", PausesPath, ingest, nil)
		empty, err := record.VerifyPauses(pub, r.body)
		if r.status != http.StatusOK || err != nil || len(empty.Pauses) != 0 {
			t.Fatalf("pauses before: %d %s, %v", r.status, r.body, err)
		}
		policyETag := ts.do("GET", "/v1/policy", read, nil).header.Get("ETag")

		until := t0.Add(2 * time.Hour)
		r = ts.do("POST", "/api/v1/overlays", admin, pauseBody("ci", until, "hook outage, INC-7"), "Content-Type", "application/json")
		if r.status != http.StatusOK {
			t.Fatalf("pause: %d %s", r.status, r.body)
		}
		if got := ts.do("GET", "/v1/policy", read, nil).header.Get("ETag"); got != policyETag {
			t.Errorf("a pause changed the policy document: ETag %s, was %s", got, policyETag)
		}
		r = ts.do("GET", PausesPath, read, nil)
		list, err := record.VerifyPauses(pub, r.body)
		if err != nil {
			t.Fatalf("signed list does not verify: %v (%s)", err, r.body)
		}
		if len(list.Pauses) != 1 {
			t.Fatalf("pauses: %+v", list.Pauses)
		}
		p := list.Pauses[0]
		if p.Tier != "ci" || !p.Until.Equal(until) || p.Reason != "hook outage, INC-7" || p.By != "token:test-admin" {
			t.Errorf("pause: %+v", p)
		}
		if want := strings.Trim(policyETag, `"`); list.PolicySHA256 != want || !list.IssuedAt.Equal(t0) {
			t.Errorf("list policy %s issued %v, want %s at %v", list.PolicySHA256, list.IssuedAt, want, t0)
		}
		if a := ts.alerts(t, RulePolicyPaused); len(a) != 1 || a[0].Severity != "high" || a[0].Group != "ci" ||
			!strings.Contains(a[0].Title, "token:test-admin") || !strings.Contains(a[0].Title, "INC-7") {
			t.Errorf("pause alert: %+v", a)
		}

		// After until the list is empty, with no change on the server.
		ts.clock.Add(2*time.Hour + time.Second)
		if l, err := record.VerifyPauses(pub, ts.do("GET", PausesPath, read, nil).body); err != nil || len(l.Pauses) != 0 {
			t.Errorf("expired pause still listed: %+v, %v", l, err)
		}
		ts.clock.Add(-2*time.Hour - time.Second)

		r = ts.do("POST", "/api/v1/pauses/resume", admin, []byte(`{"tier":"ci","reason":"fixed in 1.2.3"}`), "Content-Type", "application/json")
		var res ResumeResponse
		r.json(t, &res)
		if r.status != http.StatusOK || len(res.Lifted) != 1 || res.Lifted[0].ID != p.ID || len(res.Overlays) != 0 {
			t.Fatalf("resume: %d %s", r.status, r.body)
		}
		if l, err := record.VerifyPauses(pub, ts.do("GET", PausesPath, read, nil).body); err != nil || len(l.Pauses) != 0 {
			t.Errorf("after resume: %+v, %v", l, err)
		}
		if r := ts.do("POST", "/api/v1/pauses/resume", admin, []byte(`{"tier":"ci","reason":"again"}`), "Content-Type", "application/json"); r.status != http.StatusNotFound {
			t.Errorf("resume of an unpaused tier: %d %s", r.status, r.body)
		}
		if a := ts.alerts(t, RulePolicyResumed); len(a) != 1 || !strings.Contains(a[0].Title, "fixed in 1.2.3") {
			t.Errorf("resume alert: %+v", a)
		}

		var log struct{ Changes []record.OverlayChange }
		ts.do("GET", "/api/v1/overlays/log", read, nil).json(t, &log)
		if len(log.Changes) != 2 || log.Changes[0].Action != record.OverlayRemoved || log.Changes[0].Reason != "fixed in 1.2.3" ||
			log.Changes[0].By != "token:test-admin" || log.Changes[1].Action != record.OverlayAdded || log.Changes[1].Reason != "hook outage, INC-7" {
			t.Errorf("overlay log: %+v", log.Changes)
		}
	})
}

// alerts lists the alerts of rule.
func (ts *testServer) alerts(t *testing.T, rule string) []record.Alert {
	t.Helper()
	page, err := ts.store.ListAlerts(context.Background(), store.AlertFilter{Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	return page.Alerts
}

// TestPause_Refused: only admin tokens pause and resume; a pause needs a
// known tier, a reason and an until in the future at most seven days
// away; the author is the token's, whatever the request says. Nothing
// refused is stored or logged.
func TestPause_Refused(t *testing.T) {
	ts := startServer(t)
	admin := ts.tokens[record.ScopeAdmin]
	for _, scope := range []string{record.ScopeRead, record.ScopeIngest, record.ScopeEnroll} {
		if r := ts.do("POST", "/api/v1/overlays", ts.tokens[scope], pauseBody("ci", t0.Add(time.Hour), "x"), "Content-Type", "application/json"); r.status != http.StatusForbidden {
			t.Errorf("pause with a %s token: %d %s", scope, r.status, r.body)
		}
		if r := ts.do("POST", "/api/v1/pauses/resume", ts.tokens[scope], []byte(`{"tier":"ci","reason":"x"}`), "Content-Type", "application/json"); r.status != http.StatusForbidden {
			t.Errorf("resume with a %s token: %d %s", scope, r.status, r.body)
		}
	}
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"NoTier", pauseBody("", t0.Add(time.Hour), "x"), "needs the tier"},
		{"UnknownTier", pauseBody("platinum", t0.Add(time.Hour), "x"), "unknown tier"},
		{"NoReason", pauseBody("ci", t0.Add(time.Hour), "  "), "needs a reason"},
		{"NoUntil", []byte(`{"kind":"pause","tier":"ci","reason":"x"}`), "needs until"},
		{"Past", pauseBody("ci", t0.Add(-time.Minute), "x"), "not in the future"},
		{"Now", pauseBody("ci", t0, "x"), "not in the future"},
		{"TooLong", pauseBody("ci", t0.Add(record.MaxPauseDuration+time.Hour), "x"), "more than"},
		{"OtherTarget", []byte(`{"kind":"pause","tier":"ci","target":"dev","until":"2026-11-23T10:00:00Z","reason":"x"}`), "target is its tier"},
		{"UntilOnOtherKind", []byte(`{"kind":"revoke_mcp_server","target":"github","until":"2026-11-23T10:00:00Z","reason":"x"}`), "until goes with"},
		{"AuthorField", []byte(`{"kind":"pause","tier":"ci","until":"2026-11-23T10:00:00Z","reason":"x","by":"token:ceo"}`), "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do("POST", "/api/v1/overlays", admin, tc.body, "Content-Type", "application/json")
			if r.errorCode() != EInvalid || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("%d %s, want invalid with %q", r.status, r.body, tc.want)
			}
		})
	}
	if r := ts.do("POST", "/api/v1/pauses/resume", admin, []byte(`{"tier":"ci"}`), "Content-Type", "application/json"); r.errorCode() != EInvalid {
		t.Errorf("resume without a reason: %d %s", r.status, r.body)
	}
	// Seven days exactly is allowed.
	if r := ts.do("POST", "/api/v1/overlays", admin, pauseBody("ci", t0.Add(record.MaxPauseDuration), "max"), "Content-Type", "application/json"); r.status != http.StatusOK {
		t.Errorf("seven-day pause: %d %s", r.status, r.body)
	}
	log, err := ts.store.OverlayLog(context.Background(), 0)
	if err != nil || len(log) != 1 || log[0].Reason != "max" {
		t.Errorf("overlay log after refusals: %+v, %v", log, err)
	}
}

// TestPause_DeleteOverlay: removing a pause through the generic overlay
// API is logged with its reason and raises the resume alert.
func TestPause_DeleteOverlay(t *testing.T) {
	ts := startServer(t)
	admin := ts.tokens[record.ScopeAdmin]
	var list OverlayList
	ts.do("POST", "/api/v1/overlays", admin, pauseBody("ci", t0.Add(time.Hour), "drill"), "Content-Type", "application/json").json(t, &list)
	if len(list.Overlays) != 1 || list.Overlays[0].Kind != "pause" || !list.Overlays[0].Until.Equal(t0.Add(time.Hour)) {
		t.Fatalf("overlays: %+v", list)
	}
	if r := ts.do("DELETE", "/api/v1/overlays/"+list.Overlays[0].ID+"?reason=drill+over", admin, nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	log, _ := ts.store.OverlayLog(context.Background(), 1)
	if len(log) != 1 || log[0].Reason != "drill over" || log[0].Action != record.OverlayRemoved {
		t.Errorf("log: %+v", log)
	}
	if a := ts.alerts(t, RulePolicyResumed); len(a) != 1 {
		t.Errorf("resume alerts: %+v", a)
	}
}

// TestPause_SignatureTampered: a served list whose payload or signature
// is changed, or checked with another key, does not verify.
func TestPause_SignatureTampered(t *testing.T) {
	ts := startServer(t)
	pub := ts.enrollKey(t)
	ts.do("POST", "/api/v1/overlays", ts.tokens[record.ScopeAdmin], pauseBody("ci", t0.Add(time.Hour), "x"), "Content-Type", "application/json")
	body := ts.do("GET", PausesPath, ts.tokens[record.ScopeIngest], nil).body
	if _, err := record.VerifyPauses(pub, body); err != nil {
		t.Fatalf("untouched list: %v", err)
	}
	var env record.SignedPauseV1
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	longer := env
	longer.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"tier":"ci"`, `"tier":"production-adjacent"`, 1)))
	sig, _ := base64.StdEncoding.DecodeString(env.Signature)
	sig[0] ^= 1
	flipped := env
	flipped.Signature = base64.StdEncoding.EncodeToString(sig)
	for name, e := range map[string]record.SignedPauseV1{"Payload": longer, "Signature": flipped} {
		b, _ := json.Marshal(e)
		if _, err := record.VerifyPauses(pub, b); !errors.Is(err, record.ErrPauseSignature) {
			t.Errorf("%s changed: %v, want ErrPauseSignature", name, err)
		}
	}
	other := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	if _, err := record.VerifyPauses(other, body); !errors.Is(err, record.ErrPauseSignature) {
		t.Errorf("another key: %v", err)
	}
}

// TestPause_KeyShared: two servers on one store sign with one key, the
// first one created.
func TestPause_KeyShared(t *testing.T) {
	st := sqliteBackend().open(t)
	a := startServer(t, withStore(st))
	b := startServer(t, withStore(st))
	ka, err := a.s.PauseKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.s.PauseKey(context.Background())
	if err != nil || ka != kb {
		t.Errorf("keys %s and %s (%v)", ka, kb, err)
	}
}

// TestConsole_Pauses: the policy page shows the pauses in force, with
// tier, end, author and reason (escaped), and none once it has ended.
func TestConsole_Pauses(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, ts)
	b.signIn(ts.tokens[record.ScopeRead])
	if page := string(b.get("/policy").body); strings.Contains(page, `id="pauses"`) {
		t.Fatal("pauses shown with none in force")
	}
	ts.do("POST", "/api/v1/overlays", ts.tokens[record.ScopeAdmin], pauseBody("ci", t0.Add(3*time.Hour), "INC-7 <b>bad</b> rollout"), "Content-Type", "application/json")
	page := string(b.get("/policy").body)
	for _, want := range []string{`id="pauses"`, "Warden is paused", `<td class="val">ci</td>`, "2026-11-23 12:00Z", "token:test-admin", "INC-7 &lt;b&gt;bad&lt;/b&gt; rollout"} {
		if !strings.Contains(page, want) {
			t.Errorf("policy page lacks %q", want)
		}
	}
	ts.clock.Add(3 * time.Hour)
	if page := string(b.get("/policy").body); strings.Contains(page, `id="pauses"`) {
		t.Error("pause shown after its end")
	}
}
