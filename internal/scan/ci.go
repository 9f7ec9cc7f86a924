package scan

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/shell"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// ciTier is the tier CI jobs that run Claude Code are expected to run under.
const ciTier = "ci"

// gitlabReserved are top-level keys of .gitlab-ci.yml that are not jobs.
var gitlabReserved = []string{"stages", "variables", "default", "include", "workflow", "image", "services", "cache", "before_script", "after_script", "spec"}

// claudeRunners are the package names that run Claude Code through a
// package runner (npx @anthropic-ai/claude-code ...).
var claudeRunners = []string{"@anthropic-ai/claude-code"}

// claudeAction names the GitHub Action that runs Claude Code; its inputs
// carrying CLI arguments.
var (
	claudeAction     = "anthropics/claude-code-action"
	claudeActionArgs = []string{"claude_args", "claude-args", "args"}
)

// ghaExpr matches a GitHub Actions expression, which is not shell. Built
// on first use: every warden command pays the package's init.
var ghaExpr = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{\{.*?\}\}`) })

// script is one shell script in a CI file and where its text starts.
type script struct {
	node *yaml.Node
	text string
	// prefix is prepended to text before analysis (the action's "claude "),
	// not present in the file.
	prefix string
}

// ciJob is one job of a workflow.
type ciJob struct {
	name    string
	pos     Pos
	scripts []script
	// action is the claude-code-action step, when the job uses it.
	action *yaml.Node
}

// checkCI reports CI jobs that run Claude Code with permissions bypassed
// or without Warden's ci tier.
func checkCI(c *scanCtx) {
	var files []string
	if tracked, ok := c.trackedFiles(); ok {
		for _, f := range tracked {
			if isWorkflow(f) {
				files = append(files, f)
			}
		}
	} else {
		for _, pat := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml"} {
			m, _ := globRepo(c.repo, pat)
			files = append(files, m...)
		}
		files = append(files, ".gitlab-ci.yml")
	}
	sort.Strings(files)
	for _, rel := range files {
		data, err := c.readRepoFile(rel)
		if err != nil {
			c.add(IDConfigParse, Finding{Severity: SeverityMedium, File: rel, Message: fmt.Sprintf("%s could not be read: %v", rel, err)})
			continue
		}
		if data == nil {
			continue
		}
		c.workflows++
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			c.add(IDConfigParse, Finding{Severity: SeverityMedium, File: rel, Message: fmt.Sprintf("%s is not valid YAML: %v", rel, err)})
			continue
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		var jobs []ciJob
		if rel == ".gitlab-ci.yml" {
			jobs = gitlabJobs(doc.Content[0])
		} else {
			jobs = githubJobs(doc.Content[0])
		}
		for _, j := range jobs {
			c.checkJob(rel, data, j)
		}
	}
}

func isWorkflow(rel string) bool {
	if rel == ".gitlab-ci.yml" {
		return true
	}
	dir, base := path.Split(rel)
	return dir == ".github/workflows/" && (strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".yaml"))
}

// scalars returns a string scalar, or the string scalars of a sequence.
func scalars(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{n}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, it := range n.Content {
			out = append(out, scalars(it)...)
		}
		return out
	}
	return nil
}

func githubJobs(root *yaml.Node) []ciJob {
	jobs := yamlfile.Get(root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil
	}
	var out []ciJob
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		k, v := jobs.Content[i], jobs.Content[i+1]
		j := ciJob{name: k.Value, pos: Pos{k.Line, k.Column}}
		steps := yamlfile.Get(v, "steps")
		if steps != nil {
			for _, st := range steps.Content {
				for _, s := range scalars(yamlfile.Get(st, "run")) {
					j.scripts = append(j.scripts, script{node: s, text: s.Value})
				}
				uses := yamlfile.Get(st, "uses")
				if uses != nil && strings.HasPrefix(strings.ToLower(uses.Value), claudeAction) {
					j.action = uses
					with := yamlfile.Get(st, "with")
					for _, key := range claudeActionArgs {
						for _, s := range scalars(yamlfile.Get(with, key)) {
							j.scripts = append(j.scripts, script{node: s, text: s.Value, prefix: "claude "})
						}
					}
				}
			}
		}
		out = append(out, j)
	}
	return out
}

func gitlabJobs(root *yaml.Node) []ciJob {
	var global []script
	for _, key := range []string{"before_script", "after_script"} {
		for _, s := range scalars(yamlfile.Get(root, key)) {
			global = append(global, script{node: s, text: s.Value})
		}
	}
	for _, key := range []string{"before_script", "after_script"} {
		for _, s := range scalars(yamlfile.Get(yamlfile.Get(root, "default"), key)) {
			global = append(global, script{node: s, text: s.Value})
		}
	}
	var out []ciJob
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if slices.Contains(gitlabReserved, k.Value) || strings.HasPrefix(k.Value, ".") || v.Kind != yaml.MappingNode {
			continue
		}
		j := ciJob{name: k.Value, pos: Pos{k.Line, k.Column}}
		for _, key := range []string{"before_script", "script", "after_script"} {
			for _, s := range scalars(yamlfile.Get(v, key)) {
				j.scripts = append(j.scripts, script{node: s, text: s.Value})
			}
		}
		j.scripts = append(j.scripts, global...)
		out = append(out, j)
	}
	return out
}

// claudeCall is one run of Claude Code found in a job.
type claudeCall struct {
	cmd    shell.Command
	sc     script
	bypass string // the bypassing option as written, "" when none
}

// checkJob judges one job's scripts.
func (c *scanCtx) checkJob(rel string, data []byte, j ciJob) {
	var calls []claudeCall
	inTier := false
	for _, sc := range j.scripts {
		// Expressions are not shell: blank them, keeping every column.
		text := ghaExpr().ReplaceAllStringFunc(sc.prefix+sc.text, func(s string) string { return strings.Repeat("x", len(s)) })
		an := shell.Analyze(text, shell.Options{})
		for _, cmd := range an.Commands {
			if wardenCITier(cmd) {
				inTier = true
			}
			if argv, ok := claudeArgs(cmd); ok {
				calls = append(calls, claudeCall{cmd: cmd, sc: sc, bypass: bypassOption(argv)})
			}
		}
	}
	if len(calls) == 0 && j.action == nil {
		return
	}
	for _, call := range calls {
		if call.bypass == "" {
			continue
		}
		line, col := scriptPos(data, call.sc, call.cmd, call.bypass)
		c.add(IDCIBypass, Finding{
			Severity: SeverityHigh, File: rel, Line: line, Col: col,
			Message:  fmt.Sprintf("job %q runs claude with %s: permission rules that are not managed are off, with the job's tokens in reach", j.name, call.bypass),
			Evidence: evidenceLine(data, line, call.cmd),
		})
	}
	if inTier || !c.hasTier(ciTier) {
		return
	}
	f := Finding{Severity: SeverityMedium, File: rel, Line: j.pos.Line, Col: j.pos.Col,
		Message: fmt.Sprintf("job %q runs Claude Code but installs no Warden %s tier (warden install --tier %s): unless its image has it, no managed policy or hook judges its tool calls", j.name, ciTier, ciTier)}
	if len(calls) > 0 && calls[0].sc.prefix == "" {
		f.Line, f.Col = scriptPos(data, calls[0].sc, calls[0].cmd, calls[0].cmd.Name.Raw)
		f.Evidence = evidenceLine(data, f.Line, calls[0].cmd)
	} else if j.action != nil {
		f.Line, f.Col = j.action.Line, j.action.Column
		f.Evidence = "uses: " + j.action.Value
	}
	c.add(IDCITier, f)
}

func (c *scanCtx) hasTier(name string) bool { return slices.Contains(c.pol.TierNames(), name) }

// claudeArgs returns the arguments of a command that runs Claude Code:
// claude itself (as the catalogue names it) or a package runner running its
// npm package.
func claudeArgs(cmd shell.Command) ([]string, bool) {
	if cmd.Dynamic || cmd.Program == "" {
		return nil, false
	}
	argv := wordValues(cmd.Args)
	if row := catalog.Builtin().Lookup(cmd.Program); row != nil && row.Name() == "claude" {
		return argv, true
	}
	if _, ok := packageRunners[cmd.Program]; ok {
		for i, a := range argv {
			if strings.HasPrefix(a, "-") {
				continue
			}
			for _, r := range claudeRunners {
				if a == r || strings.HasPrefix(a, r+"@") {
					return argv[i+1:], true
				}
			}
			break
		}
	}
	return nil, false
}

func wordValues(ws []shell.Word) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		if len(w.Values) > 0 {
			out = append(out, w.Values[0])
		} else {
			out = append(out, w.Raw)
		}
	}
	return out
}

// bypassOption returns the option of a claude argv that bypasses
// permissions: one the catalogue puts in warden-tamper, or
// --permission-mode bypassPermissions.
func bypassOption(argv []string) string {
	row := catalog.Builtin().Lookup("claude")
	call := catalog.Parse(row, "claude", argv)
	for _, h := range call.Classes {
		if h.Class == catalog.WardenTamper {
			for _, o := range call.Opts {
				if o.Class == catalog.WardenTamper {
					for _, a := range argv {
						if strings.HasPrefix(a, "--") && strings.Contains(" "+o.Names+" ", " "+strings.SplitN(a, "=", 2)[0]+" ") {
							return a
						}
					}
				}
			}
			return "--dangerously-skip-permissions"
		}
	}
	for _, a := range call.Args {
		if a.Opt != nil && strings.Contains(" "+a.Opt.Names+" ", " --permission-mode ") && a.Value == "bypassPermissions" {
			return "--permission-mode bypassPermissions"
		}
	}
	return ""
}

// wardenCITier reports a warden install or compile of the ci tier.
func wardenCITier(cmd shell.Command) bool {
	if cmd.Program != "warden" {
		return false
	}
	argv := wordValues(cmd.Args)
	if len(argv) == 0 || (argv[0] != "install" && argv[0] != "compile") {
		return false
	}
	for i, a := range argv {
		if a == "--tier="+ciTier || a == "--tier" && i+1 < len(argv) && argv[i+1] == ciTier {
			return true
		}
	}
	return false
}

// scriptPos maps a command found in a script back to the file: the line
// of the scalar (plus the command's line inside a block scalar) and the
// column where text appears on that line.
func scriptPos(data []byte, sc script, cmd shell.Command, text string) (int, int) {
	line := sc.node.Line
	if sc.node.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		line += cmd.Line
	} else if cmd.Line > 1 {
		line += cmd.Line - 1
	}
	if col := lineCol(data, line, text); col > 1 || strings.HasPrefix(strings.TrimSpace(lineAt(data, line)), text) {
		return line, col
	}
	if text != "claude" {
		if col := lineCol(data, line, "claude"); col > 1 {
			return line, col
		}
	}
	return line, sc.node.Column
}

func lineAt(data []byte, line int) string {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	return lines[line-1]
}

// evidenceLine is the file's line as written (GitHub expressions included,
// which the analysis saw blanked), or the command when the line is not it.
func evidenceLine(data []byte, line int, cmd shell.Command) string {
	if l := strings.TrimSpace(lineAt(data, line)); l != "" {
		return l
	}
	return cmd.Written
}
