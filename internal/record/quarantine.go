package record

import "time"

// Quarantine marks a session whose further tool calls the server should
// refuse: set by an administrator or a detection rule.
type Quarantine struct {
	SessionID string    `json:"session_id"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"` // who or what quarantined it: a user, "rule:<id>"
	Time      time.Time `json:"time"`
}

// SchemaQuarantineListV1 is the schema tag of QuarantineListV1.
const SchemaQuarantineListV1 = "warden.quarantines.v1"

// MaxListedReasonBytes bounds each reason of a QuarantineListV1: the list
// is read by every hook call, and the reason is there to be named in a
// deny.
const MaxListedReasonBytes = 256

// QuarantineListV1 is GET /v1/quarantines: the quarantines of the
// sessions active lately, which the shipper caches for the hook to deny a
// quarantined session's tool calls locally. A session not listed is not
// quarantined, as far as the server knows; Truncated says the list was
// cut at its bound.
type QuarantineListV1 struct {
	Schema string `json:"schema"`
	// GeneratedAt is when the server made the list; ActiveSince is the
	// start of the window it covers.
	GeneratedAt time.Time    `json:"generated_at"`
	ActiveSince time.Time    `json:"active_since"`
	Sessions    []Quarantine `json:"sessions"`
	Truncated   bool         `json:"truncated,omitempty"`
}
