package storetest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
	"github.com/wardenhq/warden/internal/store/storetest"
)

// lossy acknowledges appends before they are written, flushing every
// tenth: the bug Crash exists to catch.
type lossy struct {
	store.Store
	pending []record.Event
	calls   int
}

func (l *lossy) AppendEvents(ctx context.Context, events []record.Event) (int, error) {
	l.pending = append(l.pending, events...)
	if l.calls++; l.calls%10 == 0 {
		if _, err := l.Store.AppendEvents(ctx, l.pending); err != nil {
			return 0, err
		}
		l.pending = nil
	}
	return len(events), nil
}

// TestCrash_DetectsLostAcks runs Crash on a store that loses acknowledged
// appends, in a child process of its own, and requires it to fail.
func TestCrash_DetectsLostAcks(t *testing.T) {
	const env = "WARDEN_STORETEST_LOSSY"
	if os.Getenv(env) != "" {
		target := storetest.CrashTarget()
		if target == "" {
			target = t.TempDir()
		}
		storetest.Crash(t, target, 25, func(ctx context.Context, dir string) (store.Store, error) {
			s, err := sqlite.Open(ctx, dir, store.Options{})
			if err != nil {
				return nil, err
			}
			return &lossy{Store: s}, nil
		})
		return
	}
	out, err := storetest.ReexecCommand(t, env+"=1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "of 50 events survived") {
		t.Errorf("Crash passed a store that loses acknowledged appends: %v\n%s", err, out)
	}
}
