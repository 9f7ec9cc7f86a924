package record

import (
	"slices"
	"time"
)

// Token scopes: what a bearer of the token may do on the server.
const (
	ScopeIngest = "ingest" // send OTLP telemetry and audit events
	ScopeRead   = "read"   // read sessions, run records and rollups
	ScopeAdmin  = "admin"  // manage tokens, policy and quarantine
	// ScopeEnroll is a one-time enrollment token's: it enrolls one device
	// (warden enroll) and is consumed doing so. Admin does not imply it.
	ScopeEnroll = "enroll"
)

// Scopes lists every valid token scope.
var Scopes = []string{ScopeIngest, ScopeRead, ScopeAdmin, ScopeEnroll}

// Token is an API token as the server keeps it: never the secret itself,
// only its hash.
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Hash is the hash of the secret the bearer presents (the server picks
	// the function; the store only compares).
	Hash      string    `json:"-"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	// RevokedAt is zero while the token is live.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// DeviceID is set, by the server's authenticator and never stored,
	// when the bearer presented an enrolled device's credential rather
	// than a token.
	DeviceID string `json:"device_id,omitempty"`
}

// Revoked reports whether the token has been revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// HasScope reports whether the token grants scope.
func (t Token) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }
