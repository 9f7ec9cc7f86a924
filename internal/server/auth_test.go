package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/wardenhq/warden/internal/record"
)

func TestFailLimiter(t *testing.T) {
	c := newClock()
	l := newFailLimiter(c.Now)
	for range failBurst {
		if err := l.check("10.0.0.1:5000"); err != nil {
			t.Fatalf("within the burst: %v", err)
		}
		l.fail("10.0.0.1:5000")
	}
	var e *Error
	if err := l.check("10.0.0.1:6000"); !errors.As(err, &e) || e.Code != ETooManyRequests || e.RetryAfter <= 0 {
		t.Errorf("past the burst, another port: %v, want too_many_requests with a retry time", err)
	}
	if err := l.check("10.0.0.2:5000"); err != nil {
		t.Errorf("another address: %v", err)
	}
	c.Add(failEvery)
	if err := l.check("10.0.0.1:5000"); err != nil {
		t.Errorf("after one interval: %v, want one more attempt", err)
	}

	// An IPv6 host counts by its /64; a mapped IPv4 address as IPv4.
	for range failBurst {
		l.fail("[2001:db8:1:2::1]:443")
	}
	if l.check("[2001:db8:1:2::ffff]:1") == nil || l.check("[2001:db8:1:3::1]:1") != nil {
		t.Error("IPv6 addresses are not limited by their /64")
	}
	if addrKey("[::ffff:10.0.0.1]:1") != addrKey("10.0.0.1:2") {
		t.Error("a mapped IPv4 address counts apart from IPv4")
	}
}

func TestFailLimiter_Bounded(t *testing.T) {
	c := newClock()
	l := newFailLimiter(c.Now)
	for i := range failAddrsMax + 10 {
		l.fail("10.1." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250))
	}
	if n := len(l.m); n > failAddrsMax {
		t.Errorf("%d addresses tracked, want at most %d", n, failAddrsMax)
	}
}

// TestAuth_FailureLimit: failed authentications from one address are
// limited: past the burst, requests whose token is not one accepted lately
// get 429 with Retry-After without a store lookup, counted in
// warden_auth_throttled_total; a token accepted lately still works, even
// after the token cache forgot it.
func TestAuth_FailureLimit(t *testing.T) {
	ts := startServer(t)
	read := ts.tokens[record.ScopeRead]
	if r := ts.do("GET", "/api/v1/sessions", read, nil); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	unknown := "wdn_" + strings.Repeat("B", 43)
	for i := range failBurst {
		if r := ts.do("GET", "/api/v1/sessions", unknown, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s, want 401 within the burst", i, r.status, r.body)
		}
	}
	r := ts.do("GET", "/api/v1/sessions", unknown, nil)
	if r.status != http.StatusTooManyRequests || r.errorCode() != ETooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("past the burst: %d %s (Retry-After %q), want 429", r.status, r.body, r.header.Get("Retry-After"))
	}
	if r := ts.do("GET", "/api/v1/sessions", "", nil); r.status != http.StatusTooManyRequests {
		t.Errorf("no token past the burst: %d, want 429", r.status)
	}
	ts.clock.Add(tokenCacheTTL + time.Second) // the token cache forgets; the limiter refills
	for range failBurst + 1 {
		ts.do("GET", "/api/v1/sessions", unknown, nil)
	}
	if r := ts.do("GET", "/api/v1/sessions", read, nil); r.status != http.StatusOK {
		t.Errorf("a token accepted lately, from a throttled address: %d %s, want 200", r.status, r.body)
	}
	if r := ts.do("GET", "/api/v1/sessions", ts.tokens[record.ScopeAdmin], nil); r.status != http.StatusTooManyRequests {
		t.Errorf("a token not used yet, from a throttled address: %d, want 429", r.status)
	}
	if got := metricValue(t, ts, `warden_auth_throttled_total`); got < 3 {
		t.Errorf("warden_auth_throttled_total %v, want at least 3", got)
	}

	t.Run("Decide", func(t *testing.T) {
		_, d := ts.decide(unknown, pre("thr", "Bash", map[string]any{"command": "ls"}), "")
		if d.HookSpecificOutput.PermissionDecision != "deny" || !strings.Contains(d.HookSpecificOutput.PermissionDecisionReason, "too many failed") {
			t.Errorf("decision %+v, want a deny naming the limit", d.HookSpecificOutput)
		}
	})
	t.Run("GRPC", func(t *testing.T) {
		conn, err := grpc.NewClient(ts.s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		err = grpcExport(t, conn, unknown, otlpLogs("thr", 1))
		if st, _ := status.FromError(err); st.Code() != codes.ResourceExhausted || len(st.Details()) == 0 {
			t.Errorf("%v, want RESOURCE_EXHAUSTED with RetryInfo", err)
		}
	})
}

// TestReadyz_Unwritable: /readyz fails when the store answers but cannot be
// written, and passes again once it can.
func TestReadyz_Unwritable(t *testing.T) {
	fs := &faultStore{Store: sqliteBackend().open(t)}
	ts := startServer(t, withStore(fs))
	if r := ts.do("GET", "/readyz", "", nil); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	fs.failWrite.Store(true)
	r := ts.do("GET", "/readyz", "", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "cannot be written") {
		t.Errorf("unwritable store: %d %s, want 503", r.status, r.body)
	}
	fs.failWrite.Store(false)
	if r := ts.do("GET", "/readyz", "", nil); r.status != http.StatusOK {
		t.Errorf("writable again: %d %s", r.status, r.body)
	}
}
