package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wardenhq/warden/internal/store"
)

// accessChildEnv names the data directory a child of TestOpen_Unwritable
// opens, as another user, printing the error.
const accessChildEnv = "WARDEN_SQLITE_ACCESS_DIR"

// nobody is the unprivileged user a root test run drops to.
const nobody = 65534

// openAs opens a store in dir as the test's user, or, when the test runs
// as root (which may write anywhere), as nobody in a child process, and
// returns Open's error message ("" when it succeeded).
func openAs(t *testing.T, dir string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		db, err := Open(context.Background(), dir, store.Options{})
		if err != nil {
			var ae *AccessError
			if !errors.As(err, &ae) {
				t.Errorf("error %v is not an *AccessError", err)
			}
			return err.Error()
		}
		db.Close()
		return ""
	}
	// The child is a copy of this test binary that nobody may run.
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(bin); d != "/"; d = filepath.Dir(d) {
		if strings.HasPrefix(d, os.TempDir()) && d != os.TempDir() {
			os.Chmod(d, 0o755)
		}
	}
	exe := filepath.Join(bin, "sqlite.test")
	copyFile(t, os.Args[0], exe, 0o755)
	cmd := exec.Command(exe, "-test.run=^TestOpen_Unwritable$", "-test.count=1")
	cmd.Env = []string{accessChildEnv + "=" + dir, "HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	msg, ok := strings.CutPrefix(strings.SplitN(string(out), "\n", 2)[0], "open: ")
	if !ok {
		t.Fatalf("child printed %q", out)
	}
	return msg
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpen_Unwritable: a data directory, or a database file in it, that
// the server's user cannot write fails with a message naming the path, its
// owner and the fix, where SQLite said "unable to open database file (14)".
func TestOpen_Unwritable(t *testing.T) {
	if dir := os.Getenv(accessChildEnv); dir != "" {
		_, err := Open(context.Background(), dir, store.Options{})
		var ae *AccessError
		if err != nil && !errors.As(err, &ae) {
			err = fmt.Errorf("not an *AccessError: %w", err)
		}
		fmt.Printf("open: %v\n", err)
		return
	}
	root := os.Geteuid() == 0
	owner, fix := "owner "+currentUser(), "chmod u+w"
	if root {
		owner, fix = "owner root (uid 0)", "run warden as root, give this user the directory (sudo chown -R nobody"
	}
	base := t.TempDir()
	os.Chmod(base, 0o755)
	os.Chmod(filepath.Dir(base), 0o755) // the child may have to get through

	t.Run("Dir", func(t *testing.T) {
		dir := filepath.Join(base, "ro")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if !root {
			os.Chmod(dir, 0o555)
			defer os.Chmod(dir, 0o755)
		}
		msg := openAs(t, dir)
		t.Log(msg)
		for _, want := range []string{"data directory " + dir + " is not writable by", owner, fix, "--data-dir"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%q, want it to say %q", msg, want)
			}
		}
	})
	t.Run("Create", func(t *testing.T) {
		parent := filepath.Join(base, "parent")
		if err := os.Mkdir(parent, 0o755); err != nil {
			t.Fatal(err)
		}
		if !root {
			os.Chmod(parent, 0o555)
			defer os.Chmod(parent, 0o755)
		}
		msg := openAs(t, filepath.Join(parent, "warden"))
		if want := "cannot create data directory " + filepath.Join(parent, "warden") + ": " + parent + " is not writable"; !strings.Contains(msg, want) || !strings.Contains(msg, owner) {
			t.Errorf("%q, want it to say %q and %q", msg, want, owner)
		}
	})
	t.Run("File", func(t *testing.T) {
		// The directory is writable, the database (left by another user,
		// say after one run under sudo) is not.
		dir := filepath.Join(base, "file")
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, 0o777)
		db, err := Open(context.Background(), dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if !root {
			os.Chmod(filepath.Join(dir, FileName), 0o400)
		}
		msg := openAs(t, dir)
		for _, want := range []string{"database file " + filepath.Join(dir, FileName) + " is not writable by", owner} {
			if !strings.Contains(msg, want) {
				t.Errorf("%q, want it to say %q", msg, want)
			}
		}
	})
}

func currentUser() string {
	_, desc := describeUID(os.Geteuid())
	return desc
}
