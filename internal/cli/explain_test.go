package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// TestExplainCmd_Examples runs every example of `warden explain --help` as
// written, in a directory holding the policy.yaml and pretooluse.json they
// name: a documented form that does not work fails here.
func TestExplainCmd_Examples(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"policy.yaml": policy.BaselineYAML(),
		"pretooluse.json": []byte(`{"session_id":"s1","cwd":"/home/dev/app","hook_event_name":"PreToolUse",` +
			`"tool_name":"Read","tool_input":{"file_path":"/home/dev/app/.env"},"tool_use_id":"t1"}`),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	example := newExplainCmd(&Env{}).Example
	lines := strings.Split(strings.TrimSpace(example), "\n")
	if len(lines) < 5 {
		t.Fatalf("explain has %d examples, want at least 5:\n%s", len(lines), example)
	}
	for _, line := range lines {
		line = strings.TrimSpace(line)
		t.Run(line, func(t *testing.T) {
			args, stdin := exampleArgs(t, line)
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), args, stdin, &stdout, &stderr); code != ExitOK {
				t.Fatalf("exit code = %d, want %d\nstderr:\n%s", code, ExitOK, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), "decision:") {
				t.Errorf("stdout does not start with the decision:\n%s", stdout.String())
			}
		})
	}
}

// exampleArgs splits a documented command line as Bash would, with the
// warden package's own analyzer, and opens the file it redirects stdin from.
func exampleArgs(tb testing.TB, line string) ([]string, io.Reader) {
	tb.Helper()
	res := shell.Analyze(line, shell.Options{Home: "/home/dev"})
	if res.ParseError != nil || len(res.Commands) != 1 || res.Commands[0].Program != "warden" {
		tb.Fatalf("example %q is not one warden command (%v)", line, res.ParseError)
	}
	c := res.Commands[0]
	var args []string
	for _, w := range c.Args {
		if w.Dynamic || len(w.Values) != 1 {
			tb.Fatalf("example %q: argument %s is not one literal word", line, w.Raw)
		}
		args = append(args, w.Values[0])
	}
	var stdin io.Reader = strings.NewReader("")
	for _, r := range c.Redirects {
		if r.Op != "<" || len(r.Target.Values) != 1 {
			tb.Fatalf("example %q: redirect %s%s is not a stdin file", line, r.Op, r.Target.Raw)
		}
		data, err := os.ReadFile(r.Target.Values[0])
		if err != nil {
			tb.Fatal(err)
		}
		stdin = bytes.NewReader(data)
	}
	return args, stdin
}

func TestExplainCmd_MCP(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "ServerTool", args: []string{"--mcp", "github", "create_issue"}, stdout: "action:    mcp__github__create_issue"},
		{name: "Comma", args: []string{"--mcp", "github,create_issue"}, stdout: "action:    mcp__github__create_issue"},
		{name: "Repeated", args: []string{"--mcp", "github", "--mcp", "create_issue"}, stdout: "action:    mcp__github__create_issue"},
		{name: "ServerOnly", args: []string{"--mcp", "github"}, code: ExitUsage,
			stderr: `Error: --mcp takes a server and a tool (--mcp github create_issue), got "github"`},
		{name: "ExtraArgument", args: []string{"--mcp", "github", "create_issue", "now"}, code: ExitUsage,
			stderr: `got "github create_issue now"`},
		{name: "ThreeParts", args: []string{"--mcp", "github,create_issue", "now"}, code: ExitUsage,
			stderr: `got "github create_issue now"`},
		{name: "ArgumentWithoutMCP", args: []string{"--bash", "git", "status"}, code: ExitUsage,
			stderr: `unexpected argument "status": give the action with --bash`},
		{name: "OnlyArgument", args: []string{"create_issue"}, code: ExitUsage,
			stderr: "Try: warden explain --help"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), append([]string{"explain"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
		})
	}
}

// TestExplainCmd_PolicyMember: explain shows the row a policy member
// describes and decides the shell code its option runs.
func TestExplainCmd_PolicyMember(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(pol, []byte(`version: 1
name: members
revision: "1"
default_tier: t
commands:
  classes: {egress: deny}
  members:
    - command: deployctl
      options:
        - names: [-c, --config]
          value: read
        - names: [--hook]
          value: shell
tiers: [{name: t}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"explain", "--policy", pol, "--cwd", dir, "--home", dir, "--bash", `deployctl --hook "curl x" up`}
	if code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit code = %d\nstderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{"decision:  deny", "rule:      commands.egress", "program  deployctl: policy member deployctl", "command  curl x (via deployctl"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}
