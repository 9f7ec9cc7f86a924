package ship

import (
	"errors"
	"os"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/shiplaunch"
)

// Status is what `warden spool status` reports about one spool.
type Status struct {
	Spool  string `json:"spool"`
	Server string `json:"server,omitempty"`
	// Running says whether a shipper holds the spool's lock, PID which.
	Running bool `json:"running"`
	PID     int  `json:"pid,omitempty"`
	// Pending counts events in the spool not yet delivered; PendingBytes
	// their size.
	Pending      int64 `json:"pending"`
	PendingBytes int64 `json:"pending_bytes"`
	// Drops counts events rotation deleted before they were shipped,
	// including any deletion the next shipper run will count.
	Drops      int64 `json:"drops"`
	Delivered  int64 `json:"delivered"`
	Accepted   int64 `json:"accepted"`
	Duplicates int64 `json:"duplicates"`
	Rejected   int64 `json:"rejected"`
	Skipped    int64 `json:"skipped"`

	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
	Failures      int       `json:"failures,omitempty"`
	NextAttempt   time.Time `json:"next_attempt,omitzero"`

	Policy      *PolicyStatus      `json:"policy,omitempty"`
	Quarantines *QuarantinesStatus `json:"quarantines,omitempty"`
	Pauses      *PausesStatus      `json:"pauses,omitempty"`
}

// PausesStatus describes the cached signed list of pauses of Warden's
// decisions, as the hook would judge it.
type PausesStatus struct {
	Cached bool `json:"cached"`
	// Pauses are the pauses the list holds, in force or not, when it
	// verifies with the pinned server key.
	Pauses []record.Pause `json:"pauses,omitempty"`
	// Error is why the hook would ignore the cached list (no pinned key,
	// a signature that does not verify).
	Error string `json:"error,omitempty"`
}

// QuarantinesStatus describes the cached list of quarantined sessions
// the hook denies.
type QuarantinesStatus struct {
	Cached    bool      `json:"cached"`
	Sessions  int       `json:"sessions"`
	Truncated bool      `json:"truncated,omitempty"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	// LoadError is why the cached list cannot be read: the hook then
	// denies no session locally until the next refresh replaces it.
	LoadError string `json:"load_error,omitempty"`
}

// PolicyStatus describes the policy cache.
type PolicyStatus struct {
	Dir           string    `json:"dir"`
	Cached        bool      `json:"cached"`
	Name          string    `json:"name,omitempty"`
	Revision      string    `json:"revision,omitempty"`
	SHA256        string    `json:"sha256,omitempty"`
	FetchedAt     time.Time `json:"fetched_at,omitzero"`
	CheckedAt     time.Time `json:"checked_at,omitzero"`
	Error         string    `json:"error,omitempty"`
	LastLoadError string    `json:"load_error,omitempty"`
}

// ReadStatus reports on spool without changing anything: it counts the
// undelivered lines of the spool files from the persisted offsets. With
// stateDir and server set it also describes the policy cache.
func ReadStatus(spool, stateDir, server string) (*Status, error) {
	st, err := LoadState(shiplaunch.StatePath(spool))
	if err != nil {
		return nil, err
	}
	s := &Status{
		Spool:         spool,
		Server:        clientstate.ServerURL(server),
		Drops:         st.Drops,
		Delivered:     st.Delivered,
		Accepted:      st.Accepted,
		Duplicates:    st.Duplicates,
		Rejected:      st.Rejected,
		Skipped:       st.Skipped,
		LastSuccess:   st.LastSuccess,
		LastError:     st.LastError,
		LastErrorTime: st.LastErrorTime,
		Failures:      st.Failures,
		NextAttempt:   st.NextAttempt,
	}
	if s.Running, s.PID, err = shiplaunch.Holder(shiplaunch.LockPath(spool)); err != nil {
		return nil, err
	}
	t := newTracker(spool, st.Files)
	defer t.close()
	drops, _, err := t.sync()
	if err != nil {
		return nil, err
	}
	s.Drops += drops
	s.Pending, s.PendingBytes = t.pending()

	if stateDir != "" && server != "" {
		ps := &PolicyStatus{Dir: stateDir, CheckedAt: st.PolicyCheckedAt, Error: st.PolicyError}
		cp, err := clientstate.PolicyCache{Dir: stateDir}.Load(server)
		switch {
		case err == nil:
			ps.Cached = true
			ps.Name, ps.Revision = cp.Policy.Name, cp.Policy.Revision
			ps.SHA256, ps.FetchedAt = cp.SHA256, cp.FetchedAt
		case !errors.Is(err, clientstate.ErrNoPolicyCache):
			ps.LastLoadError = err.Error()
		}
		s.Policy = ps
		qs := &QuarantinesStatus{}
		cq, err := clientstate.QuarantineCache{Dir: stateDir}.Load(server)
		switch {
		case err == nil:
			qs.Cached, qs.Sessions, qs.Truncated, qs.FetchedAt = true, len(cq.List.Sessions), cq.List.Truncated, cq.FetchedAt
		case !errors.Is(err, clientstate.ErrNoQuarantineCache):
			qs.LoadError = err.Error()
		}
		s.Quarantines = qs
		s.Pauses = pausesStatus(stateDir)
	}
	return s, nil
}

// pausesStatus verifies the cached pause list as the hook does.
func pausesStatus(dir string) *PausesStatus {
	cache := clientstate.PauseCache{Dir: dir}
	if _, err := os.Lstat(cache.Path()); err != nil {
		return &PausesStatus{}
	}
	ps := &PausesStatus{Cached: true}
	pub, _, err := clientstate.ServerKey(dir)
	if err != nil {
		ps.Error = err.Error()
		return ps
	}
	l, err := cache.Load(pub)
	if err != nil {
		ps.Error = err.Error()
		return ps
	}
	ps.Pauses = l.Pauses
	return ps
}
