package archtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Init budgets. Claude Code starts warden for every tool call, and every
// linked package's init runs then, whatever command follows. Allocations at
// init are exact and repeatable (unlike times), so they make a budget a test
// can hold: a dependency that builds tables at init (a JSON Schema library
// compiling its metaschemas cost 1.7 MB and 21,000 allocations) fails here.
const (
	maxInitBytesTotal   = 1 << 20   // all packages
	maxInitBytesPackage = 256 << 10 // any one package
)

func TestInitBudget(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "warden")
	build := exec.Command("go", "build", "-o", bin, "./cmd/warden")
	build.Dir = root(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("warden version: %v\n%s", err, stderr.String())
	}
	total := 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @T ms, C ms clock, B bytes, A allocs
		f := strings.Fields(sc.Text())
		if len(f) < 9 || f[0] != "init" {
			continue
		}
		b, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("cannot read %q", sc.Text())
		}
		total += b
		if b > maxInitBytesPackage {
			t.Errorf("package %s allocates %d bytes at init (budget %d): every hook call pays it", f[1], b, maxInitBytesPackage)
		}
	}
	if total > maxInitBytesTotal {
		t.Errorf("init allocates %d bytes in all (budget %d)", total, maxInitBytesTotal)
	}
	t.Logf("init allocates %d bytes in all", total)
}
