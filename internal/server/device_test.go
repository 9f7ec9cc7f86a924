package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/record"
)

// testDevice is a device enrolled through the API, signing its own chain.
type testDevice struct {
	id, credential string
	key            ed25519.PrivateKey
	seq            uint64
	prev           string
}

func deviceKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func enrollBody(name string, key ed25519.PrivateKey) []byte {
	b, _ := json.Marshal(EnrollRequest{Name: name, PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))})
	return b
}

// enroll enrolls a device with a fresh enroll token.
func (ts *testServer) enroll(seed byte) *testDevice {
	ts.t.Helper()
	key := deviceKey(seed)
	r := ts.do("POST", EnrollPath, ts.newToken(record.ScopeEnroll), enrollBody("laptop", key), "Content-Type", "application/json")
	if r.status != http.StatusOK {
		ts.t.Fatalf("enroll: %d %s", r.status, r.body)
	}
	var res EnrollResponse
	r.json(ts.t, &res)
	return &testDevice{id: res.DeviceID, credential: res.Credential, key: key}
}

// sign signs ev as the device's next event and returns its line.
func (d *testDevice) sign(tb testing.TB, ev record.AuditEventV1) []byte {
	tb.Helper()
	line, hash, err := record.SignAudit(d.key, d.id, d.seq+1, d.prev, &ev)
	if err != nil {
		tb.Fatal(err)
	}
	d.seq, d.prev = d.seq+1, hash
	return append(line, '\n')
}

func (ts *testServer) postAudit(token string, lines ...[]byte) response {
	ts.t.Helper()
	return ts.do("POST", "/v1/audit", token, bytes.Join(lines, nil), "Content-Type", ContentTypeNDJSON)
}

// verifications returns the stored verification of each event of session
// by its event_id.
func (ts *testServer) verifications(session string) map[string]record.Verification {
	ts.t.Helper()
	out := map[string]record.Verification{}
	for _, e := range ts.sessionEvents(session) {
		if e.Verification == nil {
			ts.t.Fatalf("event %s stored without a verification", e.ID)
		}
		out[e.ID] = *e.Verification
	}
	return out
}

func TestEnroll(t *testing.T) {
	ts := startServer(t)
	enrollTok := ts.newToken(record.ScopeEnroll)
	key := deviceKey(1)

	r := ts.do("POST", EnrollPath, enrollTok, enrollBody("alice-laptop", key), "Content-Type", "application/json")
	if r.status != http.StatusOK {
		t.Fatalf("enroll: %d %s", r.status, r.body)
	}
	var res EnrollResponse
	r.json(t, &res)
	if !record.ValidDeviceID(res.DeviceID) || !strings.HasPrefix(res.Credential, DeviceCredentialPrefix) || res.Name != "alice-laptop" {
		t.Fatalf("answer %+v", res)
	}

	t.Run("OneTime", func(t *testing.T) {
		r := ts.do("POST", EnrollPath, enrollTok, enrollBody("again", deviceKey(2)), "Content-Type", "application/json")
		if r.status != http.StatusUnauthorized {
			t.Errorf("second enrollment with the token: %d %s, want 401", r.status, r.body)
		}
	})
	t.Run("Scopes", func(t *testing.T) {
		for _, scope := range []string{record.ScopeAdmin, record.ScopeIngest, record.ScopeRead} {
			r := ts.do("POST", EnrollPath, ts.tokens[scope], enrollBody("x", deviceKey(3)), "Content-Type", "application/json")
			if r.status != http.StatusForbidden {
				t.Errorf("enroll with a %s token: %d %s, want 403", scope, r.status, r.body)
			}
		}
		// The enroll token opens nothing else.
		if r := ts.postAudit(ts.newToken(record.ScopeEnroll), auditLine(t, newAudit("e1", "s", t0))); r.status != http.StatusForbidden {
			t.Errorf("audit with an enroll token: %d, want 403", r.status)
		}
	})
	t.Run("BadRequest", func(t *testing.T) {
		tok := ts.newToken(record.ScopeEnroll)
		for name, body := range map[string]string{
			"NotJSON":  `{`,
			"Unknown":  `{"name":"a","public_key":"` + base64.StdEncoding.EncodeToString(make([]byte, 31)) + `x","admin":true}`,
			"ShortKey": `{"name":"a","public_key":"` + base64.StdEncoding.EncodeToString(make([]byte, 31)) + `"}`,
			"ZeroKey":  `{"name":"a","public_key":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}`,
			"NoName":   string(enrollBody(" ", deviceKey(4))),
			"Control":  string(enrollBody("a\x1b[31mred", deviceKey(4))),
		} {
			if r := ts.do("POST", EnrollPath, tok, []byte(body), "Content-Type", "application/json"); r.status != http.StatusBadRequest {
				t.Errorf("%s: %d %s, want 400", name, r.status, r.body)
			}
		}
		// None of them consumed the token.
		if r := ts.do("POST", EnrollPath, tok, enrollBody("ok", deviceKey(4)), "Content-Type", "application/json"); r.status != http.StatusOK {
			t.Errorf("enroll after refused requests: %d %s", r.status, r.body)
		}
	})
	t.Run("ListAndRevoke", func(t *testing.T) {
		d := ts.enroll(5)
		ev := newAudit("rv-1", "revoke-session", t0)
		if r := ts.postAudit(d.credential, d.sign(t, ev)); r.status != http.StatusOK {
			t.Fatalf("post with the device credential: %d %s", r.status, r.body)
		}
		if r := ts.do("POST", "/api/v1/devices/"+d.id+"/revoke", ts.tokens[record.ScopeRead], nil); r.status != http.StatusForbidden {
			t.Errorf("revoke with a read token: %d, want 403", r.status)
		}
		if r := ts.do("POST", "/api/v1/devices/"+d.id+"/revoke", ts.tokens[record.ScopeAdmin], nil); r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if r := ts.do("POST", "/api/v1/devices/dev_ffff/revoke", ts.tokens[record.ScopeAdmin], nil); r.status != http.StatusNotFound {
			t.Errorf("revoke unknown: %d, want 404", r.status)
		}
		// Its credential no longer authenticates, at once.
		if r := ts.postAudit(d.credential, d.sign(t, newAudit("rv-2", "revoke-session", t0.Add(time.Second)))); r.status != http.StatusUnauthorized {
			t.Errorf("post with a revoked device's credential: %d %s, want 401", r.status, r.body)
		}
		// Relayed with an ingest token, its further events are unverified.
		if r := ts.postAudit(ts.tokens[record.ScopeIngest], d.sign(t, newAudit("rv-3", "revoke-session", t0.Add(2*time.Second)))); r.status != http.StatusOK {
			t.Fatalf("relay: %d %s", r.status, r.body)
		}
		v := ts.verifications("revoke-session")
		if !v[SignedIDPrefix+"rv-1"].Verified || v[SignedIDPrefix+"rv-3"].Reason != record.UnverifiedRevokedDevice {
			t.Errorf("verifications %+v: want rv-1 verified, rv-3 revoked_device", v)
		}

		r := ts.do("GET", "/api/v1/devices", ts.tokens[record.ScopeRead], nil)
		var list struct{ Devices []record.Device }
		r.json(t, &list)
		revoked := 0
		for _, dv := range list.Devices {
			if dv.ID == d.id && dv.Revoked() {
				revoked++
			}
		}
		if r.status != http.StatusOK || revoked != 1 || bytes.Contains(r.body, []byte("cred")) && bytes.Contains(r.body, []byte(d.credential)) {
			t.Errorf("devices: %d %s", r.status, r.body)
		}
	})
}

// TestAudit_Verification posts signed and unsigned events and checks the
// verification each is stored with, and the metric by reason.
func TestAudit_Verification(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, withStore(b.open(t)))
		ingest := ts.tokens[record.ScopeIngest]
		const session = "verify-session"
		d := ts.enroll(1)
		other := ts.enroll(2)
		ev := func(id string, sec int) record.AuditEventV1 {
			return newAudit(id, session, t0.Add(time.Duration(sec)*time.Second))
		}

		post := func(token string, lines ...[]byte) {
			t.Helper()
			if r := ts.postAudit(token, lines...); r.status != http.StatusOK {
				t.Fatalf("post: %d %s", r.status, r.body)
			}
		}
		// 1, 2 verified (2 posted by an ingest token: a relay is fine).
		post(d.credential, d.sign(t, ev("a1", 1)))
		post(ingest, d.sign(t, ev("a2", 2)))
		// 3 is lost: 4 is a gap, 5 follows 4 and is verified again.
		d.sign(t, ev("a3", 3))
		post(d.credential, d.sign(t, ev("a4", 4)), d.sign(t, ev("a5", 5)))
		// A clone of the key signs another event after 5: a fork, and
		// the event after the fork inherits it.
		fork := *d
		post(d.credential, d.sign(t, ev("a6", 6)))
		post(d.credential, fork.sign(t, ev("a6-fork", 6)), fork.sign(t, ev("a7-fork", 7)))
		// Tampered after signing: bad signature.
		bad := bytes.Replace(d.sign(t, ev("a8", 8)), []byte(`"decision":"allow"`), []byte(`"decision":"deny"`), 1)
		post(d.credential, bad)
		// Unsigned, unknown device, another device's event posted with d's credential.
		post(ingest, auditLine(t, ev("u1", 9)))
		ghost := &testDevice{id: "dev_dead", key: deviceKey(9)}
		post(ingest, ghost.sign(t, ev("g1", 10)))
		post(d.credential, other.sign(t, ev("o1", 11)))

		want := map[string]string{
			"sig_a1": "", "sig_a2": "", "sig_a4": record.UnverifiedChainGap, "sig_a5": "", "sig_a6": "",
			"sig_a6-fork": record.UnverifiedChainFork, "sig_a7-fork": record.UnverifiedChainFork,
			"a8": record.UnverifiedBadSignature, "u1": record.UnverifiedUnsigned, "g1": record.UnverifiedUnknownDevice,
			"sig_o1": record.UnverifiedDeviceMismatch,
		}
		got := ts.verifications(session)
		if len(got) != len(want) {
			t.Errorf("stored %d events, want %d: %v", len(got), len(want), got)
		}
		for id, reason := range want {
			v, ok := got[id]
			if !ok {
				t.Errorf("event %s not stored", id)
				continue
			}
			if v.Reason != reason || v.Verified != (reason == "") {
				t.Errorf("event %s: %+v, want reason %q", id, v, reason)
			}
		}
		for reason, n := range map[string]float64{record.UnverifiedChainFork: 2, record.UnverifiedChainGap: 1,
			record.UnverifiedBadSignature: 1, record.UnverifiedUnsigned: 1, record.UnverifiedUnknownDevice: 1, record.UnverifiedDeviceMismatch: 1} {
			if got := metricValue(t, ts, `warden_audit_unverified_total{reason="`+reason+`"}`); got != n {
				t.Errorf("warden_audit_unverified_total{reason=%q} = %v, want %v", reason, got, n)
			}
		}
		if got := metricValue(t, ts, "warden_audit_verified_total"); got != 4 {
			t.Errorf("warden_audit_verified_total = %v, want 4", got)
		}
	})
}

// TestForgedSignedAuditCannotChangeDecision: an enrolled machine's hook
// denied a call. Forgers try to turn it into an allow: with an ingest
// token (unsigned, posted before the real event arrives, reusing its
// event_id), with the device credential and a bad signature, and by
// replaying the signed deny. The deny stands, verified; every forgery is
// stored, unverified, and the record shows the conflict.
func TestForgedSignedAuditCannotChangeDecision(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, withStore(b.open(t)))
		ingest, read := ts.tokens[record.ScopeIngest], ts.tokens[record.ScopeRead]
		const session = "forged-signed"
		d := ts.enroll(1)

		deny := newAudit("e-deny", session, t0.Add(time.Second))
		deny.ToolUseID, deny.Command, deny.Decision, deny.RuleID = "toolu_push", "git push --force", record.DecisionDeny, "git.force-push"
		denyLine := d.sign(t, deny)

		// The agent, holding the ingest token, posts first: same event_id,
		// same call, allowed.
		forged := deny
		forged.Decision, forged.RuleID = record.DecisionAllow, ""
		if r := ts.postAudit(ingest, auditLine(t, forged)); r.status != http.StatusOK {
			t.Fatalf("forged post: %d %s", r.status, r.body)
		}
		// Then the hook's signed deny is shipped.
		if r := ts.postAudit(d.credential, denyLine); r.status != http.StatusOK {
			t.Fatalf("signed post: %d %s", r.status, r.body)
		}
		// The device credential with a tampered envelope.
		tampered := bytes.Replace(denyLine, []byte(`"decision":"deny"`), []byte(`"decision":"allow"`), 1)
		tampered = bytes.Replace(tampered, []byte(`"event_id":"e-deny"`), []byte(`"event_id":"e-tamper"`), 1)
		if r := ts.postAudit(d.credential, tampered); r.status != http.StatusOK {
			t.Fatalf("tampered post: %d %s", r.status, r.body)
		}
		// A replay of the signed deny changes nothing.
		r := ts.postAudit(ingest, denyLine)
		var res AuditResult
		r.json(t, &res)
		if res.Duplicates != 1 || res.Accepted != 0 {
			t.Errorf("replay: %+v, want one duplicate", res)
		}

		v := ts.verifications(session)
		if len(v) != 3 || !v["sig_e-deny"].Verified || v["e-deny"].Reason != record.UnverifiedUnsigned ||
			v["e-tamper"].Reason != record.UnverifiedBadSignature {
			t.Errorf("verifications %+v", v)
		}
		r = ts.do("GET", "/api/v1/sessions/"+session+"/record", read, nil)
		var rr record.RunRecord
		r.json(t, &rr)
		if len(rr.Commands) != 1 || rr.Commands[0].Decision != record.DecisionDeny || !rr.Commands[0].DecisionVerified ||
			rr.Commands[0].Outcome != record.OutcomeRefused || len(rr.Commands[0].Conflicts) == 0 {
			t.Errorf("commands %+v: the verified deny must stand, marked with the conflict", rr.Commands)
		}
		if got := rr.Evidence.Decisions; got.Verified != 1 || got.Unverified != 2 ||
			got.Reasons[record.UnverifiedUnsigned] != 1 || got.Reasons[record.UnverifiedBadSignature] != 1 {
			t.Errorf("decision evidence %+v", got)
		}
		found := false
		for _, c := range rr.Conflicts {
			found = found || c.Kind == record.ConflictContradiction && c.Field == "decision" && c.First.EventID == "sig_e-deny"
		}
		if !found {
			t.Errorf("conflicts %+v: want a decision contradiction keeping sig_e-deny", rr.Conflicts)
		}
	})
}

// TestAudit_RequireSigned: with require_signed_audit, a body with an
// unsigned event is refused whole with a message saying what to do;
// signed events are taken, and OTLP still takes the ingest token.
func TestAudit_RequireSigned(t *testing.T) {
	ts := startServer(t, withConfig(func(c *Config) { c.RequireSignedAudit = true }))
	d := ts.enroll(1)
	signed := d.sign(t, newAudit("s1", "req-signed", t0))
	r := ts.postAudit(d.credential, signed, auditLine(t, newAudit("u1", "req-signed", t0)))
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "warden enroll") {
		t.Errorf("unsigned under require_signed_audit: %d %s, want 403 naming warden enroll", r.status, r.body)
	}
	if n := len(ts.sessionEvents("req-signed")); n != 0 {
		t.Errorf("%d events stored from a refused body", n)
	}
	if r := ts.postAudit(d.credential, signed); r.status != http.StatusOK {
		t.Errorf("signed: %d %s", r.status, r.body)
	}
	if r := ts.do("POST", "/v1/logs", ts.tokens[record.ScopeIngest], []byte(`{"resourceLogs":[]}`), "Content-Type", "application/json"); r.status != http.StatusOK {
		t.Errorf("OTLP with the ingest token: %d %s", r.status, r.body)
	}
}

// FuzzDecodeEnrollRequest: the enrollment decoder never panics, and what
// it accepts is a bounded printable name and a 32-byte key.
func FuzzDecodeEnrollRequest(f *testing.F) {
	f.Add(enrollBody("laptop", deviceKey(1)))
	f.Add([]byte(`{"name":"a","public_key":"AAAA"}`))
	f.Add([]byte(`{"name":"` + strings.Repeat("é", 100) + `","public_key":""}`))
	f.Add([]byte(`{"name":"x"}{"name":"y"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		name, pub, err := DecodeEnrollRequest(body)
		if err != nil {
			return
		}
		if name == "" || len(name) > MaxDeviceNameBytes || len(pub) != ed25519.PublicKeySize || strings.ContainsAny(name, "\x00\n\r\x1b") {
			t.Fatalf("accepted name %q key %x", name, pub)
		}
	})
}

// TestAuthenticate: one signature at the end of a chained run vouches for
// the run, and nothing else: an event altered inside the run, or whose own
// signature and successor both fail, is not authentic.
func TestAuthenticate(t *testing.T) {
	key := deviceKey(1)
	pub := key.Public().(ed25519.PublicKey)
	chain := func() []*ingestLine {
		d := &testDevice{id: "dev_0a", key: key}
		var ls []*ingestLine
		for i := range 5 {
			line := d.sign(t, newAudit("e"+string(rune('0'+i)), "s", t0))
			ls = append(ls, mustLine(t, line))
		}
		return ls
	}
	for name, tc := range map[string]struct {
		edit func(ls []*ingestLine) []*ingestLine
		want []bool
	}{
		"Intact": {func(ls []*ingestLine) []*ingestLine { return ls }, []bool{true, true, true, true, true}},
		"Shuffled": {func(ls []*ingestLine) []*ingestLine {
			return []*ingestLine{ls[3], ls[0], ls[4], ls[2], ls[1]}
		}, []bool{true, true, true, true, true}},
		"MiddleAltered": {func(ls []*ingestLine) []*ingestLine {
			ls[2] = mustLine(t, bytes.Replace(lineOf(t, ls[2]), []byte(`"decision":"allow"`), []byte(`"decision":"deny"`), 1))
			return ls
		}, []bool{true, true, false, true, true}},
		"LastSigBroken": {func(ls []*ingestLine) []*ingestLine {
			ls[4].env.Sig = ls[0].env.Sig
			return ls
		}, []bool{true, true, true, true, false}},
		"OtherKey": {func(ls []*ingestLine) []*ingestLine {
			d := &testDevice{id: "dev_0a", key: deviceKey(2)}
			return []*ingestLine{mustLine(t, d.sign(t, newAudit("x1", "s", t0))), mustLine(t, d.sign(t, newAudit("x2", "s", t0)))}
		}, []bool{false, false}},
	} {
		t.Run(name, func(t *testing.T) {
			ls := tc.edit(chain())
			got, _ := authenticate(pub, ls)
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Errorf("line seq %d: authentic %v, want %v", ls[i].env.Seq, got[i], tc.want[i])
				}
			}
		})
	}
}

func mustLine(t *testing.T, line []byte) *ingestLine {
	t.Helper()
	env, msg, err := record.DecodeSignedAudit(bytes.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	return &ingestLine{env: env, msg: msg}
}

func lineOf(t *testing.T, l *ingestLine) []byte {
	t.Helper()
	b, err := json.Marshal(l.env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDetect_UnverifiedAuditAlert: audit that fails verification (here a
// tampered signed envelope) raises evidence.unverified-audit for its
// session once the rules run, and unsigned audit from a machine not yet
// enrolled raises nothing.
func TestDetect_UnverifiedAuditAlert(t *testing.T) {
	ts := startServer(t, withRules(detect.Builtin), withManualDetect())
	ingest, read := ts.tokens[record.ScopeIngest], ts.tokens[record.ScopeRead]
	d := ts.enroll(1)

	unsigned := newAudit("e-unsigned", "rollout", t0.Add(time.Second))
	unsigned.Command, unsigned.Decision = "ls", record.DecisionAllow
	if r := ts.postAudit(ingest, auditLine(t, unsigned)); r.status != http.StatusOK {
		t.Fatalf("unsigned post: %d %s", r.status, r.body)
	}
	good := newAudit("e-good", "tampered", t0.Add(2*time.Second))
	good.Command, good.Decision, good.RuleID = "git push --force", record.DecisionDeny, "commands.vcs-force-push"
	line := d.sign(t, good)
	tampered := bytes.Replace(line, []byte(`"decision":"deny"`), []byte(`"decision":"allow"`), 1)
	if r := ts.postAudit(d.credential, tampered); r.status != http.StatusOK {
		t.Fatalf("tampered post: %d %s", r.status, r.body)
	}
	ts.clock.Add(time.Minute)
	ts.s.detector.evaluate(context.Background())

	var list AlertList
	ts.do("GET", "/api/v1/alerts?rule=evidence.unverified-audit", read, nil).json(t, &list)
	if len(list.Alerts) != 1 || list.Alerts[0].SessionID != "tampered" {
		t.Fatalf("unverified-audit alerts: %+v, want one for the tampered session", list.Alerts)
	}
}
