package engine

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

// fileAccess is one file the action would read or write.
type fileAccess struct {
	raw    string // as written
	access policy.Access
	cwds   []string // directories a relative raw resolves against
	glob   bool     // raw is a shell glob
	via    string   // what does the access, for reasons: "cat .env", "Read tool", "< redirection"
	// incidental: the path is covered by a recursive read of a directory
	// (grep -r needle .), not named: a deny is capped at ask, because the
	// command is usually ordinary and the person can say no.
	incidental bool
	// hint replaces the recursive read's advice in an incidental
	// finding's reason.
	hint string
	// redirect: the access is a shell redirection, which Claude Code
	// treats as an edit for Edit(...) allow rules.
	redirect bool
}

func (e *Engine) decideFileTool(d *decision, access policy.Access, p string) {
	u := d.newUnit()
	a := d.a
	if p != "" {
		e.checkFile(d, u, fileAccess{raw: p, access: access, cwds: []string{a.Cwd}, via: a.Tool + " tool"})
	}
	if access == policy.AccessWrite {
		for _, k := range []string{"content", "new_string", "new_source"} {
			if text, _ := a.Input[k].(string); text != "" {
				attributesFilter(d, u, p, text, a.Tool+" tool")
			}
		}
	}
	e.nativeTool(d, u)
	e.conditions(d, u, nil)
}

// decideSearchTool decides Glob and Grep (absent from Claude Code 2.1.330,
// sent by older clients) as reads of their directory and glob filter.
func (e *Engine) decideSearchTool(d *decision) {
	u := d.newUnit()
	a := d.a
	dir := a.Path
	if dir == "" {
		dir = a.Cwd
	}
	e.checkFile(d, u, fileAccess{raw: dir, access: policy.AccessRead, cwds: []string{a.Cwd}, via: a.Tool + " tool"})
	filter := a.Pattern
	if a.Tool == "Grep" {
		filter, _ = a.Input["glob"].(string)
	}
	if filter != "" {
		e.checkFile(d, u, fileAccess{raw: strings.TrimSuffix(dir, "/") + "/" + filter, access: policy.AccessRead,
			cwds: []string{a.Cwd}, glob: true, via: a.Tool + " tool"})
	}
	e.nativeTool(d, u)
	e.conditions(d, u, nil)
}

// checkFile matches one access against the policy's path rules and the
// native Read/Edit rules, after resolving it against every candidate
// directory, following symlinks, and testing globs.
func (e *Engine) checkFile(d *decision, u *unit, fa fileAccess) {
	env := &pathEnv{cwd: d.a.Cwd, home: d.a.Home, repo: d.a.Repo}
	cwds := fa.cwds
	if len(cwds) == 0 {
		cwds = []string{d.a.Cwd}
	}
	if strings.Contains(fa.raw, "/proc/") && !slices.Contains(cwds, d.a.Cwd) {
		// /proc/PID/cwd is another process's directory, unknowable but
		// most likely the session's: try that one too.
		cwds = append(cwds[:len(cwds):len(cwds)], d.a.Cwd)
	}
	seen := map[string]bool{}
	for _, cwd := range cwds {
		p := env.resolve(fa.raw, cwd)
		if seen[p] {
			continue
		}
		seen[p] = true
		d.note("path", "%s %s -> %s", fa.access, fa.raw, p)
		if fa.glob {
			e.checkGlob(d, u, fa, p, env)
			continue
		}
		e.checkPath(d, u, fa, p, env)
	}
}

// checkPath applies the rules to the absolute path p and, when none
// matched, to what p leads to through links; it reports whether one
// matched.
func (e *Engine) checkPath(d *decision, u *unit, fa fileAccess, p string, env *pathEnv) bool {
	if e.checkResolved(d, u, fa, p, env, "") {
		return true
	}
	hit := false
	for _, real := range e.aliases(d, p) {
		d.note("path", "%s is a link to %s", p, real)
		if e.checkResolved(d, u, fa, real, env, p) {
			hit = true
		}
	}
	return hit
}

// checkResolved applies the rules to one absolute path and reports whether
// one matched.
func (e *Engine) checkResolved(d *decision, u *unit, fa fileAccess, p string, env *pathEnv, linkFrom string) bool {
	hit := false
	shown := p
	if linkFrom != "" {
		shown = linkFrom + " (a link to " + p + ")"
	}
	t := target{path: p}
	for i := range e.paths().rules {
		r := &e.paths().rules[i]
		if !r.applies(fa.access) || !r.matches(&t, env) {
			continue
		}
		hit = true
		v, why := r.rule.Decision, ""
		if fa.incidental && v > policy.Ask {
			v, why = policy.Ask, "; the recursive read would include it (exclude it, e.g. --exclude='.env*', or name the files to read)"
			if fa.hint != "" {
				why = "; " + fa.hint
			}
		}
		d.match(u, v, "paths."+r.rule.ID, fmt.Sprintf("%s: %s (%s by %s)%s",
			ruleReason(r.rule), shown, accessPast(fa.access), fa.via, why))
	}
	if e.nativePath(d, u, fa, &t, env) {
		hit = true
	}
	return hit
}

// checkGlob tests a glob argument: against the files it expands to where
// they exist; by a concrete instance of the glob itself (~/.aws/cred* reads
// under ~/.aws); and, when its last segment names something (.en?, id_*,
// *.pem, .*), against a concrete instance of every protected pattern. A bare
// "dir/*" is decided by what exists, not by what could.
func (e *Engine) checkGlob(d *decision, u *unit, fa fileAccess, glob string, env *pathEnv) {
	if matches, err := e.fs.Glob(glob); err == nil {
		for _, m := range matches {
			e.checkResolved(d, u, fa, m, env, "")
		}
	}
	self := compilePattern("//" + strings.TrimPrefix(glob, "/"))
	if inst := self.instantiate("/", env); e.checkResolved(d, u, fa, inst, env, "") {
		return
	}
	slash := strings.LastIndexByte(glob, '/')
	if !namesSomething(glob[slash+1:]) {
		return
	}
	dir := glob[:slash+1]
	if dir == "" {
		dir = "/"
	}
	globBase := foldCase(glob[slash+1:])
	pre, suf := globAffixes(globBase)
	for i := range e.paths().rules {
		r := &e.paths().rules[i]
		if !r.applies(fa.access) {
			continue
		}
		for j := range r.patterns {
			if b := r.patterns[j].base; b != "" && (!strings.HasPrefix(b, pre) || !strings.HasSuffix(b, suf) || !segmentMatch(globBase, b)) {
				continue // *.go cannot expand to id_rsa
			}
			// Compared case-folded, as the patterns are: a file named
			// .ENV.local is a secret, and .ENV* expands to it.
			inst := r.patterns[j].instantiate(dir, env)
			t := target{path: inst}
			if shellGlobMatch(foldCase(glob), t.lower()) && r.matches(&t, env) {
				d.match(u, r.rule.Decision, "paths."+r.rule.ID, fmt.Sprintf("%s: %s can expand to %s (%s by %s)",
					ruleReason(r.rule), fa.raw, inst, accessPast(fa.access), fa.via))
				break
			}
		}
	}
}

// globAffixes returns the literal prefix and suffix of a glob segment:
// every name it matches starts and ends with them, a test much cheaper
// than matching, made first against each of the policy's patterns.
func globAffixes(glob string) (prefix, suffix string) {
	i := strings.IndexAny(glob, `*?[\`)
	if i < 0 {
		return glob, glob
	}
	return glob[:i], glob[strings.LastIndexAny(glob, `*?[]\`)+1:]
}

// segmentMatch is shellGlobMatch for one segment.
func segmentMatch(glob, seg string) bool {
	if strings.HasPrefix(seg, ".") && !strings.HasPrefix(glob, ".") {
		return false
	}
	ok, err := path.Match(glob, seg)
	return err == nil && ok
}

// namesSomething reports a glob segment that targets particular names: it
// starts with a dot (dotfiles) or holds two or more literal characters.
func namesSomething(seg string) bool {
	if strings.HasPrefix(seg, ".") {
		return true
	}
	n := 0
	for i := 0; i < len(seg); i++ {
		switch c := seg[i]; {
		case c == '[':
			if j := strings.IndexByte(seg[i:], ']'); j > 0 {
				i += j
			}
		case c == '*' || c == '?' || c == '.':
		default:
			n++
		}
	}
	return n >= 2
}

func ruleReason(r *policy.PathRule) string {
	if r.Reason != "" {
		return r.Reason
	}
	return "protected path (" + r.ID + ")"
}

func accessPast(a policy.Access) string {
	switch a {
	case policy.AccessRead:
		return "read"
	case policy.AccessWrite:
		return "written"
	}
	return "used"
}

func accessVerb(a policy.Access) string {
	switch a {
	case policy.AccessRead:
		return "reads"
	case policy.AccessWrite:
		return "writes"
	}
	return "uses"
}

// attributesFilter: a .gitattributes line with filter= selects a filter
// whose clean and smudge programs git runs on add and checkout: an exec
// vector set up for later commands.
func attributesFilter(d *decision, u *unit, p, text, via string) {
	if !strings.EqualFold(path.Base(p), ".gitattributes") || !strings.Contains(text, "filter=") {
		return
	}
	d.match(u, policy.Ask, policy.RuleDynamicProgram, fmt.Sprintf("%s writes a filter attribute to %s: git will run that filter's program on later commands", via, p))
}
