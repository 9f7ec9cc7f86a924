package condition

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
)

// TestMain checks, before any test can trigger it, that loading the
// package did not build the CEL environment: it costs milliseconds.
func TestMain(m *testing.M) {
	if celEnv.built.Load() {
		fmt.Fprintln(os.Stderr, "FAIL: the CEL environment was built during package initialisation")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// mustParse parses a policy (with its conditions checked: this package
// registers the checker).
func mustParse(t *testing.T, name, src string) *policy.Policy {
	t.Helper()
	p, err := policyfile.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return p
}

func TestCompileCondition(t *testing.T) {
	env, err := CELEnv()
	if err != nil {
		t.Fatal(err)
	}
	action := &policy.CELAction{
		Tool:    "Bash",
		Command: "ssh db1.prod.acme.internal && curl https://x.example",
		Host:    "",
		Tier:    "regulated",
		Input:   map[string]any{"command": "ssh db1.prod.acme.internal", "timeout": 120.0},
		Commands: []policy.CELCommand{
			{Program: "ssh", Args: []string{"db1.prod.acme.internal"}, Text: "ssh db1.prod.acme.internal"},
			{Program: "curl", Args: []string{"https://x.example"}, Text: "curl https://x.example", Via: []string{"bash -c"}, Classes: []string{policy.ClassEgress}},
		},
		Paths:   []policy.CELPath{{Path: "/etc/hosts", Access: policy.AccessWrite}},
		Classes: []string{policy.ClassEgress},
	}
	tests := []struct {
		expr    string
		want    bool
		wantErr string
	}{
		{expr: `action.tool == "Bash"`, want: true},
		{expr: `action.commands.exists(c, c.program == "ssh" && c.args.exists(a, a.endsWith(".prod.acme.internal")))`, want: true},
		{expr: `action.commands.exists(c, "bash -c" in c.via && "egress" in c.classes)`, want: true},
		{expr: `action.paths.exists(p, p.access == "write" && p.path.startsWith("/etc/"))`, want: true},
		{expr: `"egress" in action.classes && action.tier == "regulated"`, want: true},
		{expr: `action.input.timeout > 100`, want: true},
		{expr: `action.command.lowerAscii().contains("curl")`, want: true},
		{expr: `action.url == "" && action.mcp_server == "" && action.repo == ""`, want: true},
		{expr: `action.tool == "Read"`, want: false},
		{expr: `action.paths.exists(p, p.access == "read")`, want: false},
		{expr: `has(action.input.command) && !has(action.input.description)`, want: true},
		{expr: `action.commands.size() == 2 && action.commands[1].via == ["bash -c"]`, want: true},
		{expr: `action.tool`, wantErr: "must be a bool expression, got string"},
		{expr: `action.input.timeout`, wantErr: "must be a bool expression, got dyn (compare the value"},
		{expr: `action.tool ==`, wantErr: "Syntax error"},
		{expr: `tool == "Bash"`, wantErr: "undeclared reference"},
		// Fields are declared: a misspelt one fails here, not on every call.
		{expr: `action.comands.exists(c, c.program == "ssh")`, wantErr: "1:7: undefined field 'comands' (did you mean 'commands'?)"},
		{expr: `action.commands.exists(c, c.programm == "ssh")`, wantErr: "undefined field 'programm' (did you mean 'program'?)"},
		{expr: `action.paths.exists(p, p.mode == "write")`, wantErr: "undefined field 'mode' (action has tool, command, path"},
		{expr: `action.tool == 1`, wantErr: "no matching overload for '_==_' applied to '(string, int)'"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			prg, err := CompileCondition(env, tt.expr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CompileCondition error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := prg.Eval(action.Activation())
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Value(); got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCompileCondition_EmptyAction: an action with nothing set (a tool
// without input, no Bash commands) evaluates like one whose every field is
// empty: no field is missing at run time.
func TestCompileCondition_EmptyAction(t *testing.T) {
	env, err := CELEnv()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		want bool
	}{
		{`action.tool == "" && action.host == "" && action.permission_mode == ""`, true},
		{`size(action.commands) == 0 && size(action.paths) == 0 && action.classes == []`, true},
		{`action.commands.exists(c, c.program == "ssh")`, false},
		{`action.paths.all(p, p.access == "read")`, true},
		{`has(action.input.command)`, false},
		{`action.input.size() == 0`, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			prg, err := CompileCondition(env, tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := prg.Eval((&policy.CELAction{}).Activation())
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Value(); got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompileCondition_CostLimit(t *testing.T) {
	env, err := CELEnv()
	if err != nil {
		t.Fatal(err)
	}
	prg, err := CompileCondition(env, `action.commands.all(a, action.commands.all(b, action.commands.all(c, a.text + b.text + c.text != "")))`)
	if err != nil {
		t.Fatal(err)
	}
	act := &policy.CELAction{}
	for i := 0; i < 200; i++ {
		act.Commands = append(act.Commands, policy.CELCommand{Text: strings.Repeat("x", 100)})
	}
	if _, _, err := prg.Eval(act.Activation()); err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Errorf("Eval error = %v, want the cost limit to stop it", err)
	}
}

func TestEvaluator(t *testing.T) {
	p := mustParse(t, "c.yaml", `
version: 1
name: c
revision: "1"
default_tier: t
conditions:
  - {id: bash, decision: ask, reason: r, when: 'action.tool == "Bash"'}
  - {id: read, decision: deny, reason: r, tools: [Read, mcp__github], when: 'action.path.endsWith(".pem")'}
tiers: [{name: t}]
`)
	rs, err := p.Ruleset("t")
	if err != nil {
		t.Fatal(err)
	}
	ev := NewEvaluator(rs)
	t.Run("Cached", func(t *testing.T) {
		var wg sync.WaitGroup
		progs := make([]any, 8)
		for i := range progs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				prg, err := ev.Program(0)
				if err != nil {
					t.Error(err)
				}
				progs[i] = prg
			}()
		}
		wg.Wait()
		for i := range progs {
			if progs[i] != progs[0] {
				t.Fatal("Program(0) compiled more than once")
			}
		}
	})
	t.Run("Eval", func(t *testing.T) {
		got, err := ev.Eval(1, &policy.CELAction{Tool: "Read", Path: "/home/dev/app/key.pem"})
		if err != nil || !got {
			t.Errorf("EvalCondition = %v, %v; want true", got, err)
		}
	})
	t.Run("OutOfRange", func(t *testing.T) {
		if _, err := ev.Program(2); err == nil {
			t.Error("Program(2) succeeded")
		}
	})
	t.Run("HandBuilt", func(t *testing.T) {
		hand := &policy.Ruleset{Conditions: []policy.Condition{{ID: "x", When: `action.tool == "Edit"`}}}
		got, err := NewEvaluator(hand).Eval(0, &policy.CELAction{Tool: "Edit"})
		if err != nil || !got {
			t.Errorf("EvalCondition = %v, %v; want true", got, err)
		}
	})
	t.Run("AppliesTo", func(t *testing.T) {
		c := rs.Conditions[1]
		for tool, want := range map[string]bool{"Read": true, "Bash": false, "mcp__github__get_me": true, "mcp__githubx__a": false} {
			if got := c.AppliesTo(tool); got != want {
				t.Errorf("AppliesTo(%s) = %v, want %v", tool, got, want)
			}
		}
		if !rs.Conditions[0].AppliesTo("Anything") {
			t.Error("a condition without tools applies to every tool")
		}
	})
}

func ExampleCompileCondition() {
	env, err := CELEnv()
	if err != nil {
		panic(err)
	}
	prg, err := CompileCondition(env, `action.commands.exists(c, c.program == "ssh" && c.args.exists(a, a.endsWith(".prod.internal")))`)
	if err != nil {
		panic(err)
	}
	act := &policy.CELAction{
		Tool:     "Bash",
		Command:  "ssh db1.prod.internal uptime",
		Commands: []policy.CELCommand{{Program: "ssh", Args: []string{"db1.prod.internal", "uptime"}}},
	}
	out, _, err := prg.Eval(act.Activation())
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Value())
	// Output: true
}

// TestBadConditions: condition errors are reported at file:line:col when a
// policy is loaded in a binary that links this package (policy's own
// TestBadConfigs covers the rest of the format).
func TestBadConditions(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"cel.yaml", []string{
			`cel.yaml:9:35: conditions[0].when: invalid condition: Syntax error`,
			`cel.yaml:13:11: conditions[1].when: invalid condition: condition must be a bool expression, got string`,
			`cel.yaml:17:12: conditions[2].when: invalid condition: undeclared reference to 'tool'`,
			`cel.yaml:23:48: conditions[3].when: invalid condition: undeclared reference to 'nope'`,
		}},
		{"cel-fields.yaml", []string{
			`cel-fields.yaml:9:17: conditions[0].when: invalid condition: undefined field 'comands' (did you mean 'commands'?)`,
			`cel-fields.yaml:16:10: conditions[1].when: invalid condition: undefined field 'programm' (did you mean 'program'?)`,
			`cel-fields.yaml:20:18: conditions[2].when: invalid condition: undefined field 'user' (action has tool, command, path,`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "policy", "testdata", "bad", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = policyfile.Parse(tt.file, data)
			if err == nil {
				t.Fatal("parsed without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
		})
	}
}
