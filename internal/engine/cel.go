package engine

import (
	"fmt"
	"slices"
	"sync"

	"cel.dev/cel-go/cel"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// conditionPrograms compiles a Ruleset's CEL conditions once, on first use:
// building a CEL environment costs milliseconds, which a hook call must not
// pay unless its policy has a condition that applies to the action.
type conditionPrograms struct {
	once  sync.Once
	progs []cel.Program
	errs  []error
}

func (cp *conditionPrograms) get(rs *policy.Ruleset) ([]cel.Program, []error) {
	cp.once.Do(func() {
		cp.progs = make([]cel.Program, len(rs.Conditions))
		cp.errs = make([]error, len(rs.Conditions))
		env, err := policy.CELEnv()
		for i := range rs.Conditions {
			if err != nil {
				cp.errs[i] = err
				continue
			}
			cp.progs[i], cp.errs[i] = policy.CompileCondition(env, rs.Conditions[i].When)
		}
	})
	return cp.progs, cp.errs
}

// conditions evaluates the CEL conditions that apply to the action (c is
// the simple command being decided, for Bash).
func (e *Engine) conditions(d *decision, u *unit, c *shell.Command) {
	conds := e.rs.Conditions
	if len(conds) == 0 {
		return
	}
	var act map[string]any
	for i := range conds {
		cd := &conds[i]
		if len(cd.Tools) > 0 && !slices.Contains(cd.Tools, d.a.Tool) {
			continue
		}
		progs, errs := e.cel.get(e.rs)
		id := "conditions." + cd.ID
		if errs[i] != nil {
			// A condition that cannot run must not silently allow.
			d.match(u, policy.Max(cd.Decision, policy.Ask), id, fmt.Sprintf("condition %s could not be evaluated: %v", cd.ID, errs[i]))
			continue
		}
		if act == nil {
			act = e.activation(d, c)
		}
		out, _, err := progs[i].Eval(map[string]any{"action": act})
		if err != nil {
			d.match(u, policy.Max(cd.Decision, policy.Ask), id, fmt.Sprintf("condition %s failed: %v", cd.ID, err))
			continue
		}
		if b, ok := out.Value().(bool); ok && b {
			d.match(u, cd.Decision, id, cd.Reason)
		}
	}
}

// activation is the `action` variable CEL conditions see (docs/policy.md).
func (e *Engine) activation(d *decision, c *shell.Command) map[string]any {
	a := d.a
	input := a.Input
	if input == nil {
		input = map[string]any{}
	}
	act := map[string]any{
		"tool": a.Tool, "command": a.Command, "path": a.Path, "url": a.URL, "host": urlHost(a.URL),
		"mcp_server": a.MCPServer, "mcp_tool": a.MCPTool, "cwd": a.Cwd, "repo": a.Repo,
		"permission_mode": a.PermissionMode, "tier": e.rs.Tier, "input": input,
		"commands": []any{}, "paths": []any{}, "classes": []any{},
	}
	if c == nil {
		return act
	}
	env := &pathEnv{cwd: a.Cwd, home: a.Home, repo: a.Repo}
	var classes []any
	for _, h := range e.classify(c, env, a.Branch) {
		classes = append(classes, h.class)
	}
	args := make([]any, 0, len(c.Args))
	for _, s := range argv(c) {
		args = append(args, s)
	}
	via := make([]any, 0, len(c.Via))
	for _, v := range c.Via {
		via = append(via, v)
	}
	var paths []any
	for _, fa := range commandFiles(c) {
		for _, cwd := range cwdsOf(c, env) {
			paths = append(paths, map[string]any{"path": env.resolve(fa.raw, cwd), "access": string(fa.access)})
		}
	}
	if classes == nil {
		classes = []any{}
	}
	if paths == nil {
		paths = []any{}
	}
	act["commands"] = []any{map[string]any{"program": c.Program, "args": args, "text": c.Text, "via": via, "classes": classes}}
	act["paths"] = paths
	act["classes"] = classes
	return act
}
