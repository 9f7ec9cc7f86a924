package scan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// execTimeout bounds every program a scan runs.
const execTimeout = 20 * time.Second

// execRun runs name with args in dir and returns its standard output.
func execRun(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300]
		}
		if msg != "" {
			return out, fmt.Errorf("%s: %w: %s", name, err, msg)
		}
		return out, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// procProcesses lists processes from root/proc (Linux); elsewhere none.
func procProcesses(root string) ([]Process, error) {
	dir := filepath.Join(root, "/proc")
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []Process
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p := Process{PID: pid, UID: -1}
		status, err := os.ReadFile(filepath.Join(dir, e.Name(), "status"))
		if err != nil {
			continue // gone, or not ours to read
		}
		for _, ln := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(ln, "Uid:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					p.UID, _ = strconv.Atoi(f[0])
				}
			}
			if v, ok := strings.CutPrefix(ln, "Name:"); ok {
				p.Name = strings.TrimSpace(v)
			}
		}
		if cl, err := os.ReadFile(filepath.Join(dir, e.Name(), "cmdline")); err == nil {
			for _, a := range bytes.Split(bytes.TrimRight(cl, "\x00"), []byte{0}) {
				p.Args = append(p.Args, string(a))
			}
		}
		out = append(out, p)
	}
	return out, nil
}
