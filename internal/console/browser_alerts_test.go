package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardenhq/warden/internal/record"
)

// TestBrowserAlerts drives the alert pages in headless Chromium against a
// server with seeded sessions and alerts: the queue with its filters and
// paging, an alert's page with its matched chain, acknowledge and resolve
// with comments seen in the status history, a quarantine confirmed on its
// own page, cross-site and signed-out posts refused, hostile strings that
// must neither run nor break the layout, and a read token that sees no
// action.
func TestBrowserAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	cs := startConsoleServer(t, t.TempDir())
	ids := seed(t, cs.store, time.Now().UTC(), seedSpec{sessions: 12, calls: 12, span: 2 * 24 * time.Hour, hostile: true})
	al := seedAlerts(t, cs.store, ids, 55)
	tb := newTab(t)
	base := cs.url
	rows := func() int { return eval[int](tb, `document.querySelectorAll("#alerts tbody tr").length`) }
	loaded := func(cond string) { tb.waitFor(cond + ` && document.readyState === "complete"`) }

	t.Run("Queue", func(t *testing.T) {
		tb.t = t
		tb.signIn(base, cs.tokens[record.ScopeAdmin])
		tb.do(chromedp.Click(chromedp.CSS(`nav a[href="/alerts"]`)))
		loaded(`location.pathname === "/alerts" && !!document.getElementById("alerts")`)
		if n := rows(); n != 50 {
			t.Errorf("first page: %d alerts, want 50", n)
		}
		if got := eval[string](tb, `document.querySelector("#alert-summary a[href='/alerts?severity=low&status=open']").textContent`); got != "55" {
			t.Errorf("open low alerts in the summary: %q, want 55", got)
		}
		tb.layoutHolds("/alerts")
		tb.screenshot("alerts")
		tb.capture("alerts-window", chromedp.CaptureScreenshot())
		tb.do(chromedp.Click(chromedp.ID("next-page")), chromedp.WaitVisible(chromedp.ID("first-page")))
		if n := rows(); n != 8 {
			t.Errorf("second page: %d alerts, want 8", n)
		}
		if eval[bool](tb, `!!document.getElementById("next-page")`) {
			t.Error("the last page links to a next one")
		}
		tb.do(chromedp.Click(chromedp.ID("first-page")))
		loaded(`!document.getElementById("first-page")`)
		tb.do(chromedp.SetValue(chromedp.ID("f-severity"), "high"), chromedp.SetValue(chromedp.ID("f-status"), "open"),
			chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)))
		loaded(`location.search.includes("severity=high")`)
		loc, _ := url.Parse(tb.location())
		if loc.Query().Get("severity") != "high" || loc.Query().Get("status") != "open" {
			t.Errorf("filter URL %s", loc)
		}
		if n := rows(); n != 1 {
			t.Errorf("open high alerts: %d, want 1", n)
		}
		tb.screenshot("alerts-filtered")
		tb.clean("alert queue")
	})

	t.Run("AcknowledgeAndResolve", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base+"/alerts?severity=high"), chromedp.WaitVisible(chromedp.ID("alerts")),
			chromedp.Click(chromedp.CSS(`#alerts tbody a[href="/alerts/`+al.chain+`"]`)))
		loaded(`location.pathname === "/alerts/` + al.chain + `" && !!document.getElementById("history")`)
		matched := len(mustAlert(t, cs.store, al.chain).EventIDs)
		if n := eval[int](tb, `document.querySelectorAll("#timeline tr.matched").length`); n != matched || n == 0 {
			t.Errorf("%d matched rows on the timeline, want %d", n, matched)
		}
		if href := eval[string](tb, `document.getElementById("alert-session").getAttribute("href")`); href != "/sessions/"+ids[0] {
			t.Errorf("session link %q", href)
		}
		tb.layoutHolds("alert page")
		tb.screenshot("alert")
		tb.capture("alert-window", chromedp.CaptureScreenshot())

		tb.do(chromedp.Click(chromedp.CSS(`#status-form input[value="acknowledged"]`)),
			chromedp.SendKeys(chromedp.ID("status-comment"), "INC-42: looking into the upload"),
			chromedp.Click(chromedp.CSS(`#status-form button`)), chromedp.WaitVisible(chromedp.ID("notice")))
		history := eval[string](tb, `document.getElementById("history").innerText`)
		for _, w := range []string{"open", "rule:chain.secret-then-egress", "acknowledged", "INC-42: looking into the upload", "console-admin"} {
			if !strings.Contains(history, w) {
				t.Errorf("history lacks %q:\n%s", w, history)
			}
		}
		if st := eval[string](tb, `document.getElementById("alert-status").textContent`); st != "acknowledged" {
			t.Errorf("status %q after acknowledging", st)
		}
		tb.screenshot("alert-acknowledged")

		tb.do(chromedp.Click(chromedp.CSS(`#status-form input[value="resolved"]`)),
			chromedp.SendKeys(chromedp.ID("status-comment"), "key rotated, upload blocked"))
		tb.do(chromedp.Click(chromedp.CSS(`#status-form button`)))
		loaded(`location.search.includes("done=resolved")`)
		if st := eval[string](tb, `document.getElementById("alert-status").textContent`); st != "resolved" {
			t.Errorf("status %q after resolving", st)
		}
		if n := eval[int](tb, `document.querySelectorAll("#history tbody tr").length`); n != 3 {
			t.Errorf("%d history entries, want 3 (opened, acknowledged, resolved)", n)
		}
		if eval[bool](tb, `!!document.getElementById("status-form")`) {
			t.Error("a resolved alert still offers status changes")
		}
		if a := mustAlert(t, cs.store, al.chain); a.Status != record.AlertResolved || a.History[2].Comment != "key rotated, upload blocked" {
			t.Errorf("stored: %s %+v", a.Status, a.History)
		}
		tb.clean("acknowledge and resolve")
	})

	t.Run("QuarantineConfirmed", func(t *testing.T) {
		tb.t = t
		target := ids[1]
		if d, _ := cs.decide(t, target); d == "deny" {
			t.Fatal("denied before the quarantine")
		}
		tb.do(chromedp.Navigate(base+"/alerts/"+al.mcp), chromedp.WaitVisible(chromedp.ID("rq-reason")),
			chromedp.SendKeys(chromedp.ID("rq-reason"), "INC-43 unapproved server"),
			chromedp.Click(chromedp.CSS("#respond-quarantine button")), chromedp.WaitVisible(chromedp.ID("confirm-form")))
		tb.screenshot("alert-confirm")
		if d, _ := cs.decide(t, target); d == "deny" {
			t.Fatal("quarantined before the confirmation")
		}
		tb.do(chromedp.Click(chromedp.CSS("#confirm-form button")))
		loaded(`location.search.includes("done=quarantined")`)
		if !eval[bool](tb, `!!document.getElementById("alert-quarantined")`) {
			t.Error("the alert page does not show the quarantine")
		}
		if d, reason := cs.decide(t, target); d != "deny" || !strings.Contains(reason, "INC-43 unapproved server") {
			t.Errorf("central decision after the confirmed quarantine: %s %q", d, reason)
		}
		tb.clean("quarantine from an alert")
	})

	t.Run("CrossSiteRefused", func(t *testing.T) {
		tb.t = t
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<form id=f method=post action="%s/alerts/%s/status"><input name=status value=false_positive><input name=comment value=csrf></form>
<script>document.getElementById("f").submit()</script>`, base, al.hostile)
		}))
		defer evil.Close()
		port := strings.TrimPrefix(evil.URL, "http://127.0.0.1:")
		for _, origin := range []string{evil.URL, "http://localhost:" + port} {
			tb.do(chromedp.Navigate(origin+"/"), chromedp.Sleep(500*time.Millisecond))
			if got := tb.take(); !strings.Contains(strings.Join(got, "\n"), "HTTP 40") {
				t.Errorf("%s: the cross-site post was not refused (%v)", origin, got)
			}
		}
		if a := mustAlert(t, cs.store, al.hostile); a.Status != record.AlertOpen || len(a.History) != 1 {
			t.Errorf("a cross-site form changed the alert: %s %+v", a.Status, a.History)
		}
	})

	t.Run("HostileStrings", func(t *testing.T) {
		tb.t = t
		for _, p := range []struct{ path, wait, shot string }{
			{"/alerts?severity=critical", "#alerts", "alerts-hostile"},
			{"/alerts/" + al.hostile, "#history", "alert-hostile"},
		} {
			tb.do(chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
			tb.screenshot(p.shot)
			if title := eval[string](tb, "document.title"); strings.Contains(title, "pwned") {
				t.Errorf("%s: script ran: title %q", p.path, title)
			}
			if eval[bool](tb, "window.pwned === 1") {
				t.Errorf("%s: script ran: window.pwned set", p.path)
			}
			if n := eval[int](tb, `document.querySelectorAll("main script, main img, main a[href^='javascript:']").length`); n != 0 {
				t.Errorf("%s: %d script, img or javascript: elements made it into the page", p.path, n)
			}
			text := eval[string](tb, "document.body.innerText")
			for _, want := range []string{`\u202E`, "<script>", `"><img src=x`} {
				if !strings.Contains(text, want) {
					t.Errorf("%s: page text lacks the visible form %q", p.path, want)
				}
			}
			if strings.ContainsAny(text, "\u202E\x1b") {
				t.Errorf("%s: a bidi override or an escape reached the page as such", p.path)
			}
			tb.layoutHolds(p.path)
			tb.clean(p.path)
		}
		// The hostile session's link leads to it, not elsewhere.
		tb.do(chromedp.Click(chromedp.ID("alert-session")))
		loaded(`!!document.getElementById("timeline")`)
		if got := eval[string](tb, `document.getElementById("session-id").textContent`); got != `evil"><img src=x onerror=document.title='pwned'>\u202E` {
			t.Errorf("the alert's session link opened %q", got)
		}
		if eval[int](tb, `document.querySelectorAll("#timeline .badge.u").length`) == 0 {
			t.Error("the hostile session's unverified audit events are not marked")
		}
		tb.clean("hostile session from its alert")
	})

	t.Run("SignedOutAndReadOnly", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.CSS(".signout button")),
			chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.ID("token")))
		tb.do(chromedp.Navigate(base+"/alerts/"+al.hostile), chromedp.WaitVisible(chromedp.ID("token")))
		if loc := tb.location(); loc != base+"/login?next="+url.QueryEscape("/alerts/"+al.hostile) {
			t.Errorf("signed out, an alert went to %s", loc)
		}
		tb.clean("signed out")
		// A signed-out post (no cookie) is refused and changes nothing.
		out := signIn(t, base, "")
		if st, _, _ := out.post("/alerts/"+al.hostile+"/status", url.Values{"status": {"resolved"}, "comment": {"x"}}); st != http.StatusUnauthorized {
			t.Errorf("signed-out post: %d, want 401", st)
		}
		if a := mustAlert(t, cs.store, al.hostile); a.Status != record.AlertOpen {
			t.Errorf("a signed-out post changed the alert to %s", a.Status)
		}
		tb.signIn(base, cs.tokens[record.ScopeRead])
		tb.do(chromedp.Navigate(base+"/alerts/"+al.hostile), chromedp.WaitVisible(chromedp.ID("history")))
		if n := eval[int](tb, `document.querySelectorAll("main form").length`); n != 0 {
			t.Errorf("a read token sees %d action forms", n)
		}
		tb.clean("read token")
	})
}
