package clientstate

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
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
	"github.com/wardenhq/warden/internal/record"
)

// The device identity warden enroll gives a machine, kept in the per-user
// state directory (Dir) beside the spool:
//
//	device.key    the Ed25519 private key (0600); the baseline policy
//	              denies the agent reading or writing it with any tool
//	device.json   the device ID, name, server and public key (0600)
//	device.chain  the signing chain's head (last seq and hash), which
//	              doubles as the lock every hook process holds while it
//	              signs and appends, so parallel calls cannot fork it
const (
	DeviceKeyName   = "device.key"
	DeviceFileName  = "device.json"
	DeviceChainName = "device.chain"
)

// SchemaDeviceKeyV1 tags a device key file.
const SchemaDeviceKeyV1 = "warden.device_key.v1"

// DeviceKeyFile is the content of device.key.
type DeviceKeyFile struct {
	Schema string `json:"schema"`
	// Seed is the Ed25519 private key's 32-byte seed, base64.
	Seed string `json:"seed"`
}

// DeviceFile is the content of device.json.
type DeviceFile struct {
	DeviceID   string    `json:"device_id"`
	Name       string    `json:"name"`
	Server     string    `json:"server"`
	PublicKey  string    `json:"public_key"` // base64
	EnrolledAt time.Time `json:"enrolled_at"`
	// ServerKey is the server's pause signing key (Ed25519 public key,
	// base64) as the server answered at enrollment: the hook honours
	// only pauses signed with it (PauseCache). Empty when the server
	// gave none: no pause is honoured.
	ServerKey string `json:"server_key,omitempty"`
}

// Device is an enrolled machine's identity as the hook uses it.
type Device struct {
	DeviceFile
	Key ed25519.PrivateKey
	// Dir is the state directory holding its files.
	Dir string
}

// DevicePaths returns the key, device and chain file paths in dir.
func DevicePaths(dir string) (key, device, chain string) {
	return filepath.Join(dir, DeviceKeyName), filepath.Join(dir, DeviceFileName), filepath.Join(dir, DeviceChainName)
}

// ErrNotEnrolled is LoadDevice's error when dir holds no device identity.
var ErrNotEnrolled = errors.New("this machine is not enrolled (warden enroll)")

// MayBeEnrolled reports whether dir holds either file of a device
// identity, with two stat calls: false means LoadDevice would return
// ErrNotEnrolled, so a caller can skip loading it in the background.
func MayBeEnrolled(dir string) bool {
	keyPath, devPath, _ := DevicePaths(dir)
	for _, p := range []string{devPath, keyPath} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}

// LoadDevice reads the device identity in dir. Neither file there is
// ErrNotEnrolled; one without the other, a key that does not match the
// public key, or a file that does not parse is an error naming the file.
func LoadDevice(dir string) (*Device, error) {
	keyPath, devPath, _ := DevicePaths(dir)
	db, derr := os.ReadFile(devPath)
	kb, kerr := os.ReadFile(keyPath)
	switch {
	case errors.Is(derr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist):
		return nil, ErrNotEnrolled
	case derr != nil:
		return nil, fmt.Errorf("device file: %w", derr)
	case kerr != nil:
		return nil, fmt.Errorf("device key: %w", kerr)
	}
	d := &Device{Dir: dir}
	if err := json.Unmarshal(db, &d.DeviceFile); err != nil {
		return nil, fmt.Errorf("device file %s: %w", devPath, err)
	}
	if !record.ValidDeviceID(d.DeviceID) {
		return nil, fmt.Errorf("device file %s: invalid device_id %q", devPath, record.Truncate(d.DeviceID, 80))
	}
	key, err := parseDeviceKey(kb)
	if err != nil {
		return nil, fmt.Errorf("device key %s: %w", keyPath, err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if base64.StdEncoding.EncodeToString(pub) != d.PublicKey {
		return nil, fmt.Errorf("device key %s does not match the public key in %s; run warden enroll --force", keyPath, devPath)
	}
	d.Key = key
	return d, nil
}

func parseDeviceKey(b []byte) (ed25519.PrivateKey, error) {
	var f DeviceKeyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.Schema != SchemaDeviceKeyV1 {
		return nil, fmt.Errorf("schema %q, want %q", record.Truncate(f.Schema, 64), SchemaDeviceKeyV1)
	}
	seed, err := base64.StdEncoding.DecodeString(f.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("seed is not a base64 Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// NewDeviceKey generates a device key from rnd (crypto/rand when nil).
func NewDeviceKey(rnd io.Reader) (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("generate device key: %w", err)
	}
	return key, nil
}

// SaveDevice writes the device identity into dir (created 0700): key and
// device files 0600, each atomically, the key first and the device file
// last, so that the hook, which needs both to sign, never pairs a new key
// with an old device; the old chain head is removed, as the new device's
// chain starts at 1.
func SaveDevice(dir string, key ed25519.PrivateKey, f DeviceFile) error {
	if !record.ValidDeviceID(f.DeviceID) {
		return fmt.Errorf("save device: invalid device ID %q", record.Truncate(f.DeviceID, 80))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save device: %w", err)
	}
	keyPath, devPath, chainPath := DevicePaths(dir)
	f.PublicKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	kb, err := json.Marshal(DeviceKeyFile{Schema: SchemaDeviceKeyV1, Seed: base64.StdEncoding.EncodeToString(key.Seed())})
	if err != nil {
		return fmt.Errorf("save device: %w", err)
	}
	db, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save device: %w", err)
	}
	// A device file left from before would pair with the new key for a
	// moment: remove it first.
	if err := os.Remove(devPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("save device: %w", err)
	}
	if err := atomicfile.WriteFile(keyPath, append(kb, '\n'), 0o600); err != nil {
		return fmt.Errorf("save device key: %w", err)
	}
	if err := os.Remove(chainPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("save device: reset chain: %w", err)
	}
	if err := atomicfile.WriteFile(devPath, append(db, '\n'), 0o600); err != nil {
		return fmt.Errorf("save device file: %w", err)
	}
	return nil
}

// chainState is the content of device.chain: the head of the device's
// signing chain.
type chainState struct {
	DeviceID string `json:"device_id"`
	Seq      uint64 `json:"seq"`
	Hash     string `json:"hash"`
}

// SigningSpool is a Spool whose events are signed by an enrolled device
// and chained: each line is a record.SignedAuditV1 whose Prev is the hash
// of the device's previous event. The chain head is read and advanced in
// device.chain under an exclusive lock held across the append, so hook
// processes running in parallel take consecutive sequence numbers and
// never sign two events after the same one.
type SigningSpool struct {
	Spool  *Spool
	Device *Device
	// LockTimeout bounds the wait for the chain lock (1 s when zero).
	// Past it the events are appended unsigned, with an error: losing
	// evidence is worse than evidence the server marks unverified.
	LockTimeout time.Duration
}

// Append signs and appends events.
func (s *SigningSpool) Append(events ...record.AuditEventV1) error {
	if len(events) == 0 {
		return nil
	}
	_, _, chainPath := DevicePaths(s.Device.Dir)
	f, err := lockChain(chainPath, s.lockTimeout())
	if err != nil {
		if aerr := s.Spool.Append(events...); aerr != nil {
			return fmt.Errorf("lock signing chain: %w; append unsigned: %w", err, aerr)
		}
		return fmt.Errorf("lock signing chain (events appended unsigned): %w", err)
	}
	defer f.Close() // releases the lock
	st := readChain(f)
	if st.DeviceID != s.Device.DeviceID {
		st = chainState{DeviceID: s.Device.DeviceID}
	}
	// The spool is written before the chain head: a hook killed between
	// the two (Claude Code's timeout, a crash) leaves the head behind the
	// spool's last event, which would then be signed again at the same
	// seq, a fork. The spool's last line corrects it.
	if t, ok := spoolTail(s.Spool.Path); ok && t.DeviceID == st.DeviceID && t.Seq > st.Seq {
		st = t
	}
	lines := make([][]byte, len(events))
	for i := range events {
		line, hash, err := record.SignAudit(s.Device.Key, st.DeviceID, st.Seq+1, st.Hash, &events[i])
		if err != nil {
			return err
		}
		lines[i] = append(line, '\n')
		st.Seq, st.Hash = st.Seq+1, hash
	}
	if err := s.Spool.appendLines(lines); err != nil {
		return err
	}
	if err := writeChain(f, st); err != nil {
		return fmt.Errorf("advance signing chain %s (events were appended): %w", chainPath, err)
	}
	return nil
}

func (s *SigningSpool) lockTimeout() time.Duration {
	if s.LockTimeout > 0 {
		return s.LockTimeout
	}
	return time.Second
}

// tailBytes bounds how much of the spool's end spoolTail reads: more than
// any line the hook writes.
const tailBytes = 32 << 10

// spoolTail returns the chain position of the spool's last line when it
// is a signed envelope.
func spoolTail(path string) (chainState, bool) {
	f, err := os.Open(path)
	if err != nil {
		return chainState{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return chainState{}, false
	}
	off := max(fi.Size()-tailBytes, 0)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return chainState{}, false
	}
	buf = bytes.TrimRight(buf, "\n")
	line := buf[bytes.LastIndexByte(buf, '\n')+1:]
	if !record.IsSignedAudit(line) {
		return chainState{}, false
	}
	env, msg, err := record.DecodeSignedAudit(line)
	if err != nil {
		return chainState{}, false
	}
	return chainState{DeviceID: env.DeviceID, Seq: env.Seq, Hash: record.EventHash(msg)}, true
}

// readChain reads the chain head from the locked file; an empty or
// damaged file reads as no head (the chain restarts at 1, which the
// server reports as a fork rather than accepting silently).
func readChain(f *os.File) chainState {
	var st chainState
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil || json.Unmarshal([]byte(strings.TrimSpace(string(b))), &st) != nil {
		return chainState{}
	}
	return st
}

// writeChain replaces the locked file's content with st. The record is
// far smaller than a disk sector; it is not synced, like the spool lines
// it describes.
func writeChain(f *os.File, st chainState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(b)))
}
