package ship

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// headBytes bounds the first-line digest's input.
const headBytes = 4096

// spoolFile is one spool file being shipped: its persisted state and,
// while the shipper runs, an open descriptor. An open descriptor keeps
// pointing at the same file across renames and even after the file is
// deleted, so a file rotated away while the shipper runs is still counted
// exactly.
type spoolFile struct {
	FileState
	f *os.File
}

// tracker follows the files of one spool (path and path.1) across
// rotations.
type tracker struct {
	path  string
	files []*spoolFile // oldest first
}

// newTracker starts from persisted file states; their files are opened by
// the first sync.
func newTracker(path string, states []FileState) *tracker {
	t := &tracker{path: path}
	for _, fs := range states {
		t.files = append(t.files, &spoolFile{FileState: fs})
	}
	return t
}

// states returns the file states to persist.
func (t *tracker) states() []FileState {
	out := make([]FileState, len(t.files))
	for i, f := range t.files {
		out[i] = f.FileState
	}
	return out
}

// close closes every open descriptor.
func (t *tracker) close() {
	for _, f := range t.files {
		if f.f != nil {
			f.f.Close()
			f.f = nil
		}
	}
}

// pending is the number of counted lines not yet delivered.
func (t *tracker) pending() (lines, bytes int64) {
	for _, f := range t.files {
		lines += f.Pending()
		bytes += f.Scanned - f.Shipped
	}
	return lines, bytes
}

// present is a spool file found at one of the spool's two paths.
type present struct {
	fi  os.FileInfo
	dev uint64
	ino uint64
}

func statPresent(path string) (*present, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("stat %s: no device and inode", path)
	}
	return &present{fi: fi, dev: uint64(st.Dev), ino: st.Ino}, nil
}

// sync matches the tracked files with the files now at the spool's paths,
// opens new ones, counts the lines of every file up to its last complete
// line, and forgets files rotation deleted. It returns the undelivered
// lines of those deleted files (drops) and whether any file grew.
func (t *tracker) sync() (drops int64, grew bool, err error) {
	old, err := statPresent(t.path + ".1")
	if err != nil {
		return 0, false, err
	}
	cur, err := statPresent(t.path)
	if err != nil {
		return 0, false, err
	}
	// at[i] is where files[i] is now: 0 gone, 1 at path.1, 2 at path.
	var kept []*spoolFile
	var where []int
	claimed := map[*present]bool{}
	for _, sf := range t.files {
		w, err := t.locate(sf, old, cur, claimed)
		if err != nil {
			return drops, grew, err
		}
		if w == 0 {
			// Gone: deleted by a second rotation (or replaced). With the
			// descriptor still open, count it to its end first.
			if sf.f != nil {
				if _, err := sf.scan(); err != nil {
					return drops, grew, err
				}
				sf.f.Close()
				sf.f = nil
			}
			drops += sf.Pending()
			continue
		}
		kept = append(kept, sf)
		where = append(where, w)
	}
	for i, p := range []*present{old, cur} {
		if p == nil || claimed[p] {
			continue
		}
		name := t.path
		if i == 0 {
			name = t.path + ".1"
		}
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // rotated between the stat and the open: next sync
		}
		if err != nil {
			return drops, grew, err
		}
		if fi, err := f.Stat(); err != nil || !os.SameFile(fi, p.fi) {
			f.Close()
			continue
		}
		kept = append(kept, &spoolFile{FileState: FileState{Dev: p.dev, Ino: p.ino}, f: f})
		where = append(where, i+1)
	}
	// Oldest first: the file at path.1 before the one at path.
	if len(kept) == 2 && where[0] > where[1] {
		kept[0], kept[1] = kept[1], kept[0]
	}
	t.files = kept
	for _, sf := range t.files {
		g, err := sf.scan()
		if err != nil {
			return drops, grew, err
		}
		grew = grew || g
	}
	return drops, grew, nil
}

// locate says where sf is now (0 gone, 1 at path.1, 2 at path), opening
// it when it comes from persisted state, and marks the present file it
// matched as claimed.
func (t *tracker) locate(sf *spoolFile, old, cur *present, claimed map[*present]bool) (int, error) {
	if sf.f != nil {
		fi, err := sf.f.Stat()
		if err != nil {
			return 0, fmt.Errorf("stat spool file: %w", err)
		}
		for i, p := range []*present{old, cur} {
			if p != nil && !claimed[p] && os.SameFile(fi, p.fi) {
				claimed[p] = true
				return i + 1, nil
			}
		}
		return 0, nil
	}
	for i, p := range []*present{old, cur} {
		if p == nil || claimed[p] || p.dev != sf.Dev || p.ino != sf.Ino {
			continue
		}
		name := t.path
		if i == 0 {
			name = t.path + ".1"
		}
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		fi, err := f.Stat()
		if err != nil || !os.SameFile(fi, p.fi) || fi.Size() < sf.Scanned {
			// Replaced since the stat, or shorter than what was counted:
			// not the file the state describes.
			f.Close()
			return 0, nil
		}
		if sf.Head != "" {
			h, err := head(f)
			if err != nil {
				f.Close()
				return 0, err
			}
			if h != sf.Head {
				f.Close() // a new file that reuses the inode number
				return 0, nil
			}
		}
		sf.f = f
		claimed[p] = true
		return i + 1, nil
	}
	return 0, nil
}

// scan counts lines from Scanned to the last complete line and records
// the first line's digest once there is one. It reports whether it counted
// anything.
func (sf *spoolFile) scan() (bool, error) {
	buf := make([]byte, 64<<10)
	off := sf.Scanned
	start := sf.Scanned
	for {
		n, err := sf.f.ReadAt(buf, off)
		if n > 0 {
			chunk := buf[:n]
			if last := bytes.LastIndexByte(chunk, '\n'); last >= 0 {
				sf.Lines += int64(bytes.Count(chunk[:last+1], []byte{'\n'}))
				sf.Scanned = off + int64(last) + 1
			}
			off += int64(n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sf.Scanned > start, fmt.Errorf("read spool: %w", err)
		}
	}
	if sf.Head == "" && sf.Lines > 0 {
		h, err := head(sf.f)
		if err != nil {
			return true, err
		}
		sf.Head = h
	}
	return sf.Scanned > start, nil
}

// head digests the first line of f (at most headBytes of it). Spool lines
// begin with a random event_id, so the digest tells files apart.
func head(f *os.File) (string, error) {
	buf := make([]byte, headBytes)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read spool: %w", err)
	}
	line := buf[:n]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:8]), nil
}

// batch is a run of whole lines read from one file.
type batch struct {
	body   []byte // the non-blank lines that fit, newline-terminated
	events int    // lines in body
	lines  int64  // lines consumed, skipped and blank ones included
	end    int64  // offset after the last line consumed
	skip   int64  // lines longer than the line limit, not sent
}

// next reads the lines after Shipped (up to Scanned) that fit in maxBytes
// and maxEvents; a line longer than maxLine is skipped. A batch always
// consumes at least one line when there is one.
func (sf *spoolFile) next(maxBytes, maxEvents, maxLine int) (batch, error) {
	b := batch{end: sf.Shipped}
	r := bufio.NewReaderSize(io.NewSectionReader(sf.f, sf.Shipped, sf.Scanned-sf.Shipped), 64<<10)
	for b.end < sf.Scanned && b.events < maxEvents {
		line, n, err := readLine(r, maxLine)
		if err != nil {
			return b, fmt.Errorf("read spool: %w", err)
		}
		switch {
		case line == nil:
			b.skip++
		case len(bytes.TrimSpace(line)) == 0:
		default:
			if b.events > 0 && len(b.body)+len(line) > maxBytes {
				return b, nil
			}
			b.body = append(b.body, line...)
			b.events++
		}
		b.lines++
		b.end += int64(n)
	}
	return b, nil
}

// readLine reads one newline-terminated line. It returns the line with its
// newline, or nil when the line is longer than max bytes, and the number of
// bytes consumed.
func readLine(r *bufio.Reader, max int) (line []byte, n int, err error) {
	tooLong := false
	for {
		frag, err := r.ReadSlice('\n')
		n += len(frag)
		if !tooLong {
			if len(line)+len(frag) > max+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			// Only whole lines lie before Scanned: the file shrank.
			return nil, n, fmt.Errorf("line at end of counted data is incomplete: %w", err)
		}
		if tooLong {
			return nil, n, nil
		}
		return line, n, nil
	}
}
