//go:build !e2e

package e2e

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks the unit tests leave no goroutine behind (listeners,
// servers). The e2e build has its own TestMain, which sets up the harness.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
