package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// seedEventID is the ID seed gives event kind of call n of a session.
func seedEventID(session string, n int, kind string) string {
	return fmt.Sprintf("%x", fmt.Sprintf("%s/%d/%s", session, n, kind))
}

// hostileRepository is the repository an agent named on the hostile
// session's alert.
const hostileRepository = `https://github.com/acme/"><img src=x onerror=document.title='pwned'>` + "\u202E.git"

// seededAlerts are the alerts seedAlerts records.
type seededAlerts struct {
	chain   string // high, on ids[0]: the .env read and the curl upload
	hostile string // critical, on the hostile session
	mcp     string // medium, on ids[1]: an MCP call
	all     []string
}

// seedAlerts records alerts on the seeded sessions: the three above and
// extra low ones on other sessions, enough for two pages of the queue.
func seedAlerts(tb testing.TB, st store.Store, ids []string, extra int) seededAlerts {
	tb.Helper()
	now := time.Now().UTC()
	rec := func(h record.AlertHit) string {
		tb.Helper()
		r, err := st.RecordAlert(context.Background(), h)
		if err != nil {
			tb.Fatal(err)
		}
		return r.Alert.ID
	}
	var out seededAlerts
	// seedTools[3] is `cat .env`, [4] the curl upload: session i calls
	// seedTools[(i+c)%8] at call c; ids[0] is session len(ids)-1.
	i := len(ids) - 1
	var chain []string
	for c := range 12 {
		if k := (i + c) % len(seedTools); k == 3 || k == 4 {
			chain = append(chain, seedEventID(ids[0], c, "hook"))
		}
	}
	out.chain = rec(record.AlertHit{Rule: "chain.secret-then-egress", Title: "Secret read, then upload", Severity: "high",
		GroupBy: "session", Group: ids[0], SessionID: ids[0], UserID: seedUsers[i%len(seedUsers)], Device: "laptop-01",
		Repository: seedRepos[i%len(seedRepos)], EventIDs: chain, First: now.Add(-time.Hour), Last: now.Add(-time.Hour), Fingerprint: "chain"})
	out.hostile = rec(record.AlertHit{Rule: "hostile.strings", Title: "Hostile strings", Severity: "critical",
		GroupBy: "session", Group: hostileID, SessionID: hostileID, UserID: hostileValues()[0], Device: hostileValues()[1],
		Repository: hostileRepository, EventIDs: []string{seedEventID(hostileID, 0, "hook"), seedEventID(hostileID, 1, "hook")},
		First: now.Add(-time.Hour), Last: now.Add(-time.Hour), Fingerprint: "hostile"})
	j := len(ids) - 2
	var mcp []string
	for c := range 12 {
		if (j+c)%len(seedTools) == 6 {
			mcp = append(mcp, seedEventID(ids[1], c, "hook"))
		}
	}
	out.mcp = rec(record.AlertHit{Rule: "mcp.unapproved", Title: "Unapproved MCP server", Severity: "medium",
		GroupBy: "session", Group: ids[1], SessionID: ids[1], EventIDs: mcp, First: now, Last: now, Fingerprint: "mcp"})
	out.all = []string{out.chain, out.hostile, out.mcp}
	for k := range extra {
		id := ids[2+k%(len(ids)-2)]
		out.all = append(out.all, rec(record.AlertHit{Rule: fmt.Sprintf("noise.%02d", k), Title: "Low noise", Severity: "low",
			GroupBy: "session", Group: id, SessionID: id, EventIDs: []string{seedEventID(id, 0, "hook")},
			First: now, Last: now, Fingerprint: fmt.Sprintf("noise-%d", k)}))
	}
	return out
}

// client is a signed-in console client (no browser): it keeps the
// cookie and reads the form token from the pages.
type client struct {
	tb   testing.TB
	base string
	http *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func signIn(tb testing.TB, base, secret string) *client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{tb: tb, base: base, http: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if secret == "" {
		return c
	}
	if st, _, _ := c.post("/login", url.Values{"token": {secret}}); st != http.StatusSeeOther {
		tb.Fatalf("sign-in: %d", st)
	}
	_, body, _ := c.get("/sessions")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		tb.Fatal("no form token on /sessions")
	}
	c.csrf = m[1]
	return c
}

func (c *client) do(req *http.Request) (int, string, http.Header) {
	c.tb.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (c *client) get(path string) (int, string, http.Header) {
	c.tb.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	return c.do(req)
}

// post sends a form from the console's own origin.
func (c *client) post(path string, form url.Values) (int, string, http.Header) {
	c.tb.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// form is a console form with this client's token.
func (c *client) form(kv ...string) url.Values {
	v := url.Values{"csrf": {c.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func mustAlert(tb testing.TB, st store.Store, id string) *record.Alert {
	tb.Helper()
	a, err := st.Alert(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// TestAlertPages: the queue and an alert's page render what the store
// holds, filter and page, refuse bad filters and IDs, and escape what
// agents wrote.
func TestAlertPages(t *testing.T) {
	cs := startConsoleServer(t, t.TempDir())
	ids := seed(t, cs.store, time.Now().UTC(), seedSpec{sessions: 12, calls: 12, span: 24 * time.Hour, hostile: true})
	al := seedAlerts(t, cs.store, ids, 55)
	admin, read, out := signIn(t, cs.url, cs.tokens[record.ScopeAdmin]), signIn(t, cs.url, cs.tokens[record.ScopeRead]), signIn(t, cs.url, "")
	rows := regexp.MustCompile(`<tr class="status-`)
	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		status int
		want   []string // in the body
		absent []string
		rows   int // alert rows in the queue, -1 to skip
	}{
		{"SignedOut", out, "/alerts", http.StatusSeeOther, nil, nil, -1},
		{"Queue", read, "/alerts", http.StatusOK, []string{`id="alert-summary"`, `href="/alerts?severity=low&amp;status=open">55<`,
			`id="next-page"`, `aria-current="page">Alerts`}, []string{`id="first-page"`}, 50},
		{"SecondPage", read, "/alerts?cursor=" + pageCursor(t, cs.store), http.StatusOK, []string{`id="first-page"`}, []string{`id="next-page"`}, 8},
		{"Severity", read, "/alerts?severity=critical", http.StatusOK, []string{"#" + al.hostile + " Hostile strings"}, nil, 1},
		{"StatusAndRule", read, "/alerts?status=open&rule=chain.secret-then-egress", http.StatusOK, []string{"#" + al.chain}, nil, 1},
		{"Session", read, "/alerts?" + url.Values{"session": {ids[1]}}.Encode(), http.StatusOK, []string{"#" + al.mcp}, nil, 1},
		{"NoMatch", read, "/alerts?status=resolved", http.StatusOK, []string{`id="no-alerts"`}, nil, 0},
		{"BadStatus", read, "/alerts?status=closed", http.StatusBadRequest, []string{"status is one of"}, nil, -1},
		{"BadSeverity", read, "/alerts?severity=urgent", http.StatusBadRequest, []string{"severity is one of"}, nil, -1},
		{"UnknownFilter", read, "/alerts?%3Cscript%3E=1", http.StatusBadRequest, []string{"&lt;script&gt;"}, []string{"<script>"}, -1},
		{"BadLimit", read, "/alerts?limit=0", http.StatusBadRequest, nil, nil, -1},
		{"BadCursor", read, "/alerts?cursor=zzz", http.StatusBadRequest, nil, nil, -1},
		{"AlertNotNumber", read, "/alerts/abc", http.StatusNotFound, []string{"alert IDs are numbers"}, nil, -1},
		{"AlertMissing", read, "/alerts/999999", http.StatusNotFound, []string{"No alert 999999"}, nil, -1},
		{"AlertSignedOut", out, "/alerts/" + al.chain, http.StatusSeeOther, nil, nil, -1},
		{"AlertRead", read, "/alerts/" + al.chain, http.StatusOK, []string{"chain.secret-then-egress", `id="history"`, "rule:chain.secret-then-egress",
			`href="/sessions/` + ids[0] + `"`, `data-matched="1"`, fmt.Sprintf("%d matched events shown", len(mustAlert(t, cs.store, al.chain).EventIDs))},
			[]string{`id="status-form"`, `id="respond-quarantine"`, `id="respond-revoke"`, `id="respond-tier"`}, -1},
		{"AlertAdmin", admin, "/alerts/" + al.chain, http.StatusOK, []string{`id="status-form"`, `id="respond-quarantine"`,
			`id="respond-revoke"`, `id="respond-tier"`, `<option value="payments">`, `value="` + seedRepos[(len(ids)-1)%3] + `"`}, nil, -1},
		{"AlertMCP", admin, "/alerts/" + al.mcp, http.StatusOK, []string{`id="rr-target" name="target" required maxlength="1024" list="rr-servers" value="github"`}, nil, -1},
		{"AlertHostile", admin, "/alerts/" + al.hostile, http.StatusOK, []string{"&lt;script&gt;", `\u202E`, "&#34;&gt;&lt;img src=x"},
			[]string{"<script>", "<img src=x", "\u202E", `id="rt-target" name="target" required maxlength="1024" value="https`}, -1},
		{"QueueHostile", read, "/alerts?severity=critical", http.StatusOK, []string{`href="/sessions/evil%22%3E%3Cimg`, `&lt;script&gt;`},
			[]string{"<script>", "<img src=x", "\u202E"}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := tc.c.get(tc.path)
			if status != tc.status {
				t.Fatalf("%s: %d, want %d\n%.600s", tc.path, status, tc.status, body)
			}
			if status == http.StatusSeeOther && !strings.HasPrefix(h.Get("Location"), "/login?next=") {
				t.Errorf("signed out: to %q", h.Get("Location"))
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(body, a) {
					t.Errorf("body has %q", a)
				}
			}
			if tc.rows >= 0 {
				if n := len(rows.FindAllString(body, -1)); n != tc.rows {
					t.Errorf("%d alert rows, want %d", n, tc.rows)
				}
			}
		})
	}
}

// pageCursor is the cursor of the queue's second page.
func pageCursor(tb testing.TB, st store.Store) string {
	tb.Helper()
	p, err := st.ListAlerts(context.Background(), store.AlertFilter{Limit: 50})
	if err != nil || p.Next == "" {
		tb.Fatalf("first page: %v %q", err, p.Next)
	}
	return p.Next
}

// TestAlertActions: acknowledge, resolve and false positive with a
// comment; the responses only after confirmation; read tokens, missing
// form tokens and signed-out requests refused, with nothing changed.
func TestAlertActions(t *testing.T) {
	cs := startConsoleServer(t, t.TempDir())
	ids := seed(t, cs.store, time.Now().UTC(), seedSpec{sessions: 6, calls: 12, span: 24 * time.Hour, hostile: true})
	al := seedAlerts(t, cs.store, ids, 0)
	admin, read, out := signIn(t, cs.url, cs.tokens[record.ScopeAdmin]), signIn(t, cs.url, cs.tokens[record.ScopeRead]), signIn(t, cs.url, "")
	status := "/alerts/" + al.chain + "/status"
	respond := "/alerts/" + al.chain + "/respond"
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		c        *client
		path     string
		form     url.Values
		status   int
		location string // on a redirect
		want     string // in the body otherwise
	}{
		{"SignedOut", out, status, url.Values{"status": {"acknowledged"}, "comment": {"x"}}, http.StatusUnauthorized, "", "Sign in again"},
		{"ReadToken", read, status, read.form("status", "acknowledged", "comment", "x"), http.StatusForbidden, "", "Admin scope required"},
		{"NoFormToken", admin, status, url.Values{"status": {"acknowledged"}, "comment": {"x"}}, http.StatusForbidden, "", "Form expired"},
		{"WrongFormToken", admin, status, url.Values{"csrf": {read.csrf}, "status": {"acknowledged"}, "comment": {"x"}}, http.StatusForbidden, "", "Form expired"},
		{"NoComment", admin, status, admin.form("status", "acknowledged", "comment", "  "), http.StatusBadRequest, "", "Comment required"},
		{"BadStatus", admin, status, admin.form("status", "open", "comment", "x"), http.StatusBadRequest, "", "Invalid status"},
		{"NoAlert", admin, "/alerts/999999/status", admin.form("status", "acknowledged", "comment", "x"), http.StatusNotFound, "", "No alert"},
		{"Acknowledge", admin, status, admin.form("status", "acknowledged", "comment", "looking <b>now</b>"), http.StatusSeeOther, "/alerts/" + al.chain + "?done=acknowledged", ""},
		{"Resolve", admin, status, admin.form("status", "resolved", "comment", "rotated the key"), http.StatusSeeOther, "/alerts/" + al.chain + "?done=resolved", ""},
		{"EndedStaysEnded", admin, status, admin.form("status", "false_positive", "comment", "x"), http.StatusConflict, "", "cannot move to false_positive"},
		{"RespondReadToken", read, respond, read.form("action", "quarantine", "reason", "x", "confirm", "yes"), http.StatusForbidden, "", "Admin scope required"},
		{"RespondNoFormToken", admin, respond, url.Values{"action": {"quarantine"}, "reason": {"x"}, "confirm": {"yes"}}, http.StatusForbidden, "", "Form expired"},
		{"RespondUnknown", admin, respond, admin.form("action", "delete_everything", "reason", "x"), http.StatusBadRequest, "", "Unknown response"},
		{"RespondNoReason", admin, respond, admin.form("action", "quarantine"), http.StatusBadRequest, "", "Reason required"},
		{"QuarantineAsksFirst", admin, respond, admin.form("action", "quarantine", "reason", "INC-7"), http.StatusOK, "", `id="confirm-form"`},
		{"RevokeAsksFirst", admin, respond, admin.form("action", "revoke_mcp_server", "target", "github", "reason", "INC-7"), http.StatusOK, "", "denies every tool of this MCP server"},
		{"TierUnknown", admin, respond, admin.form("action", "repository_tier", "target", "*acme/web*", "tier", "nope", "reason", "x", "confirm", "yes"), http.StatusBadRequest, "", "Unknown tier"},
		{"RevokeNoServer", admin, respond, admin.form("action", "revoke_mcp_server", "reason", "x", "confirm", "yes"), http.StatusBadRequest, "", "MCP server required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body, h := tc.c.post(tc.path, tc.form)
			if st != tc.status {
				t.Fatalf("%d, want %d\n%.600s", st, tc.status, body)
			}
			if tc.location != "" && h.Get("Location") != tc.location {
				t.Errorf("to %q, want %q", h.Get("Location"), tc.location)
			}
			if tc.want != "" && !strings.Contains(body, tc.want) {
				t.Errorf("body lacks %q:\n%.600s", tc.want, body)
			}
		})
	}

	// The history: opened, acknowledged and resolved, by the admin token,
	// with the comments (escaped).
	a := mustAlert(t, cs.store, al.chain)
	if a.Status != record.AlertResolved || len(a.History) != 3 || a.History[1].Comment != "looking <b>now</b>" ||
		!strings.HasPrefix(a.History[1].By, "token:") || !strings.Contains(a.History[1].By, "console-admin") {
		t.Errorf("stored alert: %+v", a)
	}
	_, body, _ := admin.get("/alerts/" + al.chain + "?done=resolved")
	for _, w := range []string{"Alert resolved.", "looking &lt;b&gt;now&lt;/b&gt;", "rotated the key", "console-admin"} {
		if !strings.Contains(body, w) {
			t.Errorf("alert page lacks %q", w)
		}
	}
	if strings.Contains(body, `id="status-form"`) {
		t.Error("an ended alert still offers status changes")
	}

	// Nothing the refused and unconfirmed requests asked for happened.
	if _, err := cs.store.Quarantine(ctx, ids[0]); store.ErrorCode(err) != store.ENotFound {
		t.Fatalf("quarantined before confirmation: %v", err)
	}
	if list, _ := cs.store.ListOverlays(ctx); len(list) != 0 {
		t.Fatalf("overlays before confirmation: %+v", list)
	}

	// Confirmed responses take effect.
	if d, _ := cs.decide(t, ids[0]); d == "deny" {
		t.Fatal("denied before the quarantine")
	}
	st, _, h := admin.post(respond, admin.form("action", "quarantine", "reason", "INC-7 key leaked", "confirm", "yes"))
	if st != http.StatusSeeOther || h.Get("Location") != "/alerts/"+al.chain+"?done=quarantined" {
		t.Fatalf("quarantine: %d %s", st, h.Get("Location"))
	}
	if d, reason := cs.decide(t, ids[0]); d != "deny" || !strings.Contains(reason, "alert "+al.chain) || !strings.Contains(reason, "INC-7 key leaked") {
		t.Errorf("central decision after the alert's quarantine: %s %q", d, reason)
	}
	mcpSession := ids[2]
	if d := decideMCP(t, cs, mcpSession); d == "deny" {
		t.Fatal("the MCP server's tool is denied before the revocation")
	}
	mcpRespond := "/alerts/" + al.mcp + "/respond"
	if st, body, _ := admin.post(mcpRespond, admin.form("action", "revoke_mcp_server", "target", "github", "reason", "unapproved", "confirm", "yes")); st != http.StatusSeeOther {
		t.Fatalf("revoke: %d %.400s", st, body)
	}
	if st, body, _ := admin.post(mcpRespond, admin.form("action", "repository_tier", "target", "https://github.com/acme/web*", "tier", "payments", "reason", "tighten", "confirm", "yes")); st != http.StatusSeeOther {
		t.Fatalf("tier: %d %.400s", st, body)
	}
	if d := decideMCP(t, cs, mcpSession); d != "deny" {
		t.Errorf("central decision on the revoked MCP server's tool: %s, want deny", d)
	}
	list, err := cs.store.ListOverlays(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("overlays: %+v %v", list, err)
	}
	if o := list[0]; o.Kind != policy.OverlayRevokeMCPServer || o.Target != "github" || !strings.Contains(o.Reason, "alert "+al.mcp) || !strings.Contains(o.By, "console-admin") {
		t.Errorf("revoke overlay %+v", o)
	}
	if o := list[1]; o.Kind != policy.OverlayRepositoryTier || o.Target != "https://github.com/acme/web*" || o.Tier != "payments" {
		t.Errorf("tier overlay %+v", o)
	}
	if _, body, _ := admin.get("/alerts/" + al.mcp + "?done=revoke_mcp_server"); !strings.Contains(body, "MCP server revoked") {
		t.Error("no notice after the revocation")
	}
}

// decideMCP asks the server for a central decision on a call of the
// github MCP server's tool in session and returns the permissionDecision.
func decideMCP(tb testing.TB, cs *consoleServer, session string) string {
	tb.Helper()
	d, _ := cs.decideCall(tb, session, "mcp__github__create_issue", "toolu_mcp", map[string]any{"title": "x"})
	return d
}

// TestAlertSessionFiltersAndEvidence: the session list filters by alerts
// and conflicts, and the session page marks unverified evidence.
func TestAlertSessionFiltersAndEvidence(t *testing.T) {
	cs := startConsoleServer(t, t.TempDir())
	ids := seed(t, cs.store, time.Now().UTC(), seedSpec{sessions: 6, calls: 12, span: 24 * time.Hour})
	seedAlerts(t, cs.store, ids, 0)
	if err := cs.store.SetSessionConflicts(context.Background(), ids[3], 2); err != nil {
		t.Fatal(err)
	}
	read := signIn(t, cs.url, cs.tokens[record.ScopeRead])
	sessionLinks := regexp.MustCompile(`<a href="/sessions/(sess-\d+)">`)
	for _, tc := range []struct {
		query, want string
		status      int
	}{
		{"?alerts=1", ids[0] + " " + ids[1], http.StatusOK},
		{"?conflicts=1", ids[3], http.StatusOK},
		{"?alerts=1&conflicts=1", "", http.StatusOK},
		{"?alerts=maybe", "", http.StatusBadRequest},
	} {
		st, body, _ := read.get("/sessions" + tc.query)
		if st != tc.status {
			t.Errorf("%s: %d, want %d", tc.query, st, tc.status)
			continue
		}
		if st != http.StatusOK {
			continue
		}
		var got []string
		for _, m := range sessionLinks.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: sessions %q, want %q", tc.query, g, tc.want)
		}
		if tc.query == "?conflicts=1" && !strings.Contains(body, "2 conflicts") {
			t.Error("the conflict count is not in the list")
		}
	}
	// The seeded audit events carry no verification: each is marked, with
	// the reason; telemetry is not evidence Warden verifies.
	_, body, _ := read.get("/sessions/" + ids[0])
	if n, want := strings.Count(body, `>unverified: not checked</span>`), 12; n != want {
		t.Errorf("%d unverified markers, want %d (one per hook event)", n, want)
	}
	if !strings.Contains(body, `id="unverified-count">12 unverified decision events`) {
		t.Error("the session's facts do not count unverified decisions")
	}
	if !strings.Contains(body, `href="/alerts?session=`+ids[0]+`"`) {
		t.Error("the session page does not link its alerts")
	}
}
