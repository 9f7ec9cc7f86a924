package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/otlp"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// TestShutdown_Drains: a request in flight when shutdown starts is
// answered and its decision stored; the listener is closed.
func TestShutdown_Drains(t *testing.T) {
	ts := startServer(t)
	entered, release := make(chan struct{}), make(chan struct{})
	ts.setDecider(deciderFunc(func(engine.Action) engine.Decision {
		close(entered)
		<-release
		return engine.Decision{Verdict: policy.Deny, RuleID: "slow", Reason: "slow deny"}
	}))
	got := make(chan response, 1)
	go func() {
		got <- ts.do("POST", "/v1/hooks/claude-code", ts.tokens[record.ScopeIngest], pre("drain", "Bash", map[string]any{"command": "ls"}))
	}()
	<-entered
	done := make(chan error, 1)
	go func() { done <- ts.s.Shutdown(context.Background()) }()
	time.Sleep(100 * time.Millisecond) // Shutdown has closed the listener and waits
	if _, err := net.DialTimeout("tcp", ts.s.Addr(), time.Second); err == nil {
		t.Error("listener still accepts during shutdown")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	r := <-got
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "slow deny") {
		t.Errorf("in-flight request: %d %s", r.status, r.body)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if n := len(ts.sessionEvents("drain")); n != 1 {
		t.Errorf("%d decisions stored, want 1", n)
	}
}

// TestShutdown_Timeout: a request that outlives the shutdown timeout is
// cut off and Shutdown says so.
func TestShutdown_Timeout(t *testing.T) {
	ts := startServer(t, withConfig(func(c *Config) { c.DecideTimeout = time.Minute }))
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	ts.setDecider(deciderFunc(func(engine.Action) engine.Decision {
		close(entered)
		<-release
		return engine.Decision{}
	}))
	go func() {
		req, _ := http.NewRequest("POST", ts.url+"/v1/hooks/claude-code", strings.NewReader(string(pre("stuck", "Bash", map[string]any{"command": "ls"}))))
		req.Header.Set("Authorization", "Bearer "+ts.tokens[record.ScopeIngest])
		if resp, err := ts.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := ts.s.Shutdown(ctx); err == nil || !strings.Contains(err.Error(), "drain http") {
		t.Errorf("Shutdown = %v, want a drain error", err)
	}
}

// TestStart_Failures: a port in use fails Start with the address, and
// Shutdown after a failed Start is safe; New refuses a bad tier.
func TestStart_Failures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t.TempDir())
	cfg.GRPCAddr = ln.Addr().String()
	s, err := New(Options{Config: cfg, Store: sqliteBackend().open(t), Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Start = %v, want an error naming %s", err, ln.Addr())
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after a failed Start: %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}

	cfg.Tier = "no-such-tier"
	_, err = New(Options{Config: cfg, Store: sqliteBackend().open(t), Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML()})
	if err == nil || !strings.Contains(err.Error(), "tier") {
		t.Errorf("New with an unknown tier: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "warden-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// grpcExport sends one OTLP/gRPC logs export with an authorization token.
func grpcExport(t *testing.T, conn *grpc.ClientConn, token string, body []byte) error {
	t.Helper()
	var req logspb.LogsData
	if err := protojson.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	return conn.Invoke(ctx, otlp.LogsExportMethod, &req, &emptypb.Empty{})
}

// TestGRPC: OTLP/gRPC ingest with the same tokens and scopes.
func TestGRPC(t *testing.T) {
	ts := startServer(t)
	conn, err := grpc.NewClient(ts.s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, tc := range []struct {
		name, token string
		code        codes.Code
	}{
		{"NoToken", "", codes.Unauthenticated},
		{"Malformed", "nope", codes.Unauthenticated},
		{"WrongScope", ts.tokens[record.ScopeRead], codes.PermissionDenied},
		{"Ingest", ts.tokens[record.ScopeIngest], codes.OK},
		{"Admin", ts.tokens[record.ScopeAdmin], codes.OK},
	} {
		err := grpcExport(t, conn, tc.token, otlpLogs("grpc-"+tc.name, 1, 2))
		if got := status.Code(err); got != tc.code {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.code)
		}
		want := 0
		if tc.code == codes.OK {
			want = 2
		}
		if n := len(ts.sessionEvents("grpc-" + tc.name)); n != want {
			t.Errorf("%s: %d events stored, want %d", tc.name, n, want)
		}
	}
	if got := metricValue(t, ts, `warden_ingest_accepted_total{kind="event",source="otlp_grpc"}`); got != 4 {
		t.Errorf("accepted over gRPC %v, want 4", got)
	}
}

// TestTLS: with a certificate, HTTP and gRPC both speak TLS only.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	ts := startServer(t, withConfig(func(c *Config) { c.TLSCert, c.TLSKey = certFile, keyFile }))
	ts.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	ts.url = "https://" + ts.s.Addr()
	if r := ts.do("GET", "/v1/policy", ts.tokens[record.ScopeRead], nil); r.status != http.StatusOK {
		t.Errorf("HTTPS: %d %s", r.status, r.body)
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + ts.s.Addr() + "/healthz"); err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on a TLS server")
		}
		resp.Body.Close()
	}
	conn, err := grpc.NewClient(ts.s.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := grpcExport(t, conn, ts.tokens[record.ScopeIngest], otlpLogs("tls", 1)); err != nil {
		t.Errorf("gRPC over TLS: %v", err)
	}
	if n := len(ts.sessionEvents("tls")); n != 1 {
		t.Errorf("%d events stored over TLS, want 1", n)
	}

	cfg := testConfig(t.TempDir())
	cfg.TLSCert, cfg.TLSKey = certFile, certFile // not a key
	_, err = New(Options{Config: cfg, Store: sqliteBackend().open(t), Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML()})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "tls_cert" {
		t.Errorf("New with a bad key pair: %v", err)
	}
}

// TestStart_PlainHTTPWarning: serving without TLS on an address other
// machines can reach warns that tokens travel in clear; on loopback, or
// with TLS, it does not. (The addresses are given, not listened on.)
func TestStart_PlainHTTPWarning(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	for _, tc := range []struct {
		name      string
		ip        net.IP
		tls, warn bool
	}{
		{"AllInterfaces", net.IPv4zero, false, true},
		{"AllInterfacesIPv6", net.IPv6unspecified, false, true},
		{"LANAddress", net.IPv4(192, 0, 2, 7), false, true},
		{"Loopback", net.IPv4(127, 0, 0, 1), false, false},
		{"LoopbackIPv6", net.IPv6loopback, false, false},
		{"TLS", net.IPv4zero, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := testConfig(t.TempDir())
			if tc.tls {
				cfg.TLSCert, cfg.TLSKey = certFile, keyFile
			}
			s, err := New(Options{Config: cfg, Store: sqliteBackend().open(t), Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML(),
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			s.warnPlain(&net.TCPAddr{IP: tc.ip, Port: 8844})
			if got := strings.Contains(logs.String(), "travel in clear text"); got != tc.warn {
				t.Errorf("warned %v, want %v:\n%s", got, tc.warn, logs.String())
			}
		})
	}
	// Start warns for its listeners: on loopback, nothing.
	var logs bytes.Buffer
	startServer(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)) })
	if strings.Contains(logs.String(), "clear text") {
		t.Errorf("warned on loopback: %s", logs.String())
	}
}
