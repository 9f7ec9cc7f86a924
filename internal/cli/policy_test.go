package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

const validPolicy = `version: 1
name: acme
revision: "3"
default_tier: std
commands:
  classes: {egress: deny}
tiers:
  - name: std
`

const expiringPolicy = validPolicy + `exceptions:
  - id: curl-for-release
    rule: commands.egress
    decision: ask
    owner: release@acme.example
    reason: release script downloads the changelog tool
    expires: 2026-12-05
`

const invalidPolicy = `version: 1
name: acme
revision: "3"
default_tier: std
permissions:
  dney: [Bash(curl *)]
commands:
  classes: {egres: deny}
tiers:
  - name: std
`

// misspeltConditionPolicy names a field action does not have: before CEL
// knew action's fields it passed the check and then failed, so asked or
// denied, on every call.
const misspeltConditionPolicy = `version: 1
name: acme
revision: "3"
default_tier: std
conditions:
  - id: no-prod-ssh
    decision: deny
    reason: connects to a production host
    when: action.comands.exists(c, c.program == "ssh")
tiers:
  - name: std
`

func TestPolicyCmd(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	valid := write("valid.yaml", validPolicy)
	expiring := write("expiring.yaml", expiringPolicy)
	invalid := write("invalid.yaml", invalidPolicy)
	misspelt := write("misspelt.yaml", misspeltConditionPolicy)
	missing := filepath.Join(dir, "missing.yaml")

	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // substrings
		stderr     []string
		stdoutFull string // exact stdout when set
	}{
		{name: "ShowDefault", args: []string{"policy", "show"}, stdoutFull: string(policy.BaselineYAML())},
		{name: "ShowBaseline", args: []string{"policy", "show", "baseline"}, stdoutFull: string(policy.BaselineYAML())},
		{name: "ShowFile", args: []string{"policy", "show", valid}, stdoutFull: validPolicy},
		{name: "ShowInvalid", args: []string{"policy", "show", invalid}, code: ExitFailure,
			stderr: []string{invalid + ":6:3: permissions.dney: unknown field", "Error: " + invalid + " is not a valid policy"}},
		{name: "ShowMissing", args: []string{"policy", "show", missing}, code: ExitFailure, stderr: []string{"Error: show policy: open " + missing}},
		{name: "ShowTooMany", args: []string{"policy", "show", "a", "b"}, code: ExitUsage, stderr: []string{"Try: warden policy show --help"}},

		{name: "CheckValid", args: []string{"policy", "check", valid}, stdout: []string{valid + ": ok (policy acme revision 3, 1 tiers, 0 exceptions, 0 warnings)"}},
		{name: "CheckBaseline", args: []string{"policy", "check", "baseline"}, stdout: []string{"baseline: ok (policy baseline"}},
		{name: "CheckInvalid", args: []string{"policy", "check", valid, invalid}, code: ExitFailure,
			stdout: []string{valid + ": ok"},
			stderr: []string{
				invalid + `:6:3: permissions.dney: unknown field "dney" (did you mean "deny"?)`,
				"    6 |   dney: [Bash(curl *)]\n      |   ^",
				invalid + `:8:13: commands.classes.egres: unknown command class "egres"`,
				"Error: 1 of 2 policy files invalid",
			}},
		{name: "CheckMisspeltConditionField", args: []string{"policy", "check", misspelt}, code: ExitFailure,
			stderr: []string{
				misspelt + `:9:17: conditions[0].when: invalid condition: undefined field 'comands' (did you mean 'commands'?)`,
				"    9 |     when: action.comands.exists(c, c.program == \"ssh\")\n      |                 ^",
				"Error: 1 of 1 policy files invalid",
			}},
		{name: "CheckMissing", args: []string{"policy", "check", missing}, code: ExitFailure, stderr: []string{"load policy " + missing, "Error: 1 of 1 policy files invalid"}},
		{name: "CheckWarnings", args: []string{"policy", "check", "--now", "2026-11-23", expiring}, code: ExitFindings,
			stdout: []string{expiring + ": ok", "1 warnings)"},
			stderr: []string{"warning: " + expiring + `:15:14: exceptions[0].expires: exception "curl-for-release" expires in 13 day(s)`, "1 warnings\n"}},
		{name: "CheckExpired", args: []string{"policy", "check", "--now", "2027-01-01", expiring}, code: ExitFindings,
			stderr: []string{`expired on 2026-12-05 and no longer applies`}},
		{name: "CheckNotYetWarned", args: []string{"policy", "check", "--now", "2026-11-01", expiring}, stdout: []string{"0 warnings"}},
		{name: "CheckBadNow", args: []string{"policy", "check", "--now", "soon", valid}, code: ExitUsage, stderr: []string{`--now: invalid date "soon"`}},
		{name: "CheckNoFiles", args: []string{"policy", "check"}, code: ExitUsage, stderr: []string{"requires at least 1 arg"}},

		{name: "Schema", args: []string{"policy", "schema"}, stdoutFull: string(policy.Schema())},

		{name: "NoSubcommand", args: []string{"policy"}, stdout: []string{"Available Commands:"}},
		{name: "UnknownSubcommand", args: []string{"policy", "lint"}, code: ExitUsage, stderr: []string{`unknown command "lint" for "warden policy"`}},
		{name: "Help", args: []string{"policy", "--help"}, stdout: []string{"warden policy show baseline > policy.yaml", "check", "schema"}},
		{name: "ShowHelp", args: []string{"policy", "show", "--help"}, stdout: []string{"Examples:", "warden policy show baseline > policy.yaml"}},
		{name: "CheckHelp", args: []string{"policy", "check", "--help"}, stdout: []string{"Examples:", "Exit status", "--now"}},
		{name: "SchemaHelp", args: []string{"policy", "schema", "--help"}, stdout: []string{"Examples:", "yaml-language-server"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			if tt.stdoutFull != "" && stdout.String() != tt.stdoutFull {
				t.Errorf("stdout differs from the expected %d bytes:\n%s", len(tt.stdoutFull), stdout.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if len(tt.stderr) == 0 && stderr.Len() > 0 {
				t.Errorf("unexpected stderr:\n%s", stderr.String())
			}
		})
	}
}
