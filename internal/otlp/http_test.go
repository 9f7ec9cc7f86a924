package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/record"
)

// memSink is a Sink in memory; err, when set, fails every append, and
// refuse, when set, refuses the records it reports.
type memSink struct {
	mu     sync.Mutex
	events []record.Event
	points []record.MetricPoint
	calls  int
	err    error
	refuse func(e *record.Event) bool
}

var _ Sink = (*memSink)(nil)

func (s *memSink) AppendEvents(_ context.Context, events []record.Event) (Rejected, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	var rej Rejected
	if s.err != nil {
		return rej, s.err
	}
	for i := range events {
		if s.refuse != nil && s.refuse(&events[i]) {
			rej.Add(1, "event "+events[i].ID+" refused")
			continue
		}
		s.events = append(s.events, events[i])
	}
	return rej, nil
}

func (s *memSink) AppendMetrics(_ context.Context, points []record.MetricPoint) (Rejected, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return Rejected{}, s.err
	}
	s.points = append(s.points, points...)
	return Rejected{}, nil
}

func gzipped(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func post(h http.Handler, path, contentType, encoding string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer test-token")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestHandler_Fixtures posts every capture as Claude Code sent it, and
// gzipped, and checks the answer and what reached the sink.
func TestHandler_Fixtures(t *testing.T) {
	for _, f := range otlpFixtures(t) {
		body := f.body(t)
		want := decodeFixture(t, NewDecoder(Options{}), f)
		for _, enc := range []string{"", "gzip"} {
			name := enc
			if name == "" {
				name = "plain"
			}
			t.Run(f.name+"/"+name, func(t *testing.T) {
				sink := &memSink{}
				h := NewHandler(sink, HandlerOptions{})
				b := body
				if enc == "gzip" {
					b = gzipped(t, body)
				}
				rec := post(h, "/v1/"+f.signal, f.contentType, enc, b)
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				if ct := rec.Header().Get("Content-Type"); ct != f.contentType {
					t.Errorf("response content type %q, want %q", ct, f.contentType)
				}
				wantBody := map[string]string{ContentTypeJSON: "{}", ContentTypeProtobuf: ""}[f.contentType]
				if rec.Body.String() != wantBody {
					t.Errorf("response body %q, want %q", rec.Body, wantBody)
				}
				if !reflect.DeepEqual(sink.events, want.Events) || !reflect.DeepEqual(sink.points, want.Points) {
					t.Errorf("sink got %d events and %d points, want %d and %d (or different ones)",
						len(sink.events), len(sink.points), len(want.Events), len(want.Points))
				}
			})
		}
	}
}

func TestHandler_Errors(t *testing.T) {
	valid := []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hi"}}]}]}]}`)
	validPB, _ := proto.Marshal(claudeLogs(claudeRecord("api_request", 1)))
	bomb := gzipped(t, append(append([]byte(`{"resourceLogs":[`), bytes.Repeat([]byte(" "), 4096)...), ']', '}'))
	tests := []struct {
		name     string
		opts     HandlerOptions
		sinkErr  error
		method   string
		path     string
		ct, ce   string
		chunked  bool // no Content-Length
		body     []byte
		status   int
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "Get", method: http.MethodGet, status: http.StatusMethodNotAllowed, wantCode: codes.InvalidArgument},
		{name: "ContentType", ct: "text/plain", body: valid, status: http.StatusUnsupportedMediaType, wantCode: codes.InvalidArgument, wantMsg: "content type"},
		{name: "ContentEncoding", ce: "br", body: valid, status: http.StatusUnsupportedMediaType, wantCode: codes.InvalidArgument, wantMsg: "br"},
		{name: "MalformedJSON", body: []byte(`{"resourceLogs":`), status: http.StatusBadRequest, wantCode: codes.InvalidArgument, wantMsg: "malformed"},
		{name: "MalformedProtobuf", ct: ContentTypeProtobuf, body: []byte{0x0a, 0x05, 0x01}, status: http.StatusBadRequest, wantCode: codes.InvalidArgument},
		{name: "MalformedGzip", ce: "gzip", body: []byte("not gzip"), status: http.StatusBadRequest, wantCode: codes.InvalidArgument, wantMsg: "gzip"},
		{name: "TruncatedGzip", ce: "gzip", body: gzipped(t, valid)[:20], status: http.StatusBadRequest, wantCode: codes.InvalidArgument},
		{name: "BodyTooLarge", opts: HandlerOptions{MaxBodyBytes: 10}, body: valid, status: http.StatusRequestEntityTooLarge, wantCode: codes.ResourceExhausted},
		{name: "CompressedTooLarge", opts: HandlerOptions{MaxBodyBytes: 20}, ce: "gzip", body: gzipped(t, valid), status: http.StatusRequestEntityTooLarge, wantCode: codes.ResourceExhausted},
		{name: "BodyTooLargeChunked", opts: HandlerOptions{MaxBodyBytes: 10}, chunked: true, body: valid, status: http.StatusRequestEntityTooLarge, wantCode: codes.ResourceExhausted},
		{name: "CompressedTooLargeChunked", opts: HandlerOptions{MaxBodyBytes: 20}, chunked: true, ce: "gzip", body: gzipped(t, valid), status: http.StatusRequestEntityTooLarge, wantCode: codes.ResourceExhausted},
		{name: "DecompressedTooLarge", opts: HandlerOptions{MaxDecodedBytes: 1024}, ce: "gzip", body: bomb, status: http.StatusRequestEntityTooLarge, wantCode: codes.ResourceExhausted, wantMsg: "decompressed"},
		{name: "TooManyMessages", opts: HandlerOptions{Decoder: NewDecoder(Options{MaxMessages: 2})}, body: valid, status: http.StatusRequestEntityTooLarge, wantCode: codes.ResourceExhausted},
		{name: "SinkFails", sinkErr: errors.New("database is locked at /var/lib/warden.db"), body: valid, status: http.StatusServiceUnavailable, wantCode: codes.Unavailable, wantMsg: "retry"},
		{name: "SinkFailsProtobuf", sinkErr: errors.New("down"), ct: ContentTypeProtobuf, body: validPB, status: http.StatusServiceUnavailable, wantCode: codes.Unavailable},
		{name: "UnknownPath", path: "/v1/traces", body: valid, status: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &memSink{err: tt.sinkErr}
			h := NewHandler(sink, tt.opts)
			method, path, ct := tt.method, tt.path, tt.ct
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = PathLogs
			}
			if ct == "" {
				ct = ContentTypeJSON
			}
			req := httptest.NewRequest(method, path, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", ct)
			if tt.ce != "" {
				req.Header.Set("Content-Encoding", tt.ce)
			}
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.sinkErr == nil && (len(sink.events) > 0 || sink.calls > 0) {
				t.Errorf("a refused request reached the sink (%d calls)", sink.calls)
			}
			if tt.status == http.StatusNotFound {
				return
			}
			if tt.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q", rec.Header().Get("Allow"))
			}
			// The error is a google.rpc.Status in the request's encoding
			// (JSON when the content type is not one of OTLP's).
			var st spb.Status
			var err error
			if ct == ContentTypeProtobuf {
				err = proto.Unmarshal(rec.Body.Bytes(), &st)
			} else {
				err = protojson.Unmarshal(rec.Body.Bytes(), &st)
			}
			if err != nil {
				t.Fatalf("body %q is not a Status: %v", rec.Body, err)
			}
			if got := rec.Header().Get("Content-Type"); (ct == ContentTypeProtobuf) != (got == ContentTypeProtobuf) {
				t.Errorf("error content type %q for a %q request", got, ct)
			}
			if codes.Code(st.Code) != tt.wantCode || !strings.Contains(st.Message, tt.wantMsg) {
				t.Errorf("status {%v %q}, want {%v ~%q}", codes.Code(st.Code), st.Message, tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(st.Message, "/var/lib") {
				t.Errorf("error message leaks the cause: %q", st.Message)
			}
		})
	}
}

// TestHandler_Server runs the handler behind a real HTTP server, wrapped
// by an authentication middleware as the server wraps it.
func TestHandler_Server(t *testing.T) {
	sink := &memSink{}
	h := NewHandler(sink, HandlerOptions{})
	mux := http.NewServeMux()
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer test-token" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	mux.Handle("POST "+PathLogs, auth(h.Logs()))
	mux.Handle("POST "+PathMetrics, auth(h.Metrics()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, f := range otlpFixtures(t) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/"+f.signal, bytes.NewReader(gzipped(t, f.body(t))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", f.contentType)
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Authorization", "Bearer test-token")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", f.file, resp.StatusCode)
		}
	}
	if len(sink.events) == 0 || len(sink.points) == 0 {
		t.Errorf("stored %d events and %d points", len(sink.events), len(sink.points))
	}

	resp, err := http.Post(srv.URL+PathLogs, ContentTypeJSON, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated request: status %d", resp.StatusCode)
	}
}
