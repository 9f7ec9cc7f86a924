// Package store defines how Warden's server keeps its records: the Store
// interface, its filters and its error codes, with one implementation per
// database (store/sqlite, store/postgres) and one contract suite every
// implementation must pass (store/storetest).
//
// A store knows records and SQL: it speaks record types (Event,
// MetricPoint, SessionSummary, Rollup, Token, Quarantine, PolicyBundle) and
// nothing of HTTP, OTLP or policy evaluation. Its clock and logger are
// injected through Options; times it stores come from the records
// themselves, except where an operation stamps one (revocation, quarantine,
// a new policy version), which uses Options.Now.
package store

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Store keeps events, metric points and the server's control state (tokens,
// quarantines, policy bundles). Every method is safe for concurrent use, also
// by several processes or server replicas sharing one database.
type Store interface {
	// AppendEvents stores events that are not stored yet and returns how
	// many it inserted. It is idempotent on Event.ID: delivery is at least
	// once (hooks re-ship spools, replicas re-send), so an event whose ID is
	// already stored, or repeated within the batch, is skipped and not
	// counted, never an error. The batch is one transaction: when
	// AppendEvents returns a nil error every event in it is durable; on an
	// error none is stored. An event that fails ValidateEvent fails the whole
	// batch with code invalid before anything is written; callers that want
	// to keep the rest filter with ValidateEvent first.
	AppendEvents(ctx context.Context, events []record.Event) (inserted int, err error)

	// AppendMetrics is AppendEvents for metric points: idempotent on
	// MetricPoint.ID, atomic, validated by ValidateMetric.
	AppendMetrics(ctx context.Context, points []record.MetricPoint) (inserted int, err error)

	// ListSessions returns summaries of the sessions active in the
	// filter's time range, newest first (by first time, then session ID,
	// descending), one page at a time: pass Page.Next as the next filter's
	// Cursor until it is empty.
	ListSessions(ctx context.Context, f SessionFilter) (SessionPage, error)

	// Session returns one session's summary, or ErrNotFound.
	Session(ctx context.Context, sessionID string) (*record.SessionSummary, error)

	// SessionEvents returns a session's events ordered by time, then
	// event.sequence (OTLP), then arrival: the run record's raw material.
	// Events come back as encoding/json decodes what was stored: times in
	// UTC, attribute numbers as float64. It returns ErrNotFound for a
	// session the store has never seen and an empty slice for one known
	// only from metric points.
	SessionEvents(ctx context.Context, sessionID string) ([]record.Event, error)

	// UserRollups sums metric points in the filter's time range per user,
	// ordered by user ID. Points count by their end time. A session's own
	// rollup is SessionSummary.Rollup.
	UserRollups(ctx context.Context, f RollupFilter) ([]record.UserRollup, error)

	// CreateToken stores a token. Its ID and Hash must be new (else
	// ErrConflict), its scopes among record.Scopes (else ErrInvalid).
	CreateToken(ctx context.Context, t record.Token) error
	// TokenByHash returns the live token with this hash. A revoked or
	// unknown hash answers ErrNotFound, so an authenticator fails closed.
	TokenByHash(ctx context.Context, hash string) (*record.Token, error)
	// RevokeToken revokes a token at Options.Now; revoking a revoked token
	// keeps its first revocation time. An unknown ID answers ErrNotFound.
	RevokeToken(ctx context.Context, id string) error
	// ListTokens returns every token, revoked ones too, ordered by
	// creation time then ID.
	ListTokens(ctx context.Context) ([]record.Token, error)

	// EnrollDevice consumes the live token with hash tokenHash, which must
	// have scope enroll, and stores d, in one transaction: an enroll token
	// enrolls exactly one device however many enrollments race for it. A
	// token that is unknown, revoked, already consumed or without scope
	// enroll answers ErrNotFound and stores nothing; a device ID or
	// credential hash already stored answers ErrConflict (and leaves the
	// token unconsumed). d.EnrolledWith is set to the token's ID.
	EnrollDevice(ctx context.Context, tokenHash string, d record.Device) (*record.Device, error)
	// Device returns a device by ID, revoked ones too, or ErrNotFound.
	Device(ctx context.Context, id string) (*record.Device, error)
	// DeviceByCredential returns the live device whose credential has this
	// hash; a revoked or unknown one answers ErrNotFound.
	DeviceByCredential(ctx context.Context, hash string) (*record.Device, error)
	// ListDevices returns every device, revoked ones too, ordered by
	// enrollment time then ID.
	ListDevices(ctx context.Context) ([]record.Device, error)
	// RevokeDevice revokes a device at Options.Now (keeping the first
	// revocation time); ErrNotFound for an unknown ID.
	RevokeDevice(ctx context.Context, id string) error
	// ChainLinks returns the stored chain links of a device with seq in
	// [from, to], ordered by seq then event ID. AppendEvents stores the
	// link of every inserted event whose Verification has one
	// (record.Verification.Link), in the same transaction.
	ChainLinks(ctx context.Context, deviceID string, from, to uint64) ([]record.ChainLink, error)

	// QuarantineSession quarantines a session, which need not be known to
	// the store yet, and returns the quarantine in force. It is idempotent:
	// the first quarantine stands, and quarantining again returns it
	// unchanged (compare its By and Time to tell).
	QuarantineSession(ctx context.Context, sessionID, reason, by string) (*record.Quarantine, error)
	// Quarantine returns the session's quarantine, or ErrNotFound when it
	// is not quarantined.
	Quarantine(ctx context.Context, sessionID string) (*record.Quarantine, error)
	// ReleaseSession lifts a quarantine; ErrNotFound when there is none.
	ReleaseSession(ctx context.Context, sessionID string) error
	// ActiveQuarantines returns the quarantines of the sessions active
	// since since: quarantined at or after it, or with an event at or
	// after it. The most recently active come first (then by session ID),
	// at most limit of them (MaxActiveQuarantines when limit is not in
	// 1..MaxActiveQuarantines). Hooks cache this list to deny the calls of
	// quarantined sessions locally.
	ActiveQuarantines(ctx context.Context, since time.Time, limit int) ([]record.Quarantine, error)

	// SetSessionConflicts records how many evidence conflicts
	// (record.RunRecord.Conflicts) the session's run record has, as the
	// server last built it from the session's events: the store cannot
	// tell a conflict itself, so it keeps the count it is given
	// (SessionCounts.Conflicts, filter HasConflicts). A session the store
	// has not seen answers ErrNotFound.
	SetSessionConflicts(ctx context.Context, sessionID string, n int) error

	// SetReview stores a reviewer's decision on a session's run record,
	// replacing the session's earlier one, stamped at Options.Now, and
	// returns it. The session need not be known to the store. Decision
	// must be one of record.ReviewDecisions (else ErrInvalid).
	SetReview(ctx context.Context, r record.Review) (*record.Review, error)
	// Review returns the session's reviewer decision, or ErrNotFound.
	Review(ctx context.Context, sessionID string) (*record.Review, error)

	// Stats aggregates the events, sessions and metric points of the
	// filter's time range for the console's overview: per UTC day and
	// overall (Stats). The SQL stores answer from per-day rollups that
	// every append and DeleteBefore keep equal to the stored rows, so its
	// cost grows with the days of the range, not the events in it (the
	// storetest suite's StatsRollups compares the two).
	Stats(ctx context.Context, f StatsFilter) (*Stats, error)

	// PutPolicy stores a policy bundle as the current one and returns it
	// with its version. sha256 must be the hex SHA-256 of yaml (else
	// ErrInvalid). Putting the bundle that is already current (same name
	// and digest) returns it without a new version.
	PutPolicy(ctx context.Context, name string, yaml []byte, sha256 string) (*record.PolicyBundle, error)
	// CurrentPolicy returns the latest bundle, or ErrNotFound.
	CurrentPolicy(ctx context.Context) (*record.PolicyBundle, error)
	// Policies returns every stored bundle, newest version first (the
	// console's revision diff).
	Policies(ctx context.Context) ([]record.PolicyBundle, error)

	// Alerts keeps detection alerts (see Alerts).
	Alerts
	// Overlays keeps the overlays on the served policy (see Overlays).
	Overlays
	// Decisions counts Warden's decisions per rule (see Decisions).
	Decisions
	// Fleet keeps scan reports and device activity (see Fleet).
	Fleet

	// DeleteBefore enforces retention: it deletes every session whose last
	// event or point is before t, with all its events and metric points,
	// and the events and points without a session that are before t. It
	// returns how many events and points it deleted. Sessions go whole, so
	// no run record is left half-deleted; quarantines, tokens, policy
	// bundles and alerts are control state and stay (an alert's links to
	// deleted events then dangle). What Stats counts follows in the same
	// transaction.
	DeleteBefore(ctx context.Context, t time.Time) (deleted int, err error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// ProbeWrite checks that the database accepts writes: it commits a
	// write of one row kept for the purpose (a read-only file or
	// filesystem, a full disk or a read-only standby fail it while Ping
	// passes).
	ProbeWrite(ctx context.Context) error
	// Close releases the store's connections; the store must not be used
	// after.
	Close() error
}

// Page limits of ListSessions.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// SessionFilter selects sessions for ListSessions. Zero fields do not
// filter.
type SessionFilter struct {
	// Since and Until select sessions active in [Since, Until): last time
	// at or after Since and first time before Until.
	Since, Until time.Time
	UserID       string
	// Repository, Host, Tier and Team match the session summary's field
	// exactly.
	Repository, Host, Tier, Team string
	// HasDenials keeps only sessions with a Warden deny or a Claude Code
	// reject.
	HasDenials bool
	// HasAlerts keeps only sessions that some detection alert names
	// (record.Alert.SessionID), whatever its status.
	HasAlerts bool
	// HasConflicts keeps only sessions whose evidence conflicts
	// (SessionCounts.Conflicts, set by SetSessionConflicts) are not zero.
	HasConflicts bool
	// Limit is the page size: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// Cursor is a previous page's Next, opaque.
	Cursor string
}

// SessionPage is one page of ListSessions.
type SessionPage struct {
	Sessions []record.SessionSummary
	// Next is the cursor of the following page, empty on the last page.
	Next string
}

// RollupFilter selects metric points for UserRollups. Zero fields do not
// filter.
type RollupFilter struct {
	// Since and Until select points whose time is in [Since, Until).
	Since, Until time.Time
	UserID       string
}

// Options are a store's injected dependencies.
type Options struct {
	// Logger receives the store's few log lines (migrations applied);
	// nil discards them.
	Logger *slog.Logger
	// Now stamps revocations, quarantines, policy versions and applied
	// migrations; nil means the system clock.
	Now func() time.Time
}

// WithDefaults returns o with nil fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
