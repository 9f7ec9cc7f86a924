package clientstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden/internal/atomicfile"
	"github.com/wardenhq/warden/internal/record"
)

// QuarantineCacheJSON is the file of a QuarantineCache, in its directory.
const QuarantineCacheJSON = "quarantine-cache.json"

// quarantineCacheFormat versions QuarantineCacheJSON; a file of another
// format is treated as no cache.
const quarantineCacheFormat = 1

// MaxQuarantineCacheBytes bounds QuarantineCacheJSON: the server's list
// is bounded (1000 sessions, reasons of 256 bytes), and the hook reads
// the file on every call.
const MaxQuarantineCacheBytes = 1 << 20

// ErrNoQuarantineCache is returned (wrapped) by QuarantineCache.Load when
// there is no cached list for the server asked about.
var ErrNoQuarantineCache = errors.New("no cached quarantine list")

// CachedQuarantines is a server's list of quarantined sessions as kept
// in QuarantineCacheJSON.
type CachedQuarantines struct {
	Format int `json:"format"`
	// Server is the normalised base URL the list came from; the list of
	// one server is never used for another.
	Server    string                  `json:"server"`
	FetchedAt time.Time               `json:"fetched_at"`
	List      record.QuarantineListV1 `json:"list"`
}

// Lookup returns the quarantine of session, or nil when the list does
// not name it.
func (c *CachedQuarantines) Lookup(session string) *record.Quarantine {
	if c == nil || session == "" {
		return nil
	}
	for i := range c.List.Sessions {
		if c.List.Sessions[i].SessionID == session {
			q := c.List.Sessions[i]
			return &q
		}
	}
	return nil
}

// QuarantineCache is the local copy of a Warden server's quarantine list
// in Dir (the state directory): the shipper replaces it on each policy
// refresh (Store); the hook reads it on every call (Load) and denies the
// calls of a listed session. It is replaced by rename, so a reader sees a
// whole old or a whole new list.
type QuarantineCache struct {
	Dir string
}

// Path is the path of the cached list.
func (c QuarantineCache) Path() string { return filepath.Join(c.Dir, QuarantineCacheJSON) }

// Load returns the cached list of server. It returns an error wrapping
// ErrNoQuarantineCache when nothing is cached, or the cache is another
// server's or of another format; any other error means the cache is
// there but unreadable or corrupt.
func (c QuarantineCache) Load(server string) (*CachedQuarantines, error) {
	if c.Dir == "" {
		return nil, fmt.Errorf("%w: no state directory", ErrNoQuarantineCache)
	}
	data, err := readBounded(c.Path(), MaxQuarantineCacheBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoQuarantineCache, c.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read quarantine cache: %w", err)
	}
	var cq CachedQuarantines
	if err := json.Unmarshal(data, &cq); err != nil {
		return nil, fmt.Errorf("decode quarantine cache %s: %w", c.Path(), err)
	}
	if cq.Format != quarantineCacheFormat {
		return nil, fmt.Errorf("%w: %s has format %d, want %d", ErrNoQuarantineCache, c.Path(), cq.Format, quarantineCacheFormat)
	}
	if cq.Server != ServerURL(server) {
		return nil, fmt.Errorf("%w for %s (%s holds %s's)", ErrNoQuarantineCache, ServerURL(server), c.Path(), cq.Server)
	}
	return &cq, nil
}

// Store validates a list fetched from server and replaces the cache with
// it. A list that is not of SchemaQuarantineListV1, or names a session
// with no ID, never replaces the cache.
func (c QuarantineCache) Store(server string, list record.QuarantineListV1, now time.Time) error {
	if c.Dir == "" {
		return errors.New("store quarantine cache: no state directory")
	}
	if list.Schema != record.SchemaQuarantineListV1 {
		return fmt.Errorf("quarantine list from %s has schema %q, want %q", ServerURL(server), list.Schema, record.SchemaQuarantineListV1)
	}
	for _, q := range list.Sessions {
		if q.SessionID == "" {
			return fmt.Errorf("quarantine list from %s names a session without an ID", ServerURL(server))
		}
	}
	if list.Sessions == nil {
		list.Sessions = []record.Quarantine{}
	}
	data, err := json.Marshal(CachedQuarantines{Format: quarantineCacheFormat, Server: ServerURL(server), FetchedAt: now.UTC(), List: list})
	if err != nil {
		return fmt.Errorf("encode quarantine cache: %w", err)
	}
	if len(data) > MaxQuarantineCacheBytes {
		return fmt.Errorf("quarantine list from %s is %d bytes encoded, more than %d", ServerURL(server), len(data), MaxQuarantineCacheBytes)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("store quarantine cache: %w", err)
	}
	if err := atomicfile.WriteFile(c.Path(), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("store quarantine cache: %w", err)
	}
	return nil
}
