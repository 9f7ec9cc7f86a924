package otlp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/record"
)

// What identifies Claude Code's log records.
const (
	serviceName = "claude-code"                      // resource service.name
	eventsScope = "com.anthropic.claude_code.events" // scope of its log records
	eventPrefix = "claude_code."                     // of the body and of metric names
)

// KindRaw is the Kind of a log record Warden does not know (another event
// name, scope or service); the record itself is in Event.Raw.
const KindRaw = "raw"

// Attribute keys the decoder sets or renames.
const (
	AttrDecisionSource = "decision_source"    // tool_decision's source (config, hook)
	AttrScopeName      = "otel.scope.name"    // raw events: the instrumentation scope
	AttrScopeVersion   = "otel.scope.version" // raw events
	AttrTraceID        = "trace_id"           // hex, when the record has one
	AttrSpanID         = "span_id"            // hex, when the record has one
)

// redactedText is what Claude Code sends in place of content it does not log.
const redactedText = "<REDACTED>"

// knownEvent reports whether name is a Claude Code event Warden types.
func knownEvent(name string) bool {
	switch name {
	case "user_prompt", "assistant_response", "api_request", "api_error",
		"tool_decision", "tool_result",
		"hook_registered", "hook_execution_start", "hook_execution_complete",
		"managed_settings_resolved", "plugin_loaded", "mcp_server_connection",
		"permission_mode_change":
		return true
	}
	return false
}

// isContent reports whether an attribute carries prompt, response or tool
// input text, kept only with Options.KeepContent.
func isContent(key string) bool {
	switch key {
	case "prompt", "prompt_text", "response", "tool_input", "tool_parameters":
		return true
	}
	return false
}

// Logs converts decoded OTLP logs (an ExportLogsServiceRequest's content,
// as the gRPC service receives it) into events, one per log record, in
// order. It fails only with ErrTooLarge, past Options.MaxItems records.
func (d *Decoder) Logs(data *logspb.LogsData) ([]record.Event, error) {
	return d.logs(data, nil)
}

// logs is Logs, counting the records it refuses in rej when not nil: only
// those over Options.MaxRecordBytes (a log record Warden does not know is
// kept as raw).
func (d *Decoder) logs(data *logspb.LogsData, rej *Rejected) ([]record.Event, error) {
	n := 0
	for _, rl := range data.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			n += len(sl.GetLogRecords())
		}
	}
	if n > d.opts.MaxItems {
		return nil, fmt.Errorf("%w: %d log records, limit %d", ErrTooLarge, n, d.opts.MaxItems)
	}
	events := make([]record.Event, 0, n)
	for _, rl := range data.GetResourceLogs() {
		res := resourceAttrs(rl.GetResource())
		service, _ := res["service.name"].(string)
		for _, sl := range rl.GetScopeLogs() {
			known := service == serviceName && sl.GetScope().GetName() == eventsScope
			for _, lr := range sl.GetLogRecords() {
				if lr == nil {
					continue
				}
				if max := d.opts.MaxRecordBytes; max > 0 {
					if n := proto.Size(lr); n > max {
						rej.Add(1, fmt.Sprintf("log record of %d bytes, more than %d", n, max))
						continue
					}
				}
				events = append(events, d.event(rl.GetResource(), res, sl, lr, known))
			}
		}
	}
	return events, nil
}

// resourceAttrs converts resource attributes, secrets masked
// (OTEL_RESOURCE_ATTRIBUTES is free text).
func resourceAttrs(r *resourcepb.Resource) map[string]any {
	attrs := r.GetAttributes()
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]any, len(attrs))
	for _, kv := range attrs {
		if kv != nil {
			m[kv.Key] = plainValue(kv.Value, 0)
		}
	}
	record.RedactAttrs(m, nil)
	return m
}

// event converts one log record. known says the record comes from Claude
// Code's events scope, so its event name decides between a typed and a raw
// event.
func (d *Decoder) event(res *resourcepb.Resource, resAttrs map[string]any, sl *logspb.ScopeLogs, lr *logspb.LogRecord, known bool) record.Event {
	ev := record.Event{Source: record.SourceOTLP}
	if resAttrs != nil {
		ev.Resource = maps.Clone(resAttrs)
	}
	attrs := make(map[string]any, len(lr.Attributes)+2)
	var name, seq string
	hasSeq := false
	for _, kv := range lr.Attributes {
		if kv == nil {
			continue
		}
		switch kv.Key {
		case "session.id":
			ev.SessionID, _ = attrString(kv.Value)
			continue
		case "user.id":
			ev.UserID, _ = attrString(kv.Value)
			continue
		case "prompt.id":
			ev.PromptID, _ = attrString(kv.Value)
			continue
		case "event.name":
			name, _ = attrString(kv.Value)
		case "event.sequence":
			seq, hasSeq = attrString(kv.Value)
		}
		attrs[kv.Key] = typedValue(kv.Key, kv.Value)
	}
	if name == "" {
		name = strings.TrimPrefix(lr.EventName, eventPrefix)
	}
	if name == "" {
		if body, ok := lr.Body.GetValue().(*commonpb.AnyValue_StringValue); ok && strings.HasPrefix(body.StringValue, eventPrefix) {
			name = strings.TrimPrefix(body.StringValue, eventPrefix)
		}
	}
	if len(lr.TraceId) > 0 {
		attrs[AttrTraceID] = hex.EncodeToString(lr.TraceId)
	}
	if len(lr.SpanId) > 0 {
		attrs[AttrSpanID] = hex.EncodeToString(lr.SpanId)
	}
	ev.Time = d.eventTime(lr, attrs)

	if session := ev.SessionID; session != "" && hasSeq {
		ev.ID = eventID(session, seq, name, lr)
	} else {
		ev.ID = contentID(res, sl.GetScope(), lr)
	}

	d.toolParameters(attrs)
	d.dropContent(attrs)
	if known && knownEvent(name) {
		ev.Kind = name
		delete(attrs, "event.name")
		liftTool(&ev, attrs)
	} else {
		ev.Kind = KindRaw
		if scope := sl.GetScope(); scope != nil {
			attrs[AttrScopeName] = scope.Name
			if scope.Version != "" {
				attrs[AttrScopeVersion] = scope.Version
			}
		}
		ev.Raw = d.rawRecord(lr)
	}
	// Every string kept has its secrets masked (an api_error's or a
	// tool_result's error can quote a token), except the content that
	// KeepContent keeps as sent.
	record.RedactAttrs(attrs, d.keptAsSent)
	if len(attrs) > 0 {
		ev.Attrs = attrs
	}
	return ev
}

// keptAsSent reports whether an attribute is kept unredacted: content
// (and full_command) with KeepContent.
func (d *Decoder) keptAsSent(key string) bool {
	return d.opts.KeepContent && (isContent(key) || key == "full_command")
}

// eventTime is the record's time, else its observed time, else its
// event.timestamp attribute, else Options.Now.
func (d *Decoder) eventTime(lr *logspb.LogRecord, attrs map[string]any) time.Time {
	if t, ok := unixNano(lr.TimeUnixNano); ok {
		return t
	}
	if t, ok := unixNano(lr.ObservedTimeUnixNano); ok {
		return t
	}
	if s, ok := attrs["event.timestamp"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	if d.opts.Now != nil {
		return d.opts.Now().UTC()
	}
	return time.Time{}
}

// unixNano converts an OTLP timestamp; 0 means unset.
func unixNano(ns uint64) (time.Time, bool) {
	if ns == 0 || ns > math.MaxInt64 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(ns)).UTC(), true
}

// liftTool moves tool_decision's and tool_result's tool, decision and
// decision source out of the attributes into the event's fields.
func liftTool(ev *record.Event, attrs map[string]any) {
	if ev.Kind != "tool_decision" && ev.Kind != "tool_result" {
		return
	}
	if s, ok := attrs["tool_name"].(string); ok {
		ev.Tool = s
		delete(attrs, "tool_name")
	}
	if ev.Kind != "tool_decision" {
		return
	}
	if s, ok := attrs["decision"].(string); ok {
		ev.Decision = s
		delete(attrs, "decision")
	}
	if s, ok := attrs["source"]; ok {
		attrs[AttrDecisionSource] = s
		delete(attrs, "source")
	}
}

// maxToolParameters bounds the tool_parameters JSON that is parsed.
const maxToolParameters = 1 << 20

// toolParameters copies the scalar fields of the tool_parameters JSON string
// (OTEL_LOG_TOOL_DETAILS: mcp_server_name, mcp_tool_name, bash_command,
// full_command, skill_name, ...) into attrs, typed, without overwriting an
// attribute. Without KeepContent, full_command is redacted and bounded like
// a hook audit command. Text that is not a JSON object is ignored.
func (d *Decoder) toolParameters(attrs map[string]any) {
	s, ok := attrs["tool_parameters"].(string)
	if !ok || len(s) > maxToolParameters {
		return
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var params map[string]any
	if err := dec.Decode(&params); err != nil {
		return
	}
	for k, v := range params {
		if _, exists := attrs[k]; exists || isContent(k) {
			continue
		}
		var x any
		switch v := v.(type) {
		case string:
			x = v
			if k == "full_command" && !d.opts.KeepContent {
				x = record.NormalizeCommand(v)
			}
		case bool:
			x = v
		case json.Number:
			if n, err := v.Int64(); err == nil {
				x = n
			} else if f, err := v.Float64(); err == nil && finite(f) {
				x = f
			} else {
				x = v.String()
			}
		default:
			continue // nested values: only with KeepContent, in tool_parameters itself
		}
		if t := attrType(k); t != typeAsSent {
			x = coerce(x, t)
		}
		attrs[k] = x
	}
}

// dropContent removes content attributes unless KeepContent, and
// "<REDACTED>" placeholders always.
func (d *Decoder) dropContent(attrs map[string]any) {
	for k, v := range attrs {
		if !isContent(k) {
			continue
		}
		if !d.opts.KeepContent || v == redactedText {
			delete(attrs, k)
		}
	}
}

// eventID is the deduplication key of a Claude Code record: a replayed
// batch yields the same ids.
func eventID(session, seq, name string, lr *logspb.LogRecord) string {
	h := sha256.New()
	for _, s := range [...]string{"otlp.event.v1", session, seq, name} {
		writeField(h, s)
	}
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], lr.TimeUnixNano)
	h.Write(t[:])
	return timeOrderedID(lr, h.Sum(nil))
}

// timeOrderedID lays a record's ID out as record.NewEventID does: the
// record's own time in milliseconds (its observed time when it has none;
// never the server's clock, so a replay yields the same ID), then 80 bits
// of its hash.
func timeOrderedID(lr *logspb.LogRecord, sum []byte) string {
	ns := lr.TimeUnixNano
	if ns == 0 {
		ns = lr.ObservedTimeUnixNano
	}
	var b [16]byte
	record.PutMillis(b[:6], int64(ns/1e6))
	copy(b[6:], sum)
	return hex.EncodeToString(b[:])
}

// contentID is the deduplication key of a record without session.id and
// event.sequence: a hash of the record with its resource and scope.
func contentID(res *resourcepb.Resource, scope *commonpb.InstrumentationScope, lr *logspb.LogRecord) string {
	opts := proto.MarshalOptions{Deterministic: true}
	h := sha256.New()
	writeField(h, "otlp.record.v1")
	for _, m := range [...]proto.Message{res, scope, lr} {
		var b []byte
		if m != nil {
			b, _ = opts.Marshal(m) // cannot fail: the message was just decoded
		}
		writeField(h, string(b))
	}
	return timeOrderedID(lr, h.Sum(nil))
}

// writeField writes s length-prefixed, so that field boundaries are part
// of the hash.
func writeField(h interface{ Write([]byte) (int, error) }, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// rawRecord renders a record Warden does not know as OTLP/JSON (enums as
// numbers, trace and span ids as hex), content attributes removed unless
// KeepContent, secrets masked in its body and attributes.
func (d *Decoder) rawRecord(lr *logspb.LogRecord) json.RawMessage {
	traceID, spanID := lr.TraceId, lr.SpanId
	lr = proto.Clone(lr).(*logspb.LogRecord)
	lr.TraceId, lr.SpanId = nil, nil
	if !d.opts.KeepContent && hasContent(lr.Attributes) {
		kept := lr.Attributes[:0]
		for _, kv := range lr.Attributes {
			if kv != nil && !isContent(kv.Key) {
				kept = append(kept, kv)
			}
		}
		lr.Attributes = kept
	}
	redactAnyValue(lr.Body)
	for _, kv := range lr.Attributes {
		if kv != nil && !d.keptAsSent(kv.Key) {
			redactKeyValue(kv)
		}
	}
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(lr)
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil { // protojson varies its spacing on purpose
		return nil
	}
	if len(traceID) > 0 || len(spanID) > 0 {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &fields); err != nil {
			return nil
		}
		if len(traceID) > 0 {
			fields["traceId"], _ = json.Marshal(hex.EncodeToString(traceID))
		}
		if len(spanID) > 0 {
			fields["spanId"], _ = json.Marshal(hex.EncodeToString(spanID))
		}
		b, err := json.Marshal(fields)
		if err != nil {
			return nil
		}
		return b
	}
	return out.Bytes()
}

func hasContent(attrs []*commonpb.KeyValue) bool {
	for _, kv := range attrs {
		if kv != nil && isContent(kv.Key) {
			return true
		}
	}
	return false
}

// redactKeyValue masks secrets in an attribute of a raw record: its whole
// string value when its key names a secret (record.SecretAttr), else the
// secrets in its strings.
func redactKeyValue(kv *commonpb.KeyValue) {
	if sv, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_StringValue); ok && record.SecretAttr(kv.Key) &&
		sv.StringValue != "" && !strings.HasPrefix(sv.StringValue, "$") {
		sv.StringValue = record.Redacted
		return
	}
	redactAnyValue(kv.GetValue())
}

// redactAnyValue masks secrets in every string of v, in place.
func redactAnyValue(v *commonpb.AnyValue) {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		x.StringValue = record.Redact(x.StringValue)
	case *commonpb.AnyValue_ArrayValue:
		for _, e := range x.ArrayValue.GetValues() {
			redactAnyValue(e)
		}
	case *commonpb.AnyValue_KvlistValue:
		for _, kv := range x.KvlistValue.GetValues() {
			if kv != nil {
				redactKeyValue(kv)
			}
		}
	}
}
