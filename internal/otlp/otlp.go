// Package otlp receives the OpenTelemetry data Claude Code exports: OTLP
// logs and metrics over HTTP (JSON or protobuf, optionally gzip) and gRPC.
// It decodes them into record.Event and record.MetricPoint, typing the log
// records Claude Code is known to send and keeping every other record as
// Kind "raw", and hands them to a Sink.
//
// Boundaries: otlp knows OTLP and the record types. It knows nothing of
// storage, detection or the policy engine, and it does not authenticate:
// the server wraps Handler with its bearer-token middleware and fills
// GRPCOptions.Auth. Nothing here runs at package initialisation, because
// the same binary starts for every Claude Code tool call as `warden hook`.
package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/wardenhq/warden/internal/record"
)

// Content types of OTLP/HTTP bodies.
const (
	ContentTypeJSON     = "application/json"
	ContentTypeProtobuf = "application/x-protobuf"
)

// Default limits of a Decoder.
const (
	// DefaultMaxMessages bounds the protobuf messages (JSON objects) of one
	// request, checked before anything is allocated: however small on the
	// wire (2 bytes), each costs up to about 350 bytes decoded, so the
	// worst request at this limit allocates about 90 MB. A full Claude Code
	// batch (512 records with tool details) has about 22,000.
	DefaultMaxMessages = 1 << 18
	// DefaultMaxItems bounds the log records or metric data points of one
	// request.
	DefaultMaxItems = 1 << 16
)

// maxNesting bounds how deeply messages may nest in a body: Claude Code
// nests at most 6 levels; anything past this is rejected as malformed.
const maxNesting = 64

// Errors of the decoder. They are wrapped with the operation; test with
// errors.Is.
var (
	// ErrUnsupportedMediaType: the content type is neither JSON nor protobuf.
	ErrUnsupportedMediaType = errors.New("unsupported content type")
	// ErrMalformed: the body is not a valid OTLP request.
	ErrMalformed = errors.New("malformed otlp payload")
	// ErrTooLarge: the body exceeds a size, message or item limit.
	ErrTooLarge = errors.New("otlp payload too large")
)

// Options configure a Decoder. The zero value is usable.
type Options struct {
	// KeepContent keeps the text Claude Code sends when OTEL_LOG_USER_PROMPTS
	// or OTEL_LOG_TOOL_DETAILS is on: user_prompt's prompt and prompt_text,
	// assistant_response's response, tool_result's tool_input, the
	// tool_parameters JSON as sent and full_command unredacted. By default
	// they are dropped (prompt_length, response_length, the size attributes
	// and the redacted full_command stay). "<REDACTED>" is never kept.
	KeepContent bool
	// Now is the time given to an event or data point that carries no
	// timestamp at all; nil leaves such times zero. Decoding never reads
	// the clock otherwise.
	Now func() time.Time
	// MaxMessages bounds the messages of one body (0: DefaultMaxMessages).
	MaxMessages int
	// MaxItems bounds the log records or data points of one request
	// (0: DefaultMaxItems).
	MaxItems int
	// MaxRecordBytes, when positive, refuses a log record or data point
	// whose protobuf encoding is larger (the store's limit on a record),
	// before it is converted: a record that cannot be stored costs no more
	// than its decoded message.
	MaxRecordBytes int
}

// Decoder turns OTLP requests into records. It is safe for concurrent use.
type Decoder struct {
	opts Options
}

// NewDecoder returns a Decoder with the given options.
func NewDecoder(opts Options) *Decoder {
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	if opts.MaxItems <= 0 {
		opts.MaxItems = DefaultMaxItems
	}
	return &Decoder{opts: opts}
}

// defaultDecoder serves the package-level functions: NewDecoder(Options{}),
// written as a literal so that it costs nothing at package initialisation.
var defaultDecoder = &Decoder{opts: Options{MaxMessages: DefaultMaxMessages, MaxItems: DefaultMaxItems}}

// DecodeLogs decodes an OTLP/HTTP logs body (an ExportLogsServiceRequest)
// with the default options. See Decoder.DecodeLogs.
func DecodeLogs(body []byte, contentType string) ([]record.Event, error) {
	return defaultDecoder.DecodeLogs(body, contentType)
}

// DecodeMetrics decodes an OTLP/HTTP metrics body (an
// ExportMetricsServiceRequest) with the default options. See
// Decoder.DecodeMetrics.
func DecodeMetrics(body []byte, contentType string) ([]record.MetricPoint, error) {
	return defaultDecoder.DecodeMetrics(body, contentType)
}

// DecodeLogs decodes an uncompressed OTLP/HTTP logs body in the encoding
// contentType names (ContentTypeJSON or ContentTypeProtobuf, parameters
// ignored). It fails with ErrUnsupportedMediaType, ErrMalformed or
// ErrTooLarge and then returns no events; otherwise every log record
// becomes one event, in order.
func (d *Decoder) DecodeLogs(body []byte, contentType string) ([]record.Event, error) {
	return d.decodeLogs(body, contentType, nil, nil)
}

// decodeLogs is DecodeLogs, counting refused records in rej when not nil
// and calling charge, when not nil, with the body's message count before
// anything is allocated for them (its error fails the decode).
func (d *Decoder) decodeLogs(body []byte, contentType string, rej *Rejected, charge func(messages int) error) ([]record.Event, error) {
	var data logspb.LogsData // wire- and JSON-identical to ExportLogsServiceRequest
	if err := d.unmarshal(body, contentType, &data, charge); err != nil {
		return nil, fmt.Errorf("decode otlp logs: %w", err)
	}
	events, err := d.logs(&data, rej)
	if err != nil {
		return nil, fmt.Errorf("decode otlp logs: %w", err)
	}
	return events, nil
}

// DecodeMetrics decodes an uncompressed OTLP/HTTP metrics body like
// DecodeLogs; every data point becomes one MetricPoint (see Metrics).
func (d *Decoder) DecodeMetrics(body []byte, contentType string) ([]record.MetricPoint, error) {
	return d.decodeMetrics(body, contentType, nil, nil)
}

// decodeMetrics is DecodeMetrics with decodeLogs' rej and charge.
func (d *Decoder) decodeMetrics(body []byte, contentType string, rej *Rejected, charge func(messages int) error) ([]record.MetricPoint, error) {
	var data metricspb.MetricsData // wire- and JSON-identical to ExportMetricsServiceRequest
	if err := d.unmarshal(body, contentType, &data, charge); err != nil {
		return nil, fmt.Errorf("decode otlp metrics: %w", err)
	}
	points, err := d.metrics(&data, rej)
	if err != nil {
		return nil, fmt.Errorf("decode otlp metrics: %w", err)
	}
	return points, nil
}

// encoding is the wire encoding of a body.
type encoding uint8

const (
	encProtobuf encoding = iota + 1
	encJSON
)

// encodingOf maps a Content-Type header value to its encoding.
func encodingOf(contentType string) (encoding, error) {
	mt, _, _ := strings.Cut(contentType, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case ContentTypeProtobuf:
		return encProtobuf, nil
	case ContentTypeJSON:
		return encJSON, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnsupportedMediaType, contentType)
}

func (d *Decoder) unmarshal(body []byte, contentType string, m proto.Message, charge func(int) error) error {
	enc, err := encodingOf(contentType)
	if err != nil {
		return err
	}
	switch enc {
	case encProtobuf:
		n, err := scanProto(body, m.ProtoReflect().Descriptor(), d.opts.MaxMessages)
		if err != nil {
			return err
		}
		if charge != nil {
			if err := charge(n); err != nil {
				return err
			}
		}
		if err := proto.Unmarshal(body, m); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	default:
		n, err := scanJSON(body, d.opts.MaxMessages)
		if err != nil {
			return err
		}
		if charge != nil {
			if err := charge(n); err != nil {
				return err
			}
		}
		// OTLP/JSON: receivers must ignore unknown fields.
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, m); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if logs, ok := m.(*logspb.LogsData); ok {
			fixHexIDs(logs)
		}
	}
	return nil
}

// scanProto walks a protobuf body without allocating and counts its
// messages (m's descriptor tells which length-delimited fields are
// messages), failing with ErrTooLarge past max messages and ErrMalformed
// past maxNesting levels. Wire errors are left for proto.Unmarshal.
func scanProto(b []byte, md protoreflect.MessageDescriptor, max int) (int, error) {
	budget := max
	if err := scanMessage(b, md, 0, &budget); err != nil {
		return 0, err
	}
	return max - budget, nil
}

// scanJSON counts the objects of a JSON body the same way, by scanning for
// braces outside strings.
func scanJSON(b []byte, max int) (int, error) {
	objects, depth := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if c == '{' {
				objects++
				if objects > max {
					return 0, fmt.Errorf("%w: more than %d objects", ErrTooLarge, max)
				}
			}
			depth++
			if depth > 2*maxNesting {
				return 0, fmt.Errorf("%w: nested more than %d levels", ErrMalformed, 2*maxNesting)
			}
		case '}', ']':
			depth--
		}
	}
	return objects, nil
}

// Rejected counts the records of a request that were refused, by the
// decoder (a NaN data point) or by a Sink (a record its store cannot keep),
// with the reason of the first: what an export answer reports as its
// partial success. The zero value is ready; a nil *Rejected ignores Add.
type Rejected struct {
	Count int
	// Reason is a message safe to show the client, empty when Count is 0.
	Reason string
}

// Add counts n more refused records; reason is kept if they are the first.
func (r *Rejected) Add(n int, reason string) {
	if r == nil || n <= 0 {
		return
	}
	if r.Count == 0 {
		r.Reason = reason
	}
	r.Count += n
}

// Merge adds o's records to r.
func (r *Rejected) Merge(o Rejected) { r.Add(o.Count, o.Reason) }

// truncateName bounds a name for a message.
func truncateName(s string) string {
	if len(s) > 128 {
		return s[:128] + "…"
	}
	return s
}

// jsonMarshal encodes v as compact JSON without HTML escaping.
func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// What decoding costs in memory, for a membudget.Budget: a body of n bytes
// holding m messages decodes into at most about DecodeBytesPerByte*n +
// DecodeBytesPerMessage*m bytes besides the body itself (the protobuf
// messages, the records made of them and their JSON as a store encodes
// it). TestDecodeCost measures it on Claude Code's captures and on bodies
// built to cost the most.
const (
	DecodeBytesPerByte    = 2
	DecodeBytesPerMessage = 640
)
