package scan

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
)

// maxTracked bounds how many tracked files are judged.
const maxTracked = 200_000

// trackedFiles lists the files git tracks in the repository
// (slash-separated, relative), and false when the directory is not a git
// work tree or git cannot run.
func (c *scanCtx) trackedFiles() ([]string, bool) {
	if c.trackedOK != nil {
		return c.tracked, *c.trackedOK
	}
	ok := false
	c.trackedOK = &ok
	out, err := c.git("ls-files", "-z", "--cached", "--full-name")
	if err != nil {
		c.errorf("git ls-files in %s: %v (checks of tracked files skipped)", c.repo, err)
		return nil, false
	}
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) == 0 {
			continue
		}
		if len(c.tracked) == maxTracked {
			c.errorf("more than %d tracked files: the rest were not checked", maxTracked)
			break
		}
		c.tracked = append(c.tracked, string(p))
	}
	ok = true
	return c.tracked, true
}

// engine returns the engine the hook would decide with under the scan's
// tier. It sees no file system: a scan judges names, never follows links.
func (c *scanCtx) engine() *engine.Engine {
	if c.eng == nil {
		c.eng = engine.New(c.rs, engine.Options{FS: engine.NoFS{}, Conditions: condition.NewEvaluator(c.rs)})
	}
	return c.eng
}

// standInRepo is where the checklist's probe actions pretend to run when
// no repository is scanned; evidence shows it as <repository>.
const standInRepo = "/warden-scan/repository"

// decide asks the engine about one action in the scanned repository (or
// in a stand-in for it when no repository is scanned).
func (c *scanCtx) decide(a engine.Action) engine.Decision {
	repo := c.repo
	if repo == "" {
		repo = standInRepo
	}
	a.Cwd, a.Repo, a.Remote = repo, repo, c.origin
	if a.Home == "" {
		a.Home = c.home
		if a.Home == "" {
			a.Home = "/home/user"
		}
	}
	return c.engine().Decide(a)
}

// checkTrackedSecrets reports tracked files that the policy's path rules
// protect from reading, judged by the engine exactly as the hook would
// judge a Read of them.
func checkTrackedSecrets(c *scanCtx) {
	files, ok := c.trackedFiles()
	if !ok {
		return
	}
	for _, rel := range files {
		d := c.decide(engine.Action{Tool: "Read", Path: filepath.Join(c.repo, filepath.FromSlash(rel))})
		if d.Verdict < policy.Ask || !strings.HasPrefix(d.RuleID, "paths.") {
			continue
		}
		c.add(IDTrackedSecret, Finding{
			Severity: SeverityHigh, File: rel,
			Message:  fmt.Sprintf("%s is tracked by git and protected by %s (%s: %s)", rel, d.RuleID, d.Verdict, d.Reason),
			Evidence: "git ls-files: " + rel,
		})
	}
}
