package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/store"
)

// Error codes of the API: stable snake_case strings, the store's among
// them.
const (
	EInvalid          = store.EInvalid  // malformed request: 400
	ENotFound         = store.ENotFound // 404
	EConflict         = store.EConflict // 409
	EUnauthorized     = "unauthorized"  // no or unknown token: 401
	EForbidden        = "forbidden"     // token lacks the scope: 403
	EMethodNotAllowed = "method_not_allowed"
	ETooLarge         = "too_large"              // 413
	EUnsupportedMedia = "unsupported_media_type" // 415
	EUnavailable      = "unavailable"            // the store failed: 503, retry
	ETooManyRequests  = "too_many_requests"      // 429, retry after Retry-After
	EInternal         = store.EInternal          // 500, cause logged only
)

// Error is an API error: a code and a message safe to show the client.
// Cause, when set, is logged and never sent.
type Error struct {
	Code    string
	Message string
	Cause   error
	// RetryAfter, when set, is the Retry-After of a too_many_requests or
	// unavailable answer (1 s otherwise).
	RetryAfter time.Duration
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// retryAfterSeconds is RetryAfter in whole seconds, at least 1.
func (e *Error) retryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// statusOf maps an error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case EInvalid:
		return http.StatusBadRequest
	case ENotFound:
		return http.StatusNotFound
	case EConflict:
		return http.StatusConflict
	case EUnauthorized:
		return http.StatusUnauthorized
	case EForbidden:
		return http.StatusForbidden
	case EMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case ETooLarge:
		return http.StatusRequestEntityTooLarge
	case EUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case EUnavailable:
		return http.StatusServiceUnavailable
	case ETooManyRequests:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// apiError turns any error into what the client may see: an *Error as it
// is; a store error with its code and the store's client-safe message
// (not_found, invalid, conflict), other store failures as unavailable;
// anything else as internal.
func apiError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *store.Error
	if errors.As(err, &se) {
		switch se.Code {
		case store.ENotFound, store.EInvalid, store.EConflict:
			return &Error{Code: se.Code, Message: se.Message, Cause: err}
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: EUnavailable, Message: "request cancelled or timed out", Cause: err}
	}
	return &Error{Code: EInternal, Message: "internal error", Cause: err}
}

// errorBody is the JSON of every API error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with e's status and {"error":{"code","message"}}.
// Internal errors say only "internal error (id …)": the request ID finds
// the cause in the log.
func writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	var body errorBody
	body.Error.Code, body.Error.Message = e.Code, e.Message
	if e.Code == EInternal {
		body.Error.Message = "internal error (id " + requestID(r.Context()) + ")"
	}
	switch e.Code {
	case EUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
	case EUnavailable, ETooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfterSeconds()))
	}
	writeJSON(w, statusOf(e.Code), body) // strings only: it always encodes
}

// writeJSON answers with status and v as JSON. When v does not encode (a
// NaN or infinity in it) it writes nothing and returns the error, for the
// handler to return: the adapter then answers a JSON internal error and
// logs the cause, so no answer is ever invalid JSON or a silent failure.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T answer: %w", v, err)
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
	return nil
}

// handlerFunc is an API handler: it writes its success response and
// returns an error for anything else, which the adapter answers.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Log attribute keys and values.
const (
	LogKeyComponent = "component"
	LogKeyRequestID = "request_id"
	LogKeyRoute     = "route"
	LogKeyMethod    = "method"
	LogKeyStatus    = "status"
	LogKeyDuration  = "duration_ms"
	LogKeyError     = "error"
	LogKeyToken     = "token_id"
	LogKeyAddr      = "addr"
)

// adapt turns a handlerFunc into an http.Handler that answers its error:
// 5xx are logged with their cause under the request ID, 4xx at debug.
func (s *Server) adapt(route string, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		e := apiError(err)
		status := statusOf(e.Code)
		log := s.log.With(LogKeyRequestID, requestID(r.Context()), LogKeyRoute, route)
		if status >= 500 {
			if e.Code == EUnavailable || e.Code == EInternal {
				s.metrics.storeErrors.WithLabelValues(route).Inc()
			}
			log.Error("request failed", LogKeyStatus, status, LogKeyError, err)
		} else {
			log.Debug("request refused", LogKeyStatus, status, LogKeyError, err)
		}
		writeError(w, r, e)
	})
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyToken
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// newRequestID returns 12 random bytes as hex.
func newRequestID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a client's X-Request-ID when it is short and
// plain, so it can be logged as it is.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument gives every request an ID (the client's X-Request-ID when
// plain, else a new one, echoed in the response), and counts and times it
// by route and status.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		sw := &statusWriter{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		next.ServeHTTP(sw, r.WithContext(ctx))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.metrics.requestDuration.WithLabelValues(route).Observe(d.Seconds())
		if s.log.Enabled(ctx, slog.LevelDebug) {
			s.log.LogAttrs(ctx, slog.LevelDebug, "request", slog.String(LogKeyRequestID, id),
				slog.String(LogKeyMethod, r.Method), slog.String(LogKeyRoute, route),
				slog.Int(LogKeyStatus, sw.status), slog.Float64(LogKeyDuration, float64(d.Microseconds())/1000))
		}
	})
}
