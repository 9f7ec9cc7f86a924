//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// shipping is the documented rollout on the test machine: a `warden serve`
// this test started, this checkout's warden and warden-hook in the scratch
// bin (warden-hook finds warden, for its shipper, beside itself), an
// ingest and a read token, and the test user's warden-client.json holding
// the server and the ingest token, the only place they are (no token in
// any environment the agent's commands inherit).
type shipping struct {
	warden, hook   string
	srv            *WardenServer
	ingest, reader string
	// clientConfig is the user's warden-client.json, removed at cleanup.
	clientConfig string
}

// startShipping sets up shipping for t; tokens are named after name.
func startShipping(t *testing.T, name string) *shipping {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(h.Root, "bin", "warden")
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("%v; build it with `make build` (make e2e does)", err)
	}
	sh := &shipping{}
	var err error
	if sh.warden, err = installOnce("warden", src); err != nil {
		t.Fatal(err)
	}
	if sh.hook, err = installOnce("warden-hook", filepath.Join(h.Root, "bin", "warden-hook")); err != nil {
		t.Fatal(err)
	}
	if sh.srv, err = StartWardenServer(ctx, sh.warden, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sh.srv.Close()
		if t.Failed() {
			t.Logf("warden serve output:\n%s", sh.srv.Output())
		}
	})
	if sh.ingest, err = sh.srv.CreateToken(ctx, name+"-hooks", "ingest"); err != nil {
		t.Fatal(err)
	}
	if sh.reader, err = sh.srv.CreateToken(ctx, name+"-reader", "read"); err != nil {
		t.Fatal(err)
	}
	sh.clientConfig = filepath.Join(h.Scratch.Home, ".local", "state", "warden", "warden-client.json")
	if err := h.Scratch.WriteUserFile(sh.clientConfig, []byte(`{"server":"`+sh.srv.URL+`","token":"`+sh.ingest+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(sh.clientConfig) })
	return sh
}
