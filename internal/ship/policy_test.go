package ship

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
)

func servedPolicy(tb testing.TB, revision string) []byte {
	tb.Helper()
	y := strings.Replace(string(policy.BaselineYAML()), "name: baseline\nrevision: \"2026.1\"", "name: acme\nrevision: \""+revision+"\"", 1)
	if _, err := policyfile.Parse("acme.yaml", []byte(y)); err != nil {
		tb.Fatal(err)
	}
	return []byte(y)
}

// policyOptions ship an empty spool: only the policy refresh runs.
func policyOptions(tb testing.TB, fs *fakeServer, clock *testClock) (Options, clientstate.PolicyCache) {
	tb.Helper()
	sp := newSpool(tb, 0)
	opts := testOptions(fs, sp, clock)
	opts.StateDir = tb.TempDir()
	opts.PolicyInterval = time.Minute
	return opts, clientstate.PolicyCache{Dir: opts.StateDir}
}

func cachedRevision(tb testing.TB, c clientstate.PolicyCache, server string) string {
	tb.Helper()
	cp, err := c.Load(server)
	if err != nil {
		tb.Fatalf("load cache: %v", err)
	}
	return cp.Policy.Revision
}

func TestShipper_PolicyRefresh(t *testing.T) {
	fs := newFakeServer(t)
	fs.policy = servedPolicy(t, "1")
	clock := newClock()
	opts, cache := policyOptions(t, fs, clock)

	st := mustRun(t, opts)
	if got := cachedRevision(t, cache, fs.URL); got != "1" {
		t.Errorf("cached revision %q, want 1", got)
	}
	if st.PolicyError != "" || st.PolicyCheckedAt.IsZero() {
		t.Errorf("state %+v", st)
	}
	cp, _ := cache.Load(fs.URL)
	if cp.ETag == "" || fs.policyIfNone[0] != "" {
		t.Errorf("etag %q, first If-None-Match %q", cp.ETag, fs.policyIfNone[0])
	}

	// Within the interval: no request.
	mustRun(t, opts)
	if fs.policyGets != 1 {
		t.Errorf("%d policy requests within the interval, want 1", fs.policyGets)
	}
	// After it: a conditional GET answered 304 keeps the cache.
	clock.Add(2 * time.Minute)
	mustRun(t, opts)
	if fs.policyGets != 2 || fs.policyIfNone[1] != cp.ETag {
		t.Errorf("requests %d, If-None-Match %q; want 2 and %q", fs.policyGets, fs.policyIfNone, cp.ETag)
	}
	// A new policy replaces it.
	fs.policy = servedPolicy(t, "2")
	clock.Add(2 * time.Minute)
	mustRun(t, opts)
	if got := cachedRevision(t, cache, fs.URL); got != "2" {
		t.Errorf("cached revision %q, want 2", got)
	}
}

// TestShipper_PolicyRejected: a policy that does not validate or does not
// match its digest never replaces a good cache; the error is recorded.
func TestShipper_PolicyRejected(t *testing.T) {
	tests := []struct {
		name  string
		serve func(fs *fakeServer)
		want  string
	}{
		{"Invalid", func(fs *fakeServer) { fs.policy = []byte("version: 1\nname: acme\nrevision: \"2\"\nrulez: {}\n") }, "server policy is invalid"},
		{"NotYAML", func(fs *fakeServer) { fs.policy = []byte("{{{{") }, "server policy is invalid"},
		{"ShaMismatch", func(fs *fakeServer) {
			fs.policy = servedPolicy(t, "2")
			fs.policySHA = strings.Repeat("ab", 32)
		}, "digest mismatch"},
		{"ETagMismatch", func(fs *fakeServer) {
			fs.policy = servedPolicy(t, "2")
			fs.policyETag = `"` + strings.Repeat("cd", 32) + `"`
		}, "digest mismatch"},
		{"NotFound", func(fs *fakeServer) { fs.policy = nil }, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t)
			fs.policy = servedPolicy(t, "1")
			clock := newClock()
			opts, cache := policyOptions(t, fs, clock)
			mustRun(t, opts)

			fs.mu.Lock()
			tt.serve(fs)
			fs.mu.Unlock()
			clock.Add(2 * time.Minute)
			st := mustRun(t, opts)
			if got := cachedRevision(t, cache, fs.URL); got != "1" {
				t.Errorf("cached revision %q, want the good 1 kept", got)
			}
			if !strings.Contains(st.PolicyError, tt.want) || st.PolicyFailures != 1 {
				t.Errorf("policy error %q (failures %d), want %q", st.PolicyError, st.PolicyFailures, tt.want)
			}
			if !st.PolicyNextCheck.After(clock.Now()) {
				t.Errorf("next check %s is not in the future", st.PolicyNextCheck)
			}
			s, err := ReadStatus(opts.Spool, opts.StateDir, fs.URL)
			if err != nil {
				t.Fatal(err)
			}
			if s.Policy == nil || !s.Policy.Cached || s.Policy.Revision != "1" || !strings.Contains(s.Policy.Error, tt.want) {
				t.Errorf("status policy %+v", s.Policy)
			}
		})
	}
}

// TestShipper_PolicyCorruptCache: a cache that does not load is fetched
// anew, without If-None-Match.
func TestShipper_PolicyCorruptCache(t *testing.T) {
	fs := newFakeServer(t)
	fs.policy = servedPolicy(t, "1")
	clock := newClock()
	opts, cache := policyOptions(t, fs, clock)
	mustRun(t, opts)
	if err := os.WriteFile(cache.JSONPath(), []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Minute)
	mustRun(t, opts)
	if fs.policyIfNone[1] != "" {
		t.Errorf("If-None-Match %q for a corrupt cache", fs.policyIfNone[1])
	}
	if got := cachedRevision(t, cache, fs.URL); got != "1" {
		t.Errorf("cached revision %q", got)
	}
}

func TestEtagValue(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `W/"abc"`: "abc", `abc`: "abc", ``: ``, ` "abc" `: "abc"} {
		if got := etagValue(in); got != want {
			t.Errorf("etagValue(%q) = %q, want %q", in, got, want)
		}
	}
}
