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
	// Find returns one finding per offending file.
	Find func(files []scopedFile) []finding
	Fix  string
}

// finding is one combination found, and how bad it is.
type finding struct {
	Status   Status
	Evidence string
}

// dropRules is the table of combinations that drop hooks.
var dropRules = []dropRule{
	{
		// Observed on Claude Code 2.1.330 (internal/e2e
		// TestDoctor_ClientVerdicts): disableAllHooks in managed settings
		// stops every hook, the managed ones included; in user or project
		// settings it stops the hooks of those files but the managed hooks
		// keep running.
		ID: "disable-all-hooks",
		Find: func(files []scopedFile) []finding {
			var out []finding
			managedHooks := 0
			for _, f := range files {
				if f.Scope == scopeManaged {
					managedHooks += len(f.hooks())
				}
			}
			for _, f := range files {
				if f.Doc.DisableAllHooks == nil || !*f.Doc.DisableAllHooks {
					continue
				}
				switch {
				case f.Scope == scopeManaged:
					out = append(out, finding{Fail, fmt.Sprintf("disableAllHooks: true in managed settings %s: the client runs no hook at all", f.Path)})
				case managedHooks == 0:
					out = append(out, finding{Fail, fmt.Sprintf("disableAllHooks: true in %s settings %s and no managed hooks: the client runs no Warden hook", f.Scope, f.Path)})
				default:
					out = append(out, finding{Warn, fmt.Sprintf("disableAllHooks: true in %s settings %s: the managed hooks still run, that file's and lower scopes' hooks do not", f.Scope, f.Path)})
				}
			}
			return out
		},
		Fix: "remove disableAllHooks from that file (and deny agents writing settings files in the policy)",
	},
	{
		ID: "managed-only-without-managed-hooks",
		Find: func(files []scopedFile) []finding {
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
				return []finding{{Fail, fmt.Sprintf("allowManagedHooksOnly in %s but the hooks are only in %s: the client ignores them", managedOnly, strings.Join(otherHooks, ", "))}}
			}
			return nil
		},
		Fix: "install the hooks as managed settings (sudo warden install --tier TIER), not with --user",
	},
	{
		ID: "unparseable",
		Find: func(files []scopedFile) []finding {
			var out []finding
			for _, f := range files {
				if f.Err != nil && f.Scope != scopeManaged {
					out = append(out, finding{Warn, fmt.Sprintf("%s settings unreadable: %v: the client may skip the file and its hooks", f.Scope, f.Err)})
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
	status := Pass
	for _, r := range dropRules {
		fs := r.Find(files)
		for _, f := range fs {
			found = append(found, f.Evidence)
			if f.Status == Fail || status == Pass {
				status = f.Status
			}
		}
		if len(fs) > 0 {
			fixes = append(fixes, r.Fix)
		}
	}
	if len(found) > 0 {
		return Result{Status: status, Evidence: strings.Join(found, "; "), Fix: strings.Join(fixes, "; ")}
	}
	if len(read) == 0 {
		return Result{Status: Pass, Evidence: "no settings files to read"}
	}
	return Result{Status: Pass, Evidence: "none of disableAllHooks, allowManagedHooksOnly without managed hooks, or unreadable settings in: " + strings.Join(read, ", ")}
}
