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
