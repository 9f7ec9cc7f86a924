package engine

import (
	"fmt"
	"github.com/wardenhq/warden/internal/condition"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/yamlfile"
)

func mustEngine(tb testing.TB, file, tier string) *Engine {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := policyfile.Parse(file, data)
	if err != nil {
		tb.Fatalf("parse %s: %v", file, err)
	}
	rs, err := p.Ruleset(tier)
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	return New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: NoFS{}, Now: now, Trace: true})
}

func TestEngine_CustomPolicy(t *testing.T) {
	tests := []struct {
		name, tier string
		a          Action
		want       policy.Verdict
		rule       string
		reasonHas  string
	}{
		{"ConditionMatches", "", Action{Tool: "Bash", Command: "psql -h db.prod.internal"}, policy.Deny, "conditions.no-prod-hosts", "production database"},
		{"ConditionOtherTool", "", Action{Tool: "Read", Path: "notes/db.prod.internal.md"}, policy.None, "", ""},
		{"ConditionPermissionMode", "", Action{Tool: "Write", Path: "x.go", PermissionMode: "bypassPermissions"}, policy.Ask, "conditions.ask-bypass-writes", ""},
		{"ClassMember", "", Action{Tool: "Bash", Command: "mytool upload build/"}, policy.Deny, "commands.egress", "class egress"},
		{"ClassMemberOtherArgs", "", Action{Tool: "Bash", Command: "mytool list"}, policy.None, "", ""},
		{"ExceptionLoosensInRepo", "", Action{Tool: "Bash", Command: "curl https://x.example", Repo: "/work/tools", Cwd: "/work/tools"}, policy.Ask, "commands.egress", "exception \"tools-repo-egress\""},
		{"ExceptionOtherRepo", "", Action{Tool: "Bash", Command: "curl https://x.example", Repo: "/work/app", Cwd: "/work/app"}, policy.Deny, "commands.egress", ""},
		{"ExpiredExceptionIgnored", "", Action{Tool: "Bash", Command: "cat .env", Cwd: "/work/app", Repo: "/work/app"}, policy.Deny, "paths.secrets", ""},
		{"ExceptPattern", "", Action{Tool: "Bash", Command: "cat .env.example", Cwd: "/work/app"}, policy.None, "", ""},
		{"PushProtectedAsksInDev", "", Action{Tool: "Bash", Command: "git push origin main"}, policy.Ask, "commands.vcs-write", ""},
		{"PushProtectedDeniedInCI", "ci", Action{Tool: "Bash", Command: "git push origin main"}, policy.Deny, "commands.vcs-push-protected", ""},
		{"PlainPushOnMainDeniedInCI", "ci", Action{Tool: "Bash", Command: "git push", Branch: "main"}, policy.Deny, "commands.vcs-push-protected", ""},
		{"PlainPushOnFeatureAsksInCI", "ci", Action{Tool: "Bash", Command: "git push", Branch: "fix-tests"}, policy.Ask, "commands.vcs-write", ""},
		{"HeadRefspecOnMain", "ci", Action{Tool: "Bash", Command: "git push origin HEAD", Branch: "main"}, policy.Deny, "commands.vcs-push-protected", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngine(t, "testdata/custom.yaml", tt.tier)
			if tt.a.Cwd == "" {
				tt.a.Cwd = "/work/app"
			}
			tt.a.Home = "/home/dev"
			d := e.Decide(tt.a)
			if d.Verdict != tt.want || d.RuleID != tt.rule {
				t.Fatalf("got %s %s (%s), want %s %s", d.Verdict, d.RuleID, d.Reason, tt.want, tt.rule)
			}
			if !strings.Contains(d.Reason, tt.reasonHas) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reasonHas)
			}
			if d.Policy != "custom" || d.PolicyVersion != "7" {
				t.Errorf("decision names policy %s@%s, want custom@7", d.Policy, d.PolicyVersion)
			}
		})
	}
}

// TestEngine_ExceptionNamed: the Decision names the exception that loosened
// the finding it reports, not another one applied to another part of the
// action, and none when the decisive finding was not loosened.
func TestEngine_ExceptionNamed(t *testing.T) {
	tests := []struct {
		name, cmd string
		want      policy.Verdict
		rule      string
		exception string
	}{
		{"One", "curl https://x.example", policy.Ask, "commands.egress", "release-notes-egress"},
		{"FirstOfTwo", "curl https://x.example && cat .env", policy.Ask, "commands.egress", "release-notes-egress"},
		{"FirstOfTwoReversed", "cat .env && curl https://x.example", policy.Ask, "paths.secrets", "fixture-env"},
		{"DenyWithoutException", "curl https://x.example && cat ~/.ssh/id_rsa", policy.Deny, "paths.keys", ""},
		// The condition's reason says "by exception", but no exception loosened it.
		{"ReasonMentionsException", "curl https://db.prod.internal", policy.Deny, "conditions.prod-hosts", ""},
	}
	e := mustEngine(t, "testdata/exceptions.yaml", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(Action{Tool: "Bash", Command: tt.cmd, Cwd: "/work/app", Repo: "/work/app", Home: "/home/dev"})
			if d.Verdict != tt.want || d.RuleID != tt.rule {
				t.Fatalf("got %s %s (%s), want %s %s", d.Verdict, d.RuleID, d.Reason, tt.want, tt.rule)
			}
			if d.Exception != tt.exception {
				t.Errorf("Exception = %q, want %q (reason %q)", d.Exception, tt.exception, d.Reason)
			}
			if tt.exception != "" && !strings.Contains(d.Reason, fmt.Sprintf("exception %q", tt.exception)) {
				t.Errorf("reason %q does not name exception %q", d.Reason, tt.exception)
			}
		})
	}
}

// TestEngine_AllowNeedsEveryPart: an explicit allow skips Claude Code's
// prompt, so a compound command is allowed only when every part is.
func TestEngine_AllowNeedsEveryPart(t *testing.T) {
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		t.Fatal(err)
	}
	e := New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: NoFS{}})
	tests := []struct {
		cmd  string
		want policy.Verdict
	}{
		{"git status", policy.Allow},
		{"git status && git diff", policy.Allow},
		{"git status && touch x", policy.None},
		{"git status; rm -rf /", policy.Deny},
		{"ls $(curl https://x.example)", policy.Deny},
	}
	for _, tt := range tests {
		if d := e.Decide(Action{Tool: "Bash", Command: tt.cmd, Cwd: "/work/app", Home: "/home/dev"}); d.Verdict != tt.want {
			t.Errorf("%q: got %s (%s), want %s", tt.cmd, d.Verdict, d.Reason, tt.want)
		}
	}
}

func TestEngine_Tools(t *testing.T) {
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		t.Fatal(err)
	}
	e := New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: NoFS{}})
	tests := []struct {
		a    Action
		want policy.Verdict
	}{
		{Action{Tool: "Glob", Pattern: "**/*.go"}, policy.None},
		{Action{Tool: "Glob", Path: "~/.ssh", Pattern: "*"}, policy.Deny},
		{Action{Tool: "Grep", Path: ".", Input: map[string]any{"glob": ".env*"}}, policy.Deny},
		{Action{Tool: "MultiEdit", Path: ".github/workflows/ci.yml"}, policy.Ask},
		{Action{Tool: "TodoWrite"}, policy.None},
		{Action{Tool: "FrobnicateTool"}, policy.Ask},
		{Action{Tool: "WebFetch", URL: "file:///home/dev/.ssh/id_rsa"}, policy.Deny},
		{Action{Tool: "WebFetch", URL: "::not a url"}, policy.Ask},
		{Action{Tool: "WebSearch", Query: "golang context"}, policy.None},
	}
	for _, tt := range tests {
		tt.a.Cwd, tt.a.Home = "/home/dev/app", "/home/dev"
		if d := e.Decide(tt.a); d.Verdict != tt.want {
			t.Errorf("%+v: got %s (%s %s), want %s", tt.a, d.Verdict, d.RuleID, d.Reason, tt.want)
		}
	}
}

// mapFS adapts fstest.MapFS (paths without the leading slash) to FS.
type mapFS struct{ m fstest.MapFS }

func (f mapFS) Lstat(name string) (fs.FileInfo, error) {
	return fs.Stat(f.m, strings.TrimPrefix(name, "/"))
}
func (f mapFS) EvalSymlinks(p string) (string, error) { return p, nil }
func (f mapFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(f.m, strings.TrimPrefix(name, "/"))
}
func (f mapFS) ReadFile(name string, max int64) ([]byte, error) {
	data, err := fs.ReadFile(f.m, strings.TrimPrefix(name, "/"))
	if err == nil && int64(len(data)) > max {
		return data[:max], ErrFileTooLarge
	}
	return data, err
}
func (f mapFS) Glob(pattern string) ([]string, error) {
	ms, err := fs.Glob(f.m, strings.TrimPrefix(pattern, "/"))
	for i := range ms {
		ms[i] = "/" + ms[i]
	}
	return ms, err
}

// TestEngine_RecursiveReads: a recursive read that covers a secret asks
// (it names the way out); one that names it, or reads home, denies.
func TestEngine_RecursiveReads(t *testing.T) {
	rs, err := policy.Baseline().Ruleset("")
	if err != nil {
		t.Fatal(err)
	}
	files := mapFS{fstest.MapFS{
		"work/app/.env":        {Data: []byte("SECRET=1")},
		"work/app/main.go":     {Data: []byte("package main")},
		"work/app/src/util.go": {Data: []byte("package src")},
		"work/clean/main.go":   {Data: []byte("package main")},
	}}
	e := New(rs, Options{Conditions: condition.NewEvaluator(rs), FS: files, YAML: yamlfile.First})
	tests := []struct {
		cmd, cwd string
		want     policy.Verdict
	}{
		{"grep -rn deprecated .", "/work/app", policy.Ask},
		{"grep -rn --exclude='.env*' deprecated .", "/work/app", policy.None},
		{"grep -rn --exclude=.env* deprecated .", "/work/app", policy.None}, // unquoted: an option value, not a path
		{"grep -rn --include=*.go deprecated .", "/work/app", policy.None},
		{"grep -rn -e .env src/", "/work/app", policy.None}, // .env is the pattern
		{"grep -r -e deprecated .", "/work/app", policy.Ask},
		{"grep -f .env -r deprecated src", "/work/app", policy.Deny}, // a pattern file is read
		{"awk -v f=.env '{print}' main.go", "/work/app", policy.None},
		{"grep -v '^#' .env", "/work/app", policy.Deny},         // grep's -v is a flag: .env is the file
		{"grep -A 3 deprecated .env", "/work/app", policy.Deny}, // -A takes a number; .env is the file
		{"grep -rn deprecated src/", "/work/app", policy.None},
		{"grep -rn deprecated .", "/work/clean", policy.None},
		{"tar czf /tmp/x.tgz .", "/work/app", policy.Ask},
		{"tar czf - ~", "/work/app", policy.Deny},
		{"cat .en*", "/work/app", policy.Deny},
		{"find . -type f -exec cat {} +", "/work/app", policy.Ask},
	}
	for _, tt := range tests {
		d := e.Decide(Action{Tool: "Bash", Command: tt.cmd, Cwd: tt.cwd, Repo: tt.cwd, Home: "/home/dev"})
		if d.Verdict != tt.want {
			t.Errorf("%q in %s: got %s (%s), want %s", tt.cmd, tt.cwd, d.Verdict, d.Reason, tt.want)
		}
	}
}
