package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
)

// samplePolicyChange is the baseline with package-install moved from ask
// to deny and one more allowed web host.
func samplePolicyChange(t *testing.T) string {
	t.Helper()
	src := string(policy.BaselineYAML())
	changed := strings.Replace(src, "package-install: ask", "package-install: deny", 1)
	changed = strings.Replace(changed, "    - docs.github.com\n", "    - docs.github.com\n    - docs.rs\n", 1)
	if changed == src || strings.Count(changed, "docs.rs") != 1 {
		t.Fatal("the baseline changed shape; update samplePolicyChange")
	}
	path := filepath.Join(t.TempDir(), "new.yaml")
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPolicyDiffCmd(t *testing.T) {
	corpus := filepath.Join(repoRoot(t), "testdata", "corpus")
	newPolicy := samplePolicyChange(t)

	code, stdout, stderr := runCLI(t, nil, "", "policy", "diff", "--corpus", corpus, "--tier", "ci", "baseline", newPolicy)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"tier ci: ",
		"ask -> deny",
		"rule: commands.package-install",
		`+ permissions.allow[] "WebFetch(domain:docs.rs)"`,
		`- permissions.ask[] "Bash(npm install *)"`,
		`+ permissions.deny[] "Bash(npm install *)"`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "allow -> ") || strings.Contains(stdout, "deny -> ask") {
		t.Errorf("a decision weakened, which the change cannot do:\n%s", stdout)
	}

	t.Run("AllTiersAndExitCode", func(t *testing.T) {
		code, stdout, _ := runCLI(t, nil, "", "policy", "diff", "--corpus", corpus, "--exit-code", "baseline", newPolicy)
		if code != ExitFailure || strings.Count(stdout, "decisions change") != 5 {
			t.Errorf("exit %d:\n%s", code, stdout)
		}
	})
	t.Run("NoChange", func(t *testing.T) {
		code, stdout, _ := runCLI(t, nil, "", "policy", "diff", "--corpus", corpus, "--exit-code", "--tier", "low-risk", "baseline", "baseline")
		if code != ExitOK || !strings.Contains(stdout, "tier low-risk: no change") {
			t.Errorf("exit %d:\n%s", code, stdout)
		}
	})
	t.Run("UnknownTier", func(t *testing.T) {
		code, _, stderr := runCLI(t, nil, "", "policy", "diff", "--corpus", corpus, "--tier", "prod", "baseline", newPolicy)
		if code != ExitFailure || !strings.Contains(stderr, `unknown tier "prod"`) {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

// TestConsolePolicyDiff: the console's revision diff lists a tier's
// managed-settings changes as policy diff does.
func TestConsolePolicyDiff(t *testing.T) {
	oldP := policy.Baseline()
	newP, err := policyfile.Parse("baseline.yaml", policy.BaselineYAML())
	if err != nil {
		t.Fatal(err)
	}
	if newP.Settings == nil {
		newP.Settings = map[string]any{}
	}
	changes, err := consolePolicyDiff.Tier(oldP, oldP, "")
	if err != nil || len(changes) != 0 {
		t.Errorf("same policy: %v, %v", changes, err)
	}
	newP.Settings["cleanup_period_days"] = 7
	changes, err = consolePolicyDiff.Tier(oldP, newP, "")
	if err != nil || len(changes) == 0 {
		t.Errorf("changed policy: %v, %v", changes, err)
	}
	if d := consolePolicyDiff.Text("a", "b", "x\n", "y\n"); !strings.Contains(d, "-x") || !strings.Contains(d, "+y") {
		t.Errorf("text diff %q", d)
	}
}
