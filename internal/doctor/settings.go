package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/settings"
)

// managedDir is the managed-settings directory the checks read.
func managedDir(c *Config) string {
	d := c.Dir
	if d == "" {
		d = settings.DefaultDir()
	}
	if c.Root != "" {
		return filepath.Join(c.Root, d)
	}
	return d
}

// Hook is one command hook of a settings file.
type Hook struct {
	Event   string `json:"event"`
	Matcher string `json:"matcher"`
	Command string `json:"command"`
	// Timeout is in seconds; 0 is the client's default.
	Timeout int `json:"timeout,omitempty"`
	// Source is the settings file that registers it.
	Source string `json:"source"`
}

// settingsDoc is the part of a Claude Code settings document the checks
// read. Unknown keys are ignored: the client ignores them too.
type settingsDoc struct {
	Hooks map[string][]struct {
		Matcher string `json:"matcher"`
		Hooks   []struct {
			Type    string  `json:"type"`
			Command string  `json:"command"`
			Timeout float64 `json:"timeout"`
		} `json:"hooks"`
	} `json:"hooks"`
	DisableAllHooks       *bool `json:"disableAllHooks"`
	AllowManagedHooksOnly *bool `json:"allowManagedHooksOnly"`
}

// settingsFile is one parsed settings file.
type settingsFile struct {
	Path string
	Doc  settingsDoc
	Err  error // unreadable or unparseable
}

func (f settingsFile) hooks() []Hook {
	var out []Hook
	events := make([]string, 0, len(f.Doc.Hooks))
	for ev := range f.Doc.Hooks {
		events = append(events, ev)
	}
	sort.Strings(events)
	for _, ev := range events {
		for _, m := range f.Doc.Hooks[ev] {
			for _, h := range m.Hooks {
				if h.Type != "command" {
					continue
				}
				out = append(out, Hook{Event: ev, Matcher: m.Matcher, Command: h.Command, Timeout: int(h.Timeout), Source: f.Path})
			}
		}
	}
	return out
}

// readSettingsFile parses path; ok is false when there is no such file.
func readSettingsFile(path string) (f settingsFile, ok bool) {
	f.Path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, false
	}
	if err != nil {
		f.Err = fmt.Errorf("read %s: %w", path, err)
		return f, true
	}
	if err := json.Unmarshal(b, &f.Doc); err != nil {
		f.Err = fmt.Errorf("parse %s: %w", path, err)
	}
	return f, true
}

// installedSettings are the managed settings found in the directory: the
// main document and the managed-settings.d fragments, as the client merges
// them.
type installedSettings struct {
	Dir      string
	Files    []settingsFile
	Manifest *settings.Manifest
	// ManifestErr is a manifest that is there but unreadable.
	ManifestErr error
}

func readInstalled(dir string) *installedSettings {
	in := &installedSettings{Dir: dir}
	if f, ok := readSettingsFile(filepath.Join(dir, settings.SettingsFile)); ok {
		in.Files = append(in.Files, f)
	}
	frags, _ := filepath.Glob(filepath.Join(dir, settings.FragmentsDir, "*.json"))
	sort.Strings(frags)
	for _, p := range frags {
		if f, ok := readSettingsFile(p); ok {
			in.Files = append(in.Files, f)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, settings.ManifestName))
	switch {
	case err == nil:
		var m settings.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			in.ManifestErr = fmt.Errorf("parse %s: %w", filepath.Join(dir, settings.ManifestName), err)
		} else {
			in.Manifest = &m
		}
	case !errors.Is(err, fs.ErrNotExist):
		in.ManifestErr = err
	}
	return in
}

// Hooks are the command hooks of every managed settings file.
func (in *installedSettings) Hooks() []Hook {
	var out []Hook
	for _, f := range in.Files {
		out = append(out, f.hooks()...)
	}
	return out
}

// installFix is the fix for missing or drifted managed settings: the
// install command, with extra flags, and how to run it.
func installFix(tier string, extra ...string) string {
	if tier == "" {
		tier = "TIER"
	}
	cmd := "sudo warden install --tier " + tier
	for _, e := range extra {
		cmd += " " + e
	}
	return cmd + ", with the --policy and flags the fleet uses (add --dry-run to see the change first)"
}

func checkManagedSettings(_ context.Context, s *state) Result {
	in := s.installed
	tier := s.cfg.Tier
	if tier == "" && in.Manifest != nil {
		tier = in.Manifest.Tier
	}
	if tier == "" && s.cfg.Expected != nil && s.cfg.Expected.Result != nil {
		tier = s.cfg.Expected.Result.Tier
	}
	if len(in.Files) == 0 {
		return Result{Status: Fail,
			Evidence: fmt.Sprintf("no managed settings in %s: Claude Code runs with no Warden hook and no managed rules", in.Dir),
			Fix:      installFix(tier)}
	}
	for _, f := range in.Files {
		if f.Err != nil {
			// The client refuses to start on unparseable managed settings
			// (fail-closed), or drops a mistyped field: either way, fix it.
			return Result{Status: Fail, Evidence: f.Err.Error(), Fix: installFix(tier, "--force")}
		}
	}
	if in.ManifestErr != nil {
		return Result{Status: Fail, Evidence: in.ManifestErr.Error(), Fix: installFix(tier, "--force")}
	}
	if in.Manifest == nil {
		return Result{Status: Fail,
			Evidence: fmt.Sprintf("managed settings in %s were not written by warden install (no %s)", in.Dir, settings.ManifestName),
			Fix:      installFix(tier, "--force") + "; --force keeps a backup of the current files"}
	}
	exp := s.cfg.Expected
	if exp == nil {
		return Result{Status: Skip, Evidence: fmt.Sprintf("installed by Warden (tier %s, policy %s %s); not compared: no policy given", in.Manifest.Tier, in.Manifest.Policy, in.Manifest.Revision)}
	}
	if exp.Err != nil {
		return Result{Status: Fail, Evidence: "cannot compile the policy to compare: " + exp.Err.Error(),
			Fix: "give the policy and tier the machine was installed with: warden doctor --policy FILE --tier TIER"}
	}
	plan, err := settings.Install(exp.Result, exp.Files, settings.InstallOptions{Root: s.cfg.Root, Dir: s.cfg.Dir, DryRun: true, Force: true})
	if err != nil {
		return Result{Status: Fail, Evidence: "compare with the compiled policy: " + err.Error(), Fix: installFix(tier)}
	}
	var drift []string
	var diff strings.Builder
	for _, c := range plan.Changes {
		if c.Op == "keep" {
			continue
		}
		drift = append(drift, c.Op+" "+c.Path)
		diff.WriteString(c.Diff)
	}
	what := fmt.Sprintf("tier %s, policy %s", exp.Result.Tier, exp.Result.Policy)
	if exp.Result.Revision != "" {
		what += " " + exp.Result.Revision
	}
	if len(drift) > 0 {
		return Result{Status: Fail,
			Evidence: fmt.Sprintf("%s differs from what %s compiles to: install would %s", in.Dir, what, strings.Join(drift, ", ")),
			Fix:      installFix(exp.Result.Tier),
			Detail:   diff.String()}
	}
	return Result{Status: Pass, Evidence: fmt.Sprintf("%s equals what %s compiles to (%d files, installed %s)", in.Dir, what, len(plan.Changes), in.Manifest.InstalledAt)}
}

// ReadManifest returns the install manifest in dir, nil when there is
// none or it does not parse (the managed-settings check reports why).
func ReadManifest(dir string) *settings.Manifest {
	return readInstalled(dir).Manifest
}

// HasFragments reports whether dir holds managed-settings.d fragments
// (installed with --fragments).
func HasFragments(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, settings.FragmentsDir, "*.json"))
	return len(m) > 0
}

// InstalledHookExecutable is the Warden executable the installed managed
// hooks run ("" when none runs warden or warden-hook): the hook command
// warden install was given.
func InstalledHookExecutable(dir string) string {
	for _, h := range readInstalled(dir).Hooks() {
		exe := Executable(h.Command)
		base := strings.TrimSuffix(filepath.Base(exe), ".exe")
		if base == "warden" || base == "warden-hook" {
			return exe
		}
	}
	return ""
}
