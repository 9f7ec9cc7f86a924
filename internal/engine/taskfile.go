package engine

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
	"github.com/wardenhq/warden/internal/yamltree"
)

// Taskfile (go-task) tasks: what `task NAME` runs. The reader takes the
// tasks mapping of Taskfile.yml: a task is a command, a list of commands,
// or a mapping whose cmds (strings, {cmd: ...}, {task: ...}, {defer: ...},
// {for: [literal list], cmd: ...}), deps, preconditions and status commands
// all run, in the task's dir. Go templates are rendered where they are
// variables ({{.NAME}} from the command line, the task call, the task, the
// file, Task's special variables, or the environment) or OS, ARCH, exeExt
// and numCPU; the output of a dynamic variable (sh:) cannot be known, and
// neither can any other template, which Task pastes into the command before
// it is read: such a command asks. The commands of dynamic variables are
// decided too. Tasks of included Taskfiles (ns:task) are not read: asking.

// taskNames are the file names task looks for, in its order.
var taskNames = []string{"Taskfile.yml", "taskfile.yml", "Taskfile.yaml", "taskfile.yaml",
	"Taskfile.dist.yml", "taskfile.dist.yml", "Taskfile.dist.yaml", "taskfile.dist.yaml"}

// taskfile is what the reader knows of a Taskfile.
type taskfile struct {
	dir, file string
	tasks     map[string]*yamltree.Node
	aliases   map[string]string
	vars      *yamltree.Node // the top-level vars mapping, or nil
	env       *yamltree.Node
	includes  bool
	dotenv    []string
	assigned  map[string]bool
	cli       map[string]string
	cliArgs   string
}

// parseTaskfile reads a Taskfile, parsed by parse (Options.YAML).
func parseTaskfile(parse func([]byte) (*yamltree.Node, error), data []byte, dir, file string) (*taskfile, error) {
	doc, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("it does not parse as YAML: %w", err)
	}
	tf := &taskfile{dir: dir, file: file, tasks: map[string]*yamltree.Node{}, aliases: map[string]string{}}
	if len(doc.Content) == 0 {
		return tf, nil
	}
	root := deref(doc.Content[0])
	if root == nil || root.Kind != yamltree.MappingNode {
		return nil, errors.New("it is not a YAML mapping")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		switch k.Value {
		case "tasks":
			if v == nil || v.Kind != yamltree.MappingNode {
				return nil, errors.New("its tasks are not a mapping")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				name, task := v.Content[j].Value, deref(v.Content[j+1])
				tf.tasks[name] = task
				for _, a := range mapValue(task, "aliases").seq() {
					tf.aliases[a.Value] = name
				}
			}
		case "vars":
			tf.vars = v
		case "env":
			tf.env = v
		case "includes":
			tf.includes = len(v.Content) > 0
		case "dotenv":
			for _, f := range (taskNode{v}).seq() {
				tf.dotenv = append(tf.dotenv, f.Value)
			}
		}
	}
	return tf, nil
}

// taskNode wraps a YAML node, possibly nil.
type taskNode struct{ n *yamltree.Node }

// mapValue returns the value of key in the mapping n, following aliases
// and merge keys (<<: *common) as Task's YAML decoding does.
func mapValue(n *yamltree.Node, key string) taskNode {
	return mapValueDepth(n, key, 0)
}

func mapValueDepth(n *yamltree.Node, key string, depth int) taskNode {
	n = deref(n)
	if n == nil || n.Kind != yamltree.MappingNode || depth > 8 {
		return taskNode{}
	}
	var merges []*yamltree.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case key:
			return taskNode{deref(n.Content[i+1])}
		case "<<":
			merges = append(merges, n.Content[i+1])
		}
	}
	for _, m := range merges {
		m = deref(m)
		if m != nil && m.Kind == yamltree.SequenceNode {
			for _, item := range m.Content {
				if v := mapValueDepth(item, key, depth+1); v.n != nil {
					return v
				}
			}
			continue
		}
		if v := mapValueDepth(m, key, depth+1); v.n != nil {
			return v
		}
	}
	return taskNode{}
}

// deref follows YAML aliases (*anchor).
func deref(n *yamltree.Node) *yamltree.Node {
	for i := 0; n != nil && n.Kind == yamltree.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func (t taskNode) seq() []*yamltree.Node {
	switch {
	case t.n == nil:
		return nil
	case t.n.Kind == yamltree.SequenceNode:
		out := make([]*yamltree.Node, len(t.n.Content))
		for i, c := range t.n.Content {
			out[i] = deref(c)
		}
		return out
	case t.n.Kind == yamltree.ScalarNode && t.n.Value != "":
		return []*yamltree.Node{t.n}
	}
	return nil
}

// taskScope is the variables a template sees.
type taskScope struct {
	tf     *taskfile
	task   string
	dir    string
	layers []*yamltree.Node // vars mappings, innermost first
	extra  map[string]string
}

// taskCmd is one command a task runs.
type taskCmd struct {
	text string
	line int
	dir  string
	err  error // it cannot be known
}

// render renders the Go templates of s.
func (sc *taskScope) render(s string, depth int) (string, error) {
	if depth > maxMakeDepth {
		return "", errors.New("variables refer to each other too deeply to follow")
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			break
		}
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			return "", errors.New("a {{ without its }}")
		}
		b.WriteString(s[:i])
		expr := strings.TrimSpace(strings.Trim(s[i+2:i+end], "-"))
		v, err := sc.value(expr, depth)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		if b.Len() > maxMakeText {
			return "", errors.New("a command grows too large to follow")
		}
		s = s[i+end+2:]
	}
	return b.String(), nil
}

// value evaluates one template action.
func (sc *taskScope) value(expr string, depth int) (string, error) {
	switch expr {
	case "OS", "ARCH", "exeExt", "numCPU", "OS | lower", "ARCH | lower":
		return strings.ToLower(strings.Fields(expr)[0]), nil // values without shell syntax
	}
	name, ok := strings.CutPrefix(expr, ".")
	if !ok || !validShellName(name) {
		return "", fmt.Errorf("the template {{%s}}, which Warden does not evaluate", expr)
	}
	if v, ok := sc.tf.cli[name]; ok {
		return v, nil
	}
	if v, ok := sc.extra[name]; ok {
		return v, nil
	}
	for _, layer := range append(sc.layers[:len(sc.layers):len(sc.layers)], sc.tf.vars, sc.tf.env) {
		if v := mapValue(layer, name); v.n != nil {
			return sc.varValue(name, v.n, depth)
		}
	}
	switch name {
	case "CLI_ARGS":
		return sc.tf.cliArgs, nil
	case "TASK", "ALIAS":
		return sc.task, nil
	case "TASK_EXE":
		return "task", nil
	case "ROOT_DIR", "TASKFILE_DIR", "TASK_DIR":
		return sc.dir, nil
	case "ROOT_TASKFILE", "TASKFILE":
		return sc.tf.dir + "/" + path.Base(sc.tf.file), nil
	case "CLI_FORCE", "CLI_SILENT", "CLI_VERBOSE", "CLI_OFFLINE", "CLI_ASSUME_YES":
		return "false", nil
	}
	if sc.tf.assigned[name] {
		return "", fmt.Errorf("{{.%s}} takes the value the same command gives it, pasted into the command", name)
	}
	return "${" + name + "}", nil // from the environment: unknown to the shell too
}

// varValue renders a variable's value: a string, or the output of sh.
func (sc *taskScope) varValue(name string, n *yamltree.Node, depth int) (string, error) {
	switch {
	case n.Kind == yamltree.ScalarNode:
		return sc.render(n.Value, depth+1)
	case mapValue(n, "sh").n != nil:
		return "", fmt.Errorf("{{.%s}} is the output of `%s`, which cannot be known before it runs", name, mapValue(n, "sh").n.Value)
	}
	return "", fmt.Errorf("{{.%s}} is not a string Warden reads", name)
}

// dynamicCmds returns the sh: commands of a vars mapping, which run.
func (sc *taskScope) dynamicCmds(vars *yamltree.Node, dir string) []taskCmd {
	var out []taskCmd
	if vars == nil || vars.Kind != yamltree.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(vars.Content); i += 2 {
		if sh := mapValue(vars.Content[i+1], "sh"); sh.n != nil {
			out = append(out, sc.cmd(sh.n, dir))
		}
	}
	return out
}

// cmd renders one command node.
func (sc *taskScope) cmd(n *yamltree.Node, dir string) taskCmd {
	text, err := sc.render(n.Value, 0)
	line := n.Line
	if n.Style&(yamltree.LiteralStyle|yamltree.FoldedStyle) != 0 {
		line++ // the text starts below the | or >
	}
	return taskCmd{text: text, line: line, dir: dir, err: err}
}

// plan returns the commands `task` runs for the task names (with their
// call variables), dependencies first.
func (tf *taskfile) plan(names []string) ([]taskCmd, error) {
	var out []taskCmd
	global := &taskScope{tf: tf, dir: tf.dir}
	out = append(out, global.dynamicCmds(tf.vars, tf.dir)...)
	out = append(out, global.dynamicCmds(tf.env, tf.dir)...)
	seen := map[string]bool{}
	var visit func(name string, call *yamltree.Node, depth int) error
	visit = func(name string, call *yamltree.Node, depth int) error {
		if t, ok := tf.aliases[name]; ok && tf.tasks[name] == nil {
			name = t
		}
		task, ok := tf.tasks[name]
		if !ok {
			if strings.Contains(name, ":") || tf.includes {
				return fmt.Errorf("the task %s comes from an included Taskfile, which Warden does not read", name)
			}
			return nil // task fails: nothing runs
		}
		key := fmt.Sprintf("%s\x00%p", name, call)
		if seen[key] {
			return nil
		}
		seen[key] = true
		if len(seen) > maxMakeRules || depth > maxMakeDepth {
			return fmt.Errorf("it runs more than %d tasks or nests them more than %d deep", maxMakeRules, maxMakeDepth)
		}
		sc := &taskScope{tf: tf, task: name, dir: tf.dir}
		if call != nil {
			sc.layers = append(sc.layers, call)
		}
		if task.Kind == yamltree.MappingNode {
			sc.layers = append(sc.layers, mapValue(task, "vars").n, mapValue(task, "env").n)
			if d := mapValue(task, "dir").n; d != nil {
				dir, err := sc.render(d.Value, 0)
				if err != nil {
					return fmt.Errorf("%s:%d: %w", tf.file, d.Line, err)
				}
				sc.dir = path.Join(tf.dir, dir)
				if strings.HasPrefix(dir, "/") {
					sc.dir = dir
				}
			}
		}
		var cmds []*yamltree.Node
		switch task.Kind {
		case yamltree.ScalarNode:
			cmds = []*yamltree.Node{task}
		case yamltree.SequenceNode:
			cmds = (taskNode{task}).seq()
		case yamltree.MappingNode:
			out = append(out, sc.dynamicCmds(mapValue(task, "vars").n, sc.dir)...)
			out = append(out, sc.dynamicCmds(mapValue(task, "env").n, sc.dir)...)
			for _, dep := range mapValue(task, "deps").seq() {
				depName, depVars := dep.Value, (*yamltree.Node)(nil)
				if dep.Kind == yamltree.MappingNode {
					t := mapValue(dep, "task").n
					if t == nil {
						continue
					}
					depName, depVars = t.Value, mapValue(dep, "vars").n
				}
				if err := visit(depName, depVars, depth+1); err != nil {
					return err
				}
			}
			for _, p := range mapValue(task, "preconditions").seq() {
				if p.Kind == yamltree.MappingNode {
					p = mapValue(p, "sh").n
				}
				if p != nil {
					out = append(out, sc.cmd(p, sc.dir))
				}
			}
			for _, s := range mapValue(task, "status").seq() {
				out = append(out, sc.cmd(s, sc.dir))
			}
			cmds = mapValue(task, "cmds").seq()
			if c := mapValue(task, "cmd").n; c != nil {
				cmds = append(cmds, c)
			}
		}
		for _, c := range cmds {
			if c == nil {
				continue
			}
			if d := mapValue(c, "defer").n; d != nil {
				c = d
			}
			switch {
			case c.Kind == yamltree.ScalarNode:
				out = append(out, sc.cmd(c, sc.dir))
			case mapValue(c, "for").n != nil:
				items := mapValue(c, "for").n
				if items.Kind != yamltree.SequenceNode {
					out = append(out, taskCmd{line: c.Line, err: errors.New("a for loop over values Warden does not read")})
					continue
				}
				for _, item := range items.Content {
					loop := &taskScope{tf: tf, task: name, dir: sc.dir, layers: sc.layers, extra: map[string]string{"ITEM": item.Value}}
					if cmd := mapValue(c, "cmd").n; cmd != nil {
						out = append(out, loop.cmd(cmd, sc.dir))
					}
					if t := mapValue(c, "task").n; t != nil {
						if err := visit(t.Value, mapValue(c, "vars").n, depth+1); err != nil {
							return err
						}
					}
				}
			case mapValue(c, "cmd").n != nil:
				out = append(out, sc.cmd(mapValue(c, "cmd").n, sc.dir))
			case mapValue(c, "task").n != nil:
				if err := visit(mapValue(c, "task").n.Value, mapValue(c, "vars").n, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil, 0); err != nil {
			return out, err
		}
	}
	return out, nil
}

// taskCall is what a task command line asks for.
type taskCall struct {
	file, dir string
	global    bool
	tasks     []string
	vars      map[string]string
	cliArgs   []shell.Word
	runs      bool
}

func parseTaskCall(c *shell.Command) taskCall {
	tc := taskCall{vars: map[string]string{}, runs: true}
	args := argv(c)
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, eq := strings.Cut(a, "=")
		switch {
		case a == "--":
			tc.cliArgs = c.Args[i+1:]
			return tc
		case name == "-t" || name == "--taskfile" || name == "-d" || name == "--dir":
			if !eq && i+1 < len(args) {
				i++
				val = args[i]
			}
			if name == "-t" || name == "--taskfile" {
				tc.file = val
			} else {
				tc.dir = val
			}
		case name == "-C" || name == "--concurrency" || name == "-o" || name == "--output" || name == "-I" ||
			name == "--interval" || name == "--sort" || name == "--output-group-begin" || name == "--output-group-end" || name == "--completion":
			if name == "--completion" {
				tc.runs = false
			}
			if !eq {
				i++
			}
		case a == "-g" || a == "--global":
			tc.global = true
		case strings.HasPrefix(a, "-"):
			switch a {
			case "-l", "--list", "-a", "--list-all", "--summary", "-i", "--init", "-n", "--dry", "--status",
				"--version", "-h", "--help", "--json":
				tc.runs = false
			}
		case eq && validShellName(name):
			tc.vars[name] = val
		default:
			tc.tasks = append(tc.tasks, a)
		}
	}
	return tc
}

// taskRecipes decides what `task` runs.
func (e *Engine) taskRecipes(d *decision, u *unit, c *shell.Command, all []shell.Command, env *pathEnv, depth int) {
	if !programIs(c, "task", "go-task") {
		return
	}
	tc := parseTaskCall(c)
	if !tc.runs {
		return
	}
	for _, cwd := range cwdsOf(c, env) {
		dir := cwd
		if tc.dir != "" {
			dir = env.resolve(tc.dir, cwd)
		}
		var p string
		switch {
		case tc.file != "":
			p = env.resolve(tc.file, dir)
		case tc.global && env.home != "":
			p = e.findUp(env.home, &pathEnv{cwd: env.home, home: env.home, repo: env.home}, taskNames...)
		default:
			p = e.findUp(dir, env, taskNames...)
		}
		if p == "" || !d.once("task\x00"+p+"\x00"+cwd+"\x00"+c.Text) {
			continue
		}
		if depth >= maxCodeDepth {
			e.tooDeep(d, u, c, "the Taskfile "+shownPath(p, env))
			continue
		}
		data, ok := e.readCode(d, u, c, p, "the Taskfile", env)
		if !ok {
			continue
		}
		shown := shownPath(p, env)
		if e.yaml == nil {
			e.lacksYAML(d, u, c, "the Taskfile "+shown)
			continue
		}
		tf, err := parseTaskfile(e.yaml, data, path.Dir(p), shown)
		if err != nil {
			e.cannotRead(d, u, c, "the Taskfile "+shown, err)
			continue
		}
		tf.assigned, tf.cli = assignedNames(c, all), tc.vars
		var cliArgs []string
		for _, w := range tc.cliArgs {
			v := firstValue(w)
			if w.Dynamic {
				v = "${__warden_unknown_argument}"
			}
			cliArgs = append(cliArgs, v)
		}
		tf.cliArgs = strings.Join(cliArgs, " ")
		for _, f := range tf.dotenv {
			fp := f
			if !strings.HasPrefix(fp, "/") {
				fp = path.Join(tf.dir, f)
			}
			if _, err := e.fs.Lstat(fp); err == nil {
				e.checkFile(d, u, fileAccess{raw: fp, access: policy.AccessRead, via: "`" + c.Text + "`, whose Taskfile loads it (dotenv)"})
			}
		}
		names := tc.tasks
		if len(names) == 0 {
			names = []string{"default"}
		}
		cmds, err := tf.plan(names)
		for _, cmd := range cmds {
			l := makeLine{file: shown, line: cmd.line}
			if cmd.err != nil {
				e.cannotRead(d, u, c, "the task command at "+l.at(), cmd.err)
				continue
			}
			if !e.makeShell(d, u, c, env, depth, cmd.dir, l, cmd.text) {
				return
			}
		}
		if err != nil {
			e.cannotRead(d, u, c, "the tasks of "+shown, err)
		}
	}
}
