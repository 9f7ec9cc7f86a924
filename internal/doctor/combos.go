package doctor

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// scope is where a settings file sits in the client's hierarchy.
type scope string

const (
	scopeManaged scope = "managed"
	scopeUser    scope = "user"
	scopeProject scope = "project"
	scopeLocal   scope = "local"
)

// scopedFile is a settings file and its scope.
type scopedFile struct {
	settingsFile
	Scope scope
}

// settingsFiles are the settings files the client reads on this machine
// for the configured project: managed first, then user, project, local.
func (s *state) settingsFiles() []scopedFile {
	var out []scopedFile
	for _, f := range s.installed.Files {
		out = append(out, scopedFile{f, scopeManaged})
	}
	add := func(p string, sc scope) {
		if f, ok := readSettingsFile(p); ok {
			out = append(out, scopedFile{f, sc})
		}
	}
	if s.cfg.Home != "" {
		add(filepath.Join(s.cfg.Home, ".claude", "settings.json"), scopeUser)
	}
	if s.cfg.Project != "" {
		add(filepath.Join(s.cfg.Project, ".claude", "settings.json"), scopeProject)
		add(filepath.Join(s.cfg.Project, ".claude", "settings.local.json"), scopeLocal)
	}
	return out
}

// dropRule is one settings combination known to keep hooks from running.
type dropRule struct {
	ID string
	// Find returns one finding per offending file, "" when none.
	Find func(files []scopedFile) []string
	Fix  string
}

// dropRules is the table of combinations that drop hooks.
var dropRules = []dropRule{
	{
		ID: "disable-all-hooks",
		Find: func(files []scopedFile) []string {
			var out []string
			for _, f := range files {
				if f.Doc.DisableAllHooks != nil && *f.Doc.DisableAllHooks {
					out = append(out, fmt.Sprintf("disableAllHooks: true in %s settings %s: the client may run no hook at all", f.Scope, f.Path))
				}
			}
			return out
		},
		Fix: "remove disableAllHooks from that file (and deny agents writing settings files in the policy)",
	},
	{
		ID: "managed-only-without-managed-hooks",
		Find: func(files []scopedFile) []string {
			managedOnly, managedHooks := "", 0
			var otherHooks []string
			for _, f := range files {
				if f.Scope == scopeManaged {
					if f.Doc.AllowManagedHooksOnly != nil && *f.Doc.AllowManagedHooksOnly {
						managedOnly = f.Path
					}
					managedHooks += len(f.hooks())
				} else if len(f.hooks()) > 0 {
					otherHooks = append(otherHooks, string(f.Scope)+" "+f.Path)
				}
			}
			if managedOnly != "" && managedHooks == 0 && len(otherHooks) > 0 {
				return []string{fmt.Sprintf("allowManagedHooksOnly in %s but the hooks are only in %s: the client ignores them", managedOnly, strings.Join(otherHooks, ", "))}
			}
			return nil
		},
		Fix: "install the hooks as managed settings (sudo warden install --tier TIER), not with --user",
	},
	{
		ID: "unparseable",
		Find: func(files []scopedFile) []string {
			var out []string
			for _, f := range files {
				if f.Err != nil && f.Scope != scopeManaged {
					out = append(out, fmt.Sprintf("%s settings unreadable: %v: the client may skip the file and its hooks", f.Scope, f.Err))
				}
			}
			return out
		},
		Fix: "fix or remove the file",
	},
}

func checkHookSettings(_ context.Context, s *state) Result {
	files := s.settingsFiles()
	var found, fixes, read []string
	for _, f := range files {
		read = append(read, string(f.Scope)+" "+f.Path)
	}
	for _, r := range dropRules {
		if fs := r.Find(files); len(fs) > 0 {
			found = append(found, fs...)
			fixes = append(fixes, r.Fix)
		}
	}
	if len(found) > 0 {
		return Result{Status: Fail, Evidence: strings.Join(found, "; "), Fix: strings.Join(fixes, "; ")}
	}
	if len(read) == 0 {
		return Result{Status: Pass, Evidence: "no settings files to read"}
	}
	return Result{Status: Pass, Evidence: "none of disableAllHooks, allowManagedHooksOnly without managed hooks, or unreadable settings in: " + strings.Join(read, ", ")}
}
