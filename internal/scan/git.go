package scan

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// gitBuiltinDrivers are the driver names git implements itself: naming one
// in .gitattributes runs no program unless configuration says otherwise.
var gitBuiltinDrivers = map[string][]string{
	"merge": {"text", "binary", "union"},
	// userdiff's built-in hunk-header patterns (git/userdiff.c).
	"diff": {"ada", "bash", "bibtex", "cpp", "csharp", "css", "dts", "elixir", "fortran", "fountain", "golang", "html", "java", "kotlin", "markdown", "matlab", "objc", "pascal", "perl", "php", "python", "r", "ruby", "rust", "scheme", "tex"},
}

// knownDrivers are widely used drivers, graded low: they still run a
// program, but one the team usually installed on purpose.
var knownDrivers = map[string]string{
	"lfs": "Git LFS (git-lfs)",
}

// driverAttrs are the attributes that name a driver.
var driverAttrs = []string{"filter", "diff", "merge"}

// checkGitAttributes reports .gitattributes lines that name filter, diff
// or merge drivers.
func checkGitAttributes(c *scanCtx) {
	files := []string{".gitattributes"}
	if tracked, ok := c.trackedFiles(); ok {
		files = files[:0]
		for _, f := range tracked {
			if path.Base(f) == ".gitattributes" {
				files = append(files, f)
			}
		}
	}
	for _, rel := range files {
		data, err := c.readRepoFile(rel)
		if err != nil || data == nil {
			continue
		}
		for i, ln := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(ln)
			if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "[attr]") {
				continue
			}
			fields := strings.Fields(t)
			for _, f := range fields[1:] {
				attr, driver, ok := strings.Cut(f, "=")
				if !ok || !slices.Contains(driverAttrs, attr) || driver == "" {
					continue
				}
				if slices.Contains(gitBuiltinDrivers[attr], driver) {
					continue
				}
				sev := SeverityMedium
				what := fmt.Sprintf("the %s driver %q, which runs the program git config sets in %s.%s.*", attr, driver, attr, driver)
				if k, ok := knownDrivers[driver]; ok {
					sev = SeverityLow
					what = fmt.Sprintf("the %s driver %q, which runs %s", attr, driver, k)
				}
				evidence := t
				if cfg := c.gitConfigFor(attr, driver); cfg != "" {
					evidence += "\ngit config: " + cfg
				}
				c.add(IDGitDriver, Finding{Severity: sev, File: rel, Line: i + 1, Col: strings.Index(ln, f) + 1,
					Message:  fmt.Sprintf("files matching %q name %s, whenever git checks them out, diffs or merges them", fields[0], what),
					Evidence: evidence})
			}
		}
	}
}

// gitConfigFor shows what the repository's effective git configuration
// runs for a driver ("" when nothing is configured or git cannot say).
func (c *scanCtx) gitConfigFor(attr, driver string) string {
	out, err := c.git("config", "--get-regexp", "^"+attr+"\\."+regexpQuote(driver)+"\\.")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hookDirs are committed directories of git hooks, by hook manager.
var hookDirs = []struct{ dir, what string }{
	{".githooks/", "git hooks directory .githooks (enabled with core.hooksPath)"},
	{".husky/", "husky git hooks"},
}

// hookConfigs are committed files that configure git hooks.
var hookConfigs = []struct{ file, what string }{
	{"lefthook.yml", "lefthook git hooks"},
	{"lefthook.yaml", "lefthook git hooks"},
	{".lefthook.yml", "lefthook git hooks"},
	{".pre-commit-config.yaml", "pre-commit git hooks (run programs from the repositories it names)"},
}

// checkGitHooks reports committed git hooks and committed configuration
// that sets core.hooksPath.
func checkGitHooks(c *scanCtx) {
	tracked, ok := c.trackedFiles()
	if !ok {
		return
	}
	seenDir := map[string]bool{}
	for _, rel := range tracked {
		for _, hd := range hookDirs {
			if !strings.HasPrefix(rel, hd.dir) {
				continue
			}
			// husky's own runtime (.husky/_/) is generated, not a hook.
			if strings.HasPrefix(rel, ".husky/_/") {
				continue
			}
			name := path.Base(rel)
			if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".sample") {
				continue
			}
			seenDir[hd.dir] = true
			c.add(IDGitHooks, Finding{Severity: SeverityMedium, File: rel, Line: 1, Col: 1,
				Message:  fmt.Sprintf("%s is a committed git hook (%s): it runs on every machine that enables the directory", rel, hd.what),
				Evidence: rel})
		}
		for _, hc := range hookConfigs {
			if rel == hc.file {
				c.add(IDGitHooks, Finding{Severity: SeverityMedium, File: rel, Line: 1, Col: 1,
					Message: fmt.Sprintf("%s configures %s", rel, hc.what), Evidence: rel})
			}
		}
		if isCommittedGitConfig(rel) {
			c.checkHooksPath(rel)
		}
	}
	// The local configuration points git at a committed directory.
	if out, err := c.git("config", "--local", "--get", "core.hooksPath"); err == nil {
		hp := strings.TrimSpace(string(out))
		if hp != "" && !filepath.IsAbs(hp) && !strings.HasPrefix(hp, "~") {
			dir := strings.TrimSuffix(path.Clean(filepath.ToSlash(hp)), "/") + "/"
			for _, rel := range tracked {
				if strings.HasPrefix(rel, dir) {
					c.add(IDGitHooks, Finding{Severity: SeverityMedium, File: ".git/config",
						Message:  fmt.Sprintf("core.hooksPath is %q, a committed directory: its files run as git hooks here", hp),
						Evidence: "core.hooksPath=" + hp})
					break
				}
			}
		}
	}
}

// isCommittedGitConfig reports a committed file in git-config syntax that
// developers include ([include] path = ...).
func isCommittedGitConfig(rel string) bool {
	b := path.Base(rel)
	return b == ".gitconfig" || strings.HasSuffix(b, ".gitconfig") || b == "gitconfig" || b == ".git-config"
}

// checkHooksPath reports hooksPath in a committed git-config file.
func (c *scanCtx) checkHooksPath(rel string) {
	data, err := c.readRepoFile(rel)
	if err != nil || data == nil {
		return
	}
	section := ""
	for i, ln := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(ln)
		if strings.HasPrefix(t, "[") {
			section = ""
			if f := strings.Fields(strings.Trim(t, "[]")); len(f) > 0 {
				section = strings.ToLower(f[0])
			}
			continue
		}
		key, _, _ := strings.Cut(t, "=")
		if section == "core" && strings.EqualFold(strings.TrimSpace(key), "hooksPath") {
			c.add(IDGitHooks, Finding{Severity: SeverityMedium, File: rel, Line: i + 1, Col: strings.Index(strings.ToLower(ln), "hookspath") + 1,
				Message:  fmt.Sprintf("%s sets core.hooksPath: whoever includes it runs the hooks the path names", rel),
				Evidence: t})
		}
	}
}

// globRepo globs a slash-separated pattern under the repository.
func globRepo(repo, pat string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(repo, filepath.FromSlash(pat)))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(m))
	for _, p := range m {
		rel, err := filepath.Rel(repo, p)
		if err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out, nil
}
