package engine

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// anchor says what a path pattern is relative to.
type anchor int

const (
	anywhere anchor = iota // no anchor: matches at any depth ("**/" + glob)
	atHome                 // "~/..."
	atRoot                 // "//..." (file-system root)
	atRepo                 // "/..." (repository root, else cwd)
	atCwd                  // "./..." in native rules: the session's directory
)

// pattern is one compiled path pattern.
type pattern struct {
	raw    string
	anchor anchor
	glob   string // relative to the anchor, slash-separated, no leading slash
	// lit is a literal part every match must contain: a cheap prefilter
	// before the glob match, which matters on the hook's hot path.
	lit string
	// fold: the pattern is case-folded and matched against the case-folded
	// path (policy path rules); native rules keep Claude Code's exact case.
	fold bool
	// segs is the glob's segments when one is a word match (<auth>),
	// which doublestar cannot express; "**" leads them for anywhere.
	segs []string
	// base is the last segment of the pattern's instance (instantiate),
	// case-folded: a glob whose last segment cannot match it cannot match
	// the instance, which spares building it.
	base string
}

// compilePattern compiles a pattern matched with its exact case: a native
// rule's specifier, or a shell glob being instantiated.
func compilePattern(raw string) pattern {
	p := anchorPattern(raw)
	p.setGlob(p.glob)
	return p
}

// anchorPattern splits raw into its anchor and the glob relative to it.
func anchorPattern(raw string) pattern {
	p := pattern{raw: raw}
	s := raw
	switch {
	case s == "~" || strings.HasPrefix(s, "~/"):
		p.anchor, s = atHome, strings.TrimPrefix(strings.TrimPrefix(s, "~"), "/")
	case strings.HasPrefix(s, "//"):
		p.anchor, s = atRoot, strings.TrimLeft(s, "/")
	case strings.HasPrefix(s, "/"):
		p.anchor, s = atRepo, strings.TrimLeft(s, "/")
	default:
		s = strings.TrimPrefix(s, "./")
		s = strings.TrimPrefix(s, "**/")
		p.anchor = anywhere
	}
	p.glob = s
	return p
}

// compileRulePattern compiles a policy path rule's pattern: matched
// case-insensitively on every system, since macOS and Windows file systems
// are case-insensitive (.ENV opens .env) and no benign file differs from a
// protected one by case alone. Case is folded here, once, and once per
// resolved path (target), never per comparison.
func compileRulePattern(raw string) pattern {
	p := anchorPattern(raw)
	p.fold = true
	p.setGlob(foldCase(p.glob))
	return p
}

func (pt *pattern) setGlob(g string) {
	pt.glob = g
	pt.lit = longestLiteral(g)
	pt.segs = wordSegments(g, pt.fold, pt.anchor)
	pt.base = ""
	// Only the last segment is instantiated: this runs for every pattern
	// in engine.New, which every hook process pays.
	if g = strings.TrimSuffix(g, "/"); g != "" {
		last := pattern{glob: g[strings.LastIndexByte(g, '/')+1:], segs: pt.segs}
		if inst := last.relInstance(); inst != "" {
			pt.base = foldCase(inst)
		}
	}
}

// wordSegments returns a folded glob's segments when one is a word match
// (<auth>), led by "**" for a pattern that matches anywhere; else nil.
func wordSegments(g string, fold bool, a anchor) []string {
	if !fold || !strings.Contains(g, "<") {
		return nil
	}
	segs := strings.Split(g, "/")
	for _, seg := range segs {
		if _, ok := policy.WordSegment(seg); ok {
			if a == anywhere {
				segs = append([]string{"**"}, segs...)
			}
			return segs
		}
	}
	return nil
}

// foldCase is the case folding of patterns and paths.
func foldCase(s string) string { return strings.ToLower(s) }

// longestLiteral returns the longest run of s free of glob metacharacters
// and slashes; brace alternatives ({a,b}) are not literal, and neither are
// the brackets of word matches (<auth>).
func longestLiteral(s string) string {
	best, start := "", 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '{' {
			if i-start > len(best) {
				best = s[start:i]
			}
			if j := strings.IndexByte(s[i:], '}'); j > 0 {
				i += j
			}
			start = i + 1
			continue
		}
		if i == len(s) || notLiteral[s[i]] {
			if i-start > len(best) {
				best = s[start:i]
			}
			start = i + 1
		}
	}
	return best
}

// notLiteral are the bytes that end a literal run in longestLiteral.
var notLiteral = [256]bool{'*': true, '?': true, '[': true, ']': true, '{': true, '}': true, '/': true, '\\': true, '<': true, '>': true}

// target is one resolved path as the patterns see it: absolute and clean,
// in its own case and, computed once on first use, case-folded.
type target struct {
	path   string
	folded string
	done   bool
}

// lower returns the case-folded path.
func (t *target) lower() string {
	if !t.done {
		t.folded, t.done = foldCase(t.path), true
	}
	return t.folded
}

// matches reports whether the target matches.
func (pt *pattern) matches(t *target, env *pathEnv) bool {
	p := t.path
	if pt.fold {
		p, env = t.lower(), env.folded()
	}
	if pt.lit != "" && !strings.Contains(p, pt.lit) {
		return false
	}
	if pt.segs != nil {
		return pt.matchWords(t, env)
	}
	var rel string
	switch pt.anchor {
	case atHome:
		if env.home == "" {
			return false
		}
		r, ok := cutDir(p, env.home)
		if !ok {
			return false
		}
		rel = r
	case atRepo:
		r, ok := cutDir(p, env.root())
		if !ok {
			return false
		}
		rel = r
	case atCwd:
		r, ok := cutDir(p, env.cwd)
		if !ok {
			return false
		}
		rel = r
	case atRoot:
		rel = strings.TrimPrefix(p, "/")
	case anywhere:
		rel = strings.TrimPrefix(p, "/")
		if !strings.Contains(pt.glob, "/") {
			// A bare name pattern matches the base name, or a directory of
			// that name: ".env" and "secrets/**" both match "secrets" itself.
			return matchBase(pt.glob, rel)
		}
		ok, _ := doublestar.Match("**/"+pt.glob, rel)
		if !ok {
			ok, _ = doublestar.Match(pt.glob, rel)
		}
		return ok
	}
	if rel == "" {
		ok, _ := doublestar.Match(pt.glob, ".")
		return ok || strings.HasPrefix(pt.glob, "**")
	}
	ok, _ := doublestar.Match(pt.glob, rel)
	return ok
}

// matchWords matches a pattern with word matches segment by segment: the
// anchor and the other segments on the case-folded path, the word matches
// on the words of the names as written (their case shows where camelCase
// words start). env is case-folded.
func (pt *pattern) matchWords(t *target, env *pathEnv) bool {
	var dir string
	switch pt.anchor {
	case atHome:
		dir = env.home
	case atRepo:
		dir = env.root()
	case atCwd:
		dir = env.cwd
	default:
		dir = "/"
	}
	if dir == "" {
		return false
	}
	if _, ok := cutDir(t.lower(), dir); !ok {
		return false
	}
	// Folding keeps every '/', so both spellings split alike.
	n := len(splitSegs(dir))
	orig, folded := splitSegs(t.path), splitSegs(t.lower())
	if len(orig) < n || len(orig) != len(folded) {
		return false
	}
	return matchSegs(pt.segs, orig[n:], folded[n:])
}

func splitSegs(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// matchSegs matches path segments against pattern segments, where "**" is
// any number of segments and "<glob>" a name with a word matching glob.
func matchSegs(pat, orig, folded []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(orig); i++ {
				if matchSegs(pat[1:], orig[i:], folded[i:]) {
					return true
				}
			}
			return false
		}
		if len(orig) == 0 {
			return false
		}
		if g, ok := policy.WordSegment(pat[0]); ok {
			if !eachWord(orig[0], func(w string) bool { ok, _ := doublestar.Match(g, foldCase(w)); return ok }) {
				return false
			}
		} else if ok, _ := doublestar.Match(pat[0], folded[0]); !ok {
			return false
		}
		pat, orig, folded = pat[1:], orig[1:], folded[1:]
	}
	return len(orig) == 0
}

func matchBase(glob, rel string) bool {
	base := rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		base = rel[i+1:]
	}
	ok, _ := doublestar.Match(glob, base) // path.Match has no {a,b}
	return ok
}

// cutDir returns p relative to dir when p is dir or below it.
func cutDir(p, dir string) (string, bool) {
	if p == dir {
		return "", true
	}
	if dir == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	if strings.HasPrefix(p, dir) && len(p) > len(dir) && p[len(dir)] == '/' {
		return p[len(dir)+1:], true
	}
	return "", false
}

// pathRule is a compiled policy.PathRule. Its patterns point into the
// static table of the baseline's compiled patterns (patterns_gen.go) when
// they are the baseline's, else into memory compiled for this matcher.
type pathRule struct {
	rule     *policy.PathRule
	patterns []*pattern
	except   []*pattern
}

// pathMatcher holds the compiled path rules of a Ruleset.
type pathMatcher struct {
	rules []pathRule
}

func newPathMatcher(rs *policy.Ruleset) *pathMatcher {
	// This runs in every hook process, where allocations are page faults:
	// one array of pointers, and the baseline's patterns are static data,
	// compiled when Warden was built. Only a policy's own patterns are
	// compiled here.
	n := 0
	for i := range rs.Paths {
		n += 2*len(rs.Paths[i].Patterns) + len(rs.Paths[i].Except)
	}
	all := make([]*pattern, 0, n)
	pm := &pathMatcher{rules: make([]pathRule, len(rs.Paths))}
	for i := range rs.Paths {
		r := &rs.Paths[i]
		start := len(all)
		for _, s := range r.Patterns {
			all = appendDirPattern(all, s)
		}
		mid := len(all)
		for _, s := range r.Except {
			c := compiledRulePattern(s)
			all = append(all, &c.p)
		}
		pm.rules[i] = pathRule{rule: r, patterns: all[start:mid:mid], except: all[mid:len(all):len(all)]}
	}
	return pm
}

// rulePattern is a policy path rule's pattern compiled, and for "dir/**"
// also the directory itself (dir): reading a directory recursively reads
// what is under it.
type rulePattern struct {
	p, d   pattern
	hasDir bool
}

// compileRule compiles the rule pattern raw.
func compileRule(raw string) rulePattern {
	c := rulePattern{p: compileRulePattern(raw)}
	if strings.HasSuffix(c.p.glob, "/**") {
		c.d, c.hasDir = c.p, true
		c.d.setGlob(strings.TrimSuffix(c.p.glob, "/**"))
	}
	return c
}

// compiledRulePattern returns raw compiled: from the baseline's static
// table (binary search), else compiled now.
func compiledRulePattern(raw string) *rulePattern {
	lo, hi := 0, len(baselinePatterns)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if baselinePatterns[m].p.raw < raw {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(baselinePatterns) && baselinePatterns[lo].p.raw == raw {
		return &baselinePatterns[lo]
	}
	c := compileRule(raw)
	return &c
}

// appendDirPattern appends the compiled s, and for "dir/**" also the
// directory itself.
func appendDirPattern(to []*pattern, s string) []*pattern {
	c := compiledRulePattern(s)
	to = append(to, &c.p)
	if c.hasDir {
		to = append(to, &c.d)
	}
	return to
}

func (r *pathRule) applies(access policy.Access) bool {
	return r.rule.Access == policy.AccessAny || r.rule.Access == access
}

func (r *pathRule) matches(t *target, env *pathEnv) bool {
	hit := false
	for i := range r.patterns {
		if r.patterns[i].matches(t, env) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for i := range r.except {
		if r.except[i].matches(t, env) {
			return false
		}
	}
	return true
}

// pathEnv is what relative paths and anchors resolve against.
type pathEnv struct {
	cwd  string
	home string
	repo string
	// lower is the case-folded copy, made on first use (itself when
	// nothing changes case).
	lower *pathEnv
}

// folded returns the environment with its directories case-folded, for
// case-folded patterns.
func (e *pathEnv) folded() *pathEnv {
	if e.lower == nil {
		cwd, home, repo := foldCase(e.cwd), foldCase(e.home), foldCase(e.repo)
		if cwd == e.cwd && home == e.home && repo == e.repo {
			e.lower = e
		} else {
			f := &pathEnv{cwd: cwd, home: home, repo: repo}
			f.lower = f
			e.lower = f
		}
	}
	return e.lower
}

func (e *pathEnv) root() string {
	if e.repo != "" {
		return e.repo
	}
	return e.cwd
}

// resolve makes p absolute and clean: ~ and relative paths are expanded,
// and /proc/self/root, /proc/PID/cwd and the like lead where the kernel
// would take them (shell.CleanPath). It does not touch the file system.
func (e *pathEnv) resolve(p, cwd string) string {
	if cwd == "" {
		cwd = e.cwd
	}
	switch {
	case p == "~":
		p = e.home
	case strings.HasPrefix(p, "~/"):
		if e.home != "" {
			p = e.home + p[1:]
		}
	case strings.HasPrefix(p, "~") && e.home != "":
		// ~user: that user's home, taken to sit beside ours (/root for root).
		user, rest, _ := strings.Cut(p[1:], "/")
		dir := path.Join(path.Dir(e.home), user)
		if user == "root" {
			dir = "/root"
		}
		p = dir + "/" + rest
	case !strings.HasPrefix(p, "/"):
		if cwd == "" {
			cwd = "/"
		}
		p = cwd + "/" + p
	}
	return shell.CleanPath(cwd, p)
}

// realPath returns p with every symbolic link in it followed, directories
// included (a link to secrets/ is the secrets directory), or "" when p has
// no link or none can be resolved. A path that does not exist yet (a file
// about to be written) is resolved through its longest existing ancestor.
func realPath(fsys FS, p string) string {
	// p is absolute and clean: each ancestor is a prefix of it, and the
	// rest a suffix, so the walk up allocates nothing.
	for end := len(p); end > 0; end = strings.LastIndexByte(p[:end], '/') {
		dir := p[:end]
		r, err := fsys.EvalSymlinks(dir)
		if err != nil {
			continue
		}
		r = filepath.ToSlash(r)
		if r == dir {
			return "" // no link from here up, and the rest does not exist
		}
		return path.Join(r, p[end:])
	}
	return ""
}

// instantiate turns a pattern into one concrete path under dir, so that a
// shell glob argument (cat .en?) can be tested against it: ** and * become a
// plain name, ? one character, a [class] its first member.
func (pt *pattern) instantiate(dir string, env *pathEnv) string {
	rel := pt.relInstance()
	switch pt.anchor {
	case atHome:
		return path.Join(env.home, rel)
	case atRoot:
		return "/" + rel
	case atRepo:
		return path.Join(env.root(), rel)
	case atCwd:
		return path.Join(env.cwd, rel)
	}
	return path.Join(dir, rel)
}

// relInstance is the instance of the glob alone, relative to its anchor.
func (pt *pattern) relInstance() string {
	var b strings.Builder
	g := pt.glob
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch c {
		case '*':
			double := false
			for i+1 < len(g) && g[i+1] == '*' {
				i, double = i+1, true
			}
			if double && i+1 < len(g) && g[i+1] == '/' && (b.Len() == 0 || strings.HasSuffix(b.String(), "/")) {
				i++ // "**/" collapses to nothing
				continue
			}
			b.WriteString("x")
		case '?':
			b.WriteString("x")
		case '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				b.WriteByte(c)
				continue
			}
			cls := strings.TrimLeft(g[i+1:i+j], "!^")
			if cls != "" {
				b.WriteByte(cls[0])
			}
			i += j
		case '{':
			j := strings.IndexByte(g[i:], '}')
			if j < 0 {
				b.WriteByte(c)
				continue
			}
			alt := g[i+1 : i+j]
			if k := strings.IndexByte(alt, ','); k >= 0 {
				alt = alt[:k]
			}
			b.WriteString(alt)
			i += j
		case '<', '>':
			if pt.segs == nil {
				b.WriteByte(c)
			}
		case '\\':
			if i+1 < len(g) {
				i++
				b.WriteByte(g[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSuffix(b.String(), "/")
}

// shellGlobMatch matches an absolute path against a shell glob (no **),
// segment by segment, where * and ? do not match a leading dot.
func shellGlobMatch(glob, p string) bool {
	gs := strings.Split(strings.TrimPrefix(glob, "/"), "/")
	ps := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(gs) != len(ps) {
		return false
	}
	for i := range gs {
		if strings.HasPrefix(ps[i], ".") && !strings.HasPrefix(gs[i], ".") {
			return false
		}
		ok, err := path.Match(gs[i], ps[i])
		if err != nil || !ok {
			return false
		}
	}
	return true
}
