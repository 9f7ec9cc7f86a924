package engine

import (
	"github.com/wardenhq/warden/internal/condition"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// mustBaseline returns an engine for the baseline's default tier on fsys.
func mustBaseline(tb testing.TB, fsys FS) *Engine {
	tb.Helper()
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		tb.Fatal(err)
	}
	return New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: fsys, Trace: true, YAML: yamlfile.First})
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
		{"Envrc", bash("cat .ENVRC"), policy.Deny}, // direnv's file exports secrets
		{"EnvironmentFile", bash("cat .environment"), policy.None},
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

// TestEngine_PathsSymlinks: links are followed in every component,
// directories included, on the real file system.
func TestEngine_PathsSymlinks(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(root, "home", "dev")
	app := filepath.Join(home, "app")
	for _, dir := range []string{".ssh", ".aws", "app/secrets", "app/.github/workflows", "app/lib", "app/b"} {
		if err := os.MkdirAll(filepath.Join(home, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{".ssh/config", ".aws/credentials", "app/secrets/db.txt", "app/lib/x.go"} {
		if err := os.WriteFile(filepath.Join(home, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"app/cfg":   "../.aws",                     // a directory link, relative
		"app/conf":  filepath.Join(app, "secrets"), // a link to secrets/ is the secrets directory
		"app/wf":    ".github/workflows",
		"app/a":     "b",                         // a link to a directory that holds a link
		"app/b/c":   filepath.Join(home, ".ssh"), //
		"app/src":   "lib",
		"app/notes": "lib/x.go",
	} {
		if err := os.Symlink(target, filepath.Join(home, link)); err != nil {
			t.Fatal(err)
		}
	}
	in := func(a Action) Action {
		a.Cwd, a.Home, a.Repo = app, home, app
		return a
	}
	runPathCases(t, mustBaseline(t, OSFS{}), []pathCase{
		{"DirLinkRelative", in(bash("cat cfg/credentials")), policy.Deny},
		{"DirLinkReadTool", in(Action{Tool: "Read", Path: "cfg/credentials"}), policy.Deny},
		{"LinkToSecretsDir", in(bash("cat conf/db.txt")), policy.Deny},
		{"LinkToSecretsDirGrep", in(bash("grep -r password conf")), policy.Deny},
		{"NewFileUnderLinkedDir", in(Action{Tool: "Write", Path: "wf/release.yml"}), policy.Ask},
		{"RedirectUnderLinkedDir", in(bash("echo x > wf/ci.yml")), policy.Ask},
		{"LinkInsideLinkedDir", in(bash("cat a/c/config")), policy.Deny},
		{"RecursiveReadOfLink", in(bash("tar czf /tmp/x.tgz cfg")), policy.Deny},
		{"OrdinaryDirLink", in(bash("cat src/x.go")), policy.None},
		{"OrdinaryFileLink", in(Action{Tool: "Read", Path: "notes"}), policy.None},
		{"OrdinaryWrite", in(Action{Tool: "Write", Path: "src/y.go"}), policy.None},
	})
}

// TestEngine_PathsLinksInCall: a link the same Bash call creates with ln
// is followed, though it does not exist when the call is decided.
func TestEngine_PathsLinksInCall(t *testing.T) {
	runPathCases(t, mustBaseline(t, NoFS{}), []pathCase{
		{"SymlinkRelativeToLinkDir", bash("ln -s ../../.aws src/k && cat src/k/credentials"), policy.Deny},
		{"WorkflowDir", bash("ln -s .github/workflows w && echo x > w/ci.yml"), policy.Ask},
		{"ClaudeDirCp", bash("ln -sfn .claude c; cp evil.json c/settings.json"), policy.Ask},
		{"HardLinkLockfile", bash("ln package-lock.json lock && echo '{}' > lock"), policy.Ask},
		{"TargetDirOption", bash("ln -s -t links ../.github; echo x > links/.github/workflows/x.yml"), policy.Ask},
		{"IntoDirectory", bash("mkdir d && ln -s ../.mcp.json d && echo '{}' > d/.mcp.json"), policy.Ask},
		{"Chain", bash("ln -s .github g; ln -s g/workflows w2; tee w2/ci.yml < x"), policy.Ask},
		{"LaterInLoop", bash("for i in 1 2; do echo x > w/ci.yml; ln -s .github/workflows w; done"), policy.Ask},
		{"Nested", bash("bash -c 'ln -s .github/workflows w && echo x > w/ci.yml'"), policy.Ask},
		{"OrdinaryLink", bash("ln -s build/out latest && ls latest/"), policy.None},
		{"OrdinaryConfigLink", bash("ln -sf ../shared/config.yaml config.yaml && cat config.yaml"), policy.None},
		{"OrdinaryHardLink", bash("ln src/a.go b.go && echo x >> b.go"), policy.None},
	})
}

// TestEngine_PathsBuilt: paths built from the working directory, the
// repository root and dirname/basename resolve like literal ones.
func TestEngine_PathsBuilt(t *testing.T) {
	runPathCases(t, mustBaseline(t, NoFS{}), []pathCase{
		{"PwdSubst", bash("cat $(pwd)/.env"), policy.Deny},
		{"PwdBackticks", bash("cat `pwd`/.env.production"), policy.Deny},
		{"PwdVar", bash(`cat "$PWD/secrets/db.yaml"`), policy.Deny},
		{"TildePlus", bash("cat ~+/.env"), policy.Deny},
		{"PwdAfterCd", bash(`cd config && cat "$(pwd)/.env"`), policy.Deny},
		{"Toplevel", bash(`cat "$(git rev-parse --show-toplevel)/.env"`), policy.Deny},
		{"ToplevelFromSubdir", Action{Tool: "Bash", Command: `cp x "$(git rev-parse --show-toplevel)/.github/workflows/ci.yml"`, Cwd: "/home/dev/app/src"}, policy.Ask},
		{"DirnamePwd", bash(`cat "$(dirname "$PWD")/.npmrc"`), policy.Deny},
		{"DirnameLiteral", bash(`cat "$(dirname ~/.aws/config)/credentials"`), policy.Deny},
		{"Basename", bash(`cat ~/.ssh/$(basename /tmp/id_ed25519.pub .pub)`), policy.Deny},
		{"Realpath", bash(`cat "$(realpath .env)"`), policy.Deny},
		{"OldPwd", bash(`cd /tmp && cat "$OLDPWD/.env"`), policy.Deny},
		{"TildeMinus", bash(`cd /tmp; cat ~-/.env`), policy.Deny},
		{"PwdSource", bash("cat $(pwd)/src/main.go"), policy.None},
		{"ToplevelMakefile", bash(`make -C "$(git rev-parse --show-toplevel)" test`), policy.None},
		{"DirnameReadme", bash(`cat "$(dirname "$PWD")/README.md"`), policy.None},
		{"BasenameLog", bash(`tail -n 20 logs/$(basename "$PWD").log`), policy.None},
		{"OldPwdLs", bash(`cd build && ls "$OLDPWD"`), policy.None},
	})
}

// TestEngine_PathsAuthWord: the control-plane auth pattern matches
// authentication code by word, in any case, and not names that merely
// contain the letters.
func TestEngine_PathsAuthWord(t *testing.T) {
	write := func(p string) Action { return Action{Tool: "Write", Path: p} }
	var tests []pathCase
	for _, p := range []string{
		"src/OAuth2Client.ts", "internal/authz/policy.go", "auth.go", "src/Auth/session.ts",
		"pkg/authn/token.go", "authentication.py", "app/authorization/rules.rb", "lib/oauth/client.go",
		"src/main/java/com/acme/AuthService.java", "user_auth.py", "web/auth-callback.tsx",
		"src/PreAuth.ts", "AUTH.md", "unauthorized_handler.go", "config/authorisation.yaml",
		"internal/auth", "src/services/oauthlib_adapter.py",
	} {
		tests = append(tests, pathCase{"Ask/" + p, write(p), policy.Ask})
	}
	for _, p := range []string{
		"src/authors.ts", "author.txt", "docs/authoring.md", "AUTHORS", "CODEOWNERS",
		"src/components/AuthorCard.tsx", "authority.go", "src/coauthor/list.ts", "docs/Authors/index.md",
	} {
		tests = append(tests, pathCase{"None/" + p, write(p), policy.None})
	}
	tests = append(tests,
		pathCase{"BashRedirect", bash("echo x >> src/auth/session.go"), policy.Ask},
		pathCase{"SedInPlace", bash("sed -i s/a/b/ internal/AuthMiddleware.go"), policy.Ask},
		pathCase{"BashAuthors", bash("echo 'Ada' >> AUTHORS"), policy.None},
		pathCase{"ReadAuth", Action{Tool: "Read", Path: "src/auth/session.go"}, policy.None},
	)
	runPathCases(t, mustBaseline(t, NoFS{}), tests)
}

// TestPatternBase: the last-segment prefilter of checkGlob must never
// reject a glob that the whole instance would match.
func TestPatternBase(t *testing.T) {
	tests := []struct {
		pattern, glob string
		want          bool
	}{
		{"**/.env", ".en?", true},
		{"**/.env", "*.go", false},
		{"~/.ssh/id_*", "id_*", true},
		{"~/.ssh/id_*", "*.pub", false},
		{"secrets/**", "*", true},
		{"**/<auth>/**", "*", true},
		{"src/<auth>", "auth*", true},
		{"src/<auth>", "*.go", false},
		{"~/.aws/", "cred*", false},
		{"~/.aws/", ".aws", true},
	}
	for _, tt := range tests {
		pt := compileRulePattern(tt.pattern)
		if got := pt.base == "" || segmentMatch(foldCase(tt.glob), pt.base); got != tt.want {
			t.Errorf("%s: base %q, glob %q matches = %v, want %v", tt.pattern, pt.base, tt.glob, got, tt.want)
		}
		// The base is the last segment of the whole instance.
		if inst := pt.instantiate("/", &pathEnv{home: "/h", cwd: "/c", repo: "/r"}); pt.base != "" && foldCase(path.Base(inst)) != pt.base {
			t.Errorf("%s: base %q, instance %q", tt.pattern, pt.base, inst)
		}
	}
}
