package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/console"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/settings"
	"github.com/wardenhq/warden/internal/store/storetest"
)

// browser is a console client: a cookie jar, redirects not followed, and
// the headers a browser sends on same-origin form posts.
type browser struct {
	t    *testing.T
	ts   *testServer
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, ts *testServer) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, ts: ts, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) send(method, path string, form url.Values, header ...string) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.ts.url+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.ts.url)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(out); m != nil {
		b.csrf = string(m[1])
	}
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

func (b *browser) get(path string) response { b.t.Helper(); return b.send("GET", path, nil) }

// post posts form with the sign-in's form token.
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.send("POST", path, form)
}

func (b *browser) signIn(token string) {
	b.t.Helper()
	r := b.send("POST", "/login", url.Values{"token": {token}, "next": {"/"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		b.t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	if r := b.get("/"); r.status != http.StatusOK {
		b.t.Fatalf("overview after sign-in: %d %s", r.status, r.body)
	}
}

func TestConsole_SignInOut(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, ts)
	for _, p := range []string{"/", "/sessions", "/sessions/s1", "/policy"} {
		r := b.get(p)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next="+url.QueryEscape(p) {
			t.Errorf("signed out GET %s: %d %s", p, r.status, r.header.Get("Location"))
		}
	}
	r := b.get("/login")
	if r.status != http.StatusOK || r.header.Get("Content-Security-Policy") != console.CSP ||
		!strings.Contains(string(r.body), `name="token"`) {
		t.Fatalf("login page: %d %v", r.status, r.header)
	}
	for name, tok := range map[string]string{"Unknown": "wdn_" + strings.Repeat("A", 43), "Garbage": "hello",
		"Ingest": ts.tokens[record.ScopeIngest]} {
		if r := b.send("POST", "/login", url.Values{"token": {tok}}); r.status != http.StatusUnauthorized ||
			r.header.Get("Set-Cookie") != "" || !strings.Contains(string(r.body), "Sign-in failed") {
			t.Errorf("%s token: %d %s", name, r.status, r.header.Get("Set-Cookie"))
		}
	}
	r = b.send("POST", "/login", url.Values{"token": {ts.tokens[record.ScopeRead]}, "next": {"//evil.example/x"}})
	ck := r.header.Get("Set-Cookie")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Errorf("sign-in with an off-site next: %d to %q", r.status, r.header.Get("Location"))
	}
	for _, want := range []string{"warden_console=", "HttpOnly", "SameSite=Strict", "Max-Age=", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, ts.tokens[record.ScopeRead]) {
		t.Error("the cookie carries the token")
	}
	for _, p := range []string{"/", "/sessions", "/policy"} {
		if r := b.get(p); r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("signed in GET %s: %d", p, r.status)
		}
	}
	// Signing out needs the form token; then the cookie is dead even if replayed.
	if r := b.send("POST", "/logout", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("logout without the form token: %d", r.status)
	}
	if r := b.post("/logout", nil); r.status != http.StatusSeeOther {
		t.Errorf("logout: %d %s", r.status, r.body)
	}
	stolen := strings.TrimPrefix(strings.Split(ck, ";")[0], "warden_console=")
	req, _ := http.NewRequest("GET", ts.url+"/", nil)
	req.AddCookie(&http.Cookie{Name: "warden_console", Value: stolen})
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("replayed cookie after sign-out: %d", resp.StatusCode)
	}
	// The JSON API is unchanged: bearer tokens, JSON errors.
	if r := ts.do("GET", "/api/v1/sessions", ts.tokens[record.ScopeRead], nil); r.status != http.StatusOK {
		t.Errorf("API with a bearer token: %d", r.status)
	}
	if r := ts.do("GET", "/no/such/thing", "", nil); r.status != http.StatusNotFound || r.errorCode() != ENotFound {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
}

func TestConsole_RevokedTokenSignsOut(t *testing.T) {
	ts := startServer(t)
	secret := ts.newToken(record.ScopeRead)
	b := newBrowser(t, ts)
	b.signIn(secret)
	toks, _ := ts.store.ListTokens(context.Background())
	for _, tok := range toks {
		if tok.Hash == HashToken(secret) {
			if err := ts.store.RevokeToken(context.Background(), tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	ts.clock.Add(tokenCacheTTL + time.Second)
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("revoked token's sign-in still works: %d", r.status)
	}
}

func TestConsole_CrossSiteRefused(t *testing.T) {
	ts := startServer(t)
	b := newBrowser(t, ts)
	b.signIn(ts.tokens[record.ScopeAdmin])
	form := url.Values{"reason": {"x"}, "csrf": {b.csrf}}
	for name, h := range map[string][]string{
		"SecFetchSite": {"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		"Origin":       {"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		if r := b.send("POST", "/sessions/s1/quarantine", form, h...); r.status != http.StatusForbidden {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	bad := url.Values{"reason": {"x"}, "csrf": {"not-the-token"}}
	if r := b.send("POST", "/sessions/s1/quarantine", bad); r.status != http.StatusForbidden {
		t.Errorf("wrong form token: %d", r.status)
	}
	if _, err := ts.store.Quarantine(context.Background(), "s1"); err == nil {
		t.Fatal("a refused request quarantined the session")
	}
	// Signed out: refused, not redirected.
	anon := newBrowser(t, ts)
	if r := anon.send("POST", "/sessions/s1/quarantine", form); r.status != http.StatusUnauthorized {
		t.Errorf("signed out: %d", r.status)
	}
	// A read token may look but not act.
	reader := newBrowser(t, ts)
	reader.signIn(ts.tokens[record.ScopeRead])
	if r := reader.post("/sessions/s1/quarantine", url.Values{"reason": {"x"}}); r.status != http.StatusForbidden ||
		!strings.Contains(string(r.body), "Admin scope required") {
		t.Errorf("read token acting: %d", r.status)
	}
}

func TestConsole_QuarantineAndReview(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backend) {
		ts := startServer(t, withStore(bk.open(t)))
		ingest := ts.tokens[record.ScopeIngest]
		readme := pre("cq1", "Read", map[string]any{"file_path": "/home/dev/app/README.md"})
		if _, d := ts.decide(ingest, readme, ""); d.HookSpecificOutput.PermissionDecision == "deny" {
			t.Fatal("denied before the quarantine")
		}
		b := newBrowser(t, ts)
		b.signIn(ts.tokens[record.ScopeAdmin])
		page := b.get("/sessions/cq1")
		if page.status != http.StatusOK || !strings.Contains(string(page.body), `id="quarantine-form"`) {
			t.Fatalf("session page: %d %s", page.status, page.body)
		}
		r := b.post("/sessions/cq1/quarantine", url.Values{"reason": {"INC-7 <b>exfil</b>"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("quarantine: %d %s", r.status, r.body)
		}
		_, d := ts.decide(ingest, readme, "")
		if d.HookSpecificOutput.PermissionDecision != "deny" || !strings.Contains(d.HookSpecificOutput.PermissionDecisionReason, "INC-7") {
			t.Errorf("central decision after a console quarantine: %+v", d.HookSpecificOutput)
		}
		q, err := ts.store.Quarantine(context.Background(), "cq1")
		if err != nil || !strings.HasPrefix(q.By, "token:tok_") {
			t.Errorf("stored quarantine %+v, %v", q, err)
		}
		page = b.get("/sessions/cq1?done=quarantined")
		if !strings.Contains(string(page.body), "INC-7 &lt;b&gt;exfil&lt;/b&gt;") || !strings.Contains(string(page.body), `id="release-form"`) {
			t.Errorf("session page after quarantine lacks the escaped reason or the release form")
		}

		// Reviewer decision: stored with the reviewer, in the JSON and Markdown record.
		if r := b.post("/sessions/cq1/review", url.Values{"decision": {"lgtm"}}); r.status != http.StatusBadRequest {
			t.Errorf("unknown decision: %d", r.status)
		}
		r = b.post("/sessions/cq1/review", url.Values{"decision": {record.ReviewIncident}, "comment": {"reads *secrets* <x>"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("review: %d %s", r.status, r.body)
		}
		var rr record.RunRecord
		ts.do("GET", "/api/v1/sessions/cq1/record", ts.tokens[record.ScopeRead], nil).json(t, &rr)
		if rr.Review == nil || rr.Review.Decision != record.ReviewIncident || rr.Review.Comment != "reads *secrets* <x>" ||
			!strings.HasPrefix(rr.Review.Reviewer, "token:tok_") || !strings.Contains(rr.Review.Reviewer, "test-admin") {
			t.Errorf("record review: %+v", rr.Review)
		}
		md := ts.do("GET", "/api/v1/sessions/cq1/record?format=md", ts.tokens[record.ScopeRead], nil)
		if !strings.Contains(string(md.body), "## Reviewer decision") || !strings.Contains(string(md.body), `reads \*secrets\* \<x\>`) {
			t.Errorf("markdown record lacks the review:\n%s", md.body)
		}
		page = b.get("/sessions/cq1")
		if !strings.Contains(string(page.body), `<strong class="review-incident">incident</strong>`) {
			t.Error("session page lacks the review")
		}

		if r := b.post("/sessions/cq1/release", nil); r.status != http.StatusSeeOther {
			t.Fatalf("release: %d %s", r.status, r.body)
		}
		if _, d := ts.decide(ingest, readme, ""); d.HookSpecificOutput.PermissionDecision == "deny" {
			t.Error("still denied after release")
		}
		if r := b.post("/sessions/cq1/release", nil); r.status != http.StatusConflict {
			t.Errorf("second release: %d", r.status)
		}
	})
}

// hostileEvents are events whose agent-written fields try to break out
// of the page.
func hostileEvents(session string) []record.Event {
	big := strings.Repeat("A", 100<<10)
	vals := []string{
		`<script>document.title="pwned"</script>`,
		`"><img src=x onerror=document.title='pwned'>`,
		`javascript:document.title='pwned'`,
		"rm -rf /tmp/\u202Egnp.sh",
		"echo \x1b[31mred\x1b[0m \x1b]0;title\x07",
		"curl " + big,
	}
	var out []record.Event
	for i, v := range vals {
		e := storetest.HookEvent(session+"-h"+string(rune('a'+i)), session, time.Duration(i)*time.Second, "deny")
		e.Audit.Command, e.Audit.Reason, e.Audit.Repository, e.Audit.Branch = v, v, v, v
		e.Audit.RuleID = "rule-" + string(rune('a'+i))
		out = append(out, e)
	}
	return out
}

func TestConsole_HostileStringsEscaped(t *testing.T) {
	ts := startServer(t)
	id := `evil"><script>x</script>` + "\u202E"
	if _, err := ts.store.AppendEvents(context.Background(), hostileEvents(id)); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ts)
	b.signIn(ts.tokens[record.ScopeRead])
	for _, p := range []string{"/sessions", "/sessions/" + url.PathEscape(id), "/"} {
		r := b.get(p)
		body := string(r.body)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", p, r.status, body)
		}
		for _, bad := range []string{"<script>", "<img", "\u202E", "\x1b", "href=\"javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q unescaped", p, bad)
			}
		}
	}
	body := string(b.get("/sessions/" + url.PathEscape(id)).body)
	for _, want := range []string{"&lt;script&gt;", `\u202E`, "␛[31m", "␇", "full value (102405 bytes)"} {
		if !strings.Contains(body, want) {
			t.Errorf("session page lacks %q", want)
		}
	}
}

// TestSessions_Filters: the API takes the console's filters, which
// `warden sessions list` sends.
func TestSessions_Filters(t *testing.T) {
	ts := startServer(t)
	a := storetest.HookEvent("f-1", "fa", time.Second, "deny")
	b := storetest.HookEvent("f-2", "fb", 2*time.Second, "allow")
	b.Audit.Repository, b.Audit.Host, b.Audit.Tier = "lib", "box-2", "strict"
	if _, err := ts.store.AppendEvents(context.Background(), []record.Event{a, b}); err != nil {
		t.Fatal(err)
	}
	read := ts.tokens[record.ScopeRead]
	for q, want := range map[string]string{
		"":                          "fb fa",
		"?denials=1":                "fa",
		"?repository=lib":           "fb",
		"?device=box-2&tier=strict": "fb",
		"?device=devbox&denials=0":  "fa",
		"?team=none":                "",
	} {
		var list SessionList
		r := ts.do("GET", "/api/v1/sessions"+q, read, nil)
		r.json(t, &list)
		var ids []string
		for _, s := range list.Sessions {
			ids = append(ids, s.SessionID)
		}
		if got := strings.Join(ids, " "); r.status != http.StatusOK || got != want {
			t.Errorf("%s: %d %q, want %q", q, r.status, got, want)
		}
	}
	if r := ts.do("GET", "/api/v1/sessions?denials=maybe", read, nil); r.status != http.StatusBadRequest {
		t.Errorf("denials=maybe: %d", r.status)
	}
}

// TestSessions_AlertAndConflictFilters: ?alerts=1 keeps the sessions an
// alert names; ?conflicts=1 those whose run record has evidence conflicts,
// counted in the background after ingest (two audit events of one call
// that contradict each other).
func TestSessions_AlertAndConflictFilters(t *testing.T) {
	ts := startServer(t)
	ingest, read := ts.tokens[record.ScopeIngest], ts.tokens[record.ScopeRead]
	at := t0.Add(time.Minute)
	first := newAudit("cf-1", "conflicted", at)
	first.ToolUseID, first.Decision = "toolu_1", record.DecisionDeny
	second := newAudit("cf-2", "conflicted", at)
	second.ToolUseID = "toolu_1" // allow: contradicts the deny
	plain := newAudit("cf-3", "plain", at.Add(time.Second))
	body := append(append(auditLine(t, first), auditLine(t, second)...), auditLine(t, plain)...)
	if r := ts.do("POST", "/v1/audit", ingest, body, "Content-Type", ContentTypeNDJSON); r.status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	if _, err := ts.store.RecordAlert(context.Background(), record.AlertHit{Rule: "r", Title: "t", Severity: "high",
		GroupBy: "session", Group: "plain", SessionID: "plain", EventIDs: []string{"cf-3"}, First: at, Last: at, Fingerprint: "fp"}); err != nil {
		t.Fatal(err)
	}
	list := func(q string) string {
		t.Helper()
		var l SessionList
		r := ts.do("GET", "/api/v1/sessions"+q, read, nil)
		r.json(t, &l)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var ids []string
		for _, s := range l.Sessions {
			ids = append(ids, s.SessionID)
		}
		return strings.Join(ids, " ")
	}
	if got := list("?alerts=1"); got != "plain" {
		t.Errorf("alerts=1: %q, want plain", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	for list("?conflicts=1") != "conflicted" {
		if time.Now().After(deadline) {
			t.Fatalf("conflicts=1 never listed the conflicted session: %q", list("?conflicts=1"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := list("?conflicts=1&alerts=1"); got != "" {
		t.Errorf("conflicts and alerts: %q, want none", got)
	}
	for _, q := range []string{"?alerts=yes", "?conflicts=2"} {
		if r := ts.do("GET", "/api/v1/sessions"+q, read, nil); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, r.status)
		}
	}
}

// TestConsole_PolicyDiff: two servers on one store put two revisions;
// the policy page compares them tier by tier and as YAML.
func TestConsole_PolicyDiff(t *testing.T) {
	st := sqliteBackend().open(t)
	startServer(t, withStore(st))
	yaml, err := os.ReadFile(filepath.Join("..", "policy", "testdata", "good", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	full, err := policyfile.Parse("full.yaml", yaml)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, withStore(st), func(o *Options) {
		o.Policy, o.PolicyYAML = full, yaml
		o.PolicyDiff = console.PolicyDiff{Text: settings.UnifiedDiff}
	})
	b := newBrowser(t, ts)
	b.signIn(ts.tokens[record.ScopeRead])
	page := string(b.get("/policy").body)
	if !strings.Contains(page, `id="diff-form"`) || !strings.Contains(page, "<dd>2</dd>") {
		t.Fatalf("policy page lacks the revision form or the stored version 2")
	}
	r := b.get("/policy?from=1&to=2")
	body := string(r.body)
	for _, want := range []string{`id="diff"`, "Version 1 to 2", "only in the new revision", "&#43;name: acme"} {
		if !strings.Contains(body, want) {
			t.Errorf("diff lacks %q", want)
		}
	}
	if r := b.get("/policy?from=1&to=9"); r.status != http.StatusBadRequest {
		t.Errorf("unknown revision: %d", r.status)
	}
}
