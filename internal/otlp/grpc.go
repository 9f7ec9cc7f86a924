package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcencoding "google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // exporters may compress; registers the "gzip" compressor
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/wardenhq/warden/internal/membudget"
)

// The OTLP gRPC methods, as in opentelemetry-proto's
// collector/logs/v1/logs_service.proto and collector/metrics/v1/metrics_service.proto.
const (
	LogsServiceName     = "opentelemetry.proto.collector.logs.v1.LogsService"
	MetricsServiceName  = "opentelemetry.proto.collector.metrics.v1.MetricsService"
	LogsExportMethod    = "/" + LogsServiceName + "/Export"
	MetricsExportMethod = "/" + MetricsServiceName + "/Export"
)

// DefaultMaxRecvMsgSize bounds a gRPC request after decompression (the
// gRPC default; OTLP exporters batch well below it).
const DefaultMaxRecvMsgSize = 4 << 20

// GRPCOptions configure a GRPCService.
type GRPCOptions struct {
	// Decoder converts the requests; nil means NewDecoder(Options{}).
	Decoder *Decoder
	// Logger receives sink failures; nil discards them.
	Logger *slog.Logger
	// Auth, when set, is called first in every RPC and rejects it by
	// returning an error: a gRPC status error is returned to the client as
	// it is, any other error as Unauthenticated. Authorization(ctx) reads
	// the request's authorization metadata.
	Auth func(ctx context.Context) error
	// MaxRecvMsgSize bounds a request after decompression
	// (0: DefaultMaxRecvMsgSize); see ServerOptions.
	MaxRecvMsgSize int
	// Budget, Rejected and Now are as in HandlerOptions. A request
	// reserves twice MaxRecvMsgSize before gRPC reads and inflates it,
	// then what it decodes into (DecodeBytesPerByte, DecodeBytesPerMessage)
	// without waiting; one that finds no room is answered Unavailable
	// with RetryInfo.
	Budget   *membudget.Budget
	Rejected func(signal Signal, n int)
	Now      func() time.Time
}

// GRPCService is the OTLP/gRPC receiver: the LogsService and MetricsService
// Export methods over a Sink. Requests are unmarshalled into LogsData and
// MetricsData, which have the wire form of the Export*ServiceRequest
// messages, and answered with an Export*ServiceResponse written as an
// empty message whose unknown fields carry the partial success, if any.
// This keeps the grpc-gateway code that the generated collector packages
// pull in out of the binary.
//
// Serve it on a grpc.Server created with ServerOptions, which carry its
// size limits.
type GRPCService struct {
	dec      *Decoder
	sink     Sink
	log      *slog.Logger
	auth     func(context.Context) error
	maxRecv  int
	rejected func(Signal, int)
	throttle *logThrottle
	budget   *membudget.Budget
}

// NewGRPCService returns a service storing into sink, which must not be nil.
func NewGRPCService(sink Sink, opts GRPCOptions) *GRPCService {
	if sink == nil {
		panic("otlp: NewGRPCService with a nil Sink")
	}
	s := &GRPCService{dec: opts.Decoder, sink: sink, log: opts.Logger, auth: opts.Auth, maxRecv: opts.MaxRecvMsgSize,
		rejected: opts.Rejected, throttle: newLogThrottle(opts.Now), budget: opts.Budget}
	if s.dec == nil {
		s.dec = NewDecoder(Options{})
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With(LogKeyComponent, "otlp")
	if s.maxRecv <= 0 {
		s.maxRecv = DefaultMaxRecvMsgSize
	}
	return s
}

// grpcWindow is the HTTP/2 flow-control window of a stream and of a
// connection: fixed (gRPC would otherwise grow it to 16 MiB from its
// bandwidth estimate), so that what a connection may have sent before its
// request is read, and reserved from the budget, stays small.
const grpcWindow = 1 << 20

// ServerOptions are the options the grpc.Server serving s must have: the
// receive size limit, fixed flow-control windows, and gRPC's proto codec
// extended to check the Decoder's message limit before an export request
// is unmarshalled (as the HTTP handler does), so that a small request of
// many tiny messages cannot cost hundreds of megabytes, and to reserve
// from the budget what the request decodes into. Other services on the
// same server are unaffected: the codec hands their messages to gRPC's
// proto codec.
func (s *GRPCService) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(s.maxRecv),
		grpc.InitialWindowSize(grpcWindow),
		grpc.InitialConnWindowSize(grpcWindow),
		grpc.ForceServerCodecV2(scanningCodec{base: grpcencoding.GetCodecV2(grpcproto.Name), maxMessages: s.dec.opts.MaxMessages}),
	}
}

// exportRequest is what the export handlers give gRPC to decode into: the
// request message and the reservation that pays for it.
type exportRequest struct {
	msg  proto.Message
	res  *membudget.Reservation
	busy error // set when the budget had no room for the decode
}

// scanningCodec is a proto codec that runs scanProto on export requests
// before unmarshalling them and reserves what they decode into. Its
// errors reach the client as Internal, which OTLP exporters do not retry;
// a budget with no room is passed back in exportRequest.busy instead.
type scanningCodec struct {
	base        grpcencoding.CodecV2
	maxMessages int
}

func (c scanningCodec) Name() string { return c.base.Name() }

func (c scanningCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c scanningCodec) Unmarshal(data mem.BufferSlice, v any) error {
	req, ok := v.(*exportRequest)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	n := int64(data.Len())
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	b := buf.ReadOnlyData()
	msgs, err := scanProto(b, req.msg.ProtoReflect().Descriptor(), c.maxMessages)
	if err != nil {
		return err
	}
	// The message as read and its copy, and what it decodes into: the
	// reservation made before reading becomes exactly that.
	cost := 2*n + DecodeBytesPerByte*n + DecodeBytesPerMessage*int64(msgs)
	if extra := cost - req.res.Size(); extra > 0 {
		if err := req.res.TryGrow(extra); err != nil {
			req.busy = err
			return err
		}
	} else {
		req.res.Shrink(-extra)
	}
	return proto.Unmarshal(b, req.msg)
}

// Register registers the logs and metrics services on r.
func (s *GRPCService) Register(r grpc.ServiceRegistrar) {
	r.RegisterService(&logsServiceDesc, s)
	r.RegisterService(&metricsServiceDesc, s)
}

// Authorization returns the first value of the request's authorization
// metadata ("Bearer <token>" from OTEL_EXPORTER_OTLP_HEADERS), or "".
func Authorization(ctx context.Context) string {
	if v := metadata.ValueFromIncomingContext(ctx, "authorization"); len(v) > 0 {
		return v[0]
	}
	return ""
}

// exporter is what the service descriptors require of their server.
type exporter interface {
	exportLogs(context.Context, *logspb.LogsData) (*emptypb.Empty, error)
	exportMetrics(context.Context, *metricspb.MetricsData) (*emptypb.Empty, error)
}

func (s *GRPCService) authorize(ctx context.Context) error {
	if s.auth == nil {
		return nil
	}
	err := s.auth(ctx)
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	return status.Error(codes.Unauthenticated, "unauthenticated")
}

func (s *GRPCService) exportLogs(ctx context.Context, req *logspb.LogsData) (*emptypb.Empty, error) {
	ps := partialSuccess{signal: SignalLogs}
	events, err := s.dec.logs(req, &ps.rejected)
	if err != nil {
		return nil, s.decodeError(err)
	}
	ps.total = len(events) + ps.rejected.Count
	if len(events) > 0 {
		rej, err := s.sink.AppendEvents(ctx, events)
		if err != nil {
			s.log.Warn("otlp export failed", LogKeyError, fmt.Errorf("append %d events: %w", len(events), err))
			return nil, status.Error(codes.Unavailable, "storage unavailable, retry later")
		}
		ps.rejected.Merge(rej)
	}
	return s.answer(ps), nil
}

func (s *GRPCService) exportMetrics(ctx context.Context, req *metricspb.MetricsData) (*emptypb.Empty, error) {
	ps := partialSuccess{signal: SignalMetrics}
	points, err := s.dec.metrics(req, &ps.rejected)
	if err != nil {
		return nil, s.decodeError(err)
	}
	ps.total = len(points) + ps.rejected.Count
	if len(points) > 0 {
		rej, err := s.sink.AppendMetrics(ctx, points)
		if err != nil {
			s.log.Warn("otlp export failed", LogKeyError, fmt.Errorf("append %d metric points: %w", len(points), err))
			return nil, status.Error(codes.Unavailable, "storage unavailable, retry later")
		}
		ps.rejected.Merge(rej)
	}
	return s.answer(ps), nil
}

// answer is the Export*ServiceResponse: an empty message whose unknown
// fields are the partial success, which marshals to exactly its wire form.
// Refusals are counted and logged as the HTTP handler does.
func (s *GRPCService) answer(ps partialSuccess) *emptypb.Empty {
	resp := &emptypb.Empty{}
	if ps.rejected.Count == 0 {
		return resp
	}
	if s.rejected != nil {
		s.rejected(ps.signal, ps.rejected.Count)
	}
	if ok, suppressed := s.throttle.allow(); ok {
		s.log.Warn("otlp records rejected", LogKeySignal, string(ps.signal), LogKeyRejected, ps.rejected.Count,
			LogKeyError, ps.message(), LogKeySuppressed, suppressed)
	}
	resp.ProtoReflect().SetUnknown(ps.wire())
	return resp
}

// decodeError logs a refused request, rate-limited, and maps the error.
func (s *GRPCService) decodeError(err error) error {
	if ok, suppressed := s.throttle.allow(); ok {
		s.log.Warn("otlp request refused", LogKeyError, err, LogKeySuppressed, suppressed)
	}
	return grpcDecodeError(err)
}

// grpcDecodeError maps a decoder error to a status that OTLP exporters do
// not retry.
func grpcDecodeError(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return status.Error(codes.Internal, "internal error")
}

// The service descriptors, written as protoc-gen-go-grpc would write them
// for the collector services.
var (
	logsServiceDesc = grpc.ServiceDesc{
		ServiceName: LogsServiceName,
		HandlerType: (*exporter)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: logsExportHandler}},
		Metadata:    "opentelemetry/proto/collector/logs/v1/logs_service.proto",
	}
	metricsServiceDesc = grpc.ServiceDesc{
		ServiceName: MetricsServiceName,
		HandlerType: (*exporter)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: metricsExportHandler}},
		Metadata:    "opentelemetry/proto/collector/metrics/v1/metrics_service.proto",
	}
)

func logsExportHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	s := srv.(*GRPCService)
	in := new(logspb.LogsData)
	res, err := s.receive(ctx, dec, in)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	if interceptor == nil {
		return s.exportLogs(ctx, in)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: LogsExportMethod}
	return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
		return s.exportLogs(ctx, req.(*logspb.LogsData))
	})
}

func metricsExportHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	s := srv.(*GRPCService)
	in := new(metricspb.MetricsData)
	res, err := s.receive(ctx, dec, in)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	if interceptor == nil {
		return s.exportMetrics(ctx, in)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: MetricsExportMethod}
	return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
		return s.exportMetrics(ctx, req.(*metricspb.MetricsData))
	})
}

// receive checks the request's token, then reserves room and has gRPC read,
// inflate and decode the request into msg: a request without a valid
// token costs neither memory nor decoding. The caller releases the
// reservation when the request is done.
func (s *GRPCService) receive(ctx context.Context, dec func(any) error, msg proto.Message) (*membudget.Reservation, error) {
	if err := s.authorize(ctx); err != nil {
		return nil, err
	}
	res := s.budget.Reserve()
	if err := res.Grow(ctx, 2*int64(s.maxRecv)); err != nil {
		return nil, s.busy(err)
	}
	req := &exportRequest{msg: msg, res: res}
	if err := dec(req); err != nil {
		res.Release()
		if req.busy != nil {
			return nil, s.busy(req.busy)
		}
		return nil, err
	}
	return res, nil
}

// busy answers a request the budget has no room for: Unavailable, which
// exporters retry, with RetryInfo.
func (s *GRPCService) busy(cause error) error {
	if ok, suppressed := s.throttle.allow(); ok {
		s.log.Warn("otlp request refused", LogKeyError, cause, LogKeySuppressed, suppressed)
	}
	st := status.New(codes.Unavailable, "server busy, retry later")
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(RetryAfterSeconds * time.Second)}); err == nil {
		st = d
	}
	return st.Err()
}
