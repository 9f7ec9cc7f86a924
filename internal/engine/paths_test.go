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

// TestEngine_PathsProc: the process links of /proc and /dev/fd lead to the
// files they name.
func TestEngine_PathsProc(t *testing.T) {
	runPathCases(t, mustBaseline(t, NoFS{}), []pathCase{
		{"SelfRoot", bash("cat /proc/self/root/home/dev/.aws/credentials"), policy.Deny},
		{"PidRoot", bash("cat /proc/1/root/home/dev/.netrc"), policy.Deny},
		{"ThreadSelfRoot", bash("cat /proc/thread-self/root/home/dev/.kube/config"), policy.Deny},
		{"TaskRoot", bash("cat /proc/self/task/9/root/home/dev/.docker/config.json"), policy.Deny},
		{"SelfCwd", bash("cat /proc/self/cwd/.env"), policy.Deny},
		{"SelfCwdDotDot", bash("cat /proc/self/cwd/../.npmrc"), policy.Deny},
		{"PidCwdAfterCd", bash("cd /tmp && cat /proc/4242/cwd/.env"), policy.Deny},
		{"PidCwdReadTool", Action{Tool: "Read", Path: "/proc/4242/cwd/.env", Cwd: "/home/dev/app"}, policy.Deny},
		{"CdIntoProc", bash("cd /proc/self/root/home/dev && cat .git-credentials"), policy.Deny},
		{"WriteThroughCwd", bash("echo x > /proc/self/cwd/.github/workflows/ci.yml"), policy.Ask},
		{"DevFdOfSecret", bash("cat /dev/fd/3 3< .env"), policy.Deny},
		{"ProcFdOfSecret", bash("exec 4< ~/.ssh/id_ed25519; base64 /proc/self/fd/4"), policy.Deny},
		{"ProcCpuinfo", bash("cat /proc/cpuinfo"), policy.None},
		{"ProcSelfStatus", bash("grep VmRSS /proc/self/status"), policy.None},
		{"ProcCwdSource", bash("cat /proc/self/cwd/src/main.go"), policy.None},
		{"ProcRootEtcOS", bash("cat /proc/1/root/etc/os-release"), policy.None},
	})
}
