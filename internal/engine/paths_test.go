package engine

import (
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

// mustBaseline returns an engine for the baseline's default tier on fsys.
func mustBaseline(tb testing.TB, fsys FS) *Engine {
	tb.Helper()
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		tb.Fatal(err)
	}
	return New(rs, Options{FS: fsys, Trace: true})
}

// pathCase is one action decided by the baseline in /home/dev/app.
type pathCase struct {
	name string
	a    Action
	want policy.Verdict
}

func runPathCases(t *testing.T, e *Engine, tests []pathCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.a
			if a.Cwd == "" {
				a.Cwd = "/home/dev/app"
			}
			if a.Home == "" {
				a.Home = "/home/dev"
			}
			if a.Repo == "" {
				a.Repo = "/home/dev/app"
			}
			if d := e.Decide(a); d.Verdict != tt.want {
				t.Errorf("got %s (%s: %s), want %s", d.Verdict, d.RuleID, d.Reason, tt.want)
			}
		})
	}
}

func bash(cmd string) Action { return Action{Tool: "Bash", Command: cmd} }

// TestEngine_PathsCaseFold: protected patterns and their exceptions match
// in any case, by every tool.
func TestEngine_PathsCaseFold(t *testing.T) {
	runPathCases(t, mustBaseline(t, NoFS{}), []pathCase{
		{"CatEnvUpper", bash("cat .ENV"), policy.Deny},
		{"ReadToolEnvMixed", Action{Tool: "Read", Path: ".Env"}, policy.Deny},
		{"EnvLocal", bash("cat .ENV.Local"), policy.Deny},
		{"AWSCredentials", bash("cat ~/.AWS/credentials"), policy.Deny},
		{"AbsoluteHomeUpper", bash("cat /HOME/DEV/.ssh/config"), policy.Deny},
		{"PemUpper", Action{Tool: "Read", Path: "tls/SERVER.PEM"}, policy.Deny},
		{"GlobUpper", bash("cat .ENV*"), policy.Deny},
		{"WorkflowWrite", Action{Tool: "Write", Path: ".GitHub/workflows/ci.yml"}, policy.Ask},
		{"LockfileEdit", Action{Tool: "Edit", Path: "Package-Lock.json"}, policy.Ask},
		{"ClaudeRedirect", bash("echo x > .CLAUDE/settings.json"), policy.Ask},
		{"ExceptionUpper", bash("cat .env.EXAMPLE"), policy.None},
		{"ExceptionMixed", Action{Tool: "Read", Path: ".Env.Sample"}, policy.None},
		{"Envrc", bash("cat .ENVRC"), policy.None},
		{"EnvironmentSource", Action{Tool: "Read", Path: "src/Environment.ts"}, policy.None},
		{"WorkflowRead", Action{Tool: "Read", Path: ".GitHub/workflows/ci.yml"}, policy.None},
	})
}
