package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
	"github.com/wardenhq/warden/internal/yamltree"
)

// Package scripts. npm run build runs the "build" script of the nearest
// package.json (looked for from the working directory up to the repository
// root, as npm walks up to its project), in the package's directory, with
// the arguments after the script name appended; around it run "prebuild"
// and "postbuild". npm 7+ and yarn 1 run those; yarn 2+ does not, and pnpm
// only with enable-pre-post-scripts (its default changed between versions):
// which one runs cannot be told from the command, so Warden decides the pre
// and post scripts for every manager. Installing (npm install, npm ci, yarn,
// pnpm install, bun install) runs the project's own lifecycle scripts
// (preinstall, install, postinstall, prepare, ...); so do pack, publish and
// version theirs. A script name the package does not define runs nothing
// (npm fails) or a binary of node_modules/.bin, which is out of reach: no
// opinion. With a workspace flag (pnpm -r, --filter, npm --workspaces,
// yarn workspace(s)) the script of every workspace package is decided.

// pkgScript is one script of a package.json.
type pkgScript struct {
	text string
	line int // of its key; 0 for npm's defaults (start: node server.js)
}

// pkgJSON is what Warden reads of a package.json.
type pkgJSON struct {
	scripts    map[string]pkgScript
	workspaces []string
}

// parsePackageJSON reads the scripts and workspaces of a package.json. A
// document npm would reject is an error.
func parsePackageJSON(data []byte) (*pkgJSON, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !json.Valid(data) {
		return nil, errors.New("it is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, _ := dec.Token(); t != json.Delim('{') {
		return nil, errors.New("it is not a JSON object")
	}
	pj := &pkgJSON{scripts: map[string]pkgScript{}}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key, _ := t.(string); key {
		case "scripts":
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			start := int(dec.InputOffset()) - len(v)
			pj.scripts = scriptsOf(v, 1+bytes.Count(data[:start], []byte("\n")))
		case "workspaces":
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			var list []string
			var obj struct {
				Packages []string `json:"packages"`
			}
			if json.Unmarshal(v, &list) == nil {
				pj.workspaces = list
			} else if json.Unmarshal(v, &obj) == nil {
				pj.workspaces = obj.Packages
			}
		default:
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
		}
	}
	return pj, nil
}

// scriptsOf returns the string-valued entries of the "scripts" object v,
// each with the line of its key (v starts on line first); anything but an
// object has none.
func scriptsOf(v json.RawMessage, first int) map[string]pkgScript {
	out := map[string]pkgScript{}
	dec := json.NewDecoder(bytes.NewReader(v))
	if t, _ := dec.Token(); t != json.Delim('{') {
		return out
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out
		}
		name, _ := t.(string)
		line := first + bytes.Count(v[:dec.InputOffset()], []byte("\n"))
		var text string
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return out
		}
		if json.Unmarshal(raw, &text) == nil {
			out[name] = pkgScript{text: text, line: line}
		}
	}
	return out
}

// pkgRun is what one package-manager command runs from package.json.
type pkgRun struct {
	events    []string     // scripts in the order they run
	main      string       // the script the arguments are appended to
	args      []shell.Word // those arguments
	dir       string       // the package directory given by an option, or ""
	workspace bool         // every workspace package runs them too
}

// Lifecycle scripts of a project's own package, by command.
var (
	installEvents = []string{"pnpm:devPreinstall", "preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"}
	packEvents    = []string{"prepack", "prepare", "postpack"}
	publishEvents = []string{"prepublishOnly", "prepack", "prepare", "postpack", "publish", "postpublish"}
	versionEvents = []string{"preversion", "version", "postversion"}
)

// Subcommands of the package managers that are not script names.
const (
	yarnBuiltins nameList = ("add audit autoclean bin cache check config constraints create dedupe dlx exec explain generate-lock-entry global help import info init install licenses link list login logout node npm outdated owner pack patch patch-commit plugin policies publish rebuild remove run search set stage tag team test unlink unplug up upgrade upgrade-interactive version versions why workspace workspaces")
	pnpmBuiltins nameList = ("add approve-builds audit bin c cat-file cat-index config create dedupe deploy dlx doctor env exec fetch find-hash help i ignored-builds import init install install-test it licenses link list ln ls outdated pack patch patch-commit patch-remove prune publish rb rebuild recursive remove restart rm root run self-update server setup start stop store t test tst un uninstall unlink up update upgrade why")
	bunBuiltins  nameList = ("a add audit build c create exec i info init install link outdated patch pm publish remove repl rm run test unlink update upgrade why x")
	// npmValueOpts take the next argument as their value.
	npmValueOpts nameList = ("--prefix -C --dir --cwd -w --workspace --filter -F --userconfig --globalconfig --cache --registry --loglevel --scope --tag --otp --script-shell --reporter --test-pattern --changed-files-ignore-pattern --workspace-concurrency")
)

// parsePkgRun reads what a package-manager command runs from package.json;
// ok is false when it runs no script (npx, pnpm dlx, yarn add ...).
func parsePkgRun(prog string, c *shell.Command) (r pkgRun, ok bool) {
	args := argv(c)
	ignoreScripts := false
	// npm reads its own options anywhere before "--": npm test --workspaces.
	for _, a := range args {
		if a == "--" {
			break
		}
		switch name, val, eq := strings.Cut(a, "="); {
		case name == "--ignore-scripts":
			ignoreScripts = !eq || val == "true"
		case prog == "npm" && (name == "--workspaces" || name == "-ws" || name == "--workspace" || name == "-w"):
			r.workspace = true
		}
	}
	// options scans options from args[i] and returns the index of the
	// first positional (len(args) when none, or after "--").
	options := func(i int) int {
		for ; i < len(args); i++ {
			a := args[i]
			name, val, eq := strings.Cut(a, "=")
			switch {
			case a == "--":
				return len(args)
			case !strings.HasPrefix(a, "-") || a == "-":
				return i
			case npmValueOpts.has(name):
				if !eq && i+1 < len(args) {
					i++
					val = args[i]
				}
				switch name {
				case "--prefix", "-C", "--dir", "--cwd":
					r.dir = val
				case "-w", "--workspace", "--filter", "-F":
					r.workspace = true
				}
			case a == "-r" || a == "--recursive" || a == "--workspaces" || a == "-ws" || a == "--include-workspace-root":
				r.workspace = true
			}
		}
		return i
	}
	// run runs the script name with the arguments from args[from].
	run := func(name string, from int) (pkgRun, bool) {
		if prog == "bun" && looksLikeCodeFile(name) {
			return r, false // bun run x.ts runs a file (codeFileArgs)
		}
		r.main, r.events = name, []string{"pre" + name, name, "post" + name}
		if ignoreScripts {
			r.events = []string{name}
		}
		r.args = scriptArgs(prog, c.Args[min(from, len(c.Args)):])
		return r, true
	}
	// runNamed runs the first positional from args[from]: run NAME.
	runNamed := func(from int) (pkgRun, bool) {
		if k := options(from); k < len(args) {
			return run(args[k], k+1)
		}
		return r, false
	}
	lifecycle := func(events ...[]string) (pkgRun, bool) {
		if ignoreScripts {
			return r, false
		}
		for _, ev := range events {
			r.events = append(r.events, ev...)
		}
		return r, true
	}
	if prog == "node" {
		// node --run NAME runs the script alone, without pre and post.
		for j, a := range args {
			name, ok := strings.CutPrefix(a, "--run=")
			k := j + 1
			if a == "--run" && j+1 < len(args) {
				name, ok, k = args[j+1], true, j+2
			}
			if ok {
				r.main, r.events = name, []string{name}
				r.args = scriptArgs(prog, c.Args[k:])
				return r, true
			}
		}
		return r, false
	}
	i := options(0)
	if i >= len(args) {
		if prog == "yarn" && !hasFlag(args, 'v', "--version") && !hasFlag(args, 'h', "--help") || prog == "bun" && len(args) == 0 {
			return lifecycle(installEvents) // yarn alone installs
		}
		return r, false
	}
	switch sub := args[i]; sub {
	case "run", "run-script", "rum", "urn":
		return runNamed(i + 1)
	case "test", "t", "tst":
		if prog == "bun" {
			return r, false // bun's own test runner
		}
		return run("test", i+1)
	case "start", "stop", "restart":
		r, ok = run(sub, i+1)
		if sub == "restart" {
			r.events = []string{"prerestart", "restart", "postrestart"}
		}
		return r, ok
	case "install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add", "a",
		"ci", "clean-install", "ic", "install-clean", "isntall-clean", "rebuild", "rb":
		return lifecycle(installEvents)
	case "it", "install-test", "cit", "install-ci-test", "clean-install-test", "sit":
		r.main = "test"
		return lifecycle(installEvents, []string{"pretest", "test", "posttest"})
	case "pack":
		return lifecycle(packEvents)
	case "publish":
		return lifecycle(publishEvents)
	case "version":
		if i+1 < len(args) && prog != "yarn" {
			return lifecycle(versionEvents)
		}
		return r, false
	case "workspace":
		// yarn workspace NAME [run] SCRIPT: decided in every workspace.
		if prog != "yarn" || i+2 >= len(args) {
			return r, false
		}
		r.workspace = true
		if args[i+2] == "run" {
			return runNamed(i + 3)
		}
		if !yarnBuiltins.has(args[i+2]) {
			return run(args[i+2], i+3)
		}
		return r, false
	case "workspaces":
		// yarn workspaces run SCRIPT (1); yarn workspaces foreach [opts] run SCRIPT (2+).
		for j := i + 1; prog == "yarn" && j < len(args); j++ {
			if args[j] == "run" {
				r.workspace = true
				return runNamed(j + 1)
			}
		}
		return r, false
	default:
		if prog == "yarn" && !yarnBuiltins.has(sub) || prog == "pnpm" && !pnpmBuiltins.has(sub) ||
			prog == "bun" && !bunBuiltins.has(sub) && !looksLikeCodeFile(sub) {
			return run(sub, i+1) // yarn build, pnpm lint, bun dev
		}
	}
	return r, false
}

// scriptArgs are the arguments a manager appends to the script: npm keeps
// options before "--" for itself; the others pass everything on.
func scriptArgs(prog string, words []shell.Word) []shell.Word {
	var out []shell.Word
	for i, w := range words {
		v := firstValue(w)
		if v == "--" {
			return append(out, words[i+1:]...)
		}
		if prog == "npm" && strings.HasPrefix(v, "-") {
			continue
		}
		out = append(out, w)
	}
	return out
}

// appendArgs appends the arguments to a script's text as the manager does,
// each quoted; one whose value cannot be known becomes an unset variable,
// which the analysis takes as unknown.
func appendArgs(text string, args []shell.Word) string {
	var b strings.Builder
	b.WriteString(text)
	for _, w := range args {
		b.WriteByte(' ')
		if w.Dynamic || len(w.Values) == 0 {
			b.WriteString(`"${__warden_unknown_argument}"`)
			continue
		}
		b.WriteString(shellQuote(w.Values[0]))
	}
	return b.String()
}

func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// packageScripts decides the package.json scripts a package-manager
// command runs.
func (e *Engine) packageScripts(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, depth int) {
	prog := rowName(call)
	switch prog {
	case "npm", "pnpm", "yarn", "bun", "node":
	default:
		return
	}
	r, ok := parsePkgRun(prog, c)
	if !ok {
		return
	}
	for _, cwd := range cwdsOf(c, env) {
		dir := cwd
		if r.dir != "" {
			dir = env.resolve(r.dir, cwd)
		}
		pkgPath, pj := e.findPackageJSON(d, u, c, env, dir, r.dir == "")
		if pj == nil {
			continue
		}
		e.runPkgScripts(d, u, c, env, depth, pkgPath, pj, r)
		if r.workspace {
			e.workspaceScripts(d, u, c, env, depth, path.Dir(pkgPath), r)
		}
	}
}

// findPackageJSON returns the nearest package.json from dir, walking up to
// the repository root when up is set; nil when there is none or it cannot
// be read (after asking).
func (e *Engine) findPackageJSON(d *decision, u *unit, c *shell.Command, env *pathEnv, dir string, up bool) (string, *pkgJSON) {
	for {
		p := path.Join(dir, "package.json")
		if pj, found := e.readPackageJSON(d, u, c, env, p); found {
			return p, pj
		}
		parent := path.Dir(dir)
		_, inRepo := cutDir(parent, env.root())
		if !up || parent == dir || !inRepo {
			return "", nil
		}
		dir = parent
	}
}

// readPackageJSON reads and parses one package.json; found is false when
// there is none. One that exists but cannot be read or parsed is found,
// nil, and asked about.
func (e *Engine) readPackageJSON(d *decision, u *unit, c *shell.Command, env *pathEnv, p string) (pj *pkgJSON, found bool) {
	data, err := e.readFile(d, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	shown := shownPath(p, env)
	if err == nil {
		e.checkFile(d, u, fileAccess{raw: p, access: policy.AccessRead, via: "`" + c.Text + "`, which runs its scripts"})
		pj, err = parsePackageJSON(data)
	}
	if err != nil {
		e.cannotRead(d, u, c, "scripts from "+shown, err)
		return nil, true
	}
	return pj, true
}

// runPkgScripts decides the scripts r runs from the package.json at pkgPath.
func (e *Engine) runPkgScripts(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, pkgPath string, pj *pkgJSON, r pkgRun) {
	dir, shown := path.Dir(pkgPath), shownPath(pkgPath, env)
	events := r.events
	if r.main == "restart" {
		if _, ok := pj.scripts["restart"]; !ok {
			// npm restart with no restart script stops and starts.
			events = []string{"prerestart", "prestop", "stop", "poststop", "prestart", "start", "poststart", "postrestart"}
		}
	}
	for _, ev := range events {
		s, ok := pj.scripts[ev]
		if !ok && ev == "start" {
			// npm start with no start script runs node server.js.
			if _, err := e.fs.Lstat(path.Join(dir, "server.js")); err == nil {
				s, ok = pkgScript{text: "node server.js"}, true
			}
		}
		if !ok {
			continue
		}
		text := s.text
		if ev == r.main || r.main == "restart" && ev == "start" {
			text = appendArgs(text, r.args)
		}
		if !d.once("npm\x00" + pkgPath + "\x00" + ev + "\x00" + text) {
			continue
		}
		at := shown
		if s.line > 0 {
			at = fmt.Sprintf("%s:%d", shown, s.line)
		}
		if depth >= maxCodeDepth {
			e.tooDeep(d, u, c, "the script "+ev+" of "+shown)
			continue
		}
		an := shell.Analyze(text, shell.Options{Cwd: dir, Home: env.home, Repo: env.repo})
		if an.ParseError != nil {
			e.cannotRead(d, u, c, "the script "+ev+" at "+at, fmt.Errorf("it does not parse as Bash: %w", an.ParseError))
		}
		if !e.spend(d, u, c, shown, len(an.Commands)) {
			return
		}
		e.decideFrom(d, c, an.Commands, env, depth+1, func(*shell.Command) string { return at })
	}
}

// maxWorkspaces bounds the workspace packages decided for one command.
const maxWorkspaces = 32

// workspaceScripts decides r's scripts in every package of the workspace
// whose root holds the package.json found in dir (or a directory above it,
// up to the repository root).
func (e *Engine) workspaceScripts(d *decision, u *unit, c *shell.Command, env *pathEnv, depth int, dir string, r pkgRun) {
	root, patterns := "", []string(nil)
	for p := dir; ; p = path.Dir(p) {
		if ws := e.workspacePatterns(d, u, c, env, p); ws != nil {
			root, patterns = p, ws
		}
		_, inRepo := cutDir(path.Dir(p), env.root())
		if path.Dir(p) == p || !inRepo {
			break
		}
	}
	if root == "" {
		return
	}
	var dirs []string
	for _, pat := range patterns {
		if strings.HasPrefix(pat, "!") {
			continue // exclusions only narrow what runs: deciding more is safe
		}
		if strings.Contains(pat, "**") {
			e.cannotRead(d, u, c, "the scripts of the workspace packages "+pat, errors.New("Warden does not expand ** in workspace patterns"))
			return
		}
		matches, err := e.fs.Glob(path.Join(root, strings.TrimSuffix(pat, "/")))
		if err != nil {
			e.cannotRead(d, u, c, "the scripts of the workspace packages "+pat, err)
			return
		}
		dirs = append(dirs, matches...)
	}
	if len(dirs) > maxWorkspaces {
		e.cannotRead(d, u, c, "the scripts of the workspace packages", fmt.Errorf("there are more than %d", maxWorkspaces))
		return
	}
	for _, ws := range dirs {
		p := path.Join(ws, "package.json")
		if pj, _ := e.readPackageJSON(d, u, c, env, p); pj != nil {
			e.runPkgScripts(d, u, c, env, depth, p, pj, r)
		}
	}
}

// workspacePatterns returns the workspace package globs declared in dir
// (pnpm-workspace.yaml, or package.json "workspaces"), or nil.
func (e *Engine) workspacePatterns(d *decision, u *unit, c *shell.Command, env *pathEnv, dir string) []string {
	p := path.Join(dir, "pnpm-workspace.yaml")
	if data, err := e.readFile(d, p); err == nil {
		if e.yaml == nil {
			e.lacksYAML(d, u, c, "the workspace packages of "+shownPath(p, env))
			return nil
		}
		pkgs, err := workspacePackages(e.yaml, data)
		if err != nil {
			e.cannotRead(d, u, c, "the workspace packages of "+shownPath(p, env), errors.New("it does not parse as YAML"))
			return nil
		}
		return pkgs
	}
	if pj, _ := e.readPackageJSON(d, u, c, env, path.Join(dir, "package.json")); pj != nil && pj.workspaces != nil {
		return pj.workspaces
	}
	return nil
}

// workspacePackages is the packages list of a pnpm-workspace.yaml, as
// decoding it into struct{ Packages []string } gives it: the scalars of
// the sequence under the top-level key "packages" (null items skipped),
// an empty list when it is absent or null. Anything else is an error,
// and so, to stay on the safe side of what a YAML decoder would make of
// them, are a repeated "packages" key and merge keys (<<) at the top.
func workspacePackages(parse func([]byte) (*yamltree.Node, error), data []byte) ([]string, error) {
	doc, err := parse(data)
	if err != nil {
		return nil, err
	}
	pkgs := []string{}
	if len(doc.Content) == 0 {
		return pkgs, nil
	}
	root := deref(doc.Content[0])
	switch {
	case root == nil || isNullNode(root):
		return pkgs, nil
	case root.Kind != yamltree.MappingNode:
		return nil, errors.New("it is not a mapping")
	}
	seen := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch deref(root.Content[i]).Value {
		case "<<":
			return nil, errors.New("it uses a merge key")
		case "packages":
		default:
			continue
		}
		if seen {
			return nil, errors.New("packages is defined twice")
		}
		seen = true
		v := deref(root.Content[i+1])
		switch {
		case v == nil || isNullNode(v):
		case v.Kind == yamltree.SequenceNode:
			for _, item := range v.Content {
				item = deref(item)
				switch {
				case item == nil || item.Kind != yamltree.ScalarNode:
					return nil, errors.New("a package is not a string")
				case isNullNode(item):
					// Skipped, as a YAML decoder skips a null item.
				default:
					pkgs = append(pkgs, item.Value)
				}
			}
		default:
			return nil, errors.New("packages is not a list")
		}
	}
	return pkgs, nil
}

// isNullNode reports a YAML null (~, null, or nothing).
func isNullNode(n *yamltree.Node) bool {
	return n.Kind == yamltree.ScalarNode && n.ShortTag() == "!!null"
}
