package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/wardenhq/warden/internal/membudget"
	"github.com/wardenhq/warden/internal/otlp"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// ingestSink is the otlp.Sink of both OTLP receivers: it drops the records
// a store would refuse (store.ValidateEvent), so one bad record never
// fails its batch, stores the rest, and returns the refused ones for the
// receiver's partial success (which counts them, with the decoder's, in
// rejected). It asks the store first and validates only when the store
// refused the batch as invalid (which it does before writing anything):
// records are nearly always valid, and validating encodes each one, as the
// store does again.
type ingestSink struct {
	s      *Server
	source string
}

var _ otlp.Sink = (*ingestSink)(nil)

// maxRejectReason bounds a store's refusal as a partial success message.
const maxRejectReason = 256

func (k *ingestSink) AppendEvents(ctx context.Context, events []record.Event) (otlp.Rejected, error) {
	m := k.s.metrics
	var rej otlp.Rejected
	n, err := k.s.store.AppendEvents(ctx, events)
	valid := events
	if store.ErrorCode(err) == store.EInvalid {
		valid = events[:0:0]
		for i := range events {
			if verr := store.ValidateEvent(&events[i]); verr != nil {
				k.s.log.Debug("otlp event rejected", LogKeyError, verr)
				rej.Add(1, truncate(verr.Error(), maxRejectReason))
				continue
			}
			valid = append(valid, events[i])
		}
		n, err = 0, nil
		if len(valid) > 0 {
			n, err = k.s.store.AppendEvents(ctx, valid)
		}
	}
	if err != nil {
		m.storeErrors.WithLabelValues("append_events").Inc()
		return otlp.Rejected{}, err
	}
	m.accepted.WithLabelValues(k.source, kindEvent).Add(float64(n))
	m.duplicates.WithLabelValues(k.source, kindEvent).Add(float64(len(valid) - n))
	k.s.detector.mark(valid)
	k.s.conflicts.mark(valid)
	return rej, nil
}

func (k *ingestSink) AppendMetrics(ctx context.Context, points []record.MetricPoint) (otlp.Rejected, error) {
	m := k.s.metrics
	var rej otlp.Rejected
	n, err := k.s.store.AppendMetrics(ctx, points)
	valid := points
	if store.ErrorCode(err) == store.EInvalid {
		valid = points[:0:0]
		for i := range points {
			if verr := store.ValidateMetric(&points[i]); verr != nil {
				k.s.log.Debug("otlp metric point rejected", LogKeyError, verr)
				rej.Add(1, truncate(verr.Error(), maxRejectReason))
				continue
			}
			valid = append(valid, points[i])
		}
		n, err = 0, nil
		if len(valid) > 0 {
			n, err = k.s.store.AppendMetrics(ctx, valid)
		}
	}
	if err != nil {
		m.storeErrors.WithLabelValues("append_metrics").Inc()
		return otlp.Rejected{}, err
	}
	m.accepted.WithLabelValues(k.source, kindMetricPoint).Add(float64(n))
	m.duplicates.WithLabelValues(k.source, kindMetricPoint).Add(float64(len(valid) - n))
	return rej, nil
}

// otlpRejected counts the records an OTLP receiver refused.
func (s *Server) otlpRejected(source string) func(otlp.Signal, int) {
	return func(sig otlp.Signal, n int) {
		kind := kindEvent
		if sig == otlp.SignalMetrics {
			kind = kindMetricPoint
		}
		s.metrics.rejected.WithLabelValues(source, kind).Add(float64(n))
	}
}

// appendEvents stores validated events and counts them; rejected is how
// many the caller dropped.
func (s *Server) appendEvents(ctx context.Context, source string, valid []record.Event, rejected int) (int, error) {
	if rejected > 0 {
		s.metrics.rejected.WithLabelValues(source, kindEvent).Add(float64(rejected))
	}
	if len(valid) == 0 {
		return 0, nil
	}
	n, err := s.store.AppendEvents(ctx, valid)
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("append_events").Inc()
		return 0, err
	}
	s.metrics.accepted.WithLabelValues(source, kindEvent).Add(float64(n))
	s.metrics.duplicates.WithLabelValues(source, kindEvent).Add(float64(len(valid) - n))
	s.detector.mark(valid)
	s.conflicts.mark(valid)
	return n, nil
}

// grpcAuth is the OTLP/gRPC service's authentication: the same tokens,
// scope ingest, from the authorization metadata.
func (s *Server) grpcAuth(ctx context.Context) error {
	addr := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		addr = p.Addr.String()
	}
	_, err := s.authorize(ctx, addr, otlp.Authorization(ctx), scopesIngest)
	if err == nil {
		return nil
	}
	e := apiError(err)
	switch e.Code {
	case EForbidden:
		return status.Error(codes.PermissionDenied, e.Message)
	case ETooManyRequests:
		// Retryable, later: RESOURCE_EXHAUSTED with RetryInfo.
		st := status.New(codes.ResourceExhausted, e.Message)
		if d, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(e.retryAfterSeconds()) * time.Second)}); derr == nil {
			st = d
		}
		return st.Err()
	case EUnavailable:
		s.log.Error("token check failed", LogKeyRoute, "otlp_grpc", LogKeyError, err)
		return status.Error(codes.Unavailable, e.Message)
	}
	return status.Error(codes.Unauthenticated, e.Message)
}

// Content type of POST /v1/audit bodies.
const ContentTypeNDJSON = "application/x-ndjson"

// HeaderSpoolDrops is the shipper's running total of spool events lost to
// rotation before shipping; the server logs it when not zero.
const HeaderSpoolDrops = "X-Warden-Spool-Drops"

// AuditResult is the answer to POST /v1/audit.
type AuditResult struct {
	// Accepted events were stored now; Duplicates were stored before (or
	// repeated in the body) and skipped; Rejected failed validation and
	// were dropped.
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	// Rejections say why, for the first MaxRejections rejected lines.
	Rejections []Rejection `json:"rejections,omitempty"`
}

// Rejection is one rejected line of an audit body.
type Rejection struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// MaxRejections bounds AuditResult.Rejections.
const MaxRejections = 10

// SignedIDPrefix starts the stored ID of an audit event signed by a
// registered device (see serveAudit).
const SignedIDPrefix = "sig_"

// serveAudit is POST /v1/audit: newline-delimited audit lines, as the
// hook's spool holds them, optionally gzip. A line is an AuditEventV1, or
// a record.SignedAuditV1 envelope around one from an enrolled device. A
// line that is not a JSON object of either shape fails the request (400
// naming the line) and nothing is stored; an event that decodes but is
// invalid (wrong schema, no event_id, a time or string a store cannot
// keep, an envelope of the wrong shape) is rejected and the rest stored.
//
// Every event is stored with its verification (record.Verification):
// verified when signed by a live enrolled device and continuing its
// chain, else unverified with the reason; none is dropped for failing
// verification. With require_signed_audit, a body with an unsigned event
// is refused whole (403).
//
// Events are de-duplicated by event_id, so re-shipping a spool is safe. An
// event whose signature checks against a registered device key is stored
// under SignedIDPrefix and its event_id: whoever posts an unsigned or
// badly signed copy first cannot take the ID of the signed event it
// imitates, which is stored beside it.
func (s *Server) serveAudit(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != ContentTypeNDJSON {
		return Errorf(EUnsupportedMedia, "content type must be %s", ContentTypeNDJSON)
	}
	mem := s.budget.Reserve()
	defer mem.Release()
	body, err := readBody(r, MaxAuditBodyBytes, MaxAuditDecodedBytes, mem)
	if err != nil {
		return err
	}
	var (
		res   AuditResult
		lines []ingestLine
	)
	reject := func(line int, msg string) {
		res.Rejected++
		if len(res.Rejections) < MaxRejections {
			res.Rejections = append(res.Rejections, Rejection{Line: line, Message: msg})
		}
	}
	line := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, len(body)+1)
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if len(text) > store.MaxEventBytes {
			// Too large to store whatever it holds: refused before it
			// is decoded, which would cost several times its size.
			reject(line, fmt.Sprintf("line of %d bytes, more than %d", len(text), store.MaxEventBytes))
			continue
		}
		al := ingestLine{line: line}
		evText := text
		if record.IsSignedAudit(text) {
			env, msg, err := record.DecodeSignedAudit(text)
			if err != nil {
				reject(line, err.Error())
				continue
			}
			al.env, al.msg, evText = env, msg, env.Event
		}
		if err := decodeAuditLine(evText, &al.ev); err != nil {
			return Errorf(EInvalid, "line %d: %v; nothing was stored", line, err)
		}
		if s.cfg.RequireSignedAudit && al.env == nil {
			return Errorf(EForbidden, "line %d: unsigned audit event, and this server requires signed audit (require_signed_audit); "+
				"enroll the machine with 'warden enroll --server URL --token-file FILE'; nothing was stored", line)
		}
		lines = append(lines, al)
	}
	if err := sc.Err(); err != nil {
		return Errorf(EInvalid, "line %d: %v; nothing was stored", line+1, err)
	}
	var devices []string
	for _, l := range lines {
		if l.env != nil {
			devices = append(devices, l.env.DeviceID)
		}
	}
	unlock := s.devLocks.lock(devices)
	defer unlock()
	if err := s.verifyAudit(r.Context(), tokenFrom(r.Context()), lines); err != nil {
		return &Error{Code: EUnavailable, Message: "storage unavailable, retry later", Cause: err}
	}
	events := make([]record.Event, 0, len(lines))
	for i := range lines {
		l := &lines[i]
		ev := &l.ev
		// The hook redacts what it writes, but any holder of an ingest
		// token can post here. Redaction happens after verification: the
		// signature covers what the hook wrote.
		record.RedactAudit(ev)
		e := auditToEvent(*ev)
		v := l.v
		e.Verification = &v
		if v.Link(e.ID) != nil {
			e.ID = SignedIDPrefix + e.ID
		}
		if err := validateAudit(ev, &e); err != nil {
			reject(l.line, err.Error())
			continue
		}
		events = append(events, e)
	}
	n, err := s.appendEvents(r.Context(), sourceAudit, events, res.Rejected)
	if err != nil {
		return &Error{Code: EUnavailable, Message: "storage unavailable, retry later", Cause: err}
	}
	s.countVerification(events)
	res.Accepted, res.Duplicates = n, len(events)-n
	if drops := r.Header.Get(HeaderSpoolDrops); drops != "" && drops != "0" {
		// A running total the hook's spool lost to rotation before it
		// could ship: evidence that is gone, worth an operator's look.
		s.log.Warn("hook spool dropped events before shipping", "drops", truncate(drops, 20),
			LogKeyToken, tokenFrom(r.Context()).ID, LogKeyRequestID, requestID(r.Context()))
	}
	s.noteContact(r)
	return writeJSON(w, http.StatusOK, res)
}

// decodeAuditLine decodes one line: a single JSON object whose fields
// have AuditEventV1's types. Unknown fields are allowed, so a newer hook
// can ship to an older server.
func decodeAuditLine(b []byte, ev *record.AuditEventV1) error {
	if b[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := json.Unmarshal(b, ev); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON at byte %d", se.Offset)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("field %s: want %s", te.Field, te.Type)
		}
		return fmt.Errorf("invalid value: %s", truncate(err.Error(), 200))
	}
	return nil
}

// validateAudit reports why an audit event is not stored.
func validateAudit(ev *record.AuditEventV1, e *record.Event) error {
	switch {
	case ev.Schema != record.SchemaAuditV1:
		return fmt.Errorf("schema %q, want %q", truncate(ev.Schema, 64), record.SchemaAuditV1)
	case ev.EventID == "":
		return errors.New("no event_id")
	case ev.HookEvent == "":
		return errors.New("no hook_event")
	}
	switch ev.Decision {
	case record.DecisionDeny, record.DecisionAsk, record.DecisionAllow, record.DecisionNone:
	default:
		return fmt.Errorf("decision %q, want deny, ask, allow or none", truncate(ev.Decision, 64))
	}
	if err := store.ValidateEvent(e); err != nil {
		return err
	}
	return nil
}

// auditToEvent is how an audit event is stored: Source hook, the hook
// event name as its kind, its event_id as the deduplication key.
func auditToEvent(ev record.AuditEventV1) record.Event {
	ev.Time = ev.Time.UTC()
	return record.Event{
		ID:        ev.EventID,
		Source:    record.SourceHook,
		Kind:      ev.HookEvent,
		Time:      ev.Time,
		SessionID: ev.SessionID,
		UserID:    ev.User,
		PromptID:  ev.PromptID,
		Tool:      ev.Tool,
		Decision:  ev.Decision,
		Audit:     &ev,
	}
}

// auditBytesPerByte is what decoding an audit body costs per byte, for the
// memory budget: the events decoded and their JSON as stored.
const auditBytesPerByte = 3

// readBody reads a request body within limits and the memory budget
// (reserving from res, which the caller releases): max as received,
// maxDecoded after gzip (Content-Encoding gzip; identity or none
// otherwise).
func readBody(r *http.Request, max, maxDecoded int64, res *membudget.Reservation) ([]byte, error) {
	lim := membudget.Limits{MaxBody: max, MaxDecoded: maxDecoded, Overhead: auditBytesPerByte}
	body, err := membudget.ReadBody(r.Context(), r.Body, r.ContentLength, r.Header.Get("Content-Encoding"), lim, res)
	if err == nil {
		return body, nil
	}
	var le *membudget.LimitError
	var ee *membudget.EncodingError
	switch {
	case errors.As(err, &le):
		return nil, Errorf(ETooLarge, "%s", le.Error())
	case errors.As(err, &ee):
		return nil, Errorf(EUnsupportedMedia, "%s", ee.Error())
	case errors.Is(err, membudget.ErrBusy):
		return nil, &Error{Code: EUnavailable, Message: "server busy, retry later", Cause: err}
	case errors.Is(err, membudget.ErrOverBudget):
		return nil, &Error{Code: ETooLarge, Message: "body needs more memory than this server's budget allows", Cause: err}
	case errors.Is(err, membudget.ErrMalformedGzip):
		return nil, &Error{Code: EInvalid, Message: "malformed gzip body", Cause: err}
	}
	return nil, &Error{Code: EInvalid, Message: "unreadable body", Cause: err}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
