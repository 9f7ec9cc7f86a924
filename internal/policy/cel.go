package policy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// ActionVar is the one variable a condition sees: a CELAction, declared to
// CEL as the object type policy.CELAction with exactly these fields (empty
// string or empty list when one does not apply), so that a field that does
// not exist, or a value of the wrong type, fails to compile instead of
// failing on every evaluation:
//
//	tool             string  Claude Code tool name: "Bash", "Read", "mcp__github__create_issue"
//	command          string  Bash command as written
//	path             string  file tools: the absolute path
//	url, host        string  WebFetch: the URL and its lower-cased host
//	mcp_server       string  MCP tools: server name ("github")
//	mcp_tool         string  MCP tools: tool name ("create_issue")
//	cwd, repo        string  session working directory; repository root ("" when unknown)
//	permission_mode  string  "default", "acceptEdits", "plan", "bypassPermissions", ...
//	tier             string  the tier being decided
//	input            map     the raw tool_input
//	commands         list    Bash: every simple command that could run, each
//	                         {program: string, args: list(string), text: string,
//	                          via: list(string), classes: list(string)}
//	paths            list    every path the action touches, each {path: string, access: "read"|"write"}
//	classes          list    union of the commands' classes
//
// Examples:
//
//	action.tool == "Bash" && action.commands.exists(c, c.program == "ssh" && c.args.exists(a, a.endsWith(".prod.internal")))
//	action.paths.exists(p, p.access == "write" && p.path.startsWith("/etc/"))
//	action.tier == "regulated" && action.host.endsWith(".pastebin.com")
const ActionVar = "action"

// ConditionCostLimit bounds the work one condition evaluation may do (CEL
// cost units); beyond it evaluation fails and the engine fails closed.
const ConditionCostLimit = 1_000_000

var celEnv struct {
	once  sync.Once
	built atomic.Bool
	env   *cel.Env
	err   error
}

// celActionType is CELAction's CEL type name: ext.NativeTypes names a Go
// struct by its package's last element and its type name.
const celActionType = "policy.CELAction"

// CELEnv returns the CEL environment conditions compile in: the variable
// ActionVar of type CELAction (its fields, and those of CELCommand and
// CELPath, declared from their cel struct tags), the standard library with
// cross-type numeric comparisons, and cel-go's strings extension
// (lowerAscii, split, replace, ...). It is built on first use, never at
// package init: building it costs milliseconds and the warden binary starts
// on every tool call.
func CELEnv() (*cel.Env, error) {
	celEnv.once.Do(func() {
		celEnv.built.Store(true)
		celEnv.env, celEnv.err = cel.NewEnv(
			ext.NativeTypes(reflect.TypeFor[CELAction](), ext.ParseStructTags(true)),
			cel.Variable(ActionVar, cel.ObjectType(celActionType)),
			cel.CrossTypeNumericComparisons(true),
			ext.Strings(),
		)
		if celEnv.err != nil {
			celEnv.err = fmt.Errorf("build cel environment: %w", celEnv.err)
		}
	})
	return celEnv.env, celEnv.err
}

// celIssue is one compile problem in a condition; Line is 1-based, Col
// 0-based within the expression.
type celIssue struct {
	Line, Col int
	Msg       string
}

// checkCondition compiles expr and reports its problems, including a result
// type other than bool.
func checkCondition(env *cel.Env, expr string) (*cel.Ast, []celIssue) {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var out []celIssue
		for _, e := range iss.Errors() {
			out = append(out, celIssue{Line: e.Location.Line(), Col: e.Location.Column(), Msg: e.Message + fieldHint(e.Message)})
		}
		if len(out) == 0 {
			out = append(out, celIssue{Line: 1, Msg: iss.Err().Error()})
		}
		return nil, out
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) {
		msg := fmt.Sprintf("condition must be a bool expression, got %s", t)
		if t.IsDyn() {
			msg += " (compare the value, for example `... == true`)"
		}
		return nil, []celIssue{{Line: 1, Msg: msg}}
	}
	return ast, nil
}

// celTypes are the object types a condition reaches, as a policy author
// calls them.
var celTypes = []struct {
	name string
	t    reflect.Type
}{
	{ActionVar, reflect.TypeFor[CELAction]()},
	{"each of action.commands", reflect.TypeFor[CELCommand]()},
	{"each of action.paths", reflect.TypeFor[CELPath]()},
}

// fieldHint completes cel-go's "undefined field 'x'" with the field the
// author probably meant, or else the fields there are; "" for other messages.
func fieldHint(msg string) string {
	name, ok := strings.CutPrefix(msg, "undefined field '")
	if !ok {
		return ""
	}
	if name, ok = strings.CutSuffix(name, "'"); !ok {
		return ""
	}
	var all, lists []string
	for _, ct := range celTypes {
		var names []string
		for i := range ct.t.NumField() {
			names = append(names, ct.t.Field(i).Tag.Get("cel"))
		}
		all = append(all, names...)
		lists = append(lists, fmt.Sprintf("%s has %s", ct.name, strings.Join(names, ", ")))
	}
	// Short names are near many others ("user" and "tier"): suggest only
	// within a third of the name's length.
	if s := suggest(name, all); s != "" && s != name && editDistance(name, s) <= max(1, len(name)/3) {
		return fmt.Sprintf(" (did you mean '%s'?)", s)
	}
	return " (" + strings.Join(lists, "; ") + ")"
}

// CompileCondition compiles a condition's when expression in env to a
// program returning bool, limited to ConditionCostLimit per evaluation.
func CompileCondition(env *cel.Env, expr string) (cel.Program, error) {
	ast, issues := checkCondition(env, expr)
	if len(issues) > 0 {
		msgs := make([]string, len(issues))
		for i, is := range issues {
			msgs[i] = fmt.Sprintf("%d:%d: %s", is.Line, is.Col+1, is.Msg)
		}
		return nil, fmt.Errorf("compile condition %q: %s", expr, strings.Join(msgs, "; "))
	}
	prg, err := env.Program(ast, cel.CostLimit(ConditionCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("compile condition %q: %w", expr, err)
	}
	return prg, nil
}

// programCache holds each condition's program, compiled at most once and
// only when first needed.
type programCache struct {
	entries []programEntry
}

type programEntry struct {
	once sync.Once
	expr string
	prg  cel.Program
	err  error
}

func newProgramCache(conds []Condition) *programCache {
	c := &programCache{entries: make([]programEntry, len(conds))}
	for i, cond := range conds {
		c.entries[i].expr = cond.When
	}
	return c
}

// Program returns the compiled program of Conditions[i]. A Ruleset made by
// Policy.Ruleset compiles each condition at most once, on first use, and is
// safe for concurrent use; a Ruleset built by hand (or whose Conditions
// changed since) compiles on every call.
func (rs *Ruleset) Program(i int) (cel.Program, error) {
	if i < 0 || i >= len(rs.Conditions) {
		return nil, fmt.Errorf("condition %d out of range (have %d)", i, len(rs.Conditions))
	}
	expr := rs.Conditions[i].When
	compile := func() (cel.Program, error) {
		env, err := CELEnv()
		if err != nil {
			return nil, err
		}
		prg, err := CompileCondition(env, expr)
		if err != nil {
			return nil, fmt.Errorf("condition %s: %w", rs.Conditions[i].ID, err)
		}
		return prg, nil
	}
	if rs.programs == nil || i >= len(rs.programs.entries) || rs.programs.entries[i].expr != expr {
		return compile()
	}
	e := &rs.programs.entries[i]
	e.once.Do(func() { e.prg, e.err = compile() })
	return e.prg, e.err
}

// EvalCondition evaluates Conditions[i] against the action. An error (the
// program fails, exceeds ConditionCostLimit or returns a non-bool) should
// make the engine fail closed.
func (rs *Ruleset) EvalCondition(i int, a *CELAction) (bool, error) {
	prg, err := rs.Program(i)
	if err != nil {
		return false, err
	}
	out, _, err := prg.Eval(a.Activation())
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", rs.Conditions[i].ID, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition %s: result is %s, not bool", rs.Conditions[i].ID, out.Type())
	}
	return b, nil
}

// AppliesTo reports whether the condition's tools prefilter admits tool: the
// list is empty, names tool exactly, or names its MCP server ("mcp__github"
// or "mcp__github__*" admit "mcp__github__create_issue").
func (c Condition) AppliesTo(tool string) bool {
	if len(c.Tools) == 0 || slices.Contains(c.Tools, tool) {
		return true
	}
	for _, t := range c.Tools {
		server := strings.TrimSuffix(t, "__*")
		if IsMCPTool(server) && strings.HasPrefix(tool, server+"__") {
			return true
		}
	}
	return false
}

// CELAction is what a condition sees as ActionVar. The engine fills it;
// CELEnv declares its fields to CEL under the names of their cel tags
// (ActionVar's documentation lists them).
type CELAction struct {
	Tool           string         `cel:"tool"`
	Command        string         `cel:"command"`
	Path           string         `cel:"path"`
	URL            string         `cel:"url"`
	Host           string         `cel:"host"`
	MCPServer      string         `cel:"mcp_server"`
	MCPTool        string         `cel:"mcp_tool"`
	Cwd            string         `cel:"cwd"`
	Repo           string         `cel:"repo"`
	PermissionMode string         `cel:"permission_mode"`
	Tier           string         `cel:"tier"`
	Input          map[string]any `cel:"input"`
	Commands       []CELCommand   `cel:"commands"`
	Paths          []CELPath      `cel:"paths"`
	Classes        []string       `cel:"classes"`
}

// CELCommand is one simple command of a Bash action.
type CELCommand struct {
	Program string   `cel:"program"`
	Args    []string `cel:"args"`
	Text    string   `cel:"text"`
	Via     []string `cel:"via"`
	Classes []string `cel:"classes"`
}

// CELPath is one path an action touches.
type CELPath struct {
	Path   string `cel:"path"`
	Access Access `cel:"access"` // read or write
}

// Activation returns the variables for cel.Program.Eval: ActionVar bound
// to a.
func (a *CELAction) Activation() map[string]any {
	return map[string]any{ActionVar: a}
}
