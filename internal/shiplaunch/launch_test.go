package shiplaunch

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envChild makes the test binary act as the detached shipper Start runs:
// it reports what it was given to the file named by the variable.
const envChild = "WARDEN_SHIP_TEST_CHILD"

func TestMain(m *testing.M) {
	if report := os.Getenv(envChild); report != "" {
		os.Exit(childMain(report))
	}
	os.Exit(m.Run())
}

type childReport struct {
	PID     int      `json:"pid"`
	SID     int      `json:"sid"`
	Cwd     string   `json:"cwd"`
	Stdio   []string `json:"stdio"`
	Args    []string `json:"args"`
	LockErr string   `json:"lock_err"`
}

// childMain reports and then waits for report+".release" (at most 20 s)
// before exiting, holding the inherited lock meanwhile.
func childMain(report string) int {
	r := childReport{PID: os.Getpid(), Args: os.Args[1:]}
	if stat, err := os.ReadFile("/proc/self/stat"); err == nil {
		// pid (comm) state ppid pgrp session ...; comm may hold spaces.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 3 {
			r.SID, _ = strconv.Atoi(fields[3])
		}
	}
	r.Cwd, _ = os.Getwd()
	for fd := range 3 {
		l, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		r.Stdio = append(r.Stdio, l)
	}
	lock, err := InheritedLock(LockFD)
	if err != nil {
		r.LockErr = err.Error()
	}
	data, _ := json.Marshal(r)
	if err := os.WriteFile(report+".tmp", data, 0o600); err != nil {
		return 2
	}
	os.Rename(report+".tmp", report)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(report + ".release"); err == nil {
			break
		}
	}
	if lock != nil {
		lock.Close()
	}
	return 0
}

func TestStart(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "audit.jsonl")
	report := filepath.Join(dir, "report.json")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opts := StartOptions{Spool: spool, Exe: exe, Args: ShipArgs(spool), Env: append(os.Environ(), envChild+"="+report)}
	started, err := Start(opts)
	if err != nil || !started {
		t.Fatalf("Start: started %v, err %v", started, err)
	}
	var r childReport
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(report)
		if err == nil {
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shipper process never reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer func() {
		os.WriteFile(report+".release", nil, 0o600)
		// Reap the child we started, by its pid.
		var ws syscall.WaitStatus
		syscall.Wait4(r.PID, &ws, 0, nil)
	}()

	if r.LockErr != "" {
		t.Errorf("the shipper does not hold the lock on fd %d: %s", LockFD, r.LockErr)
	}
	if r.SID != r.PID {
		t.Errorf("the shipper is in session %d, want its own (%d)", r.SID, r.PID)
	}
	if r.Cwd != "/" {
		t.Errorf("cwd %q, want /", r.Cwd)
	}
	for fd, l := range r.Stdio {
		if l != os.DevNull {
			t.Errorf("fd %d is %q, want %s", fd, l, os.DevNull)
		}
	}
	if want := ShipArgs(spool); strings.Join(r.Args, " ") != strings.Join(want, " ") {
		t.Errorf("args %q, want %q", r.Args, want)
	}

	// While it runs, hooks start no other and a manual shipper is refused.
	if started, err := Start(opts); started || err != nil {
		t.Errorf("second Start: started %v, err %v; want neither", started, err)
	}
	if _, err := TryLock(LockPath(spool)); !errors.Is(err, ErrLocked) {
		t.Errorf("TryLock while the shipper runs: %v, want ErrLocked", err)
	}
}

func TestStart_Errors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Start(StartOptions{Exe: "/bin/true"}); err == nil {
		t.Error("Start without a spool succeeded")
	}
	spool := filepath.Join(dir, "audit.jsonl")
	started, err := Start(StartOptions{Spool: spool, Exe: filepath.Join(dir, "missing")})
	if started || err == nil {
		t.Errorf("Start of a missing program: started %v, err %v", started, err)
	}
	// The failed start released the lock.
	lock, err := TryLock(LockPath(spool))
	if err != nil {
		t.Fatalf("lock after a failed start: %v", err)
	}
	lock.Close()
	if _, err := Start(StartOptions{Spool: filepath.Join(dir, "no", "such", "dir", "audit.jsonl"), Exe: "/bin/true"}); err == nil {
		t.Error("Start in a missing directory succeeded")
	}
}
