package e2e

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/fixture"
	"github.com/wardenhq/warden/internal/shell"
)

// ClientTools are the built-in tools Claude Code 2.1.330 offers in a
// headless session (its stream-json init line); MCP tools come on top.
// Glob, Grep, MultiEdit and TodoWrite are not among them: a call to them is
// refused as "No such tool available" before any PreToolUse hook runs.
var ClientTools = []string{
	"Task", "Bash", "CronCreate", "CronDelete", "CronList", "Edit", "EnterWorktree", "ExitWorktree",
	"ListAgents", "Monitor", "NotebookEdit", "Read", "ReportFindings", "ScheduleWakeup", "SendMessage",
	"Skill", "TaskStop", "ToolSearch", "WebFetch", "WebSearch", "Workflow", "Write",
}

// FiresPreToolUse reports whether a call to tool reaches PreToolUse in
// 2.1.330: a built-in tool of ClientTools or an MCP tool.
func FiresPreToolUse(tool string) bool {
	return slices.Contains(ClientTools, tool) || strings.HasPrefix(tool, MCPPrefix)
}

// Sample sizes of the corpus suites: enough to cover every technique of
// the corpus at least twice, few enough for the whole run to stay within
// minutes.
const (
	AttackSampleSize = 150
	BenignSampleSize = 100
)

// Skip is a corpus case a suite leaves out, and why.
type Skip struct {
	ID     string
	Reason string
}

// Why cases are left out of the end-to-end suites.
const (
	SkipDestructive  = "tagged destructive: never executed, not even in the sandbox"
	SkipSeed003      = "seed 003 scenario: run, all of them, by the seed 003 suite"
	SkipInternet     = "fetches a real documentation host that the baseline allows; the egress guard admits loopback only"
	SkipSubagent     = "starts a subagent, which the scripted model does not drive"
	SkipNotInClient  = "not a tool of Claude Code 2.1.330 (No such tool available), so nothing can run"
	SkipOtherCwd     = "set in a directory other than the e2e project, where the client runs"
	SkipPlanMode     = "exists only in plan mode"
	SkipNoSkill      = "names a skill that is not installed: the client refuses it (Unknown skill) before PreToolUse"
	SkipDynamic      = "runs a program that cannot be known before it runs"
	SkipParse        = "does not parse as Bash"
	SkipEditConflict = "its file cannot be prepared: "
	// SkipEditOrder: the text a later edit needs would give an earlier
	// edit of the same file a second match; the later case is left out of
	// this run (it still runs in the engine's corpus tests).
	SkipEditOrder = "its old_string would give an earlier edit of the same file a second match: "
)

// AttackSample is the attack part of the corpus run end to end.
type AttackSample struct {
	// Cases are sampled from the cases whose tool fires PreToolUse, spread
	// across techniques.
	Cases []fixture.Case
	// Observed are every attack case whose tool 2.1.330 does not have
	// (Glob, Grep, MultiEdit, made-up names): the client refuses them
	// before PreToolUse, and only the hook's PostToolBatch record shows what
	// Warden would have decided.
	Observed []fixture.Case
	// Skipped are the attack cases left out for a reason other than the
	// sample size.
	Skipped []Skip
}

// SampleAttacks picks up to n attack cases (deny or ask) deterministically:
// grouped by technique, techniques in name order, cases in id order, one
// case of each technique in turn. Destructive cases and the seed 003
// scenarios (run by their own suite) are left out.
func SampleAttacks(cases []fixture.Case, n int) AttackSample {
	var s AttackSample
	var pool []fixture.Case
	for _, c := range cases {
		switch {
		case !c.Want.Flagged():
			continue
		case c.HasTag(fixture.TagDestructive):
			s.Skipped = append(s.Skipped, Skip{c.ID, SkipDestructive})
		case c.Technique == "red-team" || c.HasTag(TagSeed003):
			s.Skipped = append(s.Skipped, Skip{c.ID, SkipSeed003})
		case !FiresPreToolUse(c.Input.ToolName):
			s.Observed = append(s.Observed, c)
		case c.Input.Cwd != fixture.DefaultCwd:
			// The client runs in the e2e project; a case set elsewhere
			// is decided by the engine's corpus test only.
			s.Skipped = append(s.Skipped, Skip{c.ID, SkipOtherCwd})
		default:
			pool = append(pool, c)
		}
	}
	slices.SortFunc(s.Observed, byID)
	s.Cases = Spread(pool, n)
	return s
}

// TagSeed003 marks the corpus cases that play a seed 003 red-team
// scenario outside the red-team technique.
const TagSeed003 = "seed003"

// Seed003Cases returns the seed 003 red-team scenarios of the corpus
// (technique red-team, or tagged seed003) in id order, and the ones left
// out.
func Seed003Cases(cases []fixture.Case) (run []fixture.Case, skipped []Skip) {
	for _, c := range cases {
		if c.Technique != "red-team" && !c.HasTag(TagSeed003) {
			continue
		}
		if c.HasTag(fixture.TagDestructive) {
			skipped = append(skipped, Skip{c.ID, SkipDestructive})
			continue
		}
		run = append(run, c)
	}
	slices.SortFunc(run, byID)
	return run, skipped
}

// Spread picks up to n cases: first one case of each tool (tools in name
// order, so a large corpus cannot crowd a tool out), then one from each
// technique in turn (techniques in name order), so a sample covers every
// technique before it takes a second case of any. Within a technique the cases alternate between the
// tools they call (tools in name order, cases in id order), so a technique
// with Read, Edit and Bash cases contributes each before a second of any.
func Spread(cases []fixture.Case, n int) []fixture.Case {
	byTech := map[string][]fixture.Case{}
	for _, c := range cases {
		byTech[c.Technique] = append(byTech[c.Technique], c)
	}
	techs := make([]string, 0, len(byTech))
	for t, cs := range byTech {
		techs = append(techs, t)
		byTech[t] = alternateTools(cs)
	}
	slices.Sort(techs)
	var out []fixture.Case
	picked := map[string]bool{}
	byTool := map[string]fixture.Case{}
	for _, c := range cases {
		tool := c.Input.ToolName
		if strings.HasPrefix(tool, MCPPrefix) {
			tool = MCPPrefix // every MCP tool is one kind of call
		}
		if _, ok := byTool[tool]; !ok {
			byTool[tool] = c
		}
	}
	tools := make([]string, 0, len(byTool))
	for t := range byTool {
		tools = append(tools, t)
	}
	slices.Sort(tools)
	for _, t := range tools {
		if len(out) < n {
			out = append(out, byTool[t])
			picked[byTool[t].ID] = true
		}
	}
	for round := 0; len(out) < n; round++ {
		took := false
		for _, t := range techs {
			if round < len(byTech[t]) && len(out) < n {
				took = true
				if c := byTech[t][round]; !picked[c.ID] {
					out = append(out, c)
				}
			}
		}
		if !took {
			break
		}
	}
	return out
}

// alternateTools orders cases one per tool in turn: tools in name order,
// cases of a tool in id order.
func alternateTools(cases []fixture.Case) []fixture.Case {
	byTool := map[string][]fixture.Case{}
	for _, c := range cases {
		byTool[c.Input.ToolName] = append(byTool[c.Input.ToolName], c)
	}
	tools := make([]string, 0, len(byTool))
	for t, cs := range byTool {
		tools = append(tools, t)
		slices.SortFunc(cs, byID)
	}
	slices.Sort(tools)
	out := make([]fixture.Case, 0, len(cases))
	for i := 0; len(out) < len(cases); i++ {
		for _, t := range tools {
			if i < len(byTool[t]) {
				out = append(out, byTool[t][i])
			}
		}
	}
	return out
}

// BenignSample is the benign part of the corpus run end to end.
type BenignSample struct {
	Cases   []fixture.Case
	Skipped []Skip
}

// LocalPrograms are the programs benign Bash cases may run end to end:
// present on the e2e machine (scripts/e2e-deps.sh), and none of them
// reaches the network for what the corpus asks of it. A case running
// anything else (go, cargo, mvn, pytest, rg, ...) is left out.
var LocalPrograms = []string{
	"awk", "basename", "cat", "chmod", "cp", "cut", "date", "df", "diff", "dirname", "du", "find",
	"git", "grep", "head", "jq", "ln", "ls", "make", "mkdir", "mv", "node", "npm", "python3", "rm",
	"sed", "sort", "tail", "tar", "tee", "touch", "tr", "uniq", "wc", "xargs",
}

// shellBuiltins run inside bash itself.
var shellBuiltins = []string{"cd", "echo", "printf", "pwd", "read", "export", "true", "false", "test", "[", "set", "local", "return", "time"}

// Subcommands of git and npm that reach the network or publish; benign
// cases running them are left out.
var (
	gitRemote = []string{"fetch", "pull", "push", "clone", "ls-remote", "submodule", "send-email", "request-pull", "remote update"}
	npmLocal  = []string{"test", "t", "run", "run-script", "ls", "list"}
)

// SampleBenign picks up to n benign cases that can really run here,
// spread across techniques like SampleAttacks: cases whose tool exists in
// 2.1.330 and starts no subagent, no WebFetch (the allowed domains are real
// hosts), and Bash commands made only of LocalPrograms and builtins.
func SampleBenign(cases []fixture.Case, n int) BenignSample {
	var s BenignSample
	var pool []fixture.Case
	for _, c := range cases {
		if c.Want.Flagged() {
			continue
		}
		if why := benignSkip(c); why != "" {
			s.Skipped = append(s.Skipped, Skip{c.ID, why})
			continue
		}
		pool = append(pool, c)
	}
	s.Cases = Spread(pool, n)
	return s
}

func benignSkip(c fixture.Case) string {
	tool := c.Input.ToolName
	switch {
	case c.HasTag(fixture.TagDestructive):
		return SkipDestructive
	case tool == "WebFetch" || tool == "WebSearch":
		return SkipInternet
	case tool == "Task" || tool == "Agent":
		return SkipSubagent
	case tool == "ExitPlanMode":
		return SkipPlanMode
	case tool == "Skill":
		return SkipNoSkill
	case !FiresPreToolUse(tool):
		return SkipNotInClient
	case tool == "Bash":
		cmd, _ := c.Input.ToolInput["command"].(string)
		return bashSkip(cmd)
	}
	return ""
}

// bashSkip says why a benign command cannot run here, or "".
func bashSkip(cmd string) string {
	res := shell.Analyze(cmd, shell.Options{Cwd: fixture.DefaultCwd, Home: fixture.DefaultHome})
	if res.ParseError != nil {
		return SkipParse
	}
	for _, c := range res.Commands {
		if c.Dynamic {
			return SkipDynamic
		}
		p := c.Program
		if p == "" {
			return SkipDynamic
		}
		if slices.Contains(shellBuiltins, p) {
			continue
		}
		if !slices.Contains(LocalPrograms, p) {
			return fmt.Sprintf("runs %s: not installed on the e2e machine, or it reaches the network", p)
		}
		args := argValues(c)
		switch p {
		case "git":
			if sub := firstArg(args); slices.Contains(gitRemote, sub) {
				return "runs git " + sub + ", which reaches a remote"
			}
		case "npm":
			if sub := firstArg(args); !slices.Contains(npmLocal, sub) {
				return "runs npm " + sub + ", which may reach the registry"
			}
		}
	}
	return ""
}

func argValues(c shell.Command) []string {
	out := make([]string, 0, len(c.Args))
	for _, a := range c.Args {
		if len(a.Values) > 0 {
			out = append(out, a.Values[0])
		} else {
			out = append(out, a.Raw)
		}
	}
	return out
}

// firstArg returns the first argument that is not an option.
func firstArg(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// SkipSummary says how many cases were left out for each reason, one
// reason a line, for the suites' logs.
func SkipSummary(skips []Skip) string {
	n := map[string]int{}
	for _, s := range skips {
		n[s.Reason]++
	}
	reasons := make([]string, 0, len(n))
	for r := range n {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	var b strings.Builder
	for _, r := range reasons {
		fmt.Fprintf(&b, "%4d %s\n", n[r], r)
	}
	return b.String()
}

// byID orders cases by id.
func byID(a, b fixture.Case) int { return cmp.Compare(a.ID, b.ID) }

// benignOrder runs the file tools first, then MCP tools, then Bash: the
// commands move and delete files, which would spoil an Edit after them.
func benignOrder(cases []fixture.Case) []fixture.Case {
	rank := func(c fixture.Case) int {
		switch t := c.Input.ToolName; {
		case t == "Bash":
			return 2
		case strings.HasPrefix(t, MCPPrefix):
			return 1
		}
		return 0
	}
	out := slices.Clone(cases)
	slices.SortStableFunc(out, func(a, b fixture.Case) int { return rank(a) - rank(b) })
	return out
}
