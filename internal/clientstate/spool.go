package clientstate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden/internal/record"
)

// DefaultSpoolMaxBytes is the size beyond which the spool is rotated.
const DefaultSpoolMaxBytes = 64 << 20

// Spool appends audit events as JSON lines to a local file, from which a
// shipper (internal/ship) later delivers them to a server. Concurrent hook processes may
// append to the same spool: each line is written with a single write to a
// file opened O_APPEND, so lines never interleave.
//
// The spool is bounded: when an append would take the file beyond MaxBytes,
// the file is renamed to Path+".1" (replacing the previous one) and a new
// one started, so at most about twice MaxBytes is kept.
type Spool struct {
	Path     string
	MaxBytes int64 // 0 means DefaultSpoolMaxBytes
}

// SpoolPath resolves the spool file: flag (--spool) if set, else
// $WARDEN_SPOOL, else audit.jsonl in the state directory (Dir). It returns
// "" when none applies (no home directory).
func SpoolPath(getenv func(string) string, home, flag string) string {
	if flag != "" {
		return flag
	}
	if p := getenv(EnvSpool); p != "" {
		return p
	}
	if dir := Dir(getenv, home); dir != "" {
		return filepath.Join(dir, "audit.jsonl")
	}
	return ""
}

// Append writes one line per event. Directories are created 0700 and the
// file 0600: events name users, hosts and commands.
func (s *Spool) Append(events ...record.AuditEventV1) error {
	if len(events) == 0 {
		return nil
	}
	if s.Path == "" {
		return errors.New("append to spool: no spool path")
	}
	lines := make([][]byte, len(events))
	for i := range events {
		b, err := events[i].AppendJSON(nil)
		if err != nil {
			return fmt.Errorf("encode audit event: %w", err)
		}
		lines[i] = append(b, '\n')
	}
	return s.appendLines(lines)
}

// appendLines appends lines, each ending in a newline, as Append does.
func (s *Spool) appendLines(lines [][]byte) error {
	size := int64(0)
	for _, l := range lines {
		size += int64(len(l))
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return fmt.Errorf("append to spool: %w", err)
	}
	f, rotateErr, err := s.open(size)
	if err != nil {
		return fmt.Errorf("append to spool: %w", err)
	}
	for _, l := range lines {
		if _, err := f.Write(l); err != nil {
			f.Close()
			return fmt.Errorf("append to spool %s: %w", s.Path, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append to spool %s: %w", s.Path, err)
	}
	if rotateErr != nil {
		return fmt.Errorf("rotate spool %s (events were appended): %w", s.Path, rotateErr)
	}
	return nil
}

// open opens the spool for appending n more bytes, rotating it first when
// it would grow beyond MaxBytes. A failed rotation is reported separately:
// the events are still appended, as losing them is worse than a large file.
func (s *Spool) open(n int64) (f *os.File, rotateErr, err error) {
	const flags = os.O_WRONLY | os.O_APPEND | os.O_CREATE
	f, err = os.OpenFile(s.Path, flags, 0o600)
	if err != nil {
		return nil, nil, err
	}
	limit := s.MaxBytes
	if limit <= 0 {
		limit = DefaultSpoolMaxBytes
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 || fi.Size()+n <= limit {
		return f, nil, nil
	}
	// Another hook process may have rotated the file since we opened it:
	// rotate only if Path still names the file we measured.
	cur, err := os.Stat(s.Path)
	if err != nil || !os.SameFile(cur, fi) {
		f.Close()
		f, err = os.OpenFile(s.Path, flags, 0o600)
		return f, nil, err
	}
	if rotateErr = os.Rename(s.Path, s.Path+".1"); rotateErr != nil {
		if !errors.Is(rotateErr, fs.ErrNotExist) {
			return f, rotateErr, nil
		}
		// Another hook process rotated between our check and the rename:
		// append to the new file it leaves behind.
	}
	f.Close()
	f, err = os.OpenFile(s.Path, flags, 0o600)
	return f, nil, err
}
