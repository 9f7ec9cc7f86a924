package otlp

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/wardenhq/warden/internal/membudget"
)

// TestHandler_Budget: every request reserves from the budget and gives it
// back; one that finds no room within the wait is answered 503 with
// Retry-After, which exporters retry; one that can never fit, 413.
func TestHandler_Budget(t *testing.T) {
	pb, err := proto.Marshal(claudeLogs(claudeRecord("api_request", 1)))
	if err != nil {
		t.Fatal(err)
	}
	b := membudget.New(1<<20, 20*time.Millisecond)
	sink := &memSink{}
	h := NewHandler(sink, HandlerOptions{Budget: b})
	if rec := post(h, PathLogs, ContentTypeProtobuf, "gzip", gzipped(t, pb)); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if st := b.Stats(); st.InUse != 0 || st.Peak == 0 {
		t.Errorf("stats %+v: want the request's reservation made and given back", st)
	}

	t.Run("Busy", func(t *testing.T) {
		defer fill(b)()
		rec := post(h, PathLogs, ContentTypeProtobuf, "", pb)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
			t.Errorf("%d, Retry-After %q: want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
		}
		if len(sink.events) != 1 {
			t.Errorf("a busy request was stored")
		}
	})
	t.Run("OverBudget", func(t *testing.T) {
		bomb := gzipped(t, []byte(`{"resourceLogs":[`+strings.Repeat(" ", 2<<20)+`]}`))
		rec := post(h, PathLogs, ContentTypeJSON, "gzip", bomb)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "budget") {
			t.Errorf("%d %s, want 413 naming the budget", rec.Code, rec.Body)
		}
	})
	if st := b.Stats(); st.InUse != 0 {
		t.Errorf("%d bytes still reserved", st.InUse)
	}
}

// TestGRPCService_AuthBeforeDecode: a request without a valid token is
// refused before its body is read or decoded, so a body that would fail
// decoding is answered Unauthenticated, not Internal, and nothing is
// reserved.
func TestGRPCService_AuthBeforeDecode(t *testing.T) {
	b := membudget.New(64<<20, time.Second)
	conn := grpcServer(t, NewGRPCService(&memSink{}, GRPCOptions{Auth: bearerAuth, Budget: b,
		Decoder: NewDecoder(Options{MaxMessages: 20})}))
	for _, req := range []proto.Message{deepLogs(80), claudeLogs(claudeRecord("api_request", 1))} {
		err := conn.Invoke(withToken("Bearer nope"), LogsExportMethod, req, &emptypb.Empty{})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%v, want Unauthenticated before decoding", err)
		}
	}
	if st := b.Stats(); st.Peak != 0 {
		t.Errorf("an unauthenticated request reserved %d bytes", st.Peak)
	}
}

// TestGRPCService_Budget: gRPC requests reserve too, and are answered
// Unavailable with RetryInfo when there is no room.
func TestGRPCService_Budget(t *testing.T) {
	b := membudget.New(64<<20, 20*time.Millisecond)
	sink := &memSink{}
	conn := grpcServer(t, NewGRPCService(sink, GRPCOptions{Auth: bearerAuth, Budget: b}))
	logs := claudeLogs(claudeRecord("api_request", 1))
	if err := conn.Invoke(withToken(testToken), LogsExportMethod, logs, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); st.InUse != 0 || st.Peak < 2*DefaultMaxRecvMsgSize {
		t.Errorf("stats %+v: want a reservation of twice the message limit, given back", st)
	}
	release := fill(b)
	err := conn.Invoke(withToken(testToken), LogsExportMethod, logs, &emptypb.Empty{})
	release()
	st, _ := status.FromError(err)
	var retry bool
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.RetryInfo); ok {
			retry = true
		}
	}
	if st.Code() != codes.Unavailable || !retry {
		t.Errorf("%v (details %v), want Unavailable with RetryInfo", err, st.Details())
	}
	if len(sink.events) != 1 {
		t.Errorf("%d events stored, want 1", len(sink.events))
	}
}

// fill takes all of b in small reservations and returns what gives it back.
func fill(b *membudget.Budget) (release func()) {
	var held []*membudget.Reservation
	for {
		r := b.Reserve()
		if r.TryGrow(b.Total()/64) != nil {
			break
		}
		held = append(held, r)
	}
	return func() {
		for _, r := range held {
			r.Release()
		}
	}
}
