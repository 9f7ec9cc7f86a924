package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// otlpCostPoints is an OTLP/JSON metrics body of claude_code.cost.usage
// points of session, one per value (OTLP/JSON writes NaN and infinities as
// strings).
func otlpCostPoints(session string, values ...string) []byte {
	var pts []string
	for i, v := range values {
		ns := t0.Add(time.Duration(i+1) * time.Second).UnixNano()
		pts = append(pts, fmt.Sprintf(`{"startTimeUnixNano":"%d","timeUnixNano":"%d","asDouble":%s,"attributes":[
			{"key":"session.id","value":{"stringValue":%q}},{"key":"user.id","value":{"stringValue":"u1"}},
			{"key":"model","value":{"stringValue":"m%d"}}]}`, ns-1, ns, v, session, i))
	}
	return []byte(`{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
		"scopeMetrics":[{"scope":{"name":"com.anthropic.claude_code"},"metrics":[{"name":"claude_code.cost.usage","unit":"USD",
		"sum":{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[` + strings.Join(pts, ",") + `]}}]}]}]}`)
}

// apiRequests is an OTLP/JSON logs body of api_request events of session
// with the given cost_usd attributes, as Claude Code sends them (strings).
func apiRequests(session string, costs ...string) []byte {
	var recs []string
	for i, c := range costs {
		ns := t0.Add(time.Duration(i+1) * time.Second).UnixNano()
		recs = append(recs, fmt.Sprintf(`{"timeUnixNano":"%d","body":{"stringValue":"claude_code.api_request"},"attributes":[
			{"key":"session.id","value":{"stringValue":%q}},{"key":"event.name","value":{"stringValue":"api_request"}},
			{"key":"event.sequence","value":{"intValue":%d}},{"key":"model","value":{"stringValue":"m"}},
			{"key":"cost_usd","value":{"stringValue":%q}},{"key":"input_tokens","value":{"stringValue":%q}}]}`, ns, session, i, c, c))
	}
	return []byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
		"scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[` + strings.Join(recs, ",") + `]}]}]}`)
}

// TestIngest_HostileNumbers stores the values that broke the session list
// for good (two claude_code.cost.usage points of 1e308 make a cost of
// +Inf, which JSON cannot encode), with a NaN and api_request events
// claiming as much, and lists sessions: every answer is 200 and JSON.
func TestIngest_HostileNumbers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, withStore(b.open(t)))
		ingest, read := ts.tokens[record.ScopeIngest], ts.tokens[record.ScopeRead]
		ct := "application/json"
		r := ts.do("POST", "/v1/metrics", ingest, otlpCostPoints("hostile", "1e308", "1e308", `"NaN"`, "0.5"), "Content-Type", ct)
		if r.status != http.StatusOK {
			t.Fatalf("metrics: %d %s", r.status, r.body)
		}
		// Refused per point, and said so: the NaN by the decoder, the
		// two beyond the bound by the store.
		if !strings.Contains(string(r.body), `"rejectedDataPoints":"3"`) || !strings.Contains(string(r.body), "3 of 4 data points rejected") {
			t.Errorf("metrics answer %s, want a partial success of 3", r.body)
		}
		if r := ts.do("POST", "/v1/logs", ingest, apiRequests("hostile", "1e308", "1e308", "NaN"), "Content-Type", ct); r.status != http.StatusOK {
			t.Fatalf("logs: %d %s", r.status, r.body)
		}
		for _, path := range []string{"/api/v1/sessions", "/api/v1/sessions/hostile", "/api/v1/sessions/hostile/record"} {
			r := ts.do("GET", path, read, nil)
			if r.status != http.StatusOK || !json.Valid(r.body) {
				t.Errorf("%s: %d %s", path, r.status, r.body)
			}
		}
		sum, err := ts.store.Session(t.Context(), "hostile")
		if err != nil {
			t.Fatal(err)
		}
		// The points beyond the bound are refused, the finite one kept.
		if sum.Rollup.CostUSD != 0.5 {
			t.Errorf("cost %v, want 0.5 (1e308 and NaN refused)", sum.Rollup.CostUSD)
		}
		if math.Abs(sum.Rollup.CostUSD) > 1e15 {
			t.Errorf("cost %v beyond the bound", sum.Rollup.CostUSD)
		}
	})
}

// TestIngest_PartialSuccess: OTLP records the store refuses (a NUL or an
// oversized session.id) are answered as a partial success naming how many
// and why, counted in warden_ingest_rejected_total, and the rest stored;
// an exporter is told, where it used to get 200 {}.
func TestIngest_PartialSuccess(t *testing.T) {
	ts := startServer(t)
	ingest := ts.tokens[record.ScopeIngest]
	body := otlpLogs("ok", 1, 2)
	for _, bad := range []string{"nul\x00session", strings.Repeat("s", 1100)} {
		b := otlpLogs(bad, 3)
		i := strings.LastIndex(string(body), "]}]}]}")
		j := strings.Index(string(b), `"logRecords":[`) + len(`"logRecords":[`)
		k := strings.LastIndex(string(b), "]}]}]}")
		body = []byte(string(body[:i]) + "," + string(b[j:k]) + "]}]}]}")
	}
	r := ts.do("POST", "/v1/logs", ingest, body, "Content-Type", "application/json")
	var resp struct {
		PartialSuccess struct {
			RejectedLogRecords string `json:"rejectedLogRecords"`
			ErrorMessage       string `json:"errorMessage"`
		} `json:"partialSuccess"`
	}
	r.json(t, &resp)
	if r.status != http.StatusOK || resp.PartialSuccess.RejectedLogRecords != "2" ||
		!strings.Contains(resp.PartialSuccess.ErrorMessage, "2 of 4 log records rejected") ||
		!strings.Contains(resp.PartialSuccess.ErrorMessage, "NUL") {
		t.Errorf("%d %s, want a partial success of 2 naming the NUL byte", r.status, r.body)
	}
	if n := len(ts.sessionEvents("ok")); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
	if got := metricValue(t, ts, `warden_ingest_rejected_total{kind="event",source="otlp_http"}`); got != 2 {
		t.Errorf("rejected %v, want 2", got)
	}
}

// TestAudit_Redaction: the free-text fields of a posted audit event have
// their secrets masked, whatever client wrote them; one field each.
func TestAudit_Redaction(t *testing.T) {
	const secret = "ghp_R3dact0123456789abcdefghij0123456789"
	ts := startServer(t)
	fields := map[string]func(*record.AuditEventV1) *string{
		"command": func(e *record.AuditEventV1) *string { return &e.Command },
		"reason":  func(e *record.AuditEventV1) *string { return &e.Reason },
		"error":   func(e *record.AuditEventV1) *string { return &e.Error },
		"url":     func(e *record.AuditEventV1) *string { return &e.URL },
		"path":    func(e *record.AuditEventV1) *string { return &e.Path },
		"cwd":     func(e *record.AuditEventV1) *string { return &e.Cwd },
		"repo":    func(e *record.AuditEventV1) *string { return &e.Repository },
		"file":    func(e *record.AuditEventV1) *string { return &e.FilePath },
		"end":     func(e *record.AuditEventV1) *string { return &e.EndReason },
	}
	var body []byte
	i := 0
	for name, field := range fields {
		ev := newAudit("r"+name, "sr", t0.Add(time.Duration(i)*time.Second))
		*field(&ev) = "x " + secret + " y"
		body = append(body, auditLine(t, ev)...)
		i++
	}
	r := ts.do("POST", "/v1/audit", ts.tokens[record.ScopeIngest], body, "Content-Type", ContentTypeNDJSON)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	events := ts.sessionEvents("sr")
	if len(events) != len(fields) {
		t.Fatalf("%d events stored, want %d", len(events), len(fields))
	}
	for _, e := range events {
		name := strings.TrimPrefix(e.ID, "r")
		if got := *fields[name](e.Audit); got != "x "+record.Redacted+" y" {
			t.Errorf("%s stored as %q", name, got)
		}
	}
}
