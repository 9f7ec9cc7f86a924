package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/testenv"
)

// chromiumPath finds Debian's chromium (scripts/chromium.sh installs it),
// or $WARDEN_CHROMIUM.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("WARDEN_CHROMIUM"), "chromium", "chromium-browser"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	testenv.Missing(t, "no chromium for the console's browser tests: run `bash scripts/chromium.sh install` or set WARDEN_CHROMIUM")
	return ""
}

// outputDir is where screenshots go: $WARDEN_TEST_OUTPUT/console (CI
// keeps that directory), else a temporary directory.
func outputDir(t *testing.T) string {
	if d := os.Getenv("WARDEN_TEST_OUTPUT"); d != "" {
		dir := filepath.Join(d, "console")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// tab is a headless Chromium tab that records what went wrong on its
// pages: console messages and exceptions, log entries (CSP violations are
// among them), failed requests and HTTP errors.
type tab struct {
	t   *testing.T
	ctx context.Context
	out string

	mu       sync.Mutex
	problems []string
}

func newTab(t *testing.T) *tab {
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	tb := &tab{t: t, out: outputDir(t)}
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(tb.listen))
	ctx, cancelT := context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	tb.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return tb
}

func (tb *tab) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, string(a.Value)+a.Description)
		}
		p = fmt.Sprintf("console.%s %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		p = "exception " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			p += " " + ev.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		p = fmt.Sprintf("log %s %s: %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	case *network.EventLoadingFailed:
		p = fmt.Sprintf("request failed: %s %s", ev.ErrorText, ev.BlockedReason)
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			p = fmt.Sprintf("HTTP %d %s", ev.Response.Status, ev.Response.URL)
		}
	}
	// Verbose log entries are Chrome's advice, not problems.
	if p != "" && !strings.HasPrefix(p, "log verbose") {
		tb.mu.Lock()
		tb.problems = append(tb.problems, p)
		tb.mu.Unlock()
	}
}

// take returns and clears the problems seen so far.
func (tb *tab) take() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := tb.problems
	tb.problems = nil
	return p
}

// clean fails the test if anything went wrong since the last check.
func (tb *tab) clean(what string) {
	tb.t.Helper()
	time.Sleep(100 * time.Millisecond) // late events of the page
	for _, p := range tb.take() {
		tb.t.Errorf("%s: %s", what, p)
	}
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatal(err)
	}
}

func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitFor waits until the JavaScript condition holds in the page. It
// polls from Go: chromedp.Poll builds its predicate with new Function,
// which the console's CSP (rightly) refuses.
func (tb *tab) waitFor(cond string) {
	tb.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("waiting for %s: %v", cond, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tb *tab) location() string {
	tb.t.Helper()
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatal(err)
	}
	return loc
}

func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	tb.capture(name, chromedp.FullScreenshot(100))
}

// capture writes a screenshot that shot takes (the whole page, or the
// 1280x900 window).
func (tb *tab) capture(name string, shot chromedp.Action[[]byte]) {
	tb.t.Helper()
	png, err := chromedp.Run(tb.ctx, shot)
	if err != nil {
		tb.t.Fatal(err)
	}
	path := filepath.Join(tb.out, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot %s", path)
}

// layoutHolds fails when the page is wider than the window: some value
// broke out of its cell.
func (tb *tab) layoutHolds(what string) {
	tb.t.Helper()
	if w := eval[int](tb, "document.documentElement.scrollWidth"); w > 1280 {
		tb.t.Errorf("%s: page is %d px wide, more than the 1280 px window", what, w)
	}
}

func (tb *tab) signIn(base, secret string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	if loc := tb.location(); loc != base+"/login?next=%2F" {
		tb.t.Errorf("signed out, / went to %s", loc)
	}
	tb.do(chromedp.SendKeys(chromedp.ID("token"), secret), chromedp.Click(chromedp.CSS(`.login button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("total-denials")))
}

// TestBrowser drives the console in headless Chromium against a server
// with a seeded fleet: sign-in and out, every page, filters and paging,
// quarantine and reviewer decisions from the session page, cross-site and
// signed-out requests refused, and hostile strings that must not run or
// break the layout.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	cs := startConsoleServer(t, t.TempDir())
	ids := seed(t, cs.store, time.Now().UTC(), seedSpec{sessions: 60, calls: 12, span: 6 * 24 * time.Hour, hostile: true})
	tb := newTab(t)
	base := cs.url

	t.Run("SignIn", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base + "/login"))
		tb.screenshot("login")
		tb.do(chromedp.SendKeys(chromedp.ID("token"), "wdn_not-a-token"), chromedp.Click(chromedp.CSS(`.login button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("login-error")))
		if p := strings.Join(tb.take(), "\n"); !strings.Contains(p, "HTTP 401") {
			t.Errorf("a wrong token: %v, want a 401", p)
		}
		tb.signIn(base, cs.tokens[record.ScopeAdmin])
		tb.clean("sign-in")
	})

	t.Run("Pages", func(t *testing.T) {
		tb.t = t
		for _, p := range []struct{ path, wait, shot string }{
			{"/", "#total-denials", "overview"},
			{"/?days=30", "#total-denials", "overview-30d"},
			{"/sessions", "#sessions", "sessions"},
			{"/sessions/" + ids[0], "#timeline", "session"},
			{"/policy", "#exceptions", "policy"},
		} {
			tb.do(chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
			tb.layoutHolds(p.path)
			tb.screenshot(p.shot)
			tb.capture(p.shot+"-window", chromedp.CaptureScreenshot())
			tb.clean(p.path)
		}
		tb.do(chromedp.Navigate(base + "/"))
		if n := eval[int](tb, `document.querySelectorAll("svg rect").length`); n == 0 {
			t.Error("overview has no chart bars")
		}
		if d := eval[string](tb, `document.getElementById("total-denials").textContent`); d == "0" {
			t.Error("overview shows no denials for a fleet with many")
		}
		tb.clean("overview")
	})

	t.Run("FiltersAndPaging", func(t *testing.T) {
		tb.t = t
		rows := func() int { return eval[int](tb, `document.querySelectorAll("#sessions tbody tr").length`) }
		tb.do(chromedp.Navigate(base+"/sessions"), chromedp.WaitVisible(chromedp.ID("sessions")))
		if n := rows(); n != 50 {
			t.Errorf("first page: %d rows, want 50", n)
		}
		tb.do(chromedp.Click(chromedp.ID("next-page")), chromedp.WaitVisible(chromedp.ID("first-page")))
		if n := rows(); n != 11 { // 60 sessions and the hostile one
			t.Errorf("second page: %d rows, want 11", n)
		}
		if eval[bool](tb, `!!document.getElementById("next-page")`) {
			t.Error("the last page links to a next one")
		}
		tb.do(chromedp.Navigate(base+"/sessions"), chromedp.WaitVisible(chromedp.ID("f-repository")),
			chromedp.SendKeys(chromedp.ID("f-repository"), seedRepos[1]),
			chromedp.SendKeys(chromedp.ID("f-device"), "laptop-01"),
			chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)))
		// The list page was there before the submit: wait for the new one.
		tb.waitFor(`location.search.includes("device=laptop-01") && document.readyState === "complete"`)
		loc, _ := url.Parse(tb.location())
		if loc.Query().Get("repository") != seedRepos[1] || loc.Query().Get("device") != "laptop-01" {
			t.Errorf("filter URL %s", loc)
		}
		// Sessions i with i%3 == 1 and i%7 == 1: 1, 22, 43.
		if n := rows(); n != 3 {
			t.Errorf("repository and device filter: %d rows, want 3", n)
		}
		tb.do(chromedp.Click(chromedp.ID("f-denials")), chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)))
		tb.waitFor(`location.search.includes("denials=1") && document.readyState === "complete"`)
		if !strings.Contains(tb.location(), "denials=1") {
			t.Errorf("denials filter not in %s", tb.location())
		}
		tb.screenshot("sessions-filtered")
		tb.clean("filters")
	})

	t.Run("QuarantineThenDecisionDenied", func(t *testing.T) {
		tb.t = t
		id := ids[3]
		if d, _ := cs.decide(t, id); d == "deny" {
			t.Fatal("denied before the quarantine")
		}
		tb.do(chromedp.Navigate(base+"/sessions/"+id), chromedp.WaitVisible(chromedp.ID("q-reason")),
			chromedp.SendKeys(chromedp.ID("q-reason"), "INC-99 secrets read"),
			chromedp.Click(chromedp.CSS("#quarantine-form button")),
			chromedp.WaitVisible(chromedp.ID("quarantined")))
		tb.screenshot("session-quarantined")
		d, reason := cs.decide(t, id)
		if d != "deny" || !strings.Contains(reason, "INC-99 secrets read") {
			t.Errorf("central decision after the console's quarantine: %s %q", d, reason)
		}
		tb.do(chromedp.Click(chromedp.CSS("#release-form button")), chromedp.WaitVisible(chromedp.ID("quarantine-form")))
		if d, _ := cs.decide(t, id); d == "deny" {
			t.Error("still denied after release")
		}
		tb.clean("quarantine")
	})

	t.Run("ReviewRoundTrip", func(t *testing.T) {
		tb.t = t
		id := ids[4]
		tb.do(chromedp.Navigate(base+"/sessions/"+id), chromedp.WaitVisible(chromedp.ID("review-form")),
			chromedp.Click(chromedp.CSS(`#review-form input[value="changes_requested"]`)),
			chromedp.SendKeys(chromedp.ID("review-comment"), "add tests for the parser"),
			chromedp.Click(chromedp.CSS(`#review-form button`)),
			chromedp.WaitVisible(chromedp.ID("notice")))
		if txt := eval[string](tb, `document.getElementById("review").textContent`); !strings.Contains(txt, "changes_requested") ||
			!strings.Contains(txt, "add tests for the parser") || !strings.Contains(txt, "console-admin") {
			t.Errorf("review on the page: %q", txt)
		}
		rr := cs.record(t, id)
		if rr.Review == nil || rr.Review.Decision != record.ReviewChangesRequested || rr.Review.Comment != "add tests for the parser" {
			t.Errorf("review in the run record: %+v", rr.Review)
		}
		tb.clean("review")
	})

	t.Run("HostileStrings", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base+"/sessions/"+url.PathEscape(hostileID)), chromedp.WaitVisible(chromedp.ID("timeline")))
		tb.screenshot("session-hostile")
		if title := eval[string](tb, "document.title"); strings.Contains(title, "pwned") {
			t.Errorf("script ran: title %q", title)
		}
		if eval[bool](tb, "window.pwned === 1") {
			t.Error("script ran: window.pwned set")
		}
		if n := eval[int](tb, `document.querySelectorAll("main script, main img, main a[href^='javascript:']").length`); n != 0 {
			t.Errorf("%d script, img or javascript: elements made it into the page", n)
		}
		text := eval[string](tb, "document.body.innerText")
		for _, want := range []string{`\u202E`, "␛[31m", "<script>", `"><img src=x`} {
			if !strings.Contains(text, want) {
				t.Errorf("page text lacks the visible form %q", want)
			}
		}
		if strings.ContainsAny(text, "\u202E\x1b") {
			t.Error("a bidi override or an escape reached the page as such")
		}
		if !eval[bool](tb, `[...document.querySelectorAll("details summary")].some(s => s.textContent.includes("full value (1024"))`) {
			t.Error("the 100 KB command has no full-value disclosure")
		}
		tb.layoutHolds("hostile session")
		tb.do(chromedp.Navigate(base+"/sessions"), chromedp.WaitVisible(chromedp.ID("sessions")))
		tb.layoutHolds("session list with a hostile session")
		if title := eval[string](tb, "document.title"); strings.Contains(title, "pwned") {
			t.Errorf("script ran on the list: title %q", title)
		}
		tb.clean("hostile strings")
	})

	t.Run("CrossSiteRefused", func(t *testing.T) {
		tb.t = t
		target := ids[5]
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<form id=f method=post action="%s/sessions/%s/quarantine"><input name=reason value=csrf></form>
<script>document.getElementById("f").submit()</script>`, base, target)
		}))
		defer evil.Close()
		// Another port of 127.0.0.1 is same-site but cross-origin: the
		// cookie goes along, CrossOriginProtection refuses.
		// localhost is another site: the SameSite=Strict cookie stays home.
		port := strings.TrimPrefix(evil.URL, "http://127.0.0.1:")
		for _, origin := range []string{evil.URL, "http://localhost:" + port} {
			tb.do(chromedp.Navigate(origin+"/"), chromedp.Sleep(500*time.Millisecond))
			got := tb.take()
			if !strings.Contains(strings.Join(got, "\n"), "HTTP 40") {
				t.Errorf("%s: the cross-site post was not refused (%v)", origin, got)
			}
		}
		if d, _ := cs.decide(t, target); d == "deny" {
			t.Error("a cross-site form quarantined the session")
		}
	})

	t.Run("SignOut", func(t *testing.T) {
		tb.t = t
		tb.do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".signout button")),
			chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.ID("token")))
		tb.do(chromedp.Navigate(base+"/sessions"), chromedp.WaitVisible(chromedp.ID("token")))
		if loc := tb.location(); !strings.HasPrefix(loc, base+"/login?next=") {
			t.Errorf("signed out, /sessions went to %s", loc)
		}
		tb.clean("sign-out")
		// A read token sees pages but no admin forms.
		tb.signIn(base, cs.tokens[record.ScopeRead])
		tb.do(chromedp.Navigate(base+"/sessions/"+ids[0]), chromedp.WaitVisible(chromedp.ID("timeline")))
		if eval[bool](tb, `!!document.getElementById("quarantine-form") || !!document.getElementById("review-form")`) {
			t.Error("a read token sees admin forms")
		}
		tb.clean("read token")
	})
}
