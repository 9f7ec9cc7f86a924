package record

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SchemaAuditV1 is the schema tag of every AuditEventV1.
const SchemaAuditV1 = "warden.audit.v1"

// Decision values of AuditEventV1.Decision.
const (
	DecisionDeny  = "deny"
	DecisionAsk   = "ask"
	DecisionAllow = "allow"
	DecisionNone  = "none"
)

// Failure codes of AuditEventV1.Failure: set when Warden itself failed and
// fell back (closed, or open when so configured) instead of deciding.
const (
	FailureInputTooLarge = "input_too_large" // hook input over the size limit
	FailureInputInvalid  = "input_invalid"   // not JSON, or a required field missing
	FailurePolicyLoad    = "policy_load_error"
	FailurePanic         = "panic"   // a bug: recovered panic
	FailureTimeout       = "timeout" // no decision within the deadline
	FailureDecide        = "decide_error"
)

// Limits on the free-text fields of an audit event, in bytes.
const (
	MaxCommandBytes = 4096
	MaxErrorBytes   = 512
	MaxReasonBytes  = 1024
	// MaxTouchedPathBytes bounds each of Reads, Writes and Unmodelled.
	MaxTouchedPathBytes = 512
)

// MaxTouchedPaths bounds the number of entries of each of an audit
// event's Reads, Writes and Unmodelled.
const MaxTouchedPaths = 64

// BoundPaths returns paths as an audit event keeps them: empty entries
// dropped, each redacted and cut to MaxTouchedPathBytes, at most
// MaxTouchedPaths of them, in order, and how many were left out. Paths
// come from commands an agent wrote: hostile data like the command.
func BoundPaths(paths []string) (kept []string, omitted int) {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if len(kept) == MaxTouchedPaths {
			omitted++
			continue
		}
		kept = append(kept, RedactBounded(p, MaxTouchedPathBytes))
	}
	return kept, omitted
}

// BoundTouched applies BoundPaths to ev's Reads, Writes and Unmodelled,
// adding what it leaves out to PathsOmitted.
func BoundTouched(ev *AuditEventV1) {
	for _, f := range []*[]string{&ev.Reads, &ev.Writes, &ev.Unmodelled} {
		var n int
		*f, n = BoundPaths(*f)
		ev.PathsOmitted += n
	}
	ev.PathsOmitted = max(ev.PathsOmitted, 0)
}

// AuditEventV1 is one audited hook call, as written to the spool (one JSON
// object per line) and later shipped to a server. Field names are stable
// snake_case; new fields may be added, none renamed.
//
// It never carries file contents, tool responses, prompt text, the content of
// a Write or the strings of an Edit: only metadata, with commands and URLs
// passed through Redact.
type AuditEventV1 struct {
	Schema string `json:"schema"` // always SchemaAuditV1
	// EventID is 128 random bits in hex, for de-duplication by a server when
	// a spool is shipped more than once.
	EventID string    `json:"event_id"`
	Time    time.Time `json:"time"` // UTC; encodes as RFC 3339 with nanoseconds

	HookEvent string `json:"hook_event"` // Claude Code's hook_event_name
	SessionID string `json:"session_id,omitempty"`
	ToolUseID string `json:"tool_use_id,omitempty"`
	PromptID  string `json:"prompt_id,omitempty"`

	User string `json:"user,omitempty"`
	Host string `json:"host,omitempty"`
	// Repository is the git remote URL (credentials stripped) of the
	// repository containing Cwd, or its root directory when it has no remote.
	Repository string `json:"repository,omitempty"`
	Branch     string `json:"branch,omitempty"` // "HEAD" when detached
	Cwd        string `json:"cwd,omitempty"`
	// Root is the root directory of the repository containing Cwd ("" when
	// it is in none), for showing paths relative to it.
	Root           string `json:"root,omitempty"`
	PermissionMode string `json:"permission_mode,omitempty"`

	Tool      string `json:"tool,omitempty"`
	Command   string `json:"command,omitempty"` // NormalizeCommand: redacted, bounded
	Path      string `json:"path,omitempty"`
	URL       string `json:"url,omitempty"` // redacted
	MCPServer string `json:"mcp_server,omitempty"`
	MCPTool   string `json:"mcp_tool,omitempty"`

	// Reads and Writes are the paths a Bash call reads and writes by
	// Warden's analysis of its command (engine.Touches, the analysis that
	// decides it): absolute, resolved against the call's cwd after its own
	// cds; globs unexpanded. Redacted and bounded by BoundPaths.
	Reads  []string `json:"reads,omitempty"`
	Writes []string `json:"writes,omitempty"`
	// Unmodelled lists the programs of a Bash call that Warden's catalogue
	// does not model, whose paths are guessed: any argument that looks
	// like one counts as read. "(dynamic)" stands for a program computed
	// when the command runs.
	Unmodelled []string `json:"unmodelled,omitempty"`
	// PathsOmitted counts the paths and programs BoundPaths left out of
	// Reads, Writes and Unmodelled.
	PathsOmitted int `json:"paths_omitted,omitempty"`
	// Tests marks a Bash call that runs a test suite (go test, pytest, npm
	// test, ... by the catalogue's test-runner table), wrapped or not.
	Tests bool `json:"tests,omitempty"`

	Decision      string `json:"decision"` // deny, ask, allow or none
	Reason        string `json:"reason,omitempty"`
	RuleID        string `json:"rule_id,omitempty"`
	Exception     string `json:"exception,omitempty"`
	Policy        string `json:"policy,omitempty"`
	PolicyVersion string `json:"policy_version,omitempty"`
	Tier          string `json:"tier,omitempty"`
	// Failure is a Failure* code when Warden could not decide normally.
	Failure    string `json:"failure,omitempty"`
	DurationUS int64  `json:"duration_us"`
	// HandOff names the binary that handed this call to warden (warden-hook
	// hands calls that need a CEL condition to warden hook).
	HandOff string `json:"hand_off,omitempty"`
	// Paused marks a call decided while an administrator's signed pause of
	// the tier was in force: only Warden's self-protection rules decided
	// it (see PausedRules); PauseReason is the pause's reason.
	Paused      bool   `json:"paused,omitempty"`
	PauseReason string `json:"pause_reason,omitempty"`
	// PauseIgnored says why a pause found in the client's cache was not
	// honoured (its signature did not verify, say): the call was decided
	// as if there were no pause.
	PauseIgnored string `json:"pause_ignored,omitempty"`

	// Per-event extras.

	// PromptLength is the prompt's length in characters (UserPromptSubmit);
	// the prompt itself is never recorded.
	PromptLength *int `json:"prompt_length,omitempty"`
	// Source is SessionStart's or ConfigChange's source ("startup",
	// "user_settings", ...).
	Source string `json:"source,omitempty"`
	// EndReason is SessionEnd's reason. It has its own key because Reason
	// explains the decision.
	EndReason string `json:"end_reason,omitempty"`
	FilePath  string `json:"file_path,omitempty"` // ConfigChange: the settings file
	// Error is PostToolUseFailure's error, redacted and truncated.
	Error string `json:"error,omitempty"`
	// ObservedOnly marks a PostToolBatch call: Decision is what Warden would
	// have decided, not something it enforced.
	ObservedOnly bool `json:"observed_only,omitempty"`
}

// NewEventID returns an event ID for an event at t: 32 hex digits, the
// first 12 of them t in milliseconds since the Unix epoch and the other 20
// are 80 bits read from r (crypto/rand when r is nil), as a UUIDv7 lays
// them out. Time first makes the IDs of events written together sort
// together, so the server's unique index on IDs grows at its right edge
// instead of taking a write at a random page per event (on SQLite that was
// most of an insert's cost). If r fails, the clock's nanoseconds stand in
// for the random bits, so an event is never lost for want of randomness.
func NewEventID(r io.Reader, t time.Time) string {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[6:]); err != nil {
		binary.BigEndian.PutUint64(b[8:], uint64(time.Now().UnixNano()))
	}
	PutMillis(b[:6], t.UnixMilli())
	return hex.EncodeToString(b[:])
}

// PutMillis writes ms (milliseconds since the Unix epoch; before it counts
// as 0) big-endian into the 6 bytes of b, the time prefix of an event ID.
func PutMillis(b []byte, ms int64) {
	ms = max(ms, 0)
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
}

// NormalizeCommand prepares a shell command for an audit record: surrounding
// white space trimmed, secrets masked by Redact, then cut to MaxCommandBytes.
func NormalizeCommand(s string) string {
	return RedactBounded(strings.TrimSpace(s), MaxCommandBytes)
}

// RedactBounded returns Redact(s) cut to at most n bytes. Redaction comes
// before the final cut, so a cut can never leave part of a secret behind;
// input far beyond n is dropped first, which bounds the cost of Redact on
// hostile input (the hook accepts up to 1 MiB).
func RedactBounded(s string, n int) string {
	dropped := 0
	if limit := 2 * n; len(s) > limit {
		keep := utf8Boundary(s, limit)
		dropped = len(s) - keep
		s = s[:keep]
	}
	return truncate(Redact(s), n, dropped)
}

// Truncate cuts s to at most n bytes on a UTF-8 boundary, marking the cut
// with "…[N bytes]" counting what was dropped. The marker is included in n.
func Truncate(s string, n int) string { return truncate(s, n, 0) }

func truncate(s string, n, dropped int) string {
	if len(s) <= n && dropped == 0 {
		return s
	}
	const markerRoom = 24 // "…[" + up to 19 digits + " bytes]" fits comfortably
	keep := len(s)
	if keep > n-markerRoom {
		keep = utf8Boundary(s, max(n-markerRoom, 0))
	}
	return s[:keep] + "…[" + strconv.Itoa(len(s)-keep+dropped) + " bytes]"
}

// utf8Boundary returns the largest n <= limit that does not split a rune.
func utf8Boundary(s string, limit int) int {
	if limit >= len(s) {
		return len(s)
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return limit
}
