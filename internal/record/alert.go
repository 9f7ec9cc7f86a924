package record

import (
	"slices"
	"time"
)

// Alert statuses. An alert opens, may be acknowledged, and ends resolved
// or a false positive; an ended alert stays ended, and a later firing of
// its rule for the same group opens a new alert.
const (
	AlertOpen          = "open"
	AlertAcknowledged  = "acknowledged"
	AlertResolved      = "resolved"
	AlertFalsePositive = "false_positive"
)

// AlertStatuses lists the statuses in lifecycle order.
var AlertStatuses = []string{AlertOpen, AlertAcknowledged, AlertResolved, AlertFalsePositive}

// AlertTransition reports whether an alert may go from status from to to.
func AlertTransition(from, to string) bool {
	switch from {
	case AlertOpen:
		return to == AlertAcknowledged || to == AlertResolved || to == AlertFalsePositive
	case AlertAcknowledged:
		return to == AlertResolved || to == AlertFalsePositive
	}
	return false
}

// AlertOpenStatus reports whether status is one an alert still groups
// repeats under.
func AlertOpenStatus(status string) bool {
	return status == AlertOpen || status == AlertAcknowledged
}

// MaxAlertEvents bounds the events one alert links; beyond it repeats
// still count but link no more events.
const MaxAlertEvents = 1000

// AlertHit is one firing of a detection rule as the evaluator reports it:
// the rule, the group it fired for, where, and the stored events that
// matched. Fingerprint identifies the firing (rule and events), so that
// recording it again, from a re-evaluation or another replica, changes
// nothing.
type AlertHit struct {
	Rule        string    `json:"rule"`
	Title       string    `json:"title"`
	Severity    string    `json:"severity"`
	GroupBy     string    `json:"group_by"`
	Group       string    `json:"group"`
	SessionID   string    `json:"session_id,omitempty"`
	UserID      string    `json:"user_id,omitempty"`
	Device      string    `json:"device,omitempty"`
	Repository  string    `json:"repository,omitempty"`
	EventIDs    []string  `json:"event_ids"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
	Fingerprint string    `json:"fingerprint"`
}

// Alert is a rule's firings for one group (session, user, device or
// repository) while it is open: repeats are grouped into it (Count, Last
// seen, more linked events), never duplicated.
type Alert struct {
	ID         string `json:"id"`
	Rule       string `json:"rule"`
	Title      string `json:"title"`
	Severity   string `json:"severity"`
	GroupBy    string `json:"group_by"`
	Group      string `json:"group"`
	SessionID  string `json:"session_id,omitempty"`
	UserID     string `json:"user_id,omitempty"`
	Device     string `json:"device,omitempty"`
	Repository string `json:"repository,omitempty"`
	// EventIDs link the stored events that matched, in the order they were
	// recorded (at most MaxAlertEvents); the events themselves stay in the
	// session's record.
	EventIDs  []string  `json:"event_ids"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Count is how many distinct firings the alert groups.
	Count  int64  `json:"count"`
	Status string `json:"status"`
	// History is every status change, oldest first, starting with the
	// opening.
	History []AlertChange `json:"history"`
}

// AlertChange is one status change: who made it, when and why.
type AlertChange struct {
	Status  string    `json:"status"`
	By      string    `json:"by"`
	Time    time.Time `json:"time"`
	Comment string    `json:"comment,omitempty"`
}

// AlertSeverities lists the severities, lowest first.
var AlertSeverities = []string{"info", "low", "medium", "high", "critical"}

// AlertSeverityRank orders severities (info lowest); -1 for an unknown one.
func AlertSeverityRank(s string) int {
	return slices.Index(AlertSeverities, s)
}
