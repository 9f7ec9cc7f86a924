package engine

import (
	"fmt"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// conditions evaluates the CEL conditions that apply to the action (c is
// the simple command being decided, for Bash). The Ruleset compiles each
// condition on first use, so a hook call whose policy has no condition for
// this tool never builds a CEL environment.
func (e *Engine) conditions(d *decision, u *unit, c *shell.Command) {
	conds := e.rs.Conditions
	if len(conds) == 0 {
		return
	}
	var act *policy.CELAction
	for i := range conds {
		cd := &conds[i]
		if !cd.AppliesTo(d.a.Tool) {
			continue
		}
		if act == nil {
			act = e.celAction(d, c)
		}
		if e.conds == nil {
			d.match(u, policy.Max(cd.Decision, policy.Ask), cd.RuleID(), fmt.Sprintf("condition %s applies, and this binary cannot evaluate conditions (run warden, which can)", cd.ID))
			continue
		}
		ok, err := e.conds.Eval(i, act)
		if err != nil {
			// A condition that cannot run must not silently allow.
			d.match(u, policy.Max(cd.Decision, policy.Ask), cd.RuleID(), fmt.Sprintf("condition %s could not be evaluated: %v", cd.ID, err))
			continue
		}
		if ok {
			d.match(u, cd.Decision, cd.RuleID(), cd.Reason)
		}
	}
}

// celAction is what conditions see as `action` (docs/policy.md).
func (e *Engine) celAction(d *decision, c *shell.Command) *policy.CELAction {
	a := d.a
	act := &policy.CELAction{Tool: a.Tool, Command: a.Command, Path: a.Path, URL: a.URL, Host: urlHost(a.URL),
		MCPServer: a.MCPServer, MCPTool: a.MCPTool, Cwd: a.Cwd, Repo: a.Repo, PermissionMode: a.PermissionMode,
		Tier: e.rs.Tier, Input: a.Input}
	if c == nil {
		return act
	}
	env := &pathEnv{cwd: a.Cwd, home: a.Home, repo: a.Repo}
	call := e.parse(c)
	for _, h := range e.classify(&decision{e: e, a: a}, &unit{}, c, &call, env, a.Branch) {
		act.Classes = append(act.Classes, h.class)
	}
	act.Commands = []policy.CELCommand{{Program: c.Program, Args: argv(c), Text: c.Text, Via: c.Via, Classes: act.Classes}}
	for _, fa := range commandFiles(c, &call) {
		for _, cwd := range cwdsOf(c, env) {
			act.Paths = append(act.Paths, policy.CELPath{Path: env.resolve(fa.raw, cwd), Access: fa.access})
		}
	}
	return act
}
