package imagetest

import (
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// checkStatic reports why the ELF file at path would not run on an empty
// base image: a program interpreter (PT_INTERP, the dynamic loader) or
// shared libraries it needs (DT_NEEDED). nil means statically linked.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("read ELF %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s has a program interpreter (PT_INTERP): it is dynamically linked", path)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return fmt.Errorf("read the dynamic section of %s: %w", path, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries (DT_NEEDED): %v", path, libs)
	}
	return nil
}

// TestCheckStatic_Dynamic: the check rejects a dynamically linked program,
// so its passing on warden means something. The system's ls is one on
// every Linux distribution this suite runs on.
func TestCheckStatic_Dynamic(t *testing.T) {
	ls, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("no ls on PATH to serve as a dynamically linked program")
	}
	ls, err = filepath.EvalSymlinks(ls)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := elf.Open(ls); err != nil {
		t.Skipf("%s is not an ELF file: %v", ls, err)
	}
	if err := checkStatic(ls); err == nil {
		t.Errorf("checkStatic(%s) = nil, want an error: ls is dynamically linked", ls)
	}
}
