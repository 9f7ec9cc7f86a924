package otlp

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/record"
)

// t0 is the time of the test records: 2026-11-23T00:57:11.268Z.
const t0 = uint64(1795395431268000000)

func anyValue(v any) *commonpb.AnyValue {
	switch v := v.(type) {
	case string:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}
	case int:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(v)}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}
	case []byte:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: v}}
	case []any:
		arr := &commonpb.ArrayValue{}
		for _, e := range v {
			arr.Values = append(arr.Values, anyValue(e))
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: arr}}
	case nil:
		return &commonpb.AnyValue{}
	}
	panic("anyValue: unsupported type")
}

func kv(k string, v any) *commonpb.KeyValue { return &commonpb.KeyValue{Key: k, Value: anyValue(v)} }

// claudeRecord is a log record as Claude Code 2.1.330 sends it.
func claudeRecord(name string, seq int, attrs ...*commonpb.KeyValue) *logspb.LogRecord {
	return &logspb.LogRecord{
		TimeUnixNano:         t0 + uint64(seq)*1e6,
		ObservedTimeUnixNano: t0 + uint64(seq)*1e6,
		Body:                 anyValue("claude_code." + name),
		Attributes: append([]*commonpb.KeyValue{
			kv("user.id", "3cf1f9d3"),
			kv("session.id", "1d566173-308b-4e96-92c4-2fc71cc326fc"),
			kv("event.name", name),
			kv("event.timestamp", "2026-11-23T00:57:11.268Z"),
			kv("event.sequence", seq),
			kv("prompt.id", "8a1ebde9"),
		}, attrs...),
	}
}

func logsData(service, scope string, records ...*logspb.LogRecord) *logspb.LogsData {
	return &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			kv("service.name", service), kv("service.version", "2.1.330"), kv("os.type", "linux"),
		}},
		ScopeLogs: []*logspb.ScopeLogs{{
			Scope:      &commonpb.InstrumentationScope{Name: scope, Version: "2.1.330"},
			LogRecords: records,
		}},
	}}}
}

func claudeLogs(records ...*logspb.LogRecord) *logspb.LogsData {
	return logsData(serviceName, eventsScope, records...)
}

// encodings returns m in both OTLP/HTTP encodings, keyed by content type.
func encodings(tb testing.TB, m proto.Message) map[string][]byte {
	tb.Helper()
	pb, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	js, err := protojson.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return map[string][]byte{ContentTypeProtobuf: pb, ContentTypeJSON: js}
}

// mustDecodeLogs decodes data in both encodings, checks that they agree
// and returns the events.
func mustDecodeLogs(tb testing.TB, d *Decoder, data *logspb.LogsData) []record.Event {
	tb.Helper()
	var first []record.Event
	for ct, body := range encodings(tb, data) {
		events, err := d.DecodeLogs(body, ct)
		if err != nil {
			tb.Fatalf("%s: %v", ct, err)
		}
		if first == nil {
			first = events
		} else if !reflect.DeepEqual(events, first) {
			tb.Fatalf("json and protobuf decode differently:\n%+v\n%+v", first, events)
		}
	}
	return first
}

func mustDecodeOne(tb testing.TB, d *Decoder, data *logspb.LogsData) record.Event {
	tb.Helper()
	events := mustDecodeLogs(tb, d, data)
	if len(events) != 1 {
		tb.Fatalf("got %d events, want 1", len(events))
	}
	return events[0]
}

func TestDecodeLogs_Kind(t *testing.T) {
	withoutName := claudeRecord("tool_result", 1)
	withoutName.Attributes = withoutName.Attributes[:2] // user.id, session.id
	eventNameField := claudeRecord("api_request", 1)
	eventNameField.Attributes = eventNameField.Attributes[:2]
	eventNameField.Body = anyValue("something else")
	eventNameField.EventName = "claude_code.api_request"

	tests := []struct {
		name     string
		data     *logspb.LogsData
		wantKind string
	}{
		{"KnownEvent", claudeLogs(claudeRecord("tool_decision", 1)), "tool_decision"},
		{"NameFromBody", claudeLogs(withoutName), "tool_result"},
		{"NameFromEventNameField", claudeLogs(eventNameField), "api_request"},
		{"UnknownEvent", claudeLogs(claudeRecord("brand_new_event", 1)), KindRaw},
		{"OtherScope", logsData(serviceName, "com.anthropic.claude_code", claudeRecord("tool_decision", 1)), KindRaw},
		{"OtherService", logsData("my-app", eventsScope, claudeRecord("tool_decision", 1)), KindRaw},
		{"NoName", claudeLogs(&logspb.LogRecord{TimeUnixNano: t0, Body: anyValue("hello")}), KindRaw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := mustDecodeOne(t, NewDecoder(Options{}), tt.data)
			if ev.Kind != tt.wantKind {
				t.Fatalf("kind %q, want %q", ev.Kind, tt.wantKind)
			}
			if ev.Source != record.SourceOTLP {
				t.Errorf("source %q", ev.Source)
			}
			_, hasName := ev.Attrs["event.name"]
			if got, want := ev.Raw != nil, tt.wantKind == KindRaw; got != want {
				t.Errorf("raw set %v, want %v", got, want)
			}
			if tt.wantKind == KindRaw {
				var back logspb.LogRecord
				if err := protojson.Unmarshal(ev.Raw, &back); err != nil {
					t.Fatalf("raw is not OTLP/JSON: %v\n%s", err, ev.Raw)
				}
				if !proto.Equal(&back, tt.data.ResourceLogs[0].ScopeLogs[0].LogRecords[0]) {
					t.Errorf("raw differs from the record:\n%s", ev.Raw)
				}
				if ev.Attrs[AttrScopeName] != tt.data.ResourceLogs[0].ScopeLogs[0].Scope.Name {
					t.Errorf("scope attribute %v", ev.Attrs[AttrScopeName])
				}
			} else if hasName {
				t.Error("typed event keeps event.name in attrs")
			}
		})
	}
}

func TestDecodeLogs_TypedAttrs(t *testing.T) {
	tests := []struct {
		key  string
		in   any
		want any
	}{
		{"duration_ms", "123", int64(123)},
		{"duration_ms", 123, int64(123)},
		{"duration_ms", "12.5", 12.5},
		{"duration_ms", "12.0", int64(12)},
		{"duration_ms", " 7 ", int64(7)},
		{"duration_ms", "slow", "slow"},
		{"duration_ms", 3.0, int64(3)},
		{"total_duration_ms", "44", int64(44)},
		{"num_hooks", "1", int64(1)},
		{"stdout_chars", "0", int64(0)},
		{"tool_input_size_bytes", "42", int64(42)},
		{"prompt_length", "22", int64(22)},
		{"input_tokens", 10, int64(10)},
		{"skill_path_count", 0, int64(0)},
		{"cost_usd_micros", 140, int64(140)},
		{"status_code", "529", int64(529)},
		{"success", "true", true},
		{"success", "false", false},
		{"success", "yes", "yes"},
		{"managed_only", "false", false},
		{"safe_mode", "false", false},
		{"is_plugin", false, false},
		{"has_hooks", true, true},
		{"has_mcp", 1, true},
		{"anthropic.custom_base_url", true, true},
		{"cost_usd", 0.00014, 0.00014},
		{"cost_usd", "0.5", 0.5},
		{"cost_usd", 2, float64(2)},
		{"cost_usd", "NaN", "NaN"},
		{"model", "claude-opus-5-5", "claude-opus-5-5"},
		{"tool_use_id", "123", "123"}, // only typed keys are parsed
		{"plugin_id_hash", "559932fe5f722b82", "559932fe5f722b82"},
		{"ratio", math.NaN(), "NaN"},
		{"ratio", math.Inf(-1), "-Inf"},
		{"blob", []byte{1, 2}, "AQI="},
		{"managed_settings.sources", []any{"a", 1}, []any{"a", int64(1)}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			ev := mustDecodeOne(t, NewDecoder(Options{}), claudeLogs(claudeRecord("api_request", 1, kv(tt.key, tt.in))))
			got, ok := ev.Attrs[tt.key]
			if !ok {
				t.Fatalf("attribute %s missing", tt.key)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v: got %#v (%T), want %#v (%T)", tt.key, tt.in, got, got, tt.want, tt.want)
			}
			if _, err := json.Marshal(ev); err != nil {
				t.Errorf("event does not encode as JSON: %v", err)
			}
		})
	}
}

func TestDecodeLogs_Fields(t *testing.T) {
	ev := mustDecodeOne(t, NewDecoder(Options{}), claudeLogs(claudeRecord("tool_decision", 55,
		kv("decision", "reject"), kv("source", "hook"), kv("tool_name", "mcp_tool"),
		kv("tool_use_id", "toolu_0100"), kv("tool_source", "mcp"))))
	want := record.Event{
		Kind: "tool_decision", Source: record.SourceOTLP,
		Time:      time.Unix(0, int64(t0+55e6)).UTC(),
		SessionID: "1d566173-308b-4e96-92c4-2fc71cc326fc", UserID: "3cf1f9d3", PromptID: "8a1ebde9",
		Tool: "mcp_tool", Decision: "reject",
		Attrs: map[string]any{
			"decision_source": "hook", "tool_use_id": "toolu_0100", "tool_source": "mcp",
			"event.sequence": int64(55), "event.timestamp": "2026-11-23T00:57:11.268Z",
		},
		Resource: map[string]any{"service.name": serviceName, "service.version": "2.1.330", "os.type": "linux"},
	}
	want.ID = ev.ID
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("got\n%+v\nwant\n%+v", ev, want)
	}
	if len(ev.ID) != 32 {
		t.Errorf("id %q: want 32 hex digits", ev.ID)
	}
}

func TestDecodeLogs_Content(t *testing.T) {
	data := claudeLogs(
		claudeRecord("user_prompt", 1, kv("prompt", "deploy to prod"), kv("prompt_text", "deploy to prod"), kv("prompt_length", "14")),
		claudeRecord("assistant_response", 2, kv("response", "Done."), kv("response_length", 5)),
		claudeRecord("tool_result", 3, kv("tool_name", "Write"), kv("tool_input", `{"file_path":"/a","content":"s3cret body"}`), kv("tool_input_size_bytes", "40")),
		claudeRecord("user_prompt", 4, kv("prompt", redactedText), kv("prompt_text", redactedText), kv("prompt_length", "3")),
		claudeRecord("new_event", 5, kv("prompt", "raw prompt")),
	)
	t.Run("Dropped", func(t *testing.T) {
		events := mustDecodeLogs(t, NewDecoder(Options{}), data)
		b, _ := json.Marshal(events)
		for _, s := range []string{"deploy to prod", "Done.", "s3cret", redactedText, "raw prompt", `"tool_input"`} {
			if strings.Contains(string(b), s) {
				t.Errorf("content %q decoded without KeepContent", s)
			}
		}
		if events[0].Attrs["prompt_length"] != int64(14) || events[1].Attrs["response_length"] != int64(5) || events[2].Attrs["tool_input_size_bytes"] != int64(40) {
			t.Errorf("lengths not kept: %v %v %v", events[0].Attrs, events[1].Attrs, events[2].Attrs)
		}
	})
	t.Run("Kept", func(t *testing.T) {
		events := mustDecodeLogs(t, NewDecoder(Options{KeepContent: true}), data)
		if events[0].Attrs["prompt"] != "deploy to prod" || events[0].Attrs["prompt_text"] != "deploy to prod" {
			t.Errorf("prompt: %v", events[0].Attrs)
		}
		if events[1].Attrs["response"] != "Done." {
			t.Errorf("response: %v", events[1].Attrs)
		}
		if !strings.Contains(events[2].Attrs["tool_input"].(string), "s3cret body") {
			t.Errorf("tool_input: %v", events[2].Attrs)
		}
		if _, ok := events[3].Attrs["prompt"]; ok {
			t.Errorf("%s kept: %v", redactedText, events[3].Attrs)
		}
		if !strings.Contains(string(events[4].Raw), "raw prompt") {
			t.Errorf("raw record lost its content: %s", events[4].Raw)
		}
	})
}

func TestDecodeLogs_ToolParameters(t *testing.T) {
	params := func(p string) *logspb.LogsData {
		return claudeLogs(claudeRecord("tool_decision", 1, kv("tool_name", "Bash"), kv("decision", "accept"),
			kv("tool_source", "builtin"), kv("tool_parameters", p)))
	}
	t.Run("MCP", func(t *testing.T) {
		ev := mustDecodeOne(t, NewDecoder(Options{}), params(`{"mcp_server_name":"notes","mcp_tool_name":"read_note"}`))
		if ev.Attrs["mcp_server_name"] != "notes" || ev.Attrs["mcp_tool_name"] != "read_note" {
			t.Errorf("attrs %v", ev.Attrs)
		}
		if _, ok := ev.Attrs["tool_parameters"]; ok {
			t.Error("tool_parameters kept without KeepContent")
		}
	})
	const bash = `{"bash_command":"curl","full_command":"curl -H 'Authorization: Bearer abcdef123456' https://x.test","timeout":120000,"dangerouslyDisableSandbox":false,"tool_source":"other","nested":{"a":1}}`
	t.Run("BashRedacted", func(t *testing.T) {
		ev := mustDecodeOne(t, NewDecoder(Options{}), params(bash))
		cmd, _ := ev.Attrs["full_command"].(string)
		if strings.Contains(cmd, "abcdef123456") || !strings.Contains(cmd, "curl") {
			t.Errorf("full_command %q: want the token redacted", cmd)
		}
		if ev.Attrs["bash_command"] != "curl" || ev.Attrs["timeout"] != int64(120000) || ev.Attrs["dangerouslyDisableSandbox"] != false {
			t.Errorf("attrs %v", ev.Attrs)
		}
		if ev.Attrs["tool_source"] != "builtin" {
			t.Errorf("tool_parameters overwrote tool_source: %v", ev.Attrs["tool_source"])
		}
		if _, ok := ev.Attrs["nested"]; ok {
			t.Error("nested parameter copied")
		}
	})
	t.Run("BashKeepContent", func(t *testing.T) {
		ev := mustDecodeOne(t, NewDecoder(Options{KeepContent: true}), params(bash))
		if cmd, _ := ev.Attrs["full_command"].(string); !strings.Contains(cmd, "abcdef123456") {
			t.Errorf("full_command %q: want it as sent", cmd)
		}
		if ev.Attrs["tool_parameters"] != bash {
			t.Errorf("tool_parameters %v", ev.Attrs["tool_parameters"])
		}
	})
	for name, p := range map[string]string{"NotJSON": "{not json", "Array": `["a"]`, "Empty": ""} {
		t.Run(name, func(t *testing.T) {
			ev := mustDecodeOne(t, NewDecoder(Options{}), params(p))
			if len(ev.Attrs) != 3 { // event.sequence, event.timestamp, tool_source
				t.Errorf("attrs %v", ev.Attrs)
			}
		})
	}
}

func TestDecodeLogs_ID(t *testing.T) {
	d := NewDecoder(Options{})
	base := mustDecodeOne(t, d, claudeLogs(claudeRecord("api_request", 7)))
	t.Run("Replay", func(t *testing.T) {
		again := mustDecodeOne(t, d, claudeLogs(claudeRecord("api_request", 7, kv("extra", "ignored"))))
		if again.ID != base.ID {
			t.Errorf("replayed record: id %s, want %s", again.ID, base.ID)
		}
	})
	t.Run("Differs", func(t *testing.T) {
		other := claudeRecord("api_request", 7)
		other.TimeUnixNano++
		nextSeq := claudeRecord("api_request", 8)
		nextSeq.TimeUnixNano = other.TimeUnixNano - 1 // same time, next sequence number
		otherSession := claudeRecord("api_request", 7)
		otherSession.Attributes[1] = kv("session.id", "another")
		for _, r := range []*logspb.LogRecord{nextSeq, claudeRecord("api_error", 7), other, otherSession} {
			if ev := mustDecodeOne(t, d, claudeLogs(r)); ev.ID == base.ID {
				t.Errorf("%s seq %v: same id as the base record", ev.Kind, ev.Attrs["event.sequence"])
			}
		}
	})
	t.Run("WithoutSession", func(t *testing.T) {
		a := &logspb.LogRecord{TimeUnixNano: t0, Body: anyValue("a")}
		b := &logspb.LogRecord{TimeUnixNano: t0, Body: anyValue("b")}
		events := mustDecodeLogs(t, d, logsData("my-app", "x", a, b, a))
		if events[0].ID == events[1].ID || events[0].ID != events[2].ID {
			t.Errorf("ids %s %s %s: want distinct records distinct, equal records equal", events[0].ID, events[1].ID, events[2].ID)
		}
	})
}

func TestDecodeLogs_Time(t *testing.T) {
	clock := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	want := time.Unix(0, int64(t0)).UTC()
	rec := func(mod func(*logspb.LogRecord)) *logspb.LogsData {
		r := claudeRecord("api_request", 0)
		mod(r)
		return claudeLogs(r)
	}
	tests := []struct {
		name string
		data *logspb.LogsData
		now  func() time.Time
		want time.Time
	}{
		{"TimeUnixNano", rec(func(r *logspb.LogRecord) { r.ObservedTimeUnixNano = 1 }), nil, want},
		{"Observed", rec(func(r *logspb.LogRecord) { r.TimeUnixNano = 0 }), nil, want},
		{"EventTimestamp", rec(func(r *logspb.LogRecord) { r.TimeUnixNano, r.ObservedTimeUnixNano = 0, 0 }), nil, want},
		{"Overflow", rec(func(r *logspb.LogRecord) { r.TimeUnixNano = math.MaxUint64 }), nil, want},
		{"Clock", rec(func(r *logspb.LogRecord) {
			r.TimeUnixNano, r.ObservedTimeUnixNano, r.Attributes = 0, 0, r.Attributes[:2]
		}), func() time.Time { return clock }, clock},
		{"None", rec(func(r *logspb.LogRecord) {
			r.TimeUnixNano, r.ObservedTimeUnixNano, r.Attributes = 0, 0, r.Attributes[:2]
		}), nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := mustDecodeOne(t, NewDecoder(Options{Now: tt.now}), tt.data)
			if !ev.Time.Equal(tt.want) {
				t.Errorf("time %v, want %v", ev.Time, tt.want)
			}
		})
	}
}

// TestDecodeLogs_HexIDs: OTLP/JSON carries trace and span ids as hex, not
// as the base64 protojson expects.
func TestDecodeLogs_HexIDs(t *testing.T) {
	const traceHex, spanHex = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
	body := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
	  "scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[{"timeUnixNano":"1795395431268000000",
	  "severityNumber":9,"traceId":"` + traceHex + `","spanId":"` + spanHex + `","body":{"stringValue":"claude_code.x"},
	  "attributes":[{"key":"session.id","value":{"stringValue":"s"}},{"key":"event.sequence","value":{"intValue":"3"}},
	  {"key":"unknown_future_field","value":{"stringValue":"v"}}],"someNewField":1}]}]}]}`
	fromJSON, err := DecodeLogs([]byte(body), ContentTypeJSON)
	if err != nil {
		t.Fatal(err)
	}
	ev := fromJSON[0]
	if ev.Attrs[AttrTraceID] != traceHex || ev.Attrs[AttrSpanID] != spanHex {
		t.Errorf("trace %v span %v", ev.Attrs[AttrTraceID], ev.Attrs[AttrSpanID])
	}
	if !strings.Contains(string(ev.Raw), `"traceId":"`+traceHex+`"`) || !strings.Contains(string(ev.Raw), `"severityNumber":9`) {
		t.Errorf("raw is not OTLP/JSON: %s", ev.Raw)
	}
	// Raw feeds back into the decoder and gives the same event.
	again, err := DecodeLogs([]byte(strings.Replace(body, body[strings.Index(body, `{"timeUnixNano"`):strings.LastIndex(body, `]}]}]}`)], string(ev.Raw), 1)), ContentTypeJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, fromJSON) {
		t.Errorf("raw does not decode to the same event:\n%+v\n%+v", again, fromJSON)
	}
}

func TestDecode_Errors(t *testing.T) {
	deepJSON := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":` + strings.Repeat(`{"arrayValue":{"values":[`, 60) + strings.Repeat(`]}}`, 60) + `}]}]}]}`
	deepProto := func() []byte {
		v := anyValue("x")
		for range 80 {
			v = &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{v}}}}
		}
		b, _ := proto.Marshal(claudeLogs(&logspb.LogRecord{Body: v}))
		return b
	}()
	many := claudeLogs()
	for i := range 20 {
		many.ResourceLogs[0].ScopeLogs[0].LogRecords = append(many.ResourceLogs[0].ScopeLogs[0].LogRecords, claudeRecord("api_request", i))
	}
	manyPB, _ := proto.Marshal(many)
	manyJSON, _ := protojson.Marshal(many)
	tests := []struct {
		name string
		opts Options
		body []byte
		ct   string
		want error
	}{
		{"TextPlain", Options{}, []byte("{}"), "text/plain", ErrUnsupportedMediaType},
		{"NoContentType", Options{}, []byte("{}"), "", ErrUnsupportedMediaType},
		{"JSONSyntax", Options{}, []byte(`{"resourceLogs":[`), ContentTypeJSON, ErrMalformed},
		{"JSONEmpty", Options{}, nil, ContentTypeJSON, ErrMalformed},
		{"JSONWrongType", Options{}, []byte(`{"resourceLogs":{}}`), ContentTypeJSON, ErrMalformed},
		{"ProtoGarbage", Options{}, []byte{0xff, 0xff, 0xff}, ContentTypeProtobuf, ErrMalformed},
		{"ProtoTruncated", Options{}, manyPB[:len(manyPB)-3], ContentTypeProtobuf, ErrMalformed},
		{"JSONTooDeep", Options{}, []byte(deepJSON), ContentTypeJSON, ErrMalformed},
		{"ProtoTooDeep", Options{}, deepProto, ContentTypeProtobuf, ErrMalformed},
		{"ProtoTooManyMessages", Options{MaxMessages: 100}, manyPB, ContentTypeProtobuf, ErrTooLarge},
		{"JSONTooManyObjects", Options{MaxMessages: 100}, manyJSON, ContentTypeJSON, ErrTooLarge},
		{"TooManyRecords", Options{MaxItems: 19}, manyPB, ContentTypeProtobuf, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := NewDecoder(tt.opts).DecodeLogs(tt.body, tt.ct)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if events != nil {
				t.Errorf("%d events returned with the error", len(events))
			}
			if !strings.HasPrefix(err.Error(), "decode otlp logs: ") {
				t.Errorf("error %q lacks its operation", err)
			}
		})
	}
	t.Run("WithinLimits", func(t *testing.T) {
		for ct, body := range map[string][]byte{ContentTypeProtobuf: manyPB, ContentTypeJSON: manyJSON} {
			if _, err := NewDecoder(Options{MaxMessages: 2000, MaxItems: 20}).DecodeLogs(body, ct+"; charset=utf-8"); err != nil {
				t.Errorf("%s: %v", ct, err)
			}
		}
	})
}

func sumMetric(name, unit string, temp metricspb.AggregationTemporality, points ...*metricspb.NumberDataPoint) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Unit: unit, Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
		AggregationTemporality: temp, IsMonotonic: true, DataPoints: points}}}
}

func numberPoint(v any, attrs ...*commonpb.KeyValue) *metricspb.NumberDataPoint {
	p := &metricspb.NumberDataPoint{StartTimeUnixNano: t0, TimeUnixNano: t0 + 1e9, Attributes: append([]*commonpb.KeyValue{
		kv("user.id", "u"), kv("session.id", "s"), kv("terminal.type", "dumb")}, attrs...)}
	switch v := v.(type) {
	case int:
		p.Value = &metricspb.NumberDataPoint_AsInt{AsInt: int64(v)}
	case float64:
		p.Value = &metricspb.NumberDataPoint_AsDouble{AsDouble: v}
	}
	return p
}

func metricsData(metrics ...*metricspb.Metric) *metricspb.MetricsData {
	return &metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{
		ScopeMetrics: []*metricspb.ScopeMetrics{{Scope: &commonpb.InstrumentationScope{Name: "com.anthropic.claude_code"}, Metrics: metrics}},
	}}}
}

func mustDecodeMetrics(tb testing.TB, d *Decoder, data *metricspb.MetricsData) []record.MetricPoint {
	tb.Helper()
	var first []record.MetricPoint
	for ct, body := range encodings(tb, data) {
		points, err := d.DecodeMetrics(body, ct)
		if err != nil {
			tb.Fatalf("%s: %v", ct, err)
		}
		if first == nil {
			first = points
		} else if !reflect.DeepEqual(points, first) {
			tb.Fatalf("json and protobuf decode differently:\n%+v\n%+v", first, points)
		}
	}
	return first
}

func TestDecodeMetrics(t *testing.T) {
	delta := metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
	noValue := numberPoint(nil)
	flagged := numberPoint(5)
	flagged.Flags = 1
	sum := 12.5
	data := metricsData(
		sumMetric("claude_code.token.usage", "tokens", delta, numberPoint(40.0, kv("type", "input")), numberPoint(20, kv("type", "output"))),
		sumMetric("claude_code.cost.usage", "USD", metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE, numberPoint(0.5, kv("model", "m"))),
		sumMetric("claude_code.commit.count", "", 0, noValue, flagged, numberPoint(math.NaN()), numberPoint(math.Inf(1))),
		&metricspb.Metric{Name: "g", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{numberPoint(3, kv("ok", true), kv("n", 2))}}}},
		&metricspb.Metric{Name: "h", Unit: "ms", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
			AggregationTemporality: delta,
			DataPoints: []*metricspb.HistogramDataPoint{
				{TimeUnixNano: t0, Count: 4, Sum: &sum, BucketCounts: []uint64{1, 3}, ExplicitBounds: []float64{10}},
				{TimeUnixNano: t0, Count: 4}, // no sum: left out
			}}}},
		&metricspb.Metric{Name: "empty"},
	)
	points := mustDecodeMetrics(t, NewDecoder(Options{}), data)
	type brief struct {
		Name, Unit, Session, User string
		Value                     float64
		Attrs                     map[string]string
	}
	var got []brief
	for _, p := range points {
		got = append(got, brief{p.Name, p.Unit, p.SessionID, p.UserID, p.Value, p.Attrs})
	}
	want := []brief{
		{"claude_code.token.usage", "tokens", "s", "u", 40, map[string]string{"type": "input", "terminal.type": "dumb", AttrTemporality: TemporalityDelta}},
		{"claude_code.token.usage", "tokens", "s", "u", 20, map[string]string{"type": "output", "terminal.type": "dumb", AttrTemporality: TemporalityDelta}},
		{"claude_code.cost.usage", "USD", "s", "u", 0.5, map[string]string{"model": "m", "terminal.type": "dumb", AttrTemporality: TemporalityCumulative}},
		{"g", "", "s", "u", 3, map[string]string{"ok": "true", "n": "2", "terminal.type": "dumb"}},
		{"h", "ms", "", "", 12.5, map[string]string{AttrTemporality: TemporalityDelta, AttrCount: "4"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	if p := points[0]; !p.Start.Equal(time.Unix(0, int64(t0))) || !p.Time.Equal(time.Unix(0, int64(t0+1e9))) {
		t.Errorf("start %v time %v", p.Start, p.Time)
	}
	ids := map[string]bool{}
	for _, p := range points {
		if len(p.ID) != 32 || ids[p.ID] {
			t.Errorf("%s: empty or duplicate id %q", p.Name, p.ID)
		}
		ids[p.ID] = true
	}
	if again := mustDecodeMetrics(t, NewDecoder(Options{}), data); again[0].ID != points[0].ID {
		t.Error("ids change between decodes")
	}
	if _, err := json.Marshal(points); err != nil {
		t.Errorf("points do not encode as JSON: %v", err)
	}
}

func TestDecodeMetrics_Errors(t *testing.T) {
	for _, tt := range []struct {
		name string
		body string
		ct   string
		opts Options
		want error
	}{
		{"ContentType", "{}", "application/xml", Options{}, ErrUnsupportedMediaType},
		{"Malformed", `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{"asDouble":"x"}]}}]}]}]}`, ContentTypeJSON, Options{}, ErrMalformed},
		{"TooManyPoints", `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asInt":"1"},{"asInt":"2"}]}}]}]}]}`, ContentTypeJSON, Options{MaxItems: 1}, ErrTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			points, err := NewDecoder(tt.opts).DecodeMetrics([]byte(tt.body), tt.ct)
			if !errors.Is(err, tt.want) || points != nil {
				t.Fatalf("error %v (%d points), want %v", err, len(points), tt.want)
			}
		})
	}
}
