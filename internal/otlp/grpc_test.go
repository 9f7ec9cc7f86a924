package otlp

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "Bearer test-token"

// bearerAuth is an Auth hook as the server fills it.
func bearerAuth(ctx context.Context) error {
	switch Authorization(ctx) {
	case testToken:
		return nil
	case "Bearer forbidden":
		return status.Error(codes.PermissionDenied, "token revoked")
	}
	return errors.New("bad or missing token")
}

// grpcServer serves svc on an in-process listener and returns a client
// connection to it; both are closed with the test.
func grpcServer(t *testing.T, svc *GRPCService, extra ...grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(append(svc.ServerOptions(), extra...)...)
	svc.Register(srv)
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(lis) })
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		wg.Wait()
	})
	return conn
}

func withToken(token string) context.Context {
	ctx := context.Background()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", token)
	}
	return ctx
}

// fixtureMessage reads a capture into the message its signal's gRPC
// export takes.
func fixtureMessage(t *testing.T, f fixture) proto.Message {
	t.Helper()
	var m proto.Message = &logspb.LogsData{}
	if f.signal == "metrics" {
		m = &metricspb.MetricsData{}
	}
	var err error
	if f.contentType == ContentTypeProtobuf {
		err = proto.Unmarshal(f.body(t), m)
	} else {
		err = protojson.Unmarshal(f.body(t), m)
	}
	if err != nil {
		t.Fatalf("%s: %v", f.file, err)
	}
	return m
}

// TestGRPCService_Fixtures sends every capture over gRPC, gzip-compressed,
// as an OTLP/gRPC exporter would, and checks that the sink receives what
// the HTTP decoder makes of the same body.
func TestGRPCService_Fixtures(t *testing.T) {
	sink := &memSink{}
	var methods []string
	record := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		methods = append(methods, info.FullMethod)
		return h(ctx, req)
	}
	conn := grpcServer(t, NewGRPCService(sink, GRPCOptions{Auth: bearerAuth}), grpc.UnaryInterceptor(record))
	for _, f := range otlpFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			sink.events, sink.points = nil, nil
			method := map[string]string{"logs": LogsExportMethod, "metrics": MetricsExportMethod}[f.signal]
			var resp emptypb.Empty
			if err := conn.Invoke(withToken(testToken), method, fixtureMessage(t, f), &resp, grpc.UseCompressor(gzip.Name)); err != nil {
				t.Fatal(err)
			}
			want := decodeFixture(t, NewDecoder(Options{}), f)
			if !reflect.DeepEqual(sink.events, want.Events) || !reflect.DeepEqual(sink.points, want.Points) {
				t.Errorf("sink got %d events and %d points, want %d and %d (or different ones)",
					len(sink.events), len(sink.points), len(want.Events), len(want.Points))
			}
			if methods[len(methods)-1] != method {
				t.Errorf("interceptor saw %q, want %q", methods[len(methods)-1], method)
			}
		})
	}
}

func TestGRPCService_Errors(t *testing.T) {
	logs := claudeLogs(claudeRecord("api_request", 1))
	big := claudeLogs(claudeRecord("api_request", 1, kv("padding", strings.Repeat("x", 2<<10))))
	tests := []struct {
		name    string
		opts    GRPCOptions
		sinkErr error
		token   string
		req     proto.Message
		want    codes.Code
	}{
		{name: "NoToken", req: logs, want: codes.Unauthenticated},
		{name: "WrongToken", token: "Bearer nope", req: logs, want: codes.Unauthenticated},
		{name: "AuthStatusKept", token: "Bearer forbidden", req: logs, want: codes.PermissionDenied},
		{name: "SinkFails", token: testToken, sinkErr: errors.New("disk full"), req: logs, want: codes.Unavailable},
		{name: "TooLarge", token: testToken, opts: GRPCOptions{MaxRecvMsgSize: 1 << 10}, req: big, want: codes.ResourceExhausted},
		{name: "TooManyRecords", token: testToken, opts: GRPCOptions{Decoder: NewDecoder(Options{MaxItems: 1})},
			req: claudeLogs(claudeRecord("api_request", 1), claudeRecord("api_request", 2)), want: codes.InvalidArgument},
		{name: "MetricsNoToken", req: metricsData(), want: codes.Unauthenticated},
		// Refused before unmarshalling, by the codec of ServerOptions.
		{name: "TooManyMessages", token: testToken, opts: GRPCOptions{Decoder: NewDecoder(Options{MaxMessages: 20})},
			req: claudeLogs(claudeRecord("api_request", 1)), want: codes.Internal},
		{name: "MalformedNesting", token: testToken, req: deepLogs(80), want: codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &memSink{err: tt.sinkErr}
			opts := tt.opts
			opts.Auth = bearerAuth
			conn := grpcServer(t, NewGRPCService(sink, opts))
			method := LogsExportMethod
			if _, ok := tt.req.(*metricspb.MetricsData); ok {
				method = MetricsExportMethod
			}
			err := conn.Invoke(withToken(tt.token), method, tt.req, &emptypb.Empty{})
			if got := status.Code(err); got != tt.want {
				t.Fatalf("code %v (%v), want %v", got, err, tt.want)
			}
			if len(sink.events)+len(sink.points) > 0 {
				t.Error("a refused request was stored")
			}
			if strings.Contains(err.Error(), "disk full") {
				t.Errorf("error leaks the sink's cause: %v", err)
			}
		})
	}
}

// deepLogs is a record whose body nests n arrays.
func deepLogs(n int) *logspb.LogsData {
	v := anyValue("x")
	for range n {
		v = &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{v}}}}
	}
	return claudeLogs(&logspb.LogRecord{Body: v})
}

// TestGRPCService_OtherServices: the codec of ServerOptions leaves other
// services' messages to gRPC's proto codec.
func TestGRPCService_OtherServices(t *testing.T) {
	svc := NewGRPCService(&memSink{}, GRPCOptions{})
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(svc.ServerOptions()...)
	svc.Register(srv)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(lis) })
	defer func() { srv.Stop(); wg.Wait() }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health check: %v %v", resp, err)
	}
}

// TestGRPCService_NoAuth: without an Auth hook every request is accepted.
func TestGRPCService_NoAuth(t *testing.T) {
	sink := &memSink{}
	conn := grpcServer(t, NewGRPCService(sink, GRPCOptions{}))
	if err := conn.Invoke(context.Background(), LogsExportMethod, claudeLogs(claudeRecord("api_request", 1)), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if len(sink.events) != 1 {
		t.Errorf("stored %d events, want 1", len(sink.events))
	}
}
