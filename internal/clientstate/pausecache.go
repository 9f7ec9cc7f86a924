package clientstate

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden/internal/atomicfile"
	"github.com/wardenhq/warden/internal/record"
)

// PauseCacheJSON is the file of a PauseCache, in its directory: the
// server's signed pause list exactly as served (record.SignedPauseV1).
const PauseCacheJSON = "pause-cache.json"

// ErrNoPauseCache is returned (wrapped) by PauseCache.Load when no pause
// list is cached: the usual case, as the shipper keeps the file only
// while a pause is in force.
var ErrNoPauseCache = errors.New("no cached pause list")

// ErrNoServerKey is returned (wrapped) when the machine has no pinned
// server pause key to verify a pause list with (not enrolled, or enrolled
// with a server that gave none).
var ErrNoServerKey = errors.New("no pinned server key (warden enroll)")

// PauseCache is the local copy of a Warden server's signed list of
// pauses in Dir (the state directory). The shipper replaces it on each
// policy refresh after verifying it, and removes it when no pause is in
// force (Store); the hook reads it only when it is there, and verifies
// it again with the pinned server key before honouring a pause (Load),
// because anyone with the user's rights could have written the file.
type PauseCache struct {
	Dir string
}

// Path is the path of the cached list.
func (c PauseCache) Path() string { return filepath.Join(c.Dir, PauseCacheJSON) }

// Load reads the cached list and verifies it with pub. It returns an
// error wrapping ErrNoPauseCache when there is none; record.ErrPauseSignature
// or record.ErrPauseMalformed when the file is not a list pub signed.
func (c PauseCache) Load(pub ed25519.PublicKey) (*record.PauseListV1, error) {
	if c.Dir == "" {
		return nil, fmt.Errorf("%w: no state directory", ErrNoPauseCache)
	}
	data, err := readBounded(c.Path(), record.MaxSignedPauseBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoPauseCache, c.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read pause cache: %w", err)
	}
	list, err := record.VerifyPauses(pub, data)
	if err != nil {
		return nil, fmt.Errorf("pause cache %s: %w", c.Path(), err)
	}
	return list, nil
}

// Store verifies a signed list fetched from the server with pub and,
// only when it verifies, replaces the cache with it, or removes the cache
// when the list holds no pause. A list that does not verify changes
// nothing and is an error.
func (c PauseCache) Store(pub ed25519.PublicKey, data []byte) (*record.PauseListV1, error) {
	if c.Dir == "" {
		return nil, errors.New("store pause cache: no state directory")
	}
	list, err := record.VerifyPauses(pub, data)
	if err != nil {
		return nil, fmt.Errorf("pause list from the server: %w", err)
	}
	if len(list.Pauses) == 0 {
		return list, c.Remove()
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("store pause cache: %w", err)
	}
	if err := atomicfile.WriteFile(c.Path(), data, 0o600); err != nil {
		return nil, fmt.Errorf("store pause cache: %w", err)
	}
	return list, nil
}

// Remove removes the cache; no cache is no error.
func (c PauseCache) Remove() error {
	if err := os.Remove(c.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove pause cache: %w", err)
	}
	return nil
}

// ServerKey returns the server pause key pinned in dir's device file at
// enrollment and the server it belongs to. It reads only the device file
// (not the private key). It returns an error wrapping ErrNoServerKey when
// the machine is not enrolled or has no key pinned.
func ServerKey(dir string) (pub ed25519.PublicKey, server string, err error) {
	_, devPath, _ := DevicePaths(dir)
	b, err := readBounded(devPath, 64<<10)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: %s", ErrNoServerKey, ErrNotEnrolled)
	}
	if err != nil {
		return nil, "", fmt.Errorf("device file: %w", err)
	}
	var f DeviceFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, "", fmt.Errorf("device file %s: %w", devPath, err)
	}
	if f.ServerKey == "" {
		return nil, "", fmt.Errorf("%w in %s; enroll again with a server that signs pauses", ErrNoServerKey, devPath)
	}
	key, err := base64.StdEncoding.DecodeString(f.ServerKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, "", fmt.Errorf("device file %s: server_key is not a base64 Ed25519 public key", devPath)
	}
	return ed25519.PublicKey(key), f.Server, nil
}
