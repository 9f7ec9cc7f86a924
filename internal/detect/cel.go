package detect

import (
	"fmt"
	"reflect"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// CEL variables a rule's expressions see.
const (
	// EventVar is the event being evaluated, an Event.
	EventVar = "event"
	// VarsVar is a sequence's bound values: a map from the names the
	// earlier steps' bind: gave to the strings they bound.
	VarsVar = "vars"
)

// MaxCost bounds an expression's estimated worst-case cost (CEL cost
// units), checked when a rule loads. Evaluation itself runs without a cost
// tracker, which tripled its time: an event's strings and attributes are
// bounded by the store's record size limit, so an expression that passes
// the estimate stays cheap.
const MaxCost = 100_000_000
const celEventType = "detect.Event"

var celEnv struct {
	once sync.Once
	env  *cel.Env
	err  error
}

// env returns the CEL environment of rule expressions, built on first use.
func env() (*cel.Env, error) {
	celEnv.once.Do(func() {
		celEnv.env, celEnv.err = cel.NewEnv(
			ext.NativeTypes(reflect.TypeFor[Event](), ext.ParseStructTags(true)),
			cel.Variable(EventVar, cel.ObjectType(celEventType)),
			cel.Variable(VarsVar, cel.MapType(cel.StringType, cel.StringType)),
			cel.CrossTypeNumericComparisons(true),
			ext.Strings(),
		)
		if celEnv.err != nil {
			celEnv.err = fmt.Errorf("build cel environment: %w", celEnv.err)
		}
	})
	return celEnv.env, celEnv.err
}

// exprIssue is one problem compiling an expression; Line is 1-based and
// Col 0-based within the expression.
type exprIssue struct {
	Line, Col int
	Msg       string
}

// program is a compiled expression.
type program struct {
	src string
	prg cel.Program
}

// compile compiles src to a program whose result has type want.
func compile(src string, want *cel.Type) (*program, []exprIssue) {
	e, err := env()
	if err != nil {
		return nil, []exprIssue{{Line: 1, Msg: err.Error()}}
	}
	ast, iss := e.Compile(src)
	if iss != nil && iss.Err() != nil {
		var out []exprIssue
		for _, x := range iss.Errors() {
			out = append(out, exprIssue{Line: max(x.Location.Line(), 1), Col: max(x.Location.Column(), 0), Msg: x.Message})
		}
		if len(out) == 0 {
			out = append(out, exprIssue{Line: 1, Msg: iss.Err().Error()})
		}
		return nil, out
	}
	if t := ast.OutputType(); !t.IsExactType(want) && !(want != cel.BoolType && t.IsDyn()) &&
		!(want == cel.DoubleType && (t.IsExactType(cel.IntType) || t.IsExactType(cel.UintType))) {
		return nil, []exprIssue{{Line: 1, Msg: fmt.Sprintf("expression must be of type %s, got %s", want, t)}}
	}
	if est, err := e.EstimateCost(ast, sizeEstimator{}); err != nil {
		return nil, []exprIssue{{Line: 1, Msg: "estimate cost: " + err.Error()}}
	} else if est.Max > MaxCost {
		return nil, []exprIssue{{Line: 1, Msg: fmt.Sprintf("expression too costly: worst case %d, limit %d (avoid nested comprehensions over attrs)", est.Max, MaxCost)}}
	}
	prg, err := e.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, []exprIssue{{Line: 1, Msg: err.Error()}}
	}
	return &program{src: src, prg: prg}, nil
}

// maxValueSize is what the cost estimate assumes of any string, list or
// map an expression reads: a stored event is at most 64 KiB.
const maxValueSize = 64 << 10

// sizeEstimator bounds every value's size for EstimateCost.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(cost.AstNode) *cost.SizeEstimate {
	return &cost.SizeEstimate{Min: 0, Max: maxValueSize}
}

func (sizeEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

var noVars = map[string]string{}

// activation binds the two variables without building a map per
// evaluation (which dominated evaluation time).
type activation struct {
	e    *Event
	vars map[string]string
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case EventVar:
		return a.e, true
	case VarsVar:
		return a.vars, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

func (p *program) eval(e *Event, vars map[string]string) (any, error) {
	if vars == nil {
		vars = noVars
	}
	out, _, err := p.prg.Eval(&activation{e: e, vars: vars})
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

// test evaluates a bool program; an evaluation error (a missing map key,
// the cost limit) counts as false.
func (p *program) test(e *Event, vars map[string]string) bool {
	v, err := p.eval(e, vars)
	b, ok := v.(bool)
	return err == nil && ok && b
}

// str evaluates a string program; ok is false on an evaluation error.
func (p *program) str(e *Event, vars map[string]string) (string, bool) {
	v, err := p.eval(e, vars)
	s, ok := v.(string)
	return s, err == nil && ok
}

// num evaluates a numeric program; ok is false on an error.
func (p *program) num(e *Event) (float64, bool) {
	v, err := p.eval(e, nil)
	if err != nil {
		return 0, false
	}
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case types.Double:
		return float64(n), true
	}
	return 0, false
}
