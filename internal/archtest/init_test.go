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
	// All of warden's packages. warden no longer starts for every tool
	// call (warden-hook does; warden only for calls handed to it for a
	// CEL condition), so it links the server's Prometheus client, whose
	// default registry and procfs cost about 200 KB at init (measured:
	// 1.06 MB in all with it).
	maxInitBytesTotal   = 1280 << 10
	maxInitBytesPackage = 256 << 10 // any one package
	// warden-hook links only what deciding needs (measured: about 70 KB).
	maxHookInitBytesTotal = 128 << 10
)

// initTrace runs the binary built from pkg with args under
// GODEBUG=inittrace=1 and returns its init lines' bytes by package.
func initTrace(t *testing.T, pkg string, args ...string) map[string]int {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	build := exec.Command("go", "build", "-o", bin, "./"+pkg)
	build.Dir = root(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", pkg, args, err, stderr.String())
	}
	bytesBy := map[string]int{}
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
		bytesBy[f[1]] += b
	}
	// The runtime's own init is always traced: no line read means the
	// trace format changed and the budget below would pass on nothing.
	if _, ok := bytesBy["runtime"]; !ok || len(bytesBy) < 10 {
		t.Fatalf("read %d init lines from %s's trace, want the runtime's and more:\n%s", len(bytesBy), pkg, stderr.String())
	}
	return bytesBy
}

func checkInitBudget(t *testing.T, name string, bytesBy map[string]int, total, perPackage int) {
	t.Helper()
	sum := 0
	for pkg, b := range bytesBy {
		sum += b
		if b > perPackage {
			t.Errorf("%s: package %s allocates %d bytes at init (budget %d): every hook call pays it", name, pkg, b, perPackage)
		}
	}
	if sum > total {
		t.Errorf("%s: init allocates %d bytes in all (budget %d)", name, sum, total)
	}
	t.Logf("%s: init allocates %d bytes in %d packages", name, sum, len(bytesBy))
}

func TestInitBudget(t *testing.T) {
	checkInitBudget(t, "warden", initTrace(t, "cmd/warden", "version"), maxInitBytesTotal, maxInitBytesPackage)
	// warden-hook starts for every tool call: a tighter budget.
	checkInitBudget(t, "warden-hook", initTrace(t, "cmd/warden-hook", "--help"), maxHookInitBytesTotal, maxInitBytesPackage)
}
