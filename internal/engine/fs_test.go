package engine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestOSFS_ReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.sh")
	if err := os.WriteFile(small, []byte("go vet ./...\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.sh")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	t.Run("Small", func(t *testing.T) {
		got, err := OSFS{}.ReadFile(small, 1024)
		if err != nil || string(got) != "go vet ./...\n" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("FollowsSymlinks", func(t *testing.T) {
		got, err := OSFS{}.ReadFile(link, 1024)
		if err != nil || string(got) != "go vet ./...\n" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("ErrFileTooLarge", func(t *testing.T) {
		got, err := OSFS{}.ReadFile(small, 4)
		if !errors.Is(err, ErrFileTooLarge) || string(got) != "go v" {
			t.Fatalf("got %q, %v; want the first 4 bytes and ErrFileTooLarge", got, err)
		}
	})
	t.Run("ExactlyMax", func(t *testing.T) {
		got, err := OSFS{}.ReadFile(small, 13)
		if err != nil || len(got) != 13 {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("ErrNotExist", func(t *testing.T) {
		if _, err := (OSFS{}).ReadFile(filepath.Join(dir, "missing.sh"), 1024); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("Directory", func(t *testing.T) {
		if _, err := (OSFS{}).ReadFile(dir, 1024); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want an error other than fs.ErrNotExist", err)
		}
	})
	t.Run("NoFS", func(t *testing.T) {
		if _, err := (NoFS{}).ReadFile(small, 1024); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want fs.ErrNotExist", err)
		}
	})
}
