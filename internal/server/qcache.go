package server

import (
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// quarantineTTL bounds how long a session's quarantine state is trusted
// without asking the store: a quarantine or release made through another
// replica takes effect here within it. Through this server it takes
// effect at once.
const quarantineTTL = time.Second

// quarantineCacheMax bounds the cache; past it the cache starts over.
const quarantineCacheMax = 100_000

// quarantineCache remembers, per session, whether it is quarantined (nil
// when not), so that a stream of decisions costs one store read per
// session and second instead of one each.
type quarantineCache struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]quarantineEntry
}

type quarantineEntry struct {
	q       *record.Quarantine
	expires time.Time
}

func newQuarantineCache(now func() time.Time) *quarantineCache {
	return &quarantineCache{now: now, m: map[string]quarantineEntry{}}
}

// get returns the cached state of session and whether there is one.
func (c *quarantineCache) get(session string) (*record.Quarantine, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[session]
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.q, true
}

// put caches the state of session: q, or nil for not quarantined.
func (c *quarantineCache) put(session string, q *record.Quarantine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= quarantineCacheMax {
		clear(c.m)
	}
	c.m[session] = quarantineEntry{q: q, expires: c.now().Add(quarantineTTL)}
}

// forget drops session, after this server changed its quarantine.
func (c *quarantineCache) forget(session string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, session)
}
