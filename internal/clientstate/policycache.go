package clientstate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/atomicfile"
	"github.com/wardenhq/warden/internal/policy"
)

// Files of a PolicyCache, in its directory.
const (
	// PolicyCacheYAML is the policy document exactly as the server served
	// it, for people and for `warden policy check`.
	PolicyCacheYAML = "policy-cache.yaml"
	// PolicyCacheJSON is the same policy decoded and validated, with the
	// server, ETag and digest it came with: the file the hook reads.
	PolicyCacheJSON = "policy-cache.json"
)

// policyCacheFormat versions PolicyCacheJSON; a file of another format is
// treated as no cache.
const policyCacheFormat = 1

// ErrNoPolicyCache is returned (wrapped) by PolicyCache.Load when there is
// no cached policy for the server asked about.
var ErrNoPolicyCache = errors.New("no cached server policy")

// ErrPolicyDigest is returned (wrapped) by PolicyCache.Store when the
// policy's SHA-256 is not the digest the server announced.
var ErrPolicyDigest = errors.New("policy digest mismatch")

// CachedPolicy is a server's policy as kept in PolicyCacheJSON: the
// decoded Policy, so that a hook call pays a JSON decode (about a tenth of
// parsing the YAML) instead of the YAML parse and validation, which ran
// once, when the policy was stored.
type CachedPolicy struct {
	Format int `json:"format"`
	// Server is the normalised base URL the policy came from; the cache
	// of one server is never used for another.
	Server string `json:"server"`
	// ETag is the server's entity tag, sent back as If-None-Match.
	ETag string `json:"etag,omitempty"`
	// SHA256 is the hex SHA-256 of the YAML document.
	SHA256    string         `json:"sha256"`
	FetchedAt time.Time      `json:"fetched_at"`
	Policy    *policy.Policy `json:"policy"`
}

// PolicyCache is the local copy of a Warden server's policy in Dir
// (normally the state directory, Dir). The shipper stores it after validating it
// (Store); the hook loads it on every call (Load). Both files are replaced
// by rename, so a reader sees a whole old or a whole new policy.
type PolicyCache struct {
	Dir string
}

// YAMLPath is the path of the cached policy document.
func (c PolicyCache) YAMLPath() string { return filepath.Join(c.Dir, PolicyCacheYAML) }

// JSONPath is the path of the cached, decoded policy the hook reads.
func (c PolicyCache) JSONPath() string { return filepath.Join(c.Dir, PolicyCacheJSON) }

// Load returns the cached policy of server. It returns an error wrapping
// ErrNoPolicyCache when nothing is cached, when the cache is another
// server's or of another format; any other error means the cache is there
// but unreadable or corrupt.
func (c PolicyCache) Load(server string) (*CachedPolicy, error) {
	if c.Dir == "" {
		return nil, fmt.Errorf("%w: no state directory", ErrNoPolicyCache)
	}
	path := c.JSONPath()
	data, err := readBounded(path, 2*policy.MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoPolicyCache, c.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read policy cache: %w", err)
	}
	var cp CachedPolicy
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("decode policy cache %s: %w", path, err)
	}
	if cp.Format != policyCacheFormat {
		return nil, fmt.Errorf("%w: %s has format %d, want %d", ErrNoPolicyCache, path, cp.Format, policyCacheFormat)
	}
	if cp.Server != ServerURL(server) {
		return nil, fmt.Errorf("%w for %s (%s holds %s's)", ErrNoPolicyCache, ServerURL(server), path, cp.Server)
	}
	if cp.Policy == nil || cp.Policy.Name == "" {
		return nil, fmt.Errorf("decode policy cache %s: no policy", path)
	}
	cp.Policy.File = c.YAMLPath()
	return &cp, nil
}

// Store validates a policy document fetched from server with parse
// (policyfile.Parse: this package, which the hook links, parses no YAML)
// and, only when it is valid and its SHA-256 is sha (hex; empty skips the
// check), replaces the cache with it: first the YAML, then the decoded
// JSON the hook reads. A policy that fails either check never replaces
// the cache.
func (c PolicyCache) Store(parse func(name string, doc []byte) (*policy.Policy, error), server, etag, sha string, doc []byte, now time.Time) (*CachedPolicy, error) {
	if c.Dir == "" {
		return nil, errors.New("store policy cache: no state directory")
	}
	sum := sha256.Sum256(doc)
	got := hex.EncodeToString(sum[:])
	if sha != "" && !strings.EqualFold(sha, got) {
		return nil, fmt.Errorf("%w: the server announced %s, the document is %s", ErrPolicyDigest, sha, got)
	}
	p, err := parse(ServerURL(server)+"/v1/policy", doc)
	if err != nil {
		return nil, fmt.Errorf("server policy is invalid: %w", err)
	}
	cp := &CachedPolicy{
		Format:    policyCacheFormat,
		Server:    ServerURL(server),
		ETag:      etag,
		SHA256:    got,
		FetchedAt: now.UTC(),
		Policy:    p,
	}
	data, err := json.Marshal(cp)
	if err != nil {
		return nil, fmt.Errorf("encode policy cache: %w", err)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("store policy cache: %w", err)
	}
	if err := atomicfile.WriteFile(c.YAMLPath(), doc, 0o600); err != nil {
		return nil, fmt.Errorf("store policy cache: %w", err)
	}
	if err := atomicfile.WriteFile(c.JSONPath(), append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("store policy cache: %w", err)
	}
	p.File = c.YAMLPath()
	return cp, nil
}

// readBounded reads the file at path, failing when it is larger than max.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}
