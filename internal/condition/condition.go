// Package condition compiles and evaluates the CEL conditions of a policy
// (its `when:` expressions) over a policy.CELAction.
//
// It is the only package that links cel-go: the warden binary uses it, and
// sets policy.ConditionChecker to Check so that loading a policy reports
// condition errors at their place in the file. The hook-only binary
// (cmd/warden-hook) does not link it; it hands a call that needs a
// condition to warden.
package condition

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"

	"github.com/wardenhq/warden/internal/policy"
)

// Loading a policy in a binary that links this package checks its
// conditions: registering the checker costs nothing at start-up.
func init() { policy.ConditionChecker = Check }

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
			ext.NativeTypes(reflect.TypeFor[policy.CELAction](), ext.ParseStructTags(true)),
			cel.Variable(policy.ActionVar, cel.ObjectType(celActionType)),
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
type celIssue = policy.ConditionIssue

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
	{policy.ActionVar, reflect.TypeFor[policy.CELAction]()},
	{"each of action.commands", reflect.TypeFor[policy.CELCommand]()},
	{"each of action.paths", reflect.TypeFor[policy.CELPath]()},
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
	if s := policy.Suggest(name, all); s != "" && s != name && policy.EditDistance(name, s) <= max(1, len(name)/3) {
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
	prg, err := env.Program(ast, cel.CostLimit(policy.ConditionCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("compile condition %q: %w", expr, err)
	}
	return prg, nil
}

// Check compiles expr in the condition environment and reports its
// problems, for policy.ConditionChecker.
func Check(expr string) []policy.ConditionIssue {
	env, err := CELEnv()
	if err != nil {
		return []policy.ConditionIssue{{Line: 1, Msg: err.Error()}}
	}
	_, issues := checkCondition(env, expr)
	return issues
}

// Evaluator evaluates the conditions of one Ruleset, compiling each at
// most once and only when first needed; it is safe for concurrent use.
// It satisfies engine.Conditions.
type Evaluator struct {
	conds   []policy.Condition
	entries []programEntry
}

type programEntry struct {
	once sync.Once
	prg  cel.Program
	err  error
}

// NewEvaluator returns an Evaluator for rs's conditions.
func NewEvaluator(rs *policy.Ruleset) *Evaluator {
	return &Evaluator{conds: rs.Conditions, entries: make([]programEntry, len(rs.Conditions))}
}

// Program returns the compiled program of condition i.
func (ev *Evaluator) Program(i int) (cel.Program, error) {
	if i < 0 || i >= len(ev.conds) {
		return nil, fmt.Errorf("condition %d out of range (have %d)", i, len(ev.conds))
	}
	e := &ev.entries[i]
	e.once.Do(func() {
		env, err := CELEnv()
		if err != nil {
			e.err = err
			return
		}
		e.prg, e.err = CompileCondition(env, ev.conds[i].When)
		if e.err != nil {
			e.err = fmt.Errorf("condition %s: %w", ev.conds[i].ID, e.err)
		}
	})
	return e.prg, e.err
}

// Eval evaluates condition i against the action. An error (the program
// fails, exceeds policy.ConditionCostLimit or returns a non-bool) should
// make the engine fail closed.
func (ev *Evaluator) Eval(i int, a *policy.CELAction) (bool, error) {
	prg, err := ev.Program(i)
	if err != nil {
		return false, err
	}
	out, _, err := prg.Eval(a.Activation())
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", ev.conds[i].ID, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition %s: result is %s, not bool", ev.conds[i].ID, out.Type())
	}
	return b, nil
}
