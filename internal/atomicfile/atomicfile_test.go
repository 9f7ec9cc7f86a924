package atomicfile

import (
	"bytes"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteFile writes over every kind of destination and checks the
// content and mode afterwards, and that no temporary file is left behind,
// also when the write fails.
func TestWriteFile(t *testing.T) {
	old := []byte("old content\n")
	big := bytes.Repeat([]byte("x"), 64<<10)
	tests := []struct {
		name  string
		setup func(t *testing.T, path string) // prepares the destination
		data  []byte
		perm  fs.FileMode
		// wantErr is a substring of the error; "" expects success.
		wantErr string
		// want is the content and mode of path afterwards; nil: path
		// must not exist (or, for a directory, be left as it was).
		want     []byte
		wantMode fs.FileMode
	}{
		{
			name:     "Create",
			data:     []byte("new\n"),
			perm:     0o600,
			want:     []byte("new\n"),
			wantMode: 0o600,
		},
		{
			name:     "Replace",
			setup:    writeOld(old, 0o600),
			data:     []byte("new\n"),
			perm:     0o644,
			want:     []byte("new\n"),
			wantMode: 0o644,
		},
		{
			// The mode is perm exactly: not the umask's, not the old file's.
			name:     "PermissionsKept",
			setup:    writeOld(old, 0o600),
			data:     []byte("new\n"),
			perm:     0o666,
			want:     []byte("new\n"),
			wantMode: 0o666,
		},
		{
			name:     "Empty",
			setup:    writeOld(old, 0o644),
			data:     nil,
			perm:     0o644,
			want:     []byte{},
			wantMode: 0o644,
		},
		{
			// A write that fails half-way (the file size limit) leaves the
			// old file as it was.
			name: "WriteFailsOldFileIntact",
			setup: func(t *testing.T, path string) {
				writeOld(old, 0o640)(t, path)
				limitFileSize(t, 4<<10)
			},
			data:     big,
			perm:     0o644,
			wantErr:  "file too large",
			want:     old,
			wantMode: 0o640,
		},
		{
			// The rename fails after the new content was written and
			// synced: the destination (a directory) is untouched.
			name: "RenameFails",
			setup: func(t *testing.T, path string) {
				if err := os.MkdirAll(filepath.Join(path, "keep"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			data:    []byte("new\n"),
			perm:    0o644,
			wantErr: "write ",
		},
		{
			name: "NoDirectory",
			setup: func(t *testing.T, path string) {
				if err := os.Remove(filepath.Dir(path)); err != nil {
					t.Fatal(err)
				}
			},
			data:    []byte("new\n"),
			perm:    0o644,
			wantErr: "no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "settings.json")
			if tt.setup != nil {
				tt.setup(t, path)
			}
			err := WriteFile(path, tt.data, tt.perm)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("WriteFile: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("WriteFile succeeded, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.want != nil {
				mustContent(t, path, tt.want, tt.wantMode)
			} else if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
				t.Errorf("%s exists (%v), want it absent", path, fi.Mode())
			}
			if _, err := os.Stat(filepath.Join(path, "keep")); tt.name == "RenameFails" && err != nil {
				t.Errorf("the directory in the way was changed: %v", err)
			}
			mustNoTemp(t, dir)
		})
	}
}

// TestStage: staged files reach their destinations only on Commit; Abort
// leaves the old file and nothing else.
func TestStage(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeOld([]byte("old a"), 0o644)(t, a)

	fa, err := Stage(a, []byte("new a"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := Stage(b, []byte("new b"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	mustContent(t, a, []byte("old a"), 0o644)
	if _, err := os.Stat(b); !os.IsNotExist(err) {
		t.Errorf("b exists before Commit: %v", err)
	}

	fa.Abort()
	mustContent(t, a, []byte("old a"), 0o644)
	if err := fb.Commit(); err != nil {
		t.Fatal(err)
	}
	mustContent(t, b, []byte("new b"), 0o600)
	mustNoTemp(t, dir)
}

func writeOld(data []byte, mode fs.FileMode) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		if err := os.WriteFile(path, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// limitFileSize makes writes beyond n bytes into regular files fail with
// EFBIG for the rest of the test, a failure even root cannot ignore.
// SIGXFSZ is ignored meanwhile so that the write fails instead of the
// process.
func limitFileSize(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	small := lim
	small.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			t.Fatal(err)
		}
		signal.Reset(syscall.SIGXFSZ)
	})
}

func mustContent(t *testing.T, path string, want []byte, mode fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", filepath.Base(path), trim(got), trim(want))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != mode {
		t.Errorf("%s has mode %v, want %v", filepath.Base(path), got, mode)
	}
}

func mustNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func trim(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
