package store

import (
	"context"
	"slices"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Alerts is the part of a store that keeps detection alerts. Every method
// is safe for concurrent use by several server replicas on one database.
type Alerts interface {
	// RecordAlert records one firing. It is idempotent on the hit's
	// Fingerprint: a firing already recorded changes nothing and returns
	// NewHit false. A new firing is grouped into the open (or
	// acknowledged) alert of the same rule, group-by and group when there
	// is one (count, last seen and linked events grow) and otherwise opens
	// a new alert (NewAlert true) with an opening history entry by
	// "rule:<rule>".
	RecordAlert(ctx context.Context, hit record.AlertHit) (AlertResult, error)
	// ListAlerts returns alerts matching the filter, newest first (by ID,
	// descending), one page at a time (Page.Next as the next Cursor).
	// Listed alerts carry neither History nor EventIDs; Alert has them.
	ListAlerts(ctx context.Context, f AlertFilter) (AlertPage, error)
	// Alert returns one alert with its history and linked events, or
	// ErrNotFound.
	Alert(ctx context.Context, id string) (*record.Alert, error)
	// SetAlertStatus moves an alert to status, recording who, when
	// (Options.Now) and why. A move the lifecycle does not allow
	// (record.AlertTransition) fails with EConflict; setting the status
	// the alert already has is a no-op that returns it.
	SetAlertStatus(ctx context.Context, id, status, by, comment string) (*record.Alert, error)
	// AlertCounts counts every stored alert by status and severity,
	// ordered by status then severity: the console's queue summary.
	AlertCounts(ctx context.Context) ([]AlertCount, error)
}

// AlertCount is how many alerts have one status and severity.
type AlertCount struct {
	Status, Severity string
	N                int64
}

// Overlays is the part of a store that keeps policy overlays, the log
// of their changes and the server's pause signing key.
type Overlays interface {
	// AddOverlay stores an overlay, stamped with Options.Now, and returns
	// it with its ID. The addition is logged (OverlayLog) in the same
	// transaction, with the overlay's By and Reason.
	AddOverlay(ctx context.Context, o record.PolicyOverlay) (*record.PolicyOverlay, error)
	// ListOverlays returns every overlay in the order added.
	ListOverlays(ctx context.Context) ([]record.PolicyOverlay, error)
	// RemoveOverlay deletes one and returns it; ErrNotFound when there
	// is none. The removal is logged in the same transaction, with by
	// and reason.
	RemoveOverlay(ctx context.Context, id, by, reason string) (*record.PolicyOverlay, error)
	// OverlayLog returns the last limit overlay changes (at most
	// MaxOverlayLog), newest first.
	OverlayLog(ctx context.Context, limit int) ([]record.OverlayChange, error)
	// ServerKey returns the secret stored under name, storing seed there
	// first when there is none: every replica on one database gets the
	// first seed stored. The server keeps its pause signing key's seed
	// under PauseKeyName.
	ServerKey(ctx context.Context, name string, seed []byte) ([]byte, error)
}

// PauseKeyName is the ServerKey name of the pause signing key's seed.
const PauseKeyName = "pause-ed25519"

// MaxOverlayLog bounds one OverlayLog answer.
const MaxOverlayLog = 1000

// maxServerKeyBytes bounds a ServerKey secret.
const maxServerKeyBytes = 1024

// ValidateServerKey reports why a store would refuse a ServerKey call.
func ValidateServerKey(name string, seed []byte) error {
	if name == "" || len(name) > 64 {
		return Errorf(EInvalid, "server key name of %d bytes: want 1 to 64", len(name))
	}
	if len(seed) == 0 || len(seed) > maxServerKeyBytes {
		return Errorf(EInvalid, "server key of %d bytes: want 1 to %d", len(seed), maxServerKeyBytes)
	}
	return nil
}

// OverlayLogLimit clamps a requested OverlayLog limit.
func OverlayLogLimit(n int) int {
	if n <= 0 || n > MaxOverlayLog {
		return MaxOverlayLog
	}
	return n
}

// ValidateOverlay reports why a store would refuse an overlay.
func ValidateOverlay(o *record.PolicyOverlay) error {
	if o.Kind == "" || o.Target == "" || o.By == "" {
		return Errorf(EInvalid, "overlay needs kind, target and by")
	}
	for name, v := range map[string]string{"kind": o.Kind, "target": o.Target, "tier": o.Tier, "by": o.By} {
		if len(v) > maxAlertFieldBytes {
			return Errorf(EInvalid, "overlay %s of %d bytes, more than %d", name, len(v), maxAlertFieldBytes)
		}
		if err := checkText(name, v); err != nil {
			return err
		}
	}
	if o.Kind == "pause" && o.Until.IsZero() {
		return Errorf(EInvalid, "a pause overlay needs until")
	}
	if !o.Until.IsZero() {
		if err := checkTime("until", o.Until); err != nil {
			return err
		}
	}
	return ValidateOverlayReason(o.Reason)
}

// ValidateOverlayReason reports why a store would refuse an overlay
// change's reason.
func ValidateOverlayReason(reason string) error {
	if len(reason) > MaxReasonBytes {
		return Errorf(EInvalid, "overlay reason of %d bytes, more than %d", len(reason), MaxReasonBytes)
	}
	return checkText("reason", reason)
}

// AlertResult is what RecordAlert did.
type AlertResult struct {
	Alert *record.Alert
	// NewHit is false when the firing was recorded before.
	NewHit bool
	// NewAlert is true when the firing opened a new alert.
	NewAlert bool
}

// AlertFilter selects alerts for ListAlerts. Zero fields do not filter.
type AlertFilter struct {
	Status, Severity, Rule, SessionID, UserID string
	// Since selects alerts last seen at or after it.
	Since time.Time
	// Limit is the page size: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// Cursor is a previous page's Next, opaque.
	Cursor string
}

// AlertPage is one page of ListAlerts.
type AlertPage struct {
	Alerts []record.Alert
	Next   string
}

// Limits on alert fields, in bytes.
const (
	MaxAlertCommentBytes = 4096
	maxAlertFieldBytes   = 1024
)

// ValidateAlertHit reports why a store would refuse a hit.
func ValidateAlertHit(h *record.AlertHit) error {
	if h.Rule == "" || h.Fingerprint == "" || h.GroupBy == "" || h.Group == "" {
		return Errorf(EInvalid, "alert hit needs rule, group_by, group and fingerprint")
	}
	if record.AlertSeverityRank(h.Severity) < 0 {
		return Errorf(EInvalid, "alert hit of %q: unknown severity %q", h.Rule, h.Severity)
	}
	if len(h.EventIDs) == 0 {
		return Errorf(EInvalid, "alert hit of %q: no events", h.Rule)
	}
	for name, v := range map[string]string{"rule": h.Rule, "title": h.Title, "group_by": h.GroupBy, "group": h.Group,
		"session_id": h.SessionID, "user_id": h.UserID, "device": h.Device, "repository": h.Repository, "fingerprint": h.Fingerprint} {
		if len(v) > maxAlertFieldBytes {
			return Errorf(EInvalid, "alert hit of %q: %s of %d bytes, more than %d", h.Rule, name, len(v), maxAlertFieldBytes)
		}
		if err := checkText(name, v); err != nil {
			return err
		}
	}
	for _, id := range h.EventIDs {
		if id == "" || len(id) > maxAlertFieldBytes {
			return Errorf(EInvalid, "alert hit of %q: bad event id", h.Rule)
		}
		if err := checkText("event_id", id); err != nil {
			return err
		}
	}
	if err := checkTime("first", h.First); err != nil {
		return err
	}
	return checkTime("last", h.Last)
}

// ValidateAlertStatus reports why a store would refuse SetAlertStatus's
// arguments (the transition itself is checked against the stored alert).
func ValidateAlertStatus(id, status, by, comment string) error {
	if id == "" {
		return Errorf(EInvalid, "empty alert id")
	}
	if !slices.Contains(record.AlertStatuses, status) {
		return Errorf(EInvalid, "unknown alert status %q (want one of %v)", status, record.AlertStatuses)
	}
	if by == "" {
		return Errorf(EInvalid, "alert %s: status change needs by", id)
	}
	if len(by) > maxAlertFieldBytes {
		return Errorf(EInvalid, "alert %s: by of %d bytes, more than %d", id, len(by), maxAlertFieldBytes)
	}
	if len(comment) > MaxAlertCommentBytes {
		return Errorf(EInvalid, "alert %s: comment of %d bytes, more than %d", id, len(comment), MaxAlertCommentBytes)
	}
	if err := checkText("by", by); err != nil {
		return err
	}
	return checkText("comment", comment)
}

// ValidateAlertFilter reports a filter a store would refuse.
func ValidateAlertFilter(f AlertFilter) error {
	if f.Status != "" && !slices.Contains(record.AlertStatuses, f.Status) {
		return Errorf(EInvalid, "unknown alert status %q", f.Status)
	}
	if f.Severity != "" && record.AlertSeverityRank(f.Severity) < 0 {
		return Errorf(EInvalid, "unknown severity %q", f.Severity)
	}
	if f.Limit < 0 {
		return Errorf(EInvalid, "negative limit %d", f.Limit)
	}
	// Rule, session and user come from a query string: what no stored
	// alert can hold matches none, and PostgreSQL would refuse it.
	for name, v := range map[string]string{"rule": f.Rule, "session": f.SessionID, "user": f.UserID} {
		if len(v) > maxAlertFieldBytes {
			return Errorf(EInvalid, "alert filter %s of %d bytes, more than %d", name, len(v), maxAlertFieldBytes)
		}
		if err := checkText(name, v); err != nil {
			return err
		}
	}
	return nil
}

// AlertOpenKey is the key under which an open alert groups repeats.
func AlertOpenKey(h *record.AlertHit) string {
	return h.Rule + "\x1f" + h.GroupBy + "\x1f" + h.Group
}

// AlertPageLimit returns the page size a filter asks for.
func AlertPageLimit(f AlertFilter) int {
	switch {
	case f.Limit == 0:
		return DefaultLimit
	case f.Limit > MaxLimit:
		return MaxLimit
	}
	return f.Limit
}
