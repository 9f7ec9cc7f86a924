package detect

import (
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Severities, lowest first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// Group-by keys: what a rule's state and alerts are kept per. GroupRule
// and GroupTeam are for baseline rules only.
var GroupKeys = []string{"session", "user", "device", "repository", GroupRule, GroupTeam}

// Defaults.
const (
	// DefaultAbsenceWithin is how long an absence rule waits for the
	// expected event when the rule does not say.
	DefaultAbsenceWithin = 60 * time.Second
	// MaxPartials bounds the partial matches a sequence keeps per group;
	// beyond it the oldest is dropped.
	MaxPartials = 64
)

// Rule is one detection rule, compiled.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Description string   `json:"description,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	GroupBy     string   `json:"group_by"`
	// Kind is match, sequence, threshold, absence or baseline.
	Kind      string        `json:"kind"`
	Match     *Match        `json:"match,omitempty"`
	Sequence  *Sequence     `json:"sequence,omitempty"`
	Threshold *Threshold    `json:"threshold,omitempty"`
	Absence   *Absence      `json:"absence,omitempty"`
	Baseline  *Baseline     `json:"baseline,omitempty"`
	Response  Response      `json:"response"`
	Suppress  []Suppression `json:"suppress,omitempty"`
	Tests     []Test        `json:"-"`
	File      string        `json:"file"`
	Line      int           `json:"line"`
}

// Match is a single-event rule.
type Match struct {
	If  string `json:"if"`
	prg *program
}

// Sequence is an ordered chain of steps within a time span.
type Sequence struct {
	Within time.Duration `json:"within"`
	Steps  []Step        `json:"steps"`
}

// Step is one step of a sequence: a condition and the values it binds for
// later steps (vars.NAME).
type Step struct {
	Name string            `json:"name,omitempty"`
	If   string            `json:"if"`
	Bind map[string]string `json:"bind,omitempty"`
	prg  *program
	bind []binding
}

type binding struct {
	name string
	prg  *program
}

// Threshold fires when, within Window, the matching events of one group
// reach Count (or Count distinct values of Distinct), or their Sum reaches
// AtLeast.
type Threshold struct {
	If       string        `json:"if"`
	Window   time.Duration `json:"window"`
	Count    int           `json:"count,omitempty"`
	Distinct string        `json:"distinct,omitempty"`
	Sum      string        `json:"sum,omitempty"`
	AtLeast  float64       `json:"at_least,omitempty"`
	prg      *program
	distinct *program
	sum      *program
}

// Absence fires when a Trigger event has no Expect event with the same
// Join fields within Within before or after it.
type Absence struct {
	Trigger string        `json:"trigger"`
	Expect  string        `json:"expect"`
	Join    []string      `json:"join,omitempty"`
	Within  time.Duration `json:"within"`
	trigger *program
	expect  *program
}

// Response is what the server does when the rule fires.
type Response struct {
	// Quarantine quarantines the alert's session: its next tool calls
	// are denied by a server-deciding hook until released.
	Quarantine bool `json:"quarantine,omitempty"`
	// Notify sends the alert to the configured webhook and exports.
	Notify bool `json:"notify,omitempty"`
	// RevokeMCPServer revokes, fleet-wide (a policy overlay), the MCP
	// server of the alert's last matched event that names one.
	RevokeMCPServer bool `json:"revoke_mcp_server,omitempty"`
}

// Suppression silences a rule's alerts whose events match When, until
// Expires (an alert whose last event is after the end of that day is not
// suppressed). Owner and Reason say who answers for it and why.
type Suppression struct {
	When    string    `json:"when"`
	Owner   string    `json:"owner"`
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires"` // the first instant it no longer applies
	prg     *program
}

// Test is one of a rule file's tests: events (inline, or a session
// fixture file) and how many alerts of the rule they must raise.
type Test struct {
	Name    string
	Events  []record.Event
	Fixture string // the fixture file, resolved against the rule file's directory
	// Watermark is the evaluation's watermark; zero means the last
	// event's time.
	Watermark time.Time
	Want      int
	// WantEvents, when set, are the event IDs the first alert must have
	// matched, in order.
	WantEvents []string
	Line       int
}

// Alert is one firing of a rule.
type Alert struct {
	Rule       string    `json:"rule"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	GroupBy    string    `json:"group_by"`
	Group      string    `json:"group"`
	SessionID  string    `json:"session_id,omitempty"`
	UserID     string    `json:"user_id,omitempty"`
	Device     string    `json:"device,omitempty"`
	Repository string    `json:"repository,omitempty"`
	EventIDs   []string  `json:"event_ids"`
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
	// Fingerprint identifies this firing: the rule and the events that
	// matched. Evaluating the same events again gives the same one.
	Fingerprint string   `json:"fingerprint"`
	Response    Response `json:"response"`
	// MCPServer is the MCP server of the last matched event that names
	// one, for the revoke_mcp_server response.
	MCPServer string `json:"mcp_server,omitempty"`
}
