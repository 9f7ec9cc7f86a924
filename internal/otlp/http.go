package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/membudget"
	"github.com/wardenhq/warden/internal/record"
)

// Sink receives decoded records; the server's store implements it. Append
// calls store what they can and return the records they refused as
// invalid (dropped, the rest stored; the receivers answer them as a
// partial success, which exporters do not resend), and an error only when
// the records could not be stored, which the receivers answer with a
// retryable status.
type Sink interface {
	AppendEvents(ctx context.Context, events []record.Event) (Rejected, error)
	AppendMetrics(ctx context.Context, points []record.MetricPoint) (Rejected, error)
}

// Default limits of a Handler.
const (
	DefaultMaxBodyBytes    = 8 << 20  // as received, before gzip
	DefaultMaxDecodedBytes = 64 << 20 // after gzip
)

// OTLP/HTTP paths.
const (
	PathLogs    = "/v1/logs"
	PathMetrics = "/v1/metrics"
)

// Log attribute keys.
const (
	LogKeyComponent  = "component"
	LogKeyStatus     = "status"
	LogKeyError      = "error"
	LogKeySignal     = "signal"
	LogKeyRejected   = "rejected"
	LogKeySuppressed = "suppressed" // refusals not logged since the last line
)

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// Decoder decodes the bodies; nil means NewDecoder(Options{}).
	Decoder *Decoder
	// Logger receives sink failures; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes bounds a body as received (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxDecodedBytes bounds a body after gzip (0: DefaultMaxDecodedBytes).
	MaxDecodedBytes int64
	// Budget, when set, is the memory budget every request reserves from
	// before it reads, inflates and decodes its body (DecodeBytesPerByte
	// and DecodeBytesPerMessage say what decoding costs); a request that
	// finds no room within the budget's wait is answered 503 with
	// Retry-After. Nil bounds each request by the size limits only.
	Budget *membudget.Budget
	// Rejected, when set, is told how many records of each request were
	// refused (by the decoder or the sink), for metrics.
	Rejected func(signal Signal, n int)
	// Now is the clock of the refusal log's rate limit (time.Now when nil).
	Now func() time.Time
}

// Handler is the OTLP/HTTP receiver: POST /v1/logs and POST /v1/metrics
// with JSON or protobuf bodies, gzip or uncompressed. It decodes a whole
// request before it stores anything, so a malformed request stores
// nothing, and answers as the OTLP/HTTP specification says: 200 with an
// Export*ServiceResponse in the request's encoding, empty or, when
// records were refused, with a partial_success saying how many and why
// (refusals are logged at warn, rate-limited); 400 (malformed),
// 413 (too large), 415 (content type or encoding) and 503 (the sink failed:
// the exporter retries) with a google.rpc.Status, in the request's encoding
// when it has one and JSON otherwise; 405 for other methods.
//
// It does not authenticate: wrap it (it is an http.Handler, and Logs and
// Metrics return one per path).
type Handler struct {
	dec        *Decoder
	sink       Sink
	log        *slog.Logger
	maxBody    int64
	maxDecoded int64
	rejected   func(Signal, int)
	throttle   *logThrottle
	budget     *membudget.Budget
}

// NewHandler returns a Handler storing into sink, which must not be nil.
func NewHandler(sink Sink, opts HandlerOptions) *Handler {
	if sink == nil {
		panic("otlp: NewHandler with a nil Sink")
	}
	h := &Handler{dec: opts.Decoder, sink: sink, log: opts.Logger, maxBody: opts.MaxBodyBytes, maxDecoded: opts.MaxDecodedBytes,
		rejected: opts.Rejected, throttle: newLogThrottle(opts.Now), budget: opts.Budget}
	if h.dec == nil {
		h.dec = NewDecoder(Options{})
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = h.log.With(LogKeyComponent, "otlp")
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.maxDecoded <= 0 {
		h.maxDecoded = DefaultMaxDecodedBytes
	}
	return h
}

// ServeHTTP serves PathLogs and PathMetrics (matched as path suffixes, so
// the handler can be mounted under a prefix) and answers 404 otherwise.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, PathLogs):
		h.serve(w, r, h.serveLogs)
	case strings.HasSuffix(r.URL.Path, PathMetrics):
		h.serve(w, r, h.serveMetrics)
	default:
		http.NotFound(w, r)
	}
}

// Logs returns the handler of POST /v1/logs.
func (h *Handler) Logs() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, h.serveLogs) })
}

// Metrics returns the handler of POST /v1/metrics.
func (h *Handler) Metrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, h.serveMetrics) })
}

// httpError is an error answered with a status code and a message safe to
// show the client; cause, when set, is only logged.
type httpError struct {
	status  int
	message string
	cause   error
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.message + ": " + e.cause.Error()
	}
	return e.message
}

func (e *httpError) Unwrap() error { return e.cause }

// serve adapts a handler returning an error: it writes the success
// response, with the partial success fn reports, or maps the error to its
// status and a google.rpc.Status body.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, fn func(*http.Request) (partialSuccess, error)) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, encJSON, http.StatusMethodNotAllowed, "method not allowed, use POST")
		return
	}
	enc, err := encodingOf(r.Header.Get("Content-Type"))
	if err != nil {
		h.refused(http.StatusUnsupportedMediaType, err)
		writeStatus(w, encJSON, http.StatusUnsupportedMediaType,
			"unsupported content type, use "+ContentTypeProtobuf+" or "+ContentTypeJSON)
		return
	}
	ps, err := fn(r)
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			he = &httpError{status: http.StatusInternalServerError, message: "internal error", cause: err}
		}
		switch {
		case errors.Is(err, membudget.ErrBusy):
			h.refused(he.status, err) // the exporter retries: not a failure
		case he.status >= 500:
			h.log.Warn("otlp request failed", LogKeyStatus, he.status, LogKeyError, err)
		default:
			h.refused(he.status, err)
		}
		if he.status == http.StatusServiceUnavailable || he.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
		}
		writeStatus(w, enc, he.status, he.message)
		return
	}
	if ps.rejected.Count > 0 {
		if h.rejected != nil {
			h.rejected(ps.signal, ps.rejected.Count)
		}
		if ok, suppressed := h.throttle.allow(); ok {
			h.log.Warn("otlp records rejected", LogKeySignal, string(ps.signal), LogKeyRejected, ps.rejected.Count,
				LogKeyError, ps.message(), LogKeySuppressed, suppressed)
		}
	}
	var body []byte
	if enc == encJSON {
		w.Header().Set("Content-Type", ContentTypeJSON)
		body = ps.json()
	} else {
		w.Header().Set("Content-Type", ContentTypeProtobuf)
		body = ps.wire()
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// refused logs a request refused with a 4xx status, at warn and
// rate-limited: the exporter will not resend it, so its records are lost.
func (h *Handler) refused(status int, err error) {
	if ok, suppressed := h.throttle.allow(); ok {
		h.log.Warn("otlp request refused", LogKeyStatus, status, LogKeyError, err, LogKeySuppressed, suppressed)
	}
}

func (h *Handler) serveLogs(r *http.Request) (partialSuccess, error) {
	ps := partialSuccess{signal: SignalLogs}
	res := h.budget.Reserve()
	defer res.Release()
	body, err := h.readBody(r, res)
	if err != nil {
		return ps, err
	}
	events, err := h.dec.decodeLogs(body, r.Header.Get("Content-Type"), &ps.rejected, chargeMessages(res))
	if err != nil {
		return ps, decodeError(err)
	}
	ps.total = len(events) + ps.rejected.Count
	if len(events) == 0 {
		return ps, nil
	}
	rej, err := h.sink.AppendEvents(r.Context(), events)
	if err != nil {
		return ps, &httpError{status: http.StatusServiceUnavailable, message: "storage unavailable, retry later",
			cause: fmt.Errorf("append %d events: %w", len(events), err)}
	}
	ps.rejected.Merge(rej)
	return ps, nil
}

func (h *Handler) serveMetrics(r *http.Request) (partialSuccess, error) {
	ps := partialSuccess{signal: SignalMetrics}
	res := h.budget.Reserve()
	defer res.Release()
	body, err := h.readBody(r, res)
	if err != nil {
		return ps, err
	}
	points, err := h.dec.decodeMetrics(body, r.Header.Get("Content-Type"), &ps.rejected, chargeMessages(res))
	if err != nil {
		return ps, decodeError(err)
	}
	ps.total = len(points) + ps.rejected.Count
	if len(points) == 0 {
		return ps, nil
	}
	rej, err := h.sink.AppendMetrics(r.Context(), points)
	if err != nil {
		return ps, &httpError{status: http.StatusServiceUnavailable, message: "storage unavailable, retry later",
			cause: fmt.Errorf("append %d metric points: %w", len(points), err)}
	}
	ps.rejected.Merge(rej)
	return ps, nil
}

// decodeError maps a decoder error to its status. The message names the
// problem, never the body's content.
func decodeError(err error) error {
	switch {
	case errors.Is(err, membudget.ErrBusy):
		return errBusy(err)
	case errors.Is(err, ErrTooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, message: err.Error()}
	case errors.Is(err, ErrUnsupportedMediaType):
		return &httpError{status: http.StatusUnsupportedMediaType, message: err.Error()}
	case errors.Is(err, ErrMalformed):
		return &httpError{status: http.StatusBadRequest, message: "malformed otlp payload"}
	}
	return err
}

// errBusy is the answer when the memory budget has no room: 503, which
// exporters retry after Retry-After.
func errBusy(cause error) *httpError {
	return &httpError{status: http.StatusServiceUnavailable, message: "server busy, retry later", cause: cause}
}

// RetryAfterSeconds is the Retry-After of a busy or unavailable answer.
const RetryAfterSeconds = 1

// chargeMessages reserves what decoding a body's messages costs, without
// waiting: the request already holds its body.
func chargeMessages(res *membudget.Reservation) func(int) error {
	return func(n int) error { return res.TryGrow(int64(n) * DecodeBytesPerMessage) }
}

// readBody reads the body within the size limits and the memory budget,
// undoing gzip.
func (h *Handler) readBody(r *http.Request, res *membudget.Reservation) ([]byte, error) {
	lim := membudget.Limits{MaxBody: h.maxBody, MaxDecoded: h.maxDecoded, Overhead: DecodeBytesPerByte}
	body, err := membudget.ReadBody(r.Context(), r.Body, r.ContentLength, r.Header.Get("Content-Encoding"), lim, res)
	if err == nil {
		return body, nil
	}
	var le *membudget.LimitError
	var ee *membudget.EncodingError
	switch {
	case errors.As(err, &le):
		return nil, &httpError{status: http.StatusRequestEntityTooLarge, message: le.Error()}
	case errors.As(err, &ee):
		return nil, &httpError{status: http.StatusUnsupportedMediaType, message: ee.Error()}
	case errors.Is(err, membudget.ErrBusy):
		return nil, errBusy(err)
	case errors.Is(err, membudget.ErrOverBudget):
		return nil, &httpError{status: http.StatusRequestEntityTooLarge, message: "body needs more memory than this server's budget allows", cause: err}
	case errors.Is(err, membudget.ErrMalformedGzip):
		return nil, &httpError{status: http.StatusBadRequest, message: "malformed gzip body", cause: err}
	}
	return nil, &httpError{status: http.StatusBadRequest, message: "unreadable body", cause: err}
}

// writeStatus answers with a google.rpc.Status in the given encoding.
func writeStatus(w http.ResponseWriter, enc encoding, status int, message string) {
	st := &spb.Status{Code: int32(grpcCode(status)), Message: message}
	var (
		b   []byte
		err error
	)
	if enc == encProtobuf {
		w.Header().Set("Content-Type", ContentTypeProtobuf)
		b, err = proto.Marshal(st)
	} else {
		w.Header().Set("Content-Type", ContentTypeJSON)
		b, err = protojson.Marshal(st)
	}
	if err != nil {
		b = nil
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}

// grpcCode is the google.rpc.Code matching an HTTP status.
func grpcCode(status int) codes.Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed:
		return codes.InvalidArgument
	case http.StatusRequestEntityTooLarge:
		return codes.ResourceExhausted
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Internal
}
