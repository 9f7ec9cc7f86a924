package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// TestOverviewAttention: the overview lists the alerts not dealt with yet
// by severity (open and acknowledged; resolved ones are not counted), and
// the hosts with open protection.no-decision alerts, hostile host names
// escaped.
func TestOverviewAttention(t *testing.T) {
	cs := startConsoleServer(t, t.TempDir())
	ctx := context.Background()
	now := time.Now().UTC()
	rec := func(rule, severity, session, host, fp string) string {
		t.Helper()
		r, err := cs.store.RecordAlert(ctx, record.AlertHit{Rule: rule, Title: rule, Severity: severity, GroupBy: "session",
			Group: session, SessionID: session, Device: host, EventIDs: []string{fp + "-e"}, First: now, Last: now, Fingerprint: fp})
		if err != nil {
			t.Fatal(err)
		}
		return r.Alert.ID
	}
	rec("chain.secret-to-egress", "high", "s1", "laptop-1", "a")
	ack := rec("warden.tamper", "high", "s2", "laptop-1", "b")
	done := rec("chain.denied-retry", "critical", "s3", "laptop-2", "c")
	rec("protection.no-decision", "high", "s4", "laptop-9", "d")
	rec("protection.no-decision", "high", "s5", "laptop-9", "e")
	rec("protection.no-decision", "high", "s6", `<img src=x onerror=alert(1)>`, "f")
	if _, err := cs.store.SetAlertStatus(ctx, ack, record.AlertAcknowledged, "analyst", "looking"); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.store.SetAlertStatus(ctx, done, record.AlertResolved, "analyst", "fixed"); err != nil {
		t.Fatal(err)
	}

	c := signIn(t, cs.url, cs.tokens[record.ScopeRead])
	status, body, _ := c.get("/")
	if status != http.StatusOK {
		t.Fatalf("overview: %d", status)
	}
	i := strings.Index(body, `id="attention-h"`)
	if i < 0 {
		t.Fatalf("no attention section on the overview:\n%s", body)
	}
	section := body[i:]
	section = section[:strings.Index(section, "</section>")]
	for _, want := range []string{
		`5 open or acknowledged`,
		`<tr id="open-high"><td><span class="sev sev-high">high</span></td>`,
		`href="/alerts?status=open&amp;severity=high">4</a>`,
		`href="/alerts?status=acknowledged&amp;severity=high">1</a>`,
		`<code>laptop-9</code></td><td class="num">2</td><td class="num">2</td>`,
		`&lt;img src=x onerror=alert(1)&gt;`,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("attention section lacks %q:\n%s", want, section)
		}
	}
	if strings.Contains(section, `severity=critical">`) {
		t.Errorf("a resolved critical alert is counted:\n%s", section)
	}
	if strings.Contains(section, "<img src=x") {
		t.Error("a host name is not escaped")
	}
}
