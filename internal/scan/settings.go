package scan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// projectSettingsFiles are the repository's Claude Code settings files.
var projectSettingsFiles = []string{".claude/settings.json", ".claude/settings.local.json"}

// jsonDoc is a parsed repository JSON file.
type jsonDoc struct {
	rel  string
	data []byte
	root *Node
}

// settingsDocs parses the project settings files once per scan; a file that
// does not parse is reported once, as IDConfigParse.
func (c *scanCtx) settingsDocs() []jsonDoc {
	if c.settingsCache != nil {
		return *c.settingsCache
	}
	var docs []jsonDoc
	for _, rel := range projectSettingsFiles {
		if d, ok := c.jsonFile(rel); ok {
			docs = append(docs, d)
			c.settingsSeen = append(c.settingsSeen, rel)
		}
	}
	c.settingsCache = &docs
	return docs
}

// jsonFile reads and parses a repository JSON file; a missing file is
// (_, false) silently, one that cannot be read or parsed is a finding.
func (c *scanCtx) jsonFile(rel string) (jsonDoc, bool) {
	data, err := c.readRepoFile(rel)
	if err != nil {
		c.add(IDConfigParse, Finding{Severity: SeverityMedium, File: rel, Message: fmt.Sprintf("%s could not be read: %v", rel, err)})
		return jsonDoc{}, false
	}
	if data == nil {
		return jsonDoc{}, false
	}
	root, err := ParseJSON(data)
	if err != nil {
		f := Finding{Severity: SeverityMedium, File: rel, Message: fmt.Sprintf("%s is not valid JSON: %v", rel, err)}
		if se, ok := err.(*SyntaxError); ok {
			f.Line, f.Col = se.Pos.Line, se.Pos.Col
			f.Message = fmt.Sprintf("%s is not valid JSON: %s", rel, se.Msg)
		}
		c.add(IDConfigParse, f)
		return jsonDoc{}, false
	}
	if root.Kind != KindObject {
		c.add(IDConfigParse, Finding{Severity: SeverityMedium, File: rel, Line: root.Pos.Line, Col: root.Pos.Col, Message: rel + " is not a JSON object"})
		return jsonDoc{}, false
	}
	return jsonDoc{rel: rel, data: data, root: root}, true
}

func at(rel string, p Pos) Finding { return Finding{File: rel, Line: p.Line, Col: p.Col} }

// checkSettingsAllow reports allow rules that admit a whole program that
// runs code, or every tool of an MCP server.
func checkSettingsAllow(c *scanCtx) {
	for _, d := range c.settingsDocs() {
		for _, n := range d.root.Get("permissions").Get("allow").Strings() {
			b, ok := c.broadRule(n.Str)
			if !ok {
				continue
			}
			f := at(d.rel, n.Pos)
			f.Severity = b.sev
			f.Message = fmt.Sprintf("allow rule %q %s", n.Str, b.why)
			f.Evidence = n.Str
			c.add(IDBroadAllow, f)
		}
	}
}

// broad is why an allow rule is broad.
type broad struct {
	sev Severity
	why string
}

// codeKinds are argument kinds that make a program run code.
var codeKinds = []catalog.Kind{catalog.Shell, catalog.Code, catalog.Exec, catalog.Script, catalog.Package, catalog.Opaque, catalog.ToolCmd}

// kindPhrase says what an argument of a code kind makes the program run.
var kindPhrase = map[catalog.Kind]string{
	catalog.Shell:   "shell code",
	catalog.Code:    "interpreter code",
	catalog.Exec:    "another command",
	catalog.Script:  "a script file",
	catalog.Package: "a package",
	catalog.Opaque:  "code Warden cannot see",
	catalog.ToolCmd: "tool commands that can escape to a shell",
}

// broadRule judges one allow rule string.
func (c *scanCtx) broadRule(raw string) (broad, bool) {
	raw = strings.TrimSpace(raw)
	if rest, ok := strings.CutPrefix(raw, "mcp__"); ok {
		server, tool, hasTool := strings.Cut(rest, "__")
		switch {
		case server == "" || strings.ContainsAny(server, "*?"):
			return broad{SeverityHigh, "admits every tool of every MCP server, including servers added later"}, true
		case !hasTool || tool == "" || tool == "*":
			return broad{SeverityMedium, fmt.Sprintf("admits every tool of MCP server %q, including write tools and tools it adds later", server)}, true
		}
		return broad{}, false
	}
	r, err := policy.ParseNativeRule(raw)
	if err != nil {
		return broad{}, false
	}
	switch r.Tool {
	case "Bash":
	case "Edit", "Write", "MultiEdit", "NotebookEdit", "WebFetch":
		if !r.HasSpecifier || strings.Trim(r.Specifier, "*/") == "" {
			return broad{SeverityMedium, fmt.Sprintf("admits %s on anything without a prompt", r.Tool)}, true
		}
		return broad{}, false
	default:
		return broad{}, false
	}
	if !r.HasSpecifier {
		return broad{SeverityCritical, "admits every Bash command without a prompt"}, true
	}
	words := strings.Fields(r.BashPattern())
	if len(words) == 0 || strings.ContainsAny(words[0], "*?") {
		return broad{SeverityCritical, "admits every Bash command without a prompt"}, true
	}
	if words[len(words)-1] != "*" {
		return broad{}, false // an exact command, or a pattern with a fixed end
	}
	prefix := words[:len(words)-1]
	for _, w := range prefix {
		if strings.ContainsAny(w, "*?") {
			return broad{}, false
		}
	}
	if shape, ok := runsAnyCommand(prefix); ok {
		return broad{SeverityCritical, fmt.Sprintf("admits every command without a prompt: %q runs any command it is given (%s)", strings.Join(prefix, " "), shape)}, true
	}
	cat := c.rs.Catalog()
	row := cat.Lookup(prefix[0])
	if row == nil {
		return broad{}, false
	}
	for _, w := range prefix[1:] {
		sub := findSub(row, w)
		if sub == nil {
			return broad{}, false // a fixed operand narrows the rule
		}
		row = sub
	}
	reasons, runs := rowReasons(row, strings.Join(prefix, " "), 0)
	if len(reasons) == 0 {
		return broad{}, false
	}
	// What the program's subcommands do reads better than its options.
	slices.SortStableFunc(reasons, func(a, b string) int {
		return cmp.Compare(b2i(strings.Contains(a, " -")), b2i(strings.Contains(b, " -")))
	})
	sev := SeverityMedium
	if runs {
		sev = SeverityHigh
	}
	if len(reasons) > 4 {
		reasons = append(reasons[:4], "...")
	}
	return broad{sev, fmt.Sprintf("admits any %q command without a prompt, and %s", strings.Join(prefix, " "), strings.Join(reasons, "; "))}, true
}

// findSub finds the subcommand row of p named w.
func findSub(p *catalog.Program, w string) *catalog.Program {
	for _, list := range [][]catalog.Program{p.Subs, p.Also} {
		for i := range list {
			found := false
			catalog.Each(list[i].Names, func(n string) { found = found || n == w })
			if found {
				return &list[i]
			}
		}
	}
	return nil
}

// rowReasons says what calls of a catalogue row (and its subcommands) can
// do that a blanket allow should not admit: run code, or fall into a
// command class the policy judges. runs reports code execution.
func rowReasons(p *catalog.Program, path string, depth int) (reasons []string, runs bool) {
	if depth > 6 {
		return nil, false
	}
	addRun := func(s string) {
		runs = true
		if !slices.Contains(reasons, s) {
			reasons = append(reasons, s)
		}
	}
	add := func(s string) {
		if !slices.Contains(reasons, s) {
			reasons = append(reasons, s)
		}
	}
	if p.Lang != "" {
		addRun(fmt.Sprintf("%s runs %s code", path, p.Lang))
	}
	if p.RunsPackage {
		addRun(path + " downloads and runs packages")
	}
	if slices.Contains(codeKinds, p.Stdin) {
		addRun(path + " runs code from its input")
	}
	for _, o := range p.Opts {
		if slices.Contains(codeKinds, o.Kind) {
			name, _, _ := strings.Cut(o.Names, " ")
			addRun(fmt.Sprintf("%s %s runs %s", path, name, kindPhrase[o.Kind]))
		}
		if o.Class != "" {
			name, _, _ := strings.Cut(o.Names, " ")
			add(fmt.Sprintf("%s %s is %s", path, name, o.Class))
		}
	}
	ops := append(slices.Clone(p.Operands.Lead), p.Operands.Rest, p.Operands.Last)
	for _, k := range ops {
		if slices.Contains(codeKinds, k) {
			addRun(fmt.Sprintf("%s runs %s given as an operand", path, kindPhrase[k]))
			break
		}
	}
	if p.Class != "" {
		add(fmt.Sprintf("%s is %s", path, p.Class))
	}
	for _, h := range p.Extra {
		add(fmt.Sprintf("%s is %s", path, h.Class))
	}
	if p.Bare != "" {
		add(fmt.Sprintf("%s alone is %s", path, p.Bare))
	}
	for _, t := range p.Tasks {
		add(fmt.Sprintf("%s %s is %s", path, strings.Fields(t.Names)[0], t.Class))
	}
	for _, list := range [][]catalog.Program{p.Subs, p.Also} {
		for i := range list {
			sub := &list[i]
			r, rr := rowReasons(sub, path+" "+sub.Name(), depth+1)
			for _, s := range r {
				add(s)
			}
			runs = runs || rr
		}
	}
	return reasons, runs
}

// permissiveModes grades the defaultMode values that loosen prompting.
var permissiveModes = map[string]struct {
	sev Severity
	why string
}{
	"bypassPermissions": {SeverityHigh, "skips every permission prompt"},
	"dontAsk":           {SeverityMedium, "runs what is allowed and refuses the rest without asking: only for locked workflows with a narrow allowlist"},
	"acceptEdits":       {SeverityMedium, "accepts file edits without a prompt"},
	"auto":              {SeverityMedium, "lets a classifier approve actions: treat as experimental until tested against the team's attack paths"},
}

// tierString returns a tier setting as a string.
func (c *scanCtx) tierString(key string) string {
	s, _ := c.rs.Settings[key].(string)
	return s
}

// tierBool returns a tier setting as a bool, def when unset.
func (c *scanCtx) tierBool(key string, def bool) bool {
	if b, ok := c.rs.Settings[key].(bool); ok {
		return b
	}
	return def
}

// checkSettingsMode reports a permissive defaultMode in project settings,
// judged against the repository's tier.
func checkSettingsMode(c *scanCtx) {
	tierMode := c.tierString("default_mode")
	for _, d := range c.settingsDocs() {
		n := d.root.Get("permissions").Get("defaultMode")
		if n == nil || n.Kind != KindString {
			continue
		}
		pm, ok := permissiveModes[n.Str]
		if !ok || n.Str == tierMode {
			continue
		}
		f := at(d.rel, n.Pos)
		f.Severity = pm.sev
		f.Evidence = `"defaultMode": "` + n.Str + `"`
		want := tierMode
		if want == "" {
			want = "default"
		}
		f.Message = fmt.Sprintf("defaultMode %q %s; tier %s starts in %q", n.Str, pm.why, c.tier, want)
		if n.Str == "bypassPermissions" {
			if c.tierBool("disable_bypass_permissions", true) {
				f.Message += "; the tier disables bypass mode, so this applies only where its managed settings are missing"
			} else {
				f.Severity = SeverityMedium
				f.Message += "; the tier allows bypass mode (meant for isolated containers): make sure nothing else runs it"
			}
		}
		c.add(IDPermissiveMode, f)
	}
}

// checkSettingsHooks reports every hook handler project settings define.
func checkSettingsHooks(c *scanCtx) {
	managedOnly := c.tierBool("allow_managed_hooks_only", false)
	for _, d := range c.settingsDocs() {
		hooks := d.root.Get("hooks")
		if hooks == nil || hooks.Kind != KindObject {
			continue
		}
		for _, ev := range hooks.Members {
			for _, group := range ev.Value.Elems() {
				matcher := "*"
				if m := group.Get("matcher"); m != nil && m.Kind == KindString && m.Str != "" {
					matcher = m.Str
				}
				for _, h := range group.Get("hooks").Elems() {
					what, pos := "", h.Pos
					for _, key := range []string{"command", "url", "prompt"} {
						if v := h.Get(key); v != nil && v.Kind == KindString {
							what, pos = key+" "+quoteEvidence(v.Str), v.Pos
							break
						}
					}
					if what == "" {
						continue
					}
					f := at(d.rel, pos)
					f.Severity = SeverityMedium
					f.Evidence = what
					f.Message = fmt.Sprintf("%s hook (matcher %q) defined by the repository runs %s", ev.Key, matcher, what)
					if managedOnly {
						f.Severity = SeverityLow
						f.Message += fmt.Sprintf("; tier %s sets allow_managed_hooks_only, so Claude Code ignores it where the tier's managed settings are installed", c.tier)
					}
					c.add(IDRepoHooks, f)
				}
			}
		}
	}
}

// commandSettings are settings keys, besides hooks, whose value is a
// command Claude Code runs (Claude Code's settings documentation; not
// among the facts observed on 2.1.330 in shared/spec).
var commandSettings = []struct {
	path []string
	what string
}{
	{[]string{"apiKeyHelper"}, "to produce the API key"},
	{[]string{"awsAuthRefresh"}, "to refresh AWS credentials"},
	{[]string{"awsCredentialExport"}, "to export AWS credentials"},
	{[]string{"otelHeadersHelper"}, "to produce telemetry headers"},
	{[]string{"statusLine", "command"}, "to draw the status line"},
}

// checkSettingsCommands reports the other settings through which a
// repository makes Claude Code run a program.
func checkSettingsCommands(c *scanCtx) {
	for _, d := range c.settingsDocs() {
		for _, cs := range commandSettings {
			n := d.root
			for _, k := range cs.path {
				n = n.Get(k)
			}
			if n == nil || n.Kind != KindString || n.Str == "" {
				continue
			}
			f := at(d.rel, n.Pos)
			f.Severity = SeverityMedium
			f.Evidence = strings.Join(cs.path, ".") + ": " + quoteEvidence(n.Str)
			f.Message = fmt.Sprintf("%s, defined by the repository, makes Claude Code run %s %s on every developer's machine", strings.Join(cs.path, "."), quoteEvidence(n.Str), cs.what)
			c.add(IDRepoHooks, f)
		}
	}
}

// checkSettingsMCPAuto reports project settings that approve every project
// MCP server at once.
func checkSettingsMCPAuto(c *scanCtx) {
	for _, d := range c.settingsDocs() {
		n := d.root.Get("enableAllProjectMcpServers")
		if n == nil || n.Kind != KindBool || !n.Bool {
			continue
		}
		f := at(d.rel, n.Pos)
		f.Severity = SeverityMedium
		f.Evidence = `"enableAllProjectMcpServers": true`
		f.Message = "enableAllProjectMcpServers starts every server in .mcp.json without asking, including servers a later change adds"
		c.add(IDProjectMCPAuto, f)
	}
}

// quoteEvidence shortens and quotes untrusted text for a message.
func quoteEvidence(s string) string {
	const max = 160
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// probeProgram stands for "any command" in wrapper probes.
const probeProgram = "warden-scan-probe"

// wrapperShapes are argument shapes through which a program may run a
// command it is given: as its operand (sudo CMD, xargs CMD), after a
// number (timeout 10 CMD), after -c (bash -c CMD), through find's -exec.
var wrapperShapes = [][]string{
	{probeProgram},
	{"10", probeProgram},
	{"-c", probeProgram},
	{".", "-exec", probeProgram, ";"},
}

// runsAnyCommand asks the shell analysis (the one the engine decides by)
// whether a command starting with prefix can run an arbitrary command:
// whether, in one of the wrapper shapes, it unwraps a probe program.
func runsAnyCommand(prefix []string) (string, bool) {
	for _, shape := range wrapperShapes {
		script := strings.Join(append(slices.Clone(prefix), shape...), " ")
		for _, cmd := range shell.Analyze(script, shell.Options{}).Commands {
			if cmd.Program == probeProgram && len(cmd.Via) > 0 {
				return strings.ReplaceAll(script, probeProgram, "CMD"), true
			}
		}
	}
	return "", false
}
