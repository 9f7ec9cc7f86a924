package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// HookEvents are the events the harness wires a hook to by default: every
// event Claude Code 2.1.330 fires in a headless run that Warden reads.
var HookEvents = []string{
	"PreToolUse",
	"PostToolUse",
	"PostToolUseFailure",
	"PostToolBatch",
	"PermissionRequest",
	"UserPromptSubmit",
	"SessionStart",
	"SessionEnd",
	"Stop",
	"ConfigChange",
}

// Settings is a Claude Code settings file, as much of it as the harness
// writes (given with --settings, or as a project or managed settings file).
type Settings struct {
	Permissions *Permissions `json:"permissions,omitempty"`
	// Hooks maps an event name to its matchers.
	Hooks map[string][]HookMatcher `json:"hooks,omitempty"`
	// SkipWebFetchPreflight stops WebFetch from asking Anthropic whether a
	// domain may be fetched (a request the egress guard would refuse).
	SkipWebFetchPreflight bool `json:"skipWebFetchPreflight,omitempty"`
	// OtelHeadersHelper is the command whose stdout (a JSON object) gives
	// the OTLP exporter's headers.
	OtelHeadersHelper string `json:"otelHeadersHelper,omitempty"`
}

// Permissions is the settings' permissions block.
type Permissions struct {
	Allow       []string `json:"allow,omitempty"`
	Ask         []string `json:"ask,omitempty"`
	Deny        []string `json:"deny,omitempty"`
	DefaultMode string   `json:"defaultMode,omitempty"`
}

// HookMatcher selects the tools (for tool events) a list of hooks runs for.
type HookMatcher struct {
	Matcher string        `json:"matcher"`
	Hooks   []HookCommand `json:"hooks"`
}

// HookCommand is one command hook.
type HookCommand struct {
	Type    string `json:"type"` // "command"
	Command string `json:"command"`
	// Timeout is in seconds; 0 leaves the client's default.
	Timeout int `json:"timeout,omitempty"`
}

// HookSettings returns settings that run command, with matcher "*", for
// each of events (HookEvents when none are given).
func HookSettings(command string, timeoutSec int, events ...string) Settings {
	if len(events) == 0 {
		events = HookEvents
	}
	s := Settings{Hooks: make(map[string][]HookMatcher, len(events)), SkipWebFetchPreflight: true}
	for _, ev := range events {
		s.Hooks[ev] = append(s.Hooks[ev], HookMatcher{
			Matcher: "*",
			Hooks:   []HookCommand{{Type: "command", Command: command, Timeout: timeoutSec}},
		})
	}
	return s
}

// Validate reports settings the client would reject or silently drop.
func (s Settings) Validate() error {
	var errs []string
	for ev, ms := range s.Hooks {
		if !knownEvent(ev) {
			errs = append(errs, fmt.Sprintf("hooks.%s: unknown event", ev))
		}
		for i, m := range ms {
			if len(m.Hooks) == 0 {
				errs = append(errs, fmt.Sprintf("hooks.%s[%d]: no hooks", ev, i))
			}
			for j, h := range m.Hooks {
				if h.Type != "command" {
					errs = append(errs, fmt.Sprintf("hooks.%s[%d].hooks[%d].type: %q, want command", ev, i, j, h.Type))
				}
				if strings.TrimSpace(h.Command) == "" {
					errs = append(errs, fmt.Sprintf("hooks.%s[%d].hooks[%d].command: empty", ev, i, j))
				}
				if h.Timeout < 0 {
					errs = append(errs, fmt.Sprintf("hooks.%s[%d].hooks[%d].timeout: %d is negative", ev, i, j, h.Timeout))
				}
			}
		}
	}
	if p := s.Permissions; p != nil && p.DefaultMode != "" {
		switch p.DefaultMode {
		case "default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto":
		default:
			errs = append(errs, fmt.Sprintf("permissions.defaultMode: unknown mode %q", p.DefaultMode))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("invalid settings: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Marshal returns the settings as indented JSON with sorted keys.
func (s Settings) Marshal() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	// encoding/json sorts map keys; struct fields keep their order.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode settings: %w", err)
	}
	return buf.Bytes(), nil
}

// allEvents is every hook event name Claude Code 2.1.330 knows (from the
// binary's event list, see shared/spec/claude-code.md).
var allEvents = []string{
	"PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "Notification",
	"UserPromptSubmit", "UserPromptExpansion", "SessionStart", "SessionEnd", "Stop",
	"StopFailure", "SubagentStart", "SubagentStop", "PreCompact", "PostCompact",
	"PreModelSwitch", "PostModelSwitch", "PermissionRequest", "PermissionDenied", "Setup",
	"TeammateIdle", "TaskCreated", "TaskCompleted", "Elicitation", "ElicitationResult",
	"ConfigChange", "WorktreeCreate", "WorktreeRemove", "InstructionsLoaded", "CwdChanged",
	"FileChanged", "DirectoryAdded", "MessageDisplay",
}

func knownEvent(ev string) bool { return slices.Contains(allEvents, ev) }

// ShellQuote quotes s for the POSIX shell the client runs hook commands with.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command joins argv into a hook command line, quoting each word.
func Command(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = ShellQuote(a)
	}
	return strings.Join(q, " ")
}
