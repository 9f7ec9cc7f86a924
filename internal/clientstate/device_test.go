package clientstate

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

func mustEnroll(t *testing.T, dir, id string) *Device {
	t.Helper()
	key, err := NewDeviceKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveDevice(dir, key, DeviceFile{DeviceID: id, Name: "devbox", Server: "https://w.example"}); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDevice(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadDevice(t *testing.T) {
	t.Run("ErrNotEnrolled", func(t *testing.T) {
		if _, err := LoadDevice(t.TempDir()); !errors.Is(err, ErrNotEnrolled) {
			t.Errorf("err %v, want ErrNotEnrolled", err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		d := mustEnroll(t, dir, "dev_0a")
		if d.DeviceID != "dev_0a" || d.Name != "devbox" || len(d.Key) != ed25519.PrivateKeySize {
			t.Errorf("device %+v", d.DeviceFile)
		}
		keyPath, devPath, _ := DevicePaths(dir)
		for _, p := range []string{keyPath, devPath} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v (%v), want 0600", p, fi.Mode().Perm(), err)
			}
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("state dir mode %v (%v), want 0700", fi.Mode().Perm(), err)
		}
	})
	for name, tc := range map[string]struct {
		edit func(dir string)
		want string
	}{
		"KeyMissing":    {func(dir string) { os.Remove(filepath.Join(dir, DeviceKeyName)) }, "device key"},
		"DeviceMissing": {func(dir string) { os.Remove(filepath.Join(dir, DeviceFileName)) }, "device file"},
		"OtherKey": {func(dir string) {
			// Another enrollment's key beside this device file.
			other := t.TempDir()
			mustEnroll(t, other, "dev_0b")
			kb, _ := os.ReadFile(filepath.Join(other, DeviceKeyName))
			os.WriteFile(filepath.Join(dir, DeviceKeyName), kb, 0o600)
		}, "does not match"},
		"BadSeed": {func(dir string) {
			os.WriteFile(filepath.Join(dir, DeviceKeyName), []byte(`{"schema":"warden.device_key.v1","seed":"AAAA"}`), 0o600)
		}, "seed"},
		"BadID": {func(dir string) {
			os.WriteFile(filepath.Join(dir, DeviceFileName), []byte(`{"device_id":"../x"}`), 0o600)
		}, "invalid device_id"},
		"NotJSON": {func(dir string) { os.WriteFile(filepath.Join(dir, DeviceFileName), []byte(`{`), 0o600) }, "device file"},
		"OldKeyV0": {func(dir string) {
			os.WriteFile(filepath.Join(dir, DeviceKeyName), []byte(`{"schema":"v0","seed":""}`), 0o600)
		}, "schema"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mustEnroll(t, dir, "dev_0a")
			tc.edit(dir)
			_, err := LoadDevice(dir)
			if err == nil || errors.Is(err, ErrNotEnrolled) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// readChain decodes a spool of signed lines and checks that they form one
// chain from seq 1 with every signature valid.
func checkChain(t *testing.T, spool string, d *Device) int {
	t.Helper()
	f, err := os.Open(spool)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pub := d.Key.Public().(ed25519.PublicKey)
	prev, n := "", 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		env, msg, err := record.DecodeSignedAudit(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		if env.Seq != uint64(n) || env.Prev != prev || env.DeviceID != d.DeviceID || !env.Verify(pub, msg) {
			t.Fatalf("line %d: seq %d prev %.8s (want %d, %.8s), verifies %v", n, env.Seq, env.Prev, n, prev, env.Verify(pub, msg))
		}
		prev = record.EventHash(msg)
	}
	return n
}

// TestSigningSpool_Parallel: hook processes appending at once (each with
// its own descriptors, as separate processes have) take consecutive
// places in one chain: no fork, no gap.
func TestSigningSpool_Parallel(t *testing.T) {
	dir := t.TempDir()
	d := mustEnroll(t, dir, "dev_0a")
	spool := filepath.Join(dir, "audit.jsonl")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				dev, err := LoadDevice(dir)
				if err != nil {
					errs <- err
					return
				}
				s := &SigningSpool{Spool: &Spool{Path: spool}, Device: dev, LockTimeout: 30 * time.Second}
				ev := record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: string(rune('a'+w)) + strings.Repeat("0", i),
					HookEvent: "PreToolUse", Decision: record.DecisionAllow}
				if err := s.Append(ev); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := checkChain(t, spool, d); n != writers*each {
		t.Errorf("%d events in the chain, want %d", n, writers*each)
	}
}

func TestSigningSpool_Batch(t *testing.T) {
	dir := t.TempDir()
	d := mustEnroll(t, dir, "dev_0a")
	spool := filepath.Join(dir, "audit.jsonl")
	s := &SigningSpool{Spool: &Spool{Path: spool}, Device: d}
	evs := []record.AuditEventV1{{Schema: record.SchemaAuditV1, EventID: "1", HookEvent: "PreToolUse", Decision: "deny"},
		{Schema: record.SchemaAuditV1, EventID: "2", HookEvent: "PostToolUse", Decision: "none"}}
	if err := s.Append(evs...); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(evs[0]); err != nil {
		t.Fatal(err)
	}
	if n := checkChain(t, spool, d); n != 3 {
		t.Errorf("chain of %d, want 3", n)
	}
	// Re-enrolled: the new device's chain starts again at 1.
	d2 := mustEnroll(t, dir, "dev_0b")
	spool2 := filepath.Join(dir, "audit2.jsonl")
	if err := (&SigningSpool{Spool: &Spool{Path: spool2}, Device: d2}).Append(evs[0]); err != nil {
		t.Fatal(err)
	}
	if n := checkChain(t, spool2, d2); n != 1 {
		t.Errorf("new device's chain of %d, want 1", n)
	}
}

// TestSigningSpool_LockBusy: when the chain lock cannot be had, the
// events are still appended, unsigned, and the error says so.
func TestSigningSpool_LockBusy(t *testing.T) {
	dir := t.TempDir()
	d := mustEnroll(t, dir, "dev_0a")
	_, _, chain := DevicePaths(dir)
	held, err := lockChain(chain, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	spool := filepath.Join(dir, "audit.jsonl")
	s := &SigningSpool{Spool: &Spool{Path: spool}, Device: d, LockTimeout: 50 * time.Millisecond}
	err = s.Append(record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: "1", HookEvent: "PreToolUse", Decision: "deny"})
	if err == nil || !strings.Contains(err.Error(), "appended unsigned") {
		t.Errorf("err %v, want one saying the events were appended unsigned", err)
	}
	b, _ := os.ReadFile(spool)
	if !bytes.Contains(b, []byte(`"event_id":"1"`)) || record.IsSignedAudit(b) {
		t.Errorf("spool %q: want the event, unsigned", b)
	}
}

func BenchmarkSigningSpool_Append(b *testing.B) {
	dir := b.TempDir()
	key, _ := NewDeviceKey(nil)
	if err := SaveDevice(dir, key, DeviceFile{DeviceID: "dev_0a", Name: "devbox"}); err != nil {
		b.Fatal(err)
	}
	ev := record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: "0123456789abcdef0123456789abcdef", HookEvent: "PreToolUse",
		Tool: "Bash", Command: "go test ./...", Decision: record.DecisionAllow}
	for b.Loop() {
		d, err := LoadDevice(dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := (&SigningSpool{Spool: &Spool{Path: filepath.Join(dir, "audit.jsonl")}, Device: d}).Append(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSigningSpool_ChainBehindSpool: a hook killed after appending but
// before advancing the chain head (or a lost device.chain) does not make
// the next event reuse a seq: the spool's last line sets the head.
func TestSigningSpool_ChainBehindSpool(t *testing.T) {
	dir := t.TempDir()
	d := mustEnroll(t, dir, "dev_0a")
	spool := filepath.Join(dir, "audit.jsonl")
	s := &SigningSpool{Spool: &Spool{Path: spool}, Device: d}
	ev := record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: "1", HookEvent: "PreToolUse", Decision: "deny"}
	if err := s.Append(ev, ev); err != nil {
		t.Fatal(err)
	}
	_, _, chain := DevicePaths(dir)
	stale, err := os.ReadFile(chain)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ev); err != nil {
		t.Fatal(err)
	}
	// The head written after the third event is lost: back to the second.
	if err := os.WriteFile(chain, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ev); err != nil {
		t.Fatal(err)
	}
	// And lost entirely.
	if err := os.Remove(chain); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ev); err != nil {
		t.Fatal(err)
	}
	if n := checkChain(t, spool, d); n != 5 {
		t.Errorf("chain of %d, want 5", n)
	}
}

// TestMayBeEnrolled: false exactly when LoadDevice would say
// ErrNotEnrolled, so skipping the load loses nothing.
func TestMayBeEnrolled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
	}{
		{"none", nil},
		{"device file only", []string{DeviceFileName}},
		{"key only", []string{DeviceKeyName}},
		{"both", []string{DeviceFileName, DeviceKeyName}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadDevice(dir)
			if got, want := MayBeEnrolled(dir), !errors.Is(err, ErrNotEnrolled); got != want {
				t.Errorf("MayBeEnrolled = %v; LoadDevice error %v", got, err)
			}
		})
	}
	if MayBeEnrolled(filepath.Join(t.TempDir(), "missing")) {
		t.Error("a missing state directory may be enrolled")
	}
}
