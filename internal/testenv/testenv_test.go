package testenv

import (
	"runtime"
	"sync"
	"testing"
)

func TestCI(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"", false},
		{"false", false},
		{"False", false},
		{"0", false},
		{" ", false},
		{"true", true},
		{"TRUE", true},
		{"1", true},
		{"yes", true},
		{"woodpecker", true},
	} {
		got := CI(func(k string) string {
			if k == "CI" {
				return tc.value
			}
			return ""
		})
		if got != tc.want {
			t.Errorf("CI=%q: %v, want %v", tc.value, got, tc.want)
		}
	}
}

// recorder is a testing.TB that notes whether it was failed or skipped.
type recorder struct {
	testing.TB
	mu            sync.Mutex
	failed, skipd bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Skip(args ...any) {
	r.mu.Lock()
	r.skipd = true
	r.mu.Unlock()
	runtime.Goexit()
}

// TestMissing: CI=1 fails the test, as CI=true does; only a local run
// skips.
func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		ci         string
		wantFailed bool
	}{{"true", true}, {"1", true}, {"", false}, {"false", false}} {
		t.Setenv("CI", tc.ci)
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Missing(r, "no server")
		}()
		<-done
		if r.failed != tc.wantFailed || r.skipd == tc.wantFailed {
			t.Errorf("CI=%q: failed %v, skipped %v; want failed %v", tc.ci, r.failed, r.skipd, tc.wantFailed)
		}
	}
}
