package otlp

import (
	"encoding/json"
	"strings"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/wardenhq/warden/internal/record"
)

// The secrets of the redaction tests: a GitHub token (stored verbatim from
// an error attribute before), an Anthropic key and a password.
const (
	ghToken  = "ghp_R3dact0123456789abcdefghij0123456789"
	apiKey   = "sk-ant-api03-R3dact0123456789abcdefghij"
	password = "hunter2-R3dact"
)

func kvlist(pairs ...*commonpb.KeyValue) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: pairs}}}
}

// stored is an event or point as a store keeps it: its JSON.
func storedJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// TestDecode_Redaction: every stored string field that can carry a secret
// has it masked, with content logging off: one case per field.
func TestDecode_Redaction(t *testing.T) {
	tests := []struct {
		name string
		data *logspb.LogsData
		// check returns the stored string where the secret would be.
		check func(e record.Event) string
	}{
		{"ToolResultError", claudeLogs(claudeRecord("tool_result", 1, kv("tool_name", "Bash"), kv("success", "false"),
			kv("error", "remote: Invalid username or password. fatal: https://x:"+ghToken+"@github.com/o/r"))),
			func(e record.Event) string { return e.Attrs["error"].(string) }},
		{"APIError", claudeLogs(claudeRecord("api_error", 1, kv("error", "401 invalid x-api-key "+apiKey), kv("status_code", "401"))),
			func(e record.Event) string { return e.Attrs["error"].(string) }},
		{"UnknownEventAttr", claudeLogs(claudeRecord("future_event", 1, kv("detail", "curl -H 'Authorization: Bearer "+ghToken+"'"))),
			func(e record.Event) string { return e.Attrs["detail"].(string) }},
		{"UnknownEventRaw", claudeLogs(claudeRecord("future_event", 1, kv("detail", "token "+ghToken))),
			func(e record.Event) string { return string(e.Raw) }},
		{"UnknownEventName", claudeLogs(claudeRecord("leak."+ghToken, 1)),
			func(e record.Event) string { return storedJSON(t, e) }},
		{"ForeignBody", logsData("other-service", "other.scope", &logspb.LogRecord{TimeUnixNano: t0,
			Body: anyValue("connecting with GITHUB_TOKEN=" + ghToken)}),
			func(e record.Event) string { return string(e.Raw) }},
		{"ForeignAttr", logsData("other-service", "other.scope", &logspb.LogRecord{TimeUnixNano: t0, Body: anyValue("login"),
			Attributes: []*commonpb.KeyValue{kv("db.password", password), kv("note", apiKey)}}),
			func(e record.Event) string { return storedJSON(t, e.Attrs) + string(e.Raw) }},
		{"NestedAttr", logsData("other-service", "other.scope", &logspb.LogRecord{TimeUnixNano: t0,
			Attributes: []*commonpb.KeyValue{{Key: "http", Value: kvlist(kv("headers", []any{"Authorization: Bearer " + ghToken}), kv("api_key", password))}}}),
			func(e record.Event) string { return storedJSON(t, e.Attrs) + string(e.Raw) }},
		{"Resource", func() *logspb.LogsData {
			d := claudeLogs(claudeRecord("api_request", 1))
			d.ResourceLogs[0].Resource.Attributes = append(d.ResourceLogs[0].Resource.Attributes,
				kv("deploy.note", "pushed with "+ghToken), kv("ci.auth_token", password))
			return d
		}(), func(e record.Event) string { return storedJSON(t, e.Resource) }},
		{"ScopeName", logsData("other-service", "scope "+ghToken, &logspb.LogRecord{TimeUnixNano: t0}),
			func(e record.Event) string { return storedJSON(t, e.Attrs) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := mustDecodeLogs(t, NewDecoder(Options{}), tt.data)
			if len(events) != 1 {
				t.Fatalf("%d events", len(events))
			}
			got := tt.check(events[0])
			for _, secret := range []string{ghToken, apiKey, password} {
				if strings.Contains(got, secret) {
					t.Errorf("secret stored: %s", got)
				}
			}
			if !strings.Contains(got, record.Redacted) {
				t.Errorf("no %s where the secret was: %s", record.Redacted, got)
			}
		})
	}
}

// TestDecode_RedactionKeeps: what is not a secret is stored as sent (ids,
// counts and kinds under secret-sounding keys), and KeepContent keeps the
// content it is asked to keep while still masking the rest.
func TestDecode_RedactionKeeps(t *testing.T) {
	data := claudeLogs(claudeRecord("api_request", 1, kv("input_tokens", "12"), kv("api_key_source", "user"),
		kv("auth.type", "oauth"), kv("model", "claude-opus-4-1-20250805")))
	e := mustDecodeLogs(t, NewDecoder(Options{}), data)[0]
	if e.Attrs["api_key_source"] != "user" || e.Attrs["auth.type"] != "oauth" || e.Attrs["input_tokens"] != int64(12) ||
		e.Attrs["model"] != "claude-opus-4-1-20250805" || e.SessionID != "1d566173-308b-4e96-92c4-2fc71cc326fc" {
		t.Errorf("attributes changed: %+v", e.Attrs)
	}

	prompt := claudeLogs(claudeRecord("user_prompt", 1, kv("prompt", "use "+ghToken), kv("prompt_length", "44")),
		claudeRecord("api_error", 2, kv("error", "bad key "+apiKey)))
	events := mustDecodeLogs(t, NewDecoder(Options{KeepContent: true}), prompt)
	if events[0].Attrs["prompt"] != "use "+ghToken {
		t.Errorf("KeepContent: prompt %q, want it as sent", events[0].Attrs["prompt"])
	}
	if strings.Contains(events[1].Attrs["error"].(string), apiKey) {
		t.Errorf("KeepContent: error %q kept its secret", events[1].Attrs["error"])
	}
}

// TestDecode_RedactionMetrics: metric point attributes are masked too.
func TestDecode_RedactionMetrics(t *testing.T) {
	data := metricsData(sumMetric("m", "", metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
		numberPoint(1, kv("note", "by "+ghToken), kv("api_key", password), kv("type", "input"))))
	points := mustDecodeMetrics(t, NewDecoder(Options{}), data)
	got := storedJSON(t, points[0].Attrs)
	if strings.Contains(got, ghToken) || strings.Contains(got, password) || points[0].Attrs["type"] != "input" {
		t.Errorf("attributes %s", got)
	}
}
