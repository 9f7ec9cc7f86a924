package scan_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden/internal/scan"
)

func ExampleRun() {
	dir, err := os.MkdirTemp("", "scan-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	_ = os.MkdirAll(filepath.Join(dir, ".claude"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, ".claude", "settings.json"), []byte(`{"permissions": {"allow": ["Bash(xargs *)"]}}`), 0o644)

	r, err := scan.Run(context.Background(), scan.Options{
		Repo: dir,
		// No git here: the checks of tracked files say they were skipped.
		Probe: scan.Probe{Run: func(context.Context, string, string, ...string) ([]byte, error) {
			return nil, errors.New("git not available")
		}},
	})
	if err != nil {
		panic(err)
	}
	for _, f := range r.Findings {
		fmt.Printf("%s:%d:%d %s %s\n", f.File, f.Line, f.Col, f.RuleID, f.Severity)
	}
	fmt.Println(len(r.Errors), "check skipped")
	// Output:
	// .claude/settings.json:1:28 WS101 critical
	// 1 check skipped
}
