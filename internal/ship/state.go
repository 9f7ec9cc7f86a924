package ship

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/wardenhq/warden/internal/atomicfile"
)

// stateVersion versions the state file; a file of another version is
// ignored (the spool is shipped again from the start, which the server's
// deduplication absorbs).
const stateVersion = 1

// FileState is what the shipper knows of one spool file, persisted between
// runs. Offsets are in bytes and always at a line boundary.
type FileState struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
	// Head is a digest of the file's first line: it tells this file from a
	// later one that got the same inode number. Empty until the file has a
	// complete line (and then Scanned is 0, so nothing can be skipped).
	Head string `json:"head,omitempty"`
	// Scanned is how far lines were counted; Lines counts those before it.
	Scanned int64 `json:"scanned"`
	Lines   int64 `json:"lines"`
	// Shipped is how far the server acknowledged delivery with a 200;
	// ShippedLines counts the lines before it.
	Shipped      int64 `json:"shipped"`
	ShippedLines int64 `json:"shipped_lines"`
}

// Pending is the number of counted lines not yet delivered.
func (f FileState) Pending() int64 { return f.Lines - f.ShippedLines }

// State is the shipper's persistent state for one spool.
type State struct {
	Version int `json:"version"`
	// Files are the spool files being shipped, oldest first: the rotated
	// file (spool.1), then the current one.
	Files []FileState `json:"files"`

	// Delivered counts events acknowledged by the server; Accepted,
	// Duplicates and Rejected are the server's own counts of them.
	Delivered  int64 `json:"delivered"`
	Accepted   int64 `json:"accepted"`
	Duplicates int64 `json:"duplicates"`
	Rejected   int64 `json:"rejected"`
	// Skipped counts lines never sent: longer than the line limit.
	Skipped int64 `json:"skipped"`
	// Drops counts events rotation deleted before they were shipped. It is
	// sent with every batch as the X-Warden-Spool-Drops header.
	Drops int64 `json:"drops"`

	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
	// Failures counts consecutive failed deliveries; NextAttempt is when
	// the backoff they earned ends.
	Failures    int       `json:"failures,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`

	// Policy refresh: the last check, its error, and when the next is due.
	PolicyCheckedAt time.Time `json:"policy_checked_at,omitzero"`
	PolicyError     string    `json:"policy_error,omitempty"`
	PolicyFailures  int       `json:"policy_failures,omitempty"`
	PolicyNextCheck time.Time `json:"policy_next_check,omitzero"`
}

// LoadState reads the state file at path. A missing file, or one of
// another version, is a fresh state; a corrupt one is an error.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: stateVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read shipper state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode shipper state %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return &State{Version: stateVersion}, nil
	}
	return &st, nil
}

// save writes the state to path atomically.
func (st *State) save(path string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode shipper state: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save shipper state: %w", err)
	}
	return nil
}
