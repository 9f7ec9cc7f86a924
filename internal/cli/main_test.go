package cli

import (
	"context"
	"os"
	"testing"
)

// TestMain lets this test binary stand in for warden when the hook starts
// a shipper: the hook runs os.Executable() with `spool ship ...`, which in
// a test is this binary. Invoked so, it runs the command line instead of
// the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "spool" && os.Args[2] == "ship" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
