package store

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/record"
)

// Limits on what a store accepts, in bytes.
const (
	// MaxIDBytes bounds Event.ID, MetricPoint.ID and Token.ID.
	MaxIDBytes = 256
	// MaxKeyBytes bounds every indexed string: session, user and prompt IDs,
	// kind, source, tool, decision, metric name and unit.
	MaxKeyBytes = 1024
	// MaxEventBytes bounds an event or metric point encoded as JSON
	// (attributes, resource, audit event and raw record together).
	MaxEventBytes = 1 << 20
	// MaxPolicyBytes bounds a policy bundle's YAML.
	MaxPolicyBytes = 4 << 20
)

// MaxMetricValue bounds the magnitude of a metric point's value. No
// session spends 10^15 dollars or tokens, and with every value within it
// no sum of stored points (up to 2^63 of them) can overflow a float64
// into an infinity, which JSON cannot carry.
const MaxMetricValue = 1e15

// ValidateEvent reports, with code invalid, why a store would refuse e: an
// empty or oversized ID, Source or Kind, a time a store cannot keep (zero,
// or outside the years 1678 to 2262), a key string that is not UTF-8, has a
// NUL byte or is too long, or attributes that do not encode as JSON (NaN,
// say) or not within MaxEventBytes. Unicode is welcome; only what a database
// column cannot hold faithfully is refused.
func ValidateEvent(e *record.Event) error {
	_, err := MarshalEvent(e)
	return err
}

func checkEvent(e *record.Event) error {
	if err := checkID("id", e.ID); err != nil {
		return err
	}
	if e.Source == "" {
		return Errorf(EInvalid, "event %q: empty source", e.ID)
	}
	if e.Kind == "" {
		return Errorf(EInvalid, "event %q: empty kind", e.ID)
	}
	for _, f := range []struct{ name, v string }{
		{"source", e.Source}, {"kind", e.Kind}, {"session_id", e.SessionID}, {"user_id", e.UserID},
		{"prompt_id", e.PromptID}, {"tool", e.Tool}, {"decision", e.Decision},
	} {
		if err := checkKey(f.name, f.v); err != nil {
			return fmt.Errorf("event %q: %w", e.ID, err)
		}
	}
	if err := checkTime("time", e.Time); err != nil {
		return fmt.Errorf("event %q: %w", e.ID, err)
	}
	return nil
}

// ValidateMetric is ValidateEvent for a metric point: ID and Name required,
// Value finite and within ±MaxMetricValue, Time (and Start unless zero) representable, attributes
// within MaxEventBytes.
func ValidateMetric(p *record.MetricPoint) error {
	_, err := MarshalMetricAttrs(p)
	return err
}

func checkMetric(p *record.MetricPoint) error {
	if err := checkID("id", p.ID); err != nil {
		return err
	}
	if p.Name == "" {
		return Errorf(EInvalid, "metric point %q: empty name", p.ID)
	}
	for _, f := range []struct{ name, v string }{
		{"name", p.Name}, {"unit", p.Unit}, {"session_id", p.SessionID}, {"user_id", p.UserID},
	} {
		if err := checkKey(f.name, f.v); err != nil {
			return fmt.Errorf("metric point %q: %w", p.ID, err)
		}
	}
	if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
		return Errorf(EInvalid, "metric point %q: value %v is not finite", p.ID, p.Value)
	}
	if math.Abs(p.Value) > MaxMetricValue {
		return Errorf(EInvalid, "metric point %q: value %g is beyond ±%g", p.ID, p.Value, float64(MaxMetricValue))
	}
	if err := checkTime("time", p.Time); err != nil {
		return fmt.Errorf("metric point %q: %w", p.ID, err)
	}
	if !p.Start.IsZero() {
		if err := checkTime("start", p.Start); err != nil {
			return fmt.Errorf("metric point %q: %w", p.ID, err)
		}
	}
	return nil
}

// MarshalEvent validates e and returns its JSON encoding, the form stores
// keep it in.
func MarshalEvent(e *record.Event) ([]byte, error) {
	if err := checkEvent(e); err != nil {
		return nil, err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, Errorf(EInvalid, "event %q: does not encode as JSON: %v", e.ID, err)
	}
	if len(b) > MaxEventBytes {
		return nil, Errorf(EInvalid, "event %q: %d bytes encoded, more than %d", e.ID, len(b), MaxEventBytes)
	}
	return b, nil
}

// MarshalMetricAttrs validates p and returns its attributes' JSON encoding.
func MarshalMetricAttrs(p *record.MetricPoint) ([]byte, error) {
	if err := checkMetric(p); err != nil {
		return nil, err
	}
	b, err := json.Marshal(p.Attrs)
	if err != nil {
		return nil, Errorf(EInvalid, "metric point %q: attributes do not encode as JSON: %v", p.ID, err)
	}
	if len(b) > MaxEventBytes {
		return nil, Errorf(EInvalid, "metric point %q: attributes are %d bytes encoded, more than %d", p.ID, len(b), MaxEventBytes)
	}
	return b, nil
}

func checkID(field, id string) error {
	if id == "" {
		return Errorf(EInvalid, "empty %s", field)
	}
	if len(id) > MaxIDBytes {
		return Errorf(EInvalid, "%s of %d bytes, more than %d", field, len(id), MaxIDBytes)
	}
	return checkKey(field, id)
}

func checkKey(field, v string) error {
	if len(v) > MaxKeyBytes {
		return Errorf(EInvalid, "%s of %d bytes, more than %d", field, len(v), MaxKeyBytes)
	}
	if !utf8.ValidString(v) {
		return Errorf(EInvalid, "%s %q is not valid UTF-8", field, v)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return Errorf(EInvalid, "%s %q has a NUL byte", field, v)
	}
	return nil
}

// checkTime refuses times that do not survive a round trip through Unix
// nanoseconds, the form stores keep times in (zero among them).
func checkTime(field string, t time.Time) error {
	if t.IsZero() || !time.Unix(0, t.UnixNano()).Equal(t) {
		return Errorf(EInvalid, "%s %s out of range", field, t.Format(time.RFC3339Nano))
	}
	return nil
}

// MaxActiveQuarantines bounds Store.ActiveQuarantines.
const MaxActiveQuarantines = 1000

// ActiveQuarantinesLimit is the limit ActiveQuarantines applies for limit.
func ActiveQuarantinesLimit(limit int) int {
	if limit <= 0 || limit > MaxActiveQuarantines {
		return MaxActiveQuarantines
	}
	return limit
}

// MaxReasonBytes bounds a quarantine's reason.
const MaxReasonBytes = 4096

// ValidateToken reports why a store would refuse to create t: an empty or
// oversized ID or hash, an oversized name, no scopes or one not in
// record.Scopes, or a creation time it cannot keep.
func ValidateToken(t *record.Token) error {
	if err := checkID("token id", t.ID); err != nil {
		return err
	}
	if t.Hash == "" {
		return Errorf(EInvalid, "token %q: empty hash", t.ID)
	}
	for _, f := range []struct{ name, v string }{{"hash", t.Hash}, {"name", t.Name}} {
		if err := checkKey(f.name, f.v); err != nil {
			return fmt.Errorf("token %q: %w", t.ID, err)
		}
	}
	if len(t.Scopes) == 0 {
		return Errorf(EInvalid, "token %q: no scopes", t.ID)
	}
	for _, s := range t.Scopes {
		if !slices.Contains(record.Scopes, s) {
			return Errorf(EInvalid, "token %q: unknown scope %q (want one of %s)", t.ID, s, strings.Join(record.Scopes, ", "))
		}
	}
	if err := checkTime("created_at", t.CreatedAt); err != nil {
		return fmt.Errorf("token %q: %w", t.ID, err)
	}
	return nil
}

// ValidateDevice reports why a store would refuse to enroll d: an ID that
// is not a device ID (record.ValidDeviceID), an empty or oversized name or
// credential hash, a public key that is not an Ed25519 key's 32 bytes, or
// an enrollment time it cannot keep.
func ValidateDevice(d *record.Device) error {
	if !record.ValidDeviceID(d.ID) {
		return Errorf(EInvalid, "device id %q is not dev_ and hex", record.Truncate(d.ID, 80))
	}
	if d.Name == "" {
		return Errorf(EInvalid, "device %q: empty name", d.ID)
	}
	if d.CredentialHash == "" {
		return Errorf(EInvalid, "device %q: empty credential hash", d.ID)
	}
	for _, f := range []struct{ name, v string }{{"name", d.Name}, {"credential hash", d.CredentialHash}} {
		if err := checkKey(f.name, f.v); err != nil {
			return fmt.Errorf("device %q: %w", d.ID, err)
		}
	}
	if len(d.PublicKey) != ed25519.PublicKeySize {
		return Errorf(EInvalid, "device %q: public key of %d bytes, want %d (Ed25519)", d.ID, len(d.PublicKey), ed25519.PublicKeySize)
	}
	if err := checkTime("enrolled_at", d.EnrolledAt); err != nil {
		return fmt.Errorf("device %q: %w", d.ID, err)
	}
	return nil
}

// ValidateQuarantine reports why a store would refuse QuarantineSession's
// arguments: an empty session ID or author, or an oversized field.
func ValidateQuarantine(sessionID, reason, by string) error {
	if sessionID == "" {
		return Errorf(EInvalid, "empty session id")
	}
	if by == "" {
		return Errorf(EInvalid, "quarantine of %q: empty by", sessionID)
	}
	if err := checkKey("session_id", sessionID); err != nil {
		return err
	}
	if err := checkKey("by", by); err != nil {
		return err
	}
	if len(reason) > MaxReasonBytes {
		return Errorf(EInvalid, "reason of %d bytes, more than %d", len(reason), MaxReasonBytes)
	}
	return checkText("reason", reason)
}

// ValidatePolicy reports why a store would refuse PutPolicy's arguments: an
// empty or oversized name, YAML over MaxPolicyBytes, or a digest that is not
// the hex SHA-256 of the YAML.
func ValidatePolicy(name string, yaml []byte, digest string) error {
	if name == "" {
		return Errorf(EInvalid, "empty policy name")
	}
	if err := checkKey("policy name", name); err != nil {
		return err
	}
	if len(yaml) > MaxPolicyBytes {
		return Errorf(EInvalid, "policy %q: %d bytes, more than %d", name, len(yaml), MaxPolicyBytes)
	}
	sum := sha256.Sum256(yaml)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(digest, got) {
		return Errorf(EInvalid, "policy %q: sha256 %q does not match its content", name, digest)
	}
	return nil
}

// ValidateSessionID reports why a session ID cannot name a session.
func ValidateSessionID(id string) error {
	if id == "" {
		return Errorf(EInvalid, "empty session id")
	}
	return checkKey("session_id", id)
}

// ValidateSessionConflicts reports why a store would refuse
// SetSessionConflicts' arguments.
func ValidateSessionConflicts(sessionID string, n int) error {
	if err := ValidateSessionID(sessionID); err != nil {
		return err
	}
	if n < 0 {
		return Errorf(EInvalid, "session %s: negative conflict count %d", sessionID, n)
	}
	return nil
}

// checkText refuses what a text column cannot hold: invalid UTF-8 and NUL.
func checkText(field, v string) error {
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return Errorf(EInvalid, "%s is not valid UTF-8 text without NUL bytes", field)
	}
	return nil
}

// ValidateReview reports why a store would refuse SetReview's review: an
// empty or malformed session ID or reviewer, a decision not among
// record.ReviewDecisions, or an oversized or non-text comment.
func ValidateReview(r *record.Review) error {
	if err := ValidateSessionID(r.SessionID); err != nil {
		return err
	}
	if !slices.Contains(record.ReviewDecisions, r.Decision) {
		return Errorf(EInvalid, "review of %q: decision %q, want one of %s", r.SessionID, r.Decision,
			strings.Join(record.ReviewDecisions, ", "))
	}
	if r.Reviewer == "" {
		return Errorf(EInvalid, "review of %q: empty reviewer", r.SessionID)
	}
	if err := checkKey("reviewer", r.Reviewer); err != nil {
		return err
	}
	if len(r.Comment) > record.MaxReviewCommentBytes {
		return Errorf(EInvalid, "comment of %d bytes, more than %d", len(r.Comment), record.MaxReviewCommentBytes)
	}
	return checkText("comment", r.Comment)
}
