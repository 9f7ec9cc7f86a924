package otlp

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/wardenhq/warden/internal/record"
)

// parsePartial decodes an Export*ServiceResponse's wire form: its
// partial_success count and message (0 and "" when absent).
func parsePartial(tb testing.TB, b []byte) (int64, string) {
	tb.Helper()
	var count int64
	var msg string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			tb.Fatalf("response %x: not a partial_success field", b)
		}
		b = b[n:]
		inner, n := protowire.ConsumeBytes(b)
		if n < 0 {
			tb.Fatalf("response %x: truncated", b)
		}
		b = b[n:]
		for len(inner) > 0 {
			num, typ, n := protowire.ConsumeTag(inner)
			inner = inner[n:]
			switch {
			case num == 1 && typ == protowire.VarintType:
				v, n := protowire.ConsumeVarint(inner)
				count, inner = int64(v), inner[n:]
			case num == 2 && typ == protowire.BytesType:
				v, n := protowire.ConsumeString(inner)
				msg, inner = v, inner[n:]
			default:
				tb.Fatalf("unexpected field %d type %d in partial_success", num, typ)
			}
		}
	}
	return count, msg
}

// hostileMetrics has two finite points and a NaN and an infinite one.
func hostileMetrics() *metricspb.MetricsData {
	return metricsData(sumMetric(record.MetricCostUsage, "USD", metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
		numberPoint(0.5, kv("model", "a")), numberPoint(math.NaN(), kv("model", "b")),
		numberPoint(math.Inf(1), kv("model", "c")), numberPoint(0.25, kv("model", "d"))))
}

// TestHandler_PartialSuccess: records refused by the decoder (non-finite
// data points) or by the sink are answered as the OTLP specification
// says, 200 with partial_success (count and message) in the request's
// encoding, counted and logged at warn; the rest are stored.
func TestHandler_PartialSuccess(t *testing.T) {
	pb, err := proto.Marshal(hostileMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("MetricsProtobuf", func(t *testing.T) {
		var logs bytes.Buffer
		counted := map[Signal]int{}
		sink := &memSink{}
		h := NewHandler(sink, HandlerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Rejected: func(s Signal, n int) { counted[s] += n }})
		rec := post(h, PathMetrics, ContentTypeProtobuf, "", pb)
		if rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		n, msg := parsePartial(t, rec.Body.Bytes())
		if n != 2 || !strings.Contains(msg, "2 of 4 data points rejected") || !strings.Contains(msg, "not finite") {
			t.Errorf("partial success %d %q, want 2 and the reason", n, msg)
		}
		if len(sink.points) != 2 || counted[SignalMetrics] != 2 {
			t.Errorf("stored %d points, counted %v; want 2 and 2", len(sink.points), counted)
		}
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "otlp records rejected") {
			t.Errorf("log: %s", logs.String())
		}
	})
	t.Run("MetricsJSON", func(t *testing.T) {
		body := []byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[
			{"timeUnixNano":"1","asDouble":"NaN"},{"timeUnixNano":"2","asDouble":1}]}}]}]}]}`)
		rec := post(NewHandler(&memSink{}, HandlerOptions{}), PathMetrics, ContentTypeJSON, "", body)
		var resp struct {
			PartialSuccess struct {
				RejectedDataPoints string `json:"rejectedDataPoints"`
				ErrorMessage       string `json:"errorMessage"`
			} `json:"partialSuccess"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		if resp.PartialSuccess.RejectedDataPoints != "1" || !strings.Contains(resp.PartialSuccess.ErrorMessage, "1 of 2 data points rejected") {
			t.Errorf("answer %s", rec.Body)
		}
	})
	t.Run("LogsRefusedBySink", func(t *testing.T) {
		sink := &memSink{refuse: func(e *record.Event) bool { return e.SessionID == "" }}
		body := []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","body":{"stringValue":"a"}},
			{"timeUnixNano":"2","body":{"stringValue":"b"},"attributes":[{"key":"session.id","value":{"stringValue":"s"}}]}]}]}]}`)
		rec := post(NewHandler(sink, HandlerOptions{}), PathLogs, ContentTypeJSON, "", body)
		if !strings.Contains(rec.Body.String(), `"rejectedLogRecords":"1"`) || !strings.Contains(rec.Body.String(), "1 of 2 log records rejected: event") {
			t.Errorf("%d %s", rec.Code, rec.Body)
		}
		if len(sink.events) != 1 {
			t.Errorf("stored %d events, want 1", len(sink.events))
		}
	})
	t.Run("NoneRefused", func(t *testing.T) {
		rec := post(NewHandler(&memSink{}, HandlerOptions{}), PathMetrics, ContentTypeProtobuf, "", mustMarshal(t, metricsData(sumMetric("m", "", 0, numberPoint(1)))))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("%d %q, want 200 and an empty response", rec.Code, rec.Body)
		}
	})
}

func mustMarshal(tb testing.TB, m proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestHandler_RefusalLogRateLimited: a client sending bad records in a
// loop gets a burst of warn lines, then one per interval saying how many
// were left out.
func TestHandler_RefusalLogRateLimited(t *testing.T) {
	var logs bytes.Buffer
	now := time.Unix(1000, 0)
	h := NewHandler(&memSink{}, HandlerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }})
	pb := mustMarshal(t, hostileMetrics())
	for range 3 * refusalBurst {
		post(h, PathMetrics, ContentTypeProtobuf, "", pb)
		post(h, PathLogs, ContentTypeJSON, "", []byte(`{"resourceLogs":`)) // malformed: refused whole
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != refusalBurst {
		t.Errorf("%d warn lines for %d refusals, want the burst of %d:\n%s", n, 6*refusalBurst, refusalBurst, logs.String())
	}
	logs.Reset()
	now = now.Add(refusalEvery)
	post(h, PathMetrics, ContentTypeProtobuf, "", pb)
	if !strings.Contains(logs.String(), "suppressed=50") {
		t.Errorf("after the interval: %s, want suppressed=50", logs.String())
	}
}

// TestGRPCService_PartialSuccess: the gRPC answer carries the same
// partial success, in the Export*ServiceResponse's wire form.
func TestGRPCService_PartialSuccess(t *testing.T) {
	sink := &memSink{}
	conn := grpcServer(t, NewGRPCService(sink, GRPCOptions{Auth: bearerAuth}))
	var resp emptypb.Empty
	if err := conn.Invoke(withToken(testToken), MetricsExportMethod, hostileMetrics(), &resp); err != nil {
		t.Fatal(err)
	}
	n, msg := parsePartial(t, resp.ProtoReflect().GetUnknown())
	if n != 2 || !strings.Contains(msg, "not finite") || len(sink.points) != 2 {
		t.Errorf("partial success %d %q, %d stored; want 2 rejected, 2 stored", n, msg, len(sink.points))
	}
}
