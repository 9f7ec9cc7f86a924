package scan

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/settings"
)

// compiled returns the baseline tier compiled as warden compile would.
func compiled(tb testing.TB, tier, server string) map[string]any {
	tb.Helper()
	r, err := settings.Compile(policy.Baseline(), settings.Options{Tier: tier, HookCommand: "/usr/local/bin/warden-hook", Server: server})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(r.Settings)
	if err != nil {
		tb.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	return doc
}

// expected mirrors warden scan's Expected: the baseline compiled with the
// installed hook command and server.
func expected(tier string, installed map[string]any) (map[string]any, error) {
	hc, srv := InstalledBinding(installed)
	r, err := settings.Compile(policy.Baseline(), settings.Options{Tier: tier, HookCommand: hc, Server: srv})
	if err != nil {
		return nil, err
	}
	return r.Settings, nil
}

func writeJSONFile(tb testing.TB, p string, v any) {
	tb.Helper()
	b, err := settings.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func touch(tb testing.TB, p string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestMachineChecks(t *testing.T) {
	const server = "https://warden.example"
	tests := []struct {
		name    string
		setup   func(t *testing.T, root string)
		fp      fakeProbe
		opts    Options
		want    []string // rule ids, sorted
		message string
	}{
		{name: "Missing", want: []string{IDManagedMissing}},
		{name: "CurrentAndLocked", setup: func(t *testing.T, root string) {
			writeJSONFile(t, filepath.Join(root, "etc/claude-code/managed-settings.json"), compiled(t, "production-adjacent", server))
		}},
		{name: "Fragments", setup: func(t *testing.T, root string) {
			doc := compiled(t, "production-adjacent", server)
			perms := map[string]any{"permissions": doc["permissions"]}
			delete(doc, "permissions")
			writeJSONFile(t, filepath.Join(root, "etc/claude-code/managed-settings.d/10-permissions.json"), perms)
			writeJSONFile(t, filepath.Join(root, "etc/claude-code/managed-settings.d/20-rest.json"), doc)
		}},
		{name: "DriftAndBypass", setup: func(t *testing.T, root string) {
			doc := compiled(t, "production-adjacent", server)
			perms := doc["permissions"].(map[string]any)
			delete(perms, "disableBypassPermissionsMode")
			perms["deny"] = perms["deny"].([]any)[1:]
			writeJSONFile(t, filepath.Join(root, "etc/claude-code/managed-settings.json"), doc)
		}, want: []string{IDManagedDrift, IDBypassEnabled}, message: "- permissions.deny[]"},
		{name: "TierFromManifest", setup: func(t *testing.T, root string) {
			// The ci tier leaves bypass enabled; judged against it, nothing is wrong.
			writeJSONFile(t, filepath.Join(root, "etc/claude-code/managed-settings.json"), compiled(t, "ci", server))
			writeJSONFile(t, filepath.Join(root, "etc/claude-code", settings.ManifestName), map[string]any{"version": 1, "tool": "warden", "tier": "ci", "files": []any{}})
		}},
		{name: "TelemetryOff", setup: func(t *testing.T, root string) {
			writeJSONFile(t, filepath.Join(root, "etc/claude-code/managed-settings.json"), compiled(t, "production-adjacent", ""))
		}, want: []string{IDTelemetryOff}},
		{name: "Unparseable", setup: func(t *testing.T, root string) {
			touch(t, filepath.Join(root, "etc/claude-code/managed-settings.json"))
		}, want: []string{IDManagedDrift}, message: "cannot be read"},
		{name: "ClaudeRunsAsRoot", fp: fakeProbe{uid: 1000, version: "2.1.330", procs: []Process{
			{PID: 7, UID: 1000, Name: "claude", Args: []string{"claude"}},
			{PID: 9, UID: 0, Name: "node", Args: []string{"node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"}},
		}}, want: []string{IDManagedMissing, IDRunsAsRoot}, message: "process 9"},
		{name: "ScanAsRoot", fp: fakeProbe{uid: 0, version: "2.1.330"}, want: []string{IDManagedMissing, IDRunsAsRoot}},
		{name: "ContainerCredentials", setup: func(t *testing.T, root string) {
			touch(t, filepath.Join(root, ".dockerenv"))
			touch(t, filepath.Join(root, "home/dev/.aws/credentials"))
			touch(t, filepath.Join(root, "home/dev/.docker/config.json"))
			if err := os.MkdirAll(filepath.Join(root, "home/dev/.ssh"), 0o700); err != nil { // empty: holds nothing
				t.Fatal(err)
			}
		}, want: []string{IDManagedMissing, IDContainerCreds, IDContainerCreds}, message: ".aws"},
		{name: "CredentialsOutsideContainer", setup: func(t *testing.T, root string) {
			touch(t, filepath.Join(root, "home/dev/.aws/credentials"))
		}, want: []string{IDManagedMissing}},
		{name: "ContainerFlag", setup: func(t *testing.T, root string) {
			touch(t, filepath.Join(root, "home/dev/.kube/config"))
		}, opts: Options{Container: true}, want: []string{IDManagedMissing, IDContainerCreds}},
		{name: "Outdated", fp: fakeProbe{uid: 1000, version: "2.1.99"}, want: []string{IDManagedMissing, IDClientOutdated}, message: "2.1.99"},
		{name: "NewerIsFine", fp: fakeProbe{uid: 1000, version: "2.10.0"}, want: []string{IDManagedMissing}},
		{name: "MinVersionConfigurable", fp: fakeProbe{uid: 1000, version: "2.1.330"}, opts: Options{MinVersion: "2.2.0"}, want: []string{IDManagedMissing, IDClientOutdated}},
		{name: "NoClaude", fp: fakeProbe{uid: 1000}, want: []string{IDManagedMissing, IDClientVersionUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, root)
			}
			fp := tt.fp
			if fp.version == "" && fp.uid == 0 && fp.procs == nil && tt.name != "ScanAsRoot" && tt.name != "NoClaude" {
				fp = fakeProbe{uid: 1000, version: "2.1.330"}
			}
			fp.root = root
			opts := tt.opts
			opts.Machine = true
			opts.Home = "/home/dev"
			opts.ManagedDir = "/etc/claude-code"
			opts.Expected = expected
			opts.Probe = fp.probe()
			r, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.RuleID)
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("findings %v, want %v\n%+v", got, want, r.Findings)
			}
			if tt.message != "" {
				found := false
				for _, f := range r.Findings {
					found = found || strings.Contains(f.Message+f.Evidence, tt.message)
				}
				if !found {
					t.Errorf("no finding says %q: %+v", tt.message, r.Findings)
				}
			}
		})
	}
}

func TestChecklist(t *testing.T) {
	root := t.TempDir()
	writeJSONFile(t, filepath.Join(root, "etc/claude-code/managed-settings.json"), compiled(t, "production-adjacent", "https://warden.example"))
	fp := fakeProbe{uid: 1000, version: "2.1.330", root: root}
	r, err := Run(context.Background(), Options{Machine: true, Checklist: true, Home: "/home/dev", ManagedDir: "/etc/claude-code", Expected: expected, Probe: fp.probe()})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Status{}
	for _, it := range r.Checklist {
		got[it.ID] = it.Status
		if it.Evidence == "" {
			t.Errorf("%s: no evidence", it.ID)
		}
	}
	if len(r.Checklist) != 23 {
		t.Errorf("%d items, want seed 003's 17 and seed 004's 6", len(r.Checklist))
	}
	want := map[string]Status{
		"QC01": Pass,    // installed and equal to the compiled tier
		"QC02": Pass,    // production-adjacent disables bypass, and the settings do
		"QC03": Pass,    // the engine denies the secret reads
		"QC04": Pass,    // and asks or denies the risky commands
		"QC09": Pass,    // a managed PreToolUse hook
		"QC11": Unknown, // configured; reaching the collector is the server's to see
		"QC12": Pass,    // tool details pinned off as the tier says
		"QC13": Unknown, // server side
		"QC16": Unknown, // fixtures are not run
		"SC01": Unknown,
		"SC06": Unknown,
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s = %s, want %s", id, got[id], w)
		}
	}

	// Without the machine, what needs it is unknown, never a pass.
	r, err = Run(context.Background(), Options{Repo: t.TempDir(), Checklist: true, Probe: fakeProbe{}.probe()})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range r.Checklist {
		if (it.ID == "QC01" || it.ID == "QC11" || it.ID == "QC12") && it.Status != Unknown {
			t.Errorf("%s without --machine = %s, want unknown", it.ID, it.Status)
		}
	}
}

func TestChecklist_FailsOnFindings(t *testing.T) {
	archive, err := os.ReadFile("testdata/repos/done-when.txtar")
	if err != nil {
		t.Fatal(err)
	}
	r := mustScanRepo(t, string(archive), Options{Checklist: true})
	got := map[string]Status{}
	for _, it := range r.Checklist {
		got[it.ID] = it.Status
	}
	for _, id := range []string{"QC05", "QC07", "SC03"} {
		if got[id] != Fail {
			t.Errorf("%s = %s, want fail on the done-when repository", id, got[id])
		}
	}
	// Runtimes and credentials are the CI system's; the bypassing job is
	// evidence, not a verdict on them.
	for _, it := range r.Checklist {
		if it.ID == "QC14" && (it.Status != Unknown || !strings.Contains(it.Evidence, IDCIBypass)) {
			t.Errorf("QC14 = %s (%s), want unknown naming %s", it.Status, it.Evidence, IDCIBypass)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want [3]int
		ok   bool
	}{{"2.1.330", [3]int{2, 1, 330}, true}, {"v2.1", [3]int{2, 1, 0}, true}, {"2.1.330-beta.1", [3]int{2, 1, 330}, true}, {"x", [3]int{}, false}, {"1.2.3.4", [3]int{}, false}, {"1.-2.3", [3]int{}, false}} {
		got, err := parseVersion(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseVersion(%q) = %v, %v", tt.in, got, err)
		}
	}
}
